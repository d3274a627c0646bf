package io.github.microgpt.model;

import io.github.microgpt.internal.ModelChecks;
import java.util.List;
import java.util.Objects;

/**
 * What a trainer and a sampler need from a GPT, whatever engine computes it: the forward pass of
 * one position (for generation), the loss of a document and its gradients (for training), and
 * the parameters (for the optimizer). No {@link io.github.microgpt.autograd.Value} appears here,
 * so an engine over flat arrays can implement it as well as the scalar-autograd {@link GptModel}.
 *
 * <p>What happens inside the forward pass is observed through listeners, as training and
 * generation are ({@code Trainer} and {@code Sampler} have theirs): a model with attention
 * reports the attention weights of every head to its {@link AttentionListener}s. A model without
 * attention says so with {@link #hasAttention()}, which is false unless the model overrides it.
 * What a training call predicted at each position is not a hook but a result: the call fills the
 * {@link Predictions} its caller passes (the trainer turns them into events for its own
 * listeners).
 *
 * <p><b>Threads.</b> A model is trained from one thread at a time, while nothing else uses it.
 * Between training steps, any number of threads may read a model of the library's own classes
 * at once ({@link GptModel}, {@link ArrayGptModel} in either precision, with or without the
 * Vector API kernels, and the models of the progression): sample it
 * ({@code io.github.microgpt.sample.Sampler}, one sampler and one random source per thread),
 * evaluate it ({@code io.github.microgpt.train.Evaluation}), ask it for the next token
 * ({@code io.github.microgpt.sample.NextToken}), or read {@link #newSequence() sequences} of
 * their own; each gets the very bits it would get alone, since a sequence keeps everything it
 * computes in its own cache and rows (or its own graph of {@code Value}s) and only reads the
 * weights. The library's trainer, samplers, evaluations and predictions mark the model while
 * they use it, and one that would break the rule is refused with a
 * {@link java.util.ConcurrentModificationException} before it computes anything: a step while
 * another thread reads or trains the model, a read while another thread trains it, and a second
 * reader of a model of another class (a forward pass of your own, a wrapper), which is read by
 * one thread at a time. Uses that do not overlap are not seen (a step taken between two tokens of
 * one sample: the later tokens read the new weights over keys and values the old ones computed),
 * nor sequences read directly, which no one marks. An engine may use more threads inside one
 * training call ({@link ArrayGptModel#setThreads}); a sequence runs on the thread that reads it.
 * Listeners may be added and removed from any thread; they are told on the thread that runs the
 * forward pass, so the attention listeners of a model read by several threads at once are told
 * on all of them at once and must be thread-safe.
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
     * Whether this model has attention heads, whose weights it reports to
     * {@link #addAttentionListener attention listeners}. A model without attention (a bigram
     * table, an MLP over a fixed window) keeps this default.
     *
     * @return false unless the model overrides it; true for both GPT engines
     */
    default boolean hasAttention() {
        return false;
    }

    /**
     * Adds a listener that hears the attention weights of every head of every layer, during every
     * forward pass from now on (training, evaluation and generation alike). Listening changes no
     * result.
     *
     * @param listener the listener
     * @throws UnsupportedOperationException if the model has no attention ({@link #hasAttention()}
     *     is false), which this default implementation assumes
     * @throws NullPointerException if the listener is null (checked first, by this default too)
     */
    default void addAttentionListener(AttentionListener listener) {
        Objects.requireNonNull(listener, "listener");
        throw new UnsupportedOperationException("a " + getClass().getSimpleName()
                + " has no attention to listen to (hasAttention() is false)");
    }

    /**
     * Removes an attention listener, one registration of it if it was added more than once;
     * nothing happens if it was not added.
     *
     * @param listener the listener
     * @throws NullPointerException if the listener is null (by this default too)
     */
    default void removeAttentionListener(AttentionListener listener) {
        Objects.requireNonNull(listener, "listener");
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
     * @return the loss
     * @throws IllegalArgumentException if the positions are out of range
     *     ({@code 0 <= first < end <= min(blockSize, tokens.length - 1)}) or a token is not in
     *     the vocabulary
     * @throws NullPointerException if {@code tokens} is null (checked first)
     */
    default double lossAndGradients(int[] tokens, int first, int end) {
        return lossAndGradients(tokens, first, end, null);
    }

    /**
     * Computes the training loss of a stretch of a document and adds its gradient to every
     * parameter's gradient, as {@link #lossAndGradients(int[], int, int)} does, and also returns
     * what the model predicted at each counted position: it fills {@code predictions} with the
     * positions {@code [first, end)}, replacing what it held. Asking for them changes no number.
     *
     * @param tokens a tokenized document, usually {@code [BOS] + characters + [BOS]}
     * @param first the first position whose prediction counts
     * @param end one past the last position whose prediction counts
     * @param predictions filled with the distribution and the loss of every counted position; or
     *     {@code null}, to skip recording them
     * @return the loss
     * @throws IllegalArgumentException if the positions are out of range
     *     ({@code 0 <= first < end <= min(blockSize, tokens.length - 1)}) or a token is not in
     *     the vocabulary
     * @throws NullPointerException if {@code tokens} is null (checked first)
     */
    double lossAndGradients(int[] tokens, int first, int end, Predictions predictions);

    /**
     * Computes the mean loss of a batch of whole documents and adds the mean of their gradients
     * to every parameter's gradient: one step of minibatch training, where {@code microgpt.py}
     * trains on one document at a time.
     *
     * <p>Each document {@code b} trains its positions {@code [0, min(blockSize, length - 1))}, as
     * {@link #lossAndGradients} does for a whole document. The result is defined as if computed
     * one document at a time: document {@code b}'s gradient {@code g_b} is computed from zero,
     * the gradients are summed element by element in document order
     * ({@code 0 + g_0 + g_1 + ...}), the sum is divided by the number of documents {@code B} and
     * added to the gradient already there; the returned loss is
     * {@code (0 + loss_0 + loss_1 + ...) / B}. An engine may spread the documents over threads,
     * but must keep this order of additions, so that the result does not depend on
     * {@code threads}.
     *
     * <p>{@code threads} spreads whole documents over threads; it is not
     * {@link ArrayGptModel#setThreads}, which splits a single document's step (an {@code F32}
     * array model runs a batch's documents one after another, each on its {@code setThreads}
     * count, and only checks {@code threads}). The models over {@code Value}s use the calling
     * thread alone.
     *
     * @param documents the tokenized documents, each at least 2 tokens long; not empty
     * @param threads the most threads to use; from 1 to 256
     * @return the mean of the documents' losses
     * @throws IllegalArgumentException if there is no document, a document is too short or has
     *     a token outside the vocabulary, or {@code threads} is outside {@code [1, 256]}
     * @throws NullPointerException if {@code documents} or one of them is null (checked first)
     */
    default double batchLossAndGradients(List<int[]> documents, int threads) {
        return batchLossAndGradients(documents, threads, null);
    }

    /**
     * Computes the mean loss of a batch of whole documents and adds the mean of their gradients,
     * as {@link #batchLossAndGradients(List, int)} does, and also returns what the model
     * predicted at every position: {@code predictions.get(b)} is filled with the positions of
     * document {@code b}.
     *
     * <p>This default implementation runs on the calling thread and ignores {@code threads};
     * it is what the models over {@link io.github.microgpt.autograd.Value}s use, since all their
     * graphs share the same parameter nodes. {@link ArrayGptModel} runs the documents in
     * parallel.
     *
     * @param documents the tokenized documents, each at least 2 tokens long; not empty
     * @param threads the most threads to use; from 1 to 256
     * @param predictions one buffer per document, in document order, each a different object; or
     *     {@code null}, to skip recording them
     * @return the mean of the documents' losses
     * @throws IllegalArgumentException if there is no document, a document is too short or has
     *     a token outside the vocabulary, {@code threads} is outside {@code [1, 256]}, or there is
     *     not one buffer per document
     * @throws NullPointerException if {@code documents} or one of them is null (checked first)
     */
    default double batchLossAndGradients(List<int[]> documents, int threads, List<Predictions> predictions) {
        ModelChecks.batchShape(documents, threads, predictions);
        int blockSize = config().blockSize();
        Parameters parameters = parameters();
        int size = parameters.size();
        double[] before = parameters.grads();
        double[] sum = new double[size];
        double totalLoss = 0.0;
        for (int b = 0; b < documents.size(); b++) {
            int[] doc = documents.get(b);
            for (int i = 0; i < size; i++) {
                parameters.setGrad(i, 0.0);
            }
            double loss;
            try {
                loss = lossAndGradients(doc, 0, Math.min(blockSize, doc.length - 1),
                        predictions == null ? null : predictions.get(b));
            } catch (IllegalArgumentException e) {
                for (int i = 0; i < size; i++) {
                    parameters.setGrad(i, before[i]);
                }
                throw new IllegalArgumentException("document " + b + " of the batch: " + e.getMessage(), e);
            }
            totalLoss += loss;
            for (int i = 0; i < size; i++) {
                sum[i] += parameters.grad(i);
            }
        }
        int count = documents.size();
        for (int i = 0; i < size; i++) {
            parameters.setGrad(i, before[i] + sum[i] / count);
        }
        return totalLoss / count;
    }

    /**
     * A sequence being generated: it keeps the keys and values of the positions read so far.
     * Not thread-safe: one sequence is read by one thread at a time, but sequences of one model
     * of the library may be read on several threads at once (see the interface's comment). A
     * {@link #next} refused for its token or a full block changes nothing.
     *
     * <p>A sequence used on another thread than the one that made it (or read it last) needs a
     * happens-before between the two of the caller's own: hand it over through a concurrent
     * queue ({@code java.util.concurrent.BlockingQueue}), a {@code Future}'s result, a lock both
     * threads take, or start the other thread after making it ({@code Thread.start}). Without
     * one, the second thread may see its cache of keys and values as it was some tokens ago, or
     * half written, and compute logits from numbers that were never there. The library's own
     * readers ({@code Sampler}, {@code Evaluation}, {@code NextToken}) make and read each
     * sequence on one thread, and nothing in the library orders a sequence handed between
     * threads: a direct {@link #next} is not marked as a use of the model.
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
         * @return {@code vocabSize()} logits, in a new array that is the caller's
         * @throws IllegalArgumentException if the sequence is already {@code blockSize} long or
         *     the token is not in the vocabulary
         */
        double[] next(int tokenId);
    }
}
