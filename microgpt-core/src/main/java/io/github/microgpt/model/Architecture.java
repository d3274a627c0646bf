package io.github.microgpt.model;

import io.github.microgpt.internal.ModelChecks;
import io.github.microgpt.internal.ShortIds;
import io.github.microgpt.random.RandomSource;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The progression of models a course builds up to the GPT with, each one step more than the one
 * before; every one is a {@link LanguageModel} over {@link io.github.microgpt.autograd.Value}s, so
 * the same trainer, sampler and listeners work with all of them.
 *
 * <pre>{@code
 * LanguageModel model = Architecture.MLP.create(GptConfig.defaults(), tokenizer.vocabSize(), new PythonRandom(42));
 * }</pre>
 */
public enum Architecture {

    /** {@link BigramModel}: a table of logits, the next token from the current one only. */
    BIGRAM("bigram") {
        @Override
        public LanguageModel create(GptConfig config, int vocabSize, RandomSource random) {
            return BigramModel.create(config, vocabSize, random);
        }

        @Override
        public ParameterLayout layout(GptConfig config, int vocabSize) {
            Objects.requireNonNull(config, "config");
            ModelChecks.vocabSize(vocabSize);
            return ParameterLayout.builder().add("logits", vocabSize, vocabSize).build();
        }

        @Override
        long count(long v, long d, GptConfig config) {
            return Math.multiplyExact(v, v);
        }
    },

    /** {@link MlpModel}: embeddings of the last three tokens and one hidden layer. */
    MLP("mlp") {
        @Override
        public LanguageModel create(GptConfig config, int vocabSize, RandomSource random) {
            return MlpModel.create(config, vocabSize, random);
        }

        @Override
        public ParameterLayout layout(GptConfig config, int vocabSize) {
            Objects.requireNonNull(config, "config");
            ModelChecks.vocabSize(vocabSize);
            int d = config.nEmbd();
            return ParameterLayout.builder()
                    .add(ParameterLayout.WTE, vocabSize, d)
                    .add(ParameterLayout.MLP_FC1, hidden(d), MlpModel.CONTEXT_TOKENS * d)
                    .add(ParameterLayout.LM_HEAD, vocabSize, hidden(d))
                    .build();
        }

        @Override
        long count(long v, long d, GptConfig config) {
            // wte V x d, mlp_fc1 4d x 3d, lm_head V x 4d
            return Math.addExact(Math.multiplyExact(5 * v, d), Math.multiplyExact(12 * d, d));
        }

        /** Four times the width, as the GPT's MLP; refused rather than overflowing. */
        private int hidden(int d) {
            long hidden = 4L * d;
            if (hidden * MlpModel.CONTEXT_TOKENS > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("n_embd " + d + " is too wide for an MLP over "
                        + MlpModel.CONTEXT_TOKENS + " tokens");
            }
            return (int) hidden;
        }
    },

    /** {@link AttentionModel}: attention over every earlier position, no MLP. */
    ATTENTION("attention") {
        @Override
        public LanguageModel create(GptConfig config, int vocabSize, RandomSource random) {
            return AttentionModel.create(config, vocabSize, random);
        }

        @Override
        public ParameterLayout layout(GptConfig config, int vocabSize) {
            Objects.requireNonNull(config, "config");
            ModelChecks.vocabSize(vocabSize);
            int d = config.nEmbd();
            ParameterLayout.Builder layout = ParameterLayout.builder()
                    .add(ParameterLayout.WTE, vocabSize, d)
                    .add(ParameterLayout.WPE, config.blockSize(), d)
                    .add(ParameterLayout.LM_HEAD, vocabSize, d);
            for (int layer = 0; layer < config.nLayer(); layer++) {
                for (String matrix : List.of(ParameterLayout.ATTN_WQ, ParameterLayout.ATTN_WK,
                        ParameterLayout.ATTN_WV, ParameterLayout.ATTN_WO)) {
                    layout.add(ParameterLayout.inLayer(layer, matrix), d, d);
                }
            }
            return layout.build();
        }

        @Override
        long count(long v, long d, GptConfig config) {
            long embeddings = Math.addExact(Math.multiplyExact(2 * v, d), Math.multiplyExact(config.blockSize(), d));
            return Math.addExact(embeddings, Math.multiplyExact(Math.multiplyExact(4 * d, d), config.nLayer()));
        }
    },

    /** {@link GptModel}: attention and an MLP per layer, {@code microgpt.py}'s model. */
    GPT("gpt") {
        @Override
        public LanguageModel create(GptConfig config, int vocabSize, RandomSource random) {
            return GptModel.create(config, vocabSize, random);
        }

        @Override
        public ParameterLayout layout(GptConfig config, int vocabSize) {
            return ParameterLayout.gpt(config, vocabSize);
        }

        @Override
        long count(long v, long d, GptConfig config) {
            return ParameterLayout.gptSize(config, (int) v);
        }
    };

    private final String id;

    Architecture(String id) {
        this.id = id;
    }

    /**
     * Creates a model of this architecture with random initial weights.
     *
     * @param config the shape (each model uses the parts it needs; see its class)
     * @param vocabSize the number of tokens; at least 2
     * @param random the source of the initial weights
     * @return the model
     * @throws IllegalArgumentException if {@code vocabSize < 2}, the model would have more than
     *     {@link ParameterLayout#MAX_SIZE} parameters, or its weights and gradients would fill more
     *     than half of the Java heap (at least 68 bytes a parameter: a {@code Value} each); the
     *     message gives the estimate and what to make smaller
     * @throws NullPointerException if {@code config} or {@code random} is null
     */
    public abstract LanguageModel create(GptConfig config, int vocabSize, RandomSource random);

    /**
     * The names and shapes of the weight matrices a model of this architecture has, in the order
     * of its parameters, without making the model: what {@link #create} would build, as
     * {@code create(config, vocabSize, random).parameters().matrixLayouts()} lists it. A checkpoint
     * checks a file against it before reading any weight.
     *
     * @param config the shape
     * @param vocabSize the number of tokens; at least 2
     * @return the layout
     * @throws IllegalArgumentException if {@code vocabSize < 2}, or the model would have more
     *     than {@link ParameterLayout#MAX_SIZE} parameters
     * @throws NullPointerException if {@code config} is null (also for {@link #BIGRAM}, which
     *     does not read it)
     */
    public abstract ParameterLayout layout(GptConfig config, int vocabSize);

    /**
     * The number of parameters a model of this architecture has (what its
     * {@link LanguageModel#numParameters()} returns once built), computed without building
     * anything (not even the {@link #layout}), so that a size read from a file can be checked
     * before any memory is taken. It saturates at {@code Long.MAX_VALUE} instead of overflowing.
     * It is a {@code long}, unlike the {@code int} of {@link LanguageModel#numParameters()} and
     * {@link ParameterLayout}, because it answers for shapes too large to build: a model that
     * exists has at most {@link ParameterLayout#MAX_SIZE} parameters, an {@code int}.
     *
     * @param config the shape
     * @param vocabSize the number of tokens; not negative
     * @return the count, or {@code Long.MAX_VALUE} if it does not fit in a {@code long}
     * @throws IllegalArgumentException if {@code vocabSize} is negative
     * @throws NullPointerException if {@code config} is null (also for {@link #BIGRAM}, which
     *     does not read it)
     */
    public long numParameters(GptConfig config, int vocabSize) {
        Objects.requireNonNull(config, "config");
        if (vocabSize < 0) {
            throw new IllegalArgumentException("vocabSize must not be negative, got " + vocabSize);
        }
        try {
            return count(vocabSize, config.nEmbd(), config);
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    /** The count for {@link #numParameters}, in exact arithmetic that throws on overflow. */
    abstract long count(long v, long d, GptConfig config);

    /**
     * The architecture of a model, if it has one of the progression's: {@link #BIGRAM},
     * {@link #MLP}, {@link #ATTENTION} or {@link #GPT} for the library's models of those classes
     * (a {@link GptModel} or an {@link ArrayGptModel} is a {@code GPT}); for any other model (a
     * learner's own, say a {@link ValueLanguageModel}), the architecture whose {@link #layout} its
     * {@link Parameters#matrixLayouts()} have, names and shapes, for its configuration and vocabulary
     * (a learner's copy of the GPT over the same matrices is a {@code GPT}). Empty for a model
     * laid out as none of them, as {@link Engine#of} is for a model of no engine of the library.
     *
     * @param model the model
     * @return its architecture, or empty if it has none of the four
     * @throws NullPointerException if {@code model} is null
     */
    public static Optional<Architecture> of(LanguageModel model) {
        Objects.requireNonNull(model, "model");
        Architecture library = ofLibraryClass(model);
        if (library != null) {
            return Optional.of(library);
        }
        List<MatrixLayout> matrices = model.parameters().matrixLayouts();
        for (Architecture architecture : values()) {
            try {
                if (architecture.numParameters(model.config(), model.vocabSize()) == model.numParameters()
                        && architecture.layout(model.config(), model.vocabSize()).matrixLayouts().equals(matrices)) {
                    return Optional.of(architecture);
                }
            } catch (IllegalArgumentException e) {
                // A shape this architecture cannot take (too wide for an MLP): not this one.
            }
        }
        return Optional.empty();
    }

    /**
     * The architecture of a model of one of the library's (final) classes, from its class alone:
     * what its forward pass computes, and so what the {@code ValueGraphs} count for it.
     *
     * @param model the model
     * @return its architecture, or null for a model of any other class
     */
    static Architecture ofLibraryClass(LanguageModel model) {
        if (model instanceof BigramModel) {
            return BIGRAM;
        }
        if (model instanceof MlpModel) {
            return MLP;
        }
        if (model instanceof AttentionModel) {
            return ATTENTION;
        }
        if (model instanceof GptModel || model instanceof ArrayGptModel) {
            return GPT;
        }
        return null;
    }

    /**
     * The short name, as used on command lines.
     *
     * @return {@code "bigram"}, {@code "mlp"}, {@code "attention"} or {@code "gpt"}
     */
    public String id() {
        return id;
    }

    /**
     * The architecture with a given short name, ignoring case (the same rules as
     * {@link Engine#fromId} and {@link Precision#fromId}).
     *
     * @param id {@code "bigram"}, {@code "mlp"}, {@code "attention"} or {@code "gpt"}, in any
     *     case; not trimmed
     * @return the architecture
     * @throws IllegalArgumentException if there is no architecture of that name; the message
     *     quotes the name and lists the models, as the command line's {@code --model} calls them
     *     ({@code unknown model "rnn"; the models are bigram, mlp, attention and gpt})
     * @throws NullPointerException if {@code id} is null
     */
    public static Architecture fromId(String id) {
        return ShortIds.find("model", values(), Architecture::id, id);
    }
}
