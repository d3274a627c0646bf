package io.github.microgpt.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.random.PythonRandom;
import java.lang.reflect.Method;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * An array model holds its weights once: creating one allocates no flat array of all the weights
 * beside its rows, and no gradient rows until a step needs them, so that a model that only
 * samples ({@code microgpt generate}) holds its weights and nothing of their size besides. The
 * bytes are counted by the JVM for the calling thread ({@code getThreadAllocatedBytes}), so the
 * counts are exact whatever the collector does.
 */
class ArrayModelMemoryTest {

    /** About 100,000 parameters: 0.8 MB of doubles, against which a few kilobytes of bookkeeping are small. */
    private static final GptConfig CONFIG = new GptConfig(2, 64, 4, 16, 0.08);
    private static final int VOCAB = 27;

    @ParameterizedTest
    @EnumSource(Precision.class)
    void creatingAModelAllocatesItsWeightsOnce(Precision precision) throws Exception {
        int size = ParameterLayout.gpt(CONFIG, VOCAB).size();
        long weightBytes = (long) size * (precision == Precision.F64 ? Double.BYTES : Float.BYTES);
        PythonRandom random = new PythonRandom(1);
        // Once before counting: the first model also loads and links classes.
        ArrayGptModel.create(CONFIG, VOCAB, new PythonRandom(1), precision).newSequence().next(0);
        long before = allocated();
        ArrayGptModel model = ArrayGptModel.create(CONFIG, VOCAB, random, precision);
        long created = allocated() - before;
        // The rows' headers and the model's small objects come on top of the weights: some 3%.
        // A flat array of the weights (8 bytes a parameter) or the gradient rows would double it.
        assertTrue(created < weightBytes * 5 / 4, precision + ": creating a model of " + weightBytes
                + " bytes of weights allocated " + created);

        // Sampling a whole block needs the weights, a key-value cache and a few rows of scratch
        // (0.15 MB in f32 here), not the gradients (as large as the weights).
        before = allocated();
        LanguageModel.Sequence sequence = model.newSequence();
        for (int t = 0; t < CONFIG.blockSize(); t++) {
            sequence.next(t % VOCAB);
        }
        long sampled = allocated() - before;
        assertTrue(sampled < weightBytes / 2, precision + ": a sequence of the block's length allocated "
                + sampled + " bytes, against " + weightBytes + " of weights");
        assertArrayEquals(new double[size], model.parameters().grads(), "the gradients read as 0 before any step");
    }

    /**
     * The gradient rows made by the first step are those every later step and the optimizer use,
     * and a model that sampled first computes the same loss and gradients, bit for bit, as one
     * that did not; writing a gradient of {@code +0.0} (as {@code Checkpoint.loadInto} does for
     * every parameter) makes no rows, writing any other value does.
     */
    @ParameterizedTest
    @EnumSource(Precision.class)
    void theGradientRowsAreMadeWhenAStepNeedsThem(Precision precision) throws Exception {
        int size = ParameterLayout.gpt(CONFIG, VOCAB).size();
        ArrayGptModel sampledFirst = ArrayGptModel.create(CONFIG, VOCAB, new PythonRandom(3), precision);
        ArrayGptModel trainedAtOnce = ArrayGptModel.create(CONFIG, VOCAB, new PythonRandom(3), precision);
        LanguageModel.Sequence sequence = sampledFirst.newSequence();
        for (int t = 0; t < 5; t++) {
            sequence.next(t);
        }
        Parameters parameters = sampledFirst.parameters();
        long before = allocated();
        for (int i = 0; i < size; i += 97) {
            parameters.setGrad(i, 0.0);
        }
        long zeroed = allocated() - before;
        assertTrue(zeroed < 10_000, "writing +0.0 gradients allocated " + zeroed + " bytes");

        int[] tokens = {0, 3, 5, 7, 2, 0};
        double loss = sampledFirst.lossAndGradients(tokens, 0, tokens.length - 1);
        assertEquals(Double.doubleToRawLongBits(trainedAtOnce.lossAndGradients(tokens, 0, tokens.length - 1)),
                Double.doubleToRawLongBits(loss));
        assertArrayEquals(trainedAtOnce.parameters().grads(), parameters.grads());
        assertTrue(parameters.grad(size - 1) != 0.0 || parameters.grad(0) != 0.0, "the step wrote gradients");

        // The rows stay the same arrays: the model's views of them and the optimizer's agree.
        if (precision == Precision.F64) {
            ArrayParameters rows = (ArrayParameters) parameters;
            assertSame(rows.gradRows(), rows.gradRows());
        } else {
            FloatParameters rows = (FloatParameters) parameters;
            assertSame(rows.gradRows(), rows.gradRows());
        }

        // A gradient written before any step, other than +0.0, makes the rows and is read back.
        ArrayGptModel fresh = ArrayGptModel.create(CONFIG, VOCAB, new PythonRandom(3), precision);
        fresh.parameters().setGrad(42, -0.0);
        assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(fresh.parameters().grad(42)));
        fresh.parameters().setGrad(43, 0.25);
        assertEquals(0.25, fresh.parameters().grad(43));
    }

    /** Bytes this thread has allocated so far (HotSpot's count, through reflection: no module needed at compile time). */
    static long allocated() throws Exception {
        Object threads = Class.forName("java.lang.management.ManagementFactory").getMethod("getThreadMXBean")
                .invoke(null);
        Method allocated = Class.forName("com.sun.management.ThreadMXBean").getMethod("getThreadAllocatedBytes",
                long.class);
        return (long) allocated.invoke(threads, Thread.currentThread().getId());
    }
}
