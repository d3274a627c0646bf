package io.github.microgpt.examples.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.examples.simulator.RawHttp.Outcome;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bodies held at once, across every connection, are bounded ({@link ServerLimits#maxBodyBytesHeld()}):
 * with the worker busy, changes of the largest body wait for their turn holding their bodies, and
 * once the bound is reached every other body, declared or chunked, large or small, is refused with
 * 503 and {@code Retry-After}, naming the bound, without being held; when the waiting changes are
 * answered their bytes are given back and bodies are taken again. (Before, nothing bounded the
 * sum: 200 connections each sending a body of 8 MiB asked the heap for 1.6 GB and more.)
 */
class SimulatorBodiesHeldTest {

    private static final Duration PATIENCE = Duration.ofSeconds(60);
    private static final int MAX_BODY = 64 * 1024;
    /** Room for three bodies of the largest size. */
    private static final ServerLimits THREE_BODIES = new ServerLimits(Duration.ofSeconds(60), Duration.ofSeconds(60),
            MAX_BODY, 200, Duration.ofSeconds(60), 16, Duration.ofSeconds(60), 16, 64 * 1024, 2, 128, 3L * MAX_BODY);

    @Test
    void bodiesBeyondTheBoundAreRefusedWhileTheOthersWaitAndTakenAgainOnceTheyAreAnswered(@TempDir Path checkpoints)
            throws Exception {
        SimulatorSession session = Fixtures.embeddedSession(checkpoints);
        try (SimulatorServer server = SimulatorServer.start(session, 0, THREE_BODIES)) {
            CountDownLatch release = new CountDownLatch(1);
            ExecutorService threads = Executors.newFixedThreadPool(4);
            try {
                Future<Snapshot> held = Fixtures.holdTheWorker(session, release, threads);
                List<Future<Outcome>> waiting = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    waiting.add(threads.submit(() -> RawHttp.exchange(server.port(),
                            RawHttp.post(server.port(), "api/generate", largestGenerate()), PATIENCE)));
                }
                Fixtures.awaitCount(session::waitingChanges, 3, "the three large generates wait for the worker");
                assertEquals(3L * MAX_BODY, server.bodyBytesHeld(), "the waiting changes hold their bodies");

                String full = "the simulator holds at most 192 KiB of request bodies at once";
                Outcome large = RawHttp.exchange(server.port(),
                        RawHttp.post(server.port(), "api/generate", largestGenerate()), PATIENCE);
                assertRefused(large, full, "a fourth body of the largest size");
                Outcome small = RawHttp.exchange(server.port(),
                        RawHttp.post(server.port(), "api/generate", "{\"temperature\": 0.5}"), PATIENCE);
                assertRefused(small, full, "a small body, with the bound taken whole");
                Outcome chunked = RawHttp.exchange(server.port(), chunkedGenerate(server.port()), PATIENCE);
                assertRefused(chunked, full, "a chunked body");
                assertEquals(3, session.waitingChanges(), "no refused body became a change");
                assertEquals(3L * MAX_BODY, server.bodyBytesHeld(), "the refused bodies are not held");

                release.countDown();
                held.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
                for (Future<Outcome> outcome : waiting) {
                    Outcome answered = outcome.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
                    assertEquals(200, answered.status(), "a generate that waited: " + answered);
                }
                awaitNoBodyHeld(server);
                Outcome again = RawHttp.exchange(server.port(), chunkedGenerate(server.port()), PATIENCE);
                assertEquals(200, again.status(), "once the waiting changes are answered, bodies are taken: " + again);
                awaitNoBodyHeld(server);
            } finally {
                release.countDown();
                threads.shutdownNow();
            }
        }
    }

    @Test
    void theBoundMustTakeABodyOfTheLargestSize() {
        IllegalArgumentException small = assertThrows(IllegalArgumentException.class, () -> new ServerLimits(
                Duration.ofSeconds(30), Duration.ofSeconds(30), MAX_BODY, 200, Duration.ofSeconds(2), 16,
                Duration.ofSeconds(10), 16, 64 * 1024, 2, 128, MAX_BODY - 1));
        assertEquals("maxBodyBytesHeld must be at least maxBodyBytes (65536), so that a body of the largest size"
                + " can be taken; got 65535", small.getMessage());
        assertTrue(ServerLimits.DEFAULTS.maxBodyBytesHeld() >= ServerLimits.DEFAULTS.maxBodyBytes());
    }

    private static void assertRefused(Outcome outcome, String message, String what) {
        assertEquals(503, outcome.status(), what + ": " + outcome);
        assertEquals("1", outcome.retryAfter(), what + " says when to try again: " + outcome);
        assertTrue(outcome.body().contains(message), what + " names the bound: " + outcome);
    }

    /** A Generate whose body is exactly the largest taken, its JSON padded with spaces. */
    private static String largestGenerate() {
        String json = "{\"temperature\": 0.5}";
        return json + " ".repeat(MAX_BODY - json.length());
    }

    /** A small Generate sent in two chunks, without a declared length. */
    private static String chunkedGenerate(int port) {
        String first = "{\"temperature\":";
        String second = " 0.5}";
        return "POST /api/generate HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nContent-Type: application/json\r\n"
                + "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                + Integer.toHexString(first.length()) + "\r\n" + first + "\r\n"
                + Integer.toHexString(second.length()) + "\r\n" + second + "\r\n0\r\n\r\n";
    }

    /** The bytes are given back when the answer has been sent, which may be just after the client has read it. */
    private static void awaitNoBodyHeld(SimulatorServer server) throws InterruptedException {
        Fixtures.await(() -> server.bodyBytesHeld() == 0,
                () -> "no body is held once every request is answered (held: " + server.bodyBytesHeld() + " bytes)");
    }
}
