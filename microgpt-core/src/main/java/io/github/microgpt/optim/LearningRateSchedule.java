package io.github.microgpt.optim;

/**
 * How the learning rate changes over a training run.
 *
 * <p>{@link #LINEAR_DECAY}, the default, is {@code microgpt.py}'s: it starts at the base rate and
 * falls in a straight line towards 0 at the last step, so that late steps make small, careful
 * changes.
 */
@FunctionalInterface
public interface LearningRateSchedule {

    /** {@code baseRate * (1 - step / totalSteps)}: from the base rate down to nearly 0. */
    LearningRateSchedule LINEAR_DECAY = (baseRate, step, totalSteps) -> baseRate * (1 - (double) step / totalSteps);

    /** The base rate at every step. */
    LearningRateSchedule CONSTANT = (baseRate, step, totalSteps) -> baseRate;

    /**
     * The learning rate of one step.
     *
     * @param baseRate the optimizer's base learning rate
     * @param step the step, counted from 0
     * @param totalSteps the number of steps of the run
     * @return the rate to use at {@code step}
     */
    double rate(double baseRate, int step, int totalSteps);
}
