package io.github.microgpt.train;

/**
 * Hears about every trained position: what the model read, what it predicted and the loss.
 * Register one with {@link Trainer#addPositionListener}:
 *
 * <pre>{@code
 * trainer.addPositionListener(e -> System.out.println(e.posId() + ": " + e.loss()));
 * }</pre>
 *
 * <p>A trainer with no position listener does not build these events at all. It runs on the
 * training thread, in the order the listeners were added (the contract in full:
 * {@link io.github.microgpt.train}); if it throws, the step is not applied.
 */
@FunctionalInterface
public interface PositionListener {

    /**
     * Called for each position whose prediction counts in the loss, in order, before the
     * gradients are used.
     *
     * @param event the position
     */
    void onPosition(PositionEvent event);
}
