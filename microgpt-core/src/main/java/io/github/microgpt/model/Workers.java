package io.github.microgpt.model;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A small team of threads that splits one loop of {@link ArrayGptModel}'s step into contiguous
 * parts, one per thread: the calling thread takes the first part, helper threads the others.
 *
 * <p><b>Why not an executor.</b> One document's step at {@code nEmbd = 256} makes about a hundred
 * parallel loops (every matrix product and every attention, forward and backward), each a few
 * hundred microseconds long. Handing a task to a {@code ThreadPoolExecutor} and waiting on its
 * {@code Future} costs tens of microseconds; here a helper that has just finished a part spins
 * for a while on a counter and starts the next part within a microsecond. A helper that stays
 * idle parks, and after a second of idleness it ends, so that a forgotten model keeps no thread
 * alive (the team starts a new one when it is needed again).
 *
 * <p><b>Results do not depend on the number of threads</b>, because the callers only split loops
 * whose iterations write disjoint outputs and never split a sum: a matrix product is split by
 * output rows or columns, attention by heads. Each number is computed by one thread, in the same
 * order of operations whatever the split.
 */
final class Workers {

    /** A loop body over the iterations {@code [from, to)}. */
    @FunctionalInterface
    interface RangeTask {
        void run(int from, int to);
    }

    /** How long the caller spins while waiting for the helpers, in {@link Thread#onSpinWait} calls, before it yields. */
    private static final int SPINS = 1 << 10;
    /**
     * How long an idle helper spins before it parks: longer than the serial work between two
     * parallel loops of a step (a RMSNorm, a transpose), so that a helper stays awake through a
     * step (waking a parked thread costs tens of microseconds, more under a hypervisor) and parks
     * between steps.
     */
    private static final long SPIN_NANOS = 300_000L;
    /** How long a parked helper waits for work before it ends. */
    private static final long IDLE_NANOS = 1_000_000_000L;

    private static final AtomicInteger TEAMS = new AtomicInteger();

    private final int threads;
    private final int id = TEAMS.incrementAndGet();
    private final Thread[] helpers;
    /** Incremented for each loop handed out; a helper runs a part when it sees it change. */
    private volatile int generation;
    private volatile RangeTask task;
    private volatile int count;
    private final AtomicInteger pending = new AtomicInteger();
    private volatile Throwable failure;

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
     * Runs {@code task} over {@code [0, count)}, split into {@link #threads()} contiguous parts
     * (part {@code k} is {@code [k * count / threads, (k + 1) * count / threads)}), and returns
     * when every part is done. An exception thrown by any part is thrown here.
     */
    void forRange(int count, RangeTask task) {
        if (threads == 1 || count < 2) {
            task.run(0, count);
            return;
        }
        this.task = task;
        this.count = count;
        this.failure = null;
        pending.set(threads - 1);
        synchronized (this) {
            startMissingHelpers();
            generation++;
        }
        for (Thread helper : helpers) {
            LockSupport.unpark(helper);
        }
        Throwable own = null;
        try {
            task.run(0, count / threads);
        } catch (RuntimeException | Error e) {
            own = e;
        }
        int spins = 0;
        while (pending.get() != 0) {
            if (++spins < SPINS) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
        this.task = null;
        Throwable failed = own != null ? own : failure;
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
                int part = k + 1;
                int seen = generation;
                Thread helper = new Thread(() -> help(part, seen), "microgpt-step-" + id + "-" + part);
                // A helper must never keep a program alive.
                helper.setDaemon(true);
                helpers[k] = helper;
                helper.start();
            }
        }
    }

    /** A helper's life: wait for a new loop, run its part, repeat; end after a second idle. */
    private void help(int part, int seen) {
        while (true) {
            long idleSince = System.nanoTime();
            int spins = 0;
            while (generation == seen) {
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
                        if (generation == seen) {
                            helpers[part - 1] = null;
                            return;
                        }
                    }
                }
                LockSupport.parkNanos(this, 10_000_000L);
            }
            seen = generation;
            try {
                int n = count;
                task.run((int) ((long) part * n / threads), (int) ((long) (part + 1) * n / threads));
            } catch (RuntimeException | Error e) {
                failure = e;
            } finally {
                pending.decrementAndGet();
            }
        }
    }
}
