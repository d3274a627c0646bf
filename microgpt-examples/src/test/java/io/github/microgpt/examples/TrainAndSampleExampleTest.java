package io.github.microgpt.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.text.Documents;
import io.github.microgpt.text.Tokenizer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The train-and-sample example says what each stage made, learns (its loss falls) and prints five names. */
class TrainAndSampleExampleTest {

    private static final Pattern LOSS = Pattern.compile("  steps +(\\d+)- *(\\d+): mean loss (\\d+\\.\\d{4})");
    private static final Pattern SAMPLE = Pattern.compile("  sample (\\d): ([a-z]+)");

    @Test
    void theLossFallsAndItPrintsFiveNames() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        TrainAndSampleExample.run(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String[] lines = bytes.toString(StandardCharsets.UTF_8).split("\\R");

        List<Double> losses = new ArrayList<>();
        List<String> names = new ArrayList<>();
        List<String> stages = new ArrayList<>();
        for (String line : lines) {
            Matcher loss = LOSS.matcher(line);
            Matcher sample = SAMPLE.matcher(line);
            if (loss.matches()) {
                assertEquals(losses.size() * 50 + 1, Integer.parseInt(loss.group(1)), line);
                losses.add(Double.parseDouble(loss.group(3)));
            } else if (sample.matches()) {
                assertEquals(names.size() + 1, Integer.parseInt(sample.group(1)), line);
                names.add(sample.group(2));
            } else if (!line.startsWith(" ")) {
                stages.add(line);
            } else {
                throw new AssertionError("unexpected line: " + line);
            }
        }
        // What each stage made, in the order the source makes it, with the numbers the library reports.
        int names3966 = Documents.embeddedNames().size();
        assertEquals(List.of(
                "Documents: " + names3966 + " names (the list embedded in the library), shuffled with seed 42.",
                "Tokenizer: 27 tokens, one per character and BOS, which marks a name's start and end.",
                "Model: 4192 parameters (1 layer, embeddings of 16, 4 heads, a context of 16 tokens), random at first.",
                "Training: 300 steps of one name each; Adam updates every parameter after each step.",
                "The loss is how surprised the model is by each next token: ln 27 = 3.2958 for a uniform guess.",
                "Sampling: new names at temperature 0.5, one character at a time until the model draws BOS."), stages);
        assertEquals(27, Tokenizer.fromDocuments(Documents.embeddedNames()).vocabSize());
        assertTrue(lines[0].startsWith("Documents:") && lines[lines.length - 1].startsWith("  sample 5:"),
                "stages and numbers come in the order the source computes them");
        assertEquals(6, losses.size(), "300 steps in windows of 50");
        assertEquals(5, names.size());
        assertTrue(losses.get(5) < losses.get(0) - 0.3, "training lowers the loss: " + losses);
    }
}
