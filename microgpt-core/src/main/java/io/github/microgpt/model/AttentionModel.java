package io.github.microgpt.model;

import io.github.microgpt.autograd.Value;
import io.github.microgpt.internal.HeapBudget;
import io.github.microgpt.random.RandomSource;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Lesson 3 of the progression: attention alone. Where {@link MlpModel} looks back a fixed three
 * tokens, this model looks back over <em>every</em> earlier position and learns where to look:
 * each position asks a question (its query), every earlier position offers an answer to match
 * (its key) and something to pass on (its value), and the position takes the values weighted by
 * how well each key matches the query. A position embedding lets it know where it is.
 *
 * <pre>
 * x = rmsnorm(wte[token] + wpe[pos])
 * for each layer:
 *     x = x + attn_wo @ multi_head_attention(rmsnorm(x))     # with the earlier positions' keys and values
 * logits = lm_head @ x
 * </pre>
 *
 * <p>It is {@link GptModel} without the MLP block: the attention builds the same nodes (each head's
 * output written out as the Python's {@code sum(...)} where {@code GptModel} calls {@code dot}), and
 * its parameters are those of a GPT layer without {@code mlp_fc1} and {@code mlp_fc2}:
 * {@code wte}, {@code wpe}, {@code lm_head}, then per layer {@code attn_wq}, {@code attn_wk},
 * {@code attn_wv}, {@code attn_wo}. Next: {@link GptModel} adds, after each attention, an MLP
 * that thinks about what attention gathered.
 */
public final class AttentionModel extends ValueLanguageModel {

    private final Value[][] wte;
    private final Value[][] wpe;
    private final Value[][] lmHead;
    private final Value[][][] attnWq;
    private final Value[][][] attnWk;
    private final Value[][][] attnWv;
    private final Value[][][] attnWo;

    private AttentionModel(GptConfig config, int vocabSize, Map<String, Value[][]> stateDict) {
        super(config, vocabSize, stateDict);
        this.wte = matrix(ParameterLayout.WTE);
        this.wpe = matrix(ParameterLayout.WPE);
        this.lmHead = matrix(ParameterLayout.LM_HEAD);
        int n = config.nLayer();
        attnWq = new Value[n][][];
        attnWk = new Value[n][][];
        attnWv = new Value[n][][];
        attnWo = new Value[n][][];
        for (int li = 0; li < n; li++) {
            attnWq[li] = matrix(ParameterLayout.inLayer(li, ParameterLayout.ATTN_WQ));
            attnWk[li] = matrix(ParameterLayout.inLayer(li, ParameterLayout.ATTN_WK));
            attnWv[li] = matrix(ParameterLayout.inLayer(li, ParameterLayout.ATTN_WV));
            attnWo[li] = matrix(ParameterLayout.inLayer(li, ParameterLayout.ATTN_WO));
        }
    }

    /**
     * Creates an attention-only model with random weights, each
     * {@code random.gauss(0, config.initStd())}, drawn matrix by matrix in the order of its
     * parameters (see the class description).
     *
     * @param config the shape: layers, width, heads, block size and initial spread
     * @param vocabSize the number of tokens; at least 2
     * @param random the source of the initial weights
     * @return the model
     * @throws IllegalArgumentException if {@code vocabSize < 2}, or its weights and gradients would
     *     fill more than half of the Java heap (at least 68 bytes a parameter: a {@code Value} each)
     */
    public static AttentionModel create(GptConfig config, int vocabSize, RandomSource random) {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(random, "random");
        ParameterLayout layout = Architecture.ATTENTION.layout(config, vocabSize);
        // Refused before any Value is made, as GptModel does: filling it ran out of memory.
        HeapBudget.checkModel("an AttentionModel", layout.size(), GptModel.BYTES_PER_PARAMETER,
                Runtime.getRuntime().maxMemory(), "a smaller nEmbd, nLayer or blockSize");
        return new AttentionModel(config, vocabSize, gaussianWeights(layout, config.initStd(), random));
    }

    /**
     * True: every layer has attention heads, whose weights {@link #addAttentionListener attention
     * listeners} hear.
     *
     * @return true
     */
    @Override
    public boolean hasAttention() {
        return true;
    }

    @Override
    public Value[] forward(int tokenId, int posId, KvCache cache) {
        // Called directly, not through this class's loss or sampling: a clear error, not an index
        // one or a silent answer from a cache that skipped a position.
        checkForward(tokenId, posId, cache, config().nLayer());
        int headDim = config().headDim();
        Value[] x = ValueOps.add(wte[tokenId], wpe[posId]);
        x = ValueOps.rmsnorm(x);
        double sqrtHeadDim = Math.pow(headDim, 0.5); // head_dim**0.5, the divisor of every attention logit

        for (int li = 0; li < config().nLayer(); li++) {
            Value[] xResidual = x;
            x = ValueOps.rmsnorm(x);
            Value[] q = ValueOps.linear(x, attnWq[li]);
            Value[] k = ValueOps.linear(x, attnWk[li]);
            Value[] v = ValueOps.linear(x, attnWv[li]);
            List<Value[]> keys = cache.keys(li);
            List<Value[]> values = cache.values(li);
            keys.add(k);
            values.add(v);
            Value[] xAttn = new Value[config().nEmbd()];
            for (int h = 0; h < config().nHead(); h++) {
                int hs = h * headDim;
                // How well each earlier key matches this query, then softmax: where to look.
                Value[] attnLogits = new Value[keys.size()];
                for (int t = 0; t < keys.size(); t++) {
                    attnLogits[t] = ValueOps.dot(q, hs, keys.get(t), hs, headDim).div(sqrtHeadDim);
                }
                Value[] attnWeights = ValueOps.softmax(attnLogits);
                reportAttention(li, h, posId, attnWeights);
                // What is passed on: the values, weighted by where this head looks.
                for (int j = 0; j < headDim; j++) {
                    Value weighted = attnWeights[0].mul(values.get(0)[hs + j]).add(0.0);
                    for (int t = 1; t < values.size(); t++) {
                        weighted = weighted.add(attnWeights[t].mul(values.get(t)[hs + j]));
                    }
                    xAttn[hs + j] = weighted;
                }
            }
            x = ValueOps.linear(xAttn, attnWo[li]);
            x = ValueOps.add(x, xResidual);
        }
        return ValueOps.linear(x, lmHead);
    }
}
