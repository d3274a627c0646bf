package io.github.microgpt.examples.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Reading a request body allocates at most {@link RequestBodies#parseCost} of its size
 * ({@link JsonSyntax#COST_PER_BYTE} a byte), whatever its shape: that is what the bound on the
 * bodies read at once ({@link ServerLimits#maxParseBytes()}) counts on. Before, a body was decoded
 * whole, then Gson built its whole tree and read it a second time to find repeated names: a text
 * of 4 MiB with one character beyond Latin-1 allocated more than ten times its size, and an array
 * of two million {@code 1}s two million objects; 200 clients of 8 MiB bodies ran a 256 MB heap out
 * (valid bodies were answered 400 "not valid JSON", which was Gson's word for the heap running out).
 */
class JsonBodyCostTest {

    private static final int SIZE = 4 * 1024 * 1024;

    static Stream<Arguments> bodies() {
        return Stream.of(
                Arguments.of("a dataset text of 4 MiB beyond Latin-1",
                        reset("€" + "a".repeat(SIZE)), "The dataset text is " + (SIZE + 1) + " characters long"),
                Arguments.of("a dataset text within the limit, beyond Latin-1",
                        reset("€" + "ab\\n".repeat(333_000)), null),
                Arguments.of("a dataset text within the limit, with escapes",
                        reset("\\u00e9" + "ab\\n".repeat(333_000)), null),
                Arguments.of("an array of two million numbers",
                        "[" + "1,".repeat(SIZE / 2) + "1]", "the request body must be a JSON object"),
                Arguments.of("an array of two million numbers in a number field",
                        "{\"numSteps\": [" + "1,".repeat(SIZE / 2) + "1]}", "Num steps must be a whole number"),
                Arguments.of("a number of 4 million digits",
                        "{\"numSteps\": " + "1".repeat(SIZE) + "}", "Num steps must be a whole number"),
                Arguments.of("half a million names",
                        "{" + names(500_000) + "}", "more than 10000 names"),
                Arguments.of("strings of 900,000 characters in unknown fields",
                        "{" + "\"x\": \"é\", ".repeat(0) + unknownTexts(4) + "}", "unknown field"),
                Arguments.of("a name of 4 million characters beyond Latin-1",
                        "{\"€" + "n".repeat(SIZE) + "\": {\"a\": 1, \"a\": 2}}", "has the field \"a\" twice"),
                Arguments.of("many small strings in an array",
                        "{\"mode\": [" + "\"é\",".repeat(SIZE / 5) + "\"é\"]}", "The step mode must be a string"));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("bodies")
    void readingABodyAllocatesAtMostItsParseCost(String what, String text, String refusal) {
        byte[] body = text.getBytes(StandardCharsets.UTF_8);
        Class<? extends Record> type = text.contains("numSteps") || text.contains("mode") ? Requests.Step.class
                : Requests.Reset.class;
        read(body, type, refusal);  // once to load and compile what it uses
        long before = allocated();
        read(body, type, refusal);
        long allocated = allocated() - before;
        assertTrue(allocated <= RequestBodies.parseCost(body.length), what + ": " + allocated + " bytes allocated for "
                + body.length + " bytes of body, more than " + RequestBodies.parseCost(body.length));
    }

    @Test
    void theBoundOnReadsTakesTheLargestBody() {
        assertEquals(RequestBodies.parseCost(ServerLimits.DEFAULTS.maxBodyBytes()), ServerLimits.DEFAULTS.maxParseBytes());
    }

    private static void read(byte[] body, Class<? extends Record> type, String refusal) {
        if (refusal == null) {
            Requests.read(body, body.length, type);
            return;
        }
        ApiException e = assertThrows(ApiException.class, () -> Requests.read(body, body.length, type));
        assertTrue(e.getMessage().contains(refusal), "expected " + refusal + " in " + e.getMessage());
        assertTrue(e.getMessage().length() < 400, "a short message: " + e.getMessage().length() + " characters");
    }

    private static String reset(String datasetText) {
        return "{\"dataset\": {\"source\": \"text\", \"name\": \"n\", \"text\": \"" + datasetText + "\"}}";
    }

    private static String names(int count) {
        StringBuilder names = new StringBuilder();
        for (int i = 0; i < count; i++) {
            names.append(i == 0 ? "" : ",").append("\"n").append(i).append("\":0");
        }
        return names.toString();
    }

    private static String unknownTexts(int count) {
        StringBuilder fields = new StringBuilder();
        for (int i = 0; i < count; i++) {
            fields.append(i == 0 ? "" : ",").append("\"u").append(i).append("\": \"é").append("t".repeat(900_000))
                    .append('"');
        }
        return fields.toString();
    }

    private static long allocated() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }
}
