package io.github.microgpt.checkpoint;

import io.github.microgpt.optim.AdamOptimizer;
import io.github.microgpt.optim.AdamSettings;
import io.github.microgpt.optim.LearningRateSchedule;
import java.util.Arrays;
import java.util.Objects;

/**
 * Everything an {@link AdamOptimizer} needs to continue a run exactly: its settings and its two
 * moments, one value per parameter in the flat parameter order. (The step number, which sets the
 * bias correction and the learning rate, is the trainer's {@code stepsDone}.)
 *
 * <p>Immutable: the moment arrays are copied in and out.
 *
 * @param learningRate the base learning rate; positive and finite
 * @param beta1 the decay of the first moment, in {@code [0, 1)}
 * @param beta2 the decay of the second moment, in {@code [0, 1)}
 * @param eps added to the denominator; positive and finite
 * @param schedule the learning-rate schedule: {@value #LINEAR_DECAY} or {@value #CONSTANT}
 * @param firstMoments the running means of the gradients; finite
 * @param secondMoments the running means of the squared gradients; finite and not negative, as
 *     many as the first moments
 */
public record OptimizerState(double learningRate, double beta1, double beta2, double eps, String schedule,
                             double[] firstMoments, double[] secondMoments) {

    /** The name of {@link LearningRateSchedule#LINEAR_DECAY}. */
    public static final String LINEAR_DECAY = "linear_decay";
    /** The name of {@link LearningRateSchedule#CONSTANT}. */
    public static final String CONSTANT = "constant";

    /**
     * Checks and copies the values.
     *
     * @param learningRate the base learning rate; positive and finite
     * @param beta1 the decay of the first moment, in {@code [0, 1)}
     * @param beta2 the decay of the second moment, in {@code [0, 1)}
     * @param eps added to the denominator; positive and finite
     * @param schedule the learning-rate schedule: {@value #LINEAR_DECAY} or {@value #CONSTANT}
     * @param firstMoments the running means of the gradients; finite
     * @param secondMoments the running means of the squared gradients; finite and not negative, as many as the first moments
     * @throws IllegalArgumentException naming the first value out of range
     */
    public OptimizerState {
        Objects.requireNonNull(schedule, "schedule");
        if (!schedule.equals(LINEAR_DECAY) && !schedule.equals(CONSTANT)) {
            throw new IllegalArgumentException("unknown learning-rate schedule \"" + schedule + "\" (the schedules are "
                    + LINEAR_DECAY + " and " + CONSTANT + ")");
        }
        firstMoments = firstMoments.clone();
        secondMoments = secondMoments.clone();
        // The optimizer checks its settings and moments; build a throwaway one to apply the same rules.
        new AdamOptimizer(firstMoments.length, new AdamSettings(learningRate, beta1, beta2, eps, scheduleOf(schedule)))
                .restoreMoments(firstMoments, secondMoments);
    }

    /**
     * The state of an optimizer.
     *
     * @param optimizer the optimizer
     * @return its settings and a copy of its moments
     * @throws IllegalArgumentException if its schedule is neither
     *     {@link LearningRateSchedule#LINEAR_DECAY} nor {@link LearningRateSchedule#CONSTANT}: a
     *     schedule of your own is code, which a checkpoint cannot hold
     */
    public static OptimizerState of(AdamOptimizer optimizer) {
        Objects.requireNonNull(optimizer, "optimizer");
        return new OptimizerState(optimizer.baseLearningRate(), optimizer.beta1(), optimizer.beta2(), optimizer.eps(),
                nameOf(optimizer.schedule()), optimizer.firstMoments(), optimizer.secondMoments());
    }

    /**
     * A new optimizer in this state: the next {@link AdamOptimizer#step} continues where the saved
     * one stopped.
     *
     * @return the optimizer
     */
    public AdamOptimizer toOptimizer() {
        AdamOptimizer optimizer = new AdamOptimizer(firstMoments.length,
                new AdamSettings(learningRate, beta1, beta2, eps, scheduleOf(schedule)));
        optimizer.restoreMoments(firstMoments, secondMoments);
        return optimizer;
    }

    /**
     * The number of parameters.
     *
     * @return the number of moments of each kind
     */
    public int size() {
        return firstMoments.length;
    }

    /**
     * The first moments.
     *
     * @return a copy
     */
    @Override
    public double[] firstMoments() {
        return firstMoments.clone();
    }

    /**
     * The second moments.
     *
     * @return a copy
     */
    @Override
    public double[] secondMoments() {
        return secondMoments.clone();
    }

    static String nameOf(LearningRateSchedule schedule) {
        if (schedule == LearningRateSchedule.LINEAR_DECAY) {
            return LINEAR_DECAY;
        }
        if (schedule == LearningRateSchedule.CONSTANT) {
            return CONSTANT;
        }
        throw new IllegalArgumentException("a checkpoint can only record the built-in learning-rate schedules "
                + "(LINEAR_DECAY and CONSTANT), not " + schedule);
    }

    static LearningRateSchedule scheduleOf(String name) {
        return name.equals(CONSTANT) ? LearningRateSchedule.CONSTANT : LearningRateSchedule.LINEAR_DECAY;
    }

    /**
     * Compares the settings and the moments, bit for bit.
     *
     * @param other another object
     * @return true if it is an equal state
     */
    @Override
    public boolean equals(Object other) {
        return other instanceof OptimizerState that
                && Double.compare(learningRate, that.learningRate) == 0
                && Double.compare(beta1, that.beta1) == 0
                && Double.compare(beta2, that.beta2) == 0
                && Double.compare(eps, that.eps) == 0
                && schedule.equals(that.schedule)
                && Arrays.equals(firstMoments, that.firstMoments)
                && Arrays.equals(secondMoments, that.secondMoments);
    }

    /**
     * A hash of the settings and the moments.
     *
     * @return the hash code
     */
    @Override
    public int hashCode() {
        return Objects.hash(learningRate, beta1, beta2, eps, schedule, Arrays.hashCode(firstMoments),
                Arrays.hashCode(secondMoments));
    }

    /**
     * A short description, without the moments.
     *
     * @return the settings and the number of parameters
     */
    @Override
    public String toString() {
        return "OptimizerState[learningRate=" + learningRate + ", beta1=" + beta1 + ", beta2=" + beta2 + ", eps=" + eps
                + ", schedule=" + schedule + ", size=" + firstMoments.length + "]";
    }
}
