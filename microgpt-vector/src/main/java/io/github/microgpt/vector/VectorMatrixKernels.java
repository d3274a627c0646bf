package io.github.microgpt.vector;

import io.github.microgpt.internal.kernels.MatrixKernels;
import io.github.microgpt.internal.kernels.Team;
import io.github.microgpt.internal.kernels.Transposes;
import java.util.Arrays;

/**
 * The array engine's matrix products written with the Vector API ({@code jdk.incubator.vector}),
 * found by the core with {@link java.util.ServiceLoader}; see {@code ArrayKernels} in the core for
 * when they are used. The products themselves are in {@link DoubleProducts} and
 * {@link FloatProducts}; this class lays out the operands and shares the work between threads.
 *
 * <p><b>Double precision, forward: exact.</b> The lanes run across positions: the input is
 * transposed ({@code inT[i][t]}, a few positions, cheap) and lane {@code t} of a tile sums
 * {@code w[o][i] * inT[i][t]} for {@code i = 0, 1, 2, ...}, each product rounded before it is
 * added, which is the {@code Value} engine's left fold, bit for bit. The weights are read along
 * their rows as stored, never transposed (the transpose cost a pass over every matrix, about a
 * tenth of a step at {@code nEmbd} 256), and the work is split by rows of the weights, so that
 * each thread reads only its own. When the scratch cannot hold the transposed input (fewer
 * outputs than positions), the weights are transposed instead and the lanes run along the output
 * row, split by positions, with the same bits.
 *
 * <p><b>Backward, and single precision.</b> Free of that order, with fused multiply-adds, in
 * both precisions the same way ({@link DoubleProducts#backward}, {@link FloatProducts#backward}):
 * the weights' rows cut in two fixed halves, one per thread of two, so that each thread reads
 * and writes only the rows of the weights and of their gradient that it also reads in the
 * forward product and updates in the optimizer. Each half sums its part of the gradient of the
 * input along its rows ({@code din[t] += sum_o dout[t][o] w[o]}, split by columns within the
 * half) and the gradient of its rows of the weights ({@code dw[o] += sum_t dout[t][o] in[t]}),
 * both in one loop (see {@link #sliceRow}); the second half's part of the input's gradient is
 * added to the first's block of columns by block, in the same loop, once both are done. The single-precision forward pass goes as the double-precision one (lanes
 * across positions, split by rows; with the weights transposed, along the output rows, when the
 * scratch is too narrow). No sum is ever split between threads.
 */
public final class VectorMatrixKernels implements MatrixKernels {

    /**
     * Below this many positions the core's loops multiply position by position (generation, short
     * documents): lanes across positions need positions to fill them.
     */
    static final int MIN_POSITIONS = 8;

    /** The fewest rows of a product one thread takes at a time. */
    private static final int ROW_GRAIN = 16;

    /**
     * The first row of the weights' gradient in slice {@code s} of {@code slices} of {@code rows}
     * rows (a half's, see {@link SlicedBackward}): {@code rows * s / slices} rounded down to a
     * multiple of {@code block}, and {@code rows} for {@code s >= slices}. {@code block} is the
     * rows of the weights' gradient's kernel ({@link DoubleProducts#TRANSPOSED_ROWS},
     * {@link FloatProducts#TRANSPOSED_ROWS}: four with 32 registers, six with 16), so that a
     * thread's slices leave no rows short of a block but the matrix's last ones, as one thread's
     * single call does (in single precision a cut at multiples of four left two to four rows of
     * every chunk to a kernel with spills). A slice may be empty where the slices are finer than
     * a block.
     */
    static int sliceRow(int rows, int slices, int s, int block) {
        return s >= slices ? rows : (int) ((long) rows * s / slices) / block * block;
    }

    /**
     * Runs {@code task} over the rows {@code [0, rows)} of a forward product shared out in whole
     * blocks of its kernel's {@code unit} rows, a block at least: a chunk's rows short of a whole
     * block would be computed as a whole block, and the finer last chunks (a block where they
     * were {@link #ROW_GRAIN} rows) leave a thread done early less of the other's chunk to wait
     * for. The rows' bits do not depend on the chunks (see {@link DoubleProducts#productExactByRows}).
     * Measured at {@code nEmbd} 256, 4 layers, 64 positions, double precision (one JVM, A/B
     * alternated, per-loop medians): the forward products of a two-thread step 12 microseconds
     * shorter of 4.18 ms; used with 32 registers (not measured with 16, which keep {@link #ROW_GRAIN}).
     */
    private static void byBlocks(Team team, int rows, int unit, Team.Range task) {
        team.forRange((rows + unit - 1) / unit, 1, (b0, b1) -> task.run(b0 * unit, Math.min(rows, b1 * unit)));
    }

    /**
     * Whether a forward product of {@code rows} rows of {@code cols} columns over {@code n}
     * positions has its input transposed once, shared by the threads, rather than by each thread
     * for itself (see {@link InputScratch}): when the input is at least four times as wide as the
     * output (the MLP's second product, 256 rows of 1024 columns at {@code nEmbd} 256) and there
     * are at least two of the kernel's tiles of {@code tile} positions to share. Then each
     * thread transposing the whole input, a quarter of a megabyte in single precision, half of it
     * just written by the other core (the ReLU before it is split by positions), costs more than
     * the product's rows leave: each thread transposes its own tiles of positions instead (the
     * positions whose ReLU it ran), and after one more hand-over reads every tile for its rows.
     * Measured at {@code nEmbd} 256, 4 layers, 64 positions on two threads (one JVM, one model,
     * the two ways alternated, medians of 30-50 rounds on a noisy host): that product took
     * 1.517 ms a step instead of 1.568, and 1.527 instead of 1.609 in single precision, 3.047
     * instead of 3.103 in double; the two threads' work on it 2.73 ms instead of 2.90 (2.39 on
     * one thread). On one thread the work is the same.
     */
    static boolean transposedOnce(int rows, int cols, int n, int tile) {
        return cols >= 4 * rows && n >= 2 * tile;
    }

    /** The fewest positions one thread takes at a time. */
    private static final int POSITION_GRAIN = 4;

    /** The fewest columns one thread transposes at a time. */
    private static final int TRANSPOSE_GRAIN = 32;

    /**
     * The fewest multiply-adds ({@code rows x columns x positions}) of a product these kernels
     * take; smaller ones are left to the core's loops. The Vector API needs a warm-up before its
     * code is fast (see {@link WarmUp}), which a small model, such as {@code microgpt.py}'s
     * (products of 16 x 48 x 16 at most), would never pay back. At {@code nEmbd} 256 and 64
     * positions the smallest product, the 27 rows of the output layer, has 442,368. The system
     * property {@code microgpt.vector.minMultiplyAdds} changes it (the tests set 0: every product).
     * By default the core's {@link MatrixKernels#SMALL_MULTIPLY_ADDS}: the products the core offers
     * its small-shape kernels first are exactly those these kernels would decline.
     */
    static final long MIN_MULTIPLY_ADDS = Long.getLong("microgpt.vector.minMultiplyAdds",
            MatrixKernels.SMALL_MULTIPLY_ADDS);

    /** Whether a product of this shape is worth these kernels. */
    static boolean worthIt(int rows, int cols, int positions) {
        return (long) rows * cols * positions >= MIN_MULTIPLY_ADDS;
    }

    /** For {@link java.util.ServiceLoader}. */
    public VectorMatrixKernels() {
    }

    @Override
    public boolean matmulForward(double[][] out, double[][] in, double[][] w, int from, int to, double[][] wT,
                                 Team team) {
        int n = to - from;
        int rows = w.length;
        int cols = w[0].length;
        if (n < MIN_POSITIONS || !worthIt(rows, cols, n)) {
            return false;
        }
        WarmDoubles.ensure();
        int padded = (n + DoubleProducts.L - 1) / DoubleProducts.L * DoubleProducts.L;
        if (wT.length >= cols && wT[0].length >= padded) {
            // The weights are read as stored, each thread only its own rows of them, against the
            // input transposed. Each thread transposes the whole input itself, once per product,
            // into an array of its own (see InputScratch), on taking its first rows: the product is
            // then one loop instead of two (a transpose shared by columns, then the rows), and no
            // thread reads the half of the transposed input that the other core has just written.
            // (The scratch the model offers, wT, only decides that the input is narrow enough.)
            Object call = new Object();
            // Only where the rows are shared: the output layer's 27 rows run on one thread, and
            // a shared packing before them was one hand-over more (58 microseconds a step against 50).
            if (DoubleProducts.NARROW && rows >= 2 * ROW_GRAIN
                    && transposedOnce(rows, cols, n, DoubleProducts.NARROW_POSITIONS)) {
                // The input packed once, each thread its own tiles of positions, into the calling
                // thread's array; then the rows, each thread reading every tile.
                int tiles = (n + DoubleProducts.NARROW_POSITIONS - 1) / DoubleProducts.NARROW_POSITIONS;
                int tileSize = cols * DoubleProducts.NARROW_POSITIONS;
                double[] packed = InputScratch.sharedPacked(DoubleProducts.packedSize(n, cols));
                team.forRange(tiles, 1, (q0, q1) -> DoubleProducts.packInput(in,
                        from + q0 * DoubleProducts.NARROW_POSITIONS,
                        Math.min(to, from + q1 * DoubleProducts.NARROW_POSITIONS), cols, packed, q0 * tileSize));
                team.forRange(rows, ROW_GRAIN, (o0, o1) -> DoubleProducts.productExactByRowsPacked(packed, n, w, o0, o1,
                        out, from, InputScratch.doubleTile(4 * DoubleProducts.NARROW_POSITIONS)));
                return true;
            }
            if (DoubleProducts.NARROW) {
                // With 16 registers, the input packed in tiles of positions (see DoubleProducts.packInput).
                team.forRange(rows, ROW_GRAIN, (o0, o1) -> DoubleProducts.productExactByRowsPacked(
                        InputScratch.packedDoubles(call, in, from, to, cols), n, w, o0, o1, out, from,
                        InputScratch.doubleTile(4 * DoubleProducts.NARROW_POSITIONS)));
                return true;
            }
            byBlocks(team, rows, 4, (o0, o1) -> DoubleProducts.productExactByRows(
                    InputScratch.doubles(call, in, from, to, cols, padded), n, w, o0, o1, out, from,
                    InputScratch.doubleTile(4 * DoubleProducts.POSITIONS)));
            return true;
        }
        team.forRange(cols, TRANSPOSE_GRAIN, (i0, i1) -> Transposes.columns(w, wT, i0, i1));
        team.forRange(n, POSITION_GRAIN, (p0, p1) -> {
            for (int t = from + p0; t < from + p1; t++) {
                Arrays.fill(out[t], 0, rows, 0.0);
            }
            DoubleProducts.productExact(in, wT, out, from + p0, from + p1, 0, cols, rows);
        });
        return true;
    }

    @Override
    public boolean matmulBackward(double[][] din, double[][] dw, double[][] dout, double[][] in, double[][] w,
                                  int from, int to, Team team) {
        return matmulBackward(din, dw, dout, in, w, from, to, team, false);
    }

    /**
     * The backward products, the weights' gradient starting its sums from 0 when {@code dw} is
     * cleared (see {@link DoubleProducts#productTransposed(double[][], double[][], double[][], int,
     * int, int, int, int, Object, boolean)}).
     */
    @Override
    public boolean matmulBackward(double[][] din, double[][] dw, double[][] dout, double[][] in, double[][] w,
                                  int from, int to, Team team, boolean dwCleared) {
        int rows = w.length;
        int cols = w[0].length;
        if (!worthIt(rows, cols, to - from)) {
            return false;
        }
        WarmDoubles.ensure();
        // In two halves of the weights' rows, one per thread of two (see DoubleProducts.backward).
        DoubleProducts.backward(din, dw, dout, in, w, from, to, team, dwCleared, false);
        return true;
    }

    /**
     * The backward products with the input's gradient overwritten: each piece of the first half
     * zeroes its own columns of {@code din} before summing into them (see
     * {@link DoubleProducts#backward}), instead of the calling thread zeroing all of it first.
     */
    @Override
    public boolean matmulBackwardOverwrite(double[][] din, double[][] dw, double[][] dout, double[][] in,
                                           double[][] w, int from, int to, Team team, boolean dwCleared) {
        if (!worthIt(w.length, w[0].length, to - from)) {
            return false;
        }
        WarmDoubles.ensure();
        DoubleProducts.backward(din, dw, dout, in, w, from, to, team, dwCleared, true);
        return true;
    }

    /**
     * The double-precision backward products with the input's gradient overwritten and the
     * update of a fused step inside them, each slice of the weights' rows updated by the thread
     * that has just summed its gradient (see {@link DoubleProducts#backwardAndUpdate}); left to
     * the caller for a product these kernels leave to the core.
     */
    @Override
    public boolean matmulBackwardOverwriteAndUpdate(double[][] din, double[][] dw, double[][] dout, double[][] in,
                                                    double[][] w, int from, int to, Team team, boolean dwCleared,
                                                    Team.Range update) {
        if (!worthIt(w.length, w[0].length, to - from)) {
            return false;
        }
        WarmDoubles.ensure();
        DoubleProducts.backwardAndUpdate(din, dw, dout, in, w, from, to, team, dwCleared, update);
        return true;
    }

    @Override
    public boolean matmulForward(float[][] out, float[][] in, float[][] w, int from, int to, float[][] wT,
                                 Team team) {
        return matmulForward(out, in, w, from, to, wT, team, false);
    }

    /**
     * The product by panels of positions (16 registers), with each output's ReLU taken as the
     * thread that computed it writes it out ({@link FloatProducts#productByPanels(float[][], int,
     * float[][], int, int, float[][], int, float[], boolean)}); left to the core (nothing
     * computed) for the products of 32 registers, which are not cut into panels.
     */
    @Override
    public boolean matmulForwardRelu(float[][] out, float[][] in, float[][] w, int from, int to, float[][] wT,
                                     Team team) {
        return FloatProducts.SIXTEEN_REGISTERS && matmulForward(out, in, w, from, to, wT, team, true);
    }

    /**
     * {@link #matmulForward(float[][], float[][], float[][], int, int, float[][], Team)}, with the
     * ReLU of every output if {@code relu}; with {@code relu} only for 16 registers, and false
     * (nothing computed) where the input is not transposed into panels.
     */
    private boolean matmulForward(float[][] out, float[][] in, float[][] w, int from, int to, float[][] wT,
                                  Team team, boolean relu) {
        int n = to - from;
        int rows = w.length;
        int cols = w[0].length;
        if (n < MIN_POSITIONS || !worthIt(rows, cols, n)) {
            return false;
        }
        WarmFloats.ensure();
        int padded = (n + FloatProducts.L - 1) / FloatProducts.L * FloatProducts.L;
        if (wT.length >= cols && wT[0].length >= padded) {
            // As in double precision: the weights read as stored, each thread with the input
            // transposed into its own array (for 16 registers, cut into panels of positions).
            Object call = new Object();
            if (FloatProducts.SIXTEEN_REGISTERS && transposedOnce(rows, cols, n, FloatProducts.PANEL)) {
                // The input transposed once, each thread its own panels of positions, into the
                // calling thread's array; then the rows, each thread reading every panel.
                int count = FloatProducts.panelPositions(n) / FloatProducts.PANEL;
                float[][] panels = InputScratch.sharedFloatPanels(count, cols * FloatProducts.PANEL);
                team.forRange(count, 1, (q0, q1) -> FloatProducts.transposeInputPanels(in, from + q0 * FloatProducts.PANEL,
                        Math.min(to, from + q1 * FloatProducts.PANEL), panels, q0, cols));
                int unit = FloatProducts.FORWARD_ROWS;
                team.forRange((rows + unit - 1) / unit, Math.max(1, ROW_GRAIN / unit),
                        (b0, b1) -> FloatProducts.productByPanels(panels, n, w, b0 * unit, Math.min(rows, b1 * unit),
                                out, from, InputScratch.floatTile(4 * FloatProducts.POSITIONS), relu));
                return true;
            }
            if (FloatProducts.SIXTEEN_REGISTERS) {
                // Shared out by blocks of the kernel's rows (see FloatProducts.FORWARD_ROWS): a
                // chunk's rows short of a whole block are computed as a whole block, so chunks cut
                // at multiples of 16 rows had up to a quarter of their rows computed for nothing.
                int unit = FloatProducts.FORWARD_ROWS;
                team.forRange((rows + unit - 1) / unit, Math.max(1, ROW_GRAIN / unit),
                        (b0, b1) -> FloatProducts.productByPanels(InputScratch.floatPanels(call, in, from, to, cols),
                                n, w, b0 * unit, Math.min(rows, b1 * unit), out, from,
                                InputScratch.floatTile(4 * FloatProducts.POSITIONS), relu));
                return true;
            }
            // Shared out by blocks of FloatProducts.EIGHT_ROWS rows, each thread with the whole
            // input transposed; within a chunk the rows go in groups, each group over the first
            // half of the positions, then over the second (see FloatProducts.productInHalves).
            byBlocks(team, rows, FloatProducts.EIGHT_ROWS, (o0, o1) -> FloatProducts.productInHalves(
                    InputScratch.floats(call, in, from, to, cols, padded), n, w, o0, o1, out, from,
                    InputScratch.floatTile(2 * FloatProducts.EIGHT_ROWS * FloatProducts.L)));
            return true;
        }
        if (relu) {
            return false;
        }
        team.forRange(cols, TRANSPOSE_GRAIN, (i0, i1) -> Transposes.columns(w, wT, i0, i1));
        team.forRange(n, POSITION_GRAIN, (p0, p1) -> {
            for (int t = from + p0; t < from + p1; t++) {
                Arrays.fill(out[t], 0, rows, 0f);
            }
            FloatProducts.product(in, wT, out, from + p0, from + p1, 0, cols, 0, rows);
        });
        return true;
    }

    @Override
    public boolean matmulBackward(float[][] din, float[][] dw, float[][] dout, float[][] in, float[][] w,
                                  int from, int to, Team team) {
        return matmulBackward(din, dw, dout, in, w, from, to, team, false);
    }

    /**
     * The single-precision backward products, the weights' gradient starting its sums from 0 when
     * {@code dw} is cleared (see {@link FloatProducts#backward(float[][], float[][], float[][],
     * float[][], float[][], int, int, Team, boolean)}).
     */
    @Override
    public boolean matmulBackward(float[][] din, float[][] dw, float[][] dout, float[][] in, float[][] w,
                                  int from, int to, Team team, boolean dwCleared) {
        int rows = w.length;
        int cols = w[0].length;
        if (!worthIt(rows, cols, to - from)) {
            return false;
        }
        WarmFloats.ensure();
        // In two halves of the weights' rows, one per thread of two (see FloatProducts.backward).
        FloatProducts.backward(din, dw, dout, in, w, from, to, team, dwCleared);
        return true;
    }

    /**
     * The single-precision backward products with the update of a fused step inside them, each
     * slice of the weights' rows updated by the thread that has just summed its gradient (see
     * {@link FloatProducts#backward(float[][], float[][], float[][], float[][], float[][], int, int,
     * Team, boolean, Team.Range)}); left to the caller for a product these kernels leave to the
     * core.
     */
    @Override
    public boolean matmulBackwardAndUpdate(float[][] din, float[][] dw, float[][] dout, float[][] in, float[][] w,
                                           int from, int to, Team team, boolean dwCleared, Team.Range update) {
        if (!worthIt(w.length, w[0].length, to - from)) {
            return false;
        }
        WarmFloats.ensure();
        FloatProducts.backward(din, dw, dout, in, w, from, to, team, dwCleared, update);
        return true;
    }

    /** Counted by {@link ScratchSizes}, from the constants and conditions the products use. */
    @Override
    public long scratchBytes(boolean singlePrecision, int[][] weights, int fewestPositions, int mostPositions,
                             int transposedRows, int transposedColumns, int threads) {
        return ScratchSizes.bytes(singlePrecision, weights, fewestPositions, mostPositions, transposedRows,
                transposedColumns, threads);
    }

    @Override
    public boolean attentionForward(float[][] out, float[][][] weights, float[][] qkv, float[][] keysT, int nHead,
                                    float scale, int from, int to, Team team) {
        if (!FloatAttention.handles(out[from].length / nHead)) {
            return false;
        }
        WarmAttention.ensure();
        FloatAttention.forward(out, weights, qkv, keysT, nHead, scale, from, to, team);
        return true;
    }

    @Override
    public boolean attentionBackward(float[][] dqkv, float[][] dout, float[][] qkv, float[][][] weights,
                                     float[][] valuesT, float[][] dweights, int nHead, float scale, int from, int to,
                                     Team team) {
        if (!FloatAttention.handles(dout[from].length / nHead)) {
            return false;
        }
        WarmAttention.ensure();
        FloatAttention.backward(dqkv, dout, qkv, weights, valuesT, dweights, nHead, scale, from, to, team);
        return true;
    }

    /**
     * Each thread's own copy of a forward product's input, transposed ({@code inT[k][p] =
     * in[from + p][k]}, then zeros up to a whole vector): the first chunk of rows a thread takes of
     * a product transposes the whole input into the thread's array, and its later chunks of the
     * same product (told apart by the {@code call} object the product makes) read it again.
     *
     * <p>Why not one transpose shared by the threads. It was, split by columns between them, and
     * then each thread read all of it for its rows: two hand-overs per product, and half of what
     * each thread read had just been written by the other core, which costs more than reading
     * what the thread wrote itself. Measured at {@code nEmbd} 256 on two threads (f64, a step's
     * forward products, one JVM, runs alternated): 4.75-4.76 ms a step instead of 4.82-4.85 on
     * two threads, and 8.9-9.0 ms instead of 9.7-11.1 on one (whose transpose went into rows of
     * the model's 8 MB scratch, each row thousands of numbers long, 64 of them used; the
     * thread's own rows are as long as the positions). Each thread transposes twice what it
     * did, a few microseconds a product.
     *
     * <p>The tile the kernels write their outputs through is the thread's too: one array a chunk
     * was 1 KB allocated per chunk, some 170 KB a step on two threads at {@code nEmbd} 256 (and
     * 16 KB on one), most of what such a step allocated.
     *
     * <p>Kept per thread ({@link ThreadLocal}), at most the widest input times the positions
     * (512 KB at {@code nEmbd} 256 in double precision); the results do not depend on which thread
     * transposed what, since every copy holds the same numbers.
     */
    private static final class InputScratch {
        private static final ThreadLocal<InputScratch> LOCAL = ThreadLocal.withInitial(InputScratch::new);

        /** The product whose input this thread's scratch holds (in whichever of the arrays below). */
        private Object call;
        private double[][] doubles = new double[0][];
        private float[][] floats = new float[0][];
        private float[][] floatPanels = new float[0][];
        /** The input packed by {@link DoubleProducts#packInput}, for 16 registers. */
        private double[] packed = new double[0];
        /** The tile through which a thread's forward products write their outputs, double precision. */
        private double[] doubleTile = new double[0];
        /** The same in single precision. */
        private float[] floatTile = new float[0];

        /**
         * The calling thread's tile of at least {@code length} doubles for the forward product's
         * kernels, which write every number of it they read back.
         */
        static double[] doubleTile(int length) {
            InputScratch scratch = LOCAL.get();
            if (scratch.doubleTile.length < length) {
                scratch.doubleTile = new double[length];
            }
            return scratch.doubleTile;
        }

        /** {@link #doubleTile} in single precision. */
        static float[] floatTile(int length) {
            InputScratch scratch = LOCAL.get();
            if (scratch.floatTile.length < length) {
                scratch.floatTile = new float[length];
            }
            return scratch.floatTile;
        }

        /** Thread's transpose of {@code in}'s positions {@code [from, to)}, for the product {@code call}. */
        static double[][] doubles(Object call, double[][] in, int from, int to, int cols, int padded) {
            InputScratch scratch = LOCAL.get();
            if (scratch.call != call) {
                scratch.doubles = ScratchArrays.atLeast(scratch.doubles, cols, padded);
                DoubleProducts.transposeInput(in, from, to, scratch.doubles, 0, cols);
                scratch.call = call;
            }
            return scratch.doubles;
        }

        /**
         * As {@link #floats}, cut into panels ({@link FloatProducts#transposeInputPanels}): the
         * input of {@link FloatProducts#productByPanels}, for 16 registers.
         */
        static float[][] floatPanels(Object call, float[][] in, int from, int to, int cols) {
            InputScratch scratch = LOCAL.get();
            if (scratch.call != call) {
                int count = FloatProducts.panelPositions(to - from) / FloatProducts.PANEL;
                int length = cols * FloatProducts.PANEL;
                scratch.floatPanels = ScratchArrays.atLeast(scratch.floatPanels, count, length);
                FloatProducts.transposeInputPanels(in, from, to, scratch.floatPanels, cols);
                scratch.call = call;
            }
            return scratch.floatPanels;
        }

        /**
         * As {@link #doubles}, packed by {@link DoubleProducts#packInput} for the shapes of 16
         * registers: the thread's packing of {@code in}'s positions {@code [from, to)}.
         */
        static double[] packedDoubles(Object call, double[][] in, int from, int to, int cols) {
            InputScratch scratch = LOCAL.get();
            if (scratch.call != call) {
                int size = DoubleProducts.packedSize(to - from, cols);
                if (scratch.packed.length < size) {
                    scratch.packed = new double[size];
                }
                DoubleProducts.packInput(in, from, to, cols, scratch.packed);
                scratch.call = call;
            }
            return scratch.packed;
        }

        /**
         * The calling thread's panels array of at least {@code count} panels of {@code length},
         * for a transpose the threads share; forgets which product this thread's panels held.
         */
        static float[][] sharedFloatPanels(int count, int length) {
            InputScratch scratch = LOCAL.get();
            scratch.floatPanels = ScratchArrays.atLeast(scratch.floatPanels, count, length);
            scratch.call = null;
            return scratch.floatPanels;
        }

        /**
         * The calling thread's packing array of at least {@code size} doubles, for a packing the
         * threads share; forgets which product this thread's scratch held.
         */
        static double[] sharedPacked(int size) {
            InputScratch scratch = LOCAL.get();
            if (scratch.packed.length < size) {
                scratch.packed = new double[size];
            }
            scratch.call = null;
            return scratch.packed;
        }

        /** As {@link #doubles}, in single precision. */
        static float[][] floats(Object call, float[][] in, int from, int to, int cols, int padded) {
            InputScratch scratch = LOCAL.get();
            if (scratch.call != call) {
                scratch.floats = ScratchArrays.atLeast(scratch.floats, cols, padded);
                FloatProducts.transposeInput(in, from, to, scratch.floats, 0, cols);
                scratch.call = call;
            }
            return scratch.floats;
        }
    }

    /**
     * Vector API code is fast only once C2 has compiled it: before that every vector operation is
     * an object and a loop over its lanes, a hundred times slower than the core's plain loops (a
     * first step at {@code nEmbd} 256 took 11 s instead of 4, and on a busy machine the next ones
     * stayed slow for seconds while the compiler waited for a processor). So before the first real
     * product of a precision, the products run on small zero matrices until a call costs what
     * compiled code costs, or five seconds have passed. Only the time of the first
     * product changes: results never depend on it.
     */
    private static final class WarmUp {

        /**
         * Calls after which the products should be queued for compilation (HotSpot's thresholds are
         * some thousands of calls and loop iterations); from then on the thread pauses between
         * calls, leaving the processor to the compiler.
         */
        static final int CALLS = 2000;

        /**
         * A call of the round compiled: some 50,000 multiply-adds, under a microsecond with
         * AVX-512; before C2 compiles it, 30 to 100 microseconds.
         */
        static final long COMPILED_NANOS = 5_000;

        static final long WARM_UP_LIMIT_NANOS = 5_000_000_000L;

        private WarmUp() {
        }

        static void until(Runnable round) {
            until(round, COMPILED_NANOS);
        }

        /** {@link #until(Runnable)}, with the time of a compiled round given. */
        static void until(Runnable round, long compiledNanos) {
            long deadline = System.nanoTime() + WARM_UP_LIMIT_NANOS;
            for (int i = 0; System.nanoTime() < deadline; i++) {
                long start = System.nanoTime();
                round.run();
                if (System.nanoTime() - start < compiledNanos) {
                    return;
                }
                if (i >= CALLS) {
                    try {
                        Thread.sleep(1);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
            }
        }
    }

    /** Warms the double-precision products once, on first use (class initialisation is once and thread-safe). */
    private static final class WarmDoubles {
        static {
            int width = 5 * DoubleProducts.L + 1;
            // a is read as a[r][k] (product) and as a[k][r] (productTransposed), r < 7 and k < 32:
            // 32 by 32 whatever the vector width (it was 32 by width, too short when width < 32).
            // Seven rows of c: a whole block of six rows (the panel kernels' blocks for 16
            // registers) and one more, so that the panels, the kernels without them, and every
            // edge (a row, a vector, a column) are compiled before the first real product.
            double[][] a = new double[32][32];
            double[][] x = new double[32][width];
            double[][] c = new double[7][width];
            int positions = DoubleProducts.POSITIONS + DoubleProducts.L + 3;
            double[][] in = new double[positions][32];
            double[][] inT = new double[32][positions + DoubleProducts.L];
            double[][] w = new double[5][32];
            double[][] out = new double[positions][5];
            double[] tile = new double[4 * DoubleProducts.POSITIONS];
            // With 16 registers the forward product reads its input packed (see matmulForward).
            double[] packed = new double[DoubleProducts.packedSize(positions, 32)];
            WarmUp.until(() -> {
                if (DoubleProducts.NARROW) {
                    DoubleProducts.packInput(in, 0, positions, 32, packed);
                    DoubleProducts.productExactByRowsPacked(packed, positions, w, 0, 5, out, 0, tile);
                } else {
                    DoubleProducts.transposeInput(in, 0, positions, inT, 0, 32);
                    DoubleProducts.productExactByRows(inT, positions, w, 0, 5, out, 0, tile);
                }
                DoubleProducts.productExact(a, x, c, 0, 4, 0, 32, width);
                DoubleProducts.product(a, x, c, 0, 7, 0, 32, 0, width);
                DoubleProducts.productTransposed(a, x, c, 0, 7, 0, 32, width);
                // The step's first backward products start from cleared gradients: that branch too
                // (c holds zeros, so its sums from zero vectors store what it held).
                DoubleProducts.productTransposed(a, x, c, 0, 7, 0, 32, width, null, true);
            });
        }

        static void ensure() {
            // Initialising the class is the work.
        }
    }

    /**
     * Warms the single-precision attention ({@link FloatAttention}) once, on first use, as
     * {@link WarmFloats} does the products, on zeros, on the calling thread, so that every branch
     * and every Vector API method a model's calls take has run before C2 compiles the attention.
     *
     * <p>Why all of them. C2 leaves out of its code the branches that have not run, and the first
     * call to take one sends the method back to the interpreter until C2 has compiled it again,
     * from the profile gathered in between; and on JDK 17 C2 knows the class of a vector, so
     * whether an operation becomes one instruction, only from the profile of the code that ran
     * it (see {@link FloatAttention}). The warm-up used to take heads of one and four vectors over
     * 6 positions only, so a model's first call (heads of two vectors, up to 64 positions) took
     * three new branches, and in some JVMs C2's second compile had no usable profile for the
     * softmax's maximum and sum over whole vectors: their operations ran the Vector API's Java
     * code, allocating, and attention's forward pass took 1.2-4.4 ms a step instead of 0.52 for
     * the rest of the run (6 of 14 JVMs at {@code nEmbd} 256, 4 layers, 8 heads, block 64). Here:
     * heads of two, four and one vector ({@code addWeightedRows}' branches), 7 and 6 positions
     * (two queries at a time, with and without one left over), keys four vectors wide
     * ({@code dotsTwo}'s pass over four vectors) and values as wide as the positions (its
     * fallback, and {@code dots} one position at a time), then the kernels alone at the counts a
     * head of 64 positions reaches: {@code softmax} over two vectors with and without a part
     * vector, {@code dots} in passes of four, three and two vectors. It takes some 0.3-0.5 s more
     * than the old one did, once, at the first attention of a model this module takes.
     */
    private static final class WarmAttention {

        /** A round below compiled: at most 20 microseconds (see the numbers below). */
        static final long COMPILED_ROUND_NANOS = 20_000;

        static {
            // Few positions: a round compiled takes 3-9 microseconds (heads of one to four vectors,
            // a Zen 5 shared with other work), before C2 has compiled it some hundreds.
            int positions = 7;
            int l = FloatAttention.L;
            Team alone = (count, grain, task) -> task.run(0, count);
            for (int hd : new int[] {2 * l, 4 * l, l}) {
                float[][] out = new float[positions][hd];
                float[][][] weights = new float[positions][1][positions];
                float[][] qkv = new float[positions][3 * hd];
                float[][] keysT = new float[hd][4 * l];
                float[][] dqkv = new float[positions][3 * hd];
                float[][] valuesT = new float[hd][positions];
                float[][] dweights = new float[3][positions * hd + positions];
                float[] z = new float[2 * l + 1];
                float[] u = new float[hd];
                float[][] columns = new float[hd][7 * l];
                float[] d = new float[7 * l];
                float[] tail = new float[4 * l];
                WarmUp.until(() -> {
                    FloatAttention.forward(out, weights, qkv, keysT, 1, 1f, 0, positions, alone);
                    FloatAttention.backward(dqkv, out, qkv, weights, valuesT, dweights, 1, 1f, 0, positions, alone);
                    // An even count of positions too: no query left over.
                    FloatAttention.forward(out, weights, qkv, keysT, 1, 1f, 1, positions, alone);
                    FloatAttention.backward(dqkv, out, qkv, weights, valuesT, dweights, 1, 1f, 1, positions, alone);
                    FloatAttention.softmax(z, 2 * l, tail);
                    FloatAttention.softmax(z, 2 * l + 1, tail);
                    FloatAttention.dots(d, u, columns, 0, hd, 6 * l + 1, tail);
                    FloatAttention.dots(d, u, columns, 0, hd, l + 1, tail);
                }, COMPILED_ROUND_NANOS);
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
            // a is read as a[r][k] (product) and as a[k][r] (productTransposed), r < 7 and k < 32:
            // 32 by 32 whatever the vector width (it was 32 by width, too short when width < 32).
            // Seven rows of c: a whole block of six rows (productTransposed's blocks for 16
            // registers) and one more, so that every kernel this register count uses, and every
            // edge (a row, a vector, a column), is compiled before the first real product.
            float[][] a = new float[32][32];
            float[][] x = new float[32][width];
            float[][] c = new float[7][width];
            int positions = FloatProducts.POSITIONS + FloatProducts.L + 3;
            float[][] in = new float[positions][32];
            float[][] inT = new float[32][positions + FloatProducts.L];
            float[][] w = new float[5][32];
            float[][] out = new float[positions][5];
            float[] tile = new float[4 * FloatProducts.POSITIONS];
            float[][] panels = new float[FloatProducts.panelPositions(positions) / FloatProducts.PANEL][32 * FloatProducts.PANEL];
            WarmUp.until(() -> {
                // The forward product of this register count, on 5 rows (a whole block of five
                // for 16 registers, and four with the last repeated) and a last panel or tile
                // part filled.
                if (FloatProducts.SIXTEEN_REGISTERS) {
                    FloatProducts.transposeInputPanels(in, 0, positions, panels, 32);
                    FloatProducts.productByPanels(panels, positions, w, 0, 5, out, 0, tile);
                    FloatProducts.productByPanels(panels, positions, w, 1, 5, out, 0, tile);
                } else {
                    // Both halves of the positions, each with a block of two vectors and one of
                    // one, the second's last partly filled.
                    FloatProducts.transposeInput(in, 0, positions, inT, 0, 32);
                    FloatProducts.productInHalves(inT, positions, w, 0, 5, out, 0, tile);
                }
                FloatProducts.product(a, x, c, 0, 7, 0, 32, 0, width);
                FloatProducts.productTransposed(a, x, c, 0, 7, 0, 32, width);
                // The step's first backward products start from cleared gradients: that branch too.
                FloatProducts.productTransposed(a, x, c, 0, 7, 0, 32, width, null, true);
            });
        }

        static void ensure() {
            // Initialising the class is the work.
        }
    }
}
