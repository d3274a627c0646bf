package io.github.microgpt.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.model.GptConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A refused checkpoint's message names the field as the file spells it ({@code "model.n_head"},
 * {@code "optimizer.learning_rate"}), with what it may hold and what it holds: the reader of the
 * message has the JSON file in front of them, not the Java records the values go on to
 * ({@code GptConfig.nHead}, {@code AdamSettings.learningRate}), whose names the messages gave
 * before.
 */
class FileKeyMessagesTest {

    @TempDir
    Path tmp;

    /** A fresh checkpoint of {@link CheckpointMessageTest}'s: a GPT 8 wide with two heads, init_std 0.1. */
    private Path checkpoint() throws IOException {
        Path dir = Files.createTempDirectory(tmp, "run");
        Files.delete(dir);
        return CheckpointMessageTest.trainedCheckpoint(dir);
    }

    /**
     * Edits one file of a fresh checkpoint with a regular expression, loads it (whole, and for
     * sampling, which reads trainer.json too) and returns the message, checked to blame the file.
     */
    private String messageAfter(String file, String regex, String replacement) throws IOException {
        Path dir = checkpoint();
        Path target = dir.resolve(file);
        String text = Files.readString(target);
        String edited = text.replaceFirst(regex, replacement);
        assertFalse(edited.equals(text), "the test's edit found no " + regex + " in " + file);
        Files.writeString(target, edited);
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.load(dir));
        assertEquals(target, e.file(), e.getMessage());
        assertTrue(e.getMessage().startsWith(target + ": "), e.getMessage());
        CheckpointException sampling = assertThrows(CheckpointException.class, () -> Checkpoint.loadForSampling(dir));
        assertEquals(e.getMessage(), sampling.getMessage(), "both loads read the file the same way");
        return e.problem();
    }

    private static void assertNames(String expected, String message, String... javaNames) {
        assertTrue(message.contains(expected), "expected \"" + expected + "\" in: " + message);
        for (String javaName : javaNames) {
            assertFalse(message.contains(javaName), "the file has no " + javaName + ": " + message);
        }
    }

    @Test
    void headsThatDoNotDivideTheWidthAreNamedByTheFilesKeys() throws IOException {
        assertNames("\"model.n_embd\" (8) must be divisible by \"model.n_head\" (3) so that every head gets the same"
                + " number of dimensions", messageAfter("config.json", "\"n_head\": 2", "\"n_head\": 3"), "nHead", "nEmbd");
    }

    @Test
    void eachCountBelowOneIsNamedByItsKey() throws IOException {
        assertNames("\"model.n_layer\" must be at least 1, got 0",
                messageAfter("config.json", "\"n_layer\": 1", "\"n_layer\": 0"), "nLayer");
        assertNames("\"model.n_head\" must be at least 1, got -2",
                messageAfter("config.json", "\"n_head\": 2", "\"n_head\": -2"), "nHead");
        assertNames("\"model.block_size\" must be at least 1, got 0",
                messageAfter("config.json", "\"block_size\": 6", "\"block_size\": 0"), "blockSize");
    }

    @Test
    void initStdOutOfRangeIsNamedWithItsRange() throws IOException {
        String range = "\"model.init_std\" must be positive and at most " + GptConfig.MAX_INIT_STD
                + " (so that every initial weight is a finite number, in f32 as in f64), got ";
        assertNames(range + "-0.1", messageAfter("config.json", "\"init_std\": 0.1", "\"init_std\": -0.1"), "initStd");
        assertNames(range + "0.0", messageAfter("config.json", "\"init_std\": 0.1", "\"init_std\": 0"), "initStd");
        assertNames(range + "1.0E38", messageAfter("config.json", "\"init_std\": 0.1", "\"init_std\": 1e38"), "initStd");
        assertNames("\"model.init_std\" must be a finite number, got \"0.1\"",
                messageAfter("config.json", "\"init_std\": 0.1", "\"init_std\": \"0.1\""), "initStd");
    }

    @Test
    void adamSettingsOutOfRangeAreNamedByTheFilesKeys() throws IOException {
        assertNames("\"optimizer.learning_rate\" must be positive and finite, got 0.0",
                messageAfter("trainer.json", "\"learning_rate\": [^,]+", "\"learning_rate\": 0"), "learningRate");
        assertNames("\"optimizer.learning_rate\" must be positive and finite, got -0.01",
                messageAfter("trainer.json", "\"learning_rate\": [^,]+", "\"learning_rate\": -0.01"), "learningRate");
        assertNames("\"optimizer.beta1\" must be in [0, 1), got 1.0",
                messageAfter("trainer.json", "\"beta1\": [^,]+", "\"beta1\": 1"), "settings");
        assertNames("\"optimizer.beta2\" must be in [0, 1), got -0.5",
                messageAfter("trainer.json", "\"beta2\": [^,]+", "\"beta2\": -0.5"), "settings");
        assertNames("\"optimizer.eps\" must be positive and finite, got 0.0",
                messageAfter("trainer.json", "\"eps\": [^,]+", "\"eps\": 0"), "settings");
        assertNames("\"optimizer.eps\" must be a finite number, got 1e999",
                messageAfter("trainer.json", "\"eps\": [^,]+", "\"eps\": 1e999"), "settings");
    }

    @Test
    void aDegenerateGeneratorStateIsNamedByItsKey() throws IOException {
        assertNames("\"random.internal_state\" is not a usable generator state: degenerate",
                messageAfter("trainer.json", "\"internal_state\": \\[[^]]*\\]",
                        "\"internal_state\": [" + "0, ".repeat(624) + "624]"), "invalid random state");
    }
}
