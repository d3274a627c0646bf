package io.github.microgpt.train;

/**
 * Hears about the gradients of every step, in the moment between the backward pass and the
 * optimizer's update: afterwards the optimizer has used them and set them back to 0. Register one
 * with {@link Trainer#addGradientListener}:
 *
 * <pre>{@code
 * trainer.addGradientListener(e -> System.out.println("|g| of wte[0][0] = " + e.parameters().grad(0)));
 * }</pre>
 *
 * <p>It is not called for a step whose loss is not finite, which is not applied. It runs on the
 * training thread, in the order the listeners were added (the contract in full:
 * {@link io.github.microgpt.train}); if it throws, the step is not applied. Its one method is
 * named after its event, as every listener of the library is ({@code StepListener.onStep(StepEvent)},
 * {@code GradientListener.onGradient(GradientEvent)}), so a class that implements several listeners
 * reads as a list of the events it hears.
 */
@FunctionalInterface
public interface GradientListener {

    /**
     * Called once per step, after the gradients are computed and before the update.
     *
     * @param event the step's gradients
     */
    void onGradient(GradientEvent event);
}
