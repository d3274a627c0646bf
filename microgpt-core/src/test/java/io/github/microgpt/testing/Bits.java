package io.github.microgpt.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Exact equality of numbers, by their bits: the project's results must be bit-identical (to
 * {@code microgpt.py}, across engines and thread counts), where {@code assertEquals} of doubles
 * would also take {@code 0.0} for {@code -0.0} as different but any two NaNs as equal, and a delta
 * would hide a last-bit difference.
 */
public final class Bits {

    private Bits() {
    }

    /**
     * {@code actual} has the bits of {@code expected}, with a message that shows both numbers.
     *
     * @param expected the expected number
     * @param actual the number computed
     * @param what what was computed, for the message
     */
    public static void assertBits(double expected, double actual, String what) {
        assertEquals(Double.doubleToRawLongBits(expected), Double.doubleToRawLongBits(actual),
                what + ": expected " + expected + " but got " + actual);
    }
}
