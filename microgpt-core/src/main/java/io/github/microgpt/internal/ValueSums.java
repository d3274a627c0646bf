package io.github.microgpt.internal;

import io.github.microgpt.autograd.Value;

/**
 * The compact sums of products of {@link Value}, for {@code ValueOps} in the model package: only
 * {@code Value} can make such a node (it writes the node's private fields), and {@code ValueOps}
 * is in another package, so {@code Value} hands this door to its own package-private methods
 * over when it is initialised. Public methods on {@code Value} would do the same, but would
 * freeze a speed device on the class a learner reads first; {@code ValueOps.dot} and
 * {@code ValueOps.linear} are the public names of these operations.
 *
 * <p>An abstract class with one subclass, held in a static final field by its callers: the JIT
 * calls the one implementation directly, as it would call a static method.
 */
public abstract class ValueSums {

    private static volatile ValueSums instance;

    /** For {@code Value}'s one subclass. */
    protected ValueSums() {
    }

    /**
     * The one implementation, {@code Value}'s; initialises {@code Value} if need be.
     *
     * @return the sums of products
     */
    public static ValueSums get() {
        ValueSums sums = instance;
        if (sums == null) {
            try {
                // Value's static initialiser calls set(): run it if no Value was made yet.
                Class.forName(Value.class.getName(), true, Value.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException(e);
            }
            sums = instance;
        }
        return sums;
    }

    /**
     * Installs the implementation: called once, by {@code Value}'s static initialiser.
     *
     * @param sums {@code Value}'s implementation
     * @throws IllegalStateException if one is installed already
     */
    public static synchronized void set(ValueSums sums) {
        if (instance != null) {
            throw new IllegalStateException("the sums of products are installed already");
        }
        instance = sums;
    }

    /**
     * {@code sum(a[aFrom + i] * b[bFrom + i] for i in range(length))} as one compact node: the
     * nodes of {@code mul} and {@code add} that Python's {@code sum} builds, stored compactly.
     *
     * @param a the first vector
     * @param aFrom where its stretch starts
     * @param b the second vector
     * @param bFrom where its stretch starts
     * @param length the number of terms; at least 1
     * @return the sum
     */
    public abstract Value sumOfProducts(Value[] a, int aFrom, Value[] b, int bFrom, int length);

    /**
     * {@code w @ x}: one compact sum of products per row of {@code w}, the rows sharing one copy
     * of {@code x}.
     *
     * @param w the rows, each as long as {@code x}
     * @param x the vector
     * @return one node per row
     */
    public abstract Value[] sumsOfProducts(Value[][] w, Value[] x);
}
