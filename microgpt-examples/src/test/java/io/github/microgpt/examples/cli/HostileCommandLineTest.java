package io.github.microgpt.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * What a hostile or careless command line found (cli16's probes, 7 December 2026): each is one
 * clear line and exit code 2, or a run that works, never a misleading message or an internal error.
 */
class HostileCommandLineTest {

    /**
     * After {@code --} every argument is positional, and no command takes one: {@code --steps}
     * was called an unknown option, and {@code train} an unknown command, though both exist.
     */
    @Test
    void argumentsAfterTheEndOfTheOptionsAreNamedAsSuch() {
        String[] train = {"train", "--", "--steps", "1"};
        Cli.assertOneLineError(Cli.run(train), 2, "microgpt: '--' ends the options: an argument after it is read as"
                + " neither an option nor a command, and 'microgpt train' takes no other arguments (got '--steps',"
                + " '1'); remove the '--'; try", "microgpt train", train);
        String[] top = {"--", "train"};
        Cli.assertOneLineError(Cli.run(top), 2, "microgpt: '--' ends the options: an argument after it is read as"
                + " neither an option nor a command, and 'microgpt' takes no other arguments (got 'train'); remove"
                + " the '--'; try", "microgpt", top);
        String[] generate = {"generate", "--model", "run", "--", "x"};
        Cli.assertOneLineError(Cli.run(generate), 2, "and 'microgpt generate' takes no other arguments (got 'x');"
                + " remove the '--'; try", "microgpt generate", generate);
        // An unknown option before the '--' is still what is wrong.
        String[] before = {"train", "--bogus", "--", "x"};
        Cli.assertOneLineError(Cli.run(before), 2, "microgpt: unknown option", "microgpt train", before);
    }

    /** "-0" broke only the rule's "a minus sign in front for a negative number", which did not say so. */
    @Test
    void negativeZeroIsToldToDropItsSign() {
        for (String[] args : new String[][] {{"train", "--steps", "-0"}, {"train", "--seed", "-0"},
                {"generate", "--model", "run", "--top-k", "-0"}}) {
            Cli.assertOneLineError(Cli.run(args), 2, "invalid value for option '" + args[args.length - 2]
                    + "': '-0' is not a plain whole number: zero takes no minus sign; write 0; try",
                    "microgpt " + args[0], args);
        }
    }

    /**
     * A bigram model has no table of positions, so nothing bounds its block size but an int; the
     * largest ended in "internal error: ... a document is read as at least 2 tokens, got
     * -2147483648" (the block size + 1 overflowed in the trainer).
     */
    @Test
    void theLargestBlockSizeOfABigramModelTrains() {
        Cli.Result result = Cli.run("train", "--model", "bigram", "--block-size", "2147483647", "--steps", "2",
                "--samples", "1");
        assertEquals(0, result.exitCode(), result.toString());
        assertEquals("", result.stderr());
    }

    /** {@code help ''} was picocli's own words ("unknown subcommand ''"), unlike any other unknown command. */
    @Test
    void helpOfAnEmptyCommandNameIsAnUnknownCommand() {
        String[] args = {"help", ""};
        Cli.assertOneLineError(Cli.run(args), 2, "microgpt: unknown command '' (the commands are: train, generate,",
                "microgpt", args);
    }

    /** A reader's message that starts with the file's name does not say it twice. */
    @Test
    void aDataFileThatGrewOrIsVirtualIsNamedOnce() throws IOException {
        Path file = Path.of("names.txt");
        assertEquals("the data file names.txt cannot be read: the file grew while it was read; read it again when it"
                + " is complete", DataFiles.describeReadFailure(file, new IOException(file
                        + ": the file grew while it was read; read it again when it is complete")));
        Path status = Path.of("/proc/self/status");
        Assumptions.assumeTrue(Files.isRegularFile(status) && Files.size(status) == 0, "a virtual file of /proc");
        String[] args = {"train", "--data", status.toString()};
        Cli.assertOneLineError(Cli.run(args), 2, "microgpt: the data file /proc/self/status cannot be read: the file"
                + " says it is empty but has content, as the virtual files of /proc and /sys do; copy it to an"
                + " ordinary file first; try", "microgpt train", args);
    }
}
