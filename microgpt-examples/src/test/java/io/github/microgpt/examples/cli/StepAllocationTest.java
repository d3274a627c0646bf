package io.github.microgpt.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/**
 * {@link StepAllocation} counts the heap the calling thread and the step helpers (threads named
 * as core's {@code Workers} names them) allocate, and no other thread's. The threads here
 * allocate arrays of known sizes, kept reachable so that no compiler removes them.
 */
class StepAllocationTest {

    /** Where each allocation is kept, so that it is made. */
    private static volatile Object kept;

    @Test
    void countsTheCallingThreadsBytes() {
        StepAllocation allocation = StepAllocation.ofThisJvm();
        assertTrue(allocation.counts(), "this JVM counts each thread's allocation (jdk.management)");

        allocation.begin();
        kept = new byte[1_000_000];
        long bytes = allocation.end();

        assertTrue(bytes >= 1_000_000 && bytes < 1_100_000, bytes + " bytes");
    }

    @Test
    void countsTheStepHelpersStartedBeforeAndAfterTheBeginAndNoOtherThread() throws InterruptedException {
        StepAllocation allocation = StepAllocation.ofThisJvm();
        CountDownLatch go = new CountDownLatch(1);
        CountDownLatch allocated = new CountDownLatch(3);
        CountDownLatch release = new CountDownLatch(1);
        // Each thread allocates when told, then stays alive until the count is read (an ended thread's bytes are gone).
        Thread helper = thread(StepAllocation.HELPER_PREFIX + "7-1", 2_000_000, go, allocated, release);
        Thread other = thread("microgpt-bench-child-output", 4_000_000, go, allocated, release);
        helper.start();
        other.start();
        try {
            allocation.begin();
            go.countDown();
            Thread late = thread(StepAllocation.HELPER_PREFIX + "8-1", 8_000_000, go, allocated, release);
            late.start();
            allocated.await();
            long bytes = allocation.end();
            release.countDown();
            late.join();

            // The helpers' 2 MB and 8 MB, the caller's few bytes (threads, latches), not the other thread's 4 MB.
            assertTrue(bytes >= 10_000_000 && bytes < 10_500_000, bytes + " bytes");
        } finally {
            release.countDown();
            helper.join();
            other.join();
        }
    }

    @Test
    void aCounterThatCannotCountSaysSo() {
        StepAllocation none = StepAllocation.none();

        assertFalse(none.counts());
        none.begin();
        kept = new byte[1_000_000];
        assertEquals(-1, none.end());
        assertEquals(0, none.callerBytes());
    }

    private static Thread thread(String name, int bytes, CountDownLatch go, CountDownLatch allocated,
            CountDownLatch release) {
        Thread thread = new Thread(() -> {
            try {
                go.await();
                kept = new byte[bytes];
                allocated.countDown();
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, name);
        thread.setDaemon(true);
        return thread;
    }
}
