package io.github.microgpt.model;

import io.github.microgpt.internal.ModelChecks;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The single description of how a model's parameters are laid out: which matrices there are,
 * their names and shapes, their order, and so where each sits in the flat parameter list and how
 * many parameters there are. Both engines build their parameters from it, and checkpoints, the
 * FLOP count and the command line read their sizes from it.
 *
 * <p>{@link #gpt(GptConfig, int)} is the layout of {@code microgpt.py}'s {@code state_dict}:
 * <pre>
 *   wte                 vocabSize x nEmbd       token embeddings
 *   wpe                 blockSize x nEmbd       position embeddings
 *   lm_head             vocabSize x nEmbd       the output projection
 *   for each layer i:
 *   layer{i}.attn_wq    nEmbd x nEmbd           query
 *   layer{i}.attn_wk    nEmbd x nEmbd           key
 *   layer{i}.attn_wv    nEmbd x nEmbd           value
 *   layer{i}.attn_wo    nEmbd x nEmbd           attention output
 *   layer{i}.mlp_fc1    4 nEmbd x nEmbd         MLP up-projection
 *   layer{i}.mlp_fc2    nEmbd x 4 nEmbd         MLP down-projection
 * </pre>
 * so a GPT has {@code 2 V d + blockSize d + 12 L d^2} parameters ({@link Architecture#numParameters}). Other models
 * describe their own matrices with {@link #builder()}.
 *
 * <pre>{@code
 * ParameterLayout layout = ParameterLayout.gpt(GptConfig.defaults(), 27);
 * layout.size();                                                     // 4192
 * layout.matrixLayout(ParameterLayout.inLayer(0, ParameterLayout.ATTN_WQ)); // layer0.attn_wq, 16 x 16
 * }</pre>
 *
 * <p>Immutable.
 */
public final class ParameterLayout {

    /**
     * The most parameters a layout may have: the longest array a JVM reliably allocates, since an
     * engine may keep all of them (or all their gradients) in one array.
     */
    public static final int MAX_SIZE = Integer.MAX_VALUE - 8;

    /** The token embedding table, {@code vocabSize x nEmbd}. */
    public static final String WTE = "wte";
    /** The position embedding table, {@code blockSize x nEmbd}. */
    public static final String WPE = "wpe";
    /** The projection from the last hidden state to one logit per token, {@code vocabSize x nEmbd}. */
    public static final String LM_HEAD = "lm_head";
    /** A layer's query projection, {@code nEmbd x nEmbd}; named {@link #inLayer} {@code (i, ATTN_WQ)}. */
    public static final String ATTN_WQ = "attn_wq";
    /** A layer's key projection, {@code nEmbd x nEmbd}. */
    public static final String ATTN_WK = "attn_wk";
    /** A layer's value projection, {@code nEmbd x nEmbd}. */
    public static final String ATTN_WV = "attn_wv";
    /** A layer's attention output projection, {@code nEmbd x nEmbd}. */
    public static final String ATTN_WO = "attn_wo";
    /** A layer's MLP up-projection, {@code 4 nEmbd x nEmbd}. */
    public static final String MLP_FC1 = "mlp_fc1";
    /** A layer's MLP down-projection, {@code nEmbd x 4 nEmbd}. */
    public static final String MLP_FC2 = "mlp_fc2";

    private final List<MatrixLayout> matrices;
    private final Map<String, Integer> indexByName;
    private final int size;

    private ParameterLayout(List<MatrixLayout> matrices, int size) {
        this.matrices = List.copyOf(matrices);
        this.indexByName = new HashMap<>();
        for (int k = 0; k < this.matrices.size(); k++) {
            indexByName.put(this.matrices.get(k).name(), k);
        }
        this.size = size;
    }

    /**
     * The layout of a GPT of {@code microgpt.py} (see the table above).
     *
     * @param config the shape
     * @param vocabSize the number of tokens; at least 2
     * @return the layout
     * @throws IllegalArgumentException if {@code vocabSize < 2}, or the model would have more than
     *     {@link #MAX_SIZE} parameters
     */
    public static ParameterLayout gpt(GptConfig config, int vocabSize) {
        Objects.requireNonNull(config, "config");
        ModelChecks.vocabSize(vocabSize);
        long size = gptSize(config, vocabSize);
        if (size > MAX_SIZE) {
            throw new IllegalArgumentException("the model would have " + size + " parameters, more than an array"
                    + " holds (at most " + MAX_SIZE + ")");
        }
        int d = config.nEmbd();
        Builder layout = builder()
                .add(WTE, vocabSize, d)
                .add(WPE, config.blockSize(), d)
                .add(LM_HEAD, vocabSize, d);
        for (int i = 0; i < config.nLayer(); i++) {
            layout.add(inLayer(i, ATTN_WQ), d, d)
                    .add(inLayer(i, ATTN_WK), d, d)
                    .add(inLayer(i, ATTN_WV), d, d)
                    .add(inLayer(i, ATTN_WO), d, d)
                    .add(inLayer(i, MLP_FC1), 4 * d, d)
                    .add(inLayer(i, MLP_FC2), d, 4 * d);
        }
        return layout.build();
    }

    /**
     * The number of parameters of a GPT, {@code 2 V d + blockSize d + 12 L d^2}, computed without
     * building the layout, so that it can be checked before anything is allocated. It saturates
     * at {@code Long.MAX_VALUE} instead of overflowing, so any size compares correctly. The
     * public way to ask is {@link Architecture#numParameters}, which checks the arguments.
     *
     * @param config the shape
     * @param vocabSize the number of tokens; not negative
     * @return the count, or {@code Long.MAX_VALUE} if it does not fit in a {@code long}
     */
    static long gptSize(GptConfig config, int vocabSize) {
        try {
            long d = config.nEmbd();
            long embeddings = Math.addExact(Math.multiplyExact(2L * vocabSize, d),
                    Math.multiplyExact((long) config.blockSize(), d));
            long perLayer = Math.multiplyExact(12L, Math.multiplyExact(d, d));
            return Math.addExact(embeddings, Math.multiplyExact(perLayer, (long) config.nLayer()));
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    /**
     * The name of a matrix of a transformer layer, as in {@code microgpt.py}'s
     * {@code state_dict}: {@code inLayer(0, ATTN_WQ)} is {@code "layer0.attn_wq"}.
     *
     * @param layer the layer, from 0
     * @param matrix {@link #ATTN_WQ}, {@link #ATTN_WK}, {@link #ATTN_WV}, {@link #ATTN_WO},
     *     {@link #MLP_FC1} or {@link #MLP_FC2}
     * @return {@code "layer" + layer + "." + matrix}
     * @throws IllegalArgumentException if {@code layer} is negative
     * @throws NullPointerException if {@code matrix} is null
     */
    public static String inLayer(int layer, String matrix) {
        if (layer < 0) {
            throw new IllegalArgumentException("layer must be at least 0 (layers count from 0), got " + layer);
        }
        Objects.requireNonNull(matrix, "matrix");
        return "layer" + layer + "." + matrix;
    }

    /**
     * Starts a layout of other matrices, for a model of another shape.
     *
     * @return an empty builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Where each matrix sits, in order: its name, shape and offset in the flat list.
     *
     * @return an unmodifiable list
     */
    public List<MatrixLayout> matrixLayouts() {
        return matrices;
    }

    /**
     * The number of parameters.
     *
     * @return the sum of the matrices' sizes
     */
    public int size() {
        return size;
    }

    /**
     * Where the matrix with a given name sits: its shape and offset.
     *
     * @param name for example {@code "wte"} or {@code "layer0.mlp_fc1"}
     * @return the matrix's layout
     * @throws IllegalArgumentException naming the matrices there are, if there is none of that name
     */
    public MatrixLayout matrixLayout(String name) {
        return matrices.get(indexOf(name));
    }

    /**
     * The place of a matrix in the order.
     *
     * @param name the matrix's name
     * @return its index in {@link #matrixLayouts()}
     * @throws IllegalArgumentException naming the matrices there are, if there is none of that name
     */
    public int indexOf(String name) {
        Objects.requireNonNull(name, "name");
        Integer index = indexByName.get(name);
        if (index == null) {
            List<String> names = new ArrayList<>();
            matrices.forEach(m -> names.add(m.name()));
            throw new IllegalArgumentException("no parameter matrix is named \"" + name + "\"; the names are " + names);
        }
        return index;
    }

    /**
     * Whether a model's parameters are laid out this way: the same matrices, shapes and order.
     *
     * @param parameters a model's parameters
     * @return true if {@code parameters.matrixLayouts()} equals {@link #matrixLayouts()}
     */
    public boolean describes(Parameters parameters) {
        Objects.requireNonNull(parameters, "parameters");
        return matrices.equals(parameters.matrixLayouts());
    }

    /**
     * Two layouts are equal when they have the same matrices in the same order.
     *
     * @param other another object
     * @return whether it is an equal layout
     */
    @Override
    public boolean equals(Object other) {
        return other instanceof ParameterLayout layout && matrices.equals(layout.matrices);
    }

    @Override
    public int hashCode() {
        return matrices.hashCode();
    }

    /**
     * The matrices, for messages.
     *
     * @return for example {@code "[wte 27x16, wpe 16x16, ...]"}
     */
    @Override
    public String toString() {
        StringBuilder text = new StringBuilder("[");
        for (MatrixLayout m : matrices) {
            text.append(text.length() > 1 ? ", " : "").append(m.name()).append(' ').append(m.rows()).append('x')
                    .append(m.cols());
        }
        return text.append(']').toString();
    }

    /** Collects matrices in order, giving each the offset that follows the previous one. */
    public static final class Builder {

        private final List<MatrixLayout> matrices = new ArrayList<>();
        private final Map<String, Boolean> names = new HashMap<>();
        private long size;

        private Builder() {
        }

        /**
         * Adds the next matrix.
         *
         * @param name its name; not empty, and not already used
         * @param rows its rows; at least 1
         * @param cols its columns; at least 1
         * @return this builder
         * @throws NullPointerException if {@code name} is null, as {@link MatrixLayout} says it
         * @throws IllegalArgumentException if the name is empty or taken, a dimension is below 1,
         *     or the layout would exceed {@link #MAX_SIZE} parameters
         */
        public Builder add(String name, int rows, int cols) {
            Objects.requireNonNull(name, "name");
            if (name.isEmpty()) {
                throw new IllegalArgumentException("a parameter matrix needs a name");
            }
            if (names.put(name, Boolean.TRUE) != null) {
                throw new IllegalArgumentException("two parameter matrices are named \"" + name + "\"");
            }
            if (rows < 1 || cols < 1) {
                throw new IllegalArgumentException("parameter matrix " + name + " must be at least 1 x 1, got "
                        + rows + " x " + cols);
            }
            long next = size + (long) rows * cols;
            if (next > MAX_SIZE) {
                throw new IllegalArgumentException("the model would have more than " + MAX_SIZE
                        + " parameters, more than an array holds");
            }
            matrices.add(new MatrixLayout(name, rows, cols, (int) size));
            size = next;
            return this;
        }

        /**
         * The layout of the matrices added so far.
         *
         * @return the layout
         * @throws IllegalStateException if no matrix was added
         */
        public ParameterLayout build() {
            if (matrices.isEmpty()) {
                throw new IllegalStateException("a layout needs at least one matrix");
            }
            return new ParameterLayout(matrices, (int) size);
        }
    }
}
