package io.github.microgpt.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import io.github.microgpt.optim.AdamOptimizer;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.testsupport.TestResources;
import io.github.microgpt.text.Documents;
import io.github.microgpt.text.Tokenizer;
import io.github.microgpt.train.StepMode;
import io.github.microgpt.train.Trainer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The reference run of {@code microgpt.py} (seed 42, 1000 steps) on the array engine: its losses
 * follow the {@code Value} engine's, which reproduce the Python's (see {@code GoldenRunTest}).
 * The engines' gradients differ by rounding only, so the runs may drift apart, but not by more
 * than 1e-6 over the first 100 steps.
 */
class ArrayEngineReferenceRunTest {

    private static final int STEPS = 1000;
    private static final int COMPARED_WITH_VALUE = 100;

    private static List<Double> run(Engine engine, int steps) throws Exception {
        PythonRandom random = new PythonRandom(42);
        List<String> docs = new ArrayList<>(Documents.load(TestResources.namesFile()));
        random.shuffle(docs);
        Tokenizer tokenizer = Tokenizer.fromDocuments(docs);
        LanguageModel model = engine.create(GptConfig.defaults(), tokenizer.vocabSize(), random);
        // The learning-rate schedule depends on the length of the run: always plan 1000 steps.
        Trainer trainer = new Trainer(model, tokenizer, docs, new AdamOptimizer(model.numParameters()), STEPS);
        List<Double> losses = new ArrayList<>();
        for (int i = 0; i < steps; i++) {
            losses.add(trainer.step(StepMode.DOCUMENT).loss());
        }
        return losses;
    }

    @Test
    void followsTheValueEngineAndThePython() throws Exception {
        List<Double> array = run(Engine.ARRAY, STEPS);
        List<Double> value = run(Engine.VALUE, COMPARED_WITH_VALUE);
        double largest = 0;
        for (int i = 0; i < COMPARED_WITH_VALUE; i++) {
            largest = Math.max(largest, Math.abs(array.get(i) - value.get(i)));
            assertEquals(value.get(i), array.get(i), 1e-6, "loss of step " + (i + 1));
        }
        JsonArray golden = TestResources.goldenJson().getAsJsonArray("losses_hex");
        assertEquals(golden.size(), array.size());
        double largestVsPython = 0;
        for (int i = 0; i < STEPS; i++) {
            double expected = Double.parseDouble(golden.get(i).getAsString());
            largestVsPython = Math.max(largestVsPython, Math.abs(expected - array.get(i)));
        }
        System.out.printf("array engine: largest loss difference %.3e from the Value engine (first %d steps), "
                + "%.3e from microgpt.py (%d steps)%n", largest, COMPARED_WITH_VALUE, largestVsPython, STEPS);
        assertTrue(largestVsPython < 1e-6, "largest difference from microgpt.py over " + STEPS + " steps: " + largestVsPython);
    }
}
