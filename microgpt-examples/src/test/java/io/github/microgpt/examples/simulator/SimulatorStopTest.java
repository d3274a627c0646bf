package io.github.microgpt.examples.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Stop against the queue of changes: a Stop stops every Run asked for before it, whether that Run
 * is training or still waiting for its turn behind another change, and no Run asked for after it.
 * Each test holds the session's worker with a change of its own, so that the requests it sends
 * wait in the queue in a known order, then lets it go.
 */
class SimulatorStopTest {

    private static final String STOPPED = "this Run was stopped before it began";

    @Test
    void aStopWhileItsRunWaitsForItsTurnStopsThatRun() throws Exception {
        try (SimulatorServer server = Fixtures.startServer()) {
            Fixtures.Api api = new Fixtures.Api(server);
            SimulatorSession session = server.session();
            CountDownLatch release = new CountDownLatch(1);
            ExecutorService threads = Executors.newFixedThreadPool(2);
            try {
                Future<Snapshot> held = Fixtures.holdTheWorker(session, release, threads);
                Future<Fixtures.Answer> run = threads.submit(() -> api.post("api/run", "{}"));
                Fixtures.awaitCount(session::waitingChanges, 1, "the Run waits for its turn");

                Fixtures.Answer stop = api.post("api/stop", "{}");
                assertEquals(200, stop.status(), stop.body());
                assertFalse(stop.json().get("running").getAsBoolean(), "the Stop's answer: no run");

                release.countDown();
                held.get(60, TimeUnit.SECONDS);
                // Before, the Run began after the Stop had been answered, and trained on: 200, running.
                Fixtures.Answer refused = run.get(60, TimeUnit.SECONDS);
                assertEquals(409, refused.status(), refused.body());
                assertTrue(refused.json().get("error").getAsString().startsWith(STOPPED), refused.body());
                Snapshot after = session.snapshot();
                assertFalse(after.running(), "no run is going on");
                assertEquals(0, after.step(), "nothing was trained");
                assertFalse(api.state().get("running").getAsBoolean());
            } finally {
                release.countDown();
                threads.shutdownNow();
            }
        }
    }

    @Test
    void aStopLeavesTheChangesAfterTheRunAndARunAskedAfterIt() throws Exception {
        try (SimulatorServer server = Fixtures.startServer()) {
            Fixtures.Api api = new Fixtures.Api(server);
            SimulatorSession session = server.session();
            long epoch = session.snapshot().epoch();
            CountDownLatch release = new CountDownLatch(1);
            ExecutorService threads = Executors.newFixedThreadPool(4);
            try {
                Future<Snapshot> held = Fixtures.holdTheWorker(session, release, threads);
                Future<Fixtures.Answer> first = threads.submit(() -> api.post("api/run", "{}"));
                Fixtures.awaitCount(session::waitingChanges, 1, "the first Run waits");
                Future<Fixtures.Answer> reset = threads.submit(() -> api.post("api/reset", "{\"numSteps\": 100000}"));
                Fixtures.awaitCount(session::waitingChanges, 2, "the Reset waits after it");
                assertEquals(200, api.post("api/stop", "{}").status());
                Future<Fixtures.Answer> second = threads.submit(() -> api.post("api/run", "{}"));
                Fixtures.awaitCount(session::waitingChanges, 3, "a Run asked after the Stop waits");

                release.countDown();
                held.get(60, TimeUnit.SECONDS);
                Fixtures.Answer stopped = first.get(60, TimeUnit.SECONDS);
                assertEquals(409, stopped.status(), stopped.body());
                assertTrue(stopped.json().get("error").getAsString().startsWith(STOPPED), stopped.body());
                // Before, the first Run trained, and the Reset behind it was refused: "press Stop first".
                Fixtures.Answer reset100k = reset.get(60, TimeUnit.SECONDS);
                assertEquals(200, reset100k.status(), reset100k.body());
                assertEquals(epoch + 1, reset100k.json().get("epoch").getAsLong(), "the Reset made a new model");
                Fixtures.Answer started = second.get(60, TimeUnit.SECONDS);
                assertEquals(200, started.status(), started.body());
                assertTrue(started.json().get("running").getAsBoolean(), "the Run asked after the Stop runs");
                JsonObject end = api.post("api/stop", "{}").json();
                assertFalse(end.get("running").getAsBoolean(), "a second Stop ends it");
                assertFalse(session.snapshot().running());
            } finally {
                release.countDown();
                threads.shutdownNow();
            }
        }
    }
}
