package io.github.microgpt.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.model.ArrayGptModel;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.optim.AdamOptimizer;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.text.DataSource;
import io.github.microgpt.text.Tokenizer;
import io.github.microgpt.train.StepMode;
import io.github.microgpt.train.Trainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a save writes, a load reads back: every file a save is allowed to write is within the
 * limits the reader holds files to, and what would not be is refused by the save (before
 * anything is written), never by every later load. Each case here was once saved without a
 * word and then could not be loaded, or trained for its whole run and then failed to save.
 */
class SaveLimitsTest {

    @TempDir
    Path tmp;

    /** A vocabulary of {@code n} characters beyond U+FFFF, 4 bytes each in UTF-8. */
    private static Tokenizer wideVocabulary(int n) {
        return Tokenizer.ofCharacters(IntStream.range(0x20000, 0x20000 + n)
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString());
    }

    /** The smallest GPT over a vocabulary: width 1, one layer, a context of one token. */
    private static ArrayGptModel smallest(Tokenizer tokenizer) {
        return ArrayGptModel.create(new GptConfig(1, 1, 1, 1, 0.1), tokenizer.vocabSize(), new PythonRandom(1));
    }

    /**
     * 280,000 characters of 4 bytes made a config.json of 1,120,311 bytes, which every load
     * refused as larger than the 1 MiB it reads ({@code train --save} wrote it after the run).
     */
    @Test
    void aVocabularyTooLargeForConfigJsonIsRefusedBeforeAnythingIsWritten() {
        Tokenizer tokenizer = wideVocabulary(280_000);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Checkpoint.checkVocabulary(tokenizer));
        for (String fragment : List.of("280000 characters", "1120000 bytes", "config.json", "1044480", "261120")) {
            assertTrue(e.getMessage().contains(fragment), "expected \"" + fragment + "\" in: " + e.getMessage());
        }
        Path dir = tmp.resolve("wide");
        IllegalArgumentException save = assertThrows(IllegalArgumentException.class,
                () -> Checkpoint.save(dir, smallest(tokenizer), tokenizer));
        assertEquals(e.getMessage(), save.getMessage());
        assertFalse(Files.exists(dir), "nothing is written");
    }

    /** The largest vocabulary the check lets through saves and loads back: the two limits agree. */
    @Test
    void theLargestVocabularyTheCheckAllowsLoadsBack() throws Exception {
        Tokenizer tokenizer = wideVocabulary(261_120);
        Checkpoint.checkVocabulary(tokenizer);
        Path dir = tmp.resolve("widest");
        ArrayGptModel model = smallest(tokenizer);
        Checkpoint.save(dir, model, tokenizer);
        Checkpoint loaded = Checkpoint.load(dir);
        assertEquals(tokenizer.characters(), loaded.tokenizer().characters());
        assertArrayEquals(model.parameters().values(), loaded.model().parameters().values());
    }

    /**
     * A training state whose application metadata held 2 MB was saved, and every load then
     * refused its trainer.json as larger than 1 MiB.
     */
    @Test
    void metadataTooLargeForTrainerJsonIsRefusedBeforeAnythingIsWritten() throws Exception {
        List<String> docs = List.of("ab", "ba");
        Tokenizer tokenizer = Tokenizer.fromDocuments(docs);
        PythonRandom random = new PythonRandom(1);
        ArrayGptModel model = ArrayGptModel.create(GptConfig.defaults(), tokenizer.vocabSize(), random);
        Trainer trainer = new Trainer(model, tokenizer, docs, new AdamOptimizer(model.numParameters()), 2);
        trainer.step(StepMode.DOCUMENT);
        TrainingState state = TrainingState.capture(trainer, random, StepMode.DOCUMENT,
                Map.of("note", "x".repeat(2_000_000)), new TrainingRun(1, DataSource.embedded()), null);
        Path dir = tmp.resolve("metadata");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Checkpoint.save(dir, model, tokenizer, state));
        for (String fragment : List.of("trainer.json", "1048576", "\"note\"", "2000000")) {
            assertTrue(e.getMessage().contains(fragment), "expected \"" + fragment + "\" in: " + e.getMessage());
        }
        assertFalse(Files.exists(dir), "nothing is written");
    }

    /**
     * A model of 3,000 layers of width 4 (576,224 parameters, 18,003 matrices) trained, and then
     * its save failed: the optimizer's header needed 1.5 MB, more than the flat 1 MiB the writer
     * and the reader allowed. The limit now grows with the number of tensors, on both sides.
     */
    @Test
    void aModelOfThousandsOfLayersSavesAndLoadsBackWithItsTrainingState() throws Exception {
        List<String> docs = List.of("ab", "ba");
        Tokenizer tokenizer = Tokenizer.fromDocuments(docs);
        PythonRandom random = new PythonRandom(1);
        ArrayGptModel model = ArrayGptModel.create(new GptConfig(3000, 4, 1, 2, 0.1), tokenizer.vocabSize(), random);
        AdamOptimizer optimizer = new AdamOptimizer(model.numParameters());
        Trainer trainer = new Trainer(model, tokenizer, docs, optimizer, 2);
        LossHistory losses = LossHistory.recording(trainer);
        trainer.step(StepMode.DOCUMENT);
        Path dir = tmp.resolve("deep");
        Checkpoint.save(dir, model, tokenizer, TrainingState.capture(trainer, random, StepMode.DOCUMENT, Map.of(),
                new TrainingRun(1, DataSource.embedded()), losses.losses()));
        assertTrue(Files.size(dir.resolve(Format.OPTIMIZER_FILE)) > 8 + Safetensors.MAX_HEADER_BYTES,
                "the optimizer's header alone is larger than the flat limit was");
        Checkpoint loaded = Checkpoint.load(dir);
        assertArrayEquals(model.parameters().values(), loaded.model().parameters().values());
        assertArrayEquals(optimizer.firstMoments(), loaded.training().orElseThrow().optimizer().firstMoments());
    }
}
