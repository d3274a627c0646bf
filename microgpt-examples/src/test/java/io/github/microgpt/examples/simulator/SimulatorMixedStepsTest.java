package io.github.microgpt.examples.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import org.junit.jupiter.api.Test;

/**
 * A student mixing "one position" and "one document" steps on the page: the steps go through the
 * documents in order, a document step finishing the document the position steps began, and the
 * log says which positions each step trained.
 */
class SimulatorMixedStepsTest extends WithServer {

    @Test
    void aDocumentStepFinishesTheDocumentAndThePositionStepsGoOnWithTheNext() {
        JsonObject reset = api.post("api/reset", "{\"numSteps\": 100, \"engine\": \"value\", \"config\": {\"nLayer\": 1,"
                + " \"nEmbd\": 16, \"nHead\": 4, \"blockSize\": 16, \"learningRate\": 0.01, \"seed\": 42}}").json();
        try {
            JsonArray order = reset.getAsJsonObject("dataset").getAsJsonArray("examples");
            api.post("api/step", "{\"mode\": \"position\"}");
            api.post("api/step", "{\"mode\": \"position\"}");
            api.post("api/step", "{\"mode\": \"document\"}");
            JsonArray log = api.post("api/step", "{\"mode\": \"position\"}").json().getAsJsonArray("log");
            assertEquals(4, log.size(), log.toString());
            String first = order.get(0).getAsString();
            for (int s = 0; s < 3; s++) {
                assertEquals(first, log.get(s).getAsJsonObject().get("document").getAsString(), "step " + (s + 1));
            }
            JsonObject rest = log.get(2).getAsJsonObject();
            assertTrue(rest.get("perDocument").getAsBoolean());
            assertEquals(2, rest.get("posId").getAsInt(), "the document step trained the rest, from position 2");
            JsonObject next = log.get(3).getAsJsonObject();
            assertFalse(next.get("perDocument").getAsBoolean());
            assertEquals(order.get(1).getAsString(), next.get("document").getAsString(), "then the next document");
            assertEquals(0, next.get("posId").getAsInt(), "from its start");
        } finally {
            Fixtures.resetToTheNames(api);
        }
    }
}
