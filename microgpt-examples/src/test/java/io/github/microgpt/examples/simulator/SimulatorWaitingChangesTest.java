package io.github.microgpt.examples.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.examples.simulator.RawHttp.Outcome;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hundreds of clients asking for samples at once, each on its own connection, played with raw
 * sockets: the changes wait for the session's one worker, and while they wait no server thread is
 * held, so a read of the state is answered at once, and every connection gets an answer: 200, or
 * 503 with {@code Retry-After} once {@link ServerLimits#maxWaitingChanges()} changes wait already.
 *
 * <p>No test asserts how fast anything is. Each wait has a generous limit after which the test
 * fails instead of hanging ({@link #PATIENCE}); the outcomes are checked by counting answers.
 */
class SimulatorWaitingChangesTest {

    private static final int CLIENTS = 300;
    /** How long any one wait may take before the test fails (never reached when all is well). */
    private static final Duration PATIENCE = Duration.ofSeconds(60);
    /**
     * How long the read of the state may take while the worker is busy: well under the session's
     * 30 s wait for an earlier change, after which waiting changes are refused and threads come free.
     */
    private static final Duration STATE_PATIENCE = Duration.ofSeconds(20);
    private static final String GENERATE = "{\"temperature\": 0.5}";
    /** An idle limit short enough to pass while a change waits, the rest long. */
    private static final ServerLimits SHORT_IDLE = new ServerLimits(Duration.ofMillis(500), Duration.ofSeconds(60),
            64 * 1024, 200, Duration.ofMillis(500), 16, Duration.ofSeconds(60), 16, 64 * 1024, 2, 128, 64L * 1024 * 1024);

    @Test
    void whileTheWorkerIsBusyWaitingChangesHoldNoThreadAndTheStateIsAnswered() throws Exception {
        int queue = ServerLimits.DEFAULTS.maxWaitingChanges();
        try (SimulatorServer server = Fixtures.startServer()) {
            CountDownLatch release = new CountDownLatch(1);
            ExecutorService holder = Executors.newSingleThreadExecutor();
            ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
            try {
                Future<Snapshot> held = Fixtures.holdTheWorker(server.session(), release, holder);
                long revision = server.session().snapshot().revision();

                AtomicInteger answered = new AtomicInteger();
                List<Future<Outcome>> outcomes = generates(server, clients, answered);
                // The queue takes `queue` of them; every other one is refused at once.
                int refused = CLIENTS - queue;
                waitFor(answered::get, refused, "the clients beyond the queue answered while the worker is busy",
                        outcomes);
                Outcome state = exchange(server, "GET /api/state HTTP/1.1\r\nHost: 127.0.0.1:" + server.port()
                        + "\r\nConnection: close\r\n\r\n", STATE_PATIENCE);
                assertEquals(200, state.status(), "GET /api/state while " + queue + " changes wait: " + state);
                assertEquals(refused, answered.get(), "no waiting change was answered while the worker was busy");
                assertEquals(revision, server.session().snapshot().revision(), "nothing changed meanwhile");

                release.countDown();
                held.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
                Map<Integer, Integer> statuses = new TreeMap<>();
                Map<String, Integer> wrong = new TreeMap<>();
                for (Future<Outcome> future : outcomes) {
                    Outcome outcome = future.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
                    statuses.merge(outcome.status(), 1, Integer::sum);
                    if (outcome.status() == 503 && !("1".equals(outcome.retryAfter())
                            && outcome.body().contains(queue + " changes are waiting"))) {
                        wrong.merge(outcome.toString(), 1, Integer::sum);
                    } else if (outcome.status() != 200 && outcome.status() != 503) {
                        wrong.merge(outcome.toString(), 1, Integer::sum);
                    }
                }
                assertEquals(Map.of(), wrong, "every connection is answered 200, or 503 saying which limit was passed");
                assertEquals(Map.of(200, queue, 503, refused), statuses, "the waiting changes were all carried out");
                assertEquals(revision + queue + 1, server.session().snapshot().revision(),
                        "each waiting change was made once, after the holding change");
            } finally {
                release.countDown();
                holder.shutdownNow();
                clients.shutdownNow();
            }
        }
    }

    @Test
    void threeHundredClientsAskingForSamplesAtOnceAreAllAnswered() throws Exception {
        try (SimulatorServer server = Fixtures.startServer()) {
            ExecutorService clients = Executors.newFixedThreadPool(CLIENTS + 1);
            try {
                AtomicInteger answered = new AtomicInteger();
                List<Future<Outcome>> outcomes = generates(server, clients, answered);
                // A page reading the state again and again meanwhile, until every client has its answer.
                Future<List<Outcome>> reads = clients.submit(() -> {
                    List<Outcome> got = new ArrayList<>();
                    do {
                        got.add(exchange(server, "GET /api/state HTTP/1.1\r\nHost: 127.0.0.1:" + server.port()
                                + "\r\nConnection: close\r\n\r\n", PATIENCE));
                    } while (answered.get() < CLIENTS && got.get(got.size() - 1).status() == 200);
                    return got;
                });
                Map<Integer, Integer> statuses = new TreeMap<>();
                Map<String, Integer> wrong = new TreeMap<>();
                for (Future<Outcome> future : outcomes) {
                    Outcome outcome = future.get(2 * PATIENCE.toSeconds(), TimeUnit.SECONDS);
                    statuses.merge(outcome.status(), 1, Integer::sum);
                    if (outcome.status() != 200 && !(outcome.status() == 503 && "1".equals(outcome.retryAfter()))) {
                        wrong.merge(outcome.toString(), 1, Integer::sum);
                    }
                }
                assertEquals(Map.of(), wrong, "every connection is answered 200 or 503 with Retry-After; got "
                        + statuses);
                for (Outcome read : reads.get(PATIENCE.toSeconds(), TimeUnit.SECONDS)) {
                    assertEquals(200, read.status(), "GET /api/state meanwhile: " + read);
                }
                assertTrue(statuses.getOrDefault(200, 0) > 0, "some samples were drawn: " + statuses);
            } finally {
                clients.shutdownNow();
            }
        }
    }

    @Test
    void aChangeWaitingForTheWorkerIsNotCutOffAtTheIdleLimit(@TempDir Path checkpoints) throws Exception {
        SimulatorSession session = Fixtures.embeddedSession(checkpoints);
        try (SimulatorServer server = SimulatorServer.start(session, 0, SHORT_IDLE)) {
            CountDownLatch release = new CountDownLatch(1);
            ExecutorService threads = Executors.newFixedThreadPool(2);
            try (Socket quiet = new Socket()) {
                Future<Snapshot> held = Fixtures.holdTheWorker(session, release, threads);
                Future<Outcome> waiting = threads.submit(() -> exchange(server,
                        post("api/generate", GENERATE, server), PATIENCE));
                waitFor(session::waitingChanges, 1, "the generate waits for the worker", List.of());
                // A connection that sends nothing, opened after the generate was sent: when the
                // server has closed it, the generate has been quiet for longer than the idle limit.
                quiet.connect(new InetSocketAddress("127.0.0.1", server.port()), (int) PATIENCE.toMillis());
                quiet.setSoTimeout((int) PATIENCE.toMillis());
                assertEquals(-1, quiet.getInputStream().read(), "the idle connection is closed at the idle limit");
                assertTrue(!waiting.isDone(), "the waiting generate is still waiting: " + (waiting.isDone()
                        ? waiting.get() : ""));
                release.countDown();
                held.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
                Outcome outcome = waiting.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
                assertEquals(200, outcome.status(), "the generate that waited: " + outcome);
            } finally {
                release.countDown();
                threads.shutdownNow();
            }
        }
    }

    @Test
    void theWaitingChangesMustLeaveConnectionsForReads() {
        IllegalArgumentException all = assertThrows(IllegalArgumentException.class, () -> new ServerLimits(
                Duration.ofSeconds(30), Duration.ofSeconds(30), 1024, 200, Duration.ofSeconds(2), 16,
                Duration.ofSeconds(10), 16, 64 * 1024, 2, 200, 64L * 1024 * 1024));
        assertEquals("maxWaitingChanges must be from 1 to maxConnections - 1 (199), so that connections are left"
                + " for reads; got 200", all.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ServerLimits(Duration.ofSeconds(30),
                Duration.ofSeconds(30), 1024, 200, Duration.ofSeconds(2), 16, Duration.ofSeconds(10), 16, 64 * 1024, 2, 0, 64L * 1024 * 1024));
        assertTrue(ServerLimits.DEFAULTS.maxWaitingChanges() < ServerLimits.DEFAULTS.maxConnections());
    }

    /** {@link #CLIENTS} generates at once, each on its own connection, counting the answers as they come. */
    private static List<Future<Outcome>> generates(SimulatorServer server, ExecutorService clients,
                                                   AtomicInteger answered) {
        List<Future<Outcome>> outcomes = new ArrayList<>();
        for (int c = 0; c < CLIENTS; c++) {
            outcomes.add(clients.submit(() -> {
                Outcome outcome = exchange(server, post("api/generate", GENERATE, server), PATIENCE);
                answered.incrementAndGet();
                return outcome;
            }));
        }
        return outcomes;
    }

    private static String post(String path, String json, SimulatorServer server) {
        return RawHttp.post(server.port(), path, json);
    }

    private static Outcome exchange(SimulatorServer server, String request, Duration patience) {
        return RawHttp.exchange(server.port(), request, patience);
    }

    /** Waits until {@code count} reaches {@code target}, failing after {@link #PATIENCE} with what was answered. */
    private static void waitFor(IntSupplier count, int target, String what, List<Future<Outcome>> outcomes)
            throws Exception {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (count.getAsInt() < target) {
            if (System.nanoTime() > deadline) {
                Map<String, Integer> got = new TreeMap<>();
                for (Future<Outcome> future : outcomes) {
                    if (future.isDone()) {
                        Outcome outcome = future.get();
                        got.merge(outcome.status() + " " + outcome.body(), 1, Integer::sum);
                    }
                }
                throw new AssertionError(what + ": only " + count.getAsInt() + " of " + target + " after "
                        + PATIENCE.toSeconds() + " s: " + got);
            }
            Thread.sleep(20);
        }
    }
}
