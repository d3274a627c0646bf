package io.github.microgpt.sample;

import java.util.Arrays;
import java.util.Objects;

/**
 * One generated token: what the model saw, what it predicted, and what was drawn.
 *
 * <p>The arrays are the event's own copies, made once when the event is made and shared by every
 * listener of this event: read them, but do not change them (copy one to keep a changed version).
 *
 * <p>{@code sampleNumber()} is the sample's number, as {@code step()} is the step's in the
 * trainer's events ({@link io.github.microgpt.train.StepEvent#step()}): {@code microgpt.py} prints
 * {@code sample 1: ...}, and {@link SampleEvent#sampleNumber()} and
 * {@link Sampler.Generation#sampleNumber()} give the same number. It is a number, not a text: the
 * text so far is {@link Sampler.Generation#text()}, the finished text is {@link SampleEvent#text()},
 * and {@link Sampler#sample(double)} is the verb that generates one.
 *
 * <p><b>Made by the library; a listener only receives it.</b> A {@link Sampler} builds every
 * {@code TokenEvent} and hands it to the listeners: your code never needs to make one. Read its
 * components by their names ({@code event.tokenId()}). Do not call its constructor, and do not
 * take it apart by position with a record pattern ({@code case TokenEvent(var n, var pos, var
 * context, var p, var id) ->}): a minor release may add components, which changes the constructor
 * and the pattern but not the accessors. (To test a listener of your own, give it the events of a
 * small real run.)
 *
 * @param sampleNumber the number of the sample being generated, from 1 (not its text)
 * @param posId the position the model read, from 0
 * @param context the tokens read so far, from BOS up to and including the one at {@code posId}
 * @param probabilities the distribution the token was drawn from (after the temperature and any
 *     top-k filter)
 * @param tokenId the id of the token drawn; BOS ends the sample
 */
public record TokenEvent(int sampleNumber, int posId, int[] context, double[] probabilities, int tokenId) {

    /**
     * Copies the arrays once, so that the event does not change when the sampler draws on.
     *
     * @param sampleNumber the number of the sample, from 1
     * @param posId the position read
     * @param context the tokens read so far
     * @param probabilities the distribution drawn from
     * @param tokenId the id of the token drawn
     * @throws NullPointerException if {@code context} or {@code probabilities} is null, naming it
     */
    public TokenEvent {
        Objects.requireNonNull(context, "context");
        Objects.requireNonNull(probabilities, "probabilities");
        context = context.clone();
        probabilities = probabilities.clone();
    }

    /**
     * Whether another object is a token event with the same components, the arrays compared
     * element by element. (A record compares arrays by identity, and every event holds copies of
     * its own, so without this two events made from the same arrays would differ.)
     *
     * @param other another object
     * @return whether it is an equal event
     */
    @Override
    public boolean equals(Object other) {
        return other instanceof TokenEvent e && sampleNumber == e.sampleNumber && posId == e.posId && tokenId == e.tokenId
                && Arrays.equals(context, e.context) && Arrays.equals(probabilities, e.probabilities);
    }

    /**
     * A hash code consistent with {@link #equals(Object)}: of the arrays' contents.
     *
     * @return the hash code
     */
    @Override
    public int hashCode() {
        return Objects.hash(sampleNumber, posId, Arrays.hashCode(context), Arrays.hashCode(probabilities), tokenId);
    }

    /**
     * Shows every component, the arrays' elements included.
     *
     * @return for example {@code TokenEvent[sampleNumber=1, posId=0, context=[26], probabilities=[...], tokenId=0]}
     */
    @Override
    public String toString() {
        return "TokenEvent[sampleNumber=" + sampleNumber + ", posId=" + posId + ", context=" + Arrays.toString(context)
                + ", probabilities=" + Arrays.toString(probabilities) + ", tokenId=" + tokenId + "]";
    }
}
