package io.github.microgpt.examples.cli;

import java.util.regex.Pattern;

/**
 * The one way the command line writes a number, for every option that takes one and for
 * {@code graph --var}: as JSON writes numbers (the simulator's request bodies too). A number is
 * the digits 0-9 with a minus sign in front if it is negative; then, for an option that takes a
 * fraction, a point with digits on both sides and an exponent if wanted ({@code 42}, {@code -5},
 * {@code 0.01}, {@code 5e-3}, {@code -1.5E+2}). Nothing else: no plus sign, no spaces, no leading
 * zeros, no bare point ({@code .5}, {@code 1.}).
 *
 * <p>Java's parsers each read more, and not the same more: {@link Integer#parseInt} took
 * {@code +5}, {@code 010} and any script's digits, {@link Double#parseDouble} took {@code +3},
 * {@code " 1"}, {@code 0x1p3} and {@code 1d}, and {@code --var} stripped the spaces of
 * {@code "x= 1"}. So {@code --temperature +3} was read while {@code --steps +3} was refused.
 * One grammar, stated in the help and the README, makes every number typed mean the same.
 *
 * <p>Public for the simulator, whose request parameters follow the same rule.
 */
public final class NumberGrammar {

    /** A whole number: 0, or a non-zero digit and more digits, with an optional minus sign. */
    private static final Pattern WHOLE = Pattern.compile("0|-?[1-9][0-9]*");

    /** A number of any kind, as JSON writes one. */
    private static final Pattern NUMBER = Pattern.compile("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?");

    /** The rule of whole numbers, said in every refusal of one. */
    static final String WHOLE_RULE = "write a whole number in the digits 0-9, without a plus sign, spaces or leading "
            + "zeros (a minus sign in front for a negative number), such as 42";

    /** The rule of numbers that may have a fraction, said in every refusal of one. */
    static final String NUMBER_RULE = "write a number as JSON does: the digits 0-9, a minus sign in front for a"
            + " negative number, a point with digits on both sides and an exponent if wanted, such as 2, 0.01, -0.5"
            + " or 5e-3; no plus sign, spaces or leading zeros";

    private NumberGrammar() {
    }

    /**
     * Whether a text is a whole number of the grammar (of any size).
     *
     * @param text the text
     * @return true for {@code 0}, {@code 42}, {@code -5}; false for {@code +5}, {@code 010},
     *     {@code -0}, {@code " 5"}, {@code ５}, {@code 1e3}
     */
    public static boolean isWhole(String text) {
        return WHOLE.matcher(text).matches();
    }

    /**
     * Whether a text is a number of the grammar, with or without a fraction and exponent.
     *
     * @param text the text
     * @return true for {@code 2}, {@code -0.5}, {@code 5e-3}; false for {@code +3}, {@code .5},
     *     {@code 1.}, {@code 007}, {@code " 1"}, {@code 0x1p3}, {@code 1d}
     */
    static boolean isNumber(String text) {
        return NUMBER.matcher(text).matches();
    }
}
