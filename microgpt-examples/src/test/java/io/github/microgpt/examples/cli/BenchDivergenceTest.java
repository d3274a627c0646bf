package io.github.microgpt.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.microgpt.model.Engine;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.Precision;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * What {@code microgpt bench} does when a run's loss diverges (becomes NaN or infinite): the
 * model is built again from its seed, that time is kept out of the timed steps, and the
 * divergences are counted and reported with the loss. The bench's own rate (1e-4) does not
 * diverge at these sizes, so the runs here train a tiny model at a rate of 1
 * ({@code --lr 1}), whose loss becomes infinite at its 4th step, and again 4 steps
 * after every rebuild (the same seed, the same documents).
 */
class BenchDivergenceTest {

    /** A tiny model: one layer, nEmbd 8, 2 heads, block size 4. */
    private static final GptConfig TINY = new GptConfig(1, 8, 2, 4, GptConfig.defaults().initStd());

    /**
     * A rate at which {@link #TINY} diverges at its 4th step (measured; 0.3 took 323 steps, 0.5
     * took 17). The runs are timed, so the steps they get depend on the machine: at 0.5 a list's
     * child on a busy machine once stopped before its 17th step, and the test that expects a
     * divergence failed; 4 steps fit in any slice.
     */
    private static final double DIVERGING_RATE = 1;

    @Test
    void aRunnerCountsItsDivergencesAndTimesItsRebuildsApart() {
        // A clock that moves by one microsecond each time it is read: the runner reads it only
        // around a rebuild, so the rebuilding time it notes is exactly one tick per divergence.
        long[] ticks = {0};
        LongSupplier clock = () -> ticks[0] += 1_000;
        BenchCommand.Runner runner = new BenchCommand.Runner(new BenchCommand.Contender(Engine.ARRAY, Precision.F64, 1),
                BenchCommand.Workload.randomLetters(TINY, DIVERGING_RATE), clock);

        runner.run(60);

        assertTrue(runner.divergences() > 0, "divergences: " + runner.divergences());
        assertEquals(1_000L * runner.divergences(), runner.rebuildNanos());
        assertEquals(2L * runner.divergences(), ticks[0] / 1_000, "the clock is read only around the rebuilds");
        // Each divergence restarts the trainer at its first document: fewer steps than were run.
        assertTrue(runner.stepsDone() < 60 - runner.divergences(), "steps done: " + runner.stepsDone());
        // The first step is the untrained model's, close to ln 27 for an even guess over 27 tokens.
        double first = Double.longBitsToDouble(runner.firstLossBits());
        assertTrue(first > 2 && first < 6, "first loss " + first);
    }

    @Test
    void atTheBenchsRateTheSameRunnerDoesNotDiverge() {
        BenchCommand.Runner runner = new BenchCommand.Runner(new BenchCommand.Contender(Engine.ARRAY, Precision.F64, 1),
                BenchCommand.Workload.randomLetters(TINY), System::nanoTime);

        runner.run(60);

        assertEquals(0, runner.divergences());
        assertEquals(0, runner.rebuildNanos());
        assertEquals(60, runner.stepsDone());
        assertTrue(Double.isFinite(Double.longBitsToDouble(runner.lastLossBits())));
    }

    @Test
    void aDivergingRunReportsItsDivergencesAndLossInTheJsonTheTableAndOnStderr() {
        Run json = run(DIVERGING_RATE, "--json");

        JsonObject engine = engines(json.out()).get(0).getAsJsonObject();
        int divergences = engine.get("divergences").getAsInt();
        int timed = engine.get("timedDivergences").getAsInt();
        assertTrue(divergences > 0, engine.toString());
        assertTrue(timed > 0 && timed <= divergences, engine.toString());
        assertLoss(engine, "firstLoss");
        assertLoss(engine, "lastLoss");
        // One note, at the first divergence; the others are counted.
        assertEquals(List.of("microgpt: note: the loss of array on 1 thread diverged (NaN or infinite); the model is "
                + "rebuilt from its seed each time it does, outside the timed steps, and the divergences are counted"),
                json.errLines());

        Run table = run(DIVERGING_RATE);
        List<String> divergenceLines = new ArrayList<>();
        for (String line : table.out().split("\n")) {
            if (line.contains("diverged")) {
                divergenceLines.add(line);
            }
        }
        assertEquals(1, divergenceLines.size(), table.out());
        assertTrue(divergenceLines.get(0).matches("array: the loss diverged [0-9]+ times \\([0-9]+ in the timed steps\\); "
                + "each time the model was rebuilt from its seed, outside the timed steps; timed loss "
                + "([0-9]+\\.[0-9]{4}|NaN) to ([0-9]+\\.[0-9]{4}|NaN)"), divergenceLines.get(0));
    }

    @Test
    void aRunThatDoesNotDivergeSaysNothingButItsLoss() {
        Run json = run(null, "--json");

        JsonObject engine = engines(json.out()).get(0).getAsJsonObject();
        assertEquals(0, engine.get("divergences").getAsInt(), engine.toString());
        assertEquals(0, engine.get("timedDivergences").getAsInt(), engine.toString());
        double first = engine.get("firstLoss").getAsDouble();
        assertTrue(first > 2 && first < 6, engine.toString());
        assertTrue(engine.get("lastLoss").getAsDouble() > 0, engine.toString());
        assertEquals(List.of(), json.errLines());
        assertTrue(!run(null).out().contains("diverged"));
    }

    @Test
    void everyThreadCountOfAListDivergesAtTheSameStepsAndSaysSo() {
        Run json = run(DIVERGING_RATE, "--json", "--threads", "1,2");

        JsonObject root = JsonParser.parseString(json.out()).getAsJsonObject();
        JsonArray engines = root.getAsJsonArray("engines");
        JsonObject one = engines.get(0).getAsJsonObject();
        JsonObject two = engines.get(1).getAsJsonObject();
        assertTrue(one.get("divergences").getAsInt() > 0, one.toString());
        for (String field : List.of("divergences", "timedDivergences", "firstLoss", "lastLoss")) {
            assertEquals(one.get(field), two.get(field), field);
        }
        JsonObject speedUp = root.getAsJsonArray("speedUps").get(0).getAsJsonObject();
        assertTrue(speedUp.get("sameResults").getAsBoolean(), speedUp.toString());
        // Each count's child told its divergence; the parent noted each once (in the order they
        // were seen: the warm-up reverses the counts every other round).
        List<String> notes = new ArrayList<>(json.errLines());
        notes.sort(null);
        assertEquals(2, notes.size(), notes.toString());
        assertTrue(notes.get(0).startsWith("microgpt: note: the loss of array on 1 thread diverged"), notes.get(0));
        assertTrue(notes.get(1).startsWith("microgpt: note: the loss of array on 2 threads diverged"), notes.get(1));

        // In the table, the counts that diverged alike share one line.
        String table = run(DIVERGING_RATE, "--threads", "1,2").out();
        long lines = table.lines().filter(line -> line.contains("diverged")).count();
        assertEquals(1, lines, table);
        assertTrue(table.contains("\narray: the loss diverged "), table);
    }

    /** The loss field is a number above 0, or null where that step diverged. */
    private static void assertLoss(JsonObject engine, String field) {
        assertTrue(engine.has(field), engine.toString());
        JsonElement loss = engine.get(field);
        assertTrue(loss.isJsonNull() || loss.getAsDouble() > 0, engine.toString());
    }

    private static JsonArray engines(String json) {
        return JsonParser.parseString(json).getAsJsonObject().getAsJsonArray("engines");
    }

    /** What a run printed. */
    private record Run(String out, String err) {
        List<String> errLines() {
            List<String> lines = new ArrayList<>();
            for (String line : err.split("\n")) {
                if (!line.isEmpty() && !line.contains("Using incubator modules")) {
                    lines.add(line);
                }
            }
            return lines;
        }
    }

    /**
     * At microgpt.py's own rate on its names a divergence would be a bug, and fails the bench; at
     * a rate of one's own the names may diverge like random letters, and the model is rebuilt.
     */
    @Test
    void theNamesAtARateOfOnesOwnMayDivergeToo() {
        Cli.Result result = Cli.run("bench", "--json", "--engine", "array", "--seconds", "0.05",
                "--lr", "100");

        assertEquals(0, result.exitCode(), result.toString());
        JsonObject root = JsonParser.parseString(result.stdoutLines().get(0)).getAsJsonObject();
        assertEquals("names", root.getAsJsonObject("configuration").get("documents").getAsString());
        assertEquals(100.0, root.getAsJsonObject("configuration").get("learningRate").getAsDouble());
        JsonObject engine = root.getAsJsonArray("engines").get(0).getAsJsonObject();
        assertTrue(engine.get("divergences").getAsInt() > 0, engine.toString());
        assertTrue(result.stderr().contains("microgpt: note: the loss of array on 1 thread diverged"), result.stderr());

        Cli.Result table = Cli.run("bench", "--engine", "array", "--seconds", "0.05", "--lr", "100");
        assertEquals(0, table.exitCode(), table.toString());
        assertTrue(table.stdoutLines().get(0).endsWith(", embedded names, seed 42, Adam at 100"),
                table.stdoutLines().get(0));
    }

    /** A list's children get the rate too: the names of the reference run diverge on both counts. */
    @Test
    void aListsChildrenTrainTheNamesAtTheRateGiven() {
        Cli.Result result = Cli.run("bench", "--json", "--engine", "array", "--seconds", "0.05",
                "--lr", "100", "--threads", "1,2");

        assertEquals(0, result.exitCode(), result.toString());
        JsonObject root = JsonParser.parseString(result.stdoutLines().get(0)).getAsJsonObject();
        JsonArray engines = root.getAsJsonArray("engines");
        for (JsonElement engine : engines) {
            assertTrue(engine.getAsJsonObject().get("divergences").getAsInt() > 0, engines.toString());
        }
        assertEquals(engines.get(0).getAsJsonObject().get("divergences"),
                engines.get(1).getAsJsonObject().get("divergences"), engines.toString());
        assertTrue(root.getAsJsonArray("speedUps").get(0).getAsJsonObject().get("sameResults").getAsBoolean(),
                root.toString());
    }

    /** Benches {@link #TINY} for 0.05 s at {@code rate} ({@code --lr}; null: the bench's own), with the options given. */
    private static Run run(Double rate, String... options) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        CliContext context = new CliContext(out, new PrintStream(err, true, StandardCharsets.UTF_8), Map.of(),
                null, null);
        CommandLine commandLine = new CommandLine(new MicrogptCommand(context));
        commandLine.addSubcommand(new BenchCommand(BenchChild::command));
        List<String> args = new ArrayList<>(List.of("bench", "--engine", "array", "--n-embd", "8", "--n-layer", "1",
                "--n-head", "2", "--block-size", "4", "--seconds", "0.05"));
        if (rate != null) {
            args.addAll(List.of("--lr", Double.toString(rate)));
        }
        args.addAll(List.of(options));
        int code = commandLine.execute(args.toArray(String[]::new));
        assertEquals(0, code, err.toString(StandardCharsets.UTF_8));
        return new Run(out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
