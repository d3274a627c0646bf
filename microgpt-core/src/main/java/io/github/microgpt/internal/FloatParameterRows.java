package io.github.microgpt.internal;

/**
 * Parameters stored as rows of plain {@code float[]}: the single-precision twin of
 * {@link ParameterRows}, the storage of an array model created in {@code Precision.F32}. An
 * optimizer that finds it updates the rows in place, in single precision, with moments in
 * {@code float} rows of the same shapes (see {@code AdamOptimizer}).
 *
 * <p>The rows are live: writing to them changes the model. That is why this interface is
 * internal and no exported type hands them out.
 */
public interface FloatParameterRows {

    /**
     * The rows of values themselves, not copies.
     *
     * @return the live rows
     */
    float[][] valueRows();

    /**
     * The rows of gradients themselves, shaped as {@link #valueRows()}.
     *
     * @return the live rows
     */
    float[][] gradRows();

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
     * Tells the storage that every gradient is now {@code +0.0}: an optimizer that set them all
     * to 0 calls it after its update, so that the model's next backward pass may start its sums
     * of the weights' gradients from zero instead of reading them (see {@code ParameterRows}'
     * method of the same name). By default nothing is kept, which is always correct.
     */
    default void clearedGradients() {
    }

    /**
     * Copies rows end to end into one flat array of doubles (each float converted exactly), in
     * row order.
     *
     * @param rows the rows; not modified
     * @return a new array of all their values
     */
    static double[] flatten(float[][] rows) {
        int n = 0;
        for (float[] row : rows) {
            n += row.length;
        }
        double[] flat = new double[n];
        int at = 0;
        for (float[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                flat[at + i] = row[i];
            }
            at += row.length;
        }
        return flat;
    }

    /**
     * Cuts a flat array of doubles into float rows of the lengths of {@code shape}, each value
     * rounded to the nearest float.
     *
     * @param flat the values, as many as the rows hold
     * @param shape rows whose lengths are copied
     * @return new rows
     */
    static float[][] split(double[] flat, float[][] shape) {
        float[][] rows = new float[shape.length][];
        int at = 0;
        for (int r = 0; r < rows.length; r++) {
            float[] row = new float[shape[r].length];
            for (int i = 0; i < row.length; i++) {
                row[i] = (float) flat[at + i];
            }
            rows[r] = row;
            at += row.length;
        }
        return rows;
    }
}
