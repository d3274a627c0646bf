package io.github.microgpt.examples.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.github.microgpt.checkpoint.Checkpoint;
import io.github.microgpt.model.Architecture;
import io.github.microgpt.model.BigramModel;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.MatrixLayout;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.text.Tokenizer;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The models of the progression in the simulator's API: Reset with each of them, what the state
 * and the weights report, the refusals, Load of every model, and a saved run's loss curve.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SimulatorModelsTest {

    private static final GptConfig SHAPE = GptConfig.defaults();

    private Path checkpoints;
    private SimulatorServer server;
    private Fixtures.Api api;

    @BeforeAll
    void start(@TempDir Path directory) throws IOException {
        checkpoints = directory;
        server = Fixtures.startServer(checkpoints);
        api = new Fixtures.Api(server);
    }

    @AfterAll
    void stop() {
        server.close();
    }

    @BeforeEach
    void theGpt() {
        ok(api.post("api/reset", "{\"numSteps\": 1000, \"model\": \"gpt\", \"engine\": \"value\", \"config\": {\"nLayer\": 1,"
                + " \"nEmbd\": 16, \"nHead\": 4, \"blockSize\": 16, \"learningRate\": 0.01, \"seed\": 42}}"));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"bigram", "mlp", "attention", "gpt"})
    void resetMakesTheChosenModelAndEveryPanelGetsItsData(String id) {
        Architecture architecture = Architecture.fromId(id);
        JsonObject state = ok(api.post("api/reset", "{\"model\": \"" + id + "\"}"));
        assertEquals(id, state.get("model").getAsString());
        assertEquals(id, state.getAsJsonObject("config").get("model").getAsString());
        assertEquals("value", state.get("engine").getAsString());
        assertEquals(architecture.numParameters(SHAPE, 27), state.getAsJsonObject("stats").get("numParams").getAsLong());
        assertEquals(id, api.state().get("model").getAsString(), "GET /api/state reports the model");

        // The weights panel gets that model's matrices, in its order.
        JsonObject weights = ok(api.get("api/weights"));
        List<String> names = new ArrayList<>();
        weights.getAsJsonArray("matrices").forEach(m -> names.add(m.getAsJsonObject().get("name").getAsString()));
        assertEquals(architecture.layout(SHAPE, 27).matrixLayouts().stream().map(MatrixLayout::name).toList(), names);

        // The log and the loss chart: one record per step, of either kind of step.
        ok(api.post("api/step", "{\"mode\": \"position\"}"));
        JsonObject after = ok(api.post("api/step", "{\"mode\": \"document\"}"));
        assertEquals(2, after.get("step").getAsInt());
        assertEquals(2, after.getAsJsonArray("losses").size());
        assertEquals(2, after.getAsJsonArray("log").size());
        double loss = after.getAsJsonArray("losses").get(1).getAsDouble();
        assertTrue(loss > 0 && loss < 10, "a finite loss: " + loss);
        assertEquals(27, after.getAsJsonObject("overlay").getAsJsonArray("probabilities").size());

        // Attention only for the models that have it: one row per position of the last pass.
        JsonArray attention = after.getAsJsonArray("attention");
        if (architecture.create(SHAPE, 27, new PythonRandom(1)).hasAttention()) {
            assertEquals(1, attention.size(), "one layer");
            assertEquals(4, attention.get(0).getAsJsonArray().size(), "four heads");
            assertTrue(attention.get(0).getAsJsonArray().get(0).getAsJsonArray().size() > 0, "rows of the last pass");
        } else {
            assertEquals(0, attention.size(), "no attention in a " + id + " model");
        }

        // The samples.
        JsonObject generated = ok(api.post("api/generate", "{\"temperature\": 0.5, \"count\": 5}"));
        assertEquals(5, generated.getAsJsonArray("samples").size());
        JsonObject token = ok(api.post("api/gen-step", "{\"temperature\": 0.5}"));
        assertEquals("generation", token.getAsJsonObject("overlay").get("mode").getAsString());
    }

    @Test
    void theModelIsKeptByAResetThatDoesNotNameIt() {
        ok(api.post("api/reset", "{\"model\": \"mlp\"}"));
        JsonObject state = ok(api.post("api/reset", "{\"config\": {\"nEmbd\": 8}}"));
        assertEquals("mlp", state.get("model").getAsString());
        assertEquals(Architecture.MLP.numParameters(new GptConfig(1, 8, 4, 16, 0.08), 27),
                state.getAsJsonObject("stats").get("numParams").getAsLong());
    }

    @Test
    void anUnknownModelIsRefusedWithTheModelsThereAre() {
        JsonObject before = api.state();
        assertError(api.post("api/reset", "{\"model\": \"rnn\"}"), 400,
                "The model must be one of [attention, bigram, gpt, mlp], got \"rnn\"");
        assertError(api.post("api/reset", "{\"model\": 3}"), 400, "The model must be a string");
        assertError(api.post("api/reset", "{\"model\": \"GPT\"}"), 400, "The model must be one of");
        assertEquals(before.get("revision").getAsLong(), api.state().get("revision").getAsLong(), "nothing changed");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"bigram", "mlp", "attention"})
    void theArrayEngineIsOnlyForTheGptAndSaysSo(String id) {
        JsonObject before = api.state();
        assertError(api.post("api/reset", "{\"model\": \"" + id + "\", \"engine\": \"array\"}"), 400,
                "the array engine computes only the GPT; the " + id + " model runs on the value engine (send"
                        + " \"engine\": \"value\", or leave the engine out)");
        assertEquals(before.get("revision").getAsLong(), api.state().get("revision").getAsLong(), "nothing changed");
        // Without an engine named, the model runs on the value engine even after the array engine's GPT.
        ok(api.post("api/reset", "{\"model\": \"gpt\", \"engine\": \"array\"}"));
        JsonObject state = ok(api.post("api/reset", "{\"model\": \"" + id + "\"}"));
        assertEquals("value", state.get("engine").getAsString());
        assertEquals(id, state.get("model").getAsString());
    }

    @Test
    void eachModelHasItsOwnLimits() {
        // An MLP of embedding 64 and block 32 has 57,792 parameters: too much work per step.
        assertError(api.post("api/reset", "{\"model\": \"mlp\", \"config\": {\"nEmbd\": 64, \"nHead\": 4,"
                        + " \"blockSize\": 32}}"), 400,
                "block size × parameters is 1,849,344 (1 layers, embedding size 64, block size 32, 27 tokens, 57,792"
                        + " parameters) and the simulator allows at most 250,000 for the mlp model with the value engine");
        // The same shape as a bigram model is a 27 x 27 table: it fits.
        JsonObject bigram = ok(api.post("api/reset", "{\"model\": \"bigram\", \"config\": {\"nEmbd\": 64, \"nHead\": 4,"
                + " \"blockSize\": 32}}"));
        assertEquals(729, bigram.getAsJsonObject("stats").get("numParams").getAsInt());
        // The largest vocabulary's table fits the bigram's budget at the largest block size.
        Limits.VALUE_BIGRAM.check(new GptConfig(1, 16, 4, 32, 0.08), Limits.MAX_VOCAB + 1);
        // The shape's ranges hold for every model, so that the configuration stays one every model takes.
        assertError(api.post("api/reset", "{\"model\": \"bigram\", \"config\": {\"nLayer\": 5}}"), 400,
                "Layers must be a whole number from 1 to 4 with the value engine, got 5");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"bigram", "mlp", "attention"})
    void aSavedModelOfTheProgressionLoadsAndItsRunGoesOnExactly(String id) {
        ok(api.post("api/reset", "{\"model\": \"" + id + "\"}"));
        for (int i = 0; i < 3; i++) {
            ok(api.post("api/step", "{\"mode\": \"document\"}"));
        }
        JsonArray saved = ok(api.get("api/weights")).getAsJsonArray("values");
        ok(api.post("api/save", "{\"name\": \"" + id + "-3\"}"));
        double uninterrupted = lastLoss(ok(api.post("api/step", "{\"mode\": \"document\"}")));

        ok(api.post("api/reset", "{\"model\": \"gpt\", \"engine\": \"array\"}"));
        JsonObject loaded = ok(api.post("api/load", "{\"name\": \"" + id + "-3\"}"));
        assertEquals(id, loaded.get("model").getAsString());
        assertEquals("value", loaded.get("engine").getAsString());
        assertEquals(3, loaded.get("step").getAsInt());
        String note = loaded.get("message").getAsString();
        assertTrue(note.contains("training goes on exactly where it was saved"), note);
        assertTrue(note.contains("the array engine computes only the GPT"), note);
        assertEquals(saved, ok(api.get("api/weights")).getAsJsonArray("values"), "every weight, as saved");
        double resumed = lastLoss(ok(api.post("api/step", "{\"mode\": \"document\"}")));
        assertEquals(Double.doubleToRawLongBits(uninterrupted), Double.doubleToRawLongBits(resumed),
                "step 4 after the load is step 4 of the saved run: " + uninterrupted + " vs " + resumed);
    }

    @Test
    void aBigramTableSavedByTheLibraryLoadsItsWeights() throws IOException {
        Tokenizer tokenizer = Tokenizer.ofCharacters("abcdefghijklmnopqrstuvwxyz");
        BigramModel model = BigramModel.create(new GptConfig(1, 16, 4, 16, 0.08), tokenizer.vocabSize(),
                new PythonRandom(7));
        Checkpoint.save(checkpoints.resolve("library-bigram"), model, tokenizer);
        JsonObject loaded = ok(api.post("api/load", "{\"name\": \"library-bigram\"}"));
        assertEquals("bigram", loaded.get("model").getAsString());
        assertEquals(0, loaded.get("step").getAsInt());
        assertTrue(loaded.get("message").getAsString().contains("without the optimizer's state"),
                loaded.get("message").getAsString());
        JsonArray values = ok(api.get("api/weights")).getAsJsonArray("values");
        double[] expected = model.parameters().values();
        assertEquals(expected.length, values.size());
        for (int i = 0; i < expected.length; i++) {
            assertEquals(Double.doubleToRawLongBits(expected[i]),
                    Double.doubleToRawLongBits(Double.parseDouble(values.get(i).getAsString())), "weight " + i);
        }
        ok(api.post("api/step", "{}"));
    }

    @Test
    void theLossCurveOfASavedRunIsEveryLossItComputed() {
        ok(api.post("api/reset", "{\"model\": \"mlp\"}"));
        for (int i = 0; i < 5; i++) {
            ok(api.post("api/step", "{\"mode\": \"document\"}"));
        }
        JsonArray live = api.state().getAsJsonArray("losses");
        ok(api.post("api/save", "{\"name\": \"curve\"}"));
        JsonObject curve = ok(api.get("api/loss-curve?name=curve"));
        assertEquals("curve", curve.get("name").getAsString());
        assertEquals("mlp", curve.get("model").getAsString());
        assertEquals(5, curve.get("step").getAsInt());
        assertEquals(1000, curve.get("totalSteps").getAsInt());
        assertEquals(27, curve.get("vocabSize").getAsInt());
        assertEquals(live, curve.getAsJsonArray("losses"), "the saved losses are the live ones, bit for bit");

        // A run loaded from it and saved again keeps the steps before the load too.
        ok(api.post("api/reset", "{}"));
        ok(api.post("api/load", "{\"name\": \"curve\"}"));
        JsonObject sixth = ok(api.post("api/step", "{\"mode\": \"document\"}"));
        ok(api.post("api/save", "{\"name\": \"curve-6\"}"));
        JsonArray six = ok(api.get("api/loss-curve?name=curve-6")).getAsJsonArray("losses");
        assertEquals(6, six.size());
        for (int i = 0; i < 5; i++) {
            assertEquals(live.get(i), six.get(i), "step " + (i + 1));
        }
        assertEquals(lastLoss(sixth), six.get(5).getAsDouble());
        // Reading a curve changes nothing.
        assertEquals(sixth.get("revision").getAsLong() + 1, api.state().get("revision").getAsLong(),
                "only the save published a state");
    }

    @Test
    void aLossCurveThatCannotBeShownIsRefusedWithTheReason() throws IOException {
        assertError(api.get("api/loss-curve?name=nothing-here"), 404, "there is no checkpoint named \"nothing-here\"");
        assertError(api.get("api/loss-curve"), 400, "the checkpoint name is missing");
        assertError(api.get("api/loss-curve?name=../x"), 400, "The checkpoint name must be 1 to 64 letters");
        assertError(api.get("api/loss-curve?dir=x"), 400, "the only query parameter is one \"name\"");
        assertError(api.post("api/loss-curve?name=x", "{}"), 405, "use GET here, not POST");
        ok(api.post("api/save", "{\"name\": \"step-zero\"}"));
        assertError(api.get("api/loss-curve?name=step-zero"), 400, "was saved before its first step");
        Tokenizer tokenizer = Tokenizer.ofCharacters("ab");
        Checkpoint.save(checkpoints.resolve("model-only"), BigramModel.create(SHAPE, tokenizer.vocabSize(),
                new PythonRandom(1)), tokenizer);
        assertError(api.get("api/loss-curve?name=model-only"), 400, "holds the model without its training state");
    }

    @Test
    void weightsEventsOfALargeModelComeNoFasterThanTheirBudget() {
        long quarterSecond = 250_000_000L;
        assertEquals(quarterSecond, EventStream.weightsInterval(0));
        // The default model's event (about 100 KB) keeps four a second.
        assertEquals(quarterSecond, EventStream.weightsInterval(100_000));
        // The largest array-engine model's event (about 4 MB) comes every 8 s.
        long large = EventStream.weightsInterval(4_000_000);
        assertEquals(4_000_000 * 1e9 / EventStream.WEIGHTS_BYTES_PER_SECOND, large, 1e6);
        assertTrue(large > 7_000_000_000L, "at most 512 KiB a second: " + large);
    }

    @Test
    void duringARunOfALargeModelThePageGetsItsWeightsWithinTheBudget() throws Exception {
        // 2 layers, embedding 64, block 32 on the array engine: about 100,000 weights and as many gradients.
        ok(api.post("api/reset", "{\"numSteps\": 100000, \"model\": \"gpt\", \"engine\": \"array\", \"config\":"
                + " {\"nLayer\": 2, \"nEmbd\": 64, \"nHead\": 8, \"blockSize\": 32}}"));
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        List<long[]> weightsEvents = new CopyOnWriteArrayList<>();   // {arrival in ns, length in chars}
        var response = client.sendAsync(HttpRequest.newBuilder(server.uri().resolve("api/events")).build(),
                HttpResponse.BodyHandlers.ofLines());
        HttpResponse<Stream<String>> events = response.get(10, TimeUnit.SECONDS);
        Thread reader = new Thread(() -> {
            String[] event = {null};
            events.body().forEach(line -> {
                if (line.startsWith("event: ")) {
                    event[0] = line.substring(7);
                } else if (line.startsWith("data: ") && "weights".equals(event[0])) {
                    weightsEvents.add(new long[] {System.nanoTime(), line.length()});
                }
            });
        });
        reader.setDaemon(true);
        reader.start();
        try {
            ok(api.post("api/run", "{\"mode\": \"document\"}"));
            // An event of about 4 MB is due every 8 s or so: wait for three (a bounded wait, not
            // a speed check; the budget is checked from the arrival times below).
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(45);
            while (System.nanoTime() < end && weightsEvents.size() < 3) {
                Thread.sleep(100);
            }
            ok(api.post("api/stop", "{}"));
        } finally {
            response.cancel(true);
            api.post("api/stop", "{}");
        }
        List<long[]> during = List.copyOf(weightsEvents);
        assertTrue(during.size() >= 2, "the page got the weights more than once during the run: " + during.size());
        long size = during.get(0)[1];
        assertTrue(size > 1_000_000, "a large model's weights event is large: " + size + " characters");
        // The server waits size / budget after sending an event before it sends the next one. The
        // first event may reach the page later than it left (allow a second for that).
        long bytesBeforeLast = 0;
        for (int i = 0; i < during.size() - 1; i++) {
            bytesBeforeLast += during.get(i)[1];
        }
        double seconds = (during.get(during.size() - 1)[0] - during.get(0)[0]) / 1e9 + 1.0;
        assertTrue(bytesBeforeLast <= EventStream.WEIGHTS_BYTES_PER_SECOND * seconds,
                bytesBeforeLast + " characters of weights in " + seconds + " s is more than the budget of "
                        + EventStream.WEIGHTS_BYTES_PER_SECOND + " a second");
        ok(api.post("api/reset", "{\"numSteps\": 1000, \"engine\": \"value\", \"config\": {\"nLayer\": 1,"
                + " \"nEmbd\": 16, \"nHead\": 4, \"blockSize\": 16}}"));
    }

    // ------------------------------------------------------------------------------ helpers

    private static JsonObject ok(Fixtures.Answer answer) {
        assertEquals(200, answer.status(), answer.body());
        return answer.json();
    }

    private static double lastLoss(JsonObject state) {
        JsonArray losses = state.getAsJsonArray("losses");
        assertNotEquals(0, losses.size(), "the state carries the new step's loss");
        return losses.get(losses.size() - 1).getAsDouble();
    }

    private static void assertError(Fixtures.Answer answer, int status, String message) {
        assertEquals(status, answer.status(), answer.body());
        JsonObject error = answer.json();
        assertEquals(status, error.get("status").getAsInt());
        assertTrue(error.get("error").getAsString().contains(message), "expected \"" + message + "\" in " + error);
    }
}
