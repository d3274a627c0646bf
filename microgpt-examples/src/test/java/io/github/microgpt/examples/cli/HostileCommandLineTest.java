package io.github.microgpt.examples.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * What a hostile or careless command line found (cli16's probes, 7 December 2026; cli17's, 8
 * December): each is one clear line and exit code 2, or a run that works, never a misleading
 * message or an internal error.
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

    /** Picocli's help command showed the first name's help and dropped the rest without a word. */
    @Test
    void helpOfSeveralCommandsIsRefused() {
        String[] twice = {"help", "train", "train"};
        Cli.assertOneLineError(Cli.run(twice), 2, "microgpt: 'microgpt help' takes one command name, got 2 ('train',"
                + " 'train'); 'microgpt help train' shows all of its options; try", "microgpt", twice);
        String[] option = {"help", "generate", "--top-k"};
        Cli.assertOneLineError(Cli.run(option), 2, "got 2 ('generate', '--top-k'); 'microgpt help generate' shows",
                "microgpt", option);
        // Help of the help command still wins, as everywhere.
        Cli.Result helpOfHelp = Cli.run("help", "train", "--help");
        assertEquals(0, helpOfHelp.exitCode(), helpOfHelp.toString());
        assertTrue(helpOfHelp.stdout().contains("Usage: microgpt help"), helpOfHelp.stdout());
    }

    /**
     * Help wins, as in git and in picocli for a line without a malformed value ({@code train
     * --bogus --help} showed help): {@code train --help --steps x} was refused for its 'x', and
     * {@code train --steps --help} for a missing value, though the user asked for the options.
     */
    @Test
    void helpWinsOverAMalformedValue() {
        String help = Cli.run("train", "--help").stdout();
        assertTrue(help.startsWith("Usage: microgpt train"), help);
        for (String[] args : new String[][] {{"train", "--help", "--steps", "x"}, {"train", "--steps", "x", "-h"},
                {"train", "--steps", "--help"}, {"train", "--steps", "1", "--steps", "2", "--help"}}) {
            Cli.Result result = Cli.run(args);
            assertEquals(0, result.exitCode(), String.join(" ", args) + " -> " + result);
            assertEquals("", result.stderr(), String.join(" ", args));
            assertEquals(help, result.stdout(), String.join(" ", args));
        }
        Cli.Result version = Cli.run("generate", "--top-k", "x", "--version");
        assertEquals(0, version.exitCode(), version.toString());
        assertTrue(version.stdout().startsWith("microgpt "), version.stdout());
        // After '--' a help option is a plain argument, and the error stands.
        String[] after = {"train", "--steps", "x", "--", "--help"};
        assertEquals(2, Cli.run(after).exitCode());
    }

    /**
     * Names are matched exactly (as git's are), but a name in the wrong case or one slip away is
     * named: "unknown command 'TRAIN'" and "unknown option: '--Steps'" left the user to spot it.
     */
    @Test
    void anUnknownNameCloseToAKnownOneIsNamed() {
        String[] upper = {"TRAIN"};
        Cli.assertOneLineError(Cli.run(upper), 2, "microgpt: unknown command 'TRAIN'; did you mean 'train'? (the"
                + " commands are: train, generate,", "microgpt", upper);
        String[] swapped = {"help", "trian"};
        Cli.assertOneLineError(Cli.run(swapped), 2, "unknown command 'trian'; did you mean 'train'?", "microgpt",
                swapped);
        String[] option = {"train", "--Steps", "3"};
        Cli.assertOneLineError(Cli.run(option), 2, "microgpt: unknown option: '--Steps' (did you mean '--steps'?)",
                "microgpt train", option);
        String[] withValue = {"generate", "--model", "run", "--topk=3"};
        Cli.assertOneLineError(Cli.run(withValue), 2, "unknown option: '--topk=3' (did you mean '--top-k'?)",
                "microgpt generate", withValue);
        // Nothing close: no guess.
        String[] far = {"train", "--bogus", "3"};
        Cli.Result result = Cli.run(far);
        Cli.assertOneLineError(result, 2, "microgpt: unknown option: '--bogus'; try", "microgpt train", far);
    }

    /**
     * The values of the options that name a choice ({@code --model}, {@code --engine},
     * {@code --precision}, in train and bench) are read in any case, as the library's
     * {@code fromId} reads them: {@code --model GPT} trains the gpt. (This pins the decision; it
     * held before.)
     */
    @Test
    void theNamesOfAChoiceAreReadInAnyCase() {
        Cli.Result lower = Cli.run("train", "--model", "gpt", "--engine", "array", "--precision", "f32", "--steps", "2",
                "--samples", "2");
        Cli.Result upper = Cli.run("train", "--model", "GPT", "--engine", "Array", "--precision", "F32", "--steps", "2",
                "--samples", "2");
        assertEquals(0, upper.exitCode(), upper.toString());
        assertArrayEquals(lower.stdoutBytes(), upper.stdoutBytes());
    }

    /**
     * A space at either end of a file's name is invisible in a message: "the data file names.txt
     * does not exist" (typed {@code --data 'names.txt '}) read as if names.txt were missing.
     */
    @Test
    void aNameWithASpaceAtAnEdgeIsQuotedAndTheSpaceNamed() throws IOException {
        Path dir = Files.createTempDirectory("cli17-space");
        try {
            Path names = Files.writeString(dir.resolve("names.txt"), "emma\nava\n");
            String[] trailing = {"train", "--data", names + " "};
            Cli.assertOneLineError(Cli.run(trailing), 2, "microgpt: the data file '" + names + " ' does not exist:"
                    + " its name ends in a space ('" + names + "', without it, exists); try", "microgpt train",
                    trailing);
            String[] leading = {"train", "--data", " nowhere.txt"};
            Cli.assertOneLineError(Cli.run(leading), 2, "microgpt: the data file ' nowhere.txt' does not exist: its"
                    + " name begins with a space; try", "microgpt train", leading);
            String[] model = {"generate", "--model", dir + " "};
            Cli.assertOneLineError(Cli.run(model), 2, "; the name '" + dir + " ' ends in a space ('" + dir
                    + "', without it, exists); try", "microgpt generate", model);
            Path sub = Files.createDirectory(dir.resolve("data "));
            String[] directory = {"train", "--data", sub.toString()};
            Cli.assertOneLineError(Cli.run(directory), 2, "microgpt: the data file '" + sub + "' is a directory; try",
                    "microgpt train", directory);
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
        }
    }

    /**
     * A terminal that says it is dumb (Emacs' shell buffer, some editors' consoles) shows the
     * bar's erasing escape as "^[[K" after every redraw: the bar is left out there, unless asked
     * for with MICROGPT_PROGRESS=always.
     */
    @Test
    void aDumbTerminalGetsNoProgressBarUnlessAskedFor() {
        String[] args = {"train", "--steps", "3", "--samples", "1"};
        Cli.Result dumb = Cli.run(Map.of("TERM", "dumb"), null, "/dev/pts/4", args);
        assertEquals(0, dumb.exitCode(), dumb.toString());
        assertEquals("", dumb.stderr());
        Cli.Result asked = Cli.run(Map.of("TERM", "dumb", ProgressMode.VARIABLE, "always"), null, "/dev/pts/4", args);
        assertTrue(asked.stderr().contains("training 100% ["), asked.stderr());
        Cli.Result xterm = Cli.run(Map.of("TERM", "xterm-256color"), null, "/dev/pts/4", args);
        assertTrue(xterm.stderr().contains("training 100% ["), xterm.stderr());
    }

    /**
     * An option typed before its command ({@code microgpt --steps 3 train}) was "unknown option:
     * '--steps'", though it exists; an argument no command takes was picocli's "unmatched argument
     * at index 1", counted from 0 after the command's name, without saying what the command takes.
     */
    @Test
    void anOptionBeforeItsCommandAndAStrayArgumentAreExplained() {
        String[] early = {"--steps", "3", "train"};
        Cli.assertOneLineError(Cli.run(early), 2, "microgpt: unknown option: '--steps' here: it is an option of train,"
                + " and comes after the command's name, as in 'microgpt train --steps ...'; try", "microgpt", early);
        String[] shared = {"--seed=3", "generate", "--model", "run"};
        Cli.assertOneLineError(Cli.run(shared), 2, "unknown option: '--seed=3' here: it is an option of train,"
                + " generate and simulator, and comes after the command's name, as in 'microgpt train --seed ...'",
                "microgpt", shared);
        String[] twoCommands = {"train", "--steps", "3", "generate"};
        Cli.assertOneLineError(Cli.run(twoCommands), 2, "microgpt: 'microgpt train' takes options only, not the"
                + " argument 'generate' (one command at a time); try", "microgpt train", twoCommands);
        String[] third = {"compare", "a", "b", "c"};
        Cli.assertOneLineError(Cli.run(third), 2, "microgpt: 'microgpt compare' takes the arguments A B and options,"
                + " not also the argument 'c'; try", "microgpt compare", third);
    }
}
