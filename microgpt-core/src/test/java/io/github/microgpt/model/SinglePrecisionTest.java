package io.github.microgpt.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.checkpoint.Checkpoint;
import io.github.microgpt.optim.AdamOptimizer;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.testing.Cases;
import io.github.microgpt.testing.Gen;
import io.github.microgpt.text.Documents;
import io.github.microgpt.text.Tokenizer;
import io.github.microgpt.train.StepMode;
import io.github.microgpt.train.Trainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The array engine in single precision ({@link Precision#F32}): not exact, so every property here
 * is a stated tolerance against double precision, plus the exact properties f32 keeps (results
 * independent of the thread count; the interface's checks).
 *
 * <p><b>Gradients.</b> For random shapes, weights and documents, every f32 gradient agrees with
 * the f64 engine's analytic gradient at the same (float) weights to within
 * {@value #GRADIENT_RELATIVE} of itself plus {@value #GRADIENT_FLOOR} of the largest gradient of
 * the model; and, for a sample of parameters, with the central finite difference of the f64 loss
 * to within {@value #FD_RELATIVE} of itself plus {@value #FD_FLOOR} of the largest gradient.
 * (A finite difference is only a derivative where the loss is smooth: a parameter whose nudge
 * moves a ReLU across its kink gives differences that change with the step {@code h}; such
 * parameters, found by comparing two steps, are left out, and there must be few of them.)
 *
 * <p><b>The names run.</b> {@code microgpt.py}'s run (seed 42, 1000 steps), here on the embedded
 * names rather than the reference {@code names.txt}, in f32 stays within
 * {@value #RUN_STEP_TOLERANCE} of the f64 run at every step, and the mean loss of every 100 steps
 * within {@value #RUN_WINDOW_TOLERANCE}.
 */
class SinglePrecisionTest {

    static final double GRADIENT_RELATIVE = 1e-3;
    static final double GRADIENT_FLOOR = 1e-4;
    static final double FD_RELATIVE = 1e-3;
    static final double FD_FLOOR = 2e-4;
    static final double RUN_STEP_TOLERANCE = 1e-4;
    static final double RUN_WINDOW_TOLERANCE = 1e-5;

    /** A random small GPT and one document, drawn from one generator. */
    record Shape(GptConfig config, int vocabSize, long weightSeed, int[] document) {
        static Shape draw(Gen g) {
            int nHead = g.intIn(1, 3);
            int headDim = g.intIn(1, 8);
            int nLayer = g.intIn(1, 2);
            int blockSize = g.intIn(1, 24);
            double initStd = g.doubleIn(0.02, 0.3);
            int vocabSize = g.intIn(2, 30);
            int[] doc = new int[g.intIn(2, blockSize + 4)];
            for (int i = 0; i < doc.length; i++) {
                doc[i] = g.intIn(0, vocabSize - 1);
            }
            return new Shape(new GptConfig(nLayer, nHead * headDim, nHead, blockSize, initStd), vocabSize,
                    g.nextLong(), doc);
        }

        int end() {
            return Math.min(config.blockSize(), document.length - 1);
        }

        ArrayGptModel f32() {
            return ArrayGptModel.create(config, vocabSize, new PythonRandom(weightSeed), Precision.F32);
        }

        @Override
        public String toString() {
            return config + ", vocab " + vocabSize + ", document " + Arrays.toString(document);
        }
    }

    // ------------------------------------------------------------------------------ gradients

    @TestFactory
    Stream<DynamicTest> gradientsAgreeWithTheDoublePrecisionEngine() {
        return Cases.dynamicTests("f32 gradients vs f64", 60, Shape::draw, s -> {
            ArrayGptModel f32 = s.f32();
            // The f64 engine at exactly the f32 model's weights (floats widen exactly).
            ArrayGptModel f64 = ArrayGptModel.copyOf(f32, Precision.F64);
            double loss32 = f32.lossAndGradients(s.document(), 0, s.end(), null);
            double loss64 = f64.lossAndGradients(s.document(), 0, s.end(), null);
            assertEquals(loss64, loss32, 1e-5 * Math.max(1, Math.abs(loss64)), "loss");
            double[] g32 = f32.parameters().grads();
            double[] g64 = f64.parameters().grads();
            double largest = largest(g64);
            for (int i = 0; i < g64.length; i++) {
                double error = Math.abs(g32[i] - g64[i]);
                assertTrue(error <= GRADIENT_RELATIVE * Math.abs(g64[i]) + GRADIENT_FLOOR * largest,
                        "gradient " + i + ": f32 " + g32[i] + ", f64 " + g64[i] + " (largest " + largest + ")");
            }
        });
    }

    @TestFactory
    Stream<DynamicTest> gradientsAgreeWithFiniteDifferencesInDoublePrecision() {
        return Cases.dynamicTests("f32 gradients vs finite differences", 30, Shape::draw, s -> {
            ArrayGptModel f32 = s.f32();
            ArrayGptModel f64 = ArrayGptModel.copyOf(f32, Precision.F64);
            f32.lossAndGradients(s.document(), 0, s.end(), null);
            double[] g32 = f32.parameters().grads();
            Parameters p = f64.parameters();
            double[] fd = new double[p.size()];
            boolean[] smooth = new boolean[p.size()];
            double largest = largest(g32);
            // Every parameter of a small model, an even sample of about 200 of a larger one.
            int stride = Math.max(1, p.size() / 200);
            int kinks = 0;
            int sampled = 0;
            for (int i = 0; i < p.size(); i += stride) {
                fd[i] = finiteDifference(f64, s, i, 1e-5);
                double finer = finiteDifference(f64, s, i, 2.5e-6);
                smooth[i] = Math.abs(fd[i] - finer) <= 1e-6 * Math.max(1, Math.abs(fd[i]));
                kinks += smooth[i] ? 0 : 1;
                sampled++;
            }
            assertTrue(kinks <= sampled / 20, kinks + " of " + sampled + " finite differences are not smooth");
            for (int i = 0; i < p.size(); i += stride) {
                if (!smooth[i]) {
                    continue;
                }
                double error = Math.abs(g32[i] - fd[i]);
                assertTrue(error <= FD_RELATIVE * Math.abs(fd[i]) + FD_FLOOR * largest,
                        "gradient " + i + ": f32 " + g32[i] + ", finite difference " + fd[i] + " (largest " + largest + ")");
            }
        });
    }

    /** {@code (loss(w + h) - loss(w - h)) / 2h} of the f64 model, parameter {@code i}. */
    private static double finiteDifference(ArrayGptModel f64, Shape s, int i, double h) {
        Parameters p = f64.parameters();
        double w = p.value(i);
        p.setValue(i, w + h);
        double up = f64.lossAndGradients(s.document(), 0, s.end(), null);
        p.setValue(i, w - h);
        double down = f64.lossAndGradients(s.document(), 0, s.end(), null);
        p.setValue(i, w);
        return (up - down) / (2 * h);
    }

    private static double largest(double[] values) {
        double largest = 0;
        for (double v : values) {
            largest = Math.max(largest, Math.abs(v));
        }
        return largest;
    }

    // --------------------------------------------------------------------------- the names run

    private static List<Double> namesRun(Precision precision) {
        PythonRandom random = new PythonRandom(42);
        List<String> docs = new ArrayList<>(Documents.embeddedNames());
        random.shuffle(docs);
        Tokenizer tokenizer = Tokenizer.fromDocuments(docs);
        LanguageModel model = Engine.ARRAY.create(GptConfig.defaults(), tokenizer.vocabSize(), random, precision);
        Trainer trainer = new Trainer(model, tokenizer, docs, new AdamOptimizer(model.numParameters()), 1000);
        List<Double> losses = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            losses.add(trainer.step(StepMode.DOCUMENT).loss());
        }
        return losses;
    }

    @Test
    void theNamesRunInSinglePrecisionFollowsTheDoublePrecisionRun() {
        List<Double> f64 = namesRun(Precision.F64);
        List<Double> f32 = namesRun(Precision.F32);
        double largestStep = 0;
        double largestWindow = 0;
        for (int i = 0; i < f64.size(); i++) {
            double difference = Math.abs(f32.get(i) - f64.get(i));
            largestStep = Math.max(largestStep, difference);
            assertTrue(difference <= RUN_STEP_TOLERANCE, "step " + (i + 1) + ": f32 loss " + f32.get(i)
                    + ", f64 " + f64.get(i));
        }
        for (int start = 0; start < f64.size(); start += 100) {
            double mean32 = 0;
            double mean64 = 0;
            for (int i = start; i < start + 100; i++) {
                mean32 += f32.get(i) / 100;
                mean64 += f64.get(i) / 100;
            }
            largestWindow = Math.max(largestWindow, Math.abs(mean32 - mean64));
            assertEquals(mean64, mean32, RUN_WINDOW_TOLERANCE, "mean loss of steps " + (start + 1) + " to " + (start + 100));
        }
        System.out.printf("f32 names run: largest loss difference from f64 %.3e per step, %.3e per 100 steps%n",
                largestStep, largestWindow);
        double first = f32.subList(0, 100).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        double last = f32.subList(900, 1000).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        assertTrue(last < first - 0.3, "the f32 run learns: mean loss " + first + " over the first 100 steps, "
                + last + " over the last 100");
    }

    // ------------------------------------------------------------------------------- threads

    @Test
    void resultsDoNotDependOnTheNumberOfThreads() {
        GptConfig config = new GptConfig(2, 64, 4, 24, 0.08);
        int vocab = 29;
        int[] doc = new int[25];
        for (int i = 0; i < doc.length; i++) {
            doc[i] = (i * 7 + 3) % vocab;
        }
        double[] reference = null;
        for (int threads : new int[] {1, 2, 3, 5}) {
            ArrayGptModel model = ArrayGptModel.create(config, vocab, new PythonRandom(5), Precision.F32)
                    .setThreads(threads);
            AdamOptimizer adam = new AdamOptimizer(model.numParameters());
            double[] losses = new double[4];
            for (int step = 0; step < losses.length; step++) {
                losses[step] = model.lossAndGradients(doc, 0, 24, null);
                adam.step(model.parameters(), step, losses.length);
            }
            model.lossAndGradients(doc, 3, 17, null);
            double[] result = concat(losses, model.parameters().grads(), model.parameters().values());
            if (reference == null) {
                reference = result;
            } else {
                assertArrayEquals(reference, result, 0.0, threads + " threads");
            }
        }
    }

    @Test
    void aBatchIsTheMeanOfItsDocumentsAndDoesNotDependOnThreads() {
        GptConfig config = new GptConfig(1, 32, 4, 16, 0.08);
        int vocab = 11;
        List<int[]> docs = List.of(new int[] {10, 1, 2, 3, 4, 10}, new int[] {10, 5, 6, 7, 8, 9, 1, 2, 3, 10},
                new int[] {10, 3, 10});
        ArrayGptModel batch = ArrayGptModel.create(config, vocab, new PythonRandom(9), Precision.F32);
        ArrayGptModel single = ArrayGptModel.create(config, vocab, new PythonRandom(9), Precision.F32);
        double batchLoss = batch.batchLossAndGradients(docs, 1, null);
        double[] sum = new double[single.numParameters()];
        double lossSum = 0;
        for (int[] doc : docs) {
            lossSum += single.lossAndGradients(doc, 0, doc.length - 1, null);
            double[] g = single.parameters().grads();
            for (int i = 0; i < sum.length; i++) {
                sum[i] += g[i];
                single.parameters().setGrad(i, 0.0);
            }
        }
        assertEquals(lossSum / docs.size(), batchLoss, 1e-6);
        double[] g = batch.parameters().grads();
        for (int i = 0; i < sum.length; i++) {
            assertEquals(sum[i] / docs.size(), g[i], 1e-6 + 1e-5 * Math.abs(g[i]), "gradient " + i);
        }
        ArrayGptModel threaded = ArrayGptModel.create(config, vocab, new PythonRandom(9), Precision.F32).setThreads(3);
        assertEquals(batchLoss, threaded.batchLossAndGradients(docs, 4, null), 0.0);
        assertArrayEquals(g, threaded.parameters().grads(), 0.0);
    }

    private static double[] concat(double[]... parts) {
        int n = 0;
        for (double[] part : parts) {
            n += part.length;
        }
        double[] all = new double[n];
        int at = 0;
        for (double[] part : parts) {
            System.arraycopy(part, 0, all, at, part.length);
            at += part.length;
        }
        return all;
    }

    // ---------------------------------------------------------------------------- generation

    @TestFactory
    Stream<DynamicTest> generatedLogitsAgreeWithDoublePrecision() {
        return Cases.dynamicTests("f32 generation vs f64", 20, Shape::draw, s -> {
            ArrayGptModel f32 = s.f32();
            ArrayGptModel f64 = ArrayGptModel.copyOf(f32, Precision.F64);
            LanguageModel.Sequence a = f32.newSequence();
            LanguageModel.Sequence b = f64.newSequence();
            for (int pos = 0; pos < s.end(); pos++) {
                double[] x = a.next(s.document()[pos]);
                double[] y = b.next(s.document()[pos]);
                for (int i = 0; i < y.length; i++) {
                    assertEquals(y[i], x[i], 1e-5 * Math.max(1, Math.abs(y[i])), "position " + pos + ", logit " + i);
                }
            }
        });
    }

    // ------------------------------------------------------------------------ the choice itself

    @Test
    void thePrecisionIsChosenAtCreationAndKeptByTheModel() {
        GptConfig config = GptConfig.defaults();
        ArrayGptModel f32 = ArrayGptModel.create(config, 27, new PythonRandom(42), Precision.F32);
        ArrayGptModel f64 = ArrayGptModel.create(config, 27, new PythonRandom(42));
        assertSame(Precision.F32, f32.precision());
        assertSame(Precision.F64, f64.precision());
        assertSame(Precision.F32, Precision.of(f32).orElseThrow());
        assertSame(Precision.F64, Precision.of(GptModel.create(config, 27, new PythonRandom(42))).orElseThrow());
        assertSame(Precision.F32, Precision.of(Engine.ARRAY.create(config, 27, new PythonRandom(1), Precision.F32)).orElseThrow());
        // The same draws, rounded to floats.
        double[] wide = f64.parameters().values();
        double[] narrow = f32.parameters().values();
        for (int i = 0; i < wide.length; i++) {
            assertEquals((double) (float) wide[i], narrow[i], 0.0, "weight " + i);
        }
        // The Parameters view rounds what it is given.
        f32.parameters().setValue(0, 0.1);
        assertEquals((double) 0.1f, f32.parameters().value(0), 0.0);
        assertSame(Precision.F64, ArrayGptModel.copyOf(f32).precision());
        assertSame(Precision.F32, ArrayGptModel.copyOf(f64, Precision.F32).precision());
    }

    @Test
    void badPrecisionsAreRefusedClearly() {
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> Precision.fromId("f16"));
        assertEquals("unknown precision \"f16\"; the precisions are f64 and f32", unknown.getMessage());
        assertThrows(NullPointerException.class, () -> Precision.fromId(null));
        assertSame(Precision.F32, Precision.fromId("F32"));
        IllegalArgumentException value = assertThrows(IllegalArgumentException.class,
                () -> Engine.VALUE.create(GptConfig.defaults(), 27, new PythonRandom(1), Precision.F32));
        assertEquals("the value engine computes in f64 only, not f32; the array engine offers f32", value.getMessage());
        assertThrows(NullPointerException.class,
                () -> ArrayGptModel.create(GptConfig.defaults(), 27, new PythonRandom(1), null));
        assertThrows(NullPointerException.class,
                () -> Engine.ARRAY.create(GptConfig.defaults(), 27, new PythonRandom(1), null));
    }

    @Test
    void anF32ModelChecksItsInputsAsTheF64ModelDoes() {
        ArrayGptModel f32 = ArrayGptModel.create(GptConfig.defaults(), 5, new PythonRandom(1), Precision.F32);
        assertThrows(IllegalArgumentException.class, () -> f32.lossAndGradients(new int[] {0, 9}, 0, 1, null));
        assertThrows(IllegalArgumentException.class, () -> f32.batchLossAndGradients(List.of(new int[] {0}), 1, null));
        LanguageModel.Sequence sequence = f32.newSequence();
        assertThrows(IllegalArgumentException.class, () -> sequence.next(5));
    }

    /**
     * An f32 weight refuses a finite value beyond a float's range, unchanged, rather than turning
     * it into infinity without a word; it rounds the rest (to 0 below the smallest float) and keeps
     * NaN and the infinities as an f64 model does. A checkpoint with such a weight is refused by
     * an f32 model before any weight is written.
     */
    @Test
    void anF32WeightRefusesAValueBeyondAFloatsRange() throws Exception {
        ArrayGptModel model = ArrayGptModel.create(GptConfig.defaults(), 27, new PythonRandom(42), Precision.F32);
        Parameters parameters = model.parameters();
        double before = parameters.value(0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> parameters.setValue(0, 1e300));
        assertEquals("parameter 0 cannot hold 1.0E300 in f32: the largest float is 3.4028235E38 (the weight is"
                + " unchanged; an f64 model holds it)", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> parameters.setValue(1, -3.5e38));
        assertEquals(before, parameters.value(0));
        parameters.setValue(0, 3.4e38);
        assertEquals((float) 3.4e38, parameters.value(0));
        parameters.setValue(0, 1e-300);
        assertEquals(0.0, parameters.value(0));
        parameters.setValue(0, Double.POSITIVE_INFINITY);
        assertEquals(Double.POSITIVE_INFINITY, parameters.value(0));
        parameters.setValue(0, Double.NaN);
        assertTrue(Double.isNaN(parameters.value(0)));

        Path dir = Files.createTempDirectory("f32-range");
        GptModel f64 = GptModel.create(GptConfig.defaults(), 27, new PythonRandom(1));
        f64.parameters().setValue(5, 1e300);
        Checkpoint.save(dir, f64, Tokenizer.ofCharacters("abcdefghijklmnopqrstuvwxyz"));
        ArrayGptModel target = ArrayGptModel.create(GptConfig.defaults(), 27, new PythonRandom(2), Precision.F32);
        double[] weights = target.parameters().values();
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> Checkpoint.load(dir).loadInto(target));
        assertEquals("the checkpoint's weight 5 (1.0E300) is beyond an f32 model's range (the largest float is"
                + " 3.4028235E38); load it into an f64 model", refused.getMessage());
        assertArrayEquals(weights, target.parameters().values(), "no weight written");
    }
}
