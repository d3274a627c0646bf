package io.github.microgpt.examples.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * What {@code bench}'s two control measurements share, the memory's bandwidth
 * ({@link MemoryBandwidth}) and the cores' compute ({@link CoreScaling}): their thread counts take
 * turns in rounds, in the order given and reversed every other round (as {@link BenchCommand#order}
 * alternates the bench's own counts), so that a burst of other work on the machine spreads over
 * all of them; untimed rounds first let the JIT compile the kernel; each count's figure is the
 * median of its timed rounds, and is read against one thread's. Each measurement keeps its own
 * record of a count's figure, named for its unit ({@code gbPerSecond}, {@code gflopsPerSecond}),
 * and only says what one slice is.
 */
final class ControlRounds {

    private ControlRounds() {
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
         * @return the slice's figure
         */
        double run(int threads, int number);
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
        double[][] figures = new double[counts.size()][rounds];
        int number = 0;
        for (int round = -warmUpRounds; round < rounds; round++) {
            for (int c : BenchCommand.order(counts.size(), round + warmUpRounds)) {
                double figure = slice.run(counts.get(c), number++);
                if (round >= 0) {
                    figures[c][round] = figure;
                }
            }
        }
        List<C> measured = new ArrayList<>(counts.size());
        for (int c = 0; c < counts.size(); c++) {
            measured.add(maker.make(counts.get(c), BenchCommand.median(figures[c]), figures[c]));
        }
        return List.copyOf(measured);
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
