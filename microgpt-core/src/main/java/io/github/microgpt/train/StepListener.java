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
 * one that calls {@code step}), which waits for it; listeners are told in the order they were added
 * (the contract in full: {@link io.github.microgpt.train}). A step listener is told once the step
 * is applied, so it may stop the run ({@link Trainer#requestStop()}), take another step, save a
 * checkpoint, or sample the model; if it throws, the exception reaches the caller of
 * {@code step} or {@code run}, and the step stays done.
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
