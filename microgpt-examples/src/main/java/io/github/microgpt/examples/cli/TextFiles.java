package io.github.microgpt.examples.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Writes the text files the commands produce (pictures, graphs) atomically: into a temporary
 * file next to the target, then renamed over it, so that a reader (or a failed run) never sees
 * half a file and an earlier file of the same name stays intact until the new one is complete.
 */
final class TextFiles {

    private TextFiles() {
    }

    /**
     * Writes {@code text} as UTF-8 to {@code file}, replacing it atomically.
     *
     * @param file the target; its directory must exist
     * @param text the content
     * @throws IOException if the directory is missing or not writable, or the rename fails
     */
    static void writeAtomically(Path file, String text) throws IOException {
        Path absolute = file.toAbsolutePath();
        Path dir = absolute.getParent();
        if (Files.isDirectory(absolute)) {
            throw new IOException(file + " is a directory");
        }
        if (dir == null || !Files.isDirectory(dir)) {
            throw new IOException("the directory of " + file + " does not exist");
        }
        // Not Files.createTempFile: its file is readable by the owner only, and the rename would
        // give the result that mode; a file created plainly gets the usual permissions (umask).
        Path temporary = dir.resolve("." + absolute.getFileName() + "." + ProcessHandle.current().pid() + "."
                + System.nanoTime() + ".tmp");
        try {
            Files.writeString(temporary, text, StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE);
            Files.move(temporary, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    /**
     * Checks, before any work is done, that {@code file} can be written: its directory exists and
     * it is not a directory itself.
     *
     * @param option the option that named the file, for the message
     * @param file the file
     * @throws UsageException if it cannot be written
     */
    static void checkWritable(String option, Path file) {
        Path absolute = file.toAbsolutePath();
        if (Files.isDirectory(absolute)) {
            throw new UsageException(option + ": " + file + " is a directory");
        }
        Path dir = absolute.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new UsageException(option + ": the directory of " + file + " does not exist");
        }
        if (!Files.isWritable(dir)) {
            throw new UsageException(option + ": the directory of " + file + " is not writable");
        }
    }
}
