package io.github.microgpt.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;

/** {@code microgpt compare A B}: two saved runs side by side. */
class CompareCommandTest {

    private static Path train(Path dir, String name, String... options) {
        Path run = dir.resolve(name);
        List<String> all = new ArrayList<>(List.of("train", "--steps", "6", "--samples", "0", "--save", run.toString()));
        all.addAll(List.of(options));
        Cli.Result result = Cli.run(all.toArray(String[]::new));
        assertEquals(0, result.exitCode(), result.toString());
        return run;
    }

    @Test
    void twoRunsWithTheSameSettingsAreIdentical(@TempDir Path dir) {
        Path a = train(dir, "a");
        Path b = train(dir, "b");
        Cli.Result result = Cli.run("compare", a.toString(), b.toString());
        assertEquals(0, result.exitCode(), result.toString());
        assertEquals("", result.stderr());
        List<String> lines = result.stdoutLines();
        assertEquals("identical", lines.get(0));
        assertEquals("every one of the 6 losses is the same, bit for bit", lines.get(1));
        assertTrue(lines.contains("settings: the same"), result.stdout());
    }

    @Test
    void runsWithDifferentSeedsDifferFromTheFirstStepAndNameTheSeed(@TempDir Path dir) throws Exception {
        Path a = train(dir, "a", "--seed", "1");
        Path b = train(dir, "b", "--seed", "2");
        Path plot = dir.resolve("both.svg");
        Cli.Result result = Cli.run("compare", a.toString(), b.toString(), "--plot", plot.toString());
        assertEquals(0, result.exitCode(), "differing runs are a result, not an error: " + result);
        List<String> lines = result.stdoutLines();
        assertTrue(lines.get(0).startsWith("losses differ from step 1: " + a + " "), lines.get(0));
        assertTrue(lines.contains("settings that differ:"), result.stdout());
        assertTrue(lines.contains("  seed: 1 vs 2"), result.stdout());
        Document svg = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(Files.readAllBytes(plot)));
        assertEquals(4, svg.getElementsByTagName("polyline").getLength(), "two runs, raw and smoothed");
    }

    @Test
    void runsOfTwoModelsOfTheProgressionNameTheArchitecture(@TempDir Path dir) {
        Path a = train(dir, "a", "--model", "bigram");
        Path b = train(dir, "b", "--model", "mlp");
        Cli.Result result = Cli.run("compare", a.toString(), b.toString());
        assertEquals(0, result.exitCode(), result.toString());
        assertTrue(result.stdoutLines().contains("  architecture: bigram vs mlp"), result.stdout());
    }

    @Test
    void aLaterDifferenceIsFoundAtItsStep(@TempDir Path dir) {
        // The same run, but B's learning rate differs: step 1's loss is computed before any update.
        Path a = train(dir, "a");
        Path b = train(dir, "b", "--lr", "0.02");
        Cli.Result result = Cli.run("compare", a.toString(), b.toString());
        assertEquals(0, result.exitCode(), result.toString());
        assertTrue(result.stdoutLines().get(0).startsWith("losses differ from step 2: "), result.stdout());
        assertTrue(result.stdoutLines().contains("  learning_rate: 0.01 vs 0.02"), result.stdout());
    }

    @Test
    void runsInTwoPrecisionsNameThePrecision(@TempDir Path dir) {
        // f64 and f32 runs of the array engine: their losses part at step 1, and compare said
        // "settings: the same", as if the difference had no cause it could name.
        Path a = train(dir, "a", "--engine", "array");
        Path b = train(dir, "b", "--engine", "array", "--precision", "f32");
        Cli.Result result = Cli.run("compare", a.toString(), b.toString());
        assertEquals(0, result.exitCode(), result.toString());
        assertTrue(result.stdoutLines().contains("  precision: f64 vs f32"), result.stdout());
    }

    @Test
    void runsOnTwoEnginesNameTheEngines(@TempDir Path dir) {
        // The engines compute the same numbers to rounding, not bit for bit: such runs part within
        // a few steps, and compare said "settings: the same", as if the difference had no cause.
        Path a = train(dir, "a");
        Path b = train(dir, "b", "--engine", "array");
        Cli.Result result = Cli.run("compare", a.toString(), b.toString());
        assertEquals(0, result.exitCode(), result.toString());
        assertTrue(result.stdoutLines().contains("  engine: value vs array"), result.stdout());
        // A run resumed on the other engine records both, in order.
        Path c = train(dir, "c", "--stop-after", "2");
        Cli.Result resumed = Cli.run("train", "--resume", c.toString(), "--save", c.toString(), "--engine", "array",
                "--samples", "0", "--stop-after", "4");
        assertEquals(0, resumed.exitCode(), resumed.toString());
        result = Cli.run("compare", a.toString(), c.toString());
        assertTrue(result.stdoutLines().contains("  engine: value vs value, then array"), result.stdout());
        // Resumed again on the same engine, it says so once.
        Cli.Result again = Cli.run("train", "--resume", c.toString(), "--save", c.toString(), "--engine", "array",
                "--samples", "0");
        assertEquals(0, again.exitCode(), again.toString());
        result = Cli.run("compare", b.toString(), c.toString());
        assertTrue(result.stdoutLines().contains("  engine: array vs value, then array"), result.stdout());
    }

    @Test
    void runsThatSteppedDifferentlyNameTheStepMode(@TempDir Path dir) throws Exception {
        // The simulator saves runs trained one position per step; 'train' trains one document per step.
        Path a = train(dir, "a");
        Path b = train(dir, "b");
        Path trainer = b.resolve("trainer.json");
        String text = Files.readString(trainer);
        assertTrue(text.contains("\"step_mode\": \"document\""), text);
        Files.writeString(trainer, text.replace("\"step_mode\": \"document\"", "\"step_mode\": \"position\""));
        Cli.Result result = Cli.run("compare", a.toString(), b.toString());
        assertEquals(0, result.exitCode(), result.toString());
        assertTrue(result.stdoutLines().contains("  step mode: document vs position"), result.stdout());
    }

    @Test
    void runsWithTwoCustomSchedulesOfDifferentRatesNameTheSchedule(@TempDir Path dir) throws Exception {
        // Both say "custom"; only their rates' digests tell them apart, and compare compared the names.
        Path a = train(dir, "a");
        Path b = train(dir, "b");
        String digestA = "a".repeat(64);
        String digestB = "b".repeat(64);
        for (Path run : List.of(a, b)) {
            Path trainer = run.resolve("trainer.json");
            String text = Files.readString(trainer);
            assertTrue(text.contains("\"schedule\": \"linear_decay\""), text);
            Files.writeString(trainer, text.replace("\"schedule\": \"linear_decay\"", "\"schedule\": \"custom\", "
                    + "\"schedule_class\": \"com.example.Cosine\", \"schedule_sha256\": \""
                    + (run == a ? digestA : digestB) + "\""));
        }
        Cli.Result result = Cli.run("compare", a.toString(), b.toString());
        assertEquals(0, result.exitCode(), result.toString());
        assertTrue(result.stdoutLines().stream().anyMatch(line -> line.startsWith("  schedule: custom ")
                && line.contains("com.example.Cosine") && line.contains(digestA) && line.contains(digestB)),
                result.stdout());
        Cli.Result same = Cli.run("compare", a.toString(), a.toString());
        assertTrue(same.stdoutLines().contains("settings: the same"), same.stdout());
    }

    @Test
    void badInputIsAOneLineErrorWithExitCode2(@TempDir Path dir) {
        Path a = train(dir, "a");
        String[] missing = {"compare", a.toString(), dir.resolve("nothing").toString()};
        Cli.assertOneLineError(Cli.run(missing), 2, "cannot compare", "microgpt compare", missing);
        String[] png = {"compare", a.toString(), a.toString(), "--plot", dir.resolve("x.png").toString()};
        Cli.assertOneLineError(Cli.run(png), 2, "must end in .svg", "microgpt compare", png);
        String[] one = {"compare", a.toString()};
        Cli.assertOneLineError(Cli.run(one), 2, "B", "microgpt compare", one);
    }

    @Test
    void aDataNameWithAnEscapeSequenceIsPrintedEscaped(@TempDir Path dir) throws Exception {
        // trainer.json is a file anyone may write; its data name reached the terminal as is, an
        // escape sequence that retitles the window and turns the text red included.
        Path data = Files.writeString(dir.resolve("names.txt"), "ab\nba\n");
        Path a = train(dir, "a", "--data", data.toString());
        Path b = train(dir, "b", "--data", data.toString(), "--seed", "7");
        Path trainer = b.resolve("trainer.json");
        String hostile = "/data/\\u001b]0;pwned\\u0007\\u001b[31mred";
        Files.writeString(trainer, Files.readString(trainer).replace("\"name\": \"" + data.toString().replace("\\",
                "\\\\") + "\"", "\"name\": \"" + hostile + "\""));
        Cli.Result result = Cli.run("compare", a.toString(), b.toString());
        assertEquals(0, result.exitCode(), result.toString());
        assertTrue(result.stdout().contains("  data: " + data + " vs /data/\\u001B]0;pwned\\u0007\\u001B[31mred"),
                result.stdout());
        assertTrue(result.stdout().chars().noneMatch(c -> c == 0x1b || c == 0x07), "no control character reached stdout");
    }

    /**
     * Directory names the user typed are printed with their control characters escaped, in the
     * lines and in the picture's key (which stays XML a viewer reads): an escape sequence in a
     * name reached the terminal as is, and a control character made the SVG unreadable.
     */
    @Test
    void directoryNamesWithControlCharactersArePrintedEscaped(@TempDir Path dir) throws Exception {
        Path a = train(dir, "a\u001b]0;pwned\u0007", "--seed", "1");
        Path b = train(dir, "b\u001b[31m\u202e", "--seed", "2");
        Path plot = dir.resolve("both.svg");
        Cli.Result result = Cli.run("compare", a.toString(), b.toString(), "--plot", plot.toString());
        assertEquals(0, result.exitCode(), result.toString());
        assertTrue(result.stdout().chars().noneMatch(c -> c == 0x1b || c == 0x07 || c == 0x202e),
                "no control character reached stdout: " + result.stdout());
        assertTrue(result.stdoutLines().get(0).startsWith("losses differ from step 1: " + dir.resolve("a")
                + "\\u001B]0;pwned\\u0007 "), result.stdout());
        Document svg = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(Files.readAllBytes(plot)));
        assertTrue(svg.getDocumentElement().getTextContent().contains("b\\u001B[31m\\u202E"),
                svg.getDocumentElement().getTextContent());
    }
}
