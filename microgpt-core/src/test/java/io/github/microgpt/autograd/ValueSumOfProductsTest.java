package io.github.microgpt.autograd;

import static io.github.microgpt.testsupport.Bits.assertBits;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * {@link Value#sumOfProducts} stores its terms compactly but must be, to anyone who looks, the
 * graph of {@code a0.mul(b0).add(0.0)} and {@code total.add(ai.mul(bi))}: the same data, the same
 * children and local gradients, and the same gradients bit for bit from {@link Value#backward()},
 * also when a pass is repeated, when someone looks at the graph between passes, and when a
 * gradient is set by hand.
 */
class ValueSumOfProductsTest {

    /** How a sum of products is built: compactly, or from {@code mul} and {@code add}. */
    private interface Builder {
        Value sum(Value[] a, int aFrom, Value[] b, int bFrom, int length);

        /** The sums of products of each row with one vector: a linear layer. */
        Value[] rows(Value[][] w, Value[] x);
    }

    private static final Builder COMPACT = new Builder() {
        @Override
        public Value sum(Value[] a, int aFrom, Value[] b, int bFrom, int length) {
            return Value.sumOfProducts(a, aFrom, b, bFrom, length);
        }

        @Override
        public Value[] rows(Value[][] w, Value[] x) {
            return Value.sumsOfProducts(w, x);
        }
    };

    private static final Builder PLAIN = new Builder() {
        @Override
        public Value sum(Value[] a, int aFrom, Value[] b, int bFrom, int length) {
            Value total = a[aFrom].mul(b[bFrom]).add(0.0);
            for (int i = 1; i < length; i++) {
                total = total.add(a[aFrom + i].mul(b[bFrom + i]));
            }
            return total;
        }

        @Override
        public Value[] rows(Value[][] w, Value[] x) {
            Value[] out = new Value[w.length];
            for (int o = 0; o < w.length; o++) {
                out[o] = sum(w[o], 0, x, 0, x.length);
            }
            return out;
        }
    };

    /**
     * A small network over the same random leaves whichever the builder: sums of products of
     * leaves, of inner nodes shared between sums, of a vector with itself (squares, as RMSNorm
     * takes them) and of sums with sums, then a root that uses some of them twice.
     */
    private record Graph(List<Value> leaves, List<Value> inner, Value root) {
        static Graph build(long seed, Builder builder) {
            SplittableRandom r = new SplittableRandom(seed);
            int n = 2 + r.nextInt(7);
            List<Value> leaves = new ArrayList<>();
            Value[] x = new Value[n];
            Value[] w = new Value[n];
            for (int i = 0; i < n; i++) {
                x[i] = new Value(r.nextGaussian());
                w[i] = new Value(r.nextInt(5) == 0 ? -0.0 : r.nextGaussian());
                leaves.add(x[i]);
                leaves.add(w[i]);
            }
            List<Value> inner = new ArrayList<>();
            Value[] h = new Value[n];
            for (int i = 0; i < n; i++) {
                h[i] = x[i].mul(w[(i + 1) % n]).relu().add(x[i]);
                inner.add(h[i]);
            }
            int len = 1 + r.nextInt(n);
            int from = r.nextInt(n - len + 1);
            Value s1 = builder.sum(w, from, h, n - len, len);
            Value s2 = builder.sum(h, 0, h, 0, n);
            Value s3 = builder.sum(x, 0, w, 0, n);
            Value[] sums = {s1, s2, s3, h[0]};
            Value s4 = builder.sum(sums, 0, sums, 1, 3);
            inner.addAll(List.of(s1, s2, s3, s4));
            // Linear layers: leaf weights times a vector of leaves and inner nodes mixed (the
            // walk skips the weights), then inner "weights" (the first layer's outputs, some
            // rows shared) times that vector again, and leaf weights times leaves.
            Value[] mixed = new Value[n];
            for (int i = 0; i < n; i++) {
                mixed[i] = r.nextBoolean() ? x[i] : h[r.nextInt(n)];
            }
            Value[][] wRows = new Value[1 + r.nextInt(4)][];
            for (int o = 0; o < wRows.length; o++) {
                wRows[o] = r.nextBoolean() ? w.clone() : x.clone();
            }
            Value[] layer1 = builder.rows(wRows, mixed);
            Value[][] innerRows = new Value[1 + r.nextInt(3)][n];
            for (int o = 0; o < innerRows.length; o++) {
                for (int i = 0; i < n; i++) {
                    innerRows[o][i] = r.nextBoolean() ? layer1[r.nextInt(layer1.length)] : h[i];
                }
            }
            Value[] layer2 = builder.rows(innerRows, mixed);
            Value[] layer3 = builder.rows(new Value[][] {x, w}, w);
            inner.addAll(List.of(layer1));
            inner.addAll(List.of(layer2));
            inner.addAll(List.of(layer3));
            Value root = s4.mul(s1).add(s2.exp()).add(s3);
            for (Value out : layer2) {
                root = root.add(out.mul(layer1[0]));
            }
            root = root.add(layer3[1]);
            return new Graph(leaves, inner, root);
        }

        void assertSameGradients(Graph plain, String what) {
            for (int i = 0; i < leaves.size(); i++) {
                assertBits(plain.leaves.get(i).grad(), leaves.get(i).grad(), what + ", leaf " + i);
            }
            for (int i = 0; i < inner.size(); i++) {
                assertBits(plain.inner.get(i).data(), inner.get(i).data(), what + ", data of node " + i);
                assertBits(plain.inner.get(i).grad(), inner.get(i).grad(), what + ", grad of node " + i);
            }
        }
    }

    @TestFactory
    Stream<DynamicTest> oneBackwardPassGivesTheGradientsOfMulAndAdd() {
        return IntStream.range(0, 100).mapToObj(seed -> DynamicTest.dynamicTest("seed " + seed, () -> {
            Graph compact = Graph.build(seed, COMPACT);
            Graph plain = Graph.build(seed, PLAIN);
            compact.root().backward();
            plain.root().backward();
            compact.assertSameGradients(plain, "seed " + seed);
        }));
    }

    @TestFactory
    Stream<DynamicTest> repeatedPassesLookingAndSettingGradientsStayTheSame() {
        return IntStream.range(0, 60).mapToObj(seed -> DynamicTest.dynamicTest("seed " + seed, () -> {
            Graph compact = Graph.build(seed, COMPACT);
            Graph plain = Graph.build(seed, PLAIN);
            SplittableRandom r = new SplittableRandom(seed + 1000);
            for (int pass = 0; pass < 4; pass++) {
                // Back-propagate from the root or from one of the sums (which may be compact).
                int which = r.nextInt(compact.inner().size() + 1);
                Value compactRoot = which == compact.inner().size() ? compact.root() : compact.inner().get(which);
                Value plainRoot = which == plain.inner().size() ? plain.root() : plain.inner().get(which);
                switch (r.nextInt(4)) {
                    case 0 -> {
                        compactRoot.topologicalOrder();  // looking expands the compact nodes
                    }
                    case 1 -> {
                        int node = r.nextInt(compact.inner().size());
                        double g = r.nextGaussian();
                        compact.inner().get(node).setGrad(g);
                        plain.inner().get(node).setGrad(g);
                    }
                    case 2 -> {
                        compactRoot.zeroGrad();
                        plainRoot.zeroGrad();
                    }
                    default -> {
                        // nothing between the passes
                    }
                }
                compactRoot.backward();
                plainRoot.backward();
                compact.assertSameGradients(plain, "seed " + seed + ", pass " + pass);
            }
            // After all that, the graphs look alike node for node.
            List<Value> compactNodes = compact.root().topologicalOrder();
            List<Value> plainNodes = plain.root().topologicalOrder();
            assertEquals(plainNodes.size(), compactNodes.size());
            for (int i = 0; i < plainNodes.size(); i++) {
                assertEquals(plainNodes.get(i).op(), compactNodes.get(i).op(), "node " + i);
                assertBits(plainNodes.get(i).data(), compactNodes.get(i).data(), "data of node " + i);
                assertBits(plainNodes.get(i).grad(), compactNodes.get(i).grad(), "grad of node " + i);
            }
        }));
    }

    @Test
    void theGraphIsThatOfMulAndAdd() {
        Value[] a = {new Value(2.0), new Value(-3.0), new Value(0.5)};
        Value[] b = {new Value(4.0), new Value(5.0), new Value(-6.0)};
        Value sum = Value.sumOfProducts(a, 0, b, 0, 3);
        assertEquals(2.0 * 4.0 + 0.0 + -3.0 * 5.0 + 0.5 * -6.0, sum.data());
        assertEquals(Operation.ADD, sum.op());
        assertEquals(2, sum.childCount());
        assertEquals(1.0, sum.localGrad(0));
        assertEquals(1.0, sum.localGrad(1));
        Value last = sum.child(1);
        assertEquals(Operation.MUL, last.op());
        assertSame(a[2], last.child(0));
        assertSame(b[2], last.child(1));
        assertEquals(-6.0, last.localGrad(0));
        assertEquals(0.5, last.localGrad(1));
        assertSame(last, sum.child(1), "the product is made once");
        Value first = sum.child(0).child(0);
        assertEquals(Operation.ADD, first.op());
        assertEquals(Operation.MUL, first.child(0).op());
        assertEquals(8.0, first.child(0).data());
        assertEquals(Operation.LEAF, first.child(1).op());
        assertEquals(0.0, first.child(1).data());
        // mul/add: 3 products, 3 additions, the constant 0 and the 6 leaves.
        assertEquals(13, sum.topologicalOrder().size());
        assertThrows(IndexOutOfBoundsException.class, () -> sum.child(2));
    }

    /** A linear layer's input: two leaves and a computed node. */
    private static Value[] input() {
        return new Value[] {new Value(2.0), new Value(-3.0).exp(), new Value(0.5)};
    }

    /** A linear layer's weights: two rows of three leaves. */
    private static Value[][] weights() {
        return new Value[][] {
            {new Value(4.0), new Value(5.0), new Value(-6.0)},
            {new Value(-1.0), new Value(0.25), new Value(3.0)},
        };
    }

    @Test
    void theRowsOfALinearLayerAreSumsOfProducts() {
        Value[] x = input();
        Value[][] w = weights();
        Value[] rows = Value.sumsOfProducts(w, x);
        assertEquals(2, rows.length);
        for (int o = 0; o < 2; o++) {
            assertBits(Value.sumOfProducts(w[o], 0, x, 0, 3).data(), rows[o].data(), "row " + o);
        }
        // The caller's arrays are its own again once the call returns: changing them changes no node.
        Value x2 = x[2];
        Value w12 = w[1][2];
        x[2] = new Value(100.0);
        w[1][2] = new Value(100.0);
        Value last = rows[1].child(1);
        assertSame(w12, last.child(0));
        assertSame(x2, last.child(1));
        assertEquals(0.5, last.localGrad(0));
        assertEquals(3.0, last.localGrad(1));
    }

    /**
     * The copies of a weight matrix's rows are shared between calls only while the rows hold the
     * same nodes with the same data: a sum keeps the data its operands had when it was made, and a
     * later call reads the weights as they are then, whether a weight's data changed (an
     * optimizer's step) or a row holds another node.
     */
    @Test
    void aLaterLinearLayerReadsTheWeightsAsTheyAreThen() {
        Value[] x = input();
        Value[][] w = weights();
        Value[] first = Value.sumsOfProducts(w, x);
        Value[] same = Value.sumsOfProducts(w, x);
        w[1][2].setData(7.0);
        Value[] changed = Value.sumsOfProducts(w, x);
        Value w02 = w[0][2];
        w[0][2] = new Value(-6.0);
        Value[] replaced = Value.sumsOfProducts(w, x);
        w[0][2] = w02;
        w02.setData(-0.0);
        Value[] signed = Value.sumsOfProducts(w, x);

        for (int o = 0; o < 2; o++) {
            assertBits(first[o].data(), same[o].data(), "row " + o + ", weights unchanged");
            assertBits(Value.sumOfProducts(w[o], 0, x, 0, 3).data(), signed[o].data(), "row " + o + ", now");
        }
        assertBits(-1.0 * 2.0 + 0.25 * Math.exp(-3.0) + 7.0 * 0.5, changed[1].data(), "the changed weight's row");
        // Each sum keeps the data of its own call: the weight's local gradient is the data it had.
        assertEquals(3.0, first[1].child(1).localGrad(1));
        assertEquals(7.0, changed[1].child(1).localGrad(1));
        assertSame(w[0][2], first[0].child(1).child(0));
        assertSame(w[0][2], changed[0].child(1).child(0));
        Value other = replaced[0].child(1).child(0);
        assertEquals(-6.0, other.data());
        assertEquals(false, other == w02, "the replacing node is the row's last weight");
        // -0.0 and 0.0 are equal as numbers but not the same data: the copy is made again.
        assertBits(-0.0, signed[0].child(1).localGrad(1), "the weight's data, to the bit");

        // Back-propagating an older sum after the weights changed gives its own gradients.
        first[1].backward();
        assertEquals(3.0, x[2].grad());
    }

    /**
     * The copies a thread keeps of a weight matrix's rows hold the weights they copied and nothing
     * else: not the caller's array, whose elements the caller may set to other nodes afterwards.
     * A program that reused its array for computed nodes, and never passed it again, once left
     * their whole graph reachable from the thread until 16 other matrices had passed.
     */
    @Test
    void theKeptCopiesDoNotHoldTheCallersArray() throws InterruptedException {
        WeakReference<Value> graph = arrayReusedForAGraph();
        for (int i = 0; i < 50 && graph.get() != null; i++) {
            System.gc();
            Thread.sleep(10);
        }
        assertEquals(null, graph.get(), "a graph stored in a weight array after a linear layer read it");
    }

    /** Reads a matrix of weights, then stores a computed node in its array; a reference to the node's input. */
    private static WeakReference<Value> arrayReusedForAGraph() {
        Value[][] w = weights();
        Value.sumsOfProducts(w, input());
        Value input = new Value(1.5);
        w[0][0] = input.exp();
        return new WeakReference<>(input);
    }

    @Test
    void badLinearLayersAreRejected() {
        Value[] x = {new Value(1.0), new Value(2.0)};
        assertThrows(IllegalArgumentException.class, () -> Value.sumsOfProducts(new Value[][] {x, {x[0]}}, x));
        assertThrows(IllegalArgumentException.class, () -> Value.sumsOfProducts(new Value[][] {{}}, new Value[0]));
        assertEquals(0, Value.sumsOfProducts(new Value[0][], x).length);
    }

    @Test
    void badStretchesAreRejected() {
        Value[] a = {new Value(1.0), new Value(2.0)};
        assertThrows(IllegalArgumentException.class, () -> Value.sumOfProducts(a, 0, a, 0, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> Value.sumOfProducts(a, 1, a, 0, 2));
        assertThrows(IndexOutOfBoundsException.class, () -> Value.sumOfProducts(a, 0, a, -1, 1));
    }
}
