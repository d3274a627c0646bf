package io.github.microgpt.examples;

import io.github.microgpt.autograd.Value;
import java.io.PrintStream;
import java.util.List;

/**
 * One artificial neuron, trained for one step with nothing but {@link Value}: the smallest
 * picture of what {@code microgpt} does with its 4,192 parameters.
 *
 * <p>The neuron computes {@code out = relu(w1*x1 + w2*x2 + b)} and is asked to output
 * {@code target}. How wrong it is, the <em>loss</em>, is {@code (out - target)^2}. The program
 * <ol>
 *   <li>runs the neuron forward, building a small graph of {@code Value}s;</li>
 *   <li>calls {@code loss.backward()}, which fills in every {@code grad}: how much the loss would
 *       change per unit change of that value (the chain rule, applied from the loss back to the
 *       leaves);</li>
 *   <li>nudges each parameter a little against its gradient (gradient descent), and</li>
 *   <li>runs the neuron again to show that the loss went down.</li>
 * </ol>
 *
 * <p>With {@code x = (2, -1)}, {@code w = (0.5, -1.5)}, {@code b = 0.25}: the sum is
 * {@code 1 + 1.5 + 0.25 = 2.75}, relu lets it through, and the loss is {@code 1.75^2 = 3.0625}.
 * By hand, {@code dloss/dout = 2 * (out - target) = 3.5}; relu passes it on (its input is
 * positive); so {@code dloss/dw1 = 3.5 * x1 = 7}, {@code dloss/dw2 = 3.5 * x2 = -3.5},
 * {@code dloss/db = 3.5}. Those are the numbers {@code backward()} prints.
 *
 * <p>Build the jar with {@code ./mvnw -q -B -DskipTests package -pl microgpt-examples -am} (what
 * {@code ./microgpt} runs when the jar is missing or older than the sources), then run it:
 * <pre>
 * java -cp microgpt-examples/target/microgpt.jar io.github.microgpt.examples.NeuronExample
 * </pre>
 */
public final class NeuronExample {

    private NeuronExample() {
    }

    /**
     * Prints the forward pass, the gradients, one step of gradient descent and the new loss.
     *
     * @param args ignored
     */
    public static void main(String[] args) {
        run(System.out);
    }

    /**
     * Does the work of {@link #main(String[])}, printing to a given stream.
     *
     * @param out where to print: a heading for each stage, then one line per result,
     *     {@code name = number} followed by what the number is
     */
    public static void run(PrintStream out) {
        // The inputs and the target are data: they are Values only so that the graph can use them.
        Value x1 = new Value(2.0);
        Value x2 = new Value(-1.0);
        double target = 1.0;
        // The parameters: what training changes.
        Value w1 = new Value(0.5);
        Value w2 = new Value(-1.5);
        Value b = new Value(0.25);
        out.println("One neuron, out = relu(w1*x1 + w2*x2 + b), to be trained towards target = " + target + ".");
        out.println("Inputs x1 = " + x1.data() + " and x2 = " + x2.data() + "; parameters w1 = " + w1.data()
                + ", w2 = " + w2.data() + " and b = " + b.data() + ".");

        out.println();
        out.println("Forward pass: the neuron's output, and how wrong it is.");
        Value output = neuron(x1, x2, w1, w2, b);
        Value loss = output.sub(target).pow(2);
        result(out, "out", output.data(), "relu(w1*x1 + w2*x2 + b)");
        result(out, "loss before", loss.data(), "(out - target)^2, the loss");

        out.println();
        out.println("Backward pass: loss.backward() fills in each gradient, the change of the loss per unit");
        out.println("change of that value (the chain rule, from the loss back to the leaves).");
        loss.backward();
        result(out, "dloss/dw1", w1.grad(), "2*(out - target) * x1, as relu lets the sum through");
        result(out, "dloss/dw2", w2.grad(), "2*(out - target) * x2");
        result(out, "dloss/db", b.grad(), "2*(out - target) * 1");
        // The inputs get gradients too; a deeper network passes them on to the layer below.
        result(out, "dloss/dx1", x1.grad(), "2*(out - target) * w1: what a layer below would receive");
        result(out, "dloss/dx2", x2.grad(), "2*(out - target) * w2");

        out.println();
        double learningRate = 0.01;
        out.println("One step of gradient descent: each parameter moves against its gradient,");
        out.println("parameter = parameter - " + learningRate + " * gradient.");
        for (Value parameter : List.of(w1, w2, b)) {
            parameter.setData(parameter.data() - learningRate * parameter.grad());
            parameter.setGrad(0.0);
        }
        result(out, "w1", w1.data(), "the new weight of x1");
        result(out, "w2", w2.data(), "the new weight of x2");
        result(out, "b", b.data(), "the new bias");

        out.println();
        out.println("Forward pass again: a new graph from the new parameters.");
        Value lossAfter = neuron(x1, x2, w1, w2, b).sub(target).pow(2);
        result(out, "loss after", lossAfter.data(), lossAfter.data() < loss.data()
                ? "lower than before: the step made the neuron less wrong"
                : "not lower than before: the step was too large");
    }

    /** One result: its name, its value, and in words what it is. */
    private static void result(PrintStream out, String name, double value, String meaning) {
        String assignment = name + " = " + value;
        out.println("  " + assignment + " ".repeat(Math.max(2, 24 - assignment.length())) + meaning);
    }

    /** {@code relu(w1*x1 + w2*x2 + b)}: a weighted sum, then the non-linearity. */
    private static Value neuron(Value x1, Value x2, Value w1, Value w2, Value b) {
        return w1.mul(x1).add(w2.mul(x2)).add(b).relu();
    }
}
