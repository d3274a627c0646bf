package io.github.microgpt.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.github.microgpt.optim.AdamOptimizer;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.testing.WrappedModel;
import io.github.microgpt.text.Tokenizer;
import io.github.microgpt.train.Minibatch;
import io.github.microgpt.train.StepEvent;
import io.github.microgpt.train.Trainer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The batch step gives bit-identical results whatever the number of threads, and equals the
 * sequential definition of {@link LanguageModel#batchLossAndGradients}.
 */
class BatchDeterminismTest {

    /** A random configuration and batch drawn from one seed. */
    record Case(long seed, GptConfig config, int vocabSize, List<int[]> batch) {
        static Case draw(long seed) {
            SplittableRandom r = new SplittableRandom(seed);
            int nHead = 1 + r.nextInt(3);
            GptConfig config = new GptConfig(1 + r.nextInt(2), nHead * (1 + r.nextInt(4)), nHead,
                    1 + r.nextInt(8), 0.05 + r.nextDouble() * 0.3);
            int vocabSize = 2 + r.nextInt(10);
            List<int[]> batch = new ArrayList<>();
            int size = 1 + r.nextInt(9);
            for (int b = 0; b < size; b++) {
                int[] doc = new int[2 + r.nextInt(config.blockSize() + 2)];
                for (int i = 0; i < doc.length; i++) {
                    doc[i] = r.nextInt(vocabSize);
                }
                batch.add(doc);
            }
            return new Case(seed, config, vocabSize, batch);
        }

        ArrayGptModel model() {
            return ArrayGptModel.create(config, vocabSize, new PythonRandom(seed));
        }

        @Override
        public String toString() {
            return "seed " + seed + ", " + config + ", vocab " + vocabSize + ", batch of " + batch.size();
        }
    }

    /** One empty buffer per document of a batch. */
    private static List<Predictions> predictionsFor(List<int[]> batch) {
        List<Predictions> predictions = new ArrayList<>();
        for (int b = 0; b < batch.size(); b++) {
            predictions.add(new Predictions());
        }
        return predictions;
    }

    /** The predictions of a batch, flattened: document, position, loss and probabilities. */
    private static List<double[]> record(List<Predictions> predictions) {
        List<double[]> seen = new ArrayList<>();
        for (int document = 0; document < predictions.size(); document++) {
            for (double[] row : EngineAgreementTest.rows(predictions.get(document))) {
                double[] withDocument = new double[row.length + 1];
                withDocument[0] = document;
                System.arraycopy(row, 0, withDocument, 1, row.length);
                seen.add(withDocument);
            }
        }
        return seen;
    }

    @TestFactory
    Stream<DynamicTest> oneTwoAndThreeThreadsAgreeWithTheSequentialDefinition() {
        return IntStream.range(0, 40).mapToObj(i -> Case.draw(500 + i)).map(c -> DynamicTest.dynamicTest(c.toString(), () -> {
            // The default method of the interface, reached through a wrapper that does not override it.
            ArrayGptModel reference = c.model();
            reference.parameters().setGrad(0, 0.125);
            List<Predictions> referencePredictions = predictionsFor(c.batch());
            double referenceLoss = sequential(reference).batchLossAndGradients(c.batch(), 1, referencePredictions);
            List<double[]> referenceSeen = record(referencePredictions);
            for (int threads = 1; threads <= 3; threads++) {
                ArrayGptModel model = c.model();
                model.parameters().setGrad(0, 0.125);
                List<Predictions> predictions = predictionsFor(c.batch());
                double loss = model.batchLossAndGradients(c.batch(), threads, predictions);
                List<double[]> seen = record(predictions);
                String where = c + ", " + threads + " threads";
                assertEquals(Double.doubleToRawLongBits(referenceLoss), Double.doubleToRawLongBits(loss), where);
                assertArrayEquals(reference.parameters().grads(), model.parameters().grads(), 0.0, where);
                assertEquals(referenceSeen.size(), seen.size(), where);
                for (int k = 0; k < seen.size(); k++) {
                    assertArrayEquals(referenceSeen.get(k), seen.get(k), 0.0, where + ", observation " + k);
                }
            }
        }));
    }

    @Test
    void trainingInBatchesGivesTheSameParametersOnOneTwoOrThreeThreads() {
        Tokenizer tokenizer = Tokenizer.fromDocuments(List.of("abcdefghij"));
        List<String> docs = new ArrayList<>();
        SplittableRandom r = new SplittableRandom(3);
        for (int i = 0; i < 40; i++) {
            StringBuilder name = new StringBuilder();
            for (int j = 1 + r.nextInt(10); j > 0; j--) {
                name.append((char) ('a' + r.nextInt(10)));
            }
            docs.add(name.toString());
        }
        GptConfig config = GptConfig.defaults().withNEmbd(8).withNHead(2).withBlockSize(8);
        double[][] finalWeights = new double[3][];
        List<List<Double>> losses = new ArrayList<>();
        for (int threads = 1; threads <= 3; threads++) {
            ArrayGptModel model = ArrayGptModel.create(config, tokenizer.vocabSize(), new PythonRandom(11));
            Trainer trainer = new Trainer(model, tokenizer, docs, new AdamOptimizer(model.numParameters()), 12);
            List<Double> stepLosses = new ArrayList<>();
            while (!trainer.isFinished()) {
                StepEvent event = trainer.stepBatch(Minibatch.of(7).withThreads(threads));
                stepLosses.add(event.loss());
            }
            finalWeights[threads - 1] = model.parameters().values();
            losses.add(stepLosses);
        }
        assertEquals(losses.get(0), losses.get(1));
        assertEquals(losses.get(0), losses.get(2));
        assertArrayEquals(finalWeights[0], finalWeights[1], 0.0, "1 vs 2 threads");
        assertArrayEquals(finalWeights[0], finalWeights[2], 0.0, "1 vs 3 threads");
    }

    @Test
    void aBatchOfOneIsADocumentStepOfTheSameDocument() {
        Case c = Case.draw(77);
        ArrayGptModel batched = c.model();
        ArrayGptModel single = c.model();
        int[] doc = c.batch().get(0);
        double batchLoss = batched.batchLossAndGradients(List.of(doc), 2, null);
        double loss = single.lossAndGradients(doc, 0, Math.min(c.config().blockSize(), doc.length - 1), null);
        assertEquals(loss, batchLoss, 0.0);
        assertArrayEquals(single.parameters().grads(), batched.parameters().grads(), 0.0);
    }

    @Test
    void theValueEngineComputesTheSameBatchSequentially() {
        Case c = Case.draw(78);
        GptModel value = GptModel.create(c.config(), c.vocabSize(), new PythonRandom(c.seed()));
        ArrayGptModel array = c.model();
        double valueLoss = value.batchLossAndGradients(c.batch(), 4, null);
        double arrayLoss = array.batchLossAndGradients(c.batch(), 4, null);
        assertEquals(valueLoss, arrayLoss, 0.0, "the forward passes of the engines are identical");
        EngineAgreementTest.assertGradientsAgree(value.parameters(), array.parameters(), c.toString());
    }

    @Test
    void rejectsBadBatchesWithoutTouchingTheGradients() {
        Case c = Case.draw(79);
        for (LanguageModel model : List.of(c.model(), GptModel.create(c.config(), c.vocabSize(), new PythonRandom(1)))) {
            double[] before = model.parameters().grads();
            assertThrows(IllegalArgumentException.class, () -> model.batchLossAndGradients(List.of(), 1, null));
            assertThrows(IllegalArgumentException.class, () -> model.batchLossAndGradients(c.batch(), 0, null));
            assertThrows(IllegalArgumentException.class,
                    () -> model.batchLossAndGradients(List.of(new int[] {0}), 1, null));
            List<int[]> badToken = new ArrayList<>(c.batch());
            badToken.add(new int[] {0, c.vocabSize()});
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> model.batchLossAndGradients(badToken, 2, null));
            assertEquals(true, e.getMessage().contains("document " + c.batch().size()), e.getMessage());
            List<Predictions> tooFew = predictionsFor(c.batch()).subList(1, c.batch().size());
            e = assertThrows(IllegalArgumentException.class, () -> model.batchLossAndGradients(c.batch(), 1, tooFew));
            assertEquals("a batch of " + c.batch().size() + " documents needs as many Predictions, got "
                    + tooFew.size(), e.getMessage());
            List<Predictions> withNull = new ArrayList<>(predictionsFor(c.batch()));
            withNull.set(0, null);
            e = assertThrows(IllegalArgumentException.class, () -> model.batchLossAndGradients(c.batch(), 1, withNull));
            assertEquals("the Predictions of document 0 of the batch is null", e.getMessage());
            List<int[]> twoDocuments = List.of(c.batch().get(0), c.batch().get(0));
            Predictions one = new Predictions();
            e = assertThrows(IllegalArgumentException.class,
                    () -> model.batchLossAndGradients(twoDocuments, 2, List.of(one, one)));
            assertEquals("documents 0 and 1 of the batch are given the same Predictions; each needs its own",
                    e.getMessage());
            assertArrayEquals(before, model.parameters().grads(), 0.0, model.getClass().getSimpleName());
        }
    }

    /** A model that forwards everything but {@code batchLossAndGradients}, so the default runs. */
    private static LanguageModel sequential(LanguageModel model) {
        return new WrappedModel(model, LanguageModel.Sequence::next);
    }
}
