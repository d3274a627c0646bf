package io.github.microgpt.examples.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.Select;

/**
 * The Autograd panel in a real browser (as {@link SimulatorBrowserTest}): it draws the graph of a
 * live expression and walks {@code backward()} one addition at a time, ending at the gradients
 * the server's {@code Value.backward()} gave.
 */
class AutogradPanelBrowserTest extends WithBrowser {

    @Test
    void thePanelWalksBackwardNodeByNodeToTheServersGradients() throws IOException {
        openNewRun();

        // Before any step the panel says why there is no graph.
        page.click(By.cssSelector("#autograd-panel summary"));
        page.waitFor("the panel's note", d -> page.text("ag-title").startsWith("there is no current position yet"));

        page.click(By.id("btn-step"));
        page.click(By.id("btn-step"));
        page.waitFor("two steps", d -> page.text("step-counter").equals("Step: 2 / 1000"));
        page.click(By.id("ag-build"));
        JsonObject graph = api.get("api/autograd?expr=neuron").json();
        int steps = graph.getAsJsonArray("steps").size();
        page.waitFor("the neuron's graph", d -> page.text("ag-progress").equals("addition 0 / " + steps));
        assertTrue(page.text("ag-title").startsWith("the logit of "), page.text("ag-title"));
        assertEquals("built at step 2, position 1", page.text("ag-built"));
        JsonArray nodes = graph.getAsJsonArray("nodes");
        int root = nodes.size() - 1;
        assertEquals("1", nodeGrad(root), "backward() starts with the result's grad at 1");
        assertEquals("grad 1.0000", gradText(root));

        // One step: the first addition, with its numbers, changes the grad of its child.
        JsonObject first = graph.getAsJsonArray("steps").get(0).getAsJsonObject();
        int child = first.get("child").getAsInt();
        String startText = page.text("ag-step-text");
        assertEquals("0", nodeGrad(child));
        page.click(By.id("ag-step"));
        page.waitFor("the first addition", d -> page.text("ag-progress").equals("addition 1 / " + steps));
        assertNotEquals(startText, page.text("ag-step-text"));
        assertTrue(page.text("ag-step-text").contains(".grad += local × logit.grad = "), page.text("ag-step-text"));
        assertEquals(first.get("after").getAsDouble(), Double.parseDouble(nodeGrad(child)));
        assertNotEquals("grad 0.0000", gradText(child));
        assertEquals(1, driver.findElements(By.cssSelector("#ag-graph g.ag-child")).size());
        assertEquals(1, driver.findElements(By.cssSelector("#ag-graph g.ag-edge")).size());
        // The marked child, parent and edge are those of the step (found by the SVG's ids).
        assertEquals("n" + child, driver.findElement(By.cssSelector("#ag-graph g.ag-child")).getDomAttribute("id"));
        assertEquals("n" + first.get("parent").getAsInt(),
                driver.findElement(By.cssSelector("#ag-graph g.ag-parent")).getDomAttribute("id"));
        assertEquals("e" + first.get("edge").getAsInt(),
                driver.findElement(By.cssSelector("#ag-graph g.ag-edge")).getDomAttribute("id"));

        // Back undoes it; Run to end makes every addition.
        page.click(By.id("ag-back"));
        page.waitFor("the undone addition", d -> page.text("ag-progress").equals("addition 0 / " + steps));
        assertEquals("0", nodeGrad(child));
        page.click(By.id("ag-end"));
        page.waitFor("the whole walk", d -> page.text("ag-progress").equals("addition " + steps + " / " + steps));
        assertTrue(page.text("ag-step-text").endsWith("Done: every grad now equals what Value.backward() gave."),
                page.text("ag-step-text"));
        for (int id = 0; id < nodes.size(); id++) {
            assertEquals(nodes.get(id).getAsJsonObject().get("grad").getAsDouble(), Double.parseDouble(nodeGrad(id)),
                    "node " + id + ": the page's grad is the server's backward()");
        }
        screenshot("autograd-neuron.png");

        // The attention score of head 1, walked step by step to its end.
        new Select(driver.findElement(By.id("ag-expr"))).selectByValue("attention");
        page.waitFor("the score's graph", d -> page.text("ag-title").startsWith("the attention score of head 0"));
        new Select(driver.findElement(By.id("ag-head"))).selectByValue("1");
        page.waitFor("head 1", d -> page.text("ag-title").startsWith("the attention score of head 1"));
        JsonObject score = api.get("api/autograd?expr=attention&head=1").json();
        JsonArray scoreSteps = score.getAsJsonArray("steps");
        page.waitFor("the walk at its start",
                d -> page.text("ag-progress").equals("addition 0 / " + scoreSteps.size()));
        for (int k = 0; k < scoreSteps.size(); k++) {
            String before = page.text("ag-step-text");
            page.click(By.id("ag-step"));
            int done = k + 1;
            page.waitFor("addition " + done, d -> page.text("ag-progress").startsWith("addition " + done + " /"));
            assertNotEquals(before, page.text("ag-step-text"), "each step shows its own addition");
            JsonObject step = scoreSteps.get(k).getAsJsonObject();
            assertEquals(step.get("after").getAsDouble(), Double.parseDouble(nodeGrad(step.get("child").getAsInt())));
        }
        JsonArray scoreNodes = score.getAsJsonArray("nodes");
        for (int id = 0; id < scoreNodes.size(); id++) {
            assertEquals(scoreNodes.get(id).getAsJsonObject().get("grad").getAsDouble(),
                    Double.parseDouble(nodeGrad(id)), "score node " + id);
        }
        assertTrue(page.text("ag-step-text").endsWith("Done: every grad now equals what Value.backward() gave."));
        assertTrue(driver.findElement(By.id("ag-step")).getDomProperty("disabled").equals("true"));
        screenshot("autograd-attention.png");
    }

    /**
     * The walk starts at the result (its grad set to 1, outlined), so the result is in view then,
     * however wide the graph: the panel used to open at the graph's left end, on the leaves,
     * while its text spoke of the result, off to the right; and Reset left the view wherever the
     * walk had ended.
     */
    @Test
    void theResultIsInViewWhenTheWalkStarts() throws IOException {
        openNewRun();
        for (int k = 1; k <= 3; k++) {
            page.click(By.id("btn-step"));
            int step = k;
            page.waitFor("step " + k, d -> page.text("step-counter").equals("Step: " + step + " / 1000"));
        }
        page.click(By.cssSelector("#autograd-panel summary"));
        int root = api.get("api/autograd?expr=neuron").json().getAsJsonArray("nodes").size() - 1;
        page.waitFor("the neuron's graph", d -> page.text("ag-progress").startsWith("addition 0 / "));
        assertTrue((Boolean) page.script("const g = document.getElementById('ag-graph');"
                + " return g.scrollWidth > g.clientWidth + 100;"), "the check needs a graph wider than its panel");
        assertEquals("", resultOutOfView(root), "at the start of the walk");
        page.click(By.id("ag-end"));
        page.waitFor("the whole walk", d -> page.text("ag-step-text").contains("Done"));
        page.click(By.id("ag-reset"));
        page.waitFor("the walk at its start again", d -> page.text("ag-progress").startsWith("addition 0 / "));
        assertEquals("", resultOutOfView(root), "after Reset");
    }

    /** "" if the result's box is inside the visible part of the graph's panel, else where each lies. */
    private String resultOutOfView(int root) {
        return (String) page.script("const g = document.getElementById('ag-graph');"
                + " const view = g.getBoundingClientRect();"
                + " const box = g.querySelector('svg > g#n' + arguments[0]).getBoundingClientRect();"
                + " return box.left >= view.left - 0.5 && box.right <= view.right + 0.5 ? ''"
                + "   : 'result at ' + Math.round(box.left) + '-' + Math.round(box.right) + ' px, panel shows '"
                + "     + Math.round(view.left) + '-' + Math.round(view.right);", root);
    }

    /**
     * The page does not move under the pointer when its first state arrives: the panel's
     * summary, the target of the first click of the test above, is where it was in the page
     * before anything was drawn. The loss chart's canvas once took 686 px until its first
     * drawing made it 230, and a click aimed in between landed 453 px off.
     */
    @Test
    void thePanelIsWhereItWasBeforeThePageWasDrawn() throws IOException {
        // The page's files without a server: nothing arrives, nothing is drawn.
        Path files = Files.createDirectories(page.scratch("web"));
        for (String file : List.of("index.html", "app.js", "charts.js", "style.css", "autograd.js", "autograd.css",
                "favicon.svg")) {
            try (InputStream in = SimulatorServer.class.getResourceAsStream(
                    "/io/github/microgpt/examples/simulator/web/" + file)) {
                Files.copy(in, files.resolve(file), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        driver.get(files.resolve("index.html").toUri().toString());
        long undrawn = summaryOffset();

        newRun();
        page.openPage();
        page.waitFor("the page drawn with its weights", d -> page.text("connection").equals("live")
                && page.text("weights-count").equals("4,192 parameters in 9 matrices · step 0"));
        long drawn = summaryOffset();
        // Less than half the summary's height, so that a click aimed at its centre before still lands on it.
        assertTrue(Math.abs(drawn - undrawn) <= 8,
                "the Autograd panel's summary moved from " + undrawn + " px to " + drawn + " px below the top of the grid");
    }

    // ------------------------------------------------------------------------------ helpers

    /** How far the Autograd panel's summary is below the top of the page's grid of cards, in pixels. */
    private long summaryOffset() {
        return (Long) page.script("return Math.round(document.querySelector('#autograd-panel summary')"
                + ".getBoundingClientRect().top - document.querySelector('.grid').getBoundingClientRect().top);");
    }

    private String nodeGrad(int id) {
        return driver.findElement(By.cssSelector("#ag-graph g#n" + id)).getDomAttribute("data-grad");
    }

    private String gradText(int id) {
        List<WebElement> texts = driver.findElements(By.cssSelector("#ag-graph g#n" + id + " text"));
        return texts.get(texts.size() - 1).getDomProperty("textContent");
    }

    private void screenshot(String name) throws IOException {
        page.script("document.getElementById('autograd-panel').scrollIntoView();");
        page.screenshot(name);
    }
}
