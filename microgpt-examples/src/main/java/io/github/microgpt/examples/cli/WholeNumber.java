package io.github.microgpt.examples.cli;

import io.github.microgpt.text.VisibleText;
import picocli.CommandLine;

/**
 * Reads whole numbers as a person writes them: ASCII digits, without a plus sign, spaces or
 * leading zeros, with a minus sign in front for a negative number ({@code 42}, {@code 0},
 * {@code -5}). Every integer option of every command is read here (the top command registers
 * {@link #INT} and {@link #LONG} for the whole tree), and the simulator's whole-number request
 * parameters follow the same rule: the whole numbers of {@link NumberGrammar}, the one grammar of
 * every number the command line reads.
 *
 * <p>{@link Integer#parseInt} reads more than that, and each extra reads as a number the user
 * did not mean or hides a mistake: {@code +5}, {@code 010} (ten, where C and the shell read
 * eight), and any Unicode digit ({@code ５} fullwidth, {@code ٣} Arabic-Indic), which read as
 * the ASCII one. A negative number reads here and is left to the option's own check, which
 * names the option and its range ({@code --steps must be at least 1, got -5}): where negatives
 * make sense (a seed) it takes them, elsewhere it refuses them with the range.
 */
public final class WholeNumber {

    /** The converter for {@code int} and {@code Integer} options. */
    public static final CommandLine.ITypeConverter<Integer> INT =
            text -> (int) parse(text, Integer.MIN_VALUE, Integer.MAX_VALUE);

    /** The converter for {@code long} and {@code Long} options. */
    public static final CommandLine.ITypeConverter<Long> LONG = text -> parse(text, Long.MIN_VALUE, Long.MAX_VALUE);

    private WholeNumber() {
    }

    /**
     * The number a text says, if it is plain and within what the type holds.
     *
     * @param text the option's value as typed
     * @param min the least the type holds
     * @param max the most the type holds
     * @return the number
     * @throws CommandLine.TypeConversionException quoting the text (escaped: {@link VisibleText})
     *     with the rule, or the bound it is beyond
     */
    static long parse(String text, long min, long max) {
        if (text.equals("-0")) {
            // The rule's "a minus sign in front for a negative number" does not say what is wrong with it.
            throw new CommandLine.TypeConversionException("'-0' is not a plain whole number: zero takes no minus"
                    + " sign; write 0");
        }
        if (!NumberGrammar.isWhole(text)) {
            throw new CommandLine.TypeConversionException("'" + VisibleText.escape(excerpt(text))
                    + "' is not a plain whole number; " + NumberGrammar.WHOLE_RULE);
        }
        long value;
        try {
            value = Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw beyond(text, min, max); // plain digits that even a long cannot hold
        }
        if (value < min || value > max) {
            throw beyond(text, min, max);
        }
        return value;
    }

    private static CommandLine.TypeConversionException beyond(String text, long min, long max) {
        return new CommandLine.TypeConversionException("'" + excerpt(text) + "' is " + (text.startsWith("-")
                ? "too small; the least is " + min : "too large; the most is " + max));
    }

    /**
     * At most 40 characters of what the user typed (a value, an unknown option's name), so that
     * an argument of megabytes gives a message of one line. The cut does not split a character
     * outside the BMP (a surrogate pair), which would print as a stray half.
     */
    static String excerpt(String text) {
        if (text.length() <= 40) {
            return text;
        }
        int end = Character.isHighSurrogate(text.charAt(39)) ? 39 : 40;
        return text.substring(0, end) + "… (" + text.length() + " characters)";
    }
}
