package io.github.microgpt.model;

import io.github.microgpt.internal.kernels.HeadScores;
import io.github.microgpt.internal.kernels.SmallKernels;

/**
 * {@link Kernels#attentionForward} and {@link Kernels#attentionBackward} for heads of four
 * channels ({@code microgpt.py}'s 16 channels in 4 heads), where the general loops spend their
 * time not computing but starting loops: a head's dot products and weighted sums are loops over
 * its four channels and over a handful of positions, a dozen of them per position and head, each
 * a few iterations long. Here a head's four channels are four local variables, every loop over
 * them is written out, and the logits, their maximum, the softmax and the weighted sum of the
 * values go in three passes over the positions instead of nine loops.
 *
 * <p><b>The same operations.</b> Each number is computed with the same floating-point operations
 * in the same order as in {@link Kernels}' general methods (and so, in the forward pass, as in
 * the {@code Value} engine): each logit is {@code ((((0 + q0 k0) + q1 k1) + q2 k2) + q3 k3) * scale},
 * the softmax is {@link Softmax#inPlace}'s arithmetic, every sum over positions runs from the
 * first position on. The results are the general methods' bit for bit (the tests compare them),
 * on the calling thread. The logits, the softmax and the first loop of the backward pass are
 * {@link HeadScores}', which the optional module's kernels call too: one copy of the order that
 * fixes their bits.
 *
 * <p>With the optional module's small-shape kernels ({@code SmallKernels.attentionForward} and
 * {@code attentionBackward}) a head's four channels are one vector there, with these bits too.
 */
final class SmallAttention {

    /** The channels of a head this class is written for. */
    static final int HEAD_SIZE = 4;

    private SmallAttention() {
    }

    /** Whether heads of {@code c / nHead} channels are this class's. */
    static boolean fits(int c, int nHead) {
        return c == HEAD_SIZE * nHead;
    }

    /**
     * As {@link Kernels#attentionForward}: positions {@code [from, to)} of every head, the keys of
     * {@code [from, to)} added to the transposed cache {@code keysT} first (later calls may read it).
     */
    static void forward(double[][] out, double[][][] weights, double[][] qkv, double[][] keysT, int nHead,
                        double scale, int from, int to) {
        SmallKernels small = ArrayKernels.small();
        if (small != null && small.attentionForward(out, weights, qkv, keysT, nHead, scale, from, to)) {
            return;
        }
        int c = HEAD_SIZE * nHead;
        HeadScores.cacheKeys(qkv, keysT, c, from, to);
        double[] inverses = new double[nHead];
        for (int t = from; t < to; t++) {
            double[] y = out[t];
            double[][] weightsT = weights[t];
            HeadScores.exponentials(qkv[t], keysT, weightsT, inverses, nHead, scale, t);
            for (int h = 0; h < nHead; h++) {
                int hs = HEAD_SIZE * h;
                double[] a = weightsT[h];
                double inverse = inverses[h];
                int vs = 2 * c + hs;
                double y0 = 0.0;
                double y1 = 0.0;
                double y2 = 0.0;
                double y3 = 0.0;
                for (int s = 0; s <= t; s++) {
                    double as = a[s] * inverse;
                    a[s] = as;
                    double[] v = qkv[s];
                    y0 += as * v[vs];
                    y1 += as * v[vs + 1];
                    y2 += as * v[vs + 2];
                    y3 += as * v[vs + 3];
                }
                y[hs] = y0;
                y[hs + 1] = y1;
                y[hs + 2] = y2;
                y[hs + 3] = y3;
            }
        }
    }

    /**
     * As {@link Kernels#attentionBackward}: head by head, positions from the last down, each
     * gradient added to in the same order. {@code da} is scratch of at least {@code to} numbers.
     */
    static void backward(double[][] dqkv, double[][] dout, double[][] qkv, double[][][] weights, double[] da,
                         int nHead, double scale, int from, int to) {
        SmallKernels small = ArrayKernels.small();
        if (small != null && small.attentionBackward(dqkv, dout, qkv, weights, da, nHead, scale, from, to)) {
            return;
        }
        int c = HEAD_SIZE * nHead;
        for (int h = 0; h < nHead; h++) {
            int qs = HEAD_SIZE * h;
            int ks = c + qs;
            int vs = 2 * c + qs;
            for (int t = to - 1; t >= from; t--) {
                double[] a = weights[t][h];
                double[] dy = dout[t];
                double[] q = qkv[t];
                double[] dq = dqkv[t];
                double weighted = HeadScores.weightGradients(dy, qkv, a, da, qs, vs, t);
                double dy0 = dy[qs];
                double dy1 = dy[qs + 1];
                double dy2 = dy[qs + 2];
                double dy3 = dy[qs + 3];
                double q0 = q[qs];
                double q1 = q[qs + 1];
                double q2 = q[qs + 2];
                double q3 = q[qs + 3];
                double dq0 = dq[qs];
                double dq1 = dq[qs + 1];
                double dq2 = dq[qs + 2];
                double dq3 = dq[qs + 3];
                for (int s = 0; s <= t; s++) {
                    double as = a[s];
                    double dz = as * (da[s] - weighted) * scale;
                    double[] k = qkv[s];
                    double[] dkv = dqkv[s];
                    dq0 += dz * k[ks];
                    dq1 += dz * k[ks + 1];
                    dq2 += dz * k[ks + 2];
                    dq3 += dz * k[ks + 3];
                    dkv[ks] += dz * q0;
                    dkv[ks + 1] += dz * q1;
                    dkv[ks + 2] += dz * q2;
                    dkv[ks + 3] += dz * q3;
                    dkv[vs] += as * dy0;
                    dkv[vs + 1] += as * dy1;
                    dkv[vs + 2] += as * dy2;
                    dkv[vs + 3] += as * dy3;
                }
                dq[qs] = dq0;
                dq[qs + 1] = dq1;
                dq[qs + 2] = dq2;
                dq[qs + 3] = dq3;
            }
        }
    }
}
