package io.github.microgpt.model;

/**
 * Hears the attention of a model's forward pass: after each head of each layer has turned its
 * attention logits into weights, the model tells its listeners which earlier positions that head
 * looks at, and how much. Register one with {@link LanguageModel#addAttentionListener}, on a
 * model whose {@link LanguageModel#hasAttention()} is true; both engines report the same weights.
 *
 * <pre>{@code
 * model.addAttentionListener(e -> System.out.println(e.layer() + " " + e.head() + " " + e.posId()));
 * }</pre>
 *
 * <p>A listener only reads: the results of the model are the same with or without it. It runs on
 * the thread that runs the forward pass (the training or generating thread) and should return
 * quickly.
 */
@FunctionalInterface
public interface AttentionListener {

    /**
     * Called once per layer and head for every position the model reads.
     *
     * @param event the weights of one head at one position
     */
    void onAttention(AttentionEvent event);
}
