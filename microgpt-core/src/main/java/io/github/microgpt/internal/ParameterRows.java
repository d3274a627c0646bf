package io.github.microgpt.internal;

import io.github.microgpt.internal.kernels.SmallKernels;

/**
 * Parameters stored as rows of plain {@code double[]}, which an optimizer may update in place:
 * row {@code r} holds the {@code r}-th run of the flat parameter order, and its gradient row has
 * the same length. The array engine's parameters are stored this way, and the optimizer reads
 * their gradients and updates their values in place, row by row (see {@code AdamOptimizer}).
 *
 * <p>The rows are live: writing to them changes the model. That is why this interface is
 * internal and no exported type hands them out.
 */
public interface ParameterRows {

    /**
     * The fewest parameters worth a thread of their own in an optimizer's element-wise update:
     * about ten microseconds of work. {@code AdamOptimizer}'s update after the backward pass and
     * the array model's update inside it ({@link FusedStep}) share it out by this measure.
     */
    int MIN_PARAMETERS_PER_THREAD = 1 << 15;

    /**
     * The rows of values themselves, not copies.
     *
     * @return the live rows
     */
    double[][] valueRows();

    /**
     * The rows of gradients themselves, shaped as {@link #valueRows()}.
     *
     * @return the live rows
     */
    double[][] gradRows();

    /**
     * Runs {@code task} over {@code [0, count)} cut into contiguous ranges, each index in exactly
     * one range, on the threads the model was given for its steps (ranges may run at the same
     * time, so they must write disjoint data). This lets the optimizer's element-wise update use
     * the model's threads. By default one range, on the calling thread.
     *
     * @param count the number of iterations
     * @param grain the fewest iterations worth a range of their own
     * @param task the loop body
     */
    default void forRanges(int count, int grain, RangeTask task) {
        task.run(0, count);
    }

    /**
     * The order in which an element-wise update run through {@link #forRanges} should visit the
     * rows: iteration {@code i} of a loop over {@code [0, rows)} updates row {@code order[i]}.
     * Each row is still updated by one thread with the same operations, so the order changes no
     * result, only which thread touches which memory when: the array model gives each thread the
     * rows its own products touched, so that the cores do not take cache lines from each other
     * (see {@code io.github.microgpt.model.UpdateOrder}). By default null: row order.
     *
     * @return a permutation of the row indices, not to be modified, or null for row order
     */
    default int[] updateOrder() {
        return null;
    }

    /**
     * Told by an optimizer that has just set every gradient of {@link #gradRows()} to
     * {@code +0.0}, so that the model may start its next gradient from 0 instead of reading the
     * zeros back (see {@code ArrayParameters#takeClearedGradients}). By default nothing.
     */
    default void clearedGradients() {
    }

    /**
     * The kernels that may update short rows (see {@link SmallKernels#adam}) in this JVM, as the
     * model's own products are chosen; by default none, and the optimizer's own loops run.
     *
     * @return the kernels, or null
     */
    default SmallKernels smallKernels() {
        return null;
    }

    /**
     * Copies rows end to end into one flat array, in row order: the flat view of a model's
     * parameters.
     *
     * @param rows the rows; not modified
     * @return a new array of all their values
     */
    static double[] flatten(double[][] rows) {
        int n = 0;
        for (double[] row : rows) {
            n += row.length;
        }
        double[] flat = new double[n];
        int at = 0;
        for (double[] row : rows) {
            System.arraycopy(row, 0, flat, at, row.length);
            at += row.length;
        }
        return flat;
    }
}
