package io.github.microgpt.examples.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The simulator in a real browser: a headless Chromium or Chrome of this machine, driven through
 * its chromedriver or, without one, over the DevTools protocol ({@link Browser} finds them; it
 * skips these tests with one line where there is no browser, unless one is required). Nothing is
 * downloaded: the build sets SE_OFFLINE so that Selenium Manager stays offline.
 */
class SimulatorBrowserTest extends WithBrowser {

    /** The weights table is virtual: it draws the rows in view and a few more, never all of them. */
    private static final int ROWS_SHOWN_AT_MOST = 40;

    /** The documents in the order the session's seed, 42, trains on them. */
    private final List<String> order = Fixtures.trainingOrder(Fixtures.names(), 42);

    /** Every test starts from a new model of 1000 steps and a freshly loaded page. */
    @BeforeEach
    void freshModelAndPage() {
        Fixtures.Answer answer = api.post("api/reset", "{\"numSteps\": 1000, \"dataset\": {\"source\": \"current\"}}");
        assertEquals(200, answer.status(), answer.body());
        page.openPage();
        // index.html itself says "Step: 0 / 1000"; the stats are drawn only from the server's state.
        page.waitFor("the page connected and drew the server's state",
                d -> page.text("connection").equals("live") && page.text("step-counter").equals("Step: 0 / 1000")
                        && page.text("num-docs").matches("[0-9,]+"));
    }

    @Test
    void theStatsAreThoseOfTheDataset() {
        assertEquals("32,033", page.text("num-docs"));
        assertEquals("27", page.text("vocab-size"));
        assertEquals("4,192", page.text("num-params"));
        assertEquals("Step: 0 / 1000", page.text("step-counter"));
        assertEquals("Training", mode());
        page.waitFor("the weights table",
                d -> page.text("weights-count").equals("4,192 parameters in 9 matrices · step 0"));
        int drawn = driver.findElements(By.cssSelector("#weights-rows .wrow")).size();
        assertTrue(drawn > 10 && drawn <= ROWS_SHOWN_AT_MOST, "the table draws only the rows in view: " + drawn);
    }

    @Test
    void stepFwdThreeTimesWalksThePositionsOfTheFirstDocument() {
        String document = order.get(0);
        for (int k = 1; k <= 3; k++) {
            page.click("btn-step");
            int step = k;
            page.waitFor("step " + step, d -> page.text("step-counter").equals("Step: " + step + " / 1000"));
            int posId = k - 1;
            assertEquals(String.valueOf(posId), page.text("ov-pos"), "posId after step " + k);
            List<WebElement> chips = driver.findElements(By.cssSelector("#ov-input .tok"));
            assertEquals(k, chips.size(), "the context grows by one token per step");
            assertEquals("BOS", chips.get(0).getText());
            for (int i = 1; i < chips.size(); i++) {
                assertEquals(String.valueOf(document.charAt(i - 1)), chips.get(i).getText(),
                        "context token " + i + " of \"" + document + "\"");
            }
            String target = String.valueOf(document.charAt(posId));
            assertEquals(target, page.text("ov-target"), "the target is the next character of \"" + document + "\"");
            assertEquals(String.valueOf(target.charAt(0) - 'a'), page.text("ov-out"), "token_id (out) of " + target);
            String input = posId == 0 ? "26" : String.valueOf(document.charAt(posId - 1) - 'a');
            assertEquals(input, page.text("ov-in"), "token_id (in)");
            assertEquals("Training", mode());
            assertTrue(page.text("overlay-detail").contains("\u201c" + document + "\u201d"), page.text("overlay-detail"));
            // One heatmap per head, and the log has one line per step.
            assertEquals(4, driver.findElements(By.cssSelector("#attn-grid canvas")).size());
            assertEquals(k, page.text("log").lines().count());
        }
    }

    /**
     * A document step's loss is the mean over its positions, and the bars show its last position:
     * the caption gives both losses, each named, never the last position's as "the loss".
     */
    @Test
    void aDocumentStepsDistributionNamesTheStepsLossAndItsLastPositions() {
        String document = order.get(0);
        page.click(By.cssSelector("label:has(input[name='step-mode'][value='document'])"));
        page.click("btn-step");
        page.waitFor("step 1", d -> page.text("step-counter").equals("Step: 1 / 1000"));
        String logged = page.text("log");
        String stepLoss = logged.substring(logged.indexOf("loss ") + 5, logged.indexOf(" | " + document));
        String caption = page.text("dist-caption");
        int positions = document.length() + 1;
        assertTrue(caption.startsWith("Last position of the document: target BOS (end) (green)"), caption);
        assertTrue(caption.contains("the step's loss is the mean over all " + positions + " positions, " + stepLoss + "."),
                "the step's loss " + stepLoss + " as the log shows it: " + caption);
        assertFalse(caption.contains("so the loss is"), caption);
    }

    @Test
    void runToASmallNumberOfStepsReachesItWithTheLogAndTheLossCurve() {
        page.type("num-steps", "30");
        page.click("btn-run");
        page.waitFor("the run to reach 30 steps", d -> page.text("step-counter").equals("Step: 30 / 30")
                && page.text("btn-run").equals("Run"));
        List<String> log = page.text("log").lines().toList();
        assertEquals(30, log.size(), "one log line per step");
        assertTrue(log.get(29).startsWith("step 30 / 30 | loss "), log.get(29));
        page.waitFor("the loss curve to hold 30 points",
                d -> "30".equals(driver.findElement(By.id("loss-canvas")).getAttribute("data-points")));
        long inked = (Long) page.script(
                "const c = document.getElementById('loss-canvas');"
                        + "const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
                        + "let n = 0; for (let i = 0; i < d.length; i += 4) {"
                        + "  if (d[i + 3] > 0 && d[i + 2] > 150 && d[i] < 90) n++; }"
                        + "return n;");
        assertTrue(inked > 100, "the smoothed curve (blue) is drawn: " + inked + " blue pixels");
        assertEquals(30, server.session().stepsDone());
    }

    @Test
    void stopEndsARunMidway() throws IOException {
        api.post("api/reset", "{\"numSteps\": 100000}");
        driver.navigate().refresh();
        page.waitFor("the page", d -> page.text("step-counter").equals("Step: 0 / 100000"));
        assertEquals(Boolean.TRUE, page.script("return document.getElementById('run-note').hidden"),
                "no note before a run");
        page.click("btn-run");
        page.waitFor("the run to get going", d -> page.text("btn-run").equals("Stop") && counter() >= 150);
        // Said while the run goes on, before it matters: a run nobody watches stops after 10 s.
        assertEquals(Boolean.FALSE, page.script("return document.getElementById('run-note').hidden"),
                "the note is shown during the run");
        assertTrue(page.text("run-note").contains("10 s"), page.text("run-note"));
        screenshot("training.png");
        page.click("btn-run");
        page.waitFor("the run to stop", d -> page.text("btn-run").equals("Run"));
        assertEquals(Boolean.TRUE, page.script("return document.getElementById('run-note').hidden"),
                "the note goes with the run");
        int stoppedAt = counter();
        assertTrue(stoppedAt >= 150 && stoppedAt < 100_000, "stopped at " + stoppedAt);
        assertEquals(stoppedAt, server.session().stepsDone(), "the page shows the server's counter");
        assertFalse(server.session().snapshot().running());
        // Nothing trains after Stop: a new step is the next one after the counter.
        page.click("btn-step");
        page.waitFor("one more step", d -> counter() == stoppedAt + 1);
        assertEquals(stoppedAt + 1, server.session().stepsDone());
    }

    @Test
    void aRunWaitingForItsTurnIsStoppedFromThePageBeforeItBegins() throws Exception {
        SimulatorSession session = server.session();
        long stopsBefore = session.stoppedThrough();
        CountDownLatch release = new CountDownLatch(1);
        ExecutorService holder = Executors.newSingleThreadExecutor();
        try {
            // Another tab's change keeps the worker busy: the page's Run waits for its turn.
            Future<Snapshot> held = Fixtures.holdTheWorker(session, release, holder);
            page.click("btn-run");
            Fixtures.awaitCount(session::waitingChanges, 1, "the page's Run waits for its turn");
            // Before, the button still said Run (the state says no run), so a second press asked for another Run.
            page.waitFor("the button to offer Stop", d -> page.text("btn-run").equals("Stop"));
            page.click("btn-run");
            Fixtures.awaitCount(() -> session.stoppedThrough() > stopsBefore ? 1 : 0, 1, "the Stop has arrived");
            release.countDown();
            held.get(60, TimeUnit.SECONDS);
            page.waitFor("the Run's answer", d -> page.text("btn-run").equals("Run") && session.waitingChanges() == 0);
            assertFalse(driver.findElement(By.id("error")).isDisplayed(), "the refusal of a Run the person stopped"
                    + " is no error: " + page.text("error-text"));
            assertFalse(session.snapshot().running(), "no run began");
            assertEquals(0, session.stepsDone(), "nothing was trained");
            assertEquals("Step: 0 / 1000", page.text("step-counter"));
        } finally {
            release.countDown();
            holder.shutdownNow();
        }
    }

    @Test
    void generateShowsTwentySamples() {
        page.click("btn-generate");
        page.waitFor("20 samples", d -> "20".equals(driver.findElement(By.id("samples")).getAttribute("data-count")));
        assertEquals(20, driver.findElements(By.cssSelector("#samples li")).size());
        assertEquals("Generation", mode());
    }

    /** The window widths the sample list must fit at: wide, the widths around the one-column switch, a phone. */
    private static final List<Integer> WIDTHS = List.of(1920, 1440, 1280, 1101, 1099, 800, 600, 420, 360);

    @Test
    void longSamplesStayInsideTheirOwnBoxAtEveryWidth() throws IOException {
        // Documents much longer than the block size: an untrained model rarely draws BOS, so most of
        // its samples run to the block size of 32 characters.
        String text = String.join("\\n", Stream.of("abcdefghijklmnopqrstuvwxyz", "zyxwvutsrqponmlkjihgfedcba",
                "thequickbrownfoxjumpsoverthelazydog").map(d -> d + d).toList());
        Fixtures.Answer reset = api.post("api/reset", "{\"config\": {\"blockSize\": 32, \"nEmbd\": 16, \"nHead\": 4,"
                + " \"nLayer\": 1}, \"dataset\": {\"source\": \"text\", \"name\": \"long.txt\", \"text\": \"" + text + "\"}}");
        assertEquals(200, reset.status(), reset.body());
        try {
            driver.navigate().refresh();
            page.waitFor("the page", d -> page.text("num-docs").equals("3"));
            WebElement temperature = driver.findElement(By.id("temperature"));
            page.script("arguments[0].value = '1.5';"
                    + " arguments[0].dispatchEvent(new Event('input'));", temperature);
            page.click("btn-generate");
            page.waitFor("20 samples",
                    d -> "20".equals(driver.findElement(By.id("samples")).getAttribute("data-count")));
            List<String> samples = driver.findElements(By.cssSelector("#samples li")).stream()
                    .map(li -> li.getDomProperty("textContent")).toList();
            long longOnes = samples.stream().filter(sample -> sample.length() >= 24).count();
            assertTrue(longOnes >= 3, "the check needs long samples; got " + samples);
            for (int width : WIDTHS) {
                String frame = "at-" + width;
                page.openInFrame(frame, width, "the page's 20 samples",
                        "doc.querySelectorAll('#samples li').length === 20");
                @SuppressWarnings("unchecked")
                List<String> problems = (List<String>) page.script(SAMPLE_BOXES, frame);
                assertEquals(List.of(), problems, "at a width of " + width + " px");
                if (width == 1101 || width == 360) {
                    page.script("document.getElementById(arguments[0]).contentDocument"
                            + ".getElementById('h-samples').scrollIntoView();", frame);
                    screenshot("samples-" + width + ".png");
                }
                page.script("document.getElementById(arguments[0]).remove();", frame);
            }
        } finally {
            Fixtures.resetToTheNames(api);
            Fixtures.Answer defaults = api.post("api/reset", "{\"config\": {\"blockSize\": 16, \"nEmbd\": 16,"
                    + " \"nHead\": 4, \"nLayer\": 1}}");
            assertEquals(200, defaults.status(), defaults.body());
        }
    }

    /**
     * Every sample's text lies inside its own item's box, no item is split over two columns, no
     * two items overlap, and every item lies inside the list: the problems found, as sentences.
     * The argument is the id of the frame that holds the page.
     */
    private static final String SAMPLE_BOXES = """
            const doc = document.getElementById(arguments[0]).contentDocument;
            const list = doc.getElementById('samples');
            const items = [...list.querySelectorAll('li')];
            const problems = [];
            const outer = list.getBoundingClientRect();
            const boxes = items.map(li => li.getBoundingClientRect());
            items.forEach((li, i) => {
              const box = boxes[i];
              const name = '"' + li.textContent + '"';
              if (li.getClientRects().length > 1) problems.push(name + ' is split over two columns');
              const range = doc.createRange();
              range.selectNodeContents(li);
              for (const r of range.getClientRects()) {
                if (r.left < box.left - 0.5 || r.right > box.right + 0.5) {
                  problems.push(name + ' runs out of its box (' + Math.round(r.right - box.right) + ' px)');
                }
              }
              if (box.left < outer.left - 0.5 || box.right > outer.right + 0.5) problems.push(name + ' leaves the list');
              for (let j = 0; j < i; j++) {
                const o = boxes[j];
                if (box.left < o.right - 0.5 && o.left < box.right - 0.5 && box.top < o.bottom - 0.5 && o.top < box.bottom - 0.5) {
                  problems.push(name + ' overlaps "' + items[j].textContent + '"');
                }
              }
            });
            return problems;
            """;

    @Test
    void genStepDrawsOneTokenInGenerationMode() {
        page.click("btn-genstep");
        page.waitFor("generation mode", d -> mode().equals("Generation"));
        assertEquals("0", page.text("ov-pos"));
        List<WebElement> chips = driver.findElements(By.cssSelector("#ov-input .tok"));
        assertEquals(1, chips.size());
        assertEquals("BOS", chips.get(0).getText());
        assertEquals("26", page.text("ov-in"));
        assertEquals("Sampled", page.text("ov-target-head"));
        assertTrue(page.text("overlay-detail").startsWith("sample 1 · T = 0.50"), page.text("overlay-detail"));
        assertEquals("Step: 0 / 1000", page.text("step-counter"), "generating does not train");
    }

    @Test
    void aBadNumStepsValueIsShownAsAnErrorAndChangesNothing() {
        for (String bad : List.of("abc", "0", "-5", "100001", "2.5")) {
            page.type("num-steps", bad);
            page.click("btn-step");
            page.waitFor("the error for \"" + bad + "\"", d -> driver.findElement(By.id("error")).isDisplayed());
            assertTrue(page.text("error-text").startsWith("Num steps must be a whole number from 1 to 100000"),
                    bad + ": " + page.text("error-text"));
            assertEquals("Step: 0 / 1000", page.text("step-counter"));
            page.click("error-close");
            page.waitFor("the error to close", d -> !driver.findElement(By.id("error")).isDisplayed());
        }
        assertEquals(0, server.session().stepsDone());
    }

    @Test
    void aBadConfigurationIsRefusedOnReset() throws IOException {
        driver.findElement(By.cssSelector("#setup summary")).click();
        page.type("cfg-heads", "3");
        page.click("btn-reset");
        page.waitFor("the error", d -> driver.findElement(By.id("error")).isDisplayed());
        assertTrue(page.text("error-text").contains("must be divisible by Heads"), page.text("error-text"));
        screenshot("error.png");
        assertEquals("4", String.valueOf(api.state().getAsJsonObject("config").get("nHead").getAsInt()));
    }

    @Test
    void theArrayEngineTrainsAModelTooLargeForTheValueEngine() throws IOException {
        try {
            driver.findElement(By.cssSelector("#setup summary")).click();
            assertEquals("value", new Select(driver.findElement(By.id("cfg-engine"))).getFirstSelectedOption()
                    .getDomProperty("value"));
            new Select(driver.findElement(By.id("cfg-engine"))).selectByValue("array");
            page.type("cfg-layers", "4");
            page.type("cfg-embd", "64");
            page.type("cfg-heads", "8");
            page.type("cfg-block", "32");
            page.click("btn-reset");
            page.waitFor("the array engine's model", d -> page.text("num-params").equals("202,112"));
            assertEquals("array", api.state().get("engine").getAsString());
            page.click("btn-step");
            page.waitFor("step 1", d -> page.text("step-counter").equals("Step: 1 / 1000"));
            page.waitFor("the weights of step 1",
                    d -> page.text("weights-count").equals("202,112 parameters in 27 matrices · step 1"));
            // The array engine reports its attention too: one heatmap per head of the layer shown.
            page.waitFor("8 heatmaps", d -> driver.findElements(By.cssSelector("#attn-grid canvas")).size() == 8);
            page.click("btn-generate");
            page.waitFor("20 samples",
                    d -> "20".equals(driver.findElement(By.id("samples")).getAttribute("data-count")));
            screenshot("array-engine.png");
        } finally {
            Fixtures.Answer defaults = api.post("api/reset", "{\"engine\": \"value\", \"config\": {\"blockSize\": 16,"
                    + " \"nEmbd\": 16, \"nHead\": 4, \"nLayer\": 1}}");
            assertEquals(200, defaults.status(), defaults.body());
        }
    }

    @Test
    void anUploadedDatasetIsAppliedOnResetAndAnEmptyOneIsRefused() throws IOException {
        Path upload = Files.writeString(page.scratch("tiny.txt"), "abba\nbaab\n\ncab\n");
        try {
            driver.findElement(By.cssSelector("#setup summary")).click();
            driver.findElement(By.id("dataset-file")).sendKeys(upload.toString());
            page.waitFor("the file to be read",
                    d -> page.text("dataset-info").startsWith(upload.getFileName() + ": 3 non-empty lines"));
            page.click("btn-reset");
            page.waitFor("the new dataset",
                    d -> page.text("num-docs").equals("3") && page.text("vocab-size").equals("4"));
            assertEquals("Step: 0 / 1000", page.text("step-counter"));
            assertEquals(upload.getFileName() + " (3 docs)", page.text("dataset-current"));
            page.click("btn-step");
            page.waitFor("a step on the new data", d -> page.text("step-counter").equals("Step: 1 / 1000"));
            assertEquals("BOS", driver.findElement(By.cssSelector("#ov-input .tok")).getText());

            // Blank text holds no document: the server refuses it and the page says why.
            page.type("dataset-text", "   \n  ");
            page.click("btn-reset");
            page.waitFor("the error", d -> driver.findElement(By.id("error")).isDisplayed());
            assertTrue(page.text("error-text").contains("holds no documents"), page.text("error-text"));
            assertEquals("3", page.text("num-docs"));
            assertEquals("Step: 1 / 1000", page.text("step-counter"));
        } finally {
            Files.deleteIfExists(upload);
            Fixtures.resetToTheNames(api);
        }
    }

    @Test
    void theWeightsTableFiltersByMatrixAndFollowsTraining() {
        Select filter = new Select(driver.findElement(By.id("weights-filter")));
        filter.selectByValue("lm_head");
        page.waitFor("the lm_head rows", d -> page.text("weights-count").startsWith("432 parameters"));
        List<String> cells = rendered(d -> d.findElement(By.cssSelector("#weights-rows .wrow"))
                .findElements(By.tagName("span")).stream().map(WebElement::getText).toList());
        assertEquals(List.of("688", "lm_head", "0", "0"), cells.subList(0, 4));
        String before = cells.get(4);
        page.click("btn-step");
        page.waitFor("the weights of step 1", d -> page.text("weights-count").endsWith("step 1"));
        String after = firstWeightShown();
        assertFalse(before.equals(after), "lm_head[0][0] changed with the step: " + before + " -> " + after);
        double server = api.get("api/weights?matrix=lm_head").json().getAsJsonArray("values").get(0).getAsDouble();
        // The page shows six decimals of the value it was sent (rounded to float precision on the way).
        assertEquals(server, Double.parseDouble(after), 1.5e-6, "the page shows the server's lm_head[0][0]");
    }

    @Test
    void aSavedModelComesBackWithItsWeightsAndStepAfterReset() throws IOException {
        for (int k = 1; k <= 3; k++) {
            page.click("btn-step");
            int step = k;
            page.waitFor("step " + step, d -> page.text("step-counter").equals("Step: " + step + " / 1000"));
        }
        new Select(driver.findElement(By.id("weights-filter"))).selectByValue("lm_head");
        page.waitFor("the lm_head rows of step 3", d -> page.text("weights-count").equals("432 parameters · step 3"));
        String savedCell = firstWeightShown();
        JsonArray saved = api.get("api/weights").json().getAsJsonArray("values");

        driver.findElement(By.cssSelector("#models summary")).click();
        page.waitFor("the empty list", d -> page.text("ckpt-dir").startsWith("Saved in "));
        // A name that is a path is refused, and the page says why.
        page.type("ckpt-name", "../elsewhere");
        page.click("btn-save");
        page.waitFor("the error", d -> driver.findElement(By.id("error")).isDisplayed());
        assertTrue(page.text("error-text").startsWith("The checkpoint name must be 1 to 64 letters"),
                page.text("error-text"));
        page.click("error-close");

        page.type("ckpt-name", "browser-run");
        page.click("btn-save");
        page.waitFor("the note on the save",
                d -> page.text("notice").startsWith("Saved the model as \"browser-run\" (step 3 of 1000)"));
        page.waitFor("the model in the list",
                d -> "1".equals(driver.findElement(By.id("ckpt-list")).getAttribute("data-count")));
        assertTrue(page.text("ckpt-list").startsWith("browser-run · gpt · step 3 / 1000 · "), page.text("ckpt-list"));

        page.click("btn-reset");
        page.waitFor("a new model", d -> page.text("step-counter").equals("Step: 0 / 1000")
                && page.text("weights-count").equals("432 parameters · step 0"));
        assertNotEquals(savedCell, firstWeightShown(), "Reset made new weights");

        page.type("ckpt-name", "");
        new Select(driver.findElement(By.id("ckpt-list"))).selectByValue("browser-run");
        assertEquals("browser-run", driver.findElement(By.id("ckpt-name")).getDomProperty("value"),
                "picking a model fills in its name");
        page.click("btn-load");
        page.waitFor("the loaded model", d -> page.text("step-counter").equals("Step: 3 / 1000")
                && page.text("weights-count").equals("432 parameters · step 3"));
        assertEquals(savedCell, firstWeightShown(), "the page shows the saved lm_head[0][0]");
        assertTrue(page.text("notice").contains("training goes on exactly where it was saved"), page.text("notice"));
        assertEquals(saved, api.get("api/weights").json().getAsJsonArray("values"), "every weight, as saved");
        screenshot("checkpoints.png");
        // The next step is step 4 of the saved run.
        page.click("btn-step");
        page.waitFor("step 4", d -> page.text("step-counter").equals("Step: 4 / 1000"));
    }

    /**
     * The table colours a number as the heatmaps do, blue below 0 and red above, and a gradient of
     * exactly 0 grey: before the first step every gradient is 0, and was shown red, as if positive.
     */
    @Test
    void aGradientOfZeroIsNeitherRedNorBlue() {
        page.waitFor("the weights table", d -> page.text("weights-count").endsWith("step 0"));
        List<List<String>> rows = rendered(d -> d.findElements(By.cssSelector("#weights-rows .wrow")).stream()
                .map(row -> row.findElements(By.tagName("span")).stream()
                        .map(span -> span.getText() + " " + span.getDomAttribute("class")).toList())
                .toList());
        for (List<String> row : rows) {
            assertEquals("0 zero", row.get(5), "the gradient cell of " + row);
            String value = row.get(4);
            assertEquals(value.startsWith("-") ? "neg" : "pos", value.substring(value.indexOf(' ') + 1),
                    "the value cell of " + row);
        }
    }

    private String firstWeightShown() {
        return rendered(d -> d.findElement(By.cssSelector("#weights-rows .wrow span:nth-child(5)")).getText());
    }

    /**
     * Reads what the virtual weights table shows. It redraws its rows when new values arrive, so
     * a row found a moment ago may be gone: read again from the new rows, as a user's eye would.
     */
    private <T> T rendered(Function<WebDriver, T> read) {
        return new WebDriverWait(driver, BrowserSession.WAIT).ignoring(StaleElementReferenceException.class)
                .until(read::apply);
    }

    @Test
    void screenshotsAfterTrainingAndWhileGenerating() throws IOException {
        page.type("num-steps", "600");
        page.click("btn-run");
        page.waitFor("600 steps",
                d -> page.text("step-counter").equals("Step: 600 / 600") && page.text("btn-run").equals("Run"));
        page.click("btn-generate");
        page.waitFor("20 samples", d -> "20".equals(driver.findElement(By.id("samples")).getAttribute("data-count")));
        for (int i = 1; i <= 3; i++) {
            page.click("btn-genstep");
            int tokens = i;
            page.waitFor("gen step " + i,
                    d -> page.text("gen-progress").contains("so far") || page.text("overlay-detail").contains("finished")
                    || tokens > 1);
        }
        page.waitFor("generation mode", d -> mode().equals("Generation"));
        screenshot("generating.png");
        assertTrue(Files.size(BrowserSession.screenshots().resolve("generating.png")) > 10_000);
        // The lower half: the weights of one matrix with their gradients, and the text.
        new Select(driver.findElement(By.id("weights-filter"))).selectByValue("layer0.attn_wq");
        page.waitFor("the attn_wq rows", d -> page.text("weights-count").startsWith("256 parameters"));
        page.script("document.getElementById('h-weights').scrollIntoView();");
        screenshot("weights.png");
    }

    // ------------------------------------------------------------------------------ helpers

    /** The overlay's mode as written (the page shows it in capitals through CSS). */
    private String mode() {
        return driver.findElement(By.id("overlay-mode")).getDomProperty("textContent");
    }

    private int counter() {
        String counter = page.text("step-counter");
        return Integer.parseInt(counter.substring("Step: ".length(), counter.indexOf(" /")));
    }

    private void screenshot(String name) throws IOException {
        page.waitForCalmDiagram();
        page.screenshot(name);
    }
}
