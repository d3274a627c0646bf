package io.github.microgpt.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.github.microgpt.random.PythonRandom;
import org.junit.jupiter.api.Test;

/** {@link Predictions}: the buffer a training call fills with what the model predicted. */
class PredictionsTest {

    @Test
    void keepsWhatItIsGivenAndHandsOutCopies() {
        Predictions predictions = new Predictions();
        double[] distribution = {0.25, 0.75};
        predictions.add(3, distribution, 0.5);
        distribution[0] = 0.5;
        distribution[1] = 0.5;
        predictions.add(4, distribution, 0.7);
        assertEquals(3, predictions.first());
        assertEquals(5, predictions.end());
        assertEquals(2, predictions.vocabSize());
        assertEquals(0.25, predictions.probability(3, 0));
        assertEquals(0.75, predictions.probability(3, 1), "the model's array was copied when added");
        assertEquals(0.7, predictions.loss(4));
        double[] copy = predictions.probabilities(3);
        copy[0] = 9.0;
        assertArrayEquals(new double[] {0.25, 0.75}, predictions.probabilities(3), 0.0);
        assertNotSame(predictions.probabilities(4), predictions.probabilities(4));
    }

    @Test
    void refusesPositionsOutOfOrderAndReadsOutsideWhatWasRecorded() {
        Predictions predictions = new Predictions();
        IndexOutOfBoundsException empty = assertThrows(IndexOutOfBoundsException.class, () -> predictions.loss(0));
        assertEquals("no position is recorded", empty.getMessage());
        predictions.add(0, new double[] {0.5, 0.5}, 0.69);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> predictions.add(2, new double[] {0.5, 0.5}, 0.69));
        assertEquals("position 2 does not follow position 0, the last recorded (a model calls clear() before the "
                + "positions of a call)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> predictions.add(1, new double[] {1.0}, 0.0));
        assertEquals("position 1 has 1 probabilities but the positions before it have 2", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Predictions().add(-1, new double[] {1.0}, 0.0));
        assertThrows(IllegalArgumentException.class, () -> new Predictions().add(0, new double[0], 0.0));
        IndexOutOfBoundsException outside = assertThrows(IndexOutOfBoundsException.class,
                () -> predictions.probabilities(1));
        assertEquals("position 1 is not recorded; the positions are [0, 1)", outside.getMessage());
        // A bad token id is a bad argument, as everywhere; a bad position is a bad index.
        assertEquals("token id 2 is outside the vocabulary [0, 2)",
                assertThrows(IllegalArgumentException.class, () -> predictions.probability(0, 2)).getMessage());
        assertEquals("token id -1 is outside the vocabulary [0, 2)",
                assertThrows(IllegalArgumentException.class, () -> predictions.probability(0, -1)).getMessage());
        assertEquals("position 1 is not recorded; the positions are [0, 1)",
                assertThrows(IndexOutOfBoundsException.class, () -> predictions.probability(1, 0)).getMessage());
    }

    /**
     * {@code end()} is one past the last position, so the last int cannot be a position: it was
     * recorded, and {@code end()} wrapped around to {@code Integer.MIN_VALUE}, before
     * {@code first()}, so that the buffer said it held no position and refused to read the one it
     * had just been given.
     */
    @Test
    void theLastIntIsNoPositionSinceEndWouldBeOnePastIt() {
        Predictions predictions = new Predictions();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> predictions.add(Integer.MAX_VALUE, new double[] {1.0}, 0.0));
        assertEquals("cannot record position 2147483647: end(), one past it, would not be an int", e.getMessage());
        assertEquals(predictions.first(), predictions.end(), "refused before anything changed: still empty");
        // The position before it is the last that can be recorded; after it, end() is the last int.
        predictions.add(Integer.MAX_VALUE - 1, new double[] {0.25, 0.75}, 0.3);
        assertThrows(IllegalArgumentException.class,
                () -> predictions.add(Integer.MAX_VALUE, new double[] {0.5, 0.5}, 0.69));
        assertEquals(Integer.MAX_VALUE - 1, predictions.first());
        assertEquals(Integer.MAX_VALUE, predictions.end());
        assertEquals(0.3, predictions.loss(Integer.MAX_VALUE - 1));
        assertArrayEquals(new double[] {0.25, 0.75}, predictions.probabilities(Integer.MAX_VALUE - 1), 0.0);
    }

    @Test
    void eachCallOfAModelReplacesWhatTheBufferHeld() {
        GptConfig config = new GptConfig(1, 8, 2, 6, 0.08);
        int[] tokens = {4, 0, 1, 2, 3, 4};
        for (LanguageModel model : new LanguageModel[] {
                GptModel.create(config, 5, new PythonRandom(1)), ArrayGptModel.create(config, 5, new PythonRandom(1)),
                BigramModel.create(config, 5, new PythonRandom(1)), MlpModel.create(config, 5, new PythonRandom(1)),
                AttentionModel.create(config, 5, new PythonRandom(1))}) {
            String name = model.getClass().getSimpleName();
            Predictions predictions = new Predictions();
            model.lossAndGradients(tokens, 0, 5, predictions);
            assertEquals(0, predictions.first(), name);
            assertEquals(5, predictions.end(), name);
            double loss = model.lossAndGradients(tokens, 2, 4, predictions);
            assertEquals(2, predictions.first(), name);
            assertEquals(4, predictions.end(), name);
            assertEquals(5, predictions.vocabSize(), name);
            double sum = 0.0 + predictions.loss(2) + predictions.loss(3);
            assertEquals(Double.doubleToRawLongBits(sum * (1.0 / 2)), Double.doubleToRawLongBits(loss), name);
            for (int p = 2; p < 4; p++) {
                double total = 0.0;
                for (double probability : predictions.probabilities(p)) {
                    total += probability;
                }
                assertEquals(1.0, total, 1e-12, name + " position " + p);
                assertEquals(-Math.log(predictions.probability(p, tokens[p + 1])), predictions.loss(p), 1e-12, name);
            }
            double plain = model.lossAndGradients(tokens, 2, 4);
            assertEquals(Double.doubleToRawLongBits(loss), Double.doubleToRawLongBits(plain),
                    name + ": asking for the predictions changes no number");
        }
    }

    /**
     * The distributions of a call share one array of positions times vocabulary numbers. That
     * product was an {@code int}: past 2^31 it wrapped around (32,769 positions of 65,536 tokens
     * made a negative length), and the buffer failed with a {@code NegativeArraySizeException} or
     * an index out of bounds instead of saying what is too large. (A real model gets there with a
     * vocabulary of a million characters and a block of 2,200 positions; the test asks the
     * buffer's arithmetic, without the 16 GB.)
     */
    @Test
    void moreNumbersThanOneArrayHoldsAreRefusedClearly() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> Predictions.grownLength(1 << 30, 32_769, 65_536));
        assertEquals("cannot record 32769 positions of 65536 probabilities: that is 2147549184 numbers, more than"
                + " one Java array holds (2147483639); record fewer positions per call, or use a smaller vocabulary",
                e.getMessage());
        // Doubling stops at the largest array instead of wrapping around past it.
        assertEquals(Integer.MAX_VALUE - 8, Predictions.MAX_NUMBERS);
        assertEquals(Predictions.MAX_NUMBERS, Predictions.grownLength(1 << 30, 2, Predictions.MAX_NUMBERS / 2));
        assertEquals(Predictions.MAX_NUMBERS, Predictions.grownLength(1 << 30, Predictions.MAX_NUMBERS, 1));
        // Below the limit: unchanged if they fit, else twice as long, or as long as needed.
        assertEquals(4, Predictions.grownLength(4, 2, 2));
        assertEquals(8, Predictions.grownLength(4, 3, 2));
        assertEquals(10, Predictions.grownLength(4, 5, 2));
        assertEquals(3, Predictions.grownLength(0, 1, 3));
    }
}
