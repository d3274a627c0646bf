package io.github.microgpt.examples.cli;

import io.github.microgpt.internal.RegularFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Writes the text files the commands produce (pictures, graphs) atomically: into a temporary
 * file next to the target, then renamed over it, so that a reader (or a failed run) never sees
 * half a file and an earlier file of the same name stays intact until the new one is complete.
 *
 * <p>A target that is a symbolic link is written through, as the shell's {@code >} does: the
 * link stays and the file at the end of its links gets the new text, renamed into place in that
 * file's own directory (a rename over the link would replace the link by a copy and leave the
 * file it named stale). A link to nothing creates the file it names; a loop of links is refused.
 */
public final class TextFiles {

    private TextFiles() {
    }

    /**
     * Writes {@code text} as UTF-8 to {@code file}, replacing it atomically.
     *
     * @param file the target; its directory must exist
     * @param text the content
     * @throws IOException if the directory is missing or not writable, or the rename fails; its
     *     message is the reason, without the name of the temporary file
     */
    static void writeAtomically(Path file, String text) throws IOException {
        Path absolute = writeTarget(file);
        Path dir = absolute.getParent();
        if (Files.isDirectory(absolute)) {
            throw new IOException(file + " is a directory");
        }
        if (dir == null || !Files.isDirectory(dir)) {
            throw new IOException("the directory of " + file + " does not exist");
        }
        // Not Files.createTempFile: its file is readable by the owner only, and the rename would
        // give the result that mode; a file created plainly gets the usual permissions (umask).
        // A name the file system takes may leave no room for the suffix: the stem is cut then.
        Path temporary = dir.resolve(RegularFiles.besideStem(absolute) + "." + ProcessHandle.current().pid() + "."
                + System.nanoTime() + ".tmp");
        try {
            writeAndSync(temporary, text.getBytes(StandardCharsets.UTF_8));
            Files.move(temporary, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            syncDirectory(dir);
        } catch (IOException e) {
            // The caller names the target; the temporary file's name would only confuse.
            throw new IOException(reason(e), e);
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    /**
     * Writes a new file and forces it to the disk before it is renamed into place: without the
     * {@code fsync}, a power cut soon after the rename could leave the new name on an empty or
     * partial file on file systems that do not order the data before the rename, and the
     * earlier file would be gone too (as the checkpoints' writer does, {@code AtomicFiles}).
     */
    private static void writeAndSync(Path file, byte[] bytes) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer buffer = ByteBuffer.wrap(bytes);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            channel.force(true);
        }
    }

    /**
     * Forces a directory's entries to the disk, so that the rename survives a power cut too; best
     * effort, since some systems (Windows) cannot open a directory for this.
     */
    private static void syncDirectory(Path directory) {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            // Not supported here; the rename is as durable as the file system makes it.
        }
    }

    /**
     * The path a write to {@code file} replaces: {@code file}, or the end of its chain of symbolic
     * links (which need not exist yet); the library's own rule for its checkpoints
     * ({@link RegularFiles#writeTarget}), so that {@code --plot} and {@code --save} follow links,
     * and refuse a loop of them, alike and in the same words.
     *
     * @param file the name given
     * @return an absolute path that is not a symbolic link
     * @throws IOException if the links never end (a loop), with a message that names {@code file}
     */
    static Path writeTarget(Path file) throws IOException {
        return RegularFiles.writeTarget(file);
    }

    /**
     * The reason a write failed, in words and without the file's name: the file system's reason
     * (such as "No space left on device"), "permission denied", or the message.
     *
     * @param e the failure
     * @return the reason
     */
    public static String reason(IOException e) {
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof FileSystemException fs && fs.getReason() != null) {
            return fs.getReason();
        }
        if (e instanceof NoSuchFileException) {
            return "no such file or directory";
        }
        if (e instanceof FileSystemException) {
            return "the file system refused (" + e.getClass().getSimpleName() + ")";
        }
        return String.valueOf(e.getMessage());
    }

    /**
     * Whether two paths name one file: the same file on disk when both exist (through a
     * symbolic or hard link too), else the same absolute, normalised path.
     *
     * @param a one path
     * @param b another
     * @return true if writing {@code a} would replace {@code b}
     */
    static boolean sameFile(Path a, Path b) {
        try {
            if (Files.exists(a) && Files.exists(b)) {
                return Files.isSameFile(a, b);
            }
        } catch (IOException e) {
            // Unreadable attributes: compare the names, below.
        }
        return a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize());
    }

    /**
     * Checks, before any work is done, that {@code file} can be written: its directory exists, it
     * is not a directory itself (nor a FIFO, a device or a socket), and a file can be created
     * beside it (as {@code --save} checks its target: a directory may look writable, like
     * {@code /proc} to root, and still refuse).
     *
     * @param option the option that named the file, for the message
     * @param file the file
     * @throws UsageException if it cannot be written
     */
    static void checkWritable(String option, Path file) {
        Path absolute;
        try {
            absolute = writeTarget(file);
        } catch (IOException e) {
            throw new UsageException(option + ": " + e.getMessage(), e);
        }
        if (Files.isDirectory(absolute)) {
            throw new UsageException(option + ": " + file + (absolute.equals(file.toAbsolutePath()) ? " is a directory"
                    : " is a symbolic link to the directory " + absolute + "; give the name of a file to write"));
        }
        // A FIFO, a device or a socket of that name was replaced by the picture without a word
        // (the rename takes the name), so a FIFO another program read from was gone.
        if (Files.exists(absolute) && !Files.isRegularFile(absolute)) {
            throw new UsageException(option + ": " + file + " is a FIFO, a device or a socket, not a regular file;"
                    + " give the name of a file to write");
        }
        Path dir = absolute.getParent();
        if (dir != null && Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new UsageException(option + ": " + file + " cannot be created: " + dir + " is a file, not a folder");
        }
        if (dir == null || !Files.isDirectory(dir)) {
            throw new UsageException(option + ": the directory of " + file + " does not exist");
        }
        if (!Files.isWritable(dir)) {
            throw new UsageException(option + ": the directory of " + file + " is not writable");
        }
        Path probe = dir.resolve(RegularFiles.besideStem(absolute) + "." + ProcessHandle.current().pid() + "."
                + System.nanoTime() + ".probe");
        try {
            Files.createFile(probe);
        } catch (IOException e) {
            throw new UsageException(option + ": cannot create " + file + ": " + reason(e), e);
        } finally {
            try {
                Files.deleteIfExists(probe);
            } catch (IOException e) {
                // Nothing was created, or it cannot be removed either: the write itself will say more.
            }
        }
    }

    /**
     * Refuses a file to write inside a checkpoint's directory. A save replaces that directory
     * whole, and refuses one that holds a file no checkpoint has (it would delete it): a picture
     * written there stopped the next save into the directory, so {@code train --save run --plot
     * run/loss.svg} ran once and the same command then failed.
     *
     * @param option the option that named the file, for the message
     * @param file the file to write
     * @param checkpoint the checkpoint's directory (it need not exist yet)
     * @param role how the directory was given, such as {@code "the --save directory"}
     * @throws UsageException if {@code file} is in {@code checkpoint} or below it, by its name or
     *     through symbolic links
     */
    static void checkNotInCheckpoint(String option, Path file, Path checkpoint, String role) {
        Path resolved;
        try {
            resolved = writeTarget(file);
        } catch (IOException e) {
            throw new UsageException(option + ": " + e.getMessage(), e);
        }
        for (Path name : new Path[] {file.toAbsolutePath().normalize(), resolved}) {
            for (Path dir = name.getParent(); dir != null; dir = dir.getParent()) {
                if (sameFile(dir, checkpoint)) {
                    Path beside = checkpoint.toAbsolutePath().normalize();
                    String suggestion = beside.getFileName() == null ? "another directory"
                            : "beside it, for example " + beside.resolveSibling(beside.getFileName() + ".svg");
                    throw new UsageException(option + ": " + file + " is inside " + role + " " + checkpoint
                            + ", which a save replaces whole and which may hold nothing but the checkpoint (a file"
                            + " there stops the next save into it); write it " + suggestion);
                }
            }
        }
    }
}
