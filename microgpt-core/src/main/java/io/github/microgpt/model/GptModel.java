package io.github.microgpt.model;

import static io.github.microgpt.model.ParameterLayout.ATTN_WK;
import static io.github.microgpt.model.ParameterLayout.ATTN_WO;
import static io.github.microgpt.model.ParameterLayout.ATTN_WQ;
import static io.github.microgpt.model.ParameterLayout.ATTN_WV;
import static io.github.microgpt.model.ParameterLayout.LM_HEAD;
import static io.github.microgpt.model.ParameterLayout.MLP_FC1;
import static io.github.microgpt.model.ParameterLayout.MLP_FC2;
import static io.github.microgpt.model.ParameterLayout.WPE;
import static io.github.microgpt.model.ParameterLayout.WTE;
import static io.github.microgpt.model.ParameterLayout.inLayer;

import io.github.microgpt.autograd.Value;
import io.github.microgpt.internal.Listeners;
import io.github.microgpt.internal.ModelChecks;
import io.github.microgpt.random.RandomSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The GPT of {@code microgpt.py}, built from {@link Value}s: every weight is a {@code Value}, and
 * every forward pass builds a graph that {@link Value#backward()} differentiates.
 *
 * <p>{@link #forward(int, int, KvCache)} is the Python's {@code gpt(token_id, pos_id, keys,
 * values)}, line for line: token and position embeddings, RMSNorm, then per layer multi-head
 * causal self-attention and a ReLU MLP, each with a residual connection, and finally the
 * {@code lm_head} projection to one logit per token.
 *
 * <pre>{@code
 * var model = GptModel.create(GptConfig.defaults(), tokenizer.vocabSize(), new PythonRandom(42));
 * var cache = new KvCache(model.config().nLayer());
 * Value[] logits = model.forward(tokenizer.bos(), 0, cache);
 * }</pre>
 *
 * <p>To change a line of the forward pass, as one edits {@code microgpt.py}, copy
 * {@link #forward(int, int, KvCache)} into a {@link ValueLanguageModel} (its helpers are public in
 * {@link ValueOps}) and give it this model's weights with {@link #stateDict()}; the library's
 * trainer and sampler work with it unchanged.
 *
 * <p>Not thread-safe: a model's parameters are shared by every graph built from it.
 */
public final class GptModel implements LanguageModel {

    private final GptConfig config;
    private final int vocabSize;
    private final Map<String, Value[][]> stateDict;
    private final Value[] params;
    private final Parameters parameterView;
    // The state dict's matrices again, looked up once: the forward pass runs per position.
    private final Value[][] wte;
    private final Value[][] wpe;
    private final Value[][] lmHead;
    private final Layer[] layers;
    /** Told about the attention weights of every forward pass. */
    private final Listeners<AttentionListener> attentionListeners = new Listeners<>();

    private GptModel(GptConfig config, int vocabSize, ParameterLayout layout, Map<String, Value[][]> stateDict) {
        this.config = config;
        this.vocabSize = vocabSize;
        this.stateDict = stateDict;
        List<Value> flat = new ArrayList<>(layout.size());
        for (ParameterMatrix matrix : layout.matrices()) {
            for (Value[] row : stateDict.get(matrix.name())) {
                Collections.addAll(flat, row);
            }
        }
        this.params = flat.toArray(Value[]::new);
        this.parameterView = new ValueParameters(params, layout.matrices());
        this.wte = stateDict.get(WTE);
        this.wpe = stateDict.get(WPE);
        this.lmHead = stateDict.get(LM_HEAD);
        this.layers = new Layer[config.nLayer()];
        for (int li = 0; li < layers.length; li++) {
            layers[li] = new Layer(stateDict.get(inLayer(li, ATTN_WQ)), stateDict.get(inLayer(li, ATTN_WK)),
                    stateDict.get(inLayer(li, ATTN_WV)), stateDict.get(inLayer(li, ATTN_WO)),
                    stateDict.get(inLayer(li, MLP_FC1)), stateDict.get(inLayer(li, MLP_FC2)));
        }
    }

    /** The matrices of one transformer layer: {@code state_dict[f'layer{i}.attn_wq']} and so on. */
    private record Layer(Value[][] attnWq, Value[][] attnWk, Value[][] attnWv, Value[][] attnWo,
                         Value[][] mlpFc1, Value[][] mlpFc2) {
    }

    /**
     * Creates a model with random initial weights, drawn as {@code microgpt.py} draws them:
     * matrix by matrix in {@link ParameterMatrix} order, row by row, each entry
     * {@code random.gauss(0, initStd)}.
     *
     * @param config the shape
     * @param vocabSize the number of tokens (from the tokenizer); at least 2
     * @param random the source of the initial weights
     * @return the model
     * @throws IllegalArgumentException if {@code vocabSize < 2}, or the model would have more
     *     parameters than an array holds ({@link ParameterLayout#MAX_SIZE})
     */
    public static GptModel create(GptConfig config, int vocabSize, RandomSource random) {
        ParameterLayout layout = ParameterLayout.gpt(config, vocabSize);
        Map<String, Value[][]> stateDict = new LinkedHashMap<>();
        for (ParameterMatrix m : layout.matrices()) {
            stateDict.put(m.name(), matrix(m.rows(), m.cols(), config.initStd(), random));
        }
        return new GptModel(config, vocabSize, layout, stateDict);
    }

    private static Value[][] matrix(int nout, int nin, double std, RandomSource random) {
        Value[][] m = new Value[nout][nin];
        for (int r = 0; r < nout; r++) {
            for (int c = 0; c < nin; c++) {
                m[r][c] = new Value(random.gauss(0, std));
            }
        }
        return m;
    }

    // ------------------------------------------------------------------------ the forward pass

    /**
     * Reads one token at one position and returns the logits of the next token: the Python's
     * {@code gpt(token_id, pos_id, keys, values)}. Appends this position's keys and values to
     * {@code cache}.
     *
     * @param tokenId the token read
     * @param posId its position; must equal {@code cache.length()} and be below the block size
     * @param cache the keys and values of the earlier positions of the same sequence
     * @return {@code vocabSize()} logits, as nodes of a graph that leads back to the parameters
     * @throws IllegalArgumentException if the token or the position is out of range
     */
    public Value[] forward(int tokenId, int posId, KvCache cache) {
        checkForward(tokenId, posId, cache);
        int headDim = config.headDim();
        Value[] tokEmb = wte[tokenId];
        Value[] posEmb = wpe[posId];
        Value[] x = new Value[config.nEmbd()];
        for (int i = 0; i < x.length; i++) {
            x[i] = tokEmb[i].add(posEmb[i]);
        }
        x = rmsnorm(x);
        double scale = Math.pow(headDim, 0.5);

        for (int li = 0; li < config.nLayer(); li++) {
            Layer layer = layers[li];
            // 1) multi-head attention
            Value[] xResidual = x;
            x = rmsnorm(x);
            Value[] q = linear(x, layer.attnWq());
            Value[] k = linear(x, layer.attnWk());
            Value[] v = linear(x, layer.attnWv());
            List<Value[]> keys = cache.keys(li);
            List<Value[]> values = cache.values(li);
            keys.add(k);
            values.add(v);
            Value[] xAttn = new Value[config.nEmbd()];
            for (int h = 0; h < config.nHead(); h++) {
                int hs = h * headDim;
                Value[] attnLogits = new Value[keys.size()];
                for (int t = 0; t < keys.size(); t++) {
                    // q_h . k_h[t] / headDim^0.5
                    attnLogits[t] = dot(q, keys.get(t), hs, headDim).div(scale);
                }
                Value[] attnWeights = softmax(attnLogits);
                if (!attentionListeners.isEmpty()) {
                    reportAttention(li, h, posId, attnWeights);
                }
                for (int j = 0; j < headDim; j++) {
                    // sum over t of attn_weights[t] * v_h[t][j]
                    Value[] valuesJ = new Value[values.size()];
                    for (int t = 0; t < valuesJ.length; t++) {
                        valuesJ[t] = values.get(t)[hs + j];
                    }
                    xAttn[hs + j] = dot(attnWeights, valuesJ, 0, valuesJ.length);
                }
            }
            x = linear(xAttn, layer.attnWo());
            x = add(x, xResidual);
            // 2) MLP
            xResidual = x;
            x = rmsnorm(x);
            x = linear(x, layer.mlpFc1());
            for (int i = 0; i < x.length; i++) {
                x[i] = x[i].relu();
            }
            x = linear(x, layer.mlpFc2());
            x = add(x, xResidual);
        }
        return linear(x, lmHead);
    }

    private void reportAttention(int layer, int head, int posId, Value[] attnWeights) {
        double[] weights = new double[attnWeights.length];
        for (int t = 0; t < weights.length; t++) {
            weights[t] = attnWeights[t].data();
        }
        AttentionEvent event = new AttentionEvent(layer, head, posId, weights);
        attentionListeners.forEach(listener -> listener.onAttention(event));
    }

    /**
     * True: every layer has attention heads.
     *
     * @return true
     */
    @Override
    public boolean hasAttention() {
        return true;
    }

    /**
     * Adds a listener that hears, during every forward pass from now on (training and generation
     * alike), the attention weights of each head of each layer, position by position. It only
     * reads: the results of the model are the same with or without it. Because it sees the very
     * numbers of the pass being computed, a program can show what the model attends to without
     * repeating any computation.
     *
     * @param listener the listener
     */
    @Override
    public void addAttentionListener(AttentionListener listener) {
        attentionListeners.add(listener);
    }

    @Override
    public void removeAttentionListener(AttentionListener listener) {
        attentionListeners.remove(listener);
    }

    /**
     * {@code sum(a[i] * b[i] for i in from .. from+n-1)}, as Python's {@code sum} folds it:
     * {@code (0 + a0*b0) + a1*b1 + ...}, the nodes {@link Value#sum} would make, built as we go
     * without an array of products.
     *
     * @param a the left factors (each product is {@code a[i].mul(b[i])})
     * @param b the right factors
     * @param from the first index
     * @param n the number of products; at least 1
     * @return the sum
     */
    static Value dot(Value[] a, Value[] b, int from, int n) {
        return ValueOps.dot(a, from, b, from, n);
    }

    /** {@code w @ x}: {@link ValueOps#linear}, shared with the other models over Values. */
    static Value[] linear(Value[] x, Value[][] w) {
        return ValueOps.linear(x, w);
    }

    /** Root-mean-square normalisation: {@link ValueOps#rmsnorm}. */
    static Value[] rmsnorm(Value[] x) {
        return ValueOps.rmsnorm(x);
    }

    /**
     * Turns logits into probabilities: {@code exp(z_i - max z) / sum_j exp(z_j - max z)}; the
     * same as {@link ValueOps#softmax}, which the models over Values share.
     *
     * @param logits the logits
     * @return probabilities that sum to 1
     */
    public static Value[] softmax(Value[] logits) {
        return ValueOps.softmax(logits);
    }

    private static Value[] add(Value[] a, Value[] b) {
        return ValueOps.add(a, b);
    }

    // ------------------------------------------------------------------------------- training

    /**
     * Builds the graph of the training loss of a stretch of a document, without back-propagating:
     * the mean over the positions {@code p} in {@code [first, end)} of
     * {@code -log softmax(forward(tokens[p], p))[tokens[p + 1]]}, computed as
     * {@code (1 / n) * sum(losses)} like the Python. Call {@link Value#backward()} on the result
     * to get the gradients.
     *
     * @param tokens a tokenized document
     * @param first the first position whose prediction counts
     * @param end one past the last such position
     * @param observer told about each counted position; may be {@code null}
     * @return the loss node
     * @throws IllegalArgumentException if the positions or tokens are out of range
     */
    public Value loss(int[] tokens, int first, int end, PositionObserver observer) {
        ModelChecks.stretch(tokens, first, end, config.blockSize(), vocabSize);
        KvCache cache = new KvCache(config.nLayer());
        Value[] losses = new Value[end - first];
        for (int posId = 0; posId < end; posId++) {
            Value[] logits = forward(tokens[posId], posId, cache);
            if (posId < first) {
                continue;
            }
            Value[] probs = softmax(logits);
            Value lossT = probs[tokens[posId + 1]].log().neg();
            losses[posId - first] = lossT;
            if (observer != null) {
                double[] p = new double[probs.length];
                for (int i = 0; i < p.length; i++) {
                    p[i] = probs[i].data();
                }
                observer.onPosition(posId, p, lossT.data());
            }
        }
        return Value.sum(losses).mul(1.0 / losses.length);
    }

    @Override
    public double lossAndGradients(int[] tokens, int first, int end, PositionObserver observer) {
        Value loss = loss(tokens, first, end, observer);
        loss.backward();
        return loss.data();
    }

    private void checkForward(int tokenId, int posId, KvCache cache) {
        ModelChecks.token(tokenId, vocabSize, "the token");
        ModelChecks.position(posId, config.blockSize());
        if (cache.layers() != config.nLayer()) {
            throw new IllegalArgumentException("the cache has " + cache.layers() + " layers but the model has "
                    + config.nLayer());
        }
        if (posId != cache.length()) {
            throw new IllegalArgumentException("position " + posId + " does not follow the cache, which holds "
                    + cache.length() + " positions (the next position is " + cache.length() + ")");
        }
    }

    // ------------------------------------------------------------------------------ accessors

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
     * The parameters as {@link Value}s, in the flat order of {@link ParameterMatrix}: the
     * Python's {@code params}.
     *
     * @return an unmodifiable list of the model's own nodes (their data and gradients are live)
     */
    public List<Value> parameterValues() {
        return List.of(params);
    }

    /**
     * One weight matrix as {@link Value}s: an entry of the Python's {@code state_dict}.
     *
     * @param name for example {@code "wte"} or {@code "layer0.attn_wq"}
     * @return the rows of the matrix (a copy of the arrays; the nodes are the model's own)
     * @throws IllegalArgumentException if there is no matrix of that name
     */
    public Value[][] matrix(String name) {
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
     * All weight matrices by name, in {@link ParameterMatrix} order: the Python's
     * {@code state_dict}. Hand it to a {@link ValueLanguageModel} to give a forward pass of your
     * own the weights this model drew (and then train that model; this one shares the nodes).
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

    @Override
    public Sequence newSequence() {
        KvCache cache = new KvCache(config.nLayer());
        return new Sequence() {
            @Override
            public int length() {
                return cache.length();
            }

            @Override
            public double[] next(int tokenId) {
                Value[] logits = forward(tokenId, cache.length(), cache);
                double[] out = new double[logits.length];
                for (int i = 0; i < out.length; i++) {
                    out[i] = logits[i].data();
                }
                return out;
            }
        };
    }

    /** The parameters of a {@link GptModel}: a view of its leaf {@link Value}s. */
    private record ValueParameters(Value[] params, List<ParameterMatrix> matrices) implements Parameters {
        @Override
        public int size() {
            return params.length;
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
