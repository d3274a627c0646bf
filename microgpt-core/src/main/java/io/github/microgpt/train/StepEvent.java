package io.github.microgpt.train;

import java.util.Objects;

/**
 * A finished training step: the loss was computed, back-propagated and the parameters updated.
 *
 * <p><b>Made by the library; a listener only receives it.</b> A {@link Trainer} builds every
 * {@code StepEvent} and hands it to the listeners; its constructor is not public. It is a final
 * class with accessors rather than a record, so that a later release can report more (a new
 * accessor) without breaking a program that reads it: nothing outside the library constructs it
 * or takes it apart by position. (To test a listener of your own, give it the events of a small
 * real run.)
 */
public final class StepEvent {

    private final int step;
    private final int totalSteps;
    private final double loss;
    private final double learningRate;

    /** Made by the library only (see the class comment). */
    StepEvent(int step, int totalSteps, double loss, double learningRate) {
        this.step = step;
        this.totalSteps = totalSteps;
        this.loss = loss;
        this.learningRate = learningRate;
    }

    /**
     * The number of the step, from 1 ({@code microgpt.py} prints {@code step 1 / 1000} for the
     * first): the {@code stepIndex} from 0 that {@code AdamOptimizer} and
     * {@code LearningRateSchedule} take, plus 1.
     *
     * @return the step's number, from 1
     */
    public int step() {
        return step;
    }

    /**
     * The number of steps of the run.
     *
     * @return the run's length in steps
     */
    public int totalSteps() {
        return totalSteps;
    }

    /**
     * The loss of the step, computed before the update.
     *
     * @return the step's loss
     */
    public double loss() {
        return loss;
    }

    /**
     * The learning rate the step's update used.
     *
     * @return the learning rate
     */
    public double learningRate() {
        return learningRate;
    }

    /**
     * Whether another object is a {@code StepEvent} with the same components, the numbers as
     * {@link Double#compare} compares them (as a record would).
     *
     * @param other another object
     * @return whether it is equal
     */
    @Override
    public boolean equals(Object other) {
        return other instanceof StepEvent e
                && step == e.step
                && totalSteps == e.totalSteps
                && Double.compare(loss, e.loss) == 0
                && Double.compare(learningRate, e.learningRate) == 0;
    }

    /**
     * A hash code consistent with {@link #equals(Object)}.
     *
     * @return the hash code
     */
    @Override
    public int hashCode() {
        return Objects.hash(step, totalSteps, loss, learningRate);
    }

    /**
     * Shows every component, as a record would.
     *
     * @return for example {@code StepEvent[step=1, totalSteps=1000, loss=3.3660..., learningRate=0.01]}
     */
    @Override
    public String toString() {
        return "StepEvent[step=" + step + ", totalSteps=" + totalSteps + ", loss=" + loss + ", learningRate="
                + learningRate + "]";
    }
}
