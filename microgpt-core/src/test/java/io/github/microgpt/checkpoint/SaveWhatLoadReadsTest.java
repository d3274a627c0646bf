package io.github.microgpt.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.GptModel;
import io.github.microgpt.optim.AdamOptimizer;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.text.Tokenizer;
import io.github.microgpt.train.StepMode;
import io.github.microgpt.train.Trainer;
import io.github.microgpt.train.TrainerState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A training state that {@link Checkpoint#load} would refuse is refused when it is made (or
 * saved), with nothing written: before, {@code save} wrote it without a word and the checkpoint
 * could then never be loaded ("the files do not agree"), a run's hours lost at the next start.
 */
class SaveWhatLoadReadsTest {

    private static final GptConfig CONFIG = new GptConfig(1, 8, 2, 8, 0.1);
    private static final List<String> DOCS = List.of("anna", "bob", "carla");
    private static final Tokenizer TOKENIZER = Tokenizer.fromDocuments(DOCS);

    @TempDir
    Path tmp;

    @Test
    void aFreshTrainerOnAUsedOptimizerIsRefusedNotSavedUnloadable() throws Exception {
        GptModel model = GptModel.create(CONFIG, TOKENIZER.vocabSize(), new PythonRandom(1));
        AdamOptimizer optimizer = new AdamOptimizer(model.numParameters());
        new Trainer(model, TOKENIZER, DOCS, optimizer, 5).step(StepMode.DOCUMENT);
        // A second run on the same (warm) optimizer, saved before its first step: a checkpoint
        // records the moments and the step, and a run at step 0 has zero moments, so a load
        // refuses such files. The state is refused where it is made instead.
        Trainer second = new Trainer(model, TOKENIZER, DOCS, optimizer, 5);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TrainingState.capture(second, null, StepMode.DOCUMENT, Map.of(), null, null));
        assertTrue(e.getMessage().contains("no step is done") && e.getMessage().contains("moment"), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("run")));
    }

    @Test
    void aPlaceBeyondTheDocumentsOrMovedBeforeAnyStepIsRefused() {
        OptimizerState zero = new AdamOptimizer(4).state();
        DataFingerprint three = DataFingerprint.of(DOCS);
        IllegalArgumentException beyond = assertThrows(IllegalArgumentException.class, () -> new TrainingState(
                new TrainerState(2, 5, 3, 0), zero, null, null, three, Map.of(), null, null));
        assertTrue(beyond.getMessage().contains("document 3") && beyond.getMessage().contains("3 documents"),
                beyond.getMessage());
        IllegalArgumentException moved = assertThrows(IllegalArgumentException.class, () -> new TrainingState(
                new TrainerState(0, 5, 1, 0), zero, null, null, three, Map.of(), null, null));
        assertTrue(moved.getMessage().contains("(0, 0)"), moved.getMessage());
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class, () -> new TrainingState(
                new TrainerState(0, 5, 0, 0), zero, null, null, DataFingerprint.of(List.of()), Map.of(), null, null));
        assertTrue(none.getMessage().contains("no document"), none.getMessage());
        // What a trainer makes is accepted, as before.
        assertEquals(new TrainerState(2, 5, 2, 0), new TrainingState(new TrainerState(2, 5, 2, 0), zero, null, null,
                three, Map.of(), null, null).trainer());
    }

    @Test
    void metadataWithANullKeyOrValueIsRefusedNotSavedUnloadable() {
        OptimizerState zero = new AdamOptimizer(4).state();
        Map<String, String> nullValue = new java.util.HashMap<>();
        nullValue.put("note", null);
        NullPointerException value = assertThrows(NullPointerException.class, () -> new TrainingState(
                new TrainerState(0, 5, 0, 0), zero, null, null, DataFingerprint.of(DOCS), nullValue, null, null));
        assertEquals("metadata[note]", value.getMessage());
        Map<String, String> nullKey = new java.util.HashMap<>();
        nullKey.put(null, "x");
        assertThrows(NullPointerException.class, () -> new TrainingState(
                new TrainerState(0, 5, 0, 0), zero, null, null, DataFingerprint.of(DOCS), nullKey, null, null));
    }

    @Test
    void everyStateSavedLoadsBack() throws Exception {
        // The states a hand-made TrainingState could hold, saved: each either refused with
        // nothing written, or saved and loaded back equal. None is written but unloadable.
        GptModel model = GptModel.create(CONFIG, TOKENIZER.vocabSize(), new PythonRandom(1));
        int n = model.numParameters();
        double[] warm = new double[n];
        warm[0] = 0.5;
        OptimizerState zero = new AdamOptimizer(n).state();
        OptimizerState used = new OptimizerState(zero.settings(), warm, warm);
        int saved = 0;
        int i = 0;
        for (TrainerState place : List.of(new TrainerState(0, 5, 0, 0), new TrainerState(0, 5, 1, 0),
                new TrainerState(0, 5, 0, 1), new TrainerState(2, 5, 2, 3), new TrainerState(2, 5, 3, 0),
                new TrainerState(2, 5, 0, CONFIG.blockSize()))) {
            for (OptimizerState moments : List.of(zero, used)) {
                Path dir = tmp.resolve("state" + i++);
                TrainingState state;
                try {
                    state = new TrainingState(place, moments, null, null, DataFingerprint.of(DOCS), Map.of(), null,
                            null);
                    Checkpoint.save(dir, model, TOKENIZER, state);
                } catch (IllegalArgumentException refused) {
                    assertFalse(Files.exists(dir), place + " " + refused.getMessage());
                    continue;
                }
                assertEquals(state, Checkpoint.load(dir).training().orElseThrow(), place + " saved and loaded back");
                saved++;
            }
        }
        assertEquals(3, saved, "(0, 0) with zero moments, and (2, 2, 3) with either: the rest are refused");
    }
}
