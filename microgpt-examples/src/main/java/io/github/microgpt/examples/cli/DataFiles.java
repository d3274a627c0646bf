package io.github.microgpt.examples.cli;

import io.github.microgpt.internal.RegularFiles;
import io.github.microgpt.text.Documents;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
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
            throw new UsageException("the data file " + shown(data) + " is a directory");
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
        String name = file.toString();
        String shown = shown(file);
        if (Files.isSymbolicLink(file) && !Files.exists(file)) {
            return "the data file " + shown + " " + RegularFiles.brokenLink(file);
        }
        if (e instanceof NoSuchFileException) {
            return "the data file " + shown + " does not exist" + missingNameNote(file, ": ");
        }
        if (e instanceof AccessDeniedException) {
            return "the data file " + shown + " cannot be read: permission denied";
        }
        String message = String.valueOf(e.getMessage());
        if (e instanceof CharacterCodingException) {
            // The message is "<file> is not valid UTF-8 (bad byte near offset N)".
            return "the data file " + (message.startsWith(name + " ") ? shown + message.substring(name.length())
                    : message);
        }
        if (e instanceof FileSystemException fs && fs.getReason() != null) {
            // "is a FIFO, a device or a socket, not a regular file" reads on from the file's name.
            return "the data file " + shown + (fs.getReason().startsWith("is ") ? " " : " cannot be read: ")
                    + fs.getReason();
        }
        if (message.startsWith(name + ": ")) {
            // "<file>: the file grew while it was read; ...": the name is said once, not twice.
            return "the data file " + shown + " cannot be read: " + message.substring(name.length() + 2);
        }
        if (message.startsWith(name + " ")) {
            // "<file> has N bytes, more than the M ...", "<file> holds no documents"
            return "the data file " + shown + message.substring(name.length());
        }
        return "the data file " + shown + " cannot be read: " + message;
    }

    /**
     * A file's name as a message shows it: as it is, or in single quotes when it begins or ends
     * with white space, which the message would otherwise hide: "the data file names.txt  does
     * not exist" (typed as {@code --data 'names.txt '}) read as if names.txt were missing.
     *
     * @param file the file as given
     * @return its name, quoted if it begins or ends with white space
     */
    static String shown(Path file) {
        String name = file.toString();
        return edgeSpace(name) == null ? name : "'" + name + "'";
    }

    /**
     * For a file or directory that does not exist, whose name begins or ends with white space:
     * a note that says so, and whether the name without it exists, after {@code separator};
     * for example {@code ": its name ends in a space ('names.txt', without it, exists)"}. Otherwise
     * the empty string. A space typed inside quotes, or pasted with a name, is invisible in a
     * message and easy to miss in the shell's history.
     *
     * @param file the file or directory as given
     * @param separator what comes before the note, such as {@code ": "} or {@code "; "}
     * @return the note, or ""
     */
    static String missingNameNote(Path file, String separator) {
        String name = file.toString();
        String where = edgeSpace(name);
        if (where == null || Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            return "";
        }
        String stripped = withoutEdgeSpace(name);
        boolean strippedExists;
        try {
            strippedExists = !stripped.isEmpty() && Files.exists(Path.of(stripped), LinkOption.NOFOLLOW_LINKS);
        } catch (InvalidPathException e) {
            strippedExists = false;
        }
        return separator + (separator.startsWith(":") ? "its name" : "the name '" + name + "'") + " " + where
                + (strippedExists ? " ('" + stripped + "', without it, exists)" : "");
    }

    /** Where a name has white space at an edge, as "begins with a space", or null if it has none. */
    private static String edgeSpace(String name) {
        if (name.isEmpty()) {
            return null;
        }
        boolean begins = isSpace(name.charAt(0));
        boolean ends = isSpace(name.charAt(name.length() - 1));
        if (!begins && !ends) {
            return null;
        }
        String what = withoutEdgeSpace(name).isEmpty() ? "is all white space" : begins && ends
                ? "begins and ends with white space" : begins ? "begins with " : "ends in ";
        if (what.endsWith(" ")) {
            char c = begins ? name.charAt(0) : name.charAt(name.length() - 1);
            what += c == ' ' ? "a space" : "white space";
        }
        return what;
    }

    private static String withoutEdgeSpace(String name) {
        int begin = 0;
        int end = name.length();
        while (begin < end && isSpace(name.charAt(begin))) {
            begin++;
        }
        while (end > begin && isSpace(name.charAt(end - 1))) {
            end--;
        }
        return name.substring(begin, end);
    }

    /** White space, a no-break space included (which {@link String#strip} leaves alone, but shows as a space). */
    private static boolean isSpace(char c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c);
    }
}
