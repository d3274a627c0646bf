package io.github.microgpt.train;

/**
 * Hears about training as it happens: every trained position and every finished step. Both
 * methods do nothing by default; override the ones you need. Listeners run on the training thread
 * between computations, see immutable events, and cannot change the run. A trainer with no
 * listeners does not build the events at all.
 */
public interface TrainingListener {

    /**
     * Called for each position whose prediction counts in the loss, in order, before the
     * parameters are updated.
     *
     * @param event the position
     */
    default void onPosition(PositionEvent event) {
    }

    /**
     * Called after each step, once the parameters are updated.
     *
     * @param event the step
     */
    default void onStep(StepEvent event) {
    }
}
