package io.github.microgpt.examples.cli;

import io.github.microgpt.model.Precision;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import java.util.function.LongUnaryOperator;

/**
 * The measured floating-point peak of this machine in one precision on a number of threads: what
 * {@code microgpt bench} divides an engine's GFLOP/s by, so that "12 GFLOP/s" can be read as "a
 * tenth of what these cores can do".
 *
 * <p>The kernel is the simplest code that keeps the floating-point units busy: every element of a
 * small array (4 KiB: it stays in the first-level cache) goes through eight fused multiply-adds
 * {@code x = x * a + b} in a row. The elements are independent, so the JIT packs them into the
 * widest vectors the processor has (on AVX-512, eight doubles or sixteen floats: single precision
 * has twice the lanes, hence a peak about twice as high), and the eight operations give each load
 * and store sixteen floating-point operations to hide behind. With {@code a < 1} the values
 * settle at {@code b / (1 - a)} and never become subnormal, which would be slow.
 *
 * <p>On more than one thread, every thread runs the kernel on its own array at the same time (a
 * barrier starts each slice together), and the peak is the sum of their rates: two threads on the
 * two halves of one core's hyper-threads share its floating-point units, and the sum shows it.
 * Threads beyond the processors the JVM sees add no peak, so at most that many run.
 *
 * <p>Each thread's time is its processor time, not the wall clock: on a machine shared with other
 * work the wall clock would count the time a thread waited for a core, and the peak would look
 * lower than the cores are. The best of several slices is the peak. A JVM that cannot measure
 * thread time falls back to the wall clock.
 */
final class PeakFlops {

    /** Doubles in the array: 4 KiB, well inside any first-level data cache. */
    static final int LENGTH = 512;

    /** Floats in the single-precision array: the same 4 KiB. */
    static final int FLOAT_LENGTH = 1024;

    /** Multiply-adds per element and pass. */
    static final int FMAS_PER_ELEMENT = 8;

    /** Floating-point operations of one double-precision {@link #pass}: a multiply-add counts as two. */
    static final long FLOPS_PER_PASS = 2L * FMAS_PER_ELEMENT * LENGTH;

    /** Floating-point operations of one single-precision {@link #pass(float[], float, float)}. */
    static final long FLOPS_PER_FLOAT_PASS = 2L * FMAS_PER_ELEMENT * FLOAT_LENGTH;

    /** The slices measured after the warm-up; the best is the peak. */
    static final int SLICES = 5;

    private static final double A = 0.999;
    private static final double B = 1e-3;

    private PeakFlops() {
    }

    /**
     * A measured peak.
     *
     * @param precision the precision of the arithmetic
     * @param threads the threads that ran the kernel at once
     * @param gflopsPerSecond their summed rate, in GFLOP/s
     */
    record Peak(Precision precision, int threads, double gflopsPerSecond) {
    }

    /**
     * The threads a peak for {@code threads} threads is measured on: no more than the processors
     * the JVM sees, since threads that take turns on a core add nothing to what it can do.
     *
     * @param threads the threads asked for; at least 1
     * @return {@code threads}, or the number of processors if that is smaller
     */
    static int threadsMeasured(int threads) {
        return Math.max(1, Math.min(threads, Runtime.getRuntime().availableProcessors()));
    }

    /**
     * Measures the peak of one core in double precision.
     *
     * @param seconds processor time to spend in all, about half of it warming up; positive
     * @return the peak in GFLOP/s
     */
    static double measureGflops(double seconds) {
        return measure(Precision.F64, 1, seconds).gflopsPerSecond();
    }

    /**
     * Measures the peak in a precision on {@link #threadsMeasured threadsMeasured(threads)}
     * threads at once: on each, a warm-up that lets the JIT compile the kernel, then five slices
     * started together; the best slice's summed rate is the peak.
     *
     * @param precision the precision of the kernel
     * @param threads the threads to measure for; at least 1
     * @param seconds processor time each thread spends in all, about half of it warming up; positive
     * @return the peak
     * @throws IllegalArgumentException if {@code threads < 1}
     * @throws IllegalStateException if a thread fails or the measurement is interrupted
     */
    static Peak measure(Precision precision, int threads, double seconds) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
        int team = threadsMeasured(threads);
        double[][] rates = new double[team][];
        CyclicBarrier barrier = new CyclicBarrier(team);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread[] helpers = new Thread[team - 1];
        for (int t = 1; t < team; t++) {
            int index = t;
            helpers[t - 1] = new Thread(() -> {
                try {
                    rates[index] = sliceRates(precision, seconds, barrier);
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                    barrier.reset();
                }
            }, "microgpt-peak-" + t);
            helpers[t - 1].setDaemon(true);
            helpers[t - 1].start();
        }
        try {
            rates[0] = sliceRates(precision, seconds, barrier);
        } catch (RuntimeException e) {
            failure.compareAndSet(null, e);
            barrier.reset();
        }
        for (Thread helper : helpers) {
            try {
                helper.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while measuring the peak", e);
            }
        }
        if (failure.get() != null) {
            throw new IllegalStateException("the peak measurement failed: " + failure.get(), failure.get());
        }
        double best = 0;
        for (int slice = 0; slice < SLICES; slice++) {
            double sum = 0;
            for (double[] threadRates : rates) {
                sum += threadRates[slice];
            }
            best = Math.max(best, sum);
        }
        return new Peak(precision, team, best);
    }

    /** One thread's part: the warm-up, then the rate of each slice in GFLOP/s of its processor time. */
    private static double[] sliceRates(Precision precision, double seconds, CyclicBarrier barrier) {
        LongSupplier clock = threadClock();
        long flopsPerPass;
        LongUnaryOperator runFor;
        double[] x = null;
        float[] y = null;
        if (precision == Precision.F32) {
            float[] values = new float[FLOAT_LENGTH];
            for (int i = 0; i < FLOAT_LENGTH; i++) {
                values[i] = i / (float) FLOAT_LENGTH;
            }
            y = values;
            flopsPerPass = FLOPS_PER_FLOAT_PASS;
            runFor = nanos -> runFor(values, clock, nanos);
        } else {
            double[] values = new double[LENGTH];
            for (int i = 0; i < LENGTH; i++) {
                values[i] = i / (double) LENGTH;
            }
            x = values;
            flopsPerPass = FLOPS_PER_PASS;
            runFor = nanos -> runFor(values, clock, nanos);
        }
        long sliceNanos = Math.max(1, (long) (seconds * 1e9 / 10));
        runFor.applyAsLong(5 * sliceNanos);
        double[] rates = new double[SLICES];
        for (int slice = 0; slice < SLICES; slice++) {
            await(barrier);
            long start = clock.getAsLong();
            long passes = runFor.applyAsLong(sliceNanos);
            double elapsed = Math.max(clock.getAsLong() - start, 1);
            rates[slice] = passes * flopsPerPass / elapsed;
        }
        // Reading the array keeps the JIT from dropping the work as unused.
        if (x != null ? Double.isNaN(x[LENGTH / 2]) : Float.isNaN(y[FLOAT_LENGTH / 2])) {
            throw new IllegalStateException("the peak kernel produced NaN");
        }
        return rates;
    }

    private static void await(CyclicBarrier barrier) {
        try {
            barrier.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while measuring the peak", e);
        } catch (BrokenBarrierException e) {
            throw new IllegalStateException("another thread of the peak measurement failed", e);
        }
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

    /** Runs single-precision passes over {@code x} for at least {@code nanos} of the clock; returns how many. */
    private static long runFor(float[] x, LongSupplier clock, long nanos) {
        long passes = 0;
        long end = clock.getAsLong() + nanos;
        do {
            for (int i = 0; i < 256; i++) {
                pass(x, (float) A, (float) B);
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

    /**
     * One single-precision pass: {@code x[i] = x[i] * a + b}, {@value #FMAS_PER_ELEMENT} times,
     * for every element.
     *
     * @param x the values, replaced
     * @param a the factor
     * @param b the addend
     */
    static void pass(float[] x, float a, float b) {
        for (int i = 0; i < x.length; i++) {
            float v = x[i];
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
