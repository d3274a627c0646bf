package io.github.microgpt.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.w3c.dom.Document;

/** {@code microgpt train --model ...} and {@code --plot FILE.svg}. */
class TrainCommandTeachingTest {

    @ParameterizedTest
    @CsvSource({"bigram, 729", "mlp, 5232", "attention, 2144", "gpt, 4192"})
    void everyModelOfTheProgressionTrainsAndSamples(String model, int parameters) {
        Cli.Result result = Cli.run("train", "--model", model, "--steps", "3", "--samples", "2");
        assertEquals(0, result.exitCode(), result.toString());
        List<String> lines = result.stdoutLines();
        assertEquals("num params: " + parameters, lines.get(2));
        assertTrue(lines.get(5).startsWith("step    3 /    3 | loss "), lines.get(5));
        assertTrue(lines.get(8).startsWith("sample  1: "), lines.get(8));
    }

    /**
     * Each model is judged by its own size. As a GPT, a million layers of width 16 would have
     * 3,072,000,000 parameters, more than an array holds; a bigram's table and an MLP do not grow
     * with {@code --n-layer} at all.
     */
    @ParameterizedTest
    @CsvSource({"bigram, 729", "mlp, 5232"})
    void eachModelIsJudgedByItsOwnSize(String model, int parameters) {
        Cli.Result result = Cli.run("train", "--model", model, "--n-layer", "1000000", "--steps", "2",
                "--samples", "0");
        // --n-layer typed for a model without layers is now refused, rather than ignored.
        assertEquals(2, result.exitCode(), result.toString());
        assertTrue(result.stderr().contains("--n-layer has no effect on the " + model + " model"), result.toString());
    }

    /** A bigram over 46,400 distinct characters needs a table of 46,401 squared: too large, and the data is why. */
    @Test
    void aBigramTooLargeForItsDataNamesTheCause(@TempDir Path dir) throws Exception {
        StringBuilder text = new StringBuilder();
        int letters = 0;
        for (int c = 0x4E00; letters < 46_400; c++) {
            if (Character.isLetter(c)) {
                text.appendCodePoint(c);
                letters++;
                if (letters % 100 == 0) {
                    text.append('\n');
                }
            }
        }
        Path data = Files.writeString(dir.resolve("letters.txt"), text);
        String[] args = {"train", "--model", "bigram", "--data", data.toString(), "--steps", "1"};
        Cli.Result result = Cli.run(args);
        Cli.assertOneLineError(result, 2, "the bigram model would have " + 46_401L * 46_401L + " parameters, more "
                + "than can be held", "microgpt train", args);
        assertTrue(result.stderr().contains("fewer distinct characters"), result.stderr());
    }

    @Test
    void gptIsTheDefaultAndItsOutputIsUnchanged() {
        Cli.Result byDefault = Cli.run("train", "--steps", "5", "--samples", "3");
        Cli.Result explicit = Cli.run("train", "--model", "gpt", "--steps", "5", "--samples", "3");
        assertEquals(byDefault.stdout(), explicit.stdout());
    }

    @Test
    void plotWritesTheLossCurveOfEveryStepAsSvg(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("loss.svg");
        Cli.Result result = Cli.run("train", "--model", "bigram", "--steps", "30", "--samples", "0",
                "--plot", file.toString());
        assertEquals(0, result.exitCode(), result.toString());
        Document svg = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(Files.readAllBytes(file)));
        assertEquals("svg", svg.getDocumentElement().getTagName());
        assertEquals(2, svg.getElementsByTagName("polyline").getLength(), "raw and smoothed");
        String raw = svg.getElementsByTagName("polyline").item(0).getAttributes().getNamedItem("points").getNodeValue();
        assertEquals(30, raw.split(" ").length, "one point per step");
        String text = Files.readString(file);
        assertTrue(text.contains("uniform guess: -log(1/27) = 3.2958"), "the line of a uniform guess");
        // The plot does not change what is printed.
        Cli.Result plain = Cli.run("train", "--model", "bigram", "--steps", "30", "--samples", "0");
        assertEquals(plain.stdout(), result.stdout());
        try (var files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList(), "no temporary file is left");
        }
    }

    @Test
    void aResumedRunIsPlottedFromStepOneWithTheSavedLosses(@TempDir Path dir) throws Exception {
        Path run = dir.resolve("run");
        Cli.Result first = Cli.run("train", "--steps", "6", "--stop-after", "3", "--save", run.toString());
        assertEquals(0, first.exitCode(), first.toString());
        Path file = dir.resolve("loss.svg");
        Cli.Result resumed = Cli.run("train", "--resume", run.toString(), "--save", run.toString(), "--samples", "0",
                "--plot", file.toString());
        assertEquals(0, resumed.exitCode(), resumed.toString());
        Document svg = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(Files.readAllBytes(file)));
        String raw = svg.getElementsByTagName("polyline").item(0).getAttributes().getNamedItem("points").getNodeValue();
        assertEquals(6, raw.split(" ").length, "steps 1-3 from the checkpoint and 4-6 from this run");
    }

    @Test
    void smoothingAveragesACentredWindow() {
        double[] losses = new double[80];
        for (int i = 0; i < losses.length; i++) {
            losses[i] = i % 2 == 0 ? 1.0 : 3.0;
        }
        double[] smooth = LossPlot.smoothed(losses);
        // A window of 2 * (80 / 40) + 1 = 5 steps: three of one kind, two of the other.
        assertEquals((1 + 3 + 1 + 3 + 1) / 5.0, smooth[10], 1e-12);
        assertEquals((1 + 3 + 1) / 3.0, smooth[0], 1e-12, "the window is cut at the ends");
    }

    /**
     * A long run's curve: the window grows with the run (a fortieth of it each side), so summing
     * each window anew took time quadratic in the steps, and --plot (or compare --plot) of a run of
     * millions of steps sat for hours after training. A hang guard only, and the means checked.
     */
    @Test
    void smoothingAMillionsOfStepsCurveTakesTimeLinearInTheSteps() {
        double[] losses = new double[4_000_000];
        for (int i = 0; i < losses.length; i++) {
            losses[i] = 3.3 - i * 1e-7 + (i % 7) * 0.01;
        }
        double[] smooth = assertTimeoutPreemptively(Duration.ofSeconds(120), () -> LossPlot.smoothed(losses));
        int half = losses.length / 40;
        for (int i : new int[] {0, 1, half, half + 1, losses.length / 2, losses.length - half - 1, losses.length - 1}) {
            int from = Math.max(0, i - half);
            int to = Math.min(losses.length - 1, i + half);
            double total = 0;
            for (int j = from; j <= to; j++) {
                total += losses[j];
            }
            assertEquals(total / (to - from + 1), smooth[i], 1e-9, "the mean of the window around step " + i);
        }
    }

    /**
     * A long run's picture: drawn point by point, a run of a million steps made polylines of
     * about 24 MB (and 4 million steps about 100 MB) that no viewer opens. Past two points per
     * pixel column each column keeps its lowest and highest step, so every spike still shows.
     */
    @Test
    void aLongRunIsDrawnWithTheExtremesOfEachPixelColumn() throws Exception {
        double[] losses = new double[1_000_000];
        for (int i = 0; i < losses.length; i++) {
            losses[i] = 3.0 - i * 1e-6 + (i % 5) * 0.01;
        }
        losses[123_457] = 4.5; // one spike, between the points of any regular sampling
        losses[876_543] = 0.2; // and one dip
        String text = LossPlot.svg("long", List.of(new LossPlot.Series("run", 1, losses)), 27);
        assertTrue(text.length() < 100_000, "the picture is small: " + text.length() + " characters");
        Document svg = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        String raw = svg.getElementsByTagName("polyline").item(0).getAttributes().getNamedItem("points").getNodeValue();
        String[] points = raw.split(" ");
        assertTrue(points.length <= 2 * 720, points.length + " points");
        double top = Double.MAX_VALUE;
        double bottom = -Double.MAX_VALUE;
        double previousX = -1;
        for (String point : points) {
            String[] xy = point.split(",");
            double px = Double.parseDouble(xy[0]);
            assertTrue(px >= previousX, "points in step order");
            previousX = px;
            top = Math.min(top, Double.parseDouble(xy[1]));
            bottom = Math.max(bottom, Double.parseDouble(xy[1]));
        }
        // The loss axis runs from 0.0 (y = 370) to 4.5 (y = 40): the spike and the dip are drawn.
        assertEquals(40.0, top, 0.05, "the spike's height");
        assertEquals(370 - 0.2 / 4.5 * 330, bottom, 0.05, "the dip's depth");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "--model|transformer|unknown model \"transformer\"",
        "--plot|loss.png|must end in .svg",
        "--plot|no/such/dir/loss.svg|does not exist",
    })
    void badOptionsAreOneLineErrors(String option, String value, String cause, @TempDir Path dir) {
        String argument = option.equals("--plot") ? dir.resolve(value).toString() : value;
        String[] args = {"train", option, argument, "--steps", "1"};
        Cli.assertOneLineError(Cli.run(args), 2, cause, "microgpt train", args);
    }

    @Test
    void modelsOtherThanGptRefuseTheArrayEngine(@TempDir Path dir) {
        String[] array = {"train", "--model", "mlp", "--engine", "array", "--steps", "1"};
        Cli.assertOneLineError(Cli.run(array), 2, "runs on the value engine only", "microgpt train", array);
        // Nor can a saved one be resumed on it.
        String run = dir.resolve("run").toString();
        Cli.Result saved = Cli.run("train", "--model", "bigram", "--steps", "4", "--stop-after", "2", "--samples", "0",
                "--save", run);
        assertEquals(0, saved.exitCode(), saved.toString());
        String[] resume = {"train", "--resume", run, "--engine", "array"};
        Cli.assertOneLineError(Cli.run(resume), 2, "holds a bigram model, which runs on the value engine only",
                "microgpt train", resume);
    }
}
