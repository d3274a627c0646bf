package io.github.microgpt.model;

import static io.github.microgpt.testsupport.Bits.assertBits;
import static io.github.microgpt.testsupport.Matrices.copy;
import static io.github.microgpt.testsupport.Matrices.gaussian;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.internal.FusedUpdates;
import io.github.microgpt.internal.kernels.MatrixKernels;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The core's double-precision backward product with a fused step's update inside it
 * ({@link Kernels#matmulBackwardOverwriteAndUpdate}, the core's loops: {@code Kernels.SlicedProduct}):
 * on one or two threads it hands every row of the weights to the update once with its complete
 * gradient, from the threads' scratch when the gradient starts cleared, and leaves the weights'
 * gradient rows at {@code +0.0}; the input's gradient is the plain product's, bit for bit.
 */
class DoubleFusedProductTest {

    /** Records each row handed to the update, from the gradient rows or from the kernels' scratch. */
    private static final class Recorder implements FusedUpdates.Rows {
        final double[][] dw;
        final double[][] seen;
        final int[] times;

        Recorder(double[][] dw) {
            this.dw = dw;
            seen = new double[dw.length][];
            times = new int[dw.length];
        }

        @Override
        public synchronized void run(int from, int to) {
            for (int r = from; r < to; r++) {
                seen[r] = dw[r].clone();
                // As Adam does: the update leaves the gradient at +0.0.
                Arrays.fill(dw[r], 0.0);
                times[r]++;
            }
        }

        @Override
        public MatrixKernels.GradientRange<double[][]> matrix(int firstRow) {
            return new MatrixKernels.GradientRange<>() {
                @Override
                public void run(int from, int to) {
                    Recorder.this.run(firstRow + from, firstRow + to);
                }

                @Override
                public void run(int from, int to, double[][] gradients) {
                    synchronized (Recorder.this) {
                        for (int r = from; r < to; r++) {
                            seen[firstRow + r] = Arrays.copyOf(gradients[r - from], dw[0].length);
                            times[firstRow + r]++;
                        }
                    }
                }
            };
        }
    }

    /**
     * An update that writes NaN over each weight row it is handed: a sum of the input's gradient
     * that read a row after its update would be NaN.
     */
    private static final class Poisoner implements FusedUpdates.Rows {
        final double[][] w;
        final int[] times;
        private final Thread caller = Thread.currentThread();
        private boolean helperWaited;

        Poisoner(double[][] w) {
            this.w = w;
            times = new int[w.length];
        }

        @Override
        public void run(int from, int to) {
            // The helper's first update holds it for a while, so that the caller, done with its
            // own half, takes what is left of the helper's.
            if (Thread.currentThread() != caller && !helperWaited) {
                helperWaited = true;
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            poison(from, to);
        }

        private synchronized void poison(int from, int to) {
            for (int r = from; r < to; r++) {
                Arrays.fill(w[r], Double.NaN);
                times[r]++;
            }
        }

        @Override
        public MatrixKernels.GradientRange<double[][]> matrix(int firstRow) {
            return new MatrixKernels.GradientRange<>() {
                @Override
                public void run(int from, int to) {
                    Poisoner.this.run(firstRow + from, firstRow + to);
                }

                @Override
                public void run(int from, int to, double[][] gradients) {
                    Poisoner.this.run(firstRow + from, firstRow + to);
                }
            };
        }
    }

    /**
     * On two threads either thread may take slices of the other's half: a slice's update must
     * wait until every position of its half's input gradient is summed (the update writes weights
     * that sum reads). The update here writes NaN over every row it updates, so an input gradient
     * that read a row after its update comes out NaN. New teams each round: a new team's helper
     * starts late, so the caller takes its slices, and sums them before the helper has summed its
     * half's input gradient; and a helper held up in its first update leaves the caller the rest
     * of its half. Shapes: two halves of wide rows (63 rows of 1024 columns: 31 and 32 rows,
     * slices of 2 rows), two halves of narrower ones (40 of 128: slices of 16 rows), and weights
     * too small to be cut (one left fold over 15 rows of 16, one slice).
     */
    @Test
    void twoThreadsUpdateNoRowBeforeTheInputsGradientHasReadIt() {
        assertTwoThreadsReadEveryRowBeforeItsUpdate(10, 63, 1024, true);
        assertTwoThreadsReadEveryRowBeforeItsUpdate(10, 63, 1024, false);
        assertTwoThreadsReadEveryRowBeforeItsUpdate(7, 40, 128, true);
        assertTwoThreadsReadEveryRowBeforeItsUpdate(4, 15, 16, true);
    }

    private static void assertTwoThreadsReadEveryRowBeforeItsUpdate(int t, int oc, int c, boolean cleared) {
        String shape = t + " x " + oc + " x " + c + (cleared ? "" : ", gradient not cleared");
        Random random = new Random(3);
        double[][] dout = gaussian(random, t, oc);
        double[][] in = gaussian(random, t, c);
        double[][] weights = gaussian(random, oc, c);
        double[][] expected = new double[t][c];
        Kernels.matmulBackwardOverwrite(expected, new double[oc][c], dout, in, weights, 0, t,
                ArrayGptModel.SINGLE_THREAD, true);
        for (int round = 0; round < 20; round++) {
            double[][] w = copy(weights);
            double[][] din = gaussian(random, t, c);
            Poisoner update = new Poisoner(w);
            boolean fused = Kernels.matmulBackwardOverwriteAndUpdate(din, new double[oc][c], dout, in, w, 0, t,
                    new Workers(2, 1), cleared, update, 0);

            assertTrue(fused, shape + ", round " + round + ": the update ran inside the product");
            assertBits(expected, din, shape + ", round " + round + ": din");
            for (int r = 0; r < oc; r++) {
                assertEquals(1, update.times[r], shape + ", round " + round + ": row " + r + " updated once");
            }
        }
    }

    /**
     * On one and two threads, with the gradient cleared (summed in the threads' scratch)
     * and not (summed into the gradient's rows, which the update then reads), every row is handed
     * to the update once with the plain product's gradient, bit for bit, and the input's gradient
     * is the plain product's; rows handed from scratch leave the gradient's rows at {@code +0.0}.
     */
    @Test
    void everyRowIsUpdatedOnceWithItsCompleteGradientOnAnyTeam() {
        int[][] shapes = {{10, 15, 1024}, {9, 64, 256}, {5, 27, 256}, {3, 7, 16}};
        for (int[] shape : shapes) {
            int t = shape[0];
            int oc = shape[1];
            int c = shape[2];
            for (int threads = 1; threads <= 2; threads++) {
                for (boolean cleared : new boolean[] {true, false}) {
                    String what = t + " x " + oc + " x " + c + " on " + threads + " threads"
                            + (cleared ? "" : ", gradient not cleared");
                    Random random = new Random(threads);
                    double[][] dout = gaussian(random, t, oc);
                    double[][] in = gaussian(random, t, c);
                    double[][] w = gaussian(random, oc, c);
                    double[][] dw0 = cleared ? new double[oc][c] : gaussian(random, oc, c);
                    double[][] expectedDin = new double[t][c];
                    double[][] expectedDw = copy(dw0);
                    Kernels.matmulBackwardOverwrite(expectedDin, expectedDw, dout, in, w, 0, t,
                            ArrayGptModel.SINGLE_THREAD, cleared);

                    double[][] din = gaussian(random, t, c);
                    double[][] dw = copy(dw0);
                    Recorder update = new Recorder(dw);
                    boolean fused = Kernels.matmulBackwardOverwriteAndUpdate(din, dw, dout, in, w, 0, t,
                            new Workers(threads, 1), cleared, update, 0);

                    assertTrue(fused, what + ": the update ran inside the product");
                    assertBits(expectedDin, din, what + ": din");
                    for (int r = 0; r < oc; r++) {
                        assertEquals(1, update.times[r], what + ": row " + r + " updated once");
                        assertBits(expectedDw[r], update.seen[r], what + ": row " + r + "'s gradient");
                        for (double x : dw[r]) {
                            assertEquals(0L, Double.doubleToRawLongBits(x), what + ": dw row " + r + " left +0.0");
                        }
                    }
                }
            }
        }
    }

    /** On more threads the product leaves the update to the caller, having written nothing. */
    @Test
    void threeThreadsLeaveTheUpdateToTheCaller() {
        Random random = new Random(5);
        double[][] dout = gaussian(random, 9, 64);
        double[][] in = gaussian(random, 9, 256);
        double[][] w = gaussian(random, 64, 256);
        double[][] din = gaussian(random, 9, 256);
        double[][] start = copy(din);
        double[][] dw = new double[64][256];
        Recorder update = new Recorder(dw);

        boolean fused = Kernels.matmulBackwardOverwriteAndUpdate(din, dw, dout, in, w, 0, 9, new Workers(3, 1), true,
                update, 0);

        assertEquals(false, fused, "three threads: the caller updates");
        assertBits(start, din, "din, untouched");
        for (int r = 0; r < 64; r++) {
            assertEquals(0, update.times[r], "row " + r + " not updated");
        }
    }
}
