package io.github.microgpt.checkpoint;

import io.github.microgpt.internal.RegularFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes files and directories so that a crash, a kill or a full disk at any moment leaves either
 * the old version complete or the new one complete, never a mixture or a partial file.
 *
 * <p>The recipe: write everything under a temporary name beside the target (same directory, so
 * the same file system), force it to the disk ({@code fsync}), then rename it into place, and
 * force the parent directory so that the rename itself is durable. A rename within one file
 * system is atomic: other processes see the old name or the new, nothing in between.
 *
 * <p>A directory cannot be renamed over a non-empty one, so replacing a checkpoint directory
 * takes two renames: the old directory is first renamed aside (to {@code .NAME.old-XXXX}), then
 * the new one into place, then the old one deleted. A crash between the two renames leaves the
 * target name absent but both versions complete on disk, the old one under its
 * {@code .old-} name; {@link #interruptedSaveOf(Path)} finds it so that a loader can say where it is.
 *
 * <p>A target that is a symbolic link is written through: the link stays, and the file or
 * directory at the end of its chain of links is replaced, by renames in that one's own directory
 * ({@link RegularFiles#writeTarget}), as the shell's {@code >} and {@code cp} do. A rename over
 * the link itself would have put a plain copy in its place and left its old target stale. A
 * link to nothing creates what it names; a loop of links is refused.
 *
 * <p>Ctrl-C or a SIGTERM does not interrupt a write halfway: each write registers with
 * {@link SavesAtExit}, whose shutdown hook lets it finish (or, past a grace period, give up and
 * delete its temporary files) before the JVM halts.
 */
final class AtomicFiles {

    /**
     * Called at each stage of a directory write, for tests that simulate failures and crashes
     * there. {@code null} in normal use.
     */
    interface Hook {
        /**
         * Told that a stage is reached.
         *
         * @param stage {@code "written"} (all files in the temporary directory, synced),
         *     {@code "aside"} (the old directory renamed aside) or {@code "renamed"} (the new one
         *     in place, the old one not yet deleted)
         * @throws IOException to simulate a failure at that point
         */
        void at(String stage) throws IOException;
    }

    /** For tests only. */
    static volatile Hook hook;

    private static final String SAVING = InterruptedSaves.SAVING;
    private static final String OLD = InterruptedSaves.OLD;

    private AtomicFiles() {
    }

    /**
     * Creates or replaces one file atomically.
     *
     * @param file the file
     * @param bytes its new contents
     * @throws IOException if writing fails; the old file is then unchanged
     */
    static void writeFile(Path file, byte[] bytes) throws IOException {
        Path target = followLinks(file);
        Path parent = target.getParent();
        Files.createDirectories(parent);
        // Not Files.createTempFile: it would give the file owner-only permissions.
        try (SavesAtExit.Work work = SavesAtExit.begin(target)) {
            Path temporary = besideName(parent, target, SAVING);
            try {
                writeAndSync(temporary, bytes, work);
                Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException | RuntimeException e) {
                Files.deleteIfExists(temporary);
                throw e;
            }
            syncDirectory(parent);
        }
    }

    /**
     * Creates or replaces a directory of files atomically.
     *
     * @param directory the directory
     * @param files the name and contents of each file
     * @param marker a file that every directory this method writes contains: an existing,
     *     non-empty directory without it is refused, so that a mistyped path never deletes
     *     unrelated files
     * @param own every name such a directory may hold: an existing directory that holds anything
     *     else (the data file the run was trained on, the user's notes) is refused too, since
     *     replacing the directory would delete it without a word
     * @throws IOException if writing fails; the old directory, if any, is then unchanged
     */
    static void writeDirectory(Path directory, Map<String, byte[]> files, String marker, Set<String> own)
            throws IOException {
        Path target = followLinks(directory);
        Path parent = target.getParent();
        if (parent == null) {
            throw new CheckpointException(directory, "cannot save into the root of the file system");
        }
        boolean replacing = Files.exists(target, LinkOption.NOFOLLOW_LINKS);
        if (replacing) {
            checkReplaceable(directory, target, marker, own);
        }
        Files.createDirectories(parent);
        try (SavesAtExit.Work work = SavesAtExit.begin(target)) {
            writeDirectory(target, parent, replacing, files, work);
        }
    }

    private static void writeDirectory(Path target, Path parent, boolean replacing, Map<String, byte[]> files,
                                       SavesAtExit.Work work) throws IOException {
        Path temporary = besideName(parent, target, SAVING);
        Files.createDirectory(temporary);
        Path aside = null;
        try {
            for (Map.Entry<String, byte[]> file : files.entrySet()) {
                writeAndSync(temporary.resolve(file.getKey()), file.getValue(), work);
            }
            syncDirectory(temporary);
            stage("written");
            // The last moment to give up when the program is stopping; the renames take moments.
            work.checkGoingOn();
            if (replacing) {
                aside = besideName(parent, target, OLD);
                Files.move(target, aside, StandardCopyOption.ATOMIC_MOVE);
                try {
                    stage("aside");
                    Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE);
                } catch (IOException | RuntimeException e) {
                    // Put the old checkpoint back where it was.
                    try {
                        Files.move(aside, target, StandardCopyOption.ATOMIC_MOVE);
                    } catch (IOException | RuntimeException restore) {
                        e.addSuppressed(restore);
                    }
                    throw e;
                }
            } else {
                Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE);
            }
            temporary = null;
            syncDirectory(parent);
            stage("renamed");
        } catch (IOException | RuntimeException e) {
            if (temporary != null) {
                deleteRecursively(temporary);
            }
            throw e;
        }
        if (aside != null) {
            deleteRecursively(aside);
        }
    }

    /**
     * Checks that {@link #writeDirectory} would accept a target and can write beside it: the
     * target is absent, empty or marked; its parent exists or can be created (no ancestor is a
     * file); and the parent accepts a new directory (a probe directory is created and deleted
     * there, so a read-only or virtual file system is found at once).
     *
     * @param directory the target
     * @param marker the file that marks a directory this class wrote
     * @param own every name such a directory may hold
     * @throws IOException if the target would be refused or nothing can be written there
     */
    static void checkTarget(Path directory, String marker, Set<String> own) throws IOException {
        Path target = followLinks(directory);
        if (target.getParent() == null) {
            throw new CheckpointException(directory, "cannot save into the root of the file system");
        }
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            checkReplaceable(directory, target, marker, own);
        }
        Path existing = target.getParent();
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null) {
            throw new CheckpointException(directory, "no folder on its path exists");
        }
        if (!Files.isDirectory(existing)) {
            throw new CheckpointException(directory, "cannot be created: " + existing + " is a file, not a folder");
        }
        try (SavesAtExit.Work work = SavesAtExit.begin(target)) {
            Path probe = besideName(existing, target, InterruptedSaves.PROBE);
            try {
                Files.createDirectory(probe);
                writeAndSync(probe.resolve("probe"), new byte[] {1}, work);
            } catch (IOException e) {
                throw new CheckpointException(directory, "cannot be written: creating a file in " + existing
                        + " failed (" + describe(e) + ")", e);
            } finally {
                deleteRecursively(probe);
            }
        }
    }

    /** The cause of a file-system failure in a few words, for example "Read-only file system". */
    static String describe(IOException e) {
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof java.nio.file.NoSuchFileException) {
            return "it refuses new entries, as a virtual file system such as /proc does";
        }
        if (e instanceof java.nio.file.FileSystemException fs && fs.getReason() != null) {
            return fs.getReason();
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    /**
     * The path a write to {@code given} replaces: its absolute, normalised form, followed through
     * any symbolic links to the end of their chain (see the class comment).
     *
     * @param given the path as the caller named it, for the message
     * @return the path to replace; never a symbolic link
     * @throws CheckpointException naming {@code given} if its links never end (a loop)
     * @throws IOException if a link cannot be read
     */
    static Path followLinks(Path given) throws IOException {
        try {
            return RegularFiles.writeTarget(given.toAbsolutePath().normalize());
        } catch (java.nio.file.FileSystemException e) {
            if (e.getReason() == null || e instanceof java.nio.file.AccessDeniedException) {
                throw e;
            }
            throw new CheckpointException(given, e.getReason(), e);
        }
    }

    /**
     * {@link #followLinks}, for those that only look beside a checkpoint (its lock, the leftovers
     * of an interrupted save): links that cannot be followed give the path as named, where a save
     * would have refused to write anyway.
     *
     * @param directory the checkpoint directory as named
     * @return the directory a save replaces
     */
    static Path targetOf(Path directory) {
        try {
            return followLinks(directory);
        } catch (IOException e) {
            return directory.toAbsolutePath().normalize();
        }
    }

    private static void checkReplaceable(Path directory, Path target, String marker, Set<String> own)
            throws IOException {
        if (!Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
            throw new CheckpointException(directory, "exists and is not a directory; refusing to replace it");
        }
        Path markerFile = target.resolve(marker);
        if (Files.exists(markerFile, LinkOption.NOFOLLOW_LINKS)
                && !Files.isRegularFile(markerFile, LinkOption.NOFOLLOW_LINKS)) {
            throw new CheckpointException(directory, "exists, but its " + marker + " is "
                    + (Files.isDirectory(markerFile, LinkOption.NOFOLLOW_LINKS) ? "a directory"
                    : Files.isSymbolicLink(markerFile) ? "a symbolic link" : "a FIFO, a device or a socket")
                    + ", not a regular file, so it is not a checkpoint; refusing to replace it");
        }
        if (!Files.isRegularFile(markerFile, LinkOption.NOFOLLOW_LINKS) && !isEmpty(target)) {
            throw new CheckpointException(directory, "exists and is not a checkpoint (it has no " + marker
                    + "); refusing to replace it: choose another directory, or empty this one");
        }
        // A save replaces the whole directory: a file put beside the checkpoint's own (the data
        // file of the run, notes) was deleted with the old version, without a word.
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(target)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                if (!own.contains(name) && !name.equals(FINDER_METADATA)) {
                    throw new CheckpointException(directory, "holds " + name + ", which is not part of a checkpoint;"
                            + " a save replaces the whole directory and would delete it: move it elsewhere, or save"
                            + " into another directory");
                }
            }
        }
    }

    /** The file macOS's Finder leaves in each folder it shows, which it makes again when it is missing. */
    private static final String FINDER_METADATA = ".DS_Store";

    private static boolean isEmpty(Path directory) throws IOException {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory)) {
            return !entries.iterator().hasNext();
        }
    }

    /**
     * The directory an interrupted replacement of {@code directory} left aside: the complete
     * old version, renamed {@code .NAME.old-XXXX}, if the process died between the two renames.
     *
     * @param directory the checkpoint directory
     * @return such a directory, or {@code null} if there is none
     */
    static Path interruptedSaveOf(Path directory) {
        Path target = targetOf(directory);
        for (Path leftover : InterruptedSaves.leftovers(target)) {
            if (leftover.getFileName().toString().contains(OLD)) {
                return leftover;
            }
        }
        return null;
    }

    private static Path besideName(Path parent, Path target, String kind) {
        while (true) {
            Path candidate = parent.resolve(RegularFiles.besideStem(target) + kind
                    + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE));
            if (!Files.exists(candidate, LinkOption.NOFOLLOW_LINKS)) {
                return candidate;
            }
        }
    }

    private static void stage(String name) throws IOException {
        Hook current = hook;
        if (current != null) {
            current.at(name);
        }
    }

    /** How much is written between two looks at whether the program is stopping. */
    private static final int CHUNK = 1 << 20;

    /**
     * Writes a new file and forces it to the disk, a megabyte at a time, so that a save told to
     * give up when the program stops ({@link SavesAtExit}) does so within moments.
     */
    private static void writeAndSync(Path file, byte[] bytes, SavesAtExit.Work work) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer buffer = ByteBuffer.wrap(bytes);
            while (buffer.hasRemaining()) {
                work.checkGoingOn();
                buffer.limit(Math.min(bytes.length, buffer.position() + CHUNK));
                channel.write(buffer);
                buffer.limit(bytes.length);
            }
            work.checkGoingOn();
            channel.force(true);
        }
    }

    /**
     * Forces a directory's entries (the names of the files in it) to the disk, so that a rename
     * survives a power cut. Some systems (Windows) cannot open a directory for this; there the
     * rename is as durable as the file system makes it anyway.
     */
    private static void syncDirectory(Path directory) {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            // Not supported on this platform; nothing more can be done.
        }
    }

    /** Deletes a directory tree, best effort: a leftover temporary directory is harmless. */
    static void deleteRecursively(Path root) {
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                    Files.deleteIfExists(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            // Best effort.
        }
    }
}
