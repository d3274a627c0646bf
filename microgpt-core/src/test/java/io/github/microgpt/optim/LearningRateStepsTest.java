package io.github.microgpt.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** A learning rate is asked for a step of the run: {@code 0 <= stepIndex < totalSteps}, {@code totalSteps >= 1}. */
class LearningRateStepsTest {

    private static void refused(Executable call, String... words) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        for (String word : words) {
            assertTrue(e.getMessage().contains(word), "\"" + e.getMessage() + "\" should contain \"" + word + "\"");
        }
    }

    @Test
    void theSchedulesRefuseStepsOutsideTheRun() {
        for (LearningRateSchedule schedule : new LearningRateSchedule[] {
                LearningRateSchedule.LINEAR_DECAY, LearningRateSchedule.CONSTANT}) {
            refused(() -> schedule.rate(0.01, 5, 3), "step", "5", "2");
            refused(() -> schedule.rate(0.01, 3, 3), "step", "3");
            refused(() -> schedule.rate(0.01, -1, 3), "step", "-1");
            refused(() -> schedule.rate(0.01, 0, 0), "totalSteps", "0");
            refused(() -> schedule.rate(0.01, 0, -4), "totalSteps", "-4");
        }
        assertEquals(0.01, LearningRateSchedule.LINEAR_DECAY.rate(0.01, 0, 3));
        assertEquals(0.01 * (1 - 2.0 / 3), LearningRateSchedule.LINEAR_DECAY.rate(0.01, 2, 3));
        assertEquals(0.01, LearningRateSchedule.CONSTANT.rate(0.01, 0, 1));
    }

    /**
     * The refusal names the parameter as the signatures do, {@code stepIndex}, and says it counts
     * from 0, since the trainer's events count from 1 (before, it said "step", the events' word).
     */
    @Test
    void aRefusedIndexIsCalledAStepIndexCountedFromZero() {
        refused(() -> new AdamOptimizer(4).learningRate(3, 3), "stepIndex 3", "counts from 0",
                "StepEvent numbers 1 has index 0");
        refused(() -> LearningRateSchedule.LINEAR_DECAY.rate(0.01, 3, 3), "stepIndex must be from 0",
                "counts from 0");
    }

    @Test
    void theOptimizerRefusesThemForAnySchedule() {
        AdamOptimizer adam = new AdamOptimizer(4);
        refused(() -> adam.learningRate(0, 0), "totalSteps", "0");
        refused(() -> adam.learningRate(-1, 3), "step", "-1");
        refused(() -> adam.learningRate(3, 3), "step", "3");
        // A schedule of your own need not check: the optimizer does before asking it.
        AdamOptimizer own = new AdamOptimizer(4, AdamSettings.defaults().withSchedule((rate, step, total) -> rate));
        refused(() -> own.learningRate(7, 3), "step", "7");
        assertEquals(0.01, adam.learningRate(0, 1));
    }

    /**
     * A schedule of the user's own that gives a NaN, infinite or negative rate is refused at the
     * step that asks for it, naming the rate and the step, and the step changes nothing: a
     * negative rate climbed the loss without a word (224 at step 2 of the reference model), and a
     * NaN or infinite one was reported a step later as "training diverged", far from its cause.
     */
    @Test
    void aScheduleThatGivesARateThatIsNotAFiniteNonNegativeNumberIsRefusedAtItsStep() {
        java.util.List<String> docs = java.util.List.of("emma", "olivia", "ava", "isabella");
        io.github.microgpt.text.Tokenizer tokenizer = io.github.microgpt.text.Tokenizer.fromDocuments(docs);
        for (double bad : new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -1e-9}) {
            for (io.github.microgpt.model.Engine engine : io.github.microgpt.model.Engine.values()) {
                io.github.microgpt.model.LanguageModel model = engine.create(
                        io.github.microgpt.model.GptConfig.defaults(), tokenizer.vocabSize(),
                        new io.github.microgpt.random.PythonRandom(42), io.github.microgpt.model.Precision.F64);
                LearningRateSchedule schedule = (rate, step, total) -> step == 0 ? rate : bad;
                io.github.microgpt.train.Trainer trainer = new io.github.microgpt.train.Trainer(model, tokenizer, docs,
                        new AdamOptimizer(model.numParameters(), AdamSettings.defaults().withSchedule(schedule)), 3);
                trainer.step(io.github.microgpt.train.StepMode.DOCUMENT);
                double[] before = model.parameters().values();
                IllegalStateException e = assertThrows(IllegalStateException.class,
                        () -> trainer.step(io.github.microgpt.train.StepMode.DOCUMENT), engine + " " + bad);
                assertTrue(e.getMessage().contains("gave the rate " + bad + " for stepIndex 1 of 3")
                        && e.getMessage().contains("a rate must be finite and 0 or more"), e.getMessage());
                // A lambda is named by the class that wrote it, not as Test$$Lambda/0x...@1a2b3c.
                assertTrue(e.getMessage().startsWith("the learning-rate schedule (a lambda written in "
                        + LearningRateStepsTest.class.getName() + ") gave the rate"), e.getMessage());
                assertEquals(1, trainer.stepsDone(), "the refused step is not counted");
                org.junit.jupiter.api.Assertions.assertArrayEquals(before, model.parameters().values(),
                        "the refused step changed no weight");
            }
        }
        AdamOptimizer zero = new AdamOptimizer(4, AdamSettings.defaults().withSchedule((rate, step, total) -> 0.0));
        assertEquals(0.0, zero.learningRate(0, 3), "a rate of 0 is a rate (a warm-up may start there)");
        assertEquals("AdamOptimizer[learningRate=0.01, beta1=0.85, beta2=0.99, eps=1.0E-8, schedule=a lambda written"
                + " in " + LearningRateStepsTest.class.getName() + ", size=4]", zero.toString());
    }
}
