package io.github.microgpt.model;

import io.github.microgpt.autograd.Value;
import io.github.microgpt.internal.HeapBudget;
import io.github.microgpt.internal.ModelChecks;
import io.github.microgpt.random.RandomSource;
import java.util.Map;
import java.util.Objects;

/**
 * Lesson 1 of the progression: a bigram model. The next token depends on the current token
 * only, through a table of logits with one row per current token and one column per next token.
 * Training learns how often each letter follows each other letter, and nothing more: the model
 * cannot know where in a name it is.
 *
 * <pre>
 * logits = table[token_id]
 * </pre>
 *
 * <p>Its parameters: {@code logits}, {@code vocabSize x vocabSize}. Next: {@link MlpModel}
 * looks at several tokens back, through learned embeddings.
 */
public final class BigramModel extends ValueLanguageModel {

    private final Value[][] table;

    private BigramModel(GptConfig config, int vocabSize, Map<String, Value[][]> stateDict) {
        super(config, vocabSize, stateDict);
        this.table = matrix("logits");
    }

    /**
     * Creates a bigram model with random logits, each {@code random.gauss(0, config.initStd())}.
     *
     * @param config only {@code blockSize} (the longest sequence) and {@code initStd} are used
     * @param vocabSize the number of tokens; at least 2
     * @param random the source of the initial logits
     * @return the model
     * @throws IllegalArgumentException if {@code vocabSize < 2}, or its weights and gradients would
     *     fill more than half of the Java heap (at least 68 bytes a parameter: a {@code Value} each)
     */
    public static BigramModel create(GptConfig config, int vocabSize, RandomSource random) {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(random, "random");
        ParameterLayout layout = Architecture.BIGRAM.layout(config, vocabSize);
        // Refused before any Value is made, as GptModel does: filling it ran out of memory.
        HeapBudget.checkModel("a BigramModel", layout.size(), GptModel.BYTES_PER_PARAMETER,
                Runtime.getRuntime().maxMemory(),
                "data with fewer distinct characters (the table has a row and a column for each)");
        return new BigramModel(config, vocabSize, gaussianWeights(layout, config.initStd(), random));
    }

    /**
     * Looks up the row of the current token: the logits of the next token.
     *
     * @param tokenId the token read, in {@code [0, vocabSize())}
     * @param posId ignored, and not checked: a bigram model does not know the position
     * @param cache ignored, and may be null: a bigram model remembers nothing
     * @return a new array holding the table's row for {@code tokenId} (its elements are the
     *     parameters themselves)
     * @throws IllegalArgumentException if {@code tokenId} is outside the vocabulary
     */
    @Override
    public Value[] forward(int tokenId, int posId, KvCache cache) {
        // Called directly, not through this class's loss or sampling: a clear error, not an index one.
        ModelChecks.token(tokenId, vocabSize(), "the token");
        return table[tokenId].clone();
    }
}
