package io.github.microgpt.model;

/**
 * The shape of a GPT: how many layers, how wide, how many attention heads, how long a context,
 * and how large the random initial weights are. Immutable; every value is checked when the
 * configuration is made.
 *
 * <p>{@link #defaults()} is the configuration of {@code microgpt.py}: one layer, 16-dimensional
 * embeddings, 4 heads of 4 dimensions, a context of 16 tokens, initial weights drawn from a
 * normal distribution with standard deviation 0.08. The vocabulary size is not part of the
 * configuration; it comes from the {@link io.github.microgpt.text.Tokenizer}.
 *
 * <p>Start from {@link #defaults()} and change what you need by name, for example
 * {@code GptConfig.defaults().withNEmbd(64).withNLayer(2)}: the canonical constructor takes four
 * {@code int}s in a row ({@code nLayer, nEmbd, nHead, blockSize}), which are easy to swap.
 *
 * <p>{@code initStd} 0.08 is sized for the reference width. {@link #withNEmbd} keeps it, and a
 * wider model then starts far from an even guess: at {@code nEmbd} 256, 4 layers, 8 heads and a
 * context of 64 (the array engine, seed 42, a document of 64 random letters) the first loss is
 * 14.30, against ln 27 = 3.30 for a model that gives every token the same chance. Scaled as
 * {@code 0.08 * sqrt(16 / nEmbd)} (0.02 there, {@code withInitStd(0.02)}) it is 3.36.
 *
 * @param nLayer the number of transformer blocks (attention + MLP); at least 1
 * @param nEmbd the width of the embeddings and of the residual stream; at least 1
 * @param nHead the number of attention heads; at least 1, and it must divide {@code nEmbd}
 * @param blockSize the longest context, in tokens (the number of position embeddings); at least 1
 * @param initStd the standard deviation of the initial weights; positive and at most
 *     {@value #MAX_INIT_STD}
 */
public record GptConfig(int nLayer, int nEmbd, int nHead, int blockSize, double initStd) {

    /**
     * Checks the values.
     *
     * @param nLayer the number of transformer blocks; at least 1
     * @param nEmbd the embedding width; at least 1
     * @param nHead the number of attention heads; at least 1, dividing {@code nEmbd}
     * @param blockSize the longest context; at least 1
     * @param initStd the standard deviation of the initial weights; positive and at most
     *     {@value #MAX_INIT_STD}
     * @throws InvalidSettingException naming the first value that is out of range: its
     *     {@link InvalidSettingException#component() component()} is the refused component's
     *     name ({@code "nEmbd"}), and {@link InvalidSettingException#message message(names)} tells
     *     the refusal in a program's own names for the components
     */
    public GptConfig {
        requirePositive("nLayer", nLayer);
        requirePositive("nEmbd", nEmbd);
        requirePositive("nHead", nHead);
        requirePositive("blockSize", blockSize);
        if (nEmbd % nHead != 0) {
            throw new InvalidSettingException("{nEmbd} (" + nEmbd + ") must be divisible by {nHead} (" + nHead
                    + ") so that every head gets the same number of dimensions");
        }
        if (!(initStd > 0) || !(initStd <= MAX_INIT_STD)) {
            throw new InvalidSettingException("{initStd} must be positive and at most " + MAX_INIT_STD + " (so that"
                    + " every initial weight is a finite number, in f32 as in f64), got " + initStd);
        }
    }

    /**
     * The largest {@link #initStd}: 1e37. A weight is {@code random.gauss(0, initStd)}, at most
     * some 8.6 standard deviations from 0 with CPython's generator, so every weight stays below
     * {@link Float#MAX_VALUE} (about 3.4e38) and is a finite number in either precision. A larger
     * value, such as 1e308, would make infinite weights without a word, and the first sample would
     * fail on a NaN logit far from the cause. (A value far below this limit already makes the first
     * steps overflow; training then stops with {@link io.github.microgpt.train.TrainingDivergedException},
     * naming the step.)
     */
    public static final double MAX_INIT_STD = 1e37;

    /**
     * The configuration of {@code microgpt.py}: {@code nLayer=1, nEmbd=16, nHead=4, blockSize=16,
     * initStd=0.08}.
     *
     * @return the reference configuration
     */
    public static GptConfig defaults() {
        return new GptConfig(1, 16, 4, 16, 0.08);
    }

    /**
     * The width of one attention head, {@code nEmbd / nHead}.
     *
     * @return the head dimension
     */
    public int headDim() {
        return nEmbd / nHead;
    }

    /**
     * A copy with another number of layers.
     *
     * @param value the new {@code nLayer}; at least 1
     * @return the new configuration
     * @throws IllegalArgumentException if {@code value} is below 1
     */
    public GptConfig withNLayer(int value) {
        return new GptConfig(value, nEmbd, nHead, blockSize, initStd);
    }

    /**
     * A copy with another embedding width.
     *
     * @param value the new {@code nEmbd}; at least 1, and a multiple of {@link #nHead}
     * @return the new configuration
     * @throws IllegalArgumentException if {@code value} is below 1 or {@code nHead} does not divide
     *     it (when both change, order the calls so that each configuration on the way is valid,
     *     as in {@code withNEmbd(256).withNHead(8)}, or call the constructor)
     */
    public GptConfig withNEmbd(int value) {
        return new GptConfig(nLayer, value, nHead, blockSize, initStd);
    }

    /**
     * A copy with another number of heads.
     *
     * @param value the new {@code nHead}; at least 1, dividing {@link #nEmbd}
     * @return the new configuration
     * @throws IllegalArgumentException if {@code value} is below 1 or does not divide {@code nEmbd}
     */
    public GptConfig withNHead(int value) {
        return new GptConfig(nLayer, nEmbd, value, blockSize, initStd);
    }

    /**
     * A copy with another context length.
     *
     * @param value the new {@code blockSize}; at least 1
     * @return the new configuration
     * @throws IllegalArgumentException if {@code value} is below 1
     */
    public GptConfig withBlockSize(int value) {
        return new GptConfig(nLayer, nEmbd, nHead, value, initStd);
    }

    /**
     * A copy with another initial standard deviation.
     *
     * @param value the new {@code initStd}; positive and at most {@value #MAX_INIT_STD}
     * @return the new configuration
     * @throws IllegalArgumentException if {@code value} is not positive, is above
     *     {@value #MAX_INIT_STD}, or is NaN
     */
    public GptConfig withInitStd(double value) {
        return new GptConfig(nLayer, nEmbd, nHead, blockSize, value);
    }

    private static void requirePositive(String name, int value) {
        if (value < 1) {
            throw new InvalidSettingException("{" + name + "} must be at least 1, got " + value);
        }
    }
}
