package io.github.microgpt.internal.kernels;

/**
 * The matrix products of the array engine, as an optional module may compute them (the
 * {@code microgpt-vector} module, with the Vector API). Each method has the contract of the
 * method of the same name in the core's package-private {@code Kernels} (doubles) or
 * {@code FloatKernels} (floats), shapes and scratch arrays included, and returns {@code false}
 * when it leaves the call to them (for a shape it does not handle), having written nothing.
 *
 * <p><b>Exactness.</b> The double-precision {@code matmulForward} must give the bits of the
 * core's: every output the left fold {@code ((0 + w[o][0]*in[t][0]) + w[o][1]*in[t][1]) + ...},
 * each product rounded before it is added (no fused multiply-add), since the forward pass must
 * stay bit-identical to the {@code Value} engine. The backward products and every single-precision
 * product may sum in any order and fuse multiply-adds. In every method the result must not
 * depend on the number of threads of the {@link Team}.
 *
 * <p>An implementation needs a public constructor without arguments ({@link java.util.ServiceLoader}).
 */
public interface MatrixKernels {

    /**
     * The core offers a double-precision product of fewer multiply-adds than this (rows times
     * columns of its weights, times its positions) to the {@link SmallKernels} first, and leaves
     * the rest to these kernels or its own loops. The choice depends on the shape alone, never on
     * the number of threads, since the two kinds of kernels may round the backward products
     * differently. A constant of the core that an implementation may need to know (to count the
     * scratch of the products it is left, {@link #scratchBytes}): the Vector API kernels' least
     * product by default, since below it their multithreaded kernels do not pay.
     */
    long SMALL_MULTIPLY_ADDS = 1L << 18;

    /**
     * {@code out[t][o] = sum_i w[o][i] * in[t][i]} for {@code t} in {@code [from, to)}, bit for bit
     * as the core's left folds.
     *
     * @param out (T, OC) the product
     * @param in (T, C) the input
     * @param w (OC, C) the weights
     * @param from the first position
     * @param to one past the last position
     * @param wT (at least C, at least OC) scratch
     * @param team the threads
     * @return whether the product was computed
     */
    boolean matmulForward(double[][] out, double[][] in, double[][] w, int from, int to, double[][] wT, Team team);

    /**
     * {@code din[t][i] += sum_o dout[t][o] * w[o][i]} and {@code dw[o][i] += sum_t dout[t][o] * in[t][i]}.
     *
     * @param din (T, C) added to
     * @param dw (OC, C) added to
     * @param dout (T, OC)
     * @param in (T, C)
     * @param w (OC, C)
     * @param from the first position
     * @param to one past the last position
     * @param team the threads
     * @return whether the gradients were computed
     */
    boolean matmulBackward(double[][] din, double[][] dw, double[][] dout, double[][] in, double[][] w,
                           int from, int to, Team team);

    /**
     * {@link #matmulBackward(double[][], double[][], double[][], double[][], double[][], int, int, Team)}
     * told whether {@code dw} holds nothing but {@code +0.0} on entry ({@code dwCleared}), as it
     * does in a training step's first backward pass after the optimizer set every gradient to 0.
     * Then the weights' gradient may start its sums from 0 instead of reading {@code dw}: the
     * same bits, since {@code +0.0 + x} and {@code fma(a, b, +0.0)} are what the sums give from a
     * stored {@code +0.0}, without a read of the gradient from memory on every block (at
     * {@code nEmbd} 256, 25 MB a step that the previous step's update had written). By default
     * the flag is ignored, which is always correct.
     *
     * @param din (T, C) added to
     * @param dw (OC, C) added to; all {@code +0.0} if {@code dwCleared}
     * @param dout (T, OC)
     * @param in (T, C)
     * @param w (OC, C)
     * @param from the first position
     * @param to one past the last position
     * @param team the threads
     * @param dwCleared whether every element of {@code dw} is {@code +0.0}
     * @return whether the gradients were computed
     */
    default boolean matmulBackward(double[][] din, double[][] dw, double[][] dout, double[][] in, double[][] w,
                                   int from, int to, Team team, boolean dwCleared) {
        return matmulBackward(din, dw, dout, in, w, from, to, team);
    }

    /**
     * {@link #matmulBackward(double[][], double[][], double[][], double[][], double[][], int, int, Team, boolean)}
     * with the rows {@code [from, to)} of {@code din} overwritten rather than added to: the
     * input's gradient as if those rows had been set to {@code +0.0} first, bit for bit. Kernels
     * that share the work out should zero each part of {@code din} in the piece that sums it, on
     * the thread that sums it, rather than all of it on the calling thread before the product:
     * at {@code nEmbd} 256 a step's backward products start from 3.5 MB of zeros, which the
     * calling thread wrote alone while the other threads waited. By default the rows are zeroed
     * here, on the calling thread, and the product added to them; whatever is returned, the
     * rows may have been zeroed.
     *
     * @param din (T, C) overwritten in the rows {@code [from, to)}
     * @param dw (OC, C) added to; all {@code +0.0} if {@code dwCleared}
     * @param dout (T, OC)
     * @param in (T, C)
     * @param w (OC, C)
     * @param from the first position
     * @param to one past the last position
     * @param team the threads
     * @param dwCleared whether every element of {@code dw} is {@code +0.0}
     * @return whether the gradients were computed
     */
    default boolean matmulBackwardOverwrite(double[][] din, double[][] dw, double[][] dout, double[][] in,
                                            double[][] w, int from, int to, Team team, boolean dwCleared) {
        for (int t = from; t < to; t++) {
            java.util.Arrays.fill(din[t], 0.0);
        }
        return matmulBackward(din, dw, dout, in, w, from, to, team, dwCleared);
    }

    /**
     * {@link #matmulBackwardOverwrite} that also runs {@code update} over every row of the
     * weights, each row once, as soon as nothing of the product reads that row of {@code w} any
     * more and its row of {@code dw} is complete: the double-precision twin of
     * {@link #matmulBackwardAndUpdate(float[][], float[][], float[][], float[][], float[][], int,
     * int, Team, boolean, Team.Range)}, with its contract ({@code din} as if the weights had not
     * changed; a {@link GradientRange} of doubles may be handed a slice's gradient in scratch
     * when {@code dwCleared}). By default nothing is computed, not even {@code din}'s zeros, and
     * {@code false} returned: the caller then runs {@link #matmulBackwardOverwrite} and the update
     * after it.
     *
     * @param din (T, C) overwritten in the rows {@code [from, to)}
     * @param dw (OC, C) added to; all {@code +0.0} if {@code dwCleared}
     * @param dout (T, OC)
     * @param in (T, C)
     * @param w (OC, C)
     * @param from the first position
     * @param to one past the last position
     * @param team the threads
     * @param dwCleared whether every element of {@code dw} is {@code +0.0}
     * @param update the update of rows {@code [r0, r1)} of {@code w} (indices into {@code w});
     *     disjoint ranges may run at the same time on the team's threads
     * @return whether the gradients were computed and every row updated
     */
    default boolean matmulBackwardOverwriteAndUpdate(double[][] din, double[][] dw, double[][] dout, double[][] in,
                                                     double[][] w, int from, int to, Team team, boolean dwCleared,
                                                     Team.Range update) {
        return false;
    }

    /**
     * {@code out[t][o] = sum_i w[o][i] * in[t][i]} in single precision, in any order.
     *
     * @param out (T, OC) the product
     * @param in (T, C) the input
     * @param w (OC, C) the weights
     * @param from the first position
     * @param to one past the last position
     * @param wT (at least C, at least OC) scratch
     * @param team the threads
     * @return whether the product was computed
     */
    boolean matmulForward(float[][] out, float[][] in, float[][] w, int from, int to, float[][] wT, Team team);

    /**
     * {@link #matmulForward(float[][], float[][], float[][], int, int, float[][], Team)} followed
     * by the ReLU of every output, {@code out[t][o] = Math.max(out[t][o], 0f)} (a NaN stays the
     * same NaN, {@code -0f} becomes {@code +0f}): the bits of the product, then the ReLU. An
     * implementation takes each output's ReLU on the thread that computed it, inside the
     * product's loop, which spares the ReLU a loop of its own (and the threads a hand-off). By
     * default nothing is computed and {@code false} returned: the caller then takes the product
     * and the ReLU apart.
     *
     * @param out (T, OC) the product's ReLU
     * @param in (T, C) the input
     * @param w (OC, C) the weights
     * @param from the first position
     * @param to one past the last position
     * @param wT (at least C, at least OC) scratch
     * @param team the threads
     * @return whether the product and its ReLU were computed
     */
    default boolean matmulForwardRelu(float[][] out, float[][] in, float[][] w, int from, int to, float[][] wT,
                                      Team team) {
        return false;
    }

    /**
     * The single-precision gradients of {@link #matmulForward(float[][], float[][], float[][], int, int,
     * float[][], Team)}, added to {@code din} and {@code dw}.
     *
     * @param din (T, C) added to
     * @param dw (OC, C) added to
     * @param dout (T, OC)
     * @param in (T, C)
     * @param w (OC, C)
     * @param from the first position
     * @param to one past the last position
     * @param team the threads
     * @return whether the gradients were computed
     */
    boolean matmulBackward(float[][] din, float[][] dw, float[][] dout, float[][] in, float[][] w,
                           int from, int to, Team team);

    /**
     * {@link #matmulBackward(float[][], float[][], float[][], float[][], float[][], int, int, Team)}
     * told whether {@code dw} holds nothing but {@code +0.0} on entry, as the double-precision
     * overload with {@code dwCleared} is; by default the flag is ignored, which is always correct.
     *
     * @param din (T, C) added to
     * @param dw (OC, C) added to; all {@code +0.0} if {@code dwCleared}
     * @param dout (T, OC)
     * @param in (T, C)
     * @param w (OC, C)
     * @param from the first position
     * @param to one past the last position
     * @param team the threads
     * @param dwCleared whether every element of {@code dw} is {@code +0.0}
     * @return whether the gradients were computed
     */
    default boolean matmulBackward(float[][] din, float[][] dw, float[][] dout, float[][] in, float[][] w,
                                   int from, int to, Team team, boolean dwCleared) {
        return matmulBackward(din, dw, dout, in, w, from, to, team);
    }

    /**
     * {@link #matmulBackward(float[][], float[][], float[][], float[][], float[][], int, int, Team, boolean)}
     * that also runs {@code update} over every row of the weights, each row once, as soon as
     * nothing of the product reads that row of {@code w} any more and its row of {@code dw} is
     * complete: the optimizer's update of a fused training step, on the thread that has just
     * written those gradient rows, while they are still in its core's caches, instead of in a
     * loop of its own after the product. {@code update} may change rows of {@code w} and
     * {@code dw} (it sets the gradient to {@code +0.0}); {@code din} must come out as if the
     * weights had not changed. By default nothing is computed and {@code false} returned: the
     * caller then runs {@link #matmulBackward(float[][], float[][], float[][], float[][],
     * float[][], int, int, Team, boolean)} and the update after it.
     *
     * @param din (T, C) added to
     * @param dw (OC, C) added to; all {@code +0.0} if {@code dwCleared}
     * @param dout (T, OC)
     * @param in (T, C)
     * @param w (OC, C)
     * @param from the first position
     * @param to one past the last position
     * @param team the threads
     * @param dwCleared whether every element of {@code dw} is {@code +0.0}
     * @param update the update of rows {@code [r0, r1)} of {@code w} (indices into {@code w});
     *     disjoint ranges may run at the same time on the team's threads. If it is a
     *     {@link GradientRange} and {@code dwCleared}, the kernels may hand it the gradient of a
     *     slice of rows in scratch of their own instead of writing it to {@code dw}, whose rows
     *     then stay {@code +0.0}
     * @return whether the gradients were computed and every row updated
     */
    default boolean matmulBackwardAndUpdate(float[][] din, float[][] dw, float[][] dout, float[][] in,
                                            float[][] w, int from, int to, Team team, boolean dwCleared,
                                            Team.Range update) {
        return false;
    }

    /**
     * The update of {@link #matmulBackwardAndUpdate} (and of
     * {@link #matmulBackwardOverwriteAndUpdate}) when it can also take a slice's gradient
     * from the kernels' scratch: then a thread that sums a slice of the weights' gradient may sum
     * it into a small array of its own, still in its first-level cache, and pass that, instead of
     * writing the slice to {@code dw} and having the update read it back and write zeros over it.
     * The optimizer's update of a fused step is one, made for each matrix with the matrix's row
     * indices ({@code FusedUpdates.Rows.matrix}). A model's update is of its own precision, and
     * so is every product it is handed to: kernels may cast a {@code GradientRange<?>} to the
     * type of the product they compute.
     *
     * @param <G> the gradients' rows: {@code float[][]} or {@code double[][]}
     */
    interface GradientRange<G> extends Team.Range {

        /**
         * Updates rows {@code [from, to)} of the weights with the gradient of row {@code from + i}
         * in {@code gradients[i]}, leaving {@code dw} (all {@code +0.0}) untouched; the result is
         * what {@link #run(int, int)} gives with those gradients in {@code dw}.
         *
         * @param from the first row of {@code w}
         * @param to one past the last
         * @param gradients at least {@code to - from} rows as long as the weights' ({@code float[][]}
         *     for a single-precision model, {@code double[][]} for a double one); may be overwritten
         */
        void run(int from, int to, G gradients);
    }

    /**
     * The memory these kernels keep between products, beside the model's arrays, once training
     * steps have run (in thread-locals, say, of every thread that took part), so that a model far
     * too large for the heap can be refused before it is built (the command line's
     * {@code ModelMemory} asks). The steps are those of documents of every number of positions
     * from {@code fewestPositions} to {@code mostPositions} through the products of
     * {@code weights}, as the trainer runs them: the update inside the backward products where the
     * model fuses it. Documents of different lengths may take different paths, and an array kept
     * between products keeps the largest size any of them asked for, so a whole run (documents of
     * 1 to the block size's positions) may keep more than its longest document alone: the answer
     * for that range is the most a run can keep, and for a range of one length what documents of
     * that length keep. Only the implementation knows its scratch, so it answers from the same
     * constants and conditions that size the arrays, rather than the caller mirroring them (a
     * mirror fell out of step when the kernels changed). By default 0: nothing known.
     *
     * @param singlePrecision true for a single-precision model's products, false for double
     * @param weights each product's weights as {@code {rows, columns}}, once per shape is enough
     * @param fewestPositions the fewest positions of a step, at least 1
     * @param mostPositions the most (the block size: a workspace's longest document), at least
     *     {@code fewestPositions}
     * @param transposedRows the rows of the transposed weights' scratch the core hands to
     *     {@link #matmulForward(double[][], double[][], double[][], int, int, double[][], Team)} ({@code wT})
     * @param transposedColumns the length of its rows
     * @param threads the threads of the step's team; each may keep scratch of its own
     * @return the bytes of the arrays kept, as HotSpot lays them out ({@link ArrayBytes}); at least 0
     */
    default long scratchBytes(boolean singlePrecision, int[][] weights, int fewestPositions, int mostPositions,
                              int transposedRows, int transposedColumns, int threads) {
        return 0;
    }

    /**
     * Single-precision causal attention, with the contract of the core's
     * {@code FloatKernels.attentionForward} (the arguments are its own); by default left to it.
     *
     * @param out (T, C) the heads' outputs side by side
     * @param weights (T, NH, T) the attention weights, kept for the backward pass
     * @param qkv (T, 3C) each position's query, key and value
     * @param keysT (C, T) the key cache, to which the keys of {@code [from, to)} are added
     * @param nHead the heads
     * @param scale {@code headDim^-0.5}
     * @param from the first position
     * @param to one past the last position
     * @param team the threads
     * @return whether the attention was computed
     */
    default boolean attentionForward(float[][] out, float[][][] weights, float[][] qkv, float[][] keysT, int nHead,
                                     float scale, int from, int to, Team team) {
        return false;
    }

    /**
     * The gradients of {@link #attentionForward}, added to {@code dqkv}, with the contract of the
     * core's {@code FloatKernels.attentionBackward} (the arguments are its own); by default left to it.
     *
     * @param dqkv (T, 3C) added to
     * @param dout (T, C) the gradient of the output
     * @param qkv (T, 3C) the queries, keys and values
     * @param weights (T, NH, T) the attention weights of the forward pass
     * @param valuesT (C, T) scratch
     * @param dweights (3 NH, max(T + hd, T hd)) scratch
     * @param nHead the heads
     * @param scale {@code headDim^-0.5}
     * @param from the first position
     * @param to one past the last position
     * @param team the threads
     * @return whether the gradients were computed
     */
    default boolean attentionBackward(float[][] dqkv, float[][] dout, float[][] qkv, float[][][] weights,
                                      float[][] valuesT, float[][] dweights, int nHead, float scale, int from, int to,
                                      Team team) {
        return false;
    }
}
