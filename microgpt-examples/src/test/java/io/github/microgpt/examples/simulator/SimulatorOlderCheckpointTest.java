package io.github.microgpt.examples.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.microgpt.checkpoint.Checkpoint;
import io.github.microgpt.checkpoint.TrainingState;
import io.github.microgpt.text.DataSource;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checkpoints that earlier versions of the simulator saved still load and go on exactly, now that
 * the simulator records the seed and the dataset only as the checkpoint's run ({@code "run"} in
 * {@code trainer.json}), as {@code microgpt train} does, and no longer as metadata.
 *
 * <p>{@code saved-by-0.1} (in this package's test resources) was saved by the simulator of main
 * at 8a5198d: a GPT of 1 layer, embedding 4, 2 heads, block 4, seed 7, on the five documents of
 * {@link #TINY} named "tiny names", after 3 document steps of 20. It holds both the run and the
 * metadata {@code "seed"}, {@code "simulator.dataset.source"} and {@code "simulator.dataset.name"}.
 * Without its {@code "run"} it is what the simulator wrote before the checkpoint had one.
 */
class SimulatorOlderCheckpointTest {

    /** The documents of {@code saved-by-0.1}, as the page's dataset text. */
    private static final String TINY = "ab\\nbca\\ncab\\nabc\\nbb";
    private static final String SHAPE = "\"nLayer\": 1, \"nEmbd\": 4, \"nHead\": 2, \"blockSize\": 4";

    @TempDir
    Path checkpoints;

    private SimulatorServer server;
    private Fixtures.Api api;

    @BeforeEach
    void start() throws IOException {
        server = SimulatorServer.start(Fixtures.embeddedSession(checkpoints), 0, ServerLimits.DEFAULTS);
        api = new Fixtures.Api(server);
        // The session's dataset is the checkpoint's; its seed (1) is not.
        ok(api.post("api/reset", "{\"numSteps\": 50, \"config\": {" + SHAPE + ", \"seed\": 1}, \"dataset\":"
                + " {\"source\": \"text\", \"name\": \"pasted\", \"text\": \"" + TINY + "\"}}"));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void aCheckpointOfTheEarlierSimulatorGoesOnExactly() throws Exception {
        copyOld("old", trainer -> { });
        assertGoesOnExactly("old");
    }

    @Test
    void aCheckpointSavedBeforeCheckpointsHadTheirRunGoesOnExactlyWithTheSeedOfItsMetadata() throws Exception {
        copyOld("older", trainer -> trainer.remove("run"));
        assertGoesOnExactly("older");
    }

    @Test
    void aRunRecordedAsUnknownStaysUnknownWhateverTheMetadataSays() throws Exception {
        // "run": null is what the checkpoint writer records for a run it was not told; the seed in
        // the metadata is then nobody's word about how the documents were shuffled.
        copyOld("unknown", trainer -> trainer.add("run", JsonNull.INSTANCE));
        JsonObject state = ok(api.post("api/load", "{\"name\": \"unknown\"}"));
        String message = state.get("message").getAsString();
        assertTrue(message.startsWith("Loaded the weights, shape and vocabulary of \"unknown\". Training starts again"
                + " at step 0"), message);
        assertEquals(0, state.get("step").getAsInt());
        assertEquals(1, state.getAsJsonObject("config").get("seed").getAsLong(), "the session's seed");
    }

    @Test
    void aSaveRecordsTheRunAndOnlyTheEngineAsMetadata() throws Exception {
        ok(api.post("api/step", "{\"mode\": \"document\"}"));
        ok(api.post("api/save", "{\"name\": \"new\"}"));
        TrainingState training = Checkpoint.load(checkpoints.resolve("new")).training().orElseThrow();
        assertEquals(1, training.run().seed());
        assertEquals(DataSource.inMemory("pasted"), training.run().data());
        assertEquals(Map.of("engine", "value"), training.metadata());
        String trainerJson = Files.readString(checkpoints.resolve("new").resolve("trainer.json"));
        assertTrue(!trainerJson.contains("simulator.dataset") && !trainerJson.contains("\"seed\": \"1\""), trainerJson);

        // Loaded over other documents, the refusal names the dataset the run recorded.
        ok(api.post("api/reset", "{\"dataset\": {\"source\": \"text\", \"name\": \"other\", \"text\": \"ba\\nab\"}}"));
        String message = ok(api.post("api/load", "{\"name\": \"new\"}")).get("message").getAsString();
        assertTrue(message.contains("it was trained on other documents than the current dataset (other), or in another"
                + " order (it was saved with \"pasted\")"), message);
    }

    /**
     * Loads an old checkpoint into a session of seed 1 and checks that it went on from its step 3
     * with its seed 7, then that its 4th step has the loss of a fresh run of seed 7's 4th step.
     */
    private void assertGoesOnExactly(String name) {
        JsonObject loaded = ok(api.post("api/load", "{\"name\": \"" + name + "\"}"));
        String message = loaded.get("message").getAsString();
        assertTrue(message.startsWith("Loaded \"" + name + "\": step 3 of 20 with the optimizer's state, so training"
                + " goes on exactly where it was saved"), message);
        assertEquals(7, loaded.getAsJsonObject("config").get("seed").getAsLong(), "the saved seed");
        double resumed = ok(api.post("api/step", "{\"mode\": \"document\"}")).getAsJsonArray("losses").get(0)
                .getAsDouble();

        ok(api.post("api/reset", "{\"numSteps\": 20, \"config\": {" + SHAPE + ", \"seed\": 7}}"));
        JsonObject fresh = null;
        for (int i = 0; i < 4; i++) {
            fresh = ok(api.post("api/step", "{\"mode\": \"document\"}"));
        }
        double uninterrupted = fresh.getAsJsonArray("losses").get(3).getAsDouble();
        assertEquals(Double.doubleToLongBits(uninterrupted), Double.doubleToLongBits(resumed),
                "step 4 after the load, and step 4 of the run never saved: " + resumed + " and " + uninterrupted);
    }

    /** Copies {@code saved-by-0.1} as {@code name}, with its trainer.json changed by {@code edit}. */
    private void copyOld(String name, Consumer<JsonObject> edit) throws IOException, URISyntaxException {
        Path old = Path.of(SimulatorOlderCheckpointTest.class.getResource("saved-by-0.1").toURI());
        Path target = Files.createDirectories(checkpoints.resolve(name));
        try (Stream<Path> files = Files.list(old)) {
            for (Path file : files.toList()) {
                Files.copy(file, target.resolve(file.getFileName()));
            }
        }
        Path trainer = target.resolve("trainer.json");
        JsonObject json = JsonParser.parseString(Files.readString(trainer)).getAsJsonObject();
        assertEquals("7", json.getAsJsonObject("metadata").get("seed").getAsString(), "the old metadata");
        edit.accept(json);
        Files.writeString(trainer, new GsonBuilder().serializeNulls().setPrettyPrinting().create().toJson(json),
                StandardCharsets.UTF_8);
    }

    private static JsonObject ok(Fixtures.Answer answer) {
        assertEquals(200, answer.status(), answer.body());
        return answer.json();
    }
}
