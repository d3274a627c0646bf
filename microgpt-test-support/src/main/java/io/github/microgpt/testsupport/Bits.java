package io.github.microgpt.testsupport;

/**
 * Exact equality of numbers, by their bits: the project's results must be bit-identical (to
 * {@code microgpt.py}, across engines and thread counts), where {@code assertEquals} of doubles
 * would also take {@code 0.0} for {@code -0.0} as different but any two NaNs as equal, and a
 * delta, even {@code 0.0} in {@code assertArrayEquals}, would take {@code 0.0} and {@code -0.0}
 * as equal (or hide a last-bit difference).
 *
 * <p>Raw bits: two NaNs are the same only with the same payload. A failure is an
 * {@link AssertionError} (JUnit reports it like its own) naming the first entry that differs,
 * with both numbers (the message is made only then: the kernel tests compare millions of
 * entries). It lives here, beside {@link TestResources}, rather than in one module's
 * tests, so that the core's, the Vector API module's and the examples' tests share one copy; this
 * module does not depend on JUnit, hence the plain error.
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
        if (Double.doubleToRawLongBits(expected) != Double.doubleToRawLongBits(actual)) {
            throw new AssertionError(what + ": expected " + expected + " but got " + actual);
        }
    }

    /**
     * {@code actual} has the bits of {@code expected}, with a message that shows both numbers.
     *
     * @param expected the expected number
     * @param actual the number computed
     * @param what what was computed, for the message
     */
    public static void assertBits(float expected, float actual, String what) {
        if (Float.floatToRawIntBits(expected) != Float.floatToRawIntBits(actual)) {
            throw new AssertionError(what + ": expected " + expected + " but got " + actual);
        }
    }

    /**
     * The arrays have the same length and each entry the same bits.
     *
     * @param expected the expected numbers
     * @param actual the numbers computed
     * @param what what was computed, for the message
     */
    public static void assertBits(double[] expected, double[] actual, String what) {
        sameLength(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            if (Double.doubleToRawLongBits(expected[i]) != Double.doubleToRawLongBits(actual[i])) {
                throw new AssertionError(what + " [" + i + "]: expected " + expected[i] + " but got " + actual[i]);
            }
        }
    }

    /**
     * The arrays have the same length and each entry the same bits.
     *
     * @param expected the expected numbers
     * @param actual the numbers computed
     * @param what what was computed, for the message
     */
    public static void assertBits(float[] expected, float[] actual, String what) {
        sameLength(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])) {
                throw new AssertionError(what + " [" + i + "]: expected " + expected[i] + " but got " + actual[i]);
            }
        }
    }

    /**
     * The matrices have the same rows, entry for entry, bit for bit.
     *
     * @param expected the expected rows
     * @param actual the rows computed
     * @param what what was computed, for the message
     */
    public static void assertBits(double[][] expected, double[][] actual, String what) {
        sameLength(expected.length, actual.length, what + ": rows");
        assertRowBits(expected, actual, 0, expected.length, what);
    }

    /**
     * The matrices have the same rows, entry for entry, bit for bit.
     *
     * @param expected the expected rows
     * @param actual the rows computed
     * @param what what was computed, for the message
     */
    public static void assertBits(float[][] expected, float[][] actual, String what) {
        sameLength(expected.length, actual.length, what + ": rows");
        assertRowBits(expected, actual, 0, expected.length, what);
    }

    /**
     * Rows {@code [from, to)} of the matrices are the same, entry for entry, bit for bit; the
     * other rows are not looked at (a kernel that works on a range of positions).
     *
     * @param expected the expected rows
     * @param actual the rows computed
     * @param from the first row compared
     * @param to the end of the rows compared
     * @param what what was computed, for the message
     */
    public static void assertRowBits(double[][] expected, double[][] actual, int from, int to, String what) {
        for (int r = from; r < to; r++) {
            if (expected[r].length != actual[r].length) {
                sameLength(expected[r].length, actual[r].length, what + " [" + r + "]");
            }
            for (int i = 0; i < expected[r].length; i++) {
                if (Double.doubleToRawLongBits(expected[r][i]) != Double.doubleToRawLongBits(actual[r][i])) {
                    throw new AssertionError(what + " [" + r + "][" + i + "]: expected " + expected[r][i]
                            + " but got " + actual[r][i]);
                }
            }
        }
    }

    /**
     * Rows {@code [from, to)} of the matrices are the same, entry for entry, bit for bit; the
     * other rows are not looked at (a kernel that works on a range of positions).
     *
     * @param expected the expected rows
     * @param actual the rows computed
     * @param from the first row compared
     * @param to the end of the rows compared
     * @param what what was computed, for the message
     */
    public static void assertRowBits(float[][] expected, float[][] actual, int from, int to, String what) {
        for (int r = from; r < to; r++) {
            if (expected[r].length != actual[r].length) {
                sameLength(expected[r].length, actual[r].length, what + " [" + r + "]");
            }
            for (int i = 0; i < expected[r].length; i++) {
                if (Float.floatToRawIntBits(expected[r][i]) != Float.floatToRawIntBits(actual[r][i])) {
                    throw new AssertionError(what + " [" + r + "][" + i + "]: expected " + expected[r][i]
                            + " but got " + actual[r][i]);
                }
            }
        }
    }

    private static void sameLength(int expected, int actual, String what) {
        if (expected != actual) {
            throw new AssertionError(what + ": expected length " + expected + " but got " + actual);
        }
    }
}
