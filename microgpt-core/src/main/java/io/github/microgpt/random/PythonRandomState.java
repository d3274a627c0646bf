package io.github.microgpt.random;

import java.util.Arrays;
import java.util.Objects;

/**
 * A snapshot of a {@link PythonRandom}: everything that decides its future draws. Saving it and
 * restoring it later (in another run, even another JVM) continues the very same sequence of draws,
 * which is what makes a resumed training run sample the same names as an uninterrupted one.
 *
 * <p>It holds what CPython's {@code random.getstate()} returns, in the same form: the 624 32-bit
 * words of the Mersenne Twister, the index of the next word to hand out (624 means "twist before
 * the next draw"), and the second Gaussian of the last Box–Muller pair, if one is waiting. So
 * a state saved here can be given to Python as
 * {@code random.setstate((3, tuple(words_as_unsigned + [index]), gauss_next_or_None))}, and the
 * reverse.
 *
 * <p>Immutable: the words are copied in and out.
 *
 * @param words the 624 words of the generator, as signed Java ints (the same bits as Python's
 *     unsigned values)
 * @param index the position of the next word, from 0 to 624
 * @param hasGaussNext whether a second Gaussian is waiting for the next {@code gauss} call
 * @param gaussNext that Gaussian (finite); {@code 0.0} when {@code hasGaussNext} is false
 */
public record PythonRandomState(int[] words, int index, boolean hasGaussNext, double gaussNext) {

    /** The number of words of the Mersenne Twister's state. */
    public static final int WORDS = 624;

    /**
     * Checks and copies the values.
     *
     * @param words the 624 words of the generator
     * @param index the position of the next word, from 0 to 624
     * @param hasGaussNext whether a second Gaussian is waiting
     * @param gaussNext that Gaussian, or {@code 0.0} if none is waiting
     * @throws IllegalArgumentException if there are not 624 words, the index is outside
     *     {@code [0, 624]}, a waiting Gaussian is not finite, or the words are a degenerate state
     *     from which the generator would only ever produce zeros
     * @throws NullPointerException if {@code words} is null
     */
    public PythonRandomState {
        Objects.requireNonNull(words, "words");
        if (words.length != WORDS) {
            throw new IllegalArgumentException("a Mersenne Twister state has " + WORDS + " words, not "
                    + words.length);
        }
        if (index < 0 || index > WORDS) {
            throw new IllegalArgumentException("the index must be in [0, " + WORDS + "], got " + index);
        }
        if (hasGaussNext && !Double.isFinite(gaussNext)) {
            throw new IllegalArgumentException("the waiting Gaussian must be finite, got " + gaussNext);
        }
        if (!hasGaussNext && Double.doubleToRawLongBits(gaussNext) != 0L) {
            throw new IllegalArgumentException("no Gaussian is waiting, so gaussNext must be 0.0, got " + gaussNext);
        }
        words = words.clone();
        if (isDegenerate(words)) {
            throw new IllegalArgumentException("degenerate Mersenne Twister state: every bit that matters is 0, "
                    + "so the generator would only ever produce zeros");
        }
    }

    /**
     * Only the top bit of word 0 takes part in the recurrence; if it and all the other words are
     * 0, every future output is 0. A real generator never gets there ({@code init_by_array} sets
     * the top bit of word 0), so such a state can only come from a damaged file.
     */
    private static boolean isDegenerate(int[] words) {
        if ((words[0] & 0x80000000) != 0) {
            return false;
        }
        for (int i = 1; i < words.length; i++) {
            if (words[i] != 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * The 624 words.
     *
     * @return a copy
     */
    @Override
    public int[] words() {
        return words.clone();
    }

    /**
     * Compares the words, the index and the waiting Gaussian.
     *
     * @param other another object
     * @return true if it is a state with the same values
     */
    @Override
    public boolean equals(Object other) {
        return other instanceof PythonRandomState that
                && index == that.index
                && hasGaussNext == that.hasGaussNext
                && Double.doubleToLongBits(gaussNext) == Double.doubleToLongBits(that.gaussNext)
                && Arrays.equals(words, that.words);
    }

    /**
     * A hash of the values.
     *
     * @return the hash code
     */
    @Override
    public int hashCode() {
        return (Arrays.hashCode(words) * 31 + index) * 31 + Boolean.hashCode(hasGaussNext) * 17
                + Double.hashCode(gaussNext);
    }

    /**
     * A short description (the words are summarised).
     *
     * @return for example {@code PythonRandomState[index=624, hasGaussNext=false, words=624]}
     */
    @Override
    public String toString() {
        return "PythonRandomState[index=" + index + ", hasGaussNext=" + hasGaussNext
                + (hasGaussNext ? ", gaussNext=" + gaussNext : "") + ", words=" + words.length + "]";
    }
}
