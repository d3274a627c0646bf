package io.github.microgpt.examples.simulator;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.testsupport.TestResources;
import io.github.microgpt.text.Documents;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/** Shared pieces of the simulator's tests: the reference data and a small HTTP client. */
final class Fixtures {

    private Fixtures() {
    }

    /** A directory with the reference material, from microgpt-core's test resources. */
    static Path shared() {
        return TestResources.directory();
    }

    /** The 32,033 names of microgpt.py's reference run (their SHA-256 checked). */
    static List<String> names() {
        try {
            return Documents.load(TestResources.namesFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The documents in the order a session with this seed trains on them. */
    static List<String> trainingOrder(List<String> documents, long seed) {
        List<String> shuffled = new ArrayList<>(documents);
        new PythonRandom(seed).shuffle(shuffled);
        return shuffled;
    }

    /** The golden trace of microgpt.py. */
    static JsonObject golden() {
        return TestResources.goldenJson();
    }

    /** A running simulator over the reference names (that saves no model: checkpoints in the default folder). */
    static SimulatorServer startServer() throws IOException {
        return SimulatorServer.start(names(), "file", "names.txt", 42, 0);
    }

    /** A running simulator over the reference names that saves models in {@code checkpoints}. */
    static SimulatorServer startServer(Path checkpoints) throws IOException {
        return SimulatorServer.start(names(), "file", "names.txt", 42, checkpoints, 0);
    }

    /**
     * A session over the embedded names with seed 42, not served, that saves models in
     * {@code checkpoints}; the caller closes it (or the server it is given to does).
     */
    static SimulatorSession embeddedSession(Path checkpoints) {
        return new SimulatorSession(Documents.embeddedNames(), "embedded", "embedded names", 42,
                new CheckpointStore(checkpoints));
    }

    /** Puts the reference names back as the session's dataset (after a test changed it). */
    static void resetToTheNames(Api api) {
        Answer answer = api.post("api/reset", "{\"dataset\": {\"source\": \"text\", \"name\": \"names.txt\","
                + " \"text\": \"" + String.join("\\n", names()) + "\"}}");
        if (answer.status() != 200) {
            throw new AssertionError("could not reset to the names: " + answer);
        }
    }

    /**
     * Starts a change that keeps the session's worker busy until {@code release} opens (every change
     * asked for meanwhile must wait), and returns once it has begun. Nothing waits more than 60 s.
     */
    static Future<Snapshot> holdTheWorker(SimulatorSession session, CountDownLatch release, ExecutorService on)
            throws InterruptedException {
        CountDownLatch inside = new CountDownLatch(1);
        Future<Snapshot> held = on.submit(() -> session.change(s -> {
            inside.countDown();
            try {
                release.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }));
        if (!inside.await(60, TimeUnit.SECONDS)) {
            throw new AssertionError("the holding change did not start within 60 s");
        }
        return held;
    }

    /** Waits until {@code count} reaches {@code target}; fails after 60 s, saying what it waited for. */
    static void awaitCount(IntSupplier count, int target, String what) throws InterruptedException {
        await(() -> count.getAsInt() >= target, () -> what + ": " + count.getAsInt() + " of " + target);
    }

    /** Waits until {@code condition} holds; fails after 60 s, saying what it waited for. */
    static void await(BooleanSupplier condition, String what) throws InterruptedException {
        await(condition, () -> what);
    }

    /**
     * Waits until {@code condition} holds; fails after 60 s with {@code what}, asked then (so that
     * it can say how far things got).
     */
    static void await(BooleanSupplier condition, Supplier<String> what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(what.get() + " (not within 60 s)");
            }
            Thread.sleep(5);
        }
    }

    /** An answer of the API. */
    record Answer(int status, String body) {
        JsonObject json() {
            return JsonParser.parseString(body).getAsJsonObject();
        }
    }

    /** Talks to one server. */
    static final class Api {
        private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        private final URI base;

        Api(SimulatorServer server) {
            this.base = server.uri();
        }

        Answer get(String path) {
            return send(HttpRequest.newBuilder(base.resolve(path)).GET());
        }

        Answer post(String path, String json) {
            return post(path, "application/json", json.getBytes(StandardCharsets.UTF_8));
        }

        /** A POST with the given Content-Type, or none if it is null. */
        Answer post(String path, String contentType, byte[] body) {
            HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body));
            return send(contentType == null ? request : request.header("Content-Type", contentType));
        }

        /** A POST of JSON with the given Content-Encoding header. */
        Answer postEncoded(String path, String contentEncoding, byte[] body) {
            return send(HttpRequest.newBuilder(base.resolve(path)).POST(HttpRequest.BodyPublishers.ofByteArray(body))
                    .header("Content-Type", "application/json").header("Content-Encoding", contentEncoding));
        }

        JsonObject state() {
            Answer answer = get("api/state");
            if (answer.status() != 200) {
                throw new AssertionError("GET /api/state answered " + answer);
            }
            return answer.json();
        }

        private Answer send(HttpRequest.Builder request) {
            try {
                HttpResponse<String> response = client.send(request.timeout(Duration.ofSeconds(60)).build(),
                        HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
                return new Answer(response.statusCode(), response.body());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }
}
