package io.github.microgpt.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.github.microgpt.model.ArrayGptModel;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.GptModel;
import io.github.microgpt.model.LanguageModel;
import io.github.microgpt.optim.AdamOptimizer;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.text.Tokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * A step whose listener throws leaves the trainer as it was before the step, so that doing the
 * step again gives the uninterrupted run bit for bit; a step listener, told after the update,
 * sees a step that is done.
 */
class FailedStepTest {

    private static final List<String> DOCS = List.of("emma", "olivia", "ava", "isabella", "sophia", "mia");
    private static final Tokenizer TOKENIZER = Tokenizer.fromDocuments(DOCS);
    private static final int STEPS = 6;
    private static final int FAILING_STEP = 2;

    private enum Hook { POSITION, GRADIENT, STEP }

    private static final class Boom extends RuntimeException {
        private static final long serialVersionUID = 1L;
    }

    private static Supplier<LanguageModel> engine(String name) {
        GptConfig config = new GptConfig(1, 8, 2, 8, 0.08);
        return switch (name) {
            case "value" -> () -> GptModel.create(config, TOKENIZER.vocabSize(), new PythonRandom(42));
            default -> () -> ArrayGptModel.create(config, TOKENIZER.vocabSize(), new PythonRandom(42));
        };
    }

    private static Trainer trainer(LanguageModel model) {
        return new Trainer(model, TOKENIZER, DOCS, new AdamOptimizer(model.numParameters()), STEPS);
    }

    private static List<Double> run(Trainer trainer, StepMode mode, Hook hook, boolean batch) {
        boolean[] armed = {true};
        switch (hook) {
            case POSITION -> trainer.addPositionListener(e -> fail(trainer, armed));
            case GRADIENT -> trainer.addGradientListener(e -> fail(trainer, armed));
            case STEP -> trainer.addStepListener(e -> {
                if (armed[0] && e.step() == FAILING_STEP + 1) {
                    armed[0] = false;
                    throw new Boom();
                }
            });
        }
        List<Double> losses = new ArrayList<>();
        while (!trainer.isFinished()) {
            int before = trainer.stepsDone();
            try {
                losses.add(batch ? trainer.stepBatch(Minibatch.of(2)).loss() : trainer.step(mode).loss());
            } catch (Boom e) {
                int expected = hook == Hook.STEP ? before + 1 : before;
                assertEquals(expected, trainer.stepsDone(), "steps done after a failed " + hook + " listener");
            }
        }
        return losses;
    }

    private static void fail(Trainer trainer, boolean[] armed) {
        if (armed[0] && trainer.stepsDone() == FAILING_STEP) {
            armed[0] = false;
            throw new Boom();
        }
    }

    @TestFactory
    Stream<DynamicTest> aRetriedStepGivesTheUninterruptedRun() {
        List<DynamicTest> tests = new ArrayList<>();
        for (String engineName : List.of("value", "array")) {
            for (StepMode mode : StepMode.values()) {
                for (boolean batch : new boolean[] {false, true}) {
                    if (batch && mode == StepMode.POSITION) {
                        continue;
                    }
                    for (Hook hook : Hook.values()) {
                        String name = engineName + " " + (batch ? "batch" : mode) + " " + hook;
                        tests.add(DynamicTest.dynamicTest(name, () -> {
                            Supplier<LanguageModel> engine = engine(engineName);
                            Trainer plain = trainer(engine.get());
                            List<Double> expected = new ArrayList<>();
                            while (!plain.isFinished()) {
                                expected.add(batch ? plain.stepBatch(Minibatch.of(2)).loss() : plain.step(mode).loss());
                            }
                            Trainer interrupted = trainer(engine.get());
                            List<Double> losses = run(interrupted, mode, hook, batch);
                            if (hook == Hook.STEP) {
                                // The failed step was applied; its loss went unreturned.
                                losses.add(FAILING_STEP, expected.get(FAILING_STEP));
                            }
                            assertEquals(expected, losses, name);
                            assertArrayEquals(plain.model().parameters().values(),
                                    interrupted.model().parameters().values(), name);
                            assertArrayEquals(plain.optimizer().firstMoments(), interrupted.optimizer().firstMoments(), name);
                            assertArrayEquals(plain.optimizer().secondMoments(), interrupted.optimizer().secondMoments(), name);
                            assertEquals(plain.state(), interrupted.state(), name);
                        }));
                    }
                }
            }
        }
        return tests.stream();
    }

    @TestFactory
    Stream<DynamicTest> aFailedStepLeavesNoGradient() {
        return Stream.of("value", "array").map(engineName -> DynamicTest.dynamicTest(engineName, () -> {
            Trainer trainer = trainer(engine(engineName).get());
            trainer.addGradientListener(e -> {
                throw new Boom();
            });
            assertThrows(Boom.class, () -> trainer.step(StepMode.DOCUMENT));
            for (double g : trainer.model().parameters().grads()) {
                assertEquals(0.0, g);
            }
            assertEquals(0, trainer.stepsDone());
        }));
    }

    /**
     * The public constructor took any step, a null document and a finite loss, and made an
     * exception that said "training diverged at step -1 on the document \"null\": the loss is
     * 1.0". Each is refused, naming what is wrong.
     */
    @org.junit.jupiter.api.Test
    void aDivergenceIsAStepFromOneWithADocumentAndALossThatIsNotFinite() {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> new TrainingDivergedException(-1, "ab", Double.NaN));
        org.junit.jupiter.api.Assertions.assertEquals("the step of a divergence is numbered from 1, got -1",
                e.getMessage());
        e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> new TrainingDivergedException(3, "ab", 1.0));
        org.junit.jupiter.api.Assertions.assertEquals("a divergence is a loss that is NaN or infinite, got the finite"
                + " loss 1.0 at step 3", e.getMessage());
        NullPointerException n = org.junit.jupiter.api.Assertions.assertThrows(NullPointerException.class,
                () -> new TrainingDivergedException(3, null, Double.NaN));
        org.junit.jupiter.api.Assertions.assertEquals("document", n.getMessage());
        TrainingDivergedException ok = new TrainingDivergedException(1, "ab", Double.POSITIVE_INFINITY);
        org.junit.jupiter.api.Assertions.assertEquals("training diverged at step 1 on the document \"ab\": the loss is"
                + " Infinity", ok.getMessage());
        // A quote or a backslash in the document is escaped, as in a Java literal: it was printed as it is.
        org.junit.jupiter.api.Assertions.assertEquals("training diverged at step 2 on the document \"a\\\"b\\\\\":"
                + " the loss is NaN", new TrainingDivergedException(2, "a\"b\\", Double.NaN).getMessage());
    }
}
