package io.github.microgpt.model;

import io.github.microgpt.internal.ShortIds;
import io.github.microgpt.random.RandomSource;
import java.util.Objects;
import java.util.Optional;

/**
 * The two ways this library computes a GPT; both implement {@link LanguageModel}, so a
 * {@link io.github.microgpt.train.Trainer} or a {@link io.github.microgpt.sample.Sampler} works
 * with either.
 *
 * <pre>{@code
 * LanguageModel model = Engine.ARRAY.create(GptConfig.defaults(), tokenizer.vocabSize(), new PythonRandom(42));
 * }</pre>
 *
 * <p>For the same seed both engines draw the same initial weights, and their forward passes give
 * bit-identical losses and probabilities; their gradients agree to rounding (see
 * {@link ArrayGptModel} for where and why they differ).
 */
public enum Engine {

    /**
     * {@link GptModel}: every number is a {@link io.github.microgpt.autograd.Value} node and
     * gradients come from {@code backward()}; reproduces {@code microgpt.py} bit for bit. The one
     * to read and to step through.
     */
    VALUE("value") {
        @Override
        public LanguageModel create(GptConfig config, int vocabSize, RandomSource random) {
            return GptModel.create(config, vocabSize, random);
        }
    },

    /**
     * {@link ArrayGptModel}: flat arrays with hand-written forward and backward passes, far
     * faster (at the reference size some 8 to 19 times the steps per second of {@link #VALUE} in
     * {@code microgpt bench} on a 2-vCPU AMD EPYC Zen 5 on 6 December 2026: 8 to 11 times with the
     * core's own loops, 14 to 19 with {@code microgpt-vector}'s kernels); a step can use several
     * threads, and it can compute in {@link Precision#F32}.
     */
    ARRAY("array") {
        @Override
        public LanguageModel create(GptConfig config, int vocabSize, RandomSource random) {
            return ArrayGptModel.create(config, vocabSize, random);
        }
    };

    private final String id;

    Engine(String id) {
        this.id = id;
    }

    /**
     * Creates a model with random initial weights, drawn from {@code random} matrix by matrix in
     * {@link ParameterLayout#gpt} order (the same draws for every engine).
     *
     * @param config the shape
     * @param vocabSize the number of tokens; at least 2
     * @param random the source of the initial weights
     * @return the model
     * @throws IllegalArgumentException if {@code vocabSize < 2}, or the model would have more
     *     parameters than an array holds ({@link ParameterLayout#MAX_SIZE}), or more than half of
     *     the Java heap could hold (the message gives the estimate and the heap's size)
     * @throws NullPointerException if {@code config} or {@code random} is null
     */
    public abstract LanguageModel create(GptConfig config, int vocabSize, RandomSource random);

    /**
     * Creates a model with random initial weights that computes in a chosen precision. Only the
     * array engine offers {@link Precision#F32}
     * ({@link ArrayGptModel#create(GptConfig, int, RandomSource, Precision)}); the {@code Value}
     * engine computes in doubles, as {@code microgpt.py} does.
     *
     * @param config the shape
     * @param vocabSize the number of tokens; at least 2
     * @param random the source of the initial weights
     * @param precision the precision; {@link Precision#F64} for every engine
     * @return the model
     * @throws IllegalArgumentException if {@code vocabSize < 2}, the model would have more than
     *     {@link ParameterLayout#MAX_SIZE} parameters or more than half of the Java heap could
     *     hold, or the engine does not compute in that precision ({@link #VALUE} with
     *     {@link Precision#F32})
     * @throws NullPointerException if {@code config}, {@code random} or {@code precision} is null
     *     (before any other check)
     */
    public LanguageModel create(GptConfig config, int vocabSize, RandomSource random, Precision precision) {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(random, "random");
        Objects.requireNonNull(precision, "precision");
        if (this == ARRAY) {
            return ArrayGptModel.create(config, vocabSize, random, precision);
        }
        if (precision != Precision.F64) {
            throw new IllegalArgumentException("the " + id + " engine computes in f64 only, not " + precision.id()
                    + "; the array engine offers f32");
        }
        return create(config, vocabSize, random);
    }

    /**
     * The engine's short name, as used on command lines and in benchmark reports.
     *
     * @return {@code "value"} or {@code "array"}
     */
    public String id() {
        return id;
    }

    /**
     * The engine with a given short name, ignoring case (the same rules as
     * {@link Architecture#fromId} and {@link Precision#fromId}).
     *
     * @param id {@code "value"} or {@code "array"}, in any case; not trimmed
     * @return the engine
     * @throws IllegalArgumentException if there is no engine of that name; the message quotes the
     *     name and lists the engines ({@code unknown engine "fast"; the engines are value and array})
     * @throws NullPointerException if {@code id} is null
     */
    public static Engine fromId(String id) {
        return ShortIds.find("engine", values(), Engine::id, id);
    }

    /**
     * The engine of a model, if it is one of this library's two GPT engines.
     *
     * @param model any language model
     * @return {@link #ARRAY} for an {@link ArrayGptModel}, {@link #VALUE} for a {@link GptModel},
     *     empty for a model of another kind (another architecture, or a wrapper around a model)
     * @throws NullPointerException if {@code model} is null
     */
    public static Optional<Engine> of(LanguageModel model) {
        Objects.requireNonNull(model, "model");
        if (model instanceof ArrayGptModel) {
            return Optional.of(ARRAY);
        }
        if (model instanceof GptModel) {
            return Optional.of(VALUE);
        }
        return Optional.empty();
    }
}
