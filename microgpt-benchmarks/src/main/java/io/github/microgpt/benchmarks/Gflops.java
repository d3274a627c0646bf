package io.github.microgpt.benchmarks;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * An auxiliary counter that JMH reports next to a benchmark's primary result. A benchmark adds
 * the analytic operation count (see {@link io.github.microgpt.model.FlopCount}), in GFLOP, of
 * each invocation; in throughput mode JMH divides the total by the time, so the line
 * {@code ·gflop} reads in GFLOP/s.
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.OPERATIONS)
public class Gflops {

    /** The GFLOP done so far in this iteration. */
    public double gflop;

    /** Starts every iteration from zero. */
    @Setup(Level.Iteration)
    public void reset() {
        gflop = 0;
    }
}
