package io.github.microgpt.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The train-and-sample example learns (its loss falls) and prints five names. */
class TrainAndSampleExampleTest {

    private static final Pattern LOSS = Pattern.compile("steps +(\\d+)- *(\\d+): mean loss (\\d+\\.\\d{4})");
    private static final Pattern SAMPLE = Pattern.compile("sample: ([a-z]+)");

    @Test
    void theLossFallsAndItPrintsFiveNames() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        TrainAndSampleExample.run(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String[] lines = bytes.toString(StandardCharsets.UTF_8).split("\\R");

        List<Double> losses = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (String line : lines) {
            Matcher loss = LOSS.matcher(line);
            Matcher sample = SAMPLE.matcher(line);
            if (loss.matches()) {
                assertEquals(losses.size() * 50 + 1, Integer.parseInt(loss.group(1)), line);
                losses.add(Double.parseDouble(loss.group(3)));
            } else if (sample.matches()) {
                names.add(sample.group(1));
            } else {
                throw new AssertionError("unexpected line: " + line);
            }
        }
        assertEquals(6, losses.size(), "300 steps in windows of 50");
        assertEquals(5, names.size());
        assertTrue(losses.get(5) < losses.get(0) - 0.3, "training lowers the loss: " + losses);
    }
}
