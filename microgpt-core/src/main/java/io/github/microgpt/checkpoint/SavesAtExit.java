package io.github.microgpt.checkpoint;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Lets the saves under way end cleanly when the JVM is asked to stop (Ctrl-C, {@code kill}'s
 * SIGTERM, {@code System.exit}), so that a signal leaves neither a half-written
 * {@code .NAME.saving-XXXX} folder nor a {@code .NAME.lock} file beside a checkpoint.
 *
 * <p>On such a stop the JVM runs its shutdown hooks while the program's own threads go on; only
 * when every hook has returned does it halt, in the middle of whatever those threads were doing.
 * So the hook installed here, at the first save, waits for each save that has begun: up to
 * {@value #GRACE_MILLIS} ms for it to finish (the new checkpoint is then complete), and past that
 * it tells the save to give up, which deletes what it wrote and leaves the old checkpoint as it
 * was. A save that has written all its files is never told to give up: its two renames take
 * moments. Then it releases every {@link SaveLock} this process holds, which deletes the lock
 * files. A save or a lock asked for after the stop has begun is refused.
 *
 * <p>A kill that runs no hooks ({@code kill -9}, a power cut) can still leave leftovers; the next
 * save or load of that checkpoint puts them right ({@link InterruptedSaves}).
 */
final class SavesAtExit {

    /** How long a stop waits for a save under way before telling it to give up. */
    static final long GRACE_MILLIS = 5_000;

    /** How long a stop then waits for the save to delete what it wrote. */
    private static final long GIVE_UP_MILLIS = 5_000;

    private static final Object LOCK = new Object();
    /** The saves under way; guarded by {@link #LOCK}. */
    private static final Set<Work> RUNNING = new HashSet<>();
    /** Whether the hook is installed; guarded by {@link #LOCK}. */
    private static boolean hookInstalled;
    /** Set (under {@link #LOCK}) when a stop begins; then no new save or lock is begun. */
    private static volatile boolean stopping;
    /** Whether a stop has told a save to give up: for tests that wait for that moment. */
    private static volatile boolean gaveUp;

    private SavesAtExit() {
    }

    /**
     * One save (or one probe of a target) under way: close it when the save ends, however.
     */
    static final class Work implements AutoCloseable {
        private final Path target;
        private final CountDownLatch done = new CountDownLatch(1);
        private volatile boolean giveUp;

        private Work(Path target) {
            this.target = target;
        }

        /**
         * Throws if the program is stopping and the save must give up; called between the
         * pieces of a save, before its files are all written.
         *
         * @throws CheckpointException if the save is to give up
         */
        void checkGoingOn() throws CheckpointException {
            if (giveUp) {
                throw new CheckpointException(target, "not saved: the program was stopped (Ctrl-C or a signal) "
                        + "before the save could finish; the earlier checkpoint, if any, is unchanged");
            }
        }

        /** Ends the work: a stop waiting for it goes on. */
        @Override
        public void close() {
            synchronized (LOCK) {
                RUNNING.remove(this);
            }
            done.countDown();
        }
    }

    /**
     * Registers a save that is about to write beside {@code target}.
     *
     * @param target the file or directory being saved
     * @return the work, to close when the save ends
     * @throws CheckpointException if the program is stopping: a save begun now could not finish
     */
    static Work begin(Path target) throws CheckpointException {
        synchronized (LOCK) {
            checkNotStopping(target);
            Work work = new Work(target);
            RUNNING.add(work);
            return work;
        }
    }

    /**
     * Refuses to begin a save or take a lock once a stop has begun, and otherwise makes sure the
     * shutdown hook is installed: a {@link SaveLock} taken at a run's start needs it as much as a
     * save does.
     *
     * @param target the checkpoint
     * @throws CheckpointException if the program is stopping
     */
    static void checkNotStopping(Path target) throws CheckpointException {
        synchronized (LOCK) {
            if (!hookInstalled && !stopping) {
                try {
                    Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(GRACE_MILLIS),
                            "microgpt-saves-at-exit"));
                    hookInstalled = true;
                } catch (IllegalStateException shuttingDown) {
                    stopping = true;  // the JVM is stopping already, before this process's first save
                }
            }
            if (stopping) {
                throw new CheckpointException(target, "not saved: the program is being stopped (Ctrl-C or a "
                        + "signal)");
            }
        }
    }

    /**
     * What the shutdown hook does: refuses new saves, waits for those under way (telling them to
     * give up after {@code graceMillis}), then releases this process's save locks.
     *
     * @param graceMillis how long to wait before a save is told to give up
     */
    static void stop(long graceMillis) {
        List<Work> waiting;
        synchronized (LOCK) {
            stopping = true;
            waiting = new ArrayList<>(RUNNING);
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(graceMillis);
        for (Work work : waiting) {
            if (!await(work, deadline - System.nanoTime())) {
                work.giveUp = true;
                gaveUp = true;
                await(work, TimeUnit.MILLISECONDS.toNanos(GIVE_UP_MILLIS));
            }
        }
        SaveLock.releaseAll();
    }

    private static boolean await(Work work, long nanos) {
        try {
            return work.done.await(Math.max(0, nanos), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Whether a stop has told a save to give up (for tests).
     *
     * @return true once that happened
     */
    static boolean gaveUp() {
        return gaveUp;
    }

    /** Undoes {@link #stop} so that later tests in the same JVM can save again (for tests). */
    static void resetForTests() {
        synchronized (LOCK) {
            stopping = false;
            gaveUp = false;
        }
    }
}
