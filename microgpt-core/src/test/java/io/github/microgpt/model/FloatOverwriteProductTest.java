package io.github.microgpt.model;

import static io.github.microgpt.testsupport.Bits.assertRowBits;
import static io.github.microgpt.testsupport.Matrices.copy;
import static io.github.microgpt.testsupport.Matrices.gaussianFloats;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.internal.RangeTask;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The core's single-precision backward products with the input's gradient overwritten
 * ({@link FloatKernels#matmulBackward(float[][], float[][], float[][], float[][], float[][], int,
 * int, float[][], Workers, boolean, boolean)} and its fused twin): whatever {@code din} held
 * before, its rows {@code [from, to)} come out as the plain product's sums added to zeros, bit
 * for bit, on any number of threads, and the rows outside stay as they were. The rows start as
 * NaN here, which a sum that added to them instead of starting from 0 would keep.
 */
class FloatOverwriteProductTest {

    private static final int T = 12;
    private static final int C = 256;
    private static final int OC = 40;
    private static final int FROM = 2;

    @Test
    void theProductWritesTheInputsGradientOnOneToThreeThreads() {
        Random random = new Random(5);
        float[][] dout = gaussianFloats(random, T, OC);
        float[][] in = gaussianFloats(random, T, C);
        float[][] w = gaussianFloats(random, OC, C);
        float[][] expected = new float[T][C];
        FloatKernels.matmulBackward(expected, new float[OC][C], dout, in, w, FROM, T, new float[T][C],
                ArrayGptModel.SINGLE_THREAD, true);
        for (int threads = 1; threads <= 3; threads++) {
            float[][] din = nans(T, C);
            FloatKernels.matmulBackward(din, new float[OC][C], dout, in, w, FROM, T, new float[T][C],
                    new Workers(threads, 1), true, true);
            assertRows(expected, din, threads + " threads, plain");

            din = nans(T, C);
            int[] updated = new int[1];
            RangeTask update = (r0, r1) -> {
                synchronized (updated) {
                    updated[0] += r1 - r0;
                }
            };
            boolean fused = FloatKernels.matmulBackwardAndUpdate(din, new float[OC][C], dout, in, copy(w), FROM, T,
                    new float[T][C], new FloatKernels.SliceScratch(), new Workers(threads, 1), true, update, 0,
                    true);
            if (fused) {
                assertTrue(updated[0] == OC, threads + " threads: every row updated once, got " + updated[0]);
            } else {
                // More than two threads: the caller runs the plain product, then the update.
                FloatKernels.matmulBackward(din, new float[OC][C], dout, in, w, FROM, T, new float[T][C],
                        new Workers(threads, 1), true, true);
            }
            assertRows(expected, din, threads + " threads, fused " + fused);
        }
    }

    private static void assertRows(float[][] expected, float[][] din, String what) {
        for (int t = 0; t < FROM; t++) {
            for (float x : din[t]) {
                assertTrue(Float.isNaN(x), what + ": row " + t + ", before from, left as it was");
            }
        }
        assertRowBits(expected, din, FROM, T, what);
    }

    private static float[][] nans(int rows, int cols) {
        float[][] m = new float[rows][cols];
        for (float[] row : m) {
            Arrays.fill(row, Float.NaN);
        }
        return m;
    }
}
