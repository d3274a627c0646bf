package io.github.microgpt.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.microgpt.optim.AdamOptimizer;
import io.github.microgpt.random.PythonRandom;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * After the optimizer's update every gradient is {@code +0.0}, and the next backward pass starts
 * the weights' gradients from 0 instead of reading them ({@code ArrayParameters#takeClearedGradients}).
 * That must change no bit of any step, on one thread or two, and must never drop a gradient that
 * is not 0: one set by hand after the update, one left by an earlier document, or the sum of a
 * batch.
 */
class ClearedGradientsTest {

    /** Positions enough for the weights' gradient to take its first pass of three positions. */
    private static final GptConfig CONFIG = new GptConfig(2, 24, 4, 20, 0.08);
    private static final int VOCAB = 11;

    private static int[] document(int shift) {
        int[] doc = new int[CONFIG.blockSize() + 1];
        for (int i = 0; i < doc.length; i++) {
            doc[i] = (i * 5 + shift) % VOCAB;
        }
        return doc;
    }

    private static ArrayGptModel model(int threads) {
        return ArrayGptModel.create(CONFIG, VOCAB, new PythonRandom(3)).setThreads(threads);
    }

    /** The raw bits of the values and gradients, so that {@code -0.0} and {@code +0.0} differ. */
    private static long[] bits(ArrayGptModel model) {
        double[] values = model.parameters().values();
        double[] grads = model.parameters().grads();
        long[] bits = new long[values.length + grads.length];
        for (int i = 0; i < values.length; i++) {
            bits[i] = Double.doubleToRawLongBits(values[i]);
            bits[values.length + i] = Double.doubleToRawLongBits(grads[i]);
        }
        return bits;
    }

    /**
     * Steps whose backward passes start from the cleared gradients give the bits of steps whose
     * gradients were only known to be 0 by reading them (a {@code setGrad(0, 0.0)} after each
     * update, which changes no value but makes the model read the zeros back).
     */
    @Test
    void stepsFromClearedGradientsGiveTheBitsOfAddingToZeros() {
        for (int threads : new int[] {1, 2}) {
            ArrayGptModel cleared = model(threads);
            ArrayGptModel read = model(threads);
            AdamOptimizer adamCleared = new AdamOptimizer(cleared.numParameters());
            AdamOptimizer adamRead = new AdamOptimizer(read.numParameters());
            int steps = 4;
            for (int step = 0; step < steps; step++) {
                int[] doc = document(step);
                double a = cleared.lossAndGradients(doc, 0, CONFIG.blockSize(), null);
                double b = read.lossAndGradients(doc, 0, CONFIG.blockSize(), null);
                assertEquals(Double.doubleToRawLongBits(b), Double.doubleToRawLongBits(a), "loss of step " + step);
                assertEquals(List.of(), differences(bits(read), bits(cleared)), "gradients of step " + step);
                adamCleared.step(cleared.parameters(), step, steps);
                adamRead.step(read.parameters(), step, steps);
                read.parameters().setGrad(0, 0.0);
            }
            assertEquals(List.of(), differences(bits(read), bits(cleared)), threads + " threads, the weights");
        }
    }

    /** A gradient set after the update is added to, not written over. */
    @Test
    void aGradientSetAfterTheUpdateIsAddedTo() {
        ArrayGptModel set = model(2);
        ArrayGptModel plain = model(2);
        int[] doc = document(1);
        for (ArrayGptModel m : new ArrayGptModel[] {set, plain}) {
            m.lossAndGradients(doc, 0, CONFIG.blockSize(), null);
            new AdamOptimizer(m.numParameters()).step(m.parameters(), 0, 10);
        }
        // The last parameter is in the last layer's second MLP matrix, a product's gradient.
        int last = set.numParameters() - 1;
        set.parameters().setGrad(last, 1.5);
        set.lossAndGradients(doc, 0, CONFIG.blockSize(), null);
        plain.lossAndGradients(doc, 0, CONFIG.blockSize(), null);
        assertEquals(1.5 + plain.parameters().grad(last), set.parameters().grad(last), 1e-12);
    }

    /** Two documents without an update in between: the second adds to the first's gradients. */
    @Test
    void aSecondDocumentAddsToTheFirst() {
        ArrayGptModel both = model(2);
        ArrayGptModel first = model(2);
        ArrayGptModel second = model(2);
        both.lossAndGradients(document(1), 0, CONFIG.blockSize(), null);
        both.lossAndGradients(document(2), 0, CONFIG.blockSize(), null);
        first.lossAndGradients(document(1), 0, CONFIG.blockSize(), null);
        second.lossAndGradients(document(2), 0, CONFIG.blockSize(), null);
        assertSums(both, first, second);
    }

    /** A batch adds to the gradients too: a document after it adds to the batch's. */
    @Test
    void aDocumentAfterABatchAddsToIt() {
        ArrayGptModel both = model(1);
        ArrayGptModel first = model(1);
        ArrayGptModel second = model(1);
        both.batchLossAndGradients(List.of(document(1)), 2);
        both.lossAndGradients(document(2), 0, CONFIG.blockSize(), null);
        first.batchLossAndGradients(List.of(document(1)), 2);
        second.lossAndGradients(document(2), 0, CONFIG.blockSize(), null);
        assertSums(both, first, second);
    }

    private static void assertSums(ArrayGptModel both, ArrayGptModel first, ArrayGptModel second) {
        double[] sum = both.parameters().grads();
        double[] a = first.parameters().grads();
        double[] b = second.parameters().grads();
        for (int i = 0; i < sum.length; i++) {
            assertEquals(a[i] + b[i], sum[i], 1e-12 * (1 + Math.abs(a[i]) + Math.abs(b[i])), "gradient " + i);
        }
    }

    /** The first few indices where two arrays of bits differ. */
    private static List<Integer> differences(long[] expected, long[] actual) {
        assertEquals(expected.length, actual.length);
        java.util.ArrayList<Integer> at = new java.util.ArrayList<>();
        for (int i = 0; i < expected.length && at.size() < 5; i++) {
            if (expected[i] != actual[i]) {
                at.add(i);
            }
        }
        return at;
    }
}
