package io.github.microgpt.internal.kernels;

/**
 * The double-precision products and Adam update of the array engine for small shapes (rows of a
 * few dozen numbers, {@code microgpt.py}'s model), as an optional module may compute them (the
 * {@code microgpt-vector} module, with the Vector API). At these sizes the core's loops, which
 * C2 vectorises only past a few dozen iterations, run mostly scalar; a kernel written for the
 * Vector API keeps a row of 16 in two registers.
 *
 * <p><b>Exactness, all of it.</b> Unlike {@link MatrixKernels}' backward products, every method
 * here must give the bits of the core's loops, forward <i>and</i> backward: each output the same
 * left fold, terms in the same order, each product rounded before it is added (no fused
 * multiply-add). So the golden run, whose losses depend on every earlier gradient, is the same
 * with or without these kernels, and results never depend on the number of threads. Each method
 * returns {@code false}, having written nothing, for a shape it does not take; it runs on the
 * calling thread.
 *
 * <p>An implementation needs a public constructor without arguments ({@link java.util.ServiceLoader}).
 */
public interface SmallKernels {

    /**
     * {@code out[t][o] = ((0 + w[o][0]*in[t][0]) + w[o][1]*in[t][1]) + ...} for {@code t} in
     * {@code [from, to)}.
     *
     * @param out (T, OC) the product, overwritten
     * @param in (T, C) the input
     * @param w (OC, C) the weights
     * @param from the first position
     * @param to one past the last position
     * @return whether the product was computed
     */
    boolean matmulForward(double[][] out, double[][] in, double[][] w, int from, int to);

    /**
     * {@code din[t][i] = (din[t][i] + dout[t][0]*w[0][i]) + dout[t][1]*w[1][i] + ...} (rows of
     * {@code w} in order) and {@code dw[o][i] = (dw[o][i] + dout[from][o]*in[from][i]) + ...}
     * (positions in order from {@code from}).
     *
     * @param din (T, C) added to
     * @param dw (OC, C) added to
     * @param dout (T, OC)
     * @param in (T, C)
     * @param w (OC, C)
     * @param from the first position
     * @param to one past the last position
     * @return whether the gradients were computed
     */
    boolean matmulBackward(double[][] din, double[][] dw, double[][] dout, double[][] in, double[][] w,
                           int from, int to);

    /**
     * {@link #matmulBackward} with the input's gradient overwritten rather than added to:
     * {@code din[t][i] = (0 + dout[t][0]*w[0][i]) + dout[t][1]*w[1][i] + ...}, the bits
     * {@link #matmulBackward} gives over rows of zeros, so that the caller need not zero them
     * first. By default not taken.
     *
     * @param din (T, C) overwritten in rows {@code [from, to)}
     * @param dw (OC, C) added to
     * @param dout (T, OC)
     * @param in (T, C)
     * @param w (OC, C)
     * @param from the first position
     * @param to one past the last position
     * @return whether the gradients were computed
     */
    default boolean matmulBackwardOverwrite(double[][] din, double[][] dw, double[][] dout, double[][] in,
                                            double[][] w, int from, int to) {
        return false;
    }

    /**
     * {@link #matmulBackwardOverwrite(double[][], double[][], double[][], double[][], double[][], int, int)}
     * told whether every number of {@code dw} is {@code +0.0} ({@code dwCleared}: the optimizer
     * has just reset the gradients), so that its sums may start from zero rather than read them,
     * the same additions ({@code 0.0 + x} either way). By default the call without it.
     *
     * @param din (T, C) overwritten in rows {@code [from, to)}
     * @param dw (OC, C) added to; every number {@code +0.0} when {@code dwCleared}
     * @param dout (T, OC)
     * @param in (T, C)
     * @param w (OC, C)
     * @param from the first position
     * @param to one past the last position
     * @param dwCleared whether every number of {@code dw} is {@code +0.0}
     * @return whether the gradients were computed
     */
    default boolean matmulBackwardOverwrite(double[][] din, double[][] dw, double[][] dout, double[][] in,
                                            double[][] w, int from, int to, boolean dwCleared) {
        return matmulBackwardOverwrite(din, dw, dout, in, w, from, to);
    }

    /**
     * Causal self-attention over heads of four channels, as the core's {@code SmallAttention}
     * computes it, bit for bit: for each position {@code t} of {@code [from, to)} and head
     * {@code h}, the keys of {@code [from, to)} first copied into {@code keysT} ({@code keysT[i][t]
     * = qkv[t][C + i]}), the logits {@code ((((0 + q0 k0) + q1 k1) + q2 k2) + q3 k3) * scale} over
     * {@code s <= t}, their softmax as {@code Softmax}'s ({@code exp(z - max)}, the left-to-right
     * total, {@code pow(total, -1)}) into {@code weights[t][h]}, and each output channel the left
     * fold {@code 0 + a_0 v_0 + a_1 v_1 + ...} over {@code s = 0, 1, ...}. By default not taken.
     *
     * @param out (T, C) the heads' outputs side by side, overwritten
     * @param weights (T, NH, T) the attention weights, written
     * @param qkv (T, 3C) each position's query, key and value
     * @param keysT (C, T) the keys, transposed, added to
     * @param nHead the number of heads, {@code C / 4}
     * @param scale {@code 4^-0.5} as the model computes it
     * @param from the first position
     * @param to one past the last position
     * @return whether the attention was computed
     */
    default boolean attentionForward(double[][] out, double[][][] weights, double[][] qkv, double[][] keysT,
                                     int nHead, double scale, int from, int to) {
        return false;
    }

    /**
     * The backward pass of {@link #attentionForward}, as the core's {@code SmallAttention}
     * computes it, bit for bit: head by head, positions {@code t} from the last down, first
     * {@code da_s = (((0 + dy0 v0) + dy1 v1) + dy2 v2) + dy3 v3} and their weighted sum
     * {@code 0 + a_0 da_0 + ...}, then for {@code s = 0, 1, ...}
     * {@code dz = a_s * (da_s - weighted) * scale} added into the query's, the key's and the
     * value's gradients ({@code dq += dz k_s}, {@code dk_s += dz q}, {@code dv_s += a_s dy}). By
     * default not taken.
     *
     * @param dqkv (T, 3C) the gradients of the queries, keys and values, added to
     * @param dout (T, C) the gradient of the output
     * @param qkv (T, 3C) the queries, keys and values
     * @param weights (T, NH, T) the forward pass's attention weights
     * @param da scratch of at least {@code to} numbers
     * @param nHead the number of heads, {@code C / 4}
     * @param scale as in the forward pass
     * @param from the first position
     * @param to one past the last position
     * @return whether the gradients were computed
     */
    default boolean attentionBackward(double[][] dqkv, double[][] dout, double[][] qkv, double[][][] weights,
                                      double[] da, int nHead, double scale, int from, int to) {
        return false;
    }

    /**
     * Adam's update of rows {@code [from, to)} of parameters, element by element, with flat moments
     * ({@code m[starts[r] + i]} belongs to {@code values[r][i]}):
     * {@code m = b1*m + c1m*g}, {@code v = b2*v + c2m*(g*g)},
     * {@code p = p - lr*(m/correction1) / (sqrt(v/correction2) + eps)}, {@code g = 0}, each
     * operation as written, left to right.
     *
     * @param values the parameters' rows, updated
     * @param grads the gradients' rows, set to 0
     * @param m the first moments, flat
     * @param v the second moments, flat
     * @param starts where each row starts in the flat order
     * @param from the first row
     * @param to one past the last row
     * @param b1 beta1
     * @param b2 beta2
     * @param c1m {@code 1 - beta1}
     * @param c2m {@code 1 - beta2}
     * @param eps eps
     * @param lr the step's learning rate
     * @param correction1 {@code 1 - beta1^(t+1)}
     * @param correction2 {@code 1 - beta2^(t+1)}
     * @return whether the rows were updated
     */
    boolean adam(double[][] values, double[][] grads, double[] m, double[] v, int[] starts, int from, int to,
                 double b1, double b2, double c1m, double c2m, double eps, double lr, double correction1,
                 double correction2);
}
