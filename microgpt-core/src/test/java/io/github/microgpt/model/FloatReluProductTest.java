package io.github.microgpt.model;

import static io.github.microgpt.testsupport.Bits.assertRowBits;
import static io.github.microgpt.testsupport.Matrices.gaussianFloats;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The core's single-precision product with the ReLU of its outputs inside it
 * ({@link FloatKernels#matmulForwardRelu}, the MLP's first product): the bits of
 * {@link FloatKernels#matmulForward} followed by {@link FloatKernels#reluInPlace}, on one to
 * three threads, whether the rows are shared out (each thread's part summed apart and its ReLU
 * taken on the copy out) or the positions (each thread's ReLU in the last block's pass); and
 * nothing computed where it declines (a few positions, an input summed in halves).
 */
class FloatReluProductTest {

    private static final int T = 12;
    private static final int FROM = 2;

    @Test
    void sharedByRowsTheProductThenItsRelu() {
        // 1024 rows of 40 columns: the transposed weights come in blocks of 30 columns, so the
        // ReLU must wait for the second block; on two or three threads each takes a part of the rows.
        sameBitsAsProductThenRelu(1024, 40, 21);
    }

    @Test
    void sharedByPositionsTheProductThenItsRelu() {
        // 60 rows of 600 columns: narrow for the input's width, shared by positions on two or
        // three threads (see Kernels.forwardByPositions), the weights in two blocks of columns.
        sameBitsAsProductThenRelu(60, 600, 22);
    }

    @Test
    void declinedWhereTheProductTakesAnotherWay() {
        Random random = new Random(23);
        float[][] in = gaussianFloats(random, T, 256);
        float[][] w = gaussianFloats(random, 64, 256);
        float[][] out = new float[T][64];
        // An input four times as wide as the output is summed in halves: declined.
        assertFalse(FloatKernels.matmulForwardRelu(out, in, w, FROM, T, null, new FloatKernels.TransposeBlocks(),
                new Workers(2, 1)));
        // Fewer positions than the transposed product needs: declined.
        float[][] narrow = gaussianFloats(random, 64, 64);
        assertFalse(FloatKernels.matmulForwardRelu(out, gaussianFloats(random, T, 64), narrow, FROM,
                FROM + FloatKernels.MIN_POSITIONS_FOR_TRANSPOSE - 1, null, new FloatKernels.TransposeBlocks(),
                new Workers(2, 1)));
        for (float[] row : out) {
            for (float y : row) {
                assertEquals(0, Float.floatToRawIntBits(y), "nothing written");
            }
        }
    }

    private static void sameBitsAsProductThenRelu(int rows, int cols, long seed) {
        Random random = new Random(seed);
        float[][] in = gaussianFloats(random, T, cols);
        float[][] w = gaussianFloats(random, rows, cols);
        // A NaN weight makes its row's outputs NaN, which the ReLU keeps (Math.max): a ReLU
        // written as y > 0 ? y : 0 would turn them into zeros.
        w[rows / 3][cols / 2] = Float.NaN;
        float[][] expected = new float[T][rows];
        FloatKernels.matmulForward(expected, in, w, FROM, T, null, new FloatKernels.TransposeBlocks(),
                ArrayGptModel.SINGLE_THREAD);
        FloatKernels.reluInPlace(expected, FROM, T);
        for (int threads = 1; threads <= 3; threads++) {
            float[][] out = new float[T][rows];
            assertTrue(FloatKernels.matmulForwardRelu(out, in, w, FROM, T, null, new FloatKernels.TransposeBlocks(),
                    new Workers(threads, 1)));
            assertRowBits(expected, out, FROM, T, threads + " threads: out");
        }
    }
}
