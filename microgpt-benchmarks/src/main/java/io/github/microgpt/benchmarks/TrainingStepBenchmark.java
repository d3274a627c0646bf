package io.github.microgpt.benchmarks;

import io.github.microgpt.model.Engine;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.LanguageModel;
import io.github.microgpt.optim.AdamOptimizer;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.text.Tokenizer;
import io.github.microgpt.train.StepEvent;
import io.github.microgpt.train.StepMode;
import io.github.microgpt.train.Trainer;
import java.util.List;
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
 * One training step of each engine at the reference configuration of {@code microgpt.py}
 * (1 layer, {@code nEmbd = 16}, 4 heads, block size 16, 27 tokens, 4,192 parameters): the loss of
 * one document, its gradients, and one Adam update, which is what {@code microgpt.py} does once
 * per printed line, through the public {@link Trainer} API.
 *
 * <p>The documents are the embedded names, shuffled with seed 42; each invocation trains the next
 * one, so the result averages over documents of every length. Reported in steps per second,
 * with the analytic operation count ({@link io.github.microgpt.model.FlopCount}) as
 * {@code ·gflop} in GFLOP/s. Add {@code -prof gc} for the bytes allocated per step
 * ({@code gc.alloc.rate.norm}).
 *
 * <p>Run it with:
 * <pre>
 * ./mvnw -q package -pl microgpt-benchmarks -am -DskipTests
 * java -jar microgpt-benchmarks/target/benchmarks.jar TrainingStepBenchmark
 * java -jar microgpt-benchmarks/target/benchmarks.jar TrainingStepBenchmark -prof gc
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class TrainingStepBenchmark {

    /** The engine: {@code value} or {@code array}. */
    @Param({"value", "array"})
    public String engine;

    private Trainer trainer;
    private double[] gflopPerDocument;
    private int documents;

    /** Builds a fresh model and a trainer whose run is long enough never to finish. */
    @Setup(Level.Trial)
    public void setUp() {
        PythonRandom random = new PythonRandom(42);
        List<String> docs = Fixtures.shuffledNames(random);
        Tokenizer tokenizer = Tokenizer.fromDocuments(docs);
        GptConfig config = GptConfig.defaults();
        LanguageModel model = Engine.fromId(engine).create(config, tokenizer.vocabSize(), random);
        trainer = new Trainer(model, tokenizer, docs, new AdamOptimizer(model.numParameters()), Integer.MAX_VALUE);
        gflopPerDocument = Fixtures.trainingStepGflop(config, tokenizer, docs);
        documents = docs.size();
    }

    /**
     * One step: the next document's loss, its gradients and one Adam update.
     *
     * @param counter where the step's operations are counted
     * @return the step's event (returned so that the work cannot be optimised away)
     */
    @Benchmark
    public StepEvent trainingStep(Gflops counter) {
        counter.gflop += gflopPerDocument[trainer.stepsDone() % documents];
        return trainer.step(StepMode.DOCUMENT);
    }
}
