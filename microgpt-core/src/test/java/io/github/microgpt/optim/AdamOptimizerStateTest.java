package io.github.microgpt.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.GptModel;
import io.github.microgpt.model.Parameters;
import io.github.microgpt.random.PythonRandom;
import org.junit.jupiter.api.Test;

/** The settings accessors and {@link AdamOptimizer#restoreMoments}. */
class AdamOptimizerStateTest {

    @Test
    void theSettingsAreThoseGiven() {
        AdamSettings settings = AdamSettings.defaults().withLearningRate(0.02).withBetas(0.8, 0.95).withEps(1e-7)
                .withSchedule(LearningRateSchedule.CONSTANT);
        AdamOptimizer adam = new AdamOptimizer(3, settings);
        assertEquals(settings, adam.settings());
        assertEquals(new AdamSettings(0.02, 0.8, 0.95, 1e-7, LearningRateSchedule.CONSTANT), settings,
                "the withers set what they name");
        assertEquals(0.02, adam.settings().learningRate());
        assertEquals(0.8, adam.settings().beta1());
        assertEquals(0.95, adam.settings().beta2());
        assertEquals(1e-7, adam.settings().eps());
        assertSame(LearningRateSchedule.CONSTANT, adam.settings().schedule());
        AdamOptimizer defaults = new AdamOptimizer(3);
        assertEquals(0.01, defaults.settings().learningRate());
        assertSame(LearningRateSchedule.LINEAR_DECAY, defaults.settings().schedule());
        assertEquals(AdamSettings.defaults(), defaults.settings());
    }

    @Test
    void restoredMomentsContinueAStepExactly() {
        GptConfig config = new GptConfig(1, 4, 1, 4, 0.3);
        GptModel a = GptModel.create(config, 5, new PythonRandom(3));
        GptModel b = GptModel.create(config, 5, new PythonRandom(3));
        AdamOptimizer first = new AdamOptimizer(a.numParameters());
        int[] doc = {4, 0, 1, 2, 4};
        for (int step = 0; step < 3; step++) {
            a.lossAndGradients(doc, 0, 4, null);
            first.step(a.parameters(), step, 10);
            b.lossAndGradients(doc, 0, 4, null);
            new AdamOptimizer(b.numParameters()).step(b.parameters(), step, 10);  // b's moments are thrown away
        }
        // Bring b's weights to a's, and its optimizer's moments from a's.
        Parameters pa = a.parameters();
        Parameters pb = b.parameters();
        for (int i = 0; i < pa.size(); i++) {
            pb.setValue(i, pa.value(i));
        }
        AdamOptimizer second = new AdamOptimizer(b.numParameters());
        second.restoreMoments(first.firstMoments(), first.secondMoments());
        a.lossAndGradients(doc, 0, 4, null);
        first.step(pa, 3, 10);
        b.lossAndGradients(doc, 0, 4, null);
        second.step(pb, 3, 10);
        assertArrayEquals(pa.values(), pb.values());
        assertArrayEquals(first.secondMoments(), second.secondMoments());
    }

    @Test
    void badMomentsAreRejectedAndChangeNothing() {
        AdamOptimizer adam = new AdamOptimizer(2);
        adam.restoreMoments(new double[] {0.5, -0.5}, new double[] {0.25, 0});
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> adam.restoreMoments(new double[3], new double[3])).getMessage().contains("2 parameters"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> adam.restoreMoments(new double[] {1, Double.NaN}, new double[2])).getMessage()
                .contains("first moment 1"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> adam.restoreMoments(new double[2], new double[] {-1e-300, 0})).getMessage()
                .contains("second moment 0"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> adam.restoreMoments(new double[2], new double[] {0, Double.POSITIVE_INFINITY})).getMessage()
                .contains("second moment 1"));
        assertEquals("firstMoments", assertThrows(NullPointerException.class,
                () -> adam.restoreMoments(null, new double[2])).getMessage());
        assertEquals("secondMoments", assertThrows(NullPointerException.class,
                () -> adam.restoreMoments(new double[2], null)).getMessage());
        assertArrayEquals(new double[] {0.5, -0.5}, adam.firstMoments());
        assertArrayEquals(new double[] {0.25, 0}, adam.secondMoments());
    }

    /** state() and restore(state): the optimizer's pair, as the trainer's and the random generator's. */
    @Test
    void aStateTakenAndRestoredContinuesTheRunAndOtherSettingsAreRefused() {
        AdamOptimizer adam = new AdamOptimizer(2);
        adam.restoreMoments(new double[] {0.5, -0.5}, new double[] {0.25, 0});
        io.github.microgpt.checkpoint.OptimizerState state = adam.state();
        assertEquals(adam.settings(), state.settings());
        assertArrayEquals(new double[] {0.5, -0.5}, state.firstMoments());
        assertArrayEquals(new double[] {0.25, 0}, state.secondMoments());

        AdamOptimizer other = new AdamOptimizer(2);
        other.restore(state);
        assertEquals(state, other.state(), "the same settings and moments");

        AdamOptimizer faster = new AdamOptimizer(2, adam.settings().withLearningRate(0.02));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> faster.restore(state));
        assertEquals("the state's settings differ from this optimizer's in learningRate (the state's 0.01, this"
                + " optimizer's 0.02); make an optimizer with them: state.toOptimizer()", e.getMessage(),
                "what differs, and only that");
        AdamOptimizer decaying = new AdamOptimizer(2, adam.settings().withSchedule(LearningRateSchedule.CONSTANT)
                .withBetas(0.9, 0.99));
        assertEquals("the state's settings differ from this optimizer's in beta1 (the state's 0.85, this"
                + " optimizer's 0.9) and schedule (the state's LINEAR_DECAY, this optimizer's CONSTANT); make an"
                + " optimizer with them: state.toOptimizer()",
                assertThrows(IllegalArgumentException.class, () -> decaying.restore(state)).getMessage());
        assertArrayEquals(new double[2], faster.firstMoments(), "unchanged");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new AdamOptimizer(3).restore(state)).getMessage()
                .contains("3 parameters"), "a state of another size");
    }
}
