package io.github.microgpt.examples.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.checkpoint.Checkpoint;
import io.github.microgpt.checkpoint.TrainingState;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Run whose pages have all gone stops at its next step boundary ({@link SimulatorSession}'s "A
 * Run nobody watches"): a Run is answered as it starts and trains on its own, and before, it
 * trained on for nobody to the end of Num steps (100,000 document steps: minutes), refusing the
 * next page's every change with 409. A page listening to the event stream, or a client whose
 * requests keep coming, keeps it going. The longest unwatched time is made short here (1 s; 10 s
 * in the simulator); the session is read directly while nobody is to be heard, since a request
 * would count as someone.
 */
class SimulatorUnwatchedRunTest {

    private static final Duration UNWATCHED = Duration.ofSeconds(1);
    private static final String LONG_RUN = "{\"mode\": \"document\", \"numSteps\": 100000}";

    @TempDir
    Path checkpoints;

    private SimulatorSession session;
    private SimulatorServer server;
    private Fixtures.Api api;
    private final ExecutorService readers = Executors.newSingleThreadExecutor();

    @BeforeEach
    void start() throws IOException {
        session = Fixtures.embeddedSession(checkpoints);
        session.setLongestUnwatchedRun(UNWATCHED);
        server = SimulatorServer.start(session, 0, ServerLimits.DEFAULTS);
        api = new Fixtures.Api(server);
    }

    @AfterEach
    void stop() {
        readers.shutdownNow();
        server.close();
    }

    @Test
    void aRunStopsAtAStepBoundaryOnceItsPageHasGoneAndNotWhileThePageListens() throws Exception {
        try (Socket page = new Socket("127.0.0.1", server.port())) {
            listen(page);
            Fixtures.awaitCount(server::eventSubscribers, 1, "the page listens");
            assertEquals(200, api.post("api/run", LONG_RUN).status());
            int before = session.stepsDone();
            // Three times the longest unwatched time with only the page's stream, no request.
            Thread.sleep(3 * UNWATCHED.toMillis());
            assertTrue(session.snapshot().running(), "a Run its page listens to trains on: "
                    + session.snapshot().message());
            assertTrue(session.stepsDone() > before, "it trained meanwhile");
        }
        // The tab is closed: its stream ends, and nobody else is there.
        Fixtures.await(() -> !session.snapshot().running(), () -> "the Run nobody watches stops (step "
                + session.stepsDone() + " of 100000)");
        Snapshot stopped = session.snapshot();
        assertTrue(stopped.step() < stopped.totalSteps(), "it stopped before its end: " + stopped.step());
        assertEquals("The Run stopped after step " + stopped.step() + " of 100000: no page watched it for 1 s"
                + " (the page was closed). Press Run to go on from here", stopped.message());

        // It stopped between two steps: a Save saves that step whole, and Run goes on from it.
        assertEquals(200, api.post("api/save", "{\"name\": \"after\"}").status());
        TrainingState saved = Checkpoint.load(checkpoints.resolve("after")).training().orElseThrow();
        assertEquals(stopped.step(), saved.trainer().stepsDone());
        assertEquals(0, saved.trainer().nextPosition(), "at the start of the next document");
        assertEquals(200, api.post("api/run", LONG_RUN).status(), "a Run asked for again starts");
        assertEquals(200, api.post("api/stop", "{}").status());
        assertTrue(session.stepsDone() >= stopped.step());
    }

    @Test
    void aRunWhoseClientKeepsAskingTrainsOnAndStopsWhenItFallsSilent() throws Exception {
        assertEquals(200, api.post("api/run", LONG_RUN).status());
        long until = System.nanoTime() + 3 * UNWATCHED.toNanos();
        while (System.nanoTime() < until) {
            api.get("api/state");
            Thread.sleep(UNWATCHED.toMillis() / 20);
        }
        assertTrue(session.snapshot().running(), "a Run whose client reads the state trains on: "
                + session.snapshot().message());
        Fixtures.await(() -> !session.snapshot().running(), () -> "the Run stops once its client is silent (step "
                + session.stepsDone() + " of 100000)");
        assertTrue(session.snapshot().message().startsWith("The Run stopped after step "),
                session.snapshot().message());
    }

    /** Opens the event stream on {@code page} and reads it, as a page does, until it closes. */
    private void listen(Socket page) throws IOException {
        OutputStream out = page.getOutputStream();
        out.write(("GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:" + server.port() + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        out.flush();
        InputStream in = page.getInputStream();
        RawHttp.Head head = RawHttp.readHead(in);
        assertEquals(200, head == null ? -1 : head.status(), "the stream: " + head);
        readers.submit(() -> {
            byte[] buffer = new byte[8192];
            try {
                while (in.read(buffer) >= 0) {
                    // the events are not looked at
                }
            } catch (IOException e) {
                // the socket was closed by the test
            }
        });
        assertFalse(page.isClosed());
    }
}
