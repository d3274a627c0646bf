package io.github.microgpt.examples.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.github.microgpt.model.AttentionEvent;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.GptModel;
import io.github.microgpt.model.LanguageModel;
import io.github.microgpt.model.ParameterLayout;
import io.github.microgpt.model.MatrixLayout;
import io.github.microgpt.random.PythonRandom;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code GET /api/autograd}: the graph of a live neuron or attention score, whose numbers are the
 * model's, and whose walk of {@code backward()} ends exactly where {@code Value.backward()} does.
 */
class AutogradApiTest extends WithServer {

    private void resetAndStep(String engine, int steps) {
        Fixtures.Answer reset = api.post("api/reset", "{\"numSteps\": 1000, \"engine\": \"" + engine + "\", \"config\":"
                + " {\"nLayer\": 1, \"nEmbd\": 16, \"nHead\": 4, \"blockSize\": 16, \"learningRate\": 0.01, \"seed\": 42}}");
        assertEquals(200, reset.status(), reset.body());
        for (int i = 0; i < steps; i++) {
            Fixtures.Answer step = api.post("api/step", "{\"mode\": \"position\"}");
            assertEquals(200, step.status(), step.body());
        }
    }

    private JsonObject graph(String query) {
        Fixtures.Answer answer = api.get("api/autograd?" + query);
        assertEquals(200, answer.status(), answer.body());
        return answer.json();
    }

    @ParameterizedTest(name = "{0} engine")
    @ValueSource(strings = {"value", "array"})
    void theNeuronIsTheModelsLogitAndItsWalkEndsAtBackwardsGradients(String engine) {
        resetAndStep(engine, 3);
        JsonObject g = graph("expr=neuron");
        assertEquals("neuron", g.get("expr").getAsString());
        assertEquals(List.of("neuron", "attention"), strings(g.getAsJsonArray("available")));
        JsonObject overlay = api.state().getAsJsonObject("overlay");
        assertEquals(overlay.get("posId").getAsInt(), g.get("posId").getAsInt());
        walkEndsAtBackwardsGradients(g);

        // The result is the logit the model computes now, from the live weights, at the position shown.
        LanguageModel model = modelWithTheLiveWeights();
        int[] context = ints(overlay.getAsJsonArray("context"));
        int target = overlay.get("outputToken").getAsInt();
        double[] logits = null;
        LanguageModel.Sequence sequence = model.newSequence();
        for (int token : context) {
            logits = sequence.next(token);
        }
        JsonArray nodes = g.getAsJsonArray("nodes");
        JsonObject root = nodes.get(nodes.size() - 1).getAsJsonObject();
        assertEquals("logit", root.get("label").getAsString());
        assertEquals(logits[target], root.get("data").getAsDouble(), "the logit of the target at position "
                + overlay.get("posId"));
        // The weights are lm_head's row of the target, as /api/weights shows them.
        MatrixLayout lmHead = model.parameters().matrixLayout(ParameterLayout.LM_HEAD);
        int leaves = 0;
        for (JsonElement element : nodes) {
            JsonObject node = element.getAsJsonObject();
            String label = node.get("label").isJsonNull() ? "" : node.get("label").getAsString();
            if (label.matches("w[0-9]+")) {
                int i = Integer.parseInt(label.substring(1));
                assertEquals(model.parameters().value(lmHead.index(target, i)), node.get("data").getAsDouble(), label);
                // d logit / d w_i is the input x_i.
                assertEquals(dataOf(nodes, "x" + i), node.get("grad").getAsDouble(), "grad of " + label);
                leaves++;
            }
        }
        assertEquals(16, leaves, "one weight per input of lm_head");
    }

    @Test
    void theAttentionScoresAreThoseWhoseSoftmaxIsTheHeadsAttention() {
        resetAndStep("value", 4);
        JsonObject overlay = api.state().getAsJsonObject("overlay");
        int posId = overlay.get("posId").getAsInt();
        assertEquals(3, posId);
        int[] context = ints(overlay.getAsJsonArray("context"));
        // The model's own attention at this position, from the live weights.
        LanguageModel model = modelWithTheLiveWeights();
        List<AttentionEvent> events = new ArrayList<>();
        model.addAttentionListener(events::add);
        LanguageModel.Sequence sequence = model.newSequence();
        for (int token : context) {
            sequence.next(token);
        }
        for (int head = 0; head < 4; head++) {
            double[] scores = new double[posId + 1];
            for (int key = 0; key <= posId; key++) {
                JsonObject g = graph("expr=attention&head=" + head + "&key=" + key);
                walkEndsAtBackwardsGradients(g);
                JsonArray nodes = g.getAsJsonArray("nodes");
                JsonObject root = nodes.get(nodes.size() - 1).getAsJsonObject();
                assertEquals("score", root.get("label").getAsString());
                scores[key] = root.get("data").getAsDouble();
            }
            int h = head;
            double[] weights = events.stream().filter(e -> e.layer() == 0 && e.head() == h && e.posId() == posId)
                    .findFirst().orElseThrow().weights();
            double max = Double.NEGATIVE_INFINITY;
            for (double s : scores) {
                max = Math.max(max, s);
            }
            double total = 0;
            for (double s : scores) {
                total += Math.exp(s - max);
            }
            for (int key = 0; key <= posId; key++) {
                assertEquals(weights[key], Math.exp(scores[key] - max) / total, 1e-12,
                        "head " + head + ", key " + key + ": softmax of the scores is the attention weight");
            }
        }
        // Without a key: the current position's own key.
        assertEquals(graph("expr=attention&head=2&key=" + posId).get("nodes").toString(),
                graph("expr=attention&head=2").get("nodes").toString());
    }

    /**
     * Replays the steps as the page does, from 0 everywhere but the result's 1: each step must add
     * {@code local * parentGrad} to the child's gradient so far, and the last gradients must be
     * exactly those of {@code Value.backward()}, which the nodes carry.
     */
    private static void walkEndsAtBackwardsGradients(JsonObject g) {
        JsonArray nodes = g.getAsJsonArray("nodes");
        JsonArray edges = g.getAsJsonArray("edges");
        JsonArray steps = g.getAsJsonArray("steps");
        assertEquals(edges.size(), steps.size(), "one addition per edge");
        double[] grads = new double[nodes.size()];
        grads[nodes.size() - 1] = 1.0;
        boolean[] passedOn = new boolean[nodes.size()];
        for (JsonElement element : steps) {
            JsonObject step = element.getAsJsonObject();
            int child = step.get("child").getAsInt();
            int parent = step.get("parent").getAsInt();
            JsonObject edge = edges.get(step.get("edge").getAsInt()).getAsJsonObject();
            assertEquals(child, edge.get("child").getAsInt());
            assertEquals(parent, edge.get("parent").getAsInt());
            assertTrue(child < parent, "a child comes before its parent in topological order");
            // Topological order: a node passes its gradient on only once it is complete.
            assertTrue(!passedOn[child], "n" + child + " received after passing its gradient on");
            passedOn[parent] = true;
            assertEquals(grads[parent], step.get("parentGrad").getAsDouble(), "parent n" + parent);
            assertEquals(grads[child], step.get("before").getAsDouble(), "child n" + child);
            double after = grads[child] + step.get("local").getAsDouble() * grads[parent];
            assertEquals(after, step.get("after").getAsDouble());
            grads[child] = after;
        }
        for (int id = 0; id < nodes.size(); id++) {
            assertEquals(nodes.get(id).getAsJsonObject().get("grad").getAsDouble(), grads[id],
                    "node " + id + ": the walk's gradient is backward()'s");
        }
        String svg = g.get("svg").getAsString();
        assertTrue(svg.startsWith("<svg"), svg);
        assertEquals(nodes.size() + edges.size(), svg.split("<g id=", -1).length - 1, "one group per node and edge");
        // The panel finds them by these ids.
        for (int k = 0; k < edges.size(); k++) {
            assertTrue(svg.contains("<g id=\"e" + k + "\">"), "edge " + k);
        }
        for (int id = 0; id < nodes.size(); id++) {
            assertTrue(svg.contains("<g id=\"n" + id + "\">"), "node " + id);
        }
    }

    private LanguageModel modelWithTheLiveWeights() {
        JsonObject state = api.state();
        JsonObject config = state.getAsJsonObject("config");
        GptModel model = GptModel.create(GptConfig.defaults().withNLayer(config.get("nLayer").getAsInt())
                        .withNEmbd(config.get("nEmbd").getAsInt()).withNHead(config.get("nHead").getAsInt())
                        .withBlockSize(config.get("blockSize").getAsInt()),
                state.getAsJsonArray("vocab").size(), new PythonRandom(0));
        Fixtures.Answer weights = api.get("api/weights");
        assertEquals(200, weights.status());
        JsonArray values = weights.json().getAsJsonArray("values");
        assertEquals(model.numParameters(), values.size());
        for (int i = 0; i < values.size(); i++) {
            model.parameters().setValue(i, values.get(i).getAsDouble());
        }
        return model;
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', value = {
        "expr=loss|expr must be \"neuron\" or \"attention\", got \"loss\"",
        "expr=|expr must be \"neuron\" or \"attention\", got \"\"",
        "expr=neuron&expr=attention|the query parameter \"expr\" is given twice",
        "node=3|unknown query parameter \"node\"; the parameters are expr, head and key",
        "expr=neuron&head=1|head and key choose an attention score; the neuron takes neither",
        "expr=attention&head=two|head must be a whole number from 0 to 3, got \"two\"",
        "expr=attention&head=-1|head must be a whole number from 0 to 3, got \"-1\"",
        "expr=attention&head=4|head must be a whole number from 0 to 3, got \"4\"",
        "expr=attention&head=|head must be a whole number from 0 to 3, got \"\"",
        "expr=attention&key=1.5|key must be a position from 0 to the current position 1 (attention looks only back),"
                + " got \"1.5\"",
        "expr=attention&key=-1|key must be a position from 0 to the current position 1 (attention looks only back),"
                + " got \"-1\"",
        "expr=attention&key=2|key must be a position from 0 to the current position 1 (attention looks only back), got"
                + " \"2\"",
        "expr=attention&head=99999999999|head must be a whole number from 0 to 3, got \"99999999999\"",
        // Plain ASCII digits only: Integer.parseInt read these as 1 (U+FF11 is a fullwidth 1).
        "expr=attention&head=%2B1|head must be a whole number from 0 to 3, got \"+1\"",
        "expr=attention&head=01|head must be a whole number from 0 to 3, got \"01\"",
        "expr=attention&head=%EF%BC%91|head must be a whole number from 0 to 3, got \"\uFF11\"",
        "expr=attention&key=%D9%A1|key must be a position from 0 to the current position 1 (attention looks only back),"
                + " got \"\u0661\"",
        // A character a person cannot see is shown escaped (a zero-width space after the 1).
        "expr=attention&head=1%E2%80%8B|head must be a whole number from 0 to 3, got \"1\\u200B\"",
    })
    void aBadParameterIsAnswered400WithWhatIsAllowed(String query, String message) {
        resetAndStep("value", 2);
        Fixtures.Answer answer = api.get("api/autograd?" + query);
        assertEquals(400, answer.status(), answer.body());
        assertEquals(message, answer.json().get("error").getAsString());
        assertEquals(400, answer.json().get("status").getAsInt());
    }

    @Test
    void beforeTheFirstStepThereIsNoPositionToBuildAt() {
        resetAndStep("value", 0);
        Fixtures.Answer answer = api.get("api/autograd?expr=neuron");
        assertEquals(409, answer.status(), answer.body());
        assertTrue(answer.json().get("error").getAsString().startsWith("there is no current position yet"),
                answer.body());
        assertEquals(405, api.post("api/autograd", "{}").status());
    }

    @Test
    void modelsTooLargeToDrawOrToRebuildAreRefusedWithTheReason() {
        // 397,696 parameters: more than the value engine may rebuild even at position 0; the score needs one layer only.
        Fixtures.Answer reset = api.post("api/reset", "{\"engine\": \"array\", \"config\": {\"nLayer\": 8, \"nEmbd\": 64,"
                + " \"nHead\": 4, \"blockSize\": 16}}");
        assertEquals(200, reset.status(), reset.body());
        assertEquals(200, api.post("api/step", "{}").status());
        Fixtures.Answer neuron = api.get("api/autograd?expr=neuron");
        assertEquals(409, neuron.status(), neuron.body());
        assertEquals("this model is too large to rebuild over Values at this position: 1 (positions) × 397,696"
                + " (parameters) = 397,696, more than the 250,000 the value engine is allowed; the attention score works"
                + " at any size",
                neuron.json().get("error").getAsString());
        walkEndsAtBackwardsGradients(graph("expr=attention&head=3"));

        reset = api.post("api/reset", "{\"engine\": \"array\", \"config\": {\"nLayer\": 1, \"nEmbd\": 128,"
                + " \"nHead\": 1, \"blockSize\": 16}}");
        assertEquals(200, reset.status(), reset.body());
        assertEquals(200, api.post("api/step", "{}").status());
        neuron = api.get("api/autograd?expr=neuron");
        assertEquals(409, neuron.status(), neuron.body());
        assertEquals("this neuron has 128 inputs, too many to draw; the panel draws neurons of up to 64",
                neuron.json().get("error").getAsString());
        Fixtures.Answer score = api.get("api/autograd?expr=attention");
        assertEquals(409, score.status(), score.body());
        assertEquals("a head of this model has 128 dimensions, too many to draw; the panel draws scores of heads of"
                + " up to 64", score.json().get("error").getAsString());
    }

    @Test
    void theGraphCanBeTakenWhileARunTrains() {
        Fixtures.Answer reset = api.post("api/reset", "{\"numSteps\": 100000, \"engine\": \"value\", \"config\":"
                + " {\"nLayer\": 1, \"nEmbd\": 16, \"nHead\": 4, \"blockSize\": 16}}");
        assertEquals(200, reset.status(), reset.body());
        assertEquals(200, api.post("api/step", "{}").status());
        assertEquals(200, api.post("api/run", "{}").status());
        try {
            for (int i = 0; i < 5; i++) {
                walkEndsAtBackwardsGradients(graph("expr=neuron"));
                walkEndsAtBackwardsGradients(graph("expr=attention&head=1"));
            }
            assertTrue(api.state().get("running").getAsBoolean(), "the run went on meanwhile");
        } finally {
            assertEquals(200, api.post("api/stop", "{}").status());
        }
    }

    @Test
    void aGeneratedTokenIsAPositionToo() {
        resetAndStep("value", 1);
        assertEquals(200, api.post("api/gen-step", "{\"temperature\": 0.5}").status());
        JsonObject overlay = api.state().getAsJsonObject("overlay");
        assertEquals("generation", overlay.get("mode").getAsString());
        JsonObject g = graph("expr=neuron");
        assertTrue(g.get("title").getAsString().contains("of the sample being drawn"), g.get("title").getAsString());
        walkEndsAtBackwardsGradients(g);
    }

    private static double dataOf(JsonArray nodes, String label) {
        for (JsonElement element : nodes) {
            JsonObject node = element.getAsJsonObject();
            if (!node.get("label").isJsonNull() && node.get("label").getAsString().equals(label)) {
                return node.get("data").getAsDouble();
            }
        }
        throw new AssertionError("no node labelled " + label);
    }

    private static List<String> strings(JsonArray array) {
        List<String> out = new ArrayList<>();
        array.forEach(e -> out.add(e.getAsString()));
        return out;
    }

    private static int[] ints(JsonArray array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).getAsInt();
        }
        return out;
    }
}
