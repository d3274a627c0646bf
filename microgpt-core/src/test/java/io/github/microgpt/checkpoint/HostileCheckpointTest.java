package io.github.microgpt.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.microgpt.model.Architecture;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.GptModel;
import io.github.microgpt.model.MatrixLayout;
import io.github.microgpt.optim.AdamOptimizer;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.text.Tokenizer;
import io.github.microgpt.train.StepMode;
import io.github.microgpt.train.Trainer;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Checkpoints made by someone who means harm: files whose headers ask for gigabytes, FIFOs and
 * devices in place of files, and files that disagree with each other. Each must give a
 * {@link CheckpointException} naming the file at once, never a hang or an out-of-memory error.
 * (The time limits below only catch a hang; they assert nothing about speed.)
 */
class HostileCheckpointTest {

    static final List<String> DOCS = List.of("anna", "bob", "emma", "li");
    static final Tokenizer TOKENIZER = Tokenizer.fromDocuments(DOCS);
    static final GptConfig CONFIG = new GptConfig(1, 8, 2, 6, 0.1);
    static final Duration HANG = Duration.ofSeconds(60);

    @TempDir
    Path tmp;

    private Path trainedCheckpoint(String name, int steps) throws IOException {
        PythonRandom random = new PythonRandom(3);
        GptModel model = GptModel.create(CONFIG, TOKENIZER.vocabSize(), random);
        Trainer trainer = new Trainer(model, TOKENIZER, DOCS, new AdamOptimizer(model.numParameters()), 10);
        LossHistory losses = LossHistory.recording(trainer);
        for (int i = 0; i < steps; i++) {
            trainer.step(StepMode.DOCUMENT);
        }
        Path dir = tmp.resolve(name);
        Checkpoint.save(dir, model, TOKENIZER, TrainingState.capture(trainer, random, StepMode.DOCUMENT, Map.of(),
                null, losses.losses()));
        return dir;
    }

    private static CheckpointException refused(Path dir, String... fragments) {
        CheckpointException e = assertTimeoutPreemptively(HANG,
                () -> assertThrows(CheckpointException.class, () -> Checkpoint.load(dir)));
        for (String fragment : fragments) {
            assertTrue(e.getMessage().contains(fragment), "expected \"" + fragment + "\" in: " + e.getMessage());
        }
        return e;
    }

    /** A safetensors file whose header is given, followed by {@code dataBytes} bytes of (sparse) zeros. */
    private static void writeSafetensors(Path file, String header, long dataBytes) throws IOException {
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        Files.deleteIfExists(file);
        try (RandomAccessFile out = new RandomAccessFile(file.toFile(), "rw")) {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(json.length).array());
            out.write(json);
            out.setLength(8 + json.length + dataBytes);   // sparse: takes no disk space
        }
    }

    private static String entries(List<MatrixLayout> layout, String suffix, StringBuilder out, long[] offset) {
        for (MatrixLayout m : layout) {
            long bytes = 8L * m.size();
            out.append(out.length() == 1 ? "" : ",").append('"').append(m.name()).append(suffix)
                    .append("\":{\"dtype\":\"F64\",\"shape\":[").append(m.rows()).append(',').append(m.cols())
                    .append("],\"data_offsets\":[").append(offset[0]).append(',').append(offset[0] + bytes).append("]}");
            offset[0] += bytes;
        }
        return out.toString();
    }

    // ------------------------------------------------------------------ allocations bounded by config.json

    @Test
    void aTwoGibibyteTensorTheModelDoesNotHaveIsRefusedWithoutReadingIt() throws Exception {
        Path dir = trainedCheckpoint("sparse", 2);
        List<MatrixLayout> layout = MatrixTensors.layout(CONFIG, TOKENIZER.vocabSize());
        StringBuilder header = new StringBuilder("{");
        long[] offset = {0};
        entries(layout, "", header, offset);
        long gibibyte = 1L << 27;   // doubles; two tensors of 1 GiB each, each small enough for one array
        for (String name : List.of("evil", "evil2")) {
            header.append(",\"").append(name).append("\":{\"dtype\":\"F64\",\"shape\":[").append(gibibyte)
                    .append("],\"data_offsets\":[").append(offset[0]).append(',').append(offset[0] + 8 * gibibyte)
                    .append("]}");
            offset[0] += 8 * gibibyte;
        }
        writeSafetensors(dir.resolve(Checkpoint.MODEL_FILE), header.append('}').toString(), offset[0]);
        assertTrue(Files.size(dir.resolve(Checkpoint.MODEL_FILE)) > (2L << 30), "the file claims over 2 GiB");
        refused(dir, Checkpoint.MODEL_FILE, "unexpected tensor \"evil\"", "[134217728]");
    }

    @Test
    void aConfigurationTooLargeForTheHeapIsRefusedBeforeAnyWeightIsRead() throws Exception {
        long heap = Runtime.getRuntime().maxMemory();
        // 12·d² parameters of 16 bytes each (the array and one tensor) must exceed half the heap,
        // and still fit one Java array.
        int d = (int) Math.ceil(Math.sqrt(heap / 2.0 / 16 / 12)) + 8;
        assumeTrue(12L * d * d < Integer.MAX_VALUE - 8 - 100_000L, "the heap is too large to outgrow here");
        GptConfig config = new GptConfig(1, d, 1, 2, 0.1);
        Path dir = trainedCheckpoint("huge", 0);
        long params = Architecture.GPT.numParameters(config, TOKENIZER.vocabSize());
        String json = Files.readString(dir.resolve(Checkpoint.CONFIG_FILE))
                .replace("\"n_embd\": 8", "\"n_embd\": " + d).replace("\"n_head\": 2", "\"n_head\": 1")
                .replace("\"block_size\": 6", "\"block_size\": 2")
                .replaceAll("\"num_params\": \\d+", "\"num_params\": " + params);
        Files.writeString(dir.resolve(Checkpoint.CONFIG_FILE), json);
        Files.delete(dir.resolve(Format.OPTIMIZER_FILE));
        Files.delete(dir.resolve(Format.TRAINER_FILE));
        Files.deleteIfExists(dir.resolve(Format.LOSSES_FILE));
        StringBuilder header = new StringBuilder("{");
        long[] offset = {0};
        entries(MatrixTensors.layout(config, TOKENIZER.vocabSize()), "", header, offset);
        writeSafetensors(dir.resolve(Checkpoint.MODEL_FILE), header.append('}').toString(), offset[0]);
        refused(dir, Checkpoint.CONFIG_FILE, "the model it describes (" + params + " parameters", "bytes of memory, "
                + "more than half of the");
    }

    @Test
    void tenMillionLayersOfTwoWeightsAreRefusedBeforeTheLayoutIsBuilt() throws Exception {
        Path dir = trainedCheckpoint("layers", 0);
        int layers = 10_000_000;
        GptConfig config = new GptConfig(layers, 2, 1, 2, 0.1);
        long params = Architecture.GPT.numParameters(config, TOKENIZER.vocabSize());
        assumeTrue(16L * params + 6L * 64 * layers > Runtime.getRuntime().maxMemory() / 2, "a very large heap");
        String json = Files.readString(dir.resolve(Checkpoint.CONFIG_FILE))
                .replace("\"n_layer\": 1", "\"n_layer\": " + layers).replace("\"n_embd\": 8", "\"n_embd\": 2")
                .replace("\"n_head\": 2", "\"n_head\": 1").replace("\"block_size\": 6", "\"block_size\": 2")
                .replaceAll("\"num_params\": \\d+", "\"num_params\": " + params);
        Files.writeString(dir.resolve(Checkpoint.CONFIG_FILE), json);
        refused(dir, Checkpoint.CONFIG_FILE, layers + " layers", "more than half of the");
    }

    // ----------------------------------------------------------------------- not regular files

    private static void mkfifo(Path path) throws Exception {
        Files.deleteIfExists(path);
        Process process = new ProcessBuilder("mkfifo", path.toString()).redirectErrorStream(true).start();
        assertEquals(0, process.waitFor(), "mkfifo " + path);
    }

    private static boolean hasMkfifo() {
        try {
            return new ProcessBuilder("mkfifo", "--version").start().waitFor() == 0;
        } catch (Exception e) {
            return false;
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"config.json", "model.safetensors", "optimizer.safetensors", "trainer.json",
            "losses.safetensors"})
    void aFifoInPlaceOfAnyFileIsRefusedAtOnce(String name) throws Exception {
        assumeTrue(hasMkfifo(), "mkfifo is not available");
        Path dir = trainedCheckpoint("fifo", 2);
        mkfifo(dir.resolve(name));
        refused(dir, name, "not a regular file");
    }

    @ParameterizedTest
    @ValueSource(strings = {"model.safetensors", "trainer.json"})
    void aDeviceInPlaceOfAFileIsRefusedAtOnce(String name) throws Exception {
        Path zero = Path.of("/dev/zero");
        assumeTrue(Files.exists(zero), "no /dev/zero here");
        Path dir = trainedCheckpoint("device", 2);
        Files.delete(dir.resolve(name));
        Files.createSymbolicLink(dir.resolve(name), zero);
        refused(dir, name, "not a regular file");
        // Safetensors on its own refuses it too.
        assertThrows(CheckpointException.class, () -> Safetensors.read(zero));
    }

    // ----------------------------------------------------------------- a checkpoint agrees with itself

    private static void edit(Path file, String from, String to) throws IOException {
        String text = Files.readString(file);
        assertTrue(text.contains(from), from + " in " + file);
        Files.writeString(file, text.replace(from, to));
    }

    @Test
    void movesWithoutAStepAreRefused() throws Exception {
        Path dir = trainedCheckpoint("nostep", 3);
        Files.delete(dir.resolve(Format.LOSSES_FILE));
        edit(dir.resolve(Format.TRAINER_FILE), "\"steps_done\": 3", "\"steps_done\": 0");
        edit(dir.resolve(Format.TRAINER_FILE), "\"next_document\": 3", "\"next_document\": 0");
        refused(dir, Format.OPTIMIZER_FILE, ".m\" is", "\"trainer.steps_done\" is 0", "do not agree");
    }

    @Test
    void aPositionWithoutAStepIsRefused() throws Exception {
        Path dir = trainedCheckpoint("position", 0);
        edit(dir.resolve(Format.TRAINER_FILE), "\"next_position\": 0", "\"next_position\": 2");
        refused(dir, Format.TRAINER_FILE, "trainer.next_document", "no step was done");
    }

    @Test
    void aLossHistoryOfAnotherLengthIsRefused() throws Exception {
        Path dir = trainedCheckpoint("losses", 3);
        Safetensors.write(dir.resolve(Format.LOSSES_FILE), List.of(new Tensor("losses", DType.F64, new int[] {2},
                new double[] {1, 2})), Map.of());
        refused(dir, Format.LOSSES_FILE, "shape [2]", "must be [3]");
        Safetensors.write(dir.resolve(Format.LOSSES_FILE), List.of(new Tensor("other", DType.F64, new int[] {3},
                new double[] {1, 2, 3})), Map.of());
        refused(dir, Format.LOSSES_FILE, "exactly one tensor");
    }

    /**
     * trainer.json names the file of Adam's moments, but the loader reads them from
     * optimizer.safetensors whatever it says: a file naming another (the model's weights, a path
     * outside the directory) was loaded as if it named the right one.
     */
    @ParameterizedTest
    @ValueSource(strings = {"../../etc/passwd", "/dev/zero", "model.safetensors", ""})
    void aTrainingStateNamingAnotherMomentsFileIsRefused(String moments) throws Exception {
        Path dir = trainedCheckpoint("moments", 1);
        edit(dir.resolve(Format.TRAINER_FILE), "\"moments\": \"optimizer.safetensors\"", "\"moments\": \"" + moments
                + "\"");
        refused(dir, Format.TRAINER_FILE, "\"optimizer.moments\" is \"" + moments + "\", but the moments are in"
                + " \"optimizer.safetensors\" beside trainer.json, the only file they are read from");
    }

    /**
     * A field the format does not have, in an object that describes the model or the run, is
     * refused with the fields that are known: a writer of a later version (or another program)
     * gave it a meaning, and loading without it would be a model or a run other than the one
     * saved. A checkpoint as written still loads.
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource(delimiter = '|', value = {
        "config.json|\"n_layer\": 1,|\"n_layer\": 1, \"dropout\": 0.1,|\"model.dropout\" is not a field this reader"
                + " knows (those of \"model\" are architecture, n_layer, n_embd, n_head, block_size, init_std,"
                + " vocab_size, num_params, precision)",
        "config.json|\"bos\":|\"eos\": 1, \"bos\":|\"vocabulary.eos\" is not a field",
        "trainer.json|\"steps_done\":|\"warmup_steps\": 100, \"steps_done\":|\"trainer.warmup_steps\" is not a field",
        "trainer.json|\"beta1\":|\"weight_decay\": 0.1, \"beta1\":|\"optimizer.weight_decay\" is not a field",
        "trainer.json|\"sha256\":|\"lines\": 4, \"sha256\":|\"data.lines\" is not a field",
        "trainer.json|\"gauss_next\":|\"generator\": \"pcg\", \"gauss_next\":|\"random.generator\" is not a field",
    })
    void aFieldTheFormatDoesNotHaveIsRefused(String file, String from, String to, String expected) throws Exception {
        Path dir = trainedCheckpoint("fields", 1);
        Checkpoint.load(dir);
        edit(dir.resolve(file), from, to);
        refused(dir, file, expected, "a later version or another program may have given it a meaning");
    }

    @ParameterizedTest
    @ValueSource(strings = {"\\n", "\\r", "\\u001b", "\\u0000", "\\u2028", "\\ud800"})
    void aVocabularyWithALineBreakOrControlCharacterIsRefused(String escaped) throws Exception {
        Path dir = trainedCheckpoint("vocabulary", 1);
        // Replace the first character ("a") by the hostile one; the order check comes after.
        edit(dir.resolve(Checkpoint.CONFIG_FILE), "\"characters\": \"a", "\"characters\": \"" + escaped);
        refused(dir, Checkpoint.CONFIG_FILE, "vocabulary.characters", "not a printable character");
    }

    /** A vocabulary a checkpoint could not load cannot be made: the tokenizer refuses it, as the checkpoint does. */
    @Test
    void aVocabularyThatCouldNotBeLoadedCannotBeMade() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Tokenizer.fromDocuments(List.of("a\u001b[2Jb")));
        assertTrue(e.getMessage().contains("U+001B"), e.getMessage());
        Checkpoint.checkVocabulary(Tokenizer.fromDocuments(List.of("tab\there", "zoë", "日本")));
    }

    // ---------------------------------------------------------------------------- the loss history

    @Test
    void theLossHistoryRoundTripsExactlyAndGoesOnWhenResumed() throws Exception {
        PythonRandom random = new PythonRandom(3);
        GptModel model = GptModel.create(CONFIG, TOKENIZER.vocabSize(), random);
        Trainer trainer = new Trainer(model, TOKENIZER, DOCS, new AdamOptimizer(model.numParameters()), 10);
        LossHistory losses = LossHistory.recording(trainer);
        double[] expected = new double[7];
        for (int i = 0; i < 7; i++) {
            expected[i] = trainer.step(StepMode.DOCUMENT).loss();
        }
        Path dir = tmp.resolve("history");
        Checkpoint.save(dir, model, TOKENIZER, TrainingState.capture(trainer, random, StepMode.DOCUMENT,
                Map.of(), new TrainingRun(3, io.github.microgpt.text.DataSource.inMemory("four names")),
                losses.losses()));
        TrainingState back = Checkpoint.load(dir).training().orElseThrow();
        assertArrayEquals(expected, back.losses(), "bit for bit");

        ResumedTraining resumed = Checkpoint.load(dir).resumeWith(DOCS);
        double eighth = resumed.trainer().step(StepMode.DOCUMENT).loss();
        double[] continued = resumed.lossHistory().losses();
        assertEquals(8, continued.length);
        assertArrayEquals(expected, java.util.Arrays.copyOf(continued, 7));
        assertEquals(eighth, continued[7]);
    }

    @Test
    void aCheckpointWithoutALossHistoryLoadsWithAnEmptyOne() throws Exception {
        Path dir = trainedCheckpoint("older", 3);
        Files.delete(dir.resolve(Format.LOSSES_FILE));
        TrainingState state = Checkpoint.load(dir).training().orElseThrow();
        assertEquals(0, state.losses().length);
        ResumedTraining resumed = Checkpoint.load(dir).resumeWith(DOCS);
        resumed.trainer().step(StepMode.DOCUMENT);
        assertEquals(0, resumed.lossHistory().losses().length, "a history with a gap is not kept");
    }
}
