package io.github.microgpt.examples.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A value a refusal quotes from a request's body is written as a Java string literal
 * ({@link ApiException#quoted}), as the values of a query are: a {@code "} in a hostile body
 * cannot end the quotation early and pass the rest of the value off as the server's own words.
 * The choices (mode, model, engine, dataset), the checkpoint name and the name of an object that
 * holds a repeated field were quoted as they came, inside raw quotes.
 */
class QuotedBodyValuesTest {

    /** A value that, quoted raw, reads as a refusal followed by the server's own advice. */
    private static final String HOSTILE = "x\", which is fine. Delete \"run1";

    static Stream<Arguments> bodies() {
        String json = HOSTILE.replace("\"", "\\\"");
        String literal = "\"x\\\", which is fine. Delete \\\"run1\"";
        return Stream.of(
                Arguments.of(Requests.Step.class, "{\"mode\": \"" + json + "\"}", "got " + literal),
                Arguments.of(Requests.Reset.class, "{\"model\": \"" + json + "\"}", "got " + literal),
                Arguments.of(Requests.Reset.class, "{\"engine\": \"" + json + "\"}", "got " + literal),
                Arguments.of(Requests.Reset.class, "{\"dataset\": {\"source\": \"" + json + "\"}}", "got " + literal),
                Arguments.of(Requests.Named.class, "{\"name\": \"" + json + "\"}", "got " + literal),
                Arguments.of(Requests.Reset.class, "{\"" + json + "\": {\"a\": 1, \"a\": 2}}",
                        literal + " has the field \"a\" twice"));
    }

    @ParameterizedTest(name = "[{index}] {1}")
    @MethodSource("bodies")
    void aQuoteInABodyValueCannotEndTheQuotation(Class<? extends Record> type, String body, String expected) {
        ApiException e = assertThrows(ApiException.class, () -> Requests.read(body, type));
        assertEquals(400, e.status());
        assertTrue(e.getMessage().contains(expected), "expected " + expected + " in " + e.getMessage());
    }

    /** A long refused name is cut, inside the quotation, with its length after it. */
    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("longValues")
    void aLongRefusedValueIsCutInsideItsQuotation(Class<? extends Record> type, String body) {
        ApiException e = assertThrows(ApiException.class, () -> Requests.read(body, type));
        assertTrue(e.getMessage().contains("got \"" + "\\\"".repeat(60) + "…\" (200 characters)"), e.getMessage());
    }

    static Stream<Arguments> longValues() {
        String quotes = "\\\"".repeat(200);
        return Stream.of(
                Arguments.of(Requests.Step.class, "{\"mode\": \"" + quotes + "\"}"),
                Arguments.of(Requests.Named.class, "{\"name\": \"" + quotes + "\"}"));
    }
}
