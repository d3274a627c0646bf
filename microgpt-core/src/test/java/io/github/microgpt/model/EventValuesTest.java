package io.github.microgpt.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/**
 * The attention event is a value (equal when made from the same numbers, printed with its
 * weights) and refuses a null component at once, naming it.
 */
class EventValuesTest {

    @Test
    void eventsMadeFromTheSameWeightsAreEqualAndPrintThem() {
        double[] weights = {0.25, 0.75};
        AttentionEvent a = new AttentionEvent(0, 1, 1, weights);
        AttentionEvent b = new AttentionEvent(0, 1, 1, weights.clone());
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertNotEquals(a, new AttentionEvent(0, 2, 1, weights));
        assertEquals("AttentionEvent[layer=0, head=1, posId=1, weights=[0.25, 0.75]]", a.toString());
        weights[0] = 1.0;
        assertEquals(0.25, a.weight(0), "the event's own copy");
        a.weights()[1] = 0.0;
        assertEquals(0.75, a.weights()[1], "a copy each time: a listener's change reaches no other");
    }

    @Test
    void theWeightsAreNamedWhenNull() {
        assertEquals("weights",
                assertThrows(NullPointerException.class, () -> new AttentionEvent(0, 0, 1, null)).getMessage());
    }
}
