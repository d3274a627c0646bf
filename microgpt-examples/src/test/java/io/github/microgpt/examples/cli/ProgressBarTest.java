package io.github.microgpt.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The progress bar's text and when it redraws, driven by a made-up clock. */
class ProgressBarTest {

    private static final long MS = 1_000_000L;

    @Test
    void showsSpeedAndTimeLeftFromTheAverageRate() {
        String line = ProgressBar.render("training", 50, 200, 2.0, 80);

        assertTrue(line.startsWith("training  25% ["), line);
        assertTrue(line.contains("  50/200 "), line);
        assertTrue(line.contains("  25.0 steps/s"), "50 steps in 2 s: " + line);
        assertTrue(line.endsWith("   0:06 left"), "150 steps at 25/s: " + line);
    }

    @Test
    void theBarIsFilledInProportionAndKeepsItsWidth() {
        int startWidth = barOf(ProgressBar.render("training", 0, 1000, 0, 80)).length();
        Random random = new Random(11);
        for (int i = 0; i < 1000; i++) {
            int total = 1000 + random.nextInt(9000);
            int done = random.nextInt(total + 1);
            double elapsed = 0.5 + random.nextDouble() * 100;
            String line = ProgressBar.render("training", done, total, elapsed, 80);
            String what = "seed 11, case " + i + ": done=" + done + " total=" + total + " elapsed=" + elapsed
                    + ": " + line;
            String bar = barOf(line);
            assertEquals((long) bar.length() * done / total, bar.chars().filter(c -> c == '=').count(), what);
            assertTrue(line.length() < 80, what);
            // Rates below 10,000 steps/s and times below 10 hours fit their fields: the bar keeps its width.
            if (done / elapsed < 9999.9 && done > 0 && (total - done) / (done / elapsed) < 35_000) {
                assertEquals(startWidth, bar.length(), what);
            }
        }
    }

    private static String barOf(String line) {
        return line.substring(line.indexOf('[') + 1, line.indexOf(']'));
    }

    @Test
    void fitsANarrowTerminal() {
        String line = ProgressBar.render("training", 5, 10, 1.0, 40);

        assertTrue(line.length() < 40, line);
    }

    @Test
    void formatsDurations() {
        assertEquals("0:00", ProgressBar.duration(0));
        assertEquals("0:59", ProgressBar.duration(59));
        assertEquals("1:05", ProgressBar.duration(65));
        assertEquals("59:59", ProgressBar.duration(3599));
        assertEquals("1:02:05", ProgressBar.duration(3725));
    }

    @Test
    void redrawsAtMostTenTimesASecondWhenStdoutIsElsewhere() {
        long[] now = {0};
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        ProgressBar bar = new ProgressBar(new PrintStream(err, true, StandardCharsets.UTF_8), "training", 100, false,
                80, () -> now[0]);
        bar.start();
        for (int step = 1; step <= 100; step++) {
            now[0] += 10 * MS;
            bar.beforeOutput();
            bar.update(step);
        }
        bar.close();

        String text = err.toString(StandardCharsets.UTF_8);
        long draws = text.split("training ", -1).length - 1;
        // start, then one per 100 ms of the 1 s run, then the final state.
        assertTrue(draws >= 10 && draws <= 12, draws + " draws: " + text);
        assertTrue(text.contains(" 100/100 "), text);
        assertTrue(text.endsWith("\r\033[K"), "erased at the end");
    }

    @Test
    void erasesItselfBeforeEachLineWhenStdoutSharesTheTerminal() {
        long[] now = {0};
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        ProgressBar bar = new ProgressBar(new PrintStream(err, true, StandardCharsets.UTF_8), "training", 10, true,
                80, () -> now[0]);
        bar.start();
        for (int step = 1; step <= 10; step++) {
            now[0] += MS;
            bar.beforeOutput();
            bar.update(step);
        }

        String text = err.toString(StandardCharsets.UTF_8);
        assertEquals(11, text.split("training ", -1).length - 1, "redrawn after every line: " + text);
        assertEquals(10, text.split("\r\033\\[K\r", -1).length - 1, "erased before every line: " + text);
    }

    @Test
    void drawsNothingOnceClosed() {
        long[] now = {0};
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        ProgressBar bar = new ProgressBar(new PrintStream(err, true, StandardCharsets.UTF_8), "training", 10, true,
                80, () -> now[0]);
        bar.start();
        bar.update(1);
        bar.close();
        int length = err.size();
        now[0] += 1_000 * MS;
        bar.beforeOutput();
        bar.update(2);
        bar.close();

        assertEquals(length, err.size(), "written after close: " + err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void readsTheTerminalWidthFromColumns() {
        assertEquals(120, ProgressBar.columns(context(Map.of("COLUMNS", "120"))));
        assertEquals(80, ProgressBar.columns(context(Map.of())));
        assertEquals(80, ProgressBar.columns(context(Map.of("COLUMNS", "wide"))));
        assertEquals(20, ProgressBar.columns(context(Map.of("COLUMNS", "3"))));
    }

    private static CliContext context(Map<String, String> environment) {
        return new CliContext(new ByteArrayOutputStream(), System.err, environment, null, null);
    }
}
