package io.github.microgpt.testsupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * {@link FreshThread}: the work runs on another thread, its result or failure comes back, and work
 * that does not end fails the test after the bound rather than hanging the build (it waited
 * without a bound).
 */
class FreshThreadTest {

    @Test
    void theWorkRunsOnAThreadOfItsOwnAndItsResultOrFailureComesBack() throws InterruptedException {
        Thread caller = Thread.currentThread();
        assertNotSame(caller, FreshThread.call(Thread::currentThread));
        IllegalStateException thrown = new IllegalStateException("broken");
        AssertionError failed = assertThrows(AssertionError.class, () -> FreshThread.call(() -> {
            throw thrown;
        }));
        assertSame(thrown, failed.getCause());
    }

    /**
     * Work stuck on a latch: the call fails after its bound of 1 s, naming the bound and showing
     * where the thread waits, and interrupts it. The work gives up by itself after 30 s, so that
     * were the call unbounded the test would fail (no AssertionError) instead of hanging.
     */
    @Test
    void workThatDoesNotEndFailsAfterTheBoundWithTheThreadsStack() throws InterruptedException {
        CountDownLatch never = new CountDownLatch(1);
        CountDownLatch ended = new CountDownLatch(1);
        AtomicBoolean interrupted = new AtomicBoolean();
        AssertionError stuck = assertThrows(AssertionError.class, () -> FreshThread.call(() -> {
            try {
                never.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                interrupted.set(true);
            } finally {
                ended.countDown();
            }
            return "ended";
        }, 1));
        assertTrue(stuck.getMessage().startsWith("the work on the thread fresh-thread did not end within 1 s"),
                stuck.getMessage());
        assertTrue(Arrays.stream(stuck.getStackTrace()).anyMatch(e -> e.getClassName().equals(CountDownLatch.class
                .getName()) && e.getMethodName().equals("await")), "the stack shows the wait: "
                + Arrays.toString(stuck.getStackTrace()));
        assertTrue(ended.await(60, TimeUnit.SECONDS), "the stuck thread was let go");
        assertTrue(interrupted.get(), "the stuck thread was interrupted");
    }

    @Test
    void aBoundBelowOneSecondIsRefused() {
        assertEquals("timeoutSeconds must be at least 1, got 0", assertThrows(IllegalArgumentException.class,
                () -> FreshThread.call(() -> 1, 0)).getMessage());
    }
}
