package io.github.microgpt.examples.cli;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A number in {@code graph --expr} is written in the digits 0-9, as every number of the command
 * line is ({@link NumberGrammar}). A digit of another script (Arabic-Indic {@code ٣}, full-width
 * {@code ５}) is refused as such, where it stands: the exponent's digits were read with
 * {@link Character#isDigit}, which takes them, so {@code 2e٣} was refused as a whole without
 * saying why, and {@code ٣} or {@code 2٣} was told the rule of variable names.
 */
class GraphDigitsTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "2e٣ * x  | 3",
        "2e-٣     | 4",
        "2٣ + x   | 2",
        "٣ * x    | 1",
        "x * ５   | 5",
        "x ^ ٣    | 5",
        "x ^ -٣   | 6",
    })
    void aDigitOfAnotherScriptIsRefusedWhereItStands(String expr, int column) {
        String[] args = {"graph", "--expr", expr, "--var", "x=1"};
        String digit = expr.codePoints().filter(c -> Character.isDigit(c) && c > '9')
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
        Cli.assertOneLineError(Cli.run(args), 2, "--expr: '" + digit + "' at column " + column + " of the expression is"
                + " a digit of another script; " + NumberGrammar.NUMBER_RULE, "microgpt graph", args);
    }
}
