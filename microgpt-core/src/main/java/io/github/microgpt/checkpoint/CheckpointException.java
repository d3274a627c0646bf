package io.github.microgpt.checkpoint;

import io.github.microgpt.internal.RegularFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A checkpoint or a safetensors file that cannot be used: missing, unreadable, truncated,
 * corrupt, of an unsupported format or version, or inconsistent with itself (a weight matrix
 * whose shape does not match the configuration, a vocabulary that does not match the
 * embeddings). The message names the file and the problem, in one line, for example
 * {@code /runs/a/model.safetensors: truncated: the header says 3456 bytes of tensor data but
 * only 1200 follow}.
 *
 * <p>It is an {@link IOException} because it is a problem with something read from outside the
 * program; a loader throws it, and nothing else, for any file it is given. Only this library throws
 * it (its constructors are not public): a program catches it and reads {@link #file()} and
 * {@link #problem()}; a loader of your own throws an {@link IOException} of its own.
 */
public final class CheckpointException extends IOException {

    private static final long serialVersionUID = 1L;

    /** The file or directory at fault; not serialised, since {@link Path} is not serialisable. */
    private final transient Path file;
    /** What is wrong with the file, without its name. */
    private final String problem;

    /**
     * Creates the exception.
     *
     * @param file the file (or directory) at fault
     * @param problem what is wrong with it, one line starting in lowercase
     * @throws NullPointerException if {@code file} or {@code problem} is null
     */
    CheckpointException(Path file, String problem) {
        this(file, problem, null);
    }

    /**
     * Creates the exception with the failure that revealed the problem.
     *
     * @param file the file (or directory) at fault
     * @param problem what is wrong with it, one line starting in lowercase
     * @param cause the underlying failure, for example a {@code NoSuchFileException}; may be null
     * @throws NullPointerException if {@code file} or {@code problem} is null
     */
    CheckpointException(Path file, String problem, Throwable cause) {
        super(Objects.requireNonNull(file, "file") + ": " + Objects.requireNonNull(problem, "problem"), cause);
        this.file = file;
        this.problem = problem;
    }

    /**
     * Describes a failure to read a checkpoint file, naming the common causes plainly.
     *
     * @param file the file that could not be read
     * @param cause the I/O failure
     * @return the exception to throw
     */
    static CheckpointException unreadable(Path file, IOException cause) {
        if (cause instanceof CheckpointException checkpoint) {
            return checkpoint;
        }
        if (Files.isSymbolicLink(file) && !Files.exists(file)) {
            return new CheckpointException(file, brokenLink(file), cause);
        }
        if (cause instanceof java.nio.file.NoSuchFileException) {
            return new CheckpointException(file, "the file does not exist", cause);
        }
        if (cause instanceof java.nio.file.AccessDeniedException) {
            return new CheckpointException(file, "the file cannot be read: permission denied", cause);
        }
        if (cause instanceof RegularFiles.NotRegularFileException notRegular) {
            return new CheckpointException(file, notRegular.getReason(), cause);
        }
        String reason = cause instanceof java.nio.file.FileSystemException fs && fs.getReason() != null
                ? fs.getReason() : cause.getMessage();
        return new CheckpointException(file, "the file cannot be read: " + (reason == null ? "an I/O error" : reason),
                cause);
    }

    /**
     * What is wrong with a symbolic link that leads to nothing, in words.
     *
     * @param link a symbolic link whose target does not exist
     * @return for example {@code "is a symbolic link to run0, which does not exist"}; a loop of
     *     links leads back to itself
     */
    static String brokenLink(Path link) {
        return RegularFiles.brokenLink(link);
    }

    /**
     * The file or directory at fault.
     *
     * @return the path, as given to the loader
     */
    public Path file() {
        return file;
    }

    /**
     * What is wrong, without the file name.
     *
     * @return for example {@code "unsupported version 2 (this library reads version 1)"}
     */
    public String problem() {
        return problem;
    }
}
