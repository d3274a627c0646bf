package io.github.microgpt.random;

import java.util.List;
import java.util.Objects;

/**
 * The one source of randomness of a microgpt run: the shuffle of the documents, the initial
 * weights and the sampled tokens all draw from it, in that order.
 *
 * <p>Implement the three primitive draws ({@link #random()}, {@link #randBelow(int)} and
 * {@link #gauss(double, double)}); {@link #shuffle(List)} and {@link #choice(double[])} are
 * built from them exactly as CPython's {@code random} module builds them. Use
 * {@link PythonRandom} to reproduce a Python run; plug in your own source for anything else.
 */
public interface RandomSource {

    /**
     * A uniformly distributed double in {@code [0, 1)}.
     *
     * @return the next draw
     */
    double random();

    /**
     * A uniformly distributed integer in {@code [0, n)}.
     *
     * @param n the exclusive upper bound; positive
     * @return the next draw
     * @throws IllegalArgumentException if {@code n <= 0}
     */
    int randBelow(int n);

    /**
     * A normally distributed double with mean {@code mu} and standard deviation {@code sigma}.
     *
     * @param mu the mean
     * @param sigma the standard deviation
     * @return the next draw
     */
    double gauss(double mu, double sigma);

    /**
     * Shuffles a list in place with the Fisher–Yates algorithm from the last index down, drawing
     * each index with {@code randBelow(i + 1)} as Python's {@code random.shuffle} does.
     *
     * @param list the list to shuffle; must support {@code set}
     * @param <T> the element type
     * @throws NullPointerException if {@code list} is null
     * @throws UnsupportedOperationException if the list cannot be changed (as {@code List.of(...)});
     *     a list of fewer than two elements is never changed, and never refused
     */
    default <T> void shuffle(List<T> list) {
        Objects.requireNonNull(list, "list");
        for (int i = list.size() - 1; i > 0; i--) {
            int j = randBelow(i + 1);
            list.set(i, list.set(j, list.get(i)));
        }
    }

    /**
     * Draws an index with probability proportional to its weight, as Python's
     * {@code random.choices(range(n), weights=w)[0]}: the weights are summed left to right into
     * cumulative weights, one {@link #random()} is scaled by the total, and the first index whose
     * cumulative weight exceeds it is returned.
     *
     * @param weights non-negative weights with a positive, finite total
     * @return an index into {@code weights}
     * @throws IllegalArgumentException if there are no weights, a weight is negative or NaN (a
     *     negative weight would silently shift the other indices' chances), or their total is not
     *     positive and finite
     * @throws NullPointerException if {@code weights} is null
     */
    default int choice(double[] weights) {
        Objects.requireNonNull(weights, "weights");
        int n = weights.length;
        if (n == 0) {
            throw new IllegalArgumentException("choice needs at least one weight");
        }
        for (int i = 0; i < n; i++) {
            if (!(weights[i] >= 0)) {
                throw new IllegalArgumentException("weight " + i + " is " + weights[i]
                        + "; weights must not be negative or NaN");
            }
        }
        double[] cumulative = new double[n];
        double running = weights[0];
        cumulative[0] = running;
        for (int i = 1; i < n; i++) {
            running += weights[i];
            cumulative[i] = running;
        }
        double total = cumulative[n - 1] + 0.0;
        if (!(total > 0.0) || Double.isInfinite(total)) {
            throw new IllegalArgumentException(
                    "the weights must have a positive, finite total, but they sum to " + total);
        }
        double x = random() * total;
        // bisect_right over cumulative[0 .. n-2]: the number of entries <= x
        int lo = 0;
        int hi = n - 1;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (x < cumulative[mid]) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        return lo;
    }
}
