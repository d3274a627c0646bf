package io.github.microgpt.examples.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.support.ui.Select;

/**
 * The models of the progression and a saved run's loss curve in a real browser (found as for
 * {@link SimulatorBrowserTest}): the learner picks a model on Reset, trains a few steps and sees
 * that model's diagram, weights, log, samples and, only where the model has it, attention; and
 * draws a saved run's loss curve beside the live one.
 */
class SimulatorModelsBrowserTest extends WithBrowser {

    /** Counts the pixels of the saved run's smoothed curve (#9333ea) on the loss chart. */
    private static final String SAVED_PIXELS = "const c = document.getElementById('loss-canvas');"
            + "const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
            + "let n = 0; for (let i = 0; i < d.length; i += 4) {"
            + "  if (d[i + 3] > 200 && d[i] > 120 && d[i] < 175 && d[i + 1] < 90 && d[i + 2] > 200) n++; }"
            + "return n;";

    /** Every test starts from the default GPT and a freshly loaded page. */
    @BeforeEach
    void theGptAndAFreshPage() {
        Fixtures.Answer answer = api.post("api/reset", "{\"numSteps\": 1000, \"model\": \"gpt\", \"engine\": \"value\","
                + " \"config\": {\"nLayer\": 1, \"nEmbd\": 16, \"nHead\": 4, \"blockSize\": 16}}");
        assertEquals(200, answer.status(), answer.body());
        page.openPage();
        page.waitFor("the page connected and drew the server's state",
                d -> page.text("connection").equals("live") && page.text("step-counter").equals("Step: 0 / 1000")
                        && page.text("num-params").equals("4,192"));
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
        assertFalse(page.text("model-note").isEmpty());
        page.click("btn-reset");
        page.waitFor("the " + model + " model",
                d -> page.text("num-params").equals(params) && model.equals(diagramModel()));
        assertEquals(model, api.state().get("model").getAsString());

        // The diagram shows the chosen model's blocks.
        List<String> labels = driver.findElements(By.cssSelector("#diagram .node text")).stream()
                .map(e -> e.getDomProperty("textContent")).toList();
        assertTrue(labels.contains(block), model + " draws " + block + ": " + labels);
        assertFalse(labels.contains(absent), model + " has no " + absent + ": " + labels);
        assertTrue(labels.contains("Logits"), labels.toString());
        assertTrue(page.text("arch-caption").contains(model.equals("mlp") ? "MLP" : model.equals("gpt") ? "GPT" : model),
                page.text("arch-caption"));

        for (int k = 1; k <= 3; k++) {
            page.click("btn-step");
            int step = k;
            page.waitFor("step " + step, d -> page.text("step-counter").equals("Step: " + step + " / 1000"));
        }
        assertEquals(3, page.text("log").lines().count(), "one log line per step");
        page.waitFor("the loss curve",
                d -> "3".equals(driver.findElement(By.id("loss-canvas")).getAttribute("data-points")));
        page.waitFor("the weights of step 3",
                d -> page.text("weights-count").equals(params + " parameters in " + matrices
                + (matrices == 1 ? " matrix" : " matrices") + " · step 3"));
        assertTrue(page.text("tag-in").contains("="), "the diagram's input tag: " + page.text("tag-in"));
        if (attention) {
            page.waitFor("one heatmap per head",
                    d -> driver.findElements(By.cssSelector("#attn-grid canvas")).size() == 4);
            assertFalse(driver.findElement(By.id("attn-note")).isDisplayed());
        } else {
            assertTrue(driver.findElement(By.id("attn-note")).isDisplayed(), "the note says why there is no attention");
            assertTrue(page.text("attn-note").contains("has no attention"), page.text("attn-note"));
            assertEquals(0, driver.findElements(By.cssSelector("#attn-grid canvas")).size());
            assertTrue(page.text("tag-pos").endsWith("(not read)"), page.text("tag-pos"));
        }
        page.click("btn-generate");
        page.waitFor("20 samples", d -> "20".equals(driver.findElement(By.id("samples")).getAttribute("data-count")));
        screenshot("model-" + model + ".png");
    }

    @Test
    void aSavedRunsLossCurveIsDrawnBesideTheLiveOneAndRemoved() throws IOException {
        page.type("num-steps", "40");
        page.click("btn-run");
        page.waitFor("40 steps",
                d -> page.text("step-counter").equals("Step: 40 / 40") && page.text("btn-run").equals("Run"));
        driver.findElement(By.cssSelector("#models summary")).click();
        page.type("ckpt-name", "first-run");
        page.click("btn-save");
        page.waitFor("the save", d -> page.text("notice").startsWith("Saved the model as \"first-run\""));
        page.waitFor("the run in the chart's list", d -> "1".equals(driver.findElement(By.id("overlay-run"))
                .getAttribute("data-count")));
        assertEquals("first-run · gpt · 40 steps",
                new Select(driver.findElement(By.id("overlay-run"))).getOptions().get(1).getText(),
                "the list says each saved model's kind");

        // A new run of another model, beside the saved one.
        driver.findElement(By.cssSelector("#setup summary")).click();
        new Select(driver.findElement(By.id("cfg-model"))).selectByValue("bigram");
        page.click("btn-reset");
        page.waitFor("the bigram model",
                d -> page.text("num-params").equals("729") && page.text("step-counter").equals("Step: 0 / 40"));
        assertEquals(0L, pixels(), "no saved curve before one is chosen");
        assertFalse(driver.findElement(By.id("legend-saved")).isDisplayed());

        new Select(driver.findElement(By.id("overlay-run"))).selectByValue("first-run");
        page.click("btn-overlay");
        page.waitFor("the saved curve", d -> "40".equals(driver.findElement(By.id("loss-canvas"))
                .getAttribute("data-saved-points")));
        assertTrue(driver.findElement(By.id("legend-saved")).isDisplayed());
        assertEquals("saved: first-run (gpt, 40 steps)", page.text("saved-name"));
        assertTrue(pixels() > 50, "the saved curve is drawn in purple: " + pixels() + " pixels");
        for (int k = 1; k <= 5; k++) {
            page.click("btn-step");
            int step = k;
            page.waitFor("step " + step, d -> page.text("step-counter").equals("Step: " + step + " / 40"));
        }
        page.waitFor("the live curve beside it", d -> "5".equals(driver.findElement(By.id("loss-canvas"))
                .getAttribute("data-points")));
        assertEquals("40", driver.findElement(By.id("loss-canvas")).getAttribute("data-saved-points"),
                "the saved curve stays while the live one grows");
        assertTrue(pixels() > 50);
        screenshot("loss-overlay.png");

        page.click("btn-unoverlay");
        page.waitFor("the saved curve removed", d -> "0".equals(driver.findElement(By.id("loss-canvas"))
                .getAttribute("data-saved-points")));
        assertFalse(driver.findElement(By.id("legend-saved")).isDisplayed());
        assertEquals(0L, pixels(), "no purple left");

        // A run saved before its first step has no curve: the page says why.
        page.type("ckpt-name", "unstarted");
        page.click("btn-reset");
        page.waitFor("a new model", d -> page.text("step-counter").equals("Step: 0 / 40"));
        page.click("btn-save");
        page.waitFor("the second save",
                d -> "2".equals(driver.findElement(By.id("overlay-run")).getAttribute("data-count")));
        new Select(driver.findElement(By.id("overlay-run"))).selectByValue("unstarted");
        page.click("btn-overlay");
        page.waitFor("the error", d -> driver.findElement(By.id("error")).isDisplayed());
        assertTrue(page.text("error-text").contains("was saved before its first step"), page.text("error-text"));
    }

    /**
     * The page has no rule of its own for a checkpoint name: it sends exactly what was typed, and
     * shows the server's refusal, so the two cannot disagree. The old page trimmed the name
     * (" run " was saved as "run") and cut a pasted name at 64 characters (a 70-character name
     * was saved under its first 64): names the server refuses were saved under other names,
     * without a word.
     */
    @ParameterizedTest(name = "\"{0}\"")
    @ValueSource(strings = {"run.", "run..", " run", "run ", "a b", "-run", "NUL", "com1.txt", "../run",
        "a-name-of-seventy-characters-that-is-longer-than-sixty-four-characters"})
    void aCheckpointNameTheServerRefusesIsRefusedOnThePageWithTheServersWords(String name) {
        Fixtures.Answer refusal = api.post("api/save", "{\"name\": " + new com.google.gson.JsonPrimitive(name) + "}");
        assertEquals(400, refusal.status(), refusal.body());
        String expected = refusal.json().get("error").getAsString();
        String before = api.get("api/checkpoints").body();
        driver.findElement(By.cssSelector("#models summary")).click();
        page.type("ckpt-name", name);
        page.click("btn-save");
        page.waitFor("the error", d -> driver.findElement(By.id("error")).isDisplayed());
        assertEquals(expected, page.text("error-text"), "the page shows the server's words for \"" + name + "\"");
        page.click("error-close");
        page.click("btn-load");
        page.waitFor("the error", d -> driver.findElement(By.id("error")).isDisplayed());
        assertEquals(expected, page.text("error-text"), "Load too");
        page.click("error-close");
        assertEquals(before, api.get("api/checkpoints").body(), "nothing was saved");
    }

    // ------------------------------------------------------------------------------ helpers

    private long pixels() {
        return (Long) page.script(SAVED_PIXELS);
    }

    private String diagramModel() {
        return (String) page.script("return document.getElementById('diagram').dataset.model;");
    }

    private void screenshot(String name) throws IOException {
        page.waitForCalmDiagram();
        page.screenshot(name);
    }
}
