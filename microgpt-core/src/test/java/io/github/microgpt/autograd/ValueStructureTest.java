package io.github.microgpt.autograd;

import static io.github.microgpt.testsupport.Bits.assertBits;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.testing.Cases;
import io.github.microgpt.testing.Gen;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The shape of the graph that {@link Value} records (children and local gradients, as microgpt.py's
 * {@code Value} operations record them) and the exact order in which {@link Value#backward()} sums contributions.
 */
class ValueStructureTest {

    @Test
    void leavesHaveNoChildren() {
        Value leaf = new Value(3.5);
        assertEquals(0, leaf.childCount());
        assertEquals(3.5, leaf.data());
        assertEquals(0.0, leaf.grad());
        assertThrows(IndexOutOfBoundsException.class, () -> leaf.child(0));
        assertThrows(IndexOutOfBoundsException.class, () -> leaf.localGrad(0));
    }

    @Test
    void childIndexesOutsideTheNodeAreRejected() {
        Value unary = new Value(2).exp();
        Value binary = new Value(2).add(new Value(3));
        assertThrows(IndexOutOfBoundsException.class, () -> unary.child(1));
        assertThrows(IndexOutOfBoundsException.class, () -> unary.localGrad(1));
        assertThrows(IndexOutOfBoundsException.class, () -> binary.child(2));
        assertThrows(IndexOutOfBoundsException.class, () -> binary.child(-1));
        assertThrows(IndexOutOfBoundsException.class, () -> binary.localGrad(-1));
    }

    @Test
    void sumOfNothingIsRejected() {
        assertThrows(IllegalArgumentException.class, Value::sum);
    }

    /** Two random operands; the second is kept away from 0 and the first positive, for log and pow. */
    private record Operands(double a, double b, double k) {
    }

    private static Operands operands(Gen g) {
        return new Operands(g.doubleIn(0.01, 20), g.awayFromZero(0.01, 20), g.doubleIn(-3, 3));
    }

    @TestFactory
    Stream<DynamicTest> primitivesRecordTheirLocalGradientsAtCreation() {
        return Cases.dynamicTests("local gradients of the primitives", 200, ValueStructureTest::operands, o -> {
            Value a = new Value(o.a());
            Value b = new Value(o.b());

            Value sum = a.add(b);
            assertEquals(2, sum.childCount());
            assertSame(a, sum.child(0));
            assertSame(b, sum.child(1));
            assertBits(o.a() + o.b(), sum.data(), "a + b");
            assertBits(1.0, sum.localGrad(0), "d(a+b)/da");
            assertBits(1.0, sum.localGrad(1), "d(a+b)/db");

            Value product = a.mul(b);
            assertBits(o.a() * o.b(), product.data(), "a * b");
            assertBits(o.b(), product.localGrad(0), "d(ab)/da");
            assertBits(o.a(), product.localGrad(1), "d(ab)/db");

            Value power = a.pow(o.k());
            assertEquals(1, power.childCount());
            assertSame(a, power.child(0));
            assertBits(Math.pow(o.a(), o.k()), power.data(), "a ** k");
            assertBits(o.k() * Math.pow(o.a(), o.k() - 1), power.localGrad(0), "d(a**k)/da");

            Value log = a.log();
            assertBits(Math.log(o.a()), log.data(), "log a");
            assertBits(1 / o.a(), log.localGrad(0), "d(log a)/da");

            Value exp = b.exp();
            assertBits(Math.exp(o.b()), exp.data(), "exp b");
            assertBits(Math.exp(o.b()), exp.localGrad(0), "d(exp b)/db");

            Value relu = b.relu();
            assertBits(Math.max(0.0, o.b()), relu.data(), "relu b");
            assertBits(o.b() > 0 ? 1.0 : 0.0, relu.localGrad(0), "d(relu b)/db");

            // The local gradients were taken from the data at creation: changing a leaf later
            // does not change them (the optimizer changes parameters between steps).
            a.setData(o.a() + 1);
            assertBits(o.b(), product.localGrad(0), "d(ab)/da after a.setData");
            assertBits(o.a(), product.localGrad(1), "d(ab)/db after a.setData");
        });
    }

    @Test
    void reluOfZeroIsZeroWithGradientZero() {
        Value zero = new Value(0.0).relu();
        assertBits(0.0, zero.data(), "relu 0");
        assertBits(0.0, zero.localGrad(0), "d(relu 0)");
        Value negative = new Value(-2.0).relu();
        assertBits(0.0, negative.data(), "relu -2");
        assertBits(0.0, negative.localGrad(0), "d(relu -2)");
    }

    @TestFactory
    Stream<DynamicTest> compositeOperationsAreBuiltFromPrimitivesAsInPython() {
        return Cases.dynamicTests("shape of neg, sub, div and the double operands", 200,
                ValueStructureTest::operands, o -> {
            Value a = new Value(o.a());
            Value b = new Value(o.b());

            // -a is a * -1, with -1 wrapped as a constant leaf.
            Value neg = a.neg();
            assertEquals(2, neg.childCount());
            assertSame(a, neg.child(0));
            assertEquals(0, neg.child(1).childCount());
            assertBits(-1.0, neg.child(1).data(), "the constant of -a");
            assertBits(o.a() * -1.0, neg.data(), "-a");
            assertBits(-1.0, neg.localGrad(0), "d(-a)/da");

            // a - b is a + (-b).
            Value difference = a.sub(b);
            assertSame(a, difference.child(0));
            Value negB = difference.child(1);
            assertSame(b, negB.child(0));
            assertBits(-1.0, negB.child(1).data(), "the constant of -b");
            assertBits(o.a() + o.b() * -1.0, difference.data(), "a - b");

            // a - c is a + (-c), with -c wrapped.
            Value minusConstant = a.sub(o.b());
            assertSame(a, minusConstant.child(0));
            assertBits(-o.b(), minusConstant.child(1).data(), "the constant of a - c");

            // a / b is a * b ** -1: there is no division node.
            Value quotient = a.div(b);
            assertSame(a, quotient.child(0));
            Value inverse = quotient.child(1);
            assertEquals(1, inverse.childCount());
            assertSame(b, inverse.child(0));
            assertBits(Math.pow(o.b(), -1), inverse.data(), "b ** -1");
            assertBits(-1 * Math.pow(o.b(), -2), inverse.localGrad(0), "d(b**-1)/db");
            assertBits(o.a() * Math.pow(o.b(), -1), quotient.data(), "a / b");

            // a / c is a * pow(c, -1), with pow(c, -1) computed as a number and wrapped.
            Value byConstant = a.div(o.b());
            assertSame(a, byConstant.child(0));
            assertEquals(0, byConstant.child(1).childCount());
            assertBits(Math.pow(o.b(), -1), byConstant.child(1).data(), "the constant of a / c");
            assertBits(o.a() * Math.pow(o.b(), -1), byConstant.data(), "a / c");

            // a + c and a * c wrap c as a leaf.
            Value plus = a.add(o.b());
            assertEquals(0, plus.child(1).childCount());
            assertBits(o.b(), plus.child(1).data(), "the constant of a + c");
            Value times = a.mul(o.b());
            assertBits(o.b(), times.child(1).data(), "the constant of a * c");
            assertBits(o.b(), times.localGrad(0), "d(a*c)/da");
        });
    }

    @TestFactory
    Stream<DynamicTest> sumIsALeftFoldFromZero() {
        return Cases.dynamicTests("Value.sum folds from 0", 200, g -> {
            double[] x = new double[g.intIn(1, 10)];
            for (int i = 0; i < x.length; i++) {
                x[i] = g.sign() * g.logUniform(1e-10, 1e10);
            }
            return x;
        }, x -> {
            Value[] values = new Value[x.length];
            for (int i = 0; i < x.length; i++) {
                values[i] = new Value(x[i]);
            }
            Value total = Value.sum(values);
            double expected = x[0] + 0.0;
            for (int i = 1; i < x.length; i++) {
                expected = expected + x[i];
            }
            assertBits(expected, total.data(), "sum");
            // Walk down the fold: the last addition has the last value on the right.
            Value node = total;
            for (int i = x.length - 1; i >= 1; i--) {
                assertSame(values[i], node.child(1));
                node = node.child(0);
            }
            assertSame(values[0], node.child(0), "the first node is v0 + 0");
            assertEquals(0, node.child(1).childCount());
            assertBits(0.0, node.child(1).data(), "the starting 0");
        });
    }

    // ------------------------------------------------------------- the order of backward's sums

    /**
     * The backward pass of {@code microgpt.py}, written out plainly: a recursive depth-first
     * post-order from the root (children in stored order, each node once), then the reverse walk
     * with {@code child.grad += local * node.grad}. Gradients start from {@code start}.
     *
     * @param childrenReversed visit children in the opposite order (a wrong order, to show that
     *     the cases below tell the orders apart)
     */
    private static Map<Value, Double> referenceBackward(Value root, Map<Value, Double> start,
                                                        boolean childrenReversed) {
        List<Value> topo = new ArrayList<>();
        Map<Value, Boolean> visited = new IdentityHashMap<>();
        buildTopo(root, topo, visited, childrenReversed);
        Map<Value, Double> grad = new IdentityHashMap<>(start);
        for (Value v : topo) {
            grad.putIfAbsent(v, 0.0);
        }
        grad.put(root, 1.0);
        for (int i = topo.size() - 1; i >= 0; i--) {
            Value v = topo.get(i);
            for (int c = 0; c < v.childCount(); c++) {
                Value child = v.child(c);
                grad.put(child, grad.get(child) + v.localGrad(c) * grad.get(v));
            }
        }
        return grad;
    }

    private static void buildTopo(Value v, List<Value> topo, Map<Value, Boolean> visited, boolean reversed) {
        if (visited.put(v, Boolean.TRUE) == null) {
            int n = v.childCount();
            for (int c = 0; c < n; c++) {
                buildTopo(v.child(reversed ? n - 1 - c : c), topo, visited, reversed);
            }
            topo.add(v);
        }
    }

    @Test
    void backwardSumsContributionsInReverseTopologicalOrder() {
        // x feeds three products; their contributions reach x.grad in the reverse of the
        // post-order [x, c1, n1, c2, n2, s12, c3, n3, out]: first c3, then c2, then c1.
        double c1 = 1.0;
        double c2 = 1e-16;
        double c3 = 1e-16;
        Value x = new Value(0.5);
        Value out = x.mul(c1).add(x.mul(c2)).add(x.mul(c3));
        out.backward();
        double pythonOrder = ((0.0 + c3 * 1.0) + c2 * 1.0) + c1 * 1.0;
        double forwardOrder = ((0.0 + c1 * 1.0) + c2 * 1.0) + c3 * 1.0;
        assertNotEquals(pythonOrder, forwardOrder, "the case must tell the two orders apart");
        assertBits(pythonOrder, x.grad(), "x.grad");
    }

    /**
     * A random DAG whose nodes reuse earlier nodes, with magnitudes spread over many decades; the
     * last node is the sum of all the others.
     */
    private static Value[] randomDag(Gen g) {
        List<Value> nodes = new ArrayList<>();
        int leaves = g.intIn(1, 4);
        for (int i = 0; i < leaves; i++) {
            nodes.add(new Value(g.sign() * g.logUniform(1e-3, 1e3)));
        }
        int steps = g.intIn(5, 40);
        for (int s = 0; s < steps; s++) {
            // Reusing the leaves often gives them many parents: with three or more contributions
            // to one gradient, the order of summation changes the rounded result.
            Value a = g.chance(0.5) ? nodes.get(g.intIn(0, leaves - 1)) : g.pick(nodes);
            Value b = g.pick(nodes);
            Value next = switch (g.intIn(0, 5)) {
                case 0 -> a.add(b);
                case 1 -> a.mul(b);
                case 2 -> a.mul(g.sign() * g.logUniform(1e-8, 1e8));
                case 3 -> Math.abs(a.data()) < 1e50 ? a.pow(2) : a.neg();
                case 4 -> a.relu();
                default -> a.sub(b);
            };
            nodes.add(next);
        }
        // The root depends on every node, so that the whole DAG is back-propagated.
        nodes.add(Value.sum(nodes.toArray(Value[]::new)));
        return nodes.toArray(Value[]::new);
    }

    @TestFactory
    Stream<DynamicTest> backwardMatchesThePythonOrderBitForBit() {
        return Cases.dynamicTests("backward order on random DAGs", 300, g -> g.seed(), seed -> {
            Value[] nodes = randomDag(new Gen(seed));
            Value root = nodes[nodes.length - 1];
            Map<Value, Double> expected = referenceBackward(root, new IdentityHashMap<>(), false);
            root.backward();
            for (int i = 0; i < nodes.length; i++) {
                if (expected.containsKey(nodes[i])) {
                    assertBits(expected.get(nodes[i]), nodes[i].grad(), "grad of node " + i);
                } else {
                    assertBits(0.0, nodes[i].grad(), "grad of unreachable node " + i);
                }
            }
        });
    }

    @Test
    void theRandomDagsTellTheOrdersApart() {
        // Without this, the previous property could pass for an engine that sums in another order.
        int distinguishing = 0;
        int cases = 300;
        for (int i = 0; i < cases; i++) {
            Value[] nodes = randomDag(new Gen(Cases.seedOf("backward order on random DAGs", i)));
            Value root = nodes[nodes.length - 1];
            Map<Value, Double> python = referenceBackward(root, new IdentityHashMap<>(), false);
            Map<Value, Double> other = referenceBackward(root, new IdentityHashMap<>(), true);
            for (Value node : nodes) {
                Double p = python.get(node);
                if (p != null && Double.doubleToRawLongBits(p) != Double.doubleToRawLongBits(other.get(node))) {
                    distinguishing++;
                    break;
                }
            }
        }
        assertTrue(distinguishing >= cases / 4,
                "only " + distinguishing + " of " + cases + " DAGs are sensitive to the order of summation");
    }

    @Test
    void gradientsAccumulateAcrossBackwardCalls() {
        // Two results that share the leaf x: their gradients add up in x.
        Value x = new Value(1.5);
        Value y = new Value(-2.0);
        Value first = x.mul(y);          // d/dx = y = -2
        Value second = x.mul(x).add(y);  // d/dx = 2x = 3
        first.backward();
        second.backward();
        assertBits(-2.0 + (0.0 + 1.5 + 1.5), x.grad(), "x.grad after two results");
        assertBits(1.5 + 1.0, y.grad(), "y.grad after two results");

        // The same result twice: the root's grad is set to 1 again, but inner nodes keep the
        // gradient of the first pass, so (as in micrograd) it is not simply doubled.
        Value a = new Value(2.0);
        Value inner = a.mul(3.0);
        Value out = inner.mul(2.0);
        out.backward();
        assertBits(2.0, inner.grad(), "inner.grad after one pass");
        assertBits(6.0, a.grad(), "a.grad after one pass");
        out.backward();
        assertBits(1.0, out.grad(), "out.grad is set, not accumulated");
        assertBits(4.0, inner.grad(), "inner.grad after two passes");
        assertBits(6.0 + 3.0 * 4.0, a.grad(), "a.grad after two passes");
    }

    @TestFactory
    Stream<DynamicTest> accumulationFollowsThePythonRule() {
        return Cases.dynamicTests("two backward passes on random DAGs", 100, g -> g.seed(), seed -> {
            Value[] nodes = randomDag(new Gen(seed));
            Value root = nodes[nodes.length - 1];
            Value other = nodes[nodes.length / 2];
            root.backward();
            // Every node below the root, including the hidden ones that sub and div create.
            Map<Value, Double> afterFirst = new IdentityHashMap<>();
            List<Value> below = new ArrayList<>();
            buildTopo(root, below, new IdentityHashMap<>(), false);
            buildTopo(other, below, new IdentityHashMap<>(), false);
            for (Value v : below) {
                afterFirst.put(v, v.grad());
            }
            Map<Value, Double> expected = referenceBackward(other, afterFirst, false);
            other.backward();
            for (int i = 0; i < nodes.length; i++) {
                assertBits(expected.getOrDefault(nodes[i], 0.0), nodes[i].grad(),
                        "grad of node " + i + " after two passes");
            }
        });
    }

    @Test
    void aMillionNodeChainBackPropagatesOnTheDefaultStack() throws InterruptedException {
        int length = 1_000_000;
        AtomicReference<Throwable> failure = new AtomicReference<>();
        double[] result = new double[3];
        // A new thread without a stack size gets the JVM's default stack, far too small for a
        // recursive walk a million nodes deep.
        Thread worker = new Thread(() -> {
            try {
                Value x = new Value(0.25);
                Value y = x;
                for (int i = 0; i < length; i++) {
                    y = i % 2 == 0 ? y.add(1.0) : y.mul(1.0);
                }
                y.backward();
                result[0] = y.data();
                result[1] = x.grad();
                result[2] = y.grad();
            } catch (Throwable t) {
                failure.set(t);
            }
        }, "million-node-chain");
        worker.start();
        worker.join();
        if (failure.get() != null) {
            throw new AssertionError("back-propagating a chain of " + length + " nodes failed", failure.get());
        }
        assertBits(0.25 + length / 2, result[0], "data at the end of the chain");
        assertBits(1.0, result[1], "x.grad");
        assertBits(1.0, result[2], "the root's grad");
    }
}
