package io.github.microgpt.sample;

/**
 * Thrown when a model's logits are not all finite, so that no token can be drawn from them: the
 * one way sampling fails because of the model's weights rather than a bad argument.
 *
 * <p><b>How it happens.</b> The next token is drawn from {@code softmax(logits / temperature)}.
 * If one logit is infinite or NaN, the softmax's sum is too, every probability becomes NaN, and
 * the draw would be meaningless. A logit is a sum of products of weights and activations, so even
 * weights that are each finite can overflow a {@code double} (beyond about {@code 1.8e308}) when
 * they are large enough; weights that are NaN make NaN logits. Training makes such weights when
 * its learning rate is so large that an update throws the weights far off (the run diverged), and
 * a damaged or hand-made checkpoint can hold them. The message names the position and the token
 * whose logit was not finite.
 *
 * <p><b>What to do.</b> Nothing about the sampler's options fixes it: the model itself cannot be
 * sampled. Train again with a smaller learning rate, or load a checkpoint saved before the
 * divergence.
 *
 * <p>It is an {@link IllegalStateException} (the model is in a state it cannot be sampled in), so
 * code that catches that still catches it; catch this type to tell it apart from other failures.
 * {@link Sampler} and {@link NextToken#after} throw it.
 */
public final class NonFiniteLogitsException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what was not finite, and where
     */
    NonFiniteLogitsException(String message) {
        super(message);
    }
}
