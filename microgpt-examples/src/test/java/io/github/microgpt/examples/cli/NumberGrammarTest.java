package io.github.microgpt.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * One grammar for every number the command line reads ({@link NumberGrammar}): every option of
 * every command that takes a number, found in picocli's model so that an option added later is
 * held to it too, and {@code graph --var} and the numbers of a {@code graph} expression. Before,
 * {@code --temperature +3} and {@code --lr .5} were read while {@code --steps +3} was refused, and
 * {@code --var "x= 1"} was read as 1 while {@code --steps " 5"} was refused.
 */
class NumberGrammarTest {

    private static final Set<Class<?>> WHOLE = Set.of(int.class, Integer.class, long.class, Long.class);
    private static final Set<Class<?>> FRACTIONAL = Set.of(double.class, Double.class);

    /** Every option of every command that takes a number, as "command option". */
    private static List<String[]> numberOptions(Set<Class<?>> types) {
        CliContext context = new CliContext(new ByteArrayOutputStream(),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), Map.of(), null, null);
        List<String[]> options = new ArrayList<>();
        for (CommandLine sub : MicrogptCommand.commandLine(context).getSubcommands().values()) {
            for (OptionSpec option : sub.getCommandSpec().options()) {
                if (types.contains(option.type())) {
                    options.add(new String[] {sub.getCommandName(), option.longestName()});
                }
            }
        }
        return options;
    }

    private static void assertRefused(String rule, String... args) {
        Cli.Result result = Cli.run(args);
        assertEquals(2, result.exitCode(), String.join(" | ", args) + ": " + result);
        assertTrue(result.stderr().contains(rule), String.join(" | ", args) + ": " + result.stderr());
        assertFalse(result.stderr().contains("\tat "), "no stack trace: " + result.stderr());
    }

    @Test
    void everyWholeNumberOptionRefusesWhatTheGrammarDoesNot() {
        List<String[]> options = numberOptions(WHOLE);
        assertTrue(options.size() >= 15, "found " + options.size());
        for (String[] option : options) {
            for (String bad : List.of("+3", " 3", "3 ", "03", "3.0", "3e2", ".5")) {
                assertRefused(NumberGrammar.WHOLE_RULE, option[0], option[1], bad);
            }
        }
    }

    @Test
    void everyFractionalOptionRefusesWhatTheGrammarDoesNot() {
        List<String[]> options = numberOptions(FRACTIONAL);
        assertTrue(options.size() >= 4, "found " + options.size());
        for (String[] option : options) {
            for (String bad : List.of("+3", " 3", "3 ", "03", ".5", "1.", "+Infinity", "0x1p3", "1d")) {
                assertRefused(NumberGrammar.NUMBER_RULE, option[0], option[1], bad);
            }
        }
    }

    @Test
    void varAndTheExpressionsNumbersAreHeldToTheSameGrammar() {
        for (String bad : List.of("+3", " 1", "1 ", "03", ".5", "1.", "0x1p3", "2d", "Infinity", "NaN")) {
            assertRefused(NumberGrammar.NUMBER_RULE, "graph", "--expr", "x*2", "--var", "x=" + bad);
        }
        assertRefused("must be letters, digits and _, starting with a letter or _, without spaces",
                "graph", "--expr", "x*2", "--var", "x =1");
        for (String bad : List.of(".5", "1.", "03", "00.5")) {
            assertRefused(NumberGrammar.NUMBER_RULE, "graph", "--expr", "x*" + bad, "--var", "x=1");
        }
        assertRefused("1e999 is too large: it overflows a double", "graph", "--expr", "x*2", "--var", "x=1e999");
        Cli.Result good = Cli.run("graph", "--expr", "x*0.5 + 2e1 - 0", "--var", "x=-1.5E+1");
        assertEquals(0, good.exitCode(), good.toString());
        assertTrue(good.stdout().contains("12.5"), good.stdout());
    }

    @Test
    void theGrammarIsJsons() {
        for (String number : List.of("0", "42", "-5", "0.01", "-0.5", "5e-3", "5E+3", "-1.5e2", "-0")) {
            assertTrue(NumberGrammar.isNumber(number), number);
        }
        for (String number : List.of("+3", ".5", "1.", "007", "-.5", " 1", "1 ", "1e", "e1", "1e+", "--1", "0x10",
                "1_000", "\uFF15", "")) {
            assertFalse(NumberGrammar.isNumber(number), number);
        }
        for (String number : List.of("0", "42", "-5")) {
            assertTrue(NumberGrammar.isWhole(number), number);
        }
        for (String number : List.of("-0", "+5", "05", "5.0", "5e0", " 5")) {
            assertFalse(NumberGrammar.isWhole(number), number);
        }
    }
}
