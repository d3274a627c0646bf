package io.github.microgpt.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.optim.AdamOptimizer;
import io.github.microgpt.random.PythonRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * {@link ArrayGptModel#setThreads}: one document's step split over threads gives the same bits
 * as on one thread, since the work is split by outputs (rows, columns, heads, positions) and no
 * sum is ever split.
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

    /**
     * Loss, gradients, then weights after Adam steps, and a second loss over a later stretch, of
     * a model of {@code precision} trained on {@code team}.
     */
    private static double[] trainedOn(GptConfig config, int vocab, long seed, Precision precision, Workers team,
                                      int[] doc, int steps) {
        ArrayGptModel model = ArrayGptModel.create(config, vocab, new PythonRandom(seed), precision).useWorkers(team);
        int end = Math.min(config.blockSize(), doc.length - 1);
        AdamOptimizer adam = new AdamOptimizer(model.numParameters());
        List<Double> out = new ArrayList<>();
        for (int step = 0; step < steps; step++) {
            out.add(model.lossAndGradients(doc, 0, end, null));
            adam.step(model.parameters(), step, steps);
        }
        out.add(model.lossAndGradients(doc, end / 3, end, null));
        double[] grads = model.parameters().grads();
        double[] values = model.parameters().values();
        double[] all = new double[out.size() + grads.length + values.length];
        for (int i = 0; i < out.size(); i++) {
            all[i] = out.get(i);
        }
        System.arraycopy(grads, 0, all, out.size(), grads.length);
        System.arraycopy(values, 0, all, out.size() + grads.length, values.length);
        return all;
    }

    /**
     * Teams that split every stage as finely as it goes (one number per thread at least): the
     * element-wise stages (embedding, RMSNorm, residual sums, ReLU, softmax with cross-entropy,
     * by positions) and the embeddings' gradient (by columns) at sizes where the default team
     * would run them on the calling thread. The documents repeat tokens, so that several
     * positions add to the same row of {@code wte}.
     */
    @TestFactory
    Stream<DynamicTest> finelySplitStagesGiveTheSameBits() {
        return IntStream.range(0, 16).mapToObj(i -> DynamicTest.dynamicTest("case " + i, () -> {
            SplittableRandom r = new SplittableRandom(9000 + i);
            int nHead = 1 + r.nextInt(3);
            GptConfig config = new GptConfig(1 + r.nextInt(2), nHead * (1 + r.nextInt(6)), nHead, 8 + r.nextInt(17),
                    0.05 + 0.3 * r.nextDouble());
            int vocab = 2 + r.nextInt(6);
            int[] doc = new int[config.blockSize() + 1];
            for (int t = 0; t < doc.length; t++) {
                doc[t] = r.nextInt(vocab);
            }
            for (Precision precision : Precision.values()) {
                double[] one = trainedOn(config, vocab, 40 + i, precision, ArrayGptModel.SINGLE_THREAD, doc, 3);
                for (int threads : new int[] {2, 3, 5}) {
                    assertArrayEquals(one, trainedOn(config, vocab, 40 + i, precision, new Workers(threads, 1), doc, 3),
                            0.0, config + " " + precision + ", " + threads + " threads splitting every stage");
                }
            }
        }));
    }

    /**
     * At a size where the default team splits the stages itself (128 wide, 64 positions), in
     * both precisions, with the teams {@link ArrayGptModel#setThreads} makes.
     */
    @Test
    void aLargerModelGivesTheSameBitsOnTwoAndThreeThreads() {
        GptConfig config = new GptConfig(2, 128, 4, 64, 0.08);
        int vocab = 27;
        int[] doc = new int[65];
        for (int t = 0; t < doc.length; t++) {
            doc[t] = (t * 5 + t / 7) % vocab;
        }
        for (Precision precision : Precision.values()) {
            double[] one = trainedOn(config, vocab, 3, precision, ArrayGptModel.SINGLE_THREAD, doc, 2);
            for (int threads : new int[] {2, 3}) {
                ArrayGptModel probe = ArrayGptModel.create(config, vocab, new PythonRandom(3), precision).setThreads(threads);
                assertEquals(threads, probe.threads());
                assertArrayEquals(one, trainedOn(config, vocab, 3, precision, new Workers(threads), doc, 2), 0.0,
                        precision + ", " + threads + " threads");
            }
        }
    }

    /**
     * A loop shared out covers every iteration exactly once, in contiguous chunks of at least the
     * grain (the loop's whole length when it is shorter than two grains, run by the caller).
     */
    @Test
    void everyIterationOnceInChunksOfAtLeastTheGrain() {
        for (int threads : new int[] {2, 3, 5}) {
            Workers workers = new Workers(threads);
            for (int count : new int[] {1, 2, 3, 7, 16, 64, 100, 768, 9334}) {
                for (int grain : new int[] {1, 2, 3, 16, 40}) {
                    int[] covered = new int[count];
                    ConcurrentLinkedQueue<int[]> chunks = new ConcurrentLinkedQueue<>();
                    workers.forRange(count, grain, (from, to) -> {
                        chunks.add(new int[] {from, to});
                        for (int i = from; i < to; i++) {
                            covered[i]++;
                        }
                    });
                    String where = threads + " threads, " + count + " iterations, grain " + grain;
                    for (int i = 0; i < count; i++) {
                        assertEquals(1, covered[i], where + ": iteration " + i);
                    }
                    for (int[] chunk : chunks) {
                        assertTrue(chunk[1] - chunk[0] >= Math.min(grain, count), where + ": chunk " + chunk[0] + ".." + chunk[1]);
                    }
                }
            }
        }
    }

    /**
     * Two loops handed out together each cover every iteration exactly once, in chunks of at
     * least their own grain, whether both are shared, one of them, or neither.
     */
    @Test
    void twoLoopsTogetherCoverEachIterationOnce() {
        for (int threads : new int[] {1, 2, 3, 5}) {
            Workers workers = new Workers(threads);
            for (int count : new int[] {1, 7, 64, 100}) {
                for (int count2 : new int[] {3, 27, 256, 1024}) {
                    int grain = 16;
                    int grain2 = 8;
                    int[] covered = new int[count];
                    int[] covered2 = new int[count2];
                    ConcurrentLinkedQueue<int[]> chunks = new ConcurrentLinkedQueue<>();
                    workers.forRanges(count, grain, (from, to) -> {
                        chunks.add(new int[] {0, from, to});
                        for (int i = from; i < to; i++) {
                            covered[i]++;
                        }
                    }, count2, grain2, (from, to) -> {
                        chunks.add(new int[] {1, from, to});
                        for (int i = from; i < to; i++) {
                            covered2[i]++;
                        }
                    });
                    String where = threads + " threads, " + count + " and " + count2 + " iterations";
                    for (int i = 0; i < count; i++) {
                        assertEquals(1, covered[i], where + ": first loop's iteration " + i);
                    }
                    for (int i = 0; i < count2; i++) {
                        assertEquals(1, covered2[i], where + ": second loop's iteration " + i);
                    }
                    for (int[] chunk : chunks) {
                        int least = chunk[0] == 0 ? Math.min(grain, count) : Math.min(grain2, count2);
                        assertTrue(chunk[2] - chunk[1] >= least, where + ": chunk " + chunk[1] + ".." + chunk[2]
                                + " of loop " + chunk[0]);
                    }
                }
            }
        }
    }

    @Test
    void aFailureInEitherOfTwoLoopsReachesTheCaller() {
        Workers workers = new Workers(2);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> workers.forRanges(100, 4,
                (from, to) -> { }, 1000, 1, (from, to) -> {
                    if (from <= 900 && 900 < to) {
                        throw new IllegalStateException("the part with 900");
                    }
                }));
        assertEquals("the part with 900", e.getMessage());
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

    @Test
    void threadsAreBoundedSoAMistypedCountCannotStartThousands() {
        ArrayGptModel model = ArrayGptModel.create(GptConfig.defaults(), 5, new PythonRandom(1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> model.setThreads(100_000));
        assertTrue(e.getMessage().startsWith("the number of threads must be at most 256, got 100000"), e.getMessage());
        assertEquals(1, model.threads());
        assertEquals(256, model.setThreads(256).threads());
        model.setThreads(1);
    }
}
