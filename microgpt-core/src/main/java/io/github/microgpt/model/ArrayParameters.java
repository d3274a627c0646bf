package io.github.microgpt.model;

import io.github.microgpt.internal.FusedStep;
import io.github.microgpt.internal.RangeTask;
import io.github.microgpt.internal.ParameterRows;
import io.github.microgpt.internal.kernels.SmallKernels;
import java.util.List;
import java.util.function.DoubleSupplier;

/**
 * Parameters stored as rows of plain {@code double[]}: every row of every weight matrix is an
 * array of its own, and so is its gradient. This is the storage of {@link ArrayGptModel}.
 *
 * <p><b>Why rows.</b> HotSpot's C2 compiler turns a loop into SIMD instructions (four doubles
 * per instruction with AVX2) only when every array in it is indexed the same way, as in
 * {@code dx[i] += row[i] * g}. With one flat array per model a matrix row would sit at some
 * offset ({@code w[offset + i]}) while the vector it meets starts at 0, and the loop would stay
 * scalar. Rows as separate arrays make the loops of the backward pass and of Adam vectorisable.
 *
 * <p>The {@link Parameters} view is still the flat list of {@code microgpt.py} (matrix by matrix
 * in {@link MatrixLayout} order, row by row): flat index {@code i} is found in its row. The
 * optimizer updates the rows themselves, through the internal {@link ParameterRows}; no public
 * type hands them out.
 *
 * <p><b>Gradients on demand.</b> The gradient rows, as large as the weights, are allocated the
 * first time anything needs them ({@link #gradRows()}, or a gradient that is not {@code +0.0}
 * written through {@link #setGrad}): a model that only samples never computes a gradient, and a
 * model of 3.2 million parameters then holds 25 MB less. Until then every gradient reads as
 * {@code +0.0}, which is what new rows would hold.
 */
final class ArrayParameters implements Parameters, ParameterRows, FusedStep.Source {

    private final ParameterLayout layout;
    private final List<MatrixLayout> matrices;
    private final double[][] values;
    /** The gradient rows, shaped as {@link #values}; null until {@link #gradRows()} makes them. */
    private double[][] grads;
    /** For each matrix, the index of its first row in {@link #values}. */
    private final int[] firstRow;
    private final int size;
    /** The threads of the model's steps, lent to the optimizer's update ({@link #forRanges}). */
    private Workers workers = ArrayGptModel.SINGLE_THREAD;
    /** The rows in the order {@link UpdateOrder} gives for {@link #workers}; null on one thread. */
    private int[] updateOrder;
    /**
     * Whether every gradient is known to be {@code +0.0}: true when the rows are new and after
     * an optimizer said it cleared them ({@link #clearedGradients}), false once anything may have
     * written a gradient ({@link #setGrad}, or a step told by {@link #takeClearedGradients}).
     * Writers of {@link #gradRows()} other than the model and the optimizer must not exist.
     */
    private boolean gradientsCleared = true;
    /** The model's step with the update inside its backward pass, offered to the trainer. */
    private FusedStep fusedStep;

    /**
     * Makes zeroed rows for the matrices of a layout (the gradients' rows when first needed).
     *
     * @param layout the matrices
     */
    ArrayParameters(ParameterLayout layout) {
        this.layout = layout;
        this.matrices = layout.matrixLayouts();
        int rows = 0;
        for (MatrixLayout m : matrices) {
            rows += m.rows();
        }
        this.size = layout.size();
        this.values = new double[rows][];
        this.firstRow = new int[matrices.size()];
        int row = 0;
        for (int k = 0; k < matrices.size(); k++) {
            MatrixLayout m = matrices.get(k);
            firstRow[k] = row;
            for (int r = 0; r < m.rows(); r++, row++) {
                values[row] = new double[m.cols()];
            }
        }
    }

    @Override
    public List<MatrixLayout> matrixLayouts() {
        return matrices;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public double value(int i) {
        return values[rowOf(i)][colOf(i)];
    }

    @Override
    public void setValue(int i, double value) {
        values[rowOf(i)][colOf(i)] = value;
    }

    @Override
    public double grad(int i) {
        int row = rowOf(i);
        return grads == null ? 0.0 : grads[row][colOf(i)];
    }

    /**
     * Writing {@code +0.0} before the gradient rows exist leaves them unmade: they would hold it
     * (a checkpoint's {@code loadInto} writes it to every parameter of the model it fills).
     */
    @Override
    public void setGrad(int i, double grad) {
        int row = rowOf(i);
        if (grads != null || Double.doubleToRawLongBits(grad) != 0L) {
            gradRows()[row][colOf(i)] = grad;
        }
        gradientsCleared = false;
    }

    @Override
    public void clearedGradients() {
        gradientsCleared = true;
    }

    /**
     * Whether every gradient is {@code +0.0} (see {@link #gradientsCleared}), forgetting it: the
     * caller is about to add to the gradients, and may start its sums from 0 if this says so.
     */
    boolean takeClearedGradients() {
        boolean cleared = gradientsCleared;
        gradientsCleared = false;
        return cleared;
    }

    @Override
    public double[] values() {
        return ParameterRows.flatten(values);
    }

    @Override
    public double[] grads() {
        return grads == null ? new double[size] : ParameterRows.flatten(grads);
    }

    /**
     * Replaces every value, in flat order (matrix by matrix, row by row), with the next number
     * {@code next} gives: a model's initial weights are drawn straight into its rows, with no
     * flat array of them beside the rows.
     *
     * @param next called {@link #size()} times
     */
    void setValues(DoubleSupplier next) {
        for (double[] row : values) {
            for (int i = 0; i < row.length; i++) {
                row[i] = next.getAsDouble();
            }
        }
    }

    /**
     * The rows of values themselves, not copies: row {@code k} holds the {@code k}-th run of
     * {@code cols} parameters of the flat order. Writing to them changes the model.
     */
    @Override
    public double[][] valueRows() {
        return values;
    }

    /**
     * The rows of gradients themselves, shaped as {@link #valueRows()}: the model adds to them,
     * the optimizer reads them and sets them back to 0. The first call allocates them, zeroed;
     * every later call returns the same rows, so a view of them made once stays valid. Call it
     * on one thread (the model's step or the optimizer's, before they hand out work).
     */
    @Override
    public double[][] gradRows() {
        double[][] rows = grads;
        if (rows == null) {
            rows = new double[values.length][];
            for (int r = 0; r < rows.length; r++) {
                rows[r] = new double[values[r].length];
            }
            grads = rows;
        }
        return rows;
    }

    /** The index in {@link #values} of the first row of the matrix with a given name. */
    int firstRow(String matrix) {
        return firstRow[layout.indexOf(matrix)];
    }

    /** The layout these rows hold. */
    ParameterLayout layout() {
        return layout;
    }

    private int matrixOf(int i) {
        if (i < 0 || i >= size) {
            throw new IndexOutOfBoundsException("parameter " + i + " of " + size);
        }
        int lo = 0;
        int hi = matrices.size() - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (matrices.get(mid).offset() <= i) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    private int rowOf(int i) {
        int k = matrixOf(i);
        MatrixLayout m = matrices.get(k);
        return firstRow[k] + (i - m.offset()) / m.cols();
    }

    private int colOf(int i) {
        MatrixLayout m = matrices.get(matrixOf(i));
        return (i - m.offset()) % m.cols();
    }

    /** Lends the model's threads to whoever updates these rows (see {@link #forRanges}). */
    void useWorkers(Workers team) {
        this.workers = team;
        this.updateOrder = UpdateOrder.of(matrices, firstRow, values.length, team.threads());
    }

    /**
     * The order in which the optimizer should update the rows on {@link #workers}' threads (see
     * {@link UpdateOrder}); null on one thread.
     */
    @Override
    public int[] updateOrder() {
        return updateOrder;
    }

    /** The small-shape kernels the model's products use, if any (see {@code ArrayKernels}). */
    @Override
    public SmallKernels smallKernels() {
        return ArrayKernels.small();
    }

    @Override
    public void forRanges(int count, int grain, RangeTask task) {
        workers.forRange(count, grain, task::run);
    }

    /** Takes the model's fused step, which the trainer finds here ({@link #fusedStep()}). */
    void fusedStepsBy(FusedStep step) {
        this.fusedStep = step;
    }

    @Override
    public FusedStep fusedStep() {
        return fusedStep;
    }

    /** The size and the matrices, as the parameters of a model over {@code Value}s print them. */
    @Override
    public String toString() {
        return "Parameters[size=" + size() + ", matrices=" + matrixLayouts() + "]";
    }
}
