package io.github.microgpt.examples.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A variable name in {@code graph --expr} is what {@code --var} takes: the letters a-z and A-Z,
 * digits and _. The expression's reader took any letter or digit of any script, so {@code é * x}
 * was told "give its value with --var é=NUMBER", which {@code --var} then refused. A character
 * outside the Basic Multilingual Plane (an emoji) is named whole, not by half of its pair.
 */
class GraphNamesTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "é * x    | 'é' at column 1 of the expression: a variable's name is made of the letters a-z and A-Z, "
                + "digits and _, as --var takes it",
        "x * yé   | 'é' at column 6 of the expression: a variable's name is made of the letters a-z and A-Z, "
                + "digits and _, as --var takes it",
        "x * y٣   | '٣' at column 6 of the expression: a variable's name is made of the letters a-z and A-Z, "
                + "digits and _, as --var takes it",
        "x * 😀   | unexpected '😀' at column 5 of the expression; expected a number, a variable, a function or '('",
        "x 😀     | unexpected '😀' at column 3 of the expression; expected an operator or the end",
    })
    void aNameOnlyVarCanGiveIsRefusedWithTheRule(String expr, String cause) {
        String[] args = {"graph", "--expr", expr, "--var", "x=1", "--var", "y=2"};
        Cli.Result result = Cli.run(args);
        Cli.assertOneLineError(result, 2, "--expr: " + cause, "microgpt graph", args);
        assertFalse(result.stderr().contains("give its value with --var"), result.stderr());
    }
}
