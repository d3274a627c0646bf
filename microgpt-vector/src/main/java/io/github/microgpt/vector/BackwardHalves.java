package io.github.microgpt.vector;

import io.github.microgpt.internal.kernels.Team;

/**
 * How the backward products of a linear layer share their work out in two fixed halves of the
 * weights' rows (see {@link DoubleProducts#backward}; single precision, and a fused step's
 * products in both, go through {@link SlicedBackward}, whose units with 16 registers are these):
 * one loop over the blocks of columns of the first half, then of the second, so that a team of
 * two gives each thread one half, and a thread done early takes blocks from the back of the
 * other's. Each piece of work is a half, a
 * range of its blocks of columns of the input's gradient, and as many of its rows of the
 * weights' gradient (see {@link VectorMatrixKernels#sliceRow}).
 */
final class BackwardHalves {

    /** One piece of the work of {@link #run}. */
    @FunctionalInterface
    interface Piece {

        /**
         * Columns {@code [j0, j1)} of the input's gradient summed over the rows {@code [o0, o1)}
         * of the weights (the half's), and the rows {@code [r0, r1)} of the weights' gradient
         * (none if {@code r0 == r1}).
         *
         * @param half 0 for the first half, 1 for the second
         * @param o0 the half's first row
         * @param o1 one past the half's last row
         * @param j0 the first column
         * @param j1 one past the last column
         * @param r0 the first row of the weights' gradient
         * @param r1 one past its last row
         */
        void run(int half, int o0, int o1, int j0, int j1, int r0, int r1);
    }

    private BackwardHalves() {
    }

    /**
     * Runs {@code piece} over both halves of {@code rows} rows cut at {@code middle}, the columns
     * in blocks of {@code block}, the weights' gradient's rows cut at multiples of
     * {@code transposedRows}; returns when all is done.
     */
    static void run(Team team, int rows, int cols, int block, int middle, int transposedRows, Piece piece) {
        int blocks = (cols + block - 1) / block;
        team.forRange(2 * blocks, 1, (u0, u1) -> {
            for (int half = u0 / blocks; half * blocks < u1; half++) {
                int b0 = Math.max(u0, half * blocks) - half * blocks;
                int b1 = Math.min(u1, (half + 1) * blocks) - half * blocks;
                int o0 = half == 0 ? 0 : middle;
                int o1 = half == 0 ? middle : rows;
                int r0 = o0 + VectorMatrixKernels.sliceRow(o1 - o0, blocks, b0, transposedRows);
                int r1 = o0 + VectorMatrixKernels.sliceRow(o1 - o0, blocks, b1, transposedRows);
                piece.run(half, o0, o1, b0 * block, Math.min(cols, b1 * block), r0, r1);
            }
        });
    }
}
