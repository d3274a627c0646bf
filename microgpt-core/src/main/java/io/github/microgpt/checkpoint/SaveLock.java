package io.github.microgpt.checkpoint;

import io.github.microgpt.internal.RegularFiles;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The right to save into one checkpoint directory, held by one process at a time: a program that
 * will save into {@code DIR} at the end of a long run takes the lock at the start, so that a
 * second program aiming at the same {@code DIR} is told at once, not after its own run.
 *
 * <pre>{@code
 * try (SaveLock lock = SaveLock.acquire(dir)) {   // fails at once if another process holds it
 *     ... train ...
 *     Checkpoint.save(dir, model, tokenizer, state);
 * }
 * }</pre>
 *
 * <p>The lock is an operating-system lock ({@link FileChannel#tryLock()}) on the file
 * {@code .NAME.lock} beside the directory (beside the one a symbolic link leads to, the one a save
 * replaces); the system releases it when the process ends, even by
 * a crash or a kill, so a lock is never left stale. The holder deletes the empty file when it
 * releases the lock, and so does the JVM's shutdown on Ctrl-C, {@code kill} (SIGTERM) or
 * {@code System.exit}, after letting a save under way finish; once that shutdown has begun, a
 * new lock or save is refused. A file left by a process killed without a shutdown
 * ({@code kill -9}) is harmless: it is reused, and the next load of the checkpoint deletes it.
 * {@link Checkpoint#save} takes the lock for the length of the save if this process does not hold
 * it already, and {@link Checkpoint#load} takes it to repair an interrupted save. Within one
 * process the lock is held once: a second {@code acquire} for the same directory fails too.
 *
 * <p>This coordinates cooperating programs on one machine; it is advisory (a program that does
 * not ask is not stopped) and some network file systems do not support it.
 *
 * <p>Thread-safe: within a process a directory is locked once whichever thread asks (a second
 * {@code acquire} fails, as above), and {@link #close()} may be called from any thread, more
 * than once.
 */
public final class SaveLock implements AutoCloseable {

    /** The locks this process holds, by directory (an absolute, normalised path). */
    private static final Map<Path, SaveLock> HELD = new HashMap<>();

    private final Path target;
    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;

    private SaveLock(Path target, Path file, FileChannel channel, FileLock lock) {
        this.target = target;
        this.file = file;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Takes the lock of a checkpoint directory, without waiting.
     *
     * @param directory the checkpoint directory (it need not exist yet; its parent is created)
     * @return the held lock; close it to release
     * @throws CheckpointException if another process, or this one, holds it: someone else is
     *     saving into that directory; or if this program is being stopped (Ctrl-C, a signal)
     * @throws CheckpointException if the lock file cannot be created beside the directory (a
     *     read-only parent, a parent that is a file): the message names the folder and the cause
     * @throws IOException if the lock cannot be taken for another reason of the file system
     */
    public static SaveLock acquire(Path directory) throws IOException {
        Objects.requireNonNull(directory, "directory");
        SaveLock lock = tryAcquire(directory);
        if (lock == null) {
            throw new CheckpointException(directory, "another program (or another part of this one) is saving into "
                    + "this checkpoint: it holds the lock " + lockFile(target(directory)) + "; wait for it to finish "
                    + "or choose another directory");
        }
        return lock;
    }

    /**
     * Takes the lock if it is free.
     *
     * @param directory the checkpoint directory
     * @return the lock, or {@code null} if it is held
     * @throws CheckpointException if the lock file cannot be created (see {@link #openLockFile})
     * @throws IOException if the file cannot be locked
     */
    static SaveLock tryAcquire(Path directory) throws IOException {
        Path target = target(directory);
        synchronized (HELD) {
            if (HELD.containsKey(target)) {
                return null;
            }
            SavesAtExit.checkNotStopping(target);
            Path file = lockFile(target);
            // The holder deletes the lock file when it is done; a file opened just before that
            // deletion is no longer the lock, so check after locking that it still is, else retry.
            for (int attempt = 0; attempt < 100; attempt++) {
                FileChannel channel = openLockFile(directory, file);
                FileLock lock;
                Object before;
                try {
                    before = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
                    lock = channel.tryLock();
                } catch (IOException | RuntimeException e) {
                    channel.close();
                    throw e instanceof IOException io ? io : new IOException("cannot lock " + file + ": " + e, e);
                }
                if (lock == null) {
                    channel.close();
                    return null;
                }
                Object after = fileKey(file);
                if (after != null && after.equals(before)) {
                    SaveLock held = new SaveLock(target, file, channel, lock);
                    HELD.put(target, held);
                    return held;
                }
                channel.close();
            }
            throw new IOException("cannot lock " + file + ": it keeps being replaced");
        }
    }

    /**
     * Opens (creating if need be) the lock file and the folders above it. A failure here is the
     * caller's folder refusing a new file, so it is told as that, naming the folder a save must
     * be able to write in, rather than as a bare {@code AccessDeniedException} on a hidden file
     * the caller never named.
     */
    private static FileChannel openLockFile(Path directory, Path file) throws IOException {
        try {
            Files.createDirectories(file.getParent());
            return FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            throw new CheckpointException(directory, "cannot take the save lock: creating " + file + " failed ("
                    + AtomicFiles.describe(e) + "); a save needs to create files in " + file.getParent(), e);
        }
    }

    private static Object fileKey(Path file) {
        try {
            return Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * Whether this process holds the lock of a directory.
     *
     * @param directory the checkpoint directory
     * @return true if a {@code SaveLock} of it is open in this process
     */
    static boolean isHeldHere(Path directory) {
        synchronized (HELD) {
            return HELD.containsKey(target(directory));
        }
    }

    /**
     * The checkpoint directory this lock guards.
     *
     * @return an absolute, normalised path
     */
    public Path directory() {
        return target;
    }

    /** Releases the lock. Closing twice does nothing. */
    @Override
    public void close() {
        synchronized (HELD) {
            if (!channel.isOpen()) {
                return;
            }
            try {
                Files.deleteIfExists(file);  // while still locked: see tryAcquire
                lock.release();
                channel.close();
            } catch (IOException e) {
                // The system releases the lock when the channel or the process goes anyway.
            } finally {
                HELD.remove(target);
            }
        }
    }

    /**
     * Releases every lock this process holds, deleting the lock files: what the JVM's shutdown
     * does ({@link SavesAtExit}), once the saves under way have ended, so that Ctrl-C or a signal
     * leaves no lock file behind.
     */
    static void releaseAll() {
        synchronized (HELD) {
            for (SaveLock lock : new ArrayList<>(HELD.values())) {
                lock.close();
            }
        }
    }

    private static Path target(Path directory) {
        // The lock sits beside the directory a save replaces, which is at the end of the path's
        // symbolic links: two names for one directory take one lock.
        Path target = AtomicFiles.targetOf(directory);
        if (target.getParent() == null || target.getFileName() == null) {
            throw new IllegalArgumentException("cannot lock the root of the file system");
        }
        return target;
    }

    static Path lockFile(Path target) {
        return target.getParent().resolve(RegularFiles.besideStem(target) + ".lock");
    }
}
