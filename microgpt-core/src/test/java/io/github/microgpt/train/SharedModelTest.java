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
 * Two trainers that share one model and step it from two threads at once: the second step is
 * refused before it changes anything, and the first ends as it would alone. Before, their
 * gradients and updates mixed without a word (on the array engine one of them then reported a
 * divergence that was not one).
 */
class SharedModelTest {

    private static final List<String> DOCS = List.of("emma", "olivia", "ava", "isabella", "sophia");
    private static final Tokenizer TOKENIZER = Tokenizer.fromDocuments(DOCS);

    private static LanguageModel model(Engine engine) {
        return engine.create(GptConfig.defaults(), TOKENIZER.vocabSize(), new PythonRandom(42), Precision.F64);
    }

    private static Trainer trainer(LanguageModel model) {
        return new Trainer(model, TOKENIZER, DOCS, new AdamOptimizer(model.numParameters()), 4);
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void aSecondTrainerSteppingTheSameModelOnAnotherThreadIsRefusedAndChangesNothing(Engine engine) throws Exception {
        for (Function<Trainer, StepEvent> step : List.<Function<Trainer, StepEvent>>of(
                t -> t.step(StepMode.DOCUMENT), t -> t.stepBatch(Minibatch.of(2)))) {
            LanguageModel alone = model(engine);
            StepEvent expected = step.apply(trainer(alone));

            LanguageModel shared = model(engine);
            Trainer first = trainer(shared);
            Trainer second = trainer(shared);
            CountDownLatch inStep = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            double[][] seen = new double[2][];
            // A gradient listener holds the first step between its backward pass and its update.
            first.addGradientListener(e -> {
                seen[0] = shared.parameters().values();
                seen[1] = shared.parameters().grads();
                inStep.countDown();
                try {
                    assertTrue(release.await(60, TimeUnit.SECONDS));
                } catch (InterruptedException ex) {
                    throw new IllegalStateException(ex);
                }
            });
            CompletableFuture<StepEvent> running = CompletableFuture.supplyAsync(() -> step.apply(first));
            assertTrue(inStep.await(60, TimeUnit.SECONDS), "the first step reached its gradients");
            ConcurrentModificationException refused = assertThrows(ConcurrentModificationException.class,
                    () -> step.apply(second));
            assertTrue(refused.getMessage().startsWith("the model is being trained on the thread \"")
                    && refused.getMessage().contains("a model is trained from one thread at a time"), refused.getMessage());
            // The same trainer stepped from a second thread is refused alike, and not called another.
            ConcurrentModificationException same = assertThrows(ConcurrentModificationException.class,
                    () -> step.apply(first));
            assertTrue(same.getMessage().contains("(by another trainer, or by this one from another thread)"),
                    same.getMessage());
            assertEquals(0, second.stepsDone(), "the refused step is not counted");
            assertArrayEquals(seen[0], shared.parameters().values(), "the refused step changed no weight");
            assertArrayEquals(seen[1], shared.parameters().grads(), "nor any gradient of the step under way");
            release.countDown();
            StepEvent done = running.get(60, TimeUnit.SECONDS);
            assertEquals(expected, done, "the first step is the step alone, bit for bit");
            assertArrayEquals(alone.parameters().values(), shared.parameters().values());
            // Once it is over, the other trainer may step the model.
            assertEquals(1, step.apply(second).step());
        }
    }
}
