package io.github.microgpt.checkpoint;

import io.github.microgpt.internal.ModelChecks;
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
 * <p>Immutable: the moment arrays are copied in and out. {@link AdamOptimizer#state()} takes an
 * optimizer's state, {@link AdamOptimizer#restore} puts it back, and {@link #toOptimizer()} makes a
 * new optimizer in it.
 *
 * <p>A schedule of your own is saved too, though not its code: a checkpoint records its class's
 * name and a digest of the rate it gives at every step of the run. Such a run resumes once the
 * same schedule is given back ({@link Checkpoint#withSchedule}), which checks that it gives the
 * same rates; until then the {@code settings} of a loaded state hold a stand-in that computes no
 * rate.
 *
 * @param settings the optimizer's settings; their schedule may be any: see above
 * @param firstMoments the running means of the gradients; finite
 * @param secondMoments the running means of the squared gradients; finite and not negative, as
 *     many as the first moments
 */
public record OptimizerState(AdamSettings settings, double[] firstMoments, double[] secondMoments) {

    /** The name of {@link LearningRateSchedule#LINEAR_DECAY} in a checkpoint. */
    static final String LINEAR_DECAY = "linear_decay";
    /** The name of {@link LearningRateSchedule#CONSTANT} in a checkpoint. */
    static final String CONSTANT = "constant";
    /** The name of a schedule of the user's own in a checkpoint. */
    static final String CUSTOM = "custom";

    /**
     * Checks and copies the values.
     *
     * @param settings the optimizer's settings
     * @param firstMoments the running means of the gradients; finite
     * @param secondMoments the running means of the squared gradients; finite and not negative, as many as the first moments
     * @throws IllegalArgumentException naming the first moment out of range
     * @throws NullPointerException if an argument is null, naming it
     */
    public OptimizerState {
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(firstMoments, "firstMoments");
        Objects.requireNonNull(secondMoments, "secondMoments");
        firstMoments = firstMoments.clone();
        secondMoments = secondMoments.clone();
        // The optimizer's own rules, without building one: an optimizer allocates two arrays of
        // moments and restoring copies them again, 32 bytes a parameter thrown away at once
        // (100 MB while a 3.2-million-parameter checkpoint loaded, most of it left in the old
        // generation as garbage).
        ModelChecks.moments(firstMoments.length, firstMoments, secondMoments);
    }

    /**
     * A new optimizer in this state: the next {@link AdamOptimizer#step} continues where the saved
     * one stopped.
     *
     * @return the optimizer
     * @throws IllegalStateException if the state was loaded from a run with a schedule of its own
     *     that has not been given back ({@link Checkpoint#withSchedule}): the optimizer would have
     *     no rate to step with
     */
    public AdamOptimizer toOptimizer() {
        if (settings.schedule() instanceof SavedSchedule saved) {
            throw new IllegalStateException(saved.missing());
        }
        AdamOptimizer optimizer = new AdamOptimizer(firstMoments.length, settings);
        optimizer.restoreMoments(firstMoments, secondMoments);
        return optimizer;
    }

    /**
     * The name of the schedule, as a checkpoint records it (for a person reading or comparing
     * checkpoints).
     *
     * @return {@code "linear_decay"}, {@code "constant"}, or {@code "custom"} for a schedule of
     *     your own
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

    /** Whether every moment is 0, as before an optimizer's first step. */
    boolean hasZeroMoments() {
        for (int i = 0; i < firstMoments.length; i++) {
            if (firstMoments[i] != 0.0 || secondMoments[i] != 0.0) {
                return false;
            }
        }
        return true;
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
        return CUSTOM;
    }

    /**
     * The schedule a checkpoint names.
     *
     * @param name {@value #LINEAR_DECAY}, {@value #CONSTANT} or {@value #CUSTOM}
     * @param className for {@value #CUSTOM}, the class of the user's schedule
     * @param sha256 for {@value #CUSTOM}, the digest of its rates
     * @return the built-in schedule, or the stand-in for the user's
     */
    static LearningRateSchedule scheduleOf(String name, String className, String sha256) {
        if (name.equals(CUSTOM)) {
            return new SavedSchedule(className, sha256);
        }
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
