package io.github.microgpt.benchmarks;

import io.github.microgpt.model.Engine;
import io.github.microgpt.model.FlopCount;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.LanguageModel;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.sample.Sampler;
import io.github.microgpt.sample.TokenEvent;
import io.github.microgpt.text.Tokenizer;
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
 * One generated token of each engine at the reference configuration, through the public
 * {@link Sampler}: the model reads the last token (one forward pass with the key-value cache),
 * the sampler turns the logits into probabilities at temperature 0.5 and draws the next token.
 * When a name ends (BOS drawn or the context full) the next invocation starts a new one, so the
 * average covers every position. The model is trained for 200 steps first, so the names have
 * realistic lengths.
 *
 * <p>Reported in tokens per second, with {@code ·gflop} in GFLOP/s
 * ({@link FlopCount#generatedToken}). Run it with:
 * <pre>
 * java -jar microgpt-benchmarks/target/benchmarks.jar GenerationBenchmark
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class GenerationBenchmark {

    /** The engine: {@code value} or {@code array}. */
    @Param({"value", "array"})
    public String engine;

    private Sampler sampler;
    private Sampler.Generation generation;
    private GptConfig config;
    private int vocabSize;

    /** Builds and briefly trains a model. */
    @Setup(Level.Trial)
    public void setUp() {
        PythonRandom random = new PythonRandom(42);
        List<String> docs = Fixtures.shuffledNames(random);
        Tokenizer tokenizer = Tokenizer.fromDocuments(docs);
        config = GptConfig.defaults();
        vocabSize = tokenizer.vocabSize();
        LanguageModel model = Engine.fromId(engine).create(config, vocabSize, random);
        new io.github.microgpt.train.Trainer(model, tokenizer, docs,
                new io.github.microgpt.optim.AdamOptimizer(model.numParameters()), 200)
                .run(io.github.microgpt.train.StepMode.DOCUMENT);
        sampler = new Sampler(model, tokenizer, random);
        generation = sampler.start(0.5);
    }

    /**
     * One token: read the last one, draw the next.
     *
     * @param counter where the token's operations are counted
     * @return the token's event
     */
    @Benchmark
    public TokenEvent generatedToken(Gflops counter) {
        if (generation.isDone()) {
            generation = sampler.start(0.5);
        }
        TokenEvent event = generation.step();
        counter.gflop += FlopCount.generatedToken(config, vocabSize, event.posId()) / 1e9;
        return event;
    }
}
