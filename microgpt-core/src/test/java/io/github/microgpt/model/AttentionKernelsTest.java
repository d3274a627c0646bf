package io.github.microgpt.model;

import static io.github.microgpt.testsupport.Bits.assertBits;
import static io.github.microgpt.testsupport.Bits.assertRowBits;
import static io.github.microgpt.testsupport.Matrices.copy;
import static io.github.microgpt.testsupport.Matrices.toFloat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The general attention loops of {@link Kernels} and {@link FloatKernels} against a plain
 * reference, bit for bit, on 1, 2 and 3 threads, and on a team with more threads than heads.
 * The reference adds one term at a time: a logit {@code z_s} is the channels' products summed in channel order from 0, a head's output the
 * positions' weighted values summed in position order from 0, the gradient of a query the
 * positions' terms in position order, and the gradients of a key or a value the terms of the
 * positions that attend to it from the last position down. The kernels pass over several
 * channels or positions at once for speed, and split the heads between threads; either may
 * change the speed but not one bit, which is what this test checks. A thread takes a single head
 * at a time once its own group is done, from whichever thread has most left, so a head may be
 * computed by any thread, in any order: on the team with more threads than heads every head is
 * a chunk of its own. Head sizes of 5 and 6 leave
 * channels and positions over from the blocks of four; ranges that do not start at 0 continue a
 * key cache, as generation does.
 */
class AttentionKernelsTest {

    private static final int T = 19;

    /** {nHead, head size}. */
    private static final int[][] HEADS = {{1, 5}, {2, 8}, {3, 6}, {8, 4 * 2}, {4, 32}};

    /** {from, to}. */
    private static final int[][] RANGES = {{0, 1}, {0, 7}, {0, T}, {3, 9}, {18, 19}};

    @Test
    void doublesAreThePlainSumsOnEveryTeam() {
        SplittableRandom random = new SplittableRandom(20261203L);
        for (int[] heads : HEADS) {
            int nHead = heads[0];
            int hd = heads[1];
            int c = nHead * hd;
            double scale = Math.pow(Math.pow(hd, 0.5), -1);
            for (int[] range : RANGES) {
                int from = range[0];
                int to = range[1];
                String where = nHead + " heads of " + hd + ", positions [" + from + ", " + to + ")";
                double[][] qkv = activations(random, T, 3 * c);
                double[][] dout = activations(random, T, c);
                double[][] dqkv0 = activations(random, T, 3 * c);
                double[][] out = new double[T][c];
                double[][][] weights = new double[T][nHead][T];
                double[][] keysT = new double[c][T];
                double[][] dqkv = copy(dqkv0);
                referenceForward(out, weights, qkv, keysT, nHead, scale, 0, from);
                referenceForward(out, weights, qkv, keysT, nHead, scale, from, to);
                referenceBackward(dqkv, dout, qkv, weights, nHead, scale, from, to);
                for (int threads : teamSizes(nHead)) {
                    Workers team = new Workers(threads, 1);
                    double[][] out2 = new double[T][c];
                    double[][][] weights2 = new double[T][nHead][T];
                    double[][] keysT2 = new double[c][T];
                    if (from > 0) {
                        Kernels.attentionForwardByHeads(out2, weights2, qkv, keysT2, nHead, scale, 0, from, team,
                                new Kernels.AttentionRows());
                    }
                    Kernels.attentionForwardByHeads(out2, weights2, qkv, keysT2, nHead, scale, from, to, team,
                            new Kernels.AttentionRows());
                    String on = where + " on " + threads + " threads";
                    assertRowBits(out, out2, from, to, on + ": outputs");
                    assertBits(keysT, keysT2, on + ": keys");
                    for (int t = from; t < to; t++) {
                        assertBits(weights[t], weights2[t], on + ": weights of position " + t);
                    }
                    double[][] dqkv2 = copy(dqkv0);
                    Kernels.attentionBackwardByHeads(dqkv2, dout, qkv, weights2, new double[c][T], nHead, scale,
                            from, to, team, new Kernels.AttentionRows());
                    assertBits(dqkv, dqkv2, on + ": gradients");
                }
            }
        }
    }

    @Test
    void floatsAreThePlainSumsOnEveryTeam() {
        SplittableRandom random = new SplittableRandom(20261204L);
        for (int[] heads : HEADS) {
            int nHead = heads[0];
            int hd = heads[1];
            int c = nHead * hd;
            float scale = (float) Math.pow(Math.pow(hd, 0.5), -1);
            for (int[] range : RANGES) {
                int from = range[0];
                int to = range[1];
                String where = "f32, " + nHead + " heads of " + hd + ", positions [" + from + ", " + to + ")";
                float[][] qkv = toFloat(activations(random, T, 3 * c));
                float[][] dout = toFloat(activations(random, T, c));
                float[][] dqkv0 = toFloat(activations(random, T, 3 * c));
                float[][] out = new float[T][c];
                float[][][] weights = new float[T][nHead][T];
                float[][] keysT = new float[c][T];
                float[][] dqkv = copy(dqkv0);
                referenceForward(out, weights, qkv, keysT, nHead, scale, 0, from);
                referenceForward(out, weights, qkv, keysT, nHead, scale, from, to);
                referenceBackward(dqkv, dout, qkv, weights, nHead, scale, from, to);
                for (int threads : teamSizes(nHead)) {
                    Workers team = new Workers(threads, 1);
                    float[][] out2 = new float[T][c];
                    float[][][] weights2 = new float[T][nHead][T];
                    float[][] keysT2 = new float[c][T];
                    if (from > 0) {
                        FloatKernels.attentionForward(out2, weights2, qkv, keysT2, nHead, scale, 0, from, team,
                                new FloatKernels.AttentionRows());
                    }
                    FloatKernels.attentionForward(out2, weights2, qkv, keysT2, nHead, scale, from, to, team,
                            new FloatKernels.AttentionRows());
                    String on = where + " on " + threads + " threads";
                    assertRowBits(out, out2, from, to, on + ": outputs");
                    assertBits(keysT, keysT2, on + ": keys");
                    for (int t = from; t < to; t++) {
                        assertBits(weights[t], weights2[t], on + ": weights of position " + t);
                    }
                    float[][] dqkv2 = copy(dqkv0);
                    FloatKernels.attentionBackward(dqkv2, dout, qkv, weights2, new float[c][T],
                            new float[3 * nHead][Math.max(T + hd, T * hd)], nHead, scale, from, to, team,
                            new FloatKernels.AttentionRows());
                    assertBits(dqkv, dqkv2, on + ": gradients");
                }
            }
        }
    }

    /** 1, 2 and 3 threads, and one more thread than heads (each head then a part of its own). */
    private static int[] teamSizes(int nHead) {
        return new int[] {1, 2, 3, nHead + 1};
    }

    /** Attention forward, one term at a time: the definition the kernels keep. */
    static void referenceForward(double[][] out, double[][][] weights, double[][] qkv, double[][] keysT,
                                 int nHead, double scale, int from, int to) {
        int c = out[0].length;
        int hd = c / nHead;
        for (int t = from; t < to; t++) {
            for (int i = 0; i < c; i++) {
                keysT[i][t] = qkv[t][c + i];
            }
        }
        for (int t = from; t < to; t++) {
            for (int h = 0; h < nHead; h++) {
                double[] a = weights[t][h];
                for (int s = 0; s <= t; s++) {
                    double z = 0.0;
                    for (int j = 0; j < hd; j++) {
                        z = z + qkv[t][h * hd + j] * qkv[s][c + h * hd + j];
                    }
                    a[s] = z * scale;
                }
                Softmax.inPlace(a, 0, t + 1);
                for (int j = 0; j < hd; j++) {
                    double y = 0.0;
                    for (int s = 0; s <= t; s++) {
                        y = y + a[s] * qkv[s][2 * c + h * hd + j];
                    }
                    out[t][h * hd + j] = y;
                }
            }
        }
    }

    /** Attention backward, one term at a time, from the last position down. */
    static void referenceBackward(double[][] dqkv, double[][] dout, double[][] qkv, double[][][] weights,
                                  int nHead, double scale, int from, int to) {
        int c = dout[0].length;
        int hd = c / nHead;
        for (int t = to - 1; t >= from; t--) {
            for (int h = 0; h < nHead; h++) {
                int qs = h * hd;
                double[] a = weights[t][h];
                double[] da = new double[t + 1];
                double weighted = 0.0;
                for (int s = 0; s <= t; s++) {
                    for (int j = 0; j < hd; j++) {
                        da[s] = da[s] + dout[t][qs + j] * qkv[s][2 * c + qs + j];
                    }
                    weighted += a[s] * da[s];
                }
                for (int s = 0; s <= t; s++) {
                    double dz = a[s] * (da[s] - weighted) * scale;
                    for (int j = 0; j < hd; j++) {
                        dqkv[t][qs + j] += dz * qkv[s][c + qs + j];
                        dqkv[s][c + qs + j] += dz * qkv[t][qs + j];
                        dqkv[s][2 * c + qs + j] += a[s] * dout[t][qs + j];
                    }
                }
            }
        }
    }

    /** {@link #referenceForward} in floats: each query channel scaled before its product. */
    private static void referenceForward(float[][] out, float[][][] weights, float[][] qkv, float[][] keysT,
                                         int nHead, float scale, int from, int to) {
        int c = out[0].length;
        int hd = c / nHead;
        for (int t = from; t < to; t++) {
            for (int i = 0; i < c; i++) {
                keysT[i][t] = qkv[t][c + i];
            }
        }
        for (int t = from; t < to; t++) {
            for (int h = 0; h < nHead; h++) {
                float[] a = weights[t][h];
                for (int s = 0; s <= t; s++) {
                    float z = 0f;
                    for (int j = 0; j < hd; j++) {
                        z = z + qkv[t][h * hd + j] * scale * qkv[s][c + h * hd + j];
                    }
                    a[s] = z;
                }
                FloatKernels.softmaxInPlace(a, t + 1);
                for (int j = 0; j < hd; j++) {
                    float y = 0f;
                    for (int s = 0; s <= t; s++) {
                        y = y + a[s] * qkv[s][2 * c + h * hd + j];
                    }
                    out[t][h * hd + j] = y;
                }
            }
        }
    }

    /** {@link #referenceBackward} in floats. */
    private static void referenceBackward(float[][] dqkv, float[][] dout, float[][] qkv, float[][][] weights,
                                          int nHead, float scale, int from, int to) {
        int c = dout[0].length;
        int hd = c / nHead;
        for (int t = to - 1; t >= from; t--) {
            for (int h = 0; h < nHead; h++) {
                int qs = h * hd;
                float[] a = weights[t][h];
                float[] da = new float[t + 1];
                float weighted = 0f;
                for (int s = 0; s <= t; s++) {
                    for (int j = 0; j < hd; j++) {
                        da[s] = da[s] + dout[t][qs + j] * qkv[s][2 * c + qs + j];
                    }
                    weighted = weighted + a[s] * da[s];
                }
                for (int s = 0; s <= t; s++) {
                    float dz = a[s] * (da[s] - weighted) * scale;
                    for (int j = 0; j < hd; j++) {
                        dqkv[t][qs + j] = dqkv[t][qs + j] + dz * qkv[s][c + qs + j];
                        dqkv[s][c + qs + j] = dqkv[s][c + qs + j] + dz * qkv[t][qs + j];
                        dqkv[s][2 * c + qs + j] = dqkv[s][2 * c + qs + j] + a[s] * dout[t][qs + j];
                    }
                }
            }
        }
    }

    private static double[][] activations(SplittableRandom random, int rows, int cols) {
        double[][] a = new double[rows][cols];
        for (double[] row : a) {
            for (int i = 0; i < cols; i++) {
                // Mixed signs and magnitudes, some exactly zero, as real activations have.
                double x = random.nextDouble(-1, 1) * Math.pow(2, random.nextInt(-6, 3));
                row[i] = random.nextInt(16) == 0 ? 0.0 : x;
            }
        }
        return a;
    }
}
