package io.github.microgpt.vector;

import static io.github.microgpt.testsupport.Bits.assertBits;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.microgpt.model.ArrayGptModel;
import io.github.microgpt.model.ArrayKernels;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.MatrixLayout;
import io.github.microgpt.model.Precision;
import io.github.microgpt.optim.AdamOptimizer;
import io.github.microgpt.random.PythonRandom;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * After the optimizer's update every gradient is {@code +0.0}, and the next backward pass's
 * weights' gradients start from 0 instead of reading the zeros back (the model's
 * {@code ArrayParameters#takeClearedGradients} and its single-precision twin, {@link DoubleProducts}'
 * and {@link FloatProducts}' kernels). That must change no bit of any step, in either precision,
 * on one thread or two, and must never drop a gradient that is not 0: one set by hand after the
 * update, one left by an earlier document, or a batch's. The model is large enough for its
 * products to be these kernels' rather than the small-shape ones.
 */
class ClearedGradientsTest {

    private static final GptConfig CONFIG = new GptConfig(1, 64, 4, 64, 0.08);
    private static final int VOCAB = 29;

    @BeforeAll
    static void theVectorKernelsAreInUse() {
        assertEquals(ArrayKernels.Implementation.VECTOR, ArrayKernels.implementation(),
                "these tests need the Vector API kernels");
    }

    private static int[] document(int shift) {
        int[] doc = new int[CONFIG.blockSize() + 1];
        for (int i = 0; i < doc.length; i++) {
            doc[i] = (i * 11 + shift) % VOCAB;
        }
        return doc;
    }

    private static ArrayGptModel model(int threads, Precision precision) {
        return ArrayGptModel.create(CONFIG, VOCAB, new PythonRandom(9), precision).setThreads(threads);
    }

    private static double train(ArrayGptModel model, int shift) {
        return model.lossAndGradients(document(shift), 0, CONFIG.blockSize(), null);
    }

    /**
     * Steps whose backward passes start from the cleared gradients give the bits of steps that
     * read the zeros back (made to by a {@code setGrad(0, 0.0)} after each update, which changes
     * no value): losses, gradients and weights, {@code -0.0} told from {@code +0.0}.
     */
    @ParameterizedTest
    @EnumSource(Precision.class)
    void stepsFromClearedGradientsGiveTheBitsOfAddingToZeros(Precision precision) {
        for (int threads : new int[] {1, 2}) {
            ArrayGptModel cleared = model(threads, precision);
            ArrayGptModel read = model(threads, precision);
            AdamOptimizer adamCleared = new AdamOptimizer(cleared.numParameters());
            AdamOptimizer adamRead = new AdamOptimizer(read.numParameters());
            int steps = 3;
            for (int step = 0; step < steps; step++) {
                double a = train(cleared, step);
                double b = train(read, step);
                assertEquals(Double.doubleToRawLongBits(b), Double.doubleToRawLongBits(a), "loss of step " + step);
                assertBits(read.parameters().grads(), cleared.parameters().grads(),
                        threads + " threads, gradients of step " + step);
                adamCleared.step(cleared.parameters(), step, steps);
                adamRead.step(read.parameters(), step, steps);
                read.parameters().setGrad(0, 0.0);
            }
            assertBits(read.parameters().values(), cleared.parameters().values(), threads + " threads, weights");
        }
    }

    /** A gradient set after the update (in a product's weights) is added to, not written over. */
    @ParameterizedTest
    @EnumSource(Precision.class)
    void aGradientSetAfterTheUpdateIsAddedTo(Precision precision) {
        ArrayGptModel set = model(2, precision);
        ArrayGptModel plain = model(2, precision);
        for (ArrayGptModel m : new ArrayGptModel[] {set, plain}) {
            train(m, 1);
            new AdamOptimizer(m.numParameters()).step(m.parameters(), 0, 10);
        }
        // The first weight of the last matrix (the last layer's second MLP layer): the first row
        // of a block of six of the weights' gradient.
        List<MatrixLayout> matrices = set.parameters().matrixLayouts();
        int i = matrices.get(matrices.size() - 1).offset();
        set.parameters().setGrad(i, 1.5);
        train(set, 2);
        train(plain, 2);
        assertEquals(1.5 + plain.parameters().grad(i), set.parameters().grad(i), 1e-6);
    }

    /** Two documents without an update in between: the second adds to the first's gradients. */
    @ParameterizedTest
    @EnumSource(Precision.class)
    void aSecondDocumentAddsToTheFirst(Precision precision) {
        ArrayGptModel both = model(2, precision);
        ArrayGptModel first = model(2, precision);
        ArrayGptModel second = model(2, precision);
        train(both, 1);
        train(both, 2);
        train(first, 1);
        train(second, 2);
        assertSums(both, first, second, precision);
    }

    /** A batch adds to the gradients too: a document after it adds to the batch's. */
    @ParameterizedTest
    @EnumSource(Precision.class)
    void aDocumentAfterABatchAddsToIt(Precision precision) {
        ArrayGptModel both = model(1, precision);
        ArrayGptModel first = model(1, precision);
        ArrayGptModel second = model(1, precision);
        both.batchLossAndGradients(List.of(document(1)), 2);
        train(both, 2);
        first.batchLossAndGradients(List.of(document(1)), 2);
        train(second, 2);
        assertSums(both, first, second, precision);
    }

    /**
     * {@code both}'s gradients are the sums of {@code first}'s and {@code second}'s, to the
     * precision's rounding (in floats each sum rounds several times; 1e-5 relative is some 80 of
     * its units in the last place, where a dropped gradient is off by all of it).
     */
    private static void assertSums(ArrayGptModel both, ArrayGptModel first, ArrayGptModel second,
                                   Precision precision) {
        double[] sum = both.parameters().grads();
        double[] a = first.parameters().grads();
        double[] b = second.parameters().grads();
        double tolerance = precision == Precision.F64 ? 1e-12 : 1e-5;
        for (int i = 0; i < sum.length; i++) {
            assertEquals(a[i] + b[i], sum[i], tolerance * (1 + Math.abs(a[i]) + Math.abs(b[i])), "gradient " + i);
        }
    }
}
