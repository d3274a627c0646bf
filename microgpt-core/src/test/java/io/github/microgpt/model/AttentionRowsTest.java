package io.github.microgpt.model;

import static io.github.microgpt.testsupport.Bits.assertBits;
import static io.github.microgpt.testsupport.Bits.assertRowBits;
import static io.github.microgpt.testsupport.Matrices.copy;
import static io.github.microgpt.testsupport.Matrices.gaussian;
import static io.github.microgpt.testsupport.Matrices.gaussianFloats;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The core's f32 and f64 attention with their threads' scratch rows
 * ({@link FloatKernels.AttentionRows}, {@link Kernels.AttentionRows}) at the size the rows were
 * made for (64 positions, heads of 32 channels: loops long enough for C2 to vectorize), against
 * the definition one term at a time, bit for bit, on 1 and 2 threads, with one set of rows kept
 * from call to call as a workspace keeps it. The backward pass computes every query's {@code dz}
 * first and then adds four queries' terms per pass to each key's and value's gradient; any change
 * of the order of a single sum changes a last bit here.
 */
class AttentionRowsTest {

    private static final int T = 64;
    private static final int N_HEAD = 8;
    private static final int HD = 32;
    private static final int C = N_HEAD * HD;

    /** {from, to}: a whole block, one continuing a cache, and a single position. */
    private static final int[][] RANGES = {{0, T}, {0, 37}, {21, T}, {T - 1, T}};

    @Test
    void rowsKeptFromCallToCallGiveThePlainSums() {
        Random random = new Random(20261207L);
        float scale = (float) Math.pow(Math.pow(HD, 0.5), -1);
        FloatKernels.AttentionRows rows1 = new FloatKernels.AttentionRows();
        FloatKernels.AttentionRows rows2 = new FloatKernels.AttentionRows();
        for (int round = 0; round < 2; round++) {
            for (int[] range : RANGES) {
                int from = range[0];
                int to = range[1];
                float[][] qkv = gaussianFloats(random, T, 3 * C);
                float[][] dout = gaussianFloats(random, T, C);
                float[][] dqkv0 = gaussianFloats(random, T, 3 * C);
                float[][] out = new float[T][C];
                float[][][] weights = new float[T][N_HEAD][T];
                float[][] dqkv = copy(dqkv0);
                referenceForward(out, weights, qkv, scale, from, to);
                referenceBackward(dqkv, dout, qkv, weights, scale, from, to);
                for (int threads = 1; threads <= 2; threads++) {
                    Workers team = new Workers(threads, 1);
                    FloatKernels.AttentionRows rows = threads == 1 ? rows1 : rows2;
                    String on = "positions [" + from + ", " + to + ") on " + threads + " threads, round " + round;
                    float[][] out2 = new float[T][C];
                    float[][][] weights2 = new float[T][N_HEAD][T];
                    float[][] keysT = new float[C][T];
                    if (from > 0) {
                        FloatKernels.attentionForward(out2, weights2, qkv, keysT, N_HEAD, scale, 0, from, team, rows);
                    }
                    FloatKernels.attentionForward(out2, weights2, qkv, keysT, N_HEAD, scale, from, to, team, rows);
                    assertRowBits(out, out2, from, to, on + ": outputs");
                    for (int t = from; t < to; t++) {
                        assertBits(weights[t], weights2[t], on + ": weights of position " + t);
                    }
                    float[][] dqkv2 = copy(dqkv0);
                    FloatKernels.attentionBackward(dqkv2, dout, qkv, weights2, new float[C][T],
                            new float[3 * N_HEAD][T * HD], N_HEAD, scale, from, to, team, rows);
                    assertBits(dqkv, dqkv2, on + ": gradients");
                }
            }
        }
    }

    @Test
    void doubleRowsKeptFromCallToCallGiveThePlainSums() {
        Random random = new Random(20261208L);
        double scale = Math.pow(Math.pow(HD, 0.5), -1);
        Kernels.AttentionRows rows1 = new Kernels.AttentionRows();
        Kernels.AttentionRows rows2 = new Kernels.AttentionRows();
        for (int round = 0; round < 2; round++) {
            for (int[] range : RANGES) {
                int from = range[0];
                int to = range[1];
                double[][] qkv = gaussian(random, T, 3 * C);
                double[][] dout = gaussian(random, T, C);
                double[][] dqkv0 = gaussian(random, T, 3 * C);
                double[][] out = new double[T][C];
                double[][][] weights = new double[T][N_HEAD][T];
                double[][] dqkv = copy(dqkv0);
                AttentionKernelsTest.referenceForward(out, weights, qkv, new double[C][T], N_HEAD, scale, 0, to);
                AttentionKernelsTest.referenceBackward(dqkv, dout, qkv, weights, N_HEAD, scale, from, to);
                for (int threads = 1; threads <= 2; threads++) {
                    Workers team = new Workers(threads, 1);
                    Kernels.AttentionRows rows = threads == 1 ? rows1 : rows2;
                    String on = "f64, positions [" + from + ", " + to + ") on " + threads + " threads, round " + round;
                    double[][] out2 = new double[T][C];
                    double[][][] weights2 = new double[T][N_HEAD][T];
                    double[][] keysT = new double[C][T];
                    if (from > 0) {
                        Kernels.attentionForwardByHeads(out2, weights2, qkv, keysT, N_HEAD, scale, 0, from, team, rows);
                    }
                    Kernels.attentionForwardByHeads(out2, weights2, qkv, keysT, N_HEAD, scale, from, to, team, rows);
                    assertRowBits(out, out2, from, to, on + ": outputs");
                    for (int t = from; t < to; t++) {
                        assertBits(weights[t], weights2[t], on + ": weights of position " + t);
                    }
                    double[][] dqkv2 = copy(dqkv0);
                    Kernels.attentionBackwardByHeads(dqkv2, dout, qkv, weights2, new double[C][T], N_HEAD, scale,
                            from, to, team, rows);
                    assertBits(dqkv, dqkv2, on + ": gradients");
                }
            }
        }
    }

    /** The forward pass one term at a time: each logit over the channels, each output over the positions, in order. */
    private static void referenceForward(float[][] out, float[][][] weights, float[][] qkv, float scale,
                                         int from, int to) {
        for (int t = 0; t < to; t++) {
            for (int h = 0; h < N_HEAD; h++) {
                float[] a = weights[t][h];
                for (int s = 0; s <= t; s++) {
                    float z = 0f;
                    for (int j = 0; j < HD; j++) {
                        z = z + qkv[t][h * HD + j] * scale * qkv[s][C + h * HD + j];
                    }
                    a[s] = z;
                }
                FloatKernels.softmaxInPlace(a, t + 1);
                for (int j = 0; j < HD; j++) {
                    float y = 0f;
                    for (int s = 0; s <= t; s++) {
                        y = y + a[s] * qkv[s][2 * C + h * HD + j];
                    }
                    out[t][h * HD + j] = y;
                }
            }
        }
    }

    /** The backward pass one term at a time, query by query from the last down. */
    private static void referenceBackward(float[][] dqkv, float[][] dout, float[][] qkv, float[][][] weights,
                                          float scale, int from, int to) {
        for (int t = to - 1; t >= from; t--) {
            for (int h = 0; h < N_HEAD; h++) {
                int qs = h * HD;
                float[] a = weights[t][h];
                float[] da = new float[t + 1];
                float weighted = 0f;
                for (int s = 0; s <= t; s++) {
                    for (int j = 0; j < HD; j++) {
                        da[s] = da[s] + dout[t][qs + j] * qkv[s][2 * C + qs + j];
                    }
                    weighted = weighted + a[s] * da[s];
                }
                for (int s = 0; s <= t; s++) {
                    float dz = a[s] * (da[s] - weighted) * scale;
                    for (int j = 0; j < HD; j++) {
                        dqkv[t][qs + j] = dqkv[t][qs + j] + dz * qkv[s][C + qs + j];
                        dqkv[s][C + qs + j] = dqkv[s][C + qs + j] + dz * qkv[t][qs + j];
                        dqkv[s][2 * C + qs + j] = dqkv[s][2 * C + qs + j] + a[s] * dout[t][qs + j];
                    }
                }
            }
        }
    }
}
