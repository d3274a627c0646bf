package io.github.microgpt.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.random.PythonRandom;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * {@link ArrayGptModel#setThreads}: one document's step split over threads gives the same bits
 * as on one thread, since the work is split by outputs and no sum is ever split.
 */
class ArrayGptModelThreadsTest {

    /** One document's loss and gradients on {@code threads} threads, from the case's weights. */
    private static double[] lossAndGradients(EngineAgreementTest.Case c, int[] doc, int first, int end, int threads) {
        ArrayGptModel model = c.arrayModel().setThreads(threads);
        assertEquals(threads, model.threads());
        double loss = model.lossAndGradients(doc, first, end, null);
        double[] grads = model.parameters().grads();
        double[] out = new double[grads.length + 1];
        out[0] = loss;
        System.arraycopy(grads, 0, out, 1, grads.length);
        return out;
    }

    @TestFactory
    Stream<DynamicTest> lossAndGradientsDoNotDependOnTheNumberOfThreads() {
        return IntStream.range(0, 30).mapToObj(i -> EngineAgreementTest.Case.drawLong(5000 + i))
                .map(c -> DynamicTest.dynamicTest(c.toString(), () -> {
                    int[] doc = c.documents().get(0);
                    int end = Math.min(c.config().blockSize(), doc.length - 1);
                    for (int first : new int[] {0, end / 2}) {
                        double[] one = lossAndGradients(c, doc, first, end, 1);
                        assertTrue(Math.abs(one[0]) > 0, "a loss was computed");
                        for (int threads : new int[] {2, 3, 5}) {
                            assertArrayEquals(one, lossAndGradients(c, doc, first, end, threads), 0.0,
                                    c + ", positions [" + first + ", " + end + "), " + threads + " threads");
                        }
                    }
                }));
    }

    @Test
    void aTrainedModelStaysTheSameWhateverTheThreads() {
        EngineAgreementTest.Case c = EngineAgreementTest.Case.drawLong(77);
        ArrayGptModel one = c.arrayModel();
        ArrayGptModel two = c.arrayModel().setThreads(2);
        int[] doc = c.documents().get(0);
        int end = Math.min(c.config().blockSize(), doc.length - 1);
        for (int step = 0; step < 5; step++) {
            double a = one.lossAndGradients(doc, 0, end, null);
            double b = two.lossAndGradients(doc, 0, end, null);
            assertEquals(Double.doubleToRawLongBits(a), Double.doubleToRawLongBits(b), "loss of step " + step);
            for (ArrayGptModel m : new ArrayGptModel[] {one, two}) {
                Parameters p = m.parameters();
                for (int i = 0; i < p.size(); i++) {
                    p.setValue(i, p.value(i) - 0.1 * p.grad(i));
                    p.setGrad(i, 0.0);
                }
            }
        }
        assertArrayEquals(one.parameters().values(), two.parameters().values(), 0.0);
    }

    @Test
    void aFailureOnAHelperThreadReachesTheCaller() {
        Workers workers = new Workers(2);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> workers.forRange(1000, 1, (from, to) -> {
            if (from <= 700 && 700 < to) {
                throw new IllegalStateException("the part with 700");
            }
        }));
        assertEquals("the part with 700", e.getMessage());
        int[] covered = new int[10];
        workers.forRange(10, 1, (from, to) -> {
            for (int i = from; i < to; i++) {
                covered[i]++;
            }
        });
        assertArrayEquals(new int[] {1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, covered, "the team still works, each index once");
    }

    @Test
    void threadsMustBePositive() {
        ArrayGptModel model = ArrayGptModel.create(GptConfig.defaults(), 5, new PythonRandom(1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> model.setThreads(0));
        assertEquals("the number of threads must be at least 1, got 0", e.getMessage());
        assertEquals(1, model.threads());
    }
}
