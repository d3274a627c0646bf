package io.github.microgpt.examples.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.examples.simulator.RawHttp.Outcome;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A change whose page has gone while it waited for its turn ({@link SimulatorSession}'s "A page
 * that has gone"): a Run, Step or Generate is not made for nobody, a Reset is made all the same.
 * Played with raw sockets, closed while their changes wait behind a change that holds the worker.
 */
class SimulatorClientGoneTest {

    private static final Duration PATIENCE = Duration.ofSeconds(60);

    @TempDir
    Path checkpoints;

    private SimulatorSession session;
    private SimulatorServer server;
    private int port;
    private final CountDownLatch release = new CountDownLatch(1);
    private final ExecutorService threads = Executors.newFixedThreadPool(2);
    /** The change that keeps the worker busy until {@link #release} opens. */
    private Future<Snapshot> held;

    @BeforeEach
    void holdTheWorkerOfANewServer() throws Exception {
        session = Fixtures.embeddedSession(checkpoints);
        server = SimulatorServer.start(session, 0, ServerLimits.DEFAULTS);
        port = server.port();
        held = Fixtures.holdTheWorker(session, release, threads);
    }

    @AfterEach
    void closeTheServer() {
        release.countDown();
        threads.shutdownNow();
        server.close();
    }

    @Test
    void aRunAStepAndAGenerateWhosePageHasGoneAreNotMadeAResetIs() throws Exception {
        try (Socket run = new Socket(); Socket reset = new Socket(); Socket generate = new Socket();
             Socket step = new Socket()) {
            send(run, RawHttp.post(port, "api/run", "{}"));
            send(reset, RawHttp.post(port, "api/reset", "{\"numSteps\": 7}"));
            send(generate, RawHttp.post(port, "api/generate", "{\"temperature\": 0.5}"));
            send(step, RawHttp.post(port, "api/step", "{}"));
            Fixtures.awaitCount(session::waitingChanges, 4, "the four changes wait for the worker");
            // The pages go: the tab is closed while the changes wait.
            run.close();
            reset.close();
            generate.close();
            step.close();
            // A page still there asks for a step after them.
            Future<Outcome> live = threads.submit(() -> RawHttp.exchange(port,
                    RawHttp.post(port, "api/step", "{}"), PATIENCE));
            Fixtures.awaitCount(session::waitingChanges, 5, "the live step waits behind them");

            release.countDown();
            held.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
            Outcome answer = live.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
            // Before, the Run began for nobody, and the live step was refused: "training is running".
            assertEquals(200, answer.status(), "the live page's step: " + answer);
            Snapshot after = session.snapshot();
            assertFalse(after.running(), "no Run was started for the page that had gone");
            assertEquals(7, after.totalSteps(), "the Reset of the page that had gone was made");
            assertEquals(1, after.step(), "only the live page's step was made, after the Reset");
            assertTrue(after.samples().isEmpty(), "no samples were drawn for the page that had gone: "
                    + after.samples());
        }
    }

    @Test
    void aClientThatSendsItsNextRequestBeforeTheAnswerIsThereAndItsConnectionEndsAfterTheAnswer() throws Exception {
        try (Socket pipelining = new Socket()) {
            String step = RawHttp.post(port, "api/step", "{}").replace("Connection: close", "Connection: keep-alive");
            send(pipelining, step);
            Fixtures.awaitCount(session::waitingChanges, 1, "the step waits for the worker");
            // HTTP/1.1 pipelining: the next request is sent before the first is answered.
            send(pipelining, "GET /api/state HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n\r\n");
            release.countDown();
            held.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
            RawHttp.Head head = RawHttp.readHead(pipelining.getInputStream());
            assertEquals(200, head == null ? -1 : head.status(), "the step of a client that is there is made");
            assertTrue(head.saysClose(), "the answer says the connection ends, as a byte of the next request"
                    + " was read to tell whether the client was there: " + head.headers());
            assertEquals(1, session.snapshot().step(), "the step was made");
        }
    }

    /** Connects (once) and writes a request, leaving the connection open for its answer. */
    private void send(Socket socket, String request) throws Exception {
        if (!socket.isConnected()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), (int) PATIENCE.toMillis());
            socket.setSoTimeout((int) PATIENCE.toMillis());
        }
        OutputStream out = socket.getOutputStream();
        out.write(request.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }
}
