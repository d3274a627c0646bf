package io.github.microgpt.model;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;

/**
 * A small team of threads that shares out one loop of {@link ArrayGptModel}'s step (or two loops
 * that do not depend on each other, {@link #forRanges}): the loop is cut into contiguous chunks,
 * and the calling thread and the helper threads take chunks until none is left.
 *
 * <p><b>Why not an executor.</b> One document's step at {@code nEmbd = 256} makes about a hundred
 * parallel loops (every matrix product and every attention, forward and backward), each a
 * fraction of a millisecond to a few milliseconds long. Handing a task to a
 * {@code ThreadPoolExecutor} and waiting on its {@code Future} costs tens of microseconds; here a
 * helper that has just finished spins for a moment on a counter and joins the next loop within a
 * microsecond. A helper that stays idle parks, and after a second of idleness it ends, so that a
 * forgotten model keeps no thread alive (the team starts a new one when it is needed again).
 *
 * <p><b>Each thread has its own part, and steals when it is done.</b> The loop is cut into one
 * contiguous part per thread, the same for every loop of the same length: the caller's part is
 * the first, helper {@code k}'s the {@code k+1}-th. A thread takes its own part in shrinking
 * chunks from the front (half of what is left, at least the grain), then takes chunks from the
 * back of whichever part has the most left. So, with the threads running, each thread computes
 * the same positions (or rows) in every loop of a step, and the activations it wrote in one loop
 * are still in its own core's caches when it reads them in the next; measured at
 * {@code nEmbd = 256} on two cores, chunks handed out in whatever order the threads came
 * ("guided" scheduling, each chunk a quarter of what was left) made every loop's work about a
 * third slower on two threads than on one (rows one core has just written take 1.3-1.5 times as
 * long for the other core to read as for itself), and gave 1.40-1.46 times one thread's speed
 * where these parts give 1.56 (f64; f32 1.32-1.34 and 1.46-1.51). On a busy machine a helper
 * may be descheduled for milliseconds: then the caller, done with its own part, takes the rest of
 * the helper's from the back, and waits at most for the chunk the helper is in the middle of.
 *
 * <p><b>What stealing buys, and what it cannot.</b> Measured at {@code nEmbd} 256, 4 layers,
 * block 64, f32, Vector API kernels (one JVM, one model, the rule switched every few steps, the
 * caller pinned to one vCPU and the helper to the other, 51-74 alternated rounds, medians of
 * the rounds' ratios): each thread keeping to its own part, without stealing, made a two-thread
 * step 1.108 times as long on a quiet host, 1.088 with a real-time busy loop taking 100 us of
 * every 400 us of the helper's vCPU, 1.113 with one taking 2 ms of every 8 ms. Stealing cannot
 * hide such a stall: the chunk the stalled thread holds keeps the loop from ending, whatever
 * the chunk's size, and the next loop needs its results; so a step on two threads runs about
 * {@code 1 - x} times its quiet speed for a share {@code x} of a vCPU taken in stalls (measured:
 * 1.18-1.21 times one thread's speed with a quarter of a vCPU taken, 1.6 quiet), not the
 * {@code 2 - x} threads' worth a slowed (but never stopped) vCPU would allow. This host's
 * vCPUs do stop: a thread pinned to each, timing a 1 us piece of work in a loop, saw 4-10% of
 * its wall time in gaps over 20 us, some of them over a millisecond. A thread taking a quarter
 * of what is left of its part instead of half (more, smaller chunks) read 0.958-1.0035 of the
 * time quiet and 0.968-0.991 under the stalls in f32, 1.010 and 1.040 in f64: not kept.
 *
 * <p><b>Why the caller does not run a stopped helper's chunk again.</b> Once the caller has nothing
 * left but the chunk a stopped helper holds, it could run that chunk itself and end the loop, the
 * helper writing the same bits when it wakes. Measured on 7 December 2026 (nEmbd 256, 4 layers, 8
 * heads, block 64, two threads, a counter on the caller's wait at each loop's end): on a quiet
 * minute that wait is 2.8% (vector kernels, f64), 6.0% (vector, f32), 2.9% (core's loops, f64) and
 * 4.2% (core, f32) of a step, of which waits over a millisecond (a stopped vCPU, 0.07-0.25 a step,
 * 2.8-3.9 ms each) are 0.8-4.3%; a caller that re-ran the chunk would still go on alone until the
 * helper woke, so at most about half of that is to gain. A prototype that re-ran every held chunk
 * after a wait of a quarter to all of the caller's own time in the loop (and waited for nothing
 * afterwards: unsafe, to bound the gain; one JVM, the rule switched every 4 steps, 24-30 alternated
 * rounds, medians) ran at 0.97 (vector f32) and 1.00 (core f32) times the speed of waiting on the
 * real host, 1.02 and 0.98 with a real-time busy loop taking 100 us of every 400 us of the helper's
 * vCPU (the held chunk, 10-45% of the loop, costs about what such a stop leaves), and 1.10 and
 * 1.04-1.05 only with 2 ms of every 8 ms taken. And it diverged training (an infinite loss) within
 * 39-466 steps, on a quiet host too: many loops are not idempotent (the residual adds and gradients
 * add to their outputs; Adam's update inside the backward pass rewrites the weights and moments it
 * reads; a product zeroes its output rows and sums into them, so a late run shows half-summed rows
 * to the next loop; the vector products pack their input into one shared array that the next
 * product packs again), and a late write lands whenever the host lets the helper go on. A safe
 * version needs a flag on every loop proven idempotent, and the loop waiting for the late chunk
 * before anything rewrites what it reads or writes (the next product's packing, Adam's update of
 * the weights a forward product read): that takes back most of the little there is to gain. Not
 * kept; {@code WorkersTest} holds the rule that a loop ends only when every chunk of it has ended,
 * each run once.
 *
 * <p><b>What two vCPUs give at all, and where a two-thread step loses.</b> Measured on 8 December
 * 2026 (the 2-vCPU Zen 5 host, one JVM, the same work on one thread and then on each of two
 * threads at once, 25 alternated rounds, medians of the rounds' {@code 2 t1 / t2}): arithmetic
 * in registers scales fully, 1.98 (scalar FMA chains), 1.99 (512-bit FMA chains), 1.99 (integer
 * ALU), so the two vCPUs are not hyperthreads of one core and do not slow their clocks; a loop
 * streaming arrays through the second-level cache ({@code a[i] = a[i] * k + b[i]}, 512 KB a
 * thread) gave 1.73 (quartiles 1.70-1.75), each thread 10% slower while the other streams too,
 * and loops that reach the third level or memory 1.5-1.8 with a wide spread. The step's profile
 * (nEmbd 256, 4 layers, 8 heads, block 64, a counter per loop and per thread) shows the same
 * 10%: in the core's loops, whose products stream blocks of weights through that cache with
 * three loads for six multiply-adds, the products take 1.10 times one thread's processor time
 * on two (f64: forward 14.1 ms against 12.8, backward 32.1 against about 29.0), while
 * attention, whose rows stay in the first-level cache, takes 0.82-0.90 times; with the optional
 * module's kernels, register blocks of 4 by 4, the products take 0.97-1.00 times and all the
 * loops together 1.02 times one thread's processor time (f64). What runs on one thread alone is about 1.3% of a
 * two-thread step (0.29 ms between loops and 0.08 ms of the embeddings' update, of 28 ms in
 * core f64); the caller's waits at loops' ends are 1.5-4.5% (a helper that starts late, 0.85-1.15
 * times a step at 0.3-0.6 ms each, the host's stalls described above). So, at this size, the
 * core's loops are bound near 1.75 by the machine's caches, not by the split, and a higher
 * ratio there needs products with more multiply-adds per load, not another division of work.
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
     * A loop body over the iterations {@code [from, to)} that is told which thread runs it:
     * {@code slot} is 0 for the calling thread and {@code k} for helper {@code k}, always below
     * {@link #threads()}. A thread runs one chunk at a time, so a chunk may use scratch of its
     * slot's own without any other chunk touching it meanwhile (see {@link #forRangeWithSlot}).
     */
    @FunctionalInterface
    interface SlotTask {
        void run(int slot, int from, int to);
    }

    /**
     * How long an idle helper spins before it parks: longer than the serial work between two
     * parallel loops of a step (a RMSNorm, a transpose), so that a helper stays awake through a
     * step (waking a parked thread costs tens of microseconds, more under a hypervisor) and parks
     * between steps.
     */
    private static final long SPIN_NANOS = 300_000L;
    /**
     * How long an idle helper spins before it starts yielding its core at every check of the
     * clock (until it parks at {@link #SPIN_NANOS}): longer than almost every gap between two
     * parallel loops of a step, so that on a quiet machine a helper never pays for a system call
     * between loops. On a busy machine the operating system may put the caller and a helper on
     * one core (the other busy with another program); then a spinning helper takes that core's
     * time from the caller, the one thread with work, for up to a time slice, and a yielding one
     * hands it back at once. Measured at {@code nEmbd = 256} on two cores with a program spinning
     * on one of them, a two-thread f32 step ran at 0.69-0.71 times one thread's speed with
     * helpers that only spun and at 0.90-0.93 with helpers that yield (a quarter less time a
     * step); with 4 ms of every 5 of one core taken, 14% (f32) and 15% (f64) less; on a quiet
     * machine the two rules are the same within the noise.
     */
    private static final long YIELD_NANOS = 50_000L;
    /** How long the caller spins for the helpers' last chunks before it yields, in {@link Thread#onSpinWait} calls. */
    static final int WAIT_SPINS = 1 << 10;
    /** How long a parked helper waits for work before it ends. */
    private static final long IDLE_NANOS = 1_000_000_000L;
    /**
     * The parts' cursors sit this many longs apart (64 bytes, a cache line): each thread moves its
     * own part's cursor, and cursors in one line would bounce between the cores at every chunk.
     */
    private static final int CURSOR_STRIDE = 8;

    private static final AtomicInteger TEAMS = new AtomicInteger();

    /**
     * One loop of a {@link Job}: its body and its parts with their cursors. Part {@code k}
     * belongs to thread {@code k} (the caller is 0); a part's cursor packs where its next chunk
     * from the front starts (high half) and where its last chunk from the back ends (low half),
     * so that the owner taking from the front and a thief taking from the back agree in one
     * compare-and-set. A loop is set up again for every call (see {@link Job}): its fields are
     * written by the caller before it hands the job out and only read afterwards.
     */
    private static final class Loop {
        /** The body, when it wants to know its slot; else null and {@link #range} is the body. */
        SlotTask task;
        /** The body, when it does not want to know its slot; else null. */
        RangeTask range;
        int grain;
        int parts;
        final AtomicLongArray cursors;

        Loop(int threads) {
            this.cursors = new AtomicLongArray(threads * CURSOR_STRIDE);
        }

        /** Sets this loop up for {@code count} iterations (one of the two bodies is null). */
        void set(SlotTask task, RangeTask range, int count, int grain, int threads) {
            this.task = task;
            this.range = range;
            this.grain = grain;
            // Every part holds at least a grain, so that every chunk does.
            this.parts = Math.max(1, Math.min(threads, count / grain));
            for (int k = 0; k < parts; k++) {
                int from = (int) ((long) count * k / parts);
                int to = (int) ((long) count * (k + 1) / parts);
                cursors.set(k * CURSOR_STRIDE, pack(from, to));
            }
        }

        private static long pack(int front, int back) {
            return (long) front << 32 | back & 0xFFFF_FFFFL;
        }

        private static int front(long cursor) {
            return (int) (cursor >>> 32);
        }

        private static int back(long cursor) {
            return (int) cursor;
        }

        /** How many iterations part {@code k} has left. */
        int left(int k) {
            long cursor = cursors.get(k * CURSOR_STRIDE);
            return back(cursor) - front(cursor);
        }

        /**
         * Runs the next chunk from the front of part {@code k}: half of what is left, at least a
         * grain, all of it if less than a grain would remain. False if the part is empty. Only the
         * part's owner takes from its front, so the chunk runs as thread {@code k}.
         */
        boolean takeFront(int k, Job job) {
            while (true) {
                long cursor = cursors.get(k * CURSOR_STRIDE);
                int front = front(cursor);
                int back = back(cursor);
                int left = back - front;
                if (left <= 0) {
                    return false;
                }
                int size = chunk(left);
                if (cursors.compareAndSet(k * CURSOR_STRIDE, cursor, pack(front + size, back))) {
                    job.run(this, k, front, front + size);
                    return true;
                }
            }
        }

        /** Runs a chunk taken from the back of part {@code k}, if any is left there, as thread {@code slot}. */
        void takeBack(int k, Job job, int slot) {
            while (true) {
                long cursor = cursors.get(k * CURSOR_STRIDE);
                int front = front(cursor);
                int back = back(cursor);
                int left = back - front;
                if (left <= 0) {
                    return;
                }
                int size = chunk(left);
                if (cursors.compareAndSet(k * CURSOR_STRIDE, cursor, pack(front, back - size))) {
                    job.run(this, slot, back - size, back);
                    return;
                }
            }
        }

        /** Half of {@code left}, at least a grain, and all of it if less than a grain would remain. */
        private int chunk(int left) {
            int size = Math.max(grain, (left + 1) / 2);
            return left - size < grain ? left : size;
        }
    }

    /**
     * The loops handed out together (one, or two that do not depend on each other), and how many
     * of their iterations are done.
     *
     * <p><b>Set up again for every call, never allocated in a step.</b> A team keeps two jobs and
     * hands them out in turn, so a step's hundred or so loops allocate nothing (a job, its loops
     * and their cursors made anew for each loop were most of what a two-thread step allocated in
     * the core's loops, about 25 KB a step at {@code nEmbd} 256). A helper may still be inside a
     * job's {@link #work} (looking for chunks to steal) after the caller has seen every chunk
     * done and moved on; so a helper counts itself in {@link #inside} before it works on a job and
     * out after, and the caller sets a job up again only when no helper is inside it. A helper
     * that counted itself in checks that the job it read is still the one handed out, with the
     * same {@link #call} number; if not, it counts itself out without touching it.
     */
    private static final class Job {
        final Loop[] loops = new Loop[2];
        int loopCount;
        int total;
        final AtomicInteger done = new AtomicInteger();
        /** Helpers working on this job (see the class comment). */
        final AtomicInteger inside = new AtomicInteger();
        /** Which call of the team this job serves now: written before the job is handed out. */
        volatile long call;
        volatile Throwable failure;

        Job(int threads) {
            loops[0] = new Loop(threads);
            loops[1] = new Loop(threads);
        }

        /** Ready for a call with {@code loopCount} loops (set up by the caller) of {@code total} iterations. */
        void reset(int loopCount, int total, long call) {
            this.loopCount = loopCount;
            this.total = total;
            this.failure = null;
            this.done.set(0);
            this.call = call;
        }

        /**
         * Thread {@code slot}'s share: the chunks of its own part of each loop in turn, from the
         * front, then chunks from the back of whichever part of the first unfinished loop has the
         * most left, until no part of any loop has any.
         */
        void work(int slot) {
            for (int i = 0; i < loopCount; i++) {
                Loop loop = loops[i];
                if (slot < loop.parts) {
                    while (loop.takeFront(slot, this)) {
                        // the own part's next chunk
                    }
                }
            }
            for (int i = 0; i < loopCount; i++) {
                Loop loop = loops[i];
                while (true) {
                    int richest = -1;
                    int most = 0;
                    for (int k = 0; k < loop.parts; k++) {
                        int left = loop.left(k);
                        if (left > most) {
                            most = left;
                            richest = k;
                        }
                    }
                    if (richest < 0) {
                        break;
                    }
                    loop.takeBack(richest, this, slot);
                }
            }
        }

        void run(Loop loop, int slot, int from, int to) {
            try {
                SlotTask task = loop.task;
                if (task != null) {
                    task.run(slot, from, to);
                } else {
                    loop.range.run(from, to);
                }
            } catch (RuntimeException | Error e) {
                failure = e;
            } finally {
                done.addAndGet(to - from);
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
    /**
     * The job being shared out, or the last one; a helper works on it when its {@link Job#call}
     * changes. Null before the first.
     */
    private volatile Job job;
    /** The two jobs handed out in turn (see {@link Job}); none on one thread. */
    private final Job[] jobs;
    /** How many jobs this team has handed out: the number of the last call. */
    private long calls;

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
        this.jobs = threads == 1 ? new Job[0] : new Job[] {new Job(threads), new Job(threads)};
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
        Job next = nextJob();
        next.loops[0].set(null, task, count, atLeast, threads);
        run(next, 1, count);
    }

    /**
     * Runs {@code task} over {@code [0, count)} as {@link #forRange} does, telling each chunk
     * which thread runs it (see {@link SlotTask}): for loops whose chunks need scratch memory,
     * one buffer per thread rather than one per chunk.
     */
    void forRangeWithSlot(int count, int grain, SlotTask task) {
        int atLeast = Math.max(1, grain);
        if (threads == 1 || count < 2 * atLeast) {
            task.run(0, 0, count);
            return;
        }
        Job next = nextJob();
        next.loops[0].set(task, null, count, atLeast, threads);
        run(next, 1, count);
    }

    /**
     * Runs two loops that do not depend on each other, as {@link #forRange} runs one, with one
     * hand-over for both: a thread done with its part of the first goes on with its part of the
     * second instead of waiting for the others (the two gradients of a matrix product, say). A
     * loop too short to share runs on the calling thread after the other loop.
     */
    void forRanges(int count, int grain, RangeTask task, int count2, int grain2, RangeTask task2) {
        int atLeast = Math.max(1, grain);
        int atLeast2 = Math.max(1, grain2);
        boolean shared = threads > 1 && count >= 2 * atLeast;
        boolean shared2 = threads > 1 && count2 >= 2 * atLeast2;
        if (shared && shared2) {
            Job next = nextJob();
            next.loops[0].set(null, task, count, atLeast, threads);
            next.loops[1].set(null, task2, count2, atLeast2, threads);
            run(next, 2, count + count2);
            return;
        }
        forRange(count, grain, task);
        forRange(count2, grain2, task2);
    }

    /**
     * The job to set up for the next call: the one not handed out last, once no helper is still
     * inside it (almost always at once: a helper leaves a job as soon as it finds no chunk left).
     */
    private Job nextJob() {
        Job next = jobs[(int) ((calls + 1) & 1)];
        int spins = 0;
        while (next.inside.get() != 0) {
            if (++spins < WAIT_SPINS) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
        return next;
    }

    /**
     * Hands {@code current}, whose {@code loopCount} loops of {@code total} iterations in all are
     * set up, to the helpers, takes the caller's share, and waits for the rest.
     */
    private void run(Job current, int loopCount, int total) {
        current.reset(loopCount, total, ++calls);
        synchronized (this) {
            startMissingHelpers();
            job = current;
        }
        for (Thread helper : helpers) {
            LockSupport.unpark(helper);
        }
        current.work(0);
        // Wait for the chunks the helpers are in the middle of: spin briefly, then yield, so that
        // on a busy machine a helper that was descheduled can finish on this core.
        int spins = 0;
        while (current.done.get() < current.total) {
            if (++spins < WAIT_SPINS) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
        // Let go of the bodies (and what they hold) until the job's next call.
        for (int i = 0; i < loopCount; i++) {
            current.loops[i].task = null;
            current.loops[i].range = null;
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
                long seen = calls - 1;
                Thread helper = new Thread(() -> help(slot, seen), "microgpt-step-" + id + "-" + (k + 1));
                // A helper must never keep a program alive.
                helper.setDaemon(true);
                helpers[k] = helper;
                helper.start();
            }
        }
    }

    /**
     * A helper's life: wait for a new call ({@code seen} is the number of the last one it saw),
     * take its chunks, repeat; end after a second idle.
     */
    private void help(int slot, long seen) {
        while (true) {
            long idleSince = System.nanoTime();
            int spins = 0;
            Job current;
            while ((current = job) == null || current.call == seen) {
                if ((++spins & 63) != 0) {
                    Thread.onSpinWait();
                    continue;
                }
                long now = System.nanoTime();
                if (now - idleSince < SPIN_NANOS) {
                    if (now - idleSince > YIELD_NANOS) {
                        Thread.yield();
                    }
                    continue;
                }
                if (now - idleSince > IDLE_NANOS) {
                    synchronized (this) {
                        Job last = job;
                        if (last == null || last.call == seen) {
                            helpers[slot] = null;
                            return;
                        }
                    }
                }
                LockSupport.parkNanos(this, 10_000_000L);
            }
            long call = current.call;
            current.inside.incrementAndGet();
            // Still the job handed out, for the same call? (The caller may have set it up again.)
            if (job == current && current.call == call) {
                try {
                    current.work(slot + 1);
                } finally {
                    current.inside.decrementAndGet();
                }
                seen = call;
            } else {
                current.inside.decrementAndGet();
            }
        }
    }
}
