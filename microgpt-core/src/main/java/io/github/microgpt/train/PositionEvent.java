package io.github.microgpt.train;

import java.util.Arrays;
import java.util.Objects;

/**
 * One trained position: the model read {@code context} and predicted the token after it.
 *
 * <p>The arrays are the event's own copies, made once when the event is made and shared by every
 * listener of this event: read them, but do not change them (copy one to keep a changed version).
 *
 * <p><b>Made by the library; a listener only receives it.</b> A {@link Trainer} builds every
 * {@code PositionEvent} and hands it to the listeners: your code never needs to make one. Read its
 * components by their names ({@code event.loss()}). Do not call its constructor, and do not take
 * it apart by position with a record pattern ({@code case PositionEvent(var step, var document,
 * ...) ->}): a minor release may add components, which changes the constructor and the pattern but
 * not the accessors. (To test a listener of your own, give it the events of a small real run.)
 *
 * @param step the number of the training step this position belongs to, from 1
 * @param document the document being trained on
 * @param posId the position of the input token, from 0
 * @param context the tokens the model has read, from BOS up to and including the input token
 * @param inputTokenId the token at {@code posId} (the last of the context)
 * @param targetTokenId the token the model should predict, at {@code posId + 1}
 * @param probabilities the model's predicted distribution of the next token
 * @param loss {@code -log(probabilities[targetTokenId])}
 */
public record PositionEvent(int step, String document, int posId, int[] context, int inputTokenId,
                            int targetTokenId, double[] probabilities, double loss) {

    /**
     * Copies the arrays once, so that the event does not change when its producer computes on.
     *
     * @param step the step number, from 1
     * @param document the document
     * @param posId the position
     * @param context the tokens read
     * @param inputTokenId the token read last
     * @param targetTokenId the right next token
     * @param probabilities the prediction
     * @param loss the loss of this position
     * @throws NullPointerException if {@code document}, {@code context} or {@code probabilities}
     *     is null, naming it
     */
    public PositionEvent {
        Objects.requireNonNull(document, "document");
        Objects.requireNonNull(context, "context");
        Objects.requireNonNull(probabilities, "probabilities");
        context = context.clone();
        probabilities = probabilities.clone();
    }

    /**
     * Whether another object is a position event with the same components, the arrays compared
     * element by element and the loss as {@link Double#compare} compares it. (A record compares
     * arrays by identity, and every event holds copies of its own, so without this two events
     * made from the same arrays would differ.)
     *
     * @param other another object
     * @return whether it is an equal event
     */
    @Override
    public boolean equals(Object other) {
        return other instanceof PositionEvent e && step == e.step && document.equals(e.document)
                && posId == e.posId && Arrays.equals(context, e.context) && inputTokenId == e.inputTokenId
                && targetTokenId == e.targetTokenId && Arrays.equals(probabilities, e.probabilities)
                && Double.compare(loss, e.loss) == 0;
    }

    /**
     * A hash code consistent with {@link #equals(Object)}: of the arrays' contents.
     *
     * @return the hash code
     */
    @Override
    public int hashCode() {
        return Objects.hash(step, document, posId, Arrays.hashCode(context), inputTokenId, targetTokenId,
                Arrays.hashCode(probabilities), loss);
    }

    /**
     * Shows every component, the arrays' elements included.
     *
     * @return for example {@code PositionEvent[step=1, document=ann, posId=0, context=[26], ...]}
     */
    @Override
    public String toString() {
        return "PositionEvent[step=" + step + ", document=" + document + ", posId=" + posId + ", context="
                + Arrays.toString(context) + ", inputTokenId=" + inputTokenId + ", targetTokenId=" + targetTokenId
                + ", probabilities=" + Arrays.toString(probabilities) + ", loss=" + loss + "]";
    }
}
