package io.github.microgpt.internal;

import io.github.microgpt.autograd.Value;
import java.util.Objects;

/**
 * The compact sums of products of {@link Value}, for {@code ValueOps} in the model package (and
 * the one other node the model package makes that {@code Value}'s API does not offer, the
 * logarithm of a probability that may be 0: {@link #logOfProbability}): only
 * {@code Value} can make such a node (it writes the node's private fields), and {@code ValueOps}
 * is in another package, so {@code Value} hands this door to its own package-private methods
 * over when it is initialised. Public methods on {@code Value} would do the same, but would
 * freeze a speed device on the class a learner reads first; {@code ValueOps.dot} and
 * {@code ValueOps.linear} are the public names of these operations.
 *
 * <p>An abstract class with one subclass, held in a static final field by its callers: the JIT
 * calls the one implementation directly, as it would call a static method.
 *
 * <p>The module does not export this package, but on the class path its public members are
 * anyone's. So the door guards itself: only a class nested in {@code Value} may be a
 * {@code ValueSums} or be installed, and only once. Without that, a class-path program that
 * called {@link #set} before the first {@code Value} was made would have {@code ValueOps} build
 * its nodes (every forward pass of the teaching models) and would leave {@code Value} unable to
 * initialise.
 */
public abstract class ValueSums {

    private static volatile ValueSums instance;

    /**
     * The most bytes the copies of weight rows that {@link #sumsOfProducts} keeps may take on one
     * thread, all matrices together: 1 MiB, counted as {@link #keptBytes} counts them. The copies
     * of a matrix's rows are shared with the calls after it while the weights do not change (the
     * positions of a document read the same weights); 1 MiB holds those of some 70,000 weights in
     * rows of 16 (the default model has 3,504 in its linear layers, a model of its width with 20
     * layers 61,872) or 80,000 in rows of 64. A matrix whose copies would take more is copied at
     * every call. {@link ValueGraphs} counts a copy that may be kept as nothing, so that its counts
     * stay lower bounds.
     */
    public static final long MOST_KEPT_BYTES = 1 << 20;

    /**
     * The bytes a thread's kept copies of a matrix's rows take, as HotSpot lays arrays out with
     * compressed references (a 16-byte header, then the elements, rounded up to 8): for each row
     * an array of its weights and one of their data, the two arrays that hold the rows, and
     * {@value #KEPT_MATRIX_BYTES} bytes for the record of the matrix, so that many small matrices
     * cannot keep more than few large ones.
     *
     * @param rows the matrix's rows
     * @param columns the weights of a row
     * @return the bytes (a double, so that no shape overflows)
     */
    public static double keptBytes(double rows, double columns) {
        return KEPT_MATRIX_BYTES + 2 * arrayBytes(rows, 4) + rows * (arrayBytes(columns, 4) + arrayBytes(columns, 8));
    }

    /** What {@link #keptBytes} counts for the record of one matrix, apart from its arrays. */
    public static final int KEPT_MATRIX_BYTES = 96;

    /**
     * Whether a thread may keep the copies of a matrix's rows: whether they take at most
     * {@link #MOST_KEPT_BYTES}.
     *
     * @param rows the matrix's rows
     * @param columns the weights of a row
     * @return whether its copies fit
     */
    public static boolean mayKeep(double rows, double columns) {
        return keptBytes(rows, columns) <= MOST_KEPT_BYTES;
    }

    /** An array of {@code length} elements of {@code size} bytes: a 16-byte header, rounded up to 8. */
    private static double arrayBytes(double length, int size) {
        return Math.ceil((16 + length * size) / 8) * 8;
    }

    /**
     * For {@code Value}'s one subclass, and no other class.
     *
     * @throws IllegalStateException if the subclass is not nested in {@code Value}
     */
    protected ValueSums() {
        requireValues(getClass());
    }

    /**
     * The one implementation, {@code Value}'s; initialises {@code Value} if need be.
     *
     * @return the sums of products
     * @throws IllegalStateException if it is called while {@code Value} is being initialised,
     *     before its initialiser installed the sums (a static field of {@code Value} that used
     *     {@code ValueOps}, say): failing here names the cause, where a null would fail at the
     *     first forward pass
     */
    public static ValueSums get() {
        ValueSums sums = instance;
        if (sums == null) {
            try {
                // Value's static initialiser calls set(): run it if no Value was made yet. Within
                // that initialiser, on its own thread, this returns at once and nothing is set yet.
                Class.forName(Value.class.getName(), true, Value.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException(e);
            }
            sums = installed(instance);
        }
        return sums;
    }

    /**
     * {@code sums}, which {@code Value}'s initialiser must have installed by now.
     *
     * @param sums what is installed
     * @return {@code sums}
     * @throws IllegalStateException if it is null
     */
    static ValueSums installed(ValueSums sums) {
        if (sums == null) {
            throw new IllegalStateException("the sums of products of Value are not installed yet: they were asked for"
                    + " while Value was being initialised, before the end of its static initialiser, which installs"
                    + " them (does a static field of Value use ValueOps?)");
        }
        return sums;
    }

    /**
     * Installs the implementation: called once, by {@code Value}'s static initialiser.
     *
     * @param sums {@code Value}'s implementation
     * @throws NullPointerException if {@code sums} is null
     * @throws IllegalStateException if {@code sums} is not {@code Value}'s (the constructor refuses
     *     any other class, but an object may escape a refused constructor, through a finaliser),
     *     or one is installed already
     */
    public static synchronized void set(ValueSums sums) {
        Objects.requireNonNull(sums, "sums");
        requireValues(sums.getClass());
        if (instance != null) {
            throw new IllegalStateException("the sums of products are installed already");
        }
        instance = sums;
    }

    /** Refuses any class but those nested in {@code Value}, the only ones that can make its nodes. */
    private static void requireValues(Class<?> type) {
        if (type.getNestHost() != Value.class) {
            throw new IllegalStateException("only Value's own class may make or install the sums of products, not "
                    + type.getName() + " (internal: ValueOps.dot and ValueOps.linear are their public names)");
        }
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
     * of {@code x}; the copies of the rows of a matrix of leaves are shared with the calls before
     * and after it while the rows hold the same nodes with the same data, as long as the copies a
     * thread keeps take at most {@link #MOST_KEPT_BYTES}.
     *
     * @param w the rows, each as long as {@code x}
     * @param x the vector
     * @return one node per row
     */
    public abstract Value[] sumsOfProducts(Value[][] w, Value[] x);

    /**
     * The node of {@code log(p)} for a probability {@code p}, the same node as
     * {@code p.log()} makes, but minus infinity where {@code p} is 0 instead of the
     * {@code ArithmeticException} of {@link Value#log()}: for the loss of a language model,
     * {@code -log(p)}. A run that diverges can drive the probability of a target to 0 (the
     * softmax of logits far apart underflows); its loss must then be infinite, as the array
     * engine's is, so that the trainer stops it with its own message, which names the step and
     * the document.
     *
     * @param p the probability of the target
     * @return the node
     */
    public abstract Value logOfProbability(Value p);

    /**
     * Begins a stretch in which the calling thread's sums of products may use the copies of a
     * weight matrix's rows without checking them again: the caller promises that until
     * {@link #endOwnedRows()} no node's data changes and no element of a matrix it passes to
     * {@link #sumsOfProducts} is replaced. A library model's loss promises it (its forward pass
     * reads matrices only it holds, and runs no code of anyone else's); the first call with a
     * matrix in the stretch still checks and copies its rows as always, the later ones (the
     * document's other positions) only look the copies up.
     *
     * @return whether this call began the stretch (false if the thread is in one already), to
     *     pass on to {@link #endOwnedRows(boolean)}
     */
    public abstract boolean beginOwnedRows();

    /**
     * Ends the thread's stretch of {@link #beginOwnedRows()} if {@code began} is true; nothing if
     * the stretch has ended already. A model passes true before it hands control to someone
     * else's code in the middle of one (a listener, which may change a weight); the calls after
     * it then check the copies again.
     *
     * @param began what {@link #beginOwnedRows()} returned, or true to end the stretch now
     */
    public abstract void endOwnedRows(boolean began);
}
