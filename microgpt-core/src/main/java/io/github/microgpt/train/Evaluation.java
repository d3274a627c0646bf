package io.github.microgpt.train;

import io.github.microgpt.internal.DocumentTokens;
import io.github.microgpt.internal.ModelChecks;
import io.github.microgpt.internal.ModelUse;
import io.github.microgpt.model.LanguageModel;
import io.github.microgpt.model.Softmax;
import io.github.microgpt.text.Tokenizer;
import java.util.List;
import java.util.Objects;

/**
 * The loss of a model on documents it is not trained on, without touching a gradient: how well
 * it has learned, rather than how well it remembers. A falling training loss with a rising
 * held-out loss is overfitting.
 *
 * <pre>{@code
 * double heldOut = Evaluation.loss(model, tokenizer, docs.subList(3000, docs.size()));
 * }</pre>
 *
 * <p>A document's loss is exactly the loss a training step on it would report
 * ({@link LanguageModel#lossAndGradients} over positions {@code [0, min(blockSize, n - 1))}),
 * bit for bit, computed from the forward pass alone ({@link LanguageModel#newSequence()}), so no
 * graph is built and no gradient changes. The methods keep no state and only read the model, so
 * many threads may evaluate (and sample) one model of the library at once, each getting the loss
 * it would get alone; a model of another class is read by one thread at a time. Not in the
 * middle of a training step: an evaluation that finds the model being trained on another thread
 * is refused with a {@link java.util.ConcurrentModificationException} (its loss would have mixed
 * the weights of two steps), and so is a training step that finds the model being evaluated; the
 * uses must overlap for it to be seen.
 */
public final class Evaluation {

    private Evaluation() {
    }

    /**
     * The mean loss over documents: {@code (0 + loss_0 + loss_1 + ...) / n}.
     *
     * @param model the model
     * @param tokenizer the tokenizer, whose vocabulary is the model's
     * @param documents the documents; at least one, none empty
     * @return the mean of the documents' losses
     * @throws IllegalArgumentException if there is no document, a document is empty or has a
     *     character outside the vocabulary (naming its index), or the vocabularies differ
     * @throws NullPointerException if an argument or a document is null, naming it
     *     ({@code "documents[3]"}, as {@link Trainer} does)
     * @throws java.util.ConcurrentModificationException if another thread is training the model at
     *     this moment, or reading a model of a class outside the library (nothing is evaluated)
     */
    public static double loss(LanguageModel model, Tokenizer tokenizer, List<String> documents) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(tokenizer, "tokenizer");
        Objects.requireNonNull(documents, "documents");
        ModelChecks.sameVocabulary(tokenizer.vocabSize(), model.vocabSize());
        if (documents.isEmpty()) {
            throw new IllegalArgumentException("there must be at least one document to evaluate");
        }
        int[][] encoded = DocumentTokens.encode(tokenizer, documents);
        int entered = ModelUse.enter(model, ModelUse.Activity.EVALUATION);
        try {
            double total = 0.0;
            for (int[] tokens : encoded) {
                total += documentLoss(model, tokens);
            }
            return total / documents.size();
        } finally {
            ModelUse.leave(model, entered);
        }
    }

    /**
     * The loss of one tokenized document, as a training step on it computes it: the mean over
     * positions {@code p < min(blockSize, n - 1)} of {@code -log p(tokens[p + 1])}.
     *
     * @param model the model
     * @param tokens a tokenized document ({@code [BOS] + characters + [BOS]}), at least 2 long
     * @return the loss
     * @throws IllegalArgumentException if the document is shorter than 2 tokens or a token is
     *     outside the vocabulary
     * @throws java.util.ConcurrentModificationException if another thread is training the model at
     *     this moment, or reading a model of a class outside the library (nothing is evaluated)
     */
    public static double documentLoss(LanguageModel model, int[] tokens) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(tokens, "tokens");
        if (tokens.length < 2) {
            throw new IllegalArgumentException("a document needs at least 2 tokens, got " + tokens.length);
        }
        int n = Math.min(model.config().blockSize(), tokens.length - 1);
        ModelChecks.stretch(tokens, 0, n, model.config().blockSize(), model.vocabSize());
        int entered = ModelUse.enter(model, ModelUse.Activity.EVALUATION);
        try {
            LanguageModel.Sequence sequence = model.newSequence();
            // The same operations as the graph of a training loss: sum(-log p) starting from 0, times 1/n.
            double sum = 0.0;
            for (int pos = 0; pos < n; pos++) {
                double[] probs = Softmax.softmax(sequence.next(tokens[pos]));
                double lossT = Math.log(probs[tokens[pos + 1]]) * -1.0;
                sum = pos == 0 ? lossT + 0.0 : sum + lossT;
            }
            return sum * (1.0 / n);
        } finally {
            ModelUse.leave(model, entered);
        }
    }
}
