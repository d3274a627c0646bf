package io.github.microgpt.examples.cli;

/**
 * A mistake of the person at the command line: a value out of range, a data file that cannot be
 * read, a bad environment variable. {@link MicrogptCommand} prints its message as one line,
 * {@code microgpt: <message>}, followed by a hint to the command's {@code --help}, and exits with
 * code 2. No stack trace is shown, because the fault is in the input, not in the program.
 */
public final class UsageException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what is wrong and, where it helps, what would be right; one line, starting
     *     in lowercase (it follows {@code "microgpt: "})
     */
    public UsageException(String message) {
        super(message);
    }

    /**
     * Creates the exception with the failure that revealed the mistake.
     *
     * @param message what is wrong; one line
     * @param cause the underlying failure, for example the {@code NoSuchFileException} of a
     *     missing data file
     */
    public UsageException(String message, Throwable cause) {
        super(message, cause);
    }
}
