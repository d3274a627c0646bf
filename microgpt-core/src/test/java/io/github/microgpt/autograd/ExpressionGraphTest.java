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

    /** 1 / 0 and what flows from it read as Python writes them, inf and nan, in both pictures. */
    @Test
    void numbersThatAreNotFiniteReadInfAndNanNotInfinity() {
        Value x = new Value(0).label("x");
        Value o = x.pow(-1).mul(x);   // inf, then 0 * inf = nan
        o.backward();
        ExpressionGraph graph = ExpressionGraph.of(o);
        for (String picture : List.of(graph.toDot(), graph.toSvg())) {
            assertTrue(picture.contains("data inf") && picture.contains("data nan"), picture);
            assertFalse(picture.contains("Infinity") || picture.contains("NaN"), picture);
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
