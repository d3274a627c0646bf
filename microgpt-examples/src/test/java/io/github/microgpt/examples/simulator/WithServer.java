package io.github.microgpt.examples.simulator;

import java.io.IOException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

/**
 * The tests that talk to one simulator for the whole class extend this: it starts the server over
 * the reference names ({@link Fixtures#startServer()}) before the class's first test and closes it
 * after the last. A subclass's own {@code @BeforeAll} methods run after the server has started.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class WithServer {

    /** The simulator, over the reference names. */
    SimulatorServer server;
    /** A client of its API. */
    Fixtures.Api api;

    @BeforeAll
    void startServer() throws IOException {
        server = Fixtures.startServer();
        api = new Fixtures.Api(server);
    }

    @AfterAll
    void closeServer() {
        if (server != null) {
            server.close();
        }
    }
}
