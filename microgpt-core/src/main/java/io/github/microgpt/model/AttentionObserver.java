package io.github.microgpt.model;

/**
 * Watches the attention of a {@link GptModel}: after each head of each layer has turned its
 * attention logits into weights, the model tells the observer which earlier positions that head
 * looks at, and how much.
 *
 * <p>At position {@code posId} a head compares its query with the keys of positions
 * {@code 0 .. posId} (causal attention: never the future) and takes the softmax of the scaled dot
 * products. Those {@code posId + 1} weights are non-negative and sum to 1; the head's output is
 * the weighted mix of the values of those positions. Seeing the weights shows, for example, that
 * a head has learnt to look mostly at the previous character, or back at BOS.
 *
 * <p>The observer is read-only: it receives plain numbers, outside the autograd graph, and cannot
 * change the computation. It is called on the thread that runs the forward pass (the training or
 * generating thread) and should return quickly. Register one with
 * {@link GptModel#setAttentionObserver(AttentionObserver)}.
 */
@FunctionalInterface
public interface AttentionObserver {

    /**
     * Called once per layer and head for every position the model reads, during the forward pass,
     * in order: layer 0 head 0, layer 0 head 1, ..., then the next layer.
     *
     * @param layer the layer, from 0
     * @param head the head within the layer, from 0
     * @param posId the position being read (the query), from 0
     * @param weights the attention weights over positions {@code 0 .. posId}, summing to 1; a new
     *     array that the observer may keep
     */
    void onAttention(int layer, int head, int posId, double[] weights);
}
