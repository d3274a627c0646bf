package io.github.microgpt.autograd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.testing.Cases;
import io.github.microgpt.testing.Gen;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The graph of a {@link Value} as data, as DOT and as SVG. (The SVG is parsed as XML by the
 * examples' tests, which may read {@code java.xml}; the core module does not.)
 */
class ExpressionGraphTest {

    /** micrograd's neuron: {@code o = tanh(x1*w1 + x2*w2 + b)}. */
    private static Value neuron() {
        Value x1 = new Value(2.0).label("x1");
        Value x2 = new Value(0.0).label("x2");
        Value w1 = new Value(-3.0).label("w1");
        Value w2 = new Value(1.0).label("w2");
        Value b = new Value(6.8813735870195432).label("b");
        Value n = x1.mul(w1).label("x1*w1").add(x2.mul(w2).label("x2*w2")).add(b).label("n");
        return n.tanh().label("o");
    }

    @Test
    void theNeuronsGraphHasMicrogradsNumbers() {
        Value o = neuron();
        o.backward();
        ExpressionGraph graph = ExpressionGraph.of(o);
        // 5 leaves, 2 products, 2 sums, tanh.
        assertEquals(10, graph.nodes().size());
        assertEquals(9, graph.edges().size());
        ExpressionGraph.Node root = graph.root();
        assertEquals("o", root.label());
        assertEquals(Operation.TANH, root.op());
        assertEquals(0.7071, root.data(), 1e-4);
        assertEquals(4, root.layer(), "leaf, product, sum, sum, tanh");
        assertEquals(-1.5, grad(graph, "x1"), 1e-9);
        assertEquals(1.0, grad(graph, "w1"), 1e-9);
        assertEquals(0.5, grad(graph, "x2"), 1e-9);
        assertEquals(0.0, grad(graph, "w2"), 1e-9);
        assertEquals(0.5, grad(graph, "b"), 1e-9);
    }

    private static double grad(ExpressionGraph graph, String label) {
        return graph.nodes().stream().filter(n -> label.equals(n.label())).findFirst().orElseThrow().grad();
    }

    @TestFactory
    Stream<DynamicTest> edgesPointFromEarlierChildrenWithTheRecordedLocalGradients() {
        return Cases.dynamicTests("graph edges", 200, Gen::seed, seed -> {
            Value root = ValueTeachingTest.randomExpression(new Gen(seed));
            List<Value> topo = root.topologicalOrder();
            ExpressionGraph graph = ExpressionGraph.of(root);
            assertEquals(topo.size(), graph.nodes().size());
            int edges = 0;
            for (int id = 0; id < topo.size(); id++) {
                Value v = topo.get(id);
                ExpressionGraph.Node node = graph.nodes().get(id);
                assertEquals(id, node.id());
                assertEquals(v.op(), node.op());
                assertEquals(v.data(), node.data());
                for (int c = 0; c < v.childCount(); c++) {
                    ExpressionGraph.Edge edge = graph.edges().get(edges++);
                    assertEquals(id, edge.parent());
                    assertEquals(c, edge.operand());
                    assertTrue(topo.get(edge.child()) == v.child(c), "the edge's child is the node's operand");
                    assertTrue(edge.child() < edge.parent(), "children come first");
                    assertEquals(v.localGrad(c), edge.localGrad());
                }
            }
            assertEquals(edges, graph.edges().size());
        });
    }

    @TestFactory
    Stream<DynamicTest> replayingTheBackwardStepsGivesBackwardsGradientsBitForBit() {
        return Cases.dynamicTests("backward steps replay backward()", 300, Gen::seed, seed -> {
            Value root = ValueTeachingTest.randomExpression(new Gen(seed));
            ExpressionGraph before = ExpressionGraph.of(root);
            root.backward();
            ExpressionGraph after = ExpressionGraph.of(root);
            double[] grads = new double[before.nodes().size()];
            grads[grads.length - 1] = 1.0;
            for (ExpressionGraph.BackwardStep step : before.backwardSteps()) {
                int child = step.edge().child();
                assertEquals(grads[child], step.childGradBefore());
                assertEquals(grads[step.edge().parent()], step.parentGrad());
                grads[child] += step.edge().localGrad() * step.parentGrad();
                assertEquals(grads[child], step.childGradAfter());
            }
            for (int i = 0; i < grads.length; i++) {
                assertEquals(Double.doubleToLongBits(after.nodes().get(i).grad()), Double.doubleToLongBits(grads[i]),
                        "node " + i);
            }
            assertEquals(before.edges().size(), before.backwardSteps().size());
        });
    }

    /**
     * An overflow (1e308 * 10, inf in Python too: only log, exp and pow refuse) and what flows from
     * it read as Python writes them, inf and nan, in both pictures.
     */
    @Test
    void numbersThatAreNotFiniteReadInfAndNanNotInfinity() {
        Value x = new Value(1e308).label("x");
        Value o = x.mul(10.0).mul(new Value(0));   // inf, then inf * 0 = nan
        o.backward();
        ExpressionGraph graph = ExpressionGraph.of(o);
        for (String picture : List.of(graph.toDot(), graph.toSvg())) {
            assertTrue(picture.contains("data inf") && picture.contains("data nan"), picture);
            assertFalse(picture.contains("Infinity") || picture.contains("NaN"), picture);
        }
    }

    /**
     * The numbers on the pictures are micrograd's {@code %.4f} as Python prints it: 2.00005 is
     * stored as 2.0000499999999998835..., which Python rounds to 2.0000 (String.format gave 2.0001),
     * and 0.00005 as 0.0000500000000000000024..., which rounds up; a negative number that rounds to
     * zero keeps its sign.
     */
    @Test
    void numbersReadAsPythonPrintsThem() {
        for (double[] c : new double[][] {{2.00005, 2.0}, {0.00005, 0.0001}, {-0.00001, -0.0}}) {
            ExpressionGraph graph = ExpressionGraph.of(new Value(c[0]));
            String expected = "data " + (c[1] == 0 && 1 / c[1] < 0 ? "-0.0000" : String.format(java.util.Locale.ROOT,
                    "%.4f", c[1]));
            for (String picture : List.of(graph.toDot(), graph.toSvg())) {
                assertTrue(picture.contains(expected), c[0] + " should read " + expected + ": " + picture);
            }
        }
    }

    @Test
    void dotHasABoxPerValueAnOperationNodePerResultAndAnEdgePerOperand() {
        Value o = neuron();
        o.backward();
        String dot = ExpressionGraph.of(o).toDot();
        assertTrue(dot.startsWith("digraph expression {\n  rankdir=LR;"), dot);
        assertTrue(dot.contains("[shape=record, label=\"{ o | data 0.7071 | grad 1.0000 }\"]"), dot);
        assertTrue(dot.contains("[shape=circle, label=\"tanh\"]"), dot);
        assertEquals(10, count(dot, "shape=record"));
        assertEquals(5, count(dot, "shape=circle"));
        assertEquals(9, count(dot, "[label=\"local "));
        assertTrue(dot.endsWith("}\n"));
    }

    @Test
    void labelsAreEscapedInDotAndSvg() {
        Value v = new Value(1.0).label("a|b<\"&>{}").add(1.0);
        ExpressionGraph graph = ExpressionGraph.of(v);
        assertTrue(graph.toDot().contains("a\\|b\\<\\\"&\\>\\{\\}"), graph.toDot());
        String svg = graph.toSvg();
        assertTrue(svg.contains("a|b&lt;&quot;&amp;&gt;{}"), svg);
        assertTrue(!svg.contains("<\"") && !svg.contains("\"&>"), "no raw label characters in the SVG");
    }

    @TestFactory
    Stream<DynamicTest> everySvgIsWellFormedWithABoxPerNode() {
        return Cases.dynamicTests("svg of a random graph", 100, Gen::seed, seed -> {
            Value root = ValueTeachingTest.randomExpression(new Gen(seed));
            root.backward();
            ExpressionGraph graph = ExpressionGraph.of(root);
            String svg = graph.toSvg();
            assertTrue(svg.startsWith("<svg xmlns=\"http://www.w3.org/2000/svg\"") && svg.endsWith("</svg>\n"));
            assertEquals(graph.nodes().size(), count(svg, "<rect ") - 1, "a box per node, plus the background");
            assertEquals(graph.edges().size(), count(svg, "<path "));
            long inner = graph.nodes().stream().filter(n -> n.op() != Operation.LEAF).count();
            assertEquals(inner, count(svg, "<circle "));
            assertEquals(graph.nodes().size() + graph.edges().size(), count(svg, "<g id=\""));
            assertEquals(count(svg, "<g id=\""), count(svg, "</g>"));
            assertEquals(0, count(svg, "<g>"), "every group has an id");
        });
    }

    /**
     * The graphs the project draws (README's neuron, the simulator's logit {@code w·x} and
     * attention score {@code q·k/√d}) are trees: no edge may pass behind a box or an operation
     * circle other than its own two ends, or the picture shows an operation with an operand too
     * many and another with one too few (as it did when every leaf stood in the first column and
     * the neuron's {@code b} ran behind the first {@code +}).
     */
    @TestFactory
    Stream<DynamicTest> noEdgeOfATreePassesBehindAnotherNode() {
        Value[] w = new Value[6];
        Value[] x = new Value[6];
        for (int i = 0; i < w.length; i++) {
            w[i] = new Value(0.1 * i - 0.2).label("w" + i);
            x[i] = new Value(1.0 - 0.3 * i).label("x" + i);
        }
        Value logit = Value.sumOfProducts(w, 0, x, 0, w.length).label("logit");
        Value score = Value.sumOfProducts(w, 0, x, 0, 4).div(Math.pow(4, 0.5)).label("score");
        Value chain = Value.sum(w[0].mul(x[0]), w[1].mul(x[1]), w[2].tanh(), x[2].exp().mul(x[3])).relu();
        return Stream.of(neuron(), logit, score, chain).map(root -> DynamicTest.dynamicTest(
                ExpressionGraph.of(root).toString(), () -> {
                    root.backward();
                    assertEquals(List.of(), edgesBehindOtherNodes(ExpressionGraph.of(root).toSvg()));
                }));
    }

    /**
     * In a graph that reuses a value ({@code x*w + x}, {@code GraphCommand}'s {@code --expr} can
     * write any), an edge may span several columns: it runs through rows of its own there.
     */
    @TestFactory
    Stream<DynamicTest> noEdgeOfAnyGraphPassesBehindAnotherNode() {
        return Cases.dynamicTests("edges of a random graph", 200, Gen::seed, seed -> {
            Value root = ValueTeachingTest.randomExpression(new Gen(seed));
            assertEquals(List.of(), edgesBehindOtherNodes(ExpressionGraph.of(root).toSvg()));
        });
    }

    /** {@code tanh(x*w + x) * w}: x and w each feed two operations, in different columns. */
    @Test
    void anEdgeFromAReusedValuePassesNoOtherNode() {
        Value x = new Value(2.0).label("x");
        Value w = new Value(-3.0).label("w");
        Value root = x.mul(w).add(x).tanh().mul(w);
        assertEquals(List.of(), edgesBehindOtherNodes(ExpressionGraph.of(root).toSvg()));
    }

    /**
     * {@code x + x + ... + x}, 1,000 times: x's edges would cross some 500,000 rows, more than a
     * picture anyone reads; past the bound the edges are drawn straight, as one curve each.
     */
    @Test
    void aGraphTooLargeToRouteHasItsEdgesDrawnStraight() {
        Value x = new Value(1.0).label("x");
        Value total = x;
        for (int i = 0; i < 1000; i++) {
            total = total.add(x);
        }
        String svg = ExpressionGraph.of(total).toSvg();
        assertEquals(2000, count(svg, "<path "));
        assertEquals(0, count(svg, " L "), "no waypoints");
        // Small enough, the same shape is routed: x's edge into the 10th sum crosses 9 columns.
        Value small = x;
        for (int i = 0; i < 10; i++) {
            small = small.add(x);
        }
        assertEquals(9 * 10 / 2, count(ExpressionGraph.of(small).toSvg(), " L "));
    }

    /**
     * Every edge that passes behind a node other than its ends, read from the SVG: a node is its
     * box with, for an operation, the circle and the line to the box; an edge is its path, a
     * cubic curve sampled at 200 points.
     */
    private static List<String> edgesBehindOtherNodes(String svg) {
        Matcher node = Pattern.compile("<g id=\"n(\\d+)\"><title>[^<]*</title>(?:<line [^>]*>"
                + "<circle cx=\"([-\\d.]+)\" cy=\"[-\\d.]+\" r=\"([\\d.]+)\"[^>]*>)?[^\n]*?"
                + "<rect x=\"([-\\d.]+)\" y=\"([-\\d.]+)\" width=\"([\\d.]+)\" height=\"([\\d.]+)\"").matcher(svg);
        List<double[]> areas = new ArrayList<>();
        while (node.find()) {
            double x = Double.parseDouble(node.group(4));
            double left = node.group(2) == null ? x : Double.parseDouble(node.group(2)) - Double.parseDouble(node.group(3));
            double y = Double.parseDouble(node.group(5));
            assertEquals(areas.size(), Integer.parseInt(node.group(1)), "nodes in id order");
            areas.add(new double[] {left, y, x + Double.parseDouble(node.group(6)), y + Double.parseDouble(node.group(7))});
        }
        Matcher edge = Pattern.compile("<g id=\"e\\d+\"><title>n(\\d+) -&gt; n(\\d+)[^<]*</title><path d=\"([^\"]*)\"")
                .matcher(svg);
        List<String> behind = new ArrayList<>();
        int edges = 0;
        while (edge.find()) {
            edges++;
            int child = Integer.parseInt(edge.group(1));
            int parent = Integer.parseInt(edge.group(2));
            for (double[] point : pathPoints(edge.group(3))) {
                for (int n = 0; n < areas.size(); n++) {
                    double[] a = areas.get(n);
                    // One pixel inside, so that an edge may touch a box it only passes beside.
                    if (n != child && n != parent && point[0] > a[0] + 1 && point[0] < a[2] - 1
                            && point[1] > a[1] + 1 && point[1] < a[3] - 1) {
                        behind.add("n" + child + " -> n" + parent + " behind n" + n);
                        break;
                    }
                }
            }
        }
        assertTrue(edges > 0 && !areas.isEmpty(), "the SVG was read: " + edges + " edges, " + areas.size() + " nodes");
        return behind.stream().distinct().toList();
    }

    /** Points along a path of {@code M x y} followed by {@code C} curves and {@code L} lines. */
    private static List<double[]> pathPoints(String d) {
        String[] t = d.trim().split("\\s+");
        assertEquals("M", t[0], d);
        double cx = Double.parseDouble(t[1]);
        double cy = Double.parseDouble(t[2]);
        List<double[]> points = new ArrayList<>();
        int i = 3;
        while (i < t.length) {
            double[] p = new double[6];
            int n = t[i].equals("C") ? 6 : 2;
            assertTrue(t[i].equals("C") || t[i].equals("L"), d);
            for (int k = 0; k < n; k++) {
                p[k] = Double.parseDouble(t[i + 1 + k]);
            }
            for (int s = 0; s <= 200; s++) {
                double u = s / 200.0;
                double v = 1 - u;
                points.add(n == 2 ? new double[] {cx + u * (p[0] - cx), cy + u * (p[1] - cy)} : new double[] {
                    v * v * v * cx + 3 * v * v * u * p[0] + 3 * v * u * u * p[2] + u * u * u * p[4],
                    v * v * v * cy + 3 * v * v * u * p[1] + 3 * v * u * u * p[3] + u * u * u * p[5]});
            }
            cx = p[n - 2];
            cy = p[n - 1];
            i += 1 + n;
        }
        return points;
    }

    @Test
    void everyNodeAndEdgeGroupCarriesItsIndexAsItsId() {
        Value x = new Value(2.0).label("x");
        Value w = new Value(-3.0).label("w");
        Value out = x.mul(w).add(x).tanh().label("out");
        out.backward();
        ExpressionGraph graph = ExpressionGraph.of(out);

        Matcher group = Pattern.compile("<g id=\"([^\"]*)\"><title>([^<]*)</title>").matcher(graph.toSvg());
        List<String> ids = new ArrayList<>();
        List<String> titles = new ArrayList<>();
        while (group.find()) {
            ids.add(group.group(1));
            titles.add(group.group(2));
        }

        // Edges first, then nodes, each group named by its index; its tooltip says which it is.
        assertEquals(graph.edges().size() + graph.nodes().size(), ids.size(), ids.toString());
        for (int e = 0; e < graph.edges().size(); e++) {
            ExpressionGraph.Edge edge = graph.edges().get(e);
            assertEquals("e" + e, ids.get(e));
            assertTrue(titles.get(e).startsWith("n" + edge.child() + " -&gt; n" + edge.parent() + ": "), titles.get(e));
        }
        for (ExpressionGraph.Node node : graph.nodes()) {
            int k = graph.edges().size() + node.id();
            assertEquals("n" + node.id(), ids.get(k));
            String name = node.label() == null ? "n" + node.id() : node.label();
            assertTrue(titles.get(k).startsWith(name + " (") && titles.get(k).endsWith(", grad " + node.grad()),
                    titles.get(k));
        }
        assertEquals("n" + (graph.nodes().size() - 1), ids.get(ids.size() - 1), "the result is the last node");
    }

    private static int count(String text, String part) {
        int n = 0;
        for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) {
            n++;
        }
        return n;
    }
}
