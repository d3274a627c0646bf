package io.github.microgpt.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The neuron example prints the gradients a student derives by hand, and its step lowers the loss. */
class NeuronExampleTest {

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

    private static Map<String, Double> run() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        NeuronExample.run(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        Map<String, Double> values = new LinkedHashMap<>();
        for (String line : bytes.toString(StandardCharsets.UTF_8).split("\\R")) {
            String[] parts = line.split(" = ");
            assertEquals(2, parts.length, "a line 'name = number': " + line);
            values.put(parts[0], Double.parseDouble(parts[1]));
        }
        assertEquals(11, values.size(), values.toString());
        return values;
    }
}
