package io.github.microgpt.model;

import io.github.microgpt.autograd.Value;
import io.github.microgpt.internal.HeapBudget;
import io.github.microgpt.random.RandomSource;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Lesson 2 of the progression: an MLP over a fixed window of the last {@value #CONTEXT_TOKENS} tokens
 * (Bengio et al., 2003; the model of Karpathy's makemore, part 2). Where {@link BigramModel} keeps
 * one row of logits per token, this model gives every token an <em>embedding</em>, a learned
 * vector of {@code nEmbd} numbers, concatenates the embeddings of the window, and computes the
 * logits with one hidden layer. Tokens that behave alike get similar embeddings, so what is
 * learned about one helps the others.
 *
 * <pre>
 * window = embeddings of the last 3 tokens          # 3 * nEmbd numbers
 * h      = tanh(mlp_fc1 @ window)                    # 4 * nEmbd hidden units
 * logits = lm_head @ h
 * </pre>
 *
 * <p>The window looks back a fixed {@value #CONTEXT_TOKENS} tokens, whatever the position; before the
 * start of a sequence it repeats the first token (BOS), as makemore pads with its start
 * character. Its parameters: {@code wte} ({@code vocabSize x nEmbd}), {@code mlp_fc1}
 * ({@code 4 nEmbd x 3 nEmbd}), {@code lm_head} ({@code vocabSize x 4 nEmbd}). Next:
 * {@link AttentionModel} looks back over every earlier position, choosing what to look at.
 */
public final class MlpModel extends ValueLanguageModel {

    /** The number of tokens the window holds: the current one and the two before it. */
    public static final int CONTEXT_TOKENS = 3;

    private final Value[][] wte;
    private final Value[][] mlpFc1;
    private final Value[][] lmHead;

    private MlpModel(GptConfig config, int vocabSize, Map<String, Value[][]> stateDict) {
        super(config, vocabSize, stateDict);
        this.wte = matrix(ParameterLayout.WTE);
        this.mlpFc1 = matrix(ParameterLayout.MLP_FC1);
        this.lmHead = matrix(ParameterLayout.LM_HEAD);
    }

    /**
     * Creates an MLP with random weights, each {@code random.gauss(0, config.initStd())}, drawn
     * matrix by matrix in the order {@code wte}, {@code mlp_fc1}, {@code lm_head}.
     *
     * @param config {@code nEmbd} (embedding width), {@code blockSize} (the longest sequence)
     *     and {@code initStd} are used
     * @param vocabSize the number of tokens; at least 2
     * @param random the source of the initial weights
     * @return the model
     * @throws IllegalArgumentException if {@code vocabSize < 2}, or {@code nEmbd} is too wide for a
     *     window of {@value #CONTEXT_TOKENS} embeddings, or its weights and gradients would fill more than
     *     half of the Java heap (at least 68 bytes a parameter: a {@code Value} each)
     */
    public static MlpModel create(GptConfig config, int vocabSize, RandomSource random) {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(random, "random");
        ParameterLayout layout = Architecture.MLP.layout(config, vocabSize);
        // Refused before any Value is made, as GptModel does: filling it ran out of memory.
        HeapBudget.checkModel("an MlpModel", layout.size(), GptModel.BYTES_PER_PARAMETER,
                Runtime.getRuntime().maxMemory(), "a smaller nEmbd");
        return new MlpModel(config, vocabSize, gaussianWeights(layout, config.initStd(), random));
    }

    /**
     * One layer of cache: its keys hold the embedding of every token read, so that the window
     * can look back.
     *
     * @return a cache of one layer
     */
    @Override
    public KvCache newCache() {
        return new KvCache(1);
    }

    @Override
    public Value[] forward(int tokenId, int posId, KvCache cache) {
        // Called directly, not through this class's loss or sampling: a clear error, not an index
        // one or a silent answer from a cache that skipped a position.
        checkForward(tokenId, posId, cache, 1);
        List<Value[]> embeddings = cache.keys(0);
        embeddings.add(wte[tokenId]);
        int d = config().nEmbd();
        // The window: tokens posId-2, posId-1, posId; before position 0, the token at position 0.
        Value[] window = new Value[CONTEXT_TOKENS * d];
        for (int w = 0; w < CONTEXT_TOKENS; w++) {
            int position = Math.max(0, posId - (CONTEXT_TOKENS - 1) + w);
            System.arraycopy(embeddings.get(position), 0, window, w * d, d);
        }
        Value[] h = ValueOps.tanh(ValueOps.linear(window, mlpFc1));
        return ValueOps.linear(h, lmHead);
    }
}
