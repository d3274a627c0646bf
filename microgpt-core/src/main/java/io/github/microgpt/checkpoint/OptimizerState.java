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
 * @param settings the optimizer's settings; their schedule is one of the two a checkpoint can
 *     name, {@link LearningRateSchedule#LINEAR_DECAY} or {@link LearningRateSchedule#CONSTANT}
 * @param firstMoments the running means of the gradients; finite
 * @param secondMoments the running means of the squared gradients; finite and not negative, as
 *     many as the first moments
 */
public record OptimizerState(AdamSettings settings, double[] firstMoments, double[] secondMoments) {

    /** The name of {@link LearningRateSchedule#LINEAR_DECAY} in a checkpoint. */
    static final String LINEAR_DECAY = "linear_decay";
    /** The name of {@link LearningRateSchedule#CONSTANT} in a checkpoint. */
    static final String CONSTANT = "constant";

    /**
     * Checks and copies the values.
     *
     * @param settings the optimizer's settings, with a built-in schedule
     * @param firstMoments the running means of the gradients; finite
     * @param secondMoments the running means of the squared gradients; finite and not negative, as many as the first moments
     * @throws IllegalArgumentException if the schedule is one of your own (a schedule is code,
     *     which a checkpoint cannot hold), or naming the first moment out of range
     * @throws NullPointerException if an argument is null, naming it
     */
    public OptimizerState {
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(firstMoments, "firstMoments");
        Objects.requireNonNull(secondMoments, "secondMoments");
        nameOf(settings.schedule());
        firstMoments = firstMoments.clone();
        secondMoments = secondMoments.clone();
        // The optimizer checks its moments; build a throwaway one to apply the same rules.
        new AdamOptimizer(firstMoments.length, settings).restoreMoments(firstMoments, secondMoments);
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
        return new OptimizerState(optimizer.settings(), optimizer.firstMoments(), optimizer.secondMoments());
    }

    /**
     * A new optimizer in this state: the next {@link AdamOptimizer#step} continues where the saved
     * one stopped.
     *
     * @return the optimizer
     */
    public AdamOptimizer toOptimizer() {
        AdamOptimizer optimizer = new AdamOptimizer(firstMoments.length, settings);
        optimizer.restoreMoments(firstMoments, secondMoments);
        return optimizer;
    }

    /**
     * The name of the schedule, as a checkpoint records it (for a person reading or comparing
     * checkpoints).
     *
     * @return {@code "linear_decay"} or {@code "constant"}
     */
    public String scheduleName() {
        return nameOf(settings.schedule());
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
                && settings.equals(that.settings)
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
        return Objects.hash(settings, Arrays.hashCode(firstMoments), Arrays.hashCode(secondMoments));
    }

    /**
     * A short description, without the moments.
     *
     * @return the settings and the number of parameters
     */
    @Override
    public String toString() {
        AdamSettings s = settings;
        return "OptimizerState[learningRate=" + s.learningRate() + ", beta1=" + s.beta1() + ", beta2=" + s.beta2()
                + ", eps=" + s.eps() + ", schedule=" + scheduleName() + ", size=" + firstMoments.length + "]";
    }
}
