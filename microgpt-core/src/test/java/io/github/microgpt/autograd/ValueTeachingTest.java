package io.github.microgpt.autograd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.testing.Cases;
import io.github.microgpt.testing.Gen;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * What a learner looks at on a {@link Value}: the operation that made it, its label, tanh, the
 * topological order and zeroing a graph's gradients.
 */
class ValueTeachingTest {

    @Test
    void everyNodeRecordsTheOperationThatMadeIt() {
        Value a = new Value(2.0);
        Value b = new Value(-3.0);
        assertEquals(Operation.LEAF, a.op());
        assertEquals(Operation.ADD, a.add(b).op());
        assertEquals(Operation.MUL, a.mul(b).op());
        assertEquals(Operation.POW, a.pow(2).op());
        assertEquals(Operation.LOG, a.log().op());
        assertEquals(Operation.EXP, a.exp().op());
        assertEquals(Operation.RELU, a.relu().op());
        assertEquals(Operation.TANH, a.tanh().op());
        // Derived operations leave their primitives: a - b is a + (b * -1), a / b is a * b^-1.
        Value difference = a.sub(b);
        assertEquals(Operation.ADD, difference.op());
        assertEquals(Operation.MUL, difference.child(1).op());
        Value quotient = a.div(b);
        assertEquals(Operation.MUL, quotient.op());
        assertEquals(Operation.POW, quotient.child(1).op());
        for (Operation op : Operation.values()) {
            assertTrue(op == Operation.LEAF || !op.symbol().isEmpty(), op + " has a symbol");
        }
    }

    @TestFactory
    Stream<DynamicTest> theArityOfTheOperationIsTheNumberOfChildren() {
        return Cases.dynamicTests("arity equals child count", 200, g -> g.doubleIn(0.1, 3), x -> {
            Value v = new Value(x);
            for (Value node : List.of(v, v.add(v), v.mul(2), v.pow(3), v.log(), v.exp(), v.relu(), v.tanh())) {
                assertEquals(node.op().arity(), node.childCount(), node.op() + " of " + x);
            }
        });
    }

    @Test
    void labelsAreKeptAndRemovedWithoutChangingTheNumbers() {
        Value x = new Value(2.0).label("x");
        Value y = x.mul(3.0);
        assertEquals("x", x.label());
        assertNull(y.label(), "a new node has no label");
        assertSame(y, y.label("y"));
        assertEquals("y", y.label());
        y.label(null);
        assertNull(y.label());
        y.backward();
        assertEquals(3.0, x.grad());
        assertEquals("x", x.label(), "backward leaves labels alone");
    }

    @TestFactory
    Stream<DynamicTest> tanhIsMathTanhWithGradientOneMinusItsSquare() {
        return Cases.dynamicTests("tanh value and local gradient", 300, g -> g.doubleIn(-20, 20), x -> {
            Value t = new Value(x).tanh();
            assertEquals(Math.tanh(x), t.data());
            assertEquals(1 - Math.tanh(x) * Math.tanh(x), t.localGrad(0));
        });
    }

    @TestFactory
    Stream<DynamicTest> topologicalOrderPutsEveryNodeAfterItsChildrenOnce() {
        return Cases.dynamicTests("topological order", 200, Gen::seed, seed -> {
            Gen g = new Gen(seed);
            Value root = randomExpression(g);
            List<Value> topo = root.topologicalOrder();
            assertSame(root, topo.get(topo.size() - 1), "the root is last");
            Set<Value> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
            for (Value node : topo) {
                for (int c = 0; c < node.childCount(); c++) {
                    assertTrue(seen.contains(node.child(c)), "a child comes before its parent");
                }
                assertTrue(seen.add(node), "each node appears once");
            }
        });
    }

    @TestFactory
    Stream<DynamicTest> zeroGradThenBackwardGivesTheGradientsOfOnePass() {
        return Cases.dynamicTests("zeroGrad resets a graph", 200, Gen::seed, seed -> {
            Value root = randomExpression(new Gen(seed));
            List<Value> topo = root.topologicalOrder();
            root.backward();
            double[] once = new double[topo.size()];
            for (int i = 0; i < once.length; i++) {
                once[i] = topo.get(i).grad();
            }
            root.backward();  // accumulates
            root.zeroGrad();
            for (Value node : topo) {
                assertEquals(0.0, node.grad(), "zeroGrad reaches every node");
            }
            root.backward();
            for (int i = 0; i < once.length; i++) {
                assertEquals(Double.doubleToLongBits(once[i]), Double.doubleToLongBits(topo.get(i).grad()),
                        "node " + i + " after zeroGrad and backward");
            }
        });
    }

    @Test
    void aSecondBackwardWithoutZeroGradIsNotSimplyDouble() {
        // The example of backward()'s Javadoc.
        Value a = new Value(2.0);
        Value out = a.mul(3.0).mul(2.0);
        out.backward();
        assertEquals(6.0, a.grad());
        out.backward();
        assertEquals(18.0, a.grad());
        out.zeroGrad();
        out.backward();
        assertEquals(6.0, a.grad());
    }

    @Test
    void aDeepChainHasATopologicalOrderWithoutDeepRecursion() {
        Value x = new Value(0.5);
        Value v = x;
        for (int i = 0; i < 200_000; i++) {
            v = v.add(0.0);
        }
        List<Value> topo = v.topologicalOrder();
        // 200,000 additions, each with a constant leaf, plus x.
        assertEquals(400_001, topo.size());
        assertSame(x, topo.get(0));
        Set<Value> distinct = new HashSet<>(topo);
        assertEquals(topo.size(), distinct.size());
    }

    /** A random expression with shared subexpressions, over every operation. */
    static Value randomExpression(Gen g) {
        List<Value> pool = new java.util.ArrayList<>();
        int leaves = g.intIn(1, 4);
        for (int i = 0; i < leaves; i++) {
            pool.add(new Value(g.doubleIn(0.2, 2)).label("x" + i));
        }
        int steps = g.intIn(1, 20);
        for (int i = 0; i < steps; i++) {
            Value a = pool.get(g.intIn(0, pool.size() - 1));
            Value b = pool.get(g.intIn(0, pool.size() - 1));
            Value next = switch (g.intIn(0, 7)) {
                case 0 -> a.add(b);
                case 1 -> a.mul(b);
                case 2 -> a.sub(b);
                case 3 -> a.tanh();
                case 4 -> a.relu();
                case 5 -> a.mul(0.5).exp();
                case 6 -> a.pow(2);
                default -> a.mul(a).add(1).log();
            };
            pool.add(next);
        }
        return pool.get(pool.size() - 1);
    }
}
