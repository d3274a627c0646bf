package io.github.microgpt.vector;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.microgpt.model.ArrayGptModel;
import io.github.microgpt.model.ArrayKernels;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.Precision;
import io.github.microgpt.optim.AdamOptimizer;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.text.Tokenizer;
import io.github.microgpt.train.StepMode;
import io.github.microgpt.train.Trainer;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A trainer's step with the optimizer's update inside the backward pass, as these kernels run it
 * (each slice of a matrix updated by the thread that summed its gradient, from the thread's own
 * scratch when the gradients start cleared), leaves the bits of the step that updates after the
 * pass: parameters, both moments and the cleared gradients, in both precisions, on one, two and
 * three threads. The trainer updates after the pass when a gradient listener is added (the
 * listener must see every gradient before any parameter changes), and fuses otherwise. The
 * documents are long enough for the products to be these kernels' (the tests' property makes
 * every product theirs), and the rows long enough for Adam not to stage them.
 */
class FusedTrainerStepTest {

    private static final List<String> DOCS = List.of("abcdefghijklmnopqrstuvwxyzabcdefghijklm",
            "zyxwvutsrqponmlkjihgfedcbazyxwvutsrqponmlk", "thequickbrownfoxjumpsoverthelazydogagainandagain");
    private static final Tokenizer TOKENIZER = Tokenizer.fromDocuments(DOCS);
    private static final GptConfig CONFIG = new GptConfig(2, 64, 4, 40, 0.08);

    @BeforeAll
    static void theVectorKernelsAreInUse() {
        assertEquals(ArrayKernels.Implementation.VECTOR, ArrayKernels.implementation(),
                "these tests need the Vector API kernels");
    }

    /** Parameters, moments and gradients after {@code steps} trainer steps. */
    private static double[][] trained(Precision precision, int threads, boolean listened, int steps) {
        ArrayGptModel model = ArrayGptModel.create(CONFIG, TOKENIZER.vocabSize(), new PythonRandom(3), precision)
                .setThreads(threads);
        AdamOptimizer adam = new AdamOptimizer(model.numParameters());
        Trainer trainer = new Trainer(model, TOKENIZER, DOCS, adam, 50);
        if (listened) {
            trainer.addGradientListener(event -> { });
        }
        for (int s = 0; s < steps; s++) {
            trainer.step(StepMode.DOCUMENT);
        }
        return new double[][] {model.parameters().values(), adam.firstMoments(), adam.secondMoments(),
            model.parameters().grads()};
    }

    @ParameterizedTest
    @EnumSource(Precision.class)
    void aFusedStepLeavesTheBitsOfTheUpdateAfterThePass(Precision precision) {
        double[][] expected = trained(precision, 1, true, 6);
        for (int threads = 1; threads <= 3; threads++) {
            double[][] fused = trained(precision, threads, false, 6);
            String what = precision + " on " + threads + " threads: ";
            assertArrayEquals(expected[0], fused[0], 0.0, what + "parameters");
            assertArrayEquals(expected[1], fused[1], 0.0, what + "first moments");
            assertArrayEquals(expected[2], fused[2], 0.0, what + "second moments");
            assertArrayEquals(new double[fused[3].length], fused[3], 0.0, what + "gradients left");
        }
    }
}
