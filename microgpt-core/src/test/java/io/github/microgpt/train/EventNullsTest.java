package io.github.microgpt.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * The trainer's events refuse a null component at once, naming it, rather than failing in a
 * listener later (the other packages' events: their {@code EventValuesTest}).
 */
class EventNullsTest {

    private static void refused(String name, Executable call) {
        NullPointerException e = assertThrows(NullPointerException.class, call);
        assertEquals(name, e.getMessage());
    }

    @Test
    void eventsNameTheirNullComponent() {
        int[] ints = {1, 2};
        double[] doubles = {0.5, 0.5};
        refused("document", () -> new PositionEvent(1, null, 1, ints, 1, 2, doubles, 0.3));
        refused("context", () -> new PositionEvent(1, "ab", 1, null, 1, 2, doubles, 0.3));
        refused("probabilities", () -> new PositionEvent(1, "ab", 1, ints, 1, 2, null, 0.3));
        refused("parameters", () -> new GradientEvent(1, 2, 0.3, null));
    }
}
