package io.github.microgpt.sample;

import java.util.Arrays;
import java.util.Objects;

/**
 * A finished sample.
 *
 * <p>An event is a value: it keeps its own copy of the tokens it is made from, and
 * {@link #tokens()} returns a new copy, so that no listener can change what another reads.
 *
 * <p><b>Made by the library; a listener only receives it.</b> A {@link Sampler} builds every
 * {@code SampleEvent} and hands it to the listeners; its constructor is not public. It is a final
 * class with accessors rather than a record, so that a later release can report more (a new
 * accessor) without breaking a program that reads it: nothing outside the library constructs it
 * or takes it apart by position. (To test a listener of your own, give it the events of a small
 * real run.)
 */
public final class SampleEvent {

    private final int sampleNumber;
    private final String text;
    private final int[] tokens;

    /** Made by the library only (see the class comment): the arrays are copied once. */
    SampleEvent(int sampleNumber, String text, int[] tokens) {
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(tokens, "tokens");
        this.sampleNumber = sampleNumber;
        this.text = text;
        this.tokens = tokens.clone();
    }

    /**
     * The number of the sample, from 1, as {@code microgpt.py} prints {@code sample 1: ...}
     * (a number; the text is {@link #text()}).
     *
     * @return the sample's number
     */
    public int sampleNumber() {
        return sampleNumber;
    }

    /**
     * The generated text, starting with the prefix if there was one (BOS tokens are not part
     * of it).
     *
     * @return the text
     */
    public String text() {
        return text;
    }

    /**
     * The tokens of the text (prefix included), without the leading BOS and without the final
     * BOS.
     *
     * @return the tokens, a new copy
     */
    public int[] tokens() {
        return tokens.clone();
    }

    /**
     * Whether another object is a {@code SampleEvent} with the same components, the arrays compared
     * element by element and the numbers as {@link Double#compare} compares them.
     *
     * @param other another object
     * @return whether it is equal
     */
    @Override
    public boolean equals(Object other) {
        return other instanceof SampleEvent e
                && sampleNumber == e.sampleNumber
                && Objects.equals(text, e.text)
                && Arrays.equals(tokens, e.tokens);
    }

    /**
     * A hash code consistent with {@link #equals(Object)}.
     *
     * @return the hash code
     */
    @Override
    public int hashCode() {
        return Objects.hash(sampleNumber, text, Arrays.hashCode(tokens));
    }

    /**
     * Shows every component, the arrays' elements included, as a record would.
     *
     * @return for example {@code SampleEvent[sampleNumber=1, text=ann, tokens=[0, 13, 13]]}
     */
    @Override
    public String toString() {
        return "SampleEvent[sampleNumber=" + sampleNumber + ", text=" + text + ", tokens="
                + Arrays.toString(tokens) + "]";
    }
}
