package io.github.microgpt.train;

/**
 * Hears about every finished training step: the loss, and the learning rate of the update.
 * Register one with {@link Trainer#addStepListener}; a lambda will do:
 *
 * <pre>{@code
 * trainer.addStepListener(e -> System.out.println("step " + e.step() + " loss " + e.loss()));
 * }</pre>
 *
 * <p>Like every listener of the library it runs on the thread that produces the event (here the
 * training thread), between computations, sees an event that does not change, and cannot change
 * the run.
 */
@FunctionalInterface
public interface StepListener {

    /**
     * Called after each step, once the parameters are updated.
     *
     * @param event the step
     */
    void onStep(StepEvent event);
}
