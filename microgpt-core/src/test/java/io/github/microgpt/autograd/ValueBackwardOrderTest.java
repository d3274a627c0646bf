package io.github.microgpt.autograd;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.GptModel;
import io.github.microgpt.random.PythonRandom;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * {@link Value#backward()} gives the very gradients, bit for bit, of the straightforward
 * algorithm of {@code micrograd}/{@code microgpt.py}: a recursive depth-first topological sort
 * with a visited set, every node (leaves included) in the list, then
 * {@code child.grad += local_grad * v.grad} in reverse order. The engine walks differently
 * (iteratively, inner nodes only, reusing buffers), so these tests hold it to that definition on
 * random graphs, on GPT losses and on repeated passes.
 */
class ValueBackwardOrderTest {

    /** The reference: micrograd's backward, written over the public graph accessors. */
    private static Map<Value, Double> referenceBackward(Value root, Map<Value, Double> grads) {
        List<Value> topo = new ArrayList<>();
        Set<Value> visited = Collections.newSetFromMap(new IdentityHashMap<>());
        buildTopo(root, visited, topo);
        grads.put(root, 1.0);
        for (int i = topo.size() - 1; i >= 0; i--) {
            Value v = topo.get(i);
            for (int c = 0; c < v.childCount(); c++) {
                Value child = v.child(c);
                grads.put(child, grads.getOrDefault(child, 0.0) + v.localGrad(c) * grads.getOrDefault(v, 0.0));
            }
        }
        return grads;
    }

    private static void buildTopo(Value v, Set<Value> visited, List<Value> topo) {
        if (visited.add(v)) {
            for (int c = 0; c < v.childCount(); c++) {
                buildTopo(v.child(c), visited, topo);
            }
            topo.add(v);
        }
    }

    /** Random expressions over a pool of leaves and earlier results, with shared nodes and x*x. */
    private static List<Value> randomGraph(SplittableRandom r, int leaves, int operations) {
        List<Value> pool = new ArrayList<>();
        for (int i = 0; i < leaves; i++) {
            pool.add(new Value(r.nextGaussian()));
        }
        for (int i = 0; i < operations; i++) {
            // Favour recent nodes so the graph gets deep, but reach back to share old ones.
            Value a = pool.get(r.nextInt(3) == 0 ? r.nextInt(pool.size()) : pool.size() - 1 - r.nextInt(Math.min(4, pool.size())));
            Value b = pool.get(r.nextInt(pool.size()));
            Value out = switch (r.nextInt(13)) {
                case 0, 1 -> a.add(b);
                case 2, 3 -> a.mul(b);
                case 4 -> a.mul(a);
                case 5 -> a.add(r.nextGaussian());
                case 6 -> {
                    // Values grow along a deep graph; where exp or pow would overflow, Value refuses
                    // as Python does, and the node is a tanh instead (the same in both graphs of a seed).
                    try {
                        yield a.mul(0.1).exp().add(a.mul(a).add(1.0).log()).pow(r.nextInt(3) + 1);
                    } catch (ArithmeticException e) {
                        yield a.tanh();
                    }
                }
                case 7 -> a.relu();
                case 8 -> a.sub(b);
                case 9 -> Value.sum(a, b, pool.get(r.nextInt(pool.size())));
                case 10 -> a.div(b.mul(b).add(1.0));
                default -> {
                    // A sum of products over old and new nodes, some not yet walked when the walk
                    // reaches the sum: its terms are then written in several runs.
                    int length = 1 + r.nextInt(6);
                    Value[] x = new Value[length + 1];
                    Value[] y = new Value[length];
                    for (int k = 0; k < length; k++) {
                        x[k + 1] = pool.get(r.nextInt(pool.size()));
                        y[k] = r.nextBoolean() ? pool.get(pool.size() - 1 - r.nextInt(Math.min(6, pool.size())))
                                : x[k + 1].mul(r.nextGaussian()).relu();
                    }
                    yield Value.sumOfProducts(x, 1, y, 0, length);
                }
            };
            pool.add(out);
        }
        return pool;
    }

    @TestFactory
    Stream<DynamicTest> randomGraphsGetTheReferenceGradientsBitForBit() {
        return IntStream.range(0, 200).mapToObj(seed -> DynamicTest.dynamicTest("seed " + seed, () -> {
            // The reference looks at the graph, which expands compact sums of products into mul
            // and add nodes; so it runs on a second graph of the same seed, and the engine walks
            // one that no one has looked at.
            SplittableRandom r = new SplittableRandom(seed);
            List<Value> pool = randomGraph(r, 1 + r.nextInt(8), 1 + r.nextInt(300));
            int rootIndex = pool.size() - 1 - r.nextInt(Math.min(3, pool.size()));
            SplittableRandom again = new SplittableRandom(seed);
            List<Value> looked = randomGraph(again, 1 + again.nextInt(8), 1 + again.nextInt(300));
            Map<Value, Double> expected = referenceBackward(looked.get(rootIndex), new IdentityHashMap<>());
            pool.get(rootIndex).backward();
            for (int i = 0; i < pool.size(); i++) {
                double want = i == rootIndex ? 1.0 : expected.getOrDefault(looked.get(i), 0.0);
                assertEquals(Double.doubleToRawLongBits(want), Double.doubleToRawLongBits(pool.get(i).grad()),
                        "seed " + seed + ": grad of node " + i + " should be " + want);
            }
        }));
    }

    @Test
    void secondPassesAndOtherRootsAccumulateLikeTheReference() {
        SplittableRandom r = new SplittableRandom(99);
        List<Value> pool = randomGraph(r, 5, 400);
        Map<Value, Double> expected = new IdentityHashMap<>();
        for (int pass = 0; pass < 4; pass++) {
            Value root = pool.get(pool.size() - 1 - r.nextInt(50));
            // The reference sets the root's gradient to 1, as backward() does, and accumulates the rest.
            referenceBackward(root, expected);
            root.backward();
            for (Value v : pool) {
                assertEquals(Double.doubleToRawLongBits(expected.getOrDefault(v, 0.0)),
                        Double.doubleToRawLongBits(v.grad()), "pass " + pass + ": " + v);
            }
        }
    }

    @Test
    void theLossOfAGptGetsTheReferenceGradientsBitForBit() {
        GptConfig config = new GptConfig(2, 8, 2, 6, 0.3);
        GptModel model = GptModel.create(config, 6, new PythonRandom(4));
        int[] doc = {5, 1, 2, 3, 1, 0, 4, 5};
        Value loss = model.loss(doc, 0, 6);
        Map<Value, Double> expected = referenceBackward(loss, new IdentityHashMap<>());
        loss.backward();
        List<Value> params = model.parameterValues();
        for (int i = 0; i < params.size(); i++) {
            assertEquals(Double.doubleToRawLongBits(expected.getOrDefault(params.get(i), 0.0)),
                    Double.doubleToRawLongBits(params.get(i).grad()), "parameter " + i);
        }
    }

    @Test
    void theCompactLossOfAGptGetsTheReferenceGradientsBitForBit() {
        // The reference walk looks at the graph, which expands its compact sums of products into
        // mul and add nodes; so it runs on a second graph of the same loss, and the engine walks
        // one that no one has looked at.
        GptConfig config = new GptConfig(2, 8, 2, 6, 0.3);
        GptModel model = GptModel.create(config, 6, new PythonRandom(4));
        int[] doc = {5, 1, 2, 3, 1, 0, 4, 5};
        Map<Value, Double> expected = referenceBackward(model.loss(doc, 0, 6), new IdentityHashMap<>());
        model.loss(doc, 0, 6).backward();
        List<Value> params = model.parameterValues();
        for (int i = 0; i < params.size(); i++) {
            assertEquals(Double.doubleToRawLongBits(expected.getOrDefault(params.get(i), 0.0)),
                    Double.doubleToRawLongBits(params.get(i).grad()), "parameter " + i);
        }
    }

    @Test
    void aChainOfAMillionNodesNeedsNoDeepStack() {
        Value x = new Value(1.0);
        Value y = x;
        for (int i = 0; i < 1_000_000; i++) {
            y = y.mul(1.0);
        }
        y.backward();
        assertEquals(1.0, x.grad());
        // And once more, on a fresh thread with a small stack, where recursion would overflow.
        Value z = new Value(2.0);
        Value[] top = {z};
        for (int i = 0; i < 200_000; i++) {
            top[0] = top[0].add(0.5);
        }
        Thread thread = new Thread(null, () -> top[0].backward(), "small-stack", 64 * 1024);
        thread.start();
        assertEquals(true, joined(thread));
        assertEquals(1.0, z.grad());
    }

    private static boolean joined(Thread thread) {
        try {
            thread.join();
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Test
    void aLeafRootGetsGradientOne() {
        Value leaf = new Value(3.0);
        leaf.setGrad(5.0);
        leaf.backward();
        assertEquals(1.0, leaf.grad());
    }
}
