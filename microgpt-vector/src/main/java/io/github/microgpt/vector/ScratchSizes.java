package io.github.microgpt.vector;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The scratch these kernels keep between products, as arrays, for a training step of a model
 * whose products have given shapes: the operands' copies and panels each thread keeps
 * ({@code VectorMatrixKernels.InputScratch}, {@code DoubleProducts.Panels},
 * {@code FloatProducts.Panels}) and those only the thread that calls a product keeps (the
 * backward products' second half, {@code DoubleProducts.SecondHalf} and
 * {@code FloatProducts.SecondHalf}; the small-shape kernels' transposed weights). The command
 * line's memory check ({@code ModelMemory} in microgpt-examples) asks this class, by reflection
 * since the module exports nothing, so that the sizes are worked out here, beside the code that
 * allocates them: whoever changes a scratch array's shape changes this too, and
 * {@code ModelMemoryVectorTest} there, which walks the arrays the threads really hold after a
 * step, fails until they agree.
 *
 * <p>Every array grows to the largest shape any product asked of it ({@link ScratchArrays}) and
 * is never shrunk, so the sizes are the maxima over the products, dimension by dimension. They
 * are what a thread holds if it ran a share of every product: on one thread exactly that; on
 * more, a thread that took no share of some product holds less.
 */
final class ScratchSizes {

    /** Kept by every thread that takes a share of a product. */
    static final int EVERY_THREAD = 0;

    /** Kept only by the thread that calls the product (the one that runs the training step). */
    static final int CALLER = 1;

    /**
     * {@code ArrayKernels.SMALL_MULTIPLY_ADDS} in the core: products of fewer multiply-adds are
     * offered to the small-shape kernels first ({@link SmallVectorKernels}), which keep the
     * transposed weights of a forward product on the calling thread.
     */
    private static final long SMALL_MULTIPLY_ADDS = 1L << 18;

    /** One array held, by name, grown to the largest of the shapes asked: see {@link #arrays}. */
    private final Map<String, long[]> held = new LinkedHashMap<>();

    private ScratchSizes() {
    }

    /**
     * The arrays these kernels hold after a training step whose products have {@code weights}
     * shapes, over {@code positions} positions, with the workspace's transposed weights of
     * {@code scratchRows x scratchCols} numbers (in the core, {@code Workspace.weightsT}; its
     * shape decides whether a forward product reads its input transposed per thread).
     *
     * @param f32 single precision ({@code float}s), else double
     * @param weights each product's weight matrix as {@code {rows, cols}}, forward and backward
     * @param positions the positions of the step (from 0)
     * @param scratchRows the rows of the workspace's transposed weights
     * @param scratchCols the length of each of those rows
     * @return one row per array: {@code {holder, count, length}}, {@code holder} being
     *     {@link #EVERY_THREAD} or {@link #CALLER}; {@code count} arrays of {@code length}
     *     numbers held in an array of {@code count} references, or, where {@code count} is -1,
     *     one array of {@code length} numbers
     */
    static long[][] arrays(boolean f32, int[][] weights, int positions, int scratchRows, int scratchCols) {
        ScratchSizes sizes = new ScratchSizes();
        for (int[] w : weights) {
            if (f32) {
                sizes.floatProduct(w[0], w[1], positions, scratchRows, scratchCols);
            } else {
                sizes.doubleProduct(w[0], w[1], positions, scratchRows, scratchCols);
            }
        }
        List<long[]> rows = new ArrayList<>(sizes.held.values());
        return rows.toArray(new long[0][]);
    }

    /** The arrays of one double-precision product, forward and backward (see {@link VectorMatrixKernels}). */
    private void doubleProduct(int rows, int cols, int n, int scratchRows, int scratchCols) {
        long multiplyAdds = (long) rows * cols * n;
        int padded = (n + DoubleProducts.L - 1) / DoubleProducts.L * DoubleProducts.L;
        if (SmallVectorKernels.ENABLED && multiplyAdds < SMALL_MULTIPLY_ADDS && n >= 2
                && rows >= DoubleProducts.L && rows <= SmallVectorKernels.MAX_ROWS
                && cols <= SmallVectorKernels.MAX_COLUMNS) {
            // SmallVectorKernels.transposed: the weights transposed, cols rows of rows.
            grow("small.transposed", CALLER, cols, rows);
        } else if (n >= VectorMatrixKernels.MIN_POSITIONS && VectorMatrixKernels.worthIt(rows, cols, n)
                && scratchRows >= cols && scratchCols >= padded) {
            if (DoubleProducts.NARROW) {
                grow("input.packed", EVERY_THREAD, -1, DoubleProducts.packedSize(n, cols));
            } else {
                grow("input.doubles", EVERY_THREAD, cols, padded);
            }
        }
        if (!VectorMatrixKernels.worthIt(rows, cols, n)) {
            return;
        }
        grow("secondHalf", CALLER, n, cols);
        if (!DoubleProducts.NARROW) {
            return;
        }
        int middle = DoubleProducts.middleRow(rows);
        int np = DoubleProducts.NARROW_POSITIONS;
        for (int half : new int[] {middle, rows - middle}) {
            if (half == 0) {
                continue;
            }
            // productNarrow: every pass's panels of the output's gradient, and a group of x's.
            if (cols >= np) {
                int terms = Math.min(DoubleProducts.PANEL_TERMS, half);
                int passes = (half + DoubleProducts.PANEL_TERMS - 1) / DoubleProducts.PANEL_TERMS;
                int rowBlocks = (n + DoubleProducts.BLOCK_ROWS - 1) / DoubleProducts.BLOCK_ROWS;
                grow("panels.a", EVERY_THREAD, passes * rowBlocks, terms * DoubleProducts.A_STRIDE);
                grow("panels.group", EVERY_THREAD, DoubleProducts.COLUMN_GROUP, terms * np);
            }
            // productTransposedNarrow: the input's columns, and a thread's rows of the gradient
            // in blocks (on one thread the whole half).
            if (cols / np > 0) {
                grow("panels.x", EVERY_THREAD, cols / np, n * np);
                grow("panels.t", EVERY_THREAD, (half + DoubleProducts.BLOCK_ROWS - 1) / DoubleProducts.BLOCK_ROWS,
                        n * DoubleProducts.A_STRIDE);
            }
        }
    }

    /** The arrays of one single-precision product, forward and backward. */
    private void floatProduct(int rows, int cols, int n, int scratchRows, int scratchCols) {
        int padded = (n + FloatProducts.L - 1) / FloatProducts.L * FloatProducts.L;
        if (!VectorMatrixKernels.worthIt(rows, cols, n)) {
            return;
        }
        if (n >= VectorMatrixKernels.MIN_POSITIONS && scratchRows >= cols && scratchCols >= padded) {
            if (FloatProducts.SIXTEEN_REGISTERS) {
                grow("input.floatPanels", EVERY_THREAD, FloatProducts.panelPositions(n) / FloatProducts.PANEL,
                        cols * FloatProducts.PANEL);
            } else {
                grow("input.floats", EVERY_THREAD, cols, padded);
            }
        }
        grow("secondHalf", CALLER, n, cols);
        if (!FloatProducts.SIXTEEN_REGISTERS) {
            return;
        }
        int panel = FloatProducts.PANEL;
        grow("panels.tiles", EVERY_THREAD, 6, panel);
        int middle = FloatProducts.middleRow(rows);
        for (int half : new int[] {middle, rows - middle}) {
            if (half == 0) {
                continue;
            }
            // productPanels: every pass's panels of the output's gradient, and a group of x's.
            int terms = Math.min(FloatProducts.PANEL_TERMS, half);
            int passes = (half + FloatProducts.PANEL_TERMS - 1) / FloatProducts.PANEL_TERMS;
            grow("panels.a", EVERY_THREAD, passes * ((n + 5) / 6), terms * 6);
            grow("panels.group", EVERY_THREAD, FloatProducts.COLUMN_GROUP, terms * panel);
            // productTransposedFor16: the input's columns, and one block of six rows.
            grow("panels.x", EVERY_THREAD, cols / panel, n * panel);
            grow("panels.aPanel", EVERY_THREAD, -1, n * 6);
        }
    }

    /** Grows the array {@code name} to at least {@code count x length} (a flat array where {@code count} is -1). */
    private void grow(String name, int holder, long count, long length) {
        long[] array = held.computeIfAbsent(name, k -> new long[] {holder, count, 0});
        array[1] = Math.max(array[1], count);
        array[2] = Math.max(array[2], length);
    }
}
