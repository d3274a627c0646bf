package io.github.microgpt.benchmarks;

import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.GptModel;
import io.github.microgpt.optim.AdamOptimizer;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.text.Documents;
import io.github.microgpt.text.Tokenizer;
import io.github.microgpt.train.StepEvent;
import io.github.microgpt.train.StepMode;
import io.github.microgpt.train.Trainer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One training step of the {@code Value} engine at the reference configuration of
 * {@code microgpt.py} (1 layer, {@code nEmbd = 16}, 4 heads, block size 16, 27 tokens): forward
 * over one document, {@code backward()}, and the Adam update — what {@code microgpt.py} does once
 * per printed line.
 *
 * <p>The documents are the embedded names, shuffled with seed 42; each invocation trains the next
 * document, so the average covers documents of every length. Reported as the average time per
 * step; the inverse is steps per second.
 *
 * <p>Run it with:
 * <pre>
 * ./mvnw -q package -pl microgpt-benchmarks -am -DskipTests
 * java -jar microgpt-benchmarks/target/benchmarks.jar TrainingStepBenchmark
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class TrainingStepBenchmark {

    private Trainer trainer;

    /** Builds a fresh model and a trainer whose run is long enough never to finish. */
    @Setup(Level.Trial)
    public void setUp() {
        PythonRandom random = new PythonRandom(42);
        List<String> docs = new ArrayList<>(Documents.embeddedNames());
        random.shuffle(docs);
        Tokenizer tokenizer = Tokenizer.fromDocuments(docs);
        GptModel model = GptModel.create(GptConfig.defaults(), tokenizer.vocabSize(), random);
        trainer = new Trainer(model, tokenizer, docs, new AdamOptimizer(model.numParameters()), Integer.MAX_VALUE);
    }

    /**
     * One step: the next document's loss, its gradients and one Adam update.
     *
     * @return the step's event (returned so that the work cannot be optimised away)
     */
    @Benchmark
    public StepEvent trainingStep() {
        return trainer.step(StepMode.DOCUMENT);
    }
}
