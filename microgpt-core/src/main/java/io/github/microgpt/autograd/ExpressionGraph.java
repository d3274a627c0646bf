package io.github.microgpt.autograd;

import io.github.microgpt.internal.PythonFormat;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The expression graph behind a {@link Value}: every node it was computed from, with the
 * operation, {@code data} and {@code grad} of each, and every edge with its local gradient. It is
 * what micrograd's {@code draw_dot} draws, as data for a program ({@link #nodes()},
 * {@link #edges()}, {@link #backwardSteps()}), as a Graphviz file ({@link #toDot()}) and as a
 * picture that needs no Graphviz ({@link #toSvg()}).
 *
 * <pre>{@code
 * Value x = new Value(2.0).label("x");
 * Value w = new Value(-3.0).label("w");
 * Value b = new Value(6.8813735870195432).label("b");
 * Value out = x.mul(w).add(b).tanh().label("out");
 * out.backward();
 * Files.writeString(Path.of("neuron.svg"), ExpressionGraph.of(out).toSvg());
 * }</pre>
 *
 * <p>The graph is a snapshot: it copies each node's {@code data} and {@code grad} when it is
 * made, so take it after {@link Value#backward()} to see the gradients (or before, to see
 * zeros). Nodes are numbered in {@link Value#topologicalOrder()}, children before parents and the
 * result last. A GPT's loss has some hundred thousand nodes; the formats work for any size, but
 * a picture is only readable for small expressions (a neuron, an attention score).
 *
 * <p>Immutable and thread-safe once made; {@link #of} reads the {@code Value}s, which must not
 * change while it does.
 */
public final class ExpressionGraph {

    /**
     * One node of the graph, made by {@link ExpressionGraph#of ExpressionGraph.of} only: a final
     * class rather than a record, so that a later release can tell more (a new accessor) without
     * breaking a program that reads it.
     */
    public static final class Node {

        private final int id;
        private final Operation op;
        private final String label;
        private final double data;
        private final double grad;
        private final int layer;

        /** Made by {@link ExpressionGraph#of} only. */
        private Node(int id, Operation op, String label, double data, double grad, int layer) {
            this.id = id;
            this.op = op;
            this.label = label;
            this.data = data;
            this.grad = grad;
            this.layer = layer;
        }

        /**
         * Its number: its index in {@link ExpressionGraph#nodes()}, a topological order.
         *
         * @return the node's id
         */
        public int id() {
            return id;
        }

        /**
         * The operation that made it.
         *
         * @return the operation
         */
        public Operation op() {
            return op;
        }

        /**
         * Its {@link Value#label()}, or {@code null}.
         *
         * @return the label, or {@code null}
         */
        public String label() {
            return label;
        }

        /**
         * Its value when the graph was taken.
         *
         * @return the value
         */
        public double data() {
            return data;
        }

        /**
         * Its gradient when the graph was taken.
         *
         * @return the gradient
         */
        public double grad() {
            return grad;
        }

        /**
         * Its depth: 0 for a leaf, otherwise one more than its deepest child.
         *
         * @return the depth
         */
        public int layer() {
            return layer;
        }

        /**
         * Whether another object is a {@code Node} with the same components, the numbers as
         * {@link Double#compare} compares them (as a record would).
         *
         * @param other another object
         * @return whether it is equal
         */
        @Override
        public boolean equals(Object other) {
            return other instanceof Node e
                    && id == e.id
                    && Objects.equals(op, e.op)
                    && Objects.equals(label, e.label)
                    && Double.compare(data, e.data) == 0
                    && Double.compare(grad, e.grad) == 0
                    && layer == e.layer;
        }

        /**
         * A hash code consistent with {@link #equals(Object)}.
         *
         * @return the hash code
         */
        @Override
        public int hashCode() {
            return Objects.hash(id, op, label, data, grad, layer);
        }

        /**
         * Shows every component, as a record would.
         *
         * @return for example {@code Node[id=0, op=LEAF, label=null, data=2.0, grad=3.0, layer=0]}
         */
        @Override
        public String toString() {
            return "Node[id=" + id + ", op=" + op + ", label=" + label + ", data=" + data + ", grad=" + grad
                    + ", layer=" + layer + "]";
        }
    }

    /**
     * One edge, a child and the parent computed from it, made by
     * {@link ExpressionGraph#of ExpressionGraph.of} only: a final class rather than a record, so
     * that a later release can tell more (a new accessor) without breaking a program that reads
     * it.
     */
    public static final class Edge {

        private final int child;
        private final int parent;
        private final int operand;
        private final double localGrad;

        /** Made by {@link ExpressionGraph#of} only. */
        private Edge(int child, int parent, int operand, double localGrad) {
            this.child = child;
            this.parent = parent;
            this.operand = operand;
            this.localGrad = localGrad;
        }

        /**
         * The child's id.
         *
         * @return the child's id
         */
        public int child() {
            return child;
        }

        /**
         * The parent's id.
         *
         * @return the parent's id
         */
        public int parent() {
            return parent;
        }

        /**
         * Which operand of the parent the child is: 0 (left or only) or 1 (right);
         * {@code x * x} has two edges from the same child.
         *
         * @return 0 or 1
         */
        public int operand() {
            return operand;
        }

        /**
         * The derivative of the parent with respect to this operand, recorded when the parent
         * was computed: the factor {@code backward()} multiplies the parent's gradient by.
         *
         * @return the local gradient
         */
        public double localGrad() {
            return localGrad;
        }

        /**
         * Whether another object is a {@code Edge} with the same components, the numbers as
         * {@link Double#compare} compares them (as a record would).
         *
         * @param other another object
         * @return whether it is equal
         */
        @Override
        public boolean equals(Object other) {
            return other instanceof Edge e
                    && child == e.child
                    && parent == e.parent
                    && operand == e.operand
                    && Double.compare(localGrad, e.localGrad) == 0;
        }

        /**
         * A hash code consistent with {@link #equals(Object)}.
         *
         * @return the hash code
         */
        @Override
        public int hashCode() {
            return Objects.hash(child, parent, operand, localGrad);
        }

        /**
         * Shows every component, as a record would.
         *
         * @return for example {@code Edge[child=0, parent=2, operand=0, localGrad=3.0]}
         */
        @Override
        public String toString() {
            return "Edge[child=" + child + ", parent=" + parent + ", operand=" + operand + ", localGrad="
                    + localGrad + "]";
        }
    }

    /**
     * One addition of {@link Value#backward()}'s definition, {@code child.grad += localGrad *
     * parent.grad}, with the numbers before and after: what a page shows as it walks backward
     * node by node. Made by {@link ExpressionGraph#backwardSteps} only: a final class rather than a
     * record, so that a later release can tell more (a new accessor) without breaking a program
     * that reads it.
     */
    public static final class BackwardStep {

        private final Edge edge;
        private final double parentGrad;
        private final double childGradBefore;
        private final double childGradAfter;

        /** Made by {@link ExpressionGraph#backwardSteps} only. */
        private BackwardStep(Edge edge, double parentGrad, double childGradBefore, double childGradAfter) {
            this.edge = edge;
            this.parentGrad = parentGrad;
            this.childGradBefore = childGradBefore;
            this.childGradAfter = childGradAfter;
        }

        /**
         * The edge the gradient flows back along.
         *
         * @return the edge
         */
        public Edge edge() {
            return edge;
        }

        /**
         * The parent's gradient, complete by the time it is passed on.
         *
         * @return the parent's gradient
         */
        public double parentGrad() {
            return parentGrad;
        }

        /**
         * The child's gradient before this addition.
         *
         * @return the gradient before
         */
        public double childGradBefore() {
            return childGradBefore;
        }

        /**
         * {@code childGradBefore + edge.localGrad() * parentGrad}.
         *
         * @return the gradient after
         */
        public double childGradAfter() {
            return childGradAfter;
        }

        /**
         * Whether another object is a {@code BackwardStep} with the same components, the numbers as
         * {@link Double#compare} compares them (as a record would).
         *
         * @param other another object
         * @return whether it is equal
         */
        @Override
        public boolean equals(Object other) {
            return other instanceof BackwardStep e
                    && Objects.equals(edge, e.edge)
                    && Double.compare(parentGrad, e.parentGrad) == 0
                    && Double.compare(childGradBefore, e.childGradBefore) == 0
                    && Double.compare(childGradAfter, e.childGradAfter) == 0;
        }

        /**
         * A hash code consistent with {@link #equals(Object)}.
         *
         * @return the hash code
         */
        @Override
        public int hashCode() {
            return Objects.hash(edge, parentGrad, childGradBefore, childGradAfter);
        }

        /**
         * Shows every component, as a record would.
         *
         * @return for example {@code BackwardStep[edge=Edge[child=0, parent=2, operand=0, localGrad=3.0],
         *     parentGrad=1.0, childGradBefore=0.0, childGradAfter=3.0]}
         */
        @Override
        public String toString() {
            return "BackwardStep[edge=" + edge + ", parentGrad=" + parentGrad + ", childGradBefore="
                    + childGradBefore + ", childGradAfter=" + childGradAfter + "]";
        }
    }

    private final List<Node> nodes;
    private final List<Edge> edges;

    private ExpressionGraph(List<Node> nodes, List<Edge> edges) {
        this.nodes = nodes;
        this.edges = edges;
    }

    /**
     * Takes the graph of {@code root}: the root and every node it was computed from.
     *
     * @param root the result, for example a loss
     * @return a snapshot of its graph
     */
    public static ExpressionGraph of(Value root) {
        Objects.requireNonNull(root, "root");
        List<Value> topo = root.topologicalOrder();
        Map<Value, Integer> ids = new IdentityHashMap<>();
        List<Node> nodes = new ArrayList<>(topo.size());
        List<Edge> edges = new ArrayList<>();
        int[] layers = new int[topo.size()];
        for (int id = 0; id < topo.size(); id++) {
            Value v = topo.get(id);
            ids.put(v, id);
            int layer = 0;
            for (int c = 0; c < v.childCount(); c++) {
                int child = ids.get(v.child(c));
                layer = Math.max(layer, layers[child] + 1);
                edges.add(new Edge(child, id, c, v.localGrad(c)));
            }
            layers[id] = layer;
            nodes.add(new Node(id, v.op(), v.label(), v.data(), v.grad(), layer));
        }
        return new ExpressionGraph(Collections.unmodifiableList(nodes), Collections.unmodifiableList(edges));
    }

    /**
     * The nodes in topological order: every node after all of its children, the root last.
     *
     * @return an unmodifiable list; node {@code i} has id {@code i}
     */
    public List<Node> nodes() {
        return nodes;
    }

    /**
     * The edges, parent by parent in topological order, each parent's operands in order.
     *
     * @return an unmodifiable list
     */
    public List<Edge> edges() {
        return edges;
    }

    /**
     * The root: the value the graph was taken of.
     *
     * @return the last node
     */
    public Node root() {
        return nodes.get(nodes.size() - 1);
    }

    /**
     * The additions {@link Value#backward()} makes, in its order, replayed from gradients of 0
     * on this snapshot's local gradients: the parents from the root back towards the leaves
     * (reverse topological order), each parent's operands in order. After the last step every
     * node's gradient is its derivative of the root, which is the {@code grad} of a graph taken
     * after one {@code backward()} from zero.
     *
     * @return the steps, in order
     */
    public List<BackwardStep> backwardSteps() {
        double[] grads = new double[nodes.size()];
        grads[nodes.size() - 1] = 1.0;
        // The edges are grouped by parent in topological order; walk the groups from the last.
        List<BackwardStep> steps = new ArrayList<>(edges.size());
        int end = edges.size();
        while (end > 0) {
            int parent = edges.get(end - 1).parent();
            int start = end;
            while (start > 0 && edges.get(start - 1).parent() == parent) {
                start--;
            }
            for (int e = start; e < end; e++) {
                Edge edge = edges.get(e);
                double before = grads[edge.child()];
                grads[edge.child()] = before + edge.localGrad() * grads[parent];
                steps.add(new BackwardStep(edge, grads[parent], before, grads[edge.child()]));
            }
            end = start;
        }
        return Collections.unmodifiableList(steps);
    }

    // ------------------------------------------------------------------------------ Graphviz

    /**
     * The graph in Graphviz's DOT language, drawn as micrograd draws it: left to right, each
     * value a box {@code label | data | grad}, each operation a small node of its own between
     * its operands and its result, each edge from an operand marked with its local gradient.
     * Render it with {@code dot -Tsvg graph.dot > graph.svg}.
     *
     * @return the DOT text
     */
    public String toDot() {
        StringBuilder dot = new StringBuilder();
        dot.append("digraph expression {\n");
        dot.append("  rankdir=LR;\n");
        dot.append("  node [fontname=\"Helvetica\"];\n");
        dot.append("  edge [fontname=\"Helvetica\", fontsize=9, fontcolor=\"#666666\"];\n");
        for (Node node : nodes) {
            dot.append("  n").append(node.id()).append(" [shape=record, label=\"{ ")
                    .append(dotEscape(node.label() == null ? "" : node.label()))
                    .append(" | data ").append(fourDecimals(node.data()))
                    .append(" | grad ").append(fourDecimals(node.grad())).append(" }\"];\n");
            if (node.op() != Operation.LEAF) {
                dot.append("  n").append(node.id()).append("op [shape=circle, label=\"")
                        .append(dotEscape(node.op().symbol())).append("\"];\n");
                dot.append("  n").append(node.id()).append("op -> n").append(node.id()).append(";\n");
            }
        }
        for (Edge edge : edges) {
            dot.append("  n").append(edge.child()).append(" -> n").append(edge.parent())
                    .append("op [label=\"local ").append(fourDecimals(edge.localGrad())).append("\"];\n");
        }
        dot.append("}\n");
        return dot.toString();
    }

    private static String dotEscape(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if ("{}|<>\"\\ ".indexOf(c) >= 0) {
                out.append('\\');
            }
            if (c == '\n' || c == '\r') {
                out.append(' ');
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    // ----------------------------------------------------------------------------------- SVG

    private static final int BOX_WIDTH = 200;
    private static final int BOX_HEIGHT = 34;
    private static final int OP_RADIUS = 14;
    /** From a column's boxes to the next column's: room for the operation circle and the edges. */
    private static final int COLUMN_WIDTH = BOX_WIDTH + 110;
    private static final int ROW_HEIGHT = 54;
    private static final int MARGIN = 20;
    /** The most waypoints {@link #toSvg()} routes edges through (each is a slot in a column). */
    private static final int MAX_WAYPOINTS = 200_000;

    /**
     * The graph as a self-contained SVG picture, laid out here (no Graphviz needed): the same
     * boxes and operation circles as {@link #toDot()}, the root on the right, each node one column
     * before the first operation that uses it (so the bias {@code b} of {@code x1*w1 + x2*w2 + b}
     * stands beside the first sum, next to the {@code +} it enters), each column ordered by where
     * its nodes' edges go, each edge labelled with its local gradient. In a tree (a neuron, a dot
     * product) every edge runs to the next column; an edge from a value used again further right
     * runs through rows of its own in the columns between, so that no edge passes behind a box it
     * does not belong to (up to 200,000 such row crossings in all; a graph that needs more, a
     * GPT's loss, has its edges drawn straight across). Every box, circle and edge has a tooltip.
     *
     * <p>Each edge is a group {@code <g id="eK">} and each node a group {@code <g id="nI">}, where
     * {@code K} is the edge's index in {@link #edges()} and {@code I} the node's {@link Node#id()}
     * (the names {@link #toDot()} gives the nodes too), so that a program that shows the picture
     * can find a node or an edge by its id, for example to mark the one {@code backward()} is at.
     *
     * @return the SVG document
     */
    public String toSvg() {
        int[] column = columns();
        int columns = root().layer() + 1;
        // Slots 0 to n-1 are the nodes. An edge across more than one column gets a waypoint, a
        // slot of its own, in each column between, so that it runs there in a row no box takes.
        List<Integer> slotColumn = new ArrayList<>();
        List<List<Integer>> towardsRoot = new ArrayList<>();
        for (Node node : nodes) {
            slotColumn.add(column[node.id()]);
            towardsRoot.add(new ArrayList<>());
        }
        // A graph as large as a GPT's loss may have edges across thousands of columns; it is no
        // picture to read, and past a bound its edges are drawn straight, without waypoints.
        long allWaypoints = 0;
        for (Edge edge : edges) {
            allWaypoints += column[edge.parent()] - column[edge.child()] - 1;
        }
        boolean route = allWaypoints <= MAX_WAYPOINTS;
        int[][] waypoints = new int[edges.size()][];
        for (int e = 0; e < edges.size(); e++) {
            Edge edge = edges.get(e);
            waypoints[e] = new int[route ? column[edge.parent()] - column[edge.child()] - 1 : 0];
            int from = edge.child();
            for (int k = 0; k < waypoints[e].length; k++) {
                int slot = slotColumn.size();
                slotColumn.add(column[edge.child()] + 1 + k);
                towardsRoot.add(new ArrayList<>());
                towardsRoot.get(from).add(slot);
                waypoints[e][k] = slot;
                from = slot;
            }
            towardsRoot.get(from).add(edge.parent());
        }
        List<List<Integer>> byColumn = new ArrayList<>();
        for (int i = 0; i < columns; i++) {
            byColumn.add(new ArrayList<>());
        }
        for (int slot = 0; slot < slotColumn.size(); slot++) {
            byColumn.get(slotColumn.get(slot)).add(slot);
        }
        int rows = 0;
        for (List<Integer> slotsOfColumn : byColumn) {
            rows = Math.max(rows, slotsOfColumn.size());
        }
        int height = 2 * MARGIN + rows * ROW_HEIGHT;
        int width = 2 * MARGIN + (columns - 1) * COLUMN_WIDTH + BOX_WIDTH;
        double[] row = orderRows(byColumn, towardsRoot, rows);
        // Box positions (a waypoint's is the box it stands in for): column as placed, row as ordered.
        double[] boxX = new double[slotColumn.size()];
        double[] boxY = new double[slotColumn.size()];
        for (int slot = 0; slot < slotColumn.size(); slot++) {
            boxX[slot] = MARGIN + slotColumn.get(slot) * COLUMN_WIDTH;
            boxY[slot] = MARGIN + row[slot] * ROW_HEIGHT + (ROW_HEIGHT - BOX_HEIGHT) / 2.0;
        }

        StringBuilder svg = new StringBuilder();
        svg.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(width).append("\" height=\"")
                .append(height).append("\" viewBox=\"0 0 ").append(width).append(' ').append(height)
                .append("\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">\n");
        svg.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        // Edges first, so that boxes and circles are drawn over their ends.
        for (int e = 0; e < edges.size(); e++) {
            Edge edge = edges.get(e);
            double x1 = boxX[edge.child()] + BOX_WIDTH;
            double y1 = boxY[edge.child()] + BOX_HEIGHT / 2.0;
            svg.append("<g id=\"e").append(e).append("\"><title>")
                    .append(xmlEscape("n" + edge.child() + " -> n" + edge.parent() + ": local gradient "
                            + exact(edge.localGrad()))).append("</title>");
            svg.append("<path d=\"M ").append(coordinate(x1)).append(' ').append(coordinate(y1));
            // Through each waypoint: a curve to where its operation circle would start, then
            // straight across its row to the right edge of its column.
            for (int slot : waypoints[e]) {
                double y = boxY[slot] + BOX_HEIGHT / 2.0;
                curve(svg, x1, y1, opX(boxX[slot]) - OP_RADIUS, y);
                x1 = boxX[slot] + BOX_WIDTH;
                y1 = y;
                svg.append(" L ").append(coordinate(x1)).append(' ').append(coordinate(y1));
            }
            double x2 = opX(boxX[edge.parent()]) - OP_RADIUS;
            double y2 = boxY[edge.parent()] + BOX_HEIGHT / 2.0;
            curve(svg, x1, y1, x2, y2);
            svg.append("\" fill=\"none\" stroke=\"#888888\"/>");
            // The label sits at the middle of the last curve, where edges into one operation part.
            svg.append("<text x=\"").append(coordinate((x1 + x2) / 2)).append("\" y=\"")
                    .append(coordinate((y1 + y2) / 2 - 3))
                    .append("\" text-anchor=\"middle\" font-size=\"9\" fill=\"#666666\">\u00d7")
                    .append(fourDecimals(edge.localGrad())).append("</text></g>\n");
        }
        for (Node node : nodes) {
            double x = boxX[node.id()];
            double y = boxY[node.id()];
            double midY = y + BOX_HEIGHT / 2.0;
            String name = node.label() == null ? "n" + node.id() : node.label();
            svg.append("<g id=\"n").append(node.id()).append("\"><title>")
                    .append(xmlEscape(name + " (" + describe(node.op()) + "): data " + exact(node.data()) + ", grad "
                            + exact(node.grad()))).append("</title>");
            if (node.op() != Operation.LEAF) {
                double cx = opX(x);
                svg.append("<line x1=\"").append(coordinate(cx + OP_RADIUS)).append("\" y1=\"").append(coordinate(midY))
                        .append("\" x2=\"").append(coordinate(x)).append("\" y2=\"").append(coordinate(midY))
                        .append("\" stroke=\"#888888\"/>");
                svg.append("<circle cx=\"").append(coordinate(cx)).append("\" cy=\"").append(coordinate(midY))
                        .append("\" r=\"").append(OP_RADIUS).append("\" fill=\"#eef3fb\" stroke=\"#33506e\"/>");
                svg.append("<text x=\"").append(coordinate(cx)).append("\" y=\"").append(coordinate(midY + 4))
                        .append("\" text-anchor=\"middle\" font-size=\"10\">").append(xmlEscape(node.op().symbol()))
                        .append("</text>");
            }
            svg.append("<rect x=\"").append(coordinate(x)).append("\" y=\"").append(coordinate(y))
                    .append("\" width=\"").append(BOX_WIDTH).append("\" height=\"").append(BOX_HEIGHT)
                    .append("\" rx=\"3\" fill=\"").append(node.op() == Operation.LEAF ? "#fff8e6" : "#ffffff")
                    .append("\" stroke=\"#33506e\"/>");
            int labelWidth = 44;
            svg.append("<text x=\"").append(coordinate(x + labelWidth / 2.0)).append("\" y=\"")
                    .append(coordinate(midY + 4)).append("\" text-anchor=\"middle\" font-weight=\"bold\">")
                    .append(xmlEscape(shorten(node.label() == null ? "" : node.label(), 6))).append("</text>");
            svg.append("<line x1=\"").append(coordinate(x + labelWidth)).append("\" y1=\"").append(coordinate(y))
                    .append("\" x2=\"").append(coordinate(x + labelWidth)).append("\" y2=\"")
                    .append(coordinate(y + BOX_HEIGHT)).append("\" stroke=\"#33506e\"/>");
            svg.append("<text x=\"").append(coordinate(x + labelWidth + 6)).append("\" y=\"")
                    .append(coordinate(y + 14)).append("\">data ").append(fourDecimals(node.data())).append("</text>");
            svg.append("<text x=\"").append(coordinate(x + labelWidth + 6)).append("\" y=\"")
                    .append(coordinate(y + 28)).append("\" fill=\"#b03a2e\">grad ").append(fourDecimals(node.grad()))
                    .append("</text></g>\n");
        }
        svg.append("</svg>\n");
        return svg.toString();
    }

    private static double opX(double boxX) {
        return boxX - 30;
    }

    /** A path's cubic curve from (x1, y1) to (x2, y2), level at both ends. */
    private static void curve(StringBuilder svg, double x1, double y1, double x2, double y2) {
        double bend = (x2 - x1) / 2;
        svg.append(" C ").append(coordinate(x1 + bend)).append(' ').append(coordinate(y1))
                .append(' ').append(coordinate(x2 - bend)).append(' ').append(coordinate(y2))
                .append(' ').append(coordinate(x2)).append(' ').append(coordinate(y2));
    }

    /**
     * Each node's column: the root's is its {@link Node#layer()}, and every other node stands one
     * column before its earliest parent (the one furthest left). A node's layer would put every
     * leaf in the first column, so that an edge from a leaf used late (the bias {@code b} of
     * {@code x1*w1 + x2*w2 + b}) would run across the columns between, behind their boxes; placed
     * this way, every edge of a tree spans one column. A column is never less than the layer, so
     * the root's layer still counts the columns.
     */
    private int[] columns() {
        int[] column = new int[nodes.size()];
        Arrays.fill(column, Integer.MAX_VALUE);
        column[nodes.size() - 1] = root().layer();
        // Edges are listed parent by parent in topological order: from the last, every parent's
        // column is final before its children are placed.
        for (int e = edges.size() - 1; e >= 0; e--) {
            Edge edge = edges.get(e);
            column[edge.child()] = Math.min(column[edge.child()], column[edge.parent()] - 1);
        }
        return column;
    }

    /**
     * Orders each column so that edges cross less: from the root leftwards, a slot's place is the
     * mean place of the slots its edges go to (the barycentre heuristic), so that a parent's
     * operands stand together beside it. Ties keep the order of the slots, topological for the
     * nodes, which puts a parent's left operand above its right one.
     *
     * @param byColumn the slots (nodes, then waypoints) of each column
     * @param towardsRoot for each slot, the slots its edges go to, in the next columns
     * @param rows the number of rows of the tallest column; shorter columns are centred
     * @return each slot's row, from 0 at the top (a half row where a column is centred)
     */
    private static double[] orderRows(List<List<Integer>> byColumn, List<List<Integer>> towardsRoot, int rows) {
        double[] row = new double[towardsRoot.size()];
        for (int c = byColumn.size() - 1; c >= 0; c--) {
            List<Integer> slotsOfColumn = byColumn.get(c);
            slotsOfColumn.sort(Comparator.comparingDouble(slot -> mean(towardsRoot.get(slot), row)));
            for (int r = 0; r < slotsOfColumn.size(); r++) {
                row[slotsOfColumn.get(r)] = (rows - slotsOfColumn.size()) / 2.0 + r;
            }
        }
        return row;
    }

    private static double mean(List<Integer> ids, double[] row) {
        double total = 0;
        for (int id : ids) {
            total += row[id];
        }
        return ids.isEmpty() ? 0 : total / ids.size();
    }

    private static String describe(Operation op) {
        return op == Operation.LEAF ? "leaf" : op.name().toLowerCase(Locale.ROOT);
    }

    private static String shorten(String text, int length) {
        return text.length() <= length ? text : text.substring(0, length - 1) + "\u2026";
    }

    private static String coordinate(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }

    /**
     * micrograd's {@code %.4f}, as Python prints it: the exact binary value rounded half to even
     * (where {@code String.format} rounds its shortest decimal half up: {@code 2.00005} is
     * {@code 2.0000} in Python and was {@code 2.0001} here), {@code inf} and {@code nan}.
     */
    private static String fourDecimals(double v) {
        return PythonFormat.fourDecimals(v);
    }

    /** Every digit of a number, for the tooltips. */
    private static String exact(double v) {
        return Double.isFinite(v) ? Double.toString(v) : notFinite(v);
    }

    /**
     * A number that is not finite (an overflow, or a NaN set as data) as Python writes it, {@code inf},
     * {@code -inf} or {@code nan}, which a reader of micrograd knows, not Java's {@code Infinity}.
     */
    private static String notFinite(double v) {
        return Double.isNaN(v) ? "nan" : v > 0 ? "inf" : "-inf";
    }

    private static String xmlEscape(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '&' -> out.append("&amp;");
                case '"' -> out.append("&quot;");
                default -> {
                    // Control characters other than tab and newline are not allowed in XML 1.0.
                    if (c < 0x20 && c != '\t' && c != '\n') {
                        out.append(' ');
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.toString();
    }

    /**
     * The size of the graph and its root.
     *
     * @return for example {@code ExpressionGraph[nodes=3, edges=2, root=Node[id=2, op=MUL, ...]]}
     */
    @Override
    public String toString() {
        return "ExpressionGraph[nodes=" + nodes.size() + ", edges=" + edges.size() + ", root=" + root() + "]";
    }
}
