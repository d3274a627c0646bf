package io.github.microgpt.sample;

import io.github.microgpt.internal.ModelChecks;
import io.github.microgpt.internal.Quoted;
import java.util.Objects;

/**
 * How a {@link Sampler} draws a sample: the temperature, an optional top-k filter, an optional
 * prefix to continue, and an optional limit on the length. Immutable; change one setting at a
 * time with the {@code with...} methods.
 *
 * <pre>{@code
 * SamplingOptions options = SamplingOptions.defaults().withPrefix("an").withTopK(5).withTemperature(0.8);
 * String name = sampler.sample(options);      // "an..." : a name that starts with "an"
 * }</pre>
 *
 * <ul>
 *   <li><b>temperature</b>: the logits are divided by it before the softmax. Below 1 the likely
 *       tokens become likelier (safer, more repetitive text); above 1 the distribution flattens
 *       (more varied, noisier text). {@code microgpt.py} uses 0.5.</li>
 *   <li><b>top-k</b>: after the temperature, only the {@code k} most probable tokens are kept and
 *       their probabilities rescaled to sum to 1; the rest can never be drawn. It cuts off the
 *       long tail of unlikely tokens that makes an occasional sample go astray. When several
 *       tokens tie for the last place, those with the smaller token ids are kept, so exactly
 *       {@code k} remain. {@code k} at least the vocabulary size keeps everything; {@value #ALL_TOKENS}
 *       means no filter (the default).</li>
 *   <li><b>prefix</b>: the sample starts with this text and continues it. The model first reads
 *       BOS and the prefix's tokens, then draws from what it predicts next. The sample's text
 *       includes the prefix. Every character must be in the vocabulary, and the prefix must leave
 *       room in the context: at most {@code blockSize - 1} characters. Empty by default.</li>
 *   <li><b>maximum length</b>: stop after this many characters have been generated (not
 *       counting the prefix), even if BOS has not been drawn. It can be at most
 *       {@code blockSize - prefix length}, the room the context leaves; {@value #NO_LIMIT}, the
 *       default, means no limit but that one.</li>
 * </ul>
 *
 * <p>The random draws come from the sampler's {@link io.github.microgpt.random.RandomSource}: to
 * choose a seed, build the sampler with {@code new PythonRandom(seed)}.
 *
 * @param temperature positive and finite
 * @param topK the number of tokens kept, at least 1, or {@value #ALL_TOKENS} for all
 * @param prefix the text the sample continues; not null, may be empty
 * @param maxLength the most characters generated, at least 1, or {@value #NO_LIMIT}
 */
public record SamplingOptions(double temperature, int topK, String prefix, int maxLength) {

    /** The {@code topK} value that keeps every token: no filter. */
    public static final int ALL_TOKENS = 0;

    /** The {@code maxLength} value that sets no limit but the block size. */
    public static final int NO_LIMIT = 0;

    /**
     * Checks the values.
     *
     * @param temperature positive and finite
     * @param topK the number of tokens kept, at least 1, or {@value #ALL_TOKENS} for all
     * @param prefix the text the sample continues; not null, may be empty
     * @param maxLength the most characters generated, at least 1, or {@value #NO_LIMIT}
     * @throws IllegalArgumentException naming the first value out of range
     * @throws NullPointerException if the prefix is null
     */
    public SamplingOptions {
        ModelChecks.temperature(temperature);
        if (topK < 0) {
            throw new IllegalArgumentException("top-k must be at least 1 (or " + ALL_TOKENS + " for all tokens), got "
                    + topK);
        }
        Objects.requireNonNull(prefix, "prefix");
        if (maxLength < 0) {
            throw new IllegalArgumentException("the maximum length must be at least 1 (or " + NO_LIMIT
                    + " for no limit), got " + maxLength);
        }
    }

    /**
     * The settings of {@code microgpt.py}: temperature 0.5, every token, no prefix, no limit but
     * the block size.
     *
     * @return the default options
     */
    public static SamplingOptions defaults() {
        return new SamplingOptions(0.5, ALL_TOKENS, "", NO_LIMIT);
    }

    /**
     * A copy with another temperature.
     *
     * @param value positive and finite
     * @return the new options
     * @throws IllegalArgumentException if {@code value} is 0, negative, infinite or NaN
     */
    public SamplingOptions withTemperature(double value) {
        return new SamplingOptions(value, topK, prefix, maxLength);
    }

    /**
     * A copy that keeps only the {@code k} most probable tokens at each draw.
     *
     * @param k at least 1, or {@value #ALL_TOKENS} to keep all tokens
     * @return the new options
     * @throws IllegalArgumentException if {@code k} is negative
     */
    public SamplingOptions withTopK(int k) {
        return new SamplingOptions(temperature, k, prefix, maxLength);
    }

    /**
     * A copy whose samples continue a prefix.
     *
     * @param text the prefix; may be empty, not null (whether its characters are in the
     *     vocabulary and fit in the context is checked when a sampler uses it)
     * @return the new options
     * @throws NullPointerException if {@code text} is null
     */
    public SamplingOptions withPrefix(String text) {
        return new SamplingOptions(temperature, topK, text, maxLength);
    }

    /**
     * A copy that stops after at most {@code length} generated characters.
     *
     * @param length at least 1, or {@value #NO_LIMIT} for no limit but the block size (whether
     *     the context has room for it is checked when a sampler uses it)
     * @return the new options
     * @throws IllegalArgumentException if {@code length} is negative
     */
    public SamplingOptions withMaxLength(int length) {
        return new SamplingOptions(temperature, topK, prefix, length);
    }

    /**
     * Shows the options as a record does, but says what the 0 sentinels mean and quotes the
     * prefix, so that an empty prefix is seen: {@code topK=all} for {@value #ALL_TOKENS} and
     * {@code maxLength=none} for {@value #NO_LIMIT}. The prefix is quoted as a Java string literal
     * ({@code \"} for a quote, {@code \\} for a backslash, a character that would not show as a
     * {@code \}{@code uXXXX} escape), so a quote in it cannot end the quotation early.
     *
     * @return for example {@code SamplingOptions[temperature=0.5, topK=all, prefix="", maxLength=none]}
     *     for the defaults, or {@code SamplingOptions[temperature=0.5, topK=5, prefix="ma", maxLength=8]}
     */
    @Override
    public String toString() {
        return "SamplingOptions[temperature=" + temperature
                + ", topK=" + (topK == ALL_TOKENS ? "all" : Integer.toString(topK))
                + ", prefix=" + Quoted.literal(prefix)
                + ", maxLength=" + (maxLength == NO_LIMIT ? "none" : Integer.toString(maxLength)) + "]";
    }
}
