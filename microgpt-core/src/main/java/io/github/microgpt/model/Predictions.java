package io.github.microgpt.model;

import java.util.Arrays;
import java.util.Objects;

/**
 * What a model predicted at each position a training call counted: the distribution it gave the
 * next token, and the loss there, {@code -log} of the probability of the right token. It is the
 * second result of {@link LanguageModel#lossAndGradients(int[], int, int, Predictions)}, whose
 * first is the mean loss: pass one in, and the model fills it.
 *
 * <pre>{@code
 * Predictions predictions = new Predictions();
 * double loss = model.lossAndGradients(tokens, 0, n, predictions);
 * for (int p = predictions.first(); p < predictions.end(); p++) {
 *     System.out.printf("after %d tokens: p(right token) = %.3f, loss %.3f%n",
 *             p + 1, predictions.probability(p, tokens[p + 1]), predictions.loss(p));
 * }
 * }</pre>
 *
 * <p>Why a buffer rather than a callback: nothing of the caller runs while the model computes,
 * and one {@code Predictions} can be passed to every call of a run. Each fill replaces what the
 * buffer held before, and reuses its arrays, so a training loop that keeps one allocates nothing
 * for it once the longest document has been seen. (Hooks, by contrast, are listeners: the
 * {@code Trainer} turns these predictions into events for its position listeners.)
 *
 * <p>A model fills it with {@link #clear()}, then {@link #add} once per counted position, in
 * position order. Not thread-safe; a batch call fills one per document.
 */
public final class Predictions {

    /**
     * The most numbers the buffer holds: the distributions of all the positions of a call, of
     * {@link #vocabSize()} numbers each, share one array, and a JVM may refuse an array longer
     * than this (the JDK's own collections grow to at most this length).
     */
    static final int MAX_NUMBERS = Integer.MAX_VALUE - 8;

    private int first;
    private int end;
    private int vocabSize;
    /** Row {@code p - first} holds the distribution at position {@code p}: {@code (end - first) x vocabSize}. */
    private double[] probabilities = new double[0];
    /** {@code losses[p - first]}: the loss at position {@code p}. */
    private double[] losses = new double[0];

    /** Creates an empty buffer, ready to be filled by a model. */
    public Predictions() {
    }

    /**
     * The first position recorded.
     *
     * @return the {@code first} of the call that filled this buffer; 0 if it is empty
     */
    public int first() {
        return first;
    }

    /**
     * One past the last position recorded.
     *
     * @return the {@code end} of the call that filled this buffer; equal to {@link #first()} if
     *     it is empty
     */
    public int end() {
        return end;
    }

    /**
     * The number of tokens each distribution covers.
     *
     * @return the model's vocabulary size; 0 if the buffer is empty
     */
    public int vocabSize() {
        return vocabSize;
    }

    /**
     * The loss at one position: {@code -log} of the probability the model gave the right next
     * token.
     *
     * @param posId a position in {@code [first(), end())}
     * @return the loss there
     * @throws IndexOutOfBoundsException if the position was not recorded
     */
    public double loss(int posId) {
        return losses[row(posId)];
    }

    /**
     * The probability the model gave one token at one position.
     *
     * @param posId a position in {@code [first(), end())}
     * @param tokenId a token in {@code [0, vocabSize())}
     * @return its probability of coming next
     * @throws IndexOutOfBoundsException if the position was not recorded
     * @throws IllegalArgumentException if the token id is outside {@code [0, vocabSize())}, naming
     *     it and the vocabulary size (as every method that takes a token id does)
     */
    public double probability(int posId, int tokenId) {
        int row = row(posId);
        if (tokenId < 0 || tokenId >= vocabSize) {
            throw new IllegalArgumentException("token id " + tokenId + " is outside the vocabulary [0, " + vocabSize
                    + ")");
        }
        return probabilities[row * vocabSize + tokenId];
    }

    /**
     * The whole distribution at one position.
     *
     * @param posId a position in {@code [first(), end())}
     * @return a new array of {@link #vocabSize()} probabilities, the caller's to keep
     * @throws IndexOutOfBoundsException if the position was not recorded
     */
    public double[] probabilities(int posId) {
        int from = row(posId) * vocabSize;
        return Arrays.copyOfRange(probabilities, from, from + vocabSize);
    }

    /** Empties the buffer: a model calls it before it records the positions of a call. */
    public void clear() {
        first = 0;
        end = 0;
        vocabSize = 0;
    }

    /**
     * Records the prediction at the next position: a model calls it once per counted position,
     * in order, after {@link #clear()}. The first position recorded after a clear may be any;
     * each later one must follow the one before.
     *
     * @param posId the position, {@link #end()} unless the buffer is empty
     * @param distribution the predicted distribution of the next token (copied; the model may
     *     reuse its array)
     * @param loss {@code -log} of the probability of the right next token
     * @throws IllegalArgumentException if the position does not follow the last one recorded, is
     *     {@code Integer.MAX_VALUE} (then {@link #end()}, one past it, would not be an int), or
     *     the distribution is empty or not as long as the ones recorded before
     * @throws IllegalStateException if the distributions of the positions recorded so far and
     *     this one would be more numbers than one Java array holds ({@code Integer.MAX_VALUE - 8});
     *     the buffer is left as it was
     */
    public void add(int posId, double[] distribution, double loss) {
        Objects.requireNonNull(distribution, "distribution");
        if (posId == Integer.MAX_VALUE) {
            // end() would wrap around to Integer.MIN_VALUE, before first(): the buffer would say it
            // held nothing. No model has a block this long; the check keeps the buffer honest.
            throw new IllegalArgumentException("cannot record position " + posId
                    + ": end(), one past it, would not be an int");
        }
        boolean empty = end == first;
        if (empty) {
            if (posId < 0 || distribution.length == 0) {
                throw new IllegalArgumentException("cannot record position " + posId + " with " + distribution.length
                        + " probabilities");
            }
        } else if (posId != end) {
            throw new IllegalArgumentException("position " + posId + " does not follow position " + (end - 1)
                    + ", the last recorded (a model calls clear() before the positions of a call)");
        } else if (distribution.length != vocabSize) {
            throw new IllegalArgumentException("position " + posId + " has " + distribution.length
                    + " probabilities but the positions before it have " + vocabSize);
        }
        int row = end - first;  // 0 when empty
        // Checked before anything changes, so that a refused position leaves the buffer as it was.
        int numbers = grownLength(probabilities.length, row + 1, distribution.length);
        if (empty) {
            first = posId;
            end = posId;
            vocabSize = distribution.length;
        }
        if (numbers != probabilities.length) {
            probabilities = Arrays.copyOf(probabilities, numbers);
        }
        int rows = grownLength(losses.length, row + 1, 1);
        if (rows != losses.length) {
            losses = Arrays.copyOf(losses, rows);
        }
        System.arraycopy(distribution, 0, probabilities, row * vocabSize, vocabSize);
        losses[row] = loss;
        end++;
    }

    /**
     * The length an array of {@code length} numbers must have to hold {@code rows} rows of
     * {@code perRow}: {@code length} itself if they fit, else twice as long (so that filling the
     * buffer position by position copies each number a bounded number of times on average), at
     * least {@code rows * perRow} and at most {@link #MAX_NUMBERS}. Computed in {@code long}: in
     * {@code int} the product wraps around past 2^31 (a vocabulary of a million tokens and a
     * block of 2,200 positions), and the buffer failed with an array index out of bounds.
     *
     * @param length the array's length now
     * @param rows the rows it must hold; at least 1
     * @param perRow the numbers in a row; at least 1
     * @return the new length, or {@code length} if they fit
     * @throws IllegalStateException if the rows need more than {@link #MAX_NUMBERS} numbers
     */
    static int grownLength(int length, int rows, int perRow) {
        long needed = (long) rows * perRow;
        if (needed <= length) {
            return length;
        }
        if (needed > MAX_NUMBERS) {
            throw new IllegalStateException("cannot record " + rows + " positions of " + perRow
                    + " probabilities: that is " + needed + " numbers, more than one Java array holds ("
                    + MAX_NUMBERS + "); record fewer positions per call, or use a smaller vocabulary");
        }
        return (int) Math.min(Math.max(2L * length, needed), MAX_NUMBERS);
    }

    private int row(int posId) {
        if (posId < first || posId >= end) {
            throw new IndexOutOfBoundsException(end == first ? "no position is recorded"
                    : "position " + posId + " is not recorded; the positions are [" + first + ", " + end + ")");
        }
        return posId - first;
    }

    @Override
    public String toString() {
        return "Predictions[positions " + first + ".." + end + ", " + vocabSize + " tokens]";
    }
}
