package io.github.microgpt.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What {@code microgpt bench} prints. The measurements are made very short here; the tests check
 * the shape of the output and that every figure is a positive, finite number, never a speed.
 */
class BenchCommandTest {

    @Test
    void printsOneJsonObjectWithBothEngines() {
        Cli.Result result = Cli.run("bench", "--json", "--seconds", "0.05");

        assertEquals(0, result.exitCode(), result.toString());
        assertEquals("", result.stderr());
        List<String> lines = result.stdoutLines();
        assertEquals(2, lines.size(), "one line and the final line break: " + lines);
        assertEquals("", lines.get(1));
        JsonObject root = JsonParser.parseString(lines.get(0)).getAsJsonObject();
        assertEquals(Set.of("engines"), root.keySet());
        JsonArray engines = root.getAsJsonArray("engines");
        assertEquals(2, engines.size());
        assertEquals("value", engines.get(0).getAsJsonObject().get("engine").getAsString());
        assertEquals("array", engines.get(1).getAsJsonObject().get("engine").getAsString());
        for (JsonElement element : engines) {
            JsonObject engine = element.getAsJsonObject();
            assertEquals(Set.of("engine", "stepsPerSecond", "tokensPerSecond", "gflopsPerSecond"), engine.keySet());
            for (String figure : List.of("stepsPerSecond", "tokensPerSecond", "gflopsPerSecond")) {
                double x = engine.get(figure).getAsDouble();
                assertTrue(x > 0 && Double.isFinite(x), engine + ": " + figure);
            }
        }
    }

    @Test
    void printsATableWithTheRatio() {
        Cli.Result result = Cli.run("bench", "--seconds", "0.05");

        assertEquals(0, result.exitCode(), result.toString());
        List<String> lines = result.stdoutLines();
        assertEquals(7, lines.size(), lines.toString());
        assertTrue(lines.get(0).startsWith("microgpt bench: reference configuration"), lines.get(0));
        assertTrue(lines.get(0).contains("4192 parameters"), lines.get(0));
        assertTrue(lines.get(1).matches("engine +steps/s +tokens/s +GFLOP/s"), lines.get(1));
        Pattern row = Pattern.compile("(value|array) +[0-9,]+ +[0-9,]+ +[0-9]+\\.[0-9]{3}");
        assertTrue(row.matcher(lines.get(2)).matches() && lines.get(2).startsWith("value"), lines.get(2));
        assertTrue(row.matcher(lines.get(3)).matches() && lines.get(3).startsWith("array"), lines.get(3));
        assertTrue(lines.get(4).matches("array / value: [0-9.]+x the steps, [0-9.]+x the tokens"), lines.get(4));
        assertTrue(lines.get(5).startsWith("Java "), lines.get(5));
        assertEquals("", lines.get(6));
    }

    @Test
    void reportsTheMedianSlice() {
        assertEquals(2, BenchCommand.medianIndex(new double[] {5, 1, 3}));
        assertEquals(0, BenchCommand.medianIndex(new double[] {30, 10, 1e9, 0, 40}));
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "-1", "601", "NaN", "Infinity"})
    void rejectsSecondsOutOfRange(String seconds) {
        Cli.Result result = Cli.run("bench", "--seconds", seconds);

        Cli.assertOneLineError(result, 2, "--seconds must be positive and at most 600", "microgpt bench",
                "bench", "--seconds", seconds);
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "-1", "257"})
    void rejectsThreadsOutOfRange(String threads) {
        Cli.Result result = Cli.run("bench", "--threads", threads);

        Cli.assertOneLineError(result, 2, "--threads must be between 1 and 256, got " + threads, "microgpt bench",
                "bench", "--threads", threads);
    }

    @Test
    void measuresWithTwoThreads() {
        Cli.Result result = Cli.run("bench", "--json", "--seconds", "0.05", "--threads", "2");

        assertEquals(0, result.exitCode(), result.toString());
        assertTrue(result.stdout().contains("\"engine\":\"array\""), result.stdout());
    }

    @Test
    void rejectsSecondsThatAreNotANumber() {
        Cli.Result result = Cli.run("bench", "--seconds", "soon");

        Cli.assertOneLineError(result, 2, "soon", "microgpt bench", "bench", "--seconds", "soon");
    }
}
