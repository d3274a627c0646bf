package io.github.microgpt.testsupport;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/**
 * The comparisons that thousands of kernel and engine tests rest on: a {@link Bits} that let a
 * difference through would make every one of them pass whatever the code computes, so each way
 * two results can differ is shown to fail here, with the message that names where.
 */
class BitsTest {

    private static final double NAN_OTHER_PAYLOAD = Double.longBitsToDouble(0x7ff8000000000001L);

    @Test
    void aLastBitASignOfZeroOrANaNsPayloadIsADifference() {
        assertDoesNotThrow(() -> Bits.assertBits(0.1, 0.1, "same"));
        assertDoesNotThrow(() -> Bits.assertBits(Double.NaN, Double.NaN, "the same NaN"));
        assertEquals("last bit: expected 0.1 but got 0.10000000000000002",
                assertThrows(AssertionError.class, () -> Bits.assertBits(0.1, Math.nextUp(0.1), "last bit"))
                        .getMessage());
        assertThrows(AssertionError.class, () -> Bits.assertBits(0.0, -0.0, "zeros"));
        assertThrows(AssertionError.class, () -> Bits.assertBits(Double.NaN, NAN_OTHER_PAYLOAD, "NaNs"));
        assertThrows(AssertionError.class, () -> Bits.assertBits(0f, -0f, "float zeros"));
        assertThrows(AssertionError.class, () -> Bits.assertBits(1f, Math.nextUp(1f), "float last bit"));
    }

    @Test
    void arraysAreComparedEntryByEntryAndByLength() {
        assertDoesNotThrow(() -> Bits.assertBits(new double[] {1, -0.0}, new double[] {1, -0.0}, "same"));
        assertEquals("v [1]: expected 0.0 but got -0.0", assertThrows(AssertionError.class,
                () -> Bits.assertBits(new double[] {1, 0.0}, new double[] {1, -0.0}, "v")).getMessage());
        assertEquals("v: expected length 2 but got 3", assertThrows(AssertionError.class,
                () -> Bits.assertBits(new double[2], new double[3], "v")).getMessage());
        assertEquals("f [2]: expected 3.0 but got 4.0", assertThrows(AssertionError.class,
                () -> Bits.assertBits(new float[] {1, 2, 3}, new float[] {1, 2, 4}, "f")).getMessage());
        assertThrows(AssertionError.class, () -> Bits.assertBits(new float[1], new float[0], "f"));
    }

    @Test
    void matricesAreComparedRowByRowAndEveryRowsLength() {
        double[][] a = {{1, 2}, {3, 4}};
        assertDoesNotThrow(() -> Bits.assertBits(a, new double[][] {{1, 2}, {3, 4}}, "same"));
        assertEquals("m [1][0]: expected 3.0 but got 5.0", assertThrows(AssertionError.class,
                () -> Bits.assertBits(a, new double[][] {{1, 2}, {5, 4}}, "m")).getMessage());
        assertEquals("m: rows: expected length 2 but got 1", assertThrows(AssertionError.class,
                () -> Bits.assertBits(a, new double[][] {{1, 2}}, "m")).getMessage());
        assertEquals("m [1]: expected length 2 but got 3", assertThrows(AssertionError.class,
                () -> Bits.assertBits(a, new double[][] {{1, 2}, {3, 4, 5}}, "m")).getMessage());
        assertEquals("g [0][1]: expected 2.0 but got -2.0", assertThrows(AssertionError.class,
                () -> Bits.assertBits(new float[][] {{1, 2}}, new float[][] {{1, -2}}, "g")).getMessage());
        assertThrows(AssertionError.class, () -> Bits.assertBits(new float[][] {{1}}, new float[][] {{1}, {2}}, "g"));
    }

    @Test
    void aRangeOfRowsLooksAtThoseRowsOnly() {
        double[][] expected = {{1}, {2}, {3}, {4}};
        double[][] actual = {{9}, {2}, {3}, {9}};
        assertDoesNotThrow(() -> Bits.assertRowBits(expected, actual, 1, 3, "middle"));
        assertEquals("r [3][0]: expected 4.0 but got 9.0", assertThrows(AssertionError.class,
                () -> Bits.assertRowBits(expected, actual, 1, 4, "r")).getMessage());
        assertThrows(AssertionError.class, () -> Bits.assertRowBits(expected, actual, 0, 3, "r"));
        float[][] expectedF = {{1}, {2, 2}};
        assertDoesNotThrow(() -> Bits.assertRowBits(expectedF, new float[][] {{7}, {2, 2}}, 1, 2, "f"));
        assertThrows(AssertionError.class, () -> Bits.assertRowBits(expectedF, new float[][] {{1}, {2, -0f}}, 0, 2, "f"));
        assertThrows(AssertionError.class, () -> Bits.assertRowBits(expectedF, new float[][] {{1}, {2}}, 0, 2, "f"));
    }
}
