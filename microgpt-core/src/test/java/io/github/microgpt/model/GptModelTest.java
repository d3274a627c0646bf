package io.github.microgpt.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.autograd.Value;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.testing.Cases;
import io.github.microgpt.testing.Gen;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The parameters of {@link GptModel} (microgpt.py's {@code state_dict}), its forward pass's checks, and its loss. */
class GptModelTest {

    /** A random small configuration and vocabulary size. */
    record Shape(GptConfig config, int vocabSize, long seed) {
    }

    static Shape randomShape(Gen g) {
        int nHead = g.intIn(1, 4);
        int nEmbd = nHead * g.intIn(1, 4);
        return new Shape(new GptConfig(g.intIn(1, 3), nEmbd, nHead, g.intIn(1, 10), g.doubleIn(0.01, 0.2)),
                g.intIn(2, 30), g.nextLong());
    }

    static Stream<org.junit.jupiter.params.provider.Arguments> shapes() {
        return Cases.arguments("model shapes", 50, GptModelTest::randomShape);
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void numParametersFollowsTheFormula(Cases.Case<Shape> c) {
        c.verify(s -> {
            GptModel model = GptModel.create(s.config(), s.vocabSize(), new PythonRandom(s.seed()));
            int d = s.config().nEmbd();
            int expected = s.vocabSize() * d * 2 + s.config().blockSize() * d + s.config().nLayer() * 12 * d * d;
            assertEquals(expected, model.numParameters());
            assertEquals(expected, model.parameters().size());
            assertEquals(expected, model.parameterValues().size());
        });
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void parametersAreNamedAndOrderedAsMicrogptPyStateDict(Cases.Case<Shape> c) {
        c.verify(s -> {
            GptModel model = GptModel.create(s.config(), s.vocabSize(), new PythonRandom(s.seed()));
            int d = s.config().nEmbd();
            List<String> expected = new ArrayList<>(List.of(
                    "wte " + s.vocabSize() + "x" + d,
                    "wpe " + s.config().blockSize() + "x" + d,
                    "lm_head " + s.vocabSize() + "x" + d));
            for (int i = 0; i < s.config().nLayer(); i++) {
                expected.add("layer" + i + ".attn_wq " + d + "x" + d);
                expected.add("layer" + i + ".attn_wk " + d + "x" + d);
                expected.add("layer" + i + ".attn_wv " + d + "x" + d);
                expected.add("layer" + i + ".attn_wo " + d + "x" + d);
                expected.add("layer" + i + ".mlp_fc1 " + 4 * d + "x" + d);
                expected.add("layer" + i + ".mlp_fc2 " + d + "x" + 4 * d);
            }
            List<String> actual = new ArrayList<>();
            int offset = 0;
            for (MatrixLayout m : model.parameters().matrixLayouts()) {
                actual.add(m.name() + " " + m.rows() + "x" + m.cols());
                assertEquals(offset, m.offset(), "matrices are contiguous, in order: " + m.name());
                offset += m.size();
                assertSame(m, model.parameters().matrixLayout(m.name()));
            }
            assertEquals(expected, actual);
            assertEquals(model.numParameters(), offset);

            // Every entry is a gauss(0, initStd) draw, row by row, matrix by matrix.
            PythonRandom random = new PythonRandom(s.seed());
            double[] values = model.parameters().values();
            for (int i = 0; i < values.length; i++) {
                assertEquals(Double.doubleToRawLongBits(random.gauss(0, s.config().initStd())),
                        Double.doubleToRawLongBits(values[i]), "parameter " + i);
            }
            // The named matrices, the flat view and the list of Values are the same numbers.
            for (MatrixLayout m : model.parameters().matrixLayouts()) {
                Value[][] rows = model.matrix(m.name());
                for (int r = 0; r < m.rows(); r++) {
                    for (int col = 0; col < m.cols(); col++) {
                        assertSame(model.parameterValues().get(m.index(r, col)), rows[r][col]);
                    }
                }
            }
        });
    }

    private static GptModel smallModel() {
        return GptModel.create(new GptConfig(2, 8, 2, 4, 0.1), 5, new PythonRandom(3));
    }

    @Test
    void matrixRejectsAnUnknownName() {
        GptModel model = smallModel();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> model.matrix("layer2.attn_wq"));
        assertTrue(e.getMessage().contains("layer2.attn_wq"), e.getMessage());
        IllegalArgumentException f = assertThrows(IllegalArgumentException.class,
                () -> model.parameters().matrixLayout("wte "));
        assertTrue(f.getMessage().contains("\"wte \""), f.getMessage());
    }

    @Test
    void matrixReturnsACopyOfTheArrays() {
        GptModel model = smallModel();
        Value[][] wte = model.matrix("wte");
        Value first = wte[0][0];
        wte[0][0] = new Value(42);
        assertSame(first, model.matrix("wte")[0][0], "replacing an entry of the copy leaves the model alone");
        assertNotSame(wte, model.matrix("wte"));
    }

    @Test
    void parameterIndexOutsideTheMatrixIsRejected() {
        MatrixLayout wpe = smallModel().parameters().matrixLayout("wpe");
        assertThrows(IndexOutOfBoundsException.class, () -> wpe.index(wpe.rows(), 0));
        assertThrows(IndexOutOfBoundsException.class, () -> wpe.index(0, wpe.cols()));
        assertThrows(IndexOutOfBoundsException.class, () -> wpe.index(-1, 0));
    }

    @Test
    void createRejectsAVocabularyWithoutACharacter() {
        assertThrows(IllegalArgumentException.class,
                () -> GptModel.create(GptConfig.defaults(), 1, new PythonRandom(1)));
    }

    @Test
    void forwardRejectsAPositionAtOrBeyondTheBlockSize() {
        GptModel model = smallModel();
        KvCache cache = new KvCache(2);
        for (int pos = 0; pos < 4; pos++) {
            assertEquals(5, model.forward(1, pos, cache).length);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> model.forward(1, 4, cache));
        assertTrue(e.getMessage().contains("position 4") && e.getMessage().contains("block size 4"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> model.forward(1, -1, new KvCache(2)));
    }

    @Test
    void forwardRejectsAPositionThatDoesNotFollowTheCache() {
        GptModel model = smallModel();
        KvCache cache = new KvCache(2);
        IllegalArgumentException skip = assertThrows(IllegalArgumentException.class, () -> model.forward(1, 1, cache));
        assertTrue(skip.getMessage().contains("position 1"), skip.getMessage());
        model.forward(1, 0, cache);
        model.forward(2, 1, cache);
        IllegalArgumentException repeat = assertThrows(IllegalArgumentException.class,
                () -> model.forward(1, 1, cache));
        assertTrue(repeat.getMessage().contains("holds 2 positions"), repeat.getMessage());
        assertEquals(2, cache.length(), "a rejected call leaves the cache as it was");
        assertThrows(IllegalArgumentException.class, () -> model.forward(1, 0, new KvCache(1)),
                "a cache for another number of layers");
    }

    @Test
    void forwardRejectsTokenIdsOutsideTheVocabulary() {
        GptModel model = smallModel();
        for (int bad : new int[] {-1, 5, Integer.MAX_VALUE}) {
            KvCache cache = new KvCache(2);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> model.forward(bad, 0, cache));
            assertTrue(e.getMessage().contains("id " + bad) && e.getMessage().contains("[0, 5)"), e.getMessage());
            assertEquals(0, cache.length());
        }
    }

    @Test
    void lossRejectsABadStretchOrToken() {
        GptModel model = smallModel();
        int[] tokens = {4, 0, 1, 2, 3, 4};  // block size 4: positions 0..3
        assertThrows(IllegalArgumentException.class, () -> model.loss(tokens, -1, 2));
        assertThrows(IllegalArgumentException.class, () -> model.loss(tokens, 2, 2));
        assertThrows(IllegalArgumentException.class, () -> model.loss(tokens, 0, 5));
        assertThrows(IllegalArgumentException.class, () -> model.loss(new int[] {4, 0}, 0, 2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> model.loss(new int[] {4, 7, 4}, 0, 2));
        assertTrue(e.getMessage().contains("token 1") && e.getMessage().contains("7"), e.getMessage());
        assertEquals(0.0, model.parameters().grad(0), "nothing was back-propagated");
    }

    @TestFactory
    Stream<DynamicTest> lossIsTheMeanOfThePositionLossesInPythonOrder() {
        return Cases.dynamicTests("loss = (1/n) * sum(position losses)", 30, GptModelTest::randomShape, s -> {
            GptModel model = GptModel.create(s.config(), s.vocabSize(), new PythonRandom(s.seed()));
            Gen g = new Gen(s.seed());
            int length = g.intIn(1, s.config().blockSize() + 2);
            int[] tokens = new int[length + 2];
            tokens[0] = s.vocabSize() - 1;
            tokens[tokens.length - 1] = s.vocabSize() - 1;
            for (int i = 1; i <= length; i++) {
                tokens[i] = g.intIn(0, s.vocabSize() - 2);
            }
            int n = Math.min(s.config().blockSize(), tokens.length - 1);
            int first = g.intIn(0, n - 1);
            List<Double> losses = new ArrayList<>();
            List<Integer> positions = new ArrayList<>();
            Predictions predictions = new Predictions();
            double loss = model.lossAndGradients(tokens, first, n, predictions);
            for (int posId = predictions.first(); posId < predictions.end(); posId++) {
                double[] probabilities = predictions.probabilities(posId);
                double positionLoss = predictions.loss(posId);
                positions.add(posId);
                losses.add(positionLoss);
                assertEquals(s.vocabSize(), probabilities.length);
                assertEquals(s.vocabSize(), predictions.vocabSize());
                // The reported loss is -log of the probability of the target.
                assertEquals(Double.doubleToRawLongBits(Math.log(probabilities[tokens[posId + 1]]) * -1.0),
                        Double.doubleToRawLongBits(positionLoss), "loss of position " + posId);
                assertEquals(Double.doubleToRawLongBits(probabilities[tokens[posId + 1]]),
                        Double.doubleToRawLongBits(predictions.probability(posId, tokens[posId + 1])));
            }
            List<Integer> expectedPositions = new ArrayList<>();
            for (int p = first; p < n; p++) {
                expectedPositions.add(p);
            }
            assertEquals(expectedPositions, positions);
            double total = 0.0 + losses.get(0);
            for (int i = 1; i < losses.size(); i++) {
                total = total + losses.get(i);
            }
            assertEquals(Double.doubleToRawLongBits(total * (1.0 / losses.size())), Double.doubleToRawLongBits(loss));
        });
    }

    @TestFactory
    Stream<DynamicTest> sequenceGivesTheLogitsOfTheValueForward() {
        return Cases.dynamicTests("Sequence.next = forward", 30, GptModelTest::randomShape, s -> {
            GptModel model = GptModel.create(s.config(), s.vocabSize(), new PythonRandom(s.seed()));
            Gen g = new Gen(s.seed());
            KvCache cache = new KvCache(s.config().nLayer());
            LanguageModel.Sequence sequence = model.newSequence();
            for (int pos = 0; pos < s.config().blockSize(); pos++) {
                int token = g.intIn(0, s.vocabSize() - 1);
                Value[] logits = model.forward(token, pos, cache);
                double[] expected = new double[logits.length];
                for (int i = 0; i < logits.length; i++) {
                    expected[i] = logits[i].data();
                }
                assertEquals(pos, sequence.length());
                assertArrayEquals(expected, sequence.next(token), "logits at position " + pos);
                assertEquals(pos + 1, sequence.length());
            }
            assertThrows(IllegalArgumentException.class, () -> sequence.next(0), "past the block size");
        });
    }

    @TestFactory
    Stream<DynamicTest> softmaxOfDoublesEqualsSoftmaxOfValues() {
        return Cases.dynamicTests("Softmax.softmax = ValueOps.softmax", 300, g -> {
            double[] logits = new double[g.intIn(1, 40)];
            double scale = g.logUniform(1e-3, 50);
            for (int i = 0; i < logits.length; i++) {
                logits[i] = g.gaussian() * scale + g.doubleIn(-20, 20);
            }
            return new Object[] {logits, g.logUniform(0.05, 3)};
        }, c -> {
            double[] logits = (double[]) c[0];
            double temperature = (double) c[1];
            Value[] values = new Value[logits.length];
            Value[] scaled = new Value[logits.length];
            for (int i = 0; i < logits.length; i++) {
                values[i] = new Value(logits[i]);
                scaled[i] = values[i].div(temperature);  // microgpt.py's inference: softmax([l / temperature for l in logits])
            }
            assertArrayEquals(data(ValueOps.softmax(values)), Softmax.softmax(logits));
            assertArrayEquals(data(ValueOps.softmax(scaled)), Softmax.softmax(logits, temperature));
        });
    }

    private static double[] data(Value[] values) {
        double[] out = new double[values.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = values[i].data();
        }
        return out;
    }

    @Test
    void softmaxRejectsABadTemperature() {
        for (double t : new double[] {0.0, -1.0, Double.NaN, Double.POSITIVE_INFINITY}) {
            assertThrows(IllegalArgumentException.class, () -> Softmax.softmax(new double[] {1, 2}, t), "T=" + t);
        }
    }
}
