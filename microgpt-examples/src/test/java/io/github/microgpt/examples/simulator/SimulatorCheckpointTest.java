package io.github.microgpt.examples.simulator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import io.github.microgpt.checkpoint.Checkpoint;
import io.github.microgpt.checkpoint.ResumedTraining;
import io.github.microgpt.checkpoint.TrainingRun;
import io.github.microgpt.checkpoint.TrainingState;
import io.github.microgpt.examples.cli.CliContext;
import io.github.microgpt.examples.cli.MicrogptCommand;
import io.github.microgpt.model.ArrayGptModel;
import io.github.microgpt.model.BigramModel;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.GptModel;
import io.github.microgpt.model.MlpModel;
import io.github.microgpt.model.Precision;
import io.github.microgpt.optim.AdamOptimizer;
import io.github.microgpt.optim.AdamSettings;
import io.github.microgpt.optim.LearningRateSchedule;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.text.DataSource;
import io.github.microgpt.text.Tokenizer;
import io.github.microgpt.train.StepMode;
import io.github.microgpt.train.Trainer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Save model and Load model over the HTTP API: what is written, what comes back (bit for bit),
 * and every way a save or load is refused without changing the session.
 */
class SimulatorCheckpointTest {

    @TempDir
    Path checkpoints;

    private SimulatorServer server;
    private Fixtures.Api api;

    @BeforeEach
    void start() throws IOException {
        server = SimulatorServer.start(Fixtures.names(), "file", "names.txt", 42, checkpoints, 0);
        api = new Fixtures.Api(server);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @ParameterizedTest(name = "{0} engine")
    @ValueSource(strings = {"value", "array"})
    void saveThenLoadRestoresTheWeightsBitForBitAndTheRunGoesOnAsIfNeverInterrupted(String engine) throws IOException {
        assertEquals(engine, ok(api.post("api/reset", "{\"engine\": \"" + engine + "\"}")).get("engine").getAsString());
        for (int i = 0; i < 4; i++) {
            ok(api.post("api/step", "{\"mode\": \"position\"}"));
        }
        ok(api.post("api/step", "{\"mode\": \"document\"}"));
        double[] saved = weights();
        JsonObject afterSave = ok(api.post("api/save", "{\"name\": \"run-a\"}"));
        assertTrue(afterSave.get("message").getAsString().startsWith("Saved the model as \"run-a\" (step 5 of 1000)"),
                afterSave.get("message").getAsString());
        for (String file : List.of(Checkpoint.MODEL_FILE, Checkpoint.CONFIG_FILE, "optimizer.safetensors",
                "trainer.json")) {
            assertTrue(Files.isRegularFile(checkpoints.resolve("run-a").resolve(file)), file + " was written");
        }
        // What the library reads back is exactly the session's model, and the run can resume outside the simulator.
        Checkpoint checkpoint = Checkpoint.load(checkpoints.resolve("run-a"));
        assertBitwiseEqual(saved, checkpoint.weights(), "the saved file");
        List<String> order = Fixtures.trainingOrder(Fixtures.names(), 42);
        ResumedTraining resumed = checkpoint.resumeWith(order);
        assertEquals(5, resumed.trainer().stepsDone());
        assertNull(checkpoint.training().orElseThrow().stepMode(), "position and document steps were mixed");

        // The uninterrupted run: six more steps, then five samples.
        List<Double> losses = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            losses.add(lastLoss(ok(api.post("api/step", "{\"mode\": \"position\"}"))));
        }
        double[] uninterrupted = weights();
        JsonArray samples = ok(api.post("api/generate", "{\"temperature\": 0.5, \"count\": 5}")).getAsJsonArray("samples");

        // A new model, then the saved one: the same weights, step and settings.
        JsonObject reset = ok(api.post("api/reset", "{}"));
        assertEquals(0, reset.get("step").getAsInt());
        assertFalse(bitwiseEqual(saved, weights()), "Reset made a new model");
        JsonObject loaded = ok(api.post("api/load", "{\"name\": \"run-a\"}"));
        assertEquals(5, loaded.get("step").getAsInt());
        assertEquals(1000, loaded.get("totalSteps").getAsInt());
        assertEquals(0, loaded.get("recordCount").getAsInt(), "the log starts afresh");
        assertTrue(loaded.get("message").getAsString().contains("training goes on exactly where it was saved"),
                loaded.get("message").getAsString());
        assertBitwiseEqual(saved, weights(), "the loaded weights");

        // The loaded run continues exactly as the uninterrupted one: losses, weights and samples.
        for (int i = 0; i < 6; i++) {
            assertEquals(losses.get(i), lastLoss(ok(api.post("api/step", "{\"mode\": \"position\"}"))), 0.0,
                    "loss of step " + (6 + i));
        }
        assertBitwiseEqual(uninterrupted, weights(), "the weights after step 11");
        assertEquals(samples, ok(api.post("api/generate", "{\"temperature\": 0.5, \"count\": 5}"))
                .getAsJsonArray("samples"), "the samples drawn after step 11");
    }

    @Test
    void saveReplacesACheckpointOfTheSameName() throws IOException {
        ok(api.post("api/save", "{\"name\": \"same\"}"));
        ok(api.post("api/step", "{}"));
        JsonObject again = ok(api.post("api/save", "{\"name\": \"same\"}"));
        assertTrue(again.get("message").getAsString().contains("(step 1 of 1000, replacing the earlier one)"),
                again.get("message").getAsString());
        assertEquals(1, Checkpoint.load(checkpoints.resolve("same")).training().orElseThrow().trainer().stepsDone());
        try (Stream<Path> files = Files.list(checkpoints)) {
            assertEquals(List.of("same"), files.map(p -> p.getFileName().toString()).toList(),
                    "no temporary or old folder is left behind");
        }
    }

    @Test
    void onOtherDocumentsTheWeightsAreLoadedAndTrainingStartsAtStepZero() {
        ok(api.post("api/step", "{}"));
        double[] saved = weights();
        ok(api.post("api/save", "{\"name\": \"names-1\"}"));
        // A dataset of some of the model's characters: the model can train on it, but not resume its run.
        ok(api.post("api/reset", "{\"numSteps\": 40, \"config\": {\"nLayer\": 2, \"nEmbd\": 8, \"nHead\": 2,"
                + " \"learningRate\": 0.02, \"seed\": 3}, \"dataset\": {\"source\": \"text\", \"text\": \"abc\\ncab\","
                + " \"name\": \"abc.txt\"}}"));
        JsonObject loaded = ok(api.post("api/load", "{\"name\": \"names-1\"}"));
        assertEquals(0, loaded.get("step").getAsInt());
        assertEquals(40, loaded.get("totalSteps").getAsInt(), "Num steps stays the session's");
        assertEquals(27, loaded.getAsJsonObject("stats").get("vocabSize").getAsInt(), "the checkpoint's vocabulary");
        assertEquals(2, loaded.getAsJsonObject("stats").get("numDocs").getAsInt(), "the session's dataset");
        JsonObject config = loaded.getAsJsonObject("config");
        assertEquals(List.of(1, 16, 4, 16), List.of(config.get("nLayer").getAsInt(), config.get("nEmbd").getAsInt(),
                config.get("nHead").getAsInt(), config.get("blockSize").getAsInt()), "the checkpoint's shape");
        assertEquals(0.02, config.get("learningRate").getAsDouble(), "the session's learning rate");
        assertEquals(3, config.get("seed").getAsLong(), "the session's seed");
        String message = loaded.get("message").getAsString();
        assertTrue(message.contains("Training starts again at step 0") && message.contains("other documents than the"
                + " current dataset (abc.txt)") && message.contains("saved with \"names.txt\""), message);
        assertBitwiseEqual(saved, weights(), "the loaded weights");
        JsonObject stepped = ok(api.post("api/step", "{\"mode\": \"document\"}"));
        assertEquals(1, stepped.get("step").getAsInt(), "the loaded model trains on the session's dataset");
    }

    /**
     * Finite weights, which the loader accepts, whose logits overflow: Gen Step and Generate
     * answered 500 "the simulator failed" with a softmax's complaint; now 409 saying why.
     */
    @Test
    void aModelWhoseLogitsOverflowIsRefusedSamplingWith409() throws IOException {
        Tokenizer tokenizer = Tokenizer.fromDocuments(Fixtures.names());
        Checkpoint.save(checkpoints.resolve("overflowing"), GptModel.create(GptConfig.defaults(),
                tokenizer.vocabSize(), new PythonRandom(9)), tokenizer);
        Path weights = checkpoints.resolve("overflowing").resolve("model.safetensors");
        java.nio.ByteBuffer bytes = java.nio.ByteBuffer.wrap(Files.readAllBytes(weights))
                .order(java.nio.ByteOrder.LITTLE_ENDIAN);
        int headerLength = (int) bytes.getLong(0);
        JsonArray offsets = com.google.gson.JsonParser.parseString(new String(bytes.array(), 8, headerLength,
                StandardCharsets.UTF_8)).getAsJsonObject().getAsJsonObject("lm_head").getAsJsonArray("data_offsets");
        for (int at = offsets.get(0).getAsInt(), i = 0; at < offsets.get(1).getAsInt(); at += 8, i++) {
            bytes.putDouble(8 + headerLength + at, i % 2 == 0 ? 1.7e308 : -1.7e308);
        }
        Files.write(weights, bytes.array());
        ok(api.post("api/load", "{\"name\": \"overflowing\"}"));
        for (String command : List.of("api/gen-step", "api/generate")) {
            Fixtures.Answer answer = api.post(command, "{\"temperature\": 1}");
            assertEquals(409, answer.status(), command + ": " + answer.body());
            assertTrue(answer.json().get("error").getAsString().startsWith("the model's logits are not finite"),
                    command + ": " + answer.body());
        }
    }

    @Test
    void aModelOnlyCheckpointLoadsItsWeightsAtStepZero() throws IOException {
        Tokenizer tokenizer = Tokenizer.fromDocuments(Fixtures.names());
        GptModel model = GptModel.create(new GptConfig(2, 8, 2, 8, 0.08), tokenizer.vocabSize(), new PythonRandom(9));
        Checkpoint.save(checkpoints.resolve("library"), model, tokenizer);
        JsonObject loaded = ok(api.post("api/load", "{\"name\": \"library\"}"));
        assertEquals(0, loaded.get("step").getAsInt());
        assertEquals(2, loaded.getAsJsonObject("config").get("nLayer").getAsInt());
        assertTrue(loaded.get("message").getAsString().contains("without the optimizer's state"),
                loaded.get("message").getAsString());
        assertBitwiseEqual(model.parameters().values(), weights(), "the loaded weights");
    }

    /**
     * A run with a learning-rate schedule of its own program's can be resumed only with that
     * schedule given back, which the simulator cannot do: its weights load at step 0, with a note
     * saying why (the optimizer's state failed with an internal error before).
     */
    @Test
    void aRunWithAScheduleOfItsOwnLoadsItsWeightsAtStepZero() throws IOException {
        Tokenizer tokenizer = Tokenizer.fromDocuments(Fixtures.names());
        GptModel model = GptModel.create(new GptConfig(1, 16, 4, 16, 0.08), tokenizer.vocabSize(), new PythonRandom(9));
        LearningRateSchedule cosine = (base, stepIndex, total) -> base * 0.5 * (1 + Math.cos(Math.PI * stepIndex / total));
        Trainer trainer = new Trainer(model, tokenizer, Fixtures.names(),
                new AdamOptimizer(model.numParameters(), AdamSettings.defaults().withSchedule(cosine)), 10);
        trainer.step(StepMode.DOCUMENT);
        Checkpoint.save(checkpoints.resolve("cosine"), model, tokenizer, TrainingState.capture(trainer,
                new PythonRandom(42), StepMode.DOCUMENT, Map.of(), null, null));
        JsonObject loaded = ok(api.post("api/load", "{\"name\": \"cosine\"}"));
        String message = loaded.get("message").getAsString();
        assertEquals(0, loaded.get("step").getAsInt(), message);
        assertTrue(message.contains("Training starts again at step 0")
                && message.contains("a learning-rate schedule of its own"), message);
        assertBitwiseEqual(model.parameters().values(), weights(), "the loaded weights");
    }

    @Test
    void aDatasetWithCharactersTheModelHasNoTokenForIsRefused() {
        ok(api.post("api/save", "{\"name\": \"names\"}"));
        ok(api.post("api/reset", "{\"dataset\": {\"source\": \"text\", \"text\": \"zoë\\nabc\", \"name\": \"umlaut\"}}"));
        JsonObject before = api.state();
        double[] weights = weights();
        assertError(api.post("api/load", "{\"name\": \"names\"}"), 400,
                "the current dataset (umlaut) has 1 character that the model has no token for ('ë')");
        assertUnchanged(before, weights);
    }

    @Test
    void aModelTooLargeToTrainLiveIsRefused() throws IOException {
        Tokenizer tokenizer = Tokenizer.ofCharacters("ab");
        GptModel model = GptModel.create(new GptConfig(5, 4, 1, 4, 0.08), tokenizer.vocabSize(), new PythonRandom(1));
        Checkpoint.save(checkpoints.resolve("deep"), model, tokenizer);
        JsonObject before = api.state();
        double[] weights = weights();
        assertError(api.post("api/load", "{\"name\": \"deep\"}"), 400,
                "cannot load \"deep\": its gpt model (layers 5, embedding size 4, heads 1, block size 4) is outside");
        assertUnchanged(before, weights);
    }

    /**
     * A checkpoint whose weights file is larger than any model the simulator trains live could
     * fill is refused by its size, before it is read: the old code read all of it (seconds, for a
     * model of millions of parameters) and refused only its shape. A sparse 1 GiB file stands for
     * the large one here; its contents are never looked at.
     */
    @Test
    void aCheckpointTooLargeToTrainLiveIsRefusedByItsSizeBeforeItIsRead() throws IOException {
        assertEquals(1_632_512, RunCheckpoints.MAX_PARAMETERS);
        ok(api.post("api/save", "{\"name\": \"good\"}"));
        for (String file : List.of(Checkpoint.MODEL_FILE, "optimizer.safetensors")) {
            Path huge = copy(checkpoints.resolve("good"), checkpoints.resolve("huge-" + file.charAt(0)));
            try (FileChannel channel = FileChannel.open(huge.resolve(file), StandardOpenOption.WRITE)) {
                channel.write(java.nio.ByteBuffer.wrap(new byte[] {0}), (1L << 30) - 1);
            }
            JsonObject before = api.state();
            double[] weights = weights();
            String name = huge.getFileName().toString();
            assertError(api.post("api/load", "{\"name\": \"" + name + "\"}"), 400, "cannot load \"" + name + "\": its "
                    + file + " has 1,073,741,824 bytes, more than the " + String.format(java.util.Locale.ROOT, "%,d",
                    8 + (1 << 20) + (file.equals(Checkpoint.MODEL_FILE) ? 8L : 16L) * 1_632_512) + " that the "
                    + (file.equals(Checkpoint.MODEL_FILE) ? "weights" : "moments") + " of the largest model the"
                    + " simulator trains live take (1,632,512 parameters: the array engine's gpt with Layers 1–8,"
                    + " Embedding size 4–128, Heads 1–16, Block size 2–64, and 200 characters): its model is too large"
                    + " to train live, and it was refused before it was read");
            assertUnchanged(before, weights);
        }
        // The limit is above the largest loadable model's: the array engine's widest and deepest
        // GPT, at the block size its budget of work allows, still loads.
        ok(api.post("api/reset", "{\"engine\": \"array\"}"));
        Tokenizer letters = Tokenizer.ofCharacters("abcdefghijklmnopqrstuvwxyz");
        Checkpoint.save(checkpoints.resolve("largest"), ArrayGptModel.create(new GptConfig(8, 128, 16, 2, 0.08),
                letters.vocabSize(), new PythonRandom(1), Precision.F64), letters);
        assertEquals(8, ok(api.post("api/load", "{\"name\": \"largest\"}")).getAsJsonObject("config")
                .get("nLayer").getAsInt());
    }

    /**
     * The loss curve of a checkpoint whose weights or moments file is larger than any model the
     * simulator trains live could fill is refused by the files' sizes, as Load is, before a byte
     * is read: the old code read the whole checkpoint (its weights and moments, which the curve
     * does not show) and answered with whatever the reader made of it.
     */
    @Test
    void theLossCurveOfACheckpointTooLargeToTrainLiveIsRefusedByItsSizeBeforeItIsRead() throws IOException {
        ok(api.post("api/step", "{\"mode\": \"document\"}"));
        ok(api.post("api/save", "{\"name\": \"good\"}"));
        assertEquals(1, ok(api.get("api/loss-curve?name=good")).getAsJsonArray("losses").size());
        for (String file : List.of(Checkpoint.MODEL_FILE, "optimizer.safetensors")) {
            Path huge = copy(checkpoints.resolve("good"), checkpoints.resolve("huge-" + file.charAt(0)));
            try (FileChannel channel = FileChannel.open(huge.resolve(file), StandardOpenOption.WRITE)) {
                channel.write(java.nio.ByteBuffer.wrap(new byte[] {0}), (1L << 30) - 1);
            }
            String name = huge.getFileName().toString();
            assertError(api.get("api/loss-curve?name=" + name), 400, "cannot read the loss curve of \"" + name
                    + "\": its " + file + " has 1,073,741,824 bytes, more than the " + String.format(
                    java.util.Locale.ROOT, "%,d", 8 + (1 << 20) + (file.equals(Checkpoint.MODEL_FILE) ? 8L : 16L)
                    * 1_632_512) + " that the " + (file.equals(Checkpoint.MODEL_FILE) ? "weights" : "moments")
                    + " of the largest model the simulator trains live take (1,632,512 parameters: the array engine's"
                    + " gpt with Layers 1–8, Embedding size 4–128, Heads 1–16, Block size 2–64, and 200 characters):"
                    + " the simulator shows the loss curves of the models it trains live, and it was refused before"
                    + " it was read");
        }
    }

    @Test
    void aModelOfTheProgressionIsCheckedAgainstItsOwnLimits() throws IOException {
        // The dataset's characters must be the model's: a bigram table over two letters cannot train on the names.
        Tokenizer tokenizer = Tokenizer.ofCharacters("ab");
        Checkpoint.save(checkpoints.resolve("bigram"), BigramModel.create(new GptConfig(1, 4, 1, 4, 0.08),
                tokenizer.vocabSize(), new PythonRandom(1)), tokenizer);
        JsonObject before = api.state();
        double[] weights = weights();
        assertError(api.post("api/load", "{\"name\": \"bigram\"}"), 400,
                "cannot load \"bigram\": the current dataset (names.txt) has 24 characters that the model has no token for");
        Tokenizer letters = Tokenizer.ofCharacters("abcdefghijklmnopqrstuvwxyz");
        Checkpoint.save(checkpoints.resolve("wide-mlp"), MlpModel.create(new GptConfig(1, 64, 4, 32, 0.08),
                letters.vocabSize(), new PythonRandom(1)), letters);
        assertError(api.post("api/load", "{\"name\": \"wide-mlp\"}"), 400,
                "cannot load \"wide-mlp\": its mlp model (layers 1, embedding size 64, heads 4, block size 32) is outside"
                        + " what the simulator trains live with the value engine");
        assertUnchanged(before, weights);
    }

    static Stream<Arguments> badNames() {
        List<Arguments> cases = new ArrayList<>();
        String rule = "The checkpoint name must be 1 to 64 letters, digits";
        for (String path : List.of("api/save", "api/load")) {
            for (String name : List.of("", "../evil", "..", ".", ".hidden", "-dash", "_under", "a/b", "a\\\\b",
                    "/etc/passwd", "C:x", "a b", "zoë", "tab\\t", "x".repeat(65), "x".repeat(201), "name\\u0000")) {
                cases.add(Arguments.of(path, "{\"name\": \"" + name + "\"}", rule));
            }
            cases.add(Arguments.of(path, "{\"name\": \"NUL\"}", "is the name of a device on Windows"));
            cases.add(Arguments.of(path, "{\"name\": \"com1.txt\"}", "is the name of a device on Windows"));
            cases.add(Arguments.of(path, "{\"name\": \"run.\"}", "The checkpoint name must not end in '.' (Windows"
                    + " drops it, and \"run.\" would be the folder of \"run\"); got \"run.\""));
            cases.add(Arguments.of(path, "{\"name\": \"a..\"}", "must not end in '.'"));
            cases.add(Arguments.of(path, "{}", "the checkpoint name is missing"));
            cases.add(Arguments.of(path, "{\"name\": null}", "the checkpoint name is missing"));
            cases.add(Arguments.of(path, "{\"name\": 5}", "The checkpoint name must be a string"));
            cases.add(Arguments.of(path, "{\"name\": [\"a\"]}", "The checkpoint name must be a string"));
            cases.add(Arguments.of(path, "{\"name\": \"a\", \"path\": \"/tmp/a\"}", "unknown field \"path\""));
            cases.add(Arguments.of(path, "not json", "not valid JSON"));
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "[{index}] {0} {1}")
    @MethodSource("badNames")
    void aBadNameIsAnswered400AndChangesNothing(String path, String body, String message) throws IOException {
        ok(api.post("api/step", "{}"));
        JsonObject before = api.state();
        double[] weights = weights();
        Fixtures.Answer answer = api.post(path, body);
        assertError(answer, 400, message);
        assertUnchanged(before, weights);
        try (Stream<Path> files = Files.list(checkpoints)) {
            assertEquals(List.of(), files.toList(), path + " " + body + " wrote nothing");
        }
        assertFalse(Files.exists(checkpoints.resolveSibling("evil")), "nothing outside the folder");
    }

    @Test
    void loadingAMissingCheckpointIs404AndChangesNothing() {
        ok(api.post("api/step", "{}"));
        JsonObject before = api.state();
        double[] weights = weights();
        Fixtures.Answer answer = api.post("api/load", "{\"name\": \"nope\"}");
        assertError(answer, 404, "there is no checkpoint named \"nope\": " + checkpoints.resolve("nope")
                + ": no checkpoint here: the directory does not exist");
        assertUnchanged(before, weights);
    }

    @Test
    void loadingADamagedCheckpointIs400WithTheReasonAndChangesNothing() throws IOException {
        ok(api.post("api/save", "{\"name\": \"good\"}"));
        ok(api.post("api/step", "{}"));
        // A truncated weights file, a corrupt trainer.json, and a folder that is not a checkpoint at all.
        Path truncated = copy(checkpoints.resolve("good"), checkpoints.resolve("truncated"));
        try (FileChannel channel = FileChannel.open(truncated.resolve(Checkpoint.MODEL_FILE), StandardOpenOption.WRITE)) {
            channel.truncate(channel.size() - 100);
        }
        Path corrupt = copy(checkpoints.resolve("good"), checkpoints.resolve("corrupt"));
        Files.writeString(corrupt.resolve("trainer.json"), "{\"format\": ");
        Path junk = Files.createDirectory(checkpoints.resolve("junk"));
        Files.writeString(junk.resolve("notes.txt"), "not a model");
        Path file = Files.writeString(checkpoints.resolve("plain-file"), "x");

        JsonObject before = api.state();
        double[] weights = weights();
        assertError(api.post("api/load", "{\"name\": \"truncated\"}"), 400,
                "cannot load \"truncated\": " + truncated.resolve(Checkpoint.MODEL_FILE) + ": truncated");
        assertError(api.post("api/load", "{\"name\": \"corrupt\"}"), 400,
                "cannot load \"corrupt\": " + corrupt.resolve("trainer.json") + ": ");
        assertError(api.post("api/load", "{\"name\": \"junk\"}"), 400, "is not a checkpoint: it has no config.json");
        assertError(api.post("api/load", "{\"name\": \"plain-file\"}"), 400, "is not a directory");
        assertUnchanged(before, weights);
        // Saving over something that is not a checkpoint is refused too, and leaves it alone.
        assertError(api.post("api/save", "{\"name\": \"junk\"}"), 409, "exists and is not a checkpoint");
        assertError(api.post("api/save", "{\"name\": \"plain-file\"}"), 409, "exists and is not a directory");
        assertEquals("not a model", Files.readString(junk.resolve("notes.txt")));
        assertEquals("x", Files.readString(file));
        assertUnchanged(before, weights);
    }

    @Test
    void duringARunSaveAndLoadAreRefusedWith409() throws IOException {
        ok(api.post("api/save", "{\"name\": \"before-run\"}"));
        ok(api.post("api/reset", "{\"numSteps\": 100000}"));
        assertTrue(ok(api.post("api/run", "{}")).get("running").getAsBoolean());
        try {
            assertError(api.post("api/save", "{\"name\": \"during-run\"}"), 409, "training is running: press Stop first");
            assertError(api.post("api/load", "{\"name\": \"before-run\"}"), 409, "training is running: press Stop first");
            assertTrue(server.session().snapshot().running(), "the run goes on");
        } finally {
            ok(api.post("api/stop", "{}"));
        }
        assertFalse(Files.exists(checkpoints.resolve("during-run")));
        assertEquals(100_000, api.state().get("totalSteps").getAsInt(), "the run's model is still there");
    }

    @Test
    void theListShowsTheSavedModelsByNameWithTheirStep() throws IOException {
        JsonObject empty = ok(api.get("api/checkpoints"));
        assertEquals(checkpoints.toAbsolutePath().normalize().toString(), empty.get("directory").getAsString());
        assertEquals(0, empty.getAsJsonArray("checkpoints").size());
        ok(api.post("api/step", "{}"));
        ok(api.post("api/step", "{}"));
        ok(api.post("api/save", "{\"name\": \"b-two-steps\"}"));
        ok(api.post("api/reset", "{\"numSteps\": 300}"));
        ok(api.post("api/save", "{\"name\": \"A-new\"}"));
        // Not listed: a hidden folder, a folder without config.json, a file, a folder whose name is not a name.
        Files.createDirectories(checkpoints.resolve(".b-two-steps.old-1234"));
        Files.createDirectories(checkpoints.resolve("junk"));
        Files.writeString(checkpoints.resolve("file.txt"), "x");
        Files.createDirectories(checkpoints.resolve("with space")).resolve(Checkpoint.CONFIG_FILE).toFile()
                .createNewFile();

        JsonObject list = ok(api.get("api/checkpoints"));
        JsonArray entries = list.getAsJsonArray("checkpoints");
        assertEquals(List.of("A-new", "b-two-steps"), entries.asList().stream()
                .map(e -> e.getAsJsonObject().get("name").getAsString()).toList());
        JsonObject aNew = entries.get(0).getAsJsonObject();
        assertEquals("gpt", aNew.get("model").getAsString(), "the model's kind, read from config.json");
        assertNull(aNew.get("precision"), "an f64 model says no precision");
        assertEquals(0, aNew.get("step").getAsInt());
        assertEquals(300, aNew.get("totalSteps").getAsInt());
        JsonObject two = entries.get(1).getAsJsonObject();
        assertEquals(2, two.get("step").getAsInt());
        assertEquals(1000, two.get("totalSteps").getAsInt());
        assertTrue(two.get("savedAt").getAsString().matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ"),
                two.get("savedAt").getAsString());
        assertFalse(list.get("truncated").getAsBoolean());

        assertError(api.get("api/checkpoints?dir=/etc"), 400, "takes no query parameters");
        assertError(api.post("api/checkpoints", "{}"), 405, "use GET here, not POST");
        assertError(api.get("api/save"), 405, "use POST here, not GET");
    }

    @Test
    void aRunSavedHereCanBeResumedByTheCommandLine(@TempDir Path elsewhere) throws IOException {
        // The embedded names, as `microgpt simulator` without --data: `microgpt train --resume` finds them itself.
        ok(api.post("api/reset", "{\"dataset\": {\"source\": \"embedded\"}}"));
        ok(api.post("api/step", "{\"mode\": \"document\"}"));
        ok(api.post("api/save", "{\"name\": \"for-cli\"}"));
        var training = Checkpoint.load(checkpoints.resolve("for-cli")).training().orElseThrow();
        assertEquals(StepMode.DOCUMENT, training.stepMode());
        // The run, which `microgpt train --resume` reads: the seed and the embedded names.
        assertEquals(new TrainingRun(42, DataSource.embedded()), training.run());
        assertEquals(Map.of("engine", "value"), training.metadata());

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        CliContext context = new CliContext(out, new PrintStream(err, true, StandardCharsets.UTF_8), Map.of(), null, null);
        Path next = elsewhere.resolve("step-2");
        int exit = MicrogptCommand.execute(context, "train", "--resume", checkpoints.resolve("for-cli").toString(),
                "--stop-after", "2", "--save", next.toString());
        assertEquals(0, exit, err.toString(StandardCharsets.UTF_8));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("step    2 / 1000 | loss "),
                out.toString(StandardCharsets.UTF_8));
        assertEquals(2, Checkpoint.load(next).training().orElseThrow().trainer().stepsDone());
        // ... and the simulator loads what the command line saved, continuing its run.
        Files.move(next, checkpoints.resolve("from-cli"));
        assertEquals(2, ok(api.post("api/load", "{\"name\": \"from-cli\"}")).get("step").getAsInt());
    }

    /**
     * The simulator computes in double precision only. A run saved in single precision by the
     * command line goes on from its step and optimizer state, but not with the bits its own next
     * steps would have had, and the note must not say "exactly" (it did).
     */
    @Test
    void aSinglePrecisionRunGoesOnInDoublePrecisionAndTheNoteSaysSo(@TempDir Path elsewhere) throws IOException {
        ok(api.post("api/reset", "{\"dataset\": {\"source\": \"embedded\"}, \"engine\": \"array\"}"));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        CliContext context = new CliContext(out, new PrintStream(err, true, StandardCharsets.UTF_8), Map.of(), null, null);
        Path saved = elsewhere.resolve("f32-run");
        int exit = MicrogptCommand.execute(context, "train", "--engine", "array", "--precision", "f32",
                "--stop-after", "3", "--save", saved.toString());
        assertEquals(0, exit, err.toString(StandardCharsets.UTF_8));
        Files.move(saved, checkpoints.resolve("f32-run"));

        JsonObject loaded = ok(api.post("api/load", "{\"name\": \"f32-run\"}"));
        String message = loaded.get("message").getAsString();
        assertEquals(3, loaded.get("step").getAsInt(), message);
        assertFalse(message.contains("exactly"), message);
        assertTrue(message.contains("goes on where it was saved, in double precision"), message);
        ok(api.post("api/step", "{}"));
        assertEquals(4, api.state().get("step").getAsInt(), "training goes on from the saved step");
    }

    // ------------------------------------------------------------------------------ helpers

    private JsonObject ok(Fixtures.Answer answer) {
        assertEquals(200, answer.status(), answer.body());
        return answer.json();
    }

    private double[] weights() {
        JsonArray values = ok(api.get("api/weights")).getAsJsonArray("values");
        double[] out = new double[values.size()];
        for (int i = 0; i < out.length; i++) {
            JsonPrimitive value = values.get(i).getAsJsonPrimitive();
            // The JSON holds each double in its shortest exact form, so parsing gives back the same bits.
            out[i] = Double.parseDouble(value.getAsString());
        }
        return out;
    }

    private static double lastLoss(JsonObject state) {
        JsonArray losses = state.getAsJsonArray("losses");
        return losses.get(losses.size() - 1).getAsDouble();
    }

    private void assertUnchanged(JsonObject before, double[] weights) {
        JsonObject after = api.state();
        assertEquals(before.get("revision").getAsLong(), after.get("revision").getAsLong(), "a new state was published");
        assertEquals(before.get("epoch").getAsLong(), after.get("epoch").getAsLong());
        assertEquals(before.get("step").getAsInt(), after.get("step").getAsInt());
        assertBitwiseEqual(weights, weights(), "the weights");
    }

    private static boolean bitwiseEqual(double[] a, double[] b) {
        if (a.length != b.length) {
            return false;
        }
        for (int i = 0; i < a.length; i++) {
            if (Double.doubleToRawLongBits(a[i]) != Double.doubleToRawLongBits(b[i])) {
                return false;
            }
        }
        return true;
    }

    /**
     * A save the disk refuses says what failed, where and why. An AccessDeniedException's own
     * message is only a path: the page showed "cannot save as "run": /data/.run.lock" and no reason.
     */
    @Test
    void aSaveTheDiskRefusesSaysWhatWhereAndWhy() throws IOException {
        Path folder = Path.of("/data/ckpt");
        assertEquals("cannot save as \"run\" in the checkpoint folder /data/ckpt: /data/ckpt/.run.lock: permission"
                + " denied; start the simulator with --checkpoints set to a folder it may write",
                RunCheckpoints.saveFailure("run", folder, new java.nio.file.AccessDeniedException("/data/ckpt/.run.lock")));
        assertEquals("cannot save as \"run\" in the checkpoint folder /data/ckpt: /data/ckpt/run/model.safetensors:"
                + " No space left on device", RunCheckpoints.saveFailure("run", folder,
                new java.nio.file.FileSystemException("/data/ckpt/run/model.safetensors", null,
                        "No space left on device")));

        // A real refusal: the save's lock file is in the way (a folder of its name).
        ok(api.post("api/save", "{\"name\": \"kept\"}"));
        Files.createDirectory(checkpoints.resolve(".run.lock"));
        assertError(api.post("api/save", "{\"name\": \"run\"}"), 500, "cannot save as \"run\" in the checkpoint"
                + " folder " + checkpoints + ": " + checkpoints.resolve(".run.lock") + ": Is a directory");
        assertTrue(Files.isRegularFile(checkpoints.resolve("kept").resolve(Checkpoint.CONFIG_FILE)),
                "the earlier save is intact");
    }

    /**
     * Another program saving into the same checkpoint (a {@code microgpt train --save DIR/busy}
     * holding the directory's lock, in a process of its own): Save is refused with 409 (another
     * name would do, or this one later) and says who holds it; the earlier checkpoint is intact.
     * The old code answered 500, "the server's disk refuses it", and told the user to restart the
     * simulator with another folder.
     */
    @Test
    void aSaveWhileAnotherProcessSavesThereIsAConflictThatSaysSo() throws Exception {
        ok(api.post("api/save", "{\"name\": \"busy\"}"));
        byte[] before = Files.readAllBytes(checkpoints.resolve("busy").resolve(Checkpoint.MODEL_FILE));
        ok(api.post("api/step", "{\"mode\": \"document\"}"));
        Process holder = io.github.microgpt.examples.SaveLockHolder.start(checkpoints.resolve("busy"));
        try {
            assertError(api.post("api/save", "{\"name\": \"busy\"}"), 409, "cannot save as \"busy\": another"
                    + " program (or another part of this one) is saving into this checkpoint: it holds the lock "
                    + checkpoints.resolve(".busy.lock") + "; wait for it to finish or choose another name");
            assertArrayEquals(before, Files.readAllBytes(checkpoints.resolve("busy").resolve(Checkpoint.MODEL_FILE)),
                    "the earlier checkpoint is intact");
        } finally {
            io.github.microgpt.examples.SaveLockHolder.release(holder);
        }
        assertTrue(ok(api.post("api/save", "{\"name\": \"busy\"}")).get("message").getAsString()
                .startsWith("Saved the model as \"busy\" (step 1 of 1000, replacing the earlier one)"));
    }

    /**
     * A checkpoint folder in which nothing can be created refuses every name alike: 500 (the
     * request was valid; no other name would do), not 409, which told the page to pick another name.
     */
    @Test
    void aFolderThatRefusesNewFilesIsAServerFailureNamedAsSuch() throws IOException {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(Path.of("/proc/self")), "no /proc here");
        Path proc = Path.of("/proc/microgpt-no-such-folder");
        try (SimulatorServer virtual = SimulatorServer.start(Fixtures.names(), "file", "names.txt", 42, proc, 0)) {
            assertError(new Fixtures.Api(virtual).post("api/save", "{\"name\": \"run\"}"), 500,
                    "cannot save as \"run\" in the checkpoint folder " + proc + ": " + proc.resolve("run")
                    + ": cannot be written: creating a file in /proc failed");
        }
    }

    /**
     * A checkpoint folder that cannot exist, since a part of its path is a regular file (how a
     * read-only place is tried where the tests run as root, whom permissions do not stop): every
     * name is refused alike, so 500 naming the folder and the file in the way, not 409 "choose
     * another name"; the file is left as it was.
     */
    @Test
    void aFolderUnderARegularFileIsAServerFailureNamedAsSuch() throws IOException {
        Path file = Files.writeString(checkpoints.resolve("notes.txt"), "keep me");
        Path folder = file.resolve("ckpt");
        try (SimulatorServer underFile = SimulatorServer.start(Fixtures.names(), "file", "names.txt", 42, folder, 0)) {
            assertError(new Fixtures.Api(underFile).post("api/save", "{\"name\": \"run\"}"), 500,
                    "cannot save as \"run\" in the checkpoint folder " + folder + ": " + folder.resolve("run")
                    + ": cannot be created: " + file + " is a file, not a folder");
        }
        assertEquals("keep me", Files.readString(file));
    }

    private static void assertBitwiseEqual(double[] expected, double[] actual, String what) {
        assertEquals(expected.length, actual.length, what + ": number of weights");
        long[] e = new long[expected.length];
        long[] a = new long[actual.length];
        for (int i = 0; i < e.length; i++) {
            e[i] = Double.doubleToRawLongBits(expected[i]);
            a[i] = Double.doubleToRawLongBits(actual[i]);
        }
        assertArrayEquals(e, a, what + " differ in their bits");
    }

    private static void assertError(Fixtures.Answer answer, int status, String message) {
        assertEquals(status, answer.status(), answer.body());
        JsonObject error = answer.json();
        assertEquals(status, error.get("status").getAsInt());
        assertTrue(error.get("error").getAsString().contains(message), "expected \"" + message + "\" in " + error);
    }

    private static Path copy(Path from, Path to) throws IOException {
        Files.createDirectory(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path file : files.toList()) {
                Files.copy(file, to.resolve(file.getFileName()));
            }
        }
        return to;
    }
}
