package io.github.microgpt.model;

import static io.github.microgpt.testsupport.Bits.assertBits;
import static io.github.microgpt.testsupport.Matrices.copy;
import static io.github.microgpt.testsupport.Matrices.toDouble;
import static io.github.microgpt.testsupport.Matrices.toFloat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The matrix products of {@link Kernels} and {@link FloatKernels} against a naive reference, on
 * shapes chosen to reach every branch: odd sizes (a position, a row or a term left over from the
 * blocks of two and four), few and many positions (one by one, or over the transposed weights),
 * a range not starting at position 0, and matrices tall enough that the weights go in several
 * cache blocks with a partial one at the end.
 *
 * <p>The double-precision forward product must be bit for bit the left fold
 * {@code ((0 + w[o][0] in[t][0]) + w[o][1] in[t][1]) + ...} of the {@code Value} engine; the
 * backward products, which have no order to keep, agree with the reference to rounding; and every
 * product gives the same bits on 1, 2 and 3 threads.
 */
class KernelsProductTest {

    /** {positions, from, columns (C), rows (OC)}. */
    private static final int[][] SHAPES = {
        {1, 0, 5, 3}, {3, 1, 7, 9}, {7, 0, 13, 11}, {8, 0, 4, 4}, {9, 2, 37, 29}, {13, 0, 37, 27},
        {16, 3, 64, 48}, {21, 0, 3, 1100}, {11, 0, 45, 2203}, {64, 0, 1030, 40}, {10, 1, 1, 2},
    };

    private static final long SEED = 20261202L;

    /**
     * A product too small to be worth a hand-over runs on the calling thread: at
     * {@code microgpt.py}'s size (its largest product, 16 positions by 64 rows by 16 columns) a
     * team of two gives way to the calling thread alone, whereas the products of a large model
     * (64 positions, 256 by 256) and of a team that splits finely (the tests' teams) stay shared.
     * The attention's work is counted the same way.
     */
    @Test
    void aProductTooSmallToShareRunsOnTheCallingThread() {
        Workers two = new Workers(2);
        assertEquals(1, Kernels.teamFor(two, 16, 64, 16).threads(), "the reference size's largest product");
        assertEquals(1, Kernels.teamFor(two, 16, 27, 16).threads(), "the reference size's output layer");
        assertEquals(1, Kernels.teamFor(two, Kernels.attentionWork(0, 16, 16)).threads(), "its attention");
        assertSame(two, Kernels.teamFor(two, 64, 256, 256), "a product of 256 x 256 over 64 positions");
        assertSame(two, Kernels.teamFor(two, Kernels.attentionWork(0, 64, 256)), "attention at 256 wide, 64 positions");
        Workers fine = new Workers(2, 1);
        assertSame(fine, Kernels.teamFor(fine, 16, 64, 16), "a team that splits every loop finely");
        assertSame(fine, Kernels.teamFor(fine, 2, 1, 8), "16 multiply-adds, on such a team");
        assertEquals(1, Kernels.teamFor(fine, 1, 1, 15).threads(), "15 multiply-adds, on such a team");
        Workers one = new Workers(1);
        assertSame(one, Kernels.teamFor(one, 64, 256, 256), "one thread stays itself");
    }

    @Test
    void doubleForwardIsTheLeftFoldOfTheValueEngineBitForBit() {
        SplittableRandom random = new SplittableRandom(SEED);
        for (int[] shape : SHAPES) {
            Case c = new Case(shape, random);
            for (int threads = 1; threads <= 3; threads++) {
                double[][] out = filled(c.total, c.rows, 7.0);
                Kernels.matmulForward(out, c.in, c.w, c.from, c.to, scratch(c.cols, c.rows),
                        new Kernels.TransposeBlocks(), new Workers(threads, 1));
                for (int t = c.from; t < c.to; t++) {
                    for (int o = 0; o < c.rows; o++) {
                        double expected = 0.0;
                        for (int i = 0; i < c.cols; i++) {
                            expected += c.w[o][i] * c.in[t][i];
                        }
                        if (Double.doubleToRawLongBits(expected) != Double.doubleToRawLongBits(out[t][o])) {
                            fail(c + ", " + threads + " threads: out[" + t + "][" + o + "] = " + out[t][o]
                                    + ", the left fold gives " + expected);
                        }
                    }
                }
            }
        }
    }

    /**
     * The threads' buffers of transposed weights are kept from product to product (one set per
     * workspace): one set of buffers, grown and shrunk in use by every shape in turn on teams of
     * 1, 2 and 3 threads, must leave every product the left fold, bit for bit. A buffer that a
     * chunk shared with another, or that kept a longer product's rows, would change some bits.
     */
    @Test
    void oneSetOfTransposeBuffersServesEveryShapeOnEveryTeam() {
        SplittableRandom random = new SplittableRandom(SEED + 3);
        Kernels.TransposeBlocks blocks = new Kernels.TransposeBlocks();
        FloatKernels.TransposeBlocks floatBlocks = new FloatKernels.TransposeBlocks();
        Workers[] teams = {new Workers(3, 1), new Workers(1), new Workers(2, 1)};
        for (int round = 0; round < 2; round++) {
            for (int[] shape : SHAPES) {
                Case c = new Case(shape, random);
                double[][] expected = filled(c.total, c.rows, 7.0);
                Kernels.matmulForward(expected, c.in, c.w, c.from, c.to, null, new Kernels.TransposeBlocks(),
                        new Workers(1));
                float[][] in = toFloat(c.in);
                float[][] w = toFloat(c.w);
                float[][] expectedF = new float[c.total][c.rows];
                FloatKernels.matmulForward(expectedF, in, w, c.from, c.to, null, new FloatKernels.TransposeBlocks(),
                        new Workers(1));
                for (Workers team : teams) {
                    double[][] out = filled(c.total, c.rows, 7.0);
                    Kernels.matmulForward(out, c.in, c.w, c.from, c.to, null, blocks, team);
                    assertBits(expected, out, c + " on " + team.threads() + " threads, shared buffers");
                    float[][] outF = new float[c.total][c.rows];
                    FloatKernels.matmulForward(outF, in, w, c.from, c.to, null, floatBlocks, team);
                    assertBits(expectedF, outF, c + " in floats on " + team.threads() + " threads, shared buffers");
                }
            }
        }
    }

    /**
     * On several threads the forward product is split by rows of the weights, and each thread
     * keeps one buffer per width of part it meets (a few, the oldest replaced). Many widths in
     * turn (more than the buffers a thread keeps, so that some are replaced and some found
     * again), with one set of buffers, on 2 and 3 threads, must each give the left fold bit for
     * bit, and leave the output's other rows and positions as they were: a buffer of the wrong
     * width, a part's sums copied to the wrong columns, or a part that kept another product's
     * sums would fail here.
     */
    @Test
    void partsOfTheRowsInManyWidthsGiveTheLeftFoldOnEveryTeam() {
        SplittableRandom random = new SplittableRandom(SEED + 4);
        Kernels.TransposeBlocks blocks = new Kernels.TransposeBlocks();
        FloatKernels.TransposeBlocks floatBlocks = new FloatKernels.TransposeBlocks();
        Workers[] teams = {new Workers(2, 1), new Workers(3, 1)};
        int[] rowCounts = {64, 96, 40, 200, 33, 128, 72, 520, 64, 96, 48, 1030};
        for (int round = 0; round < 2; round++) {
            for (int rows : rowCounts) {
                Case c = new Case(new int[] {9 + round * 20, round, 31 + rows % 7, rows}, random);
                double[][] expected = filled(c.total, c.rows, 7.0);
                Kernels.matmulForward(expected, c.in, c.w, c.from, c.to, null, new Kernels.TransposeBlocks(),
                        new Workers(1));
                float[][] in = toFloat(c.in);
                float[][] w = toFloat(c.w);
                float[][] expectedF = new float[c.total][c.rows];
                for (float[] row : expectedF) {
                    java.util.Arrays.fill(row, -3f);
                }
                float[][] outF0 = copy(expectedF);
                FloatKernels.matmulForward(expectedF, in, w, c.from, c.to, null, new FloatKernels.TransposeBlocks(),
                        new Workers(1));
                for (Workers team : teams) {
                    double[][] out = filled(c.total, c.rows, 7.0);
                    Kernels.matmulForward(out, c.in, c.w, c.from, c.to, null, blocks, team);
                    assertBits(expected, out, c + " on " + team.threads() + " threads, parts of the rows");
                    float[][] outF = copy(outF0);
                    FloatKernels.matmulForward(outF, in, w, c.from, c.to, null, floatBlocks, team);
                    assertBits(expectedF, outF, c + " in floats on " + team.threads() + " threads, parts of the rows");
                }
            }
        }
    }

    /**
     * A product with few rows for its input's width is split by positions on a team
     * ({@code Kernels.forwardByPositions}), as the MLP's second product at {@code nEmbd} 256 is on
     * two threads. Shapes that take that way on 2 and 3 threads (odd positions, rows not a
     * multiple of the threads, a start past 0) must give the left fold of every output, bit for
     * bit, and leave the positions outside the range as they were: a part of the positions
     * computed twice, skipped, or written to another position's row would fail here.
     */
    @Test
    void narrowProductsSplitByPositionsGiveTheLeftFoldOnEveryTeam() {
        SplittableRandom random = new SplittableRandom(SEED + 5);
        int[][] shapes = {{31, 2, 200, 40}, {17, 0, 130, 33}, {64, 0, 1024, 256}, {9, 3, 96, 10}};
        for (int[] shape : shapes) {
            Case c = new Case(shape, random);
            double[][] expected = filled(c.total, c.rows, 7.0);
            for (int t = c.from; t < c.to; t++) {
                for (int o = 0; o < c.rows; o++) {
                    double sum = 0.0;
                    for (int i = 0; i < c.cols; i++) {
                        sum = sum + c.in[t][i] * c.w[o][i];
                    }
                    expected[t][o] = sum;
                }
            }
            for (Workers team : new Workers[] {new Workers(2, 1), new Workers(3, 1), new Workers(2)}) {
                assertTrue(Kernels.forwardByPositions(c.rows, c.cols, team), c + " should go by positions");
                double[][] out = filled(c.total, c.rows, 7.0);
                Kernels.matmulForward(out, c.in, c.w, c.from, c.to, null, new Kernels.TransposeBlocks(), team);
                assertBits(expected, out, c + " on " + team.threads() + " threads, by positions");
            }
        }
        assertFalse(Kernels.forwardByPositions(256, 256, new Workers(2)), "the attention's output keeps the rows");
        assertFalse(Kernels.forwardByPositions(1024, 256, new Workers(2)), "the MLP's first product keeps the rows");
    }

    @Test
    void doubleBackwardAddsTheGradientsAndDoesNotDependOnTheThreads() {
        SplittableRandom random = new SplittableRandom(SEED + 1);
        for (int[] shape : SHAPES) {
            Case c = new Case(shape, random);
            double[][] dout = c.gaussian(c.total, c.rows);
            double[][] din1 = null;
            double[][] dw1 = null;
            for (int threads = 1; threads <= 3; threads++) {
                double[][] din = filled(c.total, c.cols, 0.5);
                double[][] dw = filled(c.rows, c.cols, -0.25);
                Kernels.matmulBackward(din, dw, dout, c.in, c.w, c.from, c.to, new Workers(threads, 1), false);
                if (threads == 1) {
                    checkBackward(c, dout, din, dw, 0.5, -0.25, 1e-12);
                    din1 = din;
                    dw1 = dw;
                } else {
                    assertBits(din1, din, c + ", input gradient on " + threads + " threads");
                    assertBits(dw1, dw, c + ", weight gradient on " + threads + " threads");
                }
            }
        }
    }

    /**
     * The overwriting backward product over rows of other numbers (NaN among them) gives the
     * bits of the adding one over rows of zeros, on every team, and leaves the rows outside
     * {@code [from, to)} alone: here the core's loops, which zero the rows themselves (the
     * optional module's kernels have a test of their own).
     */
    @Test
    void theOverwritingBackwardIsTheAddingOneOverZeros() {
        SplittableRandom random = new SplittableRandom(SEED + 5);
        for (int[] shape : SHAPES) {
            Case c = new Case(shape, random);
            double[][] dout = c.gaussian(c.total, c.rows);
            double[][] expectedDin = filled(c.total, c.cols, 0.5);
            for (int t = c.from; t < c.to; t++) {
                java.util.Arrays.fill(expectedDin[t], 0.0);
            }
            double[][] expectedDw = filled(c.rows, c.cols, -0.25);
            Kernels.matmulBackward(expectedDin, expectedDw, dout, c.in, c.w, c.from, c.to, new Workers(1), false);
            for (int threads = 1; threads <= 3; threads++) {
                double[][] din = filled(c.total, c.cols, 0.5);
                din[c.from][0] = Double.NaN;
                double[][] dw = filled(c.rows, c.cols, -0.25);
                Kernels.matmulBackwardOverwrite(din, dw, dout, c.in, c.w, c.from, c.to, new Workers(threads, 1), false);
                assertBits(expectedDin, din, c + ", input gradient on " + threads + " threads");
                assertBits(expectedDw, dw, c + ", weight gradient on " + threads + " threads");
            }
        }
    }

    @Test
    void floatProductsAgreeWithTheDoubleReferenceAndDoNotDependOnTheThreads() {
        SplittableRandom random = new SplittableRandom(SEED + 2);
        for (int[] shape : SHAPES) {
            Case c = new Case(shape, random);
            float[][] in = toFloat(c.in);
            float[][] w = toFloat(c.w);
            double[][] doutD = c.gaussian(c.total, c.rows);
            float[][] dout = toFloat(doutD);
            float[][] out1 = null;
            float[][] din1 = null;
            float[][] dw1 = null;
            for (int threads = 1; threads <= 3; threads++) {
                Workers workers = new Workers(threads, 1);
                float[][] out = new float[c.total][c.rows];
                FloatKernels.matmulForward(out, in, w, c.from, c.to, new float[Math.max(c.cols, 1)][c.rows],
                        new FloatKernels.TransposeBlocks(), workers);
                float[][] din = new float[c.total][c.cols];
                float[][] dw = new float[c.rows][c.cols];
                for (float[] row : din) {
                    java.util.Arrays.fill(row, 0.5f);
                }
                for (float[] row : dw) {
                    java.util.Arrays.fill(row, -0.25f);
                }
                FloatKernels.matmulBackward(din, dw, dout, in, w, c.from, c.to, new float[c.total][c.cols], workers, false);
                if (threads == 1) {
                    for (int t = c.from; t < c.to; t++) {
                        for (int o = 0; o < c.rows; o++) {
                            double expected = 0.0;
                            double scale = 0.0;
                            for (int i = 0; i < c.cols; i++) {
                                expected += (double) w[o][i] * in[t][i];
                                scale += Math.abs((double) w[o][i] * in[t][i]);
                            }
                            assertEquals(expected, out[t][o], 1e-6 * (scale + 1), c + ": out[" + t + "][" + o + "]");
                        }
                    }
                    checkBackward(c, doutD, toDouble(din), toDouble(dw), 0.5, -0.25, 1e-6);
                    out1 = out;
                    din1 = din;
                    dw1 = dw;
                } else {
                    assertBits(out1, out, c + ", f32 product on " + threads + " threads");
                    assertBits(din1, din, c + ", f32 input gradient on " + threads + " threads");
                    assertBits(dw1, dw, c + ", f32 weight gradient on " + threads + " threads");
                }
            }
        }
    }

    /**
     * Both backward products, in both precisions, are left folds too: every element of the input's
     * gradient is {@code ((din + dout[t][0] w[0][i]) + dout[t][1] w[1][i]) + ...} (rows in order)
     * and every element of the weights' gradient {@code ((dw + dout[from][o] in[from][i]) + ...)}
     * (positions in order), bit for bit, on 1, 2 and 3 threads; in single precision the input's
     * gradient is two such folds, over the two halves of the rows, added at the end, and so it is
     * in double precision for weights of {@code Kernels.HALVES_MIN_WEIGHTS} numbers or more. The sums have no order to keep for
     * the {@code Value} engine's sake, but this one is what makes any split of the outputs between
     * threads (by positions, rows or columns) give the same bits: a split that cut a sum, or
     * paired the terms differently on some threads, fails here. The shapes add rows wide enough
     * for a team to share them out by columns.
     */
    @Test
    void backwardProductsAreLeftFoldsBitForBitOnEveryTeam() {
        SplittableRandom random = new SplittableRandom(SEED + 4);
        int[][] wide = {{20, 1, 256, 96}, {9, 0, 200, 33}, {64, 0, 96, 130}, {5, 2, 1030, 7}};
        int[][] shapes = java.util.Arrays.copyOf(SHAPES, SHAPES.length + wide.length);
        System.arraycopy(wide, 0, shapes, SHAPES.length, wide.length);
        for (int[] shape : shapes) {
            Case c = new Case(shape, random);
            double[][] dout = c.gaussian(c.total, c.rows);
            double[][] din0 = c.gaussian(c.total, c.cols);
            double[][] dw0 = c.gaussian(c.rows, c.cols);
            double[][] expectedDin = copy(din0);
            double[][] expectedDw = copy(dw0);
            float[][] doutF = toFloat(dout);
            float[][] inF = toFloat(c.in);
            float[][] wF = toFloat(c.w);
            float[][] expectedDinF = toFloat(din0);
            float[][] expectedDwF = toFloat(dw0);
            // In single precision, two left folds over the two halves of the rows (see
            // FloatKernels.matmulBackward), the first from din, the second from 0, then added;
            // in double precision the same from Kernels.HALVES_MIN_WEIGHTS numbers in the
            // weights on (see Kernels.SlicedProduct), one fold over all the rows below.
            int middle = FloatKernels.middleRow(c.rows);
            int doubleMiddle = Kernels.middleRow(c.rows, c.cols);
            for (int t = c.from; t < c.to; t++) {
                for (int i = 0; i < c.cols; i++) {
                    float second = 0f;
                    double secondDouble = 0.0;
                    for (int o = 0; o < c.rows; o++) {
                        if (o < doubleMiddle) {
                            expectedDin[t][i] = expectedDin[t][i] + dout[t][o] * c.w[o][i];
                        } else {
                            secondDouble = secondDouble + dout[t][o] * c.w[o][i];
                        }
                        if (o < middle) {
                            expectedDinF[t][i] = expectedDinF[t][i] + doutF[t][o] * wF[o][i];
                        } else {
                            second = second + doutF[t][o] * wF[o][i];
                        }
                    }
                    expectedDinF[t][i] = expectedDinF[t][i] + second;
                    if (doubleMiddle < c.rows) {
                        expectedDin[t][i] = expectedDin[t][i] + secondDouble;
                    }
                }
            }
            for (int o = 0; o < c.rows; o++) {
                for (int i = 0; i < c.cols; i++) {
                    for (int t = c.from; t < c.to; t++) {
                        expectedDw[o][i] = expectedDw[o][i] + dout[t][o] * c.in[t][i];
                        expectedDwF[o][i] = expectedDwF[o][i] + doutF[t][o] * inF[t][i];
                    }
                }
            }
            for (Workers team : new Workers[] {new Workers(1), new Workers(2, 1), new Workers(3, 1)}) {
                double[][] din = copy(din0);
                double[][] dw = copy(dw0);
                Kernels.matmulBackward(din, dw, dout, c.in, c.w, c.from, c.to, team, false);
                assertBits(expectedDin, din, c + ", input gradient on " + team.threads() + " threads");
                assertBits(expectedDw, dw, c + ", weight gradient on " + team.threads() + " threads");
                float[][] dinF = toFloat(din0);
                float[][] dwF = toFloat(dw0);
                FloatKernels.matmulBackward(dinF, dwF, doutF, inF, wF, c.from, c.to, new float[c.total][c.cols], team, false);
                assertBits(expectedDinF, dinF, c + ", f32 input gradient on " + team.threads() + " threads");
                assertBits(expectedDwF, dwF, c + ", f32 weight gradient on " + team.threads() + " threads");
            }
        }
    }

    /**
     * {@code din - din0 = dout w} and {@code dw - dw0 = dout^T in} over the case's positions, to
     * within {@code relative} of the sum of the terms' magnitudes; positions outside the range untouched.
     */
    private static void checkBackward(Case c, double[][] dout, double[][] din, double[][] dw, double din0,
                                      double dw0, double relative) {
        for (int t = 0; t < c.total; t++) {
            boolean inRange = t >= c.from && t < c.to;
            for (int i = 0; i < c.cols; i++) {
                double expected = 0.0;
                double scale = 0.0;
                for (int o = 0; inRange && o < c.rows; o++) {
                    expected += dout[t][o] * c.w[o][i];
                    scale += Math.abs(dout[t][o] * c.w[o][i]);
                }
                assertEquals(din0 + expected, din[t][i], relative * (scale + 1), c + ": din[" + t + "][" + i + "]");
            }
        }
        for (int o = 0; o < c.rows; o++) {
            for (int i = 0; i < c.cols; i++) {
                double expected = 0.0;
                double scale = 0.0;
                for (int t = c.from; t < c.to; t++) {
                    expected += dout[t][o] * c.in[t][i];
                    scale += Math.abs(dout[t][o] * c.in[t][i]);
                }
                assertEquals(dw0 + expected, dw[o][i], relative * (scale + 1), c + ": dw[" + o + "][" + i + "]");
            }
        }
    }

    /** One product's operands: {@code total} positions of which {@code [from, to)} are multiplied. */
    private static final class Case {
        final int from;
        final int to;
        final int total;
        final int cols;
        final int rows;
        final double[][] in;
        final double[][] w;
        private final SplittableRandom random;

        Case(int[] shape, SplittableRandom random) {
            this.random = random;
            this.from = shape[1];
            this.to = shape[1] + shape[0];
            this.total = to + 1;
            this.cols = shape[2];
            this.rows = shape[3];
            this.in = gaussian(total, cols);
            this.w = gaussian(rows, cols);
        }

        double[][] gaussian(int count, int length) {
            double[][] a = new double[count][length];
            for (double[] row : a) {
                for (int i = 0; i < length; i++) {
                    // Values of mixed sign and magnitude, some exactly zero, as real activations have.
                    double x = random.nextDouble(-1, 1) * Math.pow(2, random.nextInt(-8, 4));
                    row[i] = random.nextInt(16) == 0 ? 0.0 : x;
                }
            }
            return a;
        }

        @Override
        public String toString() {
            return "positions [" + from + ", " + to + "), " + rows + " x " + cols + " weights";
        }
    }

    private static double[][] scratch(int cols, int rows) {
        return new double[Math.max(cols, 1)][rows];
    }

    private static double[][] filled(int count, int length, double value) {
        double[][] a = new double[count][length];
        for (double[] row : a) {
            java.util.Arrays.fill(row, value);
        }
        return a;
    }
}
