package io.github.microgpt.train;

import static io.github.microgpt.testing.Values.assertSameValue;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/**
 * The events are values: two events made from the same numbers are equal, with equal hash codes,
 * and printing one shows its numbers, arrays included (not {@code [I@1b6d3586}). The trainer's
 * events here; the sampler's and the attention's in their packages' {@code EventValuesTest}.
 */
class EventValuesTest {

    @Test
    void eventsMadeFromTheSameNumbersAreEqualAndPrintTheirNumbers() {
        int[] context = {26, 0};
        double[] probabilities = {0.25, 0.75};
        assertSameValue(new PositionEvent(2, "ab", 1, context, 0, 1, probabilities, 0.29),
                new PositionEvent(2, "ab", 1, context.clone(), 0, 1, probabilities.clone(), 0.29),
                new PositionEvent(2, "ab", 1, new int[] {26, 1}, 0, 1, probabilities, 0.29),
                "context=[26, 0], inputTokenId=0, targetTokenId=1, probabilities=[0.25, 0.75], loss=0.29");
        assertSameValue(new StepEvent(2, 5, 0.29, 0.01), new StepEvent(2, 5, 0.29, 0.01),
                new StepEvent(2, 5, 0.29, 0.02),
                "StepEvent[step=2, totalSteps=5, loss=0.29, learningRate=0.01]");
    }

    @Test
    void aListenerThatChangesAnArrayItReadChangesNoOtherListenersEvent() {
        PositionEvent event = new PositionEvent(2, "ab", 1, new int[] {26, 0}, 0, 1, new double[] {0.25, 0.75}, 0.29);
        event.context()[0] = 7;
        event.probabilities()[1] = 0.0;
        assertArrayEquals(new int[] {26, 0}, event.context());
        assertArrayEquals(new double[] {0.25, 0.75}, event.probabilities());
        assertEquals(0.75, event.probability(1), "one probability, read without a copy");
        assertThrows(IndexOutOfBoundsException.class, () -> event.probability(2));
        assertThrows(IndexOutOfBoundsException.class, () -> event.probability(-1));
    }
}
