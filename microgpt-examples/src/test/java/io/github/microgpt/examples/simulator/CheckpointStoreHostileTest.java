package io.github.microgpt.examples.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.microgpt.checkpoint.Checkpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The list of saved models never opens what is not a regular file. (The time limit only catches a hang.) */
class CheckpointStoreHostileTest {

    @TempDir
    Path tmp;

    @Test
    void aFifoInPlaceOfTrainerJsonIsListedWithoutItsStep() throws Exception {
        Path folder = Files.createDirectories(tmp.resolve("run"));
        Files.writeString(folder.resolve(Checkpoint.CONFIG_FILE), "{}");
        try {
            assumeTrue(new ProcessBuilder("mkfifo", folder.resolve(Checkpoint.TRAINER_FILE).toString()).start()
                    .waitFor() == 0, "mkfifo failed");
        } catch (IOException e) {
            assumeTrue(false, "mkfifo is not available");
        }
        String json = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> new CheckpointStore(tmp).listJson());
        JsonObject entry = JsonParser.parseString(json).getAsJsonObject().getAsJsonArray("checkpoints").get(0)
                .getAsJsonObject();
        assertEquals("run", entry.get("name").getAsString());
        assertEquals(null, entry.get("step"), "no step: trainer.json was not read");
    }
}
