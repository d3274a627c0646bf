package io.github.microgpt.internal;

import io.github.microgpt.model.Architecture;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.MlpModel;
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
 * {@code Value} of 64 bytes; an output of a linear layer is its node and the record of its terms
 * (32 bytes), and, for each input of a matrix whose copies a thread may not keep
 * ({@link ValueSums#mayKeep}), a reference to the weight and a copy of its data (12 bytes; the
 * copies of a matrix that may be kept are shared by the positions of a document while they fit
 * among those the thread keeps, and are counted as nothing); a dot product of two
 * computed vectors copies both sides (24 bytes a term). Headers of arrays, the sums inside
 * RMSNorm and softmax, and everything the backward pass adds are left out. At the default shape
 * (16 wide, 1 layer, 4 heads, 27 tokens) the count is more than half of what a step's graph
 * holds (measured 93.8 KB a position plus 3.5 KB a pair of positions when every position copied
 * the weights, 50 KB of it the copies; counted 27 KB and 2 KB), so that a step that fits is never
 * refused while one that needs many times the heap is.
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
    /** The record of the terms of a sum of products: a header, four references and two flags. */
    static final double TERMS = 32;
    /** A weight's term in a linear layer's output: a reference to it and a copy of its data. */
    static final double WEIGHT_TERM = 4 + 8;
    /** A term of a dot product of two computed vectors: a reference and a copy of data on each side. */
    static final double DOT_TERM = 2 * (4 + 8);

    private ValueGraphs() {
    }

    /**
     * The outputs of a linear layer at one position: {@code outputs} nodes with their records of
     * terms, and {@code inputs} weight terms each if the matrix is too large for a thread to keep
     * its copies between positions.
     */
    static double linear(double outputs, double inputs) {
        return outputs * (NODE + TERMS) + (ValueSums.mayKeep(outputs, inputs) ? 0 : WEIGHT_TERM * outputs * inputs);
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
     * What one training step of a library model of this architecture builds over
     * {@code positions} positions: its forward passes ({@link #forward}) and the loss
     * ({@link #loss}). The command line counts a step with this before it builds the model.
     *
     * @param architecture the model of the progression
     * @param config its shape
     * @param vocabSize the number of tokens
     * @param positions the positions of the step
     * @return the bytes, at least
     */
    public static double step(Architecture architecture, GptConfig config, int vocabSize, long positions) {
        return loss(positions, vocabSize) + forward(architecture, config, vocabSize, positions);
    }

    /**
     * What the forward passes of a library model of this architecture build over
     * {@code positions} positions of one sequence: the one count that the model itself and the
     * command line (before it builds the model) both use.
     *
     * <ul>
     *   <li>{@code GPT} and {@code ATTENTION} (the same without the MLP blocks): at each position
     *       the embeddings, every layer's RMSNorms, products, residual additions and ReLU, and
     *       the head's logits; and at each pair of a position and one it attends to, in every
     *       layer, each head's score (a dot product over the head's width and its scaling), its
     *       softmax and the weighted sum of the values.</li>
     *   <li>{@code MLP}: at each position the hidden layer over a window of
     *       {@code MlpModel.CONTEXT_TOKENS} embeddings, its tanh, and the logits.</li>
     *   <li>{@code BIGRAM}: nothing; its logits are a row of its table.</li>
     * </ul>
     *
     * @param architecture the model of the progression
     * @param config its shape
     * @param vocabSize the number of tokens
     * @param positions the positions of the sequence
     * @return the bytes, at least
     */
    public static double forward(Architecture architecture, GptConfig config, int vocabSize, long positions) {
        double p = positions;
        double c = config.nEmbd();
        return switch (architecture) {
            case GPT, ATTENTION -> {
                int nLayer = config.nLayer();
                double perPosition = 2 * c * NODE + nLayer * layerPerPosition(c, architecture == Architecture.GPT)
                        + linear(vocabSize, c);
                yield p * perPosition + p * (p + 1) / 2 * nLayer * layerPerPair(c, config.nHead());
            }
            case MLP -> p * (linear(hidden(c), MlpModel.CONTEXT_TOKENS * c) + hidden(c) * NODE
                    + linear(vocabSize, hidden(c)));
            case BIGRAM -> 0;
        };
    }

    /**
     * What a sequence of a library model of this architecture keeps once it has read
     * {@code positions} tokens, for a sampler. A GPT's or an attention-only model's cache holds
     * every layer's keys and values of every position, and through them the graph they were
     * computed from: the embeddings, every layer but the last whole (its attention included),
     * and the last one's RMSNorm, keys and values (not its attention, MLP or the logits, which no
     * later position reads). The MLP's cache holds only embeddings, which are its weights, and
     * the bigram keeps nothing: 0.
     *
     * @param architecture the model of the progression
     * @param config its shape
     * @param positions the positions read
     * @return the bytes, at least
     */
    public static double sequence(Architecture architecture, GptConfig config, long positions) {
        if (architecture != Architecture.GPT && architecture != Architecture.ATTENTION) {
            return 0;
        }
        double p = positions;
        double c = config.nEmbd();
        int nLayer = config.nLayer();
        double perPosition = 2 * c * NODE + (nLayer - 1) * layerPerPosition(c, architecture == Architecture.GPT)
                + c * NODE + 2 * linear(c, c);
        return p * perPosition + p * (p + 1) / 2 * (nLayer - 1) * layerPerPair(c, config.nHead());
    }

    /** An MLP's hidden units, four times the width, as {@code Architecture} lays out {@code mlp_fc1}. */
    private static double hidden(double c) {
        return 4 * c;
    }

    /** A GPT layer's nodes at one position, apart from the pairs of its attention. */
    private static double layerPerPosition(double c, boolean withMlp) {
        double layer = 3 * c * NODE                      // RMSNorm's outputs, the weighted sums' nodes, the residual
                + 4 * linear(c, c);                      // q, k, v and the attention's output
        if (withMlp) {
            layer += 2 * c * NODE                        // RMSNorm's outputs, the residual
                    + linear(hidden(c), c) + hidden(c) * NODE  // fc1 and its ReLU
                    + linear(c, hidden(c));              // fc2
        }
        return layer;
    }

    /** A GPT layer's nodes for one pair of a position and a position it attends to. */
    private static double layerPerPair(double c, int nHead) {
        return nHead * (NODE + DOT_TERM * (c / nHead)   // a head's score: q . k
                + NODE + 3 * NODE)                      // its scaling, its softmax
                + c * DOT_TERM;                         // a term of every weighted sum
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
