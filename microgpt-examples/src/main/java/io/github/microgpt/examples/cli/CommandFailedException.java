package io.github.microgpt.examples.cli;

/**
 * A command that could not finish for a reason other than a usage mistake: training diverged,
 * memory ran out, stdout could not be written. {@link MicrogptCommand} prints the message as one
 * line, {@code microgpt: <message>}, with no stack trace, and exits with the given code.
 */
public final class CommandFailedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** The exit code of a run that failed (1). */
    public static final int FAILED = 1;

    /**
     * The exit code when stdout was closed by its reader, as in {@code microgpt train | head}:
     * 141, what a shell reports for a program ended by SIGPIPE, which is what other command-line
     * tools die of in that situation.
     */
    public static final int BROKEN_PIPE = 141;

    private final int exitCode;

    /**
     * Creates the exception.
     *
     * @param message one line saying what went wrong, or {@code null} to print nothing (for a
     *     closed pipe, where the reader has gone and nobody wants a message)
     * @param exitCode the process's exit code
     * @param cause the underlying failure, or {@code null}
     */
    public CommandFailedException(String message, int exitCode, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    /**
     * The exit code the process should end with.
     *
     * @return for example {@link #FAILED}
     */
    public int exitCode() {
        return exitCode;
    }
}
