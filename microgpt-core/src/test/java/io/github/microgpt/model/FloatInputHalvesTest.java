package io.github.microgpt.model;

import static io.github.microgpt.testsupport.Bits.assertBits;
import static io.github.microgpt.testsupport.Bits.assertRowBits;
import static io.github.microgpt.testsupport.Matrices.gaussianFloats;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The core's single-precision forward product of a wide input ({@link FloatKernels#matmulForward}
 * when the input is at least four times as wide as the output, as the MLP's second product):
 * each half of the input's columns is summed on its own, in column order from 0, and the two
 * sums are added, bit for bit, on one to three threads, and position by position (generation)
 * as for a whole document (training).
 */
class FloatInputHalvesTest {

    private static final int T = 12;
    private static final int FROM = 2;
    private static final int OC = 64;
    private static final int C = 4 * OC;

    @Test
    void aWideInputIsSummedInTwoHalvesOnOneToThreeThreads() {
        Random random = new Random(11);
        float[][] in = gaussianFloats(random, T, C);
        float[][] w = gaussianFloats(random, OC, C);
        float[][] expected = halves(in, w);
        for (int threads = 1; threads <= 3; threads++) {
            float[][] out = new float[T][OC];
            FloatKernels.matmulForward(out, in, w, FROM, T, null, new FloatKernels.TransposeBlocks(),
                    new Workers(threads, 1));
            assertRowBits(expected, out, FROM, T, threads + " threads");
        }
    }

    @Test
    void positionByPositionTheSameBitsAsAWholeDocument() {
        Random random = new Random(12);
        float[][] in = gaussianFloats(random, T, C);
        float[][] w = gaussianFloats(random, OC, C);
        float[][] expected = halves(in, w);
        float[][] out = new float[T][OC];
        for (int t = FROM; t < T; t++) {
            FloatKernels.matmulForward(out, in, w, t, t + 1, null, null, ArrayGptModel.SINGLE_THREAD);
            assertBits(expected[t], out[t], "position " + t + " alone");
        }
    }

    @Test
    void aNarrowInputIsStillOneSum() {
        // The attention's output product's shape (as wide as its output): one chain over the input.
        Random random = new Random(13);
        float[][] in = gaussianFloats(random, T, OC);
        float[][] w = gaussianFloats(random, OC, OC);
        float[][] out = new float[T][OC];
        FloatKernels.matmulForward(out, in, w, FROM, T, null, new FloatKernels.TransposeBlocks(),
                new Workers(2, 1));
        for (int t = FROM; t < T; t++) {
            for (int o = 0; o < OC; o++) {
                assertEquals(Float.floatToRawIntBits(chain(in[t], w[o], 0, OC)),
                        Float.floatToRawIntBits(out[t][o]), "position " + t + ", row " + o);
            }
        }
    }

    /** Each output as the sum of the two halves' chains, each from 0. */
    private static float[][] halves(float[][] in, float[][] w) {
        float[][] expected = new float[T][OC];
        for (int t = FROM; t < T; t++) {
            for (int o = 0; o < OC; o++) {
                expected[t][o] = chain(in[t], w[o], 0, C / 2) + chain(in[t], w[o], C / 2, C);
            }
        }
        return expected;
    }

    /** {@code 0 + w[i0] x[i0] + w[i0+1] x[i0+1] + ...}, each term rounded, added in order. */
    private static float chain(float[] x, float[] w, int i0, int i1) {
        float sum = 0f;
        for (int i = i0; i < i1; i++) {
            sum = sum + w[i] * x[i];
        }
        return sum;
    }
}
