package io.github.microgpt.testsupport;

import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs a piece of a test on a new thread and waits for it: for the memory tests of scratch the
 * kernels keep in thread-locals, which only grows, so that what a thread holds afterwards is what
 * this work made, not what an earlier test left on the test's own thread.
 */
public final class FreshThread {

    private FreshThread() {
    }

    /**
     * Runs {@code work} on a thread of its own, waits for it to end and returns its result.
     *
     * @param work what to run
     * @param <T> the result's type
     * @return what {@code work} returned
     * @throws InterruptedException if the waiting thread is interrupted
     * @throws AssertionError if {@code work} threw, with what it threw as the cause
     */
    public static <T> T call(Callable<T> work) throws InterruptedException {
        AtomicReference<T> result = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread thread = new Thread(() -> {
            try {
                result.set(work.call());
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        thread.start();
        thread.join();
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
        return result.get();
    }
}
