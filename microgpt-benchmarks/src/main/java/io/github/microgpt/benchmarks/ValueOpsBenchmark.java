package io.github.microgpt.benchmarks;

import io.github.microgpt.autograd.Value;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What one {@link Value} operation costs: it allocates a node (and, for a constant operand, a
 * leaf) and records the local gradients. See {@link ValueBackwardBenchmark} for the backward pass.
 *
 * <p>Results are in nanoseconds per operation; {@code -prof gc} shows the bytes per node. Run it
 * with:
 * <pre>
 * java -jar microgpt-benchmarks/target/benchmarks.jar ValueOpsBenchmark
 * java -jar microgpt-benchmarks/target/benchmarks.jar ValueOpsBenchmark -prof gc
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class ValueOpsBenchmark {

    private Value a;
    private Value b;

    /** Builds the operands. */
    @Setup(Level.Trial)
    public void setUp() {
        a = new Value(1.5);
        b = new Value(-0.25);
    }

    /**
     * {@code a + b}: one node.
     *
     * @return the node
     */
    @Benchmark
    public Value add() {
        return a.add(b);
    }

    /**
     * {@code a * b}: one node.
     *
     * @return the node
     */
    @Benchmark
    public Value mul() {
        return a.mul(b);
    }

    /**
     * {@code exp(a)}: one node and a call of {@link Math#exp}.
     *
     * @return the node
     */
    @Benchmark
    public Value exp() {
        return a.exp();
    }

    /**
     * {@code a / b}, which is {@code a * b^-1}: two nodes and a call of {@link Math#pow}.
     *
     * @return the node
     */
    @Benchmark
    public Value div() {
        return a.div(b);
    }
}
