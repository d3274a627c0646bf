package io.github.microgpt.benchmarks;

import io.github.microgpt.model.ArrayGptModel;
import io.github.microgpt.model.ArrayKernels;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.Precision;
import io.github.microgpt.optim.AdamOptimizer;
import io.github.microgpt.optim.AdamSettings;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.text.Tokenizer;
import io.github.microgpt.train.StepEvent;
import io.github.microgpt.train.StepMode;
import io.github.microgpt.train.Trainer;
import io.github.microgpt.train.TrainingDivergedException;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * How a training step of the array engine scales with the model, the precision, the threads and
 * the kernels: every combination of {@code nEmbd} 16, 64, 256, {@code blockSize} 16, 64,
 * {@code nLayer} 1, 4, precision f64, f32, 1 or 2 threads, and the core's loops or the Vector API
 * kernels (4 heads, 27 tokens; 96 combinations, about a quarter of an hour).
 *
 * <p>What one operation is: one training step on one document ({@code Trainer.step} with
 * {@code StepMode.DOCUMENT}): the forward and backward pass over {@code blockSize} positions and
 * one Adam update. JMH reports steps per second, and, through the analytic count of
 * {@link io.github.microgpt.model.FlopCount}, GFLOP/s ({@code ·gflop}): the figure to compare with
 * the hardware's peak ({@code ./microgpt bench} measures it for each precision and thread count),
 * and the one that shows where a small model is dominated by overheads. Compare
 * {@code precision=f32} with {@code f64} for what single precision's twice-as-wide vectors give,
 * {@code threads=2} with {@code 1} for what the second core gives to one document's step
 * ({@link ArrayGptModel#setThreads}; the results are the same bits whatever the count, so only the
 * time differs), and {@code kernels=vector} with {@code plain} for what the optional module gives.
 * JMH measures the wall clock: on a machine shared with other work, compare only combinations
 * measured in the same run.
 *
 * <p><b>Warm-up.</b> At {@code nEmbd} 256 and 4 layers a step's first calls run in the
 * interpreter (the first step takes seconds), and the JIT compilers go on compiling for several
 * seconds after: with JMH's three warm-up iterations of a second alone, the measured iterations of
 * f32 on two threads (where the compiler threads take the cores the step runs on) still had 26-35
 * ms of compilation each and read 43-46 steps/s, against about 50 once compiled. So before JMH's
 * iterations the trial's setup runs steps in rounds of a second until a round passes with at most
 * 1% of its time spent compiling ({@link java.lang.management.CompilationMXBean}), or until
 * {@link #settleSeconds} have passed; each measured iteration then reports the compilation in it
 * with {@code -prof comp}. A small model settles in a round or two.
 *
 * <p>Each document is {@code blockSize} random letters, so that every step trains
 * {@code blockSize} positions. There is nothing to learn in random letters, and at
 * {@code nEmbd = 256} the default learning rate of 0.01 makes such a run diverge within a few
 * hundred steps, so Adam runs at 1e-4 here (the speed of a step does not depend on it); should a
 * run diverge all the same, the model is rebuilt and the benchmark goes on. The {@code Value}
 * engine is left out: at {@code nEmbd = 256} and 4 layers one of its steps would build a graph of
 * about a billion nodes (see {@link TrainingStepBenchmark} for both engines at the reference
 * size).
 *
 * <p><b>Which kernels</b> ({@link #kernels}): {@code benchmarks.jar} holds microgpt-vector beside
 * microgpt-core, and this benchmark's forked JVMs run with {@code --add-modules
 * jdk.incubator.vector}, so each combination chooses ({@code -Dmicrogpt.kernels}, see
 * {@link io.github.microgpt.model.ArrayKernels}) and checks that it got what it chose. The other
 * benchmarks of the jar fork without the incubator module and so run the core's loops. For one
 * thread count against another in alternated slices of one JVM (JMH runs each combination in a
 * JVM of its own, minutes apart on a machine whose speed drifts), use
 * {@code ./microgpt bench --engine array --threads 1,2 ...}.
 *
 * <p>Run the whole grid, or pick combinations with {@code -p} (a comma-separated list per
 * parameter); issue 11's size is {@code nEmbd=256, nLayer=4, nHead=8, blockSize=64}:
 * <pre>
 * ./mvnw -q -B package -pl microgpt-benchmarks -am -DskipTests
 * java -jar microgpt-benchmarks/target/benchmarks.jar ScalingBenchmark
 * java -jar microgpt-benchmarks/target/benchmarks.jar ScalingBenchmark -prof comp \
 *     -p nEmbd=256 -p nLayer=4 -p nHead=8 -p blockSize=64 -p precision=f64,f32 -p threads=1,2 \
 *     -p kernels=vector
 * </pre>
 * ({@code -f 0}, running in JMH's own JVM, can take one value of {@code kernels} only, the JVM's
 * choice being made once; the build's smoke run takes {@code plain}, with
 * {@code settleSeconds=0}.)
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class ScalingBenchmark {

    /** The embedding width. */
    @Param({"16", "64", "256"})
    public int nEmbd;

    /** The context length, which is also every document's number of positions. */
    @Param({"16", "64"})
    public int blockSize;

    /** The number of layers. */
    @Param({"1", "4"})
    public int nLayer;

    /** The number of attention heads; it must divide {@code nEmbd} ({@code -p nHead=8} for issue 11's size). */
    @Param({"4"})
    public int nHead;

    /**
     * The threads of one step ({@link ArrayGptModel#setThreads}): 1 and 2. The results are the
     * same bits whatever the count; only the time differs.
     */
    @Param({"1", "2"})
    public int threads;

    /**
     * The precision of the model ({@link Precision#fromId}): {@code f64}, the exact engine, and
     * {@code f32}, single precision; {@code -p precision=f32} to measure one.
     */
    @Param({"f64", "f32"})
    public String precision;

    /**
     * The kernels of the array engine's products ({@link io.github.microgpt.model.ArrayKernels}):
     * {@code plain}, the core's own loops, or {@code vector}, the optional microgpt-vector module's
     * Vector API kernels. The setup fails if the JVM cannot give the ones asked for.
     */
    @Param({"plain", "vector"})
    public String kernels;

    /**
     * The most seconds the trial's setup runs training steps before JMH's iterations, until the
     * JIT compilers are done (see the class comment); 0 runs none.
     */
    @Param({"20"})
    public int settleSeconds;

    private List<String> docs;
    private Tokenizer tokenizer;
    private GptConfig config;
    private Trainer trainer;
    private double gflopPerStep;

    /**
     * Chooses the kernels, builds the model, the documents and a trainer that never finishes, and
     * runs steps until the JIT compilers are done with them (at most {@link #settleSeconds}).
     */
    @Setup(Level.Trial)
    public void setUp() {
        // Read once, when the array engine first multiplies: so before any model is built.
        System.setProperty("microgpt.kernels", kernels);
        if (!ArrayKernels.implementation().id().equals(kernels)) {
            throw new IllegalStateException("kernels=" + kernels + " asked for, but this JVM runs "
                    + ArrayKernels.implementation().id() + " (with -f 0, JMH's own JVM chose once, for every combination)");
        }
        docs = Fixtures.fullLengthDocuments(256, blockSize, 7);
        tokenizer = Tokenizer.ofCharacters("abcdefghijklmnopqrstuvwxyz");
        config = new GptConfig(nLayer, nEmbd, nHead, blockSize, 0.08);
        gflopPerStep = Fixtures.trainingStepGflop(config, tokenizer, docs.subList(0, 1))[0];
        newTrainer();
        settle();
    }

    /**
     * Runs steps in rounds of a second until a round spends at most 1% of its time compiling, or
     * {@link #settleSeconds} have passed; prints what it did, beside JMH's lines.
     */
    private void settle() {
        CompilationMXBean compiler = ManagementFactory.getCompilationMXBean();
        if (settleSeconds <= 0 || compiler == null || !compiler.isCompilationTimeMonitoringSupported()) {
            return;
        }
        long start = System.nanoTime();
        long deadline = start + settleSeconds * 1_000_000_000L;
        int steps = 0;
        int rounds = 0;
        long compiling;
        long roundNanos;
        do {
            long roundStart = System.nanoTime();
            long compiledBefore = compiler.getTotalCompilationTime();
            do {
                trainingStep(new Gflops());
                steps++;
            } while (System.nanoTime() - roundStart < 1_000_000_000L);
            roundNanos = System.nanoTime() - roundStart;
            compiling = compiler.getTotalCompilationTime() - compiledBefore;
            rounds++;
        } while (compiling * 1_000_000L * 100 > roundNanos && System.nanoTime() < deadline);
        System.out.printf(Locale.ROOT, "(settled: %d steps in %d rounds, %.1f s; the last round compiled %d ms in %d)%n",
                steps, rounds, (System.nanoTime() - start) / 1e9, compiling, roundNanos / 1_000_000);
    }

    private void newTrainer() {
        ArrayGptModel model = ArrayGptModel.create(config, tokenizer.vocabSize(), new PythonRandom(42),
                Precision.fromId(precision)).setThreads(threads);
        trainer = new Trainer(model, tokenizer, docs,
                new AdamOptimizer(model.numParameters(), AdamSettings.defaults().withLearningRate(1e-4)), Integer.MAX_VALUE);
    }

    /**
     * One step: forward and backward over {@code blockSize} positions, and one Adam update.
     *
     * @param counter where the step's operations are counted
     * @return the step's event
     */
    @Benchmark
    public StepEvent trainingStep(Gflops counter) {
        counter.gflop += gflopPerStep;
        try {
            return trainer.step(StepMode.DOCUMENT);
        } catch (TrainingDivergedException e) {
            newTrainer();
            return null;
        }
    }
}
