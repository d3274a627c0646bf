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
 * <p><b>Why chunks rather than one part per thread, and why shrinking ones.</b> On a busy machine
 * a helper may be descheduled for milliseconds; with fixed parts the caller would wait for it.
 * With chunks taken as they come, the caller does the work a sleeping helper has not started, and
 * waits at most for the chunk a helper is in the middle of. Each chunk is a fixed share of what is
 * left (a quarter on two threads: "guided" scheduling), so the first chunks are long (few
 * hand-overs) and the last ones short: the threads finish within a short chunk of each other,
 * where chunks of one size kept one of two threads idle for half a chunk on average at the end
 * of every loop.
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

    /**
     * A chunk is this many threads' share of the iterations left: 2, so that on two threads a
     * chunk is a quarter of what is left, and the last chunks, as short as the grain allows, take
     * little time to wait for.
     */
    private static final int SHARES_PER_THREAD = 2;
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

    /** One loop handed out: its body, where the next chunk starts, and how many iterations are done. */
    private static final class Job {
        final RangeTask task;
        final int count;
        final int grain;
        final int shares;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger done = new AtomicInteger();
        volatile Throwable failure;

        Job(RangeTask task, int count, int grain, int shares) {
            this.task = task;
            this.count = count;
            this.grain = grain;
            this.shares = shares;
        }

        /**
         * Takes and runs chunks until none is left: each {@code 1/shares} of the iterations left,
         * at least {@code grain} of them, and the rest if less than a grain would be left after it.
         */
        void work() {
            while (true) {
                int from = next.get();
                int left = count - from;
                if (left <= 0) {
                    return;
                }
                int size = Math.max(grain, left / shares);
                if (left - size < grain) {
                    size = left;
                }
                if (!next.compareAndSet(from, from + size)) {
                    continue;
                }
                try {
                    task.run(from, from + size);
                } catch (RuntimeException | Error e) {
                    failure = e;
                } finally {
                    done.addAndGet(size);
                }
            }
        }
    }

    /**
     * The fewest numbers of element-wise work (see {@code ArrayGptModel}'s stages) one thread
     * takes at a time: below that, handing work to a helper costs more than the work, so at the
     * reference size (16 wide) every stage runs on the calling thread.
     */
    static final int STAGE_GRAIN = 4096;

    private final int threads;
    private final int stageGrain;
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
        this(threads, STAGE_GRAIN);
    }

    /**
     * A team that splits element-wise stages from {@code stageGrain} numbers per thread on: 1
     * splits every stage as finely as it goes, as the tests want at small sizes.
     */
    Workers(int threads, int stageGrain) {
        if (threads < 1) {
            throw new IllegalArgumentException("the number of threads must be at least 1, got " + threads);
        }
        this.threads = threads;
        this.stageGrain = stageGrain;
        this.helpers = new Thread[threads - 1];
    }

    /** The number of threads, the calling one included. */
    int threads() {
        return threads;
    }

    /**
     * The fewest iterations of a loop of {@code width} numbers each that one thread should take,
     * or 0 if the loop of {@code count} iterations should run on the calling thread alone (one
     * thread, or too little work to share).
     */
    int grain(int count, int width) {
        int grain = Math.max(1, stageGrain / Math.max(1, width));
        return threads == 1 || count < 2 * grain ? 0 : grain;
    }

    /**
     * Runs {@code task} over {@code [0, count)}, cut into contiguous chunks of at least
     * {@code grain} iterations shared out between the threads, and returns when every chunk is
     * done. An exception thrown by any chunk is thrown here. A coarse grain keeps the threads'
     * outputs apart in memory: two threads writing next to each other in the same cache line
     * slow each other down far more than the split gains.
     */
    void forRange(int count, int grain, RangeTask task) {
        int atLeast = Math.max(1, grain);
        if (threads == 1 || count < 2 * atLeast) {
            task.run(0, count);
            return;
        }
        Job current = new Job(task, count, atLeast, threads * SHARES_PER_THREAD);
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
        while (current.done.get() < count) {
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
