package io.github.microgpt.model;

import io.github.microgpt.internal.FusedStep;
import io.github.microgpt.internal.RangeTask;
import io.github.microgpt.internal.FloatParameterRows;
import java.util.Arrays;
import java.util.List;
import java.util.function.DoubleSupplier;

/**
 * Parameters stored as rows of plain {@code float[]}, every row of every weight matrix an array
 * of its own and so its gradient: the storage of an {@link ArrayGptModel} in
 * {@link Precision#F32}, and the single-precision twin of {@link ArrayParameters} (see there why
 * rows). The {@link Parameters} view reads and writes doubles: a value read is the float widened
 * exactly, a value written is rounded to the nearest float. As there, the gradient rows are
 * allocated only when first needed ({@link #gradRows()}): a model that only samples has none.
 */
final class FloatParameters implements Parameters, FloatParameterRows, FusedStep.Source {

    private final ParameterLayout layout;
    private final List<MatrixLayout> matrices;
    private final float[][] values;
    /** The gradient rows, shaped as {@link #values}; null until {@link #gradRows()} makes them. */
    private float[][] grads;
    /** For each matrix, the index of its first row in {@link #values}. */
    private final int[] firstRow;
    /** For each row, the flat index of its first parameter: the lookup of {@link #rowOf}. */
    private final int[] rowStart;
    private final int size;
    /** The threads of the model's steps, lent to the optimizer's update ({@link #forRanges}). */
    private Workers workers = ArrayGptModel.SINGLE_THREAD;
    /** The rows in the order {@link UpdateOrder} gives for {@link #workers}; null on one thread. */
    private int[] updateOrder;
    /**
     * Whether every gradient is known to be {@code +0.0}: true when the rows are new and after an
     * optimizer said it cleared them ({@link #clearedGradients}), false once anything may have
     * written a gradient ({@link #setGrad}, or a step told by {@link #takeClearedGradients}), as
     * in {@link ArrayParameters}.
     */
    private boolean gradientsCleared = true;
    /** The model's step with the update inside its backward pass, offered to the trainer. */
    private FusedStep fusedStep;

    FloatParameters(ParameterLayout layout) {
        this.layout = layout;
        this.matrices = layout.matrixLayouts();
        int rows = 0;
        for (MatrixLayout m : matrices) {
            rows += m.rows();
        }
        this.size = layout.size();
        this.values = new float[rows][];
        this.firstRow = new int[matrices.size()];
        this.rowStart = new int[rows];
        int row = 0;
        for (int k = 0; k < matrices.size(); k++) {
            MatrixLayout m = matrices.get(k);
            firstRow[k] = row;
            for (int r = 0; r < m.rows(); r++, row++) {
                values[row] = new float[m.cols()];
                rowStart[row] = m.offset() + r * m.cols();
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
        int r = rowOf(i);
        return values[r][i - rowStart[r]];
    }

    /**
     * Stores the value rounded to the nearest float, as f32 keeps every weight. A finite value
     * beyond a float's range (above {@link Float#MAX_VALUE} in size) is refused, the weight
     * unchanged: it became infinity without a word, and the model's logits NaN at the next use.
     * (A value closer to 0 than the smallest float becomes 0, as rounding does; NaN and the
     * infinities are stored as given, as in f64.)
     *
     * @throws IllegalArgumentException if {@code value} is finite but rounds to an infinite float
     */
    @Override
    public void setValue(int i, double value) {
        int r = rowOf(i);
        float rounded = (float) value;
        if (Float.isInfinite(rounded) && Double.isFinite(value)) {
            throw new IllegalArgumentException("parameter " + i + " cannot hold " + value + " in f32: the largest"
                    + " float is " + Float.MAX_VALUE + " (the weight is unchanged; an f64 model holds it)");
        }
        values[r][i - rowStart[r]] = rounded;
    }

    @Override
    public double grad(int i) {
        int r = rowOf(i);
        return grads == null ? 0.0 : grads[r][i - rowStart[r]];
    }

    /**
     * Stores the gradient rounded to the nearest float, refusing a finite one beyond a float's
     * range as {@link #setValue} does (the gradient unchanged): it became infinity without a word,
     * and Adam's next step made the moments infinite and the weights NaN. Writing {@code +0.0}
     * before the gradient rows exist leaves them unmade, as in {@link ArrayParameters}.
     *
     * @throws IllegalArgumentException if {@code grad} is finite but rounds to an infinite float
     */
    @Override
    public void setGrad(int i, double grad) {
        int r = rowOf(i);
        float g = (float) grad;
        if (Float.isInfinite(g) && Double.isFinite(grad)) {
            throw new IllegalArgumentException("the gradient of parameter " + i + " cannot be " + grad + " in f32: the"
                    + " largest float is " + Float.MAX_VALUE + " (the gradient is unchanged; an f64 model holds it)");
        }
        if (grads != null || Float.floatToRawIntBits(g) != 0) {
            gradRows()[r][i - rowStart[r]] = g;
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
        return FloatParameterRows.flatten(values);
    }

    @Override
    public double[] grads() {
        return grads == null ? new double[size] : FloatParameterRows.flatten(grads);
    }

    /**
     * Replaces every value, in flat order (matrix by matrix, row by row), with the next number
     * {@code next} gives rounded to the nearest float, as {@link ArrayParameters#setValues} does.
     *
     * @param next called {@link #size()} times
     */
    void setValues(DoubleSupplier next) {
        for (float[] row : values) {
            for (int i = 0; i < row.length; i++) {
                row[i] = (float) next.getAsDouble();
            }
        }
    }

    @Override
    public float[][] valueRows() {
        return values;
    }

    /**
     * The rows of gradients themselves, allocated (zeroed) by the first call; every later call
     * returns the same rows (see {@link ArrayParameters#gradRows()}).
     */
    @Override
    public float[][] gradRows() {
        float[][] rows = grads;
        if (rows == null) {
            rows = newRows();
            grads = rows;
        }
        return rows;
    }

    /** New zeroed rows shaped as these parameters' rows (a gradient buffer of a batch). */
    float[][] newRows() {
        float[][] rows = new float[values.length][];
        for (int r = 0; r < rows.length; r++) {
            rows[r] = new float[values[r].length];
        }
        return rows;
    }

    /** The index in {@link #values} of the first row of the matrix with a given name. */
    int firstRow(String matrix) {
        return firstRow[layout.indexOf(matrix)];
    }

    /** The rows of the named matrix within {@code rows} (shaped as these parameters' rows). */
    float[][] matrix(float[][] rows, String name) {
        int first = firstRow(name);
        return Arrays.copyOfRange(rows, first, first + layout.matrixLayout(name).rows());
    }

    /** The row holding flat index {@code i}: a binary search over the rows' first indices. */
    private int rowOf(int i) {
        if (i < 0 || i >= size) {
            throw new IndexOutOfBoundsException("parameter " + i + " of " + size);
        }
        int lo = 0;
        int hi = rowStart.length - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (rowStart[mid] <= i) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
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

    @Override
    public void forRanges(int count, int grain, RangeTask task) {
        workers.forRange(count, grain, task::run);
    }

    /** The model's fused step, set once by the model that owns these rows. */
    void fusedStepsBy(FusedStep step) {
        fusedStep = step;
    }

    /** The step of the model that owns these rows, with the update inside its backward pass. */
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
