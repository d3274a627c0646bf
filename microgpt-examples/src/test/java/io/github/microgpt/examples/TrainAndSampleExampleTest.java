package io.github.microgpt.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.text.Documents;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The train-and-sample example is README's "Using the library" program with a line before each
 * stage: without those lines it prints README's block, line for line (the same losses, the same
 * names), and the stage lines say what each stage made, with the numbers the library reports.
 */
class TrainAndSampleExampleTest {

    /** A fenced block of README: its language (possibly empty) and its text. */
    private static final Pattern FENCE = Pattern.compile("(?ms)^```([a-z]*)\\n(.*?)^```\\s*$");
    private static final Pattern LOSS = Pattern.compile("steps +(\\d+)- *(\\d+): mean loss (\\d+\\.\\d{3})");

    @Test
    void itPrintsReadmesOutputWithALineBeforeEachStage() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        TrainAndSampleExample.run(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        List<String> lines = new ArrayList<>(List.of(bytes.toString(StandardCharsets.UTF_8).split("\\R")));

        // What each stage made, in the order the source makes it, with the numbers the library reports.
        int names = Documents.embeddedNames().size();
        List<String> stages = List.of(
                "Documents: " + names + " names (the list embedded in the library), shuffled with seed 42.",
                "Tokenizer: 27 tokens, one per character and BOS, which marks a name's start and end.",
                "Model: 4192 parameters (1 layer, embeddings of 16, 4 heads, a context of 16 tokens), random at first.",
                "Training: 1000 steps of one name each; Adam updates every parameter after each step.",
                "The loss is how surprised the model is by each next token: ln 27 = 3.2958 for a uniform guess."
                        + " Its mean over every 250 steps:",
                "Sampling: 10 new names at temperature 0.5, one character at a time until the model draws BOS:");
        assertEquals(stages.subList(0, 5), lines.subList(0, 5), "the stages before training");
        assertEquals(stages.get(5), lines.get(lines.size() - 2), "the stage before sampling");
        List<String> results = new ArrayList<>(lines.subList(5, lines.size() - 2));
        results.add(lines.get(lines.size() - 1));

        assertEquals(readmesOutput(), results, "without its stage lines, the example prints what README's program"
                + " of \"Using the library\" prints");
        List<Double> losses = new ArrayList<>();
        for (String line : results.subList(0, 4)) {
            Matcher loss = LOSS.matcher(line);
            assertTrue(loss.matches(), line);
            losses.add(Double.parseDouble(loss.group(3)));
        }
        assertTrue(losses.get(3) < losses.get(0) - 0.2, "training lowers the loss: " + losses);
        assertEquals(10, results.get(4).split(", ").length, "ten names: " + results.get(4));
    }

    /** The lines of the block that README says its {@code TrainAndSample} program prints. */
    private static List<String> readmesOutput() throws IOException {
        Path readme = Path.of("../README.md");
        assertTrue(Files.isRegularFile(readme), "README.md beside the module, at " + readme.toAbsolutePath());
        Matcher fence = FENCE.matcher(Files.readString(readme, StandardCharsets.UTF_8));
        boolean program = false;
        while (fence.find()) {
            if (program && fence.group(1).isEmpty()) {
                return List.of(fence.group(2).split("\n"));
            }
            program = fence.group(1).equals("java") && fence.group(2).contains("public class TrainAndSample {");
        }
        throw new AssertionError("README shows the program TrainAndSample and, in the next block, what it prints");
    }
}
