package io.github.microgpt.examples.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.microgpt.text.Documents;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Slow, stalled and greedy clients, played with raw sockets on 127.0.0.1: none of them may take
 * the simulator away from the others. Every test is bounded in the number of sockets it opens and
 * in time (each wait has a limit after which the test fails instead of hanging); no test asserts
 * how fast anything is, only that the others are answered and the bad client is cut off.
 */
class SimulatorSlowClientTest {

    /** Short limits, so that the cut-offs happen within the test. */
    private static final ServerLimits SHORT = new ServerLimits(Duration.ofMillis(1500), Duration.ofSeconds(3),
            64 * 1024, 200, Duration.ofMillis(500), 16, Duration.ofSeconds(2), 16, 64 * 1024, 2, 128, 64L * 1024 * 1024);
    /** Long limits, so that the stalled clients are still stalled while the others are served. */
    private static final ServerLimits LONG = new ServerLimits(Duration.ofSeconds(60), Duration.ofSeconds(60),
            64 * 1024, 200, Duration.ofSeconds(60), 16, Duration.ofSeconds(60), 16, 64 * 1024, 2, 128, 64L * 1024 * 1024);
    /** How long any single wait in these tests may take before the test fails (never reached when all is well). */
    private static final Duration PATIENCE = Duration.ofSeconds(30);

    @TempDir
    Path checkpoints;

    private SimulatorServer start(ServerLimits limits) throws IOException {
        SimulatorSession session = Fixtures.embeddedSession(checkpoints);
        return SimulatorServer.start(session, 0, limits);
    }

    @Test
    void stalledConnectionsAndUnreadStreamsDoNotStopTheAnswersToOthers() throws Exception {
        List<Socket> stalled = new ArrayList<>();
        try (SimulatorServer server = start(LONG)) {
            // More stalled clients than the server has threads: 20 that send nothing, 20 POSTs
            // whose body never finishes, 4 event streams that are never read.
            for (int i = 0; i < 20; i++) {
                stalled.add(connect(server, 0));
            }
            for (int i = 0; i < 20; i++) {
                Socket socket = connect(server, 0);
                send(socket, "POST /api/step HTTP/1.1\r\nHost: 127.0.0.1:" + server.port()
                        + "\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"mode\"");
                stalled.add(socket);
            }
            for (int i = 0; i < 4; i++) {
                Socket socket = connect(server, 2048);
                send(socket, "GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:" + server.port() + "\r\n\r\n");
                stalled.add(socket);
            }
            Fixtures.Api api = new Fixtures.Api(server);
            for (int i = 0; i < 10; i++) {
                assertEquals(200, api.get("api/state").status());
                Fixtures.Answer step = api.post("api/step", "{}");
                assertEquals(200, step.status(), step.body());
                assertEquals(200, api.get("api/weights").status());
            }
            assertEquals(10, server.session().stepsDone());
            // The others were served while the stalled clients were all still connected.
            for (Socket socket : stalled.subList(0, 40)) {
                assertTrue(stillOpen(socket), "a stalled client was cut off before the limit");
            }
        } finally {
            for (Socket socket : stalled) {
                socket.close();
            }
        }
    }

    @Test
    void aConnectionThatSendsNothingIsClosedAtTheIdleLimit() throws Exception {
        try (SimulatorServer server = start(SHORT); Socket socket = connect(server, 0)) {
            socket.setSoTimeout((int) PATIENCE.toMillis());
            assertEquals(-1, readOrTimeout(socket), "the server closes a connection that sent nothing");
        }
    }

    @Test
    void aBodyThatNeverFinishesIsAnswered408AndTheSessionIsUnchanged() throws Exception {
        try (SimulatorServer server = start(SHORT); Socket socket = connect(server, 0)) {
            send(socket, "POST /api/step HTTP/1.1\r\nHost: 127.0.0.1:" + server.port()
                    + "\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"mo");
            String answer = readAll(socket);
            assertTrue(answer.startsWith("HTTP/1.1 408 "), answer);
            assertTrue(answer.contains("\"status\":408"), answer);
            assertEquals(0, server.session().stepsDone());
        }
    }

    @Test
    void aBodySentAByteAtATimeIsCutOffAtTheRequestLimit() throws Exception {
        try (SimulatorServer server = start(SHORT); Socket socket = connect(server, 0)) {
            String body = "{\"mode\": \"position\"" + " ".repeat(200) + "}";
            send(socket, "POST /api/step HTTP/1.1\r\nHost: 127.0.0.1:" + server.port()
                    + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n");
            // One byte every 300 ms keeps the connection busy (never idle for 1.5 s), and the whole
            // body would take a minute: the request limit of 3 s ends it first.
            long deadline = System.nanoTime() + PATIENCE.toNanos();
            int sent = 0;
            try {
                while (sent < body.length() && System.nanoTime() < deadline) {
                    send(socket, body.substring(sent, sent + 1));
                    sent++;
                    Thread.sleep(300);
                    if (socket.getInputStream().available() > 0) {
                        break;
                    }
                }
            } catch (IOException closed) {
                // the server closed the connection after answering; the answer is still to read
            }
            assertTrue(sent < body.length(), "the server waited for the whole trickle");
            String answer = readAll(socket);
            assertTrue(answer.startsWith("HTTP/1.1 408 "), answer);
            assertEquals(0, server.session().stepsDone());
        }
    }

    /**
     * Headers sent a byte at a time ("slowloris"): each byte restarts Jetty's idle timeout, and
     * Jetty has no deadline of its own for headers, so without {@link HeaderDeadline} this client
     * held its connection for as long as it kept trickling (the test then fails at its patience).
     */
    @Test
    void headersSentAByteAtATimeAreCutOffAtTheRequestLimit() throws Exception {
        try (SimulatorServer server = start(SHORT); Socket socket = connect(server, 0)) {
            // 4,000 bytes at one per 300 ms would take 20 minutes; the limit (3 s) ends it first.
            String headers = "GET /api/state HTTP/1.1\r\nHost: 127.0.0.1:" + server.port() + "\r\nX-Slow: "
                    + "a".repeat(4000);
            long deadline = System.nanoTime() + PATIENCE.toNanos();
            int sent = 0;
            boolean cut = false;
            while (!cut && System.nanoTime() < deadline) {
                try {
                    send(socket, headers.substring(sent, sent + 1));
                } catch (IOException closed) {
                    cut = true;
                    break;
                }
                sent++;
                Thread.sleep(300);  // well within the idle limit of 1.5 s
                cut = !stillOpen(socket);
            }
            assertTrue(cut, "the server still waited for the headers after " + sent + " bytes over "
                    + PATIENCE.toSeconds() + " s");
            // The next client is served as usual.
            assertEquals(200, new Fixtures.Api(server).get("api/state").status());
        }
    }

    @Test
    void anOversizedBodyIsRefused413WhetherItsLengthIsDeclaredOrNot() throws Exception {
        try (SimulatorServer server = start(SHORT)) {
            try (Socket socket = connect(server, 0)) {
                send(socket, "POST /api/reset HTTP/1.1\r\nHost: 127.0.0.1:" + server.port()
                        + "\r\nContent-Length: 100000000\r\n\r\n");
                String answer = readAll(socket);
                assertTrue(answer.startsWith("HTTP/1.1 413 "), answer);
                // The limit, as for a body found too large while it is read (SHORT's 64 KiB).
                assertTrue(answer.contains("the request is larger than 64 KiB"), answer);
            }
            try (Socket socket = connect(server, 0)) {
                send(socket, "POST /api/reset HTTP/1.1\r\nHost: 127.0.0.1:" + server.port()
                        + "\r\nTransfer-Encoding: chunked\r\n\r\n");
                String chunk = "x".repeat(16 * 1024);
                try {
                    for (int i = 0; i < 8; i++) {
                        send(socket, Integer.toHexString(chunk.length()) + "\r\n" + chunk + "\r\n");
                    }
                    send(socket, "0\r\n\r\n");
                } catch (IOException closed) {
                    // refused before the end; the answer is still to read
                }
                String answer = readAll(socket);
                assertTrue(answer.startsWith("HTTP/1.1 413 "), answer);
                assertTrue(answer.contains("the request is larger than 64 KiB"), answer);
            }
        }
    }

    @Test
    void malformedRequestsAreAnsweredWithJson() throws Exception {
        try (SimulatorServer server = start(SHORT)) {
            try (Socket socket = connect(server, 0)) {
                send(socket, "BLAH\r\n\r\n");
                String answer = readAll(socket);
                assertTrue(answer.startsWith("HTTP/1.1 400 "), answer);
                assertTrue(answer.contains("\"status\":400"), answer);
            }
            try (Socket socket = connect(server, 0)) {
                send(socket, "GET /api/state HTTP/1.1\r\nHost: 127.0.0.1:" + server.port() + "\r\nX-Big: "
                        + "y".repeat(64 * 1024) + "\r\n\r\n");
                String answer = readAll(socket);
                assertTrue(answer.startsWith("HTTP/1.1 431 "), answer);
            }
        }
    }

    @Test
    void anEventStreamThatIsNeverReadIsCutOffWhileTheOthersKeepTheirUpdates() throws Exception {
        try (SimulatorServer server = start(SHORT); Socket stuck = connect(server, 1024)) {
            send(stuck, "GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:" + server.port() + "\r\n\r\n");
            Fixtures.await(() -> server.eventSubscribers() == 1, "the unread stream is subscribed");
            Fixtures.Api api = new Fixtures.Api(server);
            Fixtures.Answer run = api.post("api/run", "{\"numSteps\": 100000}");
            assertEquals(200, run.status(), run.body());
            try (EventReader good = new EventReader(server.uri().resolve("api/events"))) {
                // The unread stream falls behind: its socket buffers are full.
                Fixtures.await(() -> server.eventSubscribersBehind() >= 1, "the unread stream falls behind");
                int before = good.stateEvents();
                int lastStep = good.lastStep();
                // While it is behind, the page that reads keeps getting states of a run that goes on.
                Fixtures.await(() -> good.stateEvents() >= before + 5 && good.lastStep() > lastStep,
                        "the reading page keeps getting states");
                // And the unread stream is ended at its limit; the reading page stays.
                Fixtures.await(() -> server.eventSubscribers() == 1, "the unread stream is cut off");
                int after = good.stateEvents();
                Fixtures.await(() -> good.stateEvents() >= after + 5, "the reading page still gets states");
            } finally {
                api.post("api/stop", "{}");
            }
        }
    }

    @Test
    void aHandlerThatFailsAnswers500WithAMessageAndTheServerGoesOn() throws Exception {
        SimulatorSession session = new SimulatorSession(Documents.embeddedNames(), "embedded", "embedded names", 42,
                () -> {
                    throw new OutOfMemoryError("no memory for the names (a test)");
                }, new CheckpointStore(checkpoints));
        try (SimulatorServer server = SimulatorServer.start(session, 0, SHORT)) {
            Fixtures.Api api = new Fixtures.Api(server);
            Fixtures.Answer answer = api.post("api/reset", "{\"dataset\": {\"source\": \"embedded\"}}");
            assertEquals(500, answer.status(), answer.body());
            JsonObject error = answer.json();
            assertEquals(500, error.get("status").getAsInt());
            assertTrue(error.get("error").getAsString().contains("no memory for the names (a test)"), answer.body());
            assertEquals(200, api.post("api/step", "{}").status(), "the session is usable after the failure");
        }
    }

    @Test
    void aStateStaysSmallWhateverTheDataset() throws Exception {
        try (SimulatorServer server = start(ServerLimits.DEFAULTS)) {
            Fixtures.Api api = new Fixtures.Api(server);
            // One line of a million characters: refused, naming the document and the limit.
            Fixtures.Answer oneLine = api.post("api/reset", "{\"dataset\": {\"source\": \"text\", \"text\": \""
                    + "ab".repeat(499_995) + "\"}}");
            assertEquals(400, oneLine.status(), oneLine.body());
            assertTrue(oneLine.json().get("error").getAsString().contains(
                    "document 1 (line 1 of the dataset text) is 999,990 characters long; the simulator takes documents"
                            + " of at most 1,000 characters"), oneLine.body());
            // A million characters as 999 documents of the longest length allowed: accepted, and
            // the state carries each document cut to a few dozen characters.
            StringBuilder text = new StringBuilder();
            for (int i = 0; i < 999; i++) {
                text.append(i == 0 ? "" : "\\n").append(String.valueOf((char) ('a' + i % 26)).repeat(1000));
            }
            Fixtures.Answer reset = api.post("api/reset", "{\"dataset\": {\"source\": \"text\", \"text\": \""
                    + text + "\"}}");
            assertEquals(200, reset.status(), reset.body().substring(0, Math.min(300, reset.body().length())));
            assertTrue(reset.body().length() < 64 * 1024, "the answer to Reset is " + reset.body().length() + " bytes");
            for (int i = 0; i < 20; i++) {
                assertEquals(200, api.post("api/step", "{}").status());
            }
            Fixtures.Answer state = api.get("api/state");
            assertTrue(state.body().length() < 64 * 1024, "a state is " + state.body().length() + " bytes");
            JsonObject json = state.json();
            String shown = json.getAsJsonObject("overlay").get("document").getAsString();
            assertEquals(Snapshot.SHOWN_DOCUMENT_CHARS + 1, shown.length(), shown);
            assertTrue(shown.endsWith("…"), shown);
            assertEquals(shown, json.getAsJsonArray("log").get(19).getAsJsonObject().get("document").getAsString());
        }
    }

    @Test
    void tooManyEventStreamsAreRefused503() throws Exception {
        List<EventReader> readers = new ArrayList<>();
        try (SimulatorServer server = start(SHORT)) {
            for (int i = 0; i < SHORT.maxEventStreams(); i++) {
                readers.add(new EventReader(server.uri().resolve("api/events")));
            }
            Fixtures.await(() -> server.eventSubscribers() == SHORT.maxEventStreams(), "every stream is open");
            Fixtures.Answer refused = new Fixtures.Api(server).get("api/events");
            assertEquals(503, refused.status(), refused.body());
            assertTrue(refused.body().contains("pages are listening"), refused.body());
        } finally {
            for (EventReader reader : readers) {
                reader.close();
            }
        }
    }

    // ------------------------------------------------------------------------------ helpers

    private static Socket connect(SimulatorServer server, int receiveBuffer) throws IOException {
        Socket socket = new Socket();
        if (receiveBuffer > 0) {
            socket.setReceiveBufferSize(receiveBuffer);
        }
        socket.connect(new InetSocketAddress("127.0.0.1", server.port()), (int) PATIENCE.toMillis());
        return socket;
    }

    private static void send(Socket socket, String text) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    /** Whether the server has neither answered nor closed the connection yet. */
    private static boolean stillOpen(Socket socket) throws IOException {
        socket.setSoTimeout(50);
        try {
            socket.getInputStream().read();
            return false;
        } catch (SocketTimeoutException e) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static int readOrTimeout(Socket socket) throws IOException {
        try {
            return socket.getInputStream().read();
        } catch (SocketTimeoutException e) {
            fail("the server left the connection open for " + PATIENCE.toSeconds() + " s");
            return 0;
        } catch (IOException reset) {
            return -1;
        }
    }

    /** Everything the server sends until it closes the connection. */
    private static String readAll(Socket socket) throws IOException {
        socket.setSoTimeout((int) PATIENCE.toMillis());
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        InputStream in = socket.getInputStream();
        byte[] buffer = new byte[4096];
        try {
            for (int n; (n = in.read(buffer)) != -1; ) {
                bytes.write(buffer, 0, n);
            }
        } catch (SocketTimeoutException e) {
            fail("the server neither answered nor closed the connection within " + PATIENCE.toSeconds()
                    + " s; so far: " + bytes.toString(StandardCharsets.UTF_8));
        } catch (IOException reset) {
            // closed with unread input on our side: what arrived before is the answer
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** A page that reads its event stream as it should, counting the state events. */
    private static final class EventReader implements AutoCloseable {
        private final CompletableFuture<HttpResponse<Stream<String>>> response;
        private volatile int states;
        private volatile int lastStep = -1;

        EventReader(URI uri) {
            HttpClient client = HttpClient.newBuilder().connectTimeout(PATIENCE).build();
            response = client.sendAsync(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofLines());
            response.thenAccept(r -> {
                Thread reader = new Thread(() -> {
                    String event = null;
                    try {
                        for (String line : (Iterable<String>) r.body()::iterator) {
                            if (line.startsWith("event: ")) {
                                event = line.substring(7);
                            } else if (line.startsWith("data: ") && "state".equals(event)) {
                                lastStep = JsonParser.parseString(line.substring(6)).getAsJsonObject()
                                        .get("step").getAsInt();
                                states++;
                            }
                        }
                    } catch (UncheckedIOException closed) {
                        // the test closed the stream, or the server stopped
                    }
                });
                reader.setDaemon(true);
                reader.start();
            });
        }

        int stateEvents() {
            return states;
        }

        int lastStep() {
            return lastStep;
        }

        @Override
        public void close() {
            response.cancel(true);
            response.thenAccept(r -> r.body().close());
        }
    }
}
