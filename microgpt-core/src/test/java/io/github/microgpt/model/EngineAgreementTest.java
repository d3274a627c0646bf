package io.github.microgpt.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.testsupport.Gradients;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Property tests: the array engine ({@link ArrayGptModel}) computes what the {@code Value} engine
 * ({@link GptModel}) computes, for random shapes, weights and documents.
 *
 * <p>Both engines are built from the same seed, so they start from the same weights. The forward
 * passes are the same operations in the same order, so losses, probabilities and logits must be
 * bit-identical; the backward passes sum in different orders, so gradients must agree to a
 * relative 1e-10.
 */
class EngineAgreementTest {

    /** A random small configuration and a few documents, all drawn from one seed. */
    record Case(long seed, GptConfig config, int vocabSize, List<int[]> documents) {
        static Case draw(long seed) {
            SplittableRandom r = new SplittableRandom(seed);
            int nHead = 1 + r.nextInt(3);
            int headDim = 1 + r.nextInt(4);
            int nLayer = 1 + r.nextInt(3);
            int blockSize = 1 + r.nextInt(9);
            double initStd = 0.02 + r.nextDouble() * 0.5;
            int vocabSize = 2 + r.nextInt(12);
            GptConfig config = new GptConfig(nLayer, nHead * headDim, nHead, blockSize, initStd);
            List<int[]> documents = new ArrayList<>();
            int count = 1 + r.nextInt(3);
            for (int i = 0; i < count; i++) {
                int[] doc = new int[2 + r.nextInt(blockSize + 3)];
                for (int j = 0; j < doc.length; j++) {
                    doc[j] = r.nextInt(vocabSize);
                }
                documents.add(doc);
            }
            return new Case(seed, config, vocabSize, documents);
        }

        /**
         * A case with long documents ({@code blockSize} 8 to 24, at least one document filling
         * it) and an embedding up to 24 wide, so that the array engine multiplies matrices over
         * all positions at once ({@link Kernels#MIN_POSITIONS_FOR_TRANSPOSE} or more) and in
         * column blocks ({@code 4 * nEmbd} above 64), not only position by position.
         */
        static Case drawLong(long seed) {
            SplittableRandom r = new SplittableRandom(seed);
            int nHead = 1 + r.nextInt(3);
            int headDim = 1 + r.nextInt(8);
            int nLayer = 1 + r.nextInt(2);
            int blockSize = 8 + r.nextInt(17);
            double initStd = 0.02 + r.nextDouble() * 0.3;
            int vocabSize = 2 + r.nextInt(30);
            GptConfig config = new GptConfig(nLayer, nHead * headDim, nHead, blockSize, initStd);
            List<int[]> documents = new ArrayList<>();
            int count = 1 + r.nextInt(2);
            for (int i = 0; i < count; i++) {
                int[] doc = new int[(i == 0 ? blockSize + 1 : 2) + r.nextInt(blockSize)];
                for (int j = 0; j < doc.length; j++) {
                    doc[j] = r.nextInt(vocabSize);
                }
                documents.add(doc);
            }
            return new Case(seed, config, vocabSize, documents);
        }

        GptModel valueModel() {
            return GptModel.create(config, vocabSize, new PythonRandom(seed));
        }

        ArrayGptModel arrayModel() {
            return ArrayGptModel.create(config, vocabSize, new PythonRandom(seed));
        }

        @Override
        public String toString() {
            return "seed " + seed + ", " + config + ", vocab " + vocabSize;
        }
    }

    static Stream<Case> cases() {
        return Stream.concat(IntStream.range(0, 60).mapToObj(i -> Case.draw(1000 + i)),
                IntStream.range(0, 20).mapToObj(i -> Case.drawLong(2000 + i)));
    }

    @TestFactory
    Stream<DynamicTest> sameInitialWeights() {
        return cases().map(c -> DynamicTest.dynamicTest(c.toString(), () -> {
            GptModel value = c.valueModel();
            ArrayGptModel array = c.arrayModel();
            assertEquals(value.parameters().matrixLayouts(), array.parameters().matrixLayouts(), c.toString());
            assertArrayEquals(value.parameters().values(), array.parameters().values(), 0.0, c.toString());
        }));
    }

    @TestFactory
    Stream<DynamicTest> sameLossesProbabilitiesAndGradients() {
        return cases().map(c -> DynamicTest.dynamicTest(c.toString(), () -> {
            GptModel value = c.valueModel();
            ArrayGptModel array = c.arrayModel();
            for (int d = 0; d < c.documents().size(); d++) {
                int[] doc = c.documents().get(d);
                int end = Math.min(c.config().blockSize(), doc.length - 1);
                // Whole documents, then a single position, as StepMode.DOCUMENT and POSITION train.
                int[][] stretches = {{0, end}, {end - 1, end}};
                for (int[] stretch : stretches) {
                    String where = c + ", document " + d + ", positions [" + stretch[0] + ", " + stretch[1] + ")";
                    Predictions valuePredictions = new Predictions();
                    Predictions arrayPredictions = new Predictions();
                    double valueLoss = value.lossAndGradients(doc, stretch[0], stretch[1], valuePredictions);
                    double arrayLoss = array.lossAndGradients(doc, stretch[0], stretch[1], arrayPredictions);
                    List<double[]> valueSeen = rows(valuePredictions);
                    List<double[]> arraySeen = rows(arrayPredictions);
                    assertEquals(stretch[0], valuePredictions.first(), where);
                    assertEquals(stretch[1], valuePredictions.end(), where);
                    assertEquals(Double.doubleToRawLongBits(valueLoss), Double.doubleToRawLongBits(arrayLoss),
                            where + ": loss " + valueLoss + " vs " + arrayLoss);
                    assertEquals(valueSeen.size(), arraySeen.size(), where);
                    for (int i = 0; i < valueSeen.size(); i++) {
                        assertArrayEquals(valueSeen.get(i), arraySeen.get(i), 0.0, where + ", observed position " + i);
                    }
                    assertGradientsAgree(value.parameters(), array.parameters(), where);
                }
            }
        }));
    }

    @TestFactory
    Stream<DynamicTest> sameLogitsWhenGenerating() {
        return cases().map(c -> DynamicTest.dynamicTest(c.toString(), () -> {
            LanguageModel.Sequence value = c.valueModel().newSequence();
            LanguageModel.Sequence array = c.arrayModel().newSequence();
            int[] doc = c.documents().get(0);
            for (int pos = 0; pos < Math.min(doc.length, c.config().blockSize()); pos++) {
                assertArrayEquals(value.next(doc[pos]), array.next(doc[pos]), 0.0, c + ", position " + pos);
                assertEquals(value.length(), array.length());
            }
        }));
    }

    @Test
    void copyOfTakesTheWeightsOfAValueModel() {
        Case c = Case.draw(7);
        GptModel value = c.valueModel();
        value.parameters().setValue(3, 0.25);
        ArrayGptModel copy = ArrayGptModel.copyOf(value);
        assertArrayEquals(value.parameters().values(), copy.parameters().values(), 0.0);
        copy.parameters().setValue(3, 0.5);
        assertEquals(0.25, value.parameters().value(3), "the copy shares no storage");
    }

    /** The recorded positions, flattened: position, loss and probabilities each. */
    static List<double[]> rows(Predictions predictions) {
        List<double[]> rows = new ArrayList<>();
        for (int pos = predictions.first(); pos < predictions.end(); pos++) {
            double[] probabilities = predictions.probabilities(pos);
            double[] out = new double[probabilities.length + 2];
            out[0] = pos;
            out[1] = predictions.loss(pos);
            System.arraycopy(probabilities, 0, out, 2, probabilities.length);
            rows.add(out);
        }
        return rows;
    }

    /**
     * Compares and then zeroes the gradients of both models: each must agree to a relative
     * {@value Gradients#RELATIVE}, or within {@value Gradients#CANCELLATION_FLOOR} of the largest
     * where its terms cancel ({@link Gradients}, the rule every engine comparison uses).
     */
    static void assertGradientsAgree(Parameters expected, Parameters actual, String where) {
        Gradients.assertAgree(expected.grads(), actual.grads(), where + " (the Value engine's gradients expected)");
        for (int i = 0; i < expected.size(); i++) {
            expected.setGrad(i, 0.0);
            actual.setGrad(i, 0.0);
        }
    }
}
