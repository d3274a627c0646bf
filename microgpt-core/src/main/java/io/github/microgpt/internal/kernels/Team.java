package io.github.microgpt.internal.kernels;

/**
 * The threads of one training step, as a {@link MatrixKernels} implementation sees them: a loop
 * over {@code [0, count)} cut into contiguous chunks that the threads share out. An implementation
 * must split only loops whose iterations write disjoint outputs, and never a sum, so that its
 * results do not depend on the number of threads.
 */
@FunctionalInterface
public interface Team {

    /** A loop body over the iterations {@code [from, to)}. */
    @FunctionalInterface
    interface Range {

        /**
         * Runs the iterations {@code [from, to)}.
         *
         * @param from the first iteration
         * @param to one past the last iteration
         */
        void run(int from, int to);
    }

    /**
     * Runs {@code task} over {@code [0, count)} in chunks of at least {@code grain} iterations and
     * returns when all are done; an exception of any chunk is thrown here.
     *
     * @param count the number of iterations
     * @param grain the fewest iterations of a chunk
     * @param task the loop body
     */
    void forRange(int count, int grain, Range task);
}
