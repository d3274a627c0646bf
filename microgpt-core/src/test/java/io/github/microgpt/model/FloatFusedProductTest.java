package io.github.microgpt.model;

import static io.github.microgpt.testsupport.Bits.assertBits;
import static io.github.microgpt.testsupport.Matrices.copy;
import static io.github.microgpt.testsupport.Matrices.gaussianFloats;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.internal.FusedUpdates;
import io.github.microgpt.internal.kernels.MatrixKernels;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The core's single-precision backward product with a fused step's update inside it
 * ({@link FloatKernels#matmulBackwardAndUpdate}): on one or two threads it takes the update
 * itself, hands every row of the weights to it once with its complete gradient, from the
 * threads' scratch, and leaves the weights' gradient rows at {@code +0.0}; the input's gradient
 * is the plain product's, bit for bit.
 */
class FloatFusedProductTest {

    private static final int T = 10;
    /** Wide rows, so that a slice ({@link FloatKernels#SLICE_BYTES}) holds few of them and a half has several slices. */
    private static final int C = 1024;
    private static final int OC = 15;

    /** Records each row handed to the update, from the gradient rows or from the kernels' scratch. */
    private static final class Recorder implements FusedUpdates.Rows {
        final float[][] dw;
        final float[][] seen = new float[OC][];
        final int[] times = new int[OC];

        Recorder(float[][] dw) {
            this.dw = dw;
        }

        @Override
        public synchronized void run(int from, int to) {
            for (int r = from; r < to; r++) {
                seen[r] = dw[r].clone();
                times[r]++;
            }
        }

        @Override
        public MatrixKernels.GradientRange<float[][]> matrix(int firstRow) {
            return new MatrixKernels.GradientRange<>() {
                @Override
                public void run(int from, int to) {
                    Recorder.this.run(firstRow + from, firstRow + to);
                }

                @Override
                public void run(int from, int to, float[][] gradients) {
                    synchronized (Recorder.this) {
                        for (int r = from; r < to; r++) {
                            seen[firstRow + r] = java.util.Arrays.copyOf(gradients[r - from], C);
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
        final float[][] w;
        final int[] times;
        private final Thread caller = Thread.currentThread();
        private boolean helperWaited;

        Poisoner(float[][] w) {
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
                java.util.Arrays.fill(w[r], Float.NaN);
                times[r]++;
            }
        }

        @Override
        public MatrixKernels.GradientRange<float[][]> matrix(int firstRow) {
            return new MatrixKernels.GradientRange<>() {
                @Override
                public void run(int from, int to) {
                    Poisoner.this.run(firstRow + from, firstRow + to);
                }

                @Override
                public void run(int from, int to, float[][] gradients) {
                    Poisoner.this.run(firstRow + from, firstRow + to);
                }
            };
        }
    }

    /**
     * On two threads either thread may take units of the other's half: a slice's update must
     * wait until that half's input gradient is summed (the update writes weights it reads), and
     * the two halves' sum must wait for both. The update here writes NaN over every row it
     * updates, so an input gradient that read a row after its update comes out NaN. New teams
     * each round: a new team's helper starts late, so the caller takes its units (at 4 x 15 x 16,
     * a few numbers, sometimes before the helper has started); and a helper held up in its first
     * update (63 rows of 1024 columns: halves of 31 and 32 rows, 8 slices of 4 rows) leaves the
     * caller the rest of its half.
     */
    @Test
    void twoThreadsUpdateNoRowBeforeTheInputsGradientHasReadIt() {
        assertTwoThreadsReadEveryRowBeforeItsUpdate(10, 63, 1024);
        assertTwoThreadsReadEveryRowBeforeItsUpdate(4, 15, 16);
    }

    private static void assertTwoThreadsReadEveryRowBeforeItsUpdate(int t, int oc, int c) {
        String shape = t + " x " + oc + " x " + c;
        Random random = new Random(3);
        float[][] dout = gaussianFloats(random, t, oc);
        float[][] in = gaussianFloats(random, t, c);
        float[][] weights = gaussianFloats(random, oc, c);
        float[][] expected = gaussianFloats(random, t, c);
        float[][] start = copy(expected);
        FloatKernels.matmulBackward(expected, new float[oc][c], dout, in, weights, 0, t, new float[t][c],
                ArrayGptModel.SINGLE_THREAD, true);
        for (int round = 0; round < 20; round++) {
            float[][] w = copy(weights);
            float[][] din = copy(start);
            Poisoner update = new Poisoner(w);
            boolean fused = FloatKernels.matmulBackwardAndUpdate(din, new float[oc][c], dout, in, w, 0, t,
                    new float[t][c], new FloatKernels.SliceScratch(), new Workers(2, 1), true, update, 0);

            assertTrue(fused, shape + ", round " + round + ": the update ran inside the product");
            assertBits(expected, din, shape + ", round " + round + ": din");
            for (int r = 0; r < oc; r++) {
                assertEquals(1, update.times[r], shape + ", round " + round + ": row " + r + " updated once");
            }
        }
    }

    @Test
    void oneOrTwoThreadsUpdateEachRowOnceFromScratchInsideTheProduct() {
        for (int threads = 1; threads <= 2; threads++) {
            Random random = new Random(threads);
            float[][] din = gaussianFloats(random, T, C);
            float[][] dout = gaussianFloats(random, T, OC);
            float[][] in = gaussianFloats(random, T, C);
            float[][] w = gaussianFloats(random, OC, C);
            float[][] expectedDin = copy(din);
            float[][] expectedDw = new float[OC][C];
            FloatKernels.matmulBackward(expectedDin, expectedDw, dout, in, w, 0, T, new float[T][C],
                    new Workers(threads, 1), true);

            float[][] dw = new float[OC][C];
            Recorder update = new Recorder(dw);
            boolean fused = FloatKernels.matmulBackwardAndUpdate(din, dw, dout, in, w, 0, T, new float[T][C],
                    new FloatKernels.SliceScratch(), new Workers(threads, 1), true, update, 0);

            assertTrue(fused, threads + " threads: the update ran inside the product");
            assertBits(expectedDin, din, threads + " threads: din");
            for (int r = 0; r < OC; r++) {
                assertEquals(1, update.times[r], threads + " threads: row " + r + " updated once");
                assertBits(expectedDw[r], update.seen[r], threads + " threads: row " + r + "'s gradient");
                for (float x : dw[r]) {
                    assertEquals(0, Float.floatToRawIntBits(x), threads + " threads: dw row " + r + " left +0.0");
                }
            }
        }
    }
}
