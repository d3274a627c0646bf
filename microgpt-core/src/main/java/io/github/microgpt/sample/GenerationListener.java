package io.github.microgpt.sample;

/**
 * Hears about generation as it happens: every token drawn and every finished sample. Both methods
 * do nothing by default; override the ones you need. Listeners run on the generating thread and
 * should return quickly.
 */
public interface GenerationListener {

    /**
     * Called after each token is drawn.
     *
     * @param event the token
     */
    default void onToken(TokenEvent event) {
    }

    /**
     * Called when a sample ends (BOS was drawn or the block size was reached).
     *
     * @param event the sample
     */
    default void onSample(SampleEvent event) {
    }
}
