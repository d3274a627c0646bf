package io.github.microgpt.examples.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.microgpt.checkpoint.Checkpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The list of saved models never opens what is not a regular file (the time limit only catches a
 * hang), and reads each model's kind from its config.json only when that can be read.
 */
class CheckpointStoreHostileTest {

    @TempDir
    Path tmp;

    @Test
    void aFifoInPlaceOfTrainerJsonIsListedWithoutItsStep() throws Exception {
        Path folder = Files.createDirectories(tmp.resolve("run"));
        Files.writeString(folder.resolve(Checkpoint.CONFIG_FILE), "{}");
        try {
            assumeTrue(new ProcessBuilder("mkfifo", folder.resolve("trainer.json").toString()).start()
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

    @Test
    void eachModelsKindIsReadFromItsConfigAndLeftOutWhenItCannotBe() throws Exception {
        Map<String, String> configs = new LinkedHashMap<>();
        configs.put("a-bigram", "{\"model\": {\"architecture\": \"bigram\", \"n_layer\": 1}}");
        configs.put("b-old-gpt", "{\"model\": {\"n_layer\": 1}}");
        configs.put("c-gpt-f32", "{\"model\": {\"architecture\": \"gpt\", \"precision\": \"f32\"}}");
        configs.put("d-unknown-kind", "{\"model\": {\"architecture\": \"transformer-xl\"}}");
        configs.put("e-unknown-precision", "{\"model\": {\"architecture\": \"mlp\", \"precision\": \"f8\"}}");
        configs.put("f-no-model", "{}");
        configs.put("g-not-json", "not json {");
        configs.put("h-deep", "[".repeat(100_000));
        for (Map.Entry<String, String> config : configs.entrySet()) {
            Path folder = Files.createDirectories(tmp.resolve(config.getKey()));
            Files.writeString(folder.resolve(Checkpoint.CONFIG_FILE), config.getValue());
        }

        JsonArray entries = JsonParser.parseString(new CheckpointStore(tmp).listJson()).getAsJsonObject()
                .getAsJsonArray("checkpoints");

        List<String> kinds = new ArrayList<>();
        for (JsonElement element : entries) {
            JsonObject entry = element.getAsJsonObject();
            kinds.add(entry.get("name").getAsString() + ":" + (entry.has("model") ? entry.get("model").getAsString() : "-")
                    + (entry.has("precision") ? "/" + entry.get("precision").getAsString() : ""));
        }
        assertEquals(List.of("a-bigram:bigram", "b-old-gpt:gpt", "c-gpt-f32:gpt/f32", "d-unknown-kind:-",
                "e-unknown-precision:-", "f-no-model:-", "g-not-json:-", "h-deep:-"), kinds);
    }
}
