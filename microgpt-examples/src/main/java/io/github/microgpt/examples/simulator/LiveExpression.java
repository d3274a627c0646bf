package io.github.microgpt.examples.simulator;

import io.github.microgpt.autograd.Value;
import io.github.microgpt.model.Architecture;
import io.github.microgpt.model.KvCache;
import io.github.microgpt.model.LanguageModel;
import io.github.microgpt.model.ParameterLayout;
import io.github.microgpt.model.MatrixLayout;
import io.github.microgpt.model.Parameters;
import io.github.microgpt.model.ValueLanguageModel;
import io.github.microgpt.model.ValueOps;
import io.github.microgpt.random.PythonRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A small expression of the live model, built from {@link Value}s so that its graph can be drawn
 * and back-propagated on the Autograd panel: one neuron ({@link #neuron}) or one attention score
 * ({@link #attentionScore}) at the position the page shows.
 *
 * <p>It is built from a {@link Snapshot}, never from the model being trained: for the neuron,
 * the snapshot's copy of the weights goes into a new model over {@code Value}s of the same
 * architecture, which reads the snapshot's context; for the score, the few rows of the first
 * layer it needs become {@code Value}s. So it needs no lock, works the same whichever engine
 * trains (value or array), and shows the model as it is now, after the latest update. The
 * numbers are the trained model's bit for bit when the value engine trains (the same operations
 * in the same order); the array engine's agree to rounding. The neuron's forward pass over
 * {@code Value}s is refused for models larger than the value engine may train, so that a
 * request costs at most what a training step of the value engine costs.
 *
 * @param kind {@code "neuron"} or {@code "attention"}
 * @param root the expression's result, labelled; its graph has only the expression's own nodes
 * @param title one line that says what the result is
 * @param formula the expression in symbols, as the graph computes it
 */
record LiveExpression(String kind, Value root, String title, String formula) {

    /** The most inputs a neuron may have to be drawn: each input adds a column to the picture. */
    static final int MAX_INPUTS = 64;

    /**
     * The label of the 0 a sum starts from: {@code sum(w_i * x_i)} is {@code ((0 + w0*x0) + w1*x1) + ...}
     * in {@code microgpt.py} (Python's {@code sum} starts from 0), and so in the graph, where it is
     * a leaf that nothing else explains. The graph's boxes show 6 characters of a label.
     */
    static final String SUM_START = "start";

    /** What the formula adds about {@link #SUM_START}. */
    static final String SUM_START_NOTE = "; the leaf \u201c" + SUM_START + "\u201d is the 0 the sum starts from, as"
            + " Python's sum() does";

    /** The label of the constant an attention score is multiplied by: {@code 1/sqrt(headDim)}. */
    static final String INVERSE_SQRT = "1/\u221ad";

    LiveExpression {
        // The constants the operations made get a name too: the 0 a sum starts from, and any other
        // (the 1/sqrt(headDim) a score is multiplied by is named by attentionScore).
        for (Value node : root.topologicalOrder()) {
            if (node.childCount() == 0 && node.label() == null) {
                node.label(node.data() == 0.0 ? SUM_START : "const");
            }
        }
    }

    /**
     * The neuron of {@code lm_head} that gives the logit of the target token (training) or the
     * drawn token (generation) at the current position: {@code logit = sum_i w_i * x_i}, where
     * {@code w} is the token's row of {@code lm_head} and {@code x} the final hidden vector that
     * the forward pass computed at this position. The weights and the inputs are the leaves.
     *
     * @param snapshot the state to build it from
     * @return the expression
     * @throws ApiException (409) before the first step or token, for a bigram model (whose logits
     *     are a row of its table, no neuron), for a neuron with too many inputs to draw, or for a
     *     model too large to rebuild over {@code Value}s
     */
    static LiveExpression neuron(Snapshot snapshot) {
        Overlay overlay = position(snapshot);
        Architecture architecture = architecture(snapshot);
        if (architecture == Architecture.BIGRAM) {
            throw ApiException.conflict("the bigram model has no neuron: its logits are a row of its table, read"
                    + " by the current token");
        }
        int inputCount = matrixOf(snapshot, ParameterLayout.LM_HEAD).cols();
        if (inputCount > MAX_INPUTS) {
            throw ApiException.conflict("this neuron has " + inputCount + " inputs, too many to draw; the panel"
                    + " draws neurons of up to " + MAX_INPUTS);
        }
        int[] context = overlay.context();
        long work = (long) context.length * snapshot.numParams();
        if (work > Limits.VALUE_GPT.maxStepWork()) {
            throw ApiException.conflict(String.format(Locale.ROOT, "this model is too large to rebuild over Values at"
                    + " this position: %,d (positions) × %,d (parameters) = %,d, more than the %,d the value engine is"
                    + " allowed; the attention score works at any size", context.length, snapshot.numParams(), work,
                    Limits.VALUE_GPT.maxStepWork()));
        }
        ValueLanguageModel model = valueModel(snapshot, architecture);
        // The forward pass over the context, as the model reads it: one position after another.
        KvCache cache = model.newCache();
        Value[] logits = null;
        for (int pos = 0; pos < context.length; pos++) {
            logits = model.forward(context[pos], pos, cache);
        }
        int token = overlay.outputToken();
        Value[] weights = model.matrix(ParameterLayout.LM_HEAD)[token];
        double[] inputs = linearInputs(logits[token], weights);
        Value[] w = new Value[weights.length];
        Value[] x = new Value[weights.length];
        for (int i = 0; i < w.length; i++) {
            w[i] = new Value(weights[i].data()).label("w" + i);
            x[i] = new Value(inputs[i]).label("x" + i);
        }
        Value logit = ValueOps.linear(x, new Value[][] {w})[0].label("logit");
        // BOS is no character: the page writes it BOS, unquoted (the vocabulary's text for it is "<BOS>").
        String tokenText = token == snapshot.vocab().size() - 1 ? "BOS" : quoted(snapshot.vocab().get(token));
        String title = "the logit of " + tokenText + " (token " + token + ") at position "
                + overlay.posId() + (overlay.generation() ? " of the sample being drawn" : " of "
                + quoted(Snapshot.shown(overlay.document()))) + ": row " + token + " of lm_head (w) times the final hidden"
                + " vector (x) of the forward pass";
        return new LiveExpression("neuron", logit, title, "logit = w0*x0 + w1*x1 + ... + w" + (w.length - 1)
                + "*x" + (w.length - 1) + SUM_START_NOTE);
    }

    /**
     * One attention score of the first layer at the current position: how well the query of the
     * current position matches the key of position {@code key} in one head,
     * {@code q . k / sqrt(headDim)}, the number softmax turns into that head's attention weight.
     * The query's and the key's slices for the head are the leaves; both are computed as the
     * model computes them (embeddings, RMSNorm, RMSNorm, projection).
     *
     * @param snapshot the state to build it from
     * @param head the head, from 0
     * @param key the position of the key, from 0 to the current position; {@code -1} for the
     *     current position itself
     * @return the expression
     * @throws ApiException (409) before the first step or token, for a model without attention,
     *     or for heads too wide to draw; (400) for a head or key out of range
     */
    static LiveExpression attentionScore(Snapshot snapshot, int head, int key) {
        Overlay overlay = position(snapshot);
        Architecture architecture = architecture(snapshot);
        if (!hasAttention(architecture)) {
            throw ApiException.conflict("the " + architecture.id() + " model has no attention: pick the neuron");
        }
        int nHead = snapshot.settings().config().nHead();
        if (head < 0 || head >= nHead) {
            throw ApiException.badRequest("head must be a whole number from 0 to " + (nHead - 1) + ", got " + head);
        }
        int posId = overlay.posId();
        int keyPos = key < 0 ? posId : key;
        if (keyPos > posId) {
            throw ApiException.badRequest("key must be a position from 0 to the current position " + posId
                    + " (attention looks only back), got " + key);
        }
        int headDim = snapshot.settings().config().headDim();
        if (headDim > MAX_INPUTS) {
            throw ApiException.conflict("a head of this model has " + headDim + " dimensions, too many to draw; the"
                    + " panel draws scores of heads of up to " + MAX_INPUTS);
        }
        int hs = head * headDim;
        Value[] query = layerZeroProjection(snapshot, overlay.context()[posId], posId, ParameterLayout.ATTN_WQ);
        Value[] keyVector = layerZeroProjection(snapshot, overlay.context()[keyPos], keyPos, ParameterLayout.ATTN_WK);
        Value[] q = new Value[headDim];
        Value[] k = new Value[headDim];
        for (int j = 0; j < headDim; j++) {
            q[j] = new Value(query[hs + j].data()).label("q" + j);
            k[j] = new Value(keyVector[hs + j].data()).label("k" + j);
        }
        // As the model: q_h . k_h[t] / headDim^0.5, a division by a constant that is a product.
        Value score = ValueOps.dot(q, 0, k, 0, headDim).div(Math.pow(headDim, 0.5)).label("score");
        // Python's x / c is x * c ** -1: the leaf multiplied by is 1/sqrt(headDim).
        score.child(1).label(INVERSE_SQRT);
        String title = "the attention score of head " + head + " in layer 0 at position " + posId + " for the key"
                + " of position " + keyPos + ": the query's slice of the head (q) dotted with the key's (k), divided"
                + " by sqrt(" + headDim + ")";
        return new LiveExpression("attention", score, title, "score = (q0*k0 + ... + q" + (headDim - 1) + "*k"
                + (headDim - 1) + ") / sqrt(" + headDim + ")" + SUM_START_NOTE + ", and \u201c" + INVERSE_SQRT
                + "\u201d is 1/sqrt(" + headDim + "), which Python's division multiplies by");
    }

    /**
     * The expressions the snapshot's model offers.
     *
     * @param snapshot the state
     * @return a sublist of {@code ["neuron", "attention"]}
     */
    static List<String> available(Snapshot snapshot) {
        Architecture architecture = architecture(snapshot);
        List<String> kinds = new ArrayList<>();
        if (architecture != Architecture.BIGRAM) {
            kinds.add("neuron");
        }
        if (hasAttention(architecture)) {
            kinds.add("attention");
        }
        return kinds;
    }

    // ------------------------------------------------------------------------------ the model

    private static boolean hasAttention(Architecture architecture) {
        return architecture == Architecture.ATTENTION || architecture == Architecture.GPT;
    }

    /**
     * The position the page shows, at which the expressions are built: the latest trained
     * position or drawn token.
     *
     * @throws ApiException (409) before the first step or token
     */
    static Overlay position(Snapshot snapshot) {
        Overlay overlay = snapshot.overlay();
        if (overlay == null) {
            throw ApiException.conflict("there is no current position yet: take a step (Step Fwd) or draw a token"
                    + " (Gen Step), and the graph is built at that position");
        }
        return overlay;
    }

    /**
     * The snapshot's architecture, recognised by its weight matrices: each architecture has its
     * own names and shapes ({@link Architecture#layout}).
     */
    static Architecture architecture(Snapshot snapshot) {
        int vocabSize = snapshot.vocab().size();
        for (Architecture architecture : Architecture.values()) {
            if (architecture.layout(snapshot.settings().config(), vocabSize).matrixLayouts().equals(snapshot.matrices())) {
                return architecture;
            }
        }
        throw new IllegalStateException("the model's matrices " + snapshot.matrices()
                + " are those of no known architecture");
    }

    /** A new model over {@code Value}s with the snapshot's weights. */
    private static ValueLanguageModel valueModel(Snapshot snapshot, Architecture architecture) {
        // The random draw of the initial weights is overwritten at once.
        LanguageModel model = architecture.create(snapshot.settings().config(), snapshot.vocab().size(),
                new PythonRandom(0));
        Parameters parameters = model.parameters();
        double[] values = snapshot.values();
        for (int i = 0; i < values.length; i++) {
            parameters.setValue(i, values[i]);
        }
        // Every architecture's model is one over Values, whose forward pass can be read node by node.
        return (ValueLanguageModel) model;
    }

    /**
     * A projection of the first layer at one position, as the models with attention compute it:
     * {@code x = rmsnorm(wte[token] + wpe[pos])}, then {@code linear(rmsnorm(x), matrix)}. It
     * needs only the first layer's input, which depends on nothing but this position's token, so
     * it is computed from just the rows it reads, at any size of model.
     */
    private static Value[] layerZeroProjection(Snapshot snapshot, int token, int pos, String matrix) {
        Value[] x = ValueOps.rmsnorm(ValueOps.add(row(snapshot, ParameterLayout.WTE, token),
                row(snapshot, ParameterLayout.WPE, pos)));
        MatrixLayout weights = matrixOf(snapshot, ParameterLayout.inLayer(0, matrix));
        Value[][] rows = new Value[weights.rows()][];
        for (int r = 0; r < rows.length; r++) {
            rows[r] = row(snapshot, weights.name(), r);
        }
        return ValueOps.linear(ValueOps.rmsnorm(x), rows);
    }

    /** One row of a weight matrix of the snapshot, as leaves. */
    private static Value[] row(Snapshot snapshot, String matrix, int r) {
        MatrixLayout weights = matrixOf(snapshot, matrix);
        Value[] row = new Value[weights.cols()];
        for (int c = 0; c < row.length; c++) {
            row[c] = new Value(snapshot.values()[weights.index(r, c)]);
        }
        return row;
    }

    private static MatrixLayout matrixOf(Snapshot snapshot, String name) {
        for (MatrixLayout matrix : snapshot.matrices()) {
            if (matrix.name().equals(name)) {
                return matrix;
            }
        }
        throw new IllegalStateException("the model has no matrix " + name);
    }

    /**
     * The inputs {@code x} of one output of {@link ValueOps#linear}: the output is the fold
     * {@code ((w0*x0 + 0) + w1*x1) + ...}, so walking its additions from the last back to the
     * first finds every product {@code w_i * x_i}, and in it the input. Each weight is checked to
     * be the model's own, so a forward pass built otherwise is an error, not a wrong picture.
     */
    private static double[] linearInputs(Value out, Value[] weights) {
        double[] inputs = new double[weights.length];
        Value sum = out;
        for (int i = weights.length - 1; i >= 0; i--) {
            Value product = i > 0 ? sum.child(1) : sum.child(0);
            if (product.childCount() != 2 || product.child(0) != weights[i]) {
                throw new IllegalStateException("the logit is not the sum of lm_head's weights times the hidden vector"
                        + " at term " + i);
            }
            inputs[i] = product.child(1).data();
            sum = sum.child(0);
        }
        return inputs;
    }

    private static String quoted(String text) {
        return String.format(Locale.ROOT, "\u201c%s\u201d", text);
    }
}
