package io.github.microgpt.autograd;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.WeakHashMap;

/**
 * A scalar that remembers how it was computed, so that the derivative of a final result with
 * respect to it can be found by the chain rule: the autograd engine of microgpt.
 *
 * <p>Every arithmetic operation on a {@code Value} returns a new {@code Value} that records its
 * operands (its <em>children</em>) and, at the moment it is created, the <em>local gradient</em>
 * of the result with respect to each child. For {@code c = a.mul(b)} these are {@code b.data()}
 * and {@code a.data()}, because {@code dc/da = b} and {@code dc/db = a}. Calling
 * {@link #backward()} on the final result then walks the graph from the result back to the leaves
 * and accumulates into every node's {@link #grad()} the derivative of the result with respect to
 * that node.
 *
 * <pre>{@code
 * Value a = new Value(2.0);
 * Value b = new Value(-3.0);
 * Value c = a.mul(b).add(a.pow(2));   // c = a*b + a^2 = -2
 * c.backward();
 * a.grad();                           // dc/da = b + 2a = 1
 * b.grad();                           // dc/db = a = 2
 * }</pre>
 *
 * <p>The operations and their local gradients are exactly those of Karpathy's {@code microgpt.py}
 * (its class {@code Value}): {@code add},
 * {@code mul}, {@code pow}, {@code log}, {@code exp} and {@code relu} are primitive; {@code neg},
 * {@code sub} and {@code div} are built from them ({@code -a = a * -1}, {@code a - b = a + (-b)},
 * {@code a / b = a * b^-1}), so that the results agree with the Python bit for bit. A plain
 * {@code double} operand is wrapped as a constant {@code Value} first, as Python does.
 * {@code tanh} is micrograd's, for neurons and lessons; the GPT does not use it.
 *
 * <p>Where {@code microgpt.py}'s {@code Value} raises, this one throws: {@code log} of 0 or of a
 * negative number, {@code exp} or {@code pow} beyond the largest {@code double}, 0 to a negative
 * power (and so a division by 0), each an {@link ArithmeticException} that names the operation,
 * its operand and what Python raises. Java's arithmetic would go on with {@code -Infinity} or
 * {@code NaN}, which then spread silently to every number computed from them, gradients
 * included, far from the operation that made them; Python stops at that operation, and so does
 * this class. A {@code NaN} or infinite operand is not refused (Python's {@code math.log(nan)} is
 * {@code nan} too): it was made elsewhere (an addition that overflowed, a parameter set to it).
 *
 * <p>Every node records the {@link Operation} that made it ({@link #op()}) and may carry a
 * {@link #label()} for drawings; {@link ExpressionGraph} turns a result and everything it was
 * computed from into a list of nodes and edges, a Graphviz file or a picture.
 *
 * <p>A {@code Value} is not thread-safe. Graphs that share nodes (for example the parameters of
 * one model) must not be back-propagated from two threads at once.
 */
public final class Value {

    // Reading order: the fields; the primitive operations (add, mul, pow, log, exp, relu, tanh),
    // each its forward value and its local gradients, as in micrograd; the operations built from
    // them; sums of products stored compactly; the graph and backward(). The compact sums and the
    // walk of backward() are what make a training step fast, and change no number.

    private double data;
    private double grad;
    // A node has at most two children; fields instead of collections keep a node small. A
    // compact sum-of-products node (see sumOfProducts) holds a third, and turns into the two plain
    // nodes it stands for when someone looks at its children: so these are not final.
    private Value child0;
    private Value child1;
    private Value child2;
    private double localGrad0;
    private double localGrad1;
    /**
     * Set while a {@link #backward()} walk has seen this node, and cleared again by the same
     * call's reverse pass, which visits every node the walk marked. A flag rather than a pass
     * number keeps a node at 64 bytes: less memory to allocate, to copy when the collector runs,
     * and to pull through the caches in every walk.
     */
    private boolean visited;
    /**
     * Which children are inner nodes (bit 0: {@code child0}, bit 1: {@code child1}, bit 2:
     * {@code child2}). The walk of {@link #backward()} skips leaves without reading them, so it
     * never loads a weight or a constant just to find it is a leaf. It fits in the padding of
     * the object.
     */
    private byte innerChildren;
    /**
     * The {@link Operation} that made this node, as its ordinal, or one of the codes of the
     * compact nodes ({@link #PRODUCT_PLUS_ZERO}, {@link #PLUS_PRODUCT}): a byte rather than a
     * reference so that it too fits in the padding.
     */
    private byte op;

    /**
     * The terms of a {@link #SUM_OF_PRODUCTS} node, null for every other node. A field of every
     * node, but it fits in the padding: a node stays at 64 bytes.
     */
    private Terms terms;

    /**
     * The labels given with {@link #label(String)}, kept outside the nodes (a weak map, so a
     * dropped graph is collected with its labels): a label field in every node would make each of
     * the millions of unlabelled nodes of a training step 8 bytes larger.
     */
    private static final Map<Value, String> LABELS = Collections.synchronizedMap(new WeakHashMap<>());

    /**
     * The door through which {@code ValueOps}, in the model package, makes compact sums of
     * products: only {@code Value} can make them, and public methods here would put a speed
     * device on the class a learner reads first.
     */
    private static final class Sums extends io.github.microgpt.internal.ValueSums {
        @Override
        public Value sumOfProducts(Value[] a, int aFrom, Value[] b, int bFrom, int length) {
            return Value.sumOfProducts(a, aFrom, b, bFrom, length);
        }

        @Override
        public Value[] sumsOfProducts(Value[][] w, Value[] x) {
            return Value.sumsOfProducts(w, x);
        }

        @Override
        public Value logOfProbability(Value p) {
            return Value.logOf(p);
        }

        @Override
        public boolean beginOwnedRows() {
            return RowSnapshots.forThisThread().beginOwned();
        }

        @Override
        public void endOwnedRows(boolean began) {
            if (began) {
                RowSnapshots.forThisThread().endOwned();
            }
        }
    }

    static {
        io.github.microgpt.internal.ValueSums.set(new Sums());
    }

    /**
     * Creates a leaf: a value with no children, such as a parameter or a constant.
     *
     * @param data the value
     */
    public Value(double data) {
        this(data, Operation.LEAF, null, 0.0, null, 0.0);
    }

    private Value(double data, Operation op, Value child0, double localGrad0, Value child1, double localGrad1) {
        this.data = data;
        this.op = op.code();
        this.child0 = child0;
        this.localGrad0 = localGrad0;
        this.child1 = child1;
        this.localGrad1 = localGrad1;
        this.innerChildren = (byte) (isInner(child0) | isInner(child1) << 1);
    }

    /** A compact node of a sum of products; see {@link #sumOfProducts}. */
    private Value(double data, byte op, Value child0, Value child1, Value child2, double localGrad0,
                  double localGrad1) {
        this.data = data;
        this.op = op;
        this.child0 = child0;
        this.child1 = child1;
        this.child2 = child2;
        this.localGrad0 = localGrad0;
        this.localGrad1 = localGrad1;
        this.innerChildren = (byte) (isInner(child0) | isInner(child1) << 1 | isInner(child2) << 2);
    }

    private static int isInner(Value v) {
        return v != null && v.child0 != null ? 1 : 0;
    }

    private static Value unary(double data, Operation op, Value child, double localGrad) {
        return new Value(data, op, child, localGrad, null, 0.0);
    }

    private static Value binary(double data, Operation op, Value a, double localGradA, Value b, double localGradB) {
        return new Value(data, op, a, localGradA, b, localGradB);
    }

    // ---------------------------------------------------------------- the primitive operations

    /**
     * Returns {@code this + other}; both local gradients are 1.
     *
     * @param other the right operand
     * @return a new node
     * @throws NullPointerException if {@code other} is null
     */
    public Value add(Value other) {
        Objects.requireNonNull(other, "Value.add(other): other is null; give a Value, or a double for a constant");
        return binary(data + other.data, Operation.ADD, this, 1.0, other, 1.0);
    }

    /**
     * Returns {@code this * other}; the local gradients are {@code other.data} and {@code this.data}.
     *
     * @param other the right operand
     * @return a new node
     * @throws NullPointerException if {@code other} is null
     */
    public Value mul(Value other) {
        Objects.requireNonNull(other, "Value.mul(other): other is null; give a Value, or a double for a constant");
        return binary(data * other.data, Operation.MUL, this, other.data, other, data);
    }

    /**
     * Returns {@code this} raised to a constant power {@code k}; the local gradient is
     * {@code k * this^(k-1)}. Both powers use {@link Math#pow}, as Python's {@code **} uses the C
     * library's {@code pow}, and both are refused where Python's {@code float ** float} raises
     * (the gradient's too: {@code microgpt.py} computes it when it makes the node, so
     * {@code new Value(0).pow(0.5)} raises there, the slope of a square root at 0 being infinite).
     *
     * @param exponent the constant exponent {@code k}
     * @return a new node
     * @throws ArithmeticException if {@code this} is 0 and a power is negative (Python's
     *     {@code ZeroDivisionError}), a finite power is beyond the largest {@code double}
     *     ({@code OverflowError}), or {@code this} is negative and {@code k} not a whole number (a
     *     complex number in Python, which a {@code double} cannot hold)
     */
    public Value pow(double exponent) {
        return power(exponent, false);
    }

    /** {@link #pow}, or the reciprocal of a divisor, {@code this^-1}, whose refusal says so. */
    private Value power(double exponent, boolean divisor) {
        double result = Math.pow(data, exponent);
        double slope = Math.pow(data, exponent - 1);
        // Every refusal has a result that is not finite: one test on the path that is taken.
        if (!Double.isFinite(result) || !Double.isFinite(slope)) {
            refusePower(exponent, result, slope, divisor);
        }
        return unary(result, Operation.POW, this, exponent * slope);
    }

    /** Throws if {@link #power} is one that Python refuses; returns for a NaN or an infinite operand. */
    private void refusePower(double exponent, double result, double slope, boolean divisor) {
        if (divisor && data == 0) {
            throw new ArithmeticException("Value.div: division by zero: the divisor is " + data + " (a / b is"
                    + " computed as a * b ** -1, and Python's 0.0 ** -1 raises ZeroDivisionError)");
        }
        String prefix = divisor ? "Value.div: dividing by " + data + " (a / b is computed as a * b ** -1): "
                : "Value.pow: ";
        String why = powerRefusal(data, exponent, result);
        if (why != null) {
            throw new ArithmeticException(prefix + data + " ** " + exponent + " " + why);
        }
        why = powerRefusal(data, exponent - 1, slope);
        if (why != null) {
            throw new ArithmeticException(prefix + "its local gradient " + exponent + " * " + data + " ** "
                    + (exponent - 1) + " cannot be computed: " + data + " ** " + (exponent - 1) + " " + why);
        }
    }

    /**
     * Why Python's {@code base ** exponent} raises where {@link Math#pow} gave {@code result}, or
     * null where it does not (an operand that is NaN or infinite, a result that underflows to 0).
     */
    private static String powerRefusal(double base, double exponent, double result) {
        if (Double.isFinite(result)) {
            return null;
        }
        if (base == 0 && exponent < 0) {
            return "divides by zero: 0 cannot be raised to a negative power (Python raises ZeroDivisionError)";
        }
        if (!Double.isFinite(base) || !Double.isFinite(exponent)) {
            return null;
        }
        if (base < 0 && exponent != Math.rint(exponent)) {
            return "is not a real number: a negative number cannot be raised to a power that is not a whole number"
                    + " (Python's result is a complex number, which a double cannot hold)";
        }
        return "overflows: it is beyond the largest double, about 1.8e308 (Python raises OverflowError)";
    }

    /**
     * Returns the natural logarithm of {@code this}; the local gradient is {@code 1 / this}.
     *
     * @return a new node
     * @throws ArithmeticException if {@code this} is 0 or negative, where the logarithm is not
     *     defined (Python's {@code math.log} raises {@code ValueError: math domain error}; Java's
     *     would be minus infinity or NaN). A NaN is passed on, as Python's {@code math.log} does.
     */
    public Value log() {
        if (data <= 0) {
            throw new ArithmeticException("Value.log: log(" + data + ") is not defined: the logarithm is defined for"
                    + " positive numbers only (Python's math.log raises ValueError: math domain error)");
        }
        return logOf(this);
    }

    /**
     * The node of {@code log(p)} for any {@code p}, minus infinity at 0: for the loss of a model,
     * {@code -log(p)}, where a probability that underflowed to 0 in a diverging run must give an
     * infinite loss, as the array engine's does, for the trainer to stop with its own message.
     */
    static Value logOf(Value p) {
        return unary(Math.log(p.data), Operation.LOG, p, 1 / p.data);
    }

    /**
     * Returns {@code e^this}; the local gradient is {@code e^this} again.
     *
     * @return a new node
     * @throws ArithmeticException if {@code this} is finite and {@code e^this} is beyond the
     *     largest {@code double}, that is {@code this} above about 709.78 (Python's
     *     {@code math.exp} raises {@code OverflowError: math range error}; Java's would be
     *     infinite). {@code exp} of infinity is infinity, as in Python.
     */
    public Value exp() {
        double e = Math.exp(data);
        if (e == Double.POSITIVE_INFINITY && data != Double.POSITIVE_INFINITY) {
            throw new ArithmeticException("Value.exp: exp(" + data + ") overflows: e^x is beyond the largest double,"
                    + " about 1.8e308, for x above about 709.78 (Python's math.exp raises OverflowError: math range"
                    + " error)");
        }
        return unary(e, Operation.EXP, this, e);
    }

    /**
     * Returns {@code max(0, this)}, the rectified linear unit; the local gradient is 1 where the
     * input is positive and 0 elsewhere.
     *
     * @return a new node
     */
    public Value relu() {
        boolean positive = data > 0;
        return unary(positive ? data : 0.0, Operation.RELU, this, positive ? 1.0 : 0.0);
    }

    /**
     * Returns the hyperbolic tangent of {@code this}, micrograd's activation: it squashes any
     * input into {@code (-1, 1)}. The local gradient is {@code 1 - tanh(this)^2}, computed from
     * the result, as micrograd does.
     *
     * @return a new node
     */
    public Value tanh() {
        double t = Math.tanh(data);
        return unary(t, Operation.TANH, this, 1 - t * t);
    }

    // ------------------------------------------------------- operations built from the primitives

    /**
     * Returns {@code this + c} for a constant {@code c}, which is wrapped as a leaf first.
     *
     * @param constant the right operand
     * @return a new node
     */
    public Value add(double constant) {
        return add(new Value(constant));
    }

    /**
     * Returns {@code this * c} for a constant {@code c}, which is wrapped as a leaf first.
     *
     * @param constant the right operand
     * @return a new node
     */
    public Value mul(double constant) {
        return mul(new Value(constant));
    }

    /**
     * Returns {@code -this}, computed as {@code this * -1}.
     *
     * @return a new node
     */
    public Value neg() {
        return mul(-1.0);
    }

    /**
     * Returns {@code this - other}, computed as {@code this + (-other)}.
     *
     * @param other the right operand
     * @return a new node
     * @throws NullPointerException if {@code other} is null
     */
    public Value sub(Value other) {
        Objects.requireNonNull(other, "Value.sub(other): other is null; give a Value, or a double for a constant");
        return add(other.neg());
    }

    /**
     * Returns {@code this - c} for a constant {@code c}, computed as {@code this + (-c)}.
     *
     * @param constant the right operand
     * @return a new node
     */
    public Value sub(double constant) {
        return add(-constant);
    }

    /**
     * Returns {@code this / other}, computed as {@code this * other^-1}: there is no division node.
     *
     * @param other the divisor
     * @return a new node
     * @throws NullPointerException if {@code other} is null
     * @throws ArithmeticException if {@code other} is 0 (Python's {@code 0.0 ** -1} raises
     *     {@code ZeroDivisionError}), or so small that {@code other^-1} or its local gradient
     *     {@code -1 * other^-2} is beyond the largest {@code double} (about {@code 1e-154}; Python
     *     raises {@code OverflowError}), as {@link #pow} refuses
     */
    public Value div(Value other) {
        Objects.requireNonNull(other, "Value.div(other): other is null; give a Value, or a double for a constant");
        return mul(other.power(-1, true));
    }

    /**
     * Returns {@code this / c} for a constant {@code c}, computed as {@code this * pow(c, -1)}
     * exactly as Python computes {@code value / c} (so {@code x / 3} is not the same double as a
     * true division).
     *
     * @param constant the divisor
     * @return a new node
     * @throws ArithmeticException if {@code constant} is 0 (Python's {@code 0 ** -1} raises
     *     {@code ZeroDivisionError}) or so small that its reciprocal is beyond the largest
     *     {@code double} ({@code OverflowError})
     */
    public Value div(double constant) {
        double reciprocal = Math.pow(constant, -1);
        if (!Double.isFinite(reciprocal)) {
            if (constant == 0) {
                throw new ArithmeticException("Value.div: division by zero: the constant divisor is " + constant
                        + " (a / c is computed as a * c ** -1, and Python's 0 ** -1 raises ZeroDivisionError)");
            }
            String why = powerRefusal(constant, -1, reciprocal);
            if (why != null) {
                throw new ArithmeticException("Value.div: dividing by the constant " + constant + " (a / c is computed"
                        + " as a * c ** -1): " + constant + " ** -1.0 " + why);
            }
        }
        return mul(reciprocal);
    }

    /**
     * Sums values as Python's built-in {@code sum} does: a left-to-right fold that starts from
     * the number 0, so the first node is {@code values[0] + 0} and each further value is added
     * to the running total. (Python's {@code 0 + v} asks the {@code int} 0 first, which cannot add
     * a {@code Value}, and then {@code v.__radd__(0)}, which computes {@code v + 0}: hence
     * {@code values[0]} as the left child and the constant 0 as the right.) The order of
     * additions fixes the rounding, so it matters for exact results.
     *
     * @param values the values to add; at least one
     * @return a new node holding the sum
     * @throws IllegalArgumentException if {@code values} is empty
     * @throws NullPointerException if {@code values} or one of its elements is null (checked
     *     before any node is made)
     */
    public static Value sum(Value... values) {
        Objects.requireNonNull(values, "Value.sum(values): values is null; give at least one Value");
        if (values.length == 0) {
            throw new IllegalArgumentException("Value.sum needs at least one value");
        }
        for (int i = 0; i < values.length; i++) {
            if (values[i] == null) {
                throw new NullPointerException("Value.sum(values): values[" + i + "] is null; every value to add"
                        + " must be a Value");
            }
        }
        Value total = values[0].add(0.0);
        for (int i = 1; i < values.length; i++) {
            total = total.add(values[i]);
        }
        return total;
    }

    // ---------------------------------------------------------- sums of products, stored compactly

    /**
     * {@code (a * b) + 0}: the first term of a sum of products, Python's {@code 0 + a*b}. Stands
     * for an {@code ADD} node whose children are {@code a * b} (a {@code MUL} node) and the
     * constant 0. Stored: {@code child0 = a}, {@code child1 = b}, {@code localGrad0 = b.data},
     * {@code localGrad1 = a.data}, the product's own fields.
     */
    private static final byte PRODUCT_PLUS_ZERO = 64;
    /**
     * {@code acc + a * b}: a further term of a sum of products. Stands for an {@code ADD} node
     * whose children are {@code acc} and {@code a * b} (a {@code MUL} node). Stored:
     * {@code child0 = acc}, {@code child1 = a}, {@code child2 = b}, {@code localGrad0 = b.data},
     * {@code localGrad1 = a.data}.
     */
    private static final byte PLUS_PRODUCT = 65;
    /**
     * A whole sum of products, {@code ((0 + a0*b0) + a1*b1) + ...}, in one node: stands for the
     * last {@code ADD} node of the chain of {@link #PRODUCT_PLUS_ZERO} and {@link #PLUS_PRODUCT}
     * terms that {@link #sumOfProducts} describes. Its operands and their local gradients are
     * in {@link #terms}; {@code child0} and {@code child1} hold the last term's operands, so that
     * the node counts as inner and as having two children.
     */
    private static final byte SUM_OF_PRODUCTS = 66;

    /**
     * The terms of a sum of products: term {@code k} is {@code a[k] * b[k]}; its derivative with
     * respect to {@code a[k]} is {@code bData[k]} and with respect to {@code b[k]} is
     * {@code aData[k]}, the operands' data when the sum was made. The two sides are kept apart,
     * rather than interleaved, so that the outputs of one linear layer can share one copy of their
     * input vector and its data ({@link #sumsOfProducts}): a term then costs 12 bytes instead of
     * 24, and a training step of the Value engine allocates about a third less.
     */
    private static final class Terms {
        final Value[] a;
        final double[] aData;
        final Value[] b;
        final double[] bData;
        /**
         * Whether some operand of a side is an inner node. The walk of {@link #backward()} only
         * looks at the sides that have one: the weights of a linear layer are all leaves, and a
         * leaf passes nothing on and is never ordered, so skipping them changes no order.
         */
        final boolean aInner;
        final boolean bInner;

        Terms(Value[] a, double[] aData, boolean aInner, Value[] b, double[] bData, boolean bInner) {
            this.a = a;
            this.aData = aData;
            this.aInner = aInner;
            this.b = b;
            this.bData = bData;
            this.bInner = bInner;
        }

        int length() {
            return a.length;
        }

        /** Operand {@code j} in the order of the definition: {@code a[0], b[0], a[1], b[1], ...}. */
        Value operand(int j) {
            return (j & 1) == 0 ? a[j >>> 1] : b[j >>> 1];
        }
    }

    /**
     * The sum of products {@code sum(a[aFrom + i] * b[bFrom + i] for i in range(length))}, as
     * Python's built-in {@code sum} folds it: {@code ((0 + a0*b0) + a1*b1) + ...}. It is
     * {@code a[aFrom].mul(b[bFrom]).add(0.0)} followed by {@code total.add(a[i].mul(b[i]))} for
     * each further term, the same nodes with the same data and local gradients, and
     * {@link #backward()} gives the same gradients bit for bit: a dot product, one output of a
     * linear layer.
     *
     * <p>Only its storage differs: the whole sum is kept as one node that holds its operands
     * and their local gradients, rather than a product node and a sum node for each term (the
     * products and the partial sums have no other use, so nothing else can tell). A term then
     * costs a fraction of the memory and a training step of the Value engine about half the
     * time. The partial sums, the products and the constant 0 are made as {@code Value}s the first
     * time someone asks for them ({@link #child(int)}, {@link #topologicalOrder()}, a drawing),
     * so what one sees is always the graph of {@code mul} and {@code add} described above.
     *
     * <p>Not API: {@link io.github.microgpt.model.ValueOps#dot} is this operation's public name
     * (the one {@code microgpt.py}'s {@code gpt()} reads with), and
     * {@link io.github.microgpt.model.ValueOps#linear} the matrix form. It lives here because only
     * {@code Value} can make the compact node; {@code ValueOps} reaches it through
     * {@code internal.ValueSums}.
     *
     * @param a the first vector
     * @param aFrom where its stretch starts
     * @param b the second vector
     * @param bFrom where its stretch starts
     * @param length the number of terms; at least 1
     * @return a new node holding the sum
     * @throws IllegalArgumentException if {@code length} is below 1
     * @throws IndexOutOfBoundsException if a stretch does not fit in its vector
     */
    static Value sumOfProducts(Value[] a, int aFrom, Value[] b, int bFrom, int length) {
        if (length < 1) {
            throw new IllegalArgumentException("Value.sumOfProducts needs at least one term, got " + length);
        }
        java.util.Objects.checkFromIndexSize(aFrom, length, a.length);
        java.util.Objects.checkFromIndexSize(bFrom, length, b.length);
        Value[] as = new Value[length];
        double[] aData = new double[length];
        boolean aInner = copy(a, aFrom, as, aData);
        if (a == b && aFrom == bFrom) {
            return sumOfProducts(new Terms(as, aData, aInner, as, aData, aInner));  // squares: one copy
        }
        Value[] bs = new Value[length];
        double[] bData = new double[length];
        boolean bInner = copy(b, bFrom, bs, bData);
        return sumOfProducts(new Terms(as, aData, aInner, bs, bData, bInner));
    }

    /**
     * The sums of products of each row of a matrix with one vector, {@code w @ x}: element
     * {@code o} of the result is {@code sumOfProducts(w[o], 0, x, 0, x.length)}, the same node
     * with the same data and local gradients, so {@link #backward()} gives the same gradients
     * bit for bit. The outputs of a linear layer.
     *
     * <p>It is faster than calling {@link #sumOfProducts} row by row because the rows share one
     * copy of {@code x} and of its data: each output then keeps only its row and the row's data,
     * half the memory of a term.
     *
     * <p>Not API: {@link io.github.microgpt.model.ValueOps#linear} is its public name (note its
     * arguments: {@code linear(x, w)}, as in {@code microgpt.py}), which reaches it through
     * {@code internal.ValueSums}.
     *
     * @param w the rows; each as long as {@code x}
     * @param x the vector; at least one element, unless there are no rows
     * @return one new node per row
     * @throws IllegalArgumentException if there are rows and {@code x} is empty, or a row is not
     *     as long as {@code x}
     */
    static Value[] sumsOfProducts(Value[][] w, Value[] x) {
        int length = x.length;
        for (int o = 0; o < w.length; o++) {
            if (w[o].length != length) {
                // Python's zip would silently drop the extra terms; here it is always a mistake.
                throw new IllegalArgumentException("row " + o + " of the weights has " + w[o].length
                        + " columns but the input has " + length + " elements; they must be equal");
            }
        }
        if (length < 1 && w.length > 0) {
            throw new IllegalArgumentException("Value.sumsOfProducts needs at least one term, got " + length);
        }
        // Copied once for all rows: the caller may change its arrays after the call, the graph must not change.
        Value[] xs = new Value[length];
        double[] xData = new double[length];
        boolean xInner = copy(x, 0, xs, xData);
        Value[] out = new Value[w.length];
        // The rows of a weight matrix are copied once and shared by every later call while the
        // weights are the same nodes with the same data: the positions of a document read the
        // same weights, which change only between steps (see RowSnapshots).
        RowSnapshots kept = w.length > 0 && io.github.microgpt.internal.ValueSums.mayKeep(w.length, length)
                ? RowSnapshots.forThisThread() : null;
        RowSnapshots.Entry snapshot = kept != null ? kept.entry(w, length) : null;
        if (snapshot != null && snapshot.ownedMatrix == w && snapshot.ownedStretch == kept.stretch) {
            // Checked or copied earlier in a stretch whose caller changes no weight (beginOwned):
            // the copies still hold what the rows hold, at no cost of a look at every weight.
            for (int o = 0; o < w.length; o++) {
                out[o] = sumOfProducts(new Terms(snapshot.rows[o], snapshot.data[o], false, xs, xData, xInner));
            }
            return out;
        }
        for (int o = 0; o < w.length; o++) {
            Value[] row = snapshot != null ? snapshot.rows[o] : null;
            double[] rowData = snapshot != null ? snapshot.data[o] : null;
            boolean rowInner = false;
            if (row == null || !isCopyOf(row, rowData, w[o])) {
                row = new Value[length];
                rowData = new double[length];
                rowInner = copy(w[o], 0, row, rowData);
                if (snapshot != null) {
                    if (rowInner) {
                        // Computed rows (not weights) are new at every call: nothing to share.
                        kept.forget(snapshot);
                        snapshot = null;
                    } else {
                        snapshot.rows[o] = row;
                        snapshot.data[o] = rowData;
                    }
                }
            }
            out[o] = sumOfProducts(new Terms(row, rowData, rowInner, xs, xData, xInner));
        }
        if (snapshot != null && kept.owned) {
            // Every copy now holds what its row holds, and in this stretch they stay so.
            snapshot.ownedMatrix = w;
            snapshot.ownedStretch = kept.stretch;
        }
        return out;
    }

    /**
     * Whether a copy of a stretch of operands and their data still holds what {@code from} holds:
     * the same nodes, whose data has the same bits. Only a copy of leaves is kept for this, so its
     * operands are still leaves.
     */
    private static boolean isCopyOf(Value[] operands, double[] data, Value[] from) {
        if (from.length != operands.length) {
            return false;
        }
        for (int i = 0; i < operands.length; i++) {
            Value v = from[i];
            if (v != operands[i] || Double.doubleToRawLongBits(v.data) != Double.doubleToRawLongBits(data[i])) {
                return false;
            }
        }
        return true;
    }

    /**
     * The copies of the rows of the weight matrices {@link #sumsOfProducts} read, kept per thread
     * so that the positions of a document share them. A copy is shared only while it holds what
     * the row holds (the same nodes, with the same data to the bit), which is checked at every
     * call: a sum of products keeps the data its operands had when it was made, as
     * {@code microgpt.py}'s {@code Value} keeps its local gradients, and an optimizer's step (or
     * anyone's {@link #setData}) between two calls makes the second copy the row again. Copies are
     * never changed once made, so the sums made with an older copy keep theirs.
     *
     * <p>At the default shape a copy at every position was some 50 KB of a position's 90 KB of
     * graph, and copying it some 13% of a whole run's processor time. Only matrices of leaves are
     * kept (a row of computed nodes is new at every call), and only as many as fit in
     * {@link io.github.microgpt.internal.ValueSums#MOST_KEPT_BYTES}, counted by
     * {@link io.github.microgpt.internal.ValueSums#keptBytes}: what a thread keeps stays small
     * however large a model it trained last.
     *
     * <p>What does not fit is copied at every call, and does not push out what is kept: a matrix
     * replaces only matrices no call has read in the last {@value #IDLE_CALLS} calls (those of a
     * model this thread no longer trains), the longest unread first. A model reads its matrices in
     * the same cycle at every position, so replacing the matrix read longest ago, as a table of
     * 16 matrices did until 7 December 2026, copies every matrix at every position once the cycle
     * is longer than the table (from 17 matrices, a model of 3 layers: 5,584 bytes a call instead
     * of 1,840); kept this way, a model larger than what fits keeps the matrices it read first.
     */
    static final class RowSnapshots {
        /**
         * How many calls a matrix must have gone unread before another may take its place: far
         * more than the matrices a model reads at one position (6 a layer, and what fits is some
         * 24 layers of the default width), so that a model never pushes out its own matrices.
         */
        static final int IDLE_CALLS = 1 << 12;
        private static final ThreadLocal<RowSnapshots> SNAPSHOTS = ThreadLocal.withInitial(RowSnapshots::new);

        /**
         * The copies of one matrix's rows; a row not copied yet is null. The matrix is known by
         * its first weight (a leaf the copies hold anyway), not by its array: the caller may set
         * the array's elements to other nodes afterwards (computed ones, with all their graph),
         * and what a thread keeps must hold nothing but the weights it copied.
         */
        static final class Entry {
            final Value first;
            final int columns;
            final Value[][] rows;
            final double[][] data;
            final long bytes;
            /** The number of the call that read this matrix last. */
            long lastRead;
            /**
             * The matrix whose rows the copies were last found to hold, or made from, in the
             * stretch of {@link RowSnapshots#beginOwned} numbered {@link #ownedStretch}: in that
             * stretch a call with this very array uses the copies unchecked. A call with another
             * array that begins with the same weight replaces it.
             */
            Value[][] ownedMatrix;
            long ownedStretch;

            Entry(Value first, int rows, int columns, long bytes) {
                this.first = first;
                this.columns = columns;
                this.rows = new Value[rows][];
                this.data = new double[rows][];
                this.bytes = bytes;
            }
        }

        /** The entries by first weight, the one read longest ago first ({@code Value} keeps identity's equals). */
        private final java.util.LinkedHashMap<Value, Entry> entries = new java.util.LinkedHashMap<>(16, 0.75f, true);
        /** The bytes the entries take, by {@link io.github.microgpt.internal.ValueSums#keptBytes}. */
        private long bytes;
        /** The calls of {@link #entry} so far: a clock, to tell the matrices no longer read. */
        private long calls;
        /** Whether the thread is in a stretch of {@link #beginOwned}. */
        boolean owned;
        /**
         * The number of the stretch: counted up when one begins and when it ends, so that an
         * entry's {@link Entry#ownedStretch} matches only while the stretch that set it lasts.
         */
        long stretch;

        /**
         * Begins a stretch in which the caller changes no weight's data and no element of the
         * matrices it passes (a library model's loss: {@code ValueSums.beginOwnedRows}).
         *
         * @return false if the thread is in one already
         */
        boolean beginOwned() {
            if (owned) {
                return false;
            }
            owned = true;
            stretch++;
            return true;
        }

        /** Ends the stretch, if there is one: every copy is checked again at its next use. */
        void endOwned() {
            if (owned) {
                owned = false;
                stretch++;
            }
        }

        static RowSnapshots forThisThread() {
            return SNAPSHOTS.get();
        }

        /**
         * The entry of a matrix of {@code columns} columns that may be kept
         * ({@link io.github.microgpt.internal.ValueSums#mayKeep}), found by the identity of its
         * first weight (the copies are checked row by row before use, so two matrices that begin
         * with the same node only share an entry, never a wrong copy), or a new one; null if the
         * first weight is null, or a new one does not fit and nothing kept is idle enough to give
         * way.
         */
        Entry entry(Value[][] matrix, int columns) {
            long now = ++calls;
            Value first = matrix[0][0];
            if (first == null) {
                return null;  // no copies: the copy of the row refuses the null as it always did
            }
            Entry e = entries.get(first);
            if (e != null) {
                if (e.rows.length == matrix.length && e.columns == columns) {
                    e.lastRead = now;
                    return e;
                }
                forget(e);
            }
            long size = (long) io.github.microgpt.internal.ValueSums.keptBytes(matrix.length, columns);
            var oldest = entries.values().iterator();
            while (bytes + size > io.github.microgpt.internal.ValueSums.MOST_KEPT_BYTES) {
                Entry idle = oldest.next();  // there is one: a matrix that may be kept fits alone
                if (now - idle.lastRead < IDLE_CALLS) {
                    return null;
                }
                oldest.remove();
                bytes -= idle.bytes;
            }
            e = new Entry(first, matrix.length, columns, size);
            e.lastRead = now;
            entries.put(first, e);
            bytes += size;
            return e;
        }

        /** Drops an entry, whose copies are then no longer shared. */
        void forget(Entry e) {
            if (entries.remove(e.first, e)) {
                bytes -= e.bytes;
            }
        }

        /** The bytes the entries take, by their count; for tests. */
        long bytes() {
            return bytes;
        }

        /** The entries, the one read longest ago first; for tests. */
        Object[] entries() {
            return entries.values().toArray();
        }
    }

    /**
     * Copies a stretch of operands and their data; tells whether one of them is an inner node.
     */
    private static boolean copy(Value[] from, int start, Value[] operands, double[] data) {
        boolean inner = false;
        for (int i = 0; i < operands.length; i++) {
            Value v = from[start + i];
            operands[i] = v;
            data[i] = v.data;
            inner |= v.child0 != null;
        }
        return inner;
    }

    /** The node of a sum of products whose terms are given. */
    private static Value sumOfProducts(Terms terms) {
        Value[] a = terms.a;
        Value[] b = terms.b;
        double[] aData = terms.aData;
        double[] bData = terms.bData;
        double total = 0.0;
        for (int k = 0; k < aData.length; k++) {
            total += aData[k] * bData[k];  // the first term: 0 + a0*b0, as Python's sum starts
        }
        int last = aData.length - 1;
        Value sum = new Value(total, SUM_OF_PRODUCTS, a[last], b[last], null, bData[last], aData[last]);
        sum.terms = terms;
        return sum;
    }

    /**
     * Turns a compact node of {@link #sumOfProducts} into the plain nodes it stands for: the
     * {@code ADD} node itself (this object, so references to it stay valid), its product and, for
     * the first term, its constant 0. Their gradients are what {@link #backward()} would have
     * left in them: a compact node is expanded before anything can see its gradient change after
     * a backward pass has gone through it (a second pass, {@link #setGrad}), so at most one pass
     * has, and in that pass it handed the product (and the constant) {@code 0 + grad}.
     */
    private void expand() {
        if (op == SUM_OF_PRODUCTS) {
            expandTerms();
        }
        if (op == PRODUCT_PLUS_ZERO) {
            Value product = binary(localGrad1 * localGrad0, Operation.MUL, child0, localGrad0, child1, localGrad1);
            product.grad = 0.0 + grad;
            Value zero = new Value(0.0);
            zero.grad = 0.0 + grad;
            child0 = product;
            child1 = zero;
        } else if (op == PLUS_PRODUCT) {
            Value product = binary(localGrad1 * localGrad0, Operation.MUL, child1, localGrad0, child2, localGrad1);
            product.grad = 0.0 + grad;
            child1 = product;
            child2 = null;
        } else {
            return;
        }
        op = Operation.ADD.code();
        localGrad0 = 1.0;
        localGrad1 = 1.0;
        innerChildren = (byte) (isInner(child0) | isInner(child1) << 1);
    }

    /**
     * Turns a {@link #SUM_OF_PRODUCTS} node into the chain of compact terms it stands for, this
     * node being the last. The partial sums are computed again from the recorded data, in the same
     * order, so they are the same doubles; each gets the gradient a backward pass through this
     * node would have handed it ({@code 0 + grad}, as every sum in the chain has one parent).
     */
    private void expandTerms() {
        Value[] a = terms.a;
        Value[] b = terms.b;
        double[] aData = terms.aData;
        double[] bData = terms.bData;
        int last = aData.length - 1;
        double chainGrad = 0.0 + grad;
        Value total = null;
        for (int k = 0; k < last; k++) {
            double product = aData[k] * bData[k];
            total = total == null
                    ? new Value(product + 0.0, PRODUCT_PLUS_ZERO, a[k], b[k], null, bData[k], aData[k])
                    : new Value(total.data + product, PLUS_PRODUCT, total, a[k], b[k], bData[k], aData[k]);
            total.grad = chainGrad;
        }
        if (total == null) {
            op = PRODUCT_PLUS_ZERO;
            child0 = a[0];
            child1 = b[0];
        } else {
            op = PLUS_PRODUCT;
            child0 = total;
            child1 = a[last];
            child2 = b[last];
        }
        localGrad0 = bData[last];
        localGrad1 = aData[last];
        terms = null;
        innerChildren = (byte) (isInner(child0) | isInner(child1) << 1 | isInner(child2) << 2);
    }

    private boolean isCompact() {
        return op >= PRODUCT_PLUS_ZERO;
    }

    // ------------------------------------------------------------------------------- the graph

    /**
     * The value computed in the forward pass.
     *
     * @return the data
     */
    public double data() {
        return data;
    }

    /**
     * Replaces the data of this node. Meant for leaves such as parameters, which an optimizer
     * updates; changing an inner node does not recompute the nodes built from it.
     *
     * @param data the new value
     */
    public void setData(double data) {
        this.data = data;
    }

    /**
     * The derivative of the last result that {@link #backward()} was called on with respect to
     * this node (summed over every result back-propagated since the gradient was last reset).
     *
     * @return the accumulated gradient, 0 for a node that no backward pass has reached
     */
    public double grad() {
        return grad;
    }

    /**
     * Replaces the accumulated gradient, typically with 0 after an optimizer step.
     *
     * @param grad the new gradient
     */
    public void setGrad(double grad) {
        // The compact node's product would keep the gradient it was handed; make it now.
        expand();
        this.grad = grad;
    }

    /**
     * The operation that made this node: micrograd's {@code _op}.
     *
     * @return {@link Operation#LEAF} for a value made with {@link #Value(double)}
     */
    public Operation op() {
        return isCompact() ? Operation.ADD : Operation.ofCode(op);
    }

    /**
     * The name given to this node with {@link #label(String)}, for drawings of its graph.
     *
     * @return the label, or {@code null} if there is none
     */
    public String label() {
        return LABELS.get(this);
    }

    /**
     * Names this node in drawings of its graph (micrograd's {@code label}): {@code "w1"},
     * {@code "loss"}. It changes nothing else; the name need not be unique.
     *
     * <pre>{@code
     * Value w = new Value(-3.0).label("w");
     * }</pre>
     *
     * @param label the name, or {@code null} to remove it
     * @return this node, so that a label can be given where the node is made
     */
    public Value label(String label) {
        if (label == null) {
            LABELS.remove(this);
        } else {
            LABELS.put(this, label);
        }
        return this;
    }

    /**
     * The number of children: 0 for a leaf, 1 for {@code pow}, {@code log}, {@code exp},
     * {@code relu} and {@code tanh}, 2 for {@code add} and {@code mul}.
     *
     * @return 0, 1 or 2
     */
    public int childCount() {
        return child1 != null ? 2 : child0 != null ? 1 : 0;  // a compact node has child1 too
    }

    /**
     * One of the operands this node was computed from.
     *
     * @param index 0 for the left or only operand, 1 for the right operand
     * @return the child
     * @throws IndexOutOfBoundsException if there is no such child
     */
    public Value child(int index) {
        checkChildIndex(index);
        expand();
        return index == 0 ? child0 : child1;
    }

    /**
     * The derivative of this node with respect to one child, recorded when the node was created.
     *
     * @param index the child's index, as for {@link #child(int)}
     * @return the local gradient
     * @throws IndexOutOfBoundsException if there is no such child
     */
    public double localGrad(int index) {
        checkChildIndex(index);
        // Both local gradients of a compact node's sum are 1, as for any addition.
        return isCompact() ? 1.0 : index == 0 ? localGrad0 : localGrad1;
    }

    private void checkChildIndex(int index) {
        if (index < 0 || index >= childCount()) {
            throw new IndexOutOfBoundsException(
                    "child " + index + " of a node with " + childCount() + " children");
        }
    }

    /**
     * Every node this one was computed from, and this node itself, in topological order: each
     * node after all of its children, this node last. The order is that of a depth-first
     * post-order walk from this node (children in their stored order, each node once), which is
     * micrograd's {@code build_topo}; leaves are included.
     *
     * <p>A plain walk with a set of visited nodes, meant for looking at graphs (drawing,
     * {@link #zeroGrad()}); {@link #backward()} has its own, faster walk.
     *
     * @return a new list, this node last
     */
    public List<Value> topologicalOrder() {
        List<Value> topo = new ArrayList<>();
        Set<Value> visited = Collections.newSetFromMap(new IdentityHashMap<>());
        // An explicit stack of (node, next child to visit), so that deep graphs need no deep recursion.
        List<Value> stack = new ArrayList<>();
        List<Integer> nextChild = new ArrayList<>();
        visited.add(this);
        stack.add(this);
        nextChild.add(0);
        while (!stack.isEmpty()) {
            int top = stack.size() - 1;
            Value node = stack.get(top);
            int c = nextChild.get(top);
            if (c < node.childCount()) {
                nextChild.set(top, c + 1);
                Value child = node.child(c);
                if (visited.add(child)) {
                    stack.add(child);
                    nextChild.add(0);
                }
            } else {
                stack.remove(top);
                nextChild.remove(top);
                topo.add(node);
            }
        }
        return topo;
    }

    /**
     * Sets the gradient of this node and of every node it was computed from to 0: PyTorch's
     * {@code zero_grad()} for one graph. Call it before {@link #backward()} to back-propagate
     * the same graph again from a clean slate.
     */
    public void zeroGrad() {
        for (Value node : topologicalOrder()) {
            node.grad = 0.0;
        }
    }

    /**
     * Back-propagates from this node: sets its gradient to 1 and adds to every node it was
     * computed from the derivative of this node with respect to that node.
     *
     * <p>It is defined as micrograd's {@code backward()}, which in Java reads
     * <pre>{@code
     * void backward() {
     *     List<Value> topo = new ArrayList<>();
     *     Set<Value> visited = new HashSet<>();
     *     buildTopo(this, visited, topo);
     *     this.grad = 1;
     *     for (int i = topo.size() - 1; i >= 0; i--) {       // from this node back to the leaves
     *         Value v = topo.get(i);
     *         for (int c = 0; c < v.childCount(); c++) {
     *             v.child(c).grad += v.localGrad(c) * v.grad;  // the chain rule
     *         }
     *     }
     * }
     *
     * void buildTopo(Value v, Set<Value> visited, List<Value> topo) {
     *     if (visited.add(v)) {
     *         for (int c = 0; c < v.childCount(); c++) {
     *             buildTopo(v.child(c), visited, topo);
     *         }
     *         topo.add(v);                                     // after all of its children
     *     }
     * }
     * }</pre>
     * and it gives the same gradients bit for bit, because it adds the same contributions in
     * the same order (the order of the additions fixes the rounding). That order is
     * {@code microgpt.py}'s, so gradients agree with the Python's exactly. It is faster than the
     * definition: it walks with its own stack (so a chain of a million nodes needs no deep
     * recursion), marks visited nodes with a flag in the node rather than a set, reuses its
     * buffers, leaves the leaves out of the walk (a leaf passes nothing on, so the
     * contributions still arrive in the same order), finishes at once a node whose children
     * have all been walked, and handles a term of the compact node that
     * {@link io.github.microgpt.model.ValueOps#dot} and {@link io.github.microgpt.model.ValueOps#linear}
     * make (one node for a whole sum of products) as the sum and then the product it stands for,
     * which the definition's walk would reach one right after the other. {@code ValueBackwardOrderTest} holds it to
     * the definition.
     *
     * <p><b>Calling it twice.</b> Gradients accumulate: every call adds to what is already in
     * {@code grad}. On two results that share nodes (two documents' losses that share the
     * parameters) that is what you want: the leaves get the sum of both derivatives. On the
     * <em>same</em> result it is almost never what you want, and the result is not simply twice
     * the gradient: the second call sets the result's own gradient to 1 again, but every inner
     * node still holds its gradient from the first call and passes the sum on, so for
     * {@code out = (a * 3) * 2} the second call leaves {@code a.grad()} at {@code 6 + 3 * 4 = 18},
     * not 12. This is micrograd's behaviour, kept for exactness. To back-propagate a graph again
     * from a clean slate, call {@link #zeroGrad()} first; between training steps, the optimizer
     * sets the parameters' gradients to 0.
     */
    public void backward() {
        if (grad != 0.0) {
            expand();  // a pass has been through this compact node: see expand()
        }
        grad = 1.0;
        if (child0 == null) {
            return;
        }
        Walk walk = Walk.forThisThread();
        int count = walk.postOrder(this);
        Value[] order = walk.order;
        int[] firstTerms = walk.firstTerm;
        int[] endTerms = walk.endTerm;
        for (int i = count - 1; i >= 0; i--) {
            Value node = order[i];
            // Clearing as we go lets the graph be collected once the caller drops it.
            order[i] = null;
            node.visited = false;
            double g = node.grad;
            byte op = node.op;
            if (op < PRODUCT_PLUS_ZERO) {
                node.child0.grad += node.localGrad0 * g;
                Value c1 = node.child1;
                if (c1 != null) {
                    c1.grad += node.localGrad1 * g;
                }
            } else if (op == SUM_OF_PRODUCTS) {
                // Terms endTerm-1 down to firstTerm, as the chain's sums and products would pass
                // them on: each sum hands its product (and its left operand) 0 + g, as the node
                // is their only parent; the product passes it on to its operands.
                Terms terms = node.terms;
                Value[] a = terms.a;
                Value[] b = terms.b;
                double[] aData = terms.aData;
                double[] bData = terms.bData;
                double productGrad = 0.0 + g;
                for (int k = endTerms[i] - 1, stop = firstTerms[i]; k >= stop; k--) {
                    a[k].grad += bData[k] * productGrad;
                    b[k].grad += aData[k] * productGrad;
                }
            } else {
                // What the sum and then its product would add: the sum hands the product (a node
                // with no other parent, so its gradient was 0) 1 * g, the product passes it on.
                Value a = node.child0;
                Value b = node.child1;
                if (op == PLUS_PRODUCT) {
                    a.grad += g;  // the sum's left operand; 1.0 * g is g
                    a = b;
                    b = node.child2;
                }
                double productGrad = 0.0 + g;
                a.grad += node.localGrad0 * productGrad;
                b.grad += node.localGrad1 * productGrad;
            }
        }
        walk.release();
    }

    /**
     * The scratch arrays of {@link #backward()}, kept per thread so that a training step does not
     * allocate (and the garbage collector does not copy) two arrays the size of its graph.
     *
     * <p>Only inner nodes (those with children) are ordered. A leaf adds nothing to anyone in the
     * reverse pass, and leaving it out does not change the relative order of the other nodes, so
     * the contributions reach every node in exactly the order of the full post-order walk; it
     * also means the walk never writes to the parameters, which are leaves.
     *
     * <p>A {@link #SUM_OF_PRODUCTS} node stands for a chain of sums, each of which the definition's
     * walk writes after its term's operands. Where the walk has to go into an operand first (one
     * not walked yet), the terms before it are written as one entry and the rest later, so an
     * entry of such a node is a run of terms, {@code [firstTerm, endTerm)}; the last run is the
     * node's own place. A node whose operands were all walked before is one entry.
     */
    private static final class Walk {
        /** Larger buffers are dropped after use rather than kept for the life of the thread. */
        private static final int KEEP_LIMIT = 1 << 20;
        private static final ThreadLocal<Walk> WALKS = ThreadLocal.withInitial(Walk::new);

        Value[] order = new Value[1024];
        /** For an entry of a sum of products: its first term and the term after its last. */
        int[] firstTerm = new int[1024];
        int[] endTerm = new int[1024];
        Value[] stack = new Value[256];
        /** For a sum of products on the stack: the next operand to look at, and its open run's first term. */
        int[] stackOperand = new int[256];
        int[] stackRun = new int[256];
        int deepest;
        /** The side of a sum of products last found walked in this walk; see {@link #walked}. */
        Value[] walkedSide;

        static Walk forThisThread() {
            return WALKS.get();
        }

        /**
         * Writes the inner nodes reachable from {@code root} (an inner node) into {@link #order}
         * in depth-first post-order, children in their stored order.
         *
         * <p>The walk is a chain of dependent loads (a node, its children, their marks), so what
         * makes it faster is fewer trips round the loop: the node being walked is kept in a local
         * rather than on top of the stack, and a child whose own inner children are all walked
         * already (a weight times an input seen before, the commonest node of a forward pass) is
         * written at once instead of being pushed and popped. None of this changes the order: it
         * is that of the recursive definition.
         *
         * @return the number of entries written
         */
        int postOrder(Value root) {
            int count = 0;
            int depth = 0;
            int maxDepth = 0;
            Value node = root;
            // For a sum of products being walked: the next operand to look at, its open run's first term.
            int operand = 0;
            int run = 0;
            walkedSide = null;
            try {
                root.visited = true;
                walk:
                while (true) {
                    if (node.op == SUM_OF_PRODUCTS) {
                        Terms terms = node.terms;
                        int end = 2 * terms.length();
                        // Only the sides with inner nodes: the operands in the order a0, b0, a1,
                        // b1, ..., or every second one of them.
                        int stride = 1;
                        if (!terms.aInner || !terms.bInner) {
                            stride = 2;
                            if (!terms.aInner) {
                                operand |= 1;
                                if (!terms.bInner) {
                                    operand = end;
                                }
                            }
                        }
                        while (operand < end) {
                            Value c = terms.operand(operand);
                            operand += stride;
                            if (c.child0 != null && !c.visited) {
                                int term = (operand - stride) >>> 1;
                                if (term > run) {
                                    count = write(node, run, term, count);
                                    run = term;
                                }
                                if (mark(c)) {
                                    count = write(c, count);
                                } else {
                                    depth = push(node, operand, run, depth);
                                    if (depth > maxDepth) {
                                        maxDepth = depth;
                                    }
                                    node = c;
                                    operand = 0;
                                    run = 0;
                                    continue walk;
                                }
                            }
                        }
                        count = write(node, run, end >>> 1, count);
                    } else {
                        // Children already walked are marked and skipped, also when a node comes
                        // back off the stack to have its next child walked.
                        int inner = node.innerChildren;
                        if ((inner & 1) != 0) {
                            Value c = node.child0;
                            if (!c.visited) {
                                if (mark(c)) {
                                    count = write(c, count);
                                } else {
                                    depth = push(node, 0, 0, depth);
                                    if (depth > maxDepth) {
                                        maxDepth = depth;
                                    }
                                    node = c;
                                    operand = 0;
                                    run = 0;
                                    continue;
                                }
                            }
                        }
                        if ((inner & 2) != 0) {
                            Value c = node.child1;
                            if (!c.visited) {
                                if (mark(c)) {
                                    count = write(c, count);
                                } else {
                                    depth = push(node, 0, 0, depth);
                                    if (depth > maxDepth) {
                                        maxDepth = depth;
                                    }
                                    node = c;
                                    operand = 0;
                                    run = 0;
                                    continue;
                                }
                            }
                        }
                        if ((inner & 4) != 0) {
                            Value c = node.child2;
                            if (!c.visited) {
                                if (mark(c)) {
                                    count = write(c, count);
                                } else {
                                    depth = push(node, 0, 0, depth);
                                    if (depth > maxDepth) {
                                        maxDepth = depth;
                                    }
                                    node = c;
                                    operand = 0;
                                    run = 0;
                                    continue;
                                }
                            }
                        }
                        count = write(node, count);
                    }
                    if (depth == 0) {
                        break;
                    }
                    depth--;
                    node = stack[depth];
                    operand = stackOperand[depth];
                    run = stackRun[depth];
                }
            } catch (Throwable e) {
                // Out of memory while growing a buffer: unmark what was marked (the nodes written,
                // those on the stack, the one being walked and possibly a child just marked), so
                // that the graph can be walked again once memory is available.
                for (int i = 0; i < count; i++) {
                    order[i].visited = false;
                    order[i] = null;
                }
                for (int i = 0; i < depth; i++) {
                    unmarkWithChildren(stack[i]);
                }
                unmarkWithChildren(node);
                deepest = maxDepth;
                release();
                throw e;
            }
            deepest = maxDepth;
            return count;
        }

        private int write(Value node, int count) {
            if (count == order.length) {
                grow();
            }
            order[count] = node;
            if (node.op == SUM_OF_PRODUCTS) {
                firstTerm[count] = 0;
                endTerm[count] = node.terms.length();
            }
            return count + 1;
        }

        private int write(Value node, int first, int end, int count) {
            if (count == order.length) {
                grow();
            }
            order[count] = node;
            firstTerm[count] = first;
            endTerm[count] = end;
            return count + 1;
        }

        private void grow() {
            int size = order.length * 2;
            order = Arrays.copyOf(order, size);
            firstTerm = Arrays.copyOf(firstTerm, size);
            endTerm = Arrays.copyOf(endTerm, size);
        }

        private int push(Value node, int operand, int run, int depth) {
            if (depth == stack.length) {
                int size = depth * 2;
                stack = Arrays.copyOf(stack, size);
                stackOperand = Arrays.copyOf(stackOperand, size);
                stackRun = Arrays.copyOf(stackRun, size);
            }
            stack[depth] = node;
            stackOperand[depth] = operand;
            stackRun[depth] = run;
            return depth + 1;
        }

        /**
         * Marks a child the walk reaches for the first time, and tells whether all of its inner
         * children are marked already, so that it can be written at once. A compact node that a
         * pass has been through is expanded first (see {@code expand()}); its gradient is then
         * not 0, while one no pass has reached still has 0 (or a gradient added by the pass that
         * also went through it, which an expansion would keep).
         */
        private boolean mark(Value v) {
            v.visited = true;
            if (v.grad != 0.0) {
                v.expand();
            }
            if (v.op == SUM_OF_PRODUCTS) {
                Terms terms = v.terms;
                return (!terms.aInner || walked(terms.a)) && (!terms.bInner || walked(terms.b));
            }
            int inner = v.innerChildren;
            return ((inner & 1) == 0 || v.child0.visited) && ((inner & 2) == 0 || v.child1.visited)
                    && ((inner & 4) == 0 || v.child2.visited);
        }

        /**
         * Whether every inner node among the operands has been reached. The outputs of a linear
         * layer share their input ({@link #sumsOfProducts}), so the last side found walked is
         * remembered: the other outputs are then written without looking at it again. (A node
         * reached stays marked until the walk is over, so the answer holds for the whole walk.)
         */
        private boolean walked(Value[] operands) {
            if (operands == walkedSide) {
                return true;
            }
            for (Value operand : operands) {
                if (operand.child0 != null && !operand.visited) {
                    return false;
                }
            }
            walkedSide = operands;
            return true;
        }

        private static void unmark(Value[] operands) {
            for (Value operand : operands) {
                if (operand.child0 != null) {
                    operand.visited = false;
                }
            }
        }

        private static void unmarkWithChildren(Value v) {
            v.visited = false;
            if (v.op == SUM_OF_PRODUCTS) {
                unmark(v.terms.a);
                unmark(v.terms.b);
                return;
            }
            if ((v.innerChildren & 1) != 0) {
                v.child0.visited = false;
            }
            if ((v.innerChildren & 2) != 0) {
                v.child1.visited = false;
            }
            if ((v.innerChildren & 4) != 0) {
                v.child2.visited = false;
            }
        }

        /** Forgets the nodes of the last walk (so they can be collected) and oversized buffers. */
        void release() {
            Arrays.fill(stack, 0, deepest, null);
            walkedSide = null;
            if (order.length > KEEP_LIMIT || stack.length > KEEP_LIMIT) {
                WALKS.remove();
            }
        }
    }

    /**
     * Shows the data and the gradient, as micrograd does.
     *
     * @return for example {@code Value(data=2.0, grad=1.0)}
     */
    @Override
    public String toString() {
        return "Value(data=" + data + ", grad=" + grad + ")";
    }
}
