package io.github.microgpt.examples.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.examples.simulator.RawHttp.Outcome;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
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
 * with bodies of the largest size on their way, declared whole, every other body, declared or
 * chunked, large or small, is refused with 503 and {@code Retry-After}, naming the bound, without
 * being held; once they have arrived and been read, each change waiting for its turn holds only
 * what its request keeps, and bodies are taken again. (Before, nothing bounded the sum: 200
 * connections each sending a body of 8 MiB asked the heap for 1.6 GB and more; and a waiting
 * change held its body's bytes to the end.)
 */
class SimulatorBodiesHeldTest {

    private static final Duration PATIENCE = Duration.ofSeconds(60);
    private static final int MAX_BODY = 64 * 1024;
    /** Room for three bodies of the largest size. */
    private static final ServerLimits THREE_BODIES = new ServerLimits(Duration.ofSeconds(60), Duration.ofSeconds(60),
            MAX_BODY, 200, Duration.ofSeconds(60), 16, Duration.ofSeconds(60), 16, 64 * 1024, 2, 128, 3L * MAX_BODY);

    @Test
    void bodiesBeyondTheBoundAreRefusedWhileTheOthersArriveAndTakenAgainOnceTheyAreRead(@TempDir Path checkpoints)
            throws Exception {
        SimulatorSession session = Fixtures.embeddedSession(checkpoints);
        try (SimulatorServer server = SimulatorServer.start(session, 0, THREE_BODIES)) {
            CountDownLatch release = new CountDownLatch(1);
            ExecutorService threads = Executors.newFixedThreadPool(4);
            List<Socket> arriving = new ArrayList<>();
            try {
                Future<Snapshot> held = Fixtures.holdTheWorker(session, release, threads);
                // Three bodies of the largest size, declared whole and half sent: each is counted whole.
                String request = RawHttp.post(server.port(), "api/generate", largestGenerate());
                int half = request.length() - MAX_BODY / 2;
                for (int i = 0; i < 3; i++) {
                    Socket socket = new Socket("127.0.0.1", server.port());
                    socket.setSoTimeout((int) PATIENCE.toMillis());
                    arriving.add(socket);
                    socket.getOutputStream().write(request.substring(0, half).getBytes(StandardCharsets.US_ASCII));
                    socket.getOutputStream().flush();
                }
                Fixtures.await(() -> server.bodyBytesHeld() == 3L * MAX_BODY,
                        () -> "the three bodies on their way are held whole (held: " + server.bodyBytesHeld() + ")");

                String full = "the simulator holds at most 192 KiB of request bodies at once";
                Outcome large = RawHttp.exchange(server.port(),
                        RawHttp.post(server.port(), "api/generate", largestGenerate()), PATIENCE);
                assertRefused(large, full, "a fourth body of the largest size");
                Outcome small = RawHttp.exchange(server.port(),
                        RawHttp.post(server.port(), "api/generate", "{\"temperature\": 0.5}"), PATIENCE);
                assertRefused(small, full, "a small body, with the bound taken whole");
                Outcome chunked = RawHttp.exchange(server.port(), chunkedGenerate(server.port()), PATIENCE);
                assertRefused(chunked, full, "a chunked body");
                assertEquals(3L * MAX_BODY, server.bodyBytesHeld(), "the refused bodies are not held");

                for (Socket socket : arriving) {
                    socket.getOutputStream().write(request.substring(half).getBytes(StandardCharsets.US_ASCII));
                    socket.getOutputStream().flush();
                }
                Fixtures.awaitCount(session::waitingChanges, 3, "the three large generates wait for the worker");
                long kept = Requests.retainedBytes(Requests.read(largestGenerate(), Requests.Generate.class));
                assertEquals(3 * kept, server.bodyBytesHeld(),
                        "a change waiting for its turn holds what its request keeps, not its body's bytes");
                // The room the read bodies gave back takes a body of the largest size again.
                Future<Outcome> fourth = threads.submit(() -> RawHttp.exchange(server.port(),
                        RawHttp.post(server.port(), "api/generate", largestGenerate()), PATIENCE));
                Fixtures.awaitCount(session::waitingChanges, 4, "a fourth large generate is taken and waits");

                release.countDown();
                held.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
                for (Socket socket : arriving) {
                    Outcome answered = RawHttp.answer(socket.getInputStream(), PATIENCE);
                    assertEquals(200, answered.status(), "a generate that waited: " + answered);
                }
                Outcome answered = fourth.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
                assertEquals(200, answered.status(), "the fourth generate: " + answered);
                awaitNoBodyHeld(server);
                Outcome again = RawHttp.exchange(server.port(), chunkedGenerate(server.port()), PATIENCE);
                assertEquals(200, again.status(), "once the waiting changes are answered, bodies are taken: " + again);
                awaitNoBodyHeld(server);
            } finally {
                release.countDown();
                threads.shutdownNow();
                for (Socket socket : arriving) {
                    socket.close();
                }
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
