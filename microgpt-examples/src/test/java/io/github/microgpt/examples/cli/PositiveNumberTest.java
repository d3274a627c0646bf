package io.github.microgpt.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/**
 * The grammar of {@code --lr} and {@code --temperature}: a number as a person writes it. Each
 * refused text below is one that {@link Double#parseDouble} reads, most as a number other than
 * the one the user meant to type ({@code 0x1p3} is 8).
 */
class PositiveNumberTest {

    @ParameterizedTest
    @CsvSource({"0.01, 0.01", "2, 2", "0.5, 0.5", "1.0, 1", "5e-3, 0.005", "5E+3, 5000", "0.25, 0.25",
        "1e308, 1e308", "-1, -1", "0, 0", "7, 7", "4.9e-324, 4.9e-324", "-0.5, -0.5"})
    void aPlainDecimalNumberIsReadAsWritten(String text, double expected) {
        assertEquals(expected, PositiveNumber.parse(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"NaN", "Infinity", "-Infinity"})
    void nanAndInfinityAreLeftToTheOptionsCheck(String text) {
        assertEquals(Double.parseDouble(text), PositiveNumber.parse(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"0x1p3", "0X10P0", "-0x1p-7", "1d", "1f", "0.5D", "2F", " 1", "1 ", "\t0.5", "0.5\n",
        "+NaN", "-NaN", "+Infinity ", "+Infinity", "1e5d", "1.e", ".e1", "1_000", "+-1", "+3", "+0.25", ".5", "1.",
        "007", "00.5", "-.5", "-01"})
    void anythingElseThatParseDoubleReadsIsRefused(String text) {
        CommandLine.TypeConversionException e = assertThrows(CommandLine.TypeConversionException.class,
                () -> PositiveNumber.parse(text));
        assertTrue(e.getMessage().contains("' is not a plain decimal number; write a number as JSON does: the digits"
                + " 0-9, a minus sign in front for a negative number, a point with digits on both sides and an exponent"
                + " if wanted, such as 2, 0.01, -0.5 or 5e-3; no plus sign, spaces or leading zeros; give a positive,"
                + " finite number")
                || e.getMessage().contains("' is not a number; give a positive, finite number"), e.getMessage());
        assertTrue(e.getMessage().startsWith("'" + Terminals.escapeControls(text) + "'"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"0x1p3", "1d", "1f", " 1", "+NaN", "0x1p-2000"})
    void whatParseDoubleReadsButIsNotPlainIsNamedSo(String text) {
        Double.parseDouble(text);  // Java reads it ...
        CommandLine.TypeConversionException e = assertThrows(CommandLine.TypeConversionException.class,
                () -> PositiveNumber.parse(text));
        assertTrue(e.getMessage().contains("is not a plain decimal number"), e.getMessage());  // ... the CLI does not
    }
}
