package io.github.microgpt.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.testsupport.FreshThread;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * {@link Workers}: every iteration of a loop runs exactly once whatever the threads' timing, and a
 * loop ends only once all its chunks have, a stopped helper's included; the slot a chunk is told
 * ({@link Workers#forRangeWithSlot}) is the scratch it may use alone, so two chunks that run at the
 * same time must never be told the same slot, and every slot must be below the team's size; and a
 * helper that has idled (spinning, yielding, parked) still joins the next loop.
 */
class WorkersTest {

    /** How long a test waits for a loop that should end before it fails rather than hang the build. */
    private static final long HANG_SECONDS = 60;

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

    /**
     * Chunks stall at random (a spin, a yield, a park of up to 200 microseconds) so that a thread
     * is overtaken in the middle of its part, the others steal from it and the caller waits for
     * its chunk; the calls come with random pauses between them, so that the helpers meet them
     * spinning, yielding or parked. Whatever the timing, each iteration of both loops of
     * {@link Workers#forRanges} (and of a single loop) runs exactly once.
     */
    @Test
    void everyIterationRunsExactlyOnceWhateverTheDelays() {
        SplittableRandom random = new SplittableRandom(11);
        for (int threads = 1; threads <= 4; threads++) {
            Workers team = new Workers(threads);
            for (int round = 0; round < 150; round++) {
                int count = 1 + random.nextInt(300);
                int grain = 1 + random.nextInt(9);
                int count2 = random.nextInt(4) == 0 ? 0 : 1 + random.nextInt(300);
                int grain2 = 1 + random.nextInt(9);
                AtomicIntegerArray runs = new AtomicIntegerArray(count);
                AtomicIntegerArray runs2 = new AtomicIntegerArray(Math.max(1, count2));
                long seed = random.nextLong();
                Workers.RangeTask first = (from, to) -> stallAndCount(runs, from, to, seed);
                Workers.RangeTask second = (from, to) -> stallAndCount(runs2, from, to, ~seed);
                if (count2 == 0) {
                    team.forRange(count, grain, first);
                } else {
                    team.forRanges(count, grain, first, count2, grain2, second);
                }
                String where = threads + " threads, " + count + "/" + grain + " and " + count2 + "/" + grain2;
                for (int i = 0; i < count; i++) {
                    assertEquals(1, runs.get(i), "iteration " + i + " of the first loop, " + where);
                }
                for (int i = 0; i < count2; i++) {
                    assertEquals(1, runs2.get(i), "iteration " + i + " of the second loop, " + where);
                }
                pause(random.nextInt(4), random.nextInt(400));
            }
        }
    }

    /**
     * A helper stopped in the middle of a chunk (here parked until another thread lets it go, as
     * a host stops a vCPU) keeps the loop from ending: the caller, with every other chunk done,
     * waits for that chunk rather than run it again itself and return. The model relies on it:
     * many of its loops add to their outputs or rewrite what they read, so a chunk run twice, or
     * one that writes late into buffers the next loop has begun to use, would change the results
     * (see {@link Workers}' class comment: a caller that re-ran such chunks diverged training).
     * The caller's own chunks wait until a helper is stopped, so that one always is.
     */
    @Test
    void aLoopEndsOnlyOnceAStoppedHelpersChunkHasEnded() throws InterruptedException {
        for (int threads = 2; threads <= 3; threads++) {
            for (boolean withSlot : new boolean[] {false, true}) {
                Workers team = new Workers(threads);
                int count = 64;
                AtomicIntegerArray runs = new AtomicIntegerArray(count);
                AtomicReference<Thread> caller = new AtomicReference<>();
                AtomicReference<Thread> stopped = new AtomicReference<>();
                AtomicBoolean released = new AtomicBoolean();
                // Set when the loop did not end in time: every wait of the test's own then ends.
                AtomicBoolean abandoned = new AtomicBoolean();
                Thread releaser = new Thread(() -> {
                    while (stopped.get() == null && !abandoned.get()) {
                        LockSupport.parkNanos(100_000L);
                    }
                    // Long enough for the caller to finish everything else and wait.
                    LockSupport.parkNanos(20_000_000L);
                    released.set(true);
                    if (stopped.get() != null) {
                        LockSupport.unpark(stopped.get());
                    }
                });
                releaser.setDaemon(true);
                releaser.start();
                Workers.RangeTask body = (from, to) -> {
                    Thread current = Thread.currentThread();
                    if (current == caller.get()) {
                        while (stopped.get() == null && !abandoned.get()) {
                            Thread.onSpinWait();
                        }
                    } else if (stopped.compareAndSet(null, current)) {
                        while (!released.get()) {
                            LockSupport.parkNanos(1_000_000L);
                        }
                    }
                    for (int i = from; i < to; i++) {
                        runs.incrementAndGet(i);
                    }
                };
                String where = threads + " threads" + (withSlot ? ", with slots" : "");
                // On another thread, bounded: were the wait for the stopped chunk broken so that it
                // never ends (a lost wake-up), or no helper ever stopped, the test fails after the
                // bound instead of hanging the build. The bound is no speed limit: the loop takes
                // some 20 ms. On failure the test's own waits are let go, so that the loop's thread
                // ends rather than spin beside the tests that follow.
                boolean slots = withSlot;
                try {
                    FreshThread.call(() -> {
                        caller.set(Thread.currentThread());
                        if (slots) {
                            team.forRangeWithSlot(count, 4, (slot, from, to) -> body.run(from, to));
                        } else {
                            team.forRange(count, 4, body);
                        }
                        return null;
                    }, HANG_SECONDS);
                } catch (AssertionError e) {
                    abandoned.set(true);
                    released.set(true);
                    if (stopped.get() != null) {
                        LockSupport.unpark(stopped.get());
                    }
                    Thread loop = caller.get();
                    if (loop != null) {
                        loop.join(TimeUnit.SECONDS.toMillis(HANG_SECONDS));
                    }
                    throw new AssertionError("the loop failed or did not end within " + HANG_SECONDS + " s after the"
                            + " stopped helper was let go, " + where + (loop != null && loop.isAlive()
                            ? "; its thread still runs, let go" : "; its thread, let go, ended"), e);
                }
                assertTrue(released.get(), "the loop ended while a helper was stopped inside a chunk, " + where);
                releaser.join();
                for (int i = 0; i < count; i++) {
                    assertEquals(1, runs.get(i), "iteration " + i + ", " + where);
                }
            }
        }
    }

    /** Counts {@code [from, to)} in {@code runs}, stalling first in a way drawn from the chunk and {@code seed}. */
    private static void stallAndCount(AtomicIntegerArray runs, int from, int to, long seed) {
        SplittableRandom random = new SplittableRandom(seed ^ (31L * from + to));
        pause(random.nextInt(6), random.nextInt(200));
        for (int i = from; i < to; i++) {
            runs.incrementAndGet(i);
        }
    }

    /** Nothing (kinds 3 and up), a spin, a yield or a park of about {@code micros} microseconds. */
    private static void pause(int kind, int micros) {
        long until = System.nanoTime() + micros * 1000L;
        switch (kind) {
            case 0 -> {
                while (System.nanoTime() < until) {
                    Thread.onSpinWait();
                }
            }
            case 1 -> Thread.yield();
            case 2 -> LockSupport.parkNanos(micros * 1000L);
            default -> {
                // no pause
            }
        }
    }

    /** Counts each iteration of the loops of {@link #aCallAllocatesNothingOnceWarm}; one thread per slot. */
    private static final AtomicIntegerArray COUNTED = new AtomicIntegerArray(64);
    /** Captures nothing, so that the lambda is one object for every call: the calls' own allocation is Workers'. */
    private static final Workers.RangeTask COUNT = (from, to) -> {
        for (int i = from; i < to; i++) {
            COUNTED.incrementAndGet(i);
        }
    };
    private static final Workers.SlotTask COUNT_WITH_SLOT = (slot, from, to) -> COUNT.run(from, to);

    /**
     * A step makes about a hundred loops, and the team sets up its two jobs again for each rather
     * than making a job, its loops and their cursors anew (about 300 bytes a call, 25 KB a step):
     * once warm, a thousand calls of each kind allocate (almost) nothing on the calling thread.
     * Measured in the bytes HotSpot counts for the thread.
     */
    @Test
    void aCallAllocatesNothingOnceWarm() throws Exception {
        Object threadBean = Class.forName("java.lang.management.ManagementFactory").getMethod("getThreadMXBean")
                .invoke(null);
        java.lang.reflect.Method allocated = Class.forName("com.sun.management.ThreadMXBean")
                .getMethod("getThreadAllocatedBytes", long.class);
        long id = Thread.currentThread().getId();
        Workers team = new Workers(2);
        int calls = 1000;
        long bytes = Long.MAX_VALUE;
        // Rounds, so that the loops run compiled (the interpreter allocates nothing here either,
        // but the first calls start the helper and load classes).
        for (int round = 0; round < 30 && bytes > 0; round++) {
            long before = (long) allocated.invoke(threadBean, id);
            for (int call = 0; call < calls; call++) {
                team.forRange(64, 4, COUNT);
                team.forRangeWithSlot(64, 4, COUNT_WITH_SLOT);
                team.forRanges(64, 4, COUNT, 64, 4, COUNT);
            }
            bytes = (long) allocated.invoke(threadBean, id) - before;
        }
        assertTrue(bytes < 3L * calls, "4 loops in 3 calls, 1000 times, allocated " + bytes + " bytes");
        for (int i = 0; i < 64; i++) {
            assertTrue(COUNTED.get(i) % 4 == 0 && COUNTED.get(i) > 0, "iteration " + i + " ran " + COUNTED.get(i));
        }
    }

    /**
     * After pauses of every length an idle helper meets (under the time it spins, in the stretch
     * where it yields, past the time it parks), a loop of two iterations whose first chunk does
     * not end before the second has started on a helper: the caller cannot take both, so the loop
     * ends only if the helper woke up and joined it.
     */
    @Test
    void aHelperJoinsTheNextLoopHoweverLongItIdled() {
        Workers team = new Workers(2);
        for (long pauseMicros : new long[] {0, 20, 100, 250, 2_000, 20_000}) {
            for (int round = 0; round < 5; round++) {
                LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(pauseMicros));
                AtomicBoolean helperStarted = new AtomicBoolean();
                AtomicReference<String> problem = new AtomicReference<>();
                team.forRangeWithSlot(2, 1, (slot, from, to) -> {
                    if (slot != 0) {
                        helperStarted.set(true);
                        return;
                    }
                    long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                    while (!helperStarted.get()) {
                        if (System.nanoTime() > giveUp) {
                            problem.set("no helper joined after a pause of " + pauseMicros + " us");
                            return;
                        }
                        Thread.yield();
                    }
                });
                assertEquals(null, problem.get());
                assertTrue(helperStarted.get(), "the helper ran the second iteration");
            }
        }
    }
}
