package io.github.microgpt.model;

/**
 * The matrix kernels of {@link ArrayGptModel}: a matrix times the vectors of several positions,
 * and the two products of its backward pass. A matrix is {@code rows} consecutive rows of an
 * array of rows ({@code w[wr] .. w[wr + rows - 1]}, each {@code cols} long); the vectors of
 * consecutive positions are consecutive rows of another ({@code x[x0 + p]}).
 *
 * <p><b>The forward product keeps the order of {@code Value.sum}.</b> Each output is the left
 * fold {@code ((0 + w0*x0) + w1*x1) + ...}, so forward results are bit-identical to the
 * {@code Value} engine. Such a sum is a chain (each addition waits for the previous one, about
 * three cycles), and Java forbids reordering floating-point additions, so the JIT cannot spread
 * it over SIMD lanes. The kernel instead keeps eight independent sums in registers (four rows
 * times two positions), which the processor overlaps, and loads each weight once for two
 * positions.
 *
 * <p><b>The backward products are SIMD loops.</b> They are written as {@code axpy}s over a row:
 * {@code dx[i] += w[i] * g} and {@code grad[i] += g * x[i]}, with every array indexed by the same
 * {@code i} from 0. That is the shape HotSpot's C2 (JDK 17 and later) vectorises, and why the
 * model keeps every row in an array of its own. Their sums are taken in another order than the
 * {@code Value} engine's, which is why gradients agree to rounding rather than bit for bit.
 */
final class Kernels {

    private Kernels() {
    }

    /**
     * {@code y[y0 + p] = W x[x0 + p]} for {@code n} positions; each output the left fold
     * {@code 0 + w[o][0]*x[0] + w[o][1]*x[1] + ...}.
     */
    static void matmul(double[][] w, int wr, int rows, int cols, double[][] x, int x0, double[][] y, int y0, int n) {
        int p = 0;
        for (; p + 1 < n; p += 2) {
            double[] u = x[x0 + p];
            double[] v = x[x0 + p + 1];
            double[] yu = y[y0 + p];
            double[] yv = y[y0 + p + 1];
            int o = 0;
            for (; o + 3 < rows; o += 4) {
                double[] w0 = w[wr + o];
                double[] w1 = w[wr + o + 1];
                double[] w2 = w[wr + o + 2];
                double[] w3 = w[wr + o + 3];
                double a0 = 0.0;
                double a1 = 0.0;
                double a2 = 0.0;
                double a3 = 0.0;
                double b0 = 0.0;
                double b1 = 0.0;
                double b2 = 0.0;
                double b3 = 0.0;
                for (int i = 0; i < cols; i++) {
                    double ui = u[i];
                    double vi = v[i];
                    double c0 = w0[i];
                    double c1 = w1[i];
                    double c2 = w2[i];
                    double c3 = w3[i];
                    a0 += c0 * ui;
                    a1 += c1 * ui;
                    a2 += c2 * ui;
                    a3 += c3 * ui;
                    b0 += c0 * vi;
                    b1 += c1 * vi;
                    b2 += c2 * vi;
                    b3 += c3 * vi;
                }
                yu[o] = a0;
                yu[o + 1] = a1;
                yu[o + 2] = a2;
                yu[o + 3] = a3;
                yv[o] = b0;
                yv[o + 1] = b1;
                yv[o + 2] = b2;
                yv[o + 3] = b3;
            }
            for (; o < rows; o++) {
                double[] w0 = w[wr + o];
                double a0 = 0.0;
                double b0 = 0.0;
                for (int i = 0; i < cols; i++) {
                    a0 += w0[i] * u[i];
                    b0 += w0[i] * v[i];
                }
                yu[o] = a0;
                yv[o] = b0;
            }
        }
        if (p < n) {
            matvec(w, wr, rows, cols, x[x0 + p], y[y0 + p]);
        }
    }

    /** {@code y = W x} for one position, four rows at a time. */
    static void matvec(double[][] w, int wr, int rows, int cols, double[] x, double[] y) {
        int o = 0;
        for (; o + 3 < rows; o += 4) {
            double[] w0 = w[wr + o];
            double[] w1 = w[wr + o + 1];
            double[] w2 = w[wr + o + 2];
            double[] w3 = w[wr + o + 3];
            double s0 = 0.0;
            double s1 = 0.0;
            double s2 = 0.0;
            double s3 = 0.0;
            for (int i = 0; i < cols; i++) {
                double xi = x[i];
                s0 += w0[i] * xi;
                s1 += w1[i] * xi;
                s2 += w2[i] * xi;
                s3 += w3[i] * xi;
            }
            y[o] = s0;
            y[o + 1] = s1;
            y[o + 2] = s2;
            y[o + 3] = s3;
        }
        for (; o < rows; o++) {
            double[] w0 = w[wr + o];
            double s0 = 0.0;
            for (int i = 0; i < cols; i++) {
                s0 += w0[i] * x[i];
            }
            y[o] = s0;
        }
    }

    /**
     * The gradient of the input of {@link #matmul}: {@code dx[dx0 + p] += W^T dy[dy0 + p]}, as
     * {@code dx += w[o] * dy[o]} for each row {@code o}, two positions per pass over the row.
     * Rows whose output gradient is 0 at both positions (a ReLU's dead units) are skipped.
     */
    static void matmulBackInput(double[][] w, int wr, int rows, int cols, double[][] dy, int dy0,
                                double[][] dx, int dx0, int n) {
        int p = 0;
        for (; p + 1 < n; p += 2) {
            double[] gu = dy[dy0 + p];
            double[] gv = dy[dy0 + p + 1];
            double[] du = dx[dx0 + p];
            double[] dv = dx[dx0 + p + 1];
            for (int o = 0; o < rows; o++) {
                double a = gu[o];
                double b = gv[o];
                if (a == 0.0 && b == 0.0) {
                    continue;
                }
                double[] row = w[wr + o];
                for (int i = 0; i < cols; i++) {
                    double wi = row[i];
                    du[i] += wi * a;
                    dv[i] += wi * b;
                }
            }
        }
        if (p < n) {
            double[] gu = dy[dy0 + p];
            double[] du = dx[dx0 + p];
            for (int o = 0; o < rows; o++) {
                double a = gu[o];
                if (a == 0.0) {
                    continue;
                }
                double[] row = w[wr + o];
                for (int i = 0; i < cols; i++) {
                    du[i] += row[i] * a;
                }
            }
        }
    }

    /**
     * The gradient of the weights of {@link #matmul}, summed over the positions:
     * {@code grad[wr + o] += sum_p dy[dy0 + p][o] * x[x0 + p]}, two positions per pass over the
     * gradient row.
     */
    static void matmulBackWeights(double[][] grad, int wr, int rows, int cols, double[][] dy, int dy0,
                                  double[][] x, int x0, int n) {
        for (int o = 0; o < rows; o++) {
            double[] g = grad[wr + o];
            int p = 0;
            for (; p + 1 < n; p += 2) {
                double a = dy[dy0 + p][o];
                double b = dy[dy0 + p + 1][o];
                if (a == 0.0 && b == 0.0) {
                    continue;
                }
                double[] u = x[x0 + p];
                double[] v = x[x0 + p + 1];
                for (int i = 0; i < cols; i++) {
                    g[i] += a * u[i] + b * v[i];
                }
            }
            if (p < n) {
                double a = dy[dy0 + p][o];
                if (a != 0.0) {
                    double[] u = x[x0 + p];
                    for (int i = 0; i < cols; i++) {
                        g[i] += a * u[i];
                    }
                }
            }
        }
    }
}
