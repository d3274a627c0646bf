package io.github.microgpt.examples.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/**
 * The simulator runs the real thing: driven through its HTTP API in per-document mode with the
 * reference settings, it reproduces microgpt.py's golden run (initial weights, all 1000 losses,
 * and the 20 samples at temperature 0.5).
 */
class SimulatorGoldenTest {

    /** The largest difference the core's golden test allows (libm differences in exp/log). */
    private static final double LOSS_TOLERANCE = 1.8e-15;

    @Test
    void aPerDocumentRunThroughTheApiReproducesMicrogptPy() throws IOException, InterruptedException {
        JsonObject golden = Fixtures.golden();
        try (SimulatorServer server = Fixtures.startServer()) {
            Fixtures.Api api = new Fixtures.Api(server);
            JsonObject weights = api.get("api/weights?matrix=wte").json();
            JsonArray first = golden.getAsJsonObject("init_weights_first10_hex").getAsJsonArray("wte");
            for (int i = 0; i < first.size(); i++) {
                assertEquals(Double.parseDouble(first.get(i).getAsString()),
                        weights.getAsJsonArray("values").get(i).getAsDouble(), 0.0, "initial wte[" + i + "]");
            }

            Fixtures.Answer run = api.post("api/run", "{\"mode\": \"document\", \"numSteps\": 1000}");
            assertEquals(200, run.status(), run.body());
            JsonObject state = api.state();
            for (int i = 0; i < 2400 && state.get("running").getAsBoolean(); i++) {
                Thread.sleep(50);
                state = api.state();
            }
            assertFalse(state.get("running").getAsBoolean(), "the run ended");
            assertEquals(1000, state.get("step").getAsInt());

            JsonArray losses = state.getAsJsonArray("losses");
            JsonArray expected = golden.getAsJsonArray("losses_hex");
            assertEquals(expected.size(), losses.size());
            for (int i = 0; i < expected.size(); i++) {
                assertEquals(Double.parseDouble(expected.get(i).getAsString()), losses.get(i).getAsDouble(),
                        LOSS_TOLERANCE, "loss of step " + (i + 1));
            }

            JsonObject generated = api.post("api/generate", "{\"temperature\": 0.5, \"count\": 20}").json();
            assertEquals(golden.getAsJsonArray("samples"), generated.getAsJsonArray("samples"));
        }
    }
}
