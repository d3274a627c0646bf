package io.github.microgpt.sample;

import java.util.Objects;

/**
 * A finished sample.
 *
 * <p>The arrays are the event's own copies, made once when the event is made and shared by every
 * listener of this event: read them, but do not change them (copy one to keep a changed version).
 *
 * @param sample the number of the sample, from 1
 * @param text the generated text, starting with the prefix if there was one (BOS tokens are not
 *     part of it)
 * @param tokens the tokens of the text (prefix included), without the leading BOS and without
 *     the final BOS
 */
public record SampleEvent(int sample, String text, int[] tokens) {

    /**
     * Copies the tokens once, so that the event does not change afterwards.
     *
     * @param sample the number of the sample, from 1
     * @param text the generated text
     * @param tokens the generated tokens
     * @throws NullPointerException if {@code text} or {@code tokens} is null, naming it
     */
    public SampleEvent {
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(tokens, "tokens");
        tokens = tokens.clone();
    }
}
