package io.github.microgpt.sample;

import java.util.Arrays;
import java.util.Objects;

/**
 * A finished sample.
 *
 * <p>The arrays are the event's own copies, made once when the event is made and shared by every
 * listener of this event: read them, but do not change them (copy one to keep a changed version).
 *
 * <p><b>Made by the library; a listener only receives it.</b> A {@link Sampler} builds every
 * {@code SampleEvent} and hands it to the listeners: your code never needs to make one. Read its
 * components by their names ({@code event.text()}). Do not call its constructor, and do not take
 * it apart by position with a record pattern ({@code case SampleEvent(var n, var text, var tokens)
 * ->}): a minor release may add components, which changes the constructor and the pattern but not
 * the accessors. (To test a listener of your own, give it the events of a small real run.)
 *
 * @param sampleNumber the number of the sample, from 1, as {@code microgpt.py} prints
 *     {@code sample 1: ...} (a number; the text is {@link #text()})
 * @param text the generated text, starting with the prefix if there was one (BOS tokens are not
 *     part of it)
 * @param tokens the tokens of the text (prefix included), without the leading BOS and without
 *     the final BOS
 */
public record SampleEvent(int sampleNumber, String text, int[] tokens) {

    /**
     * Copies the tokens once, so that the event does not change afterwards.
     *
     * @param sampleNumber the number of the sample, from 1
     * @param text the generated text
     * @param tokens the generated tokens
     * @throws NullPointerException if {@code text} or {@code tokens} is null, naming it
     */
    public SampleEvent {
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(tokens, "tokens");
        tokens = tokens.clone();
    }

    /**
     * Whether another object is a sample event with the same components, the tokens compared
     * element by element. (A record compares arrays by identity, and every event holds a copy of
     * its own, so without this two events made from the same tokens would differ.)
     *
     * @param other another object
     * @return whether it is an equal event
     */
    @Override
    public boolean equals(Object other) {
        return other instanceof SampleEvent e && sampleNumber == e.sampleNumber && text.equals(e.text)
                && Arrays.equals(tokens, e.tokens);
    }

    /**
     * A hash code consistent with {@link #equals(Object)}: of the tokens' contents.
     *
     * @return the hash code
     */
    @Override
    public int hashCode() {
        return Objects.hash(sampleNumber, text, Arrays.hashCode(tokens));
    }

    /**
     * Shows every component, the tokens included.
     *
     * @return for example {@code SampleEvent[sampleNumber=1, text=ann, tokens=[0, 13, 13]]}
     */
    @Override
    public String toString() {
        return "SampleEvent[sampleNumber=" + sampleNumber + ", text=" + text + ", tokens=" + Arrays.toString(tokens) + "]";
    }
}
