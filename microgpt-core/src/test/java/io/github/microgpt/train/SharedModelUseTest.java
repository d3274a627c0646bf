package io.github.microgpt.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.model.Engine;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.LanguageModel;
import io.github.microgpt.model.Precision;
import io.github.microgpt.optim.AdamOptimizer;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.sample.NextToken;
import io.github.microgpt.sample.Sampler;
import io.github.microgpt.text.Tokenizer;
import java.util.ConcurrentModificationException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A model evaluated or sampled on one thread while another trains it: whoever comes second is
 * refused before it computes anything. Before, an evaluation or a sample read the weights of two
 * steps without a word, and a step changed the weights under them.
 */
class SharedModelUseTest {

    private static final List<String> DOCS = List.of("emma", "olivia", "ava", "isabella", "sophia");
    private static final Tokenizer TOKENIZER = Tokenizer.fromDocuments(DOCS);
    private static final List<String> HELD_OUT = List.of("mia", "ella");

    private static LanguageModel model(Engine engine) {
        return engine.create(GptConfig.defaults(), TOKENIZER.vocabSize(), new PythonRandom(42), Precision.F64);
    }

    private static Trainer trainer(LanguageModel model) {
        return new Trainer(model, TOKENIZER, DOCS, new AdamOptimizer(model.numParameters()), 4);
    }

    private static void await(CountDownLatch latch) {
        try {
            assertTrue(latch.await(60, TimeUnit.SECONDS));
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void assertRefusal(ConcurrentModificationException e, String other, String refused) {
        String message = e.getMessage();
        assertTrue(message.startsWith("the model is being " + other + " on the thread \""), message);
        assertTrue(message.contains("a model is trained while nothing else uses it (many threads may evaluate and sample"
                + " it at once, but not while it is trained)"), message);
        assertTrue(message.endsWith("(" + refused + ")"), message);
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void anEvaluationOrATokenDuringAStepOnAnotherThreadIsRefused(Engine engine) throws Exception {
        LanguageModel alone = model(engine);
        StepEvent expected = trainer(alone).step(StepMode.DOCUMENT);

        LanguageModel shared = model(engine);
        Trainer trainer = trainer(shared);
        CountDownLatch inStep = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        // A gradient listener holds the step between its backward pass and its update.
        trainer.addGradientListener(e -> {
            inStep.countDown();
            await(release);
        });
        CompletableFuture<StepEvent> running = CompletableFuture.supplyAsync(() -> trainer.step(StepMode.DOCUMENT));
        await(inStep);
        double[] weights = shared.parameters().values();
        assertRefusal(assertThrows(ConcurrentModificationException.class,
                () -> Evaluation.loss(shared, TOKENIZER, HELD_OUT)), "trained", "nothing was evaluated");
        assertRefusal(assertThrows(ConcurrentModificationException.class,
                () -> Evaluation.documentLoss(shared, TOKENIZER.encodeDocument("mia"))), "trained",
                "nothing was evaluated");
        assertRefusal(assertThrows(ConcurrentModificationException.class,
                () -> NextToken.after(shared, TOKENIZER, "em")), "trained", "nothing was predicted");
        PythonRandom random = new PythonRandom(7);
        Sampler sampler = new Sampler(shared, TOKENIZER, random);
        assertRefusal(assertThrows(ConcurrentModificationException.class, () -> sampler.sample(0.5)), "trained",
                "this token was not drawn");
        assertEquals(new PythonRandom(7).state(), random.state(), "the refused token drew nothing");
        assertArrayEquals(weights, shared.parameters().values());
        release.countDown();
        assertEquals(expected, running.get(60, TimeUnit.SECONDS), "the step is the step alone, bit for bit");
        assertArrayEquals(alone.parameters().values(), shared.parameters().values());
        // Once it is over, the model may be evaluated and sampled.
        assertEquals(Evaluation.loss(alone, TOKENIZER, HELD_OUT), Evaluation.loss(shared, TOKENIZER, HELD_OUT));
        sampler.sample(0.5);
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void aStepDuringAnEvaluationOrATokenOnAnotherThreadIsRefused(Engine engine) throws Exception {
        List<Function<LanguageModel, Object>> readers = List.of(
                m -> Evaluation.loss(m, TOKENIZER, HELD_OUT),
                m -> new Sampler(m, TOKENIZER, new PythonRandom(7)).sample(0.5));
        List<String> kinds = List.of("evaluated", "sampled");
        for (int r = 0; r < readers.size(); r++) {
            Object expected = readers.get(r).apply(model(engine));
            LanguageModel shared = model(engine);
            Trainer trainer = trainer(shared);
            CountDownLatch reading = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            Thread[] reader = new Thread[1];
            // An attention listener holds the reader in its first forward pass.
            shared.addAttentionListener(e -> {
                if (Thread.currentThread() == reader[0] && reading.getCount() > 0) {
                    reading.countDown();
                    await(release);
                }
            });
            Function<LanguageModel, Object> read = readers.get(r);
            CompletableFuture<Object> running = CompletableFuture.supplyAsync(() -> {
                reader[0] = Thread.currentThread();
                return read.apply(shared);
            });
            await(reading);
            double[] weights = shared.parameters().values();
            ConcurrentModificationException refused = assertThrows(ConcurrentModificationException.class,
                    () -> trainer.step(StepMode.DOCUMENT));
            assertRefusal(refused, kinds.get(r), "this step was not run");
            assertEquals(0, trainer.stepsDone(), "the refused step is not counted");
            assertArrayEquals(weights, shared.parameters().values(), "the refused step changed no weight");
            release.countDown();
            assertEquals(expected, running.get(60, TimeUnit.SECONDS), kinds.get(r) + " as alone");
            assertEquals(1, trainer.step(StepMode.DOCUMENT).step(), "once it is over, the model may be trained");
        }
    }
}
