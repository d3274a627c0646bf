package io.github.microgpt.checkpoint;

import io.github.microgpt.internal.RegularFiles;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Puts right what a save killed halfway left behind, so that nobody has to rename folders by
 * hand. {@link AtomicFiles#writeDirectory} works beside the target in {@code .NAME.saving-XXXX}
 * (the new version, being written) and {@code .NAME.old-XXXX} (the old version, renamed aside for a
 * moment), and before that {@code .NAME.probe-XXXX} (to see that the folder can be written).
 * Ctrl-C and SIGTERM leave none of these ({@link SavesAtExit} lets the save end first), but a
 * kill that runs no shutdown hooks ({@code kill -9}, a crash of the JVM, a power cut) at any point
 * leaves one of:
 * <ul>
 *   <li>the target complete, plus a partial or complete {@code .saving-} or a complete
 *       {@code .old-}: the leftovers are deleted;</li>
 *   <li>no target, but a complete {@code .saving-} and a complete {@code .old-} (killed between
 *       the two renames), or only a {@code .saving-} (a first save killed before its rename): the
 *       newest leftover that loads as a checkpoint becomes the target, and the rest is deleted.</li>
 * </ul>
 * This runs only under the directory's {@link SaveLock}, so a save in progress in another
 * process is never taken for a crashed one, and under this process's lock of the directory
 * ({@link CheckpointWriter#writerLock}), so neither is a save of another thread; the lock file
 * of a killed process goes too. It is best effort: if the directory cannot be written (a
 * read-only disk), nothing changes and the loader's message says where the leftovers are.
 */
final class InterruptedSaves {

    static final String SAVING = ".saving-";
    static final String OLD = ".old-";
    /** The directory {@link AtomicFiles#checkTarget} creates for a moment to see that it can write. */
    static final String PROBE = ".probe-";

    private InterruptedSaves() {
    }

    /**
     * Repairs a checkpoint directory if a save was interrupted.
     *
     * @param directory the checkpoint directory
     * @param lockHeld whether the caller holds the directory's {@link SaveLock}; if neither it
     *     nor anything else in this process does, it is taken here, and nothing is done if another
     *     process holds it
     */
    static void repair(Path directory, boolean lockHeld) {
        // Beside the directory a save replaces: the end of the path's symbolic links.
        Path target = AtomicFiles.targetOf(directory);
        if (target.getParent() == null || target.getFileName() == null) {
            return;
        }
        // A lock file whose holder was killed is a leftover too: taking and releasing the lock removes it.
        boolean staleLock = !lockHeld && Files.exists(SaveLock.lockFile(target), LinkOption.NOFOLLOW_LINKS);
        if (!staleLock && leftovers(target).isEmpty()) {
            return;
        }
        if (lockHeld) {
            repairLocked(target);  // a save, which holds both locks
            return;
        }
        ReentrantLock inThisProcess = CheckpointWriter.writerLock(target);
        if (!inThisProcess.tryLock()) {
            return;  // another thread of this process is saving there: its files are not leftovers
        }
        try {
            Runnable beforeRepair = hook;
            if (beforeRepair != null) {
                beforeRepair.run();
            }
            if (SaveLock.isHeldHere(target)) {
                // This process holds the lock (say, a run that saves into the directory it resumed
                // from), and no thread of it is saving: no other process is saving there either.
                repairLocked(target);
                return;
            }
            try (SaveLock lock = SaveLock.tryAcquire(target)) {
                if (lock != null) {
                    repairLocked(target);
                }
            } catch (IOException | RuntimeException e) {
                // Cannot take the lock (a read-only place): leave everything as it is.
            }
        } finally {
            inThisProcess.unlock();
        }
    }

    /**
     * For tests of a save that starts during a repair: run by a load's repair once it holds this
     * process's lock of the directory, before it looks at the leftovers. {@code null} in normal use.
     */
    static volatile Runnable hook;

    private static void repairLocked(Path target) {
        List<Path> leftovers = leftovers(target);
        if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            // Newest first: a complete new version beats the old one it was replacing.
            List<Path> candidates = new ArrayList<>(leftovers.stream()
                    .filter(p -> Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)).toList());
            candidates.sort(Comparator.comparing((Path p) -> !p.getFileName().toString().contains(SAVING))
                    .thenComparing(InterruptedSaves::modified, Comparator.reverseOrder()));
            for (Path candidate : candidates) {
                try {
                    CheckpointReader.read(candidate);
                } catch (CheckpointException incomplete) {
                    continue;
                }
                try {
                    Files.move(candidate, target, StandardCopyOption.ATOMIC_MOVE);
                    leftovers.remove(candidate);
                } catch (IOException e) {
                    return;  // cannot repair here; the loader reports the leftover
                }
                break;
            }
        }
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            for (Path leftover : leftovers) {
                AtomicFiles.deleteRecursively(leftover);
            }
        }
    }

    /**
     * The leftovers of interrupted saves beside a target: {@code .NAME.saving-*},
     * {@code .NAME.old-*} and {@code .NAME.probe-*}.
     *
     * @param target the absolute checkpoint directory
     * @return their paths, possibly none
     */
    static List<Path> leftovers(Path target) {
        Path parent = target.getParent();
        List<Path> found = new ArrayList<>();
        if (parent == null || target.getFileName() == null || !Files.isDirectory(parent)) {
            return found;
        }
        // The stem writers use: a name too long for a suffix is cut and tagged (RegularFiles.besideStem).
        String stem = RegularFiles.besideStem(target);
        String saving = stem + SAVING;
        String old = stem + OLD;
        String probe = stem + PROBE;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(parent, e -> {
            String name = e.getFileName().toString();
            return name.startsWith(saving) || name.startsWith(old) || name.startsWith(probe);
        })) {
            entries.forEach(found::add);
        } catch (IOException | RuntimeException e) {
            return new ArrayList<>();
        }
        return found;
    }

    private static FileTime modified(Path path) {
        try {
            return Files.getLastModifiedTime(path, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            return FileTime.fromMillis(0);
        }
    }
}
