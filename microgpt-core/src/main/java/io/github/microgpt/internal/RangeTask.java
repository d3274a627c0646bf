package io.github.microgpt.internal;

/**
 * A loop body over the iterations {@code [from, to)}, which a model may run on several threads at
 * once for disjoint ranges (see {@link ParameterRows#forRanges}).
 */
@FunctionalInterface
public interface RangeTask {

    /**
     * Runs the iterations {@code [from, to)}.
     *
     * @param from the first iteration
     * @param to one past the last iteration
     */
    void run(int from, int to);
}
