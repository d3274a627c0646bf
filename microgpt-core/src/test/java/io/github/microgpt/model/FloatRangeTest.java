package io.github.microgpt.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.optim.AdamOptimizer;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.text.Tokenizer;
import io.github.microgpt.train.StepMode;
import io.github.microgpt.train.Trainer;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Numbers too large for a float, given to an f32 model through the public API: each is refused
 * with the index and the limit, nothing changed, rather than stored as infinity (which made the
 * next step's weights NaN). {@code SinglePrecisionTest} covers {@code setValue} and a checkpoint's
 * weights; these are the other ways in.
 */
class FloatRangeTest {

    private static final Tokenizer TOKENIZER = Tokenizer.ofCharacters("abcdefghijklmnopqrstuvwxyz");

    private static ArrayGptModel f32() {
        return ArrayGptModel.create(GptConfig.defaults(), TOKENIZER.vocabSize(), new PythonRandom(42), Precision.F32);
    }

    @Test
    void anF32GradientRefusesAValueBeyondAFloatsRange() {
        Parameters parameters = f32().parameters();
        parameters.setGrad(3, 0.25);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> parameters.setGrad(3, 1e300));
        assertEquals("the gradient of parameter 3 cannot be 1.0E300 in f32: the largest float is 3.4028235E38 (the"
                + " gradient is unchanged; an f64 model holds it)", e.getMessage());
        assertEquals(0.25, parameters.grad(3));
        assertThrows(IllegalArgumentException.class, () -> parameters.setGrad(4, -3.5e38));
        // The rest as setValue: rounded, 0 below the smallest float, NaN and infinities as given.
        parameters.setGrad(3, 3.4e38);
        assertEquals((float) 3.4e38, parameters.grad(3));
        parameters.setGrad(3, 1e-300);
        assertEquals(0.0, parameters.grad(3));
        parameters.setGrad(3, Double.NEGATIVE_INFINITY);
        assertEquals(Double.NEGATIVE_INFINITY, parameters.grad(3));
        parameters.setGrad(3, Double.NaN);
        assertTrue(Double.isNaN(parameters.grad(3)));
    }

    @Test
    void aRefusedGradientBeforeAnyOtherLeavesTheGradientRowsUnmade() {
        ArrayGptModel model = f32();
        assertThrows(IllegalArgumentException.class, () -> model.parameters().setGrad(0, 1e39));
        assertEquals(0.0, model.parameters().grad(0));
        // An optimizer's step over gradients never written is a step with zero gradients: the
        // weights stay as they were (Adam's update of a zero gradient and zero moments is 0).
        double[] weights = model.parameters().values();
        new AdamOptimizer(model.numParameters()).step(model.parameters(), 0, 10);
        assertArrayEquals(weights, model.parameters().values());
    }

    /**
     * Moments restored in doubles beyond a float's range: an f32 model's first step rounded them
     * to infinity, and the update made its weights NaN. The step is refused, naming the moment,
     * and nothing changes: the weights, the gradients and the moments.
     */
    @Test
    void anF32StepRefusesMomentsBeyondAFloatsRange() {
        for (String which : List.of("first", "second")) {
            ArrayGptModel model = f32();
            Parameters parameters = model.parameters();
            AdamOptimizer adam = new AdamOptimizer(model.numParameters());
            double[] m = new double[model.numParameters()];
            double[] v = new double[model.numParameters()];
            (which.equals("first") ? m : v)[7] = 1e300;
            adam.restoreMoments(m, v);
            parameters.setGrad(2, 0.5);
            double[] weights = parameters.values();
            double[] grads = parameters.grads();
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> adam.step(parameters, 0, 10));
            assertEquals(which + " moment 7 (1.0E300) is beyond the range of a float (the largest is 3.4028235E38),"
                    + " in which an f32 model's moments are kept; nothing was updated: step an f64 model with this"
                    + " optimizer, or restore moments a float holds", e.getMessage());
            assertArrayEquals(weights, parameters.values(), which);
            assertArrayEquals(grads, parameters.grads(), which);
            assertArrayEquals(m, adam.firstMoments(), which);
            assertArrayEquals(v, adam.secondMoments(), which);
            // The same optimizer still steps an f64 model, which holds such moments.
            ArrayGptModel f64 = ArrayGptModel.copyOf(model, Precision.F64);
            adam.step(f64.parameters(), 0, 10);
            assertTrue(Arrays.stream(f64.parameters().values()).allMatch(Double::isFinite), which);
        }
    }

    /** A trainer's step of an f32 model (the update inside the backward pass) refuses them too. */
    @Test
    void aTrainersF32StepRefusesMomentsBeyondAFloatsRangeAndChangesNothing() {
        ArrayGptModel model = f32();
        AdamOptimizer adam = new AdamOptimizer(model.numParameters());
        double[] m = new double[model.numParameters()];
        m[model.numParameters() - 1] = -1e39;
        adam.restoreMoments(m, new double[model.numParameters()]);
        Trainer trainer = new Trainer(model, TOKENIZER, List.of("emma", "olivia"), adam, 10);
        double[] weights = model.parameters().values();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> trainer.step(StepMode.DOCUMENT));
        assertTrue(e.getMessage().startsWith("first moment " + (model.numParameters() - 1) + " (-1.0E39) is beyond"),
                e.getMessage());
        assertArrayEquals(weights, model.parameters().values());
        assertTrue(Arrays.stream(model.parameters().values()).allMatch(Double::isFinite));
        assertEquals(0, trainer.stepsDone());
    }

    @Test
    void anF32CopyRefusesAWeightBeyondAFloatsRange() {
        ArrayGptModel f64 = ArrayGptModel.create(GptConfig.defaults(), TOKENIZER.vocabSize(), new PythonRandom(1));
        f64.parameters().setValue(11, -2e300);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ArrayGptModel.copyOf(f64, Precision.F32));
        assertEquals("weight 11 of the model (-2.0E300) is beyond the range of an f32 copy (the largest float is"
                + " 3.4028235E38); copy it in f64", e.getMessage());
        // Within range, rounded; infinities and NaN copied as they are, as setValue keeps them.
        f64.parameters().setValue(11, Double.POSITIVE_INFINITY);
        assertEquals(Double.POSITIVE_INFINITY, ArrayGptModel.copyOf(f64, Precision.F32).parameters().value(11));
        f64.parameters().setValue(11, -2e300);
        assertEquals(-2e300, ArrayGptModel.copyOf(f64, Precision.F64).parameters().value(11));
    }
}
