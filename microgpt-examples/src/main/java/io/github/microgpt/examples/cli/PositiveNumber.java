package io.github.microgpt.examples.cli;

import java.util.Locale;
import picocli.CommandLine;

/**
 * Reads the value of an option that takes a positive, finite number ({@code --temperature},
 * {@code --lr}), keeping what was typed for the message when the text is a number that a
 * {@code double} cannot hold.
 *
 * <p>{@link Double#parseDouble} turns {@code 1e309} into infinity and {@code 1e-400} into 0
 * without a word, so the option's own check then said "got Infinity" or "got 0.0" for text that
 * held neither. Here such text is refused as too large or too small, quoted as typed, with the
 * range the option allows. What {@code parseDouble} reads as it is written (0, -1, NaN, Infinity)
 * is left to the option's check, which names the option and the value.
 */
public final class PositiveNumber implements CommandLine.ITypeConverter<Double> {

    /** The words of an allowed range, said in every message. */
    static final String ALLOWED = "give a positive, finite number, at most " + Double.MAX_VALUE;

    /** Creates the converter; picocli calls this for each option that names it. */
    public PositiveNumber() {
    }

    /**
     * The number the text says.
     *
     * @param text the option's value as typed
     * @return the number, which may still be out of the option's range (0, negative, NaN,
     *     infinity written as such)
     * @throws CommandLine.TypeConversionException if the text is not a number, or is a number
     *     beyond what a {@code double} holds (it would round to infinity or to 0)
     */
    @Override
    public Double convert(String text) {
        return parse(text);
    }

    /**
     * {@link #convert}, as a static method for parsers that read the text themselves.
     *
     * @param text the option's value as typed
     * @return the number
     * @throws CommandLine.TypeConversionException as {@link #convert}
     */
    static double parse(String text) {
        double value;
        try {
            value = Double.parseDouble(text);
        } catch (NumberFormatException e) {
            throw new CommandLine.TypeConversionException("'" + quoted(text) + "' is not a number; " + ALLOWED);
        }
        String lower = text.strip().toLowerCase(Locale.ROOT);
        if (Double.isInfinite(value) && !lower.contains("infinity")) {
            throw new CommandLine.TypeConversionException("'" + quoted(text) + "' is too large (it overflows a double); "
                    + ALLOWED);
        }
        if (value == 0 && hasNonZeroDigit(lower)) {
            throw new CommandLine.TypeConversionException("'" + quoted(text) + "' is too small (it rounds to 0); " + ALLOWED
                    + " and at least " + Double.MIN_VALUE);
        }
        return value;
    }

    /**
     * The text as a message quotes it: {@code parseDouble} ignores control characters around a
     * number ({@code "1e309\r"} is read), and those must not reach the terminal raw.
     */
    private static String quoted(String text) {
        return Terminals.escapeControls(text);
    }

    /** Whether the significand (the part before any exponent) has a digit other than 0. */
    private static boolean hasNonZeroDigit(String lower) {
        boolean hex = lower.startsWith("0x") || lower.startsWith("-0x") || lower.startsWith("+0x");
        for (int i = hex ? lower.indexOf('x') + 1 : 0; i < lower.length(); i++) {
            char c = lower.charAt(i);
            if (hex ? c == 'p' : c == 'e') {
                return false;
            }
            if (c >= '1' && c <= '9' || hex && c >= 'a' && c <= 'f') {
                return true;
            }
        }
        return false;
    }
}
