package io.github.microgpt.train;

import java.util.Arrays;
import java.util.Objects;

/**
 * One trained position: the model read {@code context} and predicted the token after it.
 *
 * <p>An event is a value: it keeps its own copies of the arrays it is made from, and each array
 * accessor returns a new copy, so that no listener can change what another reads. (Events are
 * made only while a position listener is registered, so the copies cost a run without one
 * nothing.) To read one probability without copying the whole distribution, use
 * {@link #probability(int)}.
 *
 * <p><b>Made by the library; a listener only receives it.</b> A {@link Trainer} builds every
 * {@code PositionEvent} and hands it to the listeners; its constructor is not public. It is a final
 * class with accessors rather than a record, so that a later release can report more (a new
 * accessor) without breaking a program that reads it: nothing outside the library constructs it
 * or takes it apart by position. (To test a listener of your own, give it the events of a small
 * real run.)
 */
public final class PositionEvent {

    private final int step;
    private final String document;
    private final int posId;
    private final int[] context;
    private final int inputTokenId;
    private final int targetTokenId;
    private final double[] probabilities;
    private final double loss;

    /** Made by the library only (see the class comment): the arrays are copied once. */
    PositionEvent(int step, String document, int posId, int[] context, int inputTokenId, int targetTokenId,
                  double[] probabilities, double loss) {
        Objects.requireNonNull(document, "document");
        Objects.requireNonNull(context, "context");
        Objects.requireNonNull(probabilities, "probabilities");
        this.step = step;
        this.document = document;
        this.posId = posId;
        this.context = context.clone();
        this.inputTokenId = inputTokenId;
        this.targetTokenId = targetTokenId;
        this.probabilities = probabilities.clone();
        this.loss = loss;
    }

    /**
     * The number of the training step this position belongs to, from 1.
     *
     * @return the step's number
     */
    public int step() {
        return step;
    }

    /**
     * The document being trained on.
     *
     * @return the document
     */
    public String document() {
        return document;
    }

    /**
     * The position of the input token, from 0: {@code pos_id} in
     * {@code microgpt.py}, beside the token's {@code token_id}, as the models'
     * {@code forward(tokenId, posId, cache)} names it.
     *
     * @return the position
     */
    public int posId() {
        return posId;
    }

    /**
     * The tokens the model has read, from BOS up to and including the input token.
     *
     * @return the tokens read, a new copy
     */
    public int[] context() {
        return context.clone();
    }

    /**
     * The token at {@code posId}, the last of the context.
     *
     * @return the token read last
     */
    public int inputTokenId() {
        return inputTokenId;
    }

    /**
     * The token the model should predict, at {@code posId + 1}.
     *
     * @return the right next token
     */
    public int targetTokenId() {
        return targetTokenId;
    }

    /**
     * The model's predicted distribution of the next token.
     *
     * @return the prediction, one probability per token id, a new copy
     */
    public double[] probabilities() {
        return probabilities.clone();
    }

    /**
     * The predicted probability of one token, without copying the distribution.
     *
     * @param tokenId a token id, from 0 to the vocabulary's size less 1
     * @return its probability
     * @throws IndexOutOfBoundsException if {@code tokenId} is not a token id of the vocabulary
     */
    public double probability(int tokenId) {
        return probabilities[java.util.Objects.checkIndex(tokenId, probabilities.length)];
    }

    /**
     * The loss of this position, {@code -log(probabilities[targetTokenId])}.
     *
     * @return the position's loss
     */
    public double loss() {
        return loss;
    }

    /**
     * Whether another object is a {@code PositionEvent} with the same components, the arrays compared
     * element by element and the numbers as {@link Double#compare} compares them.
     *
     * @param other another object
     * @return whether it is equal
     */
    @Override
    public boolean equals(Object other) {
        return other instanceof PositionEvent e
                && step == e.step
                && Objects.equals(document, e.document)
                && posId == e.posId
                && Arrays.equals(context, e.context)
                && inputTokenId == e.inputTokenId
                && targetTokenId == e.targetTokenId
                && Arrays.equals(probabilities, e.probabilities)
                && Double.compare(loss, e.loss) == 0;
    }

    /**
     * A hash code consistent with {@link #equals(Object)}.
     *
     * @return the hash code
     */
    @Override
    public int hashCode() {
        return Objects.hash(step, document, posId, Arrays.hashCode(context), inputTokenId, targetTokenId,
                Arrays.hashCode(probabilities), loss);
    }

    /**
     * Shows every component, the arrays' elements included, as a record would.
     *
     * @return for example {@code PositionEvent[step=1, document=ann, posId=0, context=[4], inputTokenId=4,
     *     targetTokenId=0, probabilities=[0.155..., 0.199..., 0.229..., 0.221..., 0.194...], loss=1.863...]}
     */
    @Override
    public String toString() {
        return "PositionEvent[step=" + step + ", document=" + document + ", posId=" + posId + ", context="
                + Arrays.toString(context) + ", inputTokenId=" + inputTokenId + ", targetTokenId="
                + targetTokenId + ", probabilities=" + Arrays.toString(probabilities) + ", loss=" + loss + "]";
    }
}
