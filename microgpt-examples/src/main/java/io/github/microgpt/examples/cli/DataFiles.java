package io.github.microgpt.examples.cli;

import io.github.microgpt.internal.RegularFiles;
import io.github.microgpt.text.Documents;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * Reads the data file a command is given ({@code train --data}, {@code simulator --data}), so that
 * every command refuses a bad one in the same words: a file that is missing, unreadable, a
 * directory, a FIFO, a symbolic link to nothing or a loop of links, not UTF-8 text, too large,
 * or without a document. Each refusal is a {@link UsageException} whose message starts with
 * "the data file" and the name given.
 */
public final class DataFiles {

    private DataFiles() {
    }

    /**
     * The documents of a data file ({@link Documents#load(Path)}), or the embedded names when no
     * file is given.
     *
     * @param data the file, or {@code null} for the embedded names
     * @return the documents, in order; never empty
     * @throws UsageException if the file cannot be read or holds no document, naming it and why
     */
    public static List<String> load(Path data) {
        if (data == null) {
            return Documents.embeddedNames();
        }
        if (Files.isDirectory(data)) {
            throw new UsageException("the data file " + data + " is a directory");
        }
        try {
            return Documents.load(data);
        } catch (IOException e) {
            throw new UsageException(describeReadFailure(data, e), e);
        }
    }

    /**
     * A one-line explanation of why a data file could not be read.
     *
     * @param file the file
     * @param e the failure
     * @return for example {@code "the data file x.txt does not exist"}
     */
    static String describeReadFailure(Path file, IOException e) {
        if (Files.isSymbolicLink(file) && !Files.exists(file)) {
            return "the data file " + file + " " + RegularFiles.brokenLink(file);
        }
        if (e instanceof NoSuchFileException) {
            return "the data file " + file + " does not exist";
        }
        if (e instanceof AccessDeniedException) {
            return "the data file " + file + " cannot be read: permission denied";
        }
        if (e instanceof CharacterCodingException) {
            // The message is "<file> is not valid UTF-8 (bad byte near offset N)".
            return "the data file " + e.getMessage();
        }
        if (e instanceof FileSystemException fs && fs.getReason() != null) {
            // "is a FIFO, a device or a socket, not a regular file" reads on from the file's name.
            return "the data file " + file + (fs.getReason().startsWith("is ") ? " " : " cannot be read: ")
                    + fs.getReason();
        }
        String message = String.valueOf(e.getMessage());
        if (message.startsWith(file + ": ")) {
            // "<file>: the file grew while it was read; ...": the name is said once, not twice.
            return "the data file " + file + " cannot be read: " + message.substring(file.toString().length() + 2);
        }
        if (message.startsWith(file + " ")) {
            return "the data file " + message;  // "<file> has N bytes, more than the M ...", "<file> holds no documents"
        }
        return "the data file " + file + " cannot be read: " + message;
    }
}
