package io.github.microgpt.benchmarks;

import io.github.microgpt.autograd.Value;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What {@link Value#backward()} costs on graphs of growing size: the depth-first walk that orders
 * the nodes and the reverse pass that accumulates the gradients.
 *
 * <p>The graphs are stacks of dense layers, the shape of a GPT's graph: each layer computes
 * {@code 16} outputs as {@code Value.sum} of products of weights and the previous layer's
 * outputs, then a ReLU, so every input is shared by 16 products and the walk meets nodes it has
 * already visited. {@code graphNodes} is approximate (the layers are whole). The same graph is
 * back-propagated again at every invocation (gradients simply accumulate), so the result is the
 * time of the walk and of the reverse pass, not of building the graph; the graph of a training
 * step is about 55,000 inner nodes.
 *
 * <p>Results are in microseconds per {@code backward()} call; divide by {@code graphNodes} for
 * the cost per node. {@code -prof gc} shows that a walk allocates nothing once its buffers have
 * grown. Run it with:
 * <pre>
 * java -jar microgpt-benchmarks/target/benchmarks.jar ValueBackwardBenchmark
 * java -jar microgpt-benchmarks/target/benchmarks.jar ValueBackwardBenchmark -prof gc
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class ValueBackwardBenchmark {

    private static final int WIDTH = 16;

    /** The approximate number of nodes of the graph that {@link #backward()} walks. */
    @Param({"1000", "10000", "100000", "1000000"})
    public int graphNodes;

    private Value root;

    /** Builds the graph. */
    @Setup(Level.Trial)
    public void setUp() {
        SplittableRandom random = new SplittableRandom(1);
        Value[] x = new Value[WIDTH];
        for (int i = 0; i < WIDTH; i++) {
            x[i] = new Value(random.nextGaussian());
        }
        // One layer: WIDTH outputs, each WIDTH products, WIDTH sum nodes and a ReLU.
        int nodesPerLayer = WIDTH * (3 * WIDTH + 2);
        int layers = Math.max(1, graphNodes / nodesPerLayer);
        for (int layer = 0; layer < layers; layer++) {
            Value[] next = new Value[WIDTH];
            for (int o = 0; o < WIDTH; o++) {
                Value[] products = new Value[WIDTH];
                for (int i = 0; i < WIDTH; i++) {
                    products[i] = new Value(random.nextGaussian() * 0.3).mul(x[i]);
                }
                next[o] = Value.sum(products).relu();
            }
            x = next;
        }
        root = Value.sum(x);
    }

    /**
     * One {@code backward()} over the prepared graph.
     *
     * @return the root's gradient
     */
    @Benchmark
    public double backward() {
        root.backward();
        return root.grad();
    }
}
