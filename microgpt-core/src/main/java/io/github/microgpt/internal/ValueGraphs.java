package io.github.microgpt.internal;

import java.util.function.LongUnaryOperator;

/**
 * How much memory the graph of the {@code Value} engine's models takes at least, counted from
 * their shapes before any of it is built, so that a step over a document far too long for the
 * heap is refused at once with a clear message rather than running out of memory halfway
 * through building it. One count for the library's models (which refuse such a step) and the
 * command line (which refuses such a run before it builds the model).
 *
 * <p>Every figure is a lower bound: it counts only what the forward pass must allocate for
 * certain, with the smallest sizes HotSpot gives (compressed references): a node is a
 * {@code Value} of 64 bytes; an output of a linear layer of {@code n} inputs is its node and, for
 * each input, a reference to the weight and a copy of its data (12 bytes); a dot product of two
 * computed vectors copies both sides (24 bytes a term). Headers of arrays, the sums inside
 * RMSNorm and softmax, and everything the backward pass adds are left out. At the default shape
 * (16 wide, 1 layer, 4 heads, 27 tokens) the count is about 0.7 of what a step's graph holds
 * (measured 93.8 KB a position plus 3.5 KB a pair of positions; counted 68 KB and 2 KB), so
 * that a step that fits is never refused while one that needs many times the heap is.
 *
 * <p>The attention of position {@code p} reads the {@code p + 1} positions up to it, so a
 * document of {@code T} positions builds {@code T (T + 1) / 2} pairs: a GPT's graph grows with
 * the square of the document's length (at the default shape, 500 positions take about 0.5 GB).
 *
 * <p>Counts are doubles, so that no shape overflows; {@link #bytes} turns one into a long.
 */
public final class ValueGraphs {

    /** A {@code Value}: a 12-byte header, four doubles, four references and three flags. */
    static final double NODE = 64;
    /** A weight's term in a linear layer's output: a reference to it and a copy of its data. */
    static final double WEIGHT_TERM = 4 + 8;
    /** A term of a dot product of two computed vectors: a reference and a copy of data on each side. */
    static final double DOT_TERM = 2 * (4 + 8);

    private ValueGraphs() {
    }

    /** The outputs of a linear layer: {@code outputs} nodes of {@code inputs} weight terms each. */
    static double linear(double outputs, double inputs) {
        return outputs * (NODE + WEIGHT_TERM * inputs);
    }

    /**
     * What the loss adds to a model's forward passes ({@code ValueLanguageModel.loss}): at each
     * position a softmax over the vocabulary (a shifted logit, its exponential and its share of the
     * sum: three nodes a token) and the chosen token's log and negation.
     *
     * @param positions the positions of the step
     * @param vocabSize the number of tokens
     * @return the bytes, at least
     */
    public static double loss(long positions, int vocabSize) {
        return positions * (3 * NODE * vocabSize + 2 * NODE);
    }

    /**
     * What the forward passes of a GPT ({@code GptModel}), or of an attention-only model
     * ({@code AttentionModel}, {@code withMlp} false), build over {@code positions} positions of
     * one sequence: at each position the embeddings, every layer's RMSNorms, products, residual
     * additions and ReLU, and the head's logits; and at each pair of a position and one it attends
     * to, in every layer, each head's score (a dot product over the head's width and its scaling),
     * its softmax and the weighted sum of the values.
     *
     * @param nLayer the layers
     * @param nEmbd the width
     * @param nHead the heads
     * @param vocabSize the number of tokens
     * @param positions the positions of the sequence
     * @param withMlp whether each layer has an MLP block after its attention
     * @return the bytes, at least
     */
    public static double gptForward(int nLayer, int nEmbd, int nHead, int vocabSize, long positions,
                                    boolean withMlp) {
        double p = positions;
        double perPosition = 2 * nEmbd * NODE + nLayer * layerPerPosition(nEmbd, withMlp) + linear(vocabSize, nEmbd);
        return p * perPosition + p * (p + 1) / 2 * nLayer * layerPerPair(nEmbd, nHead);
    }

    /**
     * What a sequence of a GPT or attention-only model keeps once it has read {@code positions}
     * tokens, for a sampler: its cache holds every layer's keys and values of every position, and
     * through them the graph they were computed from: the embeddings, every layer but the last
     * whole (its attention included), and the last one's RMSNorm, keys and values (not its
     * attention, MLP or the logits, which no later position reads).
     *
     * @param nLayer the layers
     * @param nEmbd the width
     * @param nHead the heads
     * @param positions the positions read
     * @param withMlp whether each layer has an MLP block after its attention
     * @return the bytes, at least
     */
    public static double gptSequence(int nLayer, int nEmbd, int nHead, long positions, boolean withMlp) {
        double p = positions;
        double perPosition = 2 * nEmbd * NODE + (nLayer - 1) * layerPerPosition(nEmbd, withMlp)
                + nEmbd * NODE + 2 * linear(nEmbd, nEmbd);
        return p * perPosition + p * (p + 1) / 2 * (nLayer - 1) * layerPerPair(nEmbd, nHead);
    }

    /** A layer's nodes at one position, apart from the pairs of its attention. */
    private static double layerPerPosition(double c, boolean withMlp) {
        double layer = 3 * c * NODE                      // RMSNorm's outputs, the weighted sums' nodes, the residual
                + 4 * linear(c, c);                      // q, k, v and the attention's output
        if (withMlp) {
            layer += 2 * c * NODE                        // RMSNorm's outputs, the residual
                    + linear(4 * c, c) + 4 * c * NODE    // fc1 and its ReLU
                    + linear(c, 4 * c);                  // fc2
        }
        return layer;
    }

    /** A layer's nodes for one pair of a position and a position it attends to. */
    private static double layerPerPair(double c, int nHead) {
        return nHead * (NODE + DOT_TERM * (c / nHead)   // a head's score: q . k
                + NODE + 3 * NODE)                      // its scaling, its softmax
                + c * DOT_TERM;                         // a term of every weighted sum
    }

    /**
     * What the forward passes of the MLP of the progression ({@code MlpModel}) build over
     * {@code positions} positions: at each, the hidden layer over a window of embeddings, its
     * tanh, and the logits.
     *
     * @param window the inputs of the hidden layer (the window's embeddings, end to end)
     * @param hidden the hidden units
     * @param vocabSize the number of tokens
     * @param positions the positions of the step
     * @return the bytes, at least
     */
    public static double mlpForward(int window, int hidden, int vocabSize, long positions) {
        return positions * (linear(hidden, window) + hidden * NODE + linear(vocabSize, hidden));
    }

    /**
     * A count as a number of bytes.
     *
     * @param count a count of this class
     * @return it rounded down, or {@link Long#MAX_VALUE} if it is larger
     */
    public static long bytes(double count) {
        return count >= Long.MAX_VALUE ? Long.MAX_VALUE : (long) count;
    }

    /**
     * The most positions whose graph takes at most {@code limit} bytes.
     *
     * @param bytesOf the bytes of a number of positions, growing with it
     * @param most the most positions to consider (the block size)
     * @param limit the bytes available
     * @return from 0 (not even one position fits) to {@code most}
     */
    public static long mostPositions(LongUnaryOperator bytesOf, long most, long limit) {
        long low = 0;
        long high = most;
        while (low < high) {
            long mid = low + (high - low + 1) / 2;
            if (bytesOf.applyAsLong(mid) <= limit) {
                low = mid;
            } else {
                high = mid - 1;
            }
        }
        return low;
    }
}
