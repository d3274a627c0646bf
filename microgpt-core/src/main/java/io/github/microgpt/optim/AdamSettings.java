package io.github.microgpt.optim;

import io.github.microgpt.internal.ClassNames;
import io.github.microgpt.model.InvalidSettingException;
import java.util.Objects;

/**
 * The settings of an {@link AdamOptimizer}: the base learning rate, the two decays and the
 * {@code eps} of its update, and the schedule of the learning rate over a run. Immutable; every
 * value is checked when the settings are made.
 *
 * <p>Start from {@link #defaults()}, {@code microgpt.py}'s, and change what you need by name, so
 * that no two of the four numbers can be swapped unnoticed:
 *
 * <pre>{@code
 * var settings = AdamSettings.defaults().withLearningRate(0.02).withBetas(0.9, 0.95);
 * var adam = new AdamOptimizer(model.numParameters(), settings);
 * }</pre>
 *
 * @param learningRate the base learning rate, which the schedule scales at every step; positive
 *     and finite
 * @param beta1 the decay of the first moment (the running mean of the gradient), in {@code [0, 1)}
 * @param beta2 the decay of the second moment (the running mean of the squared gradient), in
 *     {@code [0, 1)}
 * @param eps added to the denominator of the update so that it is never 0; positive and finite
 * @param schedule how the learning rate changes over the run
 */
public record AdamSettings(double learningRate, double beta1, double beta2, double eps,
                           LearningRateSchedule schedule) {

    /**
     * Checks the values.
     *
     * @param learningRate the base learning rate; positive and finite
     * @param beta1 the decay of the first moment, in {@code [0, 1)}
     * @param beta2 the decay of the second moment, in {@code [0, 1)}
     * @param eps added to the denominator; positive and finite
     * @param schedule how the learning rate changes over the run
     * @throws io.github.microgpt.model.InvalidSettingException naming the first value out of range
     *     and what is allowed (its {@code component()} is the refused component's name)
     * @throws NullPointerException if {@code schedule} is null
     */
    public AdamSettings {
        requirePositiveFinite("learningRate", learningRate);
        requireDecay("beta1", beta1);
        requireDecay("beta2", beta2);
        requirePositiveFinite("eps", eps);
        Objects.requireNonNull(schedule, "schedule");
    }

    /**
     * The settings of {@code microgpt.py}: {@code learningRate = 0.01, beta1 = 0.85,
     * beta2 = 0.99, eps = 1e-8}, the rate decayed linearly to 0
     * ({@link LearningRateSchedule#LINEAR_DECAY}).
     *
     * @return the reference settings
     */
    public static AdamSettings defaults() {
        return new AdamSettings(0.01, 0.85, 0.99, 1e-8, LearningRateSchedule.LINEAR_DECAY);
    }

    /**
     * A copy with another base learning rate.
     *
     * @param newLearningRate the base learning rate; positive and finite
     * @return the new settings
     * @throws IllegalArgumentException if the rate is out of range
     */
    public AdamSettings withLearningRate(double newLearningRate) {
        return new AdamSettings(newLearningRate, beta1, beta2, eps, schedule);
    }

    /**
     * A copy with other decays of the two moments, given in the order PyTorch's
     * {@code betas=(beta1, beta2)} takes them.
     *
     * @param newBeta1 the decay of the first moment, in {@code [0, 1)}
     * @param newBeta2 the decay of the second moment, in {@code [0, 1)}
     * @return the new settings
     * @throws IllegalArgumentException if a decay is out of range
     */
    public AdamSettings withBetas(double newBeta1, double newBeta2) {
        return new AdamSettings(learningRate, newBeta1, newBeta2, eps, schedule);
    }

    /**
     * A copy with another {@code eps}.
     *
     * @param newEps added to the denominator; positive and finite
     * @return the new settings
     * @throws IllegalArgumentException if it is out of range
     */
    public AdamSettings withEps(double newEps) {
        return new AdamSettings(learningRate, beta1, beta2, newEps, schedule);
    }

    /**
     * A copy with another schedule.
     *
     * @param newSchedule how the learning rate changes over the run
     * @return the new settings
     * @throws NullPointerException if {@code newSchedule} is null
     */
    public AdamSettings withSchedule(LearningRateSchedule newSchedule) {
        return new AdamSettings(learningRate, beta1, beta2, eps, newSchedule);
    }

    /**
     * The four numbers and the schedule, as a record prints them, except that a lambda schedule
     * is named {@code "a lambda written in"} its class: its own {@code toString} is an address
     * that changes from run to run. The built-in schedules print by name.
     *
     * @return for example {@code AdamSettings[learningRate=0.01, beta1=0.85, beta2=0.99,
     *     eps=1.0E-8, schedule=LINEAR_DECAY]}
     */
    @Override
    public String toString() {
        return "AdamSettings[learningRate=" + learningRate + ", beta1=" + beta1 + ", beta2=" + beta2 + ", eps=" + eps
                + ", schedule=" + ClassNames.describe(schedule) + "]";
    }

    private static void requirePositiveFinite(String name, double value) {
        if (!(value > 0) || Double.isInfinite(value)) {
            throw new InvalidSettingException("{" + name + "} must be positive and finite, got " + value);
        }
    }

    private static void requireDecay(String name, double value) {
        if (!(value >= 0 && value < 1)) {
            throw new InvalidSettingException("{" + name + "} must be in [0, 1), got " + value);
        }
    }
}
