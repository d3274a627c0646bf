package io.github.microgpt.examples.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The models of the progression and a saved run's loss curve in a real browser (found as for
 * {@link SimulatorBrowserTest}): the learner picks a model on Reset, trains a few steps and sees
 * that model's diagram, weights, log, samples and, only where the model has it, attention; and
 * draws a saved run's loss curve beside the live one.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(Browser.Needed.class)
class SimulatorModelsBrowserTest {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final Logger DEVTOOLS_LOG = Logger.getLogger("org.openqa.selenium.devtools");

    /** Counts the pixels of the saved run's smoothed curve (#9333ea) on the loss chart. */
    private static final String SAVED_PIXELS = "const c = document.getElementById('loss-canvas');"
            + "const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
            + "let n = 0; for (let i = 0; i < d.length; i += 4) {"
            + "  if (d[i + 3] > 200 && d[i] > 120 && d[i] < 175 && d[i + 1] < 90 && d[i + 2] > 200) n++; }"
            + "return n;";

    private SimulatorServer server;
    private Fixtures.Api api;
    private Path profile;
    private WebDriver driver;

    @BeforeAll
    void start(@TempDir Path checkpoints) throws IOException {
        DEVTOOLS_LOG.setLevel(Level.SEVERE);
        profile = Files.createTempDirectory("microgpt-chromium-");
        driver = Browser.start(profile, List.of("--window-size=1440,1700", "--hide-scrollbars"));
        driver.manage().timeouts().pageLoadTimeout(WAIT);
        server = Fixtures.startServer(checkpoints);
        api = new Fixtures.Api(server);
    }

    @AfterAll
    void stop() throws IOException {
        if (driver != null) {
            driver.quit();
        }
        if (server != null) {
            server.close();
        }
        if (profile != null) {
            try (Stream<Path> files = Files.walk(profile)) {
                files.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
            }
        }
    }

    /** Every test starts from the default GPT and a freshly loaded page. */
    @BeforeEach
    void theGptAndAFreshPage() {
        Fixtures.Answer answer = api.post("api/reset", "{\"numSteps\": 1000, \"model\": \"gpt\", \"engine\": \"value\","
                + " \"config\": {\"nLayer\": 1, \"nEmbd\": 16, \"nHead\": 4, \"blockSize\": 16}}");
        assertEquals(200, answer.status(), answer.body());
        driver.get(server.uri().toString());
        waitFor("the page connected and drew the server's state",
                d -> text("connection").equals("live") && text("step-counter").equals("Step: 0 / 1000")
                        && text("num-params").equals("4,192"));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "bigram    | 729   | 1 | table[token_id]: one row of logits | Wpe",
        "mlp       | 5,232 | 3 | tanh                               | Wpe",
        "attention | 2,144 | 7 | 4h-Attn                            | FC 4d",
        "gpt       | 4,192 | 9 | FC 4d                              | none",
    })
    void eachModelPickedOnResetTrainsAndShowsItsOwnPanels(String model, String params, int matrices, String block,
                                                           String absent) throws IOException {
        driver.findElement(By.cssSelector("#setup summary")).click();
        new Select(driver.findElement(By.id("cfg-model"))).selectByValue(model);
        boolean gpt = model.equals("gpt");
        boolean attention = gpt || model.equals("attention");
        // The fields the model does not use are greyed out, and only the GPT has a choice of engine.
        assertEquals(!gpt, !driver.findElement(By.id("cfg-engine")).isEnabled(), "the engine choice");
        assertEquals(attention, driver.findElement(By.id("cfg-heads")).isEnabled(), "Heads");
        assertEquals(!model.equals("bigram"), driver.findElement(By.id("cfg-embd")).isEnabled(), "Embedding size");
        assertTrue(driver.findElement(By.id("cfg-block")).isEnabled(), "every model reads at most a block");
        assertFalse(text("model-note").isEmpty());
        click("btn-reset");
        waitFor("the " + model + " model", d -> text("num-params").equals(params) && model.equals(diagramModel()));
        assertEquals(model, api.state().get("model").getAsString());

        // The diagram shows the chosen model's blocks.
        List<String> labels = driver.findElements(By.cssSelector("#diagram .node text")).stream()
                .map(e -> e.getDomProperty("textContent")).toList();
        assertTrue(labels.contains(block), model + " draws " + block + ": " + labels);
        assertFalse(labels.contains(absent), model + " has no " + absent + ": " + labels);
        assertTrue(labels.contains("Logits"), labels.toString());
        assertTrue(text("arch-caption").contains(model.equals("mlp") ? "MLP" : model.equals("gpt") ? "GPT" : model),
                text("arch-caption"));

        for (int k = 1; k <= 3; k++) {
            click("btn-step");
            int step = k;
            waitFor("step " + step, d -> text("step-counter").equals("Step: " + step + " / 1000"));
        }
        assertEquals(3, text("log").lines().count(), "one log line per step");
        waitFor("the loss curve", d -> "3".equals(driver.findElement(By.id("loss-canvas")).getAttribute("data-points")));
        waitFor("the weights of step 3", d -> text("weights-count").equals(params + " parameters in " + matrices
                + (matrices == 1 ? " matrix" : " matrices") + " · step 3"));
        assertTrue(text("tag-in").contains("="), "the diagram's input tag: " + text("tag-in"));
        if (attention) {
            waitFor("one heatmap per head", d -> driver.findElements(By.cssSelector("#attn-grid canvas")).size() == 4);
            assertFalse(driver.findElement(By.id("attn-note")).isDisplayed());
        } else {
            assertTrue(driver.findElement(By.id("attn-note")).isDisplayed(), "the note says why there is no attention");
            assertTrue(text("attn-note").contains("has no attention"), text("attn-note"));
            assertEquals(0, driver.findElements(By.cssSelector("#attn-grid canvas")).size());
            assertTrue(text("tag-pos").endsWith("(not read)"), text("tag-pos"));
        }
        click("btn-generate");
        waitFor("20 samples", d -> "20".equals(driver.findElement(By.id("samples")).getAttribute("data-count")));
        screenshot("model-" + model + ".png");
    }

    @Test
    void aSavedRunsLossCurveIsDrawnBesideTheLiveOneAndRemoved() throws IOException {
        type("num-steps", "40");
        click("btn-run");
        waitFor("40 steps", d -> text("step-counter").equals("Step: 40 / 40") && text("btn-run").equals("Run"));
        driver.findElement(By.cssSelector("#models summary")).click();
        type("ckpt-name", "first-run");
        click("btn-save");
        waitFor("the save", d -> text("notice").startsWith("Saved the model as \"first-run\""));
        waitFor("the run in the chart's list", d -> "1".equals(driver.findElement(By.id("overlay-run"))
                .getAttribute("data-count")));

        // A new run of another model, beside the saved one.
        driver.findElement(By.cssSelector("#setup summary")).click();
        new Select(driver.findElement(By.id("cfg-model"))).selectByValue("bigram");
        click("btn-reset");
        waitFor("the bigram model", d -> text("num-params").equals("729") && text("step-counter").equals("Step: 0 / 40"));
        assertEquals(0L, pixels(), "no saved curve before one is chosen");
        assertFalse(driver.findElement(By.id("legend-saved")).isDisplayed());

        new Select(driver.findElement(By.id("overlay-run"))).selectByValue("first-run");
        click("btn-overlay");
        waitFor("the saved curve", d -> "40".equals(driver.findElement(By.id("loss-canvas"))
                .getAttribute("data-saved-points")));
        assertTrue(driver.findElement(By.id("legend-saved")).isDisplayed());
        assertEquals("saved: first-run (gpt, 40 steps)", text("saved-name"));
        assertTrue(pixels() > 50, "the saved curve is drawn in purple: " + pixels() + " pixels");
        for (int k = 1; k <= 5; k++) {
            click("btn-step");
            int step = k;
            waitFor("step " + step, d -> text("step-counter").equals("Step: " + step + " / 40"));
        }
        waitFor("the live curve beside it", d -> "5".equals(driver.findElement(By.id("loss-canvas"))
                .getAttribute("data-points")));
        assertEquals("40", driver.findElement(By.id("loss-canvas")).getAttribute("data-saved-points"),
                "the saved curve stays while the live one grows");
        assertTrue(pixels() > 50);
        screenshot("loss-overlay.png");

        click("btn-unoverlay");
        waitFor("the saved curve removed", d -> "0".equals(driver.findElement(By.id("loss-canvas"))
                .getAttribute("data-saved-points")));
        assertFalse(driver.findElement(By.id("legend-saved")).isDisplayed());
        assertEquals(0L, pixels(), "no purple left");

        // A run saved before its first step has no curve: the page says why.
        type("ckpt-name", "unstarted");
        click("btn-reset");
        waitFor("a new model", d -> text("step-counter").equals("Step: 0 / 40"));
        click("btn-save");
        waitFor("the second save", d -> "2".equals(driver.findElement(By.id("overlay-run")).getAttribute("data-count")));
        new Select(driver.findElement(By.id("overlay-run"))).selectByValue("unstarted");
        click("btn-overlay");
        waitFor("the error", d -> driver.findElement(By.id("error")).isDisplayed());
        assertTrue(text("error-text").contains("was saved before its first step"), text("error-text"));
    }

    // ------------------------------------------------------------------------------ helpers

    private long pixels() {
        return (Long) ((JavascriptExecutor) driver).executeScript(SAVED_PIXELS);
    }

    private String diagramModel() {
        return (String) ((JavascriptExecutor) driver).executeScript("return document.getElementById('diagram').dataset.model;");
    }

    private String text(String id) {
        return driver.findElement(By.id(id)).getText();
    }

    private void click(String id) {
        driver.findElement(By.id(id)).click();
    }

    private void type(String id, String text) {
        WebElement field = driver.findElement(By.id(id));
        field.clear();
        field.sendKeys(text);
    }

    private void waitFor(String what, Function<WebDriver, Boolean> condition) {
        new WebDriverWait(driver, WAIT).withMessage(what).ignoring(StaleElementReferenceException.class)
                .until(condition::apply);
    }

    private void screenshot(String name) throws IOException {
        waitFor("the diagram to settle", d -> ((Long) ((JavascriptExecutor) d).executeScript(
                "return document.querySelectorAll('#diagram .flash').length;")) == 0);
        Path dir = Path.of(System.getProperty("microgpt.screenshots", "target/screenshots"));
        Files.createDirectories(dir);
        Path file = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE).toPath();
        Files.copy(file, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
    }
}
