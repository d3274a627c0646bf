package io.github.microgpt.model;

/**
 * The matrix kernels of {@link ArrayGptModel}: a matrix times the vectors of several positions,
 * and the two products of its backward pass. Matrices are row-major ({@code rows x cols} at
 * {@code w[wo..]}); the vectors of consecutive positions are stored one after another.
 *
 * <p><b>Why register blocking rather than SIMD.</b> A sum such as {@code w0*x0 + w1*x1 + ...}
 * is a chain: each addition waits for the previous one (about 3 cycles). Java may not reorder
 * floating-point additions, so the JIT cannot split such a chain into vector lanes. What it can
 * do is overlap <em>independent</em> chains, so each kernel keeps eight sums in registers at once
 * (for example four rows times two positions) and loads every weight once for two positions.
 * HotSpot's auto-vectoriser (C2 SuperWord, in JDK 17 to 25) also only packs loops in which all
 * arrays are indexed with the same offset, which a matrix row ({@code w[ro + i]}) and a vector
 * ({@code x[xo + i]}) are not; the kernels below are therefore written for instruction-level
 * parallelism, and the element-wise loops of the model (residual additions, ReLU, Adam) for the
 * vectoriser.
 *
 * <p>Every sum of the forward kernel is the left fold {@code ((0 + w0*x0) + w1*x1) + ...}, the
 * order of {@code Value.sum}, so forward results are bit-identical to the {@code Value} engine.
 */
final class Kernels {

    private Kernels() {
    }

    /**
     * {@code y[p] = W x[p]} for {@code n} positions: {@code y[yo + p*rows + o] = sum_i w[o][i] *
     * x[xo + p*cols + i]}, each sum folded left from 0.
     */
    static void matmul(double[] w, int wo, int rows, int cols, double[] x, int xo, double[] y, int yo, int n) {
        int p = 0;
        for (; p + 1 < n; p += 2) {
            int x0 = xo + p * cols;
            int x1 = x0 + cols;
            int y0 = yo + p * rows;
            int y1 = y0 + rows;
            int o = 0;
            for (; o + 3 < rows; o += 4) {
                int r0 = wo + o * cols;
                int r1 = r0 + cols;
                int r2 = r1 + cols;
                int r3 = r2 + cols;
                double a0 = 0.0;
                double a1 = 0.0;
                double a2 = 0.0;
                double a3 = 0.0;
                double b0 = 0.0;
                double b1 = 0.0;
                double b2 = 0.0;
                double b3 = 0.0;
                for (int i = 0; i < cols; i++) {
                    double u = x[x0 + i];
                    double v = x[x1 + i];
                    double w0 = w[r0 + i];
                    double w1 = w[r1 + i];
                    double w2 = w[r2 + i];
                    double w3 = w[r3 + i];
                    a0 += w0 * u;
                    a1 += w1 * u;
                    a2 += w2 * u;
                    a3 += w3 * u;
                    b0 += w0 * v;
                    b1 += w1 * v;
                    b2 += w2 * v;
                    b3 += w3 * v;
                }
                y[y0 + o] = a0;
                y[y0 + o + 1] = a1;
                y[y0 + o + 2] = a2;
                y[y0 + o + 3] = a3;
                y[y1 + o] = b0;
                y[y1 + o + 1] = b1;
                y[y1 + o + 2] = b2;
                y[y1 + o + 3] = b3;
            }
            for (; o < rows; o++) {
                int r0 = wo + o * cols;
                double a0 = 0.0;
                double b0 = 0.0;
                for (int i = 0; i < cols; i++) {
                    double w0 = w[r0 + i];
                    a0 += w0 * x[x0 + i];
                    b0 += w0 * x[x1 + i];
                }
                y[y0 + o] = a0;
                y[y1 + o] = b0;
            }
        }
        if (p < n) {
            matvec(w, wo, rows, cols, x, xo + p * cols, y, yo + p * rows);
        }
    }

    /** {@code y = W x} for one position, four rows at a time. */
    static void matvec(double[] w, int wo, int rows, int cols, double[] x, int xo, double[] y, int yo) {
        int o = 0;
        for (; o + 3 < rows; o += 4) {
            int r0 = wo + o * cols;
            int r1 = r0 + cols;
            int r2 = r1 + cols;
            int r3 = r2 + cols;
            double s0 = 0.0;
            double s1 = 0.0;
            double s2 = 0.0;
            double s3 = 0.0;
            for (int i = 0; i < cols; i++) {
                double xi = x[xo + i];
                s0 += w[r0 + i] * xi;
                s1 += w[r1 + i] * xi;
                s2 += w[r2 + i] * xi;
                s3 += w[r3 + i] * xi;
            }
            y[yo + o] = s0;
            y[yo + o + 1] = s1;
            y[yo + o + 2] = s2;
            y[yo + o + 3] = s3;
        }
        for (; o < rows; o++) {
            int r0 = wo + o * cols;
            double s0 = 0.0;
            for (int i = 0; i < cols; i++) {
                s0 += w[r0 + i] * x[xo + i];
            }
            y[yo + o] = s0;
        }
    }

    /**
     * The gradient of the input of {@link #matmul}: {@code dx[p] += W^T dy[p]}, that is
     * {@code dx[dxo + p*cols + i] += sum_o w[o][i] * dy[dyo + p*rows + o]}. Four columns times
     * two positions at a time; the weights are read down the columns, which at these sizes all
     * sit in the first-level cache.
     */
    static void matmulBackInput(double[] w, int wo, int rows, int cols, double[] dy, int dyo,
                                double[] dx, int dxo, int n) {
        int p = 0;
        for (; p + 1 < n; p += 2) {
            int g0 = dyo + p * rows;
            int g1 = g0 + rows;
            int d0 = dxo + p * cols;
            int d1 = d0 + cols;
            int i = 0;
            for (; i + 3 < cols; i += 4) {
                double a0 = dx[d0 + i];
                double a1 = dx[d0 + i + 1];
                double a2 = dx[d0 + i + 2];
                double a3 = dx[d0 + i + 3];
                double b0 = dx[d1 + i];
                double b1 = dx[d1 + i + 1];
                double b2 = dx[d1 + i + 2];
                double b3 = dx[d1 + i + 3];
                int c = wo + i;
                for (int o = 0; o < rows; o++, c += cols) {
                    double ga = dy[g0 + o];
                    double gb = dy[g1 + o];
                    double w0 = w[c];
                    double w1 = w[c + 1];
                    double w2 = w[c + 2];
                    double w3 = w[c + 3];
                    a0 += w0 * ga;
                    a1 += w1 * ga;
                    a2 += w2 * ga;
                    a3 += w3 * ga;
                    b0 += w0 * gb;
                    b1 += w1 * gb;
                    b2 += w2 * gb;
                    b3 += w3 * gb;
                }
                dx[d0 + i] = a0;
                dx[d0 + i + 1] = a1;
                dx[d0 + i + 2] = a2;
                dx[d0 + i + 3] = a3;
                dx[d1 + i] = b0;
                dx[d1 + i + 1] = b1;
                dx[d1 + i + 2] = b2;
                dx[d1 + i + 3] = b3;
            }
            for (; i < cols; i++) {
                double a0 = dx[d0 + i];
                double b0 = dx[d1 + i];
                int c = wo + i;
                for (int o = 0; o < rows; o++, c += cols) {
                    a0 += w[c] * dy[g0 + o];
                    b0 += w[c] * dy[g1 + o];
                }
                dx[d0 + i] = a0;
                dx[d1 + i] = b0;
            }
        }
        if (p < n) {
            int g0 = dyo + p * rows;
            int d0 = dxo + p * cols;
            int i = 0;
            for (; i + 3 < cols; i += 4) {
                double a0 = dx[d0 + i];
                double a1 = dx[d0 + i + 1];
                double a2 = dx[d0 + i + 2];
                double a3 = dx[d0 + i + 3];
                int c = wo + i;
                for (int o = 0; o < rows; o++, c += cols) {
                    double ga = dy[g0 + o];
                    a0 += w[c] * ga;
                    a1 += w[c + 1] * ga;
                    a2 += w[c + 2] * ga;
                    a3 += w[c + 3] * ga;
                }
                dx[d0 + i] = a0;
                dx[d0 + i + 1] = a1;
                dx[d0 + i + 2] = a2;
                dx[d0 + i + 3] = a3;
            }
            for (; i < cols; i++) {
                double a0 = dx[d0 + i];
                int c = wo + i;
                for (int o = 0; o < rows; o++, c += cols) {
                    a0 += w[c] * dy[g0 + o];
                }
                dx[d0 + i] = a0;
            }
        }
    }

    /**
     * The gradient of the weights of {@link #matmul}, summed over the positions:
     * {@code g[o][i] += sum_p dy[dyo + p*rows + o] * x[xo + p*cols + i]}. Two rows times four
     * columns at a time, each sum kept in a register over all positions and added to {@code g}
     * once: the weight gradient is read and written once per call rather than once per position.
     */
    static void matmulBackWeights(double[] g, int wo, int rows, int cols, double[] dy, int dyo,
                                  double[] x, int xo, int n) {
        int o = 0;
        for (; o + 1 < rows; o += 2) {
            int r0 = wo + o * cols;
            int r1 = r0 + cols;
            int i = 0;
            for (; i + 3 < cols; i += 4) {
                double a0 = 0.0;
                double a1 = 0.0;
                double a2 = 0.0;
                double a3 = 0.0;
                double b0 = 0.0;
                double b1 = 0.0;
                double b2 = 0.0;
                double b3 = 0.0;
                int gy = dyo + o;
                int xp = xo + i;
                for (int p = 0; p < n; p++, gy += rows, xp += cols) {
                    double ga = dy[gy];
                    double gb = dy[gy + 1];
                    double x0 = x[xp];
                    double x1 = x[xp + 1];
                    double x2 = x[xp + 2];
                    double x3 = x[xp + 3];
                    a0 += ga * x0;
                    a1 += ga * x1;
                    a2 += ga * x2;
                    a3 += ga * x3;
                    b0 += gb * x0;
                    b1 += gb * x1;
                    b2 += gb * x2;
                    b3 += gb * x3;
                }
                g[r0 + i] += a0;
                g[r0 + i + 1] += a1;
                g[r0 + i + 2] += a2;
                g[r0 + i + 3] += a3;
                g[r1 + i] += b0;
                g[r1 + i + 1] += b1;
                g[r1 + i + 2] += b2;
                g[r1 + i + 3] += b3;
            }
            for (; i < cols; i++) {
                double a0 = 0.0;
                double b0 = 0.0;
                int gy = dyo + o;
                int xp = xo + i;
                for (int p = 0; p < n; p++, gy += rows, xp += cols) {
                    a0 += dy[gy] * x[xp];
                    b0 += dy[gy + 1] * x[xp];
                }
                g[r0 + i] += a0;
                g[r1 + i] += b0;
            }
        }
        for (; o < rows; o++) {
            int r0 = wo + o * cols;
            for (int i = 0; i < cols; i++) {
                double a0 = 0.0;
                int gy = dyo + o;
                int xp = xo + i;
                for (int p = 0; p < n; p++, gy += rows, xp += cols) {
                    a0 += dy[gy] * x[xp];
                }
                g[r0 + i] += a0;
            }
        }
    }
}
