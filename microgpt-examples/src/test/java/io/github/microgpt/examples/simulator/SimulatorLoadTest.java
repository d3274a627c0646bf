package io.github.microgpt.examples.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Many tabs at once: 20 clients send 2,000 requests between them, mixing state reads, steps and
 * weight reads. The session must answer every one and count exactly the steps asked for.
 */
class SimulatorLoadTest {

    private static final int CLIENTS = 20;
    private static final int REQUESTS = 2000;

    /** What one client did. */
    private record Tally(int steps, List<String> failures) {
    }

    @Test
    void twentyClientsTwoThousandRequestsNoErrorAndEveryStepCounted() throws Exception {
        try (SimulatorServer server = Fixtures.startServer()) {
            Fixtures.Answer reset = new Fixtures.Api(server).post("api/reset", "{\"numSteps\": 100000}");
            assertEquals(200, reset.status(), reset.body());
            ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
            List<Future<Tally>> clients = new ArrayList<>();
            for (int c = 0; c < CLIENTS; c++) {
                long seed = 1000 + c;
                clients.add(pool.submit(() -> client(server, seed, REQUESTS / CLIENTS)));
            }
            pool.shutdown();
            assertTrue(pool.awaitTermination(4, TimeUnit.MINUTES), "the clients finished");

            int steps = 0;
            List<String> failures = new ArrayList<>();
            for (Future<Tally> client : clients) {
                steps += client.get().steps();
                failures.addAll(client.get().failures());
            }
            assertEquals(List.of(), failures, "every request answered 2xx");
            assertTrue(steps > 0);
            assertEquals(steps, server.session().stepsDone(), "the step counter equals the steps requested");
            // The log is consistent with the counter: one record per step, numbered 1..n in order.
            JsonObject state = new Fixtures.Api(server).state();
            assertEquals(steps, state.get("step").getAsInt());
            assertEquals(steps, state.get("recordCount").getAsInt());
            assertEquals(steps, state.getAsJsonArray("losses").size());
            JsonArray log = state.getAsJsonArray("log");
            for (int i = 0; i < log.size(); i++) {
                assertEquals(steps - log.size() + i + 1, log.get(i).getAsJsonObject().get("step").getAsInt());
            }
        }
    }

    /** One client: a seeded mix of 40% state reads, 30% steps and 30% weight reads. */
    private static Tally client(SimulatorServer server, long seed, int requests) throws IOException {
        Fixtures.Api api = new Fixtures.Api(server);
        Random random = new Random(seed);
        int steps = 0;
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < requests; i++) {
            int kind = random.nextInt(10);
            Fixtures.Answer answer;
            String what;
            if (kind < 4) {
                what = "GET /api/state";
                answer = api.get("api/state");
            } else if (kind < 7) {
                what = "POST /api/step";
                answer = api.post("api/step", "{}");
                steps++;
            } else {
                what = "GET /api/weights";
                answer = api.get("api/weights");
            }
            if (answer.status() / 100 != 2) {
                failures.add("client " + seed + ", request " + i + ": " + what + " answered " + answer.status() + " "
                        + answer.body());
            }
        }
        return new Tally(steps, failures);
    }
}
