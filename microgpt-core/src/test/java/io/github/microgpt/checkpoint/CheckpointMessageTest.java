package io.github.microgpt.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.GptModel;
import io.github.microgpt.optim.AdamOptimizer;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.text.Documents;
import io.github.microgpt.text.Tokenizer;
import io.github.microgpt.train.StepMode;
import io.github.microgpt.train.Trainer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The messages of a refused checkpoint stay one short line whatever the file holds: a name or
 * label in a hand-edited file can be up to a mebibyte long, and repeating it whole would bury the
 * message (the command line prints it on one line of stderr). Each message still says which field
 * or tensor is wrong.
 */
class CheckpointMessageTest {

    /** Longer than any message the loader writes, far shorter than the values planted. */
    private static final int MAX_MESSAGE_CHARS = 1_000;
    private static final String LONG = "g".repeat(200_000);

    static final List<String> DOCS = List.of("anna", "bob", "emma", "li");
    static final Tokenizer TOKENIZER = Tokenizer.fromDocuments(DOCS);
    static final GptConfig CONFIG = new GptConfig(1, 8, 2, 6, 0.1);

    @TempDir
    Path tmp;

    private Path trainedCheckpoint() throws IOException {
        return trainedCheckpoint(tmp.resolve("run"));
    }

    /** A checkpoint of one step of a small GPT (8 wide, 2 heads, init_std 0.1) on four names, saved in {@code dir}. */
    static Path trainedCheckpoint(Path dir) throws IOException {
        PythonRandom random = new PythonRandom(3);
        GptModel model = GptModel.create(CONFIG, TOKENIZER.vocabSize(), random);
        Trainer trainer = new Trainer(model, TOKENIZER, DOCS, new AdamOptimizer(model.numParameters()), 10);
        LossHistory losses = LossHistory.recording(trainer);
        trainer.step(StepMode.DOCUMENT);
        Checkpoint.save(dir, model, TOKENIZER, TrainingState.capture(trainer, random, StepMode.DOCUMENT,
                Map.of(), new TrainingRun(3, io.github.microgpt.text.DataSource.inMemory("four names")), losses.losses()));
        return dir;
    }

    private static void edit(Path file, String from, String to) throws IOException {
        String text = Files.readString(file);
        assertTrue(text.contains(from), "the test's edit found no " + from + " in " + file);
        Files.writeString(file, text.replace(from, to));
    }

    /** Rewrites a safetensors file's header, keeping its data. */
    private static void editHeader(Path file, String from, String to) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        long length = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        String header = new String(bytes, 8, (int) length, StandardCharsets.UTF_8);
        assertTrue(header.contains(from), "the test's edit found no " + from + " in " + header);
        byte[] json = header.replace(from, to).getBytes(StandardCharsets.UTF_8);
        byte[] data = Arrays.copyOfRange(bytes, 8 + (int) length, bytes.length);
        ByteBuffer out = ByteBuffer.allocate(8 + json.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(json.length).put(json).put(data);
        Files.write(file, out.array());
    }

    private static long dataBytes(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        long length = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        return bytes.length - 8 - length;
    }

    private static void assertShort(CheckpointException e, String expected) {
        String message = e.getMessage();
        String shown = message.length() <= 300 ? message : message.substring(0, 300) + "… (" + message.length() + ")";
        assertTrue(message.contains(expected), "expected \"" + expected + "\" in: " + shown);
        assertTrue(message.length() <= MAX_MESSAGE_CHARS, "the message repeats the file's text: " + shown);
    }

    @Test
    void anUnknownArchitectureOfAMebibyteIsNamedShortly() throws Exception {
        Path dir = trainedCheckpoint();
        edit(dir.resolve(Checkpoint.CONFIG_FILE), "\"architecture\": \"gpt\"", "\"architecture\": \"" + LONG + "\"");
        assertShort(assertThrows(CheckpointException.class, () -> Checkpoint.load(dir)), "model.architecture");
    }

    @Test
    void anUnexpectedTensorWithALongNameIsNamedShortly() throws Exception {
        Path dir = trainedCheckpoint();
        Path model = dir.resolve(Checkpoint.MODEL_FILE);
        long end = dataBytes(model);
        editHeader(model, "\"wte\":", "\"" + LONG + "\":{\"dtype\":\"F64\",\"shape\":[0],\"data_offsets\":[" + end
                + "," + end + "]},\"wte\":");
        assertShort(assertThrows(CheckpointException.class, () -> Checkpoint.load(dir)), "unexpected tensor");
    }

    @Test
    void anOverlappingTensorWithALongNameIsNamedShortly() throws Exception {
        Path dir = trainedCheckpoint();
        editHeader(dir.resolve(Checkpoint.MODEL_FILE), "\"wte\":",
                "\"" + LONG + "\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]},\"wte\":");
        assertShort(assertThrows(CheckpointException.class, () -> Checkpoint.load(dir)), "model.safetensors");
    }

    @Test
    void aTensorWhoseSizeDisagreesWithALongNameIsNamedShortly() throws Exception {
        Path dir = trainedCheckpoint();
        Path model = dir.resolve(Checkpoint.MODEL_FILE);
        long end = dataBytes(model);
        editHeader(model, "\"wte\":", "\"" + LONG + "\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[" + end
                + "," + end + "]},\"wte\":");
        assertShort(assertThrows(CheckpointException.class, () -> Checkpoint.load(dir)), "needs 16 bytes");
    }

    @Test
    void aLongDataFileNameIsNamedShortly() throws Exception {
        Path dir = trainedCheckpoint();
        edit(dir.resolve("trainer.json"), "\"kind\": \"given\",\n      \"name\": \"four names\"",
                "\"kind\": \"file\",\n      \"name\": \"" + LONG + "\"");
        assertShort(assertThrows(CheckpointException.class, () -> Checkpoint.load(dir)), "run.data.name");
    }

    @Test
    void aLongLabelOfGivenDocumentsIsNamedShortlyWhenResuming() throws Exception {
        Path dir = trainedCheckpoint();
        edit(dir.resolve("trainer.json"), "\"four names\"", "\"" + LONG + "\"");
        Checkpoint checkpoint = Checkpoint.load(dir);
        GptModel model = GptModel.create(CONFIG, TOKENIZER.vocabSize(), new PythonRandom(1));
        assertShort(assertThrows(CheckpointException.class, () -> checkpoint.resumeRecordedRun(model)), "given to the program");
    }

    /**
     * The characters a checkpoint's vocabulary cannot hold are exactly those no document may
     * hold ({@link Documents#isRefusedCharacter}, which data files, texts and downloads are held
     * to before training), for every code point: a vocabulary trained from documents can always
     * be saved, and a refused one is refused up front, not by the save at the end of a run.
     */
    @Test
    void theVocabularyRuleIsTheDocumentsRule() {
        for (int cp = 0; cp <= Character.MAX_CODE_POINT; cp++) {
            boolean refusedByCheckpoint = ConfigJson.unprintable(new String(Character.toChars(cp))) != null;
            if (refusedByCheckpoint != Documents.isRefusedCharacter(cp)) {
                assertEquals(Documents.isRefusedCharacter(cp), refusedByCheckpoint, String.format("U+%04X", cp));
            }
        }
    }
}
