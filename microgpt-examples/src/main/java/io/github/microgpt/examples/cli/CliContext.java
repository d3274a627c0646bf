package io.github.microgpt.examples.cli;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Objects;

/**
 * Everything a command reads from or writes to the world outside the JVM's heap: the two output
 * streams, the environment variables, and which terminal (if any) each stream is connected to.
 *
 * <p>Commands never touch {@code System.out}, {@code System.err} or {@code System.getenv()}
 * directly; they ask their context. That is what lets a test run a whole command in-process with
 * both streams captured in byte arrays and a made-up environment, and check that, for example,
 * nothing at all is written to stderr when stderr is not a terminal.
 *
 * @param out where results go (stdout). Commands write bytes (UTF-8) to it themselves, so what
 *     lands in a file does not depend on the platform's default encoding or line separator
 * @param err where messages and progress go (stderr)
 * @param environment the environment variables, for example {@code MICROGPT_PROGRESS}
 * @param stdoutTerminal the terminal device stdout is connected to (for example
 *     {@code /dev/pts/3}), or {@code null} if stdout is a file or a pipe
 * @param stderrTerminal the terminal device stderr is connected to, or {@code null}
 */
public record CliContext(OutputStream out, PrintStream err, Map<String, String> environment,
                         String stdoutTerminal, String stderrTerminal) {

    /**
     * Checks that the streams and the environment are given and copies the environment.
     *
     * @param out stdout
     * @param err stderr
     * @param environment the environment variables
     * @param stdoutTerminal the terminal of stdout, or {@code null}
     * @param stderrTerminal the terminal of stderr, or {@code null}
     */
    public CliContext {
        Objects.requireNonNull(out, "out");
        Objects.requireNonNull(err, "err");
        environment = Map.copyOf(environment);
    }

    /**
     * The context of a real process: file descriptors 1 and 2, {@code System.getenv()}, and the
     * terminals found by {@link Terminals#deviceOf(int)}.
     *
     * <p>Stdout is a plain {@link FileOutputStream} on descriptor 1 rather than
     * {@code System.out}, because {@code System.out} hides write errors: when the reader of a pipe
     * goes away (as in {@code microgpt train | head}), a command must notice and stop rather than
     * train on for minutes writing into the void.
     *
     * @return the process's context
     */
    public static CliContext system() {
        return new CliContext(new FileOutputStream(FileDescriptor.out),
                new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8),
                System.getenv(), Terminals.deviceOf(1), Terminals.deviceOf(2));
    }

    /**
     * Whether stderr is a terminal, that is whether a person is probably watching it.
     *
     * @return {@code stderrTerminal() != null}
     */
    public boolean stderrIsTerminal() {
        return stderrTerminal != null;
    }

    /**
     * Whether stdout and stderr show on the same terminal, so that a line written to one lands
     * where the other has drawn something (a progress bar must then get out of the way first).
     *
     * @return true if both are connected to the same terminal device
     */
    public boolean outputSharesTerminalWithErr() {
        return stdoutTerminal != null && stdoutTerminal.equals(stderrTerminal);
    }

    /**
     * The value of an environment variable.
     *
     * @param name the variable's name
     * @return its value, or {@code null} if it is not set
     */
    public String getenv(String name) {
        return environment.get(name);
    }
}
