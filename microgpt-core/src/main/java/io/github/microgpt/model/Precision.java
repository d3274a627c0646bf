package io.github.microgpt.model;

import io.github.microgpt.internal.ShortIds;
import java.util.Objects;
import java.util.Optional;

/**
 * The floating-point type an {@link ArrayGptModel} computes in, chosen when the model is created
 * ({@link ArrayGptModel#create(GptConfig, int, io.github.microgpt.random.RandomSource, Precision)
 * ArrayGptModel.create} or
 * {@link Engine#create(GptConfig, int, io.github.microgpt.random.RandomSource, Precision) Engine.create}).
 *
 * <p>{@link #F64} is the library's own precision: the {@code Value} engine and {@code microgpt.py}
 * compute in doubles, and an {@code F64} array model reproduces them (see {@link ArrayGptModel}).
 * {@link #F32} keeps the weights, the activations, the gradients and Adam's moments in
 * {@code float}s: half the memory and, since a SIMD instruction holds twice as many floats as
 * doubles, roughly twice the arithmetic per instruction. It is not exact: every number carries
 * about 7 significant digits instead of 16, and its sums are taken in whatever order is fastest,
 * so its losses follow the {@code F64} run closely but not bit for bit. (That order is fixed: it
 * does not change with the number of threads, so an {@code F32} model's results do not either.) Either way the model's
 * interface stays in doubles ({@link LanguageModel}: logits and losses as {@code double}s).
 */
public enum Precision {

    /** IEEE 754 double precision (64 bits, about 16 significant digits): exact, the default. */
    F64("f64"),

    /**
     * IEEE 754 single precision (32 bits, about 7 significant digits): faster, not exact; the
     * precision PyTorch trains in by default.
     */
    F32("f32");

    private final String id;

    Precision(String id) {
        this.id = id;
    }

    /**
     * The precision's short name, as used on command lines and in checkpoints.
     *
     * @return {@code "f64"} or {@code "f32"}
     */
    public String id() {
        return id;
    }

    /**
     * The precision with a given short name, ignoring case (the same rules as
     * {@link Engine#fromId} and {@link Architecture#fromId}).
     *
     * @param id {@code "f64"} or {@code "f32"}, in any case; not trimmed
     * @return the precision
     * @throws IllegalArgumentException if there is no precision of that name; the message quotes
     *     the name and lists the precisions ({@code unknown precision "f16"; the precisions are f64
     *     and f32})
     * @throws NullPointerException if {@code id} is null
     */
    public static Precision fromId(String id) {
        return ShortIds.find("precision", values(), Precision::id, id);
    }

    /**
     * The precision a model computes in, if this library knows it: the same question as
     * {@link Engine#of} and {@link Architecture#of}, with the same kind of answer.
     *
     * @param model any language model
     * @return the {@link ArrayGptModel#precision() precision} of an array model; {@link #F64} for a
     *     {@link ValueLanguageModel} (the progression's models, {@link GptModel} and a learner's own
     *     forward pass: every number a {@code Value}, which holds a {@code double}); empty for any
     *     other model, whose arithmetic this library cannot see (a wrapper around an
     *     {@code F32} array model computes in floats, though its {@link Parameters} hand out doubles)
     * @throws NullPointerException if {@code model} is null
     */
    public static Optional<Precision> of(LanguageModel model) {
        Objects.requireNonNull(model, "model");
        if (model instanceof ArrayGptModel array) {
            return Optional.of(array.precision());
        }
        return model instanceof ValueLanguageModel ? Optional.of(F64) : Optional.empty();
    }
}
