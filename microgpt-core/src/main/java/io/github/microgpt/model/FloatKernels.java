package io.github.microgpt.model;

import io.github.microgpt.internal.FusedUpdates;
import io.github.microgpt.internal.RangeTask;
import io.github.microgpt.internal.kernels.MatrixKernels;
import io.github.microgpt.internal.kernels.Transposes;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * The operations of an {@link ArrayGptModel} in {@link Precision#F32}: {@link Kernels} in
 * {@code float}s, each as a {@code xForward} / {@code xBackward} pair side by side as in
 * {@code llm.c}'s {@code train_gpt2.c}, with the same shapes and conventions (forward methods
 * overwrite their outputs, backward methods add to the gradients they produce; every activation
 * is an array of rows, one per position; a weight matrix is an array of its rows, {@code w[o]}).
 *
 * <p><b>Not exact, by design.</b> Single precision cannot reproduce {@code microgpt.py}'s doubles
 * anyway, so these kernels are free of the {@code Value} engine's order of operations: a sum is
 * taken in whatever order keeps the SIMD lanes busy. The results still do not depend on the number of threads: the work is split by outputs (rows,
 * positions, heads), never inside a sum (the backward product's gradient of the input is two
 * sums, over two halves of the weights' rows that the shape alone fixes, see
 * {@link #matmulBackward}, and so is the forward product of an input four times as wide as its
 * output, over two halves of the input, see {@link #forwardInHalves}), and each output is
 * computed by the same operations whichever thread computes it.
 *
 * <p><b>Speed.</b> The matrix products dominate a step. Each inner loop is a plain counted loop
 * over {@code float[]}s indexed by the loop variable, the shape HotSpot's C2 turns into SIMD
 * instructions (sixteen floats per AVX-512 instruction), and each pass of it does the work of
 * several rows or positions at once, so that a vector loaded from memory feeds several
 * multiply-adds: three rows times two positions in every product (not four: with four, C2 on
 * JDK 17 vectorised the loop only in some JVMs, see {@link Kernels}' {@code threeTermsTwoRows}). They are written as
 * {@code y + a * x}, not {@link Math#fma(float, float, float)}: on JDK 17 C2 leaves the
 * single-precision {@code fma} of these loops scalar, and the plain form measured three times
 * faster (2 December 2026, Zen 5). The softmax exponentials and the RMSNorm scale
 * are computed in double (there is no {@code float} exponential), then rounded. The timings in
 * these comments say when and on which machine they were measured (see {@link Kernels}).
 */
final class FloatKernels {

    /** The epsilon of RMSNorm, as in {@code microgpt.py}. */
    static final float RMS_EPS = 1e-5f;

    /** Below this many positions a matrix product runs position by position ({@link #matvecs}). */
    static final int MIN_POSITIONS_FOR_TRANSPOSE = 8;

    /** The fewest rows of a product one thread takes at a time; a multiple of 4. */
    private static final int ROW_GRAIN = 16;

    /**
     * Rows of the weights per pass of {@link #matmulBackwardInput}: about 128 KB of floats, which
     * stay in the second-level cache while every position goes over them.
     */
    private static final int BACKWARD_BLOCK_FLOATS = 32 * 1024;

    /**
     * Rows of the transposed weights per pass of {@link #productRows}: about 128 KB of floats,
     * which stay in the second-level cache of the thread's core while every position goes over
     * them. The blocks only decide which terms a pass adds, not their order, so the bits do not
     * depend on this. Measured on 3 December 2026 on a Zen 3 (512 KB of second-level cache per
     * core) at {@code nEmbd = 256}, a step's forward products (both in one JVM, alternated): with
     * 512 KB (the double-precision block) 20.5 ms on one thread and 15.6 ms on two, with 128 KB 18.1 and
     * 12.7 ms; with 64 KB, against 128 KB, 18.7 and 12.9 ms against 17.3 and 13.3.
     */
    private static final int FORWARD_BLOCK_FLOATS = 32 * 1024;

    private FloatKernels() {
    }

    /**
     * One head at least: a contiguous group of heads per thread, from which the others take
     * single heads from the back when they are done (see {@code Kernels.HEAD_GRAIN}).
     */
    private static final int HEAD_GRAIN = 1;

    /**
     * The positions of a product one thread takes at a time: all of its part (see
     * {@link Workers}), since every chunk reads all the weights from memory again (f64 at
     * {@code nEmbd = 256} on two threads, measured side by side: 1.57-1.64 times one thread's
     * speed, against 1.54-1.56 with two chunks per thread; 2 December 2026, Zen 5).
     */
    private static int positionGrain(int n, Workers workers) {
        return Math.max(2, (n + workers.threads() - 1) / workers.threads());
    }

    // ---------------------------------------------------------------------------- embedding

    /**
     * {@code out[t] = wte[tokens[t]] + wpe[t]}.
     *
     * @param out (T, C) the embedded positions
     * @param wte (V, C) token embeddings
     * @param wpe (T, C) position embeddings
     */
    static void embeddingForward(float[][] out, int[] tokens, float[][] wte, float[][] wpe, int from, int to) {
        for (int t = from; t < to; t++) {
            float[] o = out[t];
            float[] tok = wte[tokens[t]];
            float[] pos = wpe[t];
            for (int i = 0; i < o.length; i++) {
                o[i] = tok[i] + pos[i];
            }
        }
    }

    /**
     * Columns {@code [c0, c1)} of {@code dwte[tokens[t]] += dout[t]} and {@code dwpe[t] += dout[t]}
     * for the positions {@code [from, to)}, in position order. Two positions with the same token
     * add to the same row of {@code dwte}, so the work is split by columns, never by positions:
     * each element then gets its additions in position order, whichever thread does them.
     *
     * @param dwte (V, C)
     * @param dwpe (T, C)
     * @param dout (T, C)
     */
    static void embeddingBackward(float[][] dwte, float[][] dwpe, float[][] dout, int[] tokens, int from, int to,
                                  int c0, int c1) {
        for (int t = from; t < to; t++) {
            float[] d = dout[t];
            float[] tok = dwte[tokens[t]];
            float[] pos = dwpe[t];
            for (int i = c0; i < c1; i++) {
                tok[i] += d[i];
                pos[i] += d[i];
            }
        }
    }

    // ------------------------------------------------------------------------------ RMSNorm

    /**
     * {@code out[t] = x[t] * s[t]} with {@code s[t] = (mean(x[t]^2) + eps)^-0.5}; the scale is
     * kept for the backward pass.
     *
     * @param out (T, C) the normalised rows
     * @param scale (T) the scale of each row
     * @param x (T, C) the rows to normalise
     */
    static void rmsnormForward(float[][] out, float[] scale, float[][] x, int from, int to) {
        for (int t = from; t < to; t++) {
            float[] xt = x[t];
            float[] ot = out[t];
            float sumSq = 0f;
            for (int i = 0; i < xt.length; i++) {
                sumSq = (sumSq + xt[i] * xt[i]);
            }
            float s = (float) (1.0 / Math.sqrt((double) sumSq / xt.length + RMS_EPS));
            for (int i = 0; i < xt.length; i++) {
                ot[i] = xt[i] * s;
            }
            scale[t] = s;
        }
    }

    /**
     * {@code dx_i += s dy_i - (s^3 / C) x_i sum_j dy_j x_j}.
     *
     * @param dx (T, C) the gradient of the input, added to
     * @param dout (T, C) the gradient of the output
     * @param x (T, C) the input
     * @param scale (T) the scales kept by the forward pass
     */
    static void rmsnormBackward(float[][] dx, float[][] dout, float[][] x, float[] scale, int from, int to) {
        for (int t = from; t < to; t++) {
            float[] xt = x[t];
            float[] dy = dout[t];
            float[] dxt = dx[t];
            float s = scale[t];
            float dot = 0f;
            for (int i = 0; i < xt.length; i++) {
                dot = (dot + dy[i] * xt[i]);
            }
            float coefficient = -dot * s * s * s / xt.length;
            for (int i = 0; i < xt.length; i++) {
                dxt[i] = ((dxt[i] + coefficient * xt[i]) + s * dy[i]);
            }
        }
    }

    // ------------------------------------------------------------------------ matrix product

    /**
     * {@code out[t][o] = sum_i w[o][i] * in[t][i]} (a linear layer without bias), in single
     * precision. From {@link #MIN_POSITIONS_FOR_TRANSPOSE} positions on, a sum of rows of the
     * transposed weights, SIMD lanes along the output row, each thread transposing its own rows of
     * the weights a block at a time into a buffer of its own (see {@link Kernels}' {@code
     * matmulForward} why); fewer positions are multiplied one by one. An input at least four times
     * as wide as the output is summed in two halves of its columns, a thread per half
     * ({@link #forwardInHalves}). Otherwise split over the team by rows
     * of the weights (by positions when there are too few rows to share, or too few for the
     * input's width, see {@link Kernels#forwardByPositions}): split by positions, as
     * it was, each thread transposed all the weights, which at {@code nEmbd} 256 took 4.4-5.0 ms
     * of a step on one thread and 7.2-9.7 ms of two threads' time (4.2-5.2 ms split by rows), a
     * quarter of the forward products' time (3 December 2026, Zen 3). (Lanes across the 64
     * positions of a document, as {@link Kernels} once did to keep its order of additions, leave
     * too short a loop for sixteen floats per instruction; the transposes cost one pass over the
     * weights, the product {@code T} passes.)
     *
     * @param out (T, OC) the product
     * @param in (T, C) the input
     * @param w (OC, C) the weights
     * @param wT (at least C, at least OC) scratch for the transposed weights, for the optional
     *     kernels of {@link ArrayKernels} only; may be {@code null}
     * @param blocks the threads' buffers for the blocks of transposed weights; may be
     *     {@code null} when {@code to - from < MIN_POSITIONS_FOR_TRANSPOSE}
     */
    static void matmulForward(float[][] out, float[][] in, float[][] w, int from, int to, float[][] wT,
                              TransposeBlocks blocks, Workers team) {
        Workers workers = Kernels.teamFor(team, to - from, w.length, w[0].length);
        if (ArrayKernels.matmulForward(out, in, w, from, to, wT, workers)) {
            return;
        }
        int n = to - from;
        int rows = w.length;
        if (n < MIN_POSITIONS_FOR_TRANSPOSE) {
            workers.forRange(rows, ROW_GRAIN, (o0, o1) -> matvecs(out, in, w, o0, o1, from, to));
            return;
        }
        int cols = w[0].length;
        blocks.ensureSlots(workers.threads());
        if (inInputHalves(rows, cols)) {
            forwardInHalves(out, in, w, from, to, blocks, workers);
            return;
        }
        transposedProduct(out, in, w, from, to, blocks, workers, false);
    }

    /**
     * {@link #matmulForward} followed by the ReLU of its output, {@code out = max(out, 0)}
     * element by element as {@link #reluInPlace} takes it, with each output's ReLU taken by the
     * thread that has just computed it, inside the product's chunk: no loop of its own, and so
     * no hand-off between the threads for it. Only where the product is a sum of rows of the
     * transposed weights over enough positions ({@link #MIN_POSITIONS_FOR_TRANSPOSE}), not summed
     * in halves ({@link #inInputHalves}), or where the optional module's kernels offer it;
     * elsewhere nothing is computed and {@code false} returned, and the caller takes the product
     * and the ReLU apart. The bits are those of the product, then the ReLU. Split by rows, each
     * thread then writes the ReLU of its own half of every position's hidden layer, the half the
     * MLP's second product sums on that thread ({@link #forwardInHalves}), as the ReLU split by
     * columns after the product did, at the cost of a hand-off (82 microseconds a step on two
     * threads, 4 layers, where the ReLU's work on one thread is about 40). Measured at
     * {@code nEmbd} 256, 4 layers, 64 positions (one JVM, one model, the ReLU inside the product
     * and after it alternated every 3 steps, rounds kept where a check of the host before and
     * after found both cores unslowed; medians over the rounds of the paired difference of the
     * MLP's two forward products and the ReLU between them): on two threads 125 microseconds a
     * step less with these loops (60 rounds) and 35 less with the optional module's kernels (80
     * rounds); on one thread 50 less with the module's (30 rounds); whole steps alike within this
     * host's noise (new over old 0.999, 1.006 and 1.007). Measured on 7 December 2026, Zen 3.
     *
     * @return whether the product and its ReLU were computed
     */
    static boolean matmulForwardRelu(float[][] out, float[][] in, float[][] w, int from, int to, float[][] wT,
                                     TransposeBlocks blocks, Workers team) {
        int n = to - from;
        int rows = w.length;
        int cols = w[0].length;
        Workers workers = Kernels.teamFor(team, n, rows, cols);
        if (ArrayKernels.runsOptionalKernels()) {
            return ArrayKernels.matmulForwardRelu(out, in, w, from, to, wT, workers);
        }
        if (n < MIN_POSITIONS_FOR_TRANSPOSE || inInputHalves(rows, cols)) {
            return false;
        }
        blocks.ensureSlots(workers.threads());
        transposedProduct(out, in, w, from, to, blocks, workers, true);
        return true;
    }

    /**
     * {@link #matmulForward} from {@link #MIN_POSITIONS_FOR_TRANSPOSE} positions on, when the
     * input is not summed in halves; with the ReLU of each output if {@code relu}.
     */
    private static void transposedProduct(float[][] out, float[][] in, float[][] w, int from, int to,
                                          TransposeBlocks blocks, Workers workers, boolean relu) {
        int n = to - from;
        int rows = w.length;
        int cols = w[0].length;
        int rowGrain = Kernels.forwardRowGrain(rows, workers);
        if (rows < 2 * rowGrain || Kernels.forwardByPositions(rows, cols, workers)) {
            // Too few rows to share (the output layer's 27, one thread), or too few for the
            // input's width (the MLP's second product at nEmbd 256, as in double precision: see
            // Kernels.forwardByPositions): by positions, each thread transposing the weights
            // itself. Measured for that product at nEmbd 256, 4 layers, 64 positions on two
            // threads (one JVM, one model, the two splits alternated, 14 rounds of 3 steps,
            // medians, 6 December 2026, Zen 3): 2.43 ms a step instead of 2.57, the two threads'
            // work 2.37 and 2.34 ms instead of 2.18 and 2.26 (each transposes all the weights, but
            // neither waits for the other); on one thread the split is the same.
            int block = Math.min(cols, Math.max(3, FORWARD_BLOCK_FLOATS / rows / 3 * 3));
            workers.forRangeWithSlot(n, positionGrain(n, workers), (slot, p0, p1) -> productRows(out, in, w,
                    blocks.get(slot, block, rows), block, from + p0, from + p1, 0, rows, false, 0, cols, relu));
            return;
        }
        // Split by rows of the weights, one part per thread: each thread transposes only its own
        // rows (see Kernels.forwardRowGrain).
        workers.forRangeWithSlot(rows, rowGrain, (slot, o0, o1) -> {
            int width = o1 - o0;
            int block = Math.min(cols, Math.max(3, FORWARD_BLOCK_FLOATS / width / 3 * 3));
            // A part of the rows is summed in the thread's buffer, below its block of weights, and
            // copied out at the end: the parts meet inside a cache line of every output row, which
            // two threads writing at every pass would hand back and forth between their cores.
            boolean whole = width == rows;
            productRows(out, in, w, whole ? blocks.get(slot, block, rows) : blocks.exact(slot, block + n, width),
                    block, from, to, o0, o1, !whole, 0, cols, relu);
        });
    }

    /** The threads' buffers of {@link #matmulForward}, as {@code Kernels.TransposeBlocks}, in floats. */
    static final class TransposeBlocks {
        /** Buffers of different widths each thread keeps for parts of rows (a model has four). */
        private static final int WIDTHS = 6;

        private float[][][] slots = new float[1][][];
        private float[][][][] parts = new float[1][][][];
        private int[][] widths = new int[1][];
        private int[] next = new int[1];

        /** Makes room for the buffers of {@code threads} threads: on the calling thread, before a loop. */
        void ensureSlots(int threads) {
            if (slots.length < threads) {
                slots = Arrays.copyOf(slots, threads);
                parts = Arrays.copyOf(parts, threads);
                widths = Arrays.copyOf(widths, threads);
                next = Arrays.copyOf(next, threads);
            }
        }

        /**
         * The buffer of thread {@code slot}, with at least {@code count} rows of at least
         * {@code length}: only from that thread, within a loop, so that it is never shared. For
         * a product's whole rows (one thread), one buffer for every product, which stays in the
         * caches from one product to the next.
         */
        float[][] get(int slot, int count, int length) {
            float[][] buffer = slots[slot];
            if (buffer == null || buffer.length < count) {
                buffer = buffer == null ? new float[count][] : Arrays.copyOf(buffer, count);
                slots[slot] = buffer;
            }
            for (int j = 0; j < count; j++) {
                if (buffer[j] == null || buffer[j].length < length) {
                    buffer[j] = new float[length];
                }
            }
            return buffer;
        }

        private float[][] secondHalf = new float[0][];

        /**
         * The sums of the second half of a product's input ({@link #forwardInHalves}): at least
         * {@code count} rows of at least {@code length}; on the calling thread, before a loop.
         */
        float[][] secondHalf(int count, int length) {
            if (secondHalf.length < count || secondHalf[0].length < length) {
                secondHalf = new float[count][length];
            }
            return secondHalf;
        }

        /**
         * The buffer of thread {@code slot} for a part of a product's rows: at least
         * {@code count} rows of exactly {@code length}. Exactly, because a block's rows lie in
         * memory about one after another, as they were allocated, and rows longer than the part
         * used put the used parts a long stride apart, in the same few sets of the caches
         * (measured at {@code nEmbd} 256 on 3 December 2026, Zen 3: the products on two threads
         * as slow as on one). So a thread keeps a buffer per width it meets, the oldest replaced.
         */
        float[][] exact(int slot, int count, int length) {
            if (parts[slot] == null) {
                parts[slot] = new float[WIDTHS][][];
                widths[slot] = new int[WIDTHS];
            }
            float[][][] kept = parts[slot];
            int k = 0;
            while (k < WIDTHS && !(kept[k] != null && widths[slot][k] == length)) {
                k++;
            }
            if (k == WIDTHS) {
                k = next[slot];
                next[slot] = (k + 1) % WIDTHS;
                kept[k] = new float[0][];
                widths[slot][k] = length;
            }
            float[][] buffer = kept[k];
            if (buffer.length < count) {
                int old = buffer.length;
                buffer = Arrays.copyOf(buffer, count);
                for (int j = old; j < count; j++) {
                    buffer[j] = new float[length];
                }
                kept[k] = buffer;
            }
            return buffer;
        }
    }

    /**
     * Whether {@link #matmulForward} sums the input's columns in two halves
     * ({@link #forwardInHalves}): for an input at least four times as wide as the output, of
     * at least 64 rows (the MLP's second product from {@code nEmbd} 64 on). A function of the
     * shape alone, so that the bits do not depend on the threads, nor on whether the positions
     * come one at a time ({@link #matvecs} follows it too).
     */
    static boolean inInputHalves(int rows, int cols) {
        return rows >= 64 && cols >= 4 * rows;
    }

    /**
     * {@link #matmulForward} of a wide input in two halves of its columns, cut at
     * {@code cols / 2}: each output is the sum over the first half, in column order from 0, plus
     * the sum over the second half, in column order from 0, the second half summed into
     * {@code blocks}' scratch and added at the end (as {@link #matmulBackward} sums the input's
     * gradient in two halves of the weights' rows). A team of two gives each thread one half
     * over every position: each thread then transposes and reads only its half of the weights
     * and its half of every position's input, which it has written itself when the stage before
     * takes its ReLU inside it ({@link #matmulForwardRelu}). Split by positions, as it was (the rows are
     * too few to share, see {@link Kernels#forwardByPositions}), each thread transposed all the
     * weights: measured for the MLP's second product at {@code nEmbd} 256, 4 layers, 64 positions
     * (core loops, one JVM, one model, old and new alternated, per-round medians of 30 and 36
     * rounds of 3 steps), it took 0.874 and 0.853 of the time on two threads, and a step 0.971
     * and 0.956 (on one thread 0.989 and 0.979: noise; 6 December 2026, Zen 3). With more threads
     * each half's positions are shared out further.
     */
    private static void forwardInHalves(float[][] out, float[][] in, float[][] w, int from, int to,
                                        TransposeBlocks blocks, Workers workers) {
        int n = to - from;
        int rows = w.length;
        int cols = w[0].length;
        int middle = cols / 2;
        int groups = (workers.threads() + 1) / 2;
        float[][] second = blocks.secondHalf(to, rows);
        int block = Math.min(middle, Math.max(3, FORWARD_BLOCK_FLOATS / rows / 3 * 3));
        workers.forRangeWithSlot(2 * groups, 1, (slot, u0, u1) -> {
            for (int u = u0; u < u1; u++) {
                boolean secondHalf = u >= groups;
                int group = u % groups;
                int p0 = from + n * group / groups;
                int p1 = from + n * (group + 1) / groups;
                productRows(secondHalf ? second : out, in, w, blocks.get(slot, block, rows), block, p0, p1, 0, rows,
                        false, secondHalf ? middle : 0, secondHalf ? cols : middle, false);
            }
        });
        workers.forRange(n, positionGrain(n, workers), (p0, p1) -> addRows(out, second, from + p0, from + p1));
    }

    /**
     * Positions {@code [from, to)} of {@code out[t] = sum_i in[t][i] * w[.][i]}: the columns of
     * {@code w} in blocks transposed into {@code buffer}, each added to every position, two
     * positions and three rows of the block per pass along the output row (three rows, not four:
     * see {@link Kernels}' {@code threeTermsTwoRows}). A position alone (the last of an odd
     * range) gets the same operations as one of a pair. Only the input's columns
     * {@code [c0, cols)} are summed (all of them, or one half, see {@link #forwardInHalves}).
     * With {@code relu}, each output's ReLU is taken as soon as it is complete: a pair of
     * positions' rows in the last block's pass, while they are in the first-level cache, or,
     * for a part of the rows summed apart, on the copy out.
     */
    private static void productRows(float[][] out, float[][] in, float[][] w, float[][] buffer, int block,
                                    int from, int to, int o0, int o1, boolean apart, int c0, int cols,
                                    boolean relu) {
        int rows = o1 - o0;
        // The sums go to y[t - shift], columns [0, rows): the output's rows (o0 = 0), or the
        // buffer's rows from block on.
        float[][] y = apart ? buffer : out;
        int shift = apart ? from - block : 0;
        for (int t = from; t < to; t++) {
            Arrays.fill(y[t - shift], 0, rows, 0f);
        }
        for (int i0 = c0; i0 < cols; i0 += block) {
            int i1 = Math.min(cols, i0 + block);
            // The last block's pass completes each pair's sums (summed in place: apart, on the copy out).
            boolean reluHere = relu && !apart && i1 == cols;
            Transposes.columns(w, buffer, i0, i1, 0, o0, o1);
            int t = from;
            for (; t + 1 < to; t += 2) {
                float[] u = in[t];
                float[] v = in[t + 1];
                float[] yu = y[t - shift];
                float[] yv = y[t + 1 - shift];
                int i = i0;
                for (; i + 2 < i1; i += 3) {
                    threeTermsTwoRows(yu, yv, u, v, i, buffer, i - i0, rows);
                }
                for (; i < i1; i++) {
                    float a = u[i];
                    float b = v[i];
                    float[] c = buffer[i - i0];
                    for (int o = 0; o < rows; o++) {
                        yu[o] = yu[o] + a * c[o];
                        yv[o] = yv[o] + b * c[o];
                    }
                }
                if (reluHere) {
                    reluPrefix(yu, rows);
                    reluPrefix(yv, rows);
                }
            }
            if (t < to) {
                float[] u = in[t];
                float[] yu = y[t - shift];
                for (int i = i0; i < i1; i++) {
                    float a = u[i];
                    float[] c = buffer[i - i0];
                    for (int o = 0; o < rows; o++) {
                        yu[o] = yu[o] + a * c[o];
                    }
                }
                if (reluHere) {
                    reluPrefix(yu, rows);
                }
            }
        }
        if (apart) {
            for (int t = from; t < to; t++) {
                if (relu) {
                    reluCopy(y[t - shift], out[t], o0, rows);
                } else {
                    System.arraycopy(y[t - shift], 0, out[t], o0, rows);
                }
            }
        }
    }

    /** {@code y[o] = max(y[o], 0)} for {@code o < rows}, as {@link #reluInPlace} takes it. */
    private static void reluPrefix(float[] y, int rows) {
        for (int o = 0; o < rows; o++) {
            y[o] = Math.max(y[o], 0f);
        }
    }

    /** {@code out[o0 + o] = max(sums[o], 0)} for {@code o < rows}: a part's copy out with its ReLU. */
    private static void reluCopy(float[] sums, float[] out, int o0, int rows) {
        for (int o = 0; o < rows; o++) {
            out[o0 + o] = Math.max(sums[o], 0f);
        }
    }

    /**
     * {@code yu += u[i..i+2] * wT[j..j+2]} and the same for {@code yv} and {@code v}: the inner
     * loop of {@link #productRows}, 52 C2 nodes (see {@link Kernels}' {@code threeTermsTwoRows}).
     */
    private static void threeTermsTwoRows(float[] yu, float[] yv, float[] u, float[] v, int i, float[][] wT,
                                          int j, int rows) {
        float a0 = u[i];
        float a1 = u[i + 1];
        float a2 = u[i + 2];
        float b0 = v[i];
        float b1 = v[i + 1];
        float b2 = v[i + 2];
        float[] c0 = wT[j];
        float[] c1 = wT[j + 1];
        float[] c2 = wT[j + 2];
        for (int o = 0; o < rows; o++) {
            float x0 = c0[o];
            float x1 = c1[o];
            float x2 = c2[o];
            yu[o] = yu[o] + a0 * x0 + a1 * x1 + a2 * x2;
            yv[o] = yv[o] + b0 * x0 + b1 * x1 + b2 * x2;
        }
    }

    /**
     * The gradients of {@link #matmulForward}: {@code din[t][i] += sum_o dout[t][o] * w[o][i]}
     * and {@code dw[o][i] += sum_t dout[t][o] * in[t][i]}.
     *
     * <p><b>In two halves of the weights' rows.</b> The rows of {@code w} are cut in two halves
     * at {@link #middleRow}, which depends on the shape alone. The gradient of the input is
     * summed over each half on its own, the first half's sums from {@code din}'s stored values,
     * the second's from 0 into {@code secondHalf}, and the two are added at the end; each half
     * also takes its own rows of {@code dw}. A team of two then gives each thread one half: each
     * thread reads only its half of the weights' rows and writes only its half of the
     * gradient's, the same halves as the forward product and the optimizer's update (see
     * {@link UpdateOrder}), so no cache line of the weights or of their gradient goes from one
     * core to the other in a step. Split by positions, as it was, each thread read all of the
     * weights, and the update then wrote lines the other core had read: measured at
     * {@code nEmbd} 256 on two threads (4 December 2026, Zen 5), a step's passes alone ran 1.89
     * times as fast as on one thread, the update alone 1.94 times, and the two together only 1.49
     * times.
     *
     * <p>Each half's sum is one chain over its rows in order, whichever thread computes which
     * positions, so the bits do not depend on the number of threads (they do differ from one
     * chain over all the rows, as any order of a sum in single precision may). With more than
     * two threads, each half's positions and rows are shared out further.
     *
     * @param din (T, C) the gradient of the input, added to
     * @param dw (OC, C) the gradient of the weights, added to
     * @param dout (T, OC) the gradient of the output
     * @param in (T, C) the input
     * @param w (OC, C) the weights
     * @param secondHalf (T, at least C) scratch for the second half's sums
     * @param dwCleared whether every element of {@code dw} is {@code +0.0} (the step's first
     *     backward pass after the optimizer cleared the gradients): passed on to the optional
     *     module's kernels, which may then start the weights' gradient from 0 instead of reading
     *     it (the same bits); these loops read it as ever
     */
    static void matmulBackward(float[][] din, float[][] dw, float[][] dout, float[][] in, float[][] w,
                               int from, int to, float[][] secondHalf, Workers team, boolean dwCleared) {
        matmulBackward(din, dw, dout, in, w, from, to, secondHalf, team, dwCleared, false);
    }

    /**
     * {@link #matmulBackward(float[][], float[][], float[][], float[][], float[][], int, int, float[][],
     * Workers, boolean)} with the rows {@code [from, to)} of {@code din} overwritten rather than
     * added to when {@code overwrite}, as {@code Kernels.matmulBackwardOverwrite} does in double
     * precision: these loops zero each piece of the first half's positions just before they sum
     * into it, on the thread that sums it, so that the caller need not zero {@code din} in a pass
     * of its own (the same bits: the sums start from +0.0 either way). The optional module's
     * kernels add to {@code din}; with them on, its rows are zeroed here first, on the calling
     * thread.
     *
     * @param overwrite whether {@code din}'s rows {@code [from, to)} are written, not added to
     */
    static void matmulBackward(float[][] din, float[][] dw, float[][] dout, float[][] in, float[][] w,
                               int from, int to, float[][] secondHalf, Workers team, boolean dwCleared,
                               boolean overwrite) {
        Workers workers = Kernels.teamFor(team, to - from, w.length, w[0].length);
        boolean zero = overwrite && zeroedForTheModule(din, from, to);
        if (ArrayKernels.matmulBackward(din, dw, dout, in, w, from, to, workers, dwCleared)) {
            return;
        }
        backwardHalves(din, dw, dout, in, w, from, to, secondHalf, workers, null, null, null, zero);
    }

    /**
     * For a product that overwrites {@code din}: with the optional module's kernels on, which add
     * to {@code din}, zeroes its rows {@code [from, to)} and returns false (the core's loops, if
     * the module declines, then add to those zeros); otherwise returns true, and the core's loops
     * zero them piece by piece.
     */
    private static boolean zeroedForTheModule(float[][] din, int from, int to) {
        if (ArrayKernels.runsOptionalKernels()) {
            zeroRows(din, from, to);
            return false;
        }
        return true;
    }

    /**
     * {@link #matmulBackward} with the optimizer's update of a fused step inside it, over the rows
     * {@code [firstRow, firstRow + w.length)} of the parameters. The optional module's kernels run
     * it their own way (see {@code MatrixKernels.matmulBackwardAndUpdate}); these loops run it on
     * one or two threads, where each half of the weights' rows is read by one thread only, its
     * input's gradient summed before its weights' gradient: that thread then updates the half's
     * rows a slice at a time (at most {@link #SLICE_BYTES}) right after it has summed the slice's
     * gradient, from its own scratch when {@code dwCleared} (the model's gradient rows, +0.0, are
     * then neither written nor read back and zeroed), so that the update reads each gradient from
     * the first-level cache instead of memory. The same sums in the same order, so the same bits.
     * False, having computed nothing, on more threads, or when the optional module's kernels are
     * on but decline this product (a shape too small for them): the caller then runs
     * {@link #matmulBackward} and the update after it.
     *
     * @param scratch the threads' slices of the weights' gradient
     */
    static boolean matmulBackwardAndUpdate(float[][] din, float[][] dw, float[][] dout, float[][] in, float[][] w,
                                           int from, int to, float[][] secondHalf, SliceScratch scratch,
                                           Workers team, boolean dwCleared, RangeTask update, int firstRow) {
        return matmulBackwardAndUpdate(din, dw, dout, in, w, from, to, secondHalf, scratch, team, dwCleared,
                update, firstRow, false);
    }

    /**
     * {@link #matmulBackwardAndUpdate(float[][], float[][], float[][], float[][], float[][], int, int,
     * float[][], SliceScratch, Workers, boolean, RangeTask, int)} with {@code din}'s rows
     * {@code [from, to)} overwritten rather than added to when {@code overwrite} (see
     * {@link #matmulBackward(float[][], float[][], float[][], float[][], float[][], int, int, float[][],
     * Workers, boolean, boolean)}); false, having written nothing, as there.
     */
    static boolean matmulBackwardAndUpdate(float[][] din, float[][] dw, float[][] dout, float[][] in, float[][] w,
                                           int from, int to, float[][] secondHalf, SliceScratch scratch,
                                           Workers team, boolean dwCleared, RangeTask update, int firstRow,
                                           boolean overwrite) {
        Workers workers = Kernels.teamFor(team, to - from, w.length, w[0].length);
        if (ArrayKernels.runsOptionalKernels() && overwrite) {
            // The module's kernels add to din, and so do these loops after them if the module
            // declines (the caller then runs matmulBackward, which would zero it again).
            zeroRows(din, from, to);
            overwrite = false;
        }
        if (ArrayKernels.matmulBackwardAndUpdate(din, dw, dout, in, w, from, to, workers, dwCleared, update,
                firstRow)) {
            return true;
        }
        // The optional module's kernels are on but declined (a shape too small for them): the
        // caller runs the product, then the update.
        if (ArrayKernels.runsOptionalKernels() || workers.threads() > 2) {
            return false;
        }
        RangeTask rows = (r0, r1) -> update.run(firstRow + r0, firstRow + r1);
        MatrixKernels.GradientRange<float[][]> fromScratch = dwCleared ? floatRange(update, firstRow) : null;
        scratch.ensureSlots(workers.threads());
        if (workers.threads() == 2) {
            stealingHalves(din, dw, dout, in, w, from, to, secondHalf, workers, rows, fromScratch, scratch,
                    overwrite);
            return true;
        }
        backwardHalves(din, dw, dout, in, w, from, to, secondHalf, workers, rows, fromScratch, scratch, overwrite);
        return true;
    }

    /** Pieces of one half's positions in {@link #stealingHalves}: what a thief may take of them. */
    private static final int INPUT_PIECES = 4;
    /** Pieces of the positions for the sum of the two halves of the input's gradient in {@link #stealingHalves}. */
    private static final int ADD_PIECES = 2;
    /** Where the two halves' counters sit in {@link #stealingHalves}: a cache line apart. */
    private static final int COUNTER_STRIDE = 16;

    /**
     * {@link #backwardHalves} with the update on two threads, in pieces that either thread may
     * take: each half of the weights' rows is one part of a {@link Workers} loop, its owner's
     * (the first the caller's, the second the helper's), of as many units in each part: first
     * {@link #INPUT_PIECES} pieces of the positions of the half's input's gradient, then the
     * half's slices of rows (a slice of the weights' gradient, then its update, as in
     * {@link #backwardHalves}), then {@link #ADD_PIECES} pieces of the positions of the sum of
     * the two halves' input gradients. The owner takes its units from the front, so that it
     * sums the input's gradient first, in one pass over its half of the weights, and then its
     * slices, as before; a thread done with its own part takes units from the back of the other's
     * (see {@link Workers}), so that a helper that starts late or is descheduled no longer keeps
     * the caller waiting for up to half the product: it sums the slices' gradients of the other
     * half, and before it updates a slice waits until every piece of that half's input's gradient
     * is done (the update writes weights the input's gradient reads); the sums of the two halves
     * wait for both. A piece of the input's gradient never waits, and the owner takes those
     * first, so every wait ends. Every number is computed by the same operations in the same
     * order as in {@link #backwardHalves}, whichever thread takes it: the same bits. The sum of
     * the halves, a loop of its own there (one more hand-over), is here the parts' last units.
     * With {@code overwrite}, each piece of the first half's input gradient zeroes its positions
     * of {@code din} just before it sums into them, as the second half's pieces zero theirs.
     * Measured at {@code nEmbd} 256, 4 layers, 64 positions (core loops, the two ways alternated
     * in one JVM, seven runs of 14 rounds of 3 steps, medians), the backward products with their
     * updates on two threads took 0.901, 0.946, 0.934, 0.990, 0.904, 0.962 and 0.966 of
     * {@link #backwardHalves}'s time, a step 0.945, 0.987, 0.936, 0.999, 0.932, 0.981 and 0.941.
     *
     * <p>A thief that steals a slice or a sum of the halves waits for the other half's input
     * gradient, and a helper that has not started yet (the host stops its vCPU) has not begun
     * it. Letting the waiting thread claim and compute the pieces of it that nobody has taken
     * yet (a counter of claimed pieces per half beside the counter of pieces done; the same bits)
     * was measured at {@code nEmbd} 256, 4 layers, 64 positions, core loops, f32 (7 December
     * 2026, Zen 5; one JVM, one trainer on one thread and two on two, the rule switched every
     * round, 24-30 rounds of 3 steps, medians of the rounds' ratios): a two-thread step 1.094
     * times as fast as waiting on a host that gave the two threads about one core's worth
     * (waiting read 1.05 times one thread's speed, claiming 1.15), and 0.976 and 0.977 times as
     * fast on quieter minutes (1.504 and 1.750 against 1.476 and 1.722): it helps only when the
     * item is lost anyway. Not kept.
     */
    private static void stealingHalves(float[][] din, float[][] dw, float[][] dout, float[][] in, float[][] w,
                                       int from, int to, float[][] secondHalf, Workers workers, RangeTask update,
                                       MatrixKernels.GradientRange<float[][]> fromScratch, SliceScratch scratch,
                                       boolean overwrite) {
        int n = to - from;
        int rows = w.length;
        int cols = w[0].length;
        int middle = middleRow(rows);
        int slice = Math.max(1, SLICE_BYTES / Float.BYTES / cols);
        int slices = (rows - middle + slice - 1) / slice;
        int inputs = Math.min(INPUT_PIECES, n);
        int adds = Math.min(ADD_PIECES, n);
        int perHalf = inputs + slices + adds;
        AtomicIntegerArray inputsDone = new AtomicIntegerArray(2 * COUNTER_STRIDE);
        workers.forRangeWithSlot(2 * perHalf, 1, (slot, u0, u1) -> {
            int u = u0;
            while (u < u1) {
                boolean second = u >= perHalf;
                int half = second ? 1 : 0;
                int k = u - half * perHalf;
                if (k < inputs) {
                    // Consecutive pieces of the input's gradient in one pass over the half's weights.
                    int k1 = Math.min(inputs, k + u1 - u);
                    int p0 = from + n * k / inputs;
                    int p1 = from + n * k1 / inputs;
                    int o0 = second ? middle : 0;
                    int o1 = second ? rows : middle;
                    if (second) {
                        zeroRows(secondHalf, p0, p1, din[from].length);
                    } else if (overwrite) {
                        zeroRows(din, p0, p1);
                    }
                    matmulBackwardInput(second ? secondHalf : din, dout, w, p0, p1, o0, o1);
                    inputsDone.addAndGet(half * COUNTER_STRIDE, k1 - k);
                    u += k1 - k;
                } else if (k < inputs + slices) {
                    int s0 = (second ? middle : 0) + (k - inputs) * slice;
                    int s1 = Math.min(second ? rows : middle, s0 + slice);
                    if (s0 < s1) {
                        if (fromScratch != null) {
                            float[][] gradients = scratch.get(slot, slice, cols);
                            zeroRows(gradients, 0, s1 - s0);
                            matmulBackwardWeights(gradients, s0, dout, in, from, to, s0, s1);
                            awaitInputs(inputsDone, half * COUNTER_STRIDE, inputs);
                            fromScratch.run(s0, s1, gradients);
                        } else {
                            matmulBackwardWeights(dw, 0, dout, in, from, to, s0, s1);
                            awaitInputs(inputsDone, half * COUNTER_STRIDE, inputs);
                            update.run(s0, s1);
                        }
                    }
                    u++;
                } else {
                    int piece = half * adds + k - inputs - slices;
                    awaitInputs(inputsDone, 0, inputs);
                    awaitInputs(inputsDone, COUNTER_STRIDE, inputs);
                    addRows(din, secondHalf, from + n * piece / (2 * adds), from + n * (piece + 1) / (2 * adds));
                    u++;
                }
            }
        });
    }

    /**
     * Waits until {@code done[at]} reaches {@code count} as {@link Workers} waits for a loop's
     * last chunks: spins briefly ({@link Workers#WAIT_SPINS}), then yields.
     */
    private static void awaitInputs(AtomicIntegerArray done, int at, int count) {
        int spins = 0;
        while (done.get(at) < count) {
            if (++spins < Workers.WAIT_SPINS) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
    }

    /**
     * The update of a fused step as a range of the matrix's rows that also takes a slice's
     * gradient from scratch, if it is the optimizer's ({@link FusedUpdates.Rows}); otherwise null.
     * A model's update is of its own precision (see {@link MatrixKernels.GradientRange}), so the
     * cast holds.
     */
    @SuppressWarnings("unchecked")
    private static MatrixKernels.GradientRange<float[][]> floatRange(RangeTask update, int firstRow) {
        return update instanceof FusedUpdates.Rows fused
                ? (MatrixKernels.GradientRange<float[][]>) fused.matrix(firstRow) : null;
    }

    /**
     * The most bytes of one slice of the weights' gradient that {@link #matmulBackwardAndUpdate}
     * sums and then updates: the slice stays in the first-level cache between the two.
     */
    static final int SLICE_BYTES = 16 * 1024;

    /**
     * Each thread's scratch for a slice of the weights' gradient ({@link #matmulBackwardAndUpdate}),
     * one array per width of the weights' rows: a layer's products have two widths ({@code nEmbd}
     * and {@code 4 nEmbd}), and one array for both was made again at nearly every product (134.7
     * KB a step on one thread at {@code nEmbd} 256, found by stages' allocation probe).
     */
    static final class SliceScratch {
        private float[][][][] slots = new float[1][0][][];

        /** Makes room for {@code threads} threads: on the calling thread, before a loop. */
        void ensureSlots(int threads) {
            if (slots.length < threads) {
                int had = slots.length;
                slots = Arrays.copyOf(slots, threads);
                for (int k = had; k < threads; k++) {
                    slots[k] = new float[0][][];
                }
            }
        }

        /**
         * The scratch of thread {@code slot}: at least {@code count} rows (at least one) of
         * exactly {@code length} floats; only from that thread, within a loop.
         */
        float[][] get(int slot, int count, int length) {
            float[][][] kept = slots[slot];
            for (int i = 0; i < kept.length; i++) {
                if (kept[i][0].length == length) {
                    if (kept[i].length < count) {
                        kept[i] = new float[count][length];
                    }
                    return kept[i];
                }
            }
            float[][] rows = new float[Math.max(1, count)][length];
            kept = Arrays.copyOf(kept, kept.length + 1);
            kept[kept.length - 1] = rows;
            slots[slot] = kept;
            return rows;
        }
    }

    /**
     * The two halves of {@link #matmulBackward}, {@code din}'s positions zeroed group by group
     * just before the first half sums into them when {@code overwrite}; with {@code update}, each
     * half's rows updated a slice at a time right after their gradient is summed (only on one or
     * two threads, see {@link #matmulBackwardAndUpdate}), from {@code scratch} when
     * {@code fromScratch} is not null.
     */
    private static void backwardHalves(float[][] din, float[][] dw, float[][] dout, float[][] in, float[][] w,
                                       int from, int to, float[][] secondHalf, Workers workers, RangeTask update,
                                       MatrixKernels.GradientRange<float[][]> fromScratch, SliceScratch scratch,
                                       boolean overwrite) {
        int n = to - from;
        int rows = w.length;
        int cols = w[0].length;
        int middle = middleRow(rows);
        // Each half's positions in as many groups as it has threads: each chunk of positions
        // reads all of its half's weights again, so one chunk per thread.
        int groups = (workers.threads() + 1) / 2;
        int slice = Math.max(1, SLICE_BYTES / Float.BYTES / cols);
        workers.forRangeWithSlot(2 * groups, 1, (slot, u0, u1) -> {
            for (int u = u0; u < u1; u++) {
                boolean second = u >= groups;
                int group = u % groups;
                int o0 = second ? middle : 0;
                int o1 = second ? rows : middle;
                int p0 = from + n * group / groups;
                int p1 = from + n * (group + 1) / groups;
                if (second) {
                    zeroRows(secondHalf, p0, p1, din[from].length);
                } else if (overwrite) {
                    zeroRows(din, p0, p1);
                }
                matmulBackwardInput(second ? secondHalf : din, dout, w, p0, p1, o0, o1);
                int r0 = o0 + (o1 - o0) * group / groups;
                int r1 = o0 + (o1 - o0) * (group + 1) / groups;
                if (update == null) {
                    matmulBackwardWeights(dw, 0, dout, in, from, to, r0, r1);
                    continue;
                }
                // Nothing reads these rows of w any more (one group: this thread read its half).
                for (int s0 = r0; s0 < r1; s0 += slice) {
                    int s1 = Math.min(r1, s0 + slice);
                    if (fromScratch != null) {
                        float[][] gradients = scratch.get(slot, slice, cols);
                        zeroRows(gradients, 0, s1 - s0);
                        matmulBackwardWeights(gradients, s0, dout, in, from, to, s0, s1);
                        fromScratch.run(s0, s1, gradients);
                    } else {
                        matmulBackwardWeights(dw, 0, dout, in, from, to, s0, s1);
                        update.run(s0, s1);
                    }
                }
            }
        });
        workers.forRange(n, positionGrain(n, workers), (p0, p1) -> addRows(din, secondHalf, from + p0, from + p1));
    }

    /**
     * Where {@link #matmulBackward} cuts {@code rows} rows of the weights in two: a function of
     * the shape alone, so that the sums, and so the bits, do not depend on the threads.
     */
    static int middleRow(int rows) {
        return rows / 2;
    }

    /** {@code a[t][i] += b[t][i]} for the positions {@code [from, to)} and the columns of {@code a}. */
    static void addRows(float[][] a, float[][] b, int from, int to) {
        for (int t = from; t < to; t++) {
            float[] x = a[t];
            float[] y = b[t];
            for (int i = 0; i < x.length; i++) {
                x[i] += y[i];
            }
        }
    }

    /**
     * Rows {@code [o0, o1)} of the product, position by position, four rows at once: for few
     * positions, and for generation (one position at a time). Each sum in the same order as in
     * {@link #productRows} (a wide input in two halves, see {@link #inInputHalves}), so a
     * position gets the same bits alone as in a document.
     */
    private static void matvecs(float[][] out, float[][] in, float[][] w, int o0, int o1, int from, int to) {
        int cols = w[0].length;
        int end = inInputHalves(w.length, cols) ? cols / 2 : cols;
        for (int t = from; t < to; t++) {
            float[] u = in[t];
            float[] y = out[t];
            int o = o0;
            for (; o + 3 < o1; o += 4) {
                float[] w0 = w[o];
                float[] w1 = w[o + 1];
                float[] w2 = w[o + 2];
                float[] w3 = w[o + 3];
                float a0 = 0f;
                float a1 = 0f;
                float a2 = 0f;
                float a3 = 0f;
                for (int i = 0; i < end; i++) {
                    float ui = u[i];
                    a0 = (a0 + w0[i] * ui);
                    a1 = (a1 + w1[i] * ui);
                    a2 = (a2 + w2[i] * ui);
                    a3 = (a3 + w3[i] * ui);
                }
                if (end < cols) {
                    float b0 = 0f;
                    float b1 = 0f;
                    float b2 = 0f;
                    float b3 = 0f;
                    for (int i = end; i < cols; i++) {
                        float ui = u[i];
                        b0 = (b0 + w0[i] * ui);
                        b1 = (b1 + w1[i] * ui);
                        b2 = (b2 + w2[i] * ui);
                        b3 = (b3 + w3[i] * ui);
                    }
                    a0 += b0;
                    a1 += b1;
                    a2 += b2;
                    a3 += b3;
                }
                y[o] = a0;
                y[o + 1] = a1;
                y[o + 2] = a2;
                y[o + 3] = a3;
            }
            for (; o < o1; o++) {
                float[] w0 = w[o];
                float a0 = 0f;
                for (int i = 0; i < end; i++) {
                    a0 = (a0 + w0[i] * u[i]);
                }
                if (end < cols) {
                    float b0 = 0f;
                    for (int i = end; i < cols; i++) {
                        b0 = (b0 + w0[i] * u[i]);
                    }
                    a0 += b0;
                }
                y[o] = a0;
            }
        }
    }

    /**
     * Positions {@code [from, to)} of {@code din[t] += sum_o dout[t][o] * w[o]} over the rows
     * {@code o} of {@code [o0, o1)}: two positions and three rows of {@code w} per pass along the
     * row, the rows in blocks that stay in cache for all the positions. A position alone (the
     * last of an odd range) gets the same operations as one of a pair, so how the positions are
     * split between threads changes nothing.
     */
    private static void matmulBackwardInput(float[][] din, float[][] dout, float[][] w, int from, int to,
                                            int o0, int o1) {
        int cols = w[0].length;
        int block = Math.max(3, BACKWARD_BLOCK_FLOATS / cols / 3 * 3);
        for (int r0 = o0; r0 < o1; r0 += block) {
            int r1 = Math.min(o1, r0 + block);
            int t = from;
            for (; t + 1 < to; t += 2) {
                float[] gu = dout[t];
                float[] gv = dout[t + 1];
                float[] du = din[t];
                float[] dv = din[t + 1];
                int o = r0;
                for (; o + 2 < r1; o += 3) {
                    float a0 = gu[o];
                    float a1 = gu[o + 1];
                    float a2 = gu[o + 2];
                    float b0 = gv[o];
                    float b1 = gv[o + 1];
                    float b2 = gv[o + 2];
                    float[] w0 = w[o];
                    float[] w1 = w[o + 1];
                    float[] w2 = w[o + 2];
                    for (int i = 0; i < cols; i++) {
                        float c0 = w0[i];
                        float c1 = w1[i];
                        float c2 = w2[i];
                        du[i] = (((du[i] + a0 * c0) + a1 * c1) + a2 * c2);
                        dv[i] = (((dv[i] + b0 * c0) + b1 * c1) + b2 * c2);
                    }
                }
                for (; o < r1; o++) {
                    float a = gu[o];
                    float b = gv[o];
                    float[] row = w[o];
                    for (int i = 0; i < cols; i++) {
                        du[i] = (du[i] + a * row[i]);
                        dv[i] = (dv[i] + b * row[i]);
                    }
                }
            }
            if (t < to) {
                float[] gu = dout[t];
                float[] du = din[t];
                int o = r0;
                for (; o + 2 < r1; o += 3) {
                    float a0 = gu[o];
                    float a1 = gu[o + 1];
                    float a2 = gu[o + 2];
                    float[] w0 = w[o];
                    float[] w1 = w[o + 1];
                    float[] w2 = w[o + 2];
                    for (int i = 0; i < cols; i++) {
                        du[i] = (((du[i] + a0 * w0[i]) + a1 * w1[i]) + a2 * w2[i]);
                    }
                }
                for (; o < r1; o++) {
                    float a = gu[o];
                    float[] row = w[o];
                    for (int i = 0; i < cols; i++) {
                        du[i] = (du[i] + a * row[i]);
                    }
                }
            }
        }
    }

    /**
     * Rows {@code [o0, o1)} of {@code dw[o] += sum_t dout[t][o] * in[t]}: two rows and three
     * positions per pass along the row. A row gets the same operations whether it is paired or
     * alone, so the result does not depend on how the rows are split between threads. Row
     * {@code o} of the gradient is {@code dw[o - shift]} (a slice's scratch, or {@code dw} itself
     * with {@code shift} 0).
     */
    private static void matmulBackwardWeights(float[][] dw, int shift, float[][] dout, float[][] in,
                                              int from, int to, int o0, int o1) {
        int o = o0;
        for (; o + 1 < o1; o += 2) {
            float[] g0 = dw[o - shift];
            float[] g1 = dw[o + 1 - shift];
            int t = from;
            for (; t + 2 < to; t += 3) {
                float a0 = dout[t][o];
                float a1 = dout[t + 1][o];
                float a2 = dout[t + 2][o];
                float b0 = dout[t][o + 1];
                float b1 = dout[t + 1][o + 1];
                float b2 = dout[t + 2][o + 1];
                float[] x0 = in[t];
                float[] x1 = in[t + 1];
                float[] x2 = in[t + 2];
                for (int i = 0; i < g0.length; i++) {
                    float u0 = x0[i];
                    float u1 = x1[i];
                    float u2 = x2[i];
                    g0[i] = (((g0[i] + a0 * u0) + a1 * u1) + a2 * u2);
                    g1[i] = (((g1[i] + b0 * u0) + b1 * u1) + b2 * u2);
                }
            }
            for (; t < to; t++) {
                float a = dout[t][o];
                float b = dout[t][o + 1];
                float[] x = in[t];
                for (int i = 0; i < g0.length; i++) {
                    g0[i] = (g0[i] + a * x[i]);
                    g1[i] = (g1[i] + b * x[i]);
                }
            }
        }
        if (o < o1) {
            float[] g = dw[o - shift];
            int t = from;
            for (; t + 2 < to; t += 3) {
                float a0 = dout[t][o];
                float a1 = dout[t + 1][o];
                float a2 = dout[t + 2][o];
                float[] x0 = in[t];
                float[] x1 = in[t + 1];
                float[] x2 = in[t + 2];
                for (int i = 0; i < g.length; i++) {
                    g[i] = (((g[i] + a0 * x0[i]) + a1 * x1[i]) + a2 * x2[i]);
                }
            }
            for (; t < to; t++) {
                float a = dout[t][o];
                float[] x = in[t];
                for (int i = 0; i < g.length; i++) {
                    g[i] = (g[i] + a * x[i]);
                }
            }
        }
    }

    // --------------------------------------------------------------------------- attention

    /**
     * Causal self-attention of positions {@code [from, to)}, head by head: logits
     * {@code z_s = (q_t . k_s) * headDim^-0.5} over {@code s <= t}, weights {@code a = softmax(z)},
     * output {@code sum_s a_s v_s}. The keys are read transposed ({@code keysT[c][s]}) so that the
     * logits of all positions {@code s} are one SIMD loop per channel. Split over the team by heads.
     * For more than one position, each thread first copies a head's values into rows of its own
     * ({@link AttentionRows}), so that the weighted sum of the values reads every array from index
     * 0 (see {@link #addWeightedRowsFromZero}); a single position (generation) reads them in place,
     * the same operations. Fusing it with the product of the queries, keys and values into one
     * loop over groups of heads was measured and not kept (see
     * {@code Kernels.attentionForwardByHeads}).
     *
     * @param out (T, C) the heads' outputs side by side
     * @param weights (T, NH, T) the attention weights, kept for the backward pass
     * @param qkv (T, 3C) each position's query, key and value
     * @param keysT (C, T) the keys, transposed: the cache of the positions before {@code from},
     *     to which this method adds the keys of {@code [from, to)} (from {@code qkv}) first
     * @param scale {@code headDim^-0.5}
     * @param scratch the threads' rows (a workspace's, used by one step at a time)
     */
    static void attentionForward(float[][] out, float[][][] weights, float[][] qkv, float[][] keysT,
                                 int nHead, float scale, int from, int to, Workers team, AttentionRows scratch) {
        Workers workers = Kernels.teamFor(team, Kernels.attentionWork(from, to, out[from].length));
        if (ArrayKernels.attentionForward(out, weights, qkv, keysT, nHead, scale, from, to, workers)) {
            return;
        }
        int c = out[from].length;
        int hd = c / nHead;
        boolean rows = to - from > 1;
        if (rows) {
            scratch.ensureSlots(workers.threads());
        }
        workers.forRangeWithSlot(nHead, HEAD_GRAIN, (slot, h0, h1) -> {
            // The new positions' keys into the cache, transposed: the heads' own channels only.
            for (int i = h0 * hd; i < h1 * hd; i++) {
                float[] column = keysT[i];
                for (int t = from; t < to; t++) {
                    column[t] = qkv[t][c + i];
                }
            }
            // A head's output is summed in the thread's own array, and copied into its row of out
            // once: two threads adding into the rows of out directly, each to its heads' columns,
            // passed the cache line where their columns meet back and forth at every term.
            HeadRows headRows = rows ? scratch.get(slot, qkv.length, hd) : null;
            float[] y = rows ? headRows.row : new float[hd];
            // Head by head, each over all the positions, as the optional module's attention does
            // (see FloatAttention.forward): with the positions outside, the two threads' last and
            // first heads wrote the same cache line of every row of out (and of weights[t]) at
            // every position, handing it back and forth between the cores (measured at nEmbd 256,
            // 4 layers, 64 positions, 6 December 2026, Zen 3: 1.17 ms a step on two threads
            // instead of 1.26).
            for (int h = h0; h < h1; h++) {
                int hs = h * hd;
                int vs = 2 * c + hs;
                if (rows) {
                    for (int s = 0; s < to; s++) {
                        System.arraycopy(qkv[s], vs, headRows.k[s], 0, hd);
                    }
                }
                for (int t = from; t < to; t++) {
                    float[] a = weights[t][h];
                    int n = t + 1;
                    attentionLogits(a, qkv[t], scale, keysT, hs, hd, n);
                    softmaxInPlace(a, n);
                    Arrays.fill(y, 0f);
                    if (rows) {
                        addWeightedRowsFromZero(y, a, headRows.k, hd, n);
                    } else {
                        addWeightedRows(y, 0, a, qkv, vs, hd, n);
                    }
                    System.arraycopy(y, 0, out[t], hs, hd);
                }
            }
        });
    }

    /**
     * {@code a[s] = (q[hs] c) k_s[0] + (q[hs+1] c) k_s[1] + ...} for {@code s < n}, {@code c} the
     * scale, the keys read from {@code keysT[hs + j][s]}: four channels per pass over {@code a}, so
     * that each element is loaded and stored once per four terms (one term per pass left C2's SIMD
     * loop mostly loads and stores). The terms are still added one at a time in channel order from
     * 0, each sum rounded to a {@code float}: the same bits as one channel per pass.
     */
    private static void attentionLogits(float[] a, float[] q, float scale, float[][] keysT, int hs, int hd,
                                        int n) {
        Arrays.fill(a, 0, n, 0f);
        int j = 0;
        for (; j + 3 < hd; j += 4) {
            float q0 = q[hs + j] * scale;
            float q1 = q[hs + j + 1] * scale;
            float q2 = q[hs + j + 2] * scale;
            float q3 = q[hs + j + 3] * scale;
            float[] k0 = keysT[hs + j];
            float[] k1 = keysT[hs + j + 1];
            float[] k2 = keysT[hs + j + 2];
            float[] k3 = keysT[hs + j + 3];
            for (int s = 0; s < n; s++) {
                a[s] = a[s] + q0 * k0[s] + q1 * k1[s] + q2 * k2[s] + q3 * k3[s];
            }
        }
        for (; j < hd; j++) {
            float qj = q[hs + j] * scale;
            float[] k = keysT[hs + j];
            for (int s = 0; s < n; s++) {
                a[s] = a[s] + qj * k[s];
            }
        }
    }

    /**
     * Attention backwards, from {@code dout} to the gradients of the queries, keys and values:
     * {@code da_s = dy.v_s}, {@code dv_s += a_s dy}, {@code dz_s = a_s (da_s - sum_r a_r da_r)},
     * {@code dq += c dz_s k_s}, {@code dk_s += c dz_s q}. Split over the team by heads (each head
     * owns its columns of {@code dqkv}); a head sums its gradients in its thread's own rows
     * ({@link AttentionRows}) and copies them into {@code dqkv} once, as
     * {@code Kernels.attentionBackward} does and for the same reason.
     *
     * <p>Query by query, as the definition goes, each query's {@code dz} updated every key's and
     * value's gradient one term at a time: a loop of one multiply-add per element along the head,
     * whose load and store of the gradient cost more than the arithmetic. Here the {@code dz} of
     * every query comes first (each depends only on its own query), kept in a row per query; then
     * the keys' and values' gradients take four queries per pass ({@link #addColumnTerms}), each
     * element still adding the queries' terms one at a time from the last query down, as before.
     * The head's queries, keys, output gradients and gradient sums are copied into rows that all
     * start at index 0, so that C2 vectorizes the loops along the head
     * ({@link #addWeightedRowsFromZero}). Every
     * number is the same operations in the same order as query by query: the same bits. Measured
     * at {@code nEmbd} 256, 8 heads, 64 positions, one layer (one JVM, the two alternated, medians
     * of 31 rounds, 7 December 2026): the backward pass 361 us instead of 879 on one thread, 281
     * instead of 624 on two; the forward pass (its values' sum from the copied rows) 353 instead
     * of 532, and 237 instead of 373.
     *
     * @param dqkv (T, 3C) the gradient of the queries, keys and values, added to
     * @param dout (T, C) the gradient of the output
     * @param qkv (T, 3C) the queries, keys and values
     * @param weights (T, NH, T) the attention weights of the forward pass
     * @param valuesT (C, T) scratch for the values, transposed
     * @param dweights (3 NH, max(T + hd, T hd)) scratch of the optional module's kernels
     *     ({@link ArrayKernels#attentionBackward}); the loops here use {@code scratch} instead
     * @param scratch the threads' rows (a workspace's, used by one step at a time)
     */
    static void attentionBackward(float[][] dqkv, float[][] dout, float[][] qkv, float[][][] weights,
                                  float[][] valuesT, float[][] dweights, int nHead, float scale,
                                  int from, int to, Workers team, AttentionRows scratch) {
        Workers workers = Kernels.teamFor(team, Kernels.attentionWork(from, to, dout[from].length));
        if (ArrayKernels.attentionBackward(dqkv, dout, qkv, weights, valuesT, dweights, nHead, scale, from, to,
                workers)) {
            return;
        }
        int c = dout[from].length;
        int hd = c / nHead;
        scratch.ensureSlots(workers.threads());
        workers.forRangeWithSlot(nHead, HEAD_GRAIN, (slot, h0, h1) -> {
            HeadRows rows = scratch.get(slot, qkv.length, hd);
            float[][] qh = rows.q;
            float[][] kh = rows.k;
            float[][] dyh = rows.dy;
            float[][] dkh = rows.dk;
            float[][] dvh = rows.dv;
            float[][] dzs = rows.dz;
            float[][] ah = rows.a;
            float[] dq = rows.row;
            for (int h = h0; h < h1; h++) {
                int qs = h * hd;
                int ks = c + qs;
                int vs = 2 * c + qs;
                for (int j = 0; j < hd; j++) {
                    float[] column = valuesT[qs + j];
                    for (int s = 0; s < to; s++) {
                        column[s] = qkv[s][vs + j];
                    }
                }
                for (int s = 0; s < to; s++) {
                    System.arraycopy(qkv[s], ks, kh[s], 0, hd);
                    System.arraycopy(dqkv[s], ks, dkh[s], 0, hd);
                    System.arraycopy(dqkv[s], vs, dvh[s], 0, hd);
                }
                for (int t = from; t < to; t++) {
                    System.arraycopy(qkv[t], qs, qh[t], 0, hd);
                    System.arraycopy(dout[t], qs, dyh[t], 0, hd);
                    ah[t] = weights[t][h];
                    float[] a = ah[t];
                    float[] dz = dzs[t];
                    int n = t + 1;
                    attentionLogits(dz, dout[t], 1f, valuesT, qs, hd, n);
                    float weighted = 0f;
                    for (int s = 0; s < n; s++) {
                        weighted = (weighted + a[s] * dz[s]);
                    }
                    for (int s = 0; s < n; s++) {
                        dz[s] = a[s] * (dz[s] - weighted) * scale;
                    }
                    System.arraycopy(dqkv[t], qs, dq, 0, hd);
                    addWeightedRowsFromZero(dq, dz, kh, hd, n);
                    System.arraycopy(dq, 0, dqkv[t], qs, hd);
                }
                addColumnTerms(dkh, dzs, qh, hd, from, to);
                addColumnTerms(dvh, ah, dyh, hd, from, to);
                for (int s = 0; s < to; s++) {
                    System.arraycopy(dkh[s], 0, dqkv[s], ks, hd);
                    System.arraycopy(dvh[s], 0, dqkv[s], vs, hd);
                }
            }
        });
    }

    /**
     * Each thread's scratch rows for the attention ({@link HeadRows}), kept by a workspace so that
     * a step allocates none: a thread works on one head at a time, and copies that head's columns
     * into its rows. Made the first time a thread needs them.
     */
    static final class AttentionRows {
        private HeadRows[] slots = new HeadRows[1];

        /** Makes room for the rows of {@code threads} threads: on the calling thread, before a loop. */
        void ensureSlots(int threads) {
            if (slots.length < threads) {
                slots = Arrays.copyOf(slots, threads);
            }
        }

        /**
         * The rows of thread {@code slot}, for {@code positions} positions (the workspace's, so that
         * they are made once) and heads of {@code hd} channels: only from that thread, within a loop.
         */
        HeadRows get(int slot, int positions, int hd) {
            HeadRows rows = slots[slot];
            if (rows == null || rows.q.length < positions || rows.row.length != hd) {
                rows = new HeadRows(positions, hd);
                slots[slot] = rows;
            }
            return rows;
        }
    }

    /**
     * One thread's rows for one head at a time, (T, hd) unless said otherwise, each row starting at
     * index 0 (see {@link #addWeightedRowsFromZero}).
     */
    static final class HeadRows {
        /** The head's queries. */
        final float[][] q;
        /** The head's keys (backward), or its values (forward). */
        final float[][] k;
        /** The head's part of the output's gradient. */
        final float[][] dy;
        /** The sums of the keys' gradients. */
        final float[][] dk;
        /** The sums of the values' gradients. */
        final float[][] dv;
        /** (T, T) each query's {@code dz}, the gradient of its logits. */
        final float[][] dz;
        /** (T) each query's attention weights of the head: references to the weights' rows. */
        final float[][] a;
        /** (hd) one query's gradient, or one position's output. */
        final float[] row;

        HeadRows(int positions, int hd) {
            q = new float[positions][hd];
            k = new float[positions][hd];
            dy = new float[positions][hd];
            dk = new float[positions][hd];
            dv = new float[positions][hd];
            dz = new float[positions][positions];
            a = new float[positions][];
            row = new float[hd];
        }
    }

    /**
     * {@code y[j] += c[0] r_0[j] + c[1] r_1[j] + ...} over the rows {@code s < n},
     * {@code j < len}: four rows per pass along {@code y}, the terms added one at a time in row
     * order (the same bits as one row per pass).
     *
     * <p>Why every array from index 0: C2 (JDK 17) vectorizes a loop only if it can order its
     * loads and stores, and it compares two array accesses only when their indices differ by a
     * constant; {@code y[at + j]} against {@code r[col + j]} (two different variables added) it
     * cannot compare, so it must assume the store into {@code y} may feed the next load from
     * {@code r}, and the loop stays scalar. ({@link #addWeightedRows} is that form: a single
     * position, in generation, uses it without copying the rows.)
     */
    private static void addWeightedRowsFromZero(float[] y, float[] c, float[][] rows, int len, int n) {
        int s = 0;
        for (; s + 3 < n; s += 4) {
            float c0 = c[s];
            float c1 = c[s + 1];
            float c2 = c[s + 2];
            float c3 = c[s + 3];
            float[] r0 = rows[s];
            float[] r1 = rows[s + 1];
            float[] r2 = rows[s + 2];
            float[] r3 = rows[s + 3];
            for (int j = 0; j < len; j++) {
                y[j] = y[j] + c0 * r0[j] + c1 * r1[j] + c2 * r2[j] + c3 * r3[j];
            }
        }
        for (; s < n; s++) {
            float cs = c[s];
            float[] r = rows[s];
            for (int j = 0; j < len; j++) {
                y[j] = y[j] + cs * r[j];
            }
        }
    }

    /**
     * {@code g_s += sum_t c_t[s] r_t} for each {@code s < to}, over the queries {@code t} of
     * {@code [from, to)} that attend to {@code s} ({@code t >= s}): the keys' gradients
     * ({@code c} the queries' {@code dz}, {@code r} the queries) and the values' ({@code c} the
     * weights, {@code r} the output's gradient). Four queries per pass along {@code g_s}, so that
     * each element is loaded and stored once per four terms; the terms go from the last query
     * down, one at a time, as when each query added its own (the same bits). Rows from index 0, as
     * in {@link #addWeightedRowsFromZero}.
     */
    private static void addColumnTerms(float[][] g, float[][] c, float[][] rows, int len, int from, int to) {
        for (int s = 0; s < to; s++) {
            float[] gs = g[s];
            int last = Math.max(s, from);
            int t = to - 1;
            for (; t - 3 >= last; t -= 4) {
                float c0 = c[t][s];
                float c1 = c[t - 1][s];
                float c2 = c[t - 2][s];
                float c3 = c[t - 3][s];
                float[] r0 = rows[t];
                float[] r1 = rows[t - 1];
                float[] r2 = rows[t - 2];
                float[] r3 = rows[t - 3];
                for (int j = 0; j < len; j++) {
                    gs[j] = gs[j] + c0 * r0[j] + c1 * r1[j] + c2 * r2[j] + c3 * r3[j];
                }
            }
            for (; t >= last; t--) {
                float cs = c[t][s];
                float[] r = rows[t];
                for (int j = 0; j < len; j++) {
                    gs[j] = gs[j] + cs * r[j];
                }
            }
        }
    }

    /**
     * {@code out[at + j] += c[0] r_0[j] + c[1] r_1[j] + ...} over the rows {@code s < n}, each
     * {@code r_s[j]} read from {@code rows[s][col + j]}, {@code j < len}: four rows per pass along
     * {@code out}, the terms still added one at a time in row order from 0 (the same bits as one
     * row per pass). Attention's forward pass sums the values this way, weighted by the attention
     * weights (into a zeroed {@code out}), and its backward pass adds the query's gradient, the
     * keys weighted by {@code dz}.
     */
    private static void addWeightedRows(float[] out, int at, float[] c, float[][] rows, int col, int len, int n) {
        int s = 0;
        for (; s + 3 < n; s += 4) {
            float c0 = c[s];
            float c1 = c[s + 1];
            float c2 = c[s + 2];
            float c3 = c[s + 3];
            float[] r0 = rows[s];
            float[] r1 = rows[s + 1];
            float[] r2 = rows[s + 2];
            float[] r3 = rows[s + 3];
            for (int j = 0; j < len; j++) {
                out[at + j] = out[at + j] + c0 * r0[col + j] + c1 * r1[col + j] + c2 * r2[col + j] + c3 * r3[col + j];
            }
        }
        for (; s < n; s++) {
            float cs = c[s];
            float[] r = rows[s];
            for (int j = 0; j < len; j++) {
                out[at + j] = out[at + j] + cs * r[col + j];
            }
        }
    }

    // -------------------------------------------------------------------------------- ReLU

    /**
     * {@code x = max(x, 0)} in place, element by element, for the positions {@code [from, to)}
     * (a NaN stays the same NaN, {@code -0f} becomes {@code +0f}).
     *
     * @param x (T, 4C) the MLP's hidden layer before the ReLU, after it on return
     */
    static void reluInPlace(float[][] x, int from, int to) {
        for (int t = from; t < to; t++) {
            float[] y = x[t];
            for (int i = 0; i < y.length; i++) {
                y[i] = Math.max(y[i], 0f);
            }
        }
    }

    /**
     * {@code din = 0 + dout} where the input was positive, {@code 0} elsewhere: the gradient of
     * ReLU written over {@code din} rather than added to it (the convention of the other backward
     * methods), which spares the pass that zeroed {@code din} first; the bits are those of zeroing
     * then adding ({@code 0f + dy}, so that a {@code -0f} of {@code dout} still becomes {@code +0f}).
     *
     * <p>Without a branch: the sign of the input was as good as random, and a branch on it, one
     * misprediction in two elements, took 3% of a one-thread f32 step at {@code nEmbd} 256 (3
     * December 2026, Zen 3). The input is positive exactly when its bits {@code b}, as an {@code int}, are in
     * {@code (0, 0x7f800000]} (not a zero of either sign, a negative number or a NaN), which
     * {@code (b - 1) | (0x7f800000 - b)} tells by its sign; the mask it makes keeps or clears the
     * bits of {@code dout}.
     *
     * @param din (T, 4C) overwritten
     * @param dout (T, 4C)
     * @param in (T, 4C) the input of the forward pass
     */
    static void reluGradient(float[][] din, float[][] dout, float[][] in, int from, int to) {
        for (int t = from; t < to; t++) {
            float[] x = in[t];
            float[] dy = dout[t];
            float[] dx = din[t];
            for (int i = 0; i < dx.length; i++) {
                int b = Float.floatToRawIntBits(x[i]);
                int keep = ~(((b - 1) | (0x7f800000 - b)) >> 31);
                dx[i] = 0f + Float.intBitsToFloat(Float.floatToRawIntBits(dy[i]) & keep);
            }
        }
    }

    // ------------------------------------------------------------------------ residual sum

    /**
     * {@code out = a + b}, element by element; {@code out} may be {@code a} (the forward pass
     * takes its residual sums in place, see {@link FloatWorkspace#attnProj}).
     *
     * @param out (T, C)
     * @param a (T, C) the branch's output
     * @param b (T, C) the residual
     */
    static void residualForward(float[][] out, float[][] a, float[][] b, int from, int to) {
        for (int t = from; t < to; t++) {
            float[] x = a[t];
            float[] r = b[t];
            float[] y = out[t];
            for (int i = 0; i < y.length; i++) {
                y[i] = x[i] + r[i];
            }
        }
    }

    /**
     * {@code da += dout}, {@code db += dout}.
     *
     * @param da (T, C) added to
     * @param db (T, C) added to
     * @param dout (T, C)
     */
    static void residualBackward(float[][] da, float[][] db, float[][] dout, int from, int to) {
        for (int t = from; t < to; t++) {
            addInto(da[t], dout[t]);
            addInto(db[t], dout[t]);
        }
    }

    // -------------------------------------------------------------- softmax, cross-entropy

    /**
     * {@code probs[t] = softmax(logits[t])} and {@code losses[t] = -log probs[t][tokens[t + 1]]}
     * for the positions {@code [from, to)}, the losses in double from the float probabilities.
     * Each position on its own, so that the positions can be shared out; {@link #meanLoss} folds
     * the losses.
     *
     * @param probs (T, V) the probabilities
     * @param losses (T) the loss of each position
     * @param logits (T, V)
     */
    static void crossEntropyForward(float[][] probs, double[] losses, float[][] logits, int[] tokens,
                                    int from, int to) {
        for (int t = from; t < to; t++) {
            float[] p = probs[t];
            System.arraycopy(logits[t], 0, p, 0, p.length);
            softmaxInPlace(p, p.length);
            losses[t] = -Math.log(p[tokens[t + 1]]);
        }
    }

    /** The mean of {@code losses[first .. to-1]}, summed in double in position order. */
    static double meanLoss(double[] losses, int first, int to) {
        double sum = 0.0;
        for (int t = first; t < to; t++) {
            sum += losses[t];
        }
        return sum / (to - first);
    }

    /**
     * Positions {@code [from, to)} of the gradient of a mean of {@code n} losses with respect to
     * the logits: {@code dlogits[t][i] += (probs[t][i] - [i == target]) / n}.
     *
     * @param dlogits (T, V) added to
     * @param probs (T, V) from the forward pass
     * @param n the number of losses averaged (the positions trained, not only {@code [from, to)})
     */
    static void crossEntropyBackward(float[][] dlogits, float[][] probs, int[] tokens, int from, int to, int n) {
        float invN = (float) (1.0 / n);
        for (int t = from; t < to; t++) {
            float[] p = probs[t];
            float[] dl = dlogits[t];
            for (int i = 0; i < dl.length; i++) {
                dl[i] = (dl[i] + p[i] * invN);
            }
            int target = tokens[t + 1];
            dl[target] -= invN;
        }
    }

    /**
     * {@code z[0 .. n-1] = softmax(z[0 .. n-1])}: minus the maximum, exponentials in double
     * rounded to float, the sum in double.
     */
    static void softmaxInPlace(float[] z, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, z[i]);
        }
        double total = 0.0;
        for (int i = 0; i < n; i++) {
            float e = (float) Math.exp(z[i] - max);
            z[i] = e;
            total += e;
        }
        float inverse = (float) (1.0 / total);
        for (int i = 0; i < n; i++) {
            z[i] *= inverse;
        }
    }

    // ------------------------------------------------------------------------------ helpers

    /** Sets rows {@code [from, to)} to 0: a gradient's rows before a backward method adds to them. */
    static void zeroRows(float[][] rows, int from, int to) {
        for (int t = from; t < to; t++) {
            Arrays.fill(rows[t], 0f);
        }
    }

    /** Sets the first {@code length} numbers of rows {@code [from, to)} to 0. */
    static void zeroRows(float[][] rows, int from, int to, int length) {
        for (int t = from; t < to; t++) {
            Arrays.fill(rows[t], 0, length, 0f);
        }
    }

    /** {@code a += b}, element by element. */
    static void addInto(float[] a, float[] b) {
        for (int i = 0; i < a.length; i++) {
            a[i] += b[i];
        }
    }
}
