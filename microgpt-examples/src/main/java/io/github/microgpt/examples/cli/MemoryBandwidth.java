package io.github.microgpt.examples.cli;

import io.github.microgpt.model.Precision;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The measured memory bandwidth of this machine on one thread and on more: what {@code microgpt
 * bench} prints next to the compute peak ({@link PeakFlops}), so that a speed-up on two threads
 * can be read against what the machine's memory allows.
 *
 * <p>Why it matters: every training step ends with Adam's update, which reads the weights
 * {@code w} and the moments {@code m} and {@code v}, arrays as long as the model's parameters,
 * and writes all three back; an update after the backward pass also reads the gradients {@code g}
 * back and writes them as zeros, a fourth array (see {@link UpdatePlace}). At nEmbd 256 that is
 * 3.2 million numbers per array, far more than the processor's caches hold, so the update
 * streams from and to the main memory (DRAM). Two cores compute twice as fast as one, but
 * on many machines one core alone already uses most of the memory's bandwidth, and a second core
 * adds little. Whatever a step spends waiting for DRAM is then a part that a second thread
 * cannot halve.
 *
 * <p>The kernel is shaped like the update after the backward pass: four arrays of doubles
 * indexed alike, each element read and written once per pass, with a little arithmetic in
 * between that keeps the values finite and never subnormal (see {@link #pass}). The four arrays
 * hold {@link #BUFFER_BYTES} in all (less only if the heap is small: at most a quarter of it),
 * cut into {@link #SEGMENTS} segments, and each slice is one pass over the next segment in
 * turn. So the data of a slice was
 * last touched {@code SEGMENTS - 1} slices before, with 192 MiB of other data since: more than the
 * caches of the processors this runs on hold, so it comes from DRAM. (With one segment passed
 * over again and again, the caches of two cores kept part of it between slices: on this
 * project's 2-core virtual machine two threads then seemed to get up to 1.5 times the bandwidth
 * they got from data not touched lately.)
 *
 * <p>On {@code n} threads the segment is cut into {@code n} contiguous ranges, one per thread, as
 * the array engine splits its update; the bandwidth of a slice is the bytes moved (8 per number
 * read or written) over its wall time, from the moment all its threads run until the last one is
 * done. The wall clock, not the processor time of {@link PeakFlops}, because it is what a step
 * waits for: a thread that finishes early cannot lend its half of the bandwidth to the other
 * one's remaining work. The thread counts take turns in rounds, in the order given and reversed
 * every other round (1, 2 then 2, 1, as {@code bench --threads 1,2} alternates its counts), so
 * that a burst of other work on the machine spreads over all of them; after a warm-up that lets
 * the JIT compile the kernel, each count's bandwidth is the median of its rounds. The whole
 * measurement, allocating and filling the arrays included, takes a few tenths of a second.
 *
 * <p>On a virtual machine the figure is the share of the host's memory this machine gets at the
 * moment, which other machines on the same host change from minute to minute: on this project's
 * 2-core one, two threads got 1.1 times one thread's bandwidth at one time and twice as much
 * twenty minutes later. That is why {@code bench} measures it in the run it reports.
 */
final class MemoryBandwidth {

    /**
     * The arrays of the kernel, as in Adam's update after the backward pass: weights, first
     * moments, second moments and gradients.
     */
    static final int ARRAYS = 4;

    /** Numbers moved per index of the kernel: each of its four arrays read once and written once. */
    static final int ACCESSES_PER_NUMBER = 2 * ARRAYS;

    /** The size of the four arrays together, in bytes: 256 MiB, several times the caches. */
    static final long BUFFER_BYTES = 256L << 20;

    /** The segments the arrays are cut into; a slice passes over one, and the next slice over the next. */
    static final int SEGMENTS = 4;

    /** The timed rounds; the median of each thread count's rounds is its bandwidth. */
    static final int ROUNDS = 15;

    /** The untimed rounds first, which let the JIT compile the kernel. */
    static final int WARM_UP_ROUNDS = 4;

    private static final double B1 = 0.85;
    private static final double B2 = 0.99;
    private static final double LEARNING_RATE = 1e-6;

    private MemoryBandwidth() {
    }

    /**
     * One thread count's measured bandwidth.
     *
     * @param threads the threads that shared the arrays
     * @param gbPerSecond the median of the rounds, in GB/s (10<sup>9</sup> bytes per second)
     * @param rounds each timed round's bandwidth in GB/s, in the order they ran
     */
    record Bandwidth(int threads, double gbPerSecond, double[] rounds) implements ControlRounds.PerCount {

        /** The median of the rounds: {@link #gbPerSecond}. */
        @Override
        public double median() {
            return gbPerSecond;
        }
    }

    /**
     * A whole measurement.
     *
     * @param bandwidths one per thread count, fewest threads first (one thread always among them)
     * @param bufferBytes the size of the four arrays together, in bytes
     * @param seconds the wall time the measurement took, allocating and filling the arrays included
     * @param setAside the timed rounds left out because this JVM's JIT compiler worked during them
     *     ({@link ControlRounds})
     */
    record Measurement(List<Bandwidth> bandwidths, long bufferBytes, double seconds, int setAside) {

        /**
         * A measurement whose rounds were all counted.
         *
         * @param bandwidths one per thread count, fewest threads first
         * @param bufferBytes the size of the four arrays together, in bytes
         * @param seconds the wall time the measurement took
         */
        Measurement(List<Bandwidth> bandwidths, long bufferBytes, double seconds) {
            this(bandwidths, bufferBytes, seconds, 0);
        }

        /**
         * The bandwidth measured on a number of threads.
         *
         * @param threads a thread count that was measured
         * @return its bandwidth
         * @throws IllegalArgumentException if that count was not measured
         */
        Bandwidth on(int threads) {
            return ControlRounds.on(bandwidths, threads, "bandwidth");
        }

        /**
         * How many times one thread's bandwidth a thread count got: the ratio of the two medians.
         *
         * @param threads a thread count that was measured
         * @return {@code on(threads).gbPerSecond() / on(1).gbPerSecond()}
         */
        double overOneThread(int threads) {
            return ControlRounds.overOneThread(bandwidths, threads, "bandwidth");
        }
    }

    /**
     * Where a training step runs Adam's update, which decides the arrays it streams from and to
     * memory ({@link #updateBytesPerStep}).
     */
    enum UpdatePlace {

        /**
         * Inside the backward pass: the array engine's step of one document with no gradient or
         * position listener, unless it is one of {@link #AFTER_BACKWARD_PASS}'s (the trainer then
         * fuses the two: {@code FusedStep} in the core's internal package). Each weight matrix is
         * updated as soon as its gradient is complete, a slice of rows at a time right after the
         * slice's gradient is summed into a small scratch array that is still in the first-level
         * cache; the model's own gradient rows are neither written, read back nor zeroed. The
         * update streams {@code w}, {@code m} and {@code v}. (The embeddings' rows, under 1% of the
         * parameters at nEmbd 256, a slice the Vector API kernels sum on two threads before its
         * half of the product is done, and every matrix on more than two threads with the core's
         * own loops take their gradient from the model's rows instead, written moments before,
         * by that matrix's product, and still in the caches.)
         */
        INSIDE_BACKWARD_PASS(3, "w, m, v"),

        /**
         * After the backward pass: the Value engine's steps; the array engine's in f64 when its
         * rows hold 32 numbers or fewer on average (the reference model's, whose update Adam
         * stages through one flat array), or on more than two threads with the core's own loops;
         * and any step with a gradient listener (which must see every gradient before any weight
         * changes: the bench's phase split, {@code optimizerMillis}) or of several documents. The
         * update reads every gradient back and writes it as zero: it streams {@code w}, {@code m},
         * {@code v} and {@code g}.
         */
        AFTER_BACKWARD_PASS(4, "w, m, v, g");

        private final int arrays;
        private final String names;

        UpdatePlace(int arrays, String names) {
            this.arrays = arrays;
            this.names = names;
        }

        /**
         * The arrays, as long as the parameters, that the update reads and writes once each.
         *
         * @return 3 inside the backward pass, 4 after it
         */
        int arrays() {
            return arrays;
        }

        /**
         * Those arrays' names, for the bench's line.
         *
         * @return {@code "w, m, v"} or {@code "w, m, v, g"}
         */
        String names() {
            return names;
        }

        /**
         * Where the update runs, in words, for the bench's line.
         *
         * @return {@code "inside the backward pass"} or {@code "after the backward pass"}
         */
        String words() {
            return this == INSIDE_BACKWARD_PASS ? "inside the backward pass" : "after the backward pass";
        }
    }

    /**
     * The bytes Adam's update moves in one training step, at the least: each of the arrays it
     * streams ({@link UpdatePlace#arrays()}: the weights and two moments, and after the backward
     * pass the gradients) read once and written once, numbers of the precision's size. For a
     * model larger than the caches all of it goes to and from the main memory; the forward and
     * backward passes move more (every weight read at least twice), which is not counted here.
     *
     * @param parameters the model's parameters
     * @param precision the precision its weights, gradients and moments are kept in
     * @param place where the step runs the update
     * @return {@code 2 * arrays * parameters * bytesPerNumber}: inside the backward pass 6
     *     numbers a parameter, after it 8; of 8 bytes in f64, of 4 in f32
     */
    static long updateBytesPerStep(long parameters, Precision precision, UpdatePlace place) {
        return 2L * place.arrays() * bytesPerNumber(precision) * parameters;
    }

    /**
     * The bytes one number takes in a precision.
     *
     * @param precision f32 or f64
     * @return 4 for f32, 8 for f64
     */
    static int bytesPerNumber(Precision precision) {
        return precision == Precision.F32 ? Float.BYTES : Double.BYTES;
    }

    /**
     * The numbers in each of the four arrays: {@link #BUFFER_BYTES} for the four together, or a
     * quarter of what the heap may grow to if that is less, rounded down to whole segments.
     *
     * @param maxHeapBytes the most the heap may grow to ({@link Runtime#maxMemory()})
     * @return the length of each array, a multiple of {@link #SEGMENTS}, at least {@code SEGMENTS}
     */
    static int elementsFor(long maxHeapBytes) {
        long perElement = (long) ARRAYS * Double.BYTES;
        long elements = Math.min(BUFFER_BYTES, maxHeapBytes / 4) / perElement;
        return (int) Math.max(SEGMENTS, elements / SEGMENTS * SEGMENTS);
    }

    /**
     * The thread counts to measure for the threads a run's steps use: one thread, and each count
     * as {@link PeakFlops#threadsMeasured} limits it to the processors the JVM sees.
     *
     * @param threads the threads of the run's contenders (each at least 1)
     * @return the distinct counts, fewest first, 1 always first
     */
    static List<Integer> threadCounts(List<Integer> threads) {
        TreeSet<Integer> counts = new TreeSet<>();
        counts.add(1);
        for (int t : threads) {
            counts.add(PeakFlops.threadsMeasured(t));
        }
        return List.copyOf(counts);
    }

    /**
     * Measures the bandwidth on one thread and on each of the thread counts given.
     *
     * @param threadCounts the counts, each at least 1; one thread is measured whatever they are
     * @return the bandwidths, fewest threads first, and how the measurement was made
     * @throws IllegalStateException if a thread fails or the measurement is interrupted
     */
    static Measurement measure(List<Integer> threadCounts) {
        long started = System.nanoTime();
        List<Integer> counts = threadCounts(threadCounts);
        int n = elementsFor(Runtime.getRuntime().maxMemory());
        double[] w = new double[n];
        double[] m = new double[n];
        double[] v = new double[n];
        double[] g = new double[n];
        for (int i = 0; i < n; i++) {
            w[i] = 1;
            m[i] = 0.5;
            v[i] = 0.25;
            g[i] = 0.5;
        }
        int segment = n / SEGMENTS;
        long bytesPerSlice = (long) ACCESSES_PER_NUMBER * Double.BYTES * segment;
        int most = counts.get(counts.size() - 1);
        // The threads beyond the calling one, started once for all the rounds (none for one thread).
        ThreadPoolExecutor helpers = most == 1 ? null : new ThreadPoolExecutor(most - 1, most - 1, 0,
                TimeUnit.SECONDS, new LinkedBlockingQueue<>(), task -> {
                    Thread thread = new Thread(task, "microgpt-memory");
                    thread.setDaemon(true);
                    return thread;
                });
        try {
            if (helpers != null) {
                helpers.prestartAllCoreThreads();
            }
            // The order of bench's thread counts: as given, reversed every other round; each slice
            // on the segment after the last one's.
            // A round during which this JVM's JIT compiler worked is set aside (ControlRounds).
            CompilerThreads compilers = CompilerThreads.ofThisJvmAnd(List.of());
            ControlRounds.Measured<Bandwidth> bandwidths = ControlRounds.measure(counts, WARM_UP_ROUNDS, ROUNDS,
                    (threads, number, round) -> {
                        int from = number % SEGMENTS * segment;
                        return bytesPerSlice / (double) Math.max(slice(helpers, threads, w, m, v, g, from, from + segment), 1);
                    }, Bandwidth::new, compilers::nanos, System::nanoTime);
            // Reading the arrays keeps the JIT from dropping the work as unused.
            if (!Double.isFinite(w[n / 2] + m[n / 2] + v[n / 2] + g[n / 2])) {
                throw new IllegalStateException("the memory kernel produced " + w[n / 2]);
            }
            return new Measurement(bandwidths.counts(), (long) ARRAYS * Double.BYTES * n,
                    (System.nanoTime() - started) / 1e9, bandwidths.setAside());
        } finally {
            if (helpers != null) {
                helpers.shutdownNow();
            }
        }
    }

    /**
     * One slice: a pass over elements {@code [first, end)} on {@code threads} threads, each on a
     * contiguous range; returns its wall time in nanoseconds, from the moment every thread is
     * running (a helper that waited for work takes a while to wake, which is not the memory's
     * time) until the last one is done.
     */
    private static long slice(ThreadPoolExecutor helpers, int threads, double[] w, double[] m, double[] v,
            double[] g, int first, int end) {
        int n = end - first;
        List<Future<?>> parts = new ArrayList<>();
        AtomicInteger ready = new AtomicInteger();
        AtomicBoolean go = new AtomicBoolean();
        for (int t = 1; t < threads; t++) {
            int from = first + (int) ((long) n * t / threads);
            int to = first + (int) ((long) n * (t + 1) / threads);
            parts.add(helpers.submit(() -> {
                ready.incrementAndGet();
                while (!go.get()) {
                    Thread.onSpinWait();
                }
                pass(w, m, v, g, from, to);
            }));
        }
        while (ready.get() < threads - 1) {
            // A helper that failed before it was ready ends the wait too (its failure is thrown below).
            if (parts.stream().anyMatch(Future::isDone)) {
                break;
            }
            Thread.onSpinWait();
        }
        long start = System.nanoTime();
        go.set(true);
        pass(w, m, v, g, first, first + (int) ((long) n / threads));
        for (Future<?> part : parts) {
            try {
                part.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while measuring the memory bandwidth", e);
            } catch (ExecutionException e) {
                throw new IllegalStateException("the memory bandwidth measurement failed: " + e.getCause(),
                        e.getCause());
            }
        }
        return System.nanoTime() - start;
    }

    /**
     * One pass of the kernel over elements {@code [from, to)}: like Adam's update, it reads
     * {@code w, m, v, g} at each index and writes all four back. {@code m = 0.85 m + 0.15 g} and
     * {@code v = 0.99 v + 0.01 g^2} as Adam's moments; {@code w -= 1e-6 m v}, a multiplication
     * where Adam divides by a square root (so that the arithmetic stays far quicker than the
     * memory); and {@code g} is set to the new {@code m} instead of to zero, which makes
     * {@code m} stay where it is from the second pass on and {@code v} tend to {@code m^2}: the
     * values neither grow nor shrink towards the slow subnormal numbers, however many passes run.
     *
     * @param w the weights, updated
     * @param m the first moments, updated
     * @param v the second moments, updated
     * @param g the gradients, overwritten with the new first moments
     * @param from the first index
     * @param to the index after the last
     */
    static void pass(double[] w, double[] m, double[] v, double[] g, int from, int to) {
        for (int i = from; i < to; i++) {
            double gi = g[i];
            double mi = B1 * m[i] + (1 - B1) * gi;
            double vi = B2 * v[i] + (1 - B2) * (gi * gi);
            m[i] = mi;
            v[i] = vi;
            w[i] = w[i] - LEARNING_RATE * mi * vi;
            g[i] = mi;
        }
    }
}
