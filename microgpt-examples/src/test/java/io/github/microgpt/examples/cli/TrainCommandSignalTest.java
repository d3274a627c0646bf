package io.github.microgpt.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.checkpoint.Checkpoint;
import io.github.microgpt.examples.ThisJvm;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code microgpt train --save DIR --save-every 1} in a JVM of its own, stopped with SIGTERM (what
 * {@code kill} sends; Ctrl-C takes the same path): the checkpoint loads, nothing is left beside it
 * (no half-written {@code .DIR.saving-*}, no {@code .DIR.lock}), and stderr does not claim that
 * training goes on.
 */
class TrainCommandSignalTest {

    @TempDir
    Path dir;

    private static Process startCli(Path stderr, String... args) throws Exception {
        List<String> command = ThisJvm.command(MicrogptCommand.class.getName(), args);
        // stderr to a file: destroying a process closes its pipes, and what it wrote last would be lost.
        return new ProcessBuilder(command).redirectError(stderr.toFile()).start();
    }

    private static Set<String> names(Path dir) throws Exception {
        try (Stream<Path> files = Files.list(dir)) {
            return new TreeSet<>(files.map(p -> p.getFileName().toString()).toList());
        }
    }

    /** The step of a line "step   12 / 1000 | loss 3.1", or -1 for another line. */
    private static int step(String line) {
        int slash = line.indexOf('/');
        return line.startsWith("step ") && slash > 0 ? Integer.parseInt(line.substring(5, slash).strip()) : -1;
    }

    @Test
    void aSigtermWhileSavingEveryStepLeavesOneWholeCheckpointAndNothingBeside() throws Exception {
        Path save = Files.createDirectory(dir.resolve("out")).resolve("run");
        Path errors = dir.resolve("stderr.txt");
        for (int round = 0; round < 3; round++) {
            Process child = startCli(errors, "train", "--save", save.toString(), "--save-every", "1",
                    "--steps", "1000000", "--samples", "0");
            try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line; (line = out.readLine()) != null && step(line) < 20 + 10 * round; ) {
                    // the header and the first steps
                }
                // SIGTERM, with stdout still open as a terminal's would be (Process.destroy closes
                // the pipe too, and the run may then stop for its closed stdout first).
                child.toHandle().destroy();
                assertTrue(child.waitFor(60, TimeUnit.SECONDS), "round " + round + ": the run stopped");
            } finally {
                child.destroyForcibly();
            }
            String stderr = Files.readString(errors);
            assertTrue(stderr.startsWith("microgpt: stopped (Ctrl-C or a signal) after step "), "round " + round + ": "
                    + stderr);
            assertTrue(stderr.contains(" of 1000000; " + save + " holds the save of step "), "round " + round + ": "
                    + stderr);
            assertFalse(stderr.contains("training goes on"), "round " + round + ": " + stderr);
            assertFalse(stderr.contains("Exception"), "round " + round + ": " + stderr);
            assertEquals(Set.of("run"), names(save.getParent()), "round " + round + ": no leftovers, not even a lock file");
            // The line of step N is printed before step N is saved.
            assertTrue(Checkpoint.load(save).training().orElseThrow().trainer().stepsDone() >= 19 + 10 * round,
                    "round " + round + ": the checkpoint holds a step at least as late as the one read");
        }
    }

    /**
     * A stop does not save (a failed run leaves earlier outputs intact: an interrupted run would
     * otherwise replace the checkpoint DIR held), but it said nothing at all, so a user could not
     * tell whether the run was in DIR. Now a line says the step reached and that DIR holds what it
     * held before, and DIR is untouched.
     */
    @Test
    void aSigtermWithoutSaveEveryKeepsWhatTheDirectoryHeldAndSaysSo() throws Exception {
        Path save = Files.createDirectory(dir.resolve("out")).resolve("run");
        Path errors = dir.resolve("stderr.txt");
        Process first = startCli(errors, "train", "--save", save.toString(), "--steps", "3", "--samples", "0");
        assertEquals(0, first.waitFor(), Files.readString(errors));
        byte[] before = Files.readAllBytes(save.resolve(Checkpoint.MODEL_FILE));

        Process child = startCli(errors, "train", "--save", save.toString(), "--steps", "1000000", "--samples", "0");
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                StandardCharsets.UTF_8))) {
            for (String line; (line = out.readLine()) != null && step(line) < 20; ) {
                // the header and the first steps
            }
            child.toHandle().destroy();   // SIGTERM, with stdout still read as a terminal would
            assertTrue(child.waitFor(60, TimeUnit.SECONDS), "the run stopped");
        } finally {
            child.destroyForcibly();
        }
        String stderr = Files.readString(errors);
        assertTrue(stderr.startsWith("microgpt: stopped (Ctrl-C or a signal) after step "), "exit " + child.exitValue()
                + ": " + stderr);
        assertTrue(stderr.contains(" of 1000000; a stop does not save, so this run is not in " + save
                + ", which holds what it held before (--save-every N saves as the run goes)"), stderr);
        assertEquals(1, stderr.lines().count(), stderr);
        assertEquals(Set.of("run"), names(save.getParent()), "no leftovers, not even a lock file");
        assertEquals(3, Checkpoint.load(save).training().orElseThrow().trainer().stepsDone(), "the earlier run");
        assertTrue(java.util.Arrays.equals(before, Files.readAllBytes(save.resolve(Checkpoint.MODEL_FILE))),
                "its weights unchanged");

        // A reader of stdout that goes away (the end of a pipe, as "| head" closes it) stops the
        // run too, quietly on stdout (exit 141, as SIGPIPE), and the same line says so.
        child = startCli(errors, "train", "--save", save.toString(), "--steps", "1000000", "--samples", "0");
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            for (String line; (line = out.readLine()) != null && step(line) < 20; ) {
                // the header and the first steps
            }
            out.close();
            assertTrue(child.waitFor(60, TimeUnit.SECONDS), "the run stopped");
        } finally {
            child.destroyForcibly();
        }
        assertEquals(CommandFailedException.BROKEN_PIPE, child.exitValue());
        stderr = Files.readString(errors);
        assertTrue(stderr.startsWith("microgpt: stopped (stdout was closed by its reader) after step "), stderr);
        assertTrue(stderr.contains(" of 1000000; a stop does not save, so this run is not in " + save
                + ", which holds what it held before (--save-every N saves as the run goes)"), stderr);
        assertEquals(1, stderr.lines().count(), stderr);
        assertEquals(3, Checkpoint.load(save).training().orElseThrow().trainer().stepsDone(), "the earlier run");
    }
}
