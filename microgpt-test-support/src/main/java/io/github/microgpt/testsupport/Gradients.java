package io.github.microgpt.testsupport;

/**
 * How close two engines' gradients of the same loss must be, when they sum the same terms in
 * another order (the Value engine's graph and the array engine's loops; the core's loops and the
 * Vector API kernels): one rule for every test that compares them.
 *
 * <p>Each gradient must be within a relative {@value #RELATIVE} of itself, except one that is
 * tiny because its contributions cancel: summing in another order moves a sum by a few ulps of
 * its largest <em>terms</em>, not of the result, so a gradient a million times smaller than the
 * others can differ by more than {@value #RELATIVE} of itself. Such a gradient must be within
 * {@value #CANCELLATION_FLOOR} of the largest gradient of the model, a hundred ulps of it.
 */
public final class Gradients {

    /** The relative difference allowed between two sums of the same terms in another order. */
    public static final double RELATIVE = 1e-10;

    /** The difference allowed, as a fraction of the largest gradient, where terms cancel. */
    public static final double CANCELLATION_FLOOR = 1e-14;

    private Gradients() {
    }

    /**
     * Every gradient of {@code actual} agrees with the same one of {@code expected} by the rule
     * above; a failure names the first that does not, with both numbers and the largest gradient.
     *
     * @param expected the reference engine's gradients
     * @param actual the other engine's gradients
     * @param where what was computed, for the message
     */
    public static void assertAgree(double[] expected, double[] actual, String where) {
        if (expected.length != actual.length) {
            throw new AssertionError(where + ": " + expected.length + " gradients expected, got " + actual.length);
        }
        double largest = 0;
        for (double e : expected) {
            largest = Math.max(largest, Math.abs(e));
        }
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i];
            double a = actual[i];
            double error = Math.abs(e - a);
            boolean relative = error <= RELATIVE * Math.max(Math.abs(e), Math.abs(a));
            boolean cancelled = error <= CANCELLATION_FLOOR * largest;
            if (!relative && !cancelled) {
                throw new AssertionError(where + ": gradient of parameter " + i + " is " + a + ", expected " + e
                        + " (largest gradient " + largest + ")");
            }
        }
    }
}
