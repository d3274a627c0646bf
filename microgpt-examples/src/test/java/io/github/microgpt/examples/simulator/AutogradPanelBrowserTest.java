package io.github.microgpt.examples.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
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
 * The Autograd panel in a real browser (as {@link SimulatorBrowserTest}): it draws the graph of a
 * live expression and walks {@code backward()} one addition at a time, ending at the gradients
 * the server's {@code Value.backward()} gave.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(Browser.Needed.class)
class AutogradPanelBrowserTest {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final Logger DEVTOOLS_LOG = Logger.getLogger("org.openqa.selenium.devtools");

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

    @Test
    void thePanelWalksBackwardNodeByNodeToTheServersGradients() throws IOException {
        Fixtures.Answer reset = api.post("api/reset", "{\"numSteps\": 1000, \"engine\": \"value\","
                + " \"dataset\": {\"source\": \"current\"}}");
        assertEquals(200, reset.status(), reset.body());
        driver.get(server.uri().toString());
        waitFor("the page", d -> text("connection").equals("live") && text("step-counter").equals("Step: 0 / 1000"));

        // Before any step the panel says why there is no graph.
        click(By.cssSelector("#autograd-panel summary"));
        waitFor("the panel's note", d -> text("ag-title").startsWith("there is no current position yet"));

        click(By.id("btn-step"));
        click(By.id("btn-step"));
        waitFor("two steps", d -> text("step-counter").equals("Step: 2 / 1000"));
        click(By.id("ag-build"));
        JsonObject graph = api.get("api/autograd?expr=neuron").json();
        int steps = graph.getAsJsonArray("steps").size();
        waitFor("the neuron's graph", d -> text("ag-progress").equals("addition 0 / " + steps));
        assertTrue(text("ag-title").startsWith("the logit of "), text("ag-title"));
        assertEquals("built at step 2, position 1", text("ag-built"));
        JsonArray nodes = graph.getAsJsonArray("nodes");
        int root = nodes.size() - 1;
        assertEquals("1", nodeGrad(root), "backward() starts with the result's grad at 1");
        assertEquals("grad 1.0000", gradText(root));

        // One step: the first addition, with its numbers, changes the grad of its child.
        JsonObject first = graph.getAsJsonArray("steps").get(0).getAsJsonObject();
        int child = first.get("child").getAsInt();
        String startText = text("ag-step-text");
        assertEquals("0", nodeGrad(child));
        click(By.id("ag-step"));
        waitFor("the first addition", d -> text("ag-progress").equals("addition 1 / " + steps));
        assertNotEquals(startText, text("ag-step-text"));
        assertTrue(text("ag-step-text").contains(".grad += local × logit.grad = "), text("ag-step-text"));
        assertEquals(first.get("after").getAsDouble(), Double.parseDouble(nodeGrad(child)));
        assertNotEquals("grad 0.0000", gradText(child));
        assertEquals(1, driver.findElements(By.cssSelector("#ag-graph g.ag-child")).size());
        assertEquals(1, driver.findElements(By.cssSelector("#ag-graph g.ag-edge")).size());

        // Back undoes it; Run to end makes every addition.
        click(By.id("ag-back"));
        waitFor("the undone addition", d -> text("ag-progress").equals("addition 0 / " + steps));
        assertEquals("0", nodeGrad(child));
        click(By.id("ag-end"));
        waitFor("the whole walk", d -> text("ag-progress").equals("addition " + steps + " / " + steps));
        assertTrue(text("ag-step-text").endsWith("Done: every grad now equals what Value.backward() gave."),
                text("ag-step-text"));
        for (int id = 0; id < nodes.size(); id++) {
            assertEquals(nodes.get(id).getAsJsonObject().get("grad").getAsDouble(), Double.parseDouble(nodeGrad(id)),
                    "node " + id + ": the page's grad is the server's backward()");
        }
        screenshot("autograd-neuron.png");

        // The attention score of head 1, walked step by step to its end.
        new Select(driver.findElement(By.id("ag-expr"))).selectByValue("attention");
        waitFor("the score's graph", d -> text("ag-title").startsWith("the attention score of head 0"));
        new Select(driver.findElement(By.id("ag-head"))).selectByValue("1");
        waitFor("head 1", d -> text("ag-title").startsWith("the attention score of head 1"));
        JsonObject score = api.get("api/autograd?expr=attention&head=1").json();
        JsonArray scoreSteps = score.getAsJsonArray("steps");
        waitFor("the walk at its start", d -> text("ag-progress").equals("addition 0 / " + scoreSteps.size()));
        for (int k = 0; k < scoreSteps.size(); k++) {
            String before = text("ag-step-text");
            click(By.id("ag-step"));
            int done = k + 1;
            waitFor("addition " + done, d -> text("ag-progress").startsWith("addition " + done + " /"));
            assertNotEquals(before, text("ag-step-text"), "each step shows its own addition");
            JsonObject step = scoreSteps.get(k).getAsJsonObject();
            assertEquals(step.get("after").getAsDouble(), Double.parseDouble(nodeGrad(step.get("child").getAsInt())));
        }
        JsonArray scoreNodes = score.getAsJsonArray("nodes");
        for (int id = 0; id < scoreNodes.size(); id++) {
            assertEquals(scoreNodes.get(id).getAsJsonObject().get("grad").getAsDouble(),
                    Double.parseDouble(nodeGrad(id)), "score node " + id);
        }
        assertTrue(text("ag-step-text").endsWith("Done: every grad now equals what Value.backward() gave."));
        assertTrue(driver.findElement(By.id("ag-step")).getDomProperty("disabled").equals("true"));
        screenshot("autograd-attention.png");
    }

    // ------------------------------------------------------------------------------ helpers

    private String nodeGrad(int id) {
        return driver.findElement(By.cssSelector("#ag-graph g[data-node=\"" + id + "\"]")).getDomAttribute("data-grad");
    }

    private String gradText(int id) {
        List<WebElement> texts = driver.findElements(By.cssSelector("#ag-graph g[data-node=\"" + id + "\"] text"));
        return texts.get(texts.size() - 1).getDomProperty("textContent");
    }

    private String text(String id) {
        return driver.findElement(By.id(id)).getText();
    }

    private void click(By by) {
        driver.findElement(by).click();
    }

    private void waitFor(String what, Function<WebDriver, Boolean> condition) {
        new WebDriverWait(driver, WAIT).withMessage(what).ignoring(StaleElementReferenceException.class)
                .until(condition::apply);
    }

    private void screenshot(String name) throws IOException {
        Path dir = Path.of(System.getProperty("microgpt.screenshots", "target/screenshots"));
        Files.createDirectories(dir);
        ((JavascriptExecutor) driver).executeScript("document.getElementById('autograd-panel').scrollIntoView();");
        Path file = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE).toPath();
        Files.copy(file, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
    }
}
