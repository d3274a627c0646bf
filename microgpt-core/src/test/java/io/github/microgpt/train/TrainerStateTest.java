package io.github.microgpt.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.GptModel;
import io.github.microgpt.optim.AdamOptimizer;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.testing.Cases;
import io.github.microgpt.text.Tokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** {@link Trainer#state()} and {@link Trainer#restore}: a restored trainer carries on exactly. */
class TrainerStateTest {

    private static final List<String> DOCS = List.of("anna", "bob", "caroline", "d", "eve", "bea");
    private static final Tokenizer TOKENIZER = Tokenizer.fromDocuments(DOCS);
    private static final GptConfig CONFIG = new GptConfig(1, 8, 2, 6, 0.08);

    private static Trainer trainer(GptModel model, AdamOptimizer optimizer, int totalSteps) {
        return new Trainer(model, TOKENIZER, DOCS, optimizer, totalSteps);
    }

    /** Runs the steps of a mode pattern (true = POSITION) and returns the losses. */
    private static List<Double> run(Trainer trainer, boolean[] pattern, int from, int to) {
        List<Double> losses = new ArrayList<>();
        for (int s = from; s < to; s++) {
            losses.add(trainer.step(pattern[s] ? StepMode.POSITION : StepMode.DOCUMENT).loss());
        }
        return losses;
    }

    @TestFactory
    Stream<DynamicTest> aRestoredTrainerRunsTheSameStepsAsTheOriginal() {
        return Cases.dynamicTests("trainer restore", 12, g -> {
            boolean[] pattern = new boolean[30];
            for (int i = 0; i < pattern.length; i++) {
                pattern[i] = g.chance(0.5);
            }
            return new Object[] {g.nextLong(), g.intIn(0, 29), pattern};
        }, c -> {
            long seed = (long) c[0];
            int cut = (int) c[1];
            boolean[] pattern = (boolean[]) c[2];
            GptModel model = GptModel.create(CONFIG, TOKENIZER.vocabSize(), new PythonRandom(seed));
            AdamOptimizer optimizer = new AdamOptimizer(model.numParameters());
            Trainer original = trainer(model, optimizer, 30);
            run(original, pattern, 0, cut);
            TrainerState state = original.state();
            double[] weights = model.parameters().values();
            double[] m = optimizer.firstMoments();
            double[] v = optimizer.secondMoments();
            List<Double> expected = run(original, pattern, cut, 30);

            GptModel copy = GptModel.create(CONFIG, TOKENIZER.vocabSize(), new PythonRandom(seed + 1));
            for (int i = 0; i < weights.length; i++) {
                copy.parameters().setValue(i, weights[i]);
            }
            AdamOptimizer restoredOptimizer = new AdamOptimizer(copy.numParameters());
            restoredOptimizer.restoreMoments(m, v);
            Trainer restored = trainer(copy, restoredOptimizer, 30);
            restored.restore(state);
            assertEquals(state, restored.state());
            List<Double> actual = run(restored, pattern, cut, 30);
            for (int i = 0; i < expected.size(); i++) {
                assertEquals(Double.doubleToRawLongBits(expected.get(i)), Double.doubleToRawLongBits(actual.get(i)),
                        "loss of step " + (cut + i + 1));
            }
            assertArrayEquals(model.parameters().values(), copy.parameters().values());
        });
    }

    @Test
    void theStateNamesTheStepAndThePlace() {
        GptModel model = GptModel.create(CONFIG, TOKENIZER.vocabSize(), new PythonRandom(1));
        Trainer trainer = trainer(model, new AdamOptimizer(model.numParameters()), 10);
        assertEquals(new TrainerState(0, 10, 0, 0), trainer.state());
        trainer.step(StepMode.POSITION);
        trainer.step(StepMode.POSITION);
        assertEquals(new TrainerState(2, 10, 0, 2), trainer.state());
        for (int i = 0; i < 3; i++) {
            trainer.step(StepMode.POSITION);   // "anna" has 5 positions (BOS a n n a -> a n n a BOS)
        }
        assertEquals(new TrainerState(5, 10, 1, 0), trainer.state());
        trainer.step(StepMode.DOCUMENT);
        assertEquals(new TrainerState(6, 10, 2, 0), trainer.state(), "a document step moves the place on too");
    }

    @Test
    void restoreRejectsAStateThatDoesNotFitAndChangesNothing() {
        GptModel model = GptModel.create(CONFIG, TOKENIZER.vocabSize(), new PythonRandom(1));
        Trainer trainer = trainer(model, new AdamOptimizer(model.numParameters()), 10);
        trainer.step(StepMode.POSITION);
        TrainerState before = trainer.state();
        assertTrue(assertThrows(IllegalArgumentException.class, () -> trainer.restore(new TrainerState(3, 11, 0, 0)))
                .getMessage().contains("11 steps"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> trainer.restore(new TrainerState(3, 10, 6, 0)))
                .getMessage().contains("only 6 documents"));
        // "d" is document 3: BOS d BOS has 2 trainable positions, 0 and 1.
        assertTrue(assertThrows(IllegalArgumentException.class, () -> trainer.restore(new TrainerState(3, 10, 3, 2)))
                .getMessage().contains("past the 2 trainable positions"));
        assertEquals(before, trainer.state());
        trainer.restore(new TrainerState(3, 10, 3, 1));
        assertEquals(new TrainerState(3, 10, 3, 1), trainer.state());
        trainer.restore(new TrainerState(10, 10, 0, 0));
        assertTrue(trainer.isFinished(), "a finished run can be restored, and has nothing left to do");
    }

    @Test
    void theStateRecordChecksItsOwnRanges() {
        assertThrows(IllegalArgumentException.class, () -> new TrainerState(0, 0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new TrainerState(11, 10, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new TrainerState(-1, 10, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new TrainerState(0, 10, -1, 0));
        assertThrows(IllegalArgumentException.class, () -> new TrainerState(0, 10, 0, -1));
    }
}
