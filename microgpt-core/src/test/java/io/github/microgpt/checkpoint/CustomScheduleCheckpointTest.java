package io.github.microgpt.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.model.GptModel;
import io.github.microgpt.optim.AdamOptimizer;
import io.github.microgpt.optim.AdamSettings;
import io.github.microgpt.optim.LearningRateSchedule;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.train.StepMode;
import io.github.microgpt.train.Trainer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run with a learning-rate schedule of your own saves as any other (before, the save failed, at
 * the end of the run, since a checkpoint cannot hold the schedule's code), and resumes only with
 * the same schedule given back, checked by its rates at every step.
 */
class CustomScheduleCheckpointTest {

    private static final int STEPS = 6;

    /** A cosine decay, the natural exercise. */
    private static final LearningRateSchedule COSINE =
            (base, stepIndex, total) -> base * 0.5 * (1 + Math.cos(Math.PI * stepIndex / total));

    @TempDir
    Path tmp;

    private static Trainer trainer(LearningRateSchedule schedule) {
        GptModel model = GptModel.create(CheckpointTest.CONFIG, CheckpointTest.TOKENIZER.vocabSize(),
                new PythonRandom(5));
        return new Trainer(model, CheckpointTest.TOKENIZER, CheckpointTest.DOCS,
                new AdamOptimizer(model.numParameters(), AdamSettings.defaults().withSchedule(schedule)), STEPS);
    }

    private Path saveAfterHalf() throws Exception {
        Trainer trainer = trainer(COSINE);
        for (int i = 0; i < STEPS / 2; i++) {
            trainer.step(StepMode.DOCUMENT);
        }
        Path dir = tmp.resolve("cosine");
        Checkpoint.save(dir, trainer.model(), CheckpointTest.TOKENIZER, TrainingState.capture(trainer,
                new PythonRandom(5), StepMode.DOCUMENT, Map.of(), null, null));
        return dir;
    }

    @Test
    void aRunWithItsOwnScheduleResumesBitForBitWithTheScheduleGivenBack() throws Exception {
        Trainer uninterrupted = trainer(COSINE);
        uninterrupted.run(StepMode.DOCUMENT);

        Path dir = saveAfterHalf();
        String json = Files.readString(dir.resolve(Format.TRAINER_FILE), StandardCharsets.UTF_8);
        assertTrue(json.contains("\"custom\""), json);
        assertTrue(json.contains("schedule_sha256"), json);

        Checkpoint loaded = Checkpoint.load(dir);
        assertEquals("custom", loaded.training().orElseThrow().optimizer().scheduleName());
        CheckpointException missing = assertThrows(CheckpointException.class,
                () -> loaded.resumeWith(CheckpointTest.DOCS));
        assertTrue(missing.getMessage().contains("withSchedule"), missing.getMessage());
        assertEquals(dir.resolve(Format.TRAINER_FILE), missing.file());
        IllegalStateException noRates = assertThrows(IllegalStateException.class,
                () -> loaded.training().orElseThrow().optimizer().toOptimizer());
        assertTrue(noRates.getMessage().contains("withSchedule"), noRates.getMessage());

        ResumedTraining resumed = loaded.withSchedule(COSINE).resumeWith(CheckpointTest.DOCS);
        resumed.trainer().run(StepMode.DOCUMENT);
        assertEquals(STEPS, resumed.trainer().stepsDone());
        assertArrayEquals(uninterrupted.model().parameters().values(), resumed.model().parameters().values(), 0.0,
                "the same weights, bit for bit, as the uninterrupted run");
    }

    /**
     * Restoring a loaded state into an optimizer of the run's own schedule: the state holds the
     * schedule by its rates only, so the settings differ, and the refusal says that it is the
     * schedule and how to give it back (it said "the state's settings AdamSettings[...] are not
     * this optimizer's ..." and sent the reader to state.toOptimizer(), which refuses too).
     */
    @Test
    void restoringALoadedStateOfAnOwnScheduleNamesTheScheduleAndHowToGiveItBack() throws Exception {
        Checkpoint loaded = Checkpoint.load(saveAfterHalf());
        OptimizerState state = loaded.training().orElseThrow().optimizer();
        AdamOptimizer own = new AdamOptimizer(state.size(), AdamSettings.defaults().withSchedule(COSINE));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> own.restore(state));
        assertTrue(e.getMessage().startsWith("the state's settings differ from this optimizer's in the schedule: the run"
                + " used a learning-rate schedule of its own (" + CustomScheduleCheckpointTest.class.getName()
                + "$$Lambda)"), e.getMessage());
        assertTrue(e.getMessage().contains("Checkpoint.withSchedule(schedule)"), e.getMessage());
        assertTrue(!e.getMessage().contains("toOptimizer"), e.getMessage());
        assertArrayEquals(new double[state.size()], own.firstMoments(), "unchanged");

        own.restore(loaded.withSchedule(COSINE).training().orElseThrow().optimizer());
        assertArrayEquals(state.firstMoments(), own.firstMoments(), "the state of the checkpoint withSchedule returns");
    }

    @Test
    void anotherScheduleIsRefusedByItsRates() throws Exception {
        Checkpoint loaded = Checkpoint.load(saveAfterHalf());
        // The same formula but for one step: still another run.
        LearningRateSchedule almost = (base, stepIndex, total) -> stepIndex == STEPS - 1
                ? 0.0 : COSINE.rate(base, stepIndex, total);
        for (LearningRateSchedule other : new LearningRateSchedule[] {LearningRateSchedule.LINEAR_DECAY, almost}) {
            CheckpointException e = assertThrows(CheckpointException.class, () -> loaded.withSchedule(other));
            assertTrue(e.getMessage().contains("other learning rates"), e.getMessage());
        }
    }

    @Test
    void aBuiltInScheduleNeedsNothingGivenBack() throws Exception {
        Trainer trainer = trainer(LearningRateSchedule.LINEAR_DECAY);
        trainer.step(StepMode.DOCUMENT);
        Path dir = tmp.resolve("linear");
        Checkpoint.save(dir, trainer.model(), CheckpointTest.TOKENIZER, TrainingState.capture(trainer,
                new PythonRandom(5), StepMode.DOCUMENT, Map.of(), null, null));
        Checkpoint loaded = Checkpoint.load(dir);
        CheckpointException e = assertThrows(CheckpointException.class, () -> loaded.withSchedule(COSINE));
        assertTrue(e.getMessage().contains("\"linear_decay\""), e.getMessage());
        assertEquals(1, loaded.resumeWith(CheckpointTest.DOCS).trainer().stepsDone());
    }
}
