package io.github.microgpt.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link FloatProducts#productTransposed} (the weights' gradient in single precision) on every
 * count of rows from 1 to 13 and every first row from 0 to 5, so that each way a chunk of rows can
 * end short of a block of six is taken (with 16 registers those rows go through the block kernel
 * with the last row repeated), and on widths around the panels' two vectors: each output must be
 * the chain of fused multiply-adds over the terms in order from its stored value, and the rows
 * outside the chunk must stay as they were.
 */
class FloatProductsTest {

    @Test
    void theWeightsGradientIsAChainOfFusedMultiplyAddsForEveryRowCountBitForBit() {
        int l = FloatProducts.L;
        int[] widths = {1, l - 1, l, 2 * l - 1, 2 * l, 2 * l + 1, 3 * l + 3, 6 * l + 5};
        SplittableRandom random = new SplittableRandom(32);
        int allRows = 20;
        for (int width : widths) {
            for (int[] terms : new int[][] {{0, 1}, {2, 9}, {1, 70}}) {
                int k0 = terms[0];
                int k1 = terms[1];
                float[][] a = randomFloats(random, k1, allRows);
                float[][] x = randomFloats(random, k1, width);
                for (int r0 = 0; r0 < 6; r0++) {
                    for (int count = 1; count <= 13; count++) {
                        float[][] c = randomFloats(random, allRows, width);
                        float[][] before = new float[allRows][];
                        for (int i = 0; i < allRows; i++) {
                            before[i] = c[i].clone();
                        }
                        int r1 = r0 + count;
                        // With and without a call (a call's panels of x are copied once).
                        FloatProducts.productTransposed(a, x, c, r0, r1, k0, k1, width, count % 2 == 0 ? null : new Object());
                        for (int o = 0; o < allRows; o++) {
                            for (int j = 0; j < width; j++) {
                                float expected = before[o][j];
                                if (o >= r0 && o < r1) {
                                    for (int k = k0; k < k1; k++) {
                                        expected = Math.fma(a[k][o], x[k][j], expected);
                                    }
                                }
                                assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(c[o][j]),
                                        "width " + width + ", terms [" + k0 + ", " + k1 + "), rows [" + r0 + ", "
                                                + r1 + "): c[" + o + "][" + j + "]");
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * {@link FloatProducts#product} (the input's gradient in single precision), bit for bit the
     * chain of fused multiply-adds over the terms in order from each output's stored value, on 1
     * to 13 rows from a first row of 0 to 5 (every way a chunk ends short of a block of six), on
     * widths around the panels' two vectors and past a group of {@link FloatProducts#COLUMN_GROUP}
     * panels, on columns starting at 0 or mid-vector, over terms past a pass of
     * {@link FloatProducts#PANEL_TERMS}; each product in two chunks of columns of one call (the
     * second reusing the first's panels of {@code a}). The outputs outside the rows and columns
     * must stay as they were.
     */
    @Test
    void theInputsGradientIsAChainOfFusedMultiplyAddsForEveryShapeBitForBit() {
        int l = FloatProducts.L;
        int panelColumns = FloatProducts.COLUMN_GROUP * FloatProducts.PANEL;
        int[] widths = {1, l - 1, l, 2 * l - 1, 2 * l, 2 * l + 1, 3 * l + 3, 6 * l + 5, panelColumns + 2 * l + 3};
        SplittableRandom random = new SplittableRandom(33);
        int allRows = 20;
        for (int width : widths) {
            for (int[] terms : new int[][] {{0, 1}, {2, 9}, {1, FloatProducts.PANEL_TERMS + 20}}) {
                int k0 = terms[0];
                int k1 = terms[1];
                float[][] a = randomFloats(random, allRows, k1);
                float[][] x = randomFloats(random, k1, width + 3);
                for (int j0 : new int[] {0, 3}) {
                    int j1 = j0 + width;
                    // Cut between the chunks at a whole panel where there is one, else mid-way.
                    int cut = j0 + (width >= 2 * FloatProducts.PANEL ? FloatProducts.PANEL : width / 2);
                    for (int r0 = 0; r0 < 6; r0++) {
                        for (int count = 1; count <= 13; count++) {
                            float[][] c = randomFloats(random, allRows, width + 3);
                            float[][] before = new float[allRows][];
                            for (int i = 0; i < allRows; i++) {
                                before[i] = c[i].clone();
                            }
                            int r1 = r0 + count;
                            Object call = count % 2 == 0 ? null : new Object();
                            FloatProducts.product(a, x, c, r0, r1, k0, k1, j0, cut, call);
                            FloatProducts.product(a, x, c, r0, r1, k0, k1, cut, j1, call);
                            for (int r = 0; r < allRows; r++) {
                                for (int j = 0; j < width + 3; j++) {
                                    float expected = before[r][j];
                                    if (r >= r0 && r < r1 && j >= j0 && j < j1) {
                                        for (int k = k0; k < k1; k++) {
                                            expected = Math.fma(a[r][k], x[k][j], expected);
                                        }
                                    }
                                    assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(c[r][j]),
                                            "width " + width + ", terms [" + k0 + ", " + k1 + "), rows [" + r0 + ", "
                                                    + r1 + "), columns [" + j0 + ", " + j1 + "): c[" + r + "][" + j
                                                    + "]");
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    private static float[][] randomFloats(SplittableRandom r, int rows, int cols) {
        float[][] a = new float[rows][cols];
        for (float[] row : a) {
            for (int i = 0; i < cols; i++) {
                row[i] = (float) r.nextDouble(-1, 1);
            }
        }
        return a;
    }
}
