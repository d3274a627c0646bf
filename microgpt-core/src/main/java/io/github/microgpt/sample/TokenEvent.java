package io.github.microgpt.sample;

import java.util.Objects;

/**
 * One generated token: what the model saw, what it predicted, and what was drawn.
 *
 * <p>The arrays are the event's own copies, made once when the event is made and shared by every
 * listener of this event: read them, but do not change them (copy one to keep a changed version).
 *
 * @param sample the number of the sample being generated, from 1
 * @param posId the position the model read, from 0
 * @param context the tokens read so far, from BOS up to and including the one at {@code posId}
 * @param probabilities the distribution the token was drawn from (after the temperature and any
 *     top-k filter)
 * @param token the token drawn; BOS ends the sample
 */
public record TokenEvent(int sample, int posId, int[] context, double[] probabilities, int token) {

    /**
     * Copies the arrays once, so that the event does not change when the sampler draws on.
     *
     * @param sample the number of the sample, from 1
     * @param posId the position read
     * @param context the tokens read so far
     * @param probabilities the distribution drawn from
     * @param token the token drawn
     * @throws NullPointerException if {@code context} or {@code probabilities} is null, naming it
     */
    public TokenEvent {
        Objects.requireNonNull(context, "context");
        Objects.requireNonNull(probabilities, "probabilities");
        context = context.clone();
        probabilities = probabilities.clone();
    }
}
