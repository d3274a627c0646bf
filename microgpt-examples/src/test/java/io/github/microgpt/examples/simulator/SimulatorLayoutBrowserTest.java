package io.github.microgpt.examples.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The page's layout at the widths people use: a laptop, a narrow desktop window, a tablet and a
 * phone. Every control, chart and table lies inside its card, with the setup panels open.
 */
class SimulatorLayoutBrowserTest extends WithBrowser {

    /**
     * Wide screens, the laptop widths at which the left column is a third of the page (there the
     * five buttons ran 2-70 px past their card), both sides of the one-column switch at 1,100 px,
     * a tablet and two phones.
     */
    private static final List<Integer> WIDTHS = List.of(1920, 1440, 1400, 1280, 1200, 1101, 1099, 800, 420, 360);

    /**
     * Every button, field, list, chart and table of a card that runs past the card's left or right
     * edge, as sentences; the argument is the id of the frame that holds the page. The setup
     * panels are opened first, so that their fields are laid out too.
     */
    private static final String OUTSIDE_THEIR_CARD = """
            const doc = document.getElementById(arguments[0]).contentDocument;
            for (const details of doc.querySelectorAll('details')) details.open = true;
            const problems = [];
            for (const card of doc.querySelectorAll('.card')) {
              const c = card.getBoundingClientRect();
              const parts = card.querySelectorAll('button, input, select, textarea, canvas, svg, table, pre, .stat, .wtable');
              for (const part of parts) {
                const r = part.getBoundingClientRect();
                if (r.width === 0 && r.height === 0) continue;
                if (r.left < c.left - 0.5 || r.right > c.right + 0.5) {
                  problems.push((part.id || part.tagName.toLowerCase()) + ' runs past its card ('
                      + card.getAttribute('aria-labelledby') + ') by '
                      + Math.round(Math.max(c.left - r.left, r.right - c.right)) + ' px');
                }
              }
            }
            return problems;
            """;

    @Test
    void everyControlStaysInsideItsCardAtEveryWidth() {
        page.openPage();
        List<String> problems = new ArrayList<>();
        for (int width : WIDTHS) {
            // The page at that width, its state and weights arrived (the document count replaces its dash).
            String frame = "at-" + width;
            page.openInFrame(frame, width, "the page and its weights", "doc.getElementById('num-docs') !== null"
                    + " && doc.getElementById('num-docs').textContent !== '\u2013'"
                    + " && doc.querySelectorAll('#weights-rows .wrow').length > 0");
            @SuppressWarnings("unchecked")
            List<String> found = (List<String>) page.script(OUTSIDE_THEIR_CARD, frame);
            found.forEach(problem -> problems.add("at " + width + " px: " + problem));
            page.script("document.getElementById(arguments[0]).remove();", frame);
        }
        assertEquals(List.of(), problems);
    }
}
