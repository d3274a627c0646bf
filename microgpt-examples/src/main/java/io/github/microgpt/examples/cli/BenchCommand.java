package io.github.microgpt.examples.cli;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import io.github.microgpt.model.Architecture;
import io.github.microgpt.model.ArrayGptModel;
import io.github.microgpt.model.ArrayKernels;
import io.github.microgpt.model.Engine;
import io.github.microgpt.model.Precision;
import io.github.microgpt.model.FlopCount;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.LanguageModel;
import io.github.microgpt.optim.AdamOptimizer;
import io.github.microgpt.optim.AdamSettings;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.sample.Sampler;
import io.github.microgpt.text.Documents;
import io.github.microgpt.text.Tokenizer;
import io.github.microgpt.train.GradientEvent;
import io.github.microgpt.train.GradientListener;
import io.github.microgpt.train.StepEvent;
import io.github.microgpt.train.StepMode;
import io.github.microgpt.train.Trainer;
import io.github.microgpt.train.TrainingDivergedException;
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
 * {@code microgpt bench}: training steps/s, generated tokens/s and GFLOP/s of the engines at one
 * model size, measured in this JVM after a warm-up, in well under a minute.
 *
 * <p>Without model options it measures the reference configuration of {@code microgpt.py} (one
 * layer, {@code nEmbd = 16}, 4 heads, block size 16) on the embedded names shuffled with seed 42,
 * both engines. With {@code --n-embd}, {@code --n-layer}, {@code --n-head} or
 * {@code --block-size} it measures that size alone, on documents of {@code blockSize} random
 * letters, so that every step trains {@code blockSize} positions (a name is too short to fill a
 * longer context). There is nothing to learn in random letters, and a large model diverges on
 * them at the reference learning rate, so such runs train at 1e-4; the speed of a step does not
 * depend on it. {@code --engine array} picks one engine; the Value engine is refused at sizes
 * where one step would build a graph of millions of nodes. {@code --precision f32} measures the
 * array engine in single precision ({@link Precision#F32}), reported as {@code array-f32}, and
 * {@code --threads} splits each of its training steps over that many threads.
 *
 * <p>For each engine it trains for {@code --seconds} to let the JIT compile the hot code, then
 * counts training steps (one document each, with Adam) for {@code --seconds}, and likewise
 * generated tokens (temperature 0.5, through the {@link Sampler}). Each measurement is cut into
 * five slices and the median slice is reported, so that a burst of other work on the machine
 * does not decide the result. GFLOP/s is the analytic operation count of the steps done
 * ({@link FlopCount}) divided by their time, and it is also given as a share of the peak that
 * applies to it, measured by {@link PeakFlops} before the engines run: in the engine's precision
 * (single precision has twice the vector lanes, so about twice the peak) and on as many threads as
 * its step uses (the Value engine always one; never more than the processors the JVM sees).
 *
 * <p>For example, on a 2-core AMD EPYC virtual machine with JDK 17 that other jobs were keeping
 * very busy (load average 24: on a quiet machine the rates are several times higher; the peak is
 * not, being timed in processor time):
 *
 * <pre>
 * $ microgpt bench --engine array --n-embd 256 --n-layer 4 --n-head 8 --block-size 64 --seconds 2 \
 *       --precision f32 --threads 2
 * microgpt bench: 4 layers, nEmbd 256, 8 heads, block size 64, 27 tokens, 3175936 parameters, documents of 64 random letters, Adam at 1e-4
 * engine         steps/s     tokens/s   GFLOP/s of peak
 * array-f32          2.0          122     2.619    0.9%
 * peak of f32 on 2 threads, measured: 287.0 GFLOP/s
 * </pre>
 *
 * <p>{@code --json} prints one object instead:
 * {@code {"engines": [{"engine": "value", "precision": "f64", "threads": 1, "stepsPerSecond": ...,
 * "gradientMillis": ..., "optimizerMillis": ..., "tokensPerSecond": ..., "gflopsPerSecond": ...,
 * "peakGflopsPerSecond": ..., "peakThreads": 1, "shareOfPeak": ...}, {"engine": "array", ...}],
 * "configuration": {...}}}. An engine's name says its precision where it has a choice
 * ({@code array-f32}); {@code gradientMillis} and {@code optimizerMillis} split the median
 * slice's mean step into the model's forward and backward passes and Adam's update (which also
 * resets the gradients), so that one sees which part a change, or a second thread, sped up;
 * {@code shareOfPeak} is
 * {@code gflopsPerSecond / peakGflopsPerSecond}, the peak of that entry's precision measured on
 * {@code peakThreads} threads; {@code "kernels": "plain"} (or {@code "vector"}) says which code
 * computed the array engine's matrix products ({@link ArrayKernels#implementation()}). The figures
 * depend on the machine and on what else it is doing; they are for comparing, not for asserting.
 */
@Command(name = "bench",
        mixinStandardHelpOptions = true,
        versionProvider = MicrogptCommand.Version.class,
        sortOptions = false,
        description = {
            "Measure the training steps/s, generated tokens/s and GFLOP/s of each engine (value and array) "
                    + "after a warm-up, at microgpt.py's reference configuration or at the size given, "
                    + "and GFLOP/s as a share of the measured peak of the engine's precision and threads."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:Success.",
            "1:The measurement failed (out of memory, or an internal error).",
            "2:Invalid usage: an unknown option or a value out of range."},
        footer = {
            "%nThe whole run takes about 4 x --seconds per engine (about 25 s by default).",
            "Close other programs first: the figures are only as steady as the machine."})
public final class BenchCommand implements Callable<Integer> {

    /** The number of slices a measurement is cut into; the median slice is reported. */
    static final int SLICES = 5;

    /** The most seconds a single measurement may take, so that a typo cannot hang a terminal for hours. */
    static final double MAX_SECONDS = 600;

    /**
     * The largest training step, in floating-point operations, the Value engine is asked to
     * measure: about 20 times the reference step. It builds one object per operation, so one step
     * beyond this is a graph of millions of nodes, seconds of work and hundreds of megabytes.
     */
    static final long MAX_VALUE_ENGINE_STEP_FLOPS = 5_000_000;

    /** The largest model measured, in parameters (with Adam's moments, 3.2 GB of doubles). */
    static final long MAX_PARAMETERS = 100_000_000;

    /** Adam's learning rate on random letters, low enough that a large model does not diverge. */
    static final double RANDOM_DOCUMENTS_LEARNING_RATE = 1e-4;

    /** The number of random-letter documents a run cycles through. */
    static final int RANDOM_DOCUMENTS = 256;

    @ParentCommand
    private MicrogptCommand parent;

    @Option(names = "--json", description = "Print one JSON object instead of a table.")
    private boolean json;

    // Split by hand rather than with picocli's split, whose synopsis ([--engine=NAME[,NAME...]]...)
    // would be cut in the middle when the usage line wraps.
    @Option(names = "--engine", paramLabel = "NAME",
            description = "The engines to measure: value, array, or both separated by a comma. "
                    + "Default: both (array only when a model option is given).")
    private List<String> engineNames;

    @Option(names = "--n-layer", paramLabel = "L",
            description = "Number of transformer layers; at least 1. Default: 1.")
    private Integer nLayer;

    @Option(names = "--n-embd", paramLabel = "D",
            description = "Embedding width; at least 1 and divisible by --n-head. Default: 16.")
    private Integer nEmbd;

    @Option(names = "--n-head", paramLabel = "H",
            description = "Number of attention heads; at least 1. Default: 4.")
    private Integer nHead;

    @Option(names = "--block-size", paramLabel = "B",
            description = "Context length, and the positions every step trains when a model option is given; "
                    + "at least 1. Default: 16.")
    private Integer blockSize;

    @Option(names = "--seconds", paramLabel = "S", defaultValue = "3",
            description = "Seconds of each measurement (training and generation, per engine); warm-ups take "
                    + "as long again. Positive, at most 600. Default: ${DEFAULT-VALUE}.")
    private double seconds;

    /** The most threads {@code --threads} accepts. */
    static final int MAX_THREADS = 256;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "1",
            description = "Threads of one training step of the array engine (ArrayGptModel.setThreads); the "
                    + "results do not depend on it, only the time; its share of peak is of the peak on as many "
                    + "threads (at most the processors). 1 to 256. Default: ${DEFAULT-VALUE}.")
    private int threads;

    @Option(names = "--precision", paramLabel = "P", defaultValue = "f64",
            description = "The array engine's precision: f64 (exact, the default) or f32 (floats: faster, not "
                    + "exact; reported as array-f32). The value engine has f64 only. Default: ${DEFAULT-VALUE}.")
    private String precisionName;

    private final LongSupplier clock;

    /** Creates the command; picocli calls this and then sets the options. */
    public BenchCommand() {
        this(System::nanoTime);
    }

    BenchCommand(LongSupplier clock) {
        this.clock = clock;
    }

    /**
     * One thing measured: an engine and, as the engines grow them, its settings (precision,
     * threads). Its {@link #name} is the engine entry's name in the report.
     *
     * @param engine the engine
     * @param precision the precision the model computes in
     * @param threads the threads of one training step of the array engine (the Value engine has one)
     */
    record Contender(Engine engine, Precision precision, int threads) {

        /** The Value engine runs on the calling thread whatever {@code --threads} says. */
        Contender {
            if (engine == Engine.VALUE) {
                threads = 1;
            }
        }

        /**
         * The name in the report: the engine's id, with its precision where it is not the default.
         *
         * @return for example {@code "array"} or {@code "array-f32"}
         */
        String name() {
            return precision == Precision.F64 ? engine.id() : engine.id() + "-" + precision.id();
        }

        LanguageModel create(GptConfig config, int vocabSize, PythonRandom random) {
            LanguageModel model = engine.create(config, vocabSize, random, precision);
            if (model instanceof ArrayGptModel array) {
                array.setThreads(threads);
            }
            return model;
        }

        StepEvent step(Trainer trainer) {
            return trainer.step(StepMode.DOCUMENT);
        }
    }

    /**
     * What the engines are measured on.
     *
     * @param config the model size
     * @param tokenizer the characters
     * @param docs the documents, cycled through one per step
     * @param reference whether this is microgpt.py's run (the shuffled names at the reference size,
     *     with microgpt.py's learning rate); otherwise Adam runs at {@link #RANDOM_DOCUMENTS_LEARNING_RATE}
     */
    record Workload(GptConfig config, Tokenizer tokenizer, List<String> docs, boolean reference) {

        /** The reference run: the embedded names, shuffled with seed 42, at the reference size. */
        static Workload referenceRun() {
            List<String> docs = new ArrayList<>(Documents.embeddedNames());
            new PythonRandom(42).shuffle(docs);
            return new Workload(GptConfig.defaults(), Tokenizer.fromDocuments(docs), docs, true);
        }

        /** Documents of {@code blockSize} random letters, so that every step trains the whole context. */
        static Workload randomLetters(GptConfig config) {
            PythonRandom random = new PythonRandom(7);
            List<String> docs = new ArrayList<>(RANDOM_DOCUMENTS);
            for (int i = 0; i < RANDOM_DOCUMENTS; i++) {
                StringBuilder doc = new StringBuilder(config.blockSize());
                for (int j = 0; j < config.blockSize(); j++) {
                    doc.append((char) ('a' + random.randBelow(26)));
                }
                docs.add(doc.toString());
            }
            return new Workload(config, Tokenizer.ofCharacters("abcdefghijklmnopqrstuvwxyz"), docs, false);
        }

        /** The analytic operation count of a training step on each document. */
        long[] flopsPerDocument() {
            long[] flops = new long[docs.size()];
            for (int i = 0; i < flops.length; i++) {
                int positions = Math.min(config.blockSize(), tokenizer.encodeDocument(docs.get(i)).length - 1);
                flops[i] = FlopCount.trainingStep(config, tokenizer.vocabSize(), positions);
            }
            return flops;
        }

        long parameters() {
            return Architecture.GPT.parameterCount(config, tokenizer.vocabSize());
        }

        String describe() {
            String size = (reference ? "reference configuration (" : "")
                    + config.nLayer() + (config.nLayer() == 1 ? " layer" : " layers") + ", nEmbd " + config.nEmbd()
                    + ", " + config.nHead() + (config.nHead() == 1 ? " head" : " heads") + ", block size "
                    + config.blockSize() + ", " + tokenizer.vocabSize() + " tokens, " + parameters() + " parameters"
                    + (reference ? ")" : "");
            // "1e-4" is RANDOM_DOCUMENTS_LEARNING_RATE as a person writes it (Java would print 1.0E-4).
            return size + (reference ? ", embedded names, seed 42"
                    : ", documents of " + config.blockSize() + " random letters, Adam at 1e-4");
        }
    }

    /**
     * What was measured for one engine.
     *
     * @param engine the entry's name
     * @param precision the precision it computed in
     * @param threads the threads of its training step
     * @param stepsPerSecond training steps per second (the median slice)
     * @param gradientMillis milliseconds per step of that slice in the forward and backward passes
     *     (the loss and the gradients)
     * @param optimizerMillis milliseconds per step of that slice in the rest: Adam's update, which
     *     also resets the gradients
     * @param tokensPerSecond generated tokens per second (the median slice)
     * @param gflopsPerSecond the training steps' analytic operations per second
     * @param peak the peak its share is of: its precision, on its threads
     */
    record Result(String engine, Precision precision, int threads, double stepsPerSecond, double gradientMillis,
            double optimizerMillis, double tokensPerSecond, double gflopsPerSecond, PeakFlops.Peak peak) {

        double shareOfPeak() {
            return gflopsPerSecond / peak.gflopsPerSecond();
        }
    }

    /**
     * Measures the engines and prints the table or the JSON object.
     *
     * @return the exit code, 0
     * @throws UsageException if an option is out of range
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
        Precision precision;
        try {
            precision = Precision.fromId(precisionName);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--precision: " + e.getMessage(), e);
        }
        Workload workload = workload();
        List<Contender> contenders = contenders(workload, precision);
        long parameters = workload.parameters();
        for (Contender contender : contenders) {
            int positions = workload.config().blockSize();
            ModelMemory.check("the model (" + parameters + " parameters)",
                    ModelMemory.bytes(contender.engine(), contender.precision(), parameters, positions, true),
                    ModelMemory.why(contender.engine(), positions, true),
                    "choose smaller --n-embd, --n-layer or --block-size");
        }
        CliContext context = parent.context();
        List<Result> results = new ArrayList<>();
        try {
            // The peaks first, each once, before the engines' threads and garbage share the JVM.
            Map<List<Object>, PeakFlops.Peak> peaks = new LinkedHashMap<>();
            for (Contender contender : contenders) {
                peaks.computeIfAbsent(peakKey(contender),
                        key -> PeakFlops.measure(contender.precision(), contender.threads(), Math.min(1, seconds)));
            }
            for (Contender contender : contenders) {
                results.add(measure(contender, workload, peaks.get(peakKey(contender))));
            }
        } catch (OutOfMemoryError e) {
            throw new CommandFailedException("out of memory while measuring (give the JVM more, for example "
                    + "JAVA_OPTS=-Xmx4g)", CommandFailedException.FAILED, e);
        }
        LineOutput out = new LineOutput(context.out());
        if (json) {
            out.line(toJson(results, workload));
        } else {
            printTable(out, results, workload);
        }
        out.flush();
        return 0;
    }

    private static List<Object> peakKey(Contender contender) {
        return List.of(contender.precision(), PeakFlops.threadsMeasured(contender.threads()));
    }

    /** The reference run when no model option is given; otherwise that size on random letters. */
    private Workload workload() {
        if (nLayer == null && nEmbd == null && nHead == null && blockSize == null) {
            return Workload.referenceRun();
        }
        GptConfig defaults = GptConfig.defaults();
        int layers = atLeastOne("--n-layer", nLayer, defaults.nLayer());
        int width = atLeastOne("--n-embd", nEmbd, defaults.nEmbd());
        int heads = atLeastOne("--n-head", nHead, defaults.nHead());
        int context = atLeastOne("--block-size", blockSize, defaults.blockSize());
        if (width % heads != 0) {
            throw new UsageException("--n-embd (" + width + ") must be divisible by --n-head (" + heads
                    + ") so that every head gets the same number of dimensions");
        }
        // Counted in long arithmetic before any array is made: a typo must not overflow or exhaust memory.
        long d = width;
        long parameters = 2L * 27 * d + (long) context * d + layers * 12L * d * d;
        if (parameters > MAX_PARAMETERS) {
            throw new UsageException("the model would have " + parameters + " parameters; bench measures at most "
                    + MAX_PARAMETERS + " (choose smaller --n-embd, --n-layer or --block-size)");
        }
        return Workload.randomLetters(new GptConfig(layers, width, heads, context, defaults.initStd()));
    }

    private static int atLeastOne(String option, Integer value, int fallback) {
        if (value == null) {
            return fallback;
        }
        if (value < 1) {
            throw new UsageException(option + " must be at least 1, got " + value);
        }
        return value;
    }

    /** The engines named by --engine (both by default; array only at a size the Value engine cannot do). */
    private List<Contender> contenders(Workload workload, Precision precision) {
        long stepFlops = FlopCount.trainingStep(workload.config(), workload.tokenizer().vocabSize(),
                workload.config().blockSize());
        boolean valueFits = stepFlops <= MAX_VALUE_ENGINE_STEP_FLOPS;
        List<Contender> contenders = new ArrayList<>();
        if (engineNames == null || engineNames.isEmpty()) {
            for (Engine engine : Engine.values()) {
                boolean valueRuns = valueFits && workload.reference() && precision == Precision.F64;
                if (engine != Engine.VALUE || valueRuns) {
                    contenders.add(new Contender(engine, precision, threads));
                }
            }
            return contenders;
        }
        List<String> names = new ArrayList<>();
        for (String value : engineNames) {
            names.addAll(List.of(value.split(",", -1)));
        }
        for (String name : names) {
            Engine engine;
            try {
                engine = Engine.fromId(name);
            } catch (IllegalArgumentException e) {
                throw new UsageException("--engine: " + e.getMessage(), e);
            }
            if (engine == Engine.VALUE && !valueFits) {
                throw new UsageException(String.format(Locale.ROOT, "--engine value: one training step at this size is "
                        + "%,d floating-point operations, a graph of about as many objects; the value engine is "
                        + "measured up to %,d (use --engine array)", stepFlops, MAX_VALUE_ENGINE_STEP_FLOPS));
            }
            if (engine == Engine.VALUE && precision != Precision.F64) {
                throw new UsageException("--engine value: the value engine computes in f64 only, not "
                        + precision.id() + " (use --engine array)");
            }
            Contender contender = new Contender(engine, precision, threads);
            if (contenders.contains(contender)) {
                throw new UsageException("--engine: " + name + " is named twice");
            }
            contenders.add(contender);
        }
        return contenders;
    }

    private Result measure(Contender contender, Workload workload, PeakFlops.Peak peak) {
        // The clock read between the gradients and Adam's update (see Phases): the trainer calls
        // its gradient listeners just before the optimizer's step.
        Phases phases = new Phases(clock);
        Trainer[] trainer = {newTrainer(contender, workload, phases)};
        long[] flopsPerDocument = workload.flopsPerDocument();
        int documents = workload.docs().size();

        long warmUntil = clock.getAsLong() + nanos(seconds);
        while (clock.getAsLong() < warmUntil) {
            step(contender, workload, trainer, phases);
        }
        // The measurement is cut into slices and the median slice is reported: a burst of other
        // work on a shared machine spoils a slice or two, not the result.
        double[] stepRates = new double[SLICES];
        double[] gflopRates = new double[SLICES];
        double[] gradientMillis = new double[SLICES];
        double[] optimizerMillis = new double[SLICES];
        long sliceNanos = Math.max(1, nanos(seconds) / SLICES);
        for (int slice = 0; slice < SLICES; slice++) {
            long steps = 0;
            long flops = 0;
            long gradientNanos = 0;
            long start = clock.getAsLong();
            long end = start + sliceNanos;
            long now = start;
            while (now < end || steps == 0) {
                flops += flopsPerDocument[trainer[0].stepsDone() % documents];
                step(contender, workload, trainer, phases);
                steps++;
                long before = now;
                now = clock.getAsLong();
                // A step that diverged (and was started again) told no gradients: all its time counts as theirs.
                gradientNanos += phases.gradientsAt > before ? phases.gradientsAt - before : now - before;
            }
            long elapsedNanos = Math.max(now - start, 1);
            double elapsed = elapsedNanos / 1e9;
            stepRates[slice] = steps / elapsed;
            gflopRates[slice] = flops / elapsed / 1e9;
            gradientMillis[slice] = gradientNanos / 1e6 / steps;
            optimizerMillis[slice] = (elapsedNanos - gradientNanos) / 1e6 / steps;
        }

        Sampler sampler = new Sampler(trainer[0].model(), workload.tokenizer(), new PythonRandom(7));
        generate(sampler, clock.getAsLong() + nanos(seconds / 2));
        double[] tokenRates = new double[SLICES];
        for (int slice = 0; slice < SLICES; slice++) {
            long start = clock.getAsLong();
            long tokens = generate(sampler, start + sliceNanos);
            tokenRates[slice] = tokens / (Math.max(clock.getAsLong() - start, 1) / 1e9);
        }
        int median = medianIndex(stepRates);
        return new Result(contender.name(), contender.precision(), contender.threads(), stepRates[median],
                gradientMillis[median], optimizerMillis[median], tokenRates[medianIndex(tokenRates)],
                gflopRates[median], peak);
    }

    /**
     * Where a training step's time goes: a gradient listener notes the time when the gradients
     * are complete, just before the optimizer's update ({@link Trainer#addGradientListener}), so
     * that a step's time splits into the model's forward and backward passes (everything before
     * the note: the loss and the gradients) and Adam's update with the gradients' reset (everything
     * after it). One clock read per step, and no copy of the gradients.
     */
    private static final class Phases implements GradientListener {
        private final LongSupplier clock;
        /** The clock when the last step's gradients were complete. */
        long gradientsAt;

        Phases(LongSupplier clock) {
            this.clock = clock;
        }

        @Override
        public void onGradients(GradientEvent event) {
            gradientsAt = clock.getAsLong();
        }
    }

    /** A trainer that never finishes, so the learning rate stays at its initial value throughout. */
    private static Trainer newTrainer(Contender contender, Workload workload, Phases phases) {
        LanguageModel model = contender.create(workload.config(), workload.tokenizer().vocabSize(),
                new PythonRandom(42));
        AdamSettings settings = AdamSettings.defaults();
        if (!workload.reference()) {
            settings = settings.withLearningRate(RANDOM_DOCUMENTS_LEARNING_RATE);
        }
        AdamOptimizer optimizer = new AdamOptimizer(model.numParameters(), settings);
        return new Trainer(model, workload.tokenizer(), workload.docs(), optimizer, Integer.MAX_VALUE)
                .addGradientListener(phases);
    }

    /**
     * One training step. Random letters teach nothing, and should a run on them diverge all the
     * same, the model is built again and the measurement goes on: the speed of a step does not
     * depend on the weights. On the names a divergence would be a bug, and is reported as one.
     */
    private static void step(Contender contender, Workload workload, Trainer[] trainer, Phases phases) {
        try {
            contender.step(trainer[0]);
        } catch (TrainingDivergedException e) {
            if (workload.reference()) {
                throw e;
            }
            trainer[0] = newTrainer(contender, workload, phases);
        }
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

    static String toJson(List<Result> results, Workload workload) {
        List<Map<String, Object>> engines = new ArrayList<>();
        for (Result r : results) {
            Map<String, Object> engine = new LinkedHashMap<>();
            engine.put("engine", r.engine());
            engine.put("precision", r.precision().id());
            engine.put("threads", r.threads());
            engine.put("stepsPerSecond", round(r.stepsPerSecond(), 1));
            // Four places: a reference step lasts tens of microseconds, its update a few.
            engine.put("gradientMillis", round(r.gradientMillis(), 4));
            engine.put("optimizerMillis", round(r.optimizerMillis(), 4));
            engine.put("tokensPerSecond", round(r.tokensPerSecond(), 1));
            engine.put("gflopsPerSecond", round(r.gflopsPerSecond(), 4));
            engine.put("peakGflopsPerSecond", round(r.peak().gflopsPerSecond(), 2));
            engine.put("peakThreads", r.peak().threads());
            // Six places: the Value engine's share is a few millionths, which four places would print as 0.
            engine.put("shareOfPeak", round(r.shareOfPeak(), 6));
            engines.add(engine);
        }
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("engines", engines);
        // Which code computed the array engine's matrix products: "plain" or "vector" (ArrayKernels).
        root.put("kernels", ArrayKernels.implementation());
        Map<String, Object> configuration = new LinkedHashMap<>();
        GptConfig config = workload.config();
        configuration.put("nLayer", config.nLayer());
        configuration.put("nEmbd", config.nEmbd());
        configuration.put("nHead", config.nHead());
        configuration.put("blockSize", config.blockSize());
        configuration.put("vocabSize", workload.tokenizer().vocabSize());
        configuration.put("parameters", workload.parameters());
        configuration.put("documents", workload.reference() ? "names" : "random letters");
        root.put("configuration", configuration);
        Gson gson = new GsonBuilder().disableHtmlEscaping().create();
        return gson.toJson(root);
    }

    private static double round(double value, int decimals) {
        double scale = Math.pow(10, decimals);
        return Math.round(value * scale) / scale;
    }

    private static void printTable(LineOutput out, List<Result> results, Workload workload) {
        out.line("microgpt bench: " + workload.describe());
        out.line(String.format(Locale.ROOT, "%-9s %12s %12s %9s %7s", "engine", "steps/s", "tokens/s", "GFLOP/s",
                "of peak"));
        for (Result r : results) {
            // A large model does a few steps a second: then a decimal says more than a rounded integer.
            String steps = r.stepsPerSecond() < 100 ? "%,12.1f" : "%,12.0f";
            out.line(String.format(Locale.ROOT, "%-9s " + steps + " %,12.0f %9.3f %6.1f%%", r.engine(),
                    r.stepsPerSecond(), r.tokensPerSecond(), r.gflopsPerSecond(),
                    100 * r.shareOfPeak()));
        }
        if (results.size() == 2) {
            Result first = results.get(0);
            Result second = results.get(1);
            out.line(String.format(Locale.ROOT, "%s / %s: %.1fx the steps, %.1fx the tokens", second.engine(),
                    first.engine(), second.stepsPerSecond() / first.stepsPerSecond(),
                    second.tokensPerSecond() / first.tokensPerSecond()));
        }
        List<PeakFlops.Peak> peaks = new ArrayList<>();
        for (Result r : results) {
            if (!peaks.contains(r.peak())) {
                peaks.add(r.peak());
                out.line(String.format(Locale.ROOT, "peak of %s on %d %s, measured: %.1f GFLOP/s%s",
                        r.precision().id(), r.peak().threads(), r.peak().threads() == 1 ? "thread" : "threads",
                        r.peak().gflopsPerSecond(), r.peak().threads() < r.threads()
                                ? " (--threads " + r.threads() + ", but the JVM sees "
                                        + Runtime.getRuntime().availableProcessors() + " processors)" : ""));
            }
        }
        out.line(String.format(Locale.ROOT, "Java %s (%s), %d processors, %s matrix products",
                System.getProperty("java.version"), System.getProperty("java.vm.name"),
                Runtime.getRuntime().availableProcessors(), ArrayKernels.implementation()));
    }
}
