package io.github.microgpt.examples.cli;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.HashMap;
import java.util.Map;

/**
 * The heap bytes allocated by the threads that run training steps, counted between
 * {@link #begin} and {@link #end}: the calling thread, which runs the step, and the array
 * engine's step helpers (core's {@code Workers}, threads named {@code microgpt-step-...}), which
 * run parts of it on {@code --threads 2} and more. Other threads (the JIT compiler, the
 * collector, a child's reader) are not counted.
 *
 * <p>Why {@code bench} counts it: a training step of the array engine allocates little on the
 * heap once the JIT has compiled it, the same bytes in every run (at nEmbd 256, 4 layers,
 * 8 heads, block 64: 32 KB on 1 thread, 203 KB in f64 and 219 KB in f32 on 2, 5 December 2026).
 * In some JVMs, for the whole JVM, the JIT runs Vector API
 * kernels in their Java fallback, which makes an object of every vector: such JVMs allocated
 * 485-1,685 KB a step on the calling thread alone, and ran attention 2-8 times slower (December
 * 2026). So a high figure is a sign (not a proof) that a run measured a slow JVM.
 *
 * <p>How: {@code com.sun.management.ThreadMXBean}'s per-thread allocated bytes, in the module
 * {@code jdk.management}. The examples run on the class path, where every system module that
 * exports an API is resolved by default, so nothing needs to be added; where the module is left
 * out ({@code --limit-modules}, a runtime image made without it), or the JVM does not count
 * each thread's allocation, {@link #ofThisJvm} gives a counter that counts nothing
 * ({@link #counts} false, {@link #end} -1). The calling thread's bytes are read last at the
 * begin and first at the end, so that the counter's own lists of threads are not counted. The
 * bench reads it once at the start and once at the end of each timed slice (a quarter of a second
 * or more), inside the slice's time: two lists of the JVM's threads and their counts.
 * A helper started after {@link #begin} is counted from its start; a helper that ended before
 * {@link #end} (core ends one after a second with no work, so only in a slice longer than that,
 * after its model was rebuilt) takes its bytes with it, and the figure is then low.
 */
final class StepAllocation {

    /** The name core's {@code Workers} gives each step helper, followed by its team and number. */
    static final String HELPER_PREFIX = "microgpt-step-";

    /** The JVM's counter of each thread's allocation, or null if it has none. */
    private final com.sun.management.ThreadMXBean threads;

    /** The bytes each live thread had allocated at {@link #begin}, by thread id. */
    private final Map<Long, Long> before = new HashMap<>();

    /** The calling thread's bytes at {@link #begin}. */
    private long callerBefore;

    private StepAllocation(com.sun.management.ThreadMXBean threads) {
        this.threads = threads;
    }

    /**
     * A counter of this JVM's step threads, or one that counts nothing where the JVM cannot
     * count each thread's allocation (no {@code jdk.management}, or not supported or enabled).
     *
     * @return the counter
     */
    static StepAllocation ofThisJvm() {
        return new StepAllocation(Support.THREADS);
    }

    /**
     * A counter that counts nothing, as {@link #ofThisJvm} gives where the JVM cannot count.
     *
     * @return the counter
     */
    static StepAllocation none() {
        return new StepAllocation(null);
    }

    /**
     * Whether this counter counts: {@link #end} then returns bytes, not -1.
     *
     * @return true where the JVM counts each thread's allocation
     */
    boolean counts() {
        return threads != null;
    }

    /** Notes every live thread's allocated bytes so far; the calling thread's last. */
    void begin() {
        if (threads == null) {
            return;
        }
        before.clear();
        long[] ids = threads.getAllThreadIds();
        long[] bytes = threads.getThreadAllocatedBytes(ids);
        for (int i = 0; i < ids.length; i++) {
            if (bytes[i] >= 0) {
                before.put(ids[i], bytes[i]);
            }
        }
        callerBefore = threads.getCurrentThreadAllocatedBytes();
    }

    /**
     * The bytes the calling thread and the step helpers allocated since {@link #begin}.
     *
     * @return the bytes, or -1 if this counter counts nothing
     */
    long end() {
        if (threads == null) {
            return -1;
        }
        long total = threads.getCurrentThreadAllocatedBytes() - callerBefore;
        long caller = Thread.currentThread().getId();
        long[] ids = threads.getAllThreadIds();
        ThreadInfo[] infos = threads.getThreadInfo(ids);
        long[] bytes = threads.getThreadAllocatedBytes(ids);
        for (int i = 0; i < ids.length; i++) {
            ThreadInfo info = infos[i];
            // A thread that ended in the meantime has no info, and no bytes (-1).
            if (ids[i] != caller && info != null && bytes[i] >= 0 && info.getThreadName().startsWith(HELPER_PREFIX)) {
                // A helper started since the begin allocated all its bytes since.
                total += bytes[i] - before.getOrDefault(ids[i], 0L);
            }
        }
        return total;
    }

    /**
     * The calling thread's allocated bytes so far, to take a part of a slice out of its count
     * (a model rebuilt after a divergence); 0 if this counter counts nothing.
     *
     * @return the bytes
     */
    long callerBytes() {
        return threads == null ? 0 : threads.getCurrentThreadAllocatedBytes();
    }

    /**
     * This JVM's counter, looked up once. Its own class, so that a JVM without
     * {@code jdk.management} fails to link {@code com.sun.management} here, where it is caught,
     * and nowhere else.
     */
    private static final class Support {
        static final com.sun.management.ThreadMXBean THREADS = lookUp();

        private static com.sun.management.ThreadMXBean lookUp() {
            try {
                ThreadMXBean bean = ManagementFactory.getThreadMXBean();
                if (bean instanceof com.sun.management.ThreadMXBean counting
                        && counting.isThreadAllocatedMemorySupported() && counting.isThreadAllocatedMemoryEnabled()) {
                    return counting;
                }
                return null;
            } catch (LinkageError e) {
                // No jdk.management in this JVM: com.sun.management.ThreadMXBean cannot be loaded.
                return null;
            }
        }
    }
}
