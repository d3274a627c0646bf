package io.github.microgpt.model;

import io.github.microgpt.random.RandomSource;
import java.util.Locale;

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
    },

    /** {@link MlpModel}: embeddings of the last three tokens and one hidden layer. */
    MLP("mlp") {
        @Override
        public LanguageModel create(GptConfig config, int vocabSize, RandomSource random) {
            return MlpModel.create(config, vocabSize, random);
        }
    },

    /** {@link AttentionModel}: attention over every earlier position, no MLP. */
    ATTENTION("attention") {
        @Override
        public LanguageModel create(GptConfig config, int vocabSize, RandomSource random) {
            return AttentionModel.create(config, vocabSize, random);
        }
    },

    /** {@link GptModel}: attention and an MLP per layer, {@code microgpt.py}'s model. */
    GPT("gpt") {
        @Override
        public LanguageModel create(GptConfig config, int vocabSize, RandomSource random) {
            return GptModel.create(config, vocabSize, random);
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
     * @throws IllegalArgumentException if {@code vocabSize < 2}
     */
    public abstract LanguageModel create(GptConfig config, int vocabSize, RandomSource random);

    /**
     * The short name, as used on command lines.
     *
     * @return {@code "bigram"}, {@code "mlp"}, {@code "attention"} or {@code "gpt"}
     */
    public String id() {
        return id;
    }

    /**
     * The architecture with a given short name, ignoring case.
     *
     * @param id {@code "bigram"}, {@code "mlp"}, {@code "attention"} or {@code "gpt"}
     * @return the architecture
     * @throws IllegalArgumentException naming the known architectures if there is none of that name
     */
    public static Architecture fromId(String id) {
        for (Architecture architecture : values()) {
            if (architecture.id.equals(id == null ? null : id.toLowerCase(Locale.ROOT))) {
                return architecture;
            }
        }
        throw new IllegalArgumentException("unknown model \"" + id + "\"; the models are bigram, mlp, attention and gpt");
    }
}
