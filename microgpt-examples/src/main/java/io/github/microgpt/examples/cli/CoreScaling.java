package io.github.microgpt.examples.cli;

import io.github.microgpt.model.Precision;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;

/**
 * How much faster this machine's cores compute together than one alone, on work that needs
 * neither memory nor caches beyond the first level: what {@code microgpt bench} prints beside the
 * memory's bandwidth ({@link MemoryBandwidth}) as the ceiling the machine allows a speed-up on
 * more threads, and what it checks around each timed round of a {@code --threads} list
 * ({@link #probe}), so that a round in which the machine gave less than its full cores is set
 * aside rather than read as the engine's speed-up.
 *
 * <p><b>Why.</b> On a virtual machine whose cores are shared with other tenants (this project's:
 * 2 vCPUs of an AMD EPYC Zen 5, 6 December 2026), a vCPU ran 1.35–2 times slower for seconds at a
 * time while another tenant used the physical core under it, and the guest sees no steal time. A slice
 * on two threads then waits for its slow half, a slice on one thread usually does not, and the
 * ratio of the round reads low: single rounds of the same bench ranged from 1.27 to 2.04 within
 * minutes. Register-only FMA code, which a host cannot slow by anything but taking the core,
 * showed the same: 1.68–1.71 times on two threads in one minute, 2.0 in another.
 *
 * <p><b>The kernel</b> is {@link PeakFlops}'s: eight fused multiply-adds on every element of an
 * array of 4 KiB (it stays in the first-level cache), in the bench's precision, each thread on an
 * array of its own. No memory traffic, no sharing: two threads can only be slower together than
 * one alone if the machine gives them less than two cores. Every time is the wall clock, as a
 * slice's is, and every thread times its own work from the moment all of them run (a waking
 * thread's delay is not the kernel's time).
 *
 * <p><b>The probe</b> ({@link #probe}) runs the kernel on the calling thread alone, then on every
 * thread at once, twice, each about 2 ms ({@link #PROBE_NANOS}), after a pause ({@link #PAUSE_NANOS}), and returns the threads' work
 * over the time of the slowest of them in the quicker of the two runs together (one thread's
 * hiccup of a millisecond is not the host's slowdown: see {@link #reading}), in units of one thread's best speed seen so far in this
 * instance ({@link #bestNanosPerPass}: alone, or the calling thread's part of a run together):
 * about the thread count when every core ran at full speed, less when one of them was slower than
 * the best one thread ever got, and never more than the thread count. The best time, not the
 * alone one of the same probe, because a thread alone may itself be on the slowed core; and the
 * slowest thread, not the sum, because a step on several threads waits for its slowest part.
 *
 * <p><b>The control line</b> ({@link #measure}) times the kernel on one thread and on each of the
 * run's thread counts, taking turns in {@link #ROUNDS} rounds as the memory's measurement does,
 * each slice about {@link #CONTROL_NANOS}; a count's rate is the median of its rounds.
 *
 * <p><b>Whose fault a low ratio is.</b> Each thread also reads its own processor time around its
 * part, and the control line gives the share of the wall time the threads of the most threads
 * were on a processor ({@link Measurement#onProcessor}). A thread that another program of this
 * machine kept off its processor shows it there (its processor time stops while the wall clock
 * runs on); a host that takes the virtual processor itself does not (this host reports no steal
 * time, so the guest charges the stolen time to the thread that was running). So a low ratio with
 * a share near 1 is the host's doing, and one with a low share is another program's on this
 * machine, or this JVM's own JIT compiler's: the rounds during which its compiler threads worked are
 * set aside ({@link ControlRounds}), and the line says when they were too many to. Measured on 7 December 2026 (2 vCPUs, Zen 5): with another program's JVM busy on one
 * processor, the two-thread slices took 1.7-2.3 times one thread's wall time a pass while each
 * thread's processor time a pass stayed at its one-thread figure (about 90 ns), and the line read
 * 1.01x; the same kernel and threads read 1.89-2.00x in runs a few minutes apart.
 */
final class CoreScaling implements BenchCommand.HostProbe {

    /** About how long one thread's part of a probe takes, alone and then with the others. */
    static final long PROBE_NANOS = 2_000_000;

    /**
     * How long a probe idles before it runs: longer than the 0.3 ms a training step's helper
     * threads spin after their work before they park ({@code Workers}), so that they have.
     */
    static final long PAUSE_NANOS = 2_000_000;

    /** About how long each slice of the control measurement takes. */
    static final long CONTROL_NANOS = 4_000_000;

    /** The timed rounds of the control measurement; a count's rate is the median of its rounds. */
    static final int ROUNDS = 15;

    /** The untimed rounds first, which let the JIT compile the kernel. */
    static final int WARM_UP_ROUNDS = 4;

    /** The least time an instance runs the kernel when it starts, to let the JIT compile it. */
    static final long WARM_UP_NANOS = 30_000_000;

    /** The kernel's factor and addend: the values settle at {@code B / (1 - A)}, never subnormal. */
    private static final double A = 0.999;
    private static final double B = 1e-3;

    private final Precision precision;
    private final int threads;
    private final double[] doubles;
    private final float[] floats;
    private final Helper[] helpers;
    /** Bumped for each run of the helpers; a helper starts its work when it sees it here. */
    private volatile int go;
    private int generation;
    private final long probePasses;
    private double bestNanosPerPass = Double.POSITIVE_INFINITY;
    /** Reads a thread's processor time; null where the JVM cannot. */
    private final ThreadMXBean cpu = processorClock();
    /** The threads' summed processor time in the last {@link #together} run; negative if unknown. */
    private long lastProcessorNanos = -1;

    /**
     * Starts the threads (parked between runs), lets the JIT compile the kernel, and sizes a probe.
     *
     * @param precision the kernel's precision, the bench's
     * @param threads the threads that run it at once; at least 1 (at most the processors make sense)
     */
    CoreScaling(Precision precision, int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
        this.precision = precision;
        this.threads = threads;
        this.doubles = precision == Precision.F32 ? null : filledDoubles();
        this.floats = precision == Precision.F32 ? filledFloats() : null;
        this.helpers = new Helper[threads - 1];
        for (int t = 0; t < helpers.length; t++) {
            helpers[t] = new Helper(t + 1);
        }
        // Warm the kernel up on every thread, then take the best of a few alone runs as the start.
        long passes = 16;
        long warmStart = System.nanoTime();
        for (int k = 0; k < 12 || System.nanoTime() - warmStart < WARM_UP_NANOS; k++) {
            together(passes, threads);
            long alone = alone(passes);
            if (alone < PROBE_NANOS / 4) {
                passes *= 2;
            }
        }
        double perPass = bestNanosPerPass;
        this.probePasses = Math.max(1, (long) (PROBE_NANOS / perPass));
        for (int k = 0; k < 4; k++) {
            alone(probePasses);
        }
    }

    /** The threads that run the kernel at once. */
    int threads() {
        return threads;
    }

    /** One thread's best time for a pass of the kernel so far, in nanoseconds. */
    double bestNanosPerPass() {
        return bestNanosPerPass;
    }

    /**
     * Checks whether every core runs at full speed now: the kernel on the calling thread alone,
     * then on all the threads at once (see the class comment).
     *
     * @return the threads' work over the slowest thread's time, in units of one thread's best
     *     speed: about {@link #threads} when the machine gives that many full cores
     */
    @Override
    public double probe() {
        // Idle first: threads of the work just done (a step's helpers spin for 0.3 ms before they
        // park) would otherwise read as the host taking a core.
        LockSupport.parkNanos(PAUSE_NANOS);
        alone(probePasses);
        long first = together(probePasses, threads);
        long second = together(probePasses, threads);
        return reading(threads, probePasses, bestNanosPerPass, first, second);
    }

    /**
     * A probe's figure from its two runs together: the threads' work over the slowest thread's
     * time in the quicker run, in units of one thread's best speed. The quicker run, because one
     * thread held up for a millisecond in one run (an interrupt, a page of the kernel's) is a
     * hiccup, not a host that gives less than full cores; that shows in both runs. Measured on
     * 7 December 2026 (2 vCPUs, Zen 5, 98 rounds of a pure multiply-add load whose true 2/1 ratio
     * is 2.0, probes as the bench takes them): 3 of 294 runs together had one thread 30-200%
     * slower than in the runs before and after it, which alone would have read 0.6-1.3.
     *
     * @param threads the threads that ran together
     * @param passes the passes each ran
     * @param bestNanosPerPass one thread's best time for a pass so far
     * @param first the slowest thread's nanoseconds in the first run together
     * @param second the same in the second run
     * @return the figure: about {@code threads} when every core ran at full speed
     */
    static double reading(int threads, long passes, double bestNanosPerPass, long first, long second) {
        return threads * passes * bestNanosPerPass / Math.max(Math.min(first, second), 1);
    }

    /** Runs {@code passes} on the calling thread alone; returns its nanoseconds and notes the best. */
    private long alone(long passes) {
        long start = System.nanoTime();
        run(0, passes);
        long nanos = System.nanoTime() - start;
        bestNanosPerPass = Math.min(bestNanosPerPass, nanos / (double) passes);
        return nanos;
    }

    /**
     * Runs {@code passes} on each of {@code count} threads at once (the calling one and
     * {@code count - 1} helpers), each timing its own from the moment all run.
     *
     * @return the slowest thread's nanoseconds
     */
    private long together(long passes, int count) {
        if (count == 1) {
            return alone(passes);
        }
        int now = ++generation;
        for (int t = 0; t < count - 1; t++) {
            helpers[t].start(now, passes);
        }
        for (int t = 0; t < count - 1; t++) {
            helpers[t].awaitReady(now);
        }
        go = now;
        long start = System.nanoTime();
        long processorStart = processorNanos();
        run(0, passes);
        long slowest = System.nanoTime() - start;
        long processor = processorStart < 0 ? -1 : processorNanos() - processorStart;
        // The calling thread's own run counts towards the best too: should the JIT's faster code
        // arrive between the alone run and this one, a best from the older code would make the
        // probe read many times the threads there are.
        bestNanosPerPass = Math.min(bestNanosPerPass, slowest / (double) passes);
        for (int t = 0; t < count - 1; t++) {
            slowest = Math.max(slowest, helpers[t].awaitDone(now));
            long helperProcessor = helpers[t].processorNanos;
            processor = processor < 0 || helperProcessor < 0 ? -1 : processor + helperProcessor;
        }
        lastProcessorNanos = processor;
        return slowest;
    }

    /** The kernel: {@code passes} passes over thread {@code t}'s own array. */
    private void run(int t, long passes) {
        if (doubles != null) {
            double[] x = t == 0 ? doubles : helpers[t - 1].doubles;
            for (long p = 0; p < passes; p++) {
                PeakFlops.pass(x, A, B);
            }
            if (Double.isNaN(x[x.length / 2])) {
                throw new IllegalStateException("the kernel produced NaN");
            }
        } else {
            float[] x = t == 0 ? floats : helpers[t - 1].floats;
            for (long p = 0; p < passes; p++) {
                PeakFlops.pass(x, (float) A, (float) B);
            }
            if (Float.isNaN(x[x.length / 2])) {
                throw new IllegalStateException("the kernel produced NaN");
            }
        }
    }

    /** The calling thread's processor time in nanoseconds, or -1 where the JVM cannot tell. */
    private long processorNanos() {
        return cpu == null ? -1 : cpu.getCurrentThreadCpuTime();
    }

    private static ThreadMXBean processorClock() {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        if (!threads.isCurrentThreadCpuTimeSupported()) {
            return null;
        }
        if (!threads.isThreadCpuTimeEnabled()) {
            threads.setThreadCpuTimeEnabled(true);
        }
        return threads;
    }

    /** Ends the helper threads. */
    @Override
    public void close() {
        for (Helper helper : helpers) {
            helper.stop();
        }
    }

    private double[] filledDoubles() {
        double[] x = new double[PeakFlops.LENGTH];
        for (int i = 0; i < x.length; i++) {
            x[i] = i / (double) x.length;
        }
        return x;
    }

    private float[] filledFloats() {
        float[] x = new float[PeakFlops.FLOAT_LENGTH];
        for (int i = 0; i < x.length; i++) {
            x[i] = i / (float) x.length;
        }
        return x;
    }

    /** A thread beside the calling one: parked until asked, then runs the kernel on its own array. */
    private final class Helper implements Runnable {
        private final int index;
        final double[] doubles;
        final float[] floats;
        private final Thread thread;
        private volatile int requested;
        private volatile int ready;
        private volatile int done;
        private volatile long nanos;
        private volatile long passes;
        /** Its processor time in its last run; negative if unknown. */
        private volatile long processorNanos;
        private volatile boolean stopped;

        Helper(int index) {
            this.index = index;
            this.doubles = precision == Precision.F32 ? null : filledDoubles();
            this.floats = precision == Precision.F32 ? filledFloats() : null;
            this.thread = new Thread(this, "microgpt-cores-" + index);
            thread.setDaemon(true);
            thread.start();
        }

        void start(int generation, long passes) {
            this.passes = passes;
            requested = generation;
            LockSupport.unpark(thread);
        }

        void awaitReady(int generation) {
            spinUntil(() -> ready == generation);
        }

        long awaitDone(int generation) {
            spinUntil(() -> done == generation);
            return nanos;
        }

        void stop() {
            stopped = true;
            LockSupport.unpark(thread);
        }

        @Override
        public void run() {
            int seen = 0;
            while (!stopped) {
                int asked = requested;
                if (asked == seen) {
                    LockSupport.park(this);
                    continue;
                }
                seen = asked;
                ready = asked;
                spinUntil(() -> go == asked || stopped);
                long start = System.nanoTime();
                long processorStart = processorNanos();
                CoreScaling.this.run(index, passes);
                nanos = System.nanoTime() - start;
                processorNanos = processorStart < 0 ? -1 : processorNanos() - processorStart;
                done = asked;
            }
        }
    }

    /** Spins until {@code condition} holds, yielding the core now and then so that a thread that needs it gets it. */
    private static void spinUntil(java.util.function.BooleanSupplier condition) {
        int spins = 0;
        while (!condition.getAsBoolean()) {
            if ((++spins & 1023) == 0) {
                Thread.yield();
            } else {
                Thread.onSpinWait();
            }
        }
    }

    /**
     * One thread count's measured rate.
     *
     * @param threads the threads that ran the kernel at once
     * @param gflopsPerSecond the median of the rounds, in GFLOP/s: their work over the slowest one's wall time
     * @param rounds each timed round's rate, in the order they ran
     */
    record Rate(int threads, double gflopsPerSecond, double[] rounds) implements ControlRounds.PerCount {

        /** The median of the rounds: {@link #gflopsPerSecond}. */
        @Override
        public double median() {
            return gflopsPerSecond;
        }
    }

    /**
     * A whole control measurement.
     *
     * @param precision the kernel's precision
     * @param rates one per thread count, fewest threads first (one thread always first)
     * @param seconds the wall time it took
     * @param onProcessor the share of their slices' wall time (the slowest thread's) that the threads
     *     of the most threads were on a processor, the median of the counted rounds; NaN where the JVM
     *     cannot read a thread's processor time, or with one thread alone (see the class comment)
     * @param setAside the timed rounds left out because this JVM's JIT compiler worked during them
     *     ({@link ControlRounds})
     * @param compilerRounds the timed rounds during which it worked: more than {@code setAside}
     *     when too few were quiet and every round counted
     */
    record Measurement(Precision precision, List<Rate> rates, double seconds, double onProcessor, int setAside,
            int compilerRounds) {

        /**
         * A measurement whose rounds were all quiet.
         *
         * @param precision the kernel's precision
         * @param rates one per thread count, fewest threads first
         * @param seconds the wall time it took
         * @param onProcessor the share of their time the most threads were on a processor
         */
        Measurement(Precision precision, List<Rate> rates, double seconds, double onProcessor) {
            this(precision, rates, seconds, onProcessor, 0, 0);
        }

        /**
         * A measurement without the threads' processor time.
         *
         * @param precision the kernel's precision
         * @param rates one per thread count, fewest threads first
         * @param seconds the wall time it took
         */
        Measurement(Precision precision, List<Rate> rates, double seconds) {
            this(precision, rates, seconds, Double.NaN);
        }

        /**
         * The rate measured on a number of threads.
         *
         * @param threads a thread count that was measured
         * @return its rate
         * @throws IllegalArgumentException if that count was not measured
         */
        Rate on(int threads) {
            return ControlRounds.on(rates, threads, "rate");
        }

        /**
         * How many times one thread's rate a thread count got: the ratio of the two medians.
         *
         * @param threads a thread count that was measured
         * @return {@code on(threads).gflopsPerSecond() / on(1).gflopsPerSecond()}
         */
        double overOneThread(int threads) {
            return ControlRounds.overOneThread(rates, threads, "rate");
        }
    }

    /**
     * Measures the kernel's rate on one thread and on each of the thread counts given (at most the
     * processors the JVM sees, as {@link MemoryBandwidth#threadCounts} limits them), the counts
     * taking turns in {@link #ROUNDS} rounds after {@link #WARM_UP_ROUNDS} untimed ones, in the
     * order given and reversed every other round ({@link ControlRounds#measure}, as the memory's);
     * a round during which this JVM's JIT compiler worked is set aside and another run for it
     * (see {@link ControlRounds}: the compiler's core is not the machine's to give).
     *
     * @param precision the kernel's precision
     * @param threadCounts the counts, each at least 1
     * @return the rates, fewest threads first
     */
    static Measurement measure(Precision precision, List<Integer> threadCounts) {
        long started = System.nanoTime();
        List<Integer> counts = MemoryBandwidth.threadCounts(threadCounts);
        try (CoreScaling cores = new CoreScaling(precision, counts.get(counts.size() - 1))) {
            long passes = Math.max(1, (long) (CONTROL_NANOS / cores.bestNanosPerPass()));
            long flopsPerPass = precision == Precision.F32 ? PeakFlops.FLOPS_PER_FLOAT_PASS : PeakFlops.FLOPS_PER_PASS;
            int most = counts.get(counts.size() - 1);
            // The share on a processor of each timed round's slice on the most threads, by round.
            Map<Integer, Double> shares = new HashMap<>();
            CompilerThreads compilers = CompilerThreads.ofThisJvmAnd(List.of());
            ControlRounds.Measured<Rate> measured = ControlRounds.measure(counts, WARM_UP_ROUNDS, ROUNDS,
                    (n, number, round) -> {
                        long slowest = Math.max(cores.together(passes, n), 1);
                        if (n == most && most > 1 && round >= 0 && cores.lastProcessorNanos >= 0) {
                            shares.put(round, Math.min(1.0, cores.lastProcessorNanos / ((double) n * slowest)));
                        }
                        return (double) n * passes * flopsPerPass / slowest;
                    },
                    Rate::new, compilers::nanos, System::nanoTime);
            List<Double> counted = new ArrayList<>();
            for (int round = 0; round < measured.counted().size(); round++) {
                if (measured.counted().get(round) && shares.containsKey(round)) {
                    counted.add(shares.get(round));
                }
            }
            double onProcessor = counted.isEmpty() ? Double.NaN
                    : BenchCommand.median(counted.stream().mapToDouble(Double::doubleValue).toArray());
            return new Measurement(precision, measured.counts(), (System.nanoTime() - started) / 1e9, onProcessor,
                    measured.setAside(), measured.disturbed());
        }
    }
}
