package io.github.microgpt.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The events are values: two events made from the same numbers are equal, with equal hash codes,
 * and printing one shows its numbers, arrays included (not {@code [I@1b6d3586}). The trainer's
 * events here; the sampler's and the attention's in their packages' {@code EventValuesTest}.
 */
class EventEqualityTest {

    private static void sameValue(Object a, Object b, Object different, String shown) {
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertNotEquals(a, different);
        assertEquals(a.toString(), b.toString());
        assertTrue(a.toString().contains(shown), a.toString());
    }

    @Test
    void eventsMadeFromTheSameNumbersAreEqualAndPrintTheirNumbers() {
        int[] context = {26, 0};
        double[] probabilities = {0.25, 0.75};
        sameValue(new PositionEvent(2, "ab", 1, context, 0, 1, probabilities, 0.29),
                new PositionEvent(2, "ab", 1, context.clone(), 0, 1, probabilities.clone(), 0.29),
                new PositionEvent(2, "ab", 1, new int[] {26, 1}, 0, 1, probabilities, 0.29),
                "context=[26, 0], inputTokenId=0, targetTokenId=1, probabilities=[0.25, 0.75], loss=0.29");
        sameValue(new StepEvent(2, 5, 0.29, 0.01), new StepEvent(2, 5, 0.29, 0.01), new StepEvent(2, 5, 0.29, 0.02),
                "StepEvent[step=2, totalSteps=5, loss=0.29, learningRate=0.01]");
    }
}
