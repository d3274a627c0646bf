package io.github.microgpt.model;

import io.github.microgpt.internal.FusedUpdates;
import io.github.microgpt.internal.RangeTask;
import io.github.microgpt.internal.kernels.MatrixKernels;
import io.github.microgpt.internal.kernels.Transposes;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The operations of {@link ArrayGptModel}, each as a {@code xForward} / {@code xBackward} pair
 * placed side by side, as in {@code llm.c}'s {@code train_gpt2.c}: embedding, RMSNorm, matrix
 * product, causal self-attention, ReLU, the residual sum, and softmax with cross-entropy.
 *
 * <p><b>Shapes.</b> Every activation is an array of rows, one row per position of the document
 * ({@code x[t]}, a {@code double[]} of the width given in each method's comment, {@code C} for
 * {@code nEmbd}). An operation works on positions {@code [from, to)}: all the positions of a
 * document when training, the one new position when generating. A weight matrix is an array of
 * its rows too ({@code w[o]}, {@code OC} rows of {@code C} columns, as {@code nn.Linear} and
 * {@code microgpt.py} store it).
 *
 * <p><b>Conventions.</b> Forward methods overwrite their outputs. Backward methods add to the
 * gradients they produce ({@code +=}), so that a gradient with several sources (the residual
 * stream, a key used by every later position) is just summed into; the model zeroes the
 * activations' gradients before a backward pass, and the optimizer zeroes the weights'. Two
 * exceptions overwrite their gradient, which has no other source: {@link #reluGradient} and
 * {@link #crossEntropyGradient} (with the bits of zeroing and adding).
 *
 * <p><b>Exactness.</b> Each forward method performs the operations of {@link GptModel#forward}
 * in the same order (every sum the same left fold {@code ((0 + a0) + a1) + ...}, {@code x / c}
 * as {@code x * c^-1}, softmax minus the maximum first), so logits and losses are bit-identical
 * to the {@code Value} engine at every size. The backward methods are the closed-form
 * derivatives summed in an order of their own, so gradients agree with the {@code Value} engine
 * to rounding only (see {@link ArrayGptModel}).
 *
 * <p><b>Speed.</b> Java may not reorder floating-point additions, so the JIT cannot spread one
 * left fold over SIMD lanes. {@link #matmulForward} therefore puts the lanes across outputs: it
 * multiplies by the transposed weights ({@code wT[i][o]}) so that the innermost loop is
 * {@code out[t][o] += in[t][i] * wT[i][o]} over the outputs {@code o}, each lane still summing
 * its own output in the order {@code i = 0, 1, 2, ...}. The backward products have no order to
 * keep and run along rows. Every inner loop is a plain counted loop over arrays indexed by the
 * loop variable, which HotSpot's C2 compiles to AVX instructions on any JDK 17; a pass of a
 * product's inner loop does the work of two rows times three terms: C2 on JDK 17 vectorises a
 * loop only while its body is small ({@code -XX:LoopUnrollLimit}), and larger blocks ran scalar,
 * at a third of the speed, always or in some JVMs only (see {@link #threeTermsTwoRows}).
 *
 * <p><b>Threads.</b> The two large operations, matrix products and attention, take a
 * {@link Workers} team and split their work by outputs (rows of the product, positions of the
 * input's gradient, heads). The element-wise operations take a range of positions, and the model
 * calls them for parts of a document from several threads (grouped in stages, see
 * {@link ArrayGptModel}); the embeddings' gradient takes a range of columns instead, since
 * positions with the same token add to the same row. No sum is ever split by the threads (the
 * backward product's input gradient is two sums over two halves of the weights' rows that the
 * shape alone fixes, see {@link #matmulBackward}), so the results do not depend on the number
 * of threads.
 *
 * <p><b>Figures.</b> The timings in these comments (and {@link FloatKernels}') say when and on
 * which machine they were measured, each on that day's code: "Zen 5" is a 2-vCPU AMD EPYC of
 * family 26 with AVX-512, where the project was measured on 2, 4 and 5 December 2026 and from
 * 7 December on; "Zen 3" a 2-vCPU AMD EPYC with AVX2 only (16 vector registers), where it was
 * measured from about noon of 3 December and from 6 December to the morning of 7 December. They
 * explain a choice; they are not guarantees, and a figure of one machine may not hold on the
 * other.
 */
final class Kernels {

    /** The epsilon of RMSNorm, as in {@code microgpt.py}. */
    static final double RMS_EPS = 1e-5;

    /**
     * {@code Math.pow(n, -1)} for the widths {@code n} up to 1024, RMSNorm's {@code C^-1}: computed
     * once rather than in every call (a pow cost 20-30 ns on 3 December 2026, Zen 3, and a step
     * of {@code microgpt.py}'s model made seven such calls). The same numbers: HotSpot's
     * interpreter and compilers call one and the same pow routine.
     */
    private static final double[] INVERSE_WIDTHS = new double[1025];

    static {
        for (int n = 0; n < INVERSE_WIDTHS.length; n++) {
            INVERSE_WIDTHS[n] = Math.pow(n, -1);
        }
    }

    /**
     * Below this many positions a matrix product runs position by position ({@link #matvecs}):
     * the transpose of the weights that {@link #matmulForward} multiplies by costs a pass over
     * them, which only enough positions make up for.
     */
    static final int MIN_POSITIONS_FOR_TRANSPOSE = 8;

    /**
     * The most weights ({@code rows * cols}) of a product that is multiplied by its transpose from
     * two positions on rather than from {@link #MIN_POSITIONS_FOR_TRANSPOSE}: 8 KB, which the
     * transpose reads and writes within the first-level cache, for about what one position costs
     * in {@link #matvecs}' scalar dot products, while the SIMD loop along the output row then does
     * every position faster. Every product of {@code microgpt.py}'s model is this small (the
     * largest, {@code mlp_fc1} and {@code mlp_fc2}, 1024 weights), and two thirds of its names
     * have fewer than 8 positions: there the forward pass took 8.2-8.4 us a step instead of
     * 8.5-9.3 (one thread, probe runs alternated, busy host; 4 December 2026, Zen 5).
     */
    static final int SMALL_TRANSPOSE_WEIGHTS = 1024;

    /**
     * Whether {@link #matmulForward} multiplies {@code positions} positions by the transposed
     * weights ({@link #productRows}) rather than one position at a time ({@link #matvecs}).
     */
    static boolean transposes(int positions, int rows, int cols) {
        return positions >= MIN_POSITIONS_FOR_TRANSPOSE
                || positions >= 2 && (long) rows * cols <= SMALL_TRANSPOSE_WEIGHTS;
    }

    /** The fewest rows of a product one thread takes at a time. */
    private static final int ROW_GRAIN = 16;

    /**
     * How many multiply-adds of a product (or of attention) count as one number of element-wise
     * work in {@link Workers#grain}: a multiply-add in a product's inner loop costs a fraction of
     * a nanosecond. With the teams' usual grain (4096 numbers) a product is shared out from
     * {@code 2 * 4096 * 8 = 65,536} multiply-adds on, at least 32,768 for each of two threads
     * (as many as the optimizer's {@code ParameterRows.MIN_PARAMETERS_PER_THREAD}), some microseconds of work.
     * Below that the hand-over costs more than the half it saves: at {@code microgpt.py}'s size
     * (the largest product 16 positions by 64 rows by 16 columns, 16,384 multiply-adds) two
     * threads ran a step at 0.39-0.43 times one thread's speed when every product was shared (core
     * loops, f64 and f32).
     */
    private static final int MULTIPLY_ADDS_PER_NUMBER = 8;

    /**
     * The fewest heads one thread takes at a time: one. {@link Workers} still gives each thread one
     * contiguous group of heads (its part, taken from the front), so the threads' heads do not
     * interleave in the rows they share, which would put both threads' writes into the same cache
     * lines; but a thread done with its group takes single heads from the back of another's
     * instead of waiting for it. A head's work does not depend on which thread does it. With the
     * whole group as one chunk, a helper that ran slower or started late (another program on its
     * core) held the caller waiting for up to half the attention (0.4-1.5 ms of a step measured
     * at {@code nEmbd} 256 on a busy machine, 3 December 2026, a 2-vCPU AMD EPYC).
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

    /**
     * Rows of the transposed weights handled per pass of {@link #productRows}: about 512 KB, which
     * stay in the second-level cache while every position goes over them (a multiple of three of
     * them, the rows of one pass, see {@link #threeTermsTwoRows}). Measured at
     * {@code nEmbd = 256} on two threads, 512 KB took 8.1 ms of the step's forward products,
     * 256 KB 8.4 ms and 128 KB 8.7 ms (each thread has its own buffer, in its own core's cache;
     * 3 December 2026, Zen 5).
     */
    private static final int FORWARD_BLOCK_DOUBLES = 64 * 1024;

    /**
     * Rows of the weights handled per pass of {@link #matmulBackwardInput}: about 256 KB of
     * weights, which stay in the second-level cache while every position goes over them, instead
     * of the whole matrix being read again from memory for each pair of positions. A multiple of
     * three, the rows of one pass.
     */
    private static final int BACKWARD_BLOCK_DOUBLES = 32 * 1024;

    private Kernels() {
    }

    /**
     * The team a product or an attention of {@code multiplyAdds} runs on: {@code workers}, or
     * the calling thread alone when the work is too little to share (see
     * {@link #MULTIPLY_ADDS_PER_NUMBER}). A threshold on the work rather than on the shape: the
     * same for any product of that many operations. The split never changes a result, so
     * neither does this choice; the tests' teams that split every loop finely
     * ({@code new Workers(threads, 1)}) share every product of 16 multiply-adds or more.
     */
    static Workers teamFor(Workers workers, long multiplyAdds) {
        long numbers = Math.min(Integer.MAX_VALUE, multiplyAdds / MULTIPLY_ADDS_PER_NUMBER);
        return workers.threads() == 1 || workers.grain((int) numbers, 1) != 0 ? workers : ArrayGptModel.SINGLE_THREAD;
    }

    /** {@link #teamFor} for a product of {@code positions} rows of {@code in} by the weights {@code w}. */
    static Workers teamFor(Workers workers, int positions, int rows, int cols) {
        return teamFor(workers, (long) positions * rows * cols);
    }

    // ---------------------------------------------------------------------------- embedding

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
    static void embeddingBackward(double[][] dwte, double[][] dwpe, double[][] dout, int[] tokens, int from, int to,
                                  int c0, int c1) {
        for (int t = from; t < to; t++) {
            double[] d = dout[t];
            double[] tok = dwte[tokens[t]];
            double[] pos = dwpe[t];
            for (int i = c0; i < c1; i++) {
                tok[i] += d[i];
                pos[i] += d[i];
            }
        }
    }

    // ------------------------------------------------------------------------------ RMSNorm

    /**
     * {@code out[t] = x[t] * s[t]} with {@code s[t] = (mean(x[t]^2) + eps)^-0.5}, the mean
     * computed as {@code (x0*x0 + x1*x1 + ...) * C^-1}; the scale {@code s[t]} is kept, since it is
     * all the backward pass needs besides {@code x}.
     *
     * @param out (T, C) the normalised rows
     * @param scale (T) the scale of each row
     * @param x (T, C) the rows to normalise
     */
    static void rmsnormForward(double[][] out, double[] scale, double[][] x, int from, int to) {
        if (from >= to) {
            return;
        }
        for (int t = from; t < to; t++) {
            double[] xt = x[t];
            double sumSq = 0.0;
            for (int i = 0; i < xt.length; i++) {
                sumSq += xt[i] * xt[i];
            }
            scale[t] = sumSq;
        }
        normalizeRows(out, scale, x, from, to);
    }

    /**
     * {@code sum = a + b} followed by {@code out = rmsnorm(sum)}: {@link #residualForward} and
     * {@link #rmsnormForward} in one pass over each row, the squares summed as each element of
     * the sum is made (the same fold, in the same order, over the same numbers). At 16 numbers a
     * row, a pass is mostly loop overhead; the residual stream is always normalised next.
     *
     * @param sum (T, C) {@code a + b}
     * @param out (T, C) the normalised rows
     * @param scale (T) the scale of each row
     * @param a (T, C) the branch's output
     * @param b (T, C) the residual
     */
    static void residualRmsnormForward(double[][] sum, double[][] out, double[] scale, double[][] a, double[][] b,
                                       int from, int to) {
        if (from >= to) {
            return;
        }
        for (int t = from; t < to; t++) {
            scale[t] = addRow(sum[t], a[t], b[t]);
        }
        normalizeRows(out, scale, sum, from, to);
    }

    /**
     * {@code encoded[t] = wte[tokens[t]] + wpe[t]} followed by {@link #rmsnormForward} of its
     * rows, in one pass over each row, as {@link #residualRmsnormForward}.
     *
     * @param encoded (T, C) {@code wte[token] + wpe[t]}
     * @param out (T, C) the normalised rows
     * @param scale (T) the scale of each row
     */
    static void embeddingRmsnormForward(double[][] encoded, double[][] out, double[] scale, int[] tokens,
                                        double[][] wte, double[][] wpe, int from, int to) {
        if (from >= to) {
            return;
        }
        for (int t = from; t < to; t++) {
            scale[t] = addRow(encoded[t], wte[tokens[t]], wpe[t]);
        }
        normalizeRows(out, scale, encoded, from, to);
    }

    /** {@code y = a + b}, returning {@code y[0]*y[0] + y[1]*y[1] + ...} folded from 0. */
    private static double addRow(double[] y, double[] a, double[] b) {
        double sumSq = 0.0;
        for (int i = 0; i < y.length; i++) {
            double v = a[i] + b[i];
            y[i] = v;
            sumSq += v * v;
        }
        return sumSq;
    }

    /**
     * Rows {@code [from, to)} of {@code out = x * s}, {@code s = (sumSq * C^-1 + eps)^-0.5}, where
     * {@code scale} holds each row's {@code sumSq} and is given its {@code s}. All the rows' pow
     * calls come first, one after another, so that the processor overlaps them (20-30 ns each on
     * 3 December 2026, Zen 3, independent of one another), rather than each waiting for its
     * row's sum and holding up the next row's.
     */
    private static void normalizeRows(double[][] out, double[] scale, double[][] x, int from, int to) {
        double inverseWidth = inverseWidth(x[from].length);
        for (int t = from; t < to; t++) {
            scale[t] = Math.pow(scale[t] * inverseWidth + RMS_EPS, -0.5);
        }
        for (int t = from; t < to; t++) {
            double[] xt = x[t];
            double[] ot = out[t];
            double s = scale[t];
            for (int i = 0; i < xt.length; i++) {
                ot[i] = xt[i] * s;
            }
        }
    }

    /** {@code Math.pow(n, -1)}, from a table for the usual widths. */
    static double inverseWidth(int n) {
        return n < INVERSE_WIDTHS.length ? INVERSE_WIDTHS[n] : Math.pow(n, -1);
    }

    /**
     * With {@code y = s x} and {@code s = (mean(x^2) + eps)^-1/2}:
     * {@code dx_i += s dy_i - (s^3 / C) x_i sum_j dy_j x_j}.
     *
     * @param dx (T, C) the gradient of the input, added to
     * @param dout (T, C) the gradient of the output
     * @param x (T, C) the input
     * @param scale (T) the scales kept by the forward pass
     */
    static void rmsnormBackward(double[][] dx, double[][] dout, double[][] x, double[] scale, int from, int to) {
        if (from >= to) {
            return;
        }
        double inverseWidth = inverseWidth(x[from].length);
        for (int t = from; t < to; t++) {
            double[] xt = x[t];
            double[] dy = dout[t];
            double[] dxt = dx[t];
            double s = scale[t];
            double dot = 0.0;
            for (int i = 0; i < xt.length; i++) {
                dot += dy[i] * xt[i];
            }
            double coefficient = -dot * s * s * s * inverseWidth;
            for (int i = 0; i < xt.length; i++) {
                dxt[i] += s * dy[i] + coefficient * xt[i];
            }
        }
    }

    // ------------------------------------------------------------------------ matrix product

    /**
     * {@code out[t][o] = sum_i w[o][i] * in[t][i]}, each sum the left fold over {@code i} from 0
     * (a linear layer without bias). From {@link #MIN_POSITIONS_FOR_TRANSPOSE} positions on, the
     * product is a sum of rows of the transposed weights, {@code out[t] += in[t][i] * wT[i]} for
     * {@code i = 0, 1, 2, ...}: SIMD lanes along the output row (see the class comment), each
     * lane still summing its own output in the order of the {@code Value} engine; so from two
     * positions on are small weights (see {@link #transposes}). Fewer positions, as in
     * generation, are multiplied one by one without the transpose. Both give the same bits. Split over the team by rows of the weights (columns of the output), one part
     * per thread; by positions when there are too few rows to share, or too few for the input's
     * width ({@link #forwardByPositions}).
     *
     * <p>Each thread transposes its own rows of the weights, a block of columns at a time, into
     * a buffer of its own that stays in its core's second-level cache while every position goes
     * over it (see {@link #productRows}), so that nothing one thread writes is read by the other
     * and they need not meet between the transpose and the product. (Split by positions, as it
     * was, each thread transposed all the weights, and both read all of them from memory at
     * once: measured at {@code nEmbd = 256}, a step's transposes took 5.0-5.8 ms on one thread
     * and 9.0-11.9 ms of the two threads' time, against 6.1-7.0 ms split by rows; the step's
     * forward products on two threads took 18.8-22.5 ms instead of 19.5-24.9, one JVM, runs
     * alternated, 3 December 2026, Zen 3. One shared transpose, split by columns, followed by
     * the product, had been slower still: 9.1 ms against 8.1 on a machine where the products
     * took that.)
     *
     * @param out (T, OC) the product
     * @param in (T, C) the input
     * @param w (OC, C) the weights
     * @param wT (at least C, at least OC) scratch for the transposed weights, for the optional
     *     kernels of {@link ArrayKernels} only; may be {@code null}
     * @param blocks the threads' buffers for the blocks of transposed weights; may be
     *     {@code null} when {@code to - from < 2}, since it is then not used
     */
    static void matmulForward(double[][] out, double[][] in, double[][] w, int from, int to,
                              double[][] wT, TransposeBlocks blocks, Workers team) {
        Workers workers = teamFor(team, to - from, w.length, w[0].length);
        if (ArrayKernels.matmulForward(out, in, w, from, to, wT, workers)) {
            return;
        }
        int n = to - from;
        int rows = w.length;
        if (!transposes(n, rows, w[0].length)) {
            workers.forRange(rows, ROW_GRAIN, (o0, o1) -> matvecs(out, in, w, o0, o1, from, to));
            return;
        }
        int cols = w[0].length;
        blocks.ensureSlots(workers.threads());
        int rowGrain = forwardRowGrain(rows, workers);
        if (rows < 2 * rowGrain || forwardByPositions(rows, cols, workers)) {
            // Too few rows to share (the output layer's 27, one thread), or too few for the
            // input's width (see forwardByPositions): by positions, each thread transposing the
            // weights itself.
            int block = Math.min(cols, Math.max(3, FORWARD_BLOCK_DOUBLES / rows / 3 * 3));
            workers.forRangeWithSlot(n, positionGrain(n, workers), (slot, p0, p1) -> productRows(out, in, w,
                    blocks.get(slot, block, rows), block, from + p0, from + p1, 0, rows, false));
            return;
        }
        // Split by rows of the weights, one part per thread: each thread transposes only its own
        // rows (see forwardRowGrain).
        workers.forRangeWithSlot(rows, rowGrain, (slot, o0, o1) -> {
            int width = o1 - o0;
            int block = Math.min(cols, Math.max(3, FORWARD_BLOCK_DOUBLES / width / 3 * 3));
            // A part of the rows is summed in the thread's buffer, below its block of weights, and
            // copied out at the end: the parts meet inside a cache line of every output row, which
            // two threads writing at every pass would hand back and forth between their cores.
            boolean whole = width == rows;
            productRows(out, in, w, whole ? blocks.get(slot, block, rows) : blocks.exact(slot, block + n, width),
                    block, from, to, o0, o1, !whole);
        });
    }

    /**
     * The rows of the weights one thread takes in the forward product: its whole share, rounded
     * up to a multiple of 8. Split by positions, as it was, each thread transposed all the
     * weights, reading all of them from memory while the other thread read the same (measured
     * at {@code nEmbd} 256, a step's transposes took 4.2 ms on one thread and 3.8 ms on each of
     * two in double precision, 4.5 and 4.8 ms in single; 3 December 2026, Zen 3); split by rows,
     * each thread transposes
     * and reads only its own. One chunk per thread, as each chunk reads every position's input.
     * The same for both precisions ({@link FloatKernels#matmulForward} asks here too).
     *
     * <p>Finer chunks, so that a thread done first could take rows from the back of the other's
     * part when the host slows one vCPU, made things worse: a quarter of the share as the grain
     * (chunks of a half and a quarter of the share; with the f32 MLP's second product also in two
     * groups of positions per half, see {@code FloatKernels.forwardInHalves}), measured at
     * {@code nEmbd} 256, 4 layers, 64 positions, core loops (7 December 2026, Zen 5; one JVM,
     * one trainer on one thread and two on two, one-chunk and finer switched every round, 30
     * rounds of 3 steps, medians of the rounds' ratios, the threads' buffers kept for every
     * width): a two-thread step in f32 0.892 times the speed of one chunk per thread (one chunk
     * read 1.805 times one thread's speed, finer 1.618), in f64 1.029 (the medians against one
     * thread 1.721 and 1.699). Not kept.
     */
    static int forwardRowGrain(int rows, Workers workers) {
        int share = (rows + workers.threads() - 1) / workers.threads();
        return Math.max(ROW_GRAIN, (share + 7) / 8 * 8);
    }

    /**
     * Whether {@link #matmulForward} splits a product by positions although it has rows enough to
     * share: when each thread's share of the rows is under 256 and the input is at least four
     * times as wide as that share, as the MLP's second product at {@code nEmbd} 256 (256 rows of
     * 1024 columns, 128 rows a thread of two). Split by rows, each thread's inner loop then runs
     * along only 128 outputs, and each thread reads every position's input, half of which the
     * other core has just written (the ReLU before it is split by positions, as this split is);
     * by positions, each thread transposes all the weights instead, but reads only the inputs it
     * wrote itself and runs along whole output rows. Measured on two threads (core loops, one
     * JVM, old and new alternated, medians of 12 and 14 rounds): that product took 2.58 and 2.93
     * ms a step instead of 2.84 and 3.34, while on one thread nothing changes; the attention's
     * output product, as narrow but only 256 columns wide, was slower by positions (0.78 ms
     * instead of 0.73), so it keeps the rows (4 December 2026, Zen 5). Either split gives the
     * same bits.
     */
    static boolean forwardByPositions(int rows, int cols, Workers workers) {
        int share = (rows + workers.threads() - 1) / workers.threads();
        return share < 256 && cols >= 4 * share;
    }

    /**
     * The threads' buffers of {@link #matmulForward}: one per thread of the team (its slot, see
     * {@link Workers.SlotTask}), each a block of rows of transposed weights (about 512 KB): one
     * grown to the largest block asked for, for whole products, and one per width for the parts
     * of the rows a thread takes, with room for the part's sums below the block.
     */
    static final class TransposeBlocks {
        /** Buffers of different widths each thread keeps for parts of rows (a model has four). */
        private static final int WIDTHS = 6;

        private double[][][] slots = new double[1][][];
        private double[][][][] parts = new double[1][][][];
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
        double[][] get(int slot, int count, int length) {
            double[][] buffer = slots[slot];
            if (buffer == null || buffer.length < count) {
                buffer = buffer == null ? new double[count][] : Arrays.copyOf(buffer, count);
                slots[slot] = buffer;
            }
            for (int j = 0; j < count; j++) {
                if (buffer[j] == null || buffer[j].length < length) {
                    buffer[j] = new double[length];
                }
            }
            return buffer;
        }

        /**
         * The buffer of thread {@code slot} for a part of a product's rows: at least
         * {@code count} rows of exactly {@code length}. Exactly, because a block's rows lie in
         * memory about one after another, as they were allocated, and rows longer than the part
         * used put the used parts a long stride apart, in the same few sets of the caches
         * (measured at {@code nEmbd} 256 on 3 December 2026, Zen 3: the products on two threads
         * as slow as on one). So a thread keeps a buffer per width it meets, the oldest replaced.
         */
        double[][] exact(int slot, int count, int length) {
            if (parts[slot] == null) {
                parts[slot] = new double[WIDTHS][][];
                widths[slot] = new int[WIDTHS];
            }
            double[][][] kept = parts[slot];
            int k = 0;
            while (k < WIDTHS && !(kept[k] != null && widths[slot][k] == length)) {
                k++;
            }
            if (k == WIDTHS) {
                k = next[slot];
                next[slot] = (k + 1) % WIDTHS;
                kept[k] = new double[0][];
                widths[slot][k] = length;
            }
            double[][] buffer = kept[k];
            if (buffer.length < count) {
                int old = buffer.length;
                buffer = Arrays.copyOf(buffer, count);
                for (int j = old; j < count; j++) {
                    buffer[j] = new double[length];
                }
                kept[k] = buffer;
            }
            return buffer;
        }
    }

    /**
     * Positions {@code [from, to)} of {@code out[t] = sum_i in[t][i] * w[.][i]}: the columns of
     * {@code w} go in blocks of {@code block}, each transposed into {@code buffer}
     * ({@code buffer[i - i0][o] = w[o][i]}, about 512 KB, which stays in the second-level cache)
     * and then added to every position, two positions and three rows of the block per pass along
     * the output row, so that each vector of the block loaded feeds both positions. Every
     * {@code out[t][o]} is still the left fold
     * {@code (((0 + in[t][0]*w[o][0]) + in[t][1]*w[o][1]) + ...)}, since the blocks go in order
     * and Java evaluates {@code a + b + c} as {@code (a + b) + c}, whichever terms a pass groups;
     * a position alone (the last of an odd range) gets the same operations as one of a pair.
     *
     * <p>The loop along the output row is {@link #threeTermsTwoRows}, a method of its own (see
     * there why); the loops around it stay here.
     */
    private static void productRows(double[][] out, double[][] in, double[][] w, double[][] buffer, int block,
                                    int from, int to, int o0, int o1, boolean apart) {
        int rows = o1 - o0;
        int cols = w[0].length;
        // The sums go to y[t - shift], columns [0, rows): the output's rows (o0 = 0), or the
        // buffer's rows from block on.
        double[][] y = apart ? buffer : out;
        int shift = apart ? from - block : 0;
        for (int t = from; t < to; t++) {
            Arrays.fill(y[t - shift], 0, rows, 0.0);
        }
        for (int i0 = 0; i0 < cols; i0 += block) {
            int i1 = Math.min(cols, i0 + block);
            Transposes.columns(w, buffer, i0, i1, 0, o0, o1);
            int t = from;
            for (; t + 1 < to; t += 2) {
                double[] u = in[t];
                double[] v = in[t + 1];
                double[] yu = y[t - shift];
                double[] yv = y[t + 1 - shift];
                int i = i0;
                for (; i + 2 < i1; i += 3) {
                    threeTermsTwoRows(yu, yv, u, v, i, buffer, i - i0, rows);
                }
                for (; i < i1; i++) {
                    double a = u[i];
                    double b = v[i];
                    double[] c = buffer[i - i0];
                    for (int o = 0; o < rows; o++) {
                        yu[o] = yu[o] + a * c[o];
                        yv[o] = yv[o] + b * c[o];
                    }
                }
            }
            if (t < to) {
                double[] u = in[t];
                double[] yu = y[t - shift];
                for (int i = i0; i < i1; i++) {
                    double a = u[i];
                    double[] c = buffer[i - i0];
                    for (int o = 0; o < rows; o++) {
                        yu[o] = yu[o] + a * c[o];
                    }
                }
            }
        }
        if (apart) {
            for (int t = from; t < to; t++) {
                System.arraycopy(y[t - shift], 0, out[t], o0, rows);
            }
        }
    }

    /**
     * {@code yu += u[i..i+2] * wT[j..j+2]} and the same for {@code yv} and {@code v}, each output
     * summed in the order of the terms: the inner loop of {@link #productRows}, where {@code wT}
     * is a block of transposed weights and row {@code j} is column {@code i}.
     *
     * <p>Why three terms: C2 on JDK 17 unrolls and vectorises a loop
     * only if its body is at most {@code -XX:LoopUnrollLimit} (60) nodes when it first looks at
     * it, and at that point the body still holds the range checks that loop predication has just
     * moved out of the loop; it counts again, without them, only if something else in the same
     * compilation changes the graph (JDK 25 vectorised two rows by four terms in every case).
     * With four terms the body is 62 nodes: compiled on its own this loop always ran scalar, and
     * inlined into the loops around it, it ran with SIMD instructions or without depending on
     * what else the compilation found to do, which the run's profile decides (in about a third of
     * JVMs, 256/4/8/64 trained at 9-12 steps/s instead of 20, on 2 December 2026, Zen 5). With
     * three terms it is 52 nodes and vectorised in either place. Each term more or less is ten
     * nodes (found with {@code -XX:+LogCompilation}'s loop trees over a range of {@code -XX:LoopUnrollLimit}); the
     * backward products use the same two-by-three block for the same reason.
     */
    private static void threeTermsTwoRows(double[] yu, double[] yv, double[] u, double[] v, int i, double[][] wT,
                                          int j, int rows) {
        double a0 = u[i];
        double a1 = u[i + 1];
        double a2 = u[i + 2];
        double b0 = v[i];
        double b1 = v[i + 1];
        double b2 = v[i + 2];
        double[] c0 = wT[j];
        double[] c1 = wT[j + 1];
        double[] c2 = wT[j + 2];
        for (int o = 0; o < rows; o++) {
            double x0 = c0[o];
            double x1 = c1[o];
            double x2 = c2[o];
            yu[o] = yu[o] + a0 * x0 + a1 * x1 + a2 * x2;
            yv[o] = yv[o] + b0 * x0 + b1 * x1 + b2 * x2;
        }
    }

    /**
     * The gradients of {@link #matmulForward}: {@code din[t][i] += sum_o dout[t][o] * w[o][i]}
     * and {@code dw[o][i] += sum_t dout[t][o] * in[t][i]}, shared out by {@link SlicedProduct}:
     * from {@link #HALVES_MIN_WEIGHTS} numbers in the weights on, the input's gradient is two left
     * folds over two halves of the weights' rows, added at the end (a thread reads only its
     * half's weights); below, one fold over all the rows. Either way the shape alone fixes the
     * sums, so the bits do not depend on the threads.
     *
     * <p>{@code dwCleared} says that every element of {@code dw} is {@code +0.0} (the step's first
     * backward pass after the optimizer cleared the gradients), for the optional module's
     * kernels, which may then start the weights' gradient from 0 instead of reading it (see
     * {@link io.github.microgpt.internal.kernels.MatrixKernels}). The loops here ignore it: their
     * first pass over three positions starting from {@code 0.0} measured no faster at
     * {@code nEmbd} 256 (one JVM, steps alternated, three runs: 0.95-1.07 times the step's speed
     * on one thread, 0.97-1.01 on two; 3 December 2026, Zen 3), since they read the gradient's
     * rows along their length,
     * which the processor prefetches.
     *
     * @param din (T, C) the gradient of the input, added to
     * @param dw (OC, C) the gradient of the weights, added to
     * @param dout (T, OC) the gradient of the output
     * @param in (T, C) the input
     * @param w (OC, C) the weights
     * @param dwCleared whether every element of {@code dw} is {@code +0.0}
     */
    static void matmulBackward(double[][] din, double[][] dw, double[][] dout, double[][] in, double[][] w,
                               int from, int to, Workers team, boolean dwCleared) {
        backward(din, dw, dout, in, w, from, to, team, dwCleared, false);
    }

    /**
     * {@link #matmulBackward}, with the rows {@code [from, to)} of {@code din} overwritten when
     * {@code overwrite}: each piece of positions zeroes its own rows just before it adds to them,
     * on the thread that sums them (the same bits as zeroing them all first).
     */
    private static void backward(double[][] din, double[][] dw, double[][] dout, double[][] in, double[][] w,
                                 int from, int to, Workers team, boolean dwCleared, boolean overwrite) {
        Workers workers = teamFor(team, to - from, w.length, w[0].length);
        if (ArrayKernels.matmulBackward(din, dw, dout, in, w, from, to, workers, dwCleared, overwrite)) {
            return;
        }
        if (workers.threads() > 2) {
            wideBackward(din, dw, dout, in, w, from, to, overwrite, workers);
            return;
        }
        if (workers.threads() == 1 && middleRow(w.length, w[0].length) == w.length) {
            // One thread and one fold over all the rows (every product of microgpt.py's size):
            // SlicedProduct's own order, input's gradient then weights', without its object and its
            // counters (seven volatile writes and a few compare-and-sets per product, for nobody
            // to read). matmulBackwardWeights gives a row the same operations whatever its slice,
            // so one call over all the rows is the slices' bits. Measured at the reference size
            // with the core's loops (training steps of the names, this way and SlicedProduct
            // alternated in one JVM, medians of the rounds' ratios): 0.9827 of the step's time over
            // 100 rounds of 1,000 steps, 0.9935 over 60 rounds of 2,000.
            if (overwrite) {
                zeroRows(din, from, to);
            }
            matmulBackwardInput(din, dout, w, from, to, 0, w.length);
            matmulBackwardWeights(dw, 0, dout, in, from, to, 0, w.length);
            return;
        }
        new SlicedProduct(din, dw, dout, in, w, from, to, overwrite, null, null).run(workers);
    }

    /**
     * {@link #backward} on more than two threads, with the sums of {@link SlicedProduct}: each
     * half's positions of the input's gradient in as many groups as half the threads (each group
     * reads its half's weights), and at the same time the weights' gradient by rows; then the
     * halves' sum by positions.
     */
    private static void wideBackward(double[][] din, double[][] dw, double[][] dout, double[][] in, double[][] w,
                                     int from, int to, boolean overwrite, Workers workers) {
        int n = to - from;
        int rows = w.length;
        int middle = middleRow(rows, w[0].length);
        double[][] second = middle < rows ? SliceScratch.LOCAL.get().secondHalf(to, w[0].length) : null;
        int halves = second == null ? 1 : 2;
        int groups = Math.max(1, workers.threads() / halves);
        workers.forRanges(halves * groups, 1, (u0, u1) -> {
            for (int u = u0; u < u1; u++) {
                int g = u % groups;
                int p0 = from + n * g / groups;
                int p1 = from + n * (g + 1) / groups;
                if (u < groups) {
                    if (overwrite) {
                        zeroRows(din, p0, p1);
                    }
                    matmulBackwardInput(din, dout, w, p0, p1, 0, middle);
                } else {
                    zeroRows(second, p0, p1);
                    matmulBackwardInput(second, dout, w, p0, p1, middle, rows);
                }
            }
        }, rows, ROW_GRAIN, (o0, o1) -> matmulBackwardWeights(dw, 0, dout, in, from, to, o0, o1));
        if (second != null) {
            workers.forRange(n, positionGrain(n, workers), (p0, p1) -> addRows(din, second, from + p0, from + p1));
        }
    }

    /**
     * The most bytes of one slice of the weights' gradient in {@link SlicedProduct}: a slice summed
     * into a thread's scratch stays in the first-level cache until the update reads it.
     */
    static final int SLICE_BYTES = 16 * 1024;

    /** The positions of a half's input gradient a thread takes at a time from the back of another's. */
    private static final int INPUT_PIECE = 8;

    /** The positions of the sum of the two halves' input gradients a thread takes at a time. */
    private static final int ADD_PIECE = 16;

    /**
     * The fewest numbers in the weights for {@link SlicedProduct} to cut their rows in two halves
     * (see there). A function of the shape alone, so of no thread: every product of
     * {@code microgpt.py}'s size (at most 64 rows of 16) stays one left fold over all the rows,
     * the order the model's reference run was checked in.
     */
    static final int HALVES_MIN_WEIGHTS = 4 * 1024;

    /**
     * Where {@link SlicedProduct} cuts the {@code rows} rows of {@code cols} columns of the
     * weights in two: half of them from {@link #HALVES_MIN_WEIGHTS} numbers on, otherwise
     * {@code rows} (one left fold over all of them). A function of the shape alone.
     */
    static int middleRow(int rows, int cols) {
        return rows >= 2 && (long) rows * cols >= HALVES_MIN_WEIGHTS ? rows / 2 : rows;
    }

    /** Longs between two counters of {@link SlicedProduct}: 64 bytes, a cache line. */
    private static final int COUNTER_STRIDE = 8;

    /**
     * Each thread's scratch for {@link SlicedProduct}: a slice's gradient, the slices it has yet
     * to update, and (the calling thread's) the second half's sums of the input's gradient. The
     * arrays are kept one per width of the weights' rows: a layer's products have two widths
     * ({@code nEmbd} and {@code 4 nEmbd}), and one array for both was made again at nearly every
     * product.
     */
    private static final class SliceScratch {
        static final ThreadLocal<SliceScratch> LOCAL = ThreadLocal.withInitial(SliceScratch::new);

        private double[][][] slices = new double[0][][];
        private double[][][] halves = new double[0][][];
        private int[] pending = new int[0];
        /** The counters of the calling thread's products, one product at a time ({@link SlicedProduct#counters}). */
        final AtomicLongArray counters = new AtomicLongArray(7 * COUNTER_STRIDE);

        /** A slice's gradient: at least {@code count} rows of exactly {@code length} numbers. */
        double[][] rows(int count, int length) {
            slices = ofWidth(slices, count, length);
            return find(slices, length);
        }

        /** The second half's sums: at least {@code count} rows of exactly {@code length} numbers. */
        double[][] secondHalf(int count, int length) {
            halves = ofWidth(halves, count, length);
            return find(halves, length);
        }

        /** Room for {@code count} slices' first rows. */
        int[] pending(int count) {
            if (pending.length < count) {
                pending = new int[count];
            }
            return pending;
        }

        /** {@code kept} with an array of at least {@code count} rows of {@code length} numbers (count at least 1). */
        private static double[][][] ofWidth(double[][][] kept, int count, int length) {
            for (int i = 0; i < kept.length; i++) {
                if (kept[i][0].length == length) {
                    if (kept[i].length < count) {
                        kept[i] = new double[count][length];
                    }
                    return kept;
                }
            }
            double[][][] more = Arrays.copyOf(kept, kept.length + 1);
            more[kept.length] = new double[count][length];
            return more;
        }

        private static double[][] find(double[][][] kept, int length) {
            for (double[][] rows : kept) {
                if (rows[0].length == length) {
                    return rows;
                }
            }
            throw new IllegalStateException("no scratch of width " + length);
        }
    }

    /**
     * A backward product ({@link #backward}) in two halves of the weights' rows, in pieces either
     * of two threads may take, with the optimizer's update of the weights inside it when
     * {@code update} is not null.
     *
     * <p><b>Two halves.</b> With at least {@link #HALVES_MIN_WEIGHTS} numbers in the weights,
     * their rows are cut in two at {@code rows / 2}, as in single precision
     * ({@code FloatKernels.matmulBackward}): the input's gradient is summed over each half on its
     * own, the first half's sums from {@code din}'s stored values (or 0 when overwriting), the
     * second's from 0 in scratch, and the two are added at the end. Each sum is one left fold
     * over its half's rows in order, which the shape alone fixes, so the bits do not depend on
     * the threads (they do differ from one fold over all the rows, by rounding). Smaller weights
     * stay one fold over all the rows (the first half is all of them). Thread {@code k} of two
     * owns half {@code k}: it reads only that half's rows of the weights and writes only that
     * half's rows of their gradient and, when updating, of the weights, so that no line of the
     * weights another core has read is written (split by positions, both cores read every row,
     * and the update then wrote lines the other core held).
     *
     * <p><b>Pieces.</b> A thread first sums all the positions of its half's input gradient in one
     * pass over the half's weights, then its half's slices of the weights' gradient (at most
     * {@link #SLICE_BYTES} each) from the front, one at a time; then single slices from the back
     * of the other half, then pieces of {@link #ADD_PIECE} positions of the sum of the halves. So
     * a thread that starts late or is descheduled holds the other up for at most a slice (two to
     * eight rows) or a piece, where a {@link Workers} loop's rows went out in chunks of
     * {@link #ROW_GRAIN} (about 60 us of {@code mlp_fc2} at {@code nEmbd} 256 on 5 December
     * 2026, Zen 5).
     *
     * <p><b>The update.</b> A half's input gradient reads every row of that half, so a slice's
     * rows may be updated only once every position of its half is done. A slice summed before
     * that goes into {@code dw}'s rows and its update waits: the thread runs it before its next
     * slice of that half once the half is done, or at the end (taking pieces of
     * {@link #INPUT_PIECE} positions from the back of the half's input gradient if nobody has
     * started them, rather than waiting for their owner; otherwise it waits only for pieces being
     * computed). A slice summed after that is updated at once, from the thread's scratch when
     * {@code fromScratch} is not null (the weights' gradient starts cleared: its rows are then
     * neither written nor read back and zeroed), while the slice is in the first-level cache.
     * Every weight is updated once, after its gradient is complete and after every read of it.
     *
     * <p>Every number of both gradients is computed by {@link #matmulBackwardInput} or
     * {@link #matmulBackwardWeights}, whose results do not depend on how positions or rows are
     * split: the same bits on any number of threads.
     */
    private static final class SlicedProduct {
        private final double[][] din;
        private final double[][] dw;
        private final double[][] dout;
        private final double[][] in;
        private final double[][] w;
        private final double[][] secondHalf;
        private final int from;
        private final int to;
        private final boolean overwrite;
        private final RangeTask update;
        private final MatrixKernels.GradientRange<double[][]> fromScratch;
        private final int middle;
        private final int slice;
        /** The first slice of the second half: slice {@code s} is rows from {@code sliceRow(s)}. */
        private final int secondSlices;
        /**
         * Half {@code h}'s positions of the input gradient at {@link #inputsAt}, its slices at
         * {@link #slicesAt}, each packed as {@link Workers}' cursors (the next from the front in
         * the high half, one past the last in the low half); its positions done at
         * {@link #doneAt}; the positions of the halves' sum at {@link #ADDS}.
         */
        private final AtomicLongArray counters;
        private static final int ADDS = 6 * COUNTER_STRIDE;

        SlicedProduct(double[][] din, double[][] dw, double[][] dout, double[][] in, double[][] w, int from, int to,
                      boolean overwrite, RangeTask update, MatrixKernels.GradientRange<double[][]> fromScratch) {
            this.din = din;
            this.dw = dw;
            this.dout = dout;
            this.in = in;
            this.w = w;
            this.from = from;
            this.to = to;
            this.overwrite = overwrite;
            this.update = update;
            this.fromScratch = fromScratch;
            int rows = w.length;
            int cols = w[0].length;
            middle = middleRow(rows, cols);
            slice = Math.max(1, SLICE_BYTES / Double.BYTES / cols);
            secondSlices = (middle + slice - 1) / slice;
            int slices = secondSlices + (rows - middle + slice - 1) / slice;
            // The calling thread's: its products run one after another, and a product's threads
            // are done with its counters when it returns.
            SliceScratch own = SliceScratch.LOCAL.get();
            secondHalf = middle < rows ? own.secondHalf(to, cols) : null;
            counters = own.counters;
            counters.set(doneAt(0), 0);
            counters.set(doneAt(1), 0);
            counters.set(inputsAt(0), pack(from, to));
            counters.set(inputsAt(1), middle < rows ? pack(from, to) : pack(0, 0));
            counters.set(slicesAt(0), pack(0, secondSlices));
            counters.set(slicesAt(1), pack(secondSlices, slices));
            counters.set(ADDS, middle < rows ? pack(from, to) : pack(0, 0));
        }

        private static int inputsAt(int half) {
            return half * COUNTER_STRIDE;
        }

        private static int slicesAt(int half) {
            return (2 + half) * COUNTER_STRIDE;
        }

        private static int doneAt(int half) {
            return (4 + half) * COUNTER_STRIDE;
        }

        /** Runs the product on {@code workers}, of one or two threads; returns when all is done. */
        void run(Workers workers) {
            if (workers.threads() == 1 || middle == w.length && w.length <= slice) {
                part(0, true);
                return;
            }
            workers.forRange(2, 1, (k0, k1) -> {
                for (int k = k0; k < k1; k++) {
                    part(k, false);
                }
            });
        }

        private static long pack(int front, int back) {
            return (long) front << 32 | back & 0xFFFF_FFFFL;
        }

        /**
         * Takes up to {@code most} items from the front (or the back) of the range at
         * {@code at}: their range packed as a cursor, or -1 if none is left.
         */
        private long take(int at, boolean front, int most) {
            while (true) {
                long cursor = counters.get(at);
                int first = (int) (cursor >>> 32);
                int end = (int) cursor;
                if (first >= end) {
                    return -1;
                }
                int size = Math.min(most, end - first);
                long taken = front ? pack(first, first + size) : pack(end - size, end);
                long left = front ? pack(first + size, end) : pack(first, end - size);
                if (counters.compareAndSet(at, cursor, left)) {
                    return taken;
                }
            }
        }

        /** Sums half {@code half}'s input gradient of the positions packed in {@code range}, and counts them done. */
        private void inputs(int half, long range) {
            int p0 = (int) (range >>> 32);
            int p1 = (int) range;
            if (half == 0) {
                if (overwrite) {
                    zeroRows(din, p0, p1);
                }
                matmulBackwardInput(din, dout, w, p0, p1, 0, middle);
            } else {
                zeroRows(secondHalf, p0, p1);
                matmulBackwardInput(secondHalf, dout, w, p0, p1, middle, w.length);
            }
            counters.addAndGet(doneAt(half), p1 - p0);
        }

        private boolean inputsDone(int half) {
            return half == 1 && middle == w.length || counters.get(doneAt(half)) == to - from;
        }

        /** The first row of slice {@code s}. */
        private int sliceRow(int s) {
            return s < secondSlices ? s * slice : middle + (s - secondSlices) * slice;
        }

        /** One past the last row of the slice that starts at row {@code r0}. */
        private int sliceEnd(int r0) {
            return Math.min(r0 < middle ? middle : w.length, r0 + slice);
        }

        /**
         * A thread's work as the owner of half {@code own} (see the class comment); {@code alone},
         * the only thread, it sums both halves' input gradients first.
         */
        private void part(int own, boolean alone) {
            int other = 1 - own;
            long mine = take(inputsAt(own), true, Integer.MAX_VALUE);
            if (mine >= 0) {
                inputs(own, mine);
            }
            if (alone) {
                long theirs = take(inputsAt(other), true, Integer.MAX_VALUE);
                if (theirs >= 0) {
                    inputs(other, theirs);
                }
            }
            SliceScratch scratch = update == null ? null : SliceScratch.LOCAL.get();
            // Each half's slices waiting for their update: from 0 and from perHalf.
            int perHalf = w.length / slice + 1;
            int[] pending = scratch == null ? null : scratch.pending(2 * perHalf);
            int waiting0 = 0;
            int waiting1 = 0;
            while (true) {
                long taken = take(slicesAt(own), true, 1);
                if (taken < 0) {
                    taken = take(slicesAt(other), false, 1);
                    if (taken < 0) {
                        break;
                    }
                }
                int r0 = sliceRow((int) (taken >>> 32));
                int r1 = sliceEnd(r0);
                if (update == null) {
                    matmulBackwardWeights(dw, 0, dout, in, from, to, r0, r1);
                    continue;
                }
                int half = r0 < middle ? 0 : 1;
                boolean ready = inputsDone(half);
                if (ready && half == 0 && waiting0 > 0) {
                    updatePending(pending, 0, waiting0);
                    waiting0 = 0;
                }
                if (ready && half == 1 && waiting1 > 0) {
                    updatePending(pending, perHalf, waiting1);
                    waiting1 = 0;
                }
                if (ready && fromScratch != null) {
                    double[][] gradients = scratch.rows(slice, w[0].length);
                    zeroRows(gradients, 0, r1 - r0);
                    matmulBackwardWeights(gradients, r0, dout, in, from, to, r0, r1);
                    fromScratch.run(r0, r1, gradients);
                } else {
                    matmulBackwardWeights(dw, 0, dout, in, from, to, r0, r1);
                    if (ready) {
                        update.run(r0, r1);
                    } else if (half == 0) {
                        pending[waiting0++] = r0;
                    } else {
                        pending[perHalf + waiting1++] = r0;
                    }
                }
            }
            if (waiting0 > 0) {
                awaitInputs(0);
                updatePending(pending, 0, waiting0);
            }
            if (waiting1 > 0) {
                awaitInputs(1);
                updatePending(pending, perHalf, waiting1);
            }
            while (true) {
                long piece = take(ADDS, true, ADD_PIECE);
                if (piece < 0) {
                    break;
                }
                awaitInputs(0);
                awaitInputs(1);
                addRows(din, secondHalf, (int) (piece >>> 32), (int) piece);
            }
        }

        /** Updates the slices whose first rows are {@code pending[at, at + count)}. */
        private void updatePending(int[] pending, int at, int count) {
            for (int i = at; i < at + count; i++) {
                update.run(pending[i], sliceEnd(pending[i]));
            }
        }

        /**
         * Waits until every position of half {@code half}'s input gradient is done, taking pieces
         * nobody has started meanwhile; waits as {@link Workers} does for a loop's last chunks
         * (spins briefly, then yields).
         */
        private void awaitInputs(int half) {
            int spins = 0;
            while (!inputsDone(half)) {
                long piece = take(inputsAt(half), false, INPUT_PIECE);
                if (piece >= 0) {
                    inputs(half, piece);
                } else if (++spins < Workers.WAIT_SPINS) {
                    Thread.onSpinWait();
                } else {
                    Thread.yield();
                }
            }
        }
    }

    /** {@code a[t][i] += b[t][i]} for the positions {@code [from, to)}. */
    private static void addRows(double[][] a, double[][] b, int from, int to) {
        for (int t = from; t < to; t++) {
            double[] x = a[t];
            double[] y = b[t];
            for (int i = 0; i < x.length; i++) {
                x[i] += y[i];
            }
        }
    }

    /**
     * Rows {@code [o0, o1)} of the product, position by position: four rows times two positions
     * at once, eight independent left folds that the processor overlaps (each weight loaded once
     * for two positions). For few positions, and for generation (one position at a time).
     */
    private static void matvecs(double[][] out, double[][] in, double[][] w, int o0, int o1, int from, int to) {
        int cols = w[0].length;
        int t = from;
        for (; t + 1 < to; t += 2) {
            double[] u = in[t];
            double[] v = in[t + 1];
            double[] yu = out[t];
            double[] yv = out[t + 1];
            int o = o0;
            for (; o + 3 < o1; o += 4) {
                double[] w0 = w[o];
                double[] w1 = w[o + 1];
                double[] w2 = w[o + 2];
                double[] w3 = w[o + 3];
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
                    a0 += w0[i] * ui;
                    a1 += w1[i] * ui;
                    a2 += w2[i] * ui;
                    a3 += w3[i] * ui;
                    b0 += w0[i] * vi;
                    b1 += w1[i] * vi;
                    b2 += w2[i] * vi;
                    b3 += w3[i] * vi;
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
            for (; o < o1; o++) {
                double[] w0 = w[o];
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
        if (t < to) {
            double[] u = in[t];
            double[] yu = out[t];
            int o = o0;
            for (; o + 3 < o1; o += 4) {
                double[] w0 = w[o];
                double[] w1 = w[o + 1];
                double[] w2 = w[o + 2];
                double[] w3 = w[o + 3];
                double a0 = 0.0;
                double a1 = 0.0;
                double a2 = 0.0;
                double a3 = 0.0;
                for (int i = 0; i < cols; i++) {
                    double ui = u[i];
                    a0 += w0[i] * ui;
                    a1 += w1[i] * ui;
                    a2 += w2[i] * ui;
                    a3 += w3[i] * ui;
                }
                yu[o] = a0;
                yu[o + 1] = a1;
                yu[o + 2] = a2;
                yu[o + 3] = a3;
            }
            for (; o < o1; o++) {
                double[] w0 = w[o];
                double a0 = 0.0;
                for (int i = 0; i < cols; i++) {
                    a0 += w0[i] * u[i];
                }
                yu[o] = a0;
            }
        }
    }

    /**
     * Positions {@code [from, to)} of {@code din[t] += sum_o dout[t][o] * w[o]} over the rows
     * {@code o} of {@code [o0, o1)}, in order: two positions and three rows of {@code w} per pass
     * along the row (see {@link #threeTermsTwoRows} why three), in blocks of rows that stay in
     * cache for all the positions. A position alone (the last of an odd range) gets the same
     * operations as one of a pair, so splitting the positions between threads changes nothing;
     * each thread writes only its own positions' rows.
     */
    private static void matmulBackwardInput(double[][] din, double[][] dout, double[][] w, int from, int to,
                                            int o0, int o1) {
        int cols = w[0].length;
        int block = Math.max(3, BACKWARD_BLOCK_DOUBLES / cols / 3 * 3);
        for (int r0 = o0; r0 < o1; r0 += block) {
            int r1 = Math.min(o1, r0 + block);
            int t = from;
            for (; t + 1 < to; t += 2) {
                double[] gu = dout[t];
                double[] gv = dout[t + 1];
                double[] du = din[t];
                double[] dv = din[t + 1];
                int o = r0;
                for (; o + 2 < r1; o += 3) {
                    double a0 = gu[o];
                    double a1 = gu[o + 1];
                    double a2 = gu[o + 2];
                    double b0 = gv[o];
                    double b1 = gv[o + 1];
                    double b2 = gv[o + 2];
                    double[] w0 = w[o];
                    double[] w1 = w[o + 1];
                    double[] w2 = w[o + 2];
                    for (int i = 0; i < cols; i++) {
                        double c0 = w0[i];
                        double c1 = w1[i];
                        double c2 = w2[i];
                        du[i] = du[i] + a0 * c0 + a1 * c1 + a2 * c2;
                        dv[i] = dv[i] + b0 * c0 + b1 * c1 + b2 * c2;
                    }
                }
                for (; o < r1; o++) {
                    double a = gu[o];
                    double b = gv[o];
                    double[] row = w[o];
                    for (int i = 0; i < cols; i++) {
                        du[i] += a * row[i];
                        dv[i] += b * row[i];
                    }
                }
            }
            if (t < to) {
                double[] gu = dout[t];
                double[] du = din[t];
                int o = r0;
                for (; o + 2 < r1; o += 3) {
                    double a0 = gu[o];
                    double a1 = gu[o + 1];
                    double a2 = gu[o + 2];
                    double[] w0 = w[o];
                    double[] w1 = w[o + 1];
                    double[] w2 = w[o + 2];
                    for (int i = 0; i < cols; i++) {
                        du[i] = du[i] + a0 * w0[i] + a1 * w1[i] + a2 * w2[i];
                    }
                }
                for (; o < r1; o++) {
                    double a = gu[o];
                    double[] row = w[o];
                    for (int i = 0; i < cols; i++) {
                        du[i] += a * row[i];
                    }
                }
            }
        }
    }

    /**
     * Rows {@code [o0, o1)} of {@code dw[o] += sum_t dout[t][o] * in[t]}, row {@code o}'s
     * gradient in {@code dw[o - shift]} (a slice's rows in a thread's scratch, or {@code shift}
     * 0): two rows and three positions per pass along the row (see {@link #threeTermsTwoRows}
     * why three), the positions taken in order. A row gets the same operations whether it is
     * paired or alone (the last row of an odd split), so the result does not depend on how the
     * rows are split between threads.
     */
    private static void matmulBackwardWeights(double[][] dw, int shift, double[][] dout, double[][] in,
                                              int from, int to, int o0, int o1) {
        int o = o0;
        for (; o + 1 < o1; o += 2) {
            double[] g0 = dw[o - shift];
            double[] g1 = dw[o + 1 - shift];
            int t = from;
            for (; t + 2 < to; t += 3) {
                double a0 = dout[t][o];
                double a1 = dout[t + 1][o];
                double a2 = dout[t + 2][o];
                double b0 = dout[t][o + 1];
                double b1 = dout[t + 1][o + 1];
                double b2 = dout[t + 2][o + 1];
                double[] x0 = in[t];
                double[] x1 = in[t + 1];
                double[] x2 = in[t + 2];
                for (int i = 0; i < g0.length; i++) {
                    double u0 = x0[i];
                    double u1 = x1[i];
                    double u2 = x2[i];
                    g0[i] = g0[i] + a0 * u0 + a1 * u1 + a2 * u2;
                    g1[i] = g1[i] + b0 * u0 + b1 * u1 + b2 * u2;
                }
            }
            for (; t < to; t++) {
                double a = dout[t][o];
                double b = dout[t][o + 1];
                double[] x = in[t];
                for (int i = 0; i < g0.length; i++) {
                    g0[i] += a * x[i];
                    g1[i] += b * x[i];
                }
            }
        }
        if (o < o1) {
            double[] g = dw[o - shift];
            int t = from;
            for (; t + 2 < to; t += 3) {
                double a0 = dout[t][o];
                double a1 = dout[t + 1][o];
                double a2 = dout[t + 2][o];
                double[] x0 = in[t];
                double[] x1 = in[t + 1];
                double[] x2 = in[t + 2];
                for (int i = 0; i < g.length; i++) {
                    g[i] = g[i] + a0 * x0[i] + a1 * x1[i] + a2 * x2[i];
                }
            }
            for (; t < to; t++) {
                double a = dout[t][o];
                double[] x = in[t];
                for (int i = 0; i < g.length; i++) {
                    g[i] += a * x[i];
                }
            }
        }
    }

    // --------------------------------------------------------------------------- attention

    /**
     * Causal self-attention of positions {@code [from, to)}, head by head: for position
     * {@code t} and head {@code h}, logits {@code z_s = (q_t . k_s) * headDim^-0.5} over the
     * positions {@code s <= t}, weights {@code a = softmax(z)}, output {@code sum_s a_s v_s}.
     * The keys are read transposed ({@code keysT[c][s]}) so that the logits of all positions
     * {@code s} are one SIMD loop per channel, each lane summing {@code q_0 k_0 + q_1 k_1 + ...}
     * in order. Split over the team by heads; heads of four channels go to {@link SmallAttention}
     * instead, on the calling thread, with the same bits.
     *
     * @param out (T, C) the heads' outputs side by side
     * @param weights (T, NH, T) the attention weights, kept for the backward pass
     * @param qkv (T, 3C) each position's query, key and value
     * @param keysT (C, T) the keys, transposed: the cache of the positions before {@code from},
     *     to which this method adds the keys of {@code [from, to)} (from {@code qkv}) first
     * @param scale {@code headDim^-0.5}
     * @param scratch the threads' rows (a workspace's, used by one step at a time)
     */
    static void attentionForward(double[][] out, double[][][] weights, double[][] qkv, double[][] keysT,
                                 int nHead, double scale, int from, int to, Workers workers, AttentionRows scratch) {
        int c = out[from].length;
        if (SmallAttention.fits(c, nHead)) {
            SmallAttention.forward(out, weights, qkv, keysT, nHead, scale, from, to);
            return;
        }
        attentionForwardByHeads(out, weights, qkv, keysT, nHead, scale, from, to, workers, scratch);
    }

    /**
     * {@link #attentionForward} for heads of any size, split over the team by heads. For more than
     * one position, each thread first copies a head's values into rows of its own
     * ({@link AttentionRows}), so that the weighted sum of the values reads every array from index
     * 0 (see {@link #addWeightedRowsFromZero}); a single position (generation) reads them in place,
     * the same operations.
     *
     * <p><b>Not fused with the product before it.</b> The attention of a group of heads needs only
     * those heads' queries, keys and values, so one loop over groups of heads could compute a
     * group's three ranges of {@code qkv}'s columns (its rows of the weights, summed side by side
     * in one thread's buffer, each output the same fold) and then its attention: one hand-off a
     * layer instead of two, no wait at the product's end, and each thread's attention reading
     * columns it has just written. Built for both precisions of the core's loops (same bits on
     * one and two threads) and measured at {@code nEmbd} 256, 4 layers, 8 heads, 64 positions
     * (7 December 2026, Zen 5; one JVM, a trainer on one thread and two on two, fused and not
     * switched every round, 30-40 rounds of 3 steps, medians of the rounds' ratios): a two-thread
     * step ran at 0.999 (f64) and 0.967 (f32) times the speed of the two loops with one chunk of
     * four heads a thread, 0.991 and 0.956 with chunks down to one head, 0.994 and 0.975 down to
     * two. Not kept (the patch is {@code fused-qkv-attention.patch} in the project's notes of
     * that day). A profile of the core's f64 step on two threads (counters per loop, 30 steps of
     * each count, same JVM) found attention not the loss there: 914 us a step forward against
     * 1666 on one thread, 1269 backward against 2525, while the products' chunks took about 13%
     * more thread time than on one thread (forward 14.5 ms against 12.7) and the calling
     * thread's chunks 27.9 ms a step against the helper's 23.5 (it takes a late helper's part:
     * the helper's start delays summed 1.26 ms a step).
     */
    static void attentionForwardByHeads(double[][] out, double[][][] weights, double[][] qkv, double[][] keysT,
                                        int nHead, double scale, int from, int to, Workers team,
                                        AttentionRows scratch) {
        int c = out[from].length;
        int hd = c / nHead;
        Workers workers = teamFor(team, attentionWork(from, to, c));
        boolean rows = to - from > 1;
        if (rows) {
            scratch.ensureSlots(workers.threads());
        }
        workers.forRangeWithSlot(nHead, HEAD_GRAIN, (slot, h0, h1) -> {
            // The new positions' keys into the cache, transposed: the heads' own channels only.
            for (int i = h0 * hd; i < h1 * hd; i++) {
                double[] column = keysT[i];
                for (int t = from; t < to; t++) {
                    column[t] = qkv[t][c + i];
                }
            }
            // A head's output is summed here, in the thread's own array, and copied into its row of
            // out once: two threads adding into the rows of out directly, each to its heads'
            // columns, passed the cache line where their columns meet back and forth at every pass.
            HeadRows headRows = rows ? scratch.get(slot, qkv.length, hd) : null;
            double[] y = rows ? headRows.row : new double[hd];
            // Head by head, each over all the positions (as FloatKernels.attentionForward): with the
            // positions outside, two threads' last and first heads wrote the same cache line of
            // every row of out (and of weights[t]) at every position.
            for (int h = h0; h < h1; h++) {
                int hs = h * hd;
                int vs = 2 * c + hs;
                if (rows) {
                    for (int s = 0; s < to; s++) {
                        System.arraycopy(qkv[s], vs, headRows.k[s], 0, hd);
                    }
                }
                for (int t = from; t < to; t++) {
                    double[] a = weights[t][h];
                    int n = t + 1;
                    attentionLogits(a, qkv[t], keysT, hs, hd, n);
                    for (int s = 0; s < n; s++) {
                        a[s] *= scale;
                    }
                    Softmax.inPlace(a, 0, n);
                    Arrays.fill(y, 0.0);
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
     * The multiply-adds of attention over positions {@code [from, to)} of {@code c} channels, for
     * {@link #teamFor}: each position's logits and weighted sum of the values, over the
     * positions up to it.
     */
    static long attentionWork(int from, int to, int c) {
        return 2L * (to - from) * to * c;
    }

    /**
     * {@code a[s] = q[hs] k_s[0] + q[hs+1] k_s[1] + ...} for {@code s < n}, the keys read from
     * {@code keysT[hs + j][s]}: four channels per pass over {@code a}, so that each element is
     * loaded and stored once per four terms, the terms still added in channel order from 0.
     */
    private static void attentionLogits(double[] a, double[] q, double[][] keysT, int hs, int hd, int n) {
        Arrays.fill(a, 0, n, 0.0);
        int j = 0;
        for (; j + 3 < hd; j += 4) {
            double q0 = q[hs + j];
            double q1 = q[hs + j + 1];
            double q2 = q[hs + j + 2];
            double q3 = q[hs + j + 3];
            double[] k0 = keysT[hs + j];
            double[] k1 = keysT[hs + j + 1];
            double[] k2 = keysT[hs + j + 2];
            double[] k3 = keysT[hs + j + 3];
            for (int s = 0; s < n; s++) {
                a[s] = a[s] + q0 * k0[s] + q1 * k1[s] + q2 * k2[s] + q3 * k3[s];
            }
        }
        for (; j < hd; j++) {
            double qj = q[hs + j];
            double[] k = keysT[hs + j];
            for (int s = 0; s < n; s++) {
                a[s] += qj * k[s];
            }
        }
    }

    /**
     * Attention backwards, from {@code dout} (the gradient of the heads' outputs) to the
     * gradients of the queries, keys and values. With {@code y = sum_s a_s v_s},
     * {@code a = softmax(z)} and {@code z_s = c q.k_s}: {@code da_s = dy.v_s},
     * {@code dv_s += a_s dy}, {@code dz_s = a_s (da_s - sum_r a_r da_r)},
     * {@code dq += c dz_s k_s}, {@code dk_s += c dz_s q}. Split over the team by heads (each
     * head owns its columns of {@code dqkv}). A head sums its gradients in its thread's own rows
     * ({@link AttentionRows}) and copies them into {@code dqkv} once: two threads adding into the rows
     * of {@code dqkv} directly, each to its heads' columns, shared the cache lines where their
     * columns meet, and passed them back and forth at every term (f32: +74% of this method's
     * time on two threads, 2 December 2026, Zen 5). The sums are the same additions in the same order.
     *
     * @param dqkv (T, 3C) the gradient of the queries, keys and values, added to
     * @param dout (T, C) the gradient of the output
     * @param qkv (T, 3C) the queries, keys and values
     * @param weights (T, NH, T) the attention weights of the forward pass
     * @param valuesT (C, T) scratch for the values, transposed
     * @param dweights scratch of {@link SmallAttention}, of at least T numbers, for heads of four
     *     channels
     * @param scratch the threads' rows (a workspace's, used by one step at a time)
     */
    static void attentionBackward(double[][] dqkv, double[][] dout, double[][] qkv, double[][][] weights,
                                  double[][] valuesT, double[] dweights, int nHead, double scale,
                                  int from, int to, Workers workers, AttentionRows scratch) {
        int c = dout[from].length;
        if (SmallAttention.fits(c, nHead)) {
            SmallAttention.backward(dqkv, dout, qkv, weights, dweights, nHead, scale, from, to);
            return;
        }
        attentionBackwardByHeads(dqkv, dout, qkv, weights, valuesT, nHead, scale, from, to, workers, scratch);
    }

    /**
     * {@link #attentionBackward} for heads of any size, split over the team by heads. A head sums
     * its gradients in its thread's own rows ({@link AttentionRows}), copied into {@code dqkv} once.
     *
     * <p>Position by position from the last down, as the definition goes, each position's
     * {@code dz} updated every key's gradient one term at a time: a loop of one multiply-add per
     * element along the head, whose load and store of the gradient cost more than the arithmetic,
     * and whose rows C2 did not vectorize (they did not start at index 0). Here the {@code dz} of
     * every position comes first (each depends only on its own position), kept in a row per
     * position; then the keys' and values' gradients take four positions per pass
     * ({@link #addColumnTerms}), each element still adding the positions' terms one at a time from
     * the last position down, as before. The head's queries, keys, output gradients and gradient
     * sums are copied into rows that all start at index 0, so that C2 vectorizes the loops along
     * the head ({@link #addWeightedRowsFromZero}). Every number is the same operations in the same
     * order: the same bits ({@code FloatKernels.attentionBackward} does the same in floats).
     * Measured at {@code nEmbd} 256, 8 heads, 64 positions, one layer (one JVM, the two
     * alternated, medians of 31 rounds, 7 December 2026, Zen 5): the backward pass 354 us instead
     * of 715 on one thread, 220 instead of 417 on two; the forward pass (its values' sum from the
     * copied rows, heads outside the positions) 271 instead of 369, and 161 instead of 214.
     */
    static void attentionBackwardByHeads(double[][] dqkv, double[][] dout, double[][] qkv, double[][][] weights,
                                         double[][] valuesT, int nHead, double scale, int from, int to,
                                         Workers team, AttentionRows scratch) {
        int c = dout[from].length;
        int hd = c / nHead;
        Workers workers = teamFor(team, attentionWork(from, to, c));
        scratch.ensureSlots(workers.threads());
        workers.forRangeWithSlot(nHead, HEAD_GRAIN, (slot, h0, h1) -> {
            HeadRows rows = scratch.get(slot, qkv.length, hd);
            double[][] qh = rows.q;
            double[][] kh = rows.k;
            double[][] dyh = rows.dy;
            double[][] dkh = rows.dk;
            double[][] dvh = rows.dv;
            double[][] dzs = rows.dz;
            double[][] ah = rows.a;
            double[] dq = rows.row;
            for (int h = h0; h < h1; h++) {
                int qs = h * hd;
                int ks = c + qs;
                int vs = 2 * c + qs;
                for (int j = 0; j < hd; j++) {
                    double[] column = valuesT[qs + j];
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
                    double[] a = ah[t];
                    double[] dz = dzs[t];
                    int n = t + 1;
                    // da_s = dy . v_s, kept in dz until dz_s replaces it
                    attentionLogits(dz, dout[t], valuesT, qs, hd, n);
                    double weighted = 0.0;
                    for (int s = 0; s < n; s++) {
                        weighted += a[s] * dz[s];
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
        final double[][] q;
        /** The head's keys (backward), or its values (forward). */
        final double[][] k;
        /** The head's part of the output's gradient. */
        final double[][] dy;
        /** The sums of the keys' gradients. */
        final double[][] dk;
        /** The sums of the values' gradients. */
        final double[][] dv;
        /** (T, T) each position's {@code dz}, the gradient of its logits. */
        final double[][] dz;
        /** (T) each position's attention weights of the head: references to the weights' rows. */
        final double[][] a;
        /** (hd) one position's query gradient, or its output. */
        final double[] row;

        HeadRows(int positions, int hd) {
            q = new double[positions][hd];
            k = new double[positions][hd];
            dy = new double[positions][hd];
            dk = new double[positions][hd];
            dv = new double[positions][hd];
            dz = new double[positions][positions];
            a = new double[positions][];
            row = new double[hd];
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
    private static void addWeightedRowsFromZero(double[] y, double[] c, double[][] rows, int len, int n) {
        int s = 0;
        for (; s + 3 < n; s += 4) {
            double c0 = c[s];
            double c1 = c[s + 1];
            double c2 = c[s + 2];
            double c3 = c[s + 3];
            double[] r0 = rows[s];
            double[] r1 = rows[s + 1];
            double[] r2 = rows[s + 2];
            double[] r3 = rows[s + 3];
            for (int j = 0; j < len; j++) {
                y[j] = y[j] + c0 * r0[j] + c1 * r1[j] + c2 * r2[j] + c3 * r3[j];
            }
        }
        for (; s < n; s++) {
            double cs = c[s];
            double[] r = rows[s];
            for (int j = 0; j < len; j++) {
                y[j] = y[j] + cs * r[j];
            }
        }
    }

    /**
     * {@code g_s += sum_t c_t[s] r_t} for each {@code s < to}, over the positions {@code t} of
     * {@code [from, to)} that attend to {@code s} ({@code t >= s}): the keys' gradients
     * ({@code c} the positions' {@code dz}, {@code r} the queries) and the values' ({@code c} the
     * weights, {@code r} the output's gradient). Four positions per pass along {@code g_s}, so that
     * each element is loaded and stored once per four terms; the terms go from the last position
     * down, one at a time, as when each position added its own (the order {@code SmallAttention}
     * keeps, bit for bit). Rows from index 0, as in {@link #addWeightedRowsFromZero}.
     */
    private static void addColumnTerms(double[][] g, double[][] c, double[][] rows, int len, int from, int to) {
        for (int s = 0; s < to; s++) {
            double[] gs = g[s];
            int last = Math.max(s, from);
            int t = to - 1;
            for (; t - 3 >= last; t -= 4) {
                double c0 = c[t][s];
                double c1 = c[t - 1][s];
                double c2 = c[t - 2][s];
                double c3 = c[t - 3][s];
                double[] r0 = rows[t];
                double[] r1 = rows[t - 1];
                double[] r2 = rows[t - 2];
                double[] r3 = rows[t - 3];
                for (int j = 0; j < len; j++) {
                    gs[j] = gs[j] + c0 * r0[j] + c1 * r1[j] + c2 * r2[j] + c3 * r3[j];
                }
            }
            for (; t >= last; t--) {
                double cs = c[t][s];
                double[] r = rows[t];
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
    private static void addWeightedRows(double[] out, int at, double[] c, double[][] rows, int col, int len, int n) {
        int s = 0;
        for (; s + 3 < n; s += 4) {
            double c0 = c[s];
            double c1 = c[s + 1];
            double c2 = c[s + 2];
            double c3 = c[s + 3];
            double[] r0 = rows[s];
            double[] r1 = rows[s + 1];
            double[] r2 = rows[s + 2];
            double[] r3 = rows[s + 3];
            for (int j = 0; j < len; j++) {
                out[at + j] = out[at + j] + c0 * r0[col + j] + c1 * r1[col + j] + c2 * r2[col + j] + c3 * r3[col + j];
            }
        }
        for (; s < n; s++) {
            double cs = c[s];
            double[] r = rows[s];
            for (int j = 0; j < len; j++) {
                out[at + j] += cs * r[col + j];
            }
        }
    }

    // -------------------------------------------------------------------------------- ReLU

    /**
     * {@code out = in > 0 ? in : 0.0}, element by element, the {@code Value} engine's ReLU bit for
     * bit ({@code -0.0} and every NaN give {@code +0.0}), without a branch: the signs of a
     * layer's inputs are as good as random, and a branch on them, mispredicted every other
     * element, took 2.8-3 ns an element, where keeping or clearing the bits takes a tenth of that
     * (measured at {@code nEmbd} 256 on one thread, 4 December 2026, Zen 5: the step's ReLU
     * forward and gradient, 1.3-1.5 ms each of a 38-49 ms step). {@code Math.max} would be as
     * fast but keeps a NaN.
     *
     * @param out (T, 4C); may be {@code in} (each element is read before it is written)
     * @param in (T, 4C)
     */
    static void reluForward(double[][] out, double[][] in, int from, int to) {
        for (int t = from; t < to; t++) {
            double[] x = in[t];
            double[] y = out[t];
            for (int i = 0; i < y.length; i++) {
                long b = Double.doubleToRawLongBits(x[i]);
                y[i] = Double.longBitsToDouble(b & positiveMask(b));
            }
        }
    }

    /**
     * All ones if the double with the bits {@code b} is above 0, else 0: it is exactly when
     * {@code b}, as a {@code long}, is in {@code (0, bits of +Infinity]} (not a zero of either
     * sign, a negative number or a NaN), which {@code (b - 1) | (INF - b)} tells by its sign
     * (as {@code FloatKernels.reluGradient} does for floats).
     */
    private static long positiveMask(long b) {
        return ~(((b - 1) | (0x7FF0_0000_0000_0000L - b)) >> 63);
    }

    /**
     * ReLU backwards: {@code din = 0 + dout} where the input was positive, {@code 0 + 0}
     * elsewhere. It overwrites {@code din} rather than adding to it (the only gradient it feeds
     * is its own), with the bits of zeroing {@code din} and then adding ({@code 0.0 + -0.0} is
     * {@code 0.0}, so the {@code 0.0 +} stays), in one pass instead of two. Without a branch, as
     * {@link #reluForward}: the mask of a positive input keeps the bits of {@code dout}, the
     * other clears them.
     *
     * @param din (T, 4C) overwritten; may be {@code dout}
     * @param dout (T, 4C)
     * @param in (T, 4C) the input of the forward pass, or its output: the same elements are
     *     positive
     */
    static void reluGradient(double[][] din, double[][] dout, double[][] in, int from, int to) {
        for (int t = from; t < to; t++) {
            double[] x = in[t];
            double[] dy = dout[t];
            double[] dx = din[t];
            for (int i = 0; i < dx.length; i++) {
                long keep = positiveMask(Double.doubleToRawLongBits(x[i]));
                dx[i] = 0.0 + Double.longBitsToDouble(Double.doubleToRawLongBits(dy[i]) & keep);
            }
        }
    }

    // ------------------------------------------------------------------------ residual sum

    /**
     * {@code out = a + b}, element by element.
     *
     * @param out (T, C)
     * @param a (T, C) the branch's output
     * @param b (T, C) the residual
     */
    static void residualForward(double[][] out, double[][] a, double[][] b, int from, int to) {
        for (int t = from; t < to; t++) {
            double[] x = a[t];
            double[] r = b[t];
            double[] y = out[t];
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
    static void residualBackward(double[][] da, double[][] db, double[][] dout, int from, int to) {
        for (int t = from; t < to; t++) {
            addInto(da[t], dout[t]);
            addInto(db[t], dout[t]);
        }
    }

    // -------------------------------------------------------------- softmax, cross-entropy

    /**
     * {@code probs[t] = softmax(logits[t])} and {@code losses[t] = -log probs[t][targets[t]]}
     * for the positions {@code [from, to)}, with {@link Softmax}'s arithmetic. Each position on
     * its own, so that the positions can be shared out; {@link #meanLoss} folds the losses.
     *
     * @param probs (T, V) the probabilities
     * @param losses (T) the loss of each position
     * @param logits (T, V)
     * @param targets the token to predict at each position: {@code targets[t]} is the document's
     *     {@code tokens[t + 1]}, read as {@code tokens[t + 1]} here
     */
    static void crossEntropyForward(double[][] probs, double[] losses, double[][] logits, int[] tokens,
                                    int from, int to) {
        // Softmax.inPlace's arithmetic, in three sweeps over the positions: the exponentials and
        // their totals (kept in losses), then every position's pow, then the probabilities and the
        // logs. The pow and log calls (20-30 ns each, 3 December 2026, Zen 3) of different
        // positions, independent of one another, then follow each other and overlap in the
        // processor, instead of each waiting for its position's exponentials. Each number gets
        // the same operations as before.
        for (int t = from; t < to; t++) {
            double[] z = logits[t];
            double[] p = probs[t];
            double max = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < z.length; i++) {
                max = Math.max(max, z[i]);
            }
            double total = 0.0;
            for (int i = 0; i < z.length; i++) {
                double e = Math.exp(z[i] + -max);
                p[i] = e;
                total += e;
            }
            losses[t] = total;
        }
        for (int t = from; t < to; t++) {
            losses[t] = Math.pow(losses[t], -1);
        }
        for (int t = from; t < to; t++) {
            double[] p = probs[t];
            double inverse = losses[t];
            for (int i = 0; i < p.length; i++) {
                p[i] *= inverse;
            }
        }
        for (int t = from; t < to; t++) {
            losses[t] = Math.log(probs[t][tokens[t + 1]]) * -1.0;
        }
    }

    /**
     * The mean of {@code losses[first .. to-1]}, folded as {@link GptModel}'s loss:
     * {@code (1/n) * (0 + l_first + l_first+1 + ...)}.
     */
    static double meanLoss(double[] losses, int first, int to) {
        double sum = 0.0;
        for (int t = first; t < to; t++) {
            sum += losses[t];
        }
        return sum * (1.0 / (to - first));
    }

    /**
     * Positions {@code [from, to)} of the gradient of a mean of {@code n} losses with respect to
     * the logits: {@code dlogits[t][i] = 0 + (probs[t][i] - [i == target]) / n}. It overwrites the
     * rows rather than adding to them (nothing else adds to the logits' gradient), with the bits
     * of zeroing them and then adding, in one pass instead of two.
     *
     * @param dlogits (T, V) overwritten
     * @param probs (T, V) from the forward pass
     * @param n the number of losses averaged
     */
    static void crossEntropyGradient(double[][] dlogits, double[][] probs, int[] tokens, int from, int to, int n) {
        double invN = 1.0 / n;
        for (int t = from; t < to; t++) {
            double[] p = probs[t];
            double[] dl = dlogits[t];
            int target = tokens[t + 1];
            for (int i = 0; i < dl.length; i++) {
                dl[i] = 0.0 + (i == target ? p[i] - 1.0 : p[i]) * invN;
            }
        }
    }

    /**
     * {@link #matmulBackward} with rows {@code [from, to)} of {@code din} overwritten rather than
     * added to: the same bits as zeroing them first. The optional module's small-shape kernels
     * start those sums at zero themselves, asked first by {@link ArrayKernels#matmulBackward} (at
     * the reference size that saves a step five passes of zeros over its gradients); otherwise
     * each thread zeroes the rows (or columns) it sums, in
     * its own part of the product, just before adding to them. (They were all zeroed on the
     * calling thread before the product: at {@code nEmbd} 256, 3.5 MB of zeros a step written by
     * one thread while the other waited.) {@code dwCleared} is passed on to {@link #matmulBackward}.
     */
    static void matmulBackwardOverwrite(double[][] din, double[][] dw, double[][] dout, double[][] in, double[][] w,
                                        int from, int to, Workers workers, boolean dwCleared) {
        backward(din, dw, dout, in, w, from, to, workers, dwCleared, true);
    }

    /**
     * {@link #matmulBackwardOverwrite} with the optimizer's update of a fused step inside it: the
     * optional module's kernels run {@code update} over the rows {@code [firstRow, firstRow +
     * w.length)} of the parameters, each slice of rows on the thread that has just summed its
     * gradient (see {@code MatrixKernels.matmulBackwardOverwriteAndUpdate}); without them, these
     * loops run it inside {@link SlicedProduct} on one or two threads, each slice of rows updated
     * once its gradient is summed and its half's input gradient has read it. False, having
     * written nothing, on more threads, or when the optional module's kernels leave the update to
     * the caller (their small-shape kernels' products), who then runs
     * {@link #matmulBackwardOverwrite} and the update after it.
     *
     * <p>Measured at {@code nEmbd} 256, 4 layers, 8 heads, 64 positions (core loops, the update
     * fused on both thread counts against the previous loops with the update after the pass on two
     * threads and after each product on one; the two alternated in one JVM, 10 rounds of 3 steps,
     * medians): the backward products with the update took 0.848 and 0.907 of the time on two
     * threads (a step 0.911 and 0.955), 1.013 and 0.997 on one (a step 1.011 and 1.003).
     */
    static boolean matmulBackwardOverwriteAndUpdate(double[][] din, double[][] dw, double[][] dout, double[][] in,
                                                    double[][] w, int from, int to, Workers team, boolean dwCleared,
                                                    RangeTask update, int firstRow) {
        Workers workers = teamFor(team, to - from, w.length, w[0].length);
        if (ArrayKernels.matmulBackwardOverwriteAndUpdate(din, dw, dout, in, w, from, to, workers, dwCleared,
                update, firstRow)) {
            return true;
        }
        if (ArrayKernels.runsOptionalKernels() || workers.threads() > 2) {
            return false;
        }
        RangeTask rows = (r0, r1) -> update.run(firstRow + r0, firstRow + r1);
        new SlicedProduct(din, dw, dout, in, w, from, to, true, rows,
                dwCleared ? doubleRange(update, firstRow) : null).run(workers);
        return true;
    }

    /**
     * The update of a fused step as a range of the matrix's rows that also takes a slice's
     * gradient from scratch, if it is the optimizer's ({@link FusedUpdates.Rows}); otherwise null.
     * A model's update is of its own precision (see {@link MatrixKernels.GradientRange}), so the
     * cast holds.
     */
    @SuppressWarnings("unchecked")
    private static MatrixKernels.GradientRange<double[][]> doubleRange(RangeTask update, int firstRow) {
        return update instanceof FusedUpdates.Rows fused
                ? (MatrixKernels.GradientRange<double[][]>) fused.matrix(firstRow) : null;
    }

    // ------------------------------------------------------------------------------ helpers

    /** Sets rows {@code [from, to)} to 0: a gradient's rows before a backward method adds to them. */
    static void zeroRows(double[][] rows, int from, int to) {
        for (int t = from; t < to; t++) {
            Arrays.fill(rows[t], 0.0);
        }
    }

    /** {@code a += b}, element by element. */
    static void addInto(double[] a, double[] b) {
        for (int i = 0; i < a.length; i++) {
            a[i] += b[i];
        }
    }
}
