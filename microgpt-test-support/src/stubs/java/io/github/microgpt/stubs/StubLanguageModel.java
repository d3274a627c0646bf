package io.github.microgpt.stubs;

import io.github.microgpt.internal.ModelChecks;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.LanguageModel;
import io.github.microgpt.model.Parameters;
import io.github.microgpt.model.Predictions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.function.IntFunction;

/**
 * A {@link LanguageModel} whose logits a test chooses, to steer whatever reads them (a
 * {@code Sampler}, a command's last samples) into the case under test: a token that can never be
 * drawn, one that is certain, a tie, logits that overflowed, or a failure of the model itself.
 *
 * <p>It has no weights and does not train: {@link #parameters()} and {@link #lossAndGradients}
 * throw {@link UnsupportedOperationException}, so a test that reaches them by mistake fails at
 * once instead of reading made-up numbers. What it does:
 * <ul>
 *   <li>each {@link Sequence#next(int)} returns the logits the test gave, as a new array (the
 *       caller may change it without changing the next answer);</li>
 *   <li>it refuses a token outside its vocabulary and a read past its block size as the real
 *       models do ({@link Sequence#next(int)}'s contract: an {@link IllegalArgumentException}
 *       with their message, and nothing changed), so that a caller which feeds a bad token or
 *       steps too far fails here as it would there;</li>
 *   <li>it refuses logits that are not one per token of its vocabulary (a mistake in the test,
 *       an {@link IllegalStateException});</li>
 *   <li>it remembers every token it read, over all its sequences, in {@link #read()}, so that
 *       a test can check what the caller fed it (a read that failed is not counted).</li>
 * </ul>
 * The configuration it reports is {@code GptConfig(1, 4, 1, blockSize, 0.08)}: only the block
 * size means anything, the rest is a small valid shape.
 *
 * <p><b>Where this file lives.</b> In {@code microgpt-test-support}, which does not compile it:
 * that module must not depend on {@code microgpt-core}, whose own tests depend on it (Maven
 * refuses a cycle even between test dependencies). The tests of {@code microgpt-core} and
 * {@code microgpt-examples} compile this folder ({@code src/stubs/java}) along with their own
 * test sources (the {@code compileSourceRoots} of their {@code default-testCompile}), so there
 * is one stub and each module checks it against the library it tests. Its package is not under
 * {@code io.github.microgpt.testsupport}: core's tests compile inside core's module, and a folder
 * of that name among their sources would claim the package of {@code TestResources} for the module,
 * hiding the class.
 */
public final class StubLanguageModel implements LanguageModel {

    private final GptConfig config;
    private final int vocabSize;
    private final IntFunction<double[]> logits;
    private final List<Integer> read = new ArrayList<>();

    private StubLanguageModel(int vocabSize, int blockSize, IntFunction<double[]> logits) {
        if (vocabSize < 1) {
            throw new IllegalArgumentException("a vocabulary needs at least one token, not " + vocabSize);
        }
        this.config = new GptConfig(1, 4, 1, blockSize, 0.08);
        this.vocabSize = vocabSize;
        this.logits = Objects.requireNonNull(logits, "logits");
    }

    /**
     * A model that gives the same logits at every position, whatever it reads.
     *
     * @param logits one logit per token, BOS included (its length is the vocabulary size); copied
     * @param blockSize the most tokens a sequence may read
     * @return the model
     */
    public static StubLanguageModel fixed(double[] logits, int blockSize) {
        double[] copy = logits.clone();
        return new StubLanguageModel(copy.length, blockSize, tokenId -> copy);
    }

    /**
     * A model whose logits after reading a token are {@code logits.apply(tokenId)}: a function
     * that throws makes the model fail there, as a broken engine would.
     *
     * @param vocabSize the number of tokens, BOS included
     * @param blockSize the most tokens a sequence may read
     * @param logits the logits after each token read; each answer must hold {@code vocabSize}
     *     of them
     * @return the model
     */
    public static StubLanguageModel answering(int vocabSize, int blockSize, IntFunction<double[]> logits) {
        return new StubLanguageModel(vocabSize, blockSize, logits);
    }

    /**
     * The tokens the model read, in order, over all its sequences.
     *
     * @return a live, unmodifiable view
     */
    public List<Integer> read() {
        return Collections.unmodifiableList(read);
    }

    @Override
    public GptConfig config() {
        return config;
    }

    @Override
    public int vocabSize() {
        return vocabSize;
    }

    /** Refused: the stub has no weights. */
    @Override
    public Parameters parameters() {
        throw new UnsupportedOperationException("a stub model has no parameters");
    }

    @Override
    public Sequence newSequence() {
        return new Sequence() {
            private int length;

            @Override
            public int length() {
                return length;
            }

            @Override
            public double[] next(int tokenId) {
                // The real models' checks, in their order and with their messages: a caller that
                // feeds a bad token or steps past the block fails here as it would there.
                ModelChecks.token(tokenId, vocabSize, "the token");
                ModelChecks.position(length, config.blockSize());
                double[] answer = logits.apply(tokenId);
                if (answer.length != vocabSize) {
                    throw new IllegalStateException("the test gave " + answer.length + " logits for a vocabulary of "
                            + vocabSize);
                }
                length++;
                read.add(tokenId);
                return answer.clone();
            }
        };
    }

    /** Refused: the stub does not train. */
    @Override
    public double lossAndGradients(int[] tokens, int first, int end, Predictions predictions) {
        throw new UnsupportedOperationException("a stub model does not train");
    }
}
