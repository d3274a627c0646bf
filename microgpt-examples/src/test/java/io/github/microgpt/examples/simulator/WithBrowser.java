package io.github.microgpt.examples.simulator;

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

    @AfterAll
    void closeBrowser() {
        if (page != null) {
            page.close();
        }
    }
}
