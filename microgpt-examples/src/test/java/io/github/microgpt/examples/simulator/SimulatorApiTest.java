package io.github.microgpt.examples.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.microgpt.text.Documents;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The simulator's HTTP API: validation, conflicts, and the state it reports. */
class SimulatorApiTest extends WithServer {

    @BeforeEach
    void defaults() {
        Fixtures.Answer answer = api.post("api/reset", "{\"numSteps\": 1000, \"engine\": \"value\", \"config\": {\"nLayer\": 1, \"nEmbd\": 16,"
                + " \"nHead\": 4, \"blockSize\": 16, \"learningRate\": 0.01, \"seed\": 42}}");
        assertEquals(200, answer.status(), answer.body());
    }

    static Stream<Arguments> badValues() {
        List<Arguments> cases = new ArrayList<>();
        for (String path : List.of("api/step", "api/run")) {
            // Strings hold numbers as JSON writes them: BigDecimal read "+5", "010" and a fullwidth 5 as 5.
            for (String numSteps : List.of("\"abc\"", "0", "-1", "100001", "2.5", "true", "[1]", "{}", "1e400", "\"\"",
                    "\"+5\"", "\"010\"", "\"\\uFF15\"", "\"\u0665\"", "\"5\u200B\"")) {
                cases.add(Arguments.of(path, "{\"numSteps\": " + numSteps + "}", "Num steps must be a whole number"));
            }
            cases.add(Arguments.of(path, "{\"mode\": \"sideways\"}", "The step mode must be one of"));
            cases.add(Arguments.of(path, "{\"mode\": 3}", "The step mode must be a string"));
            cases.add(Arguments.of(path, "{\"speed\": 1}", "unknown field \"speed\""));
            cases.add(Arguments.of(path, "not json", "not valid JSON"));
            cases.add(Arguments.of(path, "[1, 2]", "must be a JSON object"));
            cases.add(Arguments.of(path, "{\"numSteps\": 5, \"mode\": \"document\", \"numSteps\": 6}",
                    "the request has the field \"numSteps\" twice"));
        }
        for (String temperature : List.of("0", "0.05", "1.6", "\"hot\"", "\"NaN\"", "-1", "null")) {
            String problem = temperature.equals("null") ? "Temperature is missing" : "Temperature must be a number";
            cases.add(Arguments.of("api/gen-step", "{\"temperature\": " + temperature + "}", problem));
            cases.add(Arguments.of("api/generate", "{\"temperature\": " + temperature + "}", problem));
        }
        cases.add(Arguments.of("api/gen-step", "{}", "Temperature is missing"));
        cases.add(Arguments.of("api/generate", "{\"temperature\": \"+0.5\"}", "Temperature must be a number"));
        cases.add(Arguments.of("api/generate", "{\"temperature\": \"\u0660.5\"}", "Temperature must be a number"));
        for (String count : List.of("0", "101", "\"many\"", "1.5", "\"+5\"", "\"05\"")) {
            cases.add(Arguments.of("api/generate", "{\"temperature\": 0.5, \"count\": " + count + "}",
                    "The number of samples must be"));
        }
        String[][] resets = {
            {"{\"numSteps\": 0}", "Num steps must be"},
            {"{\"config\": {\"nHead\": 3}}", "must be divisible by Heads"},
            {"{\"config\": {\"nLayer\": 2, \"nEmbd\": 32, \"blockSize\": 32}}",
                "block size × parameters is 874,496 (2 layers, embedding size 32, block size 32, 27 tokens, 27,328"
                        + " parameters) and the simulator allows at most 250,000"},
            {"{\"config\": {\"nLayer\": 4, \"nEmbd\": 64, \"nHead\": 8}}", "this model is too large to train live"},
            {"{\"config\": {\"nLayer\": 0}}", "Layers must be a whole number from 1 to 4"},
            {"{\"config\": {\"nLayer\": 5}}", "Layers must be a whole number from 1 to 4"},
            {"{\"config\": {\"nEmbd\": 1000}}", "Embedding size must be"},
            {"{\"config\": {\"blockSize\": 1}}", "Block size must be"},
            {"{\"config\": {\"learningRate\": 0}}", "Learning rate must be a number above 0.0 and at most 1.0"},
            {"{\"config\": {\"learningRate\": -0.1}}", "Learning rate must be"},
            {"{\"config\": {\"learningRate\": \"NaN\"}}", "Learning rate must be"},
            {"{\"config\": {\"learningRate\": 2}}", "Learning rate must be"},
            {"{\"config\": {\"seed\": -1}}", "Seed must be"},
            {"{\"config\": {\"depth\": 2}}", "unknown field \"depth\""},
            {"{\"config\": 5}", "\"config\" must be a JSON object"},
            {"{\"config\": {\"nLayer\": 1, \"nLayer\": 2}}", "\"config\" has the field \"nLayer\" twice"},
            {"{\"dataset\": {\"source\": \"text\", \"text\": \"a\"}, \"config\": {}, \"dataset\": {}}",
                "the request has the field \"dataset\" twice"},
            {"{\"dataset\": {\"source\": \"web\"}}", "The dataset must be one of"},
            {"{\"dataset\": {\"source\": \"text\"}}", "the dataset text is missing"},
            {"{\"dataset\": {\"source\": \"text\", \"text\": \"  \\n \\n\"}}", "holds no documents"},
            {"{\"dataset\": {\"source\": \"text\", \"text\": \"ab\\u0007c\"}}", "control character U+0007"},
            {"{\"dataset\": {\"source\": \"text\", \"text\": \"ok\\nab\\uD800c\"}}", "the dataset text holds an"
                    + " unpaired surrogate (half of a pair, no character by itself) U+D800 at line 2, column 3"},
            {"{\"dataset\": {\"source\": \"text\", \"text\": \"ok\\n\\nab\\u001bc\"}}", "the dataset text holds the"
                    + " control character U+001B at line 3, column 3"},
            {"{\"dataset\": {\"source\": \"text\", \"text\": \"ok\\nab\\u2028c\"}}", "the dataset text holds the"
                    + " line separator U+2028 at line 2, column 3"},
            // Blank lines are no documents: document 3 is on line 5 (the message said "line 3").
            {"{\"dataset\": {\"source\": \"text\", \"text\": \"ok\\n\\n  \\nab\\n" + "x".repeat(1001) + "\"}}",
                "document 3 (line 5 of the dataset text) is 1,001 characters long"},
            {"{\"dataset\": {\"source\": \"text\", \"text\": \"" + "a".repeat(Limits.MAX_TEXT_CHARS + 1)
                    + "\"}}", "the limit is 1000000"},
            {"{\"dataset\": {\"source\": \"text\", \"text\": \"" + distinctCharacters(Limits.MAX_VOCAB + 1)
                    + "\"}}", "201 different characters"},
        };
        for (String[] reset : resets) {
            cases.add(Arguments.of("api/reset", reset[0], reset[1]));
        }
        cases.add(Arguments.of("api/reset", "{\"engine\": \"fast\"}", "The engine must be one of [array, value], got \"fast\""));
        cases.add(Arguments.of("api/reset", "{\"engine\": 1}", "The engine must be a string"));
        cases.add(Arguments.of("api/reset", "{\"config\": {\"nLayer\": 8, \"nEmbd\": 8, \"nHead\": 2, \"blockSize\": 8}}",
                "Layers must be a whole number from 1 to 4 with the value engine, got 8"));
        cases.add(Arguments.of("api/reset", "{\"engine\": \"array\", \"config\": {\"nLayer\": 9}}",
                "Layers must be a whole number from 1 to 8 with the array engine, got 9"));
        cases.add(Arguments.of("api/reset", "{\"engine\": \"array\", \"config\": {\"nLayer\": 8, \"nEmbd\": 128,"
                + " \"nHead\": 8, \"blockSize\": 64}}", "and the simulator allows at most 6,500,000 with the array engine"));
        cases.add(Arguments.of("api/reset", "{\"config\": {\"nHead\": 0}}", "Heads must be a whole number from 1 to 8"));
        cases.add(Arguments.of("api/reset", "{\"config\": {\"nLayer\": 99999999999}}", "Layers must be a whole number"));
        cases.add(Arguments.of("api/stop", "{\"now\": true}", "unknown field \"now\""));
        // A character a person cannot see is shown escaped in the message, never as itself.
        cases.add(Arguments.of("api/step", "{\"mode\": \"docu\u200Bment\"}", "got \"docu\\u200Bment\""));
        cases.add(Arguments.of("api/step", "{\"mo\u202Ede\": 1}", "unknown field \"mo\\u202Ede\""));
        cases.add(Arguments.of("api/step", "{\"numSteps\": \"\\uFEFF5\"}", "got \"\\uFEFF5\""));
        return cases.stream();
    }

    private static String distinctCharacters(int count) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < count; i++) {
            text.appendCodePoint(0x4E00 + i);
        }
        return text.toString();
    }

    @ParameterizedTest(name = "[{index}] {0} {1}")
    @MethodSource("badValues")
    void aBadValueIsAnswered400WithAMessageAndChangesNothing(String path, String body, String message) {
        JsonObject before = api.state();
        Fixtures.Answer answer = api.post(path, body);
        String where = path + " " + (body.length() > 80 ? body.substring(0, 80) + "…" : body);
        assertEquals(400, answer.status(), where + " -> " + answer.body());
        JsonObject error = answer.json();
        assertEquals(400, error.get("status").getAsInt(), where);
        assertTrue(error.get("error").getAsString().contains(message),
                where + ": expected \"" + message + "\" in " + error.get("error"));
        JsonObject after = api.state();
        assertEquals(before.get("revision").getAsLong(), after.get("revision").getAsLong(), where + " changed the state");
        assertEquals(before.get("epoch").getAsLong(), after.get("epoch").getAsLong(), where);
    }

    /**
     * A body declared as anything but JSON in UTF-8 is refused 415 and changes nothing: it was
     * read as UTF-8 JSON whatever it said (a form, plain text and a multipart body stepped the
     * model; a UTF-16 body was called broken JSON). JSON, with or without charset=utf-8, or a
     * body with no declared type, is read.
     */
    @Test
    void aBodyDeclaredAsOtherThanJsonIsRefused415() {
        byte[] empty = "{}".getBytes(StandardCharsets.UTF_8);
        for (String type : List.of("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                "application/json; charset=utf-16", "application/json;charset=\"latin1\"", "application/jsonx")) {
            JsonObject before = api.state();
            Fixtures.Answer answer = api.post("api/step", type, type.contains("16")
                    ? "{}".getBytes(StandardCharsets.UTF_16) : empty);
            assertEquals(415, answer.status(), type + " -> " + answer.body());
            assertTrue(answer.json().get("error").getAsString().contains("got Content-Type: " + type), answer.body());
            assertEquals(before.get("revision").getAsLong(), api.state().get("revision").getAsLong(), type);
        }
        for (String type : Arrays.asList("application/json", "Application/JSON; charset=UTF-8",
                "application/json; charset=\"utf-8\"", null)) {
            assertEquals(200, api.post("api/step", type, empty).status(), String.valueOf(type));
        }
    }

    /**
     * A compressed body is refused 415, naming the coding, and changes nothing: it was read as it
     * came, and gzip's bytes were refused 400 as broken JSON. {@code identity} is read.
     */
    @Test
    void aCompressedBodyIsRefused415() throws IOException {
        java.io.ByteArrayOutputStream zipped = new java.io.ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream gzip = new java.util.zip.GZIPOutputStream(zipped)) {
            gzip.write("{}".getBytes(StandardCharsets.UTF_8));
        }
        for (String coding : List.of("gzip", "deflate", "br", "identity, gzip")) {
            JsonObject before = api.state();
            Fixtures.Answer answer = api.postEncoded("api/step", coding, zipped.toByteArray());
            assertEquals(415, answer.status(), coding + " -> " + answer.body());
            assertTrue(answer.json().get("error").getAsString().contains("does not decode Content-Encoding: "
                    + coding.replace("identity, ", "")), answer.body());
            assertEquals(before.get("revision").getAsLong(), api.state().get("revision").getAsLong(), coding);
        }
        assertEquals(200, api.postEncoded("api/step", "identity", "{}".getBytes(StandardCharsets.UTF_8)).status());
    }

    @Test
    void badReadsAndUnknownPlacesAreRefusedWithJson() {
        assertError(api.get("api/weights?matrix=nope"), 400, "there is no weight matrix \"nope\"");
        assertError(api.get("api/weights?foo=1"), 400, "the only query parameter is one \"matrix\"");
        assertError(api.get("api/weights?matrix=wte&matrix=wte"), 400,
                "the query parameter \"matrix\" is given twice; give it once");
        assertError(api.get("api/state?x=1"), 400, "takes no query parameters");
        assertError(api.get("api/nothing"), 404, "there is nothing at /api/nothing");
        assertError(api.post("api/state", "{}"), 405, "use GET here, not POST");
        assertError(api.get("api/step"), 405, "use POST here, not GET");
    }

    @Test
    void requestsFromOtherSitesAreRefused() throws IOException {
        HttpClient client = HttpClient.newHttpClient();
        try {
            HttpResponse<String> response = client.send(HttpRequest.newBuilder(server.uri().resolve("api/step"))
                    .header("Origin", "http://evil.example")
                    .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(403, response.statusCode(), response.body());
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
        assertEquals(0, server.session().stepsDone());
        // A read or the event stream from a page elsewhere: it could not read them, but an event
        // stream took one of the pages' places and kept a Run going that nobody watched.
        for (String target : new String[] {"/api/events", "/api/state", "/"}) {
            try (Socket socket = new Socket("127.0.0.1", server.port())) {
                socket.setSoTimeout(30_000);
                OutputStream out = socket.getOutputStream();
                out.write(("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + server.port()
                        + "\r\nOrigin: http://evil.example\r\nConnection: close\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                out.flush();
                String status = new BufferedReader(new InputStreamReader(socket.getInputStream(),
                        StandardCharsets.US_ASCII)).readLine();
                assertEquals("HTTP/1.1 403 Forbidden", status, "GET " + target + " from another site");
                assertEquals(0, server.eventSubscribers(), "a page elsewhere listens to the events");
            }
        }
        // A Host that is not ours: what a page elsewhere gets when it re-points its name at 127.0.0.1.
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            OutputStream out = socket.getOutputStream();
            out.write(("GET /api/state HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String status = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII))
                    .readLine();
            assertEquals("HTTP/1.1 403 Forbidden", status);
        }
    }

    @Test
    void theStateDescribesTheModel() {
        JsonObject state = api.state();
        assertEquals(32_033, state.getAsJsonObject("stats").get("numDocs").getAsInt());
        assertEquals(27, state.getAsJsonObject("stats").get("vocabSize").getAsInt());
        assertEquals(4192, state.getAsJsonObject("stats").get("numParams").getAsInt());
        assertEquals(Math.log(27), state.get("baseline").getAsDouble(), 1e-15);
        assertEquals("<BOS>", state.getAsJsonArray("vocab").get(26).getAsString());
        // The first documents in training order are microgpt.py's (golden first_docs).
        JsonArray goldenFirst = Fixtures.golden().getAsJsonArray("first_docs");
        JsonArray examples = state.getAsJsonObject("dataset").getAsJsonArray("examples");
        for (int i = 0; i < goldenFirst.size(); i++) {
            assertEquals(goldenFirst.get(i).getAsString(), examples.get(i).getAsString(), "document " + i);
        }
        JsonObject weights = api.get("api/weights").json();
        assertEquals(4192, weights.getAsJsonArray("values").size());
        assertEquals(4192, weights.getAsJsonArray("grads").size());
        assertEquals(9, weights.getAsJsonArray("matrices").size());
        JsonObject wpe = api.get("api/weights?matrix=wpe").json();
        assertEquals(256, wpe.getAsJsonArray("values").size());
        assertEquals(432, wpe.getAsJsonArray("matrices").get(0).getAsJsonObject().get("offset").getAsInt());
        assertEquals(weights.getAsJsonArray("values").get(432), wpe.getAsJsonArray("values").get(0));
    }

    @Test
    void positionStepsWalkTheFirstDocumentAndReportAttentionAndGradients() {
        String document = Fixtures.trainingOrder(Fixtures.names(), 42).get(0);
        for (int k = 1; k <= document.length() + 1; k++) {
            JsonObject state = api.post("api/step", "{\"mode\": \"position\"}").json();
            JsonObject overlay = state.getAsJsonObject("overlay");
            int posId = k - 1;
            String where = "step " + k + " of \"" + document + "\"";
            assertEquals(k, state.get("step").getAsInt(), where);
            assertEquals(posId, overlay.get("posId").getAsInt(), where);
            assertEquals(posId + 1, overlay.getAsJsonArray("context").size(), where);
            int target = posId < document.length() ? document.charAt(posId) - 'a' : 26;
            assertEquals(target, overlay.get("targetToken").getAsInt(), where);
            double[] probabilities = doubles(overlay.getAsJsonArray("probabilities"));
            assertEquals(-Math.log(probabilities[target]), overlay.get("loss").getAsDouble(), 1e-12, where);
            assertEquals(overlay.get("loss").getAsDouble(), last(state.getAsJsonArray("losses")), 0.0, where);
            // Each of the 4 heads has one row per position read, each row a distribution over the past.
            JsonArray heads = state.getAsJsonArray("attention").get(0).getAsJsonArray();
            assertEquals(4, heads.size(), where);
            for (int h = 0; h < 4; h++) {
                JsonArray rows = heads.get(h).getAsJsonArray();
                assertEquals(posId + 1, rows.size(), where + ", head " + h);
                double[] row = doubles(rows.get(posId).getAsJsonArray());
                assertEquals(posId + 1, row.length, where + ", head " + h);
                assertEquals(1.0, Arrays.stream(row).sum(), 1e-6, where + ", head " + h);
            }
            double[] grads = doubles(api.get("api/weights?matrix=lm_head").json().getAsJsonArray("grads"));
            assertTrue(Arrays.stream(grads).anyMatch(g -> g != 0), where + ": lm_head has gradients");
        }
        // The document is done (its last target was BOS): the next step starts the second one.
        JsonObject overlay = api.post("api/step", "{}").json().getAsJsonObject("overlay");
        assertEquals(Fixtures.trainingOrder(Fixtures.names(), 42).get(1), overlay.get("document").getAsString());
        assertEquals(0, overlay.get("posId").getAsInt());
    }

    @Test
    void numStepsCanChangeOnlyBeforeTheFirstStep() {
        JsonObject state = api.post("api/step", "{\"numSteps\": 3}").json();
        assertEquals(3, state.get("totalSteps").getAsInt());
        assertEquals(1, state.get("step").getAsInt());
        assertError(api.post("api/step", "{\"numSteps\": 5}"), 400, "Press Reset to start a run of 5 steps");
        api.post("api/step", "{\"numSteps\": 3}");
        api.post("api/step", "{}");
        assertError(api.post("api/step", "{}"), 409, "all 3 steps are done");
        assertError(api.post("api/run", "{}"), 409, "all 3 steps are done");
        assertEquals(3, server.session().stepsDone());
        // Generation still works on the trained model.
        assertEquals(20, api.post("api/generate", "{\"temperature\": 0.5}").json().getAsJsonArray("samples").size());
    }

    @Test
    void whileARunIsGoingChangesAreRefusedAndStopEndsIt() {
        api.post("api/reset", "{\"numSteps\": 100000}");
        JsonObject started = api.post("api/run", "{}").json();
        assertTrue(started.get("running").getAsBoolean());
        for (String path : List.of("api/step", "api/run", "api/reset", "api/gen-step", "api/generate")) {
            String body = path.contains("gen") ? "{\"temperature\": 0.5}" : "{}";
            Fixtures.Answer answer = api.post(path, body);
            // The run may not have taken the lock yet, but it has been accepted: changes wait for Stop.
            assertError(answer, 409, "training is running: press Stop first");
        }
        JsonObject stopped = api.post("api/stop", "{}").json();
        assertFalse(stopped.get("running").getAsBoolean());
        int steps = stopped.get("step").getAsInt();
        assertEquals(steps, server.session().stepsDone());
        assertEquals(steps, stopped.get("recordCount").getAsInt());
        assertTrue(steps < 100_000, "stopped at " + steps);
        // Stop when nothing runs is harmless, and the next step follows on.
        assertEquals(steps, api.post("api/stop", "{}").json().get("step").getAsInt());
        assertEquals(steps + 1, api.post("api/step", "{}").json().get("step").getAsInt());
    }

    @Test
    void genStepDrawsOneTokenAtATimeUntilTheSampleEnds() {
        int tokens = 0;
        JsonObject overlay;
        do {
            JsonObject state = api.post("api/gen-step", "{\"temperature\": 0.5}").json();
            overlay = state.getAsJsonObject("overlay");
            assertEquals("generation", overlay.get("mode").getAsString());
            assertEquals(tokens, overlay.get("posId").getAsInt());
            assertEquals(tokens + 1, overlay.getAsJsonArray("context").size());
            assertEquals(1, overlay.get("sample").getAsInt());
            tokens++;
        } while (!overlay.get("sampleDone").getAsBoolean() && tokens < 20);
        assertTrue(overlay.get("sampleDone").getAsBoolean(), "the sample ends within the block size");
        JsonArray samples = api.state().getAsJsonArray("samples");
        assertEquals(1, samples.size());
        assertEquals(overlay.get("sampleText").getAsString(), samples.get(0).getAsString());
        // The next Gen Step starts sample 2 at position 0.
        JsonObject next = api.post("api/gen-step", "{\"temperature\": 0.5}").json().getAsJsonObject("overlay");
        assertEquals(2, next.get("sample").getAsInt());
        assertEquals(0, next.get("posId").getAsInt());
    }

    /**
     * A tab inside a line is text, to the simulator as to {@code microgpt train --data} and to
     * {@code microgpt.py}: a character of the vocabulary like any other (at a line's ends it is
     * stripped, as Python's {@code strip()} does). The simulator refused it, so a file that trains
     * at the command line could not be pasted. A dataset name may hold one too, as a file's may.
     */
    @Test
    void aTabInADocumentOrADatasetNameIsTakenAsTheCommandLineTakesIt() {
        JsonObject state = api.post("api/reset", "{\"dataset\": {\"source\": \"text\", \"text\": \"a\\tb\\n\\tba\\t\","
                + " \"name\": \"two\\tcolumns.tsv\"}}").json();
        try {
            assertEquals(2, state.getAsJsonObject("stats").get("numDocs").getAsInt());
            assertEquals(4, state.getAsJsonObject("stats").get("vocabSize").getAsInt(), "a, b, the tab and BOS");
            assertEquals("\t", state.getAsJsonArray("vocab").get(0).getAsString(), "the tab sorts first");
            assertEquals(List.of("a\tb", "ba"), Documents.parse("a\tb\n\tba\t"), "the command line's documents");
            assertEquals("two\tcolumns.tsv", state.getAsJsonObject("dataset").get("name").getAsString());
        } finally {
            Fixtures.resetToTheNames(api);
        }
    }

    @Test
    void aPastedDatasetAndAConfigurationAreAppliedOnReset() {
        JsonObject state = api.post("api/reset", "{\"numSteps\": 50, \"config\": {\"nLayer\": 2, \"nEmbd\": 8,"
                + " \"nHead\": 2, \"blockSize\": 8, \"learningRate\": \"0.05\", \"seed\": 7},"
                + " \"dataset\": {\"source\": \"text\", \"text\": \"abc\\r\\n\\n  bca \\ncab\", \"name\": \"tiny.txt\"}}").json();
        try {
            assertEquals(3, state.getAsJsonObject("stats").get("numDocs").getAsInt());
            assertEquals(4, state.getAsJsonObject("stats").get("vocabSize").getAsInt());
            // wte 4x8, wpe 8x8, lm_head 4x8, and per layer 4 of 8x8 and two of 32x8.
            assertEquals(32 + 64 + 32 + 2 * (4 * 64 + 2 * 256), state.getAsJsonObject("stats").get("numParams").getAsInt());
            assertEquals("tiny.txt", state.getAsJsonObject("dataset").get("name").getAsString());
            assertEquals(50, state.get("totalSteps").getAsInt());
            assertEquals(0.05, state.getAsJsonObject("config").get("learningRate").getAsDouble());
            JsonObject stepped = api.post("api/step", "{\"mode\": \"document\"}").json();
            assertEquals(2, stepped.getAsJsonArray("attention").size(), "two layers of attention");
            assertEquals(2, stepped.getAsJsonArray("attention").get(1).getAsJsonArray().size(), "two heads");
            assertTrue(stepped.getAsJsonArray("log").get(0).getAsJsonObject().get("perDocument").getAsBoolean());
        } finally {
            Fixtures.resetToTheNames(api);
        }
    }

    @Test
    void theArrayEngineTrainsLargerModelsAndStartsFromTheSameNumbers() {
        JsonObject value = api.post("api/step", "{}").json();
        assertEquals("value", value.get("engine").getAsString());
        double firstLoss = value.getAsJsonArray("losses").get(0).getAsDouble();
        JsonObject array = api.post("api/reset", "{\"engine\": \"array\"}").json();
        assertEquals("array", array.get("engine").getAsString());
        assertEquals("array", array.getAsJsonObject("config").get("engine").getAsString());
        assertEquals(4192, array.getAsJsonObject("stats").get("numParams").getAsInt());
        // The same seed draws the same weights, and the first loss is the same number.
        JsonObject stepped = api.post("api/step", "{}").json();
        assertEquals(firstLoss, stepped.getAsJsonArray("losses").get(0).getAsDouble(), 0.0);
        double[] grads = doubles(api.get("api/weights?matrix=lm_head").json().getAsJsonArray("grads"));
        assertTrue(Arrays.stream(grads).anyMatch(g -> g != 0), "the array engine's gradients are shown");
        // Its attention too: after position 0, each of the 4 heads has one row, all its weight on BOS.
        JsonArray heads = stepped.getAsJsonArray("attention").get(0).getAsJsonArray();
        assertEquals(4, heads.size());
        for (int h = 0; h < 4; h++) {
            assertEquals(1.0, heads.get(h).getAsJsonArray().get(0).getAsJsonArray().get(0).getAsDouble(), 1e-6);
        }
        JsonObject two = api.post("api/step", "{\"mode\": \"document\"}").json();
        JsonArray rows = two.getAsJsonArray("attention").get(0).getAsJsonArray().get(0).getAsJsonArray();
        assertTrue(rows.size() >= 2, "a document step shows a row per position: " + rows);
        for (int r = 0; r < rows.size(); r++) {
            assertEquals(1.0, Arrays.stream(doubles(rows.get(r).getAsJsonArray())).sum(), 1e-6, "row " + r);
        }
        // A model the Value engine could not train live: 4 layers, embedding 64, block 32.
        JsonObject large = api.post("api/reset", "{\"engine\": \"array\", \"config\": {\"nLayer\": 4,"
                + " \"nEmbd\": 64, \"nHead\": 8, \"blockSize\": 32}}").json();
        assertEquals(202_112, large.getAsJsonObject("stats").get("numParams").getAsInt());
        JsonObject document = api.post("api/step", "{\"mode\": \"document\"}").json();
        assertEquals(1, document.get("step").getAsInt());
        assertTrue(Double.isFinite(document.getAsJsonArray("losses").get(0).getAsDouble()));
        assertEquals(20, api.post("api/generate", "{\"temperature\": 0.5}").json().getAsJsonArray("samples").size());
        // Reset without "engine" keeps the engine.
        assertEquals("array", api.post("api/reset", "{\"config\": {\"nLayer\": 1, \"nEmbd\": 16, \"nHead\": 4,"
                + " \"blockSize\": 16}}").json().get("engine").getAsString());
    }

    @Test
    void theEmbeddedNamesCanBeChosenOnReset() {
        JsonObject state = api.post("api/reset", "{\"dataset\": {\"source\": \"embedded\"}}").json();
        try {
            assertEquals(Documents.embeddedNames().size(), state.getAsJsonObject("stats").get("numDocs").getAsInt());
            assertEquals("embedded", state.getAsJsonObject("dataset").get("source").getAsString());
            assertEquals("embedded names", state.getAsJsonObject("dataset").get("name").getAsString());
        } finally {
            Fixtures.resetToTheNames(api);
        }
    }

    @Test
    void theEventStreamSendsTheStateTheWeightsAndThenOnlyTheNewSteps() throws Exception {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        var lines = new LinkedBlockingQueue<String>();
        var response = client.sendAsync(HttpRequest.newBuilder(server.uri().resolve("api/events")).build(),
                HttpResponse.BodyHandlers.ofLines());
        HttpResponse<Stream<String>> events = response.get(10, TimeUnit.SECONDS);
        assertEquals(200, events.statusCode());
        assertEquals("text/event-stream; charset=utf-8", events.headers().firstValue("Content-Type").orElse(""));
        Thread reader = new Thread(() -> events.body().forEach(lines::add));
        reader.setDaemon(true);
        reader.start();
        try {
            JsonObject first = nextEvent(lines, "state");
            assertEquals(0, first.get("recordsFrom").getAsInt());
            assertEquals(4192, nextEvent(lines, "weights").getAsJsonArray("values").size());
            waitForSubscribers(1);
            api.post("api/step", "{}");
            JsonObject afterOne = nextStateWithStep(lines, 1);
            assertEquals(0, afterOne.get("recordsFrom").getAsInt());
            assertEquals(1, afterOne.getAsJsonArray("losses").size());
            api.post("api/step", "{}");
            JsonObject afterTwo = nextStateWithStep(lines, 2);
            assertEquals(1, afterTwo.get("recordsFrom").getAsInt(), "only the new step is sent");
            assertEquals(1, afterTwo.getAsJsonArray("losses").size());
            assertEquals(2, afterTwo.get("recordCount").getAsInt());
        } finally {
            response.cancel(true);
        }
    }

    private void waitForSubscribers(int count) throws InterruptedException {
        Fixtures.await(() -> server.eventSubscribers() >= count, "pages listening: " + count);
        assertEquals(count, server.eventSubscribers());
    }

    private static JsonObject nextStateWithStep(BlockingQueue<String> lines, int step)
            throws InterruptedException {
        for (int i = 0; i < 50; i++) {
            JsonObject state = nextEvent(lines, "state");
            if (state.get("step").getAsInt() == step) {
                return state;
            }
        }
        throw new AssertionError("no state event with step " + step);
    }

    private static JsonObject nextEvent(BlockingQueue<String> lines, String name)
            throws InterruptedException {
        String event = null;
        while (true) {
            String line = lines.poll(30, TimeUnit.SECONDS);
            if (line == null) {
                throw new AssertionError("no \"" + name + "\" event arrived");
            }
            if (line.startsWith("event: ")) {
                event = line.substring(7);
            } else if (line.startsWith("data: ") && name.equals(event)) {
                return JsonParser.parseString(line.substring(6)).getAsJsonObject();
            }
        }
    }

    private static void assertError(Fixtures.Answer answer, int status, String message) {
        assertEquals(status, answer.status(), answer.body());
        JsonObject error = answer.json();
        assertEquals(status, error.get("status").getAsInt());
        assertTrue(error.get("error").getAsString().contains(message), "expected \"" + message + "\" in " + error);
    }

    private static double[] doubles(JsonArray array) {
        double[] out = new double[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).getAsDouble();
        }
        return out;
    }

    private static double last(JsonArray array) {
        return array.get(array.size() - 1).getAsDouble();
    }
}
