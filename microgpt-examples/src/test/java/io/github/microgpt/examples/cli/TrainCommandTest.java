package io.github.microgpt.examples.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.text.Documents;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@code microgpt train} prints, with the embedded names and with its options changed. */
class TrainCommandTest {

    private static final Pattern STEP_LINE = Pattern.compile("step +\\d+ / +\\d+ \\| loss \\d+\\.\\d{4}");
    private static final Pattern SAMPLE_LINE = Pattern.compile("sample +\\d+: [a-z]*");

    @Test
    void trainsOnTheEmbeddedNamesByDefault() {
        Cli.Result result = Cli.run("train", "--steps", "3", "--samples", "2");

        assertEquals(0, result.exitCode(), result.toString());
        assertEquals("", result.stderr());
        List<String> lines = result.stdoutLines();
        assertEquals("num docs: " + Documents.embeddedNames().size(), lines.get(0));
        assertEquals("vocab size: 27", lines.get(1), "the embedded names are lowercase a-z");
        assertEquals("num params: 4192", lines.get(2), "the reference configuration");
        for (int step = 1; step <= 3; step++) {
            String line = lines.get(2 + step);
            assertTrue(STEP_LINE.matcher(line).matches(), line);
            assertTrue(line.startsWith("step    " + step + " /    3 | loss "), line);
        }
        assertEquals(List.of("", "--- inference (new, hallucinated names) ---"), lines.subList(6, 8));
        assertTrue(SAMPLE_LINE.matcher(lines.get(8)).matches() && lines.get(8).startsWith("sample  1: "), lines.get(8));
        assertTrue(SAMPLE_LINE.matcher(lines.get(9)).matches() && lines.get(9).startsWith("sample  2: "), lines.get(9));
        assertEquals("", lines.get(10), "the output ends with a line break");
        assertEquals(11, lines.size());
    }

    @Test
    void widensTheNumbersLikePythonWhenTheyOutgrowTheirField() {
        Cli.Result result = Cli.run("train", "--steps", "10000", "--samples", "100", "--n-embd", "4",
                "--n-head", "1", "--block-size", "2");

        assertEquals(0, result.exitCode(), result.toString());
        List<String> lines = result.stdoutLines();
        assertTrue(lines.get(3).startsWith("step    1 / 10000 | loss "), lines.get(3));
        assertTrue(lines.get(10002).startsWith("step 10000 / 10000 | loss "), lines.get(10002));
        assertTrue(lines.get(10005).startsWith("sample  1: "), lines.get(10005));
        assertTrue(lines.get(10104).startsWith("sample 100: "), lines.get(10104));
    }

    @Test
    void zeroSamplesOnlyTrainsAndPrintsNoInferenceSection() {
        Cli.Result result = Cli.run("train", "--steps", "2", "--samples", "0");

        assertEquals(0, result.exitCode(), result.toString());
        List<String> lines = result.stdoutLines();
        assertEquals(6, lines.size(), "three header lines, two step lines, the final line break: " + lines);
        assertTrue(lines.get(4).startsWith("step    2 /    2 | loss "), lines.get(4));
        assertEquals("", lines.get(5), "the output ends with the last step's line");
        assertTrue(!result.stdout().contains("inference"), "no header of a section with nothing in it");
    }

    @Test
    void zeroSamplesAfterAResumePrintsNoInferenceSectionEither(@TempDir Path dir) {
        String run = dir.resolve("run").toString();
        assertEquals(0, Cli.run("train", "--steps", "4", "--stop-after", "2", "--save", run).exitCode());
        Cli.Result resumed = Cli.run("train", "--resume", run, "--samples", "0");

        assertEquals(0, resumed.exitCode(), resumed.toString());
        assertTrue(resumed.stdout().endsWith(resumed.stdoutLines().get(4) + "\n"), resumed.stdout());
        assertTrue(resumed.stdoutLines().get(4).startsWith("step    4 /    4 | loss "), resumed.stdout());
    }

    @Test
    void theSameSeedGivesTheSameRunAndAnotherSeedAnother() {
        String[] args = {"train", "--steps", "5", "--samples", "5", "--seed", "7"};
        Cli.Result first = Cli.run(args);
        Cli.Result again = Cli.run(args);
        Cli.Result other = Cli.run("train", "--steps", "5", "--samples", "5", "--seed", "8");

        assertArrayEquals(first.stdoutBytes(), again.stdoutBytes());
        assertTrue(!first.stdout().equals(other.stdout()), "seeds 7 and 8 gave the same output");
    }

    @Test
    void readsTheDataFileAsUtf8AndWritesUtf8(@TempDir Path dir) throws Exception {
        Path data = Files.writeString(dir.resolve("names.txt"), "zoë\n\n  éa  \r\nñ\n", StandardCharsets.UTF_8);

        Cli.Result result = Cli.run("train", "--data", data.toString(), "--steps", "3", "--samples", "30");

        assertEquals(0, result.exitCode(), result.toString());
        List<String> lines = result.stdoutLines();
        assertEquals("num docs: 3", lines.get(0));
        assertEquals("vocab size: 7", lines.get(1), "a é ñ o z ë and BOS");
        String samples = String.join("", lines.subList(8, 38)).replaceAll("sample +\\d+: ", "");
        assertTrue(samples.chars().allMatch(c -> "aozéëñ".indexOf(c) >= 0), samples);
        assertTrue(samples.chars().anyMatch(c -> c > 127), "30 samples and no accented letter: " + samples);
    }

    @Test
    void aLargerModelHasTheParametersOfItsShape() {
        Cli.Result result = Cli.run("train", "--steps", "1", "--samples", "1", "--n-layer", "2", "--n-embd", "8",
                "--n-head", "2", "--block-size", "4");

        assertEquals(0, result.exitCode(), result.toString());
        int vocab = 27;
        int d = 8;
        int expected = vocab * d + 4 * d + vocab * d + 2 * (4 * d * d + 4 * d * d + 4 * d * d);
        assertEquals("num params: " + expected, result.stdoutLines().get(2));
    }

    @Test
    void stderrStaysEmptyWhenItIsNotATerminalEvenIfStdoutIs() {
        Cli.Result result = Cli.run(Map.of(), "/dev/pts/4", null, "train", "--steps", "3", "--samples", "1");

        assertEquals(0, result.exitCode());
        assertEquals("", result.stderr());
    }

    @Test
    void drawsAProgressBarOnATerminalWithoutChangingStdout() {
        String[] args = {"train", "--steps", "4", "--samples", "2"};
        Cli.Result plain = Cli.run(args);
        Cli.Result onTerminal = Cli.run(Map.of(), null, "/dev/pts/4", args);

        assertEquals(0, onTerminal.exitCode());
        assertArrayEquals(plain.stdoutBytes(), onTerminal.stdoutBytes());
        assertTrue(onTerminal.stderr().contains("training 100% ["), onTerminal.stderr());
        assertTrue(onTerminal.stderr().contains("4/4"), onTerminal.stderr());
        assertTrue(onTerminal.stderr().contains("steps/s"), onTerminal.stderr());
        assertTrue(onTerminal.stderr().endsWith("\r\033[K"), "the bar is erased at the end");
        assertTrue(!onTerminal.stderr().contains("\n"), "the bar never scrolls the terminal");
    }

    @Test
    void getsOutOfTheWayOfEveryStepLineWhenStdoutSharesItsTerminal() {
        Cli.Result result = Cli.run(Map.of(), "/dev/pts/4", "/dev/pts/4", "train", "--steps", "5", "--samples", "1");

        assertEquals(0, result.exitCode());
        int erasures = result.stderr().split("\r\033\\[K", -1).length - 1;
        assertTrue(erasures >= 5, "erased " + erasures + " times for 5 step lines: " + result.stderr());
    }

    @Test
    void theEnvironmentOverridesTheTerminalTest() {
        String[] args = {"train", "--steps", "2", "--samples", "1"};
        Cli.Result always = Cli.run(Map.of("MICROGPT_PROGRESS", "always"), null, null, args);
        Cli.Result never = Cli.run(Map.of("MICROGPT_PROGRESS", "never"), "/dev/pts/1", "/dev/pts/1", args);
        Cli.Result auto = Cli.run(Map.of("MICROGPT_PROGRESS", "AUTO"), null, "/dev/tty1", args);

        assertTrue(always.stderr().contains("2/2"), always.stderr());
        assertEquals("", never.stderr());
        assertTrue(auto.stderr().contains("2/2"), auto.stderr());
        assertArrayEquals(always.stdoutBytes(), never.stdoutBytes());
    }

    @Test
    void helpDocumentsTheEnvironmentAndTheExitCodes() {
        Cli.Result result = Cli.run("train", "--help");

        assertEquals(0, result.exitCode());
        String help = result.stdout();
        for (String option : List.of("--data", "--steps", "--seed", "--temperature", "--samples", "--n-layer",
                "--n-embd", "--n-head", "--block-size", "--lr", "MICROGPT_PROGRESS=auto|always|never")) {
            assertTrue(help.contains(option), option + " in\n" + help);
        }
        assertTrue(help.contains("Default: 1000"), help);
        assertTrue(help.matches("(?s).*\n  1 +The run failed: training diverged.*"), help);
        assertTrue(help.matches("(?s).*\n  2 +Invalid usage or input.*"), help);
    }

    /**
     * The help says which shape options a model refuses (refuseShapeOptionsWithoutEffect), and that
     * --n-head must divide --n-embd with the GPT too: it said "Default: 4 (for the bigram and mlp
     * models, which have none, 1 where 4 does not divide --n-embd)", which read as if the GPT fell
     * back to 1 as well.
     */
    @Test
    void helpSaysWhichShapeOptionsAModelRefusesAndThatTheHeadsMustDivideTheWidth() {
        String help = Cli.run("train", "--help").stdout().replaceAll("\\s+", " ");

        for (String said : List.of("A model refuses the shape options it has no part for (bigram --n-embd, --n-head"
                        + " and --n-layer; mlp --n-head and --n-layer) rather than ignore them.",
                "The bigram and mlp models have no heads and refuse it.",
                "The bigram and mlp models have none and refuse it.",
                "The bigram model has no embeddings and refuses it.",
                "it must divide --n-embd (the default 4 too: --n-embd 6 needs --n-head 1, 2, 3 or 6)")) {
            assertTrue(help.contains(said), said + " in\n" + help);
        }
        assertFalse(help.contains("1 where 4 does not divide"), help);
    }
}
