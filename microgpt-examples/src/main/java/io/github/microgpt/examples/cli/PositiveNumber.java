package io.github.microgpt.examples.cli;

import io.github.microgpt.text.VisibleText;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Reads the value of an option that takes a positive, finite number ({@code --temperature},
 * {@code --lr}), keeping what was typed for the message when the text is a number that a
 * {@code double} cannot hold.
 *
 * <p>{@link Double#parseDouble} turns {@code 1e309} into infinity and {@code 1e-400} into 0
 * without a word, so the option's own check then said "got Infinity" or "got 0.0" for text that
 * held neither. Here such text is refused as too large or too small, quoted as typed, with the
 * range the option allows. Only the numbers of {@link NumberGrammar} are read (not {@code 0x1p3},
 * {@code 1d}, {@code " 1"} or {@code +3}, which {@code parseDouble} also takes). A plain number
 * the option does not allow (0, -1), and {@code NaN} and {@code Infinity}, are left to the option's
 * check, {@link #requireAllowed}, which names the option and the value.
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
     * @throws CommandLine.TypeConversionException if the text is not a plain decimal number
     *     (nor NaN or Infinity), or is a number beyond what a {@code double} holds (it would round
     *     to infinity or to 0)
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
        // parseDouble reads more than the grammar, and each extra reads as a number the user did
        // not mean, or hides a mistake: Java's hexadecimal floats (0x1p3 is 8), the suffixes of a
        // Java literal (1d, 1f), spaces and control characters around the number (a stray carriage
        // return from a script written on Windows), and a plus sign, a bare point or a leading
        // zero (+3, .5, 007), which the whole-number options refuse.
        if (!NumberGrammar.isNumber(text) && !SPECIAL.contains(text)) {
            throw new CommandLine.TypeConversionException("'" + quoted(text) + "' is not a plain decimal number; "
                    + NumberGrammar.NUMBER_RULE + "; " + ALLOWED);
        }
        String lower = text.toLowerCase(Locale.ROOT);
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
     * The option's check of a number read here: refuses 0, negatives, {@code NaN} and the
     * infinities, naming the option and the value ({@code --lr must be a positive, finite number,
     * got 0}), quoting the value as it was typed ({@link #typed}).
     *
     * @param spec the command as picocli read it, or null for one set without picocli
     * @param option the option's name ({@code --lr})
     * @param value the number read
     * @throws UsageException if the number is not positive and finite
     */
    static void requireAllowed(CommandSpec spec, String option, double value) {
        if (!(value > 0) || Double.isInfinite(value)) {
            throw new UsageException(option + " must be a positive, finite number, got " + typed(spec, option, value));
        }
    }

    /**
     * The text the user typed for an option (the last, if given more than once), as an error
     * quotes it: the number a double holds prints otherwise ({@code -1.0} for {@code -1},
     * {@code 1.0E9} for {@code 1e9}). Only text this class read reaches here, which holds no
     * control character. The value itself where the option was not typed (or the command was set
     * without picocli).
     *
     * @param spec the command as picocli read it, or null
     * @param option the option's name
     * @param value the value the option holds
     * @return the text to quote
     */
    static String typed(CommandSpec spec, String option, Object value) {
        CommandLine.ParseResult parsed = spec == null ? null : spec.commandLine().getParseResult();
        CommandLine.Model.OptionSpec matched = parsed == null ? null : parsed.matchedOption(option);
        List<String> texts = matched == null ? List.of() : matched.originalStringValues();
        return texts.isEmpty() ? String.valueOf(value) : texts.get(texts.size() - 1);
    }

    /**
     * The words for what is not a finite number, as Java writes them: read here and left to the
     * option's check, which names the option and says the value must be finite.
     */
    private static final Set<String> SPECIAL = Set.of("NaN", "Infinity", "-Infinity");

    /**
     * The text as a message quotes it: {@code parseDouble} ignores control characters around a
     * number ({@code "1e309\r"} is read), and those must not reach the terminal raw, nor hide.
     */
    private static String quoted(String text) {
        return VisibleText.escape(text);
    }

    /**
     * Whether the significand of a number (the part before any exponent) has a digit other than
     * 0: a number that {@code parseDouble} read as 0 although it has one was too small for a double.
     */
    static boolean hasNonZeroDigit(String number) {
        for (int i = 0; i < number.length() && Character.toLowerCase(number.charAt(i)) != 'e'; i++) {
            char c = number.charAt(i);
            if (c >= '1' && c <= '9') {
                return true;
            }
        }
        return false;
    }
}
