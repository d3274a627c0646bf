package io.github.microgpt.examples.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.support.ui.Select;

/**
 * What the Autograd panel writes, as a student reads it: BOS as the page writes it everywhere
 * else, and every leaf of the graph named and explained where it is drawn (the 0 Python's
 * {@code sum} starts from was a leaf labelled "const" that nothing on the page explained).
 */
class AutogradLabelsBrowserTest extends WithBrowser {

    @Test
    void theTitleWritesBosAsThePageDoesAndTheSumsStartIsExplained() {
        openNewRun();
        // A document step shows its last position, whose target is BOS: the neuron is BOS's logit.
        page.click(By.cssSelector("label:has(input[name='step-mode'][value='document'])"));
        page.click(By.id("btn-step"));
        page.waitFor("one step", d -> page.text("step-counter").equals("Step: 1 / 1000"));
        page.click(By.cssSelector("#autograd-panel summary"));
        page.click(By.id("ag-build"));
        page.waitFor("the neuron's graph", d -> page.text("ag-title").startsWith("the logit of "));
        String title = page.text("ag-title");
        assertTrue(title.startsWith("the logit of BOS (token 26) at position "), title);
        assertFalse(title.contains("<BOS>"), title);
        assertTrue(title.contains("the leaf \u201cstart\u201d is the 0 the sum starts from, as Python's sum() does"),
                title);
        assertLeafIsDrawn("start", "0.0000");

        new Select(driver.findElement(By.id("ag-expr"))).selectByValue("attention");
        page.waitFor("the score's graph", d -> page.text("ag-title").startsWith("the attention score of head 0"));
        String score = page.text("ag-title");
        assertTrue(score.contains("the leaf \u201cstart\u201d is the 0 the sum starts from"), score);
        assertTrue(score.contains("\u201c1/\u221ad\u201d is 1/sqrt(4)"), score);
        assertLeafIsDrawn("start", "0.0000");
        assertLeafIsDrawn("1/\u221ad", "0.5000");
        // No leaf is left with a name the page does not explain.
        for (JsonElement node : api.get("api/autograd?expr=attention").json().getAsJsonArray("nodes")) {
            JsonObject n = node.getAsJsonObject();
            assertFalse(n.has("label") && !n.get("label").isJsonNull() && n.get("label").getAsString().equals("const"),
                    n.toString());
        }
    }

    /** A box of the drawn graph with this label shows this value. */
    private void assertLeafIsDrawn(String label, String data) {
        Object found = page.script("for (const g of document.querySelectorAll('#ag-graph svg > g[id^=\"n\"]')) {"
                + " const texts = [...g.querySelectorAll('text')].map(t => t.textContent);"
                + " if (texts[0] === arguments[0] && texts.includes('data ' + arguments[1])) return true; }"
                + " return false;", label, data);
        assertEquals(Boolean.TRUE, found, "a leaf \"" + label + "\" with data " + data);
    }
}
