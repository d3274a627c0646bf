package io.github.microgpt.examples.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.microgpt.checkpoint.Checkpoint;
import io.github.microgpt.checkpoint.SaveLock;
import io.github.microgpt.checkpoint.TrainingRun;
import io.github.microgpt.checkpoint.TrainingState;
import io.github.microgpt.text.DataSource;
import io.github.microgpt.text.Documents;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command line against hostile files and a lost run: FIFOs and oversized data, a save
 * target that cannot be written, another process saving into the same directory, a final save
 * that fails, a temperature that overflows. (The time limits only catch a hang.)
 */
class HostileInputCommandTest {

    static final Duration HANG = Duration.ofSeconds(120);

    @TempDir
    Path dir;

    private static void mkfifo(Path path) throws Exception {
        try {
            assumeTrue(new ProcessBuilder("mkfifo", path.toString()).start().waitFor() == 0, "mkfifo failed");
        } catch (IOException e) {
            assumeTrue(false, "mkfifo is not available");
        }
    }

    @Test
    void aFifoAsTheDataFileIsAOneLineErrorAtOnce() throws Exception {
        Path fifo = dir.resolve("names.fifo");
        mkfifo(fifo);
        String[] args = {"train", "--data", fifo.toString(), "--steps", "1"};
        Cli.Result result = assertTimeoutPreemptively(HANG, () -> Cli.run(args));
        Cli.assertOneLineError(result, 2, "the data file " + fifo + " is a FIFO, a device or a socket", "microgpt train",
                args);
    }

    @Test
    void aDataFileOverTheLimitIsAOneLineErrorBeforeReading() throws Exception {
        Path big = dir.resolve("big.txt");
        try (RandomAccessFile file = new RandomAccessFile(big.toFile(), "rw")) {
            file.setLength(Documents.MAX_BYTES + 1);
        }
        String[] args = {"train", "--data", big.toString(), "--steps", "1"};
        Cli.assertOneLineError(Cli.run(args), 2, "the data file " + big + " has " + (Documents.MAX_BYTES + 1)
                + " bytes, more than the", "microgpt train", args);
    }

    @Test
    void aDataFileOfMoreLinesThanTheLimitIsAOneLineErrorSoon() throws Exception {
        // 6 MB of short lines: once they were each a String through the shuffle and every check.
        Path many = Files.writeString(dir.resolve("many.txt"), "ab\n".repeat(Documents.MAX_DOCUMENTS + 1));
        String[] args = {"train", "--data", many.toString(), "--steps", "1"};
        Cli.assertOneLineError(assertTimeoutPreemptively(HANG, () -> Cli.run(args)), 2, "the data file " + many
                + " has more than " + Documents.MAX_DOCUMENTS + " documents (non-blank lines)", "microgpt train", args);
    }

    /**
     * A document as long as a block of 100,000: the value engine's graph of its step joins every
     * pair of positions (10 TB at least), which the core refuses at the first step; the command
     * refuses it before building the model, naming the block size that fits.
     */
    @Test
    void aDocumentWhoseGraphCannotFitIsAOneLineErrorBeforeTraining() throws Exception {
        Path data = Files.writeString(dir.resolve("long.txt"), "ab".repeat(50_000) + "\nemma\n");
        String[] args = {"train", "--data", data.toString(), "--block-size", "100000", "--steps", "1"};
        Cli.Result result = assertTimeoutPreemptively(HANG, () -> Cli.run(args));
        Cli.assertOneLineError(result, 2, "a step over the longest document's 100000 positions would build a graph"
                + " of at least ", "microgpt train", args);
        String line = result.stderrLines().get(0);
        assertTrue(line.contains("(on the value engine, which grows with the square of the positions), more than half"
                + " of the "), line);
        assertTrue(line.matches(".*choose --block-size \\d+ or less \\(a document is cut to the block size\\).*"), line);
    }

    @Test
    void aFifoInACheckpointIsAOneLineErrorForGenerateAndResume() throws Exception {
        String run = dir.resolve("run").toString();
        assertEquals(0, Cli.run("train", "--steps", "3", "--stop-after", "2", "--save", run).exitCode());
        Files.delete(Path.of(run, "trainer.json"));
        mkfifo(Path.of(run, "trainer.json"));
        String[] generate = {"generate", "--model", run};
        Cli.assertOneLineError(assertTimeoutPreemptively(HANG, () -> Cli.run(generate)), 2, "not a regular file",
                "microgpt generate", generate);
        String[] resume = {"train", "--resume", run};
        Cli.assertOneLineError(assertTimeoutPreemptively(HANG, () -> Cli.run(resume)), 2, "not a regular file",
                "microgpt train", resume);
    }

    /** Resuming into the same directory: its config.json is a FIFO, which is not "no config.json". */
    @Test
    void aFifoAsConfigJsonIsNamedAsSuchWhenResumingIntoTheSameDirectory() throws Exception {
        String run = dir.resolve("run").toString();
        assertEquals(0, Cli.run("train", "--steps", "3", "--stop-after", "2", "--save", run).exitCode());
        Files.delete(Path.of(run, Checkpoint.CONFIG_FILE));
        mkfifo(Path.of(run, Checkpoint.CONFIG_FILE));
        String[] resumeAndSave = {"train", "--resume", run, "--save", run};
        Cli.Result result = assertTimeoutPreemptively(HANG, () -> Cli.run(resumeAndSave));
        Cli.assertOneLineError(result, 2, "its config.json is a FIFO, a device or a socket, not a regular file",
                "microgpt train", resumeAndSave);
        assertTrue(!result.stderr().contains("it has no config.json"), result.stderr());
    }

    /** A loop of symbolic links or a link to nothing, where a checkpoint or a data file is expected: one sentence. */
    @Test
    void brokenSymbolicLinksAreNamedInOneSentence() throws Exception {
        Path loopA = dir.resolve("loop-a");
        Path loopB = dir.resolve("loop-b");
        Files.createSymbolicLink(loopA, loopB);
        Files.createSymbolicLink(loopB, loopA);
        Path dangling = Files.createSymbolicLink(dir.resolve("dangling"), dir.resolve("gone"));
        String loop = "is a symbolic link to " + loopB + ", which leads back to it (a loop of links)";
        String[][] cases = {
            {"train", "--resume", loopA.toString()},
            {"generate", "--model", loopA.toString()},
            {"compare", loopA.toString(), loopA.toString()},
            {"train", "--data", loopA.toString(), "--steps", "1"},
        };
        for (String[] args : cases) {
            Cli.assertOneLineError(Cli.run(args), 2, loop, "microgpt " + args[0], args);
        }
        String[] resume = {"train", "--resume", dangling.toString()};
        Cli.assertOneLineError(Cli.run(resume), 2, dangling + ": is a symbolic link to " + dir.resolve("gone")
                + ", which does not exist", "microgpt train", resume);

        // Inside a checkpoint: its model file a loop of links.
        String run = dir.resolve("run").toString();
        assertEquals(0, Cli.run("train", "--steps", "2", "--samples", "0", "--save", run).exitCode());
        Path model = Path.of(run, Checkpoint.MODEL_FILE);
        Files.delete(model);
        Files.createSymbolicLink(model, loopA);
        String[] generate = {"generate", "--model", run};
        Cli.assertOneLineError(Cli.run(generate), 2, model + ": is a symbolic link to " + loopA
                + ", which leads back to it", "microgpt generate", generate);
    }

    /** An empty name reads as the current directory in Java: every option that takes a file refuses it. */
    @Test
    void anEmptyFileNameIsRefusedByEveryOptionThatTakesAFile() {
        String run = dir.resolve("run").toString();
        assertEquals(0, Cli.run("train", "--steps", "2", "--samples", "0", "--save", run).exitCode());
        String[][] cases = {
            {"train", "--save", "", "--steps", "1"},
            {"train", "--resume", ""},
            {"train", "--data", "", "--steps", "1"},
            {"train", "--plot", "", "--steps", "1"},
            {"generate", "--model", ""},
            {"compare", "", run},
            {"compare", run, run, "--plot", ""},
            {"graph", "--expr", "x", "--var", "x=1", "--out", ""},
        };
        for (String[] args : cases) {
            Cli.Result result = Cli.run(args);
            Cli.assertOneLineError(result, 2, "the name is empty; give a file or directory", "microgpt " + args[0],
                    args);
            assertEquals("", result.stdout(), "nothing done: " + String.join(" ", args));
        }
    }

    /**
     * A line break, a terminal escape or a right-to-left override (which shows the rest of the
     * line reversed) in what the user typed is shown escaped, on the one line.
     */
    @Test
    void controlCharactersInAValueStayOnTheOneLineEscaped() {
        String[][] cases = {
            {"train", "--data", "a\nb", "--steps", "1"},
            {"train", "--resume", "a\nb"},
            {"train", "--steps", "1\n2"},
            {"train", "--engine", "\u001b[31mred"},
            {"generate", "--model", "x\r\u2028y"},
            {"generate", "--model", "ev\u202Elit.txt"},
        };
        String[] expected = {"a\\u000Ab does not exist", "a\\u000Ab", "'1\\u000A2' is not a plain whole number",
            "\"\\u001B[31mred\"", "x\\u000D\\u2028y", "ev\\u202Elit.txt"};
        for (int i = 0; i < cases.length; i++) {
            Cli.Result result = Cli.run(cases[i]);
            Cli.assertOneLineError(result, 2, expected[i], "microgpt " + cases[i][0], cases[i]);
            assertTrue(result.stderr().chars().noneMatch(c -> c < 0x20 && c != '\n'), result.stderr());
        }
    }

    /**
     * An argument that starts with '@' is what it says, not the lines of a file: picocli read
     * "@/dev/zero" until killed, ended "@/dev/urandom" with a stack trace, waited on "@fifo" for a
     * writer, and made {@code --prefix @x} the lines of a file x.
     */
    @Test
    void anArgumentStartingWithAtIsNotReadAsAFile() throws Exception {
        Path fifo = dir.resolve("args.fifo");
        mkfifo(fifo);
        Path lines = Files.writeString(dir.resolve("prefix"), "ma\n");
        String run = dir.resolve("run").toString();
        // A block long enough for the prefix "@" + a temporary path, so that its first character is what is wrong.
        assertEquals(0, Cli.run("train", "--steps", "2", "--samples", "0", "--block-size", "256", "--save", run)
                .exitCode());
        String[][] cases = {
            {"train", "@/dev/zero"},
            {"generate", "--model", run, "@/dev/urandom"},
            {"train", "--steps", "1", "--data", "@" + fifo},
            {"generate", "--model", run, "--prefix", "@" + lines},
            {"graph", "--expr", "x", "--var", "x=1", "@" + fifo},
        };
        String[] expected = {"'microgpt train' takes options only, not the argument '@/dev/zero'", "'microgpt"
                + " generate' takes options only, not the argument '@/dev/urandom'", "the data file @" + fifo
                + " does not exist", "--prefix: character '@' (U+0040) at index 0 of \"@" + lines + "\" is not in the"
                + " vocabulary", "'microgpt graph' takes options only, not the argument '"
                + WholeNumber.excerpt("@" + fifo) + "'"};
        for (int i = 0; i < cases.length; i++) {
            String[] args = cases[i];
            Cli.Result result = assertTimeoutPreemptively(HANG, () -> Cli.run(args));
            Cli.assertOneLineError(result, 2, expected[i], "microgpt " + args[0], args);
        }
    }

    /** A FIFO, a device or a socket named as a picture to write is refused, not replaced by the picture. */
    @Test
    void aFifoAsAPictureToWriteIsRefusedAndKept() throws Exception {
        Path fifo = dir.resolve("plot.svg");
        mkfifo(fifo);
        String[][] cases = {
            {"train", "--steps", "1", "--samples", "0", "--plot", fifo.toString()},
            {"graph", "--expr", "x*y", "--var", "x=1", "--var", "y=2", "--out", fifo.toString()},
        };
        for (String[] args : cases) {
            Cli.Result result = assertTimeoutPreemptively(HANG, () -> Cli.run(args));
            Cli.assertOneLineError(result, 2, fifo + " is a FIFO, a device or a socket, not a regular file",
                    "microgpt " + args[0], args);
            assertEquals("", result.stdout(), "nothing done");
            assertTrue(Files.exists(fifo) && !Files.isRegularFile(fifo), "the FIFO is still there");
        }
    }

    @Test
    void aSaveTargetThatCannotBeWrittenFailsBeforeTheFirstStep() throws Exception {
        Path file = Files.writeString(dir.resolve("file"), "x");
        String[] underFile = {"train", "--steps", "1000", "--save", file.resolve("run").toString()};
        Cli.Result result = Cli.run(underFile);
        Cli.assertOneLineError(result, 2, "is a file, not a folder", "microgpt train", underFile);
        assertEquals("", result.stdout(), "nothing trained");
        assumeTrue(Files.isDirectory(Path.of("/proc")), "no /proc here");
        String[] virtual = {"train", "--steps", "1000", "--save", "/proc/microgpt-run"};
        Cli.Result proc = Cli.run(virtual);
        Cli.assertOneLineError(proc, 2, "cannot be written", "microgpt train", virtual);
        assertEquals("", proc.stdout(), "nothing trained");
    }

    @Test
    @SuppressWarnings("try")   // the lock is held through the try's body, which need not name it
    void aSecondRunSavingIntoTheSameDirectoryIsToldAtStart() throws Exception {
        Path run = dir.resolve("busy");
        try (SaveLock held = SaveLock.acquire(run)) {
            String[] args = {"train", "--steps", "1000", "--save", run.toString()};
            Cli.Result result = Cli.run(args);
            Cli.assertOneLineError(result, 2, "is saving into this checkpoint", "microgpt train", args);
            assertEquals("", result.stdout(), "nothing trained");
        }
        assertEquals(0, Cli.run("train", "--steps", "2", "--samples", "0", "--save", run.toString()).exitCode(),
                "free again once the other holder is done");
    }

    /**
     * As above, with the other saver in a process of its own (as a second {@code microgpt train
     * --save DIR} in another terminal): the operating system's lock tells this run at its start,
     * and the other's earlier checkpoint in DIR is left as it was.
     */
    @Test
    void aRunSavingIntoADirectoryAnotherProcessSavesIntoIsToldAtStart() throws Exception {
        Path run = dir.resolve("shared");
        assertEquals(0, Cli.run("train", "--steps", "2", "--samples", "0", "--save", run.toString()).exitCode());
        byte[] before = Files.readAllBytes(run.resolve("model.safetensors"));
        Process holder = io.github.microgpt.examples.SaveLockHolder.start(run);
        try {
            String[] args = {"train", "--steps", "1000", "--save", run.toString()};
            Cli.Result result = Cli.run(args);
            Cli.assertOneLineError(result, 2, "--save: " + run + ": another program (or another part of this one) is"
                    + " saving into this checkpoint: it holds the lock " + dir.resolve(".shared.lock") + "; wait for"
                    + " it to finish or choose another directory", "microgpt train", args);
            assertEquals("", result.stdout(), "nothing trained");
            assertArrayEquals(before, Files.readAllBytes(run.resolve("model.safetensors")), "the other's checkpoint");
        } finally {
            io.github.microgpt.examples.SaveLockHolder.release(holder);
        }
        assertEquals(0, Cli.run("train", "--steps", "2", "--samples", "0", "--save", run.toString()).exitCode(),
                "free again once the other process is done");
    }

    /**
     * The save target is accepted at the start (an empty folder), then someone puts a file in it
     * while the run trains: the final save must refuse to replace it, and the samples of the
     * finished run are printed anyway, with the cause of the failure on stderr.
     */
    @Test
    void aFinalSaveThatFailsStillPrintsTheSamplesAndSaysWhy() throws Exception {
        Path target = Files.createDirectory(dir.resolve("target"));
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        OutputStream out = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                captured.write(b);
                if (captured.toString(StandardCharsets.UTF_8).contains("step    3 /    3")
                        && Files.notExists(target.resolve("notes.txt"))) {
                    Files.writeString(target.resolve("notes.txt"), "someone else's");
                }
            }
        };
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        CliContext context = new CliContext(out, new PrintStream(err, true, StandardCharsets.UTF_8), Map.of(), null,
                null);
        String[] args = {"train", "--steps", "3", "--samples", "4", "--save", target.toString()};
        int code = MicrogptCommand.execute(context, args);
        String stdout = captured.toString(StandardCharsets.UTF_8);
        Cli.Result result = new Cli.Result(code, captured.toByteArray(), err.toString(StandardCharsets.UTF_8));
        Cli.assertOneLineError(result, 1, "the run finished but could not be saved in " + target + ": ", null, args);
        assertTrue(result.stderr().contains("is not a checkpoint"), "the cause: " + result.stderr());
        assertTrue(stdout.contains("sample  4: "), "the samples were printed: " + stdout);
        assertEquals("someone else's", Files.readString(target.resolve("notes.txt")), "and nothing was replaced");
    }

    @Test
    void aSavedRunKeepsItsLossesAndItsSeedAndData() throws Exception {
        Path data = Files.writeString(dir.resolve("names.txt"), "anna\nbob\ncarla\ndora\n");
        String run = dir.resolve("losses").toString();
        Cli.Result first = Cli.run("train", "--data", data.toString(), "--steps", "8", "--stop-after", "5", "--save",
                run, "--seed", "7");
        Cli.Result second = Cli.run("train", "--resume", run, "--save", run, "--samples", "0");
        assertEquals(0, second.exitCode(), second.toString());
        TrainingState state = Checkpoint.load(Path.of(run)).training().orElseThrow();
        assertEquals(new TrainingRun(7, DataSource.file(data)), state.run());
        double[] losses = state.losses();
        assertEquals(8, losses.length, "one loss per step, across the resume");
        List<String> printed = new java.util.ArrayList<>(first.stdoutLines());
        printed.addAll(second.stdoutLines());
        List<String> stepLines = printed.stream().filter(l -> l.startsWith("step ")).toList();
        for (int i = 0; i < 8; i++) {
            assertTrue(stepLines.get(i).endsWith("| loss " + PythonFormat.fourDecimals(losses[i])),
                    stepLines.get(i) + " vs " + losses[i]);
        }
    }

    @Test
    void aTemperatureThatOverflowsSamplesTheMostLikelyCharacters() throws Exception {
        String run = dir.resolve("cold").toString();
        assertEquals(0, Cli.run("train", "--steps", "5", "--samples", "0", "--save", run).exitCode());
        Cli.Result cold = Cli.run("generate", "--model", run, "--temperature", "1e-310", "--samples", "3");
        Cli.Result greedy = Cli.run("generate", "--model", run, "--top-k", "1", "--samples", "3");
        assertEquals(0, cold.exitCode(), cold.toString());
        assertEquals("", cold.stderr());
        assertEquals(greedy.stdout(), cold.stdout());
        Cli.Result train = Cli.run("train", "--steps", "2", "--temperature", "4.9e-324", "--samples", "2");
        assertEquals(0, train.exitCode(), train.toString());
    }

    /**
     * Documents may hold bidirectional controls (text in a right-to-left script uses its marks)
     * and a tab inside a line; the samples drawn from them are printed with those escaped, as a
     * file name is, so that a right-to-left override in the data does not show the rest of the
     * line reversed, by train and by generate alike.
     */
    @Test
    void bidiControlsAndTabsOfTheDataAreEscapedInTheSamples() throws Exception {
        String odd = "\u202E\u2066\u200F\u061C\t";
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            lines.append("a").append(odd.charAt(i % odd.length())).append("b").append(odd.charAt((i + 2) % odd.length()))
                    .append("\n");
        }
        Path data = Files.writeString(dir.resolve("bidi.txt"), lines.toString());
        String run = dir.resolve("bidi").toString();
        Cli.Result train = Cli.run("train", "--data", data.toString(), "--steps", "30", "--samples", "20", "--save", run);
        Cli.Result generate = Cli.run("generate", "--model", run, "--samples", "20", "--seed", "3");
        for (Cli.Result result : List.of(train, generate)) {
            assertEquals(0, result.exitCode(), result.toString());
            List<String> samples = result.stdoutLines().stream().filter(l -> l.startsWith("sample ")).toList();
            assertEquals(20, samples.size(), result.toString());
            for (char c : odd.toCharArray()) {
                assertEquals(-1, result.stdout().indexOf(c), String.format("U+%04X reached stdout: %s", (int) c,
                        result.stdout()));
            }
            assertTrue(samples.stream().anyMatch(l -> l.contains("\\u202E") || l.contains("\\u2066")
                    || l.contains("\\u200F") || l.contains("\\u061C") || l.contains("\\u0009")),
                    "some sample holds an escaped control: " + samples);
        }
    }

    /** A kill between a save's two renames left only {@code .run.old-*}: resuming into the same directory repairs it. */
    @Test
    void resumingIntoTheDirectoryOfAnInterruptedSaveRepairsIt() throws Exception {
        Path run = dir.resolve("run");
        Cli.Result whole = Cli.run("train", "--steps", "6", "--samples", "2");
        assertEquals(0, Cli.run("train", "--steps", "6", "--stop-after", "3", "--save", run.toString()).exitCode());
        Files.move(run, dir.resolve(".run.old-1f2e3d"));
        Cli.Result resumed = Cli.run("train", "--resume", run.toString(), "--save", run.toString(), "--samples", "2");
        assertEquals(0, resumed.exitCode(), resumed.toString());
        assertEquals(whole.stdoutLines().subList(6, whole.stdoutLines().size()),
                resumed.stdoutLines().subList(3, resumed.stdoutLines().size()), "steps 4-6 and the samples");
        try (var files = Files.list(dir)) {
            assertEquals(List.of("run"), files.map(p -> p.getFileName().toString()).toList(), "no leftovers");
        }
    }

    /**
     * A learning rate so large that the last step's update (which no loss reports: it comes after
     * the step's loss) makes the logits overflow: the samples after training cannot be drawn. That
     * is a divergence, reported in one line with exit code 1 and what to change, as the other
     * divergences are; it was an "internal error" naming an IllegalStateException.
     */
    @Test
    void aLastStepThatDivergesIsReportedAsADivergence() throws Exception {
        Path data = Files.writeString(dir.resolve("names.txt"), "anna\nbob\ncarla\ndora\n");
        String[] args = {"train", "--data", data.toString(), "--steps", "1", "--lr", "1e300"};
        Cli.Result result = Cli.run(args);
        Cli.assertOneLineError(result, 1, "training diverged at its last step (1): the model's logits are not finite",
                null, args);
        assertTrue(result.stderr().trim().endsWith("; a smaller --lr may help"), result.stderr());
        assertTrue(!result.stderr().contains("internal error"), result.stderr());
    }

    /**
     * A name the file system takes (up to 255 bytes) works for {@code --save} and {@code --plot}:
     * the temporary names beside it added some 25-33 characters, and names of about 230 characters
     * and more were refused "File name too long" before the first step.
     */
    @Test
    void theLongestNamesTheFileSystemTakesCanBeSavedAndPlottedAndResumed() throws Exception {
        for (int length : new int[] {231, 249, 255}) {
            Path run = dir.resolve("r".repeat(length));
            Path plot = dir.resolve("p".repeat(length - 4) + ".svg");
            Cli.Result trained = Cli.run("train", "--steps", "2", "--stop-after", "1", "--samples", "0",
                    "--save", run.toString(), "--plot", plot.toString());
            assertEquals(0, trained.exitCode(), length + ": " + trained);
            assertTrue(Files.readString(plot).startsWith("<svg"), "the picture");
            Cli.Result resumed = Cli.run("train", "--resume", run.toString(), "--samples", "0", "--save", run.toString(),
                    "--plot", plot.toString());
            assertEquals(0, resumed.exitCode(), length + ": " + resumed);
            assertEquals(2, Checkpoint.load(run).training().orElseThrow().trainer().stepsDone(), "the resumed run saved");
            try (var entries = Files.list(dir)) {
                assertEquals(List.of(plot.getFileName().toString(), run.getFileName().toString()).stream().sorted().toList(),
                        entries.map(p -> p.getFileName().toString()).sorted().toList(), "nothing left beside them");
            }
            Files.delete(plot);
            deleteTree(run);
        }
    }

    private static void deleteTree(Path root) throws IOException {
        try (var walk = Files.walk(root)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
