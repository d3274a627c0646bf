package io.github.microgpt.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.GptModel;
import io.github.microgpt.optim.AdamOptimizer;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.text.Tokenizer;
import io.github.microgpt.train.StepListener;
import io.github.microgpt.train.StepMode;
import io.github.microgpt.train.Trainer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The checkpoint package's public types refuse arguments that can only be mistakes, and say which. */
class CheckpointApiEdgesTest {

    private static final List<String> DOCS = List.of("anna", "bob", "emma");
    private static final Tokenizer TOKENIZER = Tokenizer.fromDocuments(DOCS);

    private static Trainer trainer(int stepsDone) {
        GptModel model = GptModel.create(new GptConfig(1, 8, 2, 6, 0.1), TOKENIZER.vocabSize(), new PythonRandom(1));
        Trainer trainer = new Trainer(model, TOKENIZER, DOCS, new AdamOptimizer(model.numParameters()), 10);
        for (int i = 0; i < stepsDone; i++) {
            trainer.step(StepMode.DOCUMENT);
        }
        return trainer;
    }

    /**
     * Only the trainer adds a loss: a history is no {@code StepListener} (before, anyone could call
     * its {@code onStep} with a made-up step), and {@code stop()} is how it is detached.
     */
    @Test
    void onlyTheTrainerAddsALossAndStopDetachesIt() {
        assertFalse(StepListener.class.isAssignableFrom(LossHistory.class));
        Trainer trainer = trainer(0);
        LossHistory history = LossHistory.recording(trainer);
        trainer.step(StepMode.DOCUMENT);
        history.stopRecording();
        trainer.step(StepMode.DOCUMENT);
        history.stopRecording();
        assertEquals(1, history.losses().length, "the step after stopRecording() is not recorded");
    }

    @Test
    void aHistoryOfAnotherLengthThanTheStepsDoneIsRefused() {
        Trainer trainer = trainer(2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LossHistory.continuing(trainer, new double[] {3.1, 3.0, 2.9, 2.8, 2.7}));
        assertTrue(e.getMessage().contains("5 losses") && e.getMessage().contains("2 steps"), e.getMessage());
    }

    @Test
    void recordingATrainerThatHasSteppedIsRefusedAsContinuingAMisalignedHistoryIs() {
        Trainer trainer = trainer(2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LossHistory.recording(trainer));
        assertTrue(e.getMessage().contains("has done 2 steps") && e.getMessage().contains("LossHistory.continuing"),
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> LossHistory.recording(trainer(1)), "one step is one too many");
    }

    @Test
    void aHistoryOfOneLossPerStepDoneGoesOn() {
        Trainer trainer = trainer(2);
        LossHistory history = LossHistory.continuing(trainer, new double[] {3.1, 3.0});
        double loss = trainer.step(StepMode.DOCUMENT).loss();
        assertArrayEquals(new double[] {3.1, 3.0, loss}, history.losses());
    }

    @Test
    void anEmptyHistoryOfAnOlderCheckpointStaysEmpty() {
        Trainer trainer = trainer(2);
        LossHistory history = LossHistory.continuing(trainer, new double[0]);
        trainer.step(StepMode.DOCUMENT);
        assertEquals(0, history.losses().length);
    }

    @Test
    void aCheckpointExceptionNeedsAFileAndAProblem() {
        NullPointerException noFile = assertThrows(NullPointerException.class,
                () -> new CheckpointException(null, "is damaged"));
        assertEquals("file", noFile.getMessage());
        NullPointerException noProblem = assertThrows(NullPointerException.class,
                () -> new CheckpointException(Path.of("run"), null, null));
        assertEquals("problem", noProblem.getMessage());
    }

    @Test
    void theLossHistoryGrowsToTheLargestArrayWithoutOverflowing() {
        // Doubling 2^30 overflowed to a negative size: a run past 1,073,741,824 steps failed with
        // a NegativeArraySizeException instead of growing.
        assertEquals(32, LossHistory.grown(16));
        assertEquals(LossHistory.MAX_LENGTH, LossHistory.grown(1 << 30));
        assertEquals(LossHistory.MAX_LENGTH, LossHistory.grown(LossHistory.MAX_LENGTH - 1));
        IllegalStateException full = assertThrows(IllegalStateException.class,
                () -> LossHistory.grown(LossHistory.MAX_LENGTH));
        assertTrue(full.getMessage().contains("at most " + LossHistory.MAX_LENGTH + " steps"), full.getMessage());
    }
}
