package io.github.microgpt.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.microgpt.model.ArrayKernels;
import io.github.microgpt.model.Precision;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
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
        assertEquals(List.of("engines", "memory", "kernels", "configuration", "compute"), List.copyOf(root.keySet()));
        assertEquals(ArrayKernels.implementation().id(), root.get("kernels").getAsString());
        JsonArray engines = root.getAsJsonArray("engines");
        assertEquals(List.of("value", "array"), names(engines));
        assertEngineFigures(engines);
        for (JsonElement element : engines) {
            JsonObject engine = element.getAsJsonObject();
            assertEquals("f64", engine.get("precision").getAsString(), engine.toString());
            assertEquals(1, engine.get("threads").getAsInt(), engine.toString());
            assertEquals(1, engine.get("peakThreads").getAsInt(), engine.toString());
        }
        // Both are f64 on one thread: one peak, measured once, is the measure of both.
        assertEquals(engines.get(0).getAsJsonObject().get("peakGflopsPerSecond"),
                engines.get(1).getAsJsonObject().get("peakGflopsPerSecond"));
        JsonObject configuration = root.getAsJsonObject("configuration");
        assertEquals(1, configuration.get("nLayer").getAsInt());
        assertEquals(16, configuration.get("nEmbd").getAsInt());
        assertEquals(4, configuration.get("nHead").getAsInt());
        assertEquals(16, configuration.get("blockSize").getAsInt());
        assertEquals(27, configuration.get("vocabSize").getAsInt());
        assertEquals(4192, configuration.get("parameters").getAsLong());
        assertEquals("names", configuration.get("documents").getAsString());
        assertEquals(0.01, configuration.get("learningRate").getAsDouble(), "microgpt.py's rate");
        assertMemory(root, List.of(1));
        // The Value engine makes a graph of objects every step; the array engine works in arrays it keeps.
        double value = engines.get(0).getAsJsonObject().get("allocatedBytesPerStep").getAsDouble();
        double array = engines.get(1).getAsJsonObject().get("allocatedBytesPerStep").getAsDouble();
        assertTrue(value > 10 * array, "value " + value + " B a step, array " + array);
    }

    @Test
    void printsATableWithTheRatio() {
        Cli.Result result = Cli.run("bench", "--seconds", "0.05");

        assertEquals(0, result.exitCode(), result.toString());
        List<String> lines = result.stdoutLines();
        assertEquals(12, lines.size(), lines.toString());
        assertTrue(lines.get(0).startsWith("microgpt bench: reference configuration"), lines.get(0));
        assertTrue(lines.get(0).contains("4192 parameters"), lines.get(0));
        assertTrue(lines.get(1).matches("engine +steps/s +tokens/s +GFLOP/s +of peak"), lines.get(1));
        Pattern row = Pattern.compile("(value|array) +[0-9,]+(\\.[0-9])? +[0-9,]+ +[0-9]+\\.[0-9]{3} +[0-9]+\\.[0-9]%");
        assertTrue(row.matcher(lines.get(2)).matches() && lines.get(2).startsWith("value"), lines.get(2));
        assertTrue(row.matcher(lines.get(3)).matches() && lines.get(3).startsWith("array"), lines.get(3));
        assertTrue(lines.get(4).matches("array / value: [0-9.]+x the steps, [0-9.]+x the tokens"), lines.get(4));
        assertTrue(lines.get(5).matches("heap allocated per timed step by the threads that ran it: value on 1 thread "
                + "[0-9,]+\\.[0-9] KB, array on 1 thread [0-9,]+\\.[0-9] KB"), lines.get(5));
        lines = new ArrayList<>(lines);
        lines.remove(5);
        assertTrue(lines.get(5).matches("peak of f64 on 1 thread, measured: [0-9]+\\.[0-9] GFLOP/s"),
                lines.get(5));
        assertTrue(lines.get(6).matches("compute of this machine, measured: 1 thread [0-9]+\\.[0-9] GFLOP/s \\(f64 "
                + "multiply-adds on 4 KiB in each thread's first-level cache, no memory traffic: the most more threads "
                // Rounds during which this JVM's JIT compiler worked are set aside, and the line says so (ControlRounds).
                + "can gain; median of ([0-9]+ alternated rounds; this JVM's JIT compiler worked during [0-9]+ of them, "
                + "too many to set aside: counted|15 alternated rounds(; [0-9]+ more rounds? set aside: this JVM's JIT "
                + "compiler worked during (it|them))?), [0-9]+\\.[0-9]{2} s\\)"), lines.get(6));
        lines.remove(6);
        assertTrue(lines.get(6).matches("memory of this machine, measured: 1 thread [0-9]+\\.[0-9] GB/s \\(4 arrays "
                + "read and written as Adam's update after the backward pass does, 268 MB in all, median of [0-9]+ "
                + "alternated rounds(; [0-9]+ more rounds? set aside: this JVM's JIT compiler worked during (it|them))?, "
                + "[0-9]+\\.[0-9]{2} s\\)"),
                lines.get(6));
        // Both engines update after the backward pass here (the array engine stages the reference
        // model's rows of 16): 4192 parameters x 8 numbers (w, m, v, g) x 8 bytes = 268,288 bytes.
        assertTrue(lines.get(7).matches("Adam's update after the backward pass reads and writes 0\\.3 MB a step "
                + "\\(w, m, v, g: 4 x 4192 f64 numbers of 8 bytes, each read and written once; the gradients are "
                + "read back and zeroed\\); from memory at these bandwidths that takes [0-9]+\\.[0-9]{2} ms on 1 "
                + "thread"), lines.get(7));
        assertTrue(lines.get(8).startsWith("Java "), lines.get(8));
        assertEquals("", lines.get(9));
    }

    @Test
    void measuresTheSizeGivenAloneOnDocumentsThatFillTheContext() {
        Cli.Result result = Cli.run("bench", "--json", "--engine", "array", "--n-embd", "24", "--n-layer", "2",
                "--n-head", "3", "--block-size", "8", "--seconds", "0.05");

        assertEquals(0, result.exitCode(), result.toString());
        JsonObject root = JsonParser.parseString(result.stdoutLines().get(0)).getAsJsonObject();
        JsonArray engines = root.getAsJsonArray("engines");
        assertEquals(List.of("array"), names(engines));
        assertEngineFigures(engines);
        JsonObject configuration = root.getAsJsonObject("configuration");
        assertEquals(2, configuration.get("nLayer").getAsInt());
        assertEquals(24, configuration.get("nEmbd").getAsInt());
        assertEquals(3, configuration.get("nHead").getAsInt());
        assertEquals(8, configuration.get("blockSize").getAsInt());
        assertEquals(27, configuration.get("vocabSize").getAsInt());
        // 2Vd + blockSize d + 12 L d^2 with V = 27 letters and BOS
        assertEquals(2 * 27 * 24 + 8 * 24 + 12 * 2 * 24 * 24, configuration.get("parameters").getAsLong());
        assertEquals("random letters", configuration.get("documents").getAsString());
        assertMemory(root, List.of(1));
    }

    @Test
    void aModelOptionAloneMeasuresTheArrayEngine() {
        Cli.Result result = Cli.run("bench", "--n-embd", "8", "--n-head", "2", "--seconds", "0.05");

        assertEquals(0, result.exitCode(), result.toString());
        List<String> lines = result.stdoutLines();
        assertTrue(lines.get(0).startsWith("microgpt bench: 1 layer, nEmbd 8, 2 heads, block size 16, 27 tokens, "),
                lines.get(0));
        assertTrue(lines.get(0).endsWith("documents of 16 random letters, Adam at 1e-4"), lines.get(0));
        assertTrue(lines.get(2).startsWith("array "), lines.get(2));
        assertTrue(lines.get(3).matches("heap allocated per timed step by the threads that ran it: array on 1 thread "
                + "[0-9,]+\\.[0-9] KB"), lines.get(3));
        assertTrue(lines.get(4).startsWith("peak of f64 on 1 thread, measured: "), lines.get(4));
    }

    @Test
    void theLearningRateGivenIsTheRunsAndIsSaidInTheHeaderAndTheJson() {
        Cli.Result table = Cli.run("bench", "--n-embd", "8", "--n-head", "2", "--seconds", "0.05",
                "--lr", "0.00025");

        assertEquals(0, table.exitCode(), table.toString());
        assertTrue(table.stdoutLines().get(0).endsWith("documents of 16 random letters, Adam at 2.5e-4"),
                table.stdoutLines().get(0));

        Cli.Result json = Cli.run("bench", "--json", "--n-embd", "8", "--n-head", "2", "--seconds", "0.05",
                "--lr", "0.00025");
        assertEquals(0, json.exitCode(), json.toString());
        JsonObject configuration = JsonParser.parseString(json.stdoutLines().get(0)).getAsJsonObject()
                .getAsJsonObject("configuration");
        assertEquals(0.00025, configuration.get("learningRate").getAsDouble());

        Cli.Result usual = Cli.run("bench", "--json", "--n-embd", "8", "--n-head", "2", "--seconds", "0.05");
        assertEquals(1e-4, JsonParser.parseString(usual.stdoutLines().get(0)).getAsJsonObject()
                .getAsJsonObject("configuration").get("learningRate").getAsDouble(), "the bench's own on random letters");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "1e-4|1e-4",
        "0.0001|1e-4",
        "2.5e-5|2.5e-5",
        "0.001|0.001",
        "0.01|0.01",
        "0.5|0.5",
        "1|1",
        "100|100",
        "1234567|1234567",
        "12345678|1.2345678e7",
        "1e300|1e300",
        "4.9e-324|4.9e-324",
    })
    void writesALearningRateAsAPersonDoes(double rate, String written) {
        assertEquals(written, BenchCommand.rate(rate));
        assertEquals(rate, Double.parseDouble(written), "reads back as the same number");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "0|--lr must be a positive, finite number, got 0;",
        "-1|--lr must be a positive, finite number, got -1;",
        "-0.01|--lr must be a positive, finite number, got -0.01",
        "NaN|--lr must be a positive, finite number, got NaN",
        "Infinity|--lr must be a positive, finite number, got Infinity",
        "fast|'fast' is not a number",
        "1e309|'1e309' is too large (it overflows a double)",
        "1e-400|'1e-400' is too small (it rounds to 0)",
        "0x1p-7|'0x1p-7' is not a plain decimal number",
        "1d|'1d' is not a plain decimal number",
        "''|'' is not a number",
    })
    void rejectsALearningRateThatIsNotAPositiveFiniteNumber(String rate, String cause) {
        Cli.Result result = Cli.run("bench", "--lr", rate);

        Cli.assertOneLineError(result, 2, cause, "microgpt bench", "bench", "--lr", rate);
    }

    @Test
    void theAllocationLineSaysEveryEntrysFigureOrThatItWasNotCounted() {
        BenchCommand.Result value = result("value", 1, 3_066_249.6);
        BenchCommand.Result one = result("array", 1, 31_949.9);
        BenchCommand.Result two = result("array", 2, Double.NaN);

        assertEquals("heap allocated per timed step by the threads that ran it: value on 1 thread 3,066.2 KB, "
                + "array on 1 thread 31.9 KB", BenchCommand.allocationLine(List.of(value, one)));
        assertEquals("heap allocated per timed step by the threads that ran it: array on 1 thread 31.9 KB, "
                + "array on 2 threads not counted (the JVM that ran it does not count each thread's allocation: "
                + "that needs the module jdk.management)", BenchCommand.allocationLine(List.of(one, two)));
    }

    @Test
    void anArrayEntryThatAllocatedMoreThanTheThresholdAStepGetsANoteNamingTheLikelyCause() {
        ArrayKernels.Implementation vector = ArrayKernels.Implementation.VECTOR;
        ArrayKernels.Implementation plain = ArrayKernels.Implementation.PLAIN;
        // With the Vector API kernels: their fallback, which a rerun with the same options repeats.
        assertEquals("microgpt: note: array-f32 on 2 threads allocated 1,204.3 KB of heap per timed step, more than "
                + "512 KB (256 KB a thread); with the Vector API kernels the likely cause is their Java fallback, "
                + "where C2 could not compile a vector operation and makes an object of every vector (its steps/s "
                + "are then low); that comes from the JDK and what the JVM compiled, not from chance, so the same "
                + "options usually give the same figure again: compare with the core's loops "
                + "(-Dmicrogpt.kernels=plain, in JAVA_OPTS for ./microgpt) or another JDK; otherwise steps ran "
                + "before the JIT compiled them (a short --seconds)",
                BenchCommand.allocationNote(result("array-f32", 2, 1_204_321), vector));
        // Without them there is no fallback to blame: only steps timed before the JIT compiled them.
        assertEquals("microgpt: note: array on 1 thread allocated 600.0 KB of heap per timed step, more than 256 KB "
                + "(256 KB a thread); the core's loops make no object a step, so steps ran before the JIT compiled "
                + "them: run it again with a longer --seconds",
                BenchCommand.allocationNote(result("array", 1, 600_000), plain));
        long perThread = BenchCommand.ALLOCATION_NOTE_BYTES_PER_THREAD;
        for (ArrayKernels.Implementation kernels : ArrayKernels.Implementation.values()) {
            assertEquals(null, BenchCommand.allocationNote(result("array", 1, perThread), kernels), "at the threshold");
            assertTrue(BenchCommand.allocationNote(result("array", 1, perThread + 1), kernels) != null, "above it");
            // 2 threads' compiled steps allocated 203-219 KB at 256/4/8/64: no note on 2 threads below 512 KB.
            assertEquals(null, BenchCommand.allocationNote(result("array", 2, 2 * perThread), kernels),
                    "2 threads' threshold");
            assertTrue(BenchCommand.allocationNote(result("array", 2, 2 * perThread + 1), kernels) != null,
                    "above it");
            assertEquals(null, BenchCommand.allocationNote(result("value", 1, 5e6), kernels),
                    "the Value engine's graph");
            assertEquals(null, BenchCommand.allocationNote(result("array", 1, Double.NaN), kernels), "not counted");
        }
    }

    /** An entry with the figures of no interest here made up, and its allocation per step. */
    private static BenchCommand.Result result(String engine, int threads, double allocatedBytesPerStep) {
        Precision precision = engine.endsWith("f32") ? Precision.F32 : Precision.F64;
        return new BenchCommand.Result(engine, precision, threads, 10, 1, 1, 10, 1,
                new PeakFlops.Peak(precision, threads, 100), 3.3, 3.3, 0, 0, allocatedBytesPerStep,
                MemoryBandwidth.UpdatePlace.AFTER_BACKWARD_PASS);
    }

    @Test
    void theValueEngineAloneAtTheReferenceSize() {
        Cli.Result result = Cli.run("bench", "--json", "--engine", "value", "--seconds", "0.05");

        assertEquals(0, result.exitCode(), result.toString());
        JsonObject root = JsonParser.parseString(result.stdoutLines().get(0)).getAsJsonObject();
        assertEquals(List.of("value"), names(root.getAsJsonArray("engines")));
    }

    private static List<String> names(JsonArray engines) {
        List<String> names = new ArrayList<>();
        for (JsonElement element : engines) {
            names.add(element.getAsJsonObject().get("engine").getAsString());
        }
        return names;
    }

    private static void assertEngineFigures(JsonArray engines) {
        for (JsonElement element : engines) {
            JsonObject engine = element.getAsJsonObject();
            assertEquals(List.of("engine", "precision", "threads", "stepsPerSecond", "gradientMillis",
                    "optimizerMillis", "tokensPerSecond", "gflopsPerSecond", "peakGflopsPerSecond", "peakThreads",
                    "shareOfPeak", "memoryGbPerSecond", "updateBytesPerStep", "updateInsideBackwardPass",
                    "updateMemoryMillis", "firstLoss", "lastLoss", "timedDivergences", "divergences",
                    "allocatedBytesPerStep"),
                    List.copyOf(engine.keySet()));
            for (String figure : List.of("stepsPerSecond", "tokensPerSecond", "gflopsPerSecond",
                    "peakGflopsPerSecond", "shareOfPeak", "gradientMillis", "optimizerMillis", "memoryGbPerSecond",
                    "updateMemoryMillis", "firstLoss", "lastLoss", "allocatedBytesPerStep")) {
                assertPositiveAndFinite(engine, figure);
            }
            // At the bench's own rates nothing diverges (BenchDivergenceTest makes a run that does).
            assertEquals(0, engine.get("divergences").getAsInt(), engine.toString());
            assertEquals(0, engine.get("timedDivergences").getAsInt(), engine.toString());
            // gradientMillis and optimizerMillis come from a slice of their own, with a gradient
            // listener, so they need not add up to 1000 / stepsPerSecond.
            // The share is of the entry's own peak, computed before rounding; the JSON rounds gflops
            // to 4 places, the peak to 2 and the share to 6, so the share must lie in the interval
            // those roundings leave. (A fixed relative tolerance failed on a loaded machine, whose
            // small peak, 0.65, rounded to 2 places is off by up to 0.8%.)
            double gflops = engine.get("gflopsPerSecond").getAsDouble();
            double peak = engine.get("peakGflopsPerSecond").getAsDouble();
            double shareOfPeak = engine.get("shareOfPeak").getAsDouble();
            double lowest = (gflops - 5e-5) / (peak + 5e-3) - 5e-7;
            double highest = (gflops + 5e-5) / (peak - 5e-3) + 5e-7;
            assertTrue(shareOfPeak >= lowest && shareOfPeak <= highest,
                    "shareOfPeak " + shareOfPeak + " outside [" + lowest + ", " + highest + "]: " + engine);
            int threads = engine.get("threads").getAsInt();
            int peakThreads = engine.get("peakThreads").getAsInt();
            assertEquals(Math.min(threads, Runtime.getRuntime().availableProcessors()), peakThreads, engine.toString());
        }
    }

    private static void assertPositiveAndFinite(JsonObject object, String figure) {
        double x = object.get(figure).getAsDouble();
        assertTrue(x > 0 && Double.isFinite(x), object + ": " + figure);
    }

    @Test
    void reportsTheMedian() {
        assertEquals(3, BenchCommand.median(new double[] {5, 1, 3}));
        assertEquals(30, BenchCommand.median(new double[] {30, 10, 1e9, 0, 40}));
        assertEquals(2.5, BenchCommand.median(new double[] {4, 1, 2, 3}), "the mean of the two middle values");
        double[] values = {5, 1, 3};
        BenchCommand.median(values);
        assertEquals(List.of(5.0, 1.0, 3.0), List.of(values[0], values[1], values[2]), "the values are not sorted in place");
    }

    @Test
    void alternatesTheOrderEveryRound() {
        assertEquals(List.of(0, 1), List.of(box(BenchCommand.order(2, 0))));
        assertEquals(List.of(1, 0), List.of(box(BenchCommand.order(2, 1))));
        assertEquals(List.of(0, 1, 2), List.of(box(BenchCommand.order(3, 4))));
        assertEquals(List.of(2, 1, 0), List.of(box(BenchCommand.order(3, 7))));
        assertEquals(List.of(0), List.of(box(BenchCommand.order(1, 1))));
    }

    @Test
    void cutsAMeasurementIntoQuarterSecondSlicesAndAtLeastFive() {
        assertEquals(5, BenchCommand.targetRounds(0.05, 1));
        assertEquals(12, BenchCommand.targetRounds(3, 1));
        assertEquals(8, BenchCommand.targetRounds(4, 2), "the counts share the seconds: 2 s each, 8 slices");
        assertEquals(101, BenchCommand.targetRounds(600, 1));
    }

    private static Integer[] box(int[] values) {
        Integer[] boxed = new Integer[values.length];
        for (int i = 0; i < values.length; i++) {
            boxed[i] = values[i];
        }
        return boxed;
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "-1", "601", "NaN", "Infinity", "1e9", "-2.50"})
    void rejectsSecondsOutOfRange(String seconds) {
        Cli.Result result = Cli.run("bench", "--seconds", seconds);

        // The number as typed: "got 1e9", not "got 1.0E9" as a double prints it.
        Cli.assertOneLineError(result, 2, "--seconds must be positive and at most 600, got " + seconds + ";",
                "microgpt bench",
                "bench", "--seconds", seconds);
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "-1", "-2147483648", "257", "100000"})
    void rejectsThreadsOutOfRange(String threads) {
        Cli.Result result = Cli.run("bench", "--threads", threads);

        Cli.assertOneLineError(result, 2, "--threads must be between 1 and 256, got " + threads, "microgpt bench",
                "bench", "--threads", threads);
    }

    @Test
    void measuresWithTwoThreadsAgainstThePeakOfTwo() {
        Cli.Result result = Cli.run("bench", "--json", "--seconds", "0.05", "--threads", "2");

        assertEquals(0, result.exitCode(), result.toString());
        JsonArray engines = JsonParser.parseString(result.stdoutLines().get(0)).getAsJsonObject()
                .getAsJsonArray("engines");
        assertEquals(List.of("value", "array"), names(engines));
        assertEngineFigures(engines);
        JsonObject value = engines.get(0).getAsJsonObject();
        JsonObject array = engines.get(1).getAsJsonObject();
        assertEquals(1, value.get("threads").getAsInt(), "the value engine has one thread: " + value);
        assertEquals(1, value.get("peakThreads").getAsInt(), value.toString());
        assertEquals(2, array.get("threads").getAsInt(), array.toString());
        assertEquals(Math.min(2, Runtime.getRuntime().availableProcessors()), array.get("peakThreads").getAsInt(),
                array.toString());
        assertMemory(JsonParser.parseString(result.stdoutLines().get(0)).getAsJsonObject(), List.of(1, 2));
    }

    @Test
    void theTableNamesEveryPeakItUses() {
        Cli.Result result = Cli.run("bench", "--seconds", "0.05", "--threads", "2");

        assertEquals(0, result.exitCode(), result.toString());
        List<String> peaks = result.stdoutLines().stream().filter(line -> line.startsWith("peak of")).toList();
        if (Runtime.getRuntime().availableProcessors() >= 2) {
            assertEquals(2, peaks.size(), peaks.toString());
            assertTrue(peaks.get(0).matches("peak of f64 on 1 thread, measured: [0-9]+\\.[0-9] GFLOP/s"), peaks.get(0));
            assertTrue(peaks.get(1).matches("peak of f64 on 2 threads, measured: [0-9]+\\.[0-9] GFLOP/s"), peaks.get(1));
        } else {
            assertEquals(1, peaks.size(), peaks.toString());
            assertTrue(peaks.get(0).startsWith("peak of f64 on 1 thread, measured: "), peaks.get(0));
        }
    }

    @Test
    void saysWhenThereAreFewerProcessorsThanThreads() {
        int processors = Runtime.getRuntime().availableProcessors();
        Cli.Result result = Cli.run("bench", "--engine", "array", "--seconds", "0.05", "--threads",
                Integer.toString(processors + 1));

        assertEquals(0, result.exitCode(), result.toString());
        String peak = result.stdoutLines().stream().filter(line -> line.startsWith("peak of")).findFirst().orElseThrow();
        assertTrue(peak.matches("peak of f64 on " + processors + " threads?, measured: [0-9]+\\.[0-9] GFLOP/s "
                + "\\(--threads " + (processors + 1) + ", but the JVM sees " + processors + " processors\\)"), peak);
    }

    @Test
    void measuresSinglePrecisionUnderItsOwnNameAgainstTheSinglePrecisionPeak() {
        Cli.Result result = Cli.run("bench", "--json", "--seconds", "0.05", "--precision", "f32");

        assertEquals(0, result.exitCode(), result.toString());
        JsonArray engines = JsonParser.parseString(result.stdoutLines().get(0)).getAsJsonObject()
                .getAsJsonArray("engines");
        assertEquals(List.of("array-f32"), names(engines), "the value engine has no f32");
        assertEngineFigures(engines);
        assertEquals("f32", engines.get(0).getAsJsonObject().get("precision").getAsString());
        assertMemory(JsonParser.parseString(result.stdoutLines().get(0)).getAsJsonObject(), List.of(1));

        Cli.Result table = Cli.run("bench", "--seconds", "0.05", "--precision", "f32", "--threads", "2");
        assertEquals(0, table.exitCode(), table.toString());
        assertTrue(table.stdoutLines().stream().anyMatch(line -> line.matches(
                "peak of f32 on [12] threads?, measured: [0-9]+\\.[0-9] GFLOP/s")), table.stdout());
    }

    @Test
    void rejectsSecondsThatAreNotANumber() {
        Cli.Result result = Cli.run("bench", "--seconds", "soon");

        Cli.assertOneLineError(result, 2, "soon", "microgpt bench", "bench", "--seconds", "soon");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "--n-embd 0|--n-embd must be at least 1, got 0",
        "--n-layer -2|--n-layer must be at least 1, got -2",
        "--n-head 0|--n-head must be at least 1, got 0",
        "--block-size 0|--block-size must be at least 1, got 0",
        "--n-embd 30 --n-head 4|--n-embd (30) must be divisible by --n-head (4) so that every head gets the same "
                + "number of dimensions; try",
        "--n-embd 30|--n-embd (30) must be divisible by the number of heads, 4 by default, so that every head gets the "
                + "same number of dimensions; give --n-head with a divisor of 30 (1, 2, 3, 5, 6, 10, 15 or 30); try",
        "--n-embd 90|--n-embd (90) must be divisible by the number of heads, 4 by default, so that every head "
                + "gets the same number of dimensions; give --n-head with a divisor of 90 (1, 2, 3, 5, 6, 9, 10, 15,"
                + " ... or 90); try",
        "--n-embd 7|give --n-head with a divisor of 7 (1 or 7); try",
        "--n-head 3|the embedding width, 16 by default, must be divisible by --n-head (3) so that every head gets the "
                + "same number of dimensions; give --n-embd with a multiple of 3 (such as 18), or --n-head with a "
                + "divisor of 16 (1, 2, 4, 8 or 16); try",
        "--n-embd 100000|the model would have 120007000000 parameters; bench measures at most 100000000",
        "--engine torch|--engine: unknown engine \"torch\"; the engines are value and array",
        "--engine array,array|--engine: array is named twice",
        "--precision f16|--precision: unknown precision \"f16\"; the precisions are f64 and f32",
        "--precision f32 --engine value|--engine value: the value engine computes in f64 only, not f32",
        "--engine value --n-embd 256 --n-layer 4 --n-head 8 --block-size 64|--engine value: one training step at "
                + "this size is",
    })
    void rejectsOptionsOutOfRange(String arguments, String cause) {
        List<String> args = new ArrayList<>(List.of("bench"));
        args.addAll(List.of(arguments.split(" ")));
        Cli.Result result = Cli.run(args.toArray(String[]::new));

        Cli.assertOneLineError(result, 2, cause, "microgpt bench", args.toArray(String[]::new));
    }

    @Test
    void measuresAListOfThreadCountsInOneRunWithTheSpeedUpOfEachOverTheFirst() {
        Cli.Result result = Cli.run("bench", "--json", "--engine", "array", "--n-embd", "24", "--n-layer", "2",
                "--n-head", "3", "--block-size", "8", "--seconds", "0.05", "--threads", "1,2,3");

        assertEquals(0, result.exitCode(), result.toString());
        assertEquals("", result.stderr(), "the models on 1, 2 and 3 threads ended in the same state");
        JsonObject root = JsonParser.parseString(result.stdoutLines().get(0)).getAsJsonObject();
        assertEquals(List.of("engines", "speedUps", "memory", "kernels", "configuration", "compute"), List.copyOf(root.keySet()));
        JsonArray engines = root.getAsJsonArray("engines");
        assertEquals(List.of("array", "array", "array"), names(engines), "the entries keep the engine's name");
        assertEngineFigures(engines);
        for (int i = 0; i < 3; i++) {
            assertEquals(i + 1, engines.get(i).getAsJsonObject().get("threads").getAsInt(), engines.toString());
            // Each child says where its steps run the update: f64 rows of 24 are staged, after the pass.
            assertFalse(engines.get(i).getAsJsonObject().get("updateInsideBackwardPass").getAsBoolean(),
                    engines.toString());
        }
        JsonArray speedUps = root.getAsJsonArray("speedUps");
        assertEquals(2, speedUps.size(), speedUps.toString());
        for (int i = 0; i < 2; i++) {
            JsonObject speedUp = speedUps.get(i).getAsJsonObject();
            assertEquals(List.of("engine", "precision", "threads", "overThreads", "median", "min", "max", "rounds",
                    "ratios", "stepsPerSlice", "warmUpSeconds", "warmUpSettled", "roundsSetAside", "medianOfEveryRound",
                    "sameResults", "roundsSetAsideForHost", "hostProbeThreads", "hostProbeLeast", "hostProbes",
                    "roundsHostSlow", "fullCoreRounds", "medianOfFullCoreRounds", "measuredTheHost", "roundsSeconds",
                    "roundsLimitSeconds"),
                    List.copyOf(speedUp.keySet()));
            assertTrue(speedUp.get("stepsPerSlice").getAsLong() >= 1, speedUp.toString());
            assertTrue(speedUp.get("roundsSetAside").getAsInt() >= 0, speedUp.toString());
            assertTrue(speedUp.get("medianOfEveryRound").getAsDouble() > 0, speedUp.toString());
            assertTrue(speedUp.get("rounds").getAsInt() >= BenchCommand.SLICES, speedUp.toString());
            // The warm-up lasts at least --seconds, however fast the machine.
            assertTrue(speedUp.get("warmUpSeconds").getAsDouble() >= 0.05, speedUp.toString());
            assertEquals("array", speedUp.get("engine").getAsString());
            assertEquals("f64", speedUp.get("precision").getAsString());
            assertEquals(i + 2, speedUp.get("threads").getAsInt());
            assertEquals(1, speedUp.get("overThreads").getAsInt());
            assertTrue(speedUp.get("sameResults").getAsBoolean(), speedUp.toString());
            assertSpread(speedUp);
            // The host's check around every round, on the most threads the machine has for the list.
            int probeThreads = Math.min(3, Runtime.getRuntime().availableProcessors());
            JsonArray probes = speedUp.getAsJsonArray("hostProbes");
            assertEquals(speedUp.get("rounds").getAsInt() + speedUp.get("roundsSetAside").getAsInt(), probes.size(),
                    speedUp.toString());
            assertTrue(speedUp.get("roundsSetAsideForHost").getAsInt() <= speedUp.get("roundsSetAside").getAsInt(),
                    speedUp.toString());
            if (probeThreads < 2) {
                assertEquals(0, speedUp.get("hostProbeThreads").getAsInt(), speedUp.toString());
                assertTrue(speedUp.get("hostProbeLeast").isJsonNull(), speedUp.toString());
            } else {
                assertEquals(probeThreads, speedUp.get("hostProbeThreads").getAsInt(), speedUp.toString());
                assertEquals(BenchCommand.Rounds.FULL_CORES * probeThreads,
                        speedUp.get("hostProbeLeast").getAsDouble(), 1e-3, speedUp.toString());
                for (JsonElement probe : probes) {
                    assertTrue(probe.getAsDouble() > 0 && Double.isFinite(probe.getAsDouble()), speedUp.toString());
                }
            }
        }
        assertMemory(root, List.of(1, 2, 3));
    }

    @Test
    void theSpeedUpOfTheTableIsThatOfTheJson() {
        Cli.Result result = Cli.run("bench", "--engine", "array", "--n-embd", "24", "--n-layer", "2",
                "--n-head", "3", "--block-size", "8", "--seconds", "0.05", "--threads", "2,1", "--precision", "f32");

        assertEquals(0, result.exitCode(), result.toString());
        List<String> lines = result.stdoutLines();
        assertTrue(lines.get(1).matches("engine +threads +steps/s +tokens/s +GFLOP/s +of peak"), lines.get(1));
        Pattern row = Pattern.compile("array-f32 +([12]) +[0-9,]+(\\.[0-9])? +[0-9,]+ +[0-9]+\\.[0-9]{3} +[0-9]+\\.[0-9]%");
        java.util.regex.Matcher first = row.matcher(lines.get(2));
        java.util.regex.Matcher second = row.matcher(lines.get(3));
        assertTrue(first.matches(), lines.get(2));
        assertTrue(second.matches(), lines.get(3));
        assertEquals(List.of("2", "1"), List.of(first.group(1), second.group(1)), "in the order given");
        // Each child says where its steps run the update: in f32, inside the pass.
        assertTrue(lines.stream().anyMatch(line -> line.startsWith("Adam's update inside the backward pass reads")),
                String.join("\n", lines));
        assertTrue(lines.get(4).matches("array-f32 on 1 / 2 threads: [0-9]+\\.[0-9]{2}x the steps \\(median of "
                + "[0-9]+ alternated rounds of [0-9]+ steps?; lowest [0-9]+\\.[0-9]{2}x, highest [0-9]+\\.[0-9]{2}x"
                // The notes on rounds set aside, or slowed by a busy host and counted, which a shared
                // machine (or the other tests running beside this one) can cause.
                + "(; [0-9]+ more rounds? set aside: .*|; the machine gave less than .*)?\\), the same results"),
                lines.get(4));
    }

    @Test
    void theValueEngineIsMeasuredOnceInAListOfThreadCounts() {
        Cli.Result result = Cli.run("bench", "--json", "--seconds", "0.05", "--threads", "1,2");

        assertEquals(0, result.exitCode(), result.toString());
        JsonObject root = JsonParser.parseString(result.stdoutLines().get(0)).getAsJsonObject();
        JsonArray engines = root.getAsJsonArray("engines");
        assertEquals(List.of("value", "array", "array"), names(engines), "the value engine has one thread");
        assertEngineFigures(engines);
        List<Integer> threads = new ArrayList<>();
        for (JsonElement engine : engines) {
            threads.add(engine.getAsJsonObject().get("threads").getAsInt());
        }
        assertEquals(List.of(1, 1, 2), threads);
        JsonArray speedUps = root.getAsJsonArray("speedUps");
        assertEquals(1, speedUps.size(), speedUps.toString());
        assertEquals("array", speedUps.get(0).getAsJsonObject().get("engine").getAsString());
        assertMemory(root, List.of(1, 2));
        assertSpread(speedUps.get(0).getAsJsonObject());

        Cli.Result table = Cli.run("bench", "--seconds", "0.05", "--threads", "1,2");
        assertEquals(0, table.exitCode(), table.toString());
        assertTrue(table.stdoutLines().stream().noneMatch(line -> line.contains(" / value")),
                "no engine ratio among three entries: " + table.stdout());
    }

    @Test
    void oneThreadCountIsNoList() {
        Cli.Result result = Cli.run("bench", "--json", "--engine", "array", "--seconds", "0.05", "--threads", "2");

        assertEquals(0, result.exitCode(), result.toString());
        JsonObject root = JsonParser.parseString(result.stdoutLines().get(0)).getAsJsonObject();
        assertEquals(List.of("engines", "memory", "kernels", "configuration", "compute"), List.copyOf(root.keySet()), "no speedUps");
        assertMemory(root, List.of(1, 2));
    }

    /**
     * The memory's bandwidths: one thread and each of the run's {@code threads} as the processors
     * allow, each the median of its rounds, its ratio over one thread's, and each engine's
     * figures those of the bandwidth on its peak's threads, with the update's bytes counted from
     * the parameters and the precision. The JSON rounds, so the checks allow for its rounding.
     */
    private static void assertMemory(JsonObject root, List<Integer> threads) {
        JsonObject memory = root.getAsJsonObject("memory");
        assertEquals(List.of("bandwidths", "bufferBytes", "seconds", "roundsSetAside"), List.copyOf(memory.keySet()));
        // Rounds during which this JVM's JIT compiler worked are set aside (ControlRounds): ROUNDS
        // counted then, or more when too many were disturbed to set aside and every round counted.
        int memorySetAside = memory.get("roundsSetAside").getAsInt();
        assertTrue(memorySetAside >= 0, memory.toString());
        int processors = Runtime.getRuntime().availableProcessors();
        List<Integer> expected = threads.stream().map(t -> Math.min(t, processors)).distinct().toList();
        JsonArray bandwidths = memory.getAsJsonArray("bandwidths");
        List<Integer> measured = new ArrayList<>();
        double one = bandwidths.get(0).getAsJsonObject().get("gbPerSecond").getAsDouble();
        for (JsonElement element : bandwidths) {
            JsonObject bandwidth = element.getAsJsonObject();
            assertEquals(List.of("threads", "gbPerSecond", "overOneThread", "rounds"), List.copyOf(bandwidth.keySet()));
            measured.add(bandwidth.get("threads").getAsInt());
            assertPositiveAndFinite(bandwidth, "gbPerSecond");
            JsonArray rounds = bandwidth.getAsJsonArray("rounds");
            if (memorySetAside > 0) {
                assertEquals(MemoryBandwidth.ROUNDS, rounds.size(), bandwidth.toString());
            } else {
                assertTrue(rounds.size() >= MemoryBandwidth.ROUNDS, bandwidth.toString());
            }
            double[] values = new double[rounds.size()];
            for (int r = 0; r < values.length; r++) {
                values[r] = rounds.get(r).getAsDouble();
                assertTrue(values[r] > 0 && Double.isFinite(values[r]), bandwidth.toString());
            }
            double gb = bandwidth.get("gbPerSecond").getAsDouble();
            assertEquals(BenchCommand.median(values), gb, 0.0051, bandwidth.toString());
            // overOneThread = this count's median over one thread's, computed before rounding to 2 places.
            double ratio = bandwidth.get("overOneThread").getAsDouble();
            double lowest = (gb - 0.005) / (one + 0.005) - 5e-4;
            double highest = (gb + 0.005) / (one - 0.005) + 5e-4;
            assertTrue(ratio >= lowest && ratio <= highest,
                    "overOneThread " + ratio + " outside [" + lowest + ", " + highest + "]: " + memory);
        }
        assertEquals(expected, measured, memory.toString());
        assertEquals(1.0, bandwidths.get(0).getAsJsonObject().get("overOneThread").getAsDouble(), 0.0);
        assertCompute(root, expected);
        long parameters = root.getAsJsonObject("configuration").get("parameters").getAsLong();
        assertEquals(MemoryBandwidth.BUFFER_BYTES, memory.get("bufferBytes").getAsLong(), memory.toString());
        assertPositiveAndFinite(memory, "seconds");
        for (JsonElement element : root.getAsJsonArray("engines")) {
            JsonObject engine = element.getAsJsonObject();
            int peakThreads = engine.get("peakThreads").getAsInt();
            JsonObject bandwidth = bandwidths.get(expected.indexOf(peakThreads)).getAsJsonObject();
            assertEquals(bandwidth.get("gbPerSecond"), engine.get("memoryGbPerSecond"), engine.toString());
            // w, m and v read and written once inside the backward pass (6 numbers a parameter), and
            // g too after it (8); of 8 bytes in f64, of 4 in f32.
            boolean f32 = engine.get("precision").getAsString().equals("f32");
            long bytesPerNumber = f32 ? 4 : 8;
            boolean inside = engine.get("updateInsideBackwardPass").getAsBoolean();
            long bytes = engine.get("updateBytesPerStep").getAsLong();
            assertEquals((inside ? 6 : 8) * bytesPerNumber * parameters, bytes, engine.toString());
            // The array engine's f32 step always fuses; the Value engine's never does (the array
            // engine's f64 step: BenchUpdatePlaceTest).
            if (f32 || engine.get("engine").getAsString().equals("value")) {
                assertEquals(f32, inside, engine.toString());
            }
            double gb = engine.get("memoryGbPerSecond").getAsDouble();
            double millis = engine.get("updateMemoryMillis").getAsDouble();
            double lowest = bytes / (gb + 0.005) / 1e6 - 5e-5;
            double highest = bytes / (gb - 0.005) / 1e6 + 5e-5;
            assertTrue(millis >= lowest && millis <= highest,
                    "updateMemoryMillis " + millis + " outside [" + lowest + ", " + highest + "]: " + engine);
        }
    }

    /**
     * The cores' own scaling ({@link CoreScaling}), beside the memory's: in the engines' precision,
     * on the same thread counts, each the median of its rounds and its ratio over one thread's.
     */
    private static void assertCompute(JsonObject root, List<Integer> expected) {
        JsonObject compute = root.getAsJsonObject("compute");
        assertEquals(List.of("precision", "rates", "seconds", "onProcessor", "roundsSetAside", "compilerRounds"),
                List.copyOf(compute.keySet()));
        // The rounds set aside for this JVM's JIT compiler: all it worked during, or none when too many to set aside.
        int setAside = compute.get("roundsSetAside").getAsInt();
        int compilerRounds = compute.get("compilerRounds").getAsInt();
        assertTrue(setAside == compilerRounds || setAside == 0, compute.toString());
        // The share of their time the most threads were on a processor: none with one thread alone.
        if (expected.size() < 2) {
            assertTrue(compute.get("onProcessor").isJsonNull(), compute.toString());
        } else if (!compute.get("onProcessor").isJsonNull()) {
            double share = compute.get("onProcessor").getAsDouble();
            assertTrue(share > 0 && share <= 1, compute.toString());
        }
        String precision = root.getAsJsonArray("engines").get(0).getAsJsonObject().get("precision").getAsString();
        assertEquals(precision, compute.get("precision").getAsString());
        assertPositiveAndFinite(compute, "seconds");
        JsonArray rates = compute.getAsJsonArray("rates");
        List<Integer> measured = new ArrayList<>();
        double one = rates.get(0).getAsJsonObject().get("gflopsPerSecond").getAsDouble();
        for (JsonElement element : rates) {
            JsonObject rate = element.getAsJsonObject();
            assertEquals(List.of("threads", "gflopsPerSecond", "overOneThread", "rounds"), List.copyOf(rate.keySet()));
            measured.add(rate.get("threads").getAsInt());
            JsonArray rounds = rate.getAsJsonArray("rounds");
            // ROUNDS quiet ones, or every round (fewer than ROUNDS quiet) when too many were disturbed to set aside.
            if (setAside == compilerRounds) {
                assertEquals(CoreScaling.ROUNDS, rounds.size(), rate.toString());
            } else {
                assertTrue(rounds.size() >= compilerRounds && rounds.size() - compilerRounds < CoreScaling.ROUNDS,
                        rate.toString());
            }
            double[] values = new double[rounds.size()];
            for (int r = 0; r < values.length; r++) {
                values[r] = rounds.get(r).getAsDouble();
                assertTrue(values[r] > 0 && Double.isFinite(values[r]), rate.toString());
            }
            double gflops = rate.get("gflopsPerSecond").getAsDouble();
            assertEquals(BenchCommand.median(values), gflops, 0.0051, rate.toString());
            assertEquals(gflops / one, rate.get("overOneThread").getAsDouble(), 0.01, rate.toString());
        }
        assertEquals(expected, measured, compute.toString());
    }

    /** The ratios are positive and finite, as many as the rounds (at least five), with the median between the extremes. */
    private static void assertSpread(JsonObject speedUp) {
        JsonArray ratios = speedUp.getAsJsonArray("ratios");
        assertEquals(speedUp.get("rounds").getAsInt(), ratios.size(), speedUp.toString());
        assertTrue(ratios.size() >= BenchCommand.SLICES, speedUp.toString());
        double[] values = new double[ratios.size()];
        for (int r = 0; r < values.length; r++) {
            values[r] = ratios.get(r).getAsDouble();
            assertTrue(values[r] > 0 && Double.isFinite(values[r]), speedUp.toString());
        }
        for (String figure : List.of("median", "min", "max")) {
            assertPositiveAndFinite(speedUp, figure);
        }
        double min = speedUp.get("min").getAsDouble();
        double max = speedUp.get("max").getAsDouble();
        double median = speedUp.get("median").getAsDouble();
        assertEquals(java.util.Arrays.stream(values).min().orElseThrow(), min, 0.0011, speedUp.toString());
        assertEquals(java.util.Arrays.stream(values).max().orElseThrow(), max, 0.0011, speedUp.toString());
        assertEquals(BenchCommand.median(values), median, 0.0011, speedUp.toString());
        assertTrue(min <= median && median <= max, speedUp.toString());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "1,,2|--threads: \"1,,2\" has an empty thread count",
        "1,|--threads: \"1,\" has an empty thread count",
        ",2|--threads: \",2\" has an empty thread count",
        "''|--threads: \"\" has an empty thread count",
        "abc|--threads: \"abc\" is not a whole number",
        "1,two|--threads: \"two\" is not a whole number",
        "1;2|--threads: \"1;2\" is not a whole number",
        "1.5|--threads: \"1.5\" is not a whole number",
        "+2|--threads: \"+2\" is not a whole number",
        "1,02|--threads: \"02\" is not a whole number",
        "\uff12|--threads: \"\uff12\" is not a whole number",
        "1,2\u200b|--threads: \"2\\u200B\" is not a whole number",
        "1,0|--threads must be between 1 and 256, got 0",
        "2,257|--threads must be between 1 and 256, got 257",
        "1,99999999999999999999|--threads must be between 1 and 256, got 99999999999999999999",
        "2,1,2|--threads: 2 is given twice in 2,1,2; each thread count is measured once",
        "1,2,3,4,5,6,7,8,9|--threads: 9 thread counts; at most 8 are measured at once",
    })
    void rejectsABadListOfThreadCounts(String threads, String cause) {
        Cli.Result result = Cli.run("bench", "--threads", threads);

        Cli.assertOneLineError(result, 2, cause, "microgpt bench", "bench", "--threads", threads);
    }

    @Test
    void rejectsThreadsThatAreNotANumber() {
        Cli.Result result = Cli.run("bench", "--threads", "all");

        Cli.assertOneLineError(result, 2, "all", "microgpt bench", "bench", "--threads", "all");
    }

    @Test
    void rejectsAModelSizeThatIsNotANumber() {
        Cli.Result result = Cli.run("bench", "--n-embd", "wide");

        Cli.assertOneLineError(result, 2, "wide", "microgpt bench", "bench", "--n-embd", "wide");
    }
}
