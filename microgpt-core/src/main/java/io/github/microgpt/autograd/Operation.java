package io.github.microgpt.autograd;

/**
 * The operation that made a {@link Value}: micrograd's {@code _op}, kept so that a graph can be
 * printed and drawn ({@link ExpressionGraph}).
 *
 * <p>Only the primitive operations appear. The derived ones are built from them and leave their
 * primitives in the graph: {@code a - b} shows as {@code a + (b * -1)}, {@code a / b} as
 * {@code a * b^-1}, exactly as {@code microgpt.py} computes them.
 */
public enum Operation {

    /** Not computed: a parameter, an input or a constant. */
    LEAF(""),
    /** {@code a + b}; both local gradients are 1. */
    ADD("+"),
    /** {@code a * b}; the local gradients are {@code b} and {@code a}. */
    MUL("*"),
    /** {@code a^k} for a constant {@code k}; the local gradient is {@code k * a^(k-1)}. */
    POW("pow"),
    /** {@code log(a)}; the local gradient is {@code 1 / a}. */
    LOG("log"),
    /** {@code e^a}; the local gradient is {@code e^a}. */
    EXP("exp"),
    /** {@code max(0, a)}; the local gradient is 1 for a positive input, else 0. */
    RELU("relu"),
    /** {@code tanh(a)}; the local gradient is {@code 1 - tanh(a)^2}. */
    TANH("tanh");

    /** The values, looked up by the small code a {@code Value} stores instead of a reference. */
    private static final Operation[] BY_CODE = values();

    private final String symbol;

    Operation(String symbol) {
        this.symbol = symbol;
    }

    /**
     * How the operation is written on a drawn graph, as micrograd writes its {@code _op}.
     *
     * @return {@code "+"}, {@code "*"}, {@code "pow"}, {@code "log"}, {@code "exp"},
     *     {@code "relu"}, {@code "tanh"}, or {@code ""} for a leaf
     */
    public String symbol() {
        return symbol;
    }

    /**
     * The number of operands.
     *
     * @return 0 for a leaf, 2 for {@code ADD} and {@code MUL}, 1 for the others
     */
    public int arity() {
        return switch (this) {
            case LEAF -> 0;
            case ADD, MUL -> 2;
            default -> 1;
        };
    }

    static Operation ofCode(byte code) {
        return BY_CODE[code];
    }

    byte code() {
        return (byte) ordinal();
    }
}
