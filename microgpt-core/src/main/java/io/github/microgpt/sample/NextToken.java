package io.github.microgpt.sample;

import io.github.microgpt.internal.ModelUse;
import io.github.microgpt.internal.Quoted;
import io.github.microgpt.model.LanguageModel;
import io.github.microgpt.model.Softmax;
import io.github.microgpt.text.Tokenizer;
import io.github.microgpt.text.VisibleText;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * What a model predicts after a prefix: the probability of every possible next token, in one
 * call. The model reads {@code [BOS]} and the prefix's characters, as at the start of a
 * generation, and the probabilities are the softmax of its last logits (temperature 1).
 *
 * <pre>{@code
 * NextToken next = NextToken.after(model, tokenizer, "em");
 * for (NextToken.Candidate c : next.top(3)) {
 *     System.out.println(c.text() + " " + c.probability());
 * }
 * // after 500 steps on the embedded names (LookingInsideExample): a 0.268, i 0.149, e 0.148
 * }</pre>
 *
 * <p>It only reads the model: no gradient changes, and the probabilities are those a sampler
 * draws from at temperature 1, bit for bit. The result is immutable and thread-safe.
 * {@link #after} runs the model, so it may run on many threads at once, beside samplers and
 * evaluations of the same model of the library (a model of another class is read by one thread
 * at a time), but not during a training step: one that finds the model being trained on another
 * thread is refused with a {@link java.util.ConcurrentModificationException}, and so is a step
 * that finds a prediction under way.
 */
public final class NextToken {

    /**
     * One possible next token, made by {@link NextToken#top} only, as a final class rather than a
     * record so that a later release can tell more (a new accessor) without breaking a program
     * that reads it.
     */
    public static final class Candidate {

        private final int tokenId;
        private final String text;
        private final double probability;

        /** Made by {@link NextToken#top} only. */
        private Candidate(int tokenId, String text, double probability) {
            this.tokenId = tokenId;
            this.text = text;
            this.probability = probability;
        }

        /**
         * Its id.
         *
         * @return the token id
         */
        public int tokenId() {
            return tokenId;
        }

        /**
         * Its character, or {@code "<BOS>"} for the end of the document.
         *
         * @return the token's text
         */
        public String text() {
            return text;
        }

        /**
         * How likely the model finds it.
         *
         * @return the probability
         */
        public double probability() {
            return probability;
        }

        /**
         * Whether another object is a {@code Candidate} with the same components, the numbers as
         * {@link Double#compare} compares them (as a record would).
         *
         * @param other another object
         * @return whether it is equal
         */
        @Override
        public boolean equals(Object other) {
            return other instanceof Candidate e
                    && tokenId == e.tokenId
                    && Objects.equals(text, e.text)
                    && Double.compare(probability, e.probability) == 0;
        }

        /**
         * A hash code consistent with {@link #equals(Object)}.
         *
         * @return the hash code
         */
        @Override
        public int hashCode() {
            return Objects.hash(tokenId, text, probability);
        }

        /**
         * Shows every component, as a record would.
         *
         * @return for example {@code Candidate[tokenId=14, text=o, probability=0.2368...]}
         */
        @Override
        public String toString() {
            return "Candidate[tokenId=" + tokenId + ", text=" + text + ", probability=" + probability + "]";
        }
    }

    private final String prefix;
    private final Tokenizer tokenizer;
    private final double[] probabilities;

    private NextToken(String prefix, Tokenizer tokenizer, double[] probabilities) {
        this.prefix = prefix;
        this.tokenizer = tokenizer;
        this.probabilities = probabilities;
    }

    /**
     * Runs the model over {@code [BOS] + prefix} and keeps the distribution of the next token.
     *
     * @param model the model
     * @param tokenizer the tokenizer, whose vocabulary is the model's
     * @param prefix the start of a document, possibly empty
     * @return the prediction
     * @throws IllegalArgumentException if a character of the prefix is not in the vocabulary,
     *     the prefix does not fit the model's block size (at most {@code blockSize - 1}
     *     characters), or the vocabularies differ; the message says which, and what is allowed
     * @throws NonFiniteLogitsException if the model's last logits are not all finite (weights that
     *     are NaN, or so large that a sum of them overflows a double), so that they give no
     *     distribution; the message names the token and its logit, as {@link Sampler} does
     * @throws java.util.ConcurrentModificationException if another thread is training the model at
     *     this moment, or reading a model of a class outside the library (nothing is predicted)
     */
    public static NextToken after(LanguageModel model, Tokenizer tokenizer, String prefix) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(tokenizer, "tokenizer");
        Objects.requireNonNull(prefix, "prefix");
        if (tokenizer.vocabSize() != model.vocabSize()) {
            throw new IllegalArgumentException("the tokenizer has " + tokenizer.vocabSize()
                    + " tokens but the model " + model.vocabSize() + ": the tokenizer must be the one the model was"
                    + " trained with (the same vocabulary)");
        }
        // The length first, as Sampler checks a prefix: counting characters takes no memory,
        // while tokenizing a prefix of millions of letters took seconds before it was refused as
        // too long, and the refusal quoted the whole prefix, raw, in its message.
        int length = prefix.codePointCount(0, prefix.length());
        int blockSize = model.config().blockSize();
        if (length > blockSize - 1) {
            throw new IllegalArgumentException("the prefix has " + length + " characters; with BOS before it, at most "
                    + (blockSize - 1) + " fit the model's block size of " + blockSize);
        }
        int[] ids;
        try {
            ids = tokenizer.encode(prefix);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the prefix: " + e.getMessage(), e);
        }
        double[] logits;
        int entered = ModelUse.enter(model, ModelUse.Activity.PREDICTION);
        try {
            LanguageModel.Sequence sequence = model.newSequence();
            logits = sequence.next(tokenizer.bos());
            for (int id : ids) {
                logits = sequence.next(id);
            }
        } finally {
            ModelUse.leave(model, entered);
        }
        for (int i = 0; i < logits.length; i++) {
            if (!Double.isFinite(logits[i])) {
                // Softmax would refuse them as a bad argument ("logits[0] is NaN"), which the caller did not pass.
                throw new NonFiniteLogitsException("the model's logits are not finite: after the prefix "
                        + Quoted.literal(prefix) + " the logit of token " + i + " ("
                        + VisibleText.escape(tokenizer.tokenText(i)) + ") is " + logits[i] + ", so they give no"
                        + " distribution; a model's weights must be finite and small enough that its forward pass"
                        + " does not overflow a double", ids.length, i, logits[i]);
            }
        }
        return new NextToken(prefix, tokenizer, Softmax.softmax(logits));
    }

    /**
     * The prefix the prediction follows.
     *
     * @return the prefix, without BOS
     */
    public String prefix() {
        return prefix;
    }

    /**
     * The probability of every token, by id.
     *
     * @return a new array of {@code vocabSize} probabilities that sum to 1
     */
    public double[] probabilities() {
        return probabilities.clone();
    }

    /**
     * The probability of one token.
     *
     * @param tokenId the token's id
     * @return its probability
     * @throws IllegalArgumentException if the id is outside the vocabulary
     */
    public double probability(int tokenId) {
        if (tokenId < 0 || tokenId >= probabilities.length) {
            throw new IllegalArgumentException("token id " + tokenId + " is outside the vocabulary [0, "
                    + probabilities.length + ")");
        }
        return probabilities[tokenId];
    }

    /**
     * The {@code k} most likely next tokens, most likely first (equal probabilities by token id).
     *
     * @param k how many; at least 1 (more than the vocabulary gives them all)
     * @return up to {@code k} candidates
     * @throws IllegalArgumentException if {@code k < 1}
     */
    public List<Candidate> top(int k) {
        if (k < 1) {
            throw new IllegalArgumentException("k must be at least 1, got " + k);
        }
        List<Candidate> all = new ArrayList<>(probabilities.length);
        for (int id = 0; id < probabilities.length; id++) {
            all.add(new Candidate(id, tokenizer.tokenText(id), probabilities[id]));
        }
        all.sort(Comparator.comparingDouble(Candidate::probability).reversed()
                .thenComparingInt(Candidate::tokenId));
        return List.copyOf(all.subList(0, Math.min(k, all.size())));
    }

    /**
     * The prefix and its three most likely next tokens, as a student would read them off. The
     * prefix and the tokens are quoted as a Java string literal writes them, so that a vocabulary
     * of any characters prints unambiguously: a double quote as {@code \"}, a backslash as
     * {@code \\}, and a character that would not show as itself (a tab, a line break, a
     * zero-width space: {@link VisibleText#isHidden}) as a {@code \}{@code uXXXX} escape.
     * Without it, a {@code "} token printed as three quotes in a row and a line break cut the line.
     *
     * @return for example
     *     {@code NextToken[prefix="ma", 27 tokens, most likely: "r" 0.31, "x" 0.12, "<BOS>" 0.09]},
     *     or {@code NextToken[prefix="a\"", 4 tokens, most likely: "\\" 0.4, "\"" 0.3, "a" 0.2]}
     *     after the prefix {@code a"} with a vocabulary of {@code a}, {@code "} and {@code \}
     */
    @Override
    public String toString() {
        List<String> likely = new ArrayList<>();
        for (Candidate candidate : top(3)) {
            likely.add(Quoted.literal(candidate.text()) + " " + candidate.probability());
        }
        return "NextToken[prefix=" + Quoted.literal(prefix) + ", " + probabilities.length + " tokens, most likely: "
                + String.join(", ", likely) + "]";
    }
}
