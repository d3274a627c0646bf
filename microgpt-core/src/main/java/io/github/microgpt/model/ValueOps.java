package io.github.microgpt.model;

import io.github.microgpt.autograd.Value;
import io.github.microgpt.internal.ValueSums;
import java.util.Objects;

/**
 * The vector operations of {@code microgpt.py}'s {@code gpt()} over {@link Value}s: the helpers
 * a forward pass is written with. {@link GptModel} and the models of the progression
 * ({@link BigramModel}, {@link MlpModel}, {@link AttentionModel}) use them, and so can a
 * learner's own forward pass (see {@link ValueLanguageModel}).
 *
 * <p>Each builds exactly the nodes the Python builds, in the same order, so a forward pass
 * written with them gives {@code microgpt.py}'s numbers bit for bit. Python's {@code sum(...)}
 * starts from the number 0, so every sum here is {@code (0 + a0) + a1 + ...}, written
 * {@code a0.add(0.0)} and then one addition per further term. The sums of products (a linear
 * layer's outputs, dot products, the squares of RMSNorm) are stored compactly, one node per sum
 * holding its terms, so that a training step is faster: to anyone who looks ({@link Value#child},
 * {@link Value#topologicalOrder}, a drawing) they are the same nodes of {@code mul} and
 * {@code add}, and {@code backward()} gives the same gradients bit for bit.
 */
public final class ValueOps {

    /** The compact sums of products, which only {@code Value} can make. */
    private static final ValueSums SUMS = ValueSums.get();

    private ValueOps() {
    }

    /**
     * {@code w @ x}, the Python's {@code linear(x, w)}: for each row {@code w_o} of {@code w},
     * {@code sum(w_o[i] * x[i])}.
     *
     * @param x the input vector, {@code nin} long; not empty (unless {@code w} has no rows)
     * @param w the weights, {@code nout} rows of {@code nin}; no rows give no outputs
     * @return {@code nout} outputs
     * @throws IllegalArgumentException if {@code x} is empty while {@code w} has rows (each output
     *     is a sum over {@code x}, and a sum needs at least one term), or a row of {@code w} is not
     *     as long as {@code x}
     */
    public static Value[] linear(Value[] x, Value[][] w) {
        Objects.requireNonNull(x, "x");
        Objects.requireNonNull(w, "w");
        if (x.length == 0 && w.length > 0) {
            throw new IllegalArgumentException("linear needs an input x of at least one element (each of its "
                    + w.length + " outputs is a sum of w[o][i] * x[i] over x), got an empty x");
        }
        // sum(w_o[i] * x[i]) for each row: the nodes of mul and add, stored compactly, the rows
        // sharing one copy of x; it refuses a row not as long as x.
        return SUMS.sumsOfProducts(w, x);
    }

    /**
     * Root-mean-square normalisation, the Python's {@code rmsnorm(x)}: divides {@code x} by the
     * root of the mean of its squares (plus 1e-5, so that a zero vector does not divide by zero).
     * The result has a root mean square of about 1 whatever the size of {@code x}, so that the
     * layer after it sees numbers of one scale while the residual stream grows.
     *
     * @param x the vector; not empty
     * @return {@code x * (mean(x^2) + 1e-5)^-0.5}
     * @throws IllegalArgumentException if {@code x} is empty (the mean of no squares is not a number)
     */
    public static Value[] rmsnorm(Value[] x) {
        Objects.requireNonNull(x, "x");
        if (x.length == 0) {
            throw new IllegalArgumentException("rmsnorm needs at least one value");
        }
        Value sumOfSquares = SUMS.sumOfProducts(x, 0, x, 0, x.length);
        Value ms = sumOfSquares.div(x.length);
        Value scale = ms.add(1e-5).pow(-0.5);
        Value[] out = new Value[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i].mul(scale);
        }
        return out;
    }

    /**
     * Turns logits into probabilities, the Python's {@code softmax(logits)}:
     * {@code exp(z_i - max z) / sum_j exp(z_j - max z)}. Subtracting the largest logit (a plain
     * number, outside the graph) keeps {@code exp} from overflowing and does not change the
     * result.
     *
     * @param logits the logits; at least one
     * @return probabilities that sum to 1
     * @throws IllegalArgumentException if there are no logits
     */
    public static Value[] softmax(Value[] logits) {
        Objects.requireNonNull(logits, "logits");
        if (logits.length == 0) {
            throw new IllegalArgumentException("logits is empty; a softmax needs at least one logit");
        }
        double maxVal = Double.NEGATIVE_INFINITY;
        for (Value logit : logits) {
            maxVal = Math.max(maxVal, logit.data());
        }
        Value[] exps = new Value[logits.length];
        for (int i = 0; i < logits.length; i++) {
            exps[i] = logits[i].sub(maxVal).exp();
        }
        Value total = Value.sum(exps);
        Value[] probs = new Value[logits.length];
        for (int i = 0; i < logits.length; i++) {
            probs[i] = exps[i].div(total);
        }
        return probs;
    }

    /**
     * The dot product of two stretches of vectors, {@code sum(a[aFrom + j] * b[bFrom + j] for j
     * in range(length))}: one head's slice of a query and a key, for example.
     *
     * @param a the first vector
     * @param aFrom where its stretch starts
     * @param b the second vector
     * @param bFrom where its stretch starts
     * @param length the number of terms; at least 1
     * @return the sum, {@code (0 + a*b) + a*b + ...}
     * @throws IllegalArgumentException if {@code length} is below 1 (an empty stretch has no
     *     terms to sum)
     * @throws IndexOutOfBoundsException if a stretch does not fit in its vector
     */
    public static Value dot(Value[] a, int aFrom, Value[] b, int bFrom, int length) {
        Objects.requireNonNull(a, "a");
        Objects.requireNonNull(b, "b");
        if (length < 1) {
            throw new IllegalArgumentException("dot needs a length of at least 1 (the number of products it sums),"
                    + " got " + length);
        }
        checkStretch("a", a, aFrom, length);
        checkStretch("b", b, bFrom, length);
        return SUMS.sumOfProducts(a, aFrom, b, bFrom, length);
    }

    /** Refuses a stretch of {@code dot} that does not fit in its vector, naming it. */
    private static void checkStretch(String name, Value[] vector, int from, int length) {
        if (from < 0 || (long) from + length > vector.length) {
            throw new IndexOutOfBoundsException("dot's stretch of " + name + ", [" + from + ", "
                    + ((long) from + length) + "), does not fit in its " + vector.length + " elements");
        }
    }

    /**
     * Element-wise sum, the Python's {@code [a + b for a, b in zip(x, y)]}: a residual
     * connection, or a token embedding plus a position embedding.
     *
     * @param a the first vector
     * @param b the second vector, as long
     * @return {@code a[i] + b[i]} for each {@code i}
     * @throws IllegalArgumentException if the vectors differ in length
     */
    public static Value[] add(Value[] a, Value[] b) {
        Objects.requireNonNull(a, "a");
        Objects.requireNonNull(b, "b");
        if (a.length != b.length) {
            throw new IllegalArgumentException("cannot add vectors of " + a.length + " and " + b.length
                    + " elements; they must be as long");
        }
        Value[] out = new Value[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i].add(b[i]);
        }
        return out;
    }

    /**
     * ReLU of each element, the Python's {@code [xi.relu() for xi in x]}.
     *
     * @param x the vector
     * @return a new vector
     */
    public static Value[] relu(Value[] x) {
        Objects.requireNonNull(x, "x");
        Value[] out = new Value[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i].relu();
        }
        return out;
    }

    /**
     * Tanh of each element: the activation of Bengio's MLP language model and of micrograd.
     *
     * @param x the vector
     * @return a new vector
     */
    public static Value[] tanh(Value[] x) {
        Objects.requireNonNull(x, "x");
        Value[] out = new Value[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i].tanh();
        }
        return out;
    }
}
