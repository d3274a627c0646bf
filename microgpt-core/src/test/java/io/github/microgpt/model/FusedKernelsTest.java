package io.github.microgpt.model;

import static io.github.microgpt.testsupport.Bits.assertBits;
import static io.github.microgpt.testsupport.Matrices.copy;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The array engine's fused element-wise kernels (one pass where there were two) and its
 * reordered ones (the pow and log calls of a range grouped together) against the operations
 * they replace, written out here as they were, bit for bit: {@code Kernels.residualRmsnormForward}
 * and {@code embeddingRmsnormForward} against the residual sum (or the embedding) followed by
 * RMSNorm; {@code rmsnormForward} against its row-by-row form with {@code Math.pow(C, -1)};
 * {@code reluGradient} and {@code crossEntropyGradient}, which overwrite, against zeroing and then
 * adding (the {@code +=} forms they replaced) ({@code 0.0 + -0.0} is {@code +0.0}: the inputs hold exact zeros of both signs, so an
 * assignment without the {@code 0.0 +} shows); {@code crossEntropyForward} against a copy, the
 * softmax and the log position by position. Widths from 1 to 1025 (past the table of
 * {@code C^-1}), ranges that start at 0 or later, of one position or many, a row of zeros.
 */
class FusedKernelsTest {

    private static final int T = 17;
    private static final int[] WIDTHS = {1, 2, 3, 4, 5, 15, 16, 17, 27, 64, 1024, 1025};
    private static final int[][] RANGES = {{0, 1}, {0, 7}, {0, T}, {3, 9}, {16, 17}, {5, 5}};

    /** Numbers in (-2, 2), a fifth of them exact zeros of either sign; row 2 all zeros. */
    private static double[][] random(SplittableRandom r, int rows, int cols) {
        double[][] a = new double[rows][cols];
        for (int t = 0; t < rows; t++) {
            for (int i = 0; i < cols; i++) {
                int kind = r.nextInt(10);
                a[t][i] = t == 2 ? 0.0 : kind == 0 ? 0.0 : kind == 1 ? -0.0 : r.nextDouble(-2, 2);
            }
        }
        return a;
    }

    /** {@code out[t] = wte[tokens[t]] + wpe[t]}, as {@code Kernels.embeddingForward} computed it before the fusion. */
    private static void referenceEmbedding(double[][] out, int[] tokens, double[][] wte, double[][] wpe, int from,
                                           int to) {
        for (int t = from; t < to; t++) {
            for (int i = 0; i < out[t].length; i++) {
                out[t][i] = wte[tokens[t]][i] + wpe[t][i];
            }
        }
    }

    /** RMSNorm of rows {@code [from, to)} as {@code Kernels.rmsnormForward} computed it before. */
    private static void referenceRmsnorm(double[][] out, double[] scale, double[][] x, int from, int to) {
        for (int t = from; t < to; t++) {
            double inverseWidth = Math.pow(x[t].length, -1);
            double sumSq = 0.0;
            for (int i = 0; i < x[t].length; i++) {
                sumSq += x[t][i] * x[t][i];
            }
            double s = Math.pow(sumSq * inverseWidth + Kernels.RMS_EPS, -0.5);
            for (int i = 0; i < x[t].length; i++) {
                out[t][i] = x[t][i] * s;
            }
            scale[t] = s;
        }
    }

    @Test
    void rmsnormAndItsFusionsAreTheSeparateOperations() {
        SplittableRandom r = new SplittableRandom(11);
        for (int c : WIDTHS) {
            for (int[] range : RANGES) {
                int from = range[0];
                int to = range[1];
                String where = "width " + c + ", positions [" + from + ", " + to + ")";
                double[][] a = random(r, T, c);
                double[][] b = random(r, T, c);

                double[][] out = random(r, T, c);
                double[][] expectedOut = copy(out);
                double[] scale = new double[T];
                double[] expectedScale = new double[T];
                Kernels.rmsnormForward(out, scale, a, from, to);
                referenceRmsnorm(expectedOut, expectedScale, a, from, to);
                assertBits(expectedOut, out, where + ": rmsnorm");
                assertBits(expectedScale, scale, where + ": rmsnorm scale");

                double[][] sum = random(r, T, c);
                double[][] expectedSum = copy(sum);
                out = random(r, T, c);
                expectedOut = copy(out);
                Kernels.residualRmsnormForward(sum, out, scale, a, b, from, to);
                Kernels.residualForward(expectedSum, a, b, from, to);
                referenceRmsnorm(expectedOut, expectedScale, expectedSum, from, to);
                assertBits(expectedSum, sum, where + ": residual");
                assertBits(expectedOut, out, where + ": residual's rmsnorm");
                assertBits(expectedScale, scale, where + ": residual's scale");

                int vocab = 5;
                double[][] wte = random(r, vocab, c);
                int[] tokens = r.ints(T + 1, 0, vocab).toArray();
                double[][] encoded = random(r, T, c);
                double[][] expectedEncoded = copy(encoded);
                out = random(r, T, c);
                expectedOut = copy(out);
                Kernels.embeddingRmsnormForward(encoded, out, scale, tokens, wte, b, from, to);
                referenceEmbedding(expectedEncoded, tokens, wte, b, from, to);
                referenceRmsnorm(expectedOut, expectedScale, expectedEncoded, from, to);
                assertBits(expectedEncoded, encoded, where + ": embedding");
                assertBits(expectedOut, out, where + ": embedding's rmsnorm");
                assertBits(expectedScale, scale, where + ": embedding's scale");
            }
        }
    }

    @Test
    void theOverwritingGradientsAreZeroingThenAdding() {
        SplittableRandom r = new SplittableRandom(12);
        for (int c : WIDTHS) {
            for (int[] range : RANGES) {
                int from = range[0];
                int to = range[1];
                String where = "width " + c + ", positions [" + from + ", " + to + ")";
                double[][] in = random(r, T, c);
                double[][] dout = random(r, T, c);
                double[][] din = random(r, T, c);
                double[][] expected = copy(din);
                Kernels.reluGradient(din, dout, in, from, to);
                for (int t = from; t < to; t++) {
                    for (int i = 0; i < c; i++) {
                        expected[t][i] = 0.0;
                        expected[t][i] += in[t][i] > 0 ? dout[t][i] : 0.0;
                    }
                }
                assertBits(expected, din, where + ": relu");

                double[][] probs = random(r, T, c);
                int[] tokens = r.ints(T + 1, 0, c).toArray();
                double[][] dlogits = random(r, T, c);
                expected = copy(dlogits);
                int n = 1 + r.nextInt(T);
                Kernels.crossEntropyGradient(dlogits, probs, tokens, from, to, n);
                for (int t = from; t < to; t++) {
                    for (int i = 0; i < c; i++) {
                        expected[t][i] = 0.0;
                        expected[t][i] += (i == tokens[t + 1] ? probs[t][i] - 1.0 : probs[t][i]) * (1.0 / n);
                    }
                }
                assertBits(expected, dlogits, where + ": cross-entropy");
            }
        }
    }

    @Test
    void crossEntropyIsTheSoftmaxAndLogOfEachPosition() {
        SplittableRandom r = new SplittableRandom(13);
        for (int v : WIDTHS) {
            for (int[] range : RANGES) {
                int from = range[0];
                int to = range[1];
                String where = "vocabulary " + v + ", positions [" + from + ", " + to + ")";
                double[][] logits = random(r, T, v);
                for (double[] row : logits) {
                    for (int i = 0; i < v; i++) {
                        row[i] *= 8;
                    }
                }
                int[] tokens = r.ints(T + 1, 0, v).toArray();
                double[][] probs = random(r, T, v);
                double[][] expected = copy(probs);
                double[] losses = new double[T];
                double[] expectedLosses = new double[T];
                Kernels.crossEntropyForward(probs, losses, logits, tokens, from, to);
                for (int t = from; t < to; t++) {
                    System.arraycopy(logits[t], 0, expected[t], 0, v);
                    Softmax.inPlace(expected[t], 0, v);
                    expectedLosses[t] = Math.log(expected[t][tokens[t + 1]]) * -1.0;
                }
                assertBits(expected, probs, where + ": probabilities");
                assertBits(expectedLosses, losses, where + ": losses");
            }
        }
    }

    /**
     * ReLU forward and backward keep or clear bits instead of branching on the input's sign: they
     * must give the branch's bits on every kind of double, {@code -0.0}, NaNs of both signs and
     * payloads, the infinities, the subnormals and the extremes included, at both ends of the mask's
     * range ({@code +Infinity} and the NaN just past it, {@code Double.MIN_VALUE} and {@code +0.0}).
     */
    @Test
    void reluGivesTheBitsOfTheBranchOnEveryKindOfDouble() {
        double[] special = {0.0, -0.0, Double.MIN_VALUE, -Double.MIN_VALUE, Double.MIN_NORMAL, -Double.MIN_NORMAL,
            Double.MAX_VALUE, -Double.MAX_VALUE, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NaN,
            Double.longBitsToDouble(0x7FF0_0000_0000_0001L), Double.longBitsToDouble(0x7FFF_FFFF_FFFF_FFFFL),
            Double.longBitsToDouble(0xFFF8_0000_0000_0000L), Double.longBitsToDouble(0xFFFF_FFFF_FFFF_FFFFL),
            Double.longBitsToDouble(0x8000_0000_0000_0001L), 1.0, -1.0, 1e-300, -1e-300};
        SplittableRandom r = new SplittableRandom(13);
        int c = special.length;
        double[][] in = new double[special.length][c];
        double[][] dout = new double[special.length][c];
        for (int t = 0; t < special.length; t++) {
            for (int i = 0; i < c; i++) {
                // Every input meets every gradient value, -0.0 and NaN among them.
                in[t][i] = special[(t + i) % special.length];
                dout[t][i] = special[i];
            }
        }
        double[][] out = random(r, special.length, c);
        double[][] din = random(r, special.length, c);
        Kernels.reluForward(out, in, 0, special.length);
        Kernels.reluGradient(din, dout, in, 0, special.length);
        double[][] expectedOut = new double[special.length][c];
        double[][] expectedDin = new double[special.length][c];
        for (int t = 0; t < special.length; t++) {
            for (int i = 0; i < c; i++) {
                expectedOut[t][i] = in[t][i] > 0 ? in[t][i] : 0.0;
                expectedDin[t][i] = 0.0;
                expectedDin[t][i] += in[t][i] > 0 ? dout[t][i] : 0.0;
            }
        }
        assertBits(expectedOut, out, "relu forward");
        assertBits(expectedDin, din, "relu gradient");
    }
}
