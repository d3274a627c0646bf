package io.github.microgpt.examples.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.ref.WeakReference;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The session's one change helper: one change at a time, and none waits forever for another. */
class SimulatorSessionTest {

    @TempDir
    Path checkpoints;

    @Test
    void aChangeStuckUnderTheLockDoesNotTakeLaterChangesWithIt() throws Exception {
        SimulatorSession session = Fixtures.embeddedSession(checkpoints);
        session.setLongestWait(Duration.ofMillis(300));
        Commands commands = new Commands(session);
        CountDownLatch release = new CountDownLatch(1);
        ExecutorService stuck = Executors.newSingleThreadExecutor();
        try {
            // A change that does not finish (as a read of a file that never ends would not).
            Future<Snapshot> first = Fixtures.holdTheWorker(session, release, stuck);
            ApiException busy = assertThrows(ApiException.class, () -> commands.step(new Requests.Step(null, null)));
            assertEquals(503, busy.status());
            assertTrue(busy.getMessage().contains("still busy with an earlier request"), busy.getMessage());
            assertEquals(0, session.stepsDone(), "the refused step changed nothing");
            // Once the stuck change ends, changes go through again.
            release.countDown();
            first.get(30, TimeUnit.SECONDS);
            assertEquals(1, commands.step(new Requests.Step(null, null)).step());
        } finally {
            release.countDown();
            stuck.shutdownNow();
            session.close();
        }
    }

    @Test
    void aChangeRefusedForWaitingTooLongIsLetGoOf() throws Exception {
        SimulatorSession session = Fixtures.embeddedSession(checkpoints);
        session.setLongestWait(Duration.ofMillis(100));
        CountDownLatch release = new CountDownLatch(1);
        ExecutorService stuck = Executors.newSingleThreadExecutor();
        try {
            Future<Snapshot> held = Fixtures.holdTheWorker(session, release, stuck);
            List<WeakReference<byte[]>> bodies = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                ExecutionException refused = assertThrows(ExecutionException.class,
                        () -> submitHolding(session, bodies).get(30, TimeUnit.SECONDS));
                assertEquals(503, assertInstanceOf(ApiException.class, refused.getCause()).status());
            }
            assertEquals(0, session.waitingChanges());
            // Before, a refused change stayed in the worker's queue, with what it held (a request's body),
            // until the worker came free: a worker that stayed busy kept every change refused meanwhile.
            for (int tries = 0; tries < 200 && bodies.stream().anyMatch(body -> body.get() != null); tries++) {
                System.gc();
                Thread.sleep(10);
            }
            assertEquals(0, bodies.stream().filter(body -> body.get() != null).count(),
                    "the refused changes' bodies are no longer held while the worker is still busy");
            release.countDown();
            held.get(30, TimeUnit.SECONDS);
        } finally {
            release.countDown();
            stuck.shutdownNow();
            session.close();
        }
    }

    /** Submits work that holds a megabyte (as a change holds its request's body), seen through a weak reference. */
    private static CompletableFuture<Snapshot> submitHolding(SimulatorSession session, List<WeakReference<byte[]>> seen) {
        byte[] body = new byte[1 << 20];
        seen.add(new WeakReference<>(body));
        return session.submit(() -> {
            throw new AssertionError("a change refused for waiting too long was made; it held " + body.length);
        });
    }

    @Test
    void changesStillWaitingWhenTheSessionClosesAreAnsweredNotDropped() throws Exception {
        SimulatorSession session = Fixtures.embeddedSession(checkpoints);
        CountDownLatch never = new CountDownLatch(1);
        ExecutorService stuck = Executors.newSingleThreadExecutor();
        try {
            // A change that does not end by itself, only when close interrupts it (after its 5 s of patience).
            Future<Snapshot> first = Fixtures.holdTheWorker(session, never, stuck);
            CompletableFuture<Snapshot> waiting = session.submit(() -> {
                throw new AssertionError("a change still waiting when the session closed was made");
            });
            session.close();
            // Before, close took the waiting change off the queue and dropped it: its request was never
            // answered (and a caller of change() on another thread waited forever).
            ExecutionException refused = assertThrows(ExecutionException.class, () -> waiting.get(30, TimeUnit.SECONDS));
            ApiException answer = assertInstanceOf(ApiException.class, refused.getCause());
            assertEquals(503, answer.status());
            assertEquals("the server is shutting down", answer.getMessage());
            first.get(30, TimeUnit.SECONDS);
        } finally {
            stuck.shutdownNow();
            session.close();
        }
    }
}
