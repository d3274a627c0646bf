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
 * {@code AttentionEvent} and hands it to the attention listeners: your code never needs to make
 * one. Read its components by their names ({@code event.weights()}). Do not call its constructor,
 * and do not take it apart by position with a record pattern ({@code case AttentionEvent(var
 * layer, var head, var pos, var w) ->}): a minor release may add
 * components, which changes the constructor and the pattern but not the accessors. (To test a
 * listener of your own, give it the events of a small real run.)
 *
 * @param layer the layer, from 0
 * @param head the head within the layer, from 0
 * @param posId the position being read (the query), from 0
 * @param weights the attention weights over positions {@code 0 .. posId}, summing to 1: the
 *     event's own copy, made once when the event is made and shared by every listener of this
 *     event, so read it but do not change it (copy it to keep a changed version)
 */
public record AttentionEvent(int layer, int head, int posId, double[] weights) {

    /**
     * Copies the weights once, so that the event does not change when the model computes on.
     *
     * @param layer the layer, from 0
     * @param head the head, from 0
     * @param posId the position, from 0
     * @param weights the weights over positions {@code 0 .. posId}
     * @throws NullPointerException if {@code weights} is null
     * @throws IllegalArgumentException if there are not {@code posId + 1} weights
     */
    public AttentionEvent {
        Objects.requireNonNull(weights, "weights");
        if (weights.length != posId + 1) {
            throw new IllegalArgumentException("position " + posId + " attends to " + (posId + 1)
                    + " positions, but there are " + weights.length + " weights");
        }
        weights = weights.clone();
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
     * Whether another object is an attention event with the same components, the weights
     * compared element by element. (A record compares arrays by identity, and every event holds a
     * copy of its own, so without this two events made from the same weights would differ.)
     *
     * @param other another object
     * @return whether it is an equal event
     */
    @Override
    public boolean equals(Object other) {
        return other instanceof AttentionEvent e && layer == e.layer && head == e.head && posId == e.posId
                && Arrays.equals(weights, e.weights);
    }

    /**
     * A hash code consistent with {@link #equals(Object)}: of the weights' contents.
     *
     * @return the hash code
     */
    @Override
    public int hashCode() {
        return Objects.hash(layer, head, posId, Arrays.hashCode(weights));
    }

    /**
     * Shows every component, the weights included.
     *
     * @return for example {@code AttentionEvent[layer=0, head=1, posId=1, weights=[0.25, 0.75]]}
     */
    @Override
    public String toString() {
        return "AttentionEvent[layer=" + layer + ", head=" + head + ", posId=" + posId + ", weights="
                + Arrays.toString(weights) + "]";
    }
}
