package io.github.microgpt.examples.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Answers whose size grows with the model: {@code GET /api/weights} of an array-engine model is
 * tens of megabytes of JSON (1.6 million parameters: 39 MB), built in memory and held until the
 * client has read it. Without a bound, a few dozen such requests at once (or a few clients that
 * ask and read slowly) ran the simulator out of memory ({@code OutOfMemoryError} answered as
 * 500, on whichever thread needed memory next, the training thread included). At most
 * {@link ServerLimits#maxLargeAnswers()} are built and sent at once; another is refused with 503
 * and {@code Retry-After}, and small answers are never held back. No wall-clock assertion: every
 * wait has a limit after which the test fails instead of hanging.
 */
class SimulatorLargeAnswersTest {

    private static final Duration PATIENCE = Duration.ofSeconds(30);
    /** Long limits, so that the stalled readers stay stalled; two large answers at once. */
    private static final ServerLimits LIMITS = new ServerLimits(Duration.ofSeconds(60), Duration.ofSeconds(60),
            64 * 1024, 200, Duration.ofSeconds(60), 16, Duration.ofSeconds(60), 16, 64 * 1024, 2, 128, 64L * 1024 * 1024);

    @TempDir
    Path checkpoints;

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(PATIENCE).build();

    @Test
    void largeAnswersBeyondTheLimitAre503UntilOneIsDoneAndSmallOnesAreNeverHeldBack() throws Exception {
        SimulatorSession session = Fixtures.embeddedSession(checkpoints);
        List<Socket> stalled = new ArrayList<>();
        try (SimulatorServer server = SimulatorServer.start(session, 0, LIMITS)) {
            // About 100,000 parameters: some 4 MB of weights as JSON, far more than the socket buffers hold.
            HttpResponse<String> reset = post(server, "api/reset",
                    "{\"engine\": \"array\", \"config\": {\"nLayer\": 2, \"nEmbd\": 64, \"nHead\": 4, \"blockSize\": 16}}");
            assertEquals(200, reset.statusCode(), reset.body());
            assertTrue(session.snapshot().weightsJson(null, false).length() > 1_000_000, "a large answer");
            assertEquals(200, post(server, "api/step", "{}").statusCode());
            assertEquals(200, post(server, "api/save", "{\"name\": \"run\"}").statusCode());
            assertEquals(200, get(server, "api/loss-curve?name=run").statusCode());
            // That answer's place is given back when Jetty completes its write, which can be after
            // this client has read all of it (measured: up to 8 ms after, more on a loaded machine): a
            // stalled request sent before then may find both places taken and be refused, and the
            // stale place, freed later, taken by the request below that should be refused.
            Fixtures.await(() -> server.largeAnswersInFlight() == 0, "the loss curve's place given back");
            // Two clients ask for all the weights and read nothing but the status line: their
            // answers (200, both places taken) stay in flight.
            for (int i = 0; i < 2; i++) {
                Socket socket = new Socket();
                socket.setReceiveBufferSize(2048);
                socket.connect(new InetSocketAddress("127.0.0.1", server.port()), (int) PATIENCE.toMillis());
                send(socket, "GET /api/weights HTTP/1.1\r\nHost: 127.0.0.1:" + server.port() + "\r\n\r\n");
                stalled.add(socket);
                assertEquals("HTTP/1.1 200 OK", statusLine(socket), "stalled client " + (i + 1) + "'s answer");
            }
            assertEquals(2, server.largeAnswersInFlight(), "both stalled answers in flight");
            HttpResponse<String> refused = get(server, "api/weights");
            assertEquals(503, refused.statusCode(), refused.body());
            JsonObject error = JsonParser.parseString(refused.body()).getAsJsonObject();
            assertEquals(503, error.get("status").getAsInt());
            assertTrue(error.get("error").getAsString().contains("try again"), refused.body());
            assertEquals("1", refused.headers().firstValue("Retry-After").orElse(null), "Retry-After");
            // So is a saved run's loss curve (it reads a whole checkpoint); a bad name is still a 400.
            assertEquals(503, get(server, "api/loss-curve?name=run").statusCode());
            assertEquals(400, get(server, "api/loss-curve?name=../x").statusCode());
            // Small answers go on: one small matrix, the state, a training step.
            HttpResponse<String> small = get(server, "api/weights?matrix=wte");
            assertEquals(200, small.statusCode(), small.body());
            assertEquals(200, get(server, "api/state").statusCode());
            assertEquals(200, post(server, "api/step", "{}").statusCode());
            // A stalled client leaves: its place is free again.
            for (Socket socket : stalled) {
                socket.close();
            }
            Fixtures.await(() -> server.largeAnswersInFlight() == 0, "the stalled answers given up");
            assertEquals(200, get(server, "api/weights").statusCode());
            assertEquals(200, get(server, "api/loss-curve?name=run").statusCode());
        } finally {
            for (Socket socket : stalled) {
                socket.close();
            }
        }
    }

    private HttpResponse<String> get(SimulatorServer server, String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(server.uri() + path)).timeout(PATIENCE).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(SimulatorServer server, String path, String json) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(server.uri() + path)).timeout(PATIENCE)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The first line of the answer on a raw connection, read a byte at a time (nothing beyond it). */
    private static String statusLine(Socket socket) throws IOException {
        socket.setSoTimeout((int) PATIENCE.toMillis());
        InputStream in = socket.getInputStream();
        StringBuilder line = new StringBuilder();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c == -1) {
                fail("the connection closed before the status line ended: " + line);
            }
            line.append((char) c);
        }
        return line.toString().strip();
    }

    private static void send(Socket socket, String text) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }
}
