package io.github.microgpt.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.model.AttentionEvent;
import io.github.microgpt.sample.SampleEvent;
import io.github.microgpt.sample.TokenEvent;
import org.junit.jupiter.api.Test;

/**
 * The events that carry arrays are values, as records promise: two events made from the same
 * numbers are equal, with equal hash codes, and printing one shows its numbers (a record alone
 * would compare the arrays by identity and print {@code [I@1b6d3586}).
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
        sameValue(new TokenEvent(1, 1, context, probabilities, 0),
                new TokenEvent(1, 1, context.clone(), probabilities.clone(), 0),
                new TokenEvent(1, 1, context, new double[] {0.75, 0.25}, 0),
                "context=[26, 0], probabilities=[0.25, 0.75]");
        sameValue(new PositionEvent(2, "ab", 1, context, 0, 1, probabilities, 0.29),
                new PositionEvent(2, "ab", 1, context.clone(), 0, 1, probabilities.clone(), 0.29),
                new PositionEvent(2, "ab", 1, new int[] {26, 1}, 0, 1, probabilities, 0.29),
                "context=[26, 0], inputTokenId=0, targetTokenId=1, probabilities=[0.25, 0.75], loss=0.29");
        sameValue(new SampleEvent(3, "ab", new int[] {0, 1}),
                new SampleEvent(3, "ab", new int[] {0, 1}),
                new SampleEvent(3, "ab", new int[] {0, 2}),
                "text=ab, tokens=[0, 1]");
        sameValue(new AttentionEvent(0, 1, 1, probabilities),
                new AttentionEvent(0, 1, 1, probabilities.clone()),
                new AttentionEvent(0, 2, 1, probabilities),
                "weights=[0.25, 0.75]");
    }
}
