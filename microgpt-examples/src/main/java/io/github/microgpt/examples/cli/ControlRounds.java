package io.github.microgpt.examples.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * What {@code bench}'s two control measurements share, the memory's bandwidth
 * ({@link MemoryBandwidth}) and the cores' compute ({@link CoreScaling}): their thread counts take
 * turns in rounds, in the order given and reversed every other round (as {@link BenchCommand#order}
 * alternates the bench's own counts), so that a burst of other work on the machine spreads over
 * all of them; untimed rounds first let the JIT compile the kernel; each count's figure is the
 * median of its timed rounds, and is read against one thread's. Each measurement keeps its own
 * record of a count's figure, named for its unit ({@code gbPerSecond}, {@code gflopsPerSecond}),
 * and only says what one slice is.
 *
 * <p><b>The JIT compiler in the timed rounds.</b> Given this JVM's compiler threads' processor
 * time ({@link #measure(List, int, int, Slice, Maker, LongSupplier, LongSupplier)}), a timed round
 * during which they worked for more than {@link BenchCommand.Rounds#QUIET_ROUND} of its wall time is set
 * aside, by the bench's own step rounds' rule ({@link BenchCommand.Rounds#quietRound}), and the rounds go on until
 * {@code rounds} were quiet, for at most {@link #EXTRA_TIME} times the time the first
 * {@code rounds} took (at least {@link #EXTRA_NANOS}); if still too few were quiet, every round
 * counts. Why: a compiler works on a core of its own, which a slice on two threads of a two-core
 * machine needs, and a slice on one thread does not. In a plain {@code java -jar} bench (7 December
 * 2026, 2-vCPU Zen 5, no other program running) the optimising compiler compiled the JDK's
 * {@code jdk.internal.org.objectweb.asm.Frame.execute} (2,305 bytes of the class writer that makes
 * lambdas and method handles; it reaches the compiler's threshold some seconds into a run, at no
 * fixed moment) for 350-380 ms; when that fell in the compute line's 0.3 s, the line read 1.00-1.18x
 * with its threads on a processor 50-62% of their time, and said "other programs on this machine had
 * the rest" (the C2 compiler thread of the same JVM ran 206-321 ms of the window); in the runs where
 * it did not, 1.84-2.03x.
 */
final class ControlRounds {

    /** How long, in multiples of the first timed rounds' time, the rounds may go on for quiet ones. */
    static final int EXTRA_TIME = 3;

    /**
     * The least time the rounds may go on for quiet ones, in nanoseconds: longer than the compile
     * that disturbs them most (Frame.execute, 0.35-0.38 s, see the class comment).
     */
    static final long EXTRA_NANOS = 1_000_000_000L;

    private ControlRounds() {
    }

    /**
     * A measurement's figures with what the compiler rule did to its rounds.
     *
     * @param counts one record per count, in the order of the counts given
     * @param setAside the timed rounds left out because this JVM's compiler worked during them
     * @param disturbed the timed rounds during which it worked; more than {@code setAside} when too
     *     few were quiet and every round was counted
     * @param counted for each timed round, in the order they ran, whether its figures count
     * @param <C> the measurement's record of a count's figure
     */
    record Measured<C extends PerCount>(List<C> counts, int setAside, int disturbed, List<Boolean> counted) {
    }

    /** One thread count's figure in a control measurement. */
    interface PerCount {

        /**
         * The threads that ran the slices.
         *
         * @return the count, at least 1
         */
        int threads();

        /**
         * The median of the timed rounds, in the measurement's unit.
         *
         * @return the median
         */
        double median();

        /**
         * Each timed round's figure, in the order they ran.
         *
         * @return the rounds
         */
        double[] rounds();
    }

    /** One slice of a measurement: the work on a number of threads, timed. */
    @FunctionalInterface
    interface Slice {

        /**
         * Runs one slice and returns its figure (a rate: more is faster).
         *
         * @param threads the threads that run it at once
         * @param number how many slices ran before this one, the untimed ones included
         * @param round the round it belongs to: the timed ones from 0, in the order run, the untimed
         *     ones before them negative (the first of {@code warmUpRounds} is {@code -warmUpRounds})
         * @return the slice's figure
         */
        double run(int threads, int number, int round);
    }

    /** Makes a measurement's record of one count's figure: its canonical constructor. */
    @FunctionalInterface
    interface Maker<C extends PerCount> {

        /**
         * Makes the record.
         *
         * @param threads the thread count
         * @param median the median of its rounds
         * @param rounds its rounds, in the order they ran
         * @return the record
         */
        C make(int threads, double median, double[] rounds);
    }

    /**
     * Runs {@code warmUpRounds} untimed rounds, then {@code rounds} timed ones, each a slice on
     * every count, in the order given in even rounds and reversed in odd ones (the untimed rounds
     * counted: the first timed round runs in the given order when {@code warmUpRounds} is even).
     * No compiler rule: every timed round counts.
     *
     * @param counts the thread counts, as they are to be reported
     * @param warmUpRounds the untimed rounds
     * @param rounds the timed rounds, at least 1
     * @param slice one slice
     * @param maker the record of one count's figure
     * @return one record per count, in the order of {@code counts}: the median of its timed
     *     rounds and the rounds
     */
    static <C extends PerCount> List<C> measure(List<Integer> counts, int warmUpRounds, int rounds, Slice slice,
            Maker<C> maker) {
        return measure(counts, warmUpRounds, rounds, slice, maker, () -> -1, System::nanoTime).counts();
    }

    /**
     * As {@link #measure(List, int, int, Slice, Maker)}, and sets aside a timed round during which
     * this JVM's compiler threads worked for more than {@link BenchCommand.Rounds#QUIET_ROUND} of its time, running
     * more rounds in the same alternating order for it (see the class comment).
     *
     * @param counts the thread counts, as they are to be reported
     * @param warmUpRounds the untimed rounds
     * @param rounds the quiet timed rounds wanted, at least 1
     * @param slice one slice
     * @param maker the record of one count's figure
     * @param compilerNanos the compiler threads' processor time so far ({@link CompilerThreads#nanos}),
     *     read before and after each timed round; negative where it cannot be read (no rule then)
     * @param clock nanoseconds, the rounds' wall time
     * @return one record per count, in the order of {@code counts}, with the median of its counted
     *     rounds and those rounds in the order they ran; and the rounds set aside
     */
    static <C extends PerCount> Measured<C> measure(List<Integer> counts, int warmUpRounds, int rounds, Slice slice,
            Maker<C> maker, LongSupplier compilerNanos, LongSupplier clock) {
        List<double[]> figures = new ArrayList<>();
        List<Boolean> quiet = new ArrayList<>();
        int number = 0;
        for (int round = -warmUpRounds; round < 0; round++) {
            for (int c : BenchCommand.order(counts.size(), round + warmUpRounds)) {
                slice.run(counts.get(c), number++, round);
            }
        }
        long timedStart = clock.getAsLong();
        long limit = Long.MAX_VALUE;
        int quietRounds = 0;
        for (int round = 0; quietRounds < rounds; round++) {
            if (round == rounds) {
                long firstRounds = clock.getAsLong() - timedStart;
                limit = Math.max(EXTRA_NANOS, (long) EXTRA_TIME * firstRounds);
            }
            if (round >= rounds && clock.getAsLong() - timedStart >= limit) {
                break;
            }
            double[] figure = new double[counts.size()];
            long compiledBefore = compilerNanos.getAsLong();
            long start = clock.getAsLong();
            for (int c : BenchCommand.order(counts.size(), round + warmUpRounds)) {
                figure[c] = slice.run(counts.get(c), number++, round);
            }
            long wall = clock.getAsLong() - start;
            long compiledAfter = compiledBefore < 0 ? -1 : compilerNanos.getAsLong();
            boolean isQuiet = compiledAfter < 0 || BenchCommand.Rounds.quietRound(compiledAfter - compiledBefore, wall);
            figures.add(figure);
            quiet.add(isQuiet);
            if (isQuiet) {
                quietRounds++;
            }
        }
        // Too few quiet rounds in the time allowed: a JVM that never stopped compiling still ran them.
        boolean countAll = quietRounds < rounds;
        int disturbed = figures.size() - quietRounds;
        List<C> measured = new ArrayList<>(counts.size());
        for (int c = 0; c < counts.size(); c++) {
            List<Double> kept = new ArrayList<>();
            for (int r = 0; r < figures.size(); r++) {
                if (countAll || quiet.get(r)) {
                    kept.add(figures.get(r)[c]);
                }
            }
            double[] roundsOfCount = kept.stream().mapToDouble(Double::doubleValue).toArray();
            measured.add(maker.make(counts.get(c), BenchCommand.median(roundsOfCount), roundsOfCount));
        }
        List<Boolean> counted = new ArrayList<>();
        for (boolean q : quiet) {
            counted.add(countAll || q);
        }
        return new Measured<>(List.copyOf(measured), countAll ? 0 : disturbed, disturbed, List.copyOf(counted));
    }

    /**
     * The figure measured on a number of threads.
     *
     * @param measured a measurement's figures
     * @param threads a thread count that was measured
     * @param what what a figure is, for the message ("rate", "bandwidth")
     * @return its figure
     * @throws IllegalArgumentException if that count was not measured
     */
    static <C extends PerCount> C on(List<C> measured, int threads, String what) {
        for (C count : measured) {
            if (count.threads() == threads) {
                return count;
            }
        }
        throw new IllegalArgumentException("no " + what + " measured on " + threads + " threads");
    }

    /**
     * How many times one thread's figure a thread count got: the ratio of the two medians.
     *
     * @param measured a measurement's figures, one thread's among them
     * @param threads a thread count that was measured
     * @param what what a figure is, for the message
     * @return {@code on(threads).median() / on(1).median()}
     * @throws IllegalArgumentException if that count or one thread was not measured
     */
    static double overOneThread(List<? extends PerCount> measured, int threads, String what) {
        return on(measured, threads, what).median() / on(measured, 1, what).median();
    }
}
