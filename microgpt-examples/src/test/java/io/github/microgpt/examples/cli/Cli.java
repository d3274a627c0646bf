package io.github.microgpt.examples.cli;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.testsupport.TestResources;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Runs the command line in-process with captured streams, and checks what error output looks like. */
final class Cli {

    private Cli() {
    }

    /** What one run left behind. */
    record Result(int exitCode, byte[] stdoutBytes, String stderr) {
        String stdout() {
            return new String(stdoutBytes, StandardCharsets.UTF_8);
        }

        List<String> stdoutLines() {
            return List.of(stdout().split("\n", -1));
        }

        List<String> stderrLines() {
            if (stderr.isEmpty()) {
                return List.of();
            }
            String body = stderr.endsWith("\n") ? stderr.substring(0, stderr.length() - 1) : stderr;
            return List.of(body.split("\n", -1));
        }

        @Override
        public String toString() {
            return "exit " + exitCode + ", stderr: " + stderr;
        }
    }

    static Result run(String... args) {
        return run(Map.of(), null, null, args);
    }

    static Result run(Map<String, String> environment, String stdoutTerminal, String stderrTerminal, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        CliContext context = new CliContext(out, new PrintStream(err, true, StandardCharsets.UTF_8), environment,
                stdoutTerminal, stderrTerminal);
        int code = MicrogptCommand.execute(context, args);
        return new Result(code, out.toByteArray(), err.toString(StandardCharsets.UTF_8));
    }

    /**
     * A directory with the reference material ({@code golden/...}, {@code data/names.txt}), from
     * microgpt-core's test resources: {@link TestResources#directory()}.
     */
    static Path shared() {
        return TestResources.directory();
    }

    /**
     * Checks the shape of an error: the exit code, and one line {@code microgpt: ...} that names the
     * cause and, for a usage error, ends with {@code ; try 'COMMAND --help'}, and nothing that
     * looks like a stack trace.
     *
     * @param hintCommand the command whose {@code --help} the line points to, or null for none
     */
    static void assertOneLineError(Result result, int exitCode, String cause, String hintCommand, String... args) {
        String what = "microgpt " + String.join(" ", args) + " -> " + result;
        List<String> lines = result.stderrLines();
        assertAll(what,
                () -> assertEquals(exitCode, result.exitCode(), "exit code"),
                () -> assertTrue(result.stderr().endsWith("\n"), "stderr ends with a line break"),
                () -> assertEquals(1, lines.size(), "one line: " + lines),
                () -> assertTrue(lines.get(0).startsWith("microgpt: "), "starts with the program's name"),
                () -> assertTrue(lines.get(0).contains(cause), "names the cause '" + cause + "'"),
                () -> {
                    if (hintCommand != null) {
                        assertTrue(lines.get(0).endsWith("; try '" + hintCommand + " --help'"), "ends with the hint");
                    } else {
                        assertFalse(lines.get(0).contains("--help'"), "no hint");
                    }
                },
                () -> assertFalse(result.stderr().contains("Exception"), "no exception name"),
                () -> assertFalse(result.stderr().contains("at io."), "no stack frame"),
                () -> assertFalse(result.stderr().contains("\tat "), "no stack frame"));
    }
}
