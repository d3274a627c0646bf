package io.github.microgpt.internal;

import io.github.microgpt.model.Predictions;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The argument checks every language model makes, written once so that every engine rejects the
 * same input with the same message.
 */
public final class ModelChecks {

    private ModelChecks() {
    }

    /**
     * Checks a vocabulary size.
     *
     * @param vocabSize the number of tokens
     * @throws IllegalArgumentException if it is below 2 (one character and BOS)
     */
    public static void vocabSize(int vocabSize) {
        if (vocabSize < 2) {
            throw new IllegalArgumentException("vocabSize must be at least 2 (one character and BOS), got " + vocabSize);
        }
    }

    /**
     * Checks that a token is in the vocabulary.
     *
     * @param tokenId the token
     * @param vocabSize the number of tokens
     * @param what how to name the token in the message, such as {@code "token 3 of the document"}
     * @throws IllegalArgumentException if it is outside {@code [0, vocabSize)}
     */
    public static void token(int tokenId, int vocabSize, String what) {
        if (tokenId < 0 || tokenId >= vocabSize) {
            throw new IllegalArgumentException(what + " has id " + tokenId + ", outside the vocabulary [0, "
                    + vocabSize + ")");
        }
    }

    /**
     * Checks the positions a training pass reads: the stretch {@code [first, end)} of a document,
     * as {@code LanguageModel.lossAndGradients} defines it, and every token it reads.
     *
     * @param tokens the document
     * @param first the first counted position
     * @param end one past the last counted position
     * @param blockSize the model's context length
     * @param vocabSize the number of tokens
     * @throws NullPointerException if {@code tokens} is null, naming it (before any other check)
     * @throws IllegalArgumentException if not {@code 0 <= first < end <= min(blockSize,
     *     tokens.length - 1)}, or a token read is outside the vocabulary
     */
    public static void stretch(int[] tokens, int first, int end, int blockSize, int vocabSize) {
        Objects.requireNonNull(tokens, "tokens");
        int limit = Math.min(blockSize, tokens.length - 1);
        if (first < 0 || first >= end || end > limit) {
            throw new IllegalArgumentException("cannot train positions [" + first + ", " + end + ") of a "
                    + tokens.length + "-token document with block size " + blockSize
                    + ": need 0 <= first < end <= " + limit);
        }
        for (int i = 0; i <= end; i++) {
            // The message is built only for a bad token: this runs for every token of every step.
            if (tokens[i] < 0 || tokens[i] >= vocabSize) {
                token(tokens[i], vocabSize, "token " + i + " of the document");
            }
        }
    }

    /**
     * Checks the position a generating sequence reads next.
     *
     * @param posId the position
     * @param blockSize the model's context length
     * @throws IllegalArgumentException if it is outside {@code [0, blockSize)}
     */
    public static void position(int posId, int blockSize) {
        if (posId < 0 || posId >= blockSize) {
            throw new IllegalArgumentException("position " + posId + " is outside the block size "
                    + blockSize + " (positions 0.." + (blockSize - 1) + ")");
        }
    }

    /**
     * Checks a number of threads.
     *
     * @param threads the most threads to use
     * @throws IllegalArgumentException if it is below 1 or above {@link #MAX_THREADS}
     */
    public static void threads(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("the number of threads must be at least 1, got " + threads);
        }
        if (threads > MAX_THREADS) {
            throw new IllegalArgumentException("the number of threads must be at most " + MAX_THREADS + ", got "
                    + threads + " (a step's helpers wait for each other between loops, so more threads than"
                    + " processors only slow it down)");
        }
    }

    /**
     * The most threads one step may be split over: far more than a step can use (its helpers
     * spin between loops, so past the processor count every thread slows the others), and few
     * enough that a mistyped count cannot start thousands of threads.
     */
    public static final int MAX_THREADS = 256;

    /**
     * Checks a sampling temperature.
     *
     * @param temperature the temperature
     * @throws IllegalArgumentException if it is not positive and finite
     */
    public static void temperature(double temperature) {
        if (!(temperature > 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("the temperature must be positive and finite, got " + temperature);
        }
    }

    /**
     * Checks that a tokenizer and a model agree on the vocabulary.
     *
     * @param tokenizerVocabSize the tokenizer's number of tokens
     * @param modelVocabSize the model's number of tokens
     * @throws IllegalArgumentException if they differ
     */
    public static void sameVocabulary(int tokenizerVocabSize, int modelVocabSize) {
        if (tokenizerVocabSize != modelVocabSize) {
            throw new IllegalArgumentException("the tokenizer has " + tokenizerVocabSize
                    + " tokens but the model " + modelVocabSize);
        }
    }

    /**
     * Checks the arguments of a batch step (shape only: the documents' tokens are checked by
     * {@link #batch(List, int, List, int, int)}).
     *
     * @param documents the documents
     * @param threads the most threads to use
     * @param predictions one buffer per document, or null
     * @throws NullPointerException if {@code documents} is null (named {@code documents}, before
     *     any other check) or holds a null document ({@code documents[b]}, as {@code new Trainer}
     *     names it), rather than calling a null document too short
     * @throws IllegalArgumentException if {@code threads < 1}, there is no document, a
     *     document has fewer than 2 tokens, or there is not one buffer of its own per document
     */
    public static void batchShape(List<int[]> documents, int threads, List<Predictions> predictions) {
        Objects.requireNonNull(documents, "documents");
        threads(threads);
        if (documents.isEmpty()) {
            throw new IllegalArgumentException("a batch needs at least one document");
        }
        for (int b = 0; b < documents.size(); b++) {
            int[] doc = documents.get(b);
            if (doc == null) {
                throw new NullPointerException("documents[" + b + "]");
            }
            if (doc.length < 2) {
                throw new IllegalArgumentException("document " + b + " of the batch has fewer than 2 tokens");
            }
        }
        if (predictions != null) {
            if (predictions.size() != documents.size()) {
                throw new IllegalArgumentException("a batch of " + documents.size() + " documents needs as many "
                        + "Predictions, got " + predictions.size());
            }
            Map<Predictions, Integer> owner = new IdentityHashMap<>();
            for (int b = 0; b < predictions.size(); b++) {
                Predictions buffer = predictions.get(b);
                if (buffer == null) {
                    throw new IllegalArgumentException("the Predictions of document " + b + " of the batch is null");
                }
                Integer other = owner.putIfAbsent(buffer, b);
                if (other != null) {
                    throw new IllegalArgumentException("documents " + other + " and " + b + " of the batch are given "
                            + "the same Predictions; each needs its own");
                }
            }
        }
    }

    /**
     * Checks a whole batch and returns where each document's training stops.
     *
     * @param documents the documents
     * @param threads the most threads to use
     * @param predictions one buffer per document, or null
     * @param blockSize the model's context length
     * @param vocabSize the number of tokens
     * @return for each document, {@code min(blockSize, length - 1)}
     * @throws IllegalArgumentException as {@link #batchShape}, or naming the document whose token
     *     is outside the vocabulary
     */
    public static int[] batch(List<int[]> documents, int threads, List<Predictions> predictions, int blockSize,
                              int vocabSize) {
        batchShape(documents, threads, predictions);
        int[] ends = new int[documents.size()];
        for (int b = 0; b < ends.length; b++) {
            int[] doc = documents.get(b);
            ends[b] = Math.min(blockSize, doc.length - 1);
            try {
                stretch(doc, 0, ends[b], blockSize, vocabSize);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("document " + b + " of the batch: " + e.getMessage(), e);
            }
        }
        return ends;
    }

    /**
     * Checks Adam's moments, as an optimizer restores them or a saved state holds them: one of
     * each per parameter, the first finite, the second (a mean of squares) finite and not
     * negative. Written once, so that a state is checked without building an optimizer, which
     * would allocate two more arrays of moments only to throw them away.
     *
     * @param size the number of parameters
     * @param firstMoments the running means of the gradients
     * @param secondMoments the running means of the squared gradients
     * @throws IllegalArgumentException naming the first moment out of range, or the lengths
     * @throws NullPointerException if an array is null, naming it
     */
    public static void moments(int size, double[] firstMoments, double[] secondMoments) {
        Objects.requireNonNull(firstMoments, "firstMoments");
        Objects.requireNonNull(secondMoments, "secondMoments");
        if (firstMoments.length != size || secondMoments.length != size) {
            throw new IllegalArgumentException("this optimizer has " + size + " parameters, but the moments have "
                    + firstMoments.length + " and " + secondMoments.length + " values");
        }
        for (int i = 0; i < size; i++) {
            if (!Double.isFinite(firstMoments[i])) {
                throw new IllegalArgumentException("first moment " + i + " is not finite: " + firstMoments[i]);
            }
            if (!(secondMoments[i] >= 0) || Double.isInfinite(secondMoments[i])) {
                throw new IllegalArgumentException("second moment " + i + " is not a finite, non-negative number: "
                        + secondMoments[i]);
            }
        }
    }

    /**
     * Where a single-precision model could not hold a weight: the index of the first of
     * {@code values} that is finite but beyond a float's range (above {@link Float#MAX_VALUE} in
     * size), which rounded to a float would be infinite without a word. Asked before anything is
     * written, so that a refusal leaves a model as it was.
     *
     * @param values the numbers an f32 model would hold
     * @return the first such index, or -1 if a float holds them all
     */
    public static int firstBeyondFloatRange(double[] values) {
        for (int i = 0; i < values.length; i++) {
            if (Double.isFinite(values[i]) && Float.isInfinite((float) values[i])) {
                return i;
            }
        }
        return -1;
    }
}
