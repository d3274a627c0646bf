package io.github.microgpt.examples.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.microgpt.train.StepMode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The weights event is made once per snapshot and its bytes are shared by every page (the
 * largest model's event is some 38 MB: a copy per page, held until the page has read it, ran to
 * gigabytes with many slow pages). Shared bytes must still reach every page whole.
 */
class EventStreamSharedWeightsTest {

    private static final Duration PATIENCE = Duration.ofSeconds(60);

    @TempDir
    Path checkpoints;

    private SimulatorSession session() {
        return Fixtures.embeddedSession(checkpoints);
    }

    @Test
    void theWeightsEventOfASnapshotIsOneArrayForEveryPage() {
        SimulatorSession session = session();
        try (EventStream events = new EventStream(session, ServerLimits.DEFAULTS)) {
            Snapshot first = session.snapshot();
            byte[] event = events.weightsEvent(first);
            assertSame(event, events.weightsEvent(first), "made once for the snapshot");
            session.change(s -> s.run().step(StepMode.POSITION));
            assertNotSame(event, events.weightsEvent(session.snapshot()), "made again for a new snapshot");
        } finally {
            session.close();
        }
    }

    @Test
    void twoPagesEachGetTheWholeWeightsEvent() throws Exception {
        SimulatorSession session = session();
        try (SimulatorServer server = SimulatorServer.start(session, 0, ServerLimits.DEFAULTS)) {
            HttpClient client = HttpClient.newBuilder().connectTimeout(PATIENCE).build();
            List<JsonObject> weights = assertTimeoutPreemptively(PATIENCE, () -> {
                List<JsonObject> got = new ArrayList<>();
                List<Stream<String>> pages = new ArrayList<>();
                try {
                    for (int i = 0; i < 2; i++) {
                        pages.add(client.send(HttpRequest.newBuilder(URI.create(server.uri() + "api/events")).GET()
                                .build(), HttpResponse.BodyHandlers.ofLines()).body());
                    }
                    for (Stream<String> page : pages) {
                        got.add(firstWeightsEvent(page.iterator()));
                    }
                } finally {
                    pages.forEach(Stream::close);
                }
                return got;
            });
            int parameters = (int) session.snapshot().weightCount(null);
            for (JsonObject w : weights) {
                assertEquals(parameters, w.getAsJsonArray("values").size(), "every weight");
                assertEquals(parameters, w.getAsJsonArray("grads").size(), "every gradient");
            }
            assertEquals(weights.get(0), weights.get(1), "the same event on both pages");
        }
    }

    private static JsonObject firstWeightsEvent(Iterator<String> lines) {
        boolean weights = false;
        while (lines.hasNext()) {
            String line = lines.next();
            if (line.equals("event: weights")) {
                weights = true;
            } else if (weights && line.startsWith("data: ")) {
                return JsonParser.parseString(line.substring("data: ".length())).getAsJsonObject();
            }
        }
        throw new AssertionError("the stream ended before a weights event");
    }
}
