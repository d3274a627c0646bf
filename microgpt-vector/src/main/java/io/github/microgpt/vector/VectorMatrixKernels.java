package io.github.microgpt.vector;

import io.github.microgpt.internal.kernels.MatrixKernels;
import io.github.microgpt.internal.kernels.Team;
import java.util.Arrays;

/**
 * The array engine's matrix products written with the Vector API ({@code jdk.incubator.vector}),
 * found by the core with {@link java.util.ServiceLoader}; see {@code ArrayKernels} in the core for
 * when they are used. The products themselves are in {@link DoubleProducts} and
 * {@link FloatProducts}; this class lays out the operands and shares the work between threads.
 *
 * <p><b>Double precision, forward: exact.</b> The lanes run across positions, as in the core's
 * {@code Kernels}: the input is transposed ({@code inT[i][p]}), and lane {@code p} of
 * {@code outT[o]} sums {@code w[o][i] * inT[i][p]} for {@code i = 0, 1, 2, ...}, each product
 * rounded before it is added, which is the {@code Value} engine's left fold, bit for bit. Split by
 * rows of the weights.
 *
 * <p><b>Backward, and single precision.</b> Free of that order, with fused multiply-adds: the
 * gradient of the input along its rows ({@code din[t] += sum_o dout[t][o] w[o]}, split by
 * positions), the gradient of the weights along theirs ({@code dw[o] += sum_t dout[t][o] in[t]},
 * split by rows), and the single-precision forward pass along the output rows
 * ({@code out[t] += sum_i in[t][i] wT[i]}, with the weights transposed first, split by positions).
 * No sum is ever split between threads.
 */
public final class VectorMatrixKernels implements MatrixKernels {

    /**
     * Below this many positions the core's loops multiply position by position (generation, short
     * documents): lanes across positions need positions to fill them.
     */
    static final int MIN_POSITIONS = 8;

    /** The fewest rows of a product one thread takes at a time. */
    private static final int ROW_GRAIN = 16;

    /** The fewest positions one thread takes at a time. */
    private static final int POSITION_GRAIN = 4;

    /** The fewest columns one thread transposes at a time. */
    private static final int TRANSPOSE_GRAIN = 32;

    /** For {@link java.util.ServiceLoader}. */
    public VectorMatrixKernels() {
    }

    @Override
    public String name() {
        return "vector";
    }

    @Override
    public boolean matmulForward(double[][] out, double[][] in, double[][] w, int from, int to,
                                 double[][] inT, double[][] outT, Team team) {
        int n = to - from;
        if (n < MIN_POSITIONS) {
            return false;
        }
        WarmDoubles.ensure();
        int rows = w.length;
        int cols = w[0].length;
        team.forRange(cols, TRANSPOSE_GRAIN, (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                double[] column = inT[i];
                for (int t = from; t < to; t++) {
                    column[t - from] = in[t][i];
                }
            }
        });
        team.forRange(rows, ROW_GRAIN, (o0, o1) -> {
            for (int o = o0; o < o1; o++) {
                Arrays.fill(outT[o], 0, n, 0.0);
            }
            DoubleProducts.productExact(w, inT, outT, o0, o1, 0, cols, n);
            for (int o = o0; o < o1; o++) {
                double[] row = outT[o];
                for (int p = 0; p < n; p++) {
                    out[from + p][o] = row[p];
                }
            }
        });
        return true;
    }

    @Override
    public boolean matmulBackward(double[][] din, double[][] dw, double[][] dout, double[][] in, double[][] w,
                                  int from, int to, Team team) {
        WarmDoubles.ensure();
        int rows = w.length;
        int cols = w[0].length;
        team.forRange(to - from, POSITION_GRAIN,
                (p0, p1) -> DoubleProducts.product(dout, w, din, from + p0, from + p1, 0, rows, cols));
        team.forRange(rows, ROW_GRAIN,
                (o0, o1) -> DoubleProducts.productTransposed(dout, in, dw, o0, o1, from, to, cols));
        return true;
    }

    @Override
    public boolean matmulForward(float[][] out, float[][] in, float[][] w, int from, int to, float[][] wT,
                                 Team team) {
        int n = to - from;
        if (n < MIN_POSITIONS) {
            return false;
        }
        WarmFloats.ensure();
        int rows = w.length;
        int cols = w[0].length;
        team.forRange(cols, TRANSPOSE_GRAIN, (i0, i1) -> transpose(w, wT, i0, i1));
        team.forRange(n, POSITION_GRAIN, (p0, p1) -> {
            for (int t = from + p0; t < from + p1; t++) {
                Arrays.fill(out[t], 0, rows, 0f);
            }
            FloatProducts.product(in, wT, out, from + p0, from + p1, 0, cols, rows);
        });
        return true;
    }

    @Override
    public boolean matmulBackward(float[][] din, float[][] dw, float[][] dout, float[][] in, float[][] w,
                                  int from, int to, Team team) {
        WarmFloats.ensure();
        int rows = w.length;
        int cols = w[0].length;
        team.forRange(to - from, POSITION_GRAIN,
                (p0, p1) -> FloatProducts.product(dout, w, din, from + p0, from + p1, 0, rows, cols));
        team.forRange(rows, ROW_GRAIN,
                (o0, o1) -> FloatProducts.productTransposed(dout, in, dw, o0, o1, from, to, cols));
        return true;
    }

    /**
     * Columns {@code [i0, i1)} of {@code w} into rows {@code [i0, i1)} of {@code wT}, eight rows of
     * {@code w} at a time, so that each row of {@code wT} gets eight consecutive values per visit.
     */
    private static void transpose(float[][] w, float[][] wT, int i0, int i1) {
        int rows = w.length;
        int o = 0;
        for (; o + 7 < rows; o += 8) {
            float[] r0 = w[o];
            float[] r1 = w[o + 1];
            float[] r2 = w[o + 2];
            float[] r3 = w[o + 3];
            float[] r4 = w[o + 4];
            float[] r5 = w[o + 5];
            float[] r6 = w[o + 6];
            float[] r7 = w[o + 7];
            for (int i = i0; i < i1; i++) {
                float[] d = wT[i];
                d[o] = r0[i];
                d[o + 1] = r1[i];
                d[o + 2] = r2[i];
                d[o + 3] = r3[i];
                d[o + 4] = r4[i];
                d[o + 5] = r5[i];
                d[o + 6] = r6[i];
                d[o + 7] = r7[i];
            }
        }
        for (; o < rows; o++) {
            float[] row = w[o];
            for (int i = i0; i < i1; i++) {
                wT[i][o] = row[i];
            }
        }
    }

    /**
     * How many times each product runs on small zero matrices before the first real one.
     * Vector API code is fast only once C2 has compiled it: before that every vector operation is
     * an object and a loop over its lanes, some hundred times slower than the core's plain loops,
     * and a first step at {@code nEmbd} 256 took 11 s instead of 4. A few thousand small calls
     * get the products compiled in a fraction of that.
     */
    static final int WARM_UP_CALLS = 1500;

    /** Warms the double-precision products once, on first use (class initialisation is once and thread-safe). */
    private static final class WarmDoubles {
        static {
            int width = 5 * DoubleProducts.L + 1;
            double[][] a = new double[32][width];
            double[][] x = new double[32][width];
            double[][] c = new double[4][width];
            for (int i = 0; i < WARM_UP_CALLS; i++) {
                DoubleProducts.productExact(a, x, c, 0, 4, 0, 32, width);
                DoubleProducts.product(a, x, c, 0, 4, 0, 32, width);
                DoubleProducts.productTransposed(a, x, c, 0, 4, 0, 32, width);
            }
        }

        static void ensure() {
            // Initialising the class is the work.
        }
    }

    /** Warms the single-precision products once, on first use. */
    private static final class WarmFloats {
        static {
            int width = 5 * FloatProducts.L + 1;
            float[][] a = new float[32][width];
            float[][] x = new float[32][width];
            float[][] c = new float[4][width];
            for (int i = 0; i < WARM_UP_CALLS; i++) {
                FloatProducts.product(a, x, c, 0, 4, 0, 32, width);
                FloatProducts.productTransposed(a, x, c, 0, 4, 0, 32, width);
            }
        }

        static void ensure() {
            // Initialising the class is the work.
        }
    }
}
