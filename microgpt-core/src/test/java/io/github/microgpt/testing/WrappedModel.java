package io.github.microgpt.testing;

import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.LanguageModel;
import io.github.microgpt.model.Parameters;
import io.github.microgpt.model.Predictions;

/**
 * A model of a class outside the library: it hands everything to a model of the library, and
 * each token its sequences read to {@code next}, which may stop the reading thread there or
 * change the logits. For the tests of what the library does with a model it does not know (reads
 * it one thread at a time, blames the model for logits that are not finite).
 */
public final class WrappedModel implements LanguageModel {

    /** What a sequence of the wrapper does with each token it is given. */
    @FunctionalInterface
    public interface Next {
        /**
         * Reads {@code tokenId} with the inner model's sequence (or not) and returns the logits.
         *
         * @param inner the inner model's sequence
         * @param tokenId the token read
         * @return the logits the wrapper's sequence returns
         */
        double[] next(Sequence inner, int tokenId);
    }

    private final LanguageModel inner;
    private final Next next;

    /**
     * Wraps {@code inner}.
     *
     * @param inner the model that does the work
     * @param next what each {@link Sequence#next} of the wrapper does
     */
    public WrappedModel(LanguageModel inner, Next next) {
        this.inner = inner;
        this.next = next;
    }

    @Override
    public GptConfig config() {
        return inner.config();
    }

    @Override
    public int vocabSize() {
        return inner.vocabSize();
    }

    @Override
    public Parameters parameters() {
        return inner.parameters();
    }

    @Override
    public double lossAndGradients(int[] tokens, int first, int end, Predictions predictions) {
        return inner.lossAndGradients(tokens, first, end, predictions);
    }

    @Override
    public Sequence newSequence() {
        Sequence sequence = inner.newSequence();
        return new Sequence() {
            @Override
            public int length() {
                return sequence.length();
            }

            @Override
            public double[] next(int tokenId) {
                return next.next(sequence, tokenId);
            }
        };
    }
}
