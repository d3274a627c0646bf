package io.github.microgpt.examples.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.WebDriver;

/**
 * The browser tests extend this: one {@link BrowserSession} (a browser and a simulator that saves
 * models in a temporary folder) for the whole class, opened before its first test and closed
 * after the last; without a browser the class is skipped ({@link Browser.Needed}). A subclass's
 * own {@code @BeforeAll} methods run after the session has opened.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(Browser.Needed.class)
abstract class WithBrowser {

    /** The browser and the simulator, with the helpers that read and use the page. */
    BrowserSession page;
    /** The session's browser, server and API, under short names. */
    WebDriver driver;
    SimulatorServer server;
    Fixtures.Api api;

    @BeforeAll
    void openBrowser(@TempDir Path checkpoints) throws IOException {
        page = BrowserSession.open(checkpoints);
        driver = page.driver();
        server = page.server();
        api = page.api();
    }

    /** A new run on the server: the value engine, 1000 steps, the current names. */
    void newRun() {
        Fixtures.Answer reset = api.post("api/reset", "{\"numSteps\": 1000, \"engine\": \"value\","
                + " \"dataset\": {\"source\": \"current\"}}");
        assertEquals(200, reset.status(), reset.body());
    }

    /** A {@link #newRun} and the page opened on it, live and at step 0. */
    void openNewRun() {
        newRun();
        page.openPage();
        page.waitFor("the page",
                d -> page.text("connection").equals("live") && page.text("step-counter").equals("Step: 0 / 1000"));
    }

    @AfterAll
    void closeBrowser() {
        if (page != null) {
            page.close();
        }
    }
}
