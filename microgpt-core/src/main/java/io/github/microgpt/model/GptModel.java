package io.github.microgpt.model;

import java.util.Objects;
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
import static io.github.microgpt.model.ValueOps.add;
import static io.github.microgpt.model.ValueOps.dot;
import static io.github.microgpt.model.ValueOps.linear;
import static io.github.microgpt.model.ValueOps.relu;
import static io.github.microgpt.model.ValueOps.rmsnorm;
import static io.github.microgpt.model.ValueOps.softmax;

import io.github.microgpt.autograd.Value;
import io.github.microgpt.internal.HeapBudget;
import io.github.microgpt.random.RandomSource;
import java.util.List;
import java.util.Map;

/**
 * Lesson 4 of the progression, and its goal: the GPT of {@code microgpt.py}, built from
 * {@link Value}s. Every weight is a {@code Value}, and every forward pass builds a graph that
 * {@link Value#backward()} differentiates. Where {@link AttentionModel} only gathers what earlier
 * positions offer, the GPT follows each attention with an MLP that works on what was gathered,
 * position by position.
 *
 * <pre>
 * x = rmsnorm(wte[token] + wpe[pos])
 * for each layer:
 *     x = x + attn_wo @ multi_head_attention(rmsnorm(x))   # over the keys and values so far
 *     x = x + mlp_fc2 @ relu(mlp_fc1 @ rmsnorm(x))         # 4 * nEmbd hidden units
 * logits = lm_head @ x
 * </pre>
 *
 * <p>Each block adds its result to {@code x} (a <em>residual connection</em>) rather than
 * replacing it, so what the embeddings said is still there for the next block, and the gradient
 * of the loss flows back through the additions untouched (both local gradients of {@code +} are
 * 1) to every earlier block. The {@code rmsnorm} in front of each block scales its input to a
 * root mean square of 1, so that the blocks see numbers of one size however large {@code x} has
 * grown.
 *
 * <p>{@link #forward(int, int, KvCache)} is the Python's {@code gpt(token_id, pos_id, keys,
 * values)}, line for line: token and position embeddings, RMSNorm, then per layer multi-head
 * causal self-attention and a ReLU MLP, each with a residual connection, and finally the
 * {@code lm_head} projection to one logit per token. Everything else (the loss, its gradients,
 * the parameters, generation) is {@link ValueLanguageModel}'s, shared with the other models of
 * the progression; so the training loss is the Python's too, node for node.
 *
 * <p>The name has no engine in it, as {@link BigramModel}, {@link MlpModel} and
 * {@link AttentionModel}, the earlier lessons, have none: the progression's models are all built
 * from {@code Value}s ({@link Engine#VALUE}), and the one model named for its engine is the
 * array engine's GPT, {@link ArrayGptModel}, which computes this model's numbers another way.
 *
 * <pre>{@code
 * var model = GptModel.create(GptConfig.defaults(), tokenizer.vocabSize(), new PythonRandom(42));
 * var cache = model.newCache();
 * Value[] logits = model.forward(tokenizer.bos(), 0, cache);
 * }</pre>
 *
 * <p>To change a line of the forward pass, as one edits {@code microgpt.py}, copy
 * {@link #forward(int, int, KvCache)} into a {@link ValueLanguageModel} of your own (its helpers
 * are public in {@link ValueOps}) and give it this model's weights with {@link #stateDict()};
 * the library's trainer and sampler work with it unchanged.
 *
 * <p>Trained from one thread at a time: a model's parameters are shared by every graph built
 * from it, and a backward pass writes their gradients. Read from many at once: a forward pass
 * only reads the parameters, and builds its nodes and its cache for its own sequence, so threads
 * may sample and evaluate one model together between steps (see {@link LanguageModel}).
 */
public final class GptModel extends ValueLanguageModel {

    /**
     * The least memory one parameter takes, for the refusal of a model the heap cannot hold: a
     * {@code Value} object (a 12-byte header, four doubles, four references and three flags: 64
     * bytes, as HotSpot rounds to 8) and its 4-byte place in a matrix row; 68.2 bytes measured.
     * It was 48, from an older {@code Value}: a model whose {@code Value}s filled up to 71% of the
     * heap passed the half-heap rule and ran out of memory after filling it.
     */
    static final int BYTES_PER_PARAMETER = 68;

    // The state dict's matrices, looked up once: the forward pass runs per position.
    private final Value[][] wte;
    private final Value[][] wpe;
    private final Value[][] lmHead;
    private final Layer[] layers;

    private GptModel(GptConfig config, int vocabSize, Map<String, Value[][]> stateDict) {
        super(config, vocabSize, stateDict);
        this.wte = matrix(WTE);
        this.wpe = matrix(WPE);
        this.lmHead = matrix(LM_HEAD);
        this.layers = new Layer[config.nLayer()];
        for (int li = 0; li < layers.length; li++) {
            layers[li] = new Layer(matrix(inLayer(li, ATTN_WQ)), matrix(inLayer(li, ATTN_WK)),
                    matrix(inLayer(li, ATTN_WV)), matrix(inLayer(li, ATTN_WO)),
                    matrix(inLayer(li, MLP_FC1)), matrix(inLayer(li, MLP_FC2)));
        }
    }

    /** The matrices of one transformer layer: {@code state_dict[f'layer{i}.attn_wq']} and so on. */
    private record Layer(Value[][] attnWq, Value[][] attnWk, Value[][] attnWv, Value[][] attnWo,
                         Value[][] mlpFc1, Value[][] mlpFc2) {
    }

    /**
     * Creates a model with random initial weights, drawn as {@code microgpt.py} draws them:
     * matrix by matrix in {@link ParameterLayout#gpt} order, row by row, each entry
     * {@code random.gauss(0, initStd)}.
     *
     * @param config the shape
     * @param vocabSize the number of tokens (from the tokenizer); at least 2
     * @param random the source of the initial weights
     * @return the model
     * @throws IllegalArgumentException if {@code vocabSize < 2}, or the model would have more
     *     parameters than an array holds ({@link ParameterLayout#MAX_SIZE}), or more than half
     *     of the Java heap could hold (at least 68 bytes a parameter: a {@code Value} each)
     */
    public static GptModel create(GptConfig config, int vocabSize, RandomSource random) {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(random, "random");
        ParameterLayout layout = ParameterLayout.gpt(config, vocabSize);
        HeapBudget.checkModel("a GptModel", layout.size(), BYTES_PER_PARAMETER, Runtime.getRuntime().maxMemory());
        return new GptModel(config, vocabSize, gaussianWeights(layout, config.initStd(), random));
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
     * @throws IllegalArgumentException if the token or the position is out of range, or the cache
     *     is not this model's (another number of layers) or holds another number of positions
     *     than {@code posId}
     * @throws NullPointerException if {@code cache} is null
     */
    @Override
    public Value[] forward(int tokenId, int posId, KvCache cache) {
        checkForward(tokenId, posId, cache, config().nLayer()); // not in the Python: a wrong argument fails here, named
        int headDim = config().headDim();
        Value[] x = add(wte[tokenId], wpe[posId]); // tok_emb + pos_emb: joint token and position embedding
        x = rmsnorm(x);
        double sqrtHeadDim = Math.pow(headDim, 0.5); // head_dim**0.5, the same for every head and position

        for (int li = 0; li < config().nLayer(); li++) {
            Layer layer = layers[li];
            // 1) Multi-head attention block
            Value[] xResidual = x;
            x = rmsnorm(x);
            // This position's query (what it looks for), key (what it offers to be matched) and
            // value (what it passes on to a position that attends to it).
            Value[] q = linear(x, layer.attnWq());
            Value[] k = linear(x, layer.attnWk());
            Value[] v = linear(x, layer.attnWv());
            List<Value[]> keys = cache.keys(li);
            List<Value[]> values = cache.values(li);
            keys.add(k);
            values.add(v);
            Value[] xAttn = new Value[config().nEmbd()];
            for (int h = 0; h < config().nHead(); h++) {
                // Head h reads the slice [hs, hs + headDim) of q, of every key and of every value:
                // the Python's q_h, k_h and v_h, here offsets rather than copies.
                int hs = h * headDim;
                // One logit per position in the cache, 0 .. posId: the later ones are not there
                // yet, so no position sees the future (causal attention, with no mask needed).
                Value[] attnLogits = new Value[keys.size()];
                for (int t = 0; t < keys.size(); t++) {
                    // q_h . k_h[t] / headDim^0.5: how well position t's key matches this query.
                    // A dot product of headDim terms grows like headDim^0.5; dividing by it keeps
                    // a wide head's softmax from turning hard (all the weight on one position).
                    attnLogits[t] = dot(q, hs, keys.get(t), hs, headDim).div(sqrtHeadDim);
                }
                Value[] attnWeights = softmax(attnLogits);
                reportAttention(li, h, posId, attnWeights); // not in the Python: tells attention listeners
                for (int j = 0; j < headDim; j++) {
                    // head_out[j] = sum(attn_weights[t] * v_h[t][j] for t), written straight to its
                    // place in x_attn (the Python's x_attn.extend(head_out))
                    Value[] valuesJ = new Value[values.size()];
                    for (int t = 0; t < valuesJ.length; t++) {
                        valuesJ[t] = values.get(t)[hs + j];
                    }
                    xAttn[hs + j] = dot(attnWeights, 0, valuesJ, 0, valuesJ.length);
                }
            }
            x = linear(xAttn, layer.attnWo());
            x = add(x, xResidual); // the residual: attention adds to x rather than replacing it
            // 2) MLP block
            xResidual = x;
            x = rmsnorm(x);
            x = linear(x, layer.mlpFc1());
            x = relu(x);
            x = linear(x, layer.mlpFc2());
            x = add(x, xResidual);
        }
        return linear(x, lmHead);
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
}
