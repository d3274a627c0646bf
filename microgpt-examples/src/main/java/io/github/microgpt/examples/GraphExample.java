package io.github.microgpt.examples;

import io.github.microgpt.autograd.ExpressionGraph;
import io.github.microgpt.autograd.Value;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The graph behind a number: micrograd's neuron {@code o = tanh(x1*w1 + x2*w2 + b)}, built from
 * labelled {@link Value}s, shown node by node before and after {@code backward()}, then with its
 * gradients zeroed again; and drawn, if a directory is given, as {@code neuron.svg} (open it in a
 * browser) and {@code neuron.dot} (for Graphviz).
 *
 * <p>Every node knows the operation that made it ({@link Value#op()}) and may carry a label;
 * {@link ExpressionGraph} lists the nodes in topological order (children first), the edges with
 * their local gradients, and the additions {@code child.grad += local * parent.grad} that
 * {@code backward()} makes, in its order.
 *
 * <pre>
 * java -cp microgpt-examples/target/microgpt.jar io.github.microgpt.examples.GraphExample /tmp
 * </pre>
 */
public final class GraphExample {

    private GraphExample() {
    }

    /**
     * Prints the graph, and writes the pictures into the directory {@code args[0]} if given.
     *
     * @param args optionally, a directory to write {@code neuron.svg} and {@code neuron.dot} into
     * @throws IOException if a file cannot be written
     */
    public static void main(String[] args) throws IOException {
        run(System.out, args.length > 0 ? Path.of(args[0]) : null);
    }

    /**
     * Does the work of {@link #main(String[])}.
     *
     * @param out where to print
     * @param directory where to write the pictures, or {@code null} for none
     * @throws IOException if a file cannot be written
     */
    public static void run(PrintStream out, Path directory) throws IOException {
        Value x1 = new Value(2.0).label("x1");
        Value x2 = new Value(0.0).label("x2");
        Value w1 = new Value(-3.0).label("w1");
        Value w2 = new Value(1.0).label("w2");
        Value b = new Value(6.8813735870195432).label("b");
        Value n = x1.mul(w1).label("x1*w1").add(x2.mul(w2).label("x2*w2")).label("x1w1+x2w2").add(b).label("n");
        Value o = n.tanh().label("o");

        out.println("before backward():");
        print(ExpressionGraph.of(o), out);
        o.backward();
        ExpressionGraph graph = ExpressionGraph.of(o);
        out.println("after backward():");
        print(graph, out);
        out.println("backward, one addition at a time:");
        for (ExpressionGraph.BackwardStep step : graph.backwardSteps()) {
            out.printf(Locale.ROOT, "  %s.grad += %.4f * %.4f  -> %.4f%n", name(graph, step.edge().child()),
                    step.edge().localGrad(), step.parentGrad(), step.childGradAfter());
        }
        o.zeroGrad();
        out.printf(Locale.ROOT, "after zeroGrad(): w1.grad = %.4f, o.grad = %.4f%n", w1.grad(), o.grad());
        if (directory != null) {
            Files.writeString(directory.resolve("neuron.svg"), graph.toSvg());
            Files.writeString(directory.resolve("neuron.dot"), graph.toDot());
            out.println("wrote " + directory.resolve("neuron.svg") + " and " + directory.resolve("neuron.dot"));
        }
    }

    private static void print(ExpressionGraph graph, PrintStream out) {
        for (ExpressionGraph.Node node : graph.nodes()) {
            out.printf(Locale.ROOT, "  %-10s %-5s data %8.4f  grad %8.4f%n", name(graph, node.id()),
                    node.op().symbol(), node.data(), node.grad());
        }
    }

    private static String name(ExpressionGraph graph, int id) {
        String label = graph.nodes().get(id).label();
        return label != null ? label : "n" + id;
    }
}
