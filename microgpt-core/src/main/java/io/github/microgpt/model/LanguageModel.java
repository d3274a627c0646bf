package io.github.microgpt.model;

/**
 * What a trainer and a sampler need from a GPT, whatever engine computes it: the forward pass of
 * one position (for generation), the loss of a document and its gradients (for training), and
 * the parameters (for the optimizer). No {@link io.github.microgpt.autograd.Value} appears here,
 * so an engine over flat arrays can implement it as well as the scalar-autograd {@link GptModel}.
 */
public interface LanguageModel {

    /**
     * The model's shape.
     *
     * @return the configuration
     */
    GptConfig config();

    /**
     * The number of tokens the model reads and predicts.
     *
     * @return the vocabulary size, BOS included
     */
    int vocabSize();

    /**
     * The trainable parameters, with their gradients.
     *
     * @return a live view: changes to it change the model
     */
    Parameters parameters();

    /**
     * The number of trainable parameters.
     *
     * @return {@code parameters().size()}
     */
    default int numParameters() {
        return parameters().size();
    }

    /**
     * Starts a new sequence for generation, with an empty key-value cache.
     *
     * @return a sequence at position 0
     */
    Sequence newSequence();

    /**
     * Computes the training loss of a stretch of a document and adds its gradient to every
     * parameter's gradient.
     *
     * <p>The model reads {@code tokens[0 .. end-1]} position by position (each position sees the
     * ones before it through the key-value cache) and predicts, at every position {@code p} in
     * {@code [first, end)}, the token {@code tokens[p + 1]}. The loss is the mean over those
     * positions of {@code -log(probability of the right token)}. {@code first = 0,
     * end = min(blockSize, tokens.length - 1)} is the training step of {@code microgpt.py};
     * {@code first = p, end = p + 1} trains the single position {@code p}.
     *
     * @param tokens a tokenized document, usually {@code [BOS] + characters + [BOS]}
     * @param first the first position whose prediction counts
     * @param end one past the last position whose prediction counts
     * @param observer told about each counted position; may be {@code null}
     * @return the loss
     * @throws IllegalArgumentException if the positions are out of range
     *     ({@code 0 <= first < end <= min(blockSize, tokens.length - 1)}) or a token is not in
     *     the vocabulary
     */
    double lossAndGradients(int[] tokens, int first, int end, PositionObserver observer);

    /**
     * A sequence being generated: it keeps the keys and values of the positions read so far.
     */
    interface Sequence {

        /**
         * The number of tokens read so far, which is the position of the next one.
         *
         * @return the length
         */
        int length();

        /**
         * Reads one more token and returns the logits (unnormalised log-probabilities) of the
         * token that follows it.
         *
         * @param tokenId the token at position {@link #length()}
         * @return {@code vocabSize()} logits
         * @throws IllegalArgumentException if the sequence is already {@code blockSize} long or
         *     the token is not in the vocabulary
         */
        double[] next(int tokenId);
    }

    /**
     * Receives what the model predicted at each position that counts in
     * {@link #lossAndGradients}.
     */
    @FunctionalInterface
    interface PositionObserver {

        /**
         * Called once per counted position, in order.
         *
         * @param posId the position
         * @param probabilities the predicted distribution of the next token (the caller may keep it)
         * @param loss {@code -log} of the probability of the right next token
         */
        void onPosition(int posId, double[] probabilities, double loss);
    }
}
