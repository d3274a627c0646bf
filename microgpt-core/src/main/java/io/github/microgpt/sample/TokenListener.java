package io.github.microgpt.sample;

/**
 * Hears about every token a {@link Sampler} draws: what the model saw, the distribution, and the
 * token. Register one with {@link Sampler#addTokenListener}:
 *
 * <pre>{@code
 * sampler.addTokenListener(e -> System.out.println(e.posId() + " -> " + e.tokenId()));
 * }</pre>
 *
 * <p>It runs on the generating thread, which waits for it, in the order the listeners were added
 * (the contract in full: {@link io.github.microgpt.sample}), and should return quickly.
 */
@FunctionalInterface
public interface TokenListener {

    /**
     * Called after each token is drawn.
     *
     * @param event the token
     */
    void onToken(TokenEvent event);
}
