package io.github.microgpt.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A picture written into a checkpoint's directory: a save replaces that directory whole and
 * refuses one holding a file no checkpoint has, so {@code train --save run --plot run/loss.svg}
 * ran once, and the very same command then failed ("holds loss.svg, which is not part of a
 * checkpoint"); {@code compare --plot A/x.svg} did the same to run A. Both are refused before
 * any work, naming the directory and a place beside it.
 */
class PlotInCheckpointTest {

    @TempDir
    Path dir;

    private Set<String> files(Path directory) throws Exception {
        try (Stream<Path> s = Files.list(directory)) {
            return s.map(p -> p.getFileName().toString()).collect(Collectors.toSet());
        }
    }

    @Test
    void aTrainPlotInsideTheSaveDirectoryIsRefusedBeforeTraining() throws Exception {
        Path run = dir.resolve("run");
        assertEquals(0, Cli.run("train", "--steps", "3", "--samples", "0", "--save", run.toString()).exitCode());
        Set<String> saved = files(run);
        for (String plot : new String[] {run.resolve("loss.svg").toString(), dir + "/x/../run/loss.svg"}) {
            Files.createDirectories(dir.resolve("x"));
            String[] args = {"train", "--steps", "3", "--samples", "0", "--save", run.toString(), "--plot", plot};
            Cli.Result result = Cli.run(args);
            Cli.assertOneLineError(result, 2, "--plot: " + plot + " is inside the --save directory " + run
                    + ", which a save replaces whole and which may hold nothing but the checkpoint (a file there stops"
                    + " the next save into it); write it beside it, for example " + run + ".svg", "microgpt train",
                    args);
            assertEquals("", result.stdout(), "nothing trained");
            assertEquals(saved, files(run), "the checkpoint is as it was");
        }
        // Through a symbolic link to the directory, and before the directory exists (the save makes it).
        Path link = Files.createSymbolicLink(dir.resolve("link"), run);
        String[] linked = {"train", "--steps", "3", "--save", run.toString(), "--plot", link.resolve("a.svg").toString()};
        Cli.assertOneLineError(Cli.run(linked), 2, "--plot: " + link.resolve("a.svg") + " is inside the --save directory",
                "microgpt train", linked);
        Path fresh = dir.resolve("fresh");
        String[] first = {"train", "--steps", "3", "--save", fresh.toString(), "--plot", fresh.resolve("a.svg").toString()};
        Cli.assertOneLineError(Cli.run(first), 2, "--plot: " + fresh.resolve("a.svg") + " is inside the --save directory",
                "microgpt train", first);
        assertFalse(Files.exists(fresh));
        // Beside the directory, as the message suggests, it runs, and the same command runs again.
        for (int i = 0; i < 2; i++) {
            assertEquals(0, Cli.run("train", "--steps", "3", "--samples", "0", "--save", run.toString(), "--plot",
                    run + ".svg").exitCode());
        }
        assertEquals(saved, files(run));
    }

    @Test
    void aComparePlotInsideEitherCheckpointIsRefused() throws Exception {
        Path a = dir.resolve("a");
        Path b = dir.resolve("b");
        assertEquals(0, Cli.run("train", "--steps", "3", "--samples", "0", "--save", a.toString()).exitCode());
        assertEquals(0, Cli.run("train", "--steps", "4", "--samples", "0", "--save", b.toString()).exitCode());
        Set<String> saved = files(a);
        for (Path inside : new Path[] {a, b}) {
            String plot = inside.resolve("loss.svg").toString();
            String[] args = {"compare", a.toString(), b.toString(), "--plot", plot};
            Cli.Result result = Cli.run(args);
            String which = inside == a ? "checkpoint A (the first run's) " : "checkpoint B (the second run's) ";
            Cli.assertOneLineError(result, 2, "--plot: " + plot + " is inside " + which + inside
                    + ", which a save replaces whole", "microgpt compare", args);
            assertEquals("", result.stdout(), "nothing compared");
        }
        assertEquals(saved, files(a));
        assertEquals(0, Cli.run("compare", a.toString(), b.toString(), "--plot", dir.resolve("ab.svg").toString())
                .exitCode());
        // The checkpoints are still saved into with the same command.
        assertEquals(0, Cli.run("train", "--steps", "3", "--samples", "0", "--save", a.toString()).exitCode());
    }
}
