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
