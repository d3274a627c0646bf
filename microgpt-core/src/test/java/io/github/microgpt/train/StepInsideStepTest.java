package io.github.microgpt.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.checkpoint.Checkpoint;
import io.github.microgpt.model.Engine;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.LanguageModel;
import io.github.microgpt.model.Precision;
import io.github.microgpt.optim.AdamOptimizer;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.text.Tokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A listener told in the middle of a step (position, gradient, attention: after the backward pass,
 * before the update) that starts another step of the same model is refused, and the step around
 * it is abandoned as any step whose listener throws. Before, the inner step ran on the same
 * document under the same number, added its gradients to the outer step's, and the outer step
 * then applied what was left: two events "step 1", and weights that neither one step nor two
 * would give, without a word. A step listener, told after the update, may step again.
 */
class StepInsideStepTest {

    private static final List<String> DOCS = List.of("emma", "olivia", "ava", "isabella", "sophia");
    private static final Tokenizer TOKENIZER = Tokenizer.fromDocuments(DOCS);

    /** Where a listener is told, and how it is added. */
    enum Hook {
        POSITION, GRADIENT, ATTENTION
    }

    @TempDir
    Path tmp;

    private static LanguageModel model(Engine engine) {
        return engine.create(GptConfig.defaults(), TOKENIZER.vocabSize(), new PythonRandom(42), Precision.F64);
    }

    private static Trainer trainer(LanguageModel model) {
        return new Trainer(model, TOKENIZER, DOCS, new AdamOptimizer(model.numParameters()), 4);
    }

    /** Adds, at the hook, a listener that runs {@code action} the first time it is told. */
    private static void once(Hook hook, Trainer trainer, Runnable action) {
        boolean[] done = {false};
        Runnable first = () -> {
            if (!done[0]) {
                done[0] = true;
                action.run();
            }
        };
        switch (hook) {
            case POSITION -> trainer.addPositionListener(e -> first.run());
            case GRADIENT -> trainer.addGradientListener(e -> first.run());
            case ATTENTION -> trainer.model().addAttentionListener(e -> first.run());
            default -> throw new AssertionError(hook);
        }
    }

    private static void assertRefusedInside(Engine engine, Hook hook, Consumer<Trainer> inner) {
        LanguageModel model = model(engine);
        double[] before = model.parameters().values();
        Trainer trainer = trainer(model);
        List<StepEvent> steps = new ArrayList<>();
        trainer.addStepListener(steps::add);
        IllegalStateException[] refused = {null};
        once(hook, trainer, () -> {
            refused[0] = assertThrows(IllegalStateException.class, () -> inner.accept(trainer));
            throw refused[0];
        });
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> trainer.step(StepMode.DOCUMENT));
        assertSame(refused[0], e);
        assertTrue(e.getMessage().startsWith("the model is being trained on this thread already: a listener told in the"
                + " middle of a training step"), e.getMessage());
        assertEquals(0, trainer.stepsDone(), "the outer step is abandoned");
        assertEquals(List.of(), steps, "no step was told");
        assertArrayEquals(before, model.parameters().values(), "the weights are unchanged");

        // The step runs again as the first step of an undisturbed run.
        LanguageModel alone = model(engine);
        StepEvent expected = trainer(alone).step(StepMode.DOCUMENT);
        assertEquals(expected.loss(), trainer.step(StepMode.DOCUMENT).loss());
        assertArrayEquals(alone.parameters().values(), model.parameters().values());
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void aStepStartedByAListenerInsideAStepIsRefused(Engine engine) {
        for (Hook hook : Hook.values()) {
            assertRefusedInside(engine, hook, trainer -> trainer.step(StepMode.DOCUMENT));
            assertRefusedInside(engine, hook, trainer -> trainer.stepBatch(Minibatch.of(2)));
            // Another trainer of the same model is refused alike: the gradients are the model's.
            assertRefusedInside(engine, hook, trainer -> trainer(trainer.model()).step(StepMode.POSITION));
        }
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void aLoadStartedByAListenerInsideAStepIsRefused(Engine engine) throws IOException {
        Path saved = tmp.resolve(engine.name());
        Checkpoint.save(saved, model(engine), TOKENIZER);
        Checkpoint checkpoint = Checkpoint.load(saved);
        // The load would set the gradients to 0 under the step, which would then move the loaded weights.
        assertRefusedInside(engine, Hook.GRADIENT, trainer -> checkpoint.loadInto(trainer.model()));
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void aStepListenerMayStepAgain(Engine engine) {
        LanguageModel model = model(engine);
        Trainer trainer = trainer(model);
        List<Integer> told = new ArrayList<>();
        trainer.addStepListener(e -> {
            told.add(e.step());
            if (e.step() == 1) {
                trainer.step(StepMode.DOCUMENT);
            }
        });
        assertEquals(1, trainer.step(StepMode.DOCUMENT).step());
        assertEquals(List.of(1, 2), told);

        LanguageModel alone = model(engine);
        Trainer twice = trainer(alone);
        twice.step(StepMode.DOCUMENT);
        twice.step(StepMode.DOCUMENT);
        assertArrayEquals(alone.parameters().values(), model.parameters().values(), "two steps, one after the other");
    }
}
