package io.github.microgpt.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.GptModel;
import io.github.microgpt.model.MatrixLayout;
import io.github.microgpt.model.Parameters;
import io.github.microgpt.model.Precision;
import io.github.microgpt.optim.AdamOptimizer;
import io.github.microgpt.optim.AdamSettings;
import io.github.microgpt.optim.LearningRateSchedule;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.sample.Sampler;
import io.github.microgpt.text.Tokenizer;
import io.github.microgpt.train.StepMode;
import io.github.microgpt.train.Trainer;
import io.github.microgpt.train.TrainerState;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Saving and loading checkpoints: round trips, the files, atomic replacement, and every check on loading. */
class CheckpointTest {

    static final List<String> DOCS = List.of("anna", "bob", "zoë", "emma", "li", "olivia", "x");
    static final Tokenizer TOKENIZER = Tokenizer.fromDocuments(DOCS);
    static final GptConfig CONFIG = new GptConfig(2, 8, 2, 6, 0.1);

    @TempDir
    Path tmp;

    @AfterEach
    void noHook() {
        AtomicFiles.hook = null;
    }

    /** A small run, trained a few steps in both modes so every part of the state is non-trivial. */
    record Run(GptModel model, Trainer trainer, PythonRandom random) {
        TrainingState state() {
            return TrainingState.capture(trainer, random, StepMode.DOCUMENT, Map.of("seed", "5"), null, null);
        }
    }

    static Run run(int steps) {
        PythonRandom random = new PythonRandom(5);
        GptModel model = GptModel.create(CONFIG, TOKENIZER.vocabSize(), random);
        Trainer trainer = new Trainer(model, TOKENIZER, DOCS, new AdamOptimizer(model.numParameters()), 20);
        for (int i = 0; i < steps; i++) {
            trainer.step(i % 2 == 0 ? StepMode.DOCUMENT : StepMode.POSITION);
        }
        random.gauss(0, 1);   // leave a Gaussian waiting, so that it must be saved
        return new Run(model, trainer, random);
    }

    @Test
    void aModelRoundTripsBitForBit() throws Exception {
        Run run = run(3);
        Path dir = tmp.resolve("model");
        Checkpoint.save(dir, run.model(), TOKENIZER);
        assertEquals(Set.of("config.json", "model.safetensors"), names(dir));

        Checkpoint loaded = Checkpoint.load(dir);
        assertEquals(CONFIG, loaded.config());
        assertEquals(TOKENIZER.characters(), loaded.tokenizer().characters());
        assertEquals(run.model().numParameters(), loaded.numParameters());
        assertArrayEquals(run.model().parameters().values(), loaded.weights());
        GptModel model = loaded.gptModel();
        assertArrayEquals(run.model().parameters().values(), model.parameters().values());
        assertTrue(loaded.training().isEmpty());
        assertEquals(dir, loaded.directory());
        assertTrue(loaded.toString().contains("model only"), loaded.toString());
        // The loaded model samples exactly as the original.
        assertEquals(new Sampler(run.model(), TOKENIZER, new PythonRandom(9)).samples(5, 0.7),
                new Sampler(model, loaded.tokenizer(), new PythonRandom(9)).samples(5, 0.7));
        assertTrue(model != loaded.gptModel(), "each call builds a new model");
    }

    @Test
    void aTrainingStateRoundTripsAndResumes() throws Exception {
        Run run = run(5);
        TrainingState state = run.state();
        Path dir = tmp.resolve("training");
        Checkpoint.save(dir, run.model(), TOKENIZER, state);
        assertEquals(Set.of("config.json", "model.safetensors", "optimizer.safetensors", "trainer.json"), names(dir));

        Checkpoint loaded = Checkpoint.load(dir);
        TrainingState back = loaded.training().orElseThrow();
        assertEquals(state.trainer(), back.trainer());
        assertEquals(state.optimizer(), back.optimizer());
        assertEquals(state.randomState(), back.randomState());
        assertTrue(back.randomState().hasGaussNext());
        assertEquals(StepMode.DOCUMENT, back.stepMode());
        assertEquals(state.fingerprint(), back.fingerprint());
        assertEquals(Map.of("seed", "5"), back.metadata(), "the metadata as given");
        assertEquals(null, back.run(), "the run as given: unknown");
        assertEquals(state, back);

        ResumedTraining resumed = loaded.resumeWith(DOCS);
        assertEquals(run.trainer().state(), resumed.trainer().state());
        assertSame(resumed.optimizer(), resumed.trainer().optimizer());
        assertSame(resumed.model(), resumed.trainer().model());
        assertEquals(run.random().gauss(0, 1), resumed.random().gauss(0, 1), "the waiting Gaussian came back");
        for (int i = 0; i < 6; i++) {
            StepMode mode = i % 3 == 0 ? StepMode.POSITION : StepMode.DOCUMENT;
            assertEquals(Double.doubleToRawLongBits(run.trainer().step(mode).loss()),
                    Double.doubleToRawLongBits(resumed.trainer().step(mode).loss()), "step " + (6 + i));
        }
        assertArrayEquals(run.model().parameters().values(), resumed.model().parameters().values());
    }

    /**
     * {@link Checkpoint#loadForSampling} reads everything but the moments' data: the same weights
     * and random generator, no training state, and a clear refusal to resume; damaged moments
     * data goes unread, a header that declares other moments does not.
     */
    @Test
    void loadingForSamplingLeavesTheMomentsOut() throws Exception {
        Run run = run(3);
        Path dir = tmp.resolve("sampling");
        Checkpoint.save(dir, run.model(), TOKENIZER, run.state());
        Checkpoint full = Checkpoint.load(dir);
        Checkpoint sampling = Checkpoint.loadForSampling(dir);
        assertArrayEquals(full.weights(), sampling.weights());
        assertEquals(full.training().orElseThrow().randomState(), sampling.randomState().orElseThrow());
        assertEquals(full.training().map(TrainingState::randomState), full.randomState());
        assertTrue(sampling.training().isEmpty());
        assertTrue(sampling.toString().contains("loaded for sampling"), sampling.toString());
        CheckpointException resume = assertThrows(CheckpointException.class, () -> sampling.resumeWith(DOCS));
        assertEquals("was loaded for sampling (Checkpoint.loadForSampling), without Adam's moments; load it with"
                + " Checkpoint.load to resume training", resume.problem());
        // The array model samples as the Value engine's model does.
        assertEquals(new Sampler(full.gptModel(), TOKENIZER, new PythonRandom(9)).samples(5, 0.7),
                new Sampler(sampling.arrayModel(), TOKENIZER, new PythonRandom(9)).samples(5, 0.7));

        // A NaN in the moments' data: load refuses it, loadForSampling never reads it.
        Path optimizer = dir.resolve("optimizer.safetensors");
        byte[] good = Files.readAllBytes(optimizer);
        ByteBuffer buffer = ByteBuffer.wrap(good.clone()).order(ByteOrder.LITTLE_ENDIAN);
        buffer.putDouble(8 + (int) buffer.getLong(0), Double.NaN);
        Files.write(optimizer, buffer.array());
        assertLoadProblem(dir, optimizer, "NaN and infinite values are refused");
        assertArrayEquals(full.weights(), Checkpoint.loadForSampling(dir).weights());
        // A header that declares other moments is refused by both.
        List<Tensor> moments = new ArrayList<>(Safetensors.read(dir.resolve("model.safetensors")).tensors());
        Safetensors.write(optimizer, moments, Map.of());
        CheckpointException other = assertThrows(CheckpointException.class, () -> Checkpoint.loadForSampling(dir));
        assertEquals(optimizer, other.file());
        assertTrue(other.getMessage().contains("tensor \"wte.m\" is missing"), other.getMessage());
        // A model-only checkpoint has no random generator to give.
        Path modelOnly = tmp.resolve("model-only");
        Checkpoint.save(modelOnly, run.model(), TOKENIZER);
        assertTrue(Checkpoint.loadForSampling(modelOnly).randomState().isEmpty());
        assertTrue(Checkpoint.loadForSampling(modelOnly).toString().contains("model only"));
    }

    @Test
    void theFilesAreWhatTheDocumentationSays() throws Exception {
        Run run = run(2);
        Path dir = tmp.resolve("files");
        Checkpoint.save(dir, run.model(), TOKENIZER, run.state());

        JsonObject config = JsonParser.parseString(Files.readString(dir.resolve("config.json"))).getAsJsonObject();
        assertEquals("microgpt-checkpoint", config.get("format").getAsString());
        assertEquals(1, config.get("version").getAsInt());
        JsonObject model = config.getAsJsonObject("model");
        assertEquals(2, model.get("n_layer").getAsInt());
        assertEquals(8, model.get("n_embd").getAsInt());
        assertEquals(2, model.get("n_head").getAsInt());
        assertEquals(6, model.get("block_size").getAsInt());
        assertEquals(0.1, model.get("init_std").getAsDouble());
        assertEquals(TOKENIZER.vocabSize(), model.get("vocab_size").getAsInt());
        assertEquals(run.model().numParameters(), model.get("num_params").getAsInt());
        assertEquals(TOKENIZER.characters(), config.getAsJsonObject("vocabulary").get("characters").getAsString());
        assertEquals(TOKENIZER.bos(), config.getAsJsonObject("vocabulary").get("bos").getAsInt());

        // model.safetensors, read with an independent parser: microgpt.py's state_dict names, [rows, cols], F64, the weights.
        Map<String, double[]> tensors = readIndependently(dir.resolve("model.safetensors"));
        Parameters parameters = run.model().parameters();
        List<String> expectedNames = new ArrayList<>();
        for (MatrixLayout m : parameters.matrixLayouts()) {
            expectedNames.add(m.name());
            double[] values = tensors.get(m.name());
            assertNotNull(values, m.name());
            for (int i = 0; i < m.size(); i++) {
                assertEquals(parameters.value(m.offset() + i), values[i], m.name() + "[" + i + "]");
            }
        }
        assertEquals(List.of("wte", "wpe", "lm_head", "layer0.attn_wq", "layer0.attn_wk", "layer0.attn_wv",
                "layer0.attn_wo", "layer0.mlp_fc1", "layer0.mlp_fc2", "layer1.attn_wq", "layer1.attn_wk",
                "layer1.attn_wv", "layer1.attn_wo", "layer1.mlp_fc1", "layer1.mlp_fc2"), expectedNames);
        assertEquals(Set.copyOf(expectedNames), tensors.keySet());

        Map<String, double[]> moments = readIndependently(dir.resolve("optimizer.safetensors"));
        double[] m = run.trainer().optimizer().firstMoments();
        double[] v = run.trainer().optimizer().secondMoments();
        MatrixLayout wpe = parameters.matrixLayout("wpe");
        assertEquals(m[wpe.offset() + 3], moments.get("wpe.m")[3]);
        assertEquals(v[wpe.offset() + 5], moments.get("wpe.v")[5]);
        assertEquals(2 * expectedNames.size(), moments.size());

        JsonObject trainer = JsonParser.parseString(Files.readString(dir.resolve("trainer.json"))).getAsJsonObject();
        assertEquals("microgpt-training-state", trainer.get("format").getAsString());
        assertEquals(2, trainer.getAsJsonObject("trainer").get("steps_done").getAsInt());
        assertEquals(20, trainer.getAsJsonObject("trainer").get("total_steps").getAsInt());
        assertEquals("document", trainer.getAsJsonObject("trainer").get("step_mode").getAsString());
        assertEquals(0.01, trainer.getAsJsonObject("optimizer").get("learning_rate").getAsDouble());
        assertEquals("linear_decay", trainer.getAsJsonObject("optimizer").get("schedule").getAsString());
        assertEquals(DataFingerprint.of(DOCS).sha256(), trainer.getAsJsonObject("data").get("sha256").getAsString());
        JsonObject random = trainer.getAsJsonObject("random");
        assertEquals(3, random.get("version").getAsInt());
        assertEquals(625, random.getAsJsonArray("internal_state").size(), "Python's getstate(): 624 words and the index");
        int[] words = run.random().state().words();
        assertEquals(Integer.toUnsignedLong(words[0]), random.getAsJsonArray("internal_state").get(0).getAsLong());
        assertEquals(run.random().state().gaussNext(), random.get("gauss_next").getAsDouble());
    }

    /** Reads a safetensors file with Gson and a ByteBuffer, following the published format, not our reader. */
    static Map<String, double[]> readIndependently(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int n = (int) buffer.getLong();
        JsonObject header = JsonParser.parseString(new String(bytes, 8, n, StandardCharsets.UTF_8)).getAsJsonObject();
        Map<String, double[]> out = new java.util.LinkedHashMap<>();
        for (String name : header.keySet()) {
            if (name.equals("__metadata__")) {
                continue;
            }
            JsonObject entry = header.getAsJsonObject(name);
            long begin = entry.getAsJsonArray("data_offsets").get(0).getAsLong();
            long end = entry.getAsJsonArray("data_offsets").get(1).getAsLong();
            int width = entry.get("dtype").getAsString().equals("F64") ? 8 : 4;
            double[] values = new double[(int) ((end - begin) / width)];
            for (int i = 0; i < values.length; i++) {
                int at = 8 + n + (int) begin + i * width;
                values[i] = width == 8 ? buffer.getDouble(at) : buffer.getFloat(at);
            }
            out.put(name, values);
        }
        return out;
    }

    @Test
    void f32WeightsAreRoundedToFloat() throws Exception {
        Run run = run(1);
        Path dir = tmp.resolve("f32");
        // As another tool may store them: the public save always writes the model's own type.
        CheckpointWriter.save(dir, run.model(), TOKENIZER, null, DType.F32);
        for (Tensor tensor : Safetensors.read(dir.resolve(Checkpoint.MODEL_FILE)).tensors()) {
            assertSame(DType.F32, tensor.dtype(), tensor.name());
        }
        assertSame(Precision.F64, Checkpoint.load(dir).precision(), "the model computes in F64 as before");
        double[] original = run.model().parameters().values();
        double[] loaded = Checkpoint.load(dir).weights();
        for (int i = 0; i < original.length; i++) {
            assertEquals((double) (float) original[i], loaded[i], "weight " + i);
        }
        assertTrue(Files.size(dir.resolve("model.safetensors")) < 4L * original.length + 4096);
    }

    /**
     * {@code null} for the training state reads as "the model only" and compiles: before, the
     * {@code DType} and {@code TrainingState} overloads both matched it ("reference to save is
     * ambiguous").
     */
    @Test
    void aNullTrainingStateSavesTheModelOnly() throws Exception {
        Run run = run(1);
        Path dir = tmp.resolve("null-state");
        Checkpoint.save(dir, run.model(), TOKENIZER, null);
        Checkpoint loaded = Checkpoint.load(dir);
        assertTrue(loaded.training().isEmpty());
        assertArrayEquals(run.model().parameters().values(), loaded.weights(), 0.0);
    }

    @Test
    void savingReplacesACheckpointButNothingElse() throws Exception {
        Run run = run(1);
        Path dir = tmp.resolve("replace");
        Checkpoint.save(dir, run.model(), TOKENIZER, run.state());
        run.trainer().step(StepMode.DOCUMENT);
        Checkpoint.save(dir, run.model(), TOKENIZER);
        assertEquals(Set.of("config.json", "model.safetensors"), names(dir), "the old training state is gone");
        assertArrayEquals(run.model().parameters().values(), Checkpoint.load(dir).weights());
        assertEquals(Set.of("replace"), names(tmp), "no temporary or set-aside directory is left");

        Path empty = Files.createDirectory(tmp.resolve("empty"));
        Checkpoint.save(empty, run.model(), TOKENIZER);
        assertEquals(Set.of("config.json", "model.safetensors"), names(empty), "an empty directory may be used");

        Path other = Files.createDirectory(tmp.resolve("other"));
        Files.writeString(other.resolve("notes.txt"), "precious");
        Checkpoint.checkSaveTarget(dir);
        Checkpoint.checkSaveTarget(tmp.resolve("not/yet"));
        assertTrue(assertThrows(CheckpointException.class, () -> Checkpoint.checkSaveTarget(other)).getMessage()
                .contains("is not a checkpoint"));
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> Checkpoint.save(other, run.model(), TOKENIZER));
        assertTrue(e.getMessage().contains("is not a checkpoint"), e.getMessage());
        assertEquals("precious", Files.readString(other.resolve("notes.txt")));

        Path file = Files.writeString(tmp.resolve("file"), "x");
        assertTrue(assertThrows(CheckpointException.class, () -> Checkpoint.save(file, run.model(), TOKENIZER))
                .getMessage().contains("is not a directory"));

        Checkpoint.save(tmp.resolve("a/b/c"), run.model(), TOKENIZER);
        assertTrue(Files.isRegularFile(tmp.resolve("a/b/c/config.json")), "missing parents are created");
    }

    /**
     * A checkpoint directory that also holds a file of the user's (the data file the run trained
     * on, notes) is not replaced: the save replaced the whole directory, and the file was deleted
     * without a word. Finder's .DS_Store, which it makes again, does not stop a save.
     */
    @Test
    void aCheckpointDirectoryHoldingAnotherFileIsNotReplaced() throws Exception {
        Run run = run(1);
        Path dir = tmp.resolve("run");
        Checkpoint.save(dir, run.model(), TOKENIZER, run.state());
        Files.writeString(dir.resolve("names.txt"), "emma\nolivia\n");
        CheckpointException check = assertThrows(CheckpointException.class, () -> Checkpoint.checkSaveTarget(dir));
        assertEquals(dir + ": holds names.txt, which is not part of a checkpoint; a save replaces the whole directory"
                + " and would delete it: move it elsewhere, or save into another directory", check.getMessage());
        CheckpointException save = assertThrows(CheckpointException.class,
                () -> Checkpoint.save(dir, run.model(), TOKENIZER));
        assertEquals(check.getMessage(), save.getMessage());
        assertEquals("emma\nolivia\n", Files.readString(dir.resolve("names.txt")));
        assertTrue(names(dir).containsAll(Set.of("config.json", "model.safetensors", "trainer.json", "names.txt")),
                "the old checkpoint is left as it was: " + names(dir));

        Files.move(dir.resolve("names.txt"), dir.resolve(".DS_Store"));
        Checkpoint.save(dir, run.model(), TOKENIZER);
        assertEquals(Set.of("config.json", "model.safetensors"), names(dir));
    }

    @Test
    void aFailedSaveLeavesTheOldCheckpointIntact() throws Exception {
        Run run = run(1);
        Path dir = tmp.resolve("intact");
        Checkpoint.save(dir, run.model(), TOKENIZER, run.state());
        double[] before = run.model().parameters().values();
        run.trainer().step(StepMode.DOCUMENT);
        for (String stage : List.of("written", "aside")) {
            AtomicFiles.hook = at -> {
                if (at.equals(stage)) {
                    throw new IOException("No space left on device (simulated at " + stage + ")");
                }
            };
            IOException e = assertThrows(IOException.class, () -> Checkpoint.save(dir, run.model(), TOKENIZER));
            assertTrue(e.getMessage().contains("simulated"), e.getMessage());
            Checkpoint old = Checkpoint.load(dir);
            assertArrayEquals(before, old.weights(), "failure at " + stage);
            assertTrue(old.training().isPresent());
            assertEquals(Set.of("intact"), names(tmp), "nothing left behind after a failure at " + stage);
        }
    }

    /**
     * The process "dies" between the two renames: the target name is gone, but both versions are
     * complete beside it. The next load puts the newer one in place and removes the leftovers.
     */
    @Test
    void aCrashBetweenTheRenamesIsRepairedByTheNextLoad() throws Exception {
        Run run = run(1);
        Path dir = tmp.resolve("crash");
        Checkpoint.save(dir, run.model(), TOKENIZER);
        run.trainer().step(StepMode.DOCUMENT);
        crashAt("aside", () -> Checkpoint.save(dir, run.model(), TOKENIZER));
        assertTrue(Files.notExists(dir), "the crash left the target name absent");

        assertArrayEquals(run.model().parameters().values(), Checkpoint.load(dir).weights(),
                "the complete new version was put in place");
        assertEquals(Set.of("crash"), names(tmp), "no leftover remains");
    }

    /** While another holder has the lock (a save in progress elsewhere), load repairs nothing and names the leftover. */
    @Test
    void aLoadDuringSomeoneElsesSaveOnlyNamesTheLeftover() throws Exception {
        Run run = run(1);
        Path dir = tmp.resolve("busy");
        Checkpoint.save(dir, run.model(), TOKENIZER);
        double[] before = run.model().parameters().values();
        run.trainer().step(StepMode.DOCUMENT);
        crashAt("aside", () -> Checkpoint.save(dir, run.model(), TOKENIZER));
        Process holder = ExactResumeTest.startJvm(SaveLoopMain.class.getName(), "lock", dir.toString());
        try (java.io.BufferedReader out = new java.io.BufferedReader(new java.io.InputStreamReader(
                holder.getInputStream(), java.nio.charset.StandardCharsets.UTF_8))) {
            assertEquals("locked", out.readLine(), "another process holds the lock");
            CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.load(dir));
            assertTrue(e.getMessage().contains("a save was interrupted"), e.getMessage());
            Path aside = AtomicFiles.interruptedSaveOf(dir);
            assertNotNull(aside);
            assertTrue(e.getMessage().contains(aside.toString()), e.getMessage());
            assertArrayEquals(before, Checkpoint.load(aside).weights(), "the old checkpoint is complete where it says");
        } finally {
            holder.destroyForcibly();
            holder.waitFor();
        }
        Checkpoint.load(dir);   // the holder is gone: now the load repairs
        assertEquals(Set.of("busy"), names(tmp));
    }

    /** Stands for the process dying: not an IOException, so no clean-up runs. */
    static final class SimulatedCrash extends Error {
        private static final long serialVersionUID = 1L;
    }

    /**
     * Runs a save during which the process "dies" at one {@code stage} of {@link AtomicFiles}
     * ({@code "written"}, {@code "aside"} between the two renames, {@code "renamed"}): what it
     * wrote is left as a kill would leave it.
     */
    static void crashAt(String stage, Executable save) {
        AtomicFiles.hook = at -> {
            if (at.equals(stage)) {
                throw new SimulatedCrash();
            }
        };
        try {
            assertThrows(SimulatedCrash.class, save);
        } finally {
            AtomicFiles.hook = null;
        }
    }

    @Test
    void savingRefusesWhatCouldNotBeLoaded() {
        Run run = run(1);
        Path dir = tmp.resolve("refused");
        run.model().parameters().setValue(7, Double.NaN);
        IllegalArgumentException nan = assertThrows(IllegalArgumentException.class,
                () -> Checkpoint.save(dir, run.model(), TOKENIZER));
        assertTrue(nan.getMessage().contains("weight (0, 7) of wte is NaN"), nan.getMessage());
        run.model().parameters().setValue(7, 0.5);
        assertThrows(IllegalArgumentException.class,
                () -> Checkpoint.save(dir, run.model(), Tokenizer.ofCharacters("ab")));
        TrainingState wrongSize = new TrainingState(new TrainerState(0, 3, 0, 0), new AdamOptimizer(3).state(),
                null, null, DataFingerprint.of(DOCS), Map.of(), null, null);
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> Checkpoint.save(dir, run.model(), TOKENIZER, wrongSize)).getMessage().contains("3 parameters"));
        assertFalse(Files.exists(dir));
    }

    @Test
    void resumingNeedsTheTrainingStateAndTheSameDocuments() throws Exception {
        Run run = run(2);
        Path modelOnly = tmp.resolve("model-only");
        Checkpoint.save(modelOnly, run.model(), TOKENIZER);
        assertTrue(assertThrows(CheckpointException.class, () -> Checkpoint.load(modelOnly).resumeWith(DOCS))
                .getMessage().contains("holds a model only"));

        Path dir = tmp.resolve("full");
        Checkpoint.save(dir, run.model(), TOKENIZER, run.state());
        Checkpoint loaded = Checkpoint.load(dir);
        List<String> reordered = new ArrayList<>(DOCS);
        reordered.set(0, DOCS.get(1));
        reordered.set(1, DOCS.get(0));
        CheckpointException e = assertThrows(CheckpointException.class, () -> loaded.resumeWith(reordered));
        assertTrue(e.getMessage().contains("the documents are not those the run was trained on"), e.getMessage());
        assertEquals(dir.resolve("trainer.json"), e.file());
        assertThrows(CheckpointException.class, () -> loaded.resumeWith(DOCS.subList(0, 6)));

        GptModel other = GptModel.create(CONFIG.withNEmbd(4), TOKENIZER.vocabSize(), new PythonRandom(1));
        assertThrows(IllegalArgumentException.class, () -> loaded.loadInto(other));
        GptModel same = GptModel.create(CONFIG, TOKENIZER.vocabSize(), new PythonRandom(1));
        assertSame(same, loaded.loadInto(same));
        assertArrayEquals(run.model().parameters().values(), same.parameters().values());
    }

    @Test
    void theOptimizerStateChecksItsValues() {
        double[] one = {0.0};
        AdamSettings constant = AdamSettings.defaults().withSchedule(LearningRateSchedule.CONSTANT);
        OptimizerState own = new OptimizerState(constant.withSchedule((base, step, total) -> base / (step + 1)), one,
                one);
        assertEquals("custom", own.scheduleName(), "a schedule of your own is held, to be saved by its rates");
        assertThrows(IllegalArgumentException.class, () -> new OptimizerState(constant, one, new double[] {-1}));
        assertThrows(IllegalArgumentException.class, () -> new OptimizerState(constant, one, new double[2]));
        OptimizerState state = new OptimizerState(constant.withLearningRate(0.02).withBetas(0.8, 0.9).withEps(1e-6),
                new double[] {1}, new double[] {2});
        assertEquals("constant", state.scheduleName());
        assertEquals("linear_decay", new AdamOptimizer(1).state().scheduleName());
        AdamOptimizer adam = state.toOptimizer();
        assertEquals(state.settings(), adam.settings());
        assertSame(LearningRateSchedule.CONSTANT, adam.settings().schedule());
        assertEquals(0.02, adam.settings().learningRate());
        assertArrayEquals(new double[] {2}, adam.secondMoments());
        assertThrows(IllegalArgumentException.class, () -> new DataFingerprint(1, "ABC"));
        assertEquals("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", DataFingerprint.of(List.of())
                .sha256(), "SHA-256 of nothing");
        assertFalse(DataFingerprint.of(List.of("ab", "c")).equals(DataFingerprint.of(List.of("a", "bc"))));
    }

    // ------------------------------------------------------------------------ damaged checkpoints

    /** Saves a good checkpoint, applies an edit to one file, and returns the loader's complaint. */
    private String problemAfter(String file, String blamed, UnaryOperator<String> edit) throws Exception {
        Run run = run(2);
        Path dir = Files.createTempDirectory(tmp, "damaged");
        Files.delete(dir);
        Checkpoint.save(dir, run.model(), TOKENIZER, run.state());
        Path target = dir.resolve(file);
        Files.writeString(target, edit.apply(Files.readString(target, StandardCharsets.ISO_8859_1)),
                StandardCharsets.ISO_8859_1);
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.load(dir));
        assertEquals(dir.resolve(blamed), e.file(), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        return e.getMessage();
    }

    private void assertProblem(String expected, String file, UnaryOperator<String> edit) throws Exception {
        assertProblem(expected, file, file, edit);
    }

    /** The edit is to {@code file}, but the inconsistency shows in {@code blamed}. */
    private void assertProblem(String expected, String file, String blamed, UnaryOperator<String> edit)
            throws Exception {
        String message = problemAfter(file, blamed, edit);
        assertTrue(message.contains(expected), "expected \"" + expected + "\" in: " + message);
    }

    @Test
    void eachInconsistencyIsNamed() throws Exception {
        assertProblem("unsupported version 2 (this library reads version 1", "config.json",
                s -> s.replace("\"version\": 1", "\"version\": 2"));
        assertProblem("\"format\" is \"other\", expected \"microgpt-checkpoint\"", "config.json",
                s -> s.replace("microgpt-checkpoint", "other"));
        assertProblem("\"model.n_embd\" must be at least 1, got 0", "config.json",
                s -> s.replace("\"n_embd\": 8", "\"n_embd\": 0"));
        assertProblem("\"model.n_embd\" (8) must be divisible by \"model.n_head\" (3)", "config.json",
                s -> s.replace("\"n_head\": 2", "\"n_head\": 3"));
        assertProblem("tensor \"wte\" has shape [" + TOKENIZER.vocabSize() + ", 8] but the configuration needs ["
                + (TOKENIZER.vocabSize() + 1) + ", 8]", "config.json", "model.safetensors",
                s -> s.replace("\"vocab_size\": " + TOKENIZER.vocabSize(), "\"vocab_size\": " + (TOKENIZER.vocabSize() + 1))
                        .replace("\"bos\": " + TOKENIZER.bos(), "\"bos\": " + TOKENIZER.vocabSize())
                        .replace("xz", "xz~").replace("\"num_params\": " + run(0).model().numParameters(),
                                "\"num_params\": " + (run(0).model().numParameters() + 16)));
        assertProblem("\"vocabulary.characters\" has " + (TOKENIZER.vocabSize() - 2) + " characters but vocab_size is "
                + TOKENIZER.vocabSize(), "config.json", s -> s.replace("abe", "ab"));
        assertProblem("is not in increasing code-point order at character 1", "config.json", s -> s.replace("abe", "bae"));
        assertProblem("\"model.num_params\" is 1 but the configuration gives", "config.json",
                s -> s.replaceAll("\"num_params\": \\d+", "\"num_params\": 1"));
        assertProblem("more than a model can hold", "config.json",
                s -> s.replace("\"n_layer\": 2", "\"n_layer\": 2000000000"));
        assertProblem("bad JSON at character", "config.json", s -> s.replace("}", ","));
        assertProblem("the field \"vocabulary\" is missing", "config.json", s -> s.replace("\"vocabulary\"", "\"vocab\""));
        assertProblem("trainer.json: unsupported version 7", "trainer.json",
                s -> s.replace("\"version\": 2", "\"version\": 7"));
        assertProblem("\"trainer.steps_done\" must be an integer from 0 to 20, got 21", "trainer.json",
                s -> s.replace("\"steps_done\": 2", "\"steps_done\": 21"));
        assertProblem("\"trainer.next_document\" must be an integer from 0 to 6", "trainer.json",
                s -> s.replaceAll("\"next_document\": \\d+", "\"next_document\": 7"));
        assertProblem("\"optimizer.beta1\" must be in [0, 1), got 1.5", "trainer.json",
                s -> s.replace("\"beta1\": 0.85", "\"beta1\": 1.5"));
        assertProblem("\"optimizer.eps\" must be a finite number, got 1e999", "trainer.json",
                s -> s.replaceAll("\"eps\": [^,]+", "\"eps\": 1e999"));
        assertProblem("\"random.internal_state\" must have 625 elements", "trainer.json",
                s -> s.replace("\"internal_state\": [", "\"internal_state\": [1, "));
        assertProblem("\"random.internal_state\" is not a usable generator state: degenerate", "trainer.json",
                s -> s.replaceAll("\"internal_state\": \\[[^]]*\\]",
                        "\"internal_state\": [" + "0, ".repeat(624) + "624]"));
        assertProblem("\"data.sha256\" must be 64 lowercase hexadecimal digits", "trainer.json",
                s -> s.replace("\"sha256\": \"", "\"sha256\": \"X"));
        assertProblem("\"trainer.step_mode\" is \"batch\"", "trainer.json", s -> s.replace("\"document\"", "\"batch\""));
    }

    @Test
    void damagedTensorsAreNamed() throws Exception {
        Run run = run(1);
        Path dir = tmp.resolve("tensors");
        Checkpoint.save(dir, run.model(), TOKENIZER, run.state());
        Path model = dir.resolve("model.safetensors");
        byte[] good = Files.readAllBytes(model);
        ByteBuffer buffer = ByteBuffer.wrap(good.clone()).order(ByteOrder.LITTLE_ENDIAN);
        int dataStart = 8 + (int) buffer.getLong(0);
        buffer.putDouble(dataStart + 8 * 3, Double.NaN);
        Files.write(model, buffer.array());
        assertLoadProblem(dir, model, "entry (0, 3) of tensor \"wte\" is NaN; NaN and infinite values are refused");

        Files.write(model, java.util.Arrays.copyOf(good, good.length - 1));
        assertLoadProblem(dir, model, "truncated");
        Files.write(model, good);
        Files.delete(dir.resolve("optimizer.safetensors"));
        assertLoadProblem(dir, dir.resolve("optimizer.safetensors"), "the training state is incomplete");
        Files.delete(model);
        assertLoadProblem(dir, model, "the file does not exist");
        Files.delete(dir.resolve("config.json"));
        assertLoadProblem(dir, dir, "is not a checkpoint: it has no config.json");
        assertLoadProblem(tmp.resolve("nowhere"), tmp.resolve("nowhere"), "no checkpoint here: the directory does not exist");
        assertNull(AtomicFiles.interruptedSaveOf(tmp.resolve("nowhere")));

        // An extra tensor, and a missing one, in files that are otherwise valid safetensors.
        Path dir2 = tmp.resolve("tensors2");
        Checkpoint.save(dir2, run.model(), TOKENIZER);
        Path model2 = dir2.resolve("model.safetensors");
        List<Tensor> tensors = new ArrayList<>(Safetensors.read(model2).tensors());
        tensors.add(new Tensor("extra", DType.F64, new int[] {1}, new double[] {1}));
        Safetensors.write(model2, tensors, Map.of());
        assertLoadProblem(dir2, model2, "unexpected tensor \"extra\"");
        Safetensors.write(model2, tensors.subList(0, 3), Map.of());
        assertLoadProblem(dir2, model2, "tensor \"layer0.attn_wq\" is missing");
        // Negative second moments cannot be a mean of squares.
        Path dir3 = tmp.resolve("tensors3");
        Checkpoint.save(dir3, run.model(), TOKENIZER, run.state());
        Path optimizer = dir3.resolve("optimizer.safetensors");
        List<Tensor> moments = new ArrayList<>(Safetensors.read(optimizer).tensors());
        Tensor v = moments.get(1);
        double[] values = v.values();
        values[2] = -1;
        moments.set(1, new Tensor(v.name(), v.dtype(), v.shape(), values));
        Safetensors.write(optimizer, moments, Map.of());
        assertLoadProblem(dir3, optimizer, "entry (0, 2) of tensor \"wte.v\" is negative");
    }

    private static void assertLoadProblem(Path dir, Path file, String expected) {
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.load(dir));
        assertEquals(file, e.file(), e.getMessage());
        assertTrue(e.getMessage().contains(expected), "expected \"" + expected + "\" in: " + e.getMessage());
    }

    static Set<String> names(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            Set<String> names = new TreeSet<>();
            files.forEach(f -> names.add(f.getFileName().toString()));
            return names;
        }
    }
}
