package io.github.microgpt.vector;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import io.github.microgpt.model.ArrayGptModel;
import io.github.microgpt.model.ArrayKernels;
import io.github.microgpt.model.Engine;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.GptModel;
import io.github.microgpt.model.LanguageModel;
import io.github.microgpt.model.Parameters;
import io.github.microgpt.model.Precision;
import io.github.microgpt.model.Predictions;
import io.github.microgpt.optim.AdamOptimizer;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.testsupport.Gradients;
import io.github.microgpt.testsupport.TestResources;
import io.github.microgpt.text.Documents;
import io.github.microgpt.text.Tokenizer;
import io.github.microgpt.train.StepMode;
import io.github.microgpt.train.Trainer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The array engine with the Vector API kernels, whole: its double-precision forward pass gives
 * the {@code Value} engine's bits (losses and probabilities), its gradients agree with the
 * {@code Value} engine's to rounding, the reference run of {@code microgpt.py} is reproduced, and
 * nothing depends on the number of threads, in either precision.
 */
class VectorEngineTest {

    @BeforeAll
    static void theVectorKernelsAreInUse() {
        assertEquals(ArrayKernels.Implementation.VECTOR, ArrayKernels.implementation(),
                "these tests need the Vector API kernels");
    }

    /** A random shape with long documents, so that the products run over all positions at once. */
    record Case(long seed, GptConfig config, int vocabSize, int[] document) {
        static Case draw(long seed) {
            SplittableRandom r = new SplittableRandom(seed);
            int nHead = 1 + r.nextInt(3);
            int headDim = 1 + r.nextInt(9);
            int blockSize = 8 + r.nextInt(30);
            int vocabSize = 2 + r.nextInt(40);
            GptConfig config = new GptConfig(1 + r.nextInt(2), nHead * headDim, nHead, blockSize,
                    0.02 + r.nextDouble() * 0.3);
            int[] doc = new int[blockSize + 1];
            for (int j = 0; j < doc.length; j++) {
                doc[j] = r.nextInt(vocabSize);
            }
            return new Case(seed, config, vocabSize, doc);
        }

        @Override
        public String toString() {
            return "seed " + seed + ", " + config + ", vocab " + vocabSize;
        }
    }

    static Stream<Case> cases() {
        return IntStream.range(0, 30).mapToObj(i -> Case.draw(3000 + i));
    }

    @TestFactory
    Stream<DynamicTest> theForwardPassIsTheValueEnginesBitForBit() {
        return cases().map(c -> DynamicTest.dynamicTest(c.toString(), () -> {
            GptModel value = GptModel.create(c.config(), c.vocabSize(), new PythonRandom(c.seed()));
            ArrayGptModel array = ArrayGptModel.create(c.config(), c.vocabSize(), new PythonRandom(c.seed()));
            int end = c.config().blockSize();
            for (int first : new int[] {0, 1, end - 9}) {
                String where = c + ", positions [" + first + ", " + end + ")";
                Predictions expected = new Predictions();
                Predictions actual = new Predictions();
                double valueLoss = value.lossAndGradients(c.document(), first, end, expected);
                double arrayLoss = array.lossAndGradients(c.document(), first, end, actual);
                assertEquals(Double.doubleToRawLongBits(valueLoss), Double.doubleToRawLongBits(arrayLoss),
                        where + ": loss " + valueLoss + " vs " + arrayLoss);
                for (int pos = first; pos < end; pos++) {
                    assertArrayEquals(expected.probabilities(pos), actual.probabilities(pos), 0.0,
                            where + ", position " + pos);
                }
                assertGradientsAgree(value.parameters(), array.parameters(), where);
            }
        }));
    }

    /** Compares ({@link Gradients}: within 1e-10 of itself, or 1e-14 of the largest where it cancels), then zeroes. */
    private static void assertGradientsAgree(Parameters expected, Parameters actual, String where) {
        Gradients.assertAgree(expected.grads(), actual.grads(), where);
        for (int i = 0; i < expected.size(); i++) {
            expected.setGrad(i, 0);
            actual.setGrad(i, 0);
        }
    }

    @Test
    void theReferenceRunOfMicrogptPyIsReproduced() throws Exception {
        int steps = 1000;
        PythonRandom random = new PythonRandom(42);
        List<String> docs = new ArrayList<>(Documents.load(TestResources.namesFile()));
        random.shuffle(docs);
        Tokenizer tokenizer = Tokenizer.fromDocuments(docs);
        LanguageModel model = Engine.ARRAY.create(GptConfig.defaults(), tokenizer.vocabSize(), random);
        Trainer trainer = new Trainer(model, tokenizer, docs, new AdamOptimizer(model.numParameters()), steps);
        JsonArray golden = TestResources.goldenJson().getAsJsonArray("losses_hex");
        assertEquals(steps, golden.size());
        double largest = 0;
        for (int i = 0; i < steps; i++) {
            double loss = trainer.step(StepMode.DOCUMENT).loss();
            double expected = Double.parseDouble(golden.get(i).getAsString());
            largest = Math.max(largest, Math.abs(expected - loss));
            // The first step's loss comes from the forward pass alone: the very bits of microgpt.py.
            if (i == 0) {
                assertEquals(Double.doubleToRawLongBits(expected), Double.doubleToRawLongBits(loss), "first loss");
            }
        }
        assertTrue(largest < 1e-6, "largest difference from microgpt.py over " + steps + " steps: " + largest);
    }

    @Test
    void resultsDoNotDependOnTheNumberOfThreads() {
        resultsDoNotDependOnTheNumberOfThreads(new GptConfig(2, 72, 4, 37, 0.08));
    }

    /** With heads of 16 channels, which {@link FloatAttention} takes in single precision. */
    @Test
    void resultsDoNotDependOnTheNumberOfThreadsWithHeadsOfWholeVectors() {
        resultsDoNotDependOnTheNumberOfThreads(new GptConfig(2, 64, 4, 37, 0.08));
    }

    private static void resultsDoNotDependOnTheNumberOfThreads(GptConfig config) {
        int vocab = 29;
        int[] doc = new int[38];
        for (int i = 0; i < doc.length; i++) {
            doc[i] = (i * 7 + 3) % vocab;
        }
        for (Precision precision : Precision.values()) {
            double[] reference = null;
            for (int threads : new int[] {1, 2, 3}) {
                ArrayGptModel model = ArrayGptModel.create(config, vocab, new PythonRandom(5), precision)
                        .setThreads(threads);
                AdamOptimizer adam = new AdamOptimizer(model.numParameters());
                double[] losses = new double[3];
                for (int step = 0; step < losses.length; step++) {
                    losses[step] = model.lossAndGradients(doc, 0, 37, null);
                    adam.step(model.parameters(), step, losses.length);
                }
                model.lossAndGradients(doc, 2, 31, null);
                double[] grads = model.parameters().grads();
                double[] values = model.parameters().values();
                double[] result = new double[losses.length + grads.length + values.length];
                System.arraycopy(losses, 0, result, 0, losses.length);
                System.arraycopy(grads, 0, result, losses.length, grads.length);
                System.arraycopy(values, 0, result, losses.length + grads.length, values.length);
                if (reference == null) {
                    reference = result;
                } else {
                    assertArrayEquals(reference, result, 0.0, precision + ", " + threads + " threads");
                }
            }
        }
    }

    /** With the tolerances of the core's {@code SinglePrecisionTest}. */
    @Test
    void singlePrecisionFollowsDoublePrecision() {
        singlePrecisionFollowsDoublePrecision(new GptConfig(2, 48, 4, 33, 0.08));
    }

    /**
     * As {@link #singlePrecisionFollowsDoublePrecision()}, with heads of 16 channels: a whole
     * number of vectors of floats up to AVX-512's, which {@link FloatAttention} takes (heads of 12
     * stay with the core's loops at 8 or 16 floats a vector).
     */
    @Test
    void singlePrecisionFollowsDoublePrecisionWithHeadsOfWholeVectors() {
        singlePrecisionFollowsDoublePrecision(new GptConfig(2, 64, 4, 33, 0.08));
    }

    private static void singlePrecisionFollowsDoublePrecision(GptConfig config) {
        int vocab = 31;
        int[] doc = new int[34];
        for (int i = 0; i < doc.length; i++) {
            doc[i] = (i * 11 + 5) % vocab;
        }
        ArrayGptModel f32 = ArrayGptModel.create(config, vocab, new PythonRandom(9), Precision.F32);
        // At exactly the f32 model's weights (floats widen exactly).
        ArrayGptModel f64 = ArrayGptModel.copyOf(f32, Precision.F64);
        double loss64 = f64.lossAndGradients(doc, 0, 33, null);
        double loss32 = f32.lossAndGradients(doc, 0, 33, null);
        assertEquals(loss64, loss32, 1e-5 * Math.max(1, Math.abs(loss64)), "loss");
        double[] g64 = f64.parameters().grads();
        double[] g32 = f32.parameters().grads();
        double largest = 0;
        for (double g : g64) {
            largest = Math.max(largest, Math.abs(g));
        }
        for (int i = 0; i < g64.length; i++) {
            assertEquals(g64[i], g32[i], 1e-3 * Math.abs(g64[i]) + 1e-4 * largest, "gradient " + i);
        }
    }
}
