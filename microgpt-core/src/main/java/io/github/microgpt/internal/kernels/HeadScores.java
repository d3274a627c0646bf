package io.github.microgpt.internal.kernels;

/**
 * The scalar part of causal self-attention over heads of four channels, in the one order that
 * fixes its bits: the core's {@code SmallAttention} and an optional module's
 * {@link SmallKernels#attentionForward} and {@link SmallKernels#attentionBackward} call these
 * methods and differ only in how they sum the values and the queries', keys' and values'
 * gradients (four scalars or one vector of four lanes). Kept in one place, the logits, their
 * maximum, the exponentials and {@code pow(total, -1)} cannot drift apart between the two, which
 * the golden run would notice only as a different loss many steps later.
 *
 * <p>Every number is computed as {@code microgpt.py}'s {@code Value} engine computes it: each
 * logit is {@code ((((0 + q0 k0) + q1 k1) + q2 k2) + q3 k3) * scale}, each weight
 * {@code exp(z - max)} times {@code pow(sum of the exponentials, -1)} (the caller multiplies,
 * as it sums the values), the sums over positions from the first position on. {@code pow(x, -1)}
 * is not {@code 1 / x}: the two differ in the last bit for about 1 in 2,000 numbers.
 */
public final class HeadScores {

    private HeadScores() {
    }

    /**
     * Copies the keys of positions {@code [from, to)} into the transposed cache {@code keysT}
     * ({@code keysT[i][t]} is channel {@code i} of position {@code t}'s key), so that a head's
     * logits read four rows in a row rather than one number from each position's row.
     *
     * @param qkv (T, 3C) the queries, keys and values of each position
     * @param keysT (C, T) written in columns {@code [from, to)}
     * @param c the channels of the queries (and of the keys)
     * @param from the first position
     * @param to one past the last position
     */
    public static void cacheKeys(double[][] qkv, double[][] keysT, int c, int from, int to) {
        for (int t = from; t < to; t++) {
            double[] q = qkv[t];
            for (int i = 0; i < c; i++) {
                keysT[i][t] = q[c + i];
            }
        }
    }

    /**
     * Position {@code t}'s attention of every head, not yet normalised: {@code weightsT[h][s]} for
     * {@code s <= t} becomes {@code exp(z_s - max)}, where {@code z_s} is the head's logit for
     * position {@code s}, and {@code inverses[h]} becomes {@code pow(sum of them, -1)}, the factor
     * by which the caller multiplies each of them as it sums the values. Every head's logits and
     * exponentials go first, then the heads' {@code pow} calls one after another: each
     * {@code pow} (20-30 ns, the most expensive call of the step) does not wait between the
     * exponentials it needs and the sums that need it, so the processor overlaps the heads'.
     *
     * @param q position {@code t}'s row of queries (its first {@code 4 * nHead} numbers)
     * @param keysT (C, T) the transposed keys, written up to column {@code t} ({@link #cacheKeys})
     * @param weightsT (nHead, T) position {@code t}'s weights, written in columns {@code [0, t]}
     * @param inverses at least {@code nHead} numbers, written
     * @param nHead the heads, of four channels each
     * @param scale the logits' factor, {@code 1 / sqrt(4)}
     * @param t the position, which attends to positions {@code 0..t}
     */
    public static void exponentials(double[] q, double[][] keysT, double[][] weightsT, double[] inverses, int nHead,
                                    double scale, int t) {
        for (int h = 0; h < nHead; h++) {
            int hs = 4 * h;
            double q0 = q[hs];
            double q1 = q[hs + 1];
            double q2 = q[hs + 2];
            double q3 = q[hs + 3];
            double[] k0 = keysT[hs];
            double[] k1 = keysT[hs + 1];
            double[] k2 = keysT[hs + 2];
            double[] k3 = keysT[hs + 3];
            double[] a = weightsT[h];
            double max = Double.NEGATIVE_INFINITY;
            for (int s = 0; s <= t; s++) {
                double z = 0.0;
                z += q0 * k0[s];
                z += q1 * k1[s];
                z += q2 * k2[s];
                z += q3 * k3[s];
                z *= scale;
                a[s] = z;
                max = Math.max(max, z);
            }
            double total = 0.0;
            for (int s = 0; s <= t; s++) {
                double e = Math.exp(a[s] + -max);
                a[s] = e;
                total += e;
            }
            inverses[h] = total;
        }
        for (int h = 0; h < nHead; h++) {
            inverses[h] = Math.pow(inverses[h], -1);
        }
    }

    /**
     * The backward pass's first loop for one head at position {@code t}: {@code da[s]}, the
     * gradient of weight {@code s}, is the dot product of the output's gradient {@code dy} (the
     * head's four channels from {@code qs}) with position {@code s}'s value (four channels from
     * {@code vs}), a left fold from 0; the returned sum {@code a_0 da_0 + a_1 da_1 + ...} (from 0,
     * positions in order) is what the softmax's gradient subtracts from each of them.
     *
     * @param dy position {@code t}'s gradient of the attention's output
     * @param qkv (T, 3C) the queries, keys and values
     * @param a position {@code t}'s weights of the head
     * @param da at least {@code t + 1} numbers, written in {@code [0, t]}
     * @param qs the head's first channel of the output (and of the queries)
     * @param vs the head's first channel of the values in a row of {@code qkv}
     * @param t the position
     * @return the weighted sum of {@code da}
     */
    public static double weightGradients(double[] dy, double[][] qkv, double[] a, double[] da, int qs, int vs,
                                         int t) {
        double dy0 = dy[qs];
        double dy1 = dy[qs + 1];
        double dy2 = dy[qs + 2];
        double dy3 = dy[qs + 3];
        double weighted = 0.0;
        for (int s = 0; s <= t; s++) {
            double[] v = qkv[s];
            double d = 0.0;
            d += dy0 * v[vs];
            d += dy1 * v[vs + 1];
            d += dy2 * v[vs + 2];
            d += dy3 * v[vs + 3];
            da[s] = d;
            weighted += a[s] * d;
        }
        return weighted;
    }
}
