package io.github.microgpt.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.model.ArrayGptModel;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.Precision;
import io.github.microgpt.optim.AdamOptimizer;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.text.Documents;
import io.github.microgpt.text.Tokenizer;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Position and document steps mixed on the array engine: a document step that finishes a
 * document the position steps began trains a stretch {@code [p, end)} with {@code p > 0}, which
 * no step trained before the two kinds shared one place. Its update runs inside the backward pass
 * when the step fuses (no gradient listener) and after it otherwise, on any number of threads:
 * every way must give the same bits ({@link MixedStepModesTest} checks the order of the
 * positions, on the {@code Value} engine).
 */
class MixedStepsArrayEngineTest {

    private static final List<String> DOCS = Documents.embeddedNames().subList(0, 40);
    private static final Tokenizer TOKENIZER = Tokenizer.fromDocuments(Documents.embeddedNames());
    /** Rows of 32 and more numbers on average: Adam updates them inside the pass in f64 too. */
    private static final GptConfig CONFIG = new GptConfig(2, 32, 4, 16, 0.08);
    private static final int STEPS = 30;

    /** The losses of a run of mixed steps, then the weights. */
    private static double[] run(Precision precision, int threads, boolean fused) {
        ArrayGptModel model = ArrayGptModel.create(CONFIG, TOKENIZER.vocabSize(), new PythonRandom(9), precision)
                .setThreads(threads);
        Trainer trainer = new Trainer(model, TOKENIZER, DOCS, new AdamOptimizer(model.numParameters()), STEPS);
        if (!fused) {
            // A gradient listener must see the gradients before the update: the step does not fuse.
            trainer.addGradientListener(e -> { });
        }
        PythonRandom kinds = new PythonRandom(1);
        double[] values = model.parameters().values();
        double[] out = new double[STEPS + values.length];
        for (int s = 0; s < STEPS; s++) {
            out[s] = trainer.step(kinds.random() < 0.6 ? StepMode.POSITION : StepMode.DOCUMENT).loss();
        }
        System.arraycopy(model.parameters().values(), 0, out, STEPS, values.length);
        return out;
    }

    @ParameterizedTest
    @EnumSource(Precision.class)
    void mixedStepsGiveTheSameBitsFusedOrNotOnAnyNumberOfThreads(Precision precision) {
        double[] expected = run(precision, 1, false);
        assertTrue(Double.isFinite(expected[STEPS - 1]), "the run trained");
        for (int threads = 1; threads <= 3; threads++) {
            for (boolean fused : new boolean[] {true, false}) {
                assertArrayEquals(expected, run(precision, threads, fused), 0.0,
                        precision + " on " + threads + " threads, " + (fused ? "fused" : "update after the pass"));
            }
        }
    }
}
