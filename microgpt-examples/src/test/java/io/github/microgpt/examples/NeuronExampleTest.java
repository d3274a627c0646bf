package io.github.microgpt.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The neuron example prints the gradients a student derives by hand, and its step lowers the loss;
 * its output says what each number is, stage by stage, in the order the source computes them.
 */
class NeuronExampleTest {

    private static final Pattern RESULT = Pattern.compile("  (\\S.*?) = (-?[0-9.E]+) {2,}(\\S.*)");

    @Test
    void printsTheHandDerivedGradientsAndALowerLoss() {
        Map<String, Double> printed = run();

        // The example's numbers, derived here by hand in plain doubles.
        double x1 = 2.0;
        double x2 = -1.0;
        double w1 = 0.5;
        double w2 = -1.5;
        double b = 0.25;
        double target = 1.0;
        double sum = w1 * x1 + w2 * x2 + b;
        double out = Math.max(0, sum);
        double dOut = 2 * (out - target);
        double dSum = sum > 0 ? dOut : 0;

        assertEquals(out, printed.get("out"));
        assertEquals((out - target) * (out - target), printed.get("loss before"));
        assertEquals(dSum * x1, printed.get("dloss/dw1"));
        assertEquals(dSum * x2, printed.get("dloss/dw2"));
        assertEquals(dSum, printed.get("dloss/db"));
        assertEquals(dSum * w1, printed.get("dloss/dx1"));
        assertEquals(dSum * w2, printed.get("dloss/dx2"));
        assertEquals(w1 - 0.01 * dSum * x1, printed.get("w1"), 1e-15);
        assertEquals(w2 - 0.01 * dSum * x2, printed.get("w2"), 1e-15);
        assertEquals(b - 0.01 * dSum, printed.get("b"), 1e-15);
        assertTrue(printed.get("loss after") < printed.get("loss before"),
                "one step of gradient descent lowers the loss: " + printed);
    }

    @Test
    void explainsEachStageBeforeItsNumbersInTheOrderTheSourceComputesThem() {
        List<String> lines = output().lines().toList();
        List<String> stages = lines.stream().filter(line -> !line.isEmpty() && !line.startsWith(" ")).toList();
        assertEquals(List.of(
                "One neuron, out = relu(w1*x1 + w2*x2 + b), to be trained towards target = 1.0.",
                "Inputs x1 = 2.0 and x2 = -1.0; parameters w1 = 0.5, w2 = -1.5 and b = 0.25.",
                "Forward pass: the neuron's output, and how wrong it is.",
                "Backward pass: loss.backward() fills in each gradient, the change of the loss per unit",
                "change of that value (the chain rule, from the loss back to the leaves).",
                "One step of gradient descent: each parameter moves against its gradient,",
                "parameter = parameter - 0.01 * gradient.",
                "Forward pass again: a new graph from the new parameters."), stages);
        assertEquals(List.of("out", "loss before", "dloss/dw1", "dloss/dw2", "dloss/db", "dloss/dx1", "dloss/dx2",
                "w1", "w2", "b", "loss after"), List.copyOf(run().keySet()), "the results in the order they are computed");
        assertTrue(lines.get(lines.size() - 1).endsWith("lower than before: the step made the neuron less wrong"),
                lines.get(lines.size() - 1));
    }

    private static String output() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        NeuronExample.run(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** The results: lines "  name = number   what it is", by name, in the order printed. */
    private static Map<String, Double> run() {
        Map<String, Double> values = new LinkedHashMap<>();
        for (String line : output().split("\\R")) {
            if (!line.startsWith("  ")) {
                continue;
            }
            Matcher result = RESULT.matcher(line);
            assertTrue(result.matches(), "a line '  name = number  what it is': " + line);
            values.put(result.group(1), Double.parseDouble(result.group(2)));
        }
        assertEquals(11, values.size(), values.toString());
        return values;
    }
}
