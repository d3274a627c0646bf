package io.github.microgpt.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link FloatKernels#reluGradient}, which picks the gradient by the bits of the input instead of
 * a branch: bit for bit {@code 0f + (x > 0f ? dy : 0f)} (zeroing, then adding) on every kind of
 * float the input can be (zeros of both signs, the smallest subnormals, infinities, NaNs of both
 * signs, ordinary numbers) and gradients that include {@code -0f}, over whatever {@code din} held,
 * and only on the positions asked for. Also {@link FloatKernels#reluInPlace}, whose output the
 * single-precision engine keeps as the gradient's input in place of the ReLU's input (one array
 * for both): the gradient must be the same bits from either.
 */
class FloatReluGradientTest {

    /** Every kind of float an input can be, at the start of each row (shifted by the position). */
    private static final float[] SPECIAL = {0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL,
        Float.MAX_VALUE, -Float.MAX_VALUE, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN,
        Float.intBitsToFloat(0xffc00000), Float.intBitsToFloat(0x7f800001), 1f, -1f};

    /** The rows' width: the special floats, then random ones. */
    private static final int WIDTH = SPECIAL.length + 20;

    private static final int POSITIONS = 5;

    /**
     * Fills {@code in} with the special floats and Gaussians, {@code dout} with Gaussians and
     * {@code -0f} every 7th number, and {@code din}, unless null, with Gaussians: drawn number by
     * number in that order.
     */
    private static void fill(SplittableRandom random, float[][] in, float[][] dout, float[][] din) {
        for (int t = 0; t < POSITIONS; t++) {
            for (int i = 0; i < WIDTH; i++) {
                in[t][i] = i < SPECIAL.length ? SPECIAL[(i + t) % SPECIAL.length] : (float) random.nextGaussian();
                dout[t][i] = (i + t) % 7 == 0 ? -0f : (float) random.nextGaussian();
                if (din != null) {
                    din[t][i] = (float) random.nextGaussian();
                }
            }
        }
    }

    @Test
    void theGradientPassesExactlyWhereTheInputWasPositive() {
        int width = WIDTH;
        int positions = POSITIONS;
        float[][] in = new float[positions][width];
        float[][] dout = new float[positions][width];
        float[][] din = new float[positions][width];
        fill(new SplittableRandom(3), in, dout, din);
        float[][] before = new float[positions][];
        for (int t = 0; t < positions; t++) {
            before[t] = din[t].clone();
        }
        FloatKernels.reluGradient(din, dout, in, 1, 4);
        for (int t = 0; t < positions; t++) {
            for (int i = 0; i < width; i++) {
                float expected = t >= 1 && t < 4 ? 0f + (in[t][i] > 0f ? dout[t][i] : 0f) : before[t][i];
                assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(din[t][i]),
                        "position " + t + ", input " + in[t][i] + ", gradient " + dout[t][i]);
            }
        }
    }

    @Test
    void theReluInPlaceKeepsWhatTheGradientNeedsOfItsInput() {
        int width = WIDTH;
        int positions = POSITIONS;
        float[][] in = new float[positions][width];
        float[][] dout = new float[positions][width];
        fill(new SplittableRandom(5), in, dout, null);
        float[][] active = new float[positions][];
        for (int t = 0; t < positions; t++) {
            active[t] = in[t].clone();
        }
        FloatKernels.reluInPlace(active, 1, 4);
        for (int t = 0; t < positions; t++) {
            for (int i = 0; i < width; i++) {
                float expected = t >= 1 && t < 4 ? Math.max(in[t][i], 0f) : in[t][i];
                assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(active[t][i]),
                        "ReLU, position " + t + ", input " + in[t][i]);
            }
        }
        float[][] fromInput = new float[positions][width];
        float[][] fromOutput = new float[positions][width];
        FloatKernels.reluGradient(fromInput, dout, in, 1, 4);
        FloatKernels.reluGradient(fromOutput, dout, active, 1, 4);
        for (int t = 1; t < 4; t++) {
            for (int i = 0; i < width; i++) {
                assertEquals(Float.floatToRawIntBits(fromInput[t][i]), Float.floatToRawIntBits(fromOutput[t][i]),
                        "gradient, position " + t + ", input " + in[t][i] + ", gradient " + dout[t][i]);
            }
        }
    }
}
