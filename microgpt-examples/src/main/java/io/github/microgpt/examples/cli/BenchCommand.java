package io.github.microgpt.examples.cli;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import io.github.microgpt.model.ArrayGptModel;
import io.github.microgpt.model.Engine;
import io.github.microgpt.model.FlopCount;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.LanguageModel;
import io.github.microgpt.optim.AdamOptimizer;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.sample.Sampler;
import io.github.microgpt.text.Documents;
import io.github.microgpt.text.Tokenizer;
import io.github.microgpt.train.StepMode;
import io.github.microgpt.train.Trainer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.LongSupplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code microgpt bench}: a quick comparison of the two engines at the reference configuration of
 * {@code microgpt.py}, measured in this JVM after a warm-up, in well under a minute.
 *
 * <p>For each engine it builds the reference run (the embedded names shuffled with seed 42, one
 * layer, {@code nEmbd = 16}, 4 heads, block size 16), trains for a while to let the JIT compile
 * the hot code, then counts training steps (one document each, with Adam) for {@code --seconds}
 * seconds, and likewise generated tokens (temperature 0.5, through the {@link Sampler}). Each
 * measurement is cut into five slices and the median slice is reported, so that a burst of other
 * work on the machine does not decide the result. GFLOP/s is the analytic operation count of the
 * steps done ({@link FlopCount}) divided by their time.
 *
 * <p>For example, on a 2-core AMD EPYC (Zen 3) virtual machine with JDK 17:
 *
 * <pre>
 * engine        steps/s     tokens/s   GFLOP/s
 * value             689       14,652     0.151
 * array          25,201      393,053     5.503
 * array / value: 36.6x the steps, 26.8x the tokens
 * </pre>
 *
 * <p>{@code --json} prints one object instead:
 * {@code {"engines": [{"engine": "value", "stepsPerSecond": ..., "tokensPerSecond": ...,
 * "gflopsPerSecond": ...}, {"engine": "array", ...}]}}. The figures depend on the machine and on
 * what else it is doing; they are for comparing, not for asserting.
 */
@Command(name = "bench",
        mixinStandardHelpOptions = true,
        versionProvider = MicrogptCommand.Version.class,
        sortOptions = false,
        description = {
            "Measure the training steps/s, generated tokens/s and GFLOP/s of each engine (value and array) "
                    + "at the reference configuration of microgpt.py, after a warm-up, and their ratio."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:Success.",
            "1:The measurement failed (out of memory, or an internal error).",
            "2:Invalid usage: an unknown option or a value out of range."},
        footer = {
            "%nThe whole run takes about 7 x --seconds (21 s by default).",
            "Close other programs first: the figures are only as steady as the machine."})
public final class BenchCommand implements Callable<Integer> {

    /** The number of slices a measurement is cut into; the median slice is reported. */
    static final int SLICES = 5;

    /** The most seconds a single measurement may take, so that a typo cannot hang a terminal for hours. */
    static final double MAX_SECONDS = 600;

    @ParentCommand
    private MicrogptCommand parent;

    @Option(names = "--json", description = "Print one JSON object instead of a table.")
    private boolean json;

    @Option(names = "--seconds", paramLabel = "S", defaultValue = "3",
            description = "Seconds of each measurement (training and generation, per engine); warm-ups take "
                    + "as long again. Positive, at most 600. Default: ${DEFAULT-VALUE}.")
    private double seconds;

    /** The most threads {@code --threads} accepts. */
    static final int MAX_THREADS = 256;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "1",
            description = "Threads of one training step of the array engine (ArrayGptModel.setThreads); the "
                    + "results do not depend on it, only the time. 1 to 256. Default: ${DEFAULT-VALUE}.")
    private int threads;

    private final LongSupplier clock;

    /** Creates the command; picocli calls this and then sets the options. */
    public BenchCommand() {
        this(System::nanoTime);
    }

    BenchCommand(LongSupplier clock) {
        this.clock = clock;
    }

    /** What was measured for one engine. */
    record Result(String engine, double stepsPerSecond, double tokensPerSecond, double gflopsPerSecond) {
    }

    /**
     * Measures both engines and prints the table or the JSON object.
     *
     * @return the exit code, 0
     * @throws UsageException if {@code --seconds} is out of range
     * @throws CommandFailedException if memory runs out or stdout cannot be written
     */
    @Override
    public Integer call() {
        if (!(seconds > 0) || seconds > MAX_SECONDS) {
            throw new UsageException("--seconds must be positive and at most " + (int) MAX_SECONDS + ", got " + seconds);
        }
        if (threads < 1 || threads > MAX_THREADS) {
            throw new UsageException("--threads must be between 1 and " + MAX_THREADS + ", got " + threads);
        }
        CliContext context = parent.context();
        List<Result> results = new ArrayList<>();
        try {
            for (Engine engine : Engine.values()) {
                results.add(measure(engine));
            }
        } catch (OutOfMemoryError e) {
            throw new CommandFailedException("out of memory while measuring (give the JVM more, for example "
                    + "JAVA_OPTS=-Xmx1g)", CommandFailedException.FAILED, e);
        }
        LineOutput out = new LineOutput(context.out());
        if (json) {
            out.line(toJson(results));
        } else {
            printTable(out, results);
        }
        out.flush();
        return 0;
    }

    private Result measure(Engine engine) {
        PythonRandom random = new PythonRandom(42);
        List<String> docs = new ArrayList<>(Documents.embeddedNames());
        random.shuffle(docs);
        Tokenizer tokenizer = Tokenizer.fromDocuments(docs);
        GptConfig config = GptConfig.defaults();
        LanguageModel model = engine.create(config, tokenizer.vocabSize(), random);
        if (model instanceof ArrayGptModel array) {
            array.setThreads(threads);
        }
        // A run that never ends, so the learning rate stays at its initial value throughout.
        Trainer trainer = new Trainer(model, tokenizer, docs, new AdamOptimizer(model.numParameters()),
                Integer.MAX_VALUE);
        long[] flopsPerDocument = new long[docs.size()];
        for (int i = 0; i < flopsPerDocument.length; i++) {
            int positions = Math.min(config.blockSize(), tokenizer.encodeDocument(docs.get(i)).length - 1);
            flopsPerDocument[i] = FlopCount.trainingStep(config, tokenizer.vocabSize(), positions);
        }

        long warmUntil = clock.getAsLong() + nanos(seconds);
        while (clock.getAsLong() < warmUntil) {
            trainer.step(StepMode.DOCUMENT);
        }
        // The measurement is cut into slices and the median slice is reported: a burst of other
        // work on a shared machine spoils a slice or two, not the result.
        double[] stepRates = new double[SLICES];
        double[] gflopRates = new double[SLICES];
        long sliceNanos = Math.max(1, nanos(seconds) / SLICES);
        for (int slice = 0; slice < SLICES; slice++) {
            long steps = 0;
            long flops = 0;
            long start = clock.getAsLong();
            long end = start + sliceNanos;
            long now = start;
            while (now < end || steps == 0) {
                flops += flopsPerDocument[trainer.stepsDone() % docs.size()];
                trainer.step(StepMode.DOCUMENT);
                steps++;
                now = clock.getAsLong();
            }
            double elapsed = Math.max(now - start, 1) / 1e9;
            stepRates[slice] = steps / elapsed;
            gflopRates[slice] = flops / elapsed / 1e9;
        }

        Sampler sampler = new Sampler(model, tokenizer, new PythonRandom(7));
        generate(sampler, clock.getAsLong() + nanos(seconds / 2));
        double[] tokenRates = new double[SLICES];
        for (int slice = 0; slice < SLICES; slice++) {
            long start = clock.getAsLong();
            long tokens = generate(sampler, start + sliceNanos);
            tokenRates[slice] = tokens / (Math.max(clock.getAsLong() - start, 1) / 1e9);
        }
        int median = medianIndex(stepRates);
        return new Result(engine.id(), stepRates[median], tokenRates[medianIndex(tokenRates)], gflopRates[median]);
    }

    /** The index of the median of an odd number of values. */
    static int medianIndex(double[] values) {
        Integer[] order = new Integer[values.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (a, b) -> Double.compare(values[a], values[b]));
        return order[order.length / 2];
    }

    /** Generates names until the deadline (at least one token); returns the number of tokens. */
    private long generate(Sampler sampler, long deadline) {
        long tokens = 0;
        Sampler.Generation generation = null;
        do {
            if (generation == null || generation.isDone()) {
                generation = sampler.start(0.5);
            }
            generation.step();
            tokens++;
        } while (clock.getAsLong() < deadline);
        return tokens;
    }

    private static long nanos(double seconds) {
        return (long) (seconds * 1e9);
    }

    static String toJson(List<Result> results) {
        List<Map<String, Object>> engines = new ArrayList<>();
        for (Result r : results) {
            Map<String, Object> engine = new LinkedHashMap<>();
            engine.put("engine", r.engine());
            engine.put("stepsPerSecond", round(r.stepsPerSecond(), 1));
            engine.put("tokensPerSecond", round(r.tokensPerSecond(), 1));
            engine.put("gflopsPerSecond", round(r.gflopsPerSecond(), 4));
            engines.add(engine);
        }
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("engines", engines);
        Gson gson = new GsonBuilder().disableHtmlEscaping().create();
        return gson.toJson(root);
    }

    private static double round(double value, int decimals) {
        double scale = Math.pow(10, decimals);
        return Math.round(value * scale) / scale;
    }

    private static void printTable(LineOutput out, List<Result> results) {
        int vocabSize = Tokenizer.fromDocuments(Documents.embeddedNames()).vocabSize();
        out.line("microgpt bench: reference configuration (1 layer, nEmbd 16, 4 heads, block size 16, "
                + vocabSize + " tokens, " + FlopCount.parameters(GptConfig.defaults(), vocabSize)
                + " parameters), embedded names, seed 42");
        out.line(String.format(Locale.ROOT, "%-8s %12s %12s %9s", "engine", "steps/s", "tokens/s", "GFLOP/s"));
        for (Result r : results) {
            out.line(String.format(Locale.ROOT, "%-8s %,12.0f %,12.0f %9.3f", r.engine(), r.stepsPerSecond(),
                    r.tokensPerSecond(), r.gflopsPerSecond()));
        }
        Result value = results.get(0);
        Result array = results.get(results.size() - 1);
        out.line(String.format(Locale.ROOT, "%s / %s: %.1fx the steps, %.1fx the tokens", array.engine(),
                value.engine(), array.stepsPerSecond() / value.stepsPerSecond(),
                array.tokensPerSecond() / value.tokensPerSecond()));
        out.line(String.format(Locale.ROOT, "Java %s (%s), %d processors", System.getProperty("java.version"),
                System.getProperty("java.vm.name"), Runtime.getRuntime().availableProcessors()));
    }
}
