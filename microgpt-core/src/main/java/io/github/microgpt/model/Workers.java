package io.github.microgpt.model;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A small team of threads that shares out one loop of {@link ArrayGptModel}'s step: the loop is
 * cut into contiguous chunks, and the calling thread and the helper threads take chunks until
 * none is left.
 *
 * <p><b>Why not an executor.</b> One document's step at {@code nEmbd = 256} makes about a hundred
 * parallel loops (every matrix product and every attention, forward and backward), each a
 * fraction of a millisecond to a few milliseconds long. Handing a task to a
 * {@code ThreadPoolExecutor} and waiting on its {@code Future} costs tens of microseconds; here a
 * helper that has just finished spins for a moment on a counter and joins the next loop within a
 * microsecond. A helper that stays idle parks, and after a second of idleness it ends, so that a
 * forgotten model keeps no thread alive (the team starts a new one when it is needed again).
 *
 * <p><b>Why chunks rather than one part per thread.</b> On a busy machine a helper may be
 * descheduled for milliseconds; with fixed parts the caller would wait for it. With chunks taken
 * as they come, the caller does the work a sleeping helper has not started, and waits at most for
 * the chunk a helper is in the middle of.
 *
 * <p><b>Results do not depend on the number of threads</b>, because the callers only split loops
 * whose iterations write disjoint outputs and never split a sum: a matrix product is split by
 * output rows or columns, attention by heads. Each number is computed by one thread, with the
 * same operations in the same order whichever thread it is and however the loop was cut.
 */
final class Workers {

    /** A loop body over the iterations {@code [from, to)}. */
    @FunctionalInterface
    interface RangeTask {
        void run(int from, int to);
    }

    /** Chunks per thread: enough that a late helper costs little, few enough to stay coarse. */
    private static final int CHUNKS_PER_THREAD = 8;
    /**
     * How long an idle helper spins before it parks: longer than the serial work between two
     * parallel loops of a step (a RMSNorm, a transpose), so that a helper stays awake through a
     * step (waking a parked thread costs tens of microseconds, more under a hypervisor) and parks
     * between steps.
     */
    private static final long SPIN_NANOS = 300_000L;
    /** How long the caller spins for the helpers' last chunks before it yields, in {@link Thread#onSpinWait} calls. */
    private static final int WAIT_SPINS = 1 << 10;
    /** How long a parked helper waits for work before it ends. */
    private static final long IDLE_NANOS = 1_000_000_000L;

    private static final AtomicInteger TEAMS = new AtomicInteger();

    /** One loop handed out: its body, its chunks, and how many chunks are taken and done. */
    private static final class Job {
        final RangeTask task;
        final int count;
        final int chunks;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger done = new AtomicInteger();
        volatile Throwable failure;

        Job(RangeTask task, int count, int chunks) {
            this.task = task;
            this.count = count;
            this.chunks = chunks;
        }

        /** Takes and runs chunks until none is left. */
        void work() {
            for (int k = next.getAndIncrement(); k < chunks; k = next.getAndIncrement()) {
                try {
                    task.run((int) ((long) k * count / chunks), (int) ((long) (k + 1) * count / chunks));
                } catch (RuntimeException | Error e) {
                    failure = e;
                } finally {
                    done.incrementAndGet();
                }
            }
        }
    }

    private final int threads;
    private final int id = TEAMS.incrementAndGet();
    private final Thread[] helpers;
    /** The loop being shared out, or the last one; a helper works on it when it sees it change. */
    private volatile Job job;

    /**
     * A team of {@code threads} threads, the calling one included.
     *
     * @param threads at least 1
     */
    Workers(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("the number of threads must be at least 1, got " + threads);
        }
        this.threads = threads;
        this.helpers = new Thread[threads - 1];
    }

    /** The number of threads, the calling one included. */
    int threads() {
        return threads;
    }

    /**
     * Runs {@code task} over {@code [0, count)}, cut into contiguous chunks of at least
     * {@code grain} iterations shared out between the threads, and returns when every chunk is
     * done. An exception thrown by any chunk is thrown here. A coarse grain keeps the threads'
     * outputs apart in memory: two threads writing next to each other in the same cache line
     * slow each other down far more than the split gains.
     */
    void forRange(int count, int grain, RangeTask task) {
        int chunks = Math.min(count / Math.max(1, grain), threads * CHUNKS_PER_THREAD);
        if (threads == 1 || chunks < 2) {
            task.run(0, count);
            return;
        }
        Job current = new Job(task, count, chunks);
        synchronized (this) {
            startMissingHelpers();
            job = current;
        }
        for (Thread helper : helpers) {
            LockSupport.unpark(helper);
        }
        current.work();
        // Wait for the chunks the helpers are in the middle of: spin briefly, then yield, so that
        // on a busy machine a helper that was descheduled can finish on this core.
        int spins = 0;
        while (current.done.get() < current.chunks) {
            if (++spins < WAIT_SPINS) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
        Throwable failed = current.failure;
        if (failed instanceof RuntimeException e) {
            throw e;
        }
        if (failed instanceof Error e) {
            throw e;
        }
    }

    /** Starts the helpers that ended for idleness (or never started). Holds the lock. */
    private void startMissingHelpers() {
        for (int k = 0; k < helpers.length; k++) {
            if (helpers[k] == null) {
                int slot = k;
                Job seen = job;
                Thread helper = new Thread(() -> help(slot, seen), "microgpt-step-" + id + "-" + (k + 1));
                // A helper must never keep a program alive.
                helper.setDaemon(true);
                helpers[k] = helper;
                helper.start();
            }
        }
    }

    /** A helper's life: wait for a new loop, take its chunks, repeat; end after a second idle. */
    private void help(int slot, Job seen) {
        while (true) {
            long idleSince = System.nanoTime();
            int spins = 0;
            while (job == seen) {
                if ((++spins & 63) != 0) {
                    Thread.onSpinWait();
                    continue;
                }
                long now = System.nanoTime();
                if (now - idleSince < SPIN_NANOS) {
                    continue;
                }
                if (now - idleSince > IDLE_NANOS) {
                    synchronized (this) {
                        if (job == seen) {
                            helpers[slot] = null;
                            return;
                        }
                    }
                }
                LockSupport.parkNanos(this, 10_000_000L);
            }
            seen = job;
            seen.work();
        }
    }
}
