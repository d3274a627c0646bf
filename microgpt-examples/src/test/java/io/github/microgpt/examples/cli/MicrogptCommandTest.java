package io.github.microgpt.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The top command: help, version, a missing or unknown command, and how failures are reported. */
class MicrogptCommandTest {

    @Test
    void helpListsTheCommandsAndTheExitCodes() {
        Cli.Result result = Cli.run("--help");

        assertEquals(0, result.exitCode());
        assertEquals("", result.stderr());
        assertTrue(result.stdout().startsWith("Usage: microgpt "), result.stdout());
        assertTrue(result.stdout().contains("\n  train "), result.stdout());
        assertTrue(result.stdout().contains("Exit codes:"), result.stdout());
    }

    @Test
    void versionNamesTheProgram() {
        Cli.Result result = Cli.run("--version");

        assertEquals(0, result.exitCode());
        assertTrue(result.stdout().startsWith("microgpt "), result.stdout());
    }

    @Test
    void noCommandIsAUsageMistake() {
        Cli.Result result = Cli.run();

        Cli.assertOneLineError(result, 2, "a command is required: train", "microgpt");
    }

    @Test
    void anUnknownCommandIsNamed() {
        Cli.Result result = Cli.run("frobnicate", "--steps", "3");

        Cli.assertOneLineError(result, 2, "unknown command 'frobnicate' (the commands are: train", "microgpt",
                "frobnicate");
    }

    @Test
    void anUnknownTopLevelOption() {
        Cli.Result result = Cli.run("--bogus");

        Cli.assertOneLineError(result, 2, "unknown option: '--bogus'", "microgpt", "--bogus");
    }

    /**
     * An unknown option, or command, is quoted as an excerpt, as a value is: an option name of
     * 100,000 characters was echoed whole, an error "line" of 100,060 bytes.
     */
    @Test
    void aLongUnknownOptionOrCommandIsCutToAnExcerpt() {
        String option = "--" + "x".repeat(100_000);
        Cli.Result result = Cli.run("train", option);

        Cli.assertOneLineError(result, 2, "unknown option: '--" + "x".repeat(38) + "… (100002 characters)'",
                "microgpt train", "train", "--x...");
        assertTrue(result.stderr().length() < 200, result.stderr().length() + " characters");

        String command = "y".repeat(100_000);
        Cli.Result unknownCommand = Cli.run(command);
        Cli.assertOneLineError(unknownCommand, 2, "unknown command '" + "y".repeat(40) + "… (100000 characters)'",
                "microgpt", "yyy...");
        assertTrue(unknownCommand.stderr().length() < 300, unknownCommand.stderr().length() + " characters");

        Cli.Result stray = Cli.run("train", "z".repeat(50));
        Cli.assertOneLineError(stray, 2, "'microgpt train' takes options only, not the argument '" + "z".repeat(40)
                + "… (50 characters)'",
                "microgpt train", "train", "zzz...");
    }

    @Command(name = "boom")
    static final class Boom implements Callable<Integer> {
        @Override
        public Integer call() {
            throw new IllegalStateException("a bug");
        }
    }

    /** A subcommand added late must be handed the streams again; setErr passes them on to subcommands. */
    private static CommandLine withBoom(CommandLine commandLine) {
        commandLine.addSubcommand(new Boom());
        commandLine.setOut(commandLine.getOut());
        commandLine.setErr(commandLine.getErr());
        return commandLine;
    }

    @Test
    void aBugIsOneLineUnlessDebugging() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        CliContext context = new CliContext(new ByteArrayOutputStream(), new PrintStream(err, true, StandardCharsets.UTF_8),
                Map.of(), null, null);
        CommandLine commandLine = withBoom(MicrogptCommand.commandLine(context));

        int code = commandLine.execute("boom");

        assertEquals(1, code);
        String text = err.toString(StandardCharsets.UTF_8);
        assertEquals("microgpt: internal error: java.lang.IllegalStateException: a bug (set MICROGPT_DEBUG=1 to see where)\n",
                text);

        ByteArrayOutputStream debugErr = new ByteArrayOutputStream();
        CliContext debugging = new CliContext(new ByteArrayOutputStream(),
                new PrintStream(debugErr, true, StandardCharsets.UTF_8), Map.of("MICROGPT_DEBUG", "1"), null, null);
        assertEquals(1, withBoom(MicrogptCommand.commandLine(debugging)).execute("boom"));
        assertTrue(debugErr.toString(StandardCharsets.UTF_8).contains("\tat "), "the stack trace is shown");
    }

    @Test
    void aClosedPipeEndsTheRunQuietly() {
        Cli.Result result = runWithStdout(new FailingStream("Broken pipe"));

        assertEquals(CommandFailedException.BROKEN_PIPE, result.exitCode());
        assertEquals("", result.stderr());
    }

    @Test
    void anotherWriteErrorIsOneLine() {
        Cli.Result result = runWithStdout(new FailingStream("No space left on device"));

        Cli.assertOneLineError(result, 1, "cannot write to stdout: No space left on device", null, "train");
    }

    @Test
    void helpAndTheVersionReportAWriteErrorToo() {
        // picocli prints them through a PrintWriter, which kept the error to itself: exit 0, nothing written.
        for (String[] args : List.of(new String[] {"help", "train"}, new String[] {"train", "--help"},
                new String[] {"--version"})) {
            Cli.Result full = runWithStdout(new FailingStream("No space left on device"), args);
            Cli.assertOneLineError(full, 1, "cannot write to stdout: No space left on device", null, args);
            Cli.Result pipe = runWithStdout(new FailingStream("Broken pipe"), args);
            assertEquals(CommandFailedException.BROKEN_PIPE, pipe.exitCode(), String.join(" ", args));
            assertEquals("", pipe.stderr());
        }
    }

    private static Cli.Result runWithStdout(OutputStream out) {
        return runWithStdout(out, "train", "--steps", "3");
    }

    private static Cli.Result runWithStdout(OutputStream out, String... args) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        CliContext context = new CliContext(out, new PrintStream(err, true, StandardCharsets.UTF_8), Map.of(), null,
                null);
        int code = MicrogptCommand.execute(context, args);
        return new Cli.Result(code, new byte[0], err.toString(StandardCharsets.UTF_8));
    }

    /** A stdout whose reader has gone, or whose disk is full. */
    private static final class FailingStream extends OutputStream {
        private final String message;

        FailingStream(String message) {
            this.message = message;
        }

        @Override
        public void write(int b) throws IOException {
            throw new IOException(message);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            throw new IOException(message);
        }
    }
}
