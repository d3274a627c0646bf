package io.github.microgpt.examples.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.examples.simulator.RawHttp.Outcome;
import io.github.microgpt.text.Documents;
import java.io.InputStream;
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

    @Test
    void aRunAStepAndAGenerateWhosePageHasGoneAreNotMadeAResetIs() throws Exception {
        SimulatorSession session = new SimulatorSession(Documents.embeddedNames(), "embedded", "embedded names", 42,
                new CheckpointStore(checkpoints));
        try (SimulatorServer server = SimulatorServer.start(session, 0, ServerLimits.DEFAULTS)) {
            int port = server.port();
            CountDownLatch release = new CountDownLatch(1);
            ExecutorService threads = Executors.newFixedThreadPool(2);
            Socket run = new Socket();
            Socket reset = new Socket();
            Socket generate = new Socket();
            Socket step = new Socket();
            try {
                Future<Snapshot> held = Fixtures.holdTheWorker(session, release, threads);
                send(run, port, RawHttp.post(port, "api/run", "{}"));
                send(reset, port, RawHttp.post(port, "api/reset", "{\"numSteps\": 7}"));
                send(generate, port, RawHttp.post(port, "api/generate", "{\"temperature\": 0.5}"));
                send(step, port, RawHttp.post(port, "api/step", "{}"));
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
            } finally {
                release.countDown();
                threads.shutdownNow();
                run.close();
                reset.close();
                generate.close();
                step.close();
            }
        }
    }

    @Test
    void aClientThatSendsItsNextRequestBeforeTheAnswerIsThereAndItsConnectionEndsAfterTheAnswer() throws Exception {
        SimulatorSession session = new SimulatorSession(Documents.embeddedNames(), "embedded", "embedded names", 42,
                new CheckpointStore(checkpoints));
        try (SimulatorServer server = SimulatorServer.start(session, 0, ServerLimits.DEFAULTS)) {
            int port = server.port();
            CountDownLatch release = new CountDownLatch(1);
            ExecutorService threads = Executors.newFixedThreadPool(1);
            try (Socket pipelining = new Socket()) {
                Future<Snapshot> held = Fixtures.holdTheWorker(session, release, threads);
                String step = RawHttp.post(port, "api/step", "{}").replace("Connection: close", "Connection: keep-alive");
                send(pipelining, port, step);
                Fixtures.awaitCount(session::waitingChanges, 1, "the step waits for the worker");
                // HTTP/1.1 pipelining: the next request is sent before the first is answered.
                send(pipelining, port, "GET /api/state HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n\r\n");
                release.countDown();
                held.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
                InputStream in = pipelining.getInputStream();
                RawHttp.Head head = RawHttp.readHead(in);
                assertEquals(200, head == null ? -1 : head.status(), "the step of a client that is there is made");
                assertTrue(head.saysClose(), "the answer says the connection ends, as a byte of the next request"
                        + " was read to tell whether the client was there: " + head.headers());
                assertEquals(1, session.snapshot().step(), "the step was made");
            } finally {
                release.countDown();
                threads.shutdownNow();
            }
        }
    }

    /** Connects (once) and writes a request, leaving the connection open for its answer. */
    private static void send(Socket socket, int port, String request) throws Exception {
        if (!socket.isConnected()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), (int) PATIENCE.toMillis());
            socket.setSoTimeout((int) PATIENCE.toMillis());
        }
        OutputStream out = socket.getOutputStream();
        out.write(request.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }
}
