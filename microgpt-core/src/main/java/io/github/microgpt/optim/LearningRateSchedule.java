package io.github.microgpt.optim;

/**
 * How the learning rate changes over a training run.
 *
 * <p>{@link #LINEAR_DECAY}, the default, is {@code microgpt.py}'s: it starts at the base rate and
 * falls in a straight line towards 0 at the last step, so that late steps make small, careful
 * changes.
 *
 * <p>Steps are counted here as in {@code microgpt.py}'s {@code for step in range(num_steps)}:
 * by a {@code stepIndex} from 0, {@code 0 <= stepIndex < totalSteps}. (The trainer's events,
 * {@code StepEvent} and {@code GradientEvent}, number steps from 1 as {@code microgpt.py} prints
 * them: event step {@code n} is {@code stepIndex n - 1}.) The two schedules here refuse anything
 * else, since outside the run the straight line goes on below 0 (a negative rate would climb the
 * loss) or divides by a run of no steps. {@link AdamOptimizer} checks the index before it asks any
 * schedule, your own included.
 *
 * <p><b>A schedule of your own</b> (a warm-up, a cosine: a lambda will do) trains like the two here,
 * under one rule: it must be a function of its three arguments only, the same rate for the same
 * arguments every time, with no state of its own and no randomness. The optimizer may ask for a
 * step's rate more than once, and a checkpoint, which cannot hold code, records your schedule by
 * the rates it gives at every step of the run (its class's name and their SHA-256). Saving such a
 * run works as with the built-in schedules; to resume it, give the schedule back
 * ({@code Checkpoint.load(dir).withSchedule(schedule)}), which is refused unless it gives the very
 * same rates, so that a resumed run never continues with other ones.
 */
@FunctionalInterface
public interface LearningRateSchedule {

    /**
     * {@code baseRate * (1 - stepIndex / totalSteps)}: from the base rate down to nearly 0 (the last
     * step's rate is {@code baseRate / totalSteps}). Its {@code toString()} is
     * {@code "LINEAR_DECAY"}, so that {@code AdamSettings.defaults()} prints it by name.
     */
    LearningRateSchedule LINEAR_DECAY = new LearningRateSchedule() {
        @Override
        public double rate(double baseRate, int stepIndex, int totalSteps) {
            checkStep(stepIndex, totalSteps);
            return baseRate * (1 - (double) stepIndex / totalSteps);
        }

        @Override
        public String toString() {
            return "LINEAR_DECAY";
        }
    };

    /** The base rate at every step of the run. Its {@code toString()} is {@code "CONSTANT"}. */
    LearningRateSchedule CONSTANT = new LearningRateSchedule() {
        @Override
        public double rate(double baseRate, int stepIndex, int totalSteps) {
            checkStep(stepIndex, totalSteps);
            return baseRate;
        }

        @Override
        public String toString() {
            return "CONSTANT";
        }
    };

    /**
     * The learning rate of one step.
     *
     * @param baseRate the optimizer's base learning rate
     * @param stepIndex the step's index, counted from 0 (the step a {@code StepEvent} numbers
     *     {@code stepIndex + 1}); below {@code totalSteps}
     * @param totalSteps the number of steps of the run; at least 1
     * @return the rate to use at {@code stepIndex}
     * @throws IllegalArgumentException (from {@link #LINEAR_DECAY} and {@link #CONSTANT}) if
     *     {@code totalSteps} is below 1 or {@code stepIndex} is outside {@code [0, totalSteps)}
     */
    double rate(double baseRate, int stepIndex, int totalSteps);

    /**
     * Refuses a step outside the run, naming the index and the run.
     *
     * @param stepIndex the step's index, from 0
     * @param totalSteps the number of steps of the run
     * @throws IllegalArgumentException unless {@code totalSteps >= 1} and {@code 0 <= stepIndex < totalSteps}
     */
    private static void checkStep(int stepIndex, int totalSteps) {
        if (totalSteps < 1) {
            throw new IllegalArgumentException("totalSteps must be at least 1, got " + totalSteps);
        }
        if (stepIndex < 0 || stepIndex >= totalSteps) {
            throw new IllegalArgumentException("stepIndex must be from 0 to totalSteps - 1 = " + (totalSteps - 1)
                    + ", got " + stepIndex + " (it counts from 0: the step a StepEvent numbers 1 has index 0)");
        }
    }
}
