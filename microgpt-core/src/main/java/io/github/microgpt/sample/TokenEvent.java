package io.github.microgpt.sample;

import java.util.Arrays;
import java.util.Objects;

/**
 * One generated token: what the model saw, what it predicted, and what was drawn.
 *
 * <p>An event is a value: it keeps its own copies of the arrays it is made from, and each array
 * accessor returns a new copy, so that no listener can change what another reads. (Events are
 * made only while a token listener is registered, so the copies cost sampling without one
 * nothing.) To read one probability without copying the whole distribution, use
 * {@link #probability(int)}.
 *
 * <p>{@code sampleNumber()} is the sample's number, as {@code step()} is the step's in the
 * trainer's events ({@link io.github.microgpt.train.StepEvent#step()}): {@code microgpt.py} prints
 * {@code sample 1: ...}, and {@link SampleEvent#sampleNumber()} and
 * {@link Sampler.Generation#sampleNumber()} give the same number. It is a number, not a text: the
 * text so far is {@link Sampler.Generation#text()}, the finished text is {@link SampleEvent#text()},
 * and {@link Sampler#sample(double)} is the verb that generates one.
 *
 * <p><b>Made by the library; a listener only receives it.</b> A {@link Sampler} builds every
 * {@code TokenEvent} and hands it to the listeners; its constructor is not public. It is a final
 * class with accessors rather than a record, so that a later release can report more (a new
 * accessor) without breaking a program that reads it: nothing outside the library constructs it
 * or takes it apart by position. (To test a listener of your own, give it the events of a small
 * real run.)
 */
public final class TokenEvent {

    private final int sampleNumber;
    private final int posId;
    private final int[] context;
    private final double[] probabilities;
    private final int tokenId;

    /** Made by the library only (see the class comment): the arrays are copied once. */
    TokenEvent(int sampleNumber, int posId, int[] context, double[] probabilities, int tokenId) {
        Objects.requireNonNull(context, "context");
        Objects.requireNonNull(probabilities, "probabilities");
        this.sampleNumber = sampleNumber;
        this.posId = posId;
        this.context = context.clone();
        this.probabilities = probabilities.clone();
        this.tokenId = tokenId;
    }

    /**
     * The number of the sample being generated, from 1 (not its text).
     *
     * @return the sample's number
     */
    public int sampleNumber() {
        return sampleNumber;
    }

    /**
     * The position the model read, from 0: {@code pos_id} in
     * {@code microgpt.py}, beside the token's {@code token_id}, as the models'
     * {@code forward(tokenId, posId, cache)} names it.
     *
     * @return the position
     */
    public int posId() {
        return posId;
    }

    /**
     * The tokens read so far, from BOS up to and including the one at {@code posId}.
     *
     * @return the tokens read, a new copy
     */
    public int[] context() {
        return context.clone();
    }

    /**
     * The distribution the token was drawn from (after the temperature and any top-k filter).
     *
     * @return one probability per token id, a new copy
     */
    public double[] probabilities() {
        return probabilities.clone();
    }

    /**
     * The probability one token was drawn with, without copying the distribution.
     *
     * @param tokenId a token id, from 0 to the vocabulary's size less 1
     * @return its probability
     * @throws IndexOutOfBoundsException if {@code tokenId} is not a token id of the vocabulary
     */
    public double probability(int tokenId) {
        return probabilities[java.util.Objects.checkIndex(tokenId, probabilities.length)];
    }

    /**
     * The id of the token drawn; BOS ends the sample.
     *
     * @return the token drawn
     */
    public int tokenId() {
        return tokenId;
    }

    /**
     * Whether another object is a {@code TokenEvent} with the same components, the arrays compared
     * element by element and the numbers as {@link Double#compare} compares them.
     *
     * @param other another object
     * @return whether it is equal
     */
    @Override
    public boolean equals(Object other) {
        return other instanceof TokenEvent e
                && sampleNumber == e.sampleNumber
                && posId == e.posId
                && Arrays.equals(context, e.context)
                && Arrays.equals(probabilities, e.probabilities)
                && tokenId == e.tokenId;
    }

    /**
     * A hash code consistent with {@link #equals(Object)}.
     *
     * @return the hash code
     */
    @Override
    public int hashCode() {
        return Objects.hash(sampleNumber, posId, Arrays.hashCode(context), Arrays.hashCode(probabilities), tokenId);
    }

    /**
     * Shows every component, the arrays' elements included, as a record would.
     *
     * @return for example {@code TokenEvent[sampleNumber=1, posId=0, context=[26], probabilities=[...], tokenId=0]}
     */
    @Override
    public String toString() {
        return "TokenEvent[sampleNumber=" + sampleNumber + ", posId=" + posId + ", context="
                + Arrays.toString(context) + ", probabilities=" + Arrays.toString(probabilities)
                + ", tokenId=" + tokenId + "]";
    }
}
