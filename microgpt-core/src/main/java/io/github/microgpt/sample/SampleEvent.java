package io.github.microgpt.sample;

/**
 * A finished sample.
 *
 * @param sample the number of the sample, from 1
 * @param text the generated text, starting with the prefix if there was one (BOS tokens are not
 *     part of it)
 * @param tokens the tokens of the text (prefix included), without the leading BOS and without
 *     the final BOS
 */
public record SampleEvent(int sample, String text, int[] tokens) {

    /**
     * Copies the tokens, so that the event cannot change afterwards.
     *
     * @param sample the number of the sample, from 1
     * @param text the generated text
     * @param tokens the generated tokens
     */
    public SampleEvent {
        tokens = tokens.clone();
    }

    /**
     * The generated tokens.
     *
     * @return a copy
     */
    @Override
    public int[] tokens() {
        return tokens.clone();
    }
}
