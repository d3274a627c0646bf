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
 * whose logit was not finite, and {@link #posId()}, {@link #tokenId()} and {@link #logit()} give
 * them to a program (the first such logit, in token order).
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

    /** The position of the forward pass whose logits were not finite. */
    private final int posId;
    /** The first token whose logit was not finite. */
    private final int tokenId;
    /** That logit. */
    private final double logit;

    /**
     * Creates the exception. Only the library throws it (a user catches it and reads it), so the
     * constructor is not public.
     *
     * @param message what was not finite, and where
     * @param posId the position of the forward pass that gave the logits
     * @param tokenId the first token whose logit was not finite
     * @param logit that logit: NaN or an infinity
     */
    NonFiniteLogitsException(String message, int posId, int tokenId, double logit) {
        super(message);
        this.posId = posId;
        this.tokenId = tokenId;
        this.logit = logit;
    }

    /**
     * The position ({@code pos_id} in {@code microgpt.py}) of the forward pass that gave the
     * logits: the position of the last token fed to the model, where the beginning-of-sequence
     * token is at 0. So for {@link NextToken#after} after a prefix of {@code n} tokens it is
     * {@code n}, and for a {@link Sampler} it is the position of the token just read, so the token
     * being drawn would have been at {@code posId() + 1}.
     *
     * @return the position, from 0
     */
    public int posId() {
        return posId;
    }

    /**
     * The first token, in the tokenizer's order, whose logit was not finite: the token whose
     * probability could not be computed (every probability then fails, since the softmax's sum
     * holds this logit).
     *
     * @return the token id, as {@link io.github.microgpt.text.Tokenizer#tokenText(int)} reads it
     */
    public int tokenId() {
        return tokenId;
    }

    /**
     * The logit that was not finite: {@link Double#NaN} (for example from a NaN weight, or an
     * infinity minus an infinity inside the forward pass) or an infinity (a sum that overflowed
     * a {@code double}).
     *
     * @return the logit, NaN or infinite
     */
    public double logit() {
        return logit;
    }
}
