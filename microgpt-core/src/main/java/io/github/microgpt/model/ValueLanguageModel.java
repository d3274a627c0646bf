package io.github.microgpt.model;

import io.github.microgpt.autograd.Value;
import io.github.microgpt.internal.HeapBudget;
import io.github.microgpt.internal.Listeners;
import io.github.microgpt.internal.ModelChecks;
import io.github.microgpt.internal.ValueGraphs;
import io.github.microgpt.internal.ValueParameterNodes;
import io.github.microgpt.internal.ValueSums;
import io.github.microgpt.random.RandomSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongUnaryOperator;

/**
 * Turns a forward pass over {@link Value}s into a {@link LanguageModel} that the library's
 * {@link io.github.microgpt.train.Trainer} trains and {@link io.github.microgpt.sample.Sampler}
 * samples: write {@link #forward(int, int, KvCache)}, one token in, the next token's logits out,
 * and this class adds the loss, the gradients, the parameters and generation.
 *
 * <p>This is how every model over {@code Value}s is written, the models of the progression
 * ({@link BigramModel}, {@link MlpModel}, {@link AttentionModel}) and {@link GptModel} itself, and
 * how a learner edits {@code gpt()} as one edits
 * {@code microgpt.py}: copy {@link GptModel#forward(int, int, KvCache)} into a subclass, change a
 * line, and train it on {@link GptModel}'s own weights.
 *
 * <pre>{@code
 * class NoResidualGpt extends ValueLanguageModel {
 *     private final Value[][] wte;
 *     private final Value[][] wpe;
 *     private final Value[][] lmHead;
 *
 *     NoResidualGpt(GptModel weights) {
 *         super(weights.config(), weights.vocabSize(), weights.stateDict());
 *         wte = matrix("wte");
 *         wpe = matrix("wpe");
 *         lmHead = matrix("lm_head");
 *     }
 *
 *     public Value[] forward(int tokenId, int posId, KvCache cache) {
 *         Value[] x = ValueOps.add(wte[tokenId], wpe[posId]);
 *         ...                                  // GptModel.forward, with a line changed
 *         return ValueOps.linear(x, lmHead);
 *     }
 * }
 *
 * var model = new NoResidualGpt(GptModel.create(config, tokenizer.vocabSize(), random));
 * new Trainer(model, tokenizer, docs, new AdamOptimizer(model.numParameters()), 1000).run(StepMode.DOCUMENT);
 * }</pre>
 *
 * <p>The loss ({@link #loss}) is built here once for all these models, node for node as
 * {@code microgpt.py} builds it, so a subclass whose forward pass is a copy of
 * {@code GptModel}'s trains bit for bit like {@code GptModel}.
 *
 * <p>A step whose graph would not fit in half of the Java heap is refused before any of it is
 * built ({@link #loss}); the count covers the loss and, for the library's models, their forward
 * passes (a forward pass of your own is not counted, so such a model may still run out of memory
 * on a very long document). A {@link #newSequence() sequence} of a library model with attention
 * likewise refuses a token that would make it keep more than half of the heap.
 *
 * <p>Not thread-safe: a model's parameters are shared by every graph built from it. The
 * library's own subclasses may be read (sampled, evaluated) by many threads at once, since their
 * forward passes keep what a position computes in the cache and in new nodes; a subclass of your
 * own is read by one thread at a time, and the library's samplers and evaluations refuse a second
 * reader on another thread (see {@link LanguageModel}).
 */
public abstract class ValueLanguageModel implements LanguageModel {

    /** The log of a probability that may be 0, which only {@code Value} can make; see {@link #loss}. */
    private static final ValueSums LOSS_NODES = ValueSums.get();

    private final GptConfig config;
    private final int vocabSize;
    private final Map<String, Value[][]> stateDict;
    private final Value[] params;
    private final Parameters parameterView;
    /** Told the attention weights a subclass reports with {@link #reportAttention}. */
    private final Listeners<AttentionListener> attentionListeners = new Listeners<>();

    /**
     * Creates a model over given weights.
     *
     * @param config the shape: {@code blockSize} bounds the positions, the rest is the
     *     subclass's to use
     * @param vocabSize the number of tokens; at least 2
     * @param stateDict the weight matrices by name, in the order the parameters are to be
     *     numbered (use a {@link LinkedHashMap}, or {@link GptModel#stateDict()}); every matrix
     *     has at least one row and all rows of a matrix are equally long. The map is copied, the
     *     {@code Value}s are not: they become this model's parameters
     * @throws IllegalArgumentException if {@code vocabSize < 2}, there is no matrix, or a matrix
     *     is empty or ragged
     * @throws NullPointerException if {@code config} or {@code stateDict} is null, naming it
     */
    protected ValueLanguageModel(GptConfig config, int vocabSize, Map<String, Value[][]> stateDict) {
        // Refused here, not at the first forward pass or cache (a null config was kept silently).
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(stateDict, "stateDict");
        ModelChecks.vocabSize(vocabSize);
        if (stateDict.isEmpty()) {
            throw new IllegalArgumentException("a model needs at least one weight matrix");
        }
        this.config = config;
        this.vocabSize = vocabSize;
        this.stateDict = new LinkedHashMap<>();
        List<MatrixLayout> matrices = new ArrayList<>();
        List<Value> flat = new ArrayList<>();
        for (var entry : stateDict.entrySet()) {
            Value[][] matrix = entry.getValue();
            if (matrix.length == 0 || matrix[0].length == 0) {
                throw new IllegalArgumentException("the matrix " + entry.getKey() + " is empty");
            }
            Value[][] rows = new Value[matrix.length][];
            for (int r = 0; r < matrix.length; r++) {
                if (matrix[r].length != matrix[0].length) {
                    throw new IllegalArgumentException("row " + r + " of the matrix " + entry.getKey() + " has "
                            + matrix[r].length + " entries but row 0 has " + matrix[0].length);
                }
                rows[r] = matrix[r].clone();
                Collections.addAll(flat, rows[r]);
            }
            matrices.add(new MatrixLayout(entry.getKey(), rows.length, rows[0].length,
                    flat.size() - rows.length * rows[0].length));
            this.stateDict.put(entry.getKey(), rows);
        }
        this.params = flat.toArray(Value[]::new);
        this.parameterView = new ValueParameters(params, List.copyOf(matrices));
    }

    /**
     * Random initial weights for every matrix of a layout, drawn as {@code microgpt.py} draws
     * them: matrix by matrix in the layout's order, row by row, each entry
     * {@code random.gauss(0, std)} (the Python's {@code matrix(nout, nin)}). A model's
     * {@code create} method passes the result to its constructor, so that its matrices are the
     * ones its layout names, in that order.
     *
     * @param layout the names and shapes of the matrices, for example
     *     {@code ParameterLayout.builder().add("wte", vocabSize, nEmbd).build()}
     * @param std the standard deviation
     * @param random the source of the weights
     * @return a new state dict of leaves, in the layout's order
     */
    protected static Map<String, Value[][]> gaussianWeights(ParameterLayout layout, double std, RandomSource random) {
        Map<String, Value[][]> stateDict = new LinkedHashMap<>();
        for (MatrixLayout matrix : layout.matrixLayouts()) {
            Value[][] m = new Value[matrix.rows()][matrix.cols()];
            for (Value[] row : m) {
                for (int c = 0; c < row.length; c++) {
                    row[c] = new Value(random.gauss(0, std));
                }
            }
            stateDict.put(matrix.name(), m);
        }
        return stateDict;
    }

    // ------------------------------------------------------------------- what a subclass writes

    /**
     * Reads one token at one position and returns the logits of the next token: the model's
     * {@code gpt(token_id, pos_id, keys, values)}. Called for positions 0, 1, 2, ... of one
     * sequence in turn, with the same cache. When this class calls it (from {@link #loss} or a
     * {@link #newSequence() sequence}) it has checked the token and the position first; a
     * {@code forward} that may be called directly checks them itself, as the library's models do.
     *
     * @param tokenId the token read, in {@code [0, vocabSize())}
     * @param posId its position, in {@code [0, blockSize)}
     * @param cache what earlier positions of the same sequence left (from {@link #newCache()})
     * @return {@code vocabSize()} logits, as nodes of a graph that leads back to the parameters
     * @throws IllegalArgumentException in the library's models, if the token is outside the
     *     vocabulary, or (for the models that use them) the position is outside the block or is
     *     not the one that follows the cache's last
     * @throws NullPointerException in the library's models that keep a cache, if {@code cache}
     *     is null
     */
    public abstract Value[] forward(int tokenId, int posId, KvCache cache);

    /**
     * A new, empty cache for one sequence: by default one layer of keys and values per
     * {@code config().nLayer()}.
     *
     * @return the cache a sequence starts with
     */
    public KvCache newCache() {
        return new KvCache(config.nLayer());
    }

    /**
     * The checks of a forward pass that may be called directly, shared by the library's models:
     * a null cache, a token or position out of range, a cache of another number of layers, or a
     * position that does not follow the cache (one skipped or read twice) is refused, naming
     * what is wrong, before anything is appended to the cache.
     */
    final void checkForward(int tokenId, int posId, KvCache cache, int layers) {
        Objects.requireNonNull(cache, "cache");
        ModelChecks.token(tokenId, vocabSize, "the token");
        ModelChecks.position(posId, config.blockSize());
        if (cache.layers() != layers) {
            throw new IllegalArgumentException("the cache has " + cache.layers() + " layers but the model uses "
                    + layers);
        }
        if (posId != cache.length()) {
            throw new IllegalArgumentException("position " + posId + " does not follow the cache, which holds "
                    + cache.length() + " positions (the next position is " + cache.length() + ")");
        }
    }

    // ------------------------------------------------------------------- what this class adds

    /**
     * Adds a listener for the attention weights the forward pass reports with
     * {@link #reportAttention}; a subclass with attention says so by overriding
     * {@link #hasAttention()} to return true.
     *
     * @param listener the listener
     * @throws UnsupportedOperationException if {@link #hasAttention()} is false
     * @throws NullPointerException if the listener is null
     */
    @Override
    public void addAttentionListener(AttentionListener listener) {
        if (!hasAttention()) {
            LanguageModel.super.addAttentionListener(listener);
        }
        attentionListeners.add(listener);
    }

    @Override
    public void removeAttentionListener(AttentionListener listener) {
        attentionListeners.remove(listener);
    }

    /**
     * Tells the attention listeners the weights one head gave the positions {@code 0 .. posId}:
     * a forward pass with attention calls it right after its softmax. It only reads the weights,
     * and does nothing (not even copy them) while no one listens.
     *
     * @param layer the layer, from 0
     * @param head the head, from 0
     * @param posId the position attending
     * @param attnWeights the weights, {@code posId + 1} of them
     */
    protected final void reportAttention(int layer, int head, int posId, Value[] attnWeights) {
        if (attentionListeners.isEmpty()) {
            return;
        }
        double[] weights = new double[attnWeights.length];
        for (int t = 0; t < weights.length; t++) {
            weights[t] = attnWeights[t].data();
        }
        AttentionEvent event = new AttentionEvent(layer, head, posId, weights);
        // A listener may change a weight: the rest of the pass checks the copies of the rows again.
        LOSS_NODES.endOwnedRows(true);
        attentionListeners.forEach(listener -> listener.onAttention(event));
    }

    /**
     * Builds the graph of the training loss of a stretch of a document, without back-propagating:
     * the mean over the positions {@code p} in {@code [first, end)} of
     * {@code -log softmax(forward(tokens[p], p))[tokens[p + 1]]}, computed as
     * {@code (1 / n) * sum(losses)} like the Python. Call {@link Value#backward()} on the result
     * to get the gradients, or draw the graph with
     * {@link io.github.microgpt.autograd.ExpressionGraph}.
     *
     * <p>Where the probability of a target is 0 (the softmax of a diverging model underflows),
     * the loss is infinite, as the array engine's is, and not the {@link ArithmeticException}
     * of {@link Value#log()}: the trainer then stops with its
     * {@link io.github.microgpt.train.TrainingDivergedException}, which names the step.
     *
     * @param tokens a tokenized document
     * @param first the first position whose prediction counts
     * @param end one past the last such position
     * @return the loss node
     * @throws IllegalArgumentException if the positions or tokens are out of range, or if the
     *     graph of {@code end} positions would take more than half of the Java heap (counted from
     *     the model's shape before anything is built, at least; a GPT's grows with the square of
     *     the positions), saying the most positions that could fit
     */
    public Value loss(int[] tokens, int first, int end) {
        return loss(tokens, first, end, null);
    }

    private Value loss(int[] tokens, int first, int end, Predictions predictions) {
        ModelChecks.stretch(tokens, first, end, config.blockSize(), vocabSize);
        checkGraph(end, Runtime.getRuntime().maxMemory());
        if (predictions != null) {
            predictions.clear();
        }
        KvCache cache = newCache();
        Value[] losses = new Value[end - first];
        double[] distribution = predictions == null ? null : new double[vocabSize];
        // A library model's forward pass reads its own copies of the matrices and runs no one
        // else's code until it calls an attention listener (which ends this, see reportAttention):
        // till then no weight changes, so the positions after the first need not check the copies
        // of the rows the sums of products keep (a look at every weight at every position). A
        // subclass written elsewhere is checked as ever.
        boolean owned = Architecture.ofLibraryClass(this) != null && LOSS_NODES.beginOwnedRows();
        try {
            for (int posId = 0; posId < end; posId++) {
                Value[] logits = forward(tokens[posId], posId, cache);
                if (posId < first) {
                    continue;
                }
                Value[] probs = ValueOps.softmax(logits);
                // -log(p), as p.log().neg() builds it; a p that underflowed to 0 gives an infinite
                // loss (as the array engine's), where Value.log refuses 0 as Python does.
                Value lossT = LOSS_NODES.logOfProbability(probs[tokens[posId + 1]]).neg();
                losses[posId - first] = lossT;
                if (predictions != null) {
                    for (int i = 0; i < distribution.length; i++) {
                        distribution[i] = probs[i].data();
                    }
                    predictions.add(posId, distribution, lossT.data());
                }
            }
        } finally {
            LOSS_NODES.endOwnedRows(owned);
        }
        return Value.sum(losses).mul(1.0 / losses.length);
    }

    // ------------------------------------------------------------------- memory of the graph

    /**
     * The least memory the forward passes over {@code positions} positions of one sequence
     * allocate: for a model of the library's classes, its architecture's count
     * ({@link ValueGraphs#forward}, which the command line takes before it builds a model); a
     * subclass written elsewhere is not counted (0), and only its loss is.
     */
    final double forwardGraphBytes(long positions) {
        Architecture architecture = Architecture.ofLibraryClass(this);
        return architecture == null ? 0 : ValueGraphs.forward(architecture, config, vocabSize, positions);
    }

    /**
     * The least memory a {@link #newSequence() sequence} keeps once it has read
     * {@code positions} tokens (what its cache holds and the graph behind it), for a model of the
     * library's classes ({@link ValueGraphs#sequence}); 0 for a subclass written elsewhere.
     */
    final double sequenceBytes(long positions) {
        Architecture architecture = Architecture.ofLibraryClass(this);
        return architecture == null ? 0 : ValueGraphs.sequence(architecture, config, positions);
    }

    /** What a reader calls this model in a message: its class's simple name with an article. */
    private String modelName() {
        String name = getClass().getSimpleName();
        if (name.isEmpty()) {
            return "a model of the class " + getClass().getName();
        }
        return ("AEIOU".indexOf(name.charAt(0)) >= 0 ? "an " : "a ") + name;
    }

    /**
     * Refuses, before any of it is built, a step whose graph over {@code positions} positions
     * could not fit in half of the heap ({@link HeapBudget}'s rule): building it ran out of memory
     * after seconds or minutes (at the default shape under {@code -Xmx256m}, from 500 positions).
     * Says the most positions that would fit.
     */
    final void checkGraph(long positions, long heapLimit) {
        LongUnaryOperator bytesOf = p -> ValueGraphs.bytes(ValueGraphs.loss(p, vocabSize) + forwardGraphBytes(p));
        long bytes = bytesOf.applyAsLong(positions);
        if (HeapBudget.fits(bytes, heapLimit)) {
            return;
        }
        long most = ValueGraphs.mostPositions(bytesOf, positions - 1, heapLimit / 2);
        throw new IllegalArgumentException(HeapBudget.refusal("the graph of Values of one step over " + positions
                + " positions of " + modelName() + " (blockSize " + config.blockSize() + ")", bytes, heapLimit)
                + "; " + (most == 0 ? "not even one position fits"
                        : "at most " + most + " positions could fit (a Trainer reads at most blockSize positions of a"
                                + " document: give the model a smaller blockSize, or train on shorter documents)")
                + ", or give Java more memory (for example -Xmx8g)");
    }

    /**
     * Refuses to read the token at position {@code positions - 1} of a sequence that would then
     * keep more than half of the heap: a sequence keeps the graph of every position it has read,
     * and one that runs on towards a large block size ran out of memory.
     */
    final void checkSequence(long positions, long heapLimit) {
        LongUnaryOperator bytesOf = p -> ValueGraphs.bytes(sequenceBytes(p));
        long bytes = bytesOf.applyAsLong(positions);
        if (HeapBudget.fits(bytes, heapLimit)) {
            return;
        }
        long most = ValueGraphs.mostPositions(bytesOf, positions - 1, heapLimit / 2);
        throw new IllegalStateException(HeapBudget.refusal("a sequence of " + modelName() + " that has read "
                + positions + " tokens, whose cache keeps the graph of Values of every position,", bytes, heapLimit)
                + "; at most " + most + " positions could fit: sample shorter sequences (SamplingOptions.withMaxLength)"
                + ", or give Java more memory (for example -Xmx8g)");
    }

    @Override
    public double lossAndGradients(int[] tokens, int first, int end, Predictions predictions) {
        Value loss = loss(tokens, first, end, predictions);
        loss.backward();
        return loss.data();
    }

    @Override
    public Sequence newSequence() {
        KvCache cache = newCache();
        return new Sequence() {
            // Counted here rather than read from the cache: a model may keep nothing per position.
            private int length;

            @Override
            public int length() {
                return length;
            }

            @Override
            public double[] next(int tokenId) {
                ModelChecks.token(tokenId, vocabSize, "the token");
                ModelChecks.position(length, config.blockSize());
                checkSequence(length + 1L, Runtime.getRuntime().maxMemory());
                Value[] logits = forward(tokenId, length, cache);
                length++;
                double[] out = new double[logits.length];
                for (int i = 0; i < out.length; i++) {
                    out[i] = logits[i].data();
                }
                return out;
            }
        };
    }

    @Override
    public GptConfig config() {
        return config;
    }

    @Override
    public int vocabSize() {
        return vocabSize;
    }

    @Override
    public Parameters parameters() {
        return parameterView;
    }

    /**
     * The parameters as {@link Value}s, in the flat order of {@link #parameters()}.
     *
     * @return an unmodifiable list of the model's own nodes (their data and gradients are live)
     */
    public List<Value> parameterValues() {
        return List.of(params);
    }

    /**
     * One weight matrix: an entry of the state dict. A forward pass reads its weights with it;
     * look the matrices up once, in the constructor, if the pass is to be fast.
     *
     * @param name the matrix's name, for example {@code "wte"}
     * @return the rows (a copy of the arrays; the nodes are the model's own)
     * @throws IllegalArgumentException if there is no matrix of that name
     */
    public Value[][] matrix(String name) {
        Objects.requireNonNull(name, "name");
        Value[][] m = stateDict.get(name);
        if (m == null) {
            throw new IllegalArgumentException("no parameter matrix is named \"" + name + "\"; the names are "
                    + stateDict.keySet());
        }
        Value[][] copy = new Value[m.length][];
        for (int r = 0; r < m.length; r++) {
            copy[r] = m[r].clone();
        }
        return copy;
    }

    /**
     * All weight matrices by name, in the order of the parameters: the Python's
     * {@code state_dict}. Hand it to another {@link ValueLanguageModel} to give a forward pass of
     * your own the weights this model drew (the two then share the nodes, so train only one).
     *
     * @return an unmodifiable map of copies of the arrays; the nodes are the model's own
     */
    public Map<String, Value[][]> stateDict() {
        Map<String, Value[][]> copy = new LinkedHashMap<>();
        for (String name : stateDict.keySet()) {
            copy.put(name, matrix(name));
        }
        return Collections.unmodifiableMap(copy);
    }

    /**
     * Says what the model is at a glance, as a {@code jshell} prints it: the class, the
     * configuration, the vocabulary size and the number of parameters (the weights themselves are
     * in {@link #stateDict()}).
     *
     * @return for example {@code GptModel[GptConfig[nLayer=1, nEmbd=16, ...], vocabSize=27, 4192 parameters]}
     */
    @Override
    public String toString() {
        String name = getClass().getSimpleName().isEmpty() ? getClass().getName() : getClass().getSimpleName();
        return name + "[" + config + ", vocabSize=" + vocabSize + ", " + params.length + " parameters]";
    }

    /**
     * The parameters: a view of the model's leaf {@link Value}s, which the optimizer may read
     * whole ({@link ValueParameterNodes}).
     */
    private record ValueParameters(Value[] params, List<MatrixLayout> matrixLayouts)
            implements Parameters, ValueParameterNodes {
        @Override
        public int size() {
            return params.length;
        }

        /** The size and the matrices, not the array's identity a record would print. */
        @Override
        public String toString() {
            return "Parameters[size=" + params.length + ", matrices=" + matrixLayouts + "]";
        }

        @Override
        public double value(int i) {
            return params[i].data();
        }

        @Override
        public void setValue(int i, double value) {
            params[i].setData(value);
        }

        @Override
        public double grad(int i) {
            return params[i].grad();
        }

        @Override
        public void setGrad(int i, double grad) {
            params[i].setGrad(grad);
        }
    }
}
