package io.github.microgpt.examples.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code train}'s own reader of {@code --lr} and {@code --temperature}, which reads a plain
 * command line without picocli to start sooner ({@link TrainCommand#plainCommandLine}), against
 * the grammar of every number the command line reads ({@link NumberGrammar#isNumber}), on one
 * corpus of texts: numbers of the grammar and texts that only Java's parsers read, edges of both.
 * The reader is written out by hand (a regular expression costs start-up time) and takes only a
 * part of the grammar, leaving the rest to picocli; so for every text either it leaves the text to
 * picocli, or the grammar takes the text too and picocli reads the same number. And it takes every
 * number of its part: unsigned, above 0, an exponent of at most 3 digits, within a double's range.
 */
class PlainDecimalAgreesWithTheGrammarTest {

    private static final MicrogptCommand PARENT = new MicrogptCommand(new CliContext(new ByteArrayOutputStream(),
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), Map.of(), null, null));

    /** Numbers of the grammar, and texts that are not but that some reader of numbers takes. */
    private static final List<String> CORPUS = List.of(
            // The grammar's numbers.
            "0", "1", "2", "42", "0.5", "0.01", "10.25", "1e3", "5e-3", "5E+2", "1.5e-7", "0e0", "0.0", "123456789",
            "1e308", "1.7976931348623157e308", "4.9e-324", "1e-3", "1e001", "1e0001", "-1", "-0", "-0.5", "-5e-3",
            // Numbers of the grammar beyond a double (picocli says so).
            "1e400", "1e309", "1e-400", "2e-324",
            // Texts only Java's parsers read, or nothing does.
            "+3", "+0.5", ".5", "1.", "007", "00.5", "00", "01", "0x1p3", "0x10", "1d", "1f", "1D", "1_000", "1,5",
            "1e", "1e+", "1e-", "e3", "1.e3", ".e3", "1.5.2", "1ee3", "1e3.5", "--1", "-", "", ".",
            "NaN", "Infinity", "-Infinity", "infinity",
            // Digits of other scripts: fullwidth, Arabic-Indic, Devanagari, mathematical bold.
            "\uFF15", "1\u0660", "\u0663.5", "\u0967", "\uD835\uDFCF",
            // Spaces and control characters around or inside.
            " 1", "1 ", "\t1", "1\r", "1\n", "1\u00A0", "\u20091", "1 000", "1\u200B");

    /** Whether the reader should take the text: its part of the grammar. */
    private static boolean inTheReadersPart(String text) {
        if (!NumberGrammar.isNumber(text) || text.startsWith("-")) {
            return false;
        }
        int e = Math.max(text.indexOf('e'), text.indexOf('E'));
        String exponent = e < 0 ? "" : text.substring(e + 1).replaceFirst("^[+-]", "");
        if (exponent.length() > 3) {
            return false;
        }
        double value = Double.parseDouble(text);
        // Not 0 (nor a number that rounds to 0): the command refuses it, and picocli keeps the text
        // the refusal quotes.
        return !Double.isInfinite(value) && value != 0;
    }

    @Test
    void theReaderTakesOnlyTheGrammarsNumbersAndReadsThemAsPicocliDoes() throws Exception {
        List<String> problems = new ArrayList<>();
        for (String option : List.of("--lr", "--temperature")) {
            String field = option.equals("--lr") ? "learningRate" : "temperature";
            for (String text : CORPUS) {
                String where = option + " '" + text.replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t")
                        + "'";
                // Both spellings of an option with its value.
                for (String[] args : List.of(new String[] {"train", option, text},
                        new String[] {"train", option + "=" + text})) {
                    TrainCommand plain = TrainCommand.plainCommandLine(args, PARENT);
                    if (plain == null) {
                        if (inTheReadersPart(text)) {
                            problems.add(where + ": a number of the reader's part left to picocli");
                        }
                        continue;
                    }
                    if (!NumberGrammar.isNumber(text)) {
                        problems.add(where + ": read, but not a number of the grammar");
                        continue;
                    }
                    if (!inTheReadersPart(text)) {
                        problems.add(where + ": read, but outside the reader's part");
                    }
                    double read = value(plain, field);
                    double picocli = value(parsedByPicocli(args), field);
                    if (Double.doubleToRawLongBits(read) != Double.doubleToRawLongBits(picocli)) {
                        problems.add(where + ": read as " + read + ", picocli reads " + picocli);
                    }
                }
            }
        }
        if (!problems.isEmpty()) {
            fail(problems.size() + " disagreements:\n" + String.join("\n", problems));
        }
        // The corpus reaches both sides: numbers the reader takes, and texts it leaves.
        long taken = CORPUS.stream().filter(PlainDecimalAgreesWithTheGrammarTest::inTheReadersPart).count();
        assertTrue(taken >= 15 && taken <= CORPUS.size() - 40, taken + " of " + CORPUS.size() + " taken");
    }

    private static TrainCommand parsedByPicocli(String[] args) {
        CommandLine.ParseResult result = MicrogptCommand.commandLine(PARENT.context()).parseArgs(args);
        return (TrainCommand) result.subcommand().commandSpec().userObject();
    }

    private static double value(TrainCommand command, String name) throws ReflectiveOperationException {
        Field field = TrainCommand.class.getDeclaredField(name);
        field.setAccessible(true);
        return field.getDouble(command);
    }
}
