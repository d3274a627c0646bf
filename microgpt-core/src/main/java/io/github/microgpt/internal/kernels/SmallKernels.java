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
