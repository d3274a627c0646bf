package io.github.microgpt.optim;

import io.github.microgpt.model.ArrayParameters;
import io.github.microgpt.model.Parameters;

/**
 * Adam (adaptive moment estimation), the optimizer of {@code microgpt.py}.
 *
 * <p>For each parameter Adam keeps a running mean of its gradient ({@code m}, the first moment)
 * and of its squared gradient ({@code v}, the second moment). A step moves the parameter against
 * {@code m}, scaled down where {@code v} says the gradient is large or noisy:
 *
 * <pre>
 * m = beta1 * m + (1 - beta1) * g
 * v = beta2 * v + (1 - beta2) * g^2
 * m_hat = m / (1 - beta1^(t+1))          (bias correction: m and v start at 0)
 * v_hat = v / (1 - beta2^(t+1))
 * p = p - lr_t * m_hat / (v_hat^0.5 + eps)
 * g = 0
 * </pre>
 *
 * <p>The defaults are the Python's: {@code lr = 0.01, beta1 = 0.85, beta2 = 0.99, eps = 1e-8}, with
 * the learning rate decayed linearly ({@link LearningRateSchedule#LINEAR_DECAY}).
 */
public final class AdamOptimizer {

    private final double learningRate;
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final LearningRateSchedule schedule;
    private final double[] m;
    private final double[] v;
    /** The moments in rows while the optimizer updates {@link ArrayParameters}; else null. */
    private double[][] mRows;
    private double[][] vRows;
    /** The rows {@link #mRows} were last checked against, to skip the check next time. */
    private double[][] shapedLike;

    /**
     * Creates an optimizer with the defaults of {@code microgpt.py}.
     *
     * @param size the number of parameters it will update
     */
    public AdamOptimizer(int size) {
        this(size, 0.01, 0.85, 0.99, 1e-8, LearningRateSchedule.LINEAR_DECAY);
    }

    /**
     * Creates an optimizer.
     *
     * @param size the number of parameters it will update; not negative
     * @param learningRate the base learning rate; positive and finite
     * @param beta1 the decay of the first moment, in {@code [0, 1)}
     * @param beta2 the decay of the second moment, in {@code [0, 1)}
     * @param eps added to the denominator so that it is never 0; positive and finite
     * @param schedule how the learning rate changes over the run
     * @throws IllegalArgumentException naming the first value out of range
     */
    public AdamOptimizer(int size, double learningRate, double beta1, double beta2, double eps,
                         LearningRateSchedule schedule) {
        if (size < 0) {
            throw new IllegalArgumentException("size must not be negative, got " + size);
        }
        requirePositiveFinite("learningRate", learningRate);
        requireDecay("beta1", beta1);
        requireDecay("beta2", beta2);
        requirePositiveFinite("eps", eps);
        if (schedule == null) {
            throw new IllegalArgumentException("schedule must not be null");
        }
        this.learningRate = learningRate;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.schedule = schedule;
        this.m = new double[size];
        this.v = new double[size];
    }

    /**
     * A copy of this optimizer's settings with another base learning rate and fresh moments.
     *
     * @param rate the new base learning rate
     * @return a new optimizer
     */
    public AdamOptimizer withLearningRate(double rate) {
        return new AdamOptimizer(m.length, rate, beta1, beta2, eps, schedule);
    }

    /**
     * A copy of this optimizer's settings with another schedule and fresh moments.
     *
     * @param newSchedule the new schedule
     * @return a new optimizer
     */
    public AdamOptimizer withSchedule(LearningRateSchedule newSchedule) {
        return new AdamOptimizer(m.length, learningRate, beta1, beta2, eps, newSchedule);
    }

    /**
     * The learning rate of one step under the schedule.
     *
     * @param step the step, from 0
     * @param totalSteps the number of steps of the run
     * @return the rate
     */
    public double learningRate(int step, int totalSteps) {
        return schedule.rate(learningRate, step, totalSteps);
    }

    /**
     * Updates every parameter from its gradient, then sets every gradient to 0.
     *
     * @param parameters the parameters, with the gradients of the current loss
     * @param step the step, from 0 (it sets the bias correction and the learning rate)
     * @param totalSteps the number of steps of the run
     * @return the learning rate used
     * @throws IllegalArgumentException if the number of parameters is not the optimizer's size,
     *     or the step is outside {@code [0, totalSteps)}
     */
    public double step(Parameters parameters, int step, int totalSteps) {
        if (parameters.size() != m.length) {
            throw new IllegalArgumentException("this optimizer was made for " + m.length
                    + " parameters, not " + parameters.size());
        }
        if (step < 0 || step >= totalSteps) {
            throw new IllegalArgumentException("step " + step + " is outside [0, " + totalSteps + ")");
        }
        double lrT = learningRate(step, totalSteps);
        double correction1 = 1 - Math.pow(beta1, step + 1);
        double correction2 = 1 - Math.pow(beta2, step + 1);
        if (parameters instanceof ArrayParameters rows) {
            update(rows.valueRows(), rows.gradRows(), lrT, correction1, correction2);
            return lrT;
        }
        flatMoments();
        for (int i = 0; i < m.length; i++) {
            double g = parameters.grad(i);
            m[i] = beta1 * m[i] + (1 - beta1) * g;
            v[i] = beta2 * v[i] + (1 - beta2) * Math.pow(g, 2);
            double mHat = m[i] / correction1;
            double vHat = v[i] / correction2;
            parameters.setValue(i, parameters.value(i) - lrT * mHat / (Math.pow(vHat, 0.5) + eps));
            parameters.setGrad(i, 0.0);
        }
        return lrT;
    }

    /**
     * The update of {@link #step} over rows of parameters, with the moments kept in rows of the
     * same shapes, so that every array of the loop is indexed by the same {@code i} and the JIT
     * vectorises it. It is the same arithmetic, bit for bit: {@code Math.pow(g, 2)} is exactly
     * {@code g * g}, and {@code Math.pow(x, 0.5)} is exactly {@code Math.sqrt(x)} for the
     * non-negative {@code x} found here (HotSpot computes both powers that way; a unit test checks
     * that the two paths agree). {@code pow} has no vector instruction, {@code *} and
     * {@code sqrt} do.
     */
    private void update(double[][] values, double[][] grads, double lrT, double correction1, double correction2) {
        rowMoments(values);
        final double b1 = beta1;
        final double b2 = beta2;
        final double oneMinusB1 = 1 - beta1;
        final double oneMinusB2 = 1 - beta2;
        final double epsilon = eps;
        for (int r = 0; r < values.length; r++) {
            double[] p = values[r];
            double[] gr = grads[r];
            double[] mm = mRows[r];
            double[] vv = vRows[r];
            for (int i = 0; i < p.length; i++) {
                double g = gr[i];
                double mi = b1 * mm[i] + oneMinusB1 * g;
                double vi = b2 * vv[i] + oneMinusB2 * (g * g);
                mm[i] = mi;
                vv[i] = vi;
                double mHat = mi / correction1;
                double vHat = vi / correction2;
                p[i] = p[i] - lrT * mHat / (Math.sqrt(vHat) + epsilon);
                gr[i] = 0.0;
            }
        }
    }

    /**
     * Makes {@link #mRows} and {@link #vRows} current, shaped like {@code rows}: the moments are
     * kept either flat ({@link #m}, {@link #v}) for the general path or in rows for the fast one,
     * and moved from one form to the other when the kind of parameters changes.
     */
    private void rowMoments(double[][] rows) {
        if (mRows != null && (rows == shapedLike || sameShape(mRows, rows))) {
            shapedLike = rows;
            return;
        }
        flatMoments();
        double[][] newM = new double[rows.length][];
        double[][] newV = new double[rows.length][];
        int at = 0;
        for (int r = 0; r < rows.length; r++) {
            int len = rows[r].length;
            if (at + len > m.length) {
                throw new IllegalArgumentException("this optimizer was made for " + m.length + " parameters, not more");
            }
            newM[r] = java.util.Arrays.copyOfRange(m, at, at + len);
            newV[r] = java.util.Arrays.copyOfRange(v, at, at + len);
            at += len;
        }
        if (at != m.length) {
            throw new IllegalArgumentException("this optimizer was made for " + m.length + " parameters, not " + at);
        }
        mRows = newM;
        vRows = newV;
        shapedLike = rows;
    }

    /** Moves the moments back from rows into {@link #m} and {@link #v}, if they are in rows. */
    private void flatMoments() {
        if (mRows == null) {
            return;
        }
        int at = 0;
        for (int r = 0; r < mRows.length; r++) {
            System.arraycopy(mRows[r], 0, m, at, mRows[r].length);
            System.arraycopy(vRows[r], 0, v, at, vRows[r].length);
            at += mRows[r].length;
        }
        mRows = null;
        vRows = null;
        shapedLike = null;
    }

    private static boolean sameShape(double[][] a, double[][] b) {
        if (a.length != b.length) {
            return false;
        }
        for (int r = 0; r < a.length; r++) {
            if (a[r].length != b[r].length) {
                return false;
            }
        }
        return true;
    }

    /**
     * The number of parameters this optimizer updates.
     *
     * @return the size
     */
    public int size() {
        return m.length;
    }

    /**
     * A copy of the first moments (running means of the gradients).
     *
     * @return one value per parameter
     */
    public double[] firstMoments() {
        flatMoments();
        return m.clone();
    }

    /**
     * A copy of the second moments (running means of the squared gradients).
     *
     * @return one value per parameter
     */
    public double[] secondMoments() {
        flatMoments();
        return v.clone();
    }

    /**
     * The base learning rate, before the schedule scales it.
     *
     * @return the rate given at construction
     */
    public double baseLearningRate() {
        return learningRate;
    }

    /**
     * The decay of the first moment.
     *
     * @return {@code beta1}
     */
    public double beta1() {
        return beta1;
    }

    /**
     * The decay of the second moment.
     *
     * @return {@code beta2}
     */
    public double beta2() {
        return beta2;
    }

    /**
     * The small number added to the denominator.
     *
     * @return {@code eps}
     */
    public double eps() {
        return eps;
    }

    /**
     * How the learning rate changes over the run.
     *
     * @return the schedule given at construction
     */
    public LearningRateSchedule schedule() {
        return schedule;
    }

    /**
     * Replaces both moments, for example with those saved in a checkpoint, so that the next
     * {@link #step} continues a run exactly where it stopped. Nothing changes if the values are
     * rejected.
     *
     * @param firstMoments one finite value per parameter (see {@link #firstMoments()})
     * @param secondMoments one finite, non-negative value per parameter (a running mean of
     *     squares cannot be negative)
     * @throws IllegalArgumentException if a length is not {@link #size()} or a value is out of
     *     range, naming the first such index
     */
    public void restoreMoments(double[] firstMoments, double[] secondMoments) {
        if (firstMoments.length != m.length || secondMoments.length != v.length) {
            throw new IllegalArgumentException("this optimizer has " + m.length + " parameters, but the moments have "
                    + firstMoments.length + " and " + secondMoments.length + " values");
        }
        for (int i = 0; i < m.length; i++) {
            if (!Double.isFinite(firstMoments[i])) {
                throw new IllegalArgumentException("first moment " + i + " is not finite: " + firstMoments[i]);
            }
            if (!(secondMoments[i] >= 0) || Double.isInfinite(secondMoments[i])) {
                throw new IllegalArgumentException("second moment " + i + " is not a finite, non-negative number: "
                        + secondMoments[i]);
            }
        }
        // Any copy of the old moments kept in rows for ArrayParameters is stale now: drop it.
        mRows = null;
        vRows = null;
        shapedLike = null;
        System.arraycopy(firstMoments, 0, m, 0, m.length);
        System.arraycopy(secondMoments, 0, v, 0, v.length);
    }

    private static void requirePositiveFinite(String name, double value) {
        if (!(value > 0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException(name + " must be positive and finite, got " + value);
        }
    }

    private static void requireDecay(String name, double value) {
        if (!(value >= 0 && value < 1)) {
            throw new IllegalArgumentException(name + " must be in [0, 1), got " + value);
        }
    }
}
