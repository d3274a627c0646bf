package io.github.microgpt.examples.cli;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.function.LongSupplier;

/**
 * The double-precision peak of one core, measured: what {@code microgpt bench} divides an
 * engine's GFLOP/s by, so that "12 GFLOP/s" can be read as "a tenth of what this core can do".
 *
 * <p>The kernel is the simplest code that keeps the floating-point units busy: every element of a
 * small array (it stays in the first-level cache) goes through eight fused multiply-adds
 * {@code x = x * a + b} in a row. The elements are independent, so the JIT packs them into the
 * widest vectors the processor has (on AVX-512, eight doubles), and the eight operations give
 * each load and store sixteen floating-point operations to hide behind. With {@code a < 1} the
 * values settle at {@code b / (1 - a)} and never become subnormal, which would be slow.
 *
 * <p>The time is the thread's processor time, not the wall clock: on a machine shared with other
 * work the wall clock would count the time the thread waited for the core, and the peak would
 * look lower than the core is. The best of several slices is the peak. A JVM that cannot measure
 * thread time falls back to the wall clock.
 */
final class PeakFlops {

    /** Doubles in the array: 4 KiB, well inside any first-level data cache. */
    static final int LENGTH = 512;

    /** Multiply-adds per element and pass. */
    static final int FMAS_PER_ELEMENT = 8;

    /** Floating-point operations of one {@link #pass}: a multiply-add counts as two. */
    static final long FLOPS_PER_PASS = 2L * FMAS_PER_ELEMENT * LENGTH;

    private static final double A = 0.999;
    private static final double B = 1e-3;

    private PeakFlops() {
    }

    /**
     * Measures the peak: a warm-up that lets the JIT compile {@link #pass}, then the best of five
     * slices.
     *
     * @param seconds processor time to spend in all, about half of it warming up; positive
     * @return the peak in GFLOP/s
     */
    static double measureGflops(double seconds) {
        LongSupplier clock = threadClock();
        double[] x = new double[LENGTH];
        for (int i = 0; i < LENGTH; i++) {
            x[i] = i / (double) LENGTH;
        }
        long sliceNanos = Math.max(1, (long) (seconds * 1e9 / 10));
        runFor(x, clock, 5 * sliceNanos);
        double best = 0;
        for (int slice = 0; slice < 5; slice++) {
            long start = clock.getAsLong();
            long passes = runFor(x, clock, sliceNanos);
            double elapsed = Math.max(clock.getAsLong() - start, 1);
            best = Math.max(best, passes * FLOPS_PER_PASS / elapsed);
        }
        // Reading the array keeps the JIT from dropping the work as unused.
        if (Double.isNaN(x[LENGTH / 2])) {
            throw new IllegalStateException("the peak kernel produced NaN");
        }
        return best;
    }

    /** Runs passes over {@code x} for at least {@code nanos} of the clock; returns how many. */
    private static long runFor(double[] x, LongSupplier clock, long nanos) {
        long passes = 0;
        long end = clock.getAsLong() + nanos;
        do {
            for (int i = 0; i < 256; i++) {
                pass(x, A, B);
            }
            passes += 256;
        } while (clock.getAsLong() < end);
        return passes;
    }

    /**
     * One pass: {@code x[i] = x[i] * a + b}, {@value #FMAS_PER_ELEMENT} times, for every element.
     *
     * @param x the values, replaced
     * @param a the factor
     * @param b the addend
     */
    static void pass(double[] x, double a, double b) {
        for (int i = 0; i < x.length; i++) {
            double v = x[i];
            v = Math.fma(v, a, b);
            v = Math.fma(v, a, b);
            v = Math.fma(v, a, b);
            v = Math.fma(v, a, b);
            v = Math.fma(v, a, b);
            v = Math.fma(v, a, b);
            v = Math.fma(v, a, b);
            v = Math.fma(v, a, b);
            x[i] = v;
        }
    }

    /** The current thread's processor time in nanoseconds, or the wall clock if the JVM has none. */
    private static LongSupplier threadClock() {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        if (threads.isCurrentThreadCpuTimeSupported()) {
            if (!threads.isThreadCpuTimeEnabled()) {
                threads.setThreadCpuTimeEnabled(true);
            }
            return threads::getCurrentThreadCpuTime;
        }
        return System::nanoTime;
    }
}
