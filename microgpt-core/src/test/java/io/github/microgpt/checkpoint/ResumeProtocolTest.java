package io.github.microgpt.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.microgpt.model.ArrayGptModel;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.GptModel;
import io.github.microgpt.optim.AdamOptimizer;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.text.DataSource;
import io.github.microgpt.text.Documents;
import io.github.microgpt.text.Tokenizer;
import io.github.microgpt.train.StepMode;
import io.github.microgpt.train.Trainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One resume protocol: a saved {@link TrainingRun} is enough to rebuild the run from its data source. */
class ResumeProtocolTest {

    static final GptConfig CONFIG = new GptConfig(1, 8, 2, 8, 0.1);

    @TempDir
    Path tmp;

    @Test
    void aRunOnAFileResumesFromTheRecordedSourceAndSeed() throws Exception {
        Path data = Files.writeString(tmp.resolve("names.txt"), "anna\nbob\ncarla\ndora\neve\n");
        TrainingRun run = new TrainingRun(11, DataSource.file(data));
        List<String> order = run.trainingOrder(Documents.load(data));
        Tokenizer tokenizer = Tokenizer.fromDocuments(order);

        PythonRandom random = new PythonRandom(11);
        random.shuffle(new java.util.ArrayList<>(Documents.load(data)));   // as the run drew it
        GptModel model = GptModel.create(CONFIG, tokenizer.vocabSize(), random);
        Trainer trainer = new Trainer(model, tokenizer, order, new AdamOptimizer(model.numParameters()), 9);
        LossHistory losses = LossHistory.recording(trainer);
        for (int i = 0; i < 4; i++) {
            trainer.step(StepMode.DOCUMENT);
        }
        Path dir = tmp.resolve("run");
        Checkpoint.save(dir, model, tokenizer, TrainingState.capture(trainer, random, StepMode.DOCUMENT, Map.of("app", "test"),
                run, losses.losses()));
        double[] rest = new double[5];
        for (int i = 0; i < 5; i++) {
            rest[i] = trainer.step(StepMode.DOCUMENT).loss();
        }

        Checkpoint checkpoint = Checkpoint.load(dir);
        TrainingState state = checkpoint.training().orElseThrow();
        assertEquals(run, state.run());
        assertEquals(Map.of("app", "test"), state.metadata(), "the metadata as given: the run is a component of its own");
        for (ResumedTraining resumed : List.of(checkpoint.resumeRecordedRun(),
                checkpoint.resumeRecordedRun(ArrayGptModel.create(CONFIG, tokenizer.vocabSize(), new PythonRandom(5))))) {
            double[] again = new double[5];
            for (int i = 0; i < 5; i++) {
                again[i] = resumed.trainer().step(StepMode.DOCUMENT).loss();
            }
            assertArrayEquals(rest, again, "bit for bit, in the saved model's engine and in another");
            assertEquals(9, resumed.lossHistory().losses().length);
        }
        assertTrue(checkpoint.resumeRecordedRun().model() instanceof GptModel, "the saved architecture's model");
    }

    @Test
    void documentsThatDoNotMatchLeaveTheModelUntouched() throws Exception {
        List<String> docs = List.of("anna", "bob", "carla");
        Tokenizer tokenizer = Tokenizer.fromDocuments(docs);
        GptModel model = GptModel.create(CONFIG, tokenizer.vocabSize(), new PythonRandom(2));
        Trainer trainer = new Trainer(model, tokenizer, docs, new AdamOptimizer(model.numParameters()), 5);
        trainer.step(StepMode.DOCUMENT);
        Path dir = tmp.resolve("mismatch");
        Checkpoint.save(dir, model, tokenizer, TrainingState.capture(trainer, null, StepMode.DOCUMENT, Map.of(), null, null));
        ArrayGptModel other = ArrayGptModel.create(CONFIG, tokenizer.vocabSize(), new PythonRandom(99));
        double[] before = other.parameters().values();
        assertThrows(CheckpointException.class, () -> Checkpoint.load(dir).resumeWith(other, List.of("bob", "anna", "carla")));
        assertArrayEquals(before, other.parameters().values(), "refused before the weights were copied");
        CheckpointException noRun = assertThrows(CheckpointException.class, () -> Checkpoint.load(dir).resumeRecordedRun(other));
        assertTrue(noRun.getMessage().contains("records neither \"run\" nor the metadata \"seed\""), noRun.getMessage());
    }

    @Test
    void aRunOnGivenDocumentsNeedsThemGivenAgain() throws Exception {
        GptModel model = GptModel.create(CONFIG, Tokenizer.fromDocuments(GIVEN).vocabSize(), new PythonRandom(2));
        Path dir = savedOnGivenDocuments(model, "given");
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.load(dir).resumeRecordedRun(model));
        assertTrue(e.getMessage().contains("\"typed names\""), e.getMessage());
        assertEquals(e.getMessage(), assertThrows(CheckpointException.class, () -> Checkpoint.load(dir).resumeRecordedRun())
                .getMessage(), "the same refusal without a model");
        assertEquals(DataSource.inMemory("typed names"),
                Checkpoint.load(dir).training().orElseThrow().run().data());
        // Kind.IN_MEMORY was Kind.GIVEN, and files keep the word they had: a file is read the
        // same by the versions before the rename and after it.
        String trainerJson = Files.readString(dir.resolve("trainer.json"));
        assertTrue(trainerJson.contains("\"kind\": \"given\""), trainerJson);
        assertEquals(GIVEN, Checkpoint.load(dir).resumeWith(GIVEN).trainer().documents());
    }

    @Test
    void aMissingModelOrDocumentsIsNamedBeforeAnythingIsRead() throws Exception {
        GptModel model = GptModel.create(CONFIG, Tokenizer.fromDocuments(GIVEN).vocabSize(), new PythonRandom(2));
        // resumeRecordedRun would refuse a run on given documents, but a null model is named first.
        Checkpoint checkpoint = Checkpoint.load(savedOnGivenDocuments(model, "nulls"));
        assertEquals("model", assertThrows(NullPointerException.class, () -> checkpoint.resumeRecordedRun(null))
                .getMessage());
        assertEquals("documents", assertThrows(NullPointerException.class, () -> checkpoint.resumeWith(null))
                .getMessage());
        assertEquals("model", assertThrows(NullPointerException.class, () -> checkpoint.resumeWith(null, GIVEN))
                .getMessage());
    }

    private static final List<String> GIVEN = List.of("anna", "bob");

    /** Saves a model before its first step of a run on {@link #GIVEN}, recorded as typed-in documents. */
    private Path savedOnGivenDocuments(GptModel model, String name) throws Exception {
        Tokenizer tokenizer = Tokenizer.fromDocuments(GIVEN);
        Trainer trainer = new Trainer(model, tokenizer, GIVEN, new AdamOptimizer(model.numParameters()), 5);
        Path dir = tmp.resolve(name);
        Checkpoint.save(dir, model, tokenizer, TrainingState.capture(trainer, null, null,
                Map.of(), new TrainingRun(3, DataSource.inMemory("typed names")), null));
        return dir;
    }

    @Test
    void aCheckpointWithoutARunReadsItsRunFromTheMetadataAsOlderVersionsWroteIt() throws Exception {
        Map<String, String> simulator = Map.of("seed", "8", "simulator.dataset.source", "text",
                "simulator.dataset.name", "my names");
        assertEquals(new TrainingRun(8, DataSource.inMemory("my names")), olderRun("simulator", simulator));
        Map<String, String> cli = Map.of("seed", "8", "data", "/data/names.txt");
        assertEquals(new TrainingRun(8, DataSource.file(Path.of("/data/names.txt"))), olderRun("cli", cli));
        assertEquals(new TrainingRun(5, DataSource.embedded()), olderRun("seed", Map.of("seed", "5")),
                "a seed without a data key is a run on the embedded names, as 'train' wrote it before");
        assertEquals(null, olderRun("none", Map.of("app", "x")), "no seed: no run");
    }

    @Test
    void aRunRecordedAsUnknownStaysUnknownWhateverTheMetadataHolds() throws Exception {
        Map<String, String> metadata = Map.of("seed", "8", "data", "embedded");
        TrainingState state = savedWithMetadata("unknown", metadata).training().orElseThrow();
        assertEquals(null, state.run(), "the writer's run, null");
        assertEquals(metadata, state.metadata(), "the metadata as saved, nothing added or taken");
        TrainingState made = new TrainingState(state.trainer(), state.optimizer(), null, null, state.fingerprint(),
                metadata, null, null);
        assertEquals(null, made.run(), "a state is the values it was given");
        assertEquals(metadata, made.metadata());
    }

    /** The run a load reads from a checkpoint whose trainer.json, as an older version's, has no "run". */
    private TrainingRun olderRun(String name, Map<String, String> metadata) throws Exception {
        Path file = savedWithMetadata(name, metadata).directory().resolve(Format.TRAINER_FILE);
        JsonObject json = JsonParser.parseString(Files.readString(file)).getAsJsonObject();
        assertTrue(json.has("run"), "a run recorded as unknown is written as null");
        json.remove("run");
        Files.writeString(file, json.toString());
        TrainingState state = Checkpoint.load(file.getParent()).training().orElseThrow();
        assertEquals(metadata, state.metadata(), "the metadata as the file has it");
        return state.run();
    }

    private Checkpoint savedWithMetadata(String name, Map<String, String> metadata) throws Exception {
        GptModel model = GptModel.create(CONFIG, Tokenizer.fromDocuments(GIVEN).vocabSize(), new PythonRandom(2));
        Tokenizer tokenizer = Tokenizer.fromDocuments(GIVEN);
        Trainer trainer = new Trainer(model, tokenizer, GIVEN, new AdamOptimizer(model.numParameters()), 5);
        Path dir = tmp.resolve(name);
        Checkpoint.save(dir, model, tokenizer, TrainingState.capture(trainer, null, null, metadata, null, null));
        return Checkpoint.load(dir);
    }
}
