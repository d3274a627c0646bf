package io.github.microgpt.testsupport;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Phaser;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs the same work on several new threads at once, round after round, each round started
 * together behind a barrier so that the threads' uses overlap as much as the machine allows:
 * for the tests of what many threads may do with one object at the same moment. Bounded: a
 * thread that does not reach the barrier or end in time (a deadlock, a lost wake-up) fails the
 * test, naming the thread and where it is, instead of hanging the build; nothing is timed.
 */
public final class Together {

    /** One thread's work in one round. */
    @FunctionalInterface
    public interface Work<T> {
        /**
         * Does the work.
         *
         * @param thread the thread's number, from 0
         * @param round the round, from 0
         * @return its result
         * @throws Exception whatever the work throws, which fails the run
         */
        T run(int thread, int round) throws Exception;
    }

    private Together() {
    }

    /**
     * Runs {@code work} on {@code threads} new threads for {@code rounds} rounds each, every round
     * begun by all the threads together, and returns the results.
     *
     * @param threads how many threads; at least 1
     * @param rounds how many rounds each runs; at least 1
     * @param timeoutSeconds how long the whole run may take, and each thread wait at a barrier,
     *     before it fails
     * @param work what each thread does in each round
     * @param <T> the result's type
     * @return {@code results.get(thread).get(round)}
     * @throws IllegalArgumentException if {@code threads}, {@code rounds} or {@code timeoutSeconds}
     *     is less than 1 (no thread or no round would run, and the test would check nothing)
     * @throws InterruptedException if the calling thread is interrupted while it waits
     * @throws AssertionError if a thread's work threw (with that as the cause, naming the thread
     *     and the round), or the run did not end in time (naming a thread still running, with
     *     its stack)
     */
    public static <T> List<List<T>> run(int threads, int rounds, long timeoutSeconds, Work<T> work)
            throws InterruptedException {
        requireAtLeastOne("threads", threads);
        requireAtLeastOne("rounds", rounds);
        requireAtLeastOne("timeoutSeconds", timeoutSeconds);
        // A phaser rather than a barrier: the first failure ends it for good (forceTermination), so
        // that no thread waits for one that will never come.
        Phaser start = new Phaser(threads);
        List<List<T>> results = new ArrayList<>();
        AtomicReference<AssertionError> failure = new AtomicReference<>();
        List<Thread> running = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            List<T> mine = new ArrayList<>();
            results.add(mine);
            int number = t;
            Thread thread = new Thread(() -> {
                int round = 0;
                try {
                    for (; round < rounds; round++) {
                        if (start.awaitAdvanceInterruptibly(start.arrive(), timeoutSeconds, TimeUnit.SECONDS) < 0) {
                            return;  // another thread failed: its failure is the one reported
                        }
                        mine.add(work.run(number, round));
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, new AssertionError("thread " + number + " failed in round " + round
                            + ": " + e, e));
                    start.forceTermination();
                }
            }, "together-" + number);
            thread.setDaemon(true);
            running.add(thread);
        }
        running.forEach(Thread::start);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        for (Thread thread : running) {
            long left = deadline - System.nanoTime();
            if (left > 0) {
                TimeUnit.NANOSECONDS.timedJoin(thread, left);
            }
            if (thread.isAlive()) {
                AssertionError stuck = new AssertionError("the thread " + thread.getName() + " did not end within "
                        + timeoutSeconds + " s (a deadlock?); it is at:");
                stuck.setStackTrace(thread.getStackTrace());
                running.forEach(Thread::interrupt);
                throw stuck;
            }
        }
        if (failure.get() != null) {
            throw failure.get();
        }
        return results;
    }

    private static void requireAtLeastOne(String name, long value) {
        if (value < 1) {
            throw new IllegalArgumentException(name + " must be at least 1, got " + value);
        }
    }
}
