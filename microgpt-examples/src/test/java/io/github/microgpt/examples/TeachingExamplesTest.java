package io.github.microgpt.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The teaching examples run, print what their Javadoc and the README say, and their numbers add up. */
class TeachingExamplesTest {

    private static List<String> lines(Consumer<PrintStream> example) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        example.accept(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        return List.of(bytes.toString(StandardCharsets.UTF_8).split("\\R"));
    }

    private static final Pattern HELD_OUT = Pattern.compile("held-out loss (before|after) training: +(\\d+\\.\\d{4}).*");

    @Test
    void eachLessonTrainsItsModelAndShowsWhatItLearned() {
        List<Consumer<PrintStream>> lessons = List.of(out -> BigramExample.run(out, 60), out -> MlpExample.run(out, 60),
                out -> AttentionExample.run(out, 60), out -> GptExample.run(out, 60));
        List<String> names = List.of("bigram: 729 parameters", "mlp: 5232 parameters", "attention: 2144 parameters",
                "gpt: 4192 parameters");
        for (int i = 0; i < lessons.size(); i++) {
            List<String> lines = lines(lessons.get(i));
            assertEquals(names.get(i), lines.get(0));
            Matcher before = HELD_OUT.matcher(lines.get(1));
            assertTrue(before.matches(), lines.get(1));
            assertTrue(lines.get(1).endsWith("(a uniform guess: 3.2958)"), lines.get(1));
            for (int w = 0; w < 5; w++) {
                assertTrue(lines.get(2 + w).matches("  steps +\\d+- +\\d+: mean loss \\d\\.\\d{4}"), lines.get(2 + w));
            }
            Matcher after = HELD_OUT.matcher(lines.get(7));
            assertTrue(after.matches(), lines.get(7));
            assertTrue(Double.parseDouble(after.group(2)) < Double.parseDouble(before.group(2)),
                    names.get(i) + ": training lowers the held-out loss");
            assertTrue(lines.get(8).matches("likeliest first letters:( [a-z] 0\\.\\d{3}){5}"), lines.get(8));
            assertTrue(lines.get(9).matches("samples:( [a-z]*){5}"), lines.get(9));
            assertEquals(10, lines.size());
        }
    }

    @Test
    void theProgressionPrintsOneRowPerModel() {
        List<String> lines = lines(out -> ProgressionExample.run(out, 30));
        assertEquals(5, lines.size());
        assertTrue(lines.get(0).startsWith("model"), lines.get(0));
        String[] models = {"bigram", "mlp", "attention", "gpt"};
        for (int i = 0; i < models.length; i++) {
            assertTrue(lines.get(1 + i).matches(models[i] + " +\\d+ +\\d\\.\\d{4} +\\d\\.\\d{4}"), lines.get(1 + i));
        }
    }

    @Test
    void theEditedGptPrintsBothLossesAndTheirDifference() {
        List<String> lines = lines(out -> EditGptExample.run(out, 20));
        assertEquals(4, lines.size());
        double[] gpt = numbers(lines.get(1));
        double[] edited = numbers(lines.get(2));
        double[] difference = numbers(lines.get(3));
        assertEquals(edited[0] - gpt[0], difference[0], 2e-4);
        assertEquals(edited[1] - gpt[1], difference[1], 2e-4);
        assertTrue(difference[1] != 0, "the changed line changes the model");
    }

    private static double[] numbers(String line) {
        String[] parts = line.trim().split(" +");
        return new double[] {Double.parseDouble(parts[parts.length - 2]), Double.parseDouble(parts[parts.length - 1])};
    }

    @Test
    void lookingInsideShowsPredictionsAndHeldOutLossBeforeAndAfter() {
        List<String> lines = lines(out -> LookingInsideExample.run(out, 40));
        assertEquals(15, lines.size());
        assertEquals("untrained:", lines.get(0));
        assertTrue(lines.get(1).matches("  held-out loss: \\d\\.\\d{4}"), lines.get(1));
        assertTrue(lines.get(3).matches("  after \"em\": +( [a-z<>BOS]+ +0\\.\\d{3}){5}"), lines.get(3));
        assertTrue(lines.get(5).startsWith("trained 40 steps"), lines.get(5));
        double before = Double.parseDouble(lines.get(1).replaceAll("[^0-9.]", ""));
        double after = Double.parseDouble(lines.get(6).replaceAll("[^0-9.]", ""));
        assertTrue(after < before, lines.toString());
        assertEquals("  attention from the last 'a' of \"emma\" to <BOS> e m m a:", lines.get(10));
        for (int head = 0; head < 4; head++) {
            String line = lines.get(11 + head);
            assertTrue(line.matches("    head " + head + ":( \\d\\.\\d{3}){5}"), line);
            double total = 0;
            for (String weight : line.substring(line.indexOf(':') + 1).trim().split(" ")) {
                total += Double.parseDouble(weight);
            }
            assertEquals(1.0, total, 0.003, "a head's weights sum to 1: " + line);
        }
    }

    @Test
    void theGraphExampleShowsMicrogradsGradientsAndWritesThePictures(@TempDir Path dir) {
        List<String> lines = lines(out -> {
            try {
                GraphExample.run(out, dir);
            } catch (java.io.IOException e) {
                throw new AssertionError(e);
            }
        });
        assertTrue(lines.contains("  x1               data   2.0000  grad  -1.5000"), lines.toString());
        assertTrue(lines.contains("  w1               data  -3.0000  grad   1.0000"), lines.toString());
        assertTrue(lines.contains("  o          tanh  data   0.7071  grad   1.0000"), lines.toString());
        assertTrue(lines.contains("  o          tanh  data   0.7071  grad   0.0000"), "before backward");
        assertTrue(lines.contains("after zeroGrad(): w1.grad = 0.0000, o.grad = 0.0000"), lines.toString());
        assertTrue(Files.isRegularFile(dir.resolve("neuron.svg")));
        assertTrue(Files.isRegularFile(dir.resolve("neuron.dot")));
    }
}
