package io.github.microgpt.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.github.microgpt.text.VisibleText;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import picocli.CommandLine;

/**
 * {@link WholeNumber}: every integer option of every command reads plain ASCII decimal, which
 * {@link Integer#parseInt} does not ({@code +5}, {@code 010} and any Unicode digit read as numbers).
 */
class WholeNumberTest {

    /** Texts that parseInt or parseLong took as numbers, or that only look like one. */
    private static final List<String> NOT_PLAIN = List.of("+5", "010", "00", "-0", "-05", "\uFF15", "\u0663",
            "1\u0660", " 5", "5 ", "5\r", "0x10", "1e3", "5.0", "", "-", "--5", "5\u200B");

    @Test
    void plainNumbersAreReadAndOthersRefusedWithTheRule() throws Exception {
        assertEquals(0, WholeNumber.parse("0", Integer.MIN_VALUE, Integer.MAX_VALUE));
        assertEquals(42, WholeNumber.parse("42", Integer.MIN_VALUE, Integer.MAX_VALUE));
        assertEquals(-5, WholeNumber.parse("-5", Integer.MIN_VALUE, Integer.MAX_VALUE));
        assertEquals(Integer.MAX_VALUE, WholeNumber.INT.convert("2147483647"));
        assertEquals(Integer.MIN_VALUE, WholeNumber.INT.convert("-2147483648"));
        assertEquals(Long.MAX_VALUE, WholeNumber.LONG.convert("9223372036854775807"));
        assertEquals(Long.MIN_VALUE, WholeNumber.LONG.convert("-9223372036854775808"));
        for (String text : NOT_PLAIN) {
            assertFalse(NumberGrammar.isWhole(text), text);
            CommandLine.TypeConversionException e = assertThrows(CommandLine.TypeConversionException.class,
                    () -> WholeNumber.INT.convert(text));
            assertEquals(text.equals("-0") ? "'-0' is not a plain whole number: zero takes no minus sign; write 0"
                    : "'" + VisibleText.escape(text) + "' is not a plain whole number; " + NumberGrammar.WHOLE_RULE,
                    e.getMessage());
        }
        assertEquals("'2147483648' is too large; the most is 2147483647", assertThrows(
                CommandLine.TypeConversionException.class, () -> WholeNumber.INT.convert("2147483648")).getMessage());
        assertEquals("'-2147483649' is too small; the least is -2147483648", assertThrows(
                CommandLine.TypeConversionException.class, () -> WholeNumber.INT.convert("-2147483649")).getMessage());
        String huge = "9".repeat(100_000);
        String message = assertThrows(CommandLine.TypeConversionException.class,
                () -> WholeNumber.LONG.convert(huge)).getMessage();
        assertEquals("'" + "9".repeat(40) + "… (100000 characters)' is too large; the most is " + Long.MAX_VALUE,
                message);
    }

    /** Each integer option of each command, with a value its command would otherwise accept. */
    private static final List<List<String>> OPTIONS = List.of(
            List.of("train", "--steps"), List.of("train", "--samples"), List.of("train", "--n-layer"),
            List.of("train", "--n-embd"), List.of("train", "--n-head"), List.of("train", "--block-size"),
            List.of("train", "--stop-after"), List.of("train", "--save-every"), List.of("train", "--seed"),
            List.of("bench", "--n-layer"), List.of("bench", "--n-embd"), List.of("bench", "--n-head"),
            List.of("bench", "--block-size"), List.of("simulator", "--port"), List.of("simulator", "--seed"));

    @TestFactory
    List<DynamicTest> everyIntegerOptionOfEveryCommandRefusesWhatIsNotPlain() {
        List<DynamicTest> tests = new ArrayList<>();
        for (List<String> option : OPTIONS) {
            for (String bad : List.of("+5", "010", "\uFF15", "\u0663")) {
                String[] args = {option.get(0), option.get(1), bad};
                tests.add(DynamicTest.dynamicTest(String.join(" ", args), () -> {
                    // Without the check, a simulator started and served until stopped: bounded here.
                    Cli.Result result = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> Cli.run(args));
                    Cli.assertOneLineError(result, 2, "invalid value for option '" + option.get(1) + "': '"
                            + VisibleText.escape(bad) + "' is not a plain whole number; " + NumberGrammar.WHOLE_RULE,
                            "microgpt " + option.get(0), args);
                    assertEquals("", result.stdout());
                }));
            }
        }
        return tests;
    }
}
