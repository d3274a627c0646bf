package io.github.microgpt.examples.cli;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The processor time the JIT compiler threads of some JVMs have used: the bench's own and, with
 * a list of thread counts, its children's ({@link BenchChild}), read from Linux's
 * {@code /proc/PID/task/TID/comm} (HotSpot names them {@code C1 CompilerThread0},
 * {@code C2 CompilerThread1}, cut to 15 characters) and {@code schedstat} (nanoseconds on a
 * processor, up to date even while the thread runs). Where there is no such file (not Linux, or a
 * JVM that names its compiler threads otherwise) {@link #nanos} is -1, and the bench measures as
 * it did without it.
 *
 * <p><b>Why the bench watches them</b> ({@link BenchCommand.Rounds}): a JIT compiler works on a
 * core of its own, beside the steps. A slice on one thread of a two-core machine leaves it the
 * other core; a slice on two threads has none to spare, and its step, whose threads wait for
 * each other at every loop, loses much more than the compiler's time. Measured at nEmbd 256, 4
 * layers, 8 heads, block 64, f64, on 2 cores (5 December 2026, each thread's processor time read
 * at the edges of every slice, 4 runs): slices on 2 threads during which their own JVM compiled
 * for 5 ms or more ran at 41.5, 42.6, 36.2 and 43.9 steps/s (medians of 2-18 slices a run), those
 * with less than 1 ms at 47.0, 50.5, 42.2 and 47.9, 9-16% faster; on 1 thread the compiler's
 * slices ran at 29.4, 28.9 and 28.0 against 28.6, 28.9 and 27.2 (the fourth run's one-thread
 * model switched between 21 and 29 steps/s for seconds at a time, compiling or not, and says
 * nothing either way). After the warm-up a JVM still compiled small methods now and then (called
 * once a step, they reach the compiler's thresholds only after thousands of steps): 10-35% of the
 * slices on two threads had 5 ms or more. A long run of one count does that compiling once,
 * early; its steady speed has none of it.
 */
final class CompilerThreads {

    /** How often {@link #awaitQuiet} reads the compilers' time. */
    static final long POLL_NANOS = 1_000_000;

    /** The polls in a row without compiling that count as quiet. */
    static final int QUIET_POLLS = 2;

    /** The longest {@link #awaitQuiet} waits: a large method's compile can take longer; then it goes on. */
    static final long WAIT_NANOS = 100_000_000;

    /**
     * The reads {@link #rehearse} makes: well past the calls and loop passes after which HotSpot
     * has a method compiled by its optimising compiler ({@code Tier4InvocationThreshold} 5,000
     * calls, or 600 with 15,000 loop passes; a read passes its loops once for each thread of the
     * JVMs, some hundred).
     */
    static final int REHEARSALS = 2_000;

    /**
     * The longest {@link #rehearse} reads, should a read be slow. Often reached: a read lists and
     * reads files under {@code /proc}, 0.15-0.2 ms even once compiled, and 2,000 of them took
     * 0.37-0.45 s in one JVM (6 December 2026, a 2-vCPU AMD EPYC). {@code bench --help} says so.
     */
    static final long REHEARSAL_NANOS = 500_000_000L;

    /** The start of the name of a HotSpot compiler thread, as Linux keeps it (15 characters at most). */
    private static final String[] NAMES = {"C1 CompilerThre", "C2 CompilerThre"};

    private final List<Long> pids;

    /** For each process, each thread seen: whether it compiles, and its last time read. */
    private final Map<Long, Map<Long, long[]>> threads = new HashMap<>();

    private CompilerThreads(List<Long> pids) {
        this.pids = List.copyOf(pids);
    }

    /**
     * The compiler threads of these processes.
     *
     * @param pids the JVMs' process ids
     * @return the reader
     */
    static CompilerThreads of(List<Long> pids) {
        return new CompilerThreads(pids);
    }

    /**
     * The compiler threads of this JVM and of the given processes.
     *
     * @param children the children's process ids
     * @return the reader
     */
    static CompilerThreads ofThisJvmAnd(List<Long> children) {
        List<Long> pids = new ArrayList<>();
        pids.add(ProcessHandle.current().pid());
        pids.addAll(children);
        return new CompilerThreads(pids);
    }

    /**
     * The processor time of the compiler threads of every process, summed, since each thread was
     * first seen by this reader (a thread that ended keeps its last time, so the sum never goes
     * down).
     *
     * @return nanoseconds, or -1 if a process's threads cannot be read so (or none compiles)
     */
    long nanos() {
        long total = 0;
        boolean anyCompiler = false;
        for (long pid : pids) {
            Path tasks = Path.of("/proc", Long.toString(pid), "task");
            Map<Long, long[]> seen = threads.computeIfAbsent(pid, p -> new HashMap<>());
            try (DirectoryStream<Path> stream = Files.newDirectoryStream(tasks)) {
                for (Path task : stream) {
                    long tid;
                    try {
                        tid = Long.parseLong(task.getFileName().toString());
                    } catch (NumberFormatException e) {
                        continue;
                    }
                    long[] thread = seen.get(tid);
                    if (thread == null) {
                        thread = new long[] {compiler(task) ? 1 : 0, 0};
                        seen.put(tid, thread);
                    }
                    if (thread[0] == 1) {
                        long nanos = runNanos(task);
                        if (nanos > thread[1]) {
                            thread[1] = nanos;
                        }
                    }
                }
            } catch (IOException | RuntimeException e) {
                return -1;
            }
            for (long[] thread : seen.values()) {
                if (thread[0] == 1) {
                    anyCompiler = true;
                    total += thread[1];
                }
            }
        }
        return anyCompiler ? total : -1;
    }

    /**
     * Reads the compilers' time {@link #REHEARSALS} times in a row (at most
     * {@link #REHEARSAL_NANOS}), so that this JVM's JIT compiles the reading now, before the
     * bench's warm-up, whose quiet stretch then waits for those compiles too, rather than during
     * the timed rounds. Why: the timed rounds read the time every millisecond while they wait
     * before a slice ({@link #awaitQuiet}), far more often than the warm-up, and the optimising
     * compiler's compiles of {@link #nanos}, which inline the listing and reading of files under
     * {@code /proc}, took 0.2 s each of a compiler thread in the bench's JVM (6 December 2026, a
     * 2-vCPU AMD EPYC, microgpt-vector's kernels in f32 at nEmbd 256): they fell in the timed
     * rounds and set 4 of 22 aside, as a compile that takes a core from a slice must. A bench of a
     * single thread count rehearses too: its timed rounds read the time before each slice in the
     * same way, in the JVM that runs the steps, and set aside a round in which that JVM compiled
     * (on two threads the compile takes a core from the slice). The rehearsal often takes its whole
     * {@link #REHEARSAL_NANOS}; {@code bench --help} counts it in the run's length.
     *
     * @param clock nanoseconds
     * @return the reads made: fewer where the time cannot be read (one) or the reads were slow
     */
    int rehearse(LongSupplier clock) {
        long start = clock.getAsLong();
        int reads = 0;
        while (reads < REHEARSALS && clock.getAsLong() - start < REHEARSAL_NANOS) {
            reads++;
            if (nanos() < 0) {
                break;
            }
        }
        return reads;
    }

    /**
     * Waits until no compiler thread of these processes has worked for {@link #QUIET_POLLS}
     * polls in a row, {@link #POLL_NANOS} apart, or {@link #WAIT_NANOS} have passed; at once if
     * the time cannot be read.
     *
     * @param clock nanoseconds
     */
    void awaitQuiet(LongSupplier clock) {
        long last = nanos();
        if (last < 0) {
            return;
        }
        long start = clock.getAsLong();
        int quiet = 0;
        while (quiet < QUIET_POLLS && clock.getAsLong() - start < WAIT_NANOS) {
            try {
                Thread.sleep(POLL_NANOS / 1_000_000, (int) (POLL_NANOS % 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            long now = nanos();
            quiet = now == last ? quiet + 1 : 0;
            last = now;
        }
    }

    private static boolean compiler(Path task) {
        try {
            String name = Files.readString(task.resolve("comm")).strip();
            for (String prefix : NAMES) {
                if (name.startsWith(prefix)) {
                    return true;
                }
            }
            return false;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** The first field of {@code schedstat}: the thread's nanoseconds on a processor; 0 if it ended. */
    private static long runNanos(Path task) {
        try {
            String stat = Files.readString(task.resolve("schedstat"));
            int end = stat.indexOf(' ');
            return Long.parseLong(end < 0 ? stat.strip() : stat.substring(0, end));
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }
}
