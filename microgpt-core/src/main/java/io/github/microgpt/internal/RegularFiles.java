package io.github.microgpt.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Opens files that come from outside the program (checkpoints, data files) so that nothing can
 * make the program wait forever or read without end.
 *
 * <p>Why: opening a FIFO (a named pipe) for reading blocks until some other process opens it
 * for writing, which may be never; a device such as {@code /dev/zero} never ends; a socket cannot
 * be opened at all. So before opening, the file must be a regular file ({@link #checkRegular}),
 * which catches all of these at once with a clear message. Between that check and the open
 * another process could still swap the file for a FIFO; for that race the open itself runs on a
 * daemon thread and is given up after {@link #OPEN_TIMEOUT_MILLIS} ms, so the caller gets an
 * error instead of a hang (the stuck thread is left behind, blocked in the system, and does not
 * keep the JVM alive). Reads never go past the size the file had when it was opened.
 */
public final class RegularFiles {

    /** How long an open may take before it is given up: far longer than any real disk needs. */
    public static final long OPEN_TIMEOUT_MILLIS = 10_000;

    private static final ExecutorService OPENER = Executors.newCachedThreadPool(task -> {
        Thread thread = new Thread(task, "microgpt-file-opener");
        thread.setDaemon(true);
        return thread;
    });

    private RegularFiles() {
    }

    /**
     * Checks that a path names a regular file (following symbolic links), and says what it is
     * otherwise.
     *
     * @param file the file
     * @return its attributes, among them its size
     * @throws NoSuchFileException if nothing is there
     * @throws NotRegularFileException if it is a directory, a FIFO, a device or a socket
     * @throws IOException if its attributes cannot be read
     */
    public static BasicFileAttributes checkRegular(Path file) throws IOException {
        BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
        if (!attributes.isRegularFile()) {
            throw new NotRegularFileException(file, "is " + (attributes.isDirectory() ? "a directory"
                    : "a FIFO, a device or a socket") + ", not a regular file");
        }
        return attributes;
    }

    /**
     * The most symbolic links {@link #writeTarget} follows from one name: the limit Linux itself
     * gives up at ({@code ELOOP}), so a chain the system would follow is followed here too.
     */
    public static final int MAX_LINKS = 40;

    /**
     * The path a write to {@code file} should replace: {@code file} itself, or, when it is a
     * symbolic link, the path at the end of its chain of links, which need not exist yet.
     *
     * <p>Why: an atomic write renames a finished temporary file over its target, and a rename
     * over a symbolic link replaces the link itself by a regular file, cutting it from the file
     * it named. Users expect what the shell's {@code >}, {@code cp} and editors do: the link stays
     * and the file it leads to gets the new contents. So writers rename over this path instead,
     * with their temporary file in this path's directory (a rename cannot cross file systems). A
     * link to nothing is written through as well, creating the file it names.
     *
     * <p>Each relative link is read against the directory that holds it; once a link has been
     * followed, that directory is written in its real form (its own links resolved), so that
     * {@code ..} in a link means what the system means by it.
     *
     * @param file the path the user gave
     * @return {@code file} as an absolute path if it is no link, else the end of its chain
     * @throws java.nio.file.FileSystemException if the links lead back to themselves, or form a
     *     chain longer than {@link #MAX_LINKS}; its reason says so
     * @throws IOException if a link cannot be read
     */
    public static Path writeTarget(Path file) throws IOException {
        Path current = file.toAbsolutePath();
        for (int followed = 0; Files.isSymbolicLink(current); followed++) {
            if (followed == MAX_LINKS) {
                throw new java.nio.file.FileSystemException(file.toString(), null, "is a symbolic link whose chain of"
                        + " links never ends (a loop of links, or more than " + MAX_LINKS + "), so there is no file"
                        + " to write");
            }
            Path next = current.resolveSibling(Files.readSymbolicLink(current));
            Path directory = next.getParent();
            current = directory != null && next.getFileName() != null && Files.isDirectory(directory)
                    ? directory.toRealPath().resolve(next.getFileName()) : next;
        }
        return current;
    }

    /**
     * The longest file name, in bytes of UTF-8, that the common file systems take (ext4, XFS,
     * Btrfs, APFS, NTFS): 255. The names a writer makes beside its target must fit in it too.
     */
    public static final int MAX_NAME_BYTES = 255;

    /**
     * The most a writer adds to {@link #besideStem}'s stem: {@code ".saving-"} and 16 hex digits
     * (24 bytes), or a process id, a clock reading and {@code ".probe"} (at most 34).
     */
    public static final int MAX_SUFFIX_BYTES = 40;

    /**
     * The start of the names a writer gives its temporary files beside {@code target} (and a
     * reader looks for, to find what a killed write left): {@code "." + name}, hidden, so that a
     * listing does not show it and the name still says whose it is.
     *
     * <p>Why not always {@code "." + name}: a legal name of 230 to 255 bytes plus a suffix such
     * as {@code ".saving-0123456789abcdef"} is longer than a file system takes, and a save or a
     * picture under a name the system accepts was refused "File name too long". A name that
     * would not leave {@link #MAX_SUFFIX_BYTES} free is cut (at a whole character) and followed
     * by {@code "~"} and 8 hex digits of its {@link String#hashCode()}, so that two long names
     * that begin alike still get their own stems, the same one on every run.
     *
     * @param target the file or directory written, with a name
     * @return the stem, at most {@link #MAX_NAME_BYTES} - {@link #MAX_SUFFIX_BYTES} bytes of UTF-8
     */
    public static String besideStem(Path target) {
        String name = String.valueOf(target.getFileName());
        int budget = MAX_NAME_BYTES - MAX_SUFFIX_BYTES;
        if (1 + utf8Length(name, name.length()) <= budget) {
            return "." + name;
        }
        String hash = String.format("~%08x", name.hashCode());
        int end = name.length();
        while (end > 0 && 1 + utf8Length(name, end) + hash.length() > budget) {
            end = name.offsetByCodePoints(end, -1);
        }
        return "." + name.substring(0, end) + hash;
    }

    /** The bytes of UTF-8 of {@code text}'s first {@code end} chars; a lone surrogate counts 3, more than any system writes for it. */
    private static int utf8Length(String text, int end) {
        int bytes = 0;
        for (int i = 0; i < end; ) {
            int c = text.codePointAt(i);
            bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
            i += Character.charCount(c);
        }
        return bytes;
    }

    /**
     * What is wrong with a symbolic link that leads to nothing, in words that read on from its
     * name: the one wording of every reader (a checkpoint, a data file), so that each says it alike.
     *
     * @param link a symbolic link whose target does not exist, or whose links lead back to it
     * @return for example {@code "is a symbolic link to run0, which does not exist"}, or
     *     {@code "is a symbolic link to b, which leads back to it (a loop of links)"}
     */
    public static String brokenLink(Path link) {
        try {
            return "is a symbolic link to " + Files.readSymbolicLink(link) + ", which "
                    + (Files.notExists(link) ? "does not exist" : "leads back to it (a loop of links)");
        } catch (IOException | UnsupportedOperationException e) {
            return "is a symbolic link that cannot be followed";
        }
    }

    /**
     * Opens a regular file for reading, without blocking: see the class comment.
     *
     * @param file the file
     * @return the channel, positioned at the start
     * @throws NotRegularFileException if it is not a regular file, or did not open in time
     * @throws IOException if it does not exist or cannot be opened
     */
    public static FileChannel openForReading(Path file) throws IOException {
        checkRegular(file);
        return openWithin(file, OPEN_TIMEOUT_MILLIS);
    }

    /**
     * Opens a file for reading on a helper thread, giving up after a time limit. Package-private
     * use aside, tests call it on a FIFO directly to check the time limit.
     *
     * @param file the file
     * @param timeoutMillis the limit
     * @return the open channel
     * @throws IOException if the open fails or does not finish in time
     */
    public static FileChannel openWithin(Path file, long timeoutMillis) throws IOException {
        Future<FileChannel> opening = OPENER.submit(() -> FileChannel.open(file, StandardOpenOption.READ));
        try {
            return opening.get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            // If the open ever finishes after all, close what it opened.
            OPENER.submit(() -> {
                try {
                    opening.get().close();
                } catch (Exception ignored) {
                    // It never opened, or closing failed: nothing to release.
                }
                return null;
            });
            throw new NotRegularFileException(file, "did not open within " + timeoutMillis
                    + " ms: it is not a regular file (a FIFO waits for a writer)");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IOException(file + ": cannot be opened: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while opening " + file);
        }
    }

    /**
     * Reads a whole regular file of at most {@code maxBytes} bytes, refusing larger files before
     * reading any byte, and never reading more than the file held when it was opened (plus one
     * byte, to notice a file that grows while it is read).
     *
     * @param file the file
     * @param maxBytes the largest size accepted
     * @param what what the file is, for the message, for example {@code "the data file"}
     * @return the bytes
     * @throws FileTooLargeException if the file is larger than {@code maxBytes}
     * @throws IOException if it is not a regular file or cannot be read
     */
    public static byte[] readAll(Path file, long maxBytes, String what) throws IOException {
        try (FileChannel channel = openForReading(file)) {
            return readAll(file, channel, maxBytes, what);
        }
    }

    /**
     * Reads the whole of a file that is already open, from its start, as
     * {@link #readAll(Path, long, String)} does; the caller closes the channel.
     *
     * @param file the file, for messages
     * @param channel the file, open for reading
     * @param maxBytes the largest size accepted
     * @param what what the file is, for the message
     * @return the bytes
     * @throws FileTooLargeException if the file is larger than {@code maxBytes}
     * @throws IOException if it cannot be read
     */
    public static byte[] readAll(Path file, FileChannel channel, long maxBytes, String what) throws IOException {
        channel.position(0);
        long size = channel.size();
        if (size > maxBytes) {
            throw new FileTooLargeException(file, what, size, maxBytes);
        }
        ByteBuffer buffer = ByteBuffer.allocate((int) size);
        while (buffer.hasRemaining() && channel.read(buffer) >= 0) {
            // read until full or the end of the file
        }
        if (channel.read(ByteBuffer.allocate(1)) > 0) {
            // A virtual file (/proc/self/status, /sys/...) says it is empty and still has content.
            throw new IOException(size == 0 ? file + ": the file says it is empty but has content, as the virtual"
                    + " files of /proc and /sys do; copy it to an ordinary file first"
                    : file + ": the file grew while it was read; read it again when it is complete");
        }
        return buffer.position() == buffer.capacity() ? buffer.array()
                : java.util.Arrays.copyOf(buffer.array(), buffer.position());
    }

    /** A path that names something other than a regular file. */
    public static final class NotRegularFileException extends java.nio.file.FileSystemException {
        private static final long serialVersionUID = 1L;

        /**
         * Creates the exception.
         *
         * @param file the path
         * @param reason what it is instead, for example {@code "is a directory, not a regular file"}
         */
        public NotRegularFileException(Path file, String reason) {
            super(file.toString(), null, reason);
        }
    }

    /** A file larger than its reader accepts. */
    public static final class FileTooLargeException extends IOException {
        private static final long serialVersionUID = 1L;
        private final long size;
        private final long limit;

        /**
         * Creates the exception.
         *
         * @param file the file
         * @param what what it is, for the message
         * @param size its size in bytes
         * @param limit the largest size accepted
         */
        public FileTooLargeException(Path file, String what, long size, long limit) {
            super(what + " " + file + " has " + size + " bytes, more than the " + limit + " accepted");
            this.size = size;
            this.limit = limit;
        }

        /**
         * The file's size.
         *
         * @return bytes
         */
        public long size() {
            return size;
        }

        /**
         * The limit.
         *
         * @return bytes
         */
        public long limit() {
            return limit;
        }
    }
}
