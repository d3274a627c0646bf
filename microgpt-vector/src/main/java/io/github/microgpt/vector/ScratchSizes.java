package io.github.microgpt.vector;

import io.github.microgpt.internal.kernels.ArrayBytes;
import io.github.microgpt.internal.kernels.MatrixKernels;
import java.util.Set;
import java.util.TreeSet;

/**
 * The scratch this module's kernels keep in their thread-locals once training steps have run,
 * counted without running them ({@link VectorMatrixKernels#scratchBytes}): the command line asks,
 * before it builds a model, so that a model far too large for the heap is refused at once.
 *
 * <p>Each product of a step is replayed as the kernels run it: the same tests of its shape
 * ({@link VectorMatrixKernels#worthIt}, the register shape of {@link Registers}, the small-shape
 * kernels' limits) choose the same path, and each array it would ask its scratch for is asked,
 * with the sizes computed from the same constants and functions
 * ({@link DoubleProducts#packedSize}, {@link FloatProducts#panelPositions}, the halves'
 * {@code middleRow}, {@link SlicedBackward#slices}, {@link VectorMatrixKernels#sliceRow}), of a
 * {@link ScratchArrays.Ledger}, which grows them by the rule that grows the real ones. So a
 * change of a constant or of a slice's shape moves the count with it; a new array, or a new
 * path that asks for one, must be added here too, and {@code ModelMemoryVectorTest} in the
 * examples module (which walks the thread-locals a real step leaves, in both register shapes)
 * fails until it is.
 *
 * <p>What a thread holds: every thread that takes part in a product keeps its own copy of the
 * forward input, panels and slices; the calling thread alone keeps the backward products'
 * second half and the small-shape kernels' transposed weights. The count is what each thread
 * holds if it ran a share of every product, which is exact on one thread and an upper bound on
 * more (a thread that took no share of a product keeps none of its scratch).
 *
 * <p><b>Documents of every length.</b> A run's documents are of many lengths, and each length may
 * take other paths: a product small enough for the small-shape kernels (double precision), the
 * backward update after the product rather than inside it, or the input copied into the thread's
 * scratch only while the positions fit in a row of the model's transposed weights (so a block
 * longer than such a row keeps none at the block's length, and a shorter document does). Since every array
 * keeps the largest size asked of it in each direction, whatever the order of the requests, a
 * run keeps the largest of every array over its documents' lengths. So the count replays every
 * length of a range of them into the same ledgers: what a run whose documents take each of
 * those lengths keeps, and an upper bound for a run whose documents take some of them. One
 * length (the range of one) is what a run of documents of that length keeps. At {@code nEmbd}
 * 64 / block 64 in double precision, documents of every length keep 0.55 MB more than documents
 * of the block's length alone, at 256 / 64 0.09 MB (review5, 6 December 2026).
 *
 * <p>Which lengths need replaying: every choice of a path above depends on the length {@code n}
 * only through a threshold ({@code n} at least or under a number: the multiply-adds of
 * {@link VectorMatrixKernels#worthIt} and of {@link #OFFERED_TO_SMALL}, {@link VectorMatrixKernels#MIN_POSITIONS},
 * the small-shape kernels' least positions and their two vectors of positions, the padded
 * positions against the transposed weights' row length), and on a path every size asked for grows
 * with {@code n}. So between two thresholds the longest length asks for the most, and the
 * lengths that can matter are the range's last and those just under each threshold
 * ({@link #lengthsThatMatter}); {@code ScratchSizesTest} checks that against a replay of every
 * length. A new test of {@code n} in the kernels needs its threshold added there.
 */
final class ScratchSizes {

    /**
     * The core offers the double-precision products of fewer multiply-adds than this to the
     * small-shape kernels first: the core's constant ({@link MatrixKernels#SMALL_MULTIPLY_ADDS}),
     * the one number here that the core decides.
     */
    static final long OFFERED_TO_SMALL = MatrixKernels.SMALL_MULTIPLY_ADDS;

    private final boolean f32;
    private final int numberBytes;
    /** Doubles or floats per vector. */
    private final int lanes;
    /** The positions of the step being replayed. */
    private int n;
    /** Each thread's scratch (the count is multiplied by the threads). */
    private final ScratchArrays.Ledger everyThread = new ScratchArrays.Ledger();
    /** The calling thread's alone. */
    private final ScratchArrays.Ledger caller = new ScratchArrays.Ledger();
    /** The widths of the slices' scratch asked for ({@code SlicedBackward.SliceScratch} keeps rows per width). */
    private final Set<Integer> sliceWidths = new TreeSet<>();

    private ScratchSizes(boolean f32) {
        this.f32 = f32;
        this.numberBytes = f32 ? Float.BYTES : Double.BYTES;
        this.lanes = f32 ? FloatProducts.L : DoubleProducts.L;
    }

    /**
     * The bytes of scratch the kernels keep once fused training steps (the update inside the
     * backward products, as the trainer runs it) have run these products on {@code threads}
     * threads, on documents of every number of positions from {@code fewestPositions} to
     * {@code mostPositions}.
     *
     * @param f32 single precision
     * @param weights each product's weights, {@code {rows, columns}}
     * @param fewestPositions the fewest positions of a step, at least 1
     * @param mostPositions the most, at least {@code fewestPositions}
     * @param transposedRows the rows of the model's transposed weights' scratch ({@code wT})
     * @param transposedColumns their length
     * @param threads the threads of the step
     * @return the bytes, saturated at {@link Long#MAX_VALUE}
     */
    static long bytes(boolean f32, int[][] weights, int fewestPositions, int mostPositions, int transposedRows,
                      int transposedColumns, int threads) {
        return bytes(f32, weights, lengthsThatMatter(f32, weights, fewestPositions, mostPositions, transposedColumns),
                transposedRows, transposedColumns, threads);
    }

    /**
     * {@link #bytes(boolean, int[][], int, int, int, int, int)} of steps of these lengths.
     *
     * @param f32 single precision
     * @param weights each product's weights, {@code {rows, columns}}
     * @param lengths the positions of each step replayed
     * @param transposedRows the rows of the model's transposed weights' scratch ({@code wT})
     * @param transposedColumns their length
     * @param threads the threads of the step
     * @return the bytes, saturated at {@link Long#MAX_VALUE}
     */
    static long bytes(boolean f32, int[][] weights, int[] lengths, int transposedRows, int transposedColumns,
                      int threads) {
        ScratchSizes sizes = new ScratchSizes(f32);
        for (int length : lengths) {
            sizes.n = length;
            for (int[] w : weights) {
                sizes.forward(w[0], w[1], transposedRows, transposedColumns);
                sizes.backward(w[0], w[1]);
            }
        }
        if (!sizes.sliceWidths.isEmpty()) {
            // SliceScratch's widths asked for, and its rows held for each.
            sizes.everyThread.flat("slices.widths", Integer.BYTES, sizes.sliceWidths.size());
            sizes.everyThread.flat("slices.held", ArrayBytes.REFERENCE_BYTES, sizes.sliceWidths.size());
        }
        return ArrayBytes.sum(ArrayBytes.product(sizes.everyThread.bytes(), Math.max(1, threads)),
                sizes.caller.bytes());
    }

    /**
     * The lengths from {@code fewest} to {@code most} whose replay asks for as much as a replay of
     * all of them (see the class's comment): the last, and each one just under a threshold at
     * which a product's path may change, with its neighbours (a threshold counted one off
     * costs a length more, not a wrong count).
     *
     * @param f32 single precision
     * @param weights each product's weights, {@code {rows, columns}}
     * @param fewest the fewest positions, at least 1
     * @param most the most, at least {@code fewest}
     * @param transposedColumns the length of the rows of the model's transposed weights' scratch
     * @return the lengths, ascending, each once
     */
    static int[] lengthsThatMatter(boolean f32, int[][] weights, int fewest, int most, int transposedColumns) {
        if (fewest < 1 || most < fewest) {
            throw new IllegalArgumentException("positions from " + fewest + " to " + most);
        }
        int lanes = f32 ? FloatProducts.L : DoubleProducts.L;
        Set<Long> thresholds = new TreeSet<>();
        // The small-shape kernels: at least 2 positions, at most two vectors of them for byPositions.
        thresholds.add(2L);
        thresholds.add(2L * SmallVectorKernels.L + 1);
        thresholds.add((long) VectorMatrixKernels.MIN_POSITIONS);
        // The input copied only while its padded positions fit the transposed weights' rows.
        thresholds.add((long) transposedColumns / lanes * lanes + 1);
        for (int[] w : weights) {
            long multiplyAdds = Math.max(1, (long) w[0] * w[1]);
            thresholds.add(ceilDiv(OFFERED_TO_SMALL, multiplyAdds));
            thresholds.add(ceilDiv(VectorMatrixKernels.MIN_MULTIPLY_ADDS, multiplyAdds));
            // byPositions: fewer numbers read by positions than the weights hold.
            thresholds.add(ceilDiv(multiplyAdds, Math.max(1, (long) w[0] + w[1])));
        }
        Set<Integer> lengths = new TreeSet<>();
        lengths.add(most);
        for (long threshold : thresholds) {
            for (long length = threshold - 2; length <= threshold; length++) {
                if (length >= fewest && length <= most) {
                    lengths.add((int) length);
                }
            }
        }
        return lengths.stream().mapToInt(Integer::intValue).toArray();
    }

    private static long ceilDiv(long a, long b) {
        return a <= 0 ? 0 : (a - 1) / b + 1;
    }

    /** {@code VectorMatrixKernels.matmulForward}, and before it the small-shape kernels' ({@code SmallVectorKernels}). */
    private void forward(int rows, int cols, int transposedRows, int transposedColumns) {
        if (!f32 && smallTakes(rows, cols)) {
            return;
        }
        if (n < VectorMatrixKernels.MIN_POSITIONS || !VectorMatrixKernels.worthIt(rows, cols, n)) {
            return;
        }
        long padded = ((long) n + lanes - 1) / lanes * lanes;
        if (transposedRows < cols || transposedColumns < padded) {
            // The weights transposed into the model's scratch, and the product over them by
            // positions (a thread's chunk of them, at most all): none of the kernels' own but, in
            // single precision with 16 registers, productPanels' (the positions as its rows, the
            // input's columns as its terms).
            if (f32 && FloatProducts.SIXTEEN_REGISTERS) {
                floatPanels(cols);
            }
            return;
        }
        // InputScratch: each thread's copy of the input, and the tile the outputs go through.
        if (!f32 && DoubleProducts.NARROW) {
            everyThread.flat("input.packed", numberBytes, DoubleProducts.packedSize(n, cols));
            everyThread.flat("input.doubleTile", numberBytes, 4L * DoubleProducts.NARROW_POSITIONS);
        } else if (!f32) {
            everyThread.atLeast("input.doubles", numberBytes, cols, padded);
            everyThread.flat("input.doubleTile", numberBytes, 4L * DoubleProducts.POSITIONS);
        } else if (FloatProducts.SIXTEEN_REGISTERS) {
            everyThread.atLeast("input.floatPanels", numberBytes, FloatProducts.panelPositions(n) / FloatProducts.PANEL,
                    (long) cols * FloatProducts.PANEL);
            everyThread.flat("input.floatTile", numberBytes, 4L * FloatProducts.POSITIONS);
        } else {
            everyThread.atLeast("input.floats", numberBytes, cols, padded);
            everyThread.flat("input.floatTile", numberBytes, 2L * FloatProducts.EIGHT_ROWS * FloatProducts.L);
        }
    }

    /**
     * {@code FloatProducts.productPanels} over the step's positions (or a thread's chunk of them)
     * as its rows and {@code terms} terms: blocks of six rows of {@code a}, every pass's, and a
     * group of {@code x}'s panels; the tiles are made with the panels.
     */
    private void floatPanels(int terms) {
        int passes = (terms + FloatProducts.PANEL_TERMS - 1) / FloatProducts.PANEL_TERMS;
        int perPass = Math.min(FloatProducts.PANEL_TERMS, terms);
        everyThread.atLeast("panels.tiles", numberBytes, 6, FloatProducts.PANEL);
        everyThread.atLeast("panels.dinA", numberBytes, (long) passes * ((n + 5) / 6), perPass * 6L);
        everyThread.atLeast("panels.group", numberBytes, FloatProducts.COLUMN_GROUP,
                (long) perPass * FloatProducts.PANEL);
    }

    /**
     * Whether the small-shape kernels take a double-precision forward product
     * ({@code SmallVectorKernels.matmulForward}), counting the scratch they keep on the calling
     * thread if they do.
     */
    private boolean smallTakes(int rows, int cols) {
        int l = SmallVectorKernels.L;
        if (!SmallVectorKernels.ENABLED || (long) rows * cols * n >= OFFERED_TO_SMALL
                || n < 2 || rows < l || rows > SmallVectorKernels.MAX_ROWS || cols > SmallVectorKernels.MAX_COLUMNS) {
            return false;
        }
        if (SmallVectorKernels.positionLanes && n <= 2 * l && (long) n * (rows + cols) < (long) rows * cols) {
            // byPositions: the input's and output's columns, two vectors of positions a column.
            caller.flat("small.lanes", ArrayBytes.REFERENCE_BYTES, 2);
            caller.flat("small.lanes.in", Double.BYTES, 2L * l * cols);
            caller.flat("small.lanes.out", Double.BYTES, 2L * l * rows);
        } else {
            caller.atLeast("small.transposed", Double.BYTES, cols, rows);
        }
        return true;
    }

    /**
     * The backward products: the second half's sums and, with 16 registers, the panels; with the
     * update inside ({@code DoubleProducts.backwardAndUpdate}, {@code FloatProducts.backward}
     * with an update), each slice of the weights' gradient in the thread's scratch. A
     * double-precision product the core offers the small-shape kernels has its update after it
     * ({@code ArrayKernels.matmulBackwardOverwriteAndUpdate} leaves those to the caller), and
     * comes here only if they decline it ({@code SmallVectorKernels.matmulBackward}).
     */
    private void backward(int rows, int cols) {
        boolean offeredToSmall = !f32 && (long) rows * cols * n < OFFERED_TO_SMALL;
        if (offeredToSmall && SmallVectorKernels.ENABLED && n >= 1 && cols % SmallVectorKernels.L == 0
                && cols <= SmallVectorKernels.MAX_COLUMNS) {
            return;
        }
        if (!VectorMatrixKernels.worthIt(rows, cols, n)) {
            return;
        }
        boolean fused = !offeredToSmall;
        caller.atLeast("secondHalf", numberBytes, n, cols);
        int middle = f32 ? FloatProducts.middleRow(rows) : DoubleProducts.middleRow(rows);
        int transposed = f32 ? FloatProducts.TRANSPOSED_ROWS : DoubleProducts.TRANSPOSED_ROWS;
        int blocks = (cols + 4 * lanes - 1) / (4 * lanes);
        // Apart with an update inside: each half's blocks, then its slices one by one. Without,
        // unit i is block i and slice i, and one thread's chunk may be a whole half (on one
        // thread it is), whose gradient is one call.
        int slices = SlicedBackward.slices(fused, blocks, rows - middle, cols, numberBytes);
        int largestSlice = fused ? 0 : rows - middle;
        for (int half : new int[] {middle, rows - middle}) {
            for (int s = 0; fused && s < slices; s++) {
                largestSlice = Math.max(largestSlice, VectorMatrixKernels.sliceRow(half, slices, s + 1, transposed)
                        - VectorMatrixKernels.sliceRow(half, slices, s, transposed));
            }
        }
        if (fused) {
            // SliceScratch: the slice's rows, exactly as wide as the product's (one array per
            // width), and the view that points the product's row indices at them.
            sliceWidths.add(cols);
            everyThread.atLeast("slices." + cols, numberBytes, largestSlice, cols);
            everyThread.flat("slices.view", ArrayBytes.REFERENCE_BYTES, rows);
        }
        if (f32 ? !FloatProducts.SIXTEEN_REGISTERS : !DoubleProducts.NARROW) {
            return;
        }
        // With 16 registers, the panels: the input's gradient over each half's rows (the terms),
        // and the weights' gradient of each slice over the positions.
        for (int half : new int[] {middle, rows - middle}) {
            if (half == 0) {
                continue;
            }
            if (f32) {
                floatPanels(half);
            } else if (cols >= DoubleProducts.NARROW_POSITIONS) {
                // productNarrow: panels only for a chunk at least one panel wide.
                int passes = (half + DoubleProducts.PANEL_TERMS - 1) / DoubleProducts.PANEL_TERMS;
                int terms = Math.min(DoubleProducts.PANEL_TERMS, half);
                everyThread.atLeast("panels.a", numberBytes, (long) passes * ((n + DoubleProducts.BLOCK_ROWS - 1)
                        / DoubleProducts.BLOCK_ROWS), (long) terms * DoubleProducts.A_STRIDE);
                everyThread.atLeast("panels.group", numberBytes, DoubleProducts.COLUMN_GROUP,
                        (long) terms * DoubleProducts.NARROW_POSITIONS);
            }
        }
        if (largestSlice == 0) {
            return;
        }
        if (f32) {
            // productTransposedFor16: x's whole panels (possibly none), a's rows six at a time.
            everyThread.atLeast("panels.x", numberBytes, cols / FloatProducts.PANEL, (long) n * FloatProducts.PANEL);
            everyThread.flat("panels.aPanel", numberBytes, n * 6L);
        } else if (cols / DoubleProducts.NARROW_POSITIONS > 0) {
            // productTransposedNarrow: x's whole panels, and a's for the slice's blocks of rows.
            everyThread.atLeast("panels.x", numberBytes, cols / DoubleProducts.NARROW_POSITIONS,
                    (long) n * DoubleProducts.NARROW_POSITIONS);
            everyThread.atLeast("panels.t", numberBytes,
                    (largestSlice + DoubleProducts.BLOCK_ROWS - 1) / DoubleProducts.BLOCK_ROWS,
                    (long) n * DoubleProducts.A_STRIDE);
        }
    }
}
