package io.github.microgpt.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * {@link Workers#forRangeWithSlot}: the slot a chunk is told is the scratch it may use alone, so
 * two chunks that run at the same time must never be told the same slot, every slot must be
 * below the team's size, and every iteration must run exactly once.
 */
class WorkersTest {

    @Test
    void chunksRunningAtTheSameTimeNeverShareASlot() {
        for (int threads = 1; threads <= 4; threads++) {
            Workers team = new Workers(threads);
            for (int round = 0; round < 200; round++) {
                int count = 1 + round % 97;
                AtomicIntegerArray runs = new AtomicIntegerArray(count);
                AtomicIntegerArray inUse = new AtomicIntegerArray(threads);
                AtomicReference<String> problem = new AtomicReference<>();
                int size = threads;
                team.forRangeWithSlot(count, 1, (slot, from, to) -> {
                    if (slot < 0 || slot >= size) {
                        problem.compareAndSet(null, "slot " + slot + " of a team of " + size);
                        return;
                    }
                    if (!inUse.compareAndSet(slot, 0, 1)) {
                        problem.compareAndSet(null, "slot " + slot + " given to two chunks at once");
                    }
                    for (int i = from; i < to; i++) {
                        runs.incrementAndGet(i);
                        // A little work, so that the threads' chunks overlap in time.
                        Thread.onSpinWait();
                    }
                    inUse.set(slot, 0);
                });
                assertEquals(null, problem.get(), threads + " threads, " + count + " iterations");
                for (int i = 0; i < count; i++) {
                    assertEquals(1, runs.get(i), "iteration " + i + " of " + count + " on " + threads + " threads");
                }
            }
        }
    }

    @Test
    void aLoopTooShortToShareRunsOnTheCallingThreadAsSlotZero() {
        Workers team = new Workers(2);
        Thread caller = Thread.currentThread();
        AtomicReference<String> seen = new AtomicReference<>();
        team.forRangeWithSlot(1, 1, (slot, from, to) -> seen.set(slot + " " + from + " " + to + " "
                + (Thread.currentThread() == caller)));
        assertEquals("0 0 1 true", seen.get());
        assertTrue(team.threads() == 2);
    }
}
