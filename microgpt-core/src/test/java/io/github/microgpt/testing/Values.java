package io.github.microgpt.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Assertions about types that are values: equal when made from the same numbers, and printed with them. */
public final class Values {

    private Values() {
    }

    /**
     * {@code a} and {@code b}, made from the same numbers (in copies of the same arrays), are one
     * value: equal, with equal hash codes and the same text; {@code different}, made from other
     * numbers, is not equal to them; and the text shows the numbers, arrays included (not
     * {@code [I@1b6d3586}).
     *
     * @param a a value
     * @param b a value made from the same numbers
     * @param different a value made from other numbers
     * @param shown what the text of {@code a} must contain
     */
    public static void assertSameValue(Object a, Object b, Object different, String shown) {
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertNotEquals(a, different);
        assertEquals(a.toString(), b.toString());
        assertTrue(a.toString().contains(shown), a.toString());
    }
}
