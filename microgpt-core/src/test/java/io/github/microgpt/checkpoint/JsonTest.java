package io.github.microgpt.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParser;
import io.github.microgpt.testing.Cases;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The small JSON reader and writer of the checkpoint files. */
class JsonTest {

    @Test
    void parsesEveryKindOfValue() throws Exception {
        Object value = Json.parse(" {\"a\": [1, -2.5e3, true, false, null], \"b\": {\"c\": \"x\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\"}, "
                + "\"d\": {}, \"e\": []} ");
        @SuppressWarnings("unchecked")
        Map<String, Object> map = (Map<String, Object>) value;
        assertEquals(List.of("a", "b", "d", "e"), List.copyOf(map.keySet()), "keys in file order");
        List<?> a = (List<?>) map.get("a");
        assertEquals(new Json.Num("1"), a.get(0));
        assertTrue(((Json.Num) a.get(0)).isInteger());
        assertEquals(-2500.0, ((Json.Num) a.get(1)).toDouble());
        assertEquals(List.of(Boolean.TRUE, Boolean.FALSE, Json.NULL), a.subList(2, 5));
        assertEquals("x\"\\/\b\f\n\r\té", ((Map<?, ?>) map.get("b")).get("c"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{\"a\": 1,}                 | 8  | expected a key",
        "{\"a\": 1} x                | 9  | after the end",
        "{\"a\": 01}                 | 7  | expected ',' or '}'",
        "[1, 2                       | 5  | expected ',' or ']'",
        "{\"a\": 1, \"a\": 2}        | 9  | duplicate key \"a\"",
        "\"a\tb\"                    | 2  | control character U+0009",
        "\"\\x\"                     | 1  | unknown escape",
        "\"\\u12g4\"                 | 1  | bad \\u escape",
        "-                           | 1  | expected a digit",
        "1.                          | 2  | after the decimal point",
        "1e+                         | 3  | in the exponent",
        "tru                         | 0  | expected a value",
        "                            | 0  | end of the text",
        "\uFEFF{}                   | 0  | character '\\uFEFF' (a byte-order mark: write the file as UTF-8 without one)",
        "{\"a\": 1\u202E}            | 7  | character '\\u202E', expected ',' or '}'",
        "{\"a\": 1\u00A0}            | 7  | character '\\u00A0'",
        "{\"a\": 1\u0085}            | 7  | character '\\u0085'",
    })
    void reportsTheOffsetOfASyntaxError(String text, int offset, String message) {
        String input = text == null ? "" : text.strip();
        Json.SyntaxException e = assertThrows(Json.SyntaxException.class, () -> Json.parse(input));
        assertEquals(offset, e.offset(), e.getMessage());
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }

    @Test
    void deepNestingAndHugeNumbersAreRefusedWithoutOverflowingTheStack() {
        String deep = "[".repeat(100_000) + "]".repeat(100_000);
        assertTrue(assertThrows(Json.SyntaxException.class, () -> Json.parse(deep)).getMessage()
                .contains("nested more than " + Json.MAX_DEPTH));
        String nested = "[".repeat(Json.MAX_DEPTH) + "]".repeat(Json.MAX_DEPTH);
        assertDoesNotThrow(nested);
        String digits = "1".repeat(1_000_000);
        assertTrue(assertThrows(Json.SyntaxException.class, () -> Json.parse(digits)).getMessage()
                .contains("longer than"));
    }

    private static void assertDoesNotThrow(String text) {
        try {
            Json.parse(text);
        } catch (Json.SyntaxException e) {
            throw new AssertionError(text + ": " + e.getMessage(), e);
        }
    }

    @TestFactory
    Stream<DynamicTest> doublesAndStringsSurviveAWriteAndARead() {
        return Cases.dynamicTests("json round trip", 200, g -> {
            double d = switch (g.intIn(0, 3)) {
                case 0 -> g.gaussian();
                case 1 -> Double.longBitsToDouble(g.nextLong() & 0x7FEFFFFFFFFFFFFFL) * g.sign();
                case 2 -> g.logUniform(1e-320, 1e-300);
                default -> g.pickDouble(0.0, -0.0, Double.MIN_VALUE, Double.MAX_VALUE, 1e-8, 0.85);
            };
            int[] alphabet = {'a', '"', '\\', '\n', 0x01, 0x7F, 0xE9, 0x1F600, 0xD800, 0xDFFF, ' ', '/'};
            return new Object[] {d, g.string(alphabet, g.intIn(0, 12))};
        }, c -> {
            double d = (double) c[0];
            String s = (String) c[1];
            Map<String, Object> map = new LinkedHashMap<>();
            map.put("d", d);
            map.put("s", s);
            map.put("list", List.of(1, 2L, d));
            String text = Json.write(map);
            @SuppressWarnings("unchecked")
            Map<String, Object> back = (Map<String, Object>) Json.parse(text);
            assertEquals(Double.doubleToRawLongBits(d), Double.doubleToRawLongBits(((Json.Num) back.get("d")).toDouble()));
            assertEquals(s, back.get("s"));
            // An independent parser reads the same text (unpaired surrogates aside, which it may replace).
            if (s.codePoints().noneMatch(cp -> cp >= 0xD800 && cp <= 0xDFFF)) {
                assertEquals(s, JsonParser.parseString(text).getAsJsonObject().get("s").getAsString());
            }
        });
    }

    @Test
    void nonFiniteNumbersCannotBeWritten() {
        assertThrows(IllegalArgumentException.class, () -> Json.write(Map.of("x", Double.NaN)));
        assertThrows(IllegalArgumentException.class, () -> Json.write(List.of(Double.NEGATIVE_INFINITY)));
    }
}
