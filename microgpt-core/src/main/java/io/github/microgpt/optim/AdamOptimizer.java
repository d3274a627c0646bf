package io.github.microgpt.optim;

import io.github.microgpt.autograd.Value;
import io.github.microgpt.internal.ClassNames;
import io.github.microgpt.internal.FloatParameterRows;
import io.github.microgpt.internal.FusedStep;
import io.github.microgpt.internal.FusedUpdates;
import io.github.microgpt.internal.HeapBudget;
import io.github.microgpt.internal.ModelChecks;
import io.github.microgpt.internal.ParameterRows;
import io.github.microgpt.internal.RangeTask;
import io.github.microgpt.internal.StandInSchedule;
import io.github.microgpt.internal.ValueParameterNodes;
import io.github.microgpt.internal.kernels.MatrixKernels;
import io.github.microgpt.internal.kernels.SmallKernels;
import io.github.microgpt.model.ParameterLayout;
import io.github.microgpt.model.Parameters;
import java.util.Arrays;
import java.util.Objects;

/**
 * Adam (adaptive moment estimation), the optimizer of {@code microgpt.py}: after each backward
 * pass it moves every parameter a small step against its gradient.
 *
 * <p><b>What it computes.</b> Plain gradient descent would subtract {@code lr * g} from each
 * parameter. Adam keeps two running averages per parameter instead, and steps by their ratio.
 * These are {@code microgpt.py}'s lines, run for every parameter {@code p} at step {@code step}
 * (counted from 0); the comments on the right are this class's:
 *
 * <pre>
 * lr_t = learning_rate * (1 - step / num_steps)          # the learning rate, decayed linearly
 * m[i] = beta1 * m[i] + (1 - beta1) * p.grad              # first moment: running mean of g
 * v[i] = beta2 * v[i] + (1 - beta2) * p.grad ** 2         # second moment: running mean of g^2
 * m_hat = m[i] / (1 - beta1 ** (step + 1))                # bias correction
 * v_hat = v[i] / (1 - beta2 ** (step + 1))
 * p.data -= lr_t * m_hat / (v_hat ** 0.5 + eps_adam)
 * p.grad = 0
 * </pre>
 *
 * <ul>
 *   <li>{@code m}, the <em>first moment</em>, is a running mean of the gradient: each step keeps
 *       {@code beta1} of the old mean and adds {@code 1 - beta1} of the new gradient. With
 *       {@code beta1 = 0.85} it remembers about the last {@code 1 / (1 - 0.85)}, some 7, steps,
 *       so a direction the gradients agree on builds up (momentum) and a gradient that flips sign
 *       from step to step averages out.</li>
 *   <li>{@code v}, the <em>second moment</em>, is a running mean of the squared gradient, over
 *       about 100 steps ({@code beta2 = 0.99}): {@code v^0.5} is the typical size of this
 *       parameter's gradient, whatever its sign.</li>
 *   <li><em>Bias correction.</em> Both moments start at 0, so at first they are too small: after
 *       the first step {@code m} is {@code 0.15 g}. Dividing by {@code 1 - beta^(step+1)}
 *       ({@code 0.15} at step 0) undoes exactly that shrinking, so {@code m_hat} is a weighted
 *       mean of the gradients seen so far even early on (at step 0, {@code g} itself); as
 *       {@code beta^(step+1)} goes to 0 the correction goes to 1 and fades away.</li>
 *   <li><em>The step.</em> {@code m_hat / v_hat^0.5} is the mean gradient measured in units of its
 *       own typical size: near 1 when the recent gradients agree, near 0 when they are noise. So
 *       every parameter moves by at most about {@code lr_t} a step, whatever the scale of its
 *       gradients, which is why one learning rate suits weights whose gradients differ a
 *       thousandfold.</li>
 *   <li>{@code eps} ({@code 1e-8}) keeps the division finite: a parameter whose gradients have
 *       all been 0 so far (the embedding of a letter not seen yet) has {@code m_hat = v_hat = 0},
 *       and {@code 0 / (0 + eps)} is 0, so it stays put, where {@code 0 / 0} would be NaN.</li>
 *   <li>{@code lr_t}, the learning rate of step {@code step}, falls linearly from
 *       {@code learning_rate} at the first step towards 0 at the last: large steps while the model
 *       is far off, small ones to settle at the end ({@link LearningRateSchedule#LINEAR_DECAY};
 *       other schedules can be given in the settings).</li>
 *   <li>{@code p.grad = 0}: the backward pass adds to the gradients, so they are cleared for the
 *       next step's.</li>
 * </ul>
 *
 * <p>The defaults are the Python's: {@code learning_rate = 0.01, beta1 = 0.85, beta2 = 0.99,
 * eps_adam = 1e-8}, with the learning rate decayed linearly. The code computes exactly these
 * lines, bit for bit: {@code g * g} is {@code g ** 2} exactly, and {@code Math.sqrt} is
 * {@code ** 0.5} exactly for the non-negative numbers found here.
 *
 * <p><b>Two ways to count steps.</b> {@code step} above is the step's index, from 0, as in
 * {@code microgpt.py}'s loop {@code for step in range(num_steps)}: {@link #step} and
 * {@link #learningRate} take it as {@code stepIndex}, and so does
 * {@link LearningRateSchedule#rate}. What a person reads counts from 1, as {@code microgpt.py}
 * prints {@code step 1 / 1000}: the trainer's {@link io.github.microgpt.train.StepEvent#step()}
 * and {@link io.github.microgpt.train.GradientEvent#step()} are {@code stepIndex + 1}, and its
 * {@link io.github.microgpt.train.Trainer#stepsDone()} is the index of the next step.
 *
 * <p><b>The only optimizer, on purpose.</b> {@code microgpt.py} trains with Adam, so this is the
 * optimizer of every {@code Trainer}, and the only one in 0.x: a final class, with no interface
 * above it. What can be changed is its settings ({@link AdamSettings}: learning rate, betas,
 * epsilon, schedule); a checkpoint saves its moments so that a resumed run continues bit for bit.
 * Another optimizer (plain SGD, say) would be a new class and a new kind of saved state, not a
 * setting, and the library leaves that out until there is a reason.
 *
 * <p><b>How it runs fast.</b> The rest of this comment is about speed; the arithmetic above is
 * the same however the update runs.
 *
 * <p><b>One update for every engine.</b> The arithmetic runs in one loop over flat arrays of a row
 * (the parameters, their gradients, and the two moments, kept in rows of the same lengths), every
 * array indexed by the same {@code i}, so that the JIT turns it into SIMD instructions; its
 * divisions and square roots are most of an update's cost. It passes over each number once: at 3.2
 * million parameters ({@code nEmbd} 256, 4 layers) an update after the backward pass reads and
 * writes 203 MB in doubles (each weight, gradient and moment read and written once; 102 MB in
 * floats), so that memory, not arithmetic, sets its speed. The array engine's rows are updated so
 * in place, and when its model runs on several threads ({@code ArrayGptModel.setThreads}) the rows
 * are shared out between them, each thread the rows of every matrix that its share of the model's
 * products touched (on two cores, a cache line the other core has read costs about twice as much to
 * write); every number is computed the same way on any thread and in any order, so the result does
 * not depend on the number of threads. Rows too short for a SIMD loop of their own (the reference
 * model's hold 16 numbers) are staged: their gradients are gathered into one flat array, one long
 * loop computes every step, and the steps are subtracted row by row, each number still going
 * through the same operations. The {@code Value} engine's parameters are updated in one loop over
 * their nodes, reading each node's gradient and data once, the moments in one flat row; any other
 * model (your own {@link Parameters}) is first copied into one row and copied back afterwards.
 * The arithmetic is thus the same, bit for bit, whatever the model. The one exception is an array model in single precision
 * ({@code Precision.F32}), whose parameters are float rows: they are updated in place by the same
 * formula in floats, with the moments kept in floats as well ({@link #firstMoments()} and
 * {@link #secondMoments()} widen them).
 *
 * <p><b>Inside the backward pass.</b> A {@code Trainer} step on one document of an array model,
 * with no gradient or position listener, in single precision, or in double precision with rows long
 * enough not to be staged and (with the core's own loops) on at most two threads, runs this same
 * update (the same code, so the same bits) inside the model's backward pass, each matrix as soon as
 * its gradient is complete, instead of after the pass (see {@code FusedStep} in the library's
 * internal package): a slice of a matrix's gradient is summed into a small scratch array and
 * updated from there while it is still in the first-level cache, so the model's gradient rows are
 * neither read back nor zeroed, and the update streams only the weights and the two moments (at 3.2
 * million parameters 152 MB a step in doubles, 76 MB in floats).
 *
 * <p><b>Threads.</b> An optimizer holds the moments of one run and is not thread-safe: call
 * {@link #step} from one thread at a time (the threads it may use inside a step are the model's).
 * Its settings ({@link #settings()}) are an immutable record.
 */
public final class AdamOptimizer {

    static {
        // The trainer, in another package, asks for a step's update prepared for a fused step
        // through the internal package (see FusedUpdates).
        FusedUpdates.register((optimizer, parameters, step, totalSteps)
                -> optimizer.rowUpdate(parameters, step, totalSteps));
    }

    private final double learningRate;
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final LearningRateSchedule schedule;
    private final int size;
    /**
     * The first moments, one per parameter, in rows shaped like the rows of the parameters last
     * updated (one row for a model without rows of its own), so that the update reads and writes
     * every array at the same index; end to end they are in the flat order of {@link Parameters}.
     */
    private double[][] m;
    /** The second moments, shaped as {@link #m}. Both are null while {@link #mFloat} holds the moments. */
    private double[][] v;
    /**
     * The longest mean row that is staged through a flat buffer rather than updated in place
     * (see {@link #stagedRange}); at 64 numbers and more a row's own loop is as fast.
     */
    private static final int MAX_STAGED_ROW = 32;
    /**
     * The array of rows (a model's {@code valueRows()}) the moments were last shaped for, so that
     * the next update of the same model need not compare shapes; null when unknown. The float
     * moments are shaped for it if it is float rows, the double moments otherwise.
     */
    private Object shapedFor;
    /** Whether the rows of {@link #shapedFor} are staged, the moments then being one flat row. */
    private boolean stagedShape;
    /** Where each row of {@link #shapedFor} starts in the flat order, and the size at the end. */
    private int[] rowStart;
    /** The staged gradients, then steps, of short rows (see {@link #stagedRange}). */
    private double[] buffer;
    /** A model without rows of its own, copied into one row of values and one of gradients. */
    private FlatRows copied;
    /**
     * The moments of a single-precision model (an array model in {@code Precision.F32}), in
     * float rows shaped like its parameters: while they are in use they, not {@link #m} and
     * {@link #v}, hold the moments. Null unless such a model was updated last.
     */
    private float[][] mFloat;
    /** The second moments of a single-precision model, shaped as {@link #mFloat}. */
    private float[][] vFloat;

    /**
     * Creates an optimizer with the defaults of {@code microgpt.py} ({@link AdamSettings#defaults()}).
     *
     * @param size the number of parameters it will update; from 0 to {@link ParameterLayout#MAX_SIZE}
     * @throws IllegalArgumentException if {@code size} is negative or above {@link ParameterLayout#MAX_SIZE},
     *     or its moments (16 bytes a parameter) would take more than half of the Java heap's limit
     */
    public AdamOptimizer(int size) {
        this(size, AdamSettings.defaults());
    }

    /**
     * Creates an optimizer with settings of your own, for example
     * {@code new AdamOptimizer(n, AdamSettings.defaults().withLearningRate(0.02))}.
     *
     * @param size the number of parameters it will update; from 0 to {@link ParameterLayout#MAX_SIZE}
     * @param settings the learning rate, decays, eps and schedule
     * @throws IllegalArgumentException if {@code size} is negative or above {@link ParameterLayout#MAX_SIZE},
     *     or its moments (16 bytes a parameter) would take more than half of the Java heap's limit
     * @throws NullPointerException if {@code settings} is null
     */
    public AdamOptimizer(int size, AdamSettings settings) {
        // The settings were checked when they were made (AdamSettings' constructor).
        Objects.requireNonNull(settings, "settings");
        if (size < 0) {
            throw new IllegalArgumentException("size must not be negative, got " + size);
        }
        if (size > ParameterLayout.MAX_SIZE) {
            // The moments are arrays of that length: past this a JVM cannot allocate them at all.
            throw new IllegalArgumentException("size must be at most " + ParameterLayout.MAX_SIZE
                    + " (the longest array a JVM allocates; a model has no more parameters), got " + size);
        }
        // The two moments are allocated here, 16 bytes a parameter: at the largest sizes a model
        // allows that is gigabytes, refused by the library's one rule rather than an OutOfMemoryError.
        long momentBytes = 2L * Double.BYTES * size;
        if (!HeapBudget.fits(momentBytes)) {
            throw new IllegalArgumentException(HeapBudget.refusal("the moments of " + size + " parameters (two "
                    + "doubles each)", momentBytes) + "; give Java more memory (for example -Xmx8g) or train a "
                    + "smaller model");
        }
        this.learningRate = settings.learningRate();
        this.beta1 = settings.beta1();
        this.beta2 = settings.beta2();
        this.eps = settings.eps();
        this.schedule = settings.schedule();
        this.size = size;
        this.m = new double[][] {new double[size]};
        this.v = new double[][] {new double[size]};
    }

    /**
     * The learning rate of one step under the schedule.
     *
     * @param stepIndex the step's index, counted from 0 as in {@code microgpt.py}'s
     *     {@code for step in range(num_steps)}: the step a {@code StepEvent} numbers
     *     {@code stepIndex + 1}; below {@code totalSteps}
     * @param totalSteps the number of steps of the run; at least 1
     * @return the rate
     * @throws IllegalArgumentException if {@code totalSteps} is below 1 or {@code stepIndex} is
     *     outside {@code [0, totalSteps)}: outside the run a decaying schedule would give a rate
     *     above the base rate, below 0, or NaN
     * @throws IllegalStateException if the schedule gives a rate that is NaN, infinite or
     *     negative, naming the schedule, the step and the rate
     */
    public double learningRate(int stepIndex, int totalSteps) {
        checkStep(stepIndex, totalSteps);
        double rate = schedule.rate(learningRate, stepIndex, totalSteps);
        // A schedule of the user's own is checked as the base rate is: a negative rate climbed
        // the loss without a word, and a NaN or infinite one surfaced a step later as
        // "training diverged", far from its cause. 0 is a rate (a warm-up may start there).
        if (!(rate >= 0) || rate == Double.POSITIVE_INFINITY) {
            throw new IllegalStateException("the learning-rate schedule (" + ClassNames.describe(schedule)
                    + ") gave the rate " + rate
                    + " for stepIndex " + stepIndex + " of " + totalSteps + " (base rate " + learningRate
                    + "); a rate must be finite and 0 or more");
        }
        return rate;
    }

    private static void checkStep(int stepIndex, int totalSteps) {
        if (totalSteps < 1) {
            throw new IllegalArgumentException("totalSteps must be at least 1, got " + totalSteps);
        }
        if (stepIndex < 0 || stepIndex >= totalSteps) {
            throw new IllegalArgumentException("stepIndex " + stepIndex + " is outside [0, " + totalSteps
                    + "): it counts from 0 (the step a StepEvent numbers 1 has index 0)");
        }
    }

    /**
     * Updates every parameter from its gradient, then sets every gradient to 0.
     *
     * @param parameters the parameters, with the gradients of the current loss
     * @param stepIndex the step's index, counted from 0 (the step a {@code StepEvent} numbers
     *     {@code stepIndex + 1}); it sets the bias correction ({@code 1 - beta^(stepIndex + 1)})
     *     and the learning rate
     * @param totalSteps the number of steps of the run
     * @return the learning rate used
     * @throws IllegalArgumentException if the number of parameters is not the optimizer's size,
     *     or {@code stepIndex} is outside {@code [0, totalSteps)}
     * @throws IllegalStateException if the schedule gives a rate that is not finite or is
     *     negative (see {@link #learningRate}), or the parameters are an f32 model's, whose
     *     moments are kept in floats, and a moment this optimizer holds in doubles (restored, or
     *     grown by an f64 model) is beyond a float's range; nothing changes then
     */
    public double step(Parameters parameters, int stepIndex, int totalSteps) {
        checkSize(parameters);
        double lrT = learningRate(stepIndex, totalSteps);  // checks the index first
        double correction1 = 1 - Math.pow(beta1, stepIndex + 1);
        double correction2 = 1 - Math.pow(beta2, stepIndex + 1);
        if (parameters instanceof FloatParameterRows floats) {
            updateFloats(floats, lrT, correction1, correction2);
            return lrT;
        }
        doubleMoments();
        if (parameters instanceof ParameterRows rows) {
            updateRows(rows, lrT, correction1, correction2);
            // Every gradient is now +0.0: the model's next backward pass need not read them.
            rows.clearedGradients();
        } else if (parameters instanceof ValueParameterNodes nodes) {
            updateNodes(nodes.params(), new DoubleStep(beta1, beta2, eps, lrT, correction1, correction2));
        } else {
            if (copied == null) {
                copied = new FlatRows(new double[][] {new double[size]}, new double[][] {new double[size]});
            }
            double[] values = copied.valueRows()[0];
            double[] grads = copied.gradRows()[0];
            for (int i = 0; i < size; i++) {
                values[i] = parameters.value(i);
                grads[i] = parameters.grad(i);
            }
            updateRows(copied, lrT, correction1, correction2);
            for (int i = 0; i < size; i++) {
                parameters.setValue(i, values[i]);
                parameters.setGrad(i, 0.0);
            }
        }
        return lrT;
    }

    private void checkSize(Parameters parameters) {
        Objects.requireNonNull(parameters, "parameters");
        if (parameters.size() != size) {
            throw new IllegalArgumentException("this optimizer was made for " + size
                    + " parameters, not " + parameters.size());
        }
    }

    /**
     * The update of {@link #step} prepared as a task over rows {@code [from, to)} of a model's
     * parameter rows, for a step that updates each matrix inside the backward pass
     * ({@link FusedStep}); each row gets the very loop of {@link #step}, so the same bits. Null
     * when {@link #step} would stage the rows (short rows, as the reference model's: there a
     * step is microseconds and one staged loop over every number is what makes it fast) or the
     * parameters have no rows of their own: then the caller runs {@link #step} after the pass.
     * The arguments are checked, and the moments shaped for the rows, before the pass starts,
     * so that nothing fails once parameters have changed. The caller sets the parameters'
     * gradients cleared once every row is updated. The task is a
     * {@link FusedUpdates.Rows}, which also hands out each matrix's update ({@link FloatRowUpdate},
     * {@link DoubleRowUpdate}).
     */
    private RangeTask rowUpdate(Parameters parameters, int step, int totalSteps) {
        checkSize(parameters);
        checkStep(step, totalSteps);
        if (parameters instanceof FloatParameterRows floats) {
            float[][] values = floats.valueRows();
            float[][] grads = floats.gradRows();
            shapeFloatMoments(values);
            float[][] firstRows = mFloat;
            float[][] secondRows = vFloat;
            FloatStep update = new FloatStep(beta1, beta2, eps, learningRate(step, totalSteps),
                    1 - Math.pow(beta1, step + 1), 1 - Math.pow(beta2, step + 1));
            return new FloatRowUpdate(update, values, grads, firstRows, secondRows, 0);
        }
        if (!(parameters instanceof ParameterRows rows)) {
            return null;
        }
        doubleMoments();
        double[][] values = rows.valueRows();
        double[][] grads = rows.gradRows();
        // Staged rows (the reference model's) are asked first, and cheaply: they decline at once.
        if (shapeMoments(values, rowLengths(values))) {
            return null;
        }
        DoubleStep update = new DoubleStep(beta1, beta2, eps, learningRate(step, totalSteps),
                1 - Math.pow(beta1, step + 1), 1 - Math.pow(beta2, step + 1));
        return new DoubleRowUpdate(update, values, grads, m, v, 0);
    }

    /**
     * The single-precision update of a fused step over rows {@code [first + from, first + to)}
     * of the parameters: made with {@code first} 0 for the whole model ({@link FusedUpdates#prepare}),
     * and with a matrix's first row for that matrix ({@link #matrix}), whose kernels count its
     * rows from 0. Each row gets {@link FloatStep#row}, the loop of {@link #step}, so the same bits.
     */
    private record FloatRowUpdate(FloatStep update, float[][] values, float[][] grads, float[][] firstRows,
                                  float[][] secondRows, int first)
            implements FusedUpdates.Rows, MatrixKernels.GradientRange<float[][]> {

        @Override
        public void run(int from, int to) {
            for (int r = first + from; r < first + to; r++) {
                update.row(values[r], grads[r], firstRows[r], secondRows[r]);
            }
        }

        @Override
        public void run(int from, int to, float[][] gradients) {
            // The same loop on a gradient kept elsewhere (the product's scratch): the model's
            // rows, +0.0 already, are neither read nor written, and the scratch is not zeroed
            // either (its kernels start each slice's sums from zero themselves).
            for (int r = first + from; r < first + to; r++) {
                update.rowFromScratch(values[r], gradients[r - first - from], firstRows[r], secondRows[r]);
            }
        }

        @Override
        public MatrixKernels.GradientRange<float[][]> matrix(int firstRow) {
            return new FloatRowUpdate(update, values, grads, firstRows, secondRows, first + firstRow);
        }
    }

    /**
     * The double-precision update of a fused step over rows {@code [first + from, first + to)}
     * of the parameters, made as {@link FloatRowUpdate} is: each row gets {@link DoubleStep#row},
     * the loop of {@link #step} for rows it does not stage, so the same bits.
     */
    private record DoubleRowUpdate(DoubleStep update, double[][] values, double[][] grads, double[][] firstRows,
                                   double[][] secondRows, int first)
            implements FusedUpdates.Rows, MatrixKernels.GradientRange<double[][]> {

        @Override
        public void run(int from, int to) {
            for (int r = first + from; r < first + to; r++) {
                update.row(values[r], grads[r], firstRows[r], secondRows[r]);
            }
        }

        @Override
        public void run(int from, int to, double[][] gradients) {
            // As FloatRowUpdate's, the model's rows untouched; but the scratch is zeroed here: leaving
            // it (as FloatStep.rowFromScratch does) measured 0.992 and 1.008 of the step's time on
            // one and two threads at nEmbd 256, no gain.
            for (int r = first + from; r < first + to; r++) {
                update.row(values[r], gradients[r - first - from], firstRows[r], secondRows[r]);
            }
        }

        @Override
        public MatrixKernels.GradientRange<double[][]> matrix(int firstRow) {
            return new DoubleRowUpdate(update, values, grads, firstRows, secondRows, first + firstRow);
        }
    }

    /**
     * The update of {@link #step} over rows of doubles, on the threads the rows offer
     * ({@link ParameterRows#forRanges}): each thread takes a contiguous range of rows. Long rows
     * are updated in place, each with moments in rows of its own length; short rows (the
     * reference model's are 16 numbers) are staged through one flat array (see
     * {@link #stagedRange}).
     */
    private void updateRows(ParameterRows rows, double lrT, double correction1, double correction2) {
        double[][] values = rows.valueRows();
        double[][] grads = rows.gradRows();
        boolean staged = shapeMoments(values, rowLengths(values));
        final double[][] firstRows = m;
        final double[][] secondRows = v;
        int grain = (int) Math.max(1, (long) ParameterRows.MIN_PARAMETERS_PER_THREAD * values.length / Math.max(1, size));
        DoubleStep update = new DoubleStep(beta1, beta2, eps, lrT, correction1, correction2);
        if (staged) {
            final double[] first = firstRows[0];
            final double[] second = secondRows[0];
            final double[] buffer = stagingBuffer();
            final int[] starts = rowStart;
            SmallKernels kernels = rows.smallKernels();
            if (kernels != null) {
                double b1 = beta1;
                double b2 = beta2;
                double e = eps;
                rows.forRanges(values.length, grain, (from, to) -> {
                    if (!kernels.adam(values, grads, first, second, starts, from, to, b1, b2, 1 - b1, 1 - b2, e,
                            lrT, correction1, correction2)) {
                        stagedRange(values, grads, first, second, buffer, starts, from, to, update);
                    }
                });
                return;
            }
            rows.forRanges(values.length, grain, (from, to) -> stagedRange(values, grads, first, second, buffer,
                    starts, from, to, update));
            return;
        }
        // Iteration i updates row order[i]: on several threads, an order that keeps the two cores
        // out of each other's cache lines (see ParameterRows.updateOrder); the same bits in any order.
        int[] order = rows.updateOrder();
        rows.forRanges(values.length, grain, (from, to) -> {
            for (int i = from; i < to; i++) {
                int r = order == null ? i : order[i];
                update.row(values[r], grads[r], firstRows[r], secondRows[r]);
            }
        });
    }

    /**
     * The update of a {@code Value} model's parameters, read from and written to the nodes
     * themselves: each number goes through the operations of {@link DoubleStep#step} (the same
     * bits). The new data go to a buffer first and into the nodes in a second pass, so that every
     * number is computed from the nodes as they were before the update, as the copy of
     * {@link #step} for other parameters does: a node that stands at two indices (a weight shared
     * by two matrices) is read twice and then written twice, the later index last. Whole
     * {@code ./microgpt train} runs (1000 steps on the quick compiler alone, which inlined none of
     * the four {@code Parameters} calls a number took before), new and old jar alternated, two
     * runs of 12 rounds on the 2-vCPU Zen 5 (2026-12-07): wall time 0.966 and 0.983 of before,
     * processor time 0.929 and 0.983 (medians of the rounds' ratios): a few percent.
     *
     * <p>The formula is written out here again, not taken from {@link DoubleStep}: this update
     * runs on the quick compiler alone in a short {@code ./microgpt train}, which inlines no
     * method of more than 35 bytes of bytecode ({@code C1MaxInlineSize}), so {@link DoubleStep#step}
     * would be a call per number; and gathering the gradients and data into flat buffers for
     * {@link DoubleStep#steps}' one call (two more passes over 4,192 numbers a step) measured
     * 1.023 of the wall time and 1.048 of the processor time of this loop (whole runs, 12 rounds
     * alternated, medians of the rounds' ratios, 2026-12-07; the noise of identical code there
     * was about 1.03), no gain.
     */
    private void updateNodes(Value[] nodes, DoubleStep update) {
        if (m.length != 1) {
            // Shaped for an array model's rows last: back to one flat row, in the same flat order.
            m = new double[][] {ParameterRows.flatten(m)};
            v = new double[][] {ParameterRows.flatten(v)};
            shapedFor = null;
        }
        final double[] mm = m[0];
        final double[] vv = v[0];
        final double[] updated = stagingBuffer();
        final double b1 = update.b1;
        final double b2 = update.b2;
        final double oneMinusB1 = update.oneMinusB1;
        final double oneMinusB2 = update.oneMinusB2;
        final double epsilon = update.epsilon;
        final double lrT = update.lrT;
        final double correction1 = update.correction1;
        final double correction2 = update.correction2;
        final boolean unbiased1 = update.unbiased1;
        final boolean unbiased2 = update.unbiased2;
        for (int i = 0; i < nodes.length; i++) {
            Value p = nodes[i];
            double g = p.grad();
            double mi = b1 * mm[i] + oneMinusB1 * g;
            double vi = b2 * vv[i] + oneMinusB2 * (g * g);
            mm[i] = mi;
            vv[i] = vi;
            double mHat = unbiased1 ? mi : mi / correction1;
            double vHat = unbiased2 ? vi : vi / correction2;
            updated[i] = p.data() - lrT * mHat / (Math.sqrt(vHat) + epsilon);
        }
        for (int i = 0; i < nodes.length; i++) {
            Value p = nodes[i];
            p.setData(updated[i]);
            p.setGrad(0.0);
        }
    }

    /**
     * Whether a bias correction has reached exactly 1, so that dividing by it changes no bit
     * ({@code x / 1.0} is {@code x} for every double) and an update may leave that division out.
     * {@code 1 - beta^(t+1)} rounds to 1 once {@code beta^(t+1)} is below {@code 2^-54}: with the
     * defaults after about 230 steps for {@code beta1 = 0.85} and 3,700 for {@code beta2 = 0.99}.
     * Divisions and square roots are most of the update's time at the reference size, so each
     * correction's division is left out as soon as that correction is done, not when both are:
     * measured on 4192 numbers, 3.5 us with both divisions, 2.8 us without the first (from step
     * 230 with the defaults, so most of {@code microgpt.py}'s 1000 steps) and 2.2 us without both.
     */
    private static boolean correctionDone(double correction) {
        return correction == 1.0;
    }

    /**
     * The update of rows {@code [from, to)} staged through a flat buffer, for rows too short for
     * the JIT's SIMD loop: a loop over 16 numbers spends most of its time in the scalar iterations
     * around the vector ones, and most of an update is its divisions and square roots. So the
     * gradients are gathered, end to end, into the buffer, one long loop ({@link DoubleStep#steps})
     * turns each gradient into its step, {@code lrT * mHat / (vHat^0.5 + eps)}, with the moments
     * kept flat at the same indices, and the steps are subtracted row by row (the gradients
     * zeroed in the same loop). Each number goes through the loop every double-precision update
     * runs: the same bits, in about half the time at the reference size. At the reference size the three parts take
     * about 1.3, 4 and 3 us: the copy-back runs scalar, as C2 vectorises no loop of 16; writing
     * it two rows at a time, four numbers at a time, or with the gradients zeroed by
     * {@code System.arraycopy} from zeros measured no faster; a row of 16 written out number by
     * number (the code below) measured 0.4 to 0.9 us faster. The three passes, not the
     * arithmetic, are what the Vector API kernel ({@code SmallKernels.adam}) saves: it updates
     * each row in place in one pass, while the core's one-pass loop over a row of 16 runs scalar
     * and its divisions and square roots then take about twice the time of the three passes.
     * Staging in chunks of 64 to 1,024 numbers (so that the buffer stays in the first-level
     * cache) and copying the parameters into the buffer as well measured slower.
     */
    private static void stagedRange(double[][] values, double[][] grads, double[] mm, double[] vv, double[] buffer,
                                    int[] starts, int from, int to, DoubleStep update) {
        for (int r = from; r < to; r++) {
            double[] gr = grads[r];
            System.arraycopy(gr, 0, buffer, starts[r], gr.length);
        }
        update.steps(buffer, mm, vv, starts[from], starts[to]);
        // The gradients are zeroed here rather than when gathered: one short loop per row, not two.
        // A row of 16 (the reference model's, all but its 16 rows of 64) is written out number by
        // number: C2 on JDK 17 (and 25) vectorises no loop of 16, and a loop of 16 pays its loop
        // and range-check setup on every row; straight-line code pays it once, one check of the
        // lengths (C2 folds the buffer's 16 range checks into two). Measured in one JVM, old and
        // new alternated, over the reference model's 4,192 numbers: 0.4 to 0.9 us less per update
        // (12.9 -> 12.4 us including 3 us of refilling the gradients), on JDK 17 and 25.
        for (int r = from; r < to; r++) {
            double[] p = values[r];
            double[] gr = grads[r];
            int at = starts[r];
            if (p.length == 16 && gr.length == 16) {
                p[0] = p[0] - buffer[at + 0];
                p[1] = p[1] - buffer[at + 1];
                p[2] = p[2] - buffer[at + 2];
                p[3] = p[3] - buffer[at + 3];
                p[4] = p[4] - buffer[at + 4];
                p[5] = p[5] - buffer[at + 5];
                p[6] = p[6] - buffer[at + 6];
                p[7] = p[7] - buffer[at + 7];
                p[8] = p[8] - buffer[at + 8];
                p[9] = p[9] - buffer[at + 9];
                p[10] = p[10] - buffer[at + 10];
                p[11] = p[11] - buffer[at + 11];
                p[12] = p[12] - buffer[at + 12];
                p[13] = p[13] - buffer[at + 13];
                p[14] = p[14] - buffer[at + 14];
                p[15] = p[15] - buffer[at + 15];
                gr[0] = 0.0;
                gr[1] = 0.0;
                gr[2] = 0.0;
                gr[3] = 0.0;
                gr[4] = 0.0;
                gr[5] = 0.0;
                gr[6] = 0.0;
                gr[7] = 0.0;
                gr[8] = 0.0;
                gr[9] = 0.0;
                gr[10] = 0.0;
                gr[11] = 0.0;
                gr[12] = 0.0;
                gr[13] = 0.0;
                gr[14] = 0.0;
                gr[15] = 0.0;
            } else {
                for (int i = 0; i < p.length; i++) {
                    p[i] = p[i] - buffer[at + i];
                    gr[i] = 0.0;
                }
            }
        }
    }

    /**
     * The update in single precision, for a model that keeps its parameters in float rows: the
     * same formula with the moments in float rows of the same shapes, so that the loop reads and
     * writes four arrays of floats indexed alike (half the memory traffic of doubles, and twice
     * the numbers per SIMD instruction), row by row in place, on the threads the rows offer. Short
     * rows are not staged: 16 floats fill one SIMD register, and staging measured slower. The
     * moments are rounded to floats when such a model is first updated.
     */
    private void updateFloats(FloatParameterRows rows, double lrT, double correction1, double correction2) {
        float[][] values = rows.valueRows();
        float[][] grads = rows.gradRows();
        shapeFloatMoments(values);
        final float[][] firstRows = mFloat;
        final float[][] secondRows = vFloat;
        FloatStep update = new FloatStep(beta1, beta2, eps, lrT, correction1, correction2);
        int grain = (int) Math.max(1, (long) ParameterRows.MIN_PARAMETERS_PER_THREAD * values.length / Math.max(1, size));
        int[] order = rows.updateOrder();
        rows.forRanges(values.length, grain, (from, to) -> {
            for (int k = from; k < to; k++) {
                int r = order == null ? k : order[k];
                update.row(values[r], grads[r], firstRows[r], secondRows[r]);
            }
        });
        // Every gradient is now +0.0: the model's next backward pass need not read them.
        rows.clearedGradients();
    }

    /**
     * The constants of one double-precision update and its loops: the one place where the formula
     * of the class comment is written for doubles ({@link #step}), run by every update of double
     * rows (in place, staged, or inside a fused step) and of a {@code Value} model's nodes, so
     * that every way gives the same bits.
     */
    private static final class DoubleStep {
        private final double b1;
        private final double b2;
        private final double oneMinusB1;
        private final double oneMinusB2;
        private final double epsilon;
        private final double lrT;
        private final double correction1;
        private final double correction2;
        /** Whether a correction is exactly 1, so its division is left out (see {@link #correctionDone}). */
        private final boolean unbiased1;
        /** Whether the second correction is exactly 1. */
        private final boolean unbiased2;

        DoubleStep(double beta1, double beta2, double eps, double lrT, double correction1, double correction2) {
            b1 = beta1;
            b2 = beta2;
            oneMinusB1 = 1 - beta1;
            oneMinusB2 = 1 - beta2;
            epsilon = eps;
            this.lrT = lrT;
            this.correction1 = correction1;
            this.correction2 = correction2;
            unbiased1 = correctionDone(correction1);
            unbiased2 = correctionDone(correction2);
        }

        /**
         * The update of one number, the pseudo-code of the class comment: updates the moments at
         * index {@code i} from the gradient {@code g} and returns the step to subtract from the
         * parameter, {@code lrT * mHat / (vHat^0.5 + eps)}. {@code g * g} is {@code g^2} exactly,
         * and {@code Math.sqrt} is {@code Math.pow(x, 0.5)} exactly for the non-negative {@code x}
         * found here (as the Python's {@code ** 0.5}); unlike {@code pow}, {@code *} and
         * {@code sqrt} have vector instructions. The loops below call it, and C2 inlines it into
         * each of them: their constants' loads leave the loop, and the loop is compiled once for
         * each value of the two tests of a correction done (the same on every iteration).
         */
        double step(double g, double[] mm, double[] vv, int i) {
            double mi = b1 * mm[i] + oneMinusB1 * g;
            double vi = b2 * vv[i] + oneMinusB2 * (g * g);
            mm[i] = mi;
            vv[i] = vi;
            double mHat = unbiased1 ? mi : mi / correction1;
            double vHat = unbiased2 ? vi : vi / correction2;
            return lrT * mHat / (Math.sqrt(vHat) + epsilon);
        }

        /**
         * Turns the gradients {@code g[from, to)} into the steps to subtract from their parameters,
         * in place, updating the moments at the same indices (a staged update): {@link #step}'s
         * operations, written out again rather than called. A short {@code ./microgpt train
         * --engine array} (the reference model, staged) runs on the quick compiler alone, which
         * inlines no method of more than 35 bytes of bytecode ({@code C1MaxInlineSize}), and a
         * call of {@link #step} per number made whole runs 1.055 times as long (wall and processor
         * time, 8 rounds alternated with the loop written out, medians of the rounds' ratios,
         * 2026-12-07). ({@code -XX:C1MaxInlineSize=70} for such a run made {@code ./microgpt
         * train} 1.22 times as long.) C2 compiles both alike.
         */
        void steps(double[] g, double[] mm, double[] vv, int from, int to) {
            // Locals, so that the quick compiler's loop keeps the constants in registers.
            final double b1 = this.b1;
            final double b2 = this.b2;
            final double oneMinusB1 = this.oneMinusB1;
            final double oneMinusB2 = this.oneMinusB2;
            final double epsilon = this.epsilon;
            final double lrT = this.lrT;
            final double correction1 = this.correction1;
            final double correction2 = this.correction2;
            final boolean unbiased1 = this.unbiased1;
            final boolean unbiased2 = this.unbiased2;
            for (int i = from; i < to; i++) {
                double gi = g[i];
                double mi = b1 * mm[i] + oneMinusB1 * gi;
                double vi = b2 * vv[i] + oneMinusB2 * (gi * gi);
                mm[i] = mi;
                vv[i] = vi;
                double mHat = unbiased1 ? mi : mi / correction1;
                double vHat = unbiased2 ? vi : vi / correction2;
                g[i] = lrT * mHat / (Math.sqrt(vHat) + epsilon);
            }
        }

        /**
         * Updates one row in place and sets its gradients to {@code +0.0}, in one pass. (Two, the
         * gradients turned into steps by {@link #steps} and then subtracted, took 1.2 to 1.5 times
         * as long after the backward pass at {@code nEmbd} 256, 4 layers.)
         */
        void row(double[] p, double[] gr, double[] mm, double[] vv) {
            for (int i = 0; i < p.length; i++) {
                p[i] = p[i] - step(gr[i], mm, vv, i);
                gr[i] = 0.0;
            }
        }
    }

    /**
     * The constants of one single-precision update, rounded to floats once, and its loop over a
     * row: the formula of the class comment with the two bias corrections' divisions turned into
     * multiplications by their inverses (computed in doubles, then rounded).
     */
    private static final class FloatStep {
        private final float b1;
        private final float b2;
        private final float oneMinusB1;
        private final float oneMinusB2;
        private final float epsilon;
        private final float stepSize;
        private final float inverse1;
        private final float inverse2;

        FloatStep(double beta1, double beta2, double eps, double lrT, double correction1, double correction2) {
            b1 = (float) beta1;
            b2 = (float) beta2;
            oneMinusB1 = (float) (1 - beta1);
            oneMinusB2 = (float) (1 - beta2);
            epsilon = (float) eps;
            stepSize = (float) lrT;
            inverse1 = (float) (1 / correction1);
            inverse2 = (float) (1 / correction2);
        }

        /**
         * Updates one row in place and sets its gradients to {@code +0.0}: {@link #rowFromScratch},
         * then the row's gradients zeroed while they are still in the first-level cache, so that
         * the loop has one copy. Measured at {@code nEmbd} 256, 4 layers, f32 (one JVM, one
         * model, old and new alternated every 3 steps, medians of 40 to 80 rounds, core loops and
         * Vector API kernels, 1 and 2 threads): the fused step, which runs {@link #rowFromScratch}
         * as before, read 0.991 to 1.013 (the noise of identical code); a step that updates after
         * the backward pass (with a gradient listener) 0.995 to 1.031, about 1% for the second
         * pass. The zero store under a flag in one loop instead, which C2 compiled once for both
         * callers (too large to inline once compiled), cost the fused step 1.007 to 1.028 on two
         * threads.
         */
        void row(float[] p, float[] gr, float[] mm, float[] vv) {
            rowFromScratch(p, gr, mm, vv);
            Arrays.fill(gr, 0f);
        }

        /**
         * The update of one row in place from its gradients, which it reads but does not zero:
         * called as it is on a slice's gradient in a product's scratch (a fused step), where the
         * kernels start each slice's sums from zero themselves (they zero the scratch, or sum the
         * first terms from a zero vector), so zeros written here were written again before
         * anything read them, one store of every weight's gradient a step. Measured at
         * {@code nEmbd} 256, 4 layers, 64 positions (core loops, fused steps, one JVM, one model,
         * with and without the zeros alternated, medians of 40 rounds of 3 steps): a step took
         * 0.993 of the time on one thread and 0.986 on two.
         */
        void rowFromScratch(float[] p, float[] gr, float[] mm, float[] vv) {
            // Locals, so that the compiled loop keeps the constants in registers.
            final float b1 = this.b1;
            final float b2 = this.b2;
            final float oneMinusB1 = this.oneMinusB1;
            final float oneMinusB2 = this.oneMinusB2;
            final float epsilon = this.epsilon;
            final float stepSize = this.stepSize;
            final float inverse1 = this.inverse1;
            final float inverse2 = this.inverse2;
            for (int i = 0; i < p.length; i++) {
                float g = gr[i];
                float mi = b1 * mm[i] + oneMinusB1 * g;
                float vi = b2 * vv[i] + oneMinusB2 * (g * g);
                mm[i] = mi;
                vv[i] = vi;
                p[i] = p[i] - stepSize * (mi * inverse1) / ((float) Math.sqrt(vi * inverse2) + epsilon);
            }
        }
    }

    /**
     * Shapes the float moments for {@code values} (making them from the double moments when a
     * single-precision model is first updated); nothing is checked when {@code values} is the
     * array of rows they were last shaped for.
     */
    private void shapeFloatMoments(float[][] values) {
        if (mFloat == null || values != shapedFor) {
            if (mFloat == null || !sameShape(mFloat, values)) {
                double[] first = firstMoments();
                double[] second = secondMoments();
                if (mFloat == null) {
                    // Doubles become floats here: refused before anything changes if one would be infinite.
                    requireFloatRange(first, "first");
                    requireFloatRange(second, "second");
                }
                mFloat = FloatParameterRows.split(first, values);
                vFloat = FloatParameterRows.split(second, values);
                // The float rows hold the moments now; the doubles would be 16 more bytes a
                // parameter, two thirds of the optimizer's memory, until a double model comes
                // back (doubleMoments makes them anew from the float rows).
                m = null;
                v = null;
            }
            shapedFor = values;
        }
    }

    /**
     * Refuses moments a float cannot hold, before a single-precision model's first update rounds
     * them to floats: a finite moment beyond a float's range (restored from an f64 run, or grown
     * by an f64 model this optimizer updated before) would become infinite, and the update's
     * weights NaN.
     */
    private static void requireFloatRange(double[] moments, String which) {
        for (int i = 0; i < moments.length; i++) {
            if (Float.isInfinite((float) moments[i])) {
                throw new IllegalStateException(which + " moment " + i + " (" + moments[i] + ") is beyond the range of"
                        + " a float (the largest is " + Float.MAX_VALUE + "), in which an f32 model's moments are kept;"
                        + " nothing was updated: step an f64 model with this optimizer, or restore moments a float holds");
            }
        }
    }

    /** Moves the moments back into {@link #m} and {@link #v} if float rows held them. */
    private void doubleMoments() {
        if (mFloat != null) {
            m = new double[][] {FloatParameterRows.flatten(mFloat)};
            v = new double[][] {FloatParameterRows.flatten(vFloat)};
            mFloat = null;
            vFloat = null;
            shapedFor = null;
        }
    }

    /** The length of each row, or null if these are the rows the moments were last shaped for. */
    private int[] rowLengths(double[][] rows) {
        if (rows == shapedFor) {
            return null;
        }
        int[] lengths = new int[rows.length];
        for (int r = 0; r < rows.length; r++) {
            lengths[r] = rows[r].length;
        }
        return lengths;
    }

    /**
     * Shapes the double moments for {@code values}: one flat row if the rows are short enough to
     * be staged, otherwise rows of the same lengths. Nothing is checked when {@code values} is
     * the array of rows the moments were last shaped for ({@code lengths} is then null): a model
     * keeps its rows from step to step, so the check is once per model, not once per step.
     *
     * @return whether the update stages the rows
     */
    private boolean shapeMoments(double[][] values, int[] lengths) {
        if (lengths == null) {
            return stagedShape;
        }
        boolean staged = isShort(lengths);
        double[][] shape = staged ? new double[][] {new double[size]} : values;
        if (!sameShape(m, shape)) {
            m = split(ParameterRows.flatten(m), shape);
            v = split(ParameterRows.flatten(v), shape);
        }
        remember(values, lengths, staged);
        return staged;
    }

    /**
     * Whether rows of these lengths are staged: when they average at most
     * {@link #MAX_STAGED_ROW} numbers, and there are several (one row is already flat).
     */
    private static boolean isShort(int[] lengths) {
        long total = 0;
        for (int length : lengths) {
            total += length;
        }
        return lengths.length > 1 && total <= (long) MAX_STAGED_ROW * lengths.length;
    }

    /** Notes the rows the moments are now shaped for, and where each row starts in the flat order. */
    private void remember(Object values, int[] lengths, boolean staged) {
        int[] starts = new int[lengths.length + 1];
        for (int r = 0; r < lengths.length; r++) {
            starts[r + 1] = starts[r] + lengths[r];
        }
        rowStart = starts;
        stagedShape = staged;
        shapedFor = values;
    }

    private double[] stagingBuffer() {
        if (buffer == null) {
            buffer = new double[size];
        }
        return buffer;
    }

    /**
     * Whether two arrays of rows (of doubles or of floats, alike or not) have rows of the same
     * lengths; asked once per model, not per step.
     */
    private static boolean sameShape(Object[] a, Object[] b) {
        if (a.length != b.length) {
            return false;
        }
        for (int r = 0; r < a.length; r++) {
            if (java.lang.reflect.Array.getLength(a[r]) != java.lang.reflect.Array.getLength(b[r])) {
                return false;
            }
        }
        return true;
    }

    /** Cuts a flat array into rows of the lengths of {@code shape}'s rows. */
    private static double[][] split(double[] flat, double[][] shape) {
        double[][] rows = new double[shape.length][];
        int at = 0;
        for (int r = 0; r < rows.length; r++) {
            rows[r] = Arrays.copyOfRange(flat, at, at + shape[r].length);
            at += shape[r].length;
        }
        return rows;
    }

    /** A model's parameters copied into one row of values and one of gradients (see {@link #step}). */
    private record FlatRows(double[][] valueRows, double[][] gradRows) implements ParameterRows {
    }

    /**
     * The number of parameters this optimizer updates.
     *
     * @return the size
     */
    public int size() {
        return size;
    }

    /**
     * A copy of the first moments (running means of the gradients).
     *
     * @return one value per parameter
     */
    public double[] firstMoments() {
        return mFloat != null ? FloatParameterRows.flatten(mFloat) : ParameterRows.flatten(m);
    }

    /**
     * A copy of the second moments (running means of the squared gradients).
     *
     * @return one value per parameter
     */
    public double[] secondMoments() {
        return vFloat != null ? FloatParameterRows.flatten(vFloat) : ParameterRows.flatten(v);
    }

    /**
     * The settings: the base learning rate (before the schedule scales it), the two decays, eps
     * and the schedule. To train with other settings, change them and make a new optimizer:
     * {@code new AdamOptimizer(size(), adam.settings().withLearningRate(0.02))}.
     *
     * @return the settings given at construction
     */
    public AdamSettings settings() {
        return new AdamSettings(learningRate, beta1, beta2, eps, schedule);
    }

    /**
     * Replaces both moments, for example with those saved in a checkpoint, so that the next
     * {@link #step} continues a run exactly where it stopped. Nothing changes if the values are
     * rejected.
     *
     * @param firstMoments one finite value per parameter (see {@link #firstMoments()})
     * @param secondMoments one finite, non-negative value per parameter (a running mean of
     *     squares cannot be negative)
     * @throws NullPointerException if either array is null (the message names which)
     * @throws IllegalArgumentException if a length is not {@link #size()} or a value is out of
     *     range, naming the first such index
     * @see #step an f32 model's step refuses moments beyond a float's range, which its float
     *     moments cannot hold (this optimizer does not know the model it will update until then)
     */
    public void restoreMoments(double[] firstMoments, double[] secondMoments) {
        ModelChecks.moments(size, firstMoments, secondMoments);
        m = new double[][] {firstMoments.clone()};
        v = new double[][] {secondMoments.clone()};
        mFloat = null;
        vFloat = null;
        shapedFor = null;
    }

    /**
     * This optimizer's state: its settings and a copy of its moments, as a checkpoint saves them.
     * The pair {@code state()}/{@link #restore restore(state)} is the one the trainer
     * ({@link io.github.microgpt.train.Trainer#state()}) and the random generator
     * ({@link io.github.microgpt.random.PythonRandom#state()}) have.
     *
     * @return the state, independent of this optimizer from now on
     */
    public io.github.microgpt.checkpoint.OptimizerState state() {
        return new io.github.microgpt.checkpoint.OptimizerState(settings(), firstMoments(), secondMoments());
    }

    /**
     * Puts this optimizer back in a state it (or one with the same settings) was in, so that the
     * next {@link #step} continues that run exactly; {@link #restoreMoments} does the same from
     * two arrays. The settings cannot change (they are this optimizer's own, given at
     * construction): for a state with other settings make a new optimizer,
     * {@link io.github.microgpt.checkpoint.OptimizerState#toOptimizer() state.toOptimizer()}.
     * Nothing changes if the state is refused.
     *
     * @param state a state of an optimizer with these {@link #settings()} and this {@link #size()}
     * @throws IllegalArgumentException if the state's settings or size differ from this
     *     optimizer's (the message names each setting that differs, with both values; for a state
     *     loaded from a checkpoint of a run with a schedule of its own, which holds the schedule by
     *     its rates only, it says to give the schedule back with
     *     {@link io.github.microgpt.checkpoint.Checkpoint#withSchedule})
     * @throws NullPointerException if {@code state} is null
     */
    public void restore(io.github.microgpt.checkpoint.OptimizerState state) {
        Objects.requireNonNull(state, "state");
        if (!state.settings().equals(settings())) {
            throw new IllegalArgumentException(otherSettings(state.settings()));
        }
        // The record's accessors copy; restoreMoments copies again, a price paid once a resume.
        restoreMoments(state.firstMoments(), state.secondMoments());
    }

    /**
     * The refusal of a state with other settings, naming each setting that differs with both
     * values: printing the two settings whole left the reader to find the difference, and a
     * state loaded with a schedule of the run's own differs only in its schedule, a stand-in that
     * the printed settings did not explain (nor would {@code state.toOptimizer()} take it).
     */
    private String otherSettings(AdamSettings theirs) {
        java.util.List<String> differ = new java.util.ArrayList<>();
        differ(differ, "learningRate", theirs.learningRate(), learningRate);
        differ(differ, "beta1", theirs.beta1(), beta1);
        differ(differ, "beta2", theirs.beta2(), beta2);
        differ(differ, "eps", theirs.eps(), eps);
        String start = "the state's settings differ from this optimizer's in ";
        if (theirs.schedule() instanceof StandInSchedule standIn) {
            differ.add("the schedule");
            return start + String.join(" and ", differ) + ": " + standIn.missing()
                    + ", and restore the state of the checkpoint it returns";
        }
        if (!theirs.schedule().equals(schedule)) {
            differ.add("schedule (the state's " + ClassNames.describe(theirs.schedule()) + ", this optimizer's "
                    + ClassNames.describe(schedule) + ")");
        }
        return start + String.join(" and ", differ) + "; make an optimizer with them: state.toOptimizer()";
    }

    private static void differ(java.util.List<String> differ, String name, double theirs, double ours) {
        if (Double.compare(theirs, ours) != 0) {
            differ.add(name + " (the state's " + theirs + ", this optimizer's " + ours + ")");
        }
    }

    /**
     * The settings and the number of parameters (this optimizer does not count steps: the trainer
     * passes each step's index). The built-in schedules print by name; a schedule of your own
     * prints as its own {@code toString} does, a lambda as {@code "a lambda written in"} its class
     * (its own {@code toString} is an address that changes from run to run).
     *
     * @return for example {@code AdamOptimizer[learningRate=0.01, beta1=0.85, beta2=0.99, eps=1.0E-8,
     *     schedule=LINEAR_DECAY, size=4192]}
     */
    @Override
    public String toString() {
        return "AdamOptimizer[learningRate=" + learningRate + ", beta1=" + beta1 + ", beta2=" + beta2 + ", eps=" + eps
                + ", schedule=" + ClassNames.describe(schedule) + ", size=" + size + "]";
    }
}
