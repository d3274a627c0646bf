package io.github.microgpt.benchmarks;

import io.github.microgpt.model.ArrayGptModel;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.optim.AdamOptimizer;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.text.Tokenizer;
import io.github.microgpt.train.Minibatch;
import io.github.microgpt.train.StepEvent;
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
 * A minibatch step of the array engine ({@link Trainer#stepBatch(Minibatch)}) on 1 and on 2
 * threads: {@link #batchSize} of the embedded names (8 unless {@code -p batchSize=N} says
 * otherwise) at {@code nEmbd = 64} (1 layer, 4 heads, block size 16), the mean of their
 * gradients, one Adam update. The ratio of the two results is the speed-up from the second core;
 * the results themselves are bit-identical whatever the thread count.
 *
 * <p>Reported in batch steps per second, each step {@link #batchSize} documents
 * ({@code ·gflop} in GFLOP/s). Run it with:
 * <pre>
 * java -jar microgpt-benchmarks/target/benchmarks.jar BatchStepBenchmark
 * java -jar microgpt-benchmarks/target/benchmarks.jar BatchStepBenchmark -p batchSize=32
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class BatchStepBenchmark {

    /** The number of threads. */
    @Param({"1", "2"})
    public int threads;

    /** The number of documents per step. */
    @Param({"8"})
    public int batchSize;

    private Trainer trainer;
    private Minibatch minibatch;
    private double[] gflopPerDocument;
    private int documents;

    /** Builds the model and a trainer that never finishes. */
    @Setup(Level.Trial)
    public void setUp() {
        PythonRandom random = new PythonRandom(42);
        List<String> docs = Fixtures.shuffledNames(random);
        Tokenizer tokenizer = Tokenizer.fromDocuments(docs);
        GptConfig config = GptConfig.defaults().withNEmbd(64);
        ArrayGptModel model = ArrayGptModel.create(config, tokenizer.vocabSize(), random);
        trainer = new Trainer(model, tokenizer, docs, new AdamOptimizer(model.numParameters()), Integer.MAX_VALUE);
        gflopPerDocument = Fixtures.trainingStepGflop(config, tokenizer, docs);
        // A batch runs one Adam update, not one per document.
        double adam = io.github.microgpt.model.FlopCount.adam(model.numParameters()) / 1e9;
        for (int i = 0; i < gflopPerDocument.length; i++) {
            gflopPerDocument[i] -= adam * (batchSize - 1) / batchSize;
        }
        documents = docs.size();
        minibatch = Minibatch.of(batchSize).withThreads(threads);
    }

    /**
     * One batch step.
     *
     * @param counter where the step's operations are counted
     * @return the step's event
     */
    @Benchmark
    public StepEvent batchStep(Gflops counter) {
        long first = (long) trainer.stepsDone() * batchSize;
        for (int b = 0; b < batchSize; b++) {
            counter.gflop += gflopPerDocument[(int) ((first + b) % documents)];
        }
        return trainer.stepBatch(minibatch);
    }
}
