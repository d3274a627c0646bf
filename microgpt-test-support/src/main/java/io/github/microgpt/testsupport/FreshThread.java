package io.github.microgpt.testsupport;

import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs a piece of a test on a new thread and waits for it: for the memory tests of scratch the
 * kernels keep in thread-locals, which only grows, so that what a thread holds afterwards is what
 * this work made, not what an earlier test left on the test's own thread.
 *
 * <p>Bounded: work that does not end in time (a deadlock, a loop that never ends) fails the test,
 * with the thread's stack, instead of hanging the build. The bound is no speed limit: it is far
 * beyond what the work takes, and only a hang reaches it.
 */
public final class FreshThread {

    /** How long {@link #call(Callable)} waits: minutes beyond the longest work it is given. */
    public static final long DEFAULT_TIMEOUT_SECONDS = 600;

    private FreshThread() {
    }

    /**
     * Runs {@code work} on a thread of its own, waits for it to end, at most
     * {@link #DEFAULT_TIMEOUT_SECONDS}, and returns its result.
     *
     * @param work what to run
     * @param <T> the result's type
     * @return what {@code work} returned
     * @throws InterruptedException if the waiting thread is interrupted
     * @throws AssertionError if {@code work} threw, with what it threw as the cause, or did not
     *     end in time (as {@link #call(Callable, long)})
     */
    public static <T> T call(Callable<T> work) throws InterruptedException {
        return call(work, DEFAULT_TIMEOUT_SECONDS);
    }

    /**
     * Runs {@code work} on a thread of its own, waits for it to end, at most
     * {@code timeoutSeconds}, and returns its result.
     *
     * @param work what to run
     * @param timeoutSeconds how long to wait for it; at least 1
     * @param <T> the result's type
     * @return what {@code work} returned
     * @throws IllegalArgumentException if {@code timeoutSeconds} is less than 1
     * @throws InterruptedException if the waiting thread is interrupted
     * @throws AssertionError if {@code work} threw, with what it threw as the cause; or if it did
     *     not end in time, with the stack of the thread where it was then (the thread is
     *     interrupted, so that work that heeds interrupts ends; it is a daemon, so that work that
     *     does not keeps no JVM from exiting)
     */
    public static <T> T call(Callable<T> work, long timeoutSeconds) throws InterruptedException {
        if (timeoutSeconds < 1) {
            throw new IllegalArgumentException("timeoutSeconds must be at least 1, got " + timeoutSeconds);
        }
        AtomicReference<T> result = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread thread = new Thread(() -> {
            try {
                result.set(work.call());
            } catch (Throwable e) {
                failure.set(e);
            }
        }, "fresh-thread");
        thread.setDaemon(true);
        thread.start();
        TimeUnit.SECONDS.timedJoin(thread, timeoutSeconds);
        if (thread.isAlive()) {
            AssertionError stuck = new AssertionError("the work on the thread " + thread.getName()
                    + " did not end within " + timeoutSeconds + " s (a deadlock, or a loop that never ends?); it is at:");
            stuck.setStackTrace(thread.getStackTrace());
            thread.interrupt();
            throw stuck;
        }
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
        return result.get();
    }
}
