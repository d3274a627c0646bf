package io.github.microgpt.model;

import java.util.Arrays;
import java.util.Objects;

/**
 * The attention weights of one head of one layer at one position of a forward pass.
 *
 * <p>At position {@code posId} a head compares its query with the keys of positions
 * {@code 0 .. posId} (causal attention: never the future) and takes the softmax of the scaled dot
 * products. Those {@code posId + 1} weights are non-negative and sum to 1; the head's output is
 * the weighted mix of the values of those positions. Seeing the weights shows, for example, that
 * a head has learnt to look mostly at the previous character, or back at BOS.
 *
 * <p>The events of one forward pass come head by head within a layer. {@link GptModel} reads
 * position by position (all layers at position 0, then position 1, ...); {@link ArrayGptModel}
 * reads layer by layer (all positions of layer 0, then layer 1, ...). With one layer, the usual
 * case, the orders are the same.
 *
 * <p><b>Made by the library; a listener only receives it.</b> A model's forward pass builds every
 * {@code AttentionEvent} and hands it to the listeners; its constructor is not public. It is a final
 * class with accessors rather than a record, so that a later release can report more (a new
 * accessor) without breaking a program that reads it: nothing outside the library constructs it
 * or takes it apart by position. (To test a listener of your own, give it the events of a small
 * real run.)
 */
public final class AttentionEvent {

    private final int layer;
    private final int head;
    private final int posId;
    private final double[] weights;

    /** Made by the library only (see the class comment): the arrays are copied once. */
    AttentionEvent(int layer, int head, int posId, double[] weights) {
        Objects.requireNonNull(weights, "weights");
        if (weights.length != posId + 1) {
            throw new IllegalArgumentException("position " + posId + " attends to " + (posId + 1)
                    + " positions, but there are " + weights.length + " weights");
        }
        this.layer = layer;
        this.head = head;
        this.posId = posId;
        this.weights = weights.clone();
    }

    /**
     * The layer, from 0.
     *
     * @return the layer
     */
    public int layer() {
        return layer;
    }

    /**
     * The head within the layer, from 0.
     *
     * @return the head
     */
    public int head() {
        return head;
    }

    /**
     * The position being read (the query), from 0: {@code pos_id} in
     * {@code microgpt.py}, beside the token's {@code token_id}, as the models'
     * {@code forward(tokenId, posId, cache)} names it.
     *
     * @return the position
     */
    public int posId() {
        return posId;
    }

    /**
     * The attention weights over positions {@code 0 .. posId}, summing to 1. The event keeps its
     * own copy, and this returns a new one, so that no listener can change what another reads;
     * {@link #weight(int)} reads one without copying. (Events are made only while an attention
     * listener is registered, so the copies cost a forward pass without one nothing.)
     *
     * @return {@code posId + 1} weights, a new copy
     */
    public double[] weights() {
        return weights.clone();
    }

    /**
     * The weight of one earlier position.
     *
     * @param position a position from 0 to {@code posId}
     * @return how much this head attends to it
     * @throws IndexOutOfBoundsException if the position is outside {@code [0, posId]}, naming it
     */
    public double weight(int position) {
        if (position < 0 || position > posId) {
            throw new IndexOutOfBoundsException("position " + position + " is outside [0, " + posId
                    + "]: position " + posId + " attends to positions 0 to " + posId);
        }
        return weights[position];
    }

    /**
     * Whether another object is a {@code AttentionEvent} with the same components, the arrays compared
     * element by element and the numbers as {@link Double#compare} compares them.
     *
     * @param other another object
     * @return whether it is equal
     */
    @Override
    public boolean equals(Object other) {
        return other instanceof AttentionEvent e
                && layer == e.layer
                && head == e.head
                && posId == e.posId
                && Arrays.equals(weights, e.weights);
    }

    /**
     * A hash code consistent with {@link #equals(Object)}.
     *
     * @return the hash code
     */
    @Override
    public int hashCode() {
        return Objects.hash(layer, head, posId, Arrays.hashCode(weights));
    }

    /**
     * Shows every component, the arrays' elements included, as a record would.
     *
     * @return for example {@code AttentionEvent[layer=0, head=1, posId=1, weights=[0.25, 0.75]]}
     */
    @Override
    public String toString() {
        return "AttentionEvent[layer=" + layer + ", head=" + head + ", posId=" + posId + ", weights="
                + Arrays.toString(weights) + "]";
    }
}
