package io.github.microgpt.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.NullSource;

/**
 * The trainer's place in {@code trainer.json}: saved as {@code next_document}/{@code next_position}
 * (one place for every kind of step), and read from files written before, whose
 * {@code position_document}/{@code position_pos} were only where the position steps were.
 */
class OlderPlaceKeysTest {

    static final List<String> DOCS = List.of("anna", "bob", "emma", "li", "max");
    static final Tokenizer TOKENIZER = Tokenizer.fromDocuments(DOCS);
    static final GptConfig CONFIG = new GptConfig(1, 8, 2, 6, 0.1);

    @TempDir
    Path tmp;

    private static Trainer trainer() {
        GptModel model = GptModel.create(CONFIG, TOKENIZER.vocabSize(), new PythonRandom(3));
        return new Trainer(model, TOKENIZER, DOCS, new AdamOptimizer(model.numParameters()), 12);
    }

    private Path save(Trainer trainer, StepMode mode) throws IOException {
        Path dir = tmp.resolve("run");
        Checkpoint.save(dir, trainer.model(), TOKENIZER, TrainingState.capture(trainer, null, mode, Map.of(), null,
                null));
        return dir;
    }

    private static void edit(Path dir, String from, String to) throws IOException {
        Path file = dir.resolve(Format.TRAINER_FILE);
        String text = Files.readString(file);
        assertTrue(text.contains(from), from + " in " + text);
        Files.writeString(file, text.replace(from, to));
    }

    private static List<Double> losses(Trainer trainer, StepMode mode, int steps) {
        List<Double> losses = new ArrayList<>();
        for (int i = 0; i < steps; i++) {
            losses.add(trainer.step(mode).loss());
        }
        return losses;
    }

    @Test
    void theSavedPlaceIsWhereAnyStepGoesOn() throws Exception {
        Trainer trainer = trainer();
        trainer.step(StepMode.POSITION);
        trainer.step(StepMode.POSITION);
        trainer.step(StepMode.DOCUMENT);
        trainer.step(StepMode.POSITION);
        Path dir = save(trainer, null);
        assertTrue(Files.readString(dir.resolve(Format.TRAINER_FILE)).contains("\"next_document\": 1"));
        Trainer resumed = Checkpoint.load(dir).resumeWith(DOCS).trainer();
        assertEquals(new TrainerState(4, 12, 1, 1), resumed.state());
        assertEquals(losses(trainer, StepMode.DOCUMENT, 3), losses(resumed, StepMode.DOCUMENT, 3));
    }

    /**
     * What the library wrote before: the position steps' cursor, never moved by document steps,
     * in a file of document steps, or of no step mode at all ({@code TrainingState.capture}'s null,
     * "unknown or mixed"; such a file resumed at document 0, repeating the documents of the run's
     * start).
     */
    @ParameterizedTest
    @NullSource
    @EnumSource(value = StepMode.class, names = "DOCUMENT")
    void anOlderFileOfDocumentStepsResumesAtItsNextDocument(StepMode savedMode) throws Exception {
        Trainer trainer = trainer();
        losses(trainer, StepMode.DOCUMENT, 7);
        Path dir = save(trainer, savedMode);
        edit(dir, VERSION_2, VERSION_1);
        edit(dir, "\"next_document\": 2", "\"position_document\": 0");
        edit(dir, "\"next_position\": 0", "\"position_pos\": 0");
        Trainer resumed = Checkpoint.load(dir).resumeWith(DOCS).trainer();
        assertEquals(new TrainerState(7, 12, 2, 0), resumed.state(), "step 8 trains document 7 mod 5");
        assertEquals(losses(trainer, StepMode.DOCUMENT, 5), losses(resumed, StepMode.DOCUMENT, 5));
    }

    @Test
    void anOlderFileOfPositionStepsResumesAtItsCursor() throws Exception {
        Trainer trainer = trainer();
        losses(trainer, StepMode.POSITION, 7);   // "anna" (5 positions), then 2 of "bob"
        Path dir = save(trainer, StepMode.POSITION);
        edit(dir, VERSION_2, VERSION_1);
        edit(dir, "\"next_document\": 1", "\"position_document\": 1");
        edit(dir, "\"next_position\": 2", "\"position_pos\": 2");
        Trainer resumed = Checkpoint.load(dir).resumeWith(DOCS).trainer();
        assertEquals(new TrainerState(7, 12, 1, 2), resumed.state());
        assertEquals(losses(trainer, StepMode.POSITION, 5), losses(resumed, StepMode.POSITION, 5));
    }

    @Test
    void aFileWithBothKindsOfKeysIsRefused() throws Exception {
        Trainer trainer = trainer();
        trainer.step(StepMode.DOCUMENT);
        Path dir = save(trainer, StepMode.DOCUMENT);
        edit(dir, VERSION_2, VERSION_1);
        edit(dir, "\"next_position\": 0", "\"next_position\": 0, \"position_document\": 0");
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.load(dir));
        assertTrue(e.getMessage().contains("both there"), e.getMessage());
    }

    private static final String VERSION_1 = "\"format\": \"microgpt-training-state\",\n  \"version\": 1,";
    private static final String VERSION_2 = "\"format\": \"microgpt-training-state\",\n  \"version\": 2,";

    /**
     * The renamed keys came with version 2 of {@code trainer.json}, so that an older build, which
     * reads version 1 only, says a newer microgpt wrote such a file instead of calling
     * {@code next_document} an unknown key; the configuration stays version 1. A version-1 file
     * with the new names (written between the rename and the version) still reads; a version-2
     * file with the older names is refused; a version from the future is named as such.
     */
    @Test
    void theNewKeysAreVersion2AndVersion1StillReads() throws Exception {
        Trainer trainer = trainer();
        losses(trainer, StepMode.DOCUMENT, 3);
        Path dir = save(trainer, StepMode.DOCUMENT);
        assertTrue(Files.readString(dir.resolve(Format.TRAINER_FILE)).contains(VERSION_2));
        assertTrue(Files.readString(dir.resolve(Format.CONFIG_FILE)).contains("\"version\": 1,"));
        TrainerState saved = trainer.state();
        assertEquals(saved, Checkpoint.load(dir).resumeWith(DOCS).trainer().state());

        edit(dir, VERSION_2, VERSION_1);
        assertEquals(saved, Checkpoint.load(dir).resumeWith(DOCS).trainer().state(), "version 1, new names");

        edit(dir, VERSION_1, VERSION_2);
        edit(dir, "\"next_document\": 3", "\"position_document\": 3");
        edit(dir, "\"next_position\": 0", "\"position_pos\": 0");
        CheckpointException older = assertThrows(CheckpointException.class, () -> Checkpoint.load(dir));
        assertTrue(older.getMessage().contains("\"trainer.position_document\" is not a field this reader knows"),
                older.getMessage());

        edit(dir, VERSION_2, "\"format\": \"microgpt-training-state\",\n  \"version\": 3,");
        CheckpointException future = assertThrows(CheckpointException.class, () -> Checkpoint.load(dir));
        assertTrue(future.getMessage().endsWith("trainer.json: unsupported version 3 (this library reads version 1 to"
                + " 2; a newer microgpt wrote it)"), future.getMessage());
    }
}
