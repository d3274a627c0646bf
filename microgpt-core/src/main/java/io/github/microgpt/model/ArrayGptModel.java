package io.github.microgpt.model;

import static io.github.microgpt.model.ParameterLayout.ATTN_WO;
import static io.github.microgpt.model.ParameterLayout.ATTN_WQ;
import static io.github.microgpt.model.ParameterLayout.LM_HEAD;
import static io.github.microgpt.model.ParameterLayout.MLP_FC1;
import static io.github.microgpt.model.ParameterLayout.MLP_FC2;
import static io.github.microgpt.model.ParameterLayout.WPE;
import static io.github.microgpt.model.ParameterLayout.WTE;
import static io.github.microgpt.model.ParameterLayout.inLayer;

import io.github.microgpt.internal.Listeners;
import io.github.microgpt.internal.ModelChecks;
import io.github.microgpt.random.RandomSource;
import java.util.List;

/**
 * The GPT of {@link GptModel} computed over plain arrays of doubles, in the style of Karpathy's
 * {@code llm.c}: no object per number and no graph, but an explicit forward pass and an explicit,
 * hand-derived backward pass for every layer (RMSNorm, linear, attention, ReLU, softmax with
 * cross-entropy). It is the fast engine; {@link GptModel} is the one to read to learn how
 * autograd works.
 *
 * <p><b>Storage.</b> Every row of every weight matrix is a {@code double[]} of its own, and so
 * is its gradient (see {@code ArrayParameters} for why); the {@link Parameters} view is the same
 * flat list as {@link GptModel}'s. Activations are rows too, one per position, in a workspace
 * allocated once per model (once per thread for batches, once per sequence for generation), so a
 * training step allocates nothing but the small arrays handed to observers. Each operation is
 * applied to all the positions of a document at once, layer by layer, as in {@code llm.c}.
 *
 * <p><b>Same numbers as the {@code Value} engine.</b> {@link #create} draws the initial weights
 * in the same order as {@link GptModel#create}, so both engines start from identical weights for
 * the same seed. The forward pass performs the same floating-point operations in the same order
 * as {@link GptModel#forward} (every sum is the same left-to-right fold, {@code x / c} is
 * {@code x * c^-1}, softmax subtracts the maximum first), so logits, probabilities and losses are
 * bit-identical. The backward pass is where they differ: the {@code Value} engine differentiates
 * its graph node by node, in the order of a depth-first walk, whereas this engine uses the
 * closed forms (for example {@code dlogits = (p - onehot) / n} for softmax with cross-entropy,
 * and {@code s^3} for the derivative of the RMS scale) and sums each gradient in position and row
 * order. Gradients therefore agree to rounding, not bit for bit: typically 1e-15 relative and at
 * worst about 1e-12 over the property tests (which require 1e-10), except gradients whose
 * contributions cancel to almost 0, which agree to within 1e-14 of the largest gradient. Over the
 * 1000 steps of the reference run of {@code microgpt.py} the losses of the two engines stay within
 * 2e-15 of each other, and the 20 samples that follow are the same.
 *
 * <p><b>Speed.</b> The inner loops are plain counted loops over rows indexed from 0, the shape
 * HotSpot's C2 compiler turns into SIMD instructions (no {@code jdk.incubator.vector} needed, so
 * it runs on any JDK 17): the backward products, the element-wise operations and Adam. The
 * forward products must keep the left-to-right order of every sum, which no SIMD lane split
 * can, so they overlap eight independent sums instead (see {@link Kernels}).
 *
 * <p>Not thread-safe, except that {@link #batchLossAndGradients} uses several threads inside one
 * call. A {@link LanguageModel.Sequence} has its own key-value cache, so several sequences may be
 * generated one after another or interleaved on one thread, but not while the model is trained.
 */
public final class ArrayGptModel implements LanguageModel {

    private static final double RMS_EPS = 1e-5;

    final GptConfig config;
    final int vocabSize;
    final int nEmbd;
    final int nHead;
    final int headDim;
    final int hidden;
    final int blockSize;
    final int nLayer;
    /** The weights, one row per array, in {@link ParameterMatrix} order. */
    final double[][] w;
    private final ArrayParameters parameters;
    final int rowWte;
    final int rowWpe;
    final int rowLmHead;
    /** Per layer, the first row of attn_wq, followed at once by attn_wk's and attn_wv's. */
    final int[] rowWqkv;
    final int[] rowWo;
    final int[] rowFc1;
    final int[] rowFc2;
    /** {@code (headDim^0.5)^-1}: {@link GptModel} divides attention logits by {@code headDim^0.5}. */
    final double attnScale;
    /** {@code nEmbd^-1}: {@link GptModel} divides the sum of squares by {@code nEmbd}. */
    final double invEmbd;

    private Workspace trainingWorkspace;
    private BatchRunner batchRunner;
    // [api] Attention listeners (LanguageModel#addAttentionListener); see reportAttention.
    final Listeners<AttentionListener> attentionListeners = new Listeners<>();

    private ArrayGptModel(GptConfig config, int vocabSize, double[] weights) {
        this.config = config;
        this.vocabSize = vocabSize;
        this.nEmbd = config.nEmbd();
        this.nHead = config.nHead();
        this.headDim = config.headDim();
        this.hidden = 4 * nEmbd;
        this.blockSize = config.blockSize();
        this.nLayer = config.nLayer();
        // [api] Rows found by matrix name in the one ParameterLayout, not by counting matrices.
        ParameterLayout layout = ParameterLayout.gpt(config, vocabSize);
        this.parameters = new ArrayParameters(layout);
        parameters.setValues(weights);
        this.w = parameters.valueRows();
        this.rowWte = parameters.firstRow(WTE);
        this.rowWpe = parameters.firstRow(WPE);
        this.rowLmHead = parameters.firstRow(LM_HEAD);
        this.rowWqkv = new int[nLayer];
        this.rowWo = new int[nLayer];
        this.rowFc1 = new int[nLayer];
        this.rowFc2 = new int[nLayer];
        for (int li = 0; li < nLayer; li++) {
            // attn_wk's and attn_wv's rows follow attn_wq's (ParameterLayout.gpt keeps that order).
            rowWqkv[li] = parameters.firstRow(inLayer(li, ATTN_WQ));
            rowWo[li] = parameters.firstRow(inLayer(li, ATTN_WO));
            rowFc1[li] = parameters.firstRow(inLayer(li, MLP_FC1));
            rowFc2[li] = parameters.firstRow(inLayer(li, MLP_FC2));
        }
        this.attnScale = Math.pow(Math.pow(headDim, 0.5), -1);
        this.invEmbd = Math.pow(nEmbd, -1);
    }

    /**
     * Creates a model with random initial weights, drawn exactly as {@link GptModel#create}
     * draws them (matrix by matrix, row by row, {@code random.gauss(0, initStd)} each), so that
     * the same seed gives both engines the same weights.
     *
     * @param config the shape
     * @param vocabSize the number of tokens (from the tokenizer); at least 2
     * @param random the source of the initial weights
     * @return the model
     * @throws IllegalArgumentException if {@code vocabSize < 2}, or the model would have more
     *     parameters than an array holds ({@link ParameterLayout#MAX_SIZE})
     */
    public static ArrayGptModel create(GptConfig config, int vocabSize, RandomSource random) {
        double[] weights = new double[ParameterLayout.gpt(config, vocabSize).size()];
        for (int i = 0; i < weights.length; i++) {
            weights[i] = random.gauss(0, config.initStd());
        }
        return new ArrayGptModel(config, vocabSize, weights);
    }

    /**
     * Creates an array-engine model with the configuration, vocabulary and current weights of
     * another model (of any engine), for example to generate quickly from a model trained with
     * {@link GptModel}. The gradients start at 0; the two models share nothing afterwards.
     *
     * @param model the model to copy
     * @return the copy
     * @throws IllegalArgumentException if the model's parameters are not laid out as a GPT's
     */
    public static ArrayGptModel copyOf(LanguageModel model) {
        ParameterLayout expected = ParameterLayout.gpt(model.config(), model.vocabSize());
        if (!expected.describes(model.parameters())) {
            throw new IllegalArgumentException("the model's parameters are not laid out as a GPT of its "
                    + "configuration: " + model.parameters().matrices());
        }
        return new ArrayGptModel(model.config(), model.vocabSize(), model.parameters().values());
    }

    // ----------------------------------------------------------------------------- accessors

    @Override
    public GptConfig config() {
        return config;
    }

    @Override
    public int vocabSize() {
        return vocabSize;
    }

    /**
     * The parameters: a view of this model's own rows.
     *
     * @return the parameters
     */
    @Override
    public Parameters parameters() {
        return parameters;
    }

    // [api] Attention listeners: reported from attention(), see reportAttention.
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
     * Adds a listener that hears the attention weights of each head, during every forward pass
     * from now on, layer by layer (see {@link AttentionEvent}). A batch step with attention
     * listeners runs its documents on the calling thread, where the listeners are told; its
     * result is the same, since it does not depend on the number of threads.
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

    // -------------------------------------------------------------------------------- training

    @Override
    public double lossAndGradients(int[] tokens, int first, int end, PositionObserver observer) {
        ModelChecks.stretch(tokens, first, end, blockSize, vocabSize);
        if (trainingWorkspace == null) {
            trainingWorkspace = new Workspace(this, true);
        }
        Workspace ws = trainingWorkspace;
        double loss = forwardDocument(ws, tokens, first, end);
        if (observer != null) {
            for (int t = first; t < end; t++) {
                observer.onPosition(t, ws.logits[t].clone(), ws.losses[t]);
            }
        }
        backwardDocument(ws, tokens, first, end, parameters.gradRows());
        return loss;
    }

    /**
     * Computes the mean loss of whole documents and adds the mean of their gradients, on up to
     * {@code threads} threads. Each document's gradient is computed into a buffer of its own by
     * whichever thread takes it; the buffers are then summed in document order, element by
     * element, and divided by the number of documents. The sum of each element is thus the same
     * sequence of additions whatever the number of threads, so the result is bit-identical for 1,
     * 2 or 16 threads, and equal to the sequential definition of
     * {@link LanguageModel#batchLossAndGradients}.
     *
     * <p>The threads share the weights (only read during the call) and each has its own
     * activations. They are kept in a small pool between calls and end after a second of idleness.
     */
    @Override
    public double batchLossAndGradients(List<int[]> documents, int threads, BatchObserver observer) {
        int[] ends = ModelChecks.batch(documents, threads, blockSize, vocabSize);
        if (batchRunner == null) {
            batchRunner = new BatchRunner(this);
        }
        // [api] Listeners are told on the calling thread: with any, one worker, the caller.
        int workers = attentionListeners.isEmpty() ? threads : 1;
        return batchRunner.run(documents, ends, workers, observer, parameters.gradRows());
    }

    /**
     * Runs the forward pass over positions {@code 0 .. end-1}, keeping every activation the
     * backward pass needs, and returns the mean loss over {@code [first, end)}: the same fold,
     * {@code (1/n) * (l_first + 0 + l_first+1 + ...)}, as {@link GptModel#loss}. The logits of the
     * counted positions are turned into probabilities in place.
     */
    double forwardDocument(Workspace ws, int[] tokens, int first, int end) {
        forward(ws, tokens, 0, end);
        double sum = 0.0;
        for (int t = first; t < end; t++) {
            double[] p = ws.logits[t];
            Softmax.inPlace(p, 0, p.length);
            double lossT = Math.log(p[tokens[t + 1]]) * -1.0;
            ws.losses[t] = lossT;
            sum += lossT;
        }
        return sum * (1.0 / (end - first));
    }

    // ---------------------------------------------------------------------------- the forward pass

    /**
     * Reads the tokens at positions {@code from .. to-1} (the positions before {@code from} are
     * already in the key-value cache), leaving their logits in {@code ws.logits}: layer by layer,
     * each operation applied to all the positions at once. That is {@link GptModel#forward}
     * applied position by position, operation for operation, since attention at position
     * {@code t} only reads the keys and values of positions up to {@code t}.
     */
    void forward(Workspace ws, int[] tokens, int from, int to) {
        final int d = nEmbd;
        final int n = to - from;
        final int r0 = ws.row(from);
        final double[][] wt = w;
        // Token plus position embedding, then RMSNorm.
        for (int t = from; t < to; t++) {
            int r = ws.row(t);
            double[] e = ws.emb[r];
            double[] tok = wt[rowWte + tokens[t]];
            double[] pos = wt[rowWpe + t];
            for (int i = 0; i < d; i++) {
                e[i] = tok[i] + pos[i];
            }
            ws.scaleEmb[r] = rmsnorm(e, ws.xin[ws.rowOf(0, r)]);
        }
        for (int li = 0; li < nLayer; li++) {
            int lr = ws.rowOf(li, r0);
            // 1) multi-head attention
            for (int p = 0; p < n; p++) {
                ws.scaleA[lr + p] = rmsnorm(ws.xin[lr + p], ws.a[lr + p]);
            }
            // attn_wq, attn_wk and attn_wv are stored one after the other: one 3d x d product
            // gives each position's q, k and v side by side.
            Kernels.matmul(wt, rowWqkv[li], 3 * d, d, ws.a, lr, ws.qkv, li * blockSize + from, n);
            for (int t = from; t < to; t++) {
                attention(ws, li, t, lr + (t - from));
            }
            Kernels.matmul(wt, rowWo[li], d, d, ws.y, lr, ws.x1, lr, n);
            for (int p = 0; p < n; p++) {
                addInPlace(ws.x1[lr + p], ws.xin[lr + p]);
            }
            // 2) MLP
            for (int p = 0; p < n; p++) {
                ws.scaleB[lr + p] = rmsnorm(ws.x1[lr + p], ws.b[lr + p]);
            }
            Kernels.matmul(wt, rowFc1[li], hidden, d, ws.b, lr, ws.hpre, lr, n);
            for (int p = 0; p < n; p++) {
                relu(ws.hpre[lr + p], ws.hr[lr + p]);
            }
            double[][] out = li + 1 < nLayer ? ws.xin : ws.xout;
            int outRow = li + 1 < nLayer ? ws.rowOf(li + 1, r0) : r0;
            Kernels.matmul(wt, rowFc2[li], d, hidden, ws.hr, lr, out, outRow, n);
            for (int p = 0; p < n; p++) {
                addInPlace(out[outRow + p], ws.x1[lr + p]);
            }
        }
        Kernels.matmul(wt, rowLmHead, vocabSize, d, ws.xout, r0, ws.logits, r0, n);
    }

    /** {@code a += b}, element by element (a SIMD loop). */
    private static void addInPlace(double[] a, double[] b) {
        for (int i = 0; i < a.length; i++) {
            a[i] += b[i];
        }
    }

    /** {@code out = max(in, 0)}, element by element (a SIMD loop). */
    private static void relu(double[] in, double[] out) {
        for (int i = 0; i < out.length; i++) {
            double h = in[i];
            out[i] = h > 0 ? h : 0.0;
        }
    }

    /**
     * {@code out = x * (mean(x^2) + 1e-5)^-0.5}, with the mean computed as
     * {@code (x0*x0 + x1*x1 + ...) * n^-1}.
     *
     * @return the scale {@code (mean + 1e-5)^-0.5}, which is all the backward pass needs
     */
    private double rmsnorm(double[] x, double[] out) {
        double sumSq = 0.0;
        for (int i = 0; i < nEmbd; i++) {
            double xi = x[i];
            sumSq += xi * xi;
        }
        double scale = Math.pow(sumSq * invEmbd + RMS_EPS, -0.5);
        for (int i = 0; i < nEmbd; i++) {
            out[i] = x[i] * scale;
        }
        return scale;
    }

    /**
     * Causal self-attention of position {@code t} (row {@code lr} of the per-layer activations)
     * over positions {@code 0..t}, head by head: logits {@code q.k_s * headDim^-0.5}, softmax,
     * then the weighted sum of the values. The attention weights are kept for the backward pass.
     */
    private void attention(Workspace ws, int li, int t, int lr) {
        final int d = nEmbd;
        final int hd = headDim;
        final int kv = li * blockSize;
        final double[] q = ws.qkv[kv + t];
        final double[] y = ws.y[lr];
        final double[] att = ws.att;
        for (int h = 0; h < nHead; h++) {
            int hs = h * hd;
            int ao = (lr * nHead + h) * blockSize;
            for (int s = 0; s <= t; s++) {
                double[] k = ws.qkv[kv + s];
                double dot = 0.0;
                for (int j = 0; j < hd; j++) {
                    dot += q[hs + j] * k[d + hs + j];
                }
                att[ao + s] = dot * attnScale;
            }
            Softmax.inPlace(att, ao, ao + t + 1);
            if (!attentionListeners.isEmpty()) {
                reportAttention(li, h, t, att, ao);  // [api]
            }
            for (int j = 0; j < hd; j++) {
                y[hs + j] = 0.0;
            }
            for (int s = 0; s <= t; s++) {
                double weight = att[ao + s];
                double[] v = ws.qkv[kv + s];
                for (int j = 0; j < hd; j++) {
                    y[hs + j] += weight * v[2 * d + hs + j];
                }
            }
        }
    }

    // [api] The attention weights of head h at position t, att[ao .. ao+t], told to the listeners.
    private void reportAttention(int li, int h, int t, double[] att, int ao) {
        AttentionEvent event = new AttentionEvent(li, h, t, java.util.Arrays.copyOfRange(att, ao, ao + t + 1));
        attentionListeners.forEach(listener -> listener.onAttention(event));
    }

    // --------------------------------------------------------------------------- the backward pass

    /**
     * Adds to {@code grad} (rows shaped as the weights) the gradient of the mean loss over
     * {@code [first, end)}, after {@link #forwardDocument} has filled the workspace. Layers are
     * visited from the top down, each operation for all positions at once, except attention,
     * which goes from the last position to the first.
     */
    void backwardDocument(Workspace ws, int[] tokens, int first, int end, double[][] grad) {
        ws.ensureBackward();
        final int d = nEmbd;
        final double[][] wt = w;
        final double invN = 1.0 / (end - first);
        for (int t = 0; t < end; t++) {
            java.util.Arrays.fill(ws.dX[t], 0.0);
        }
        // Softmax with cross-entropy: d(loss)/d(logit_i) = (p_i - [i == target]) / n.
        int counted = end - first;
        for (int t = first; t < end; t++) {
            double[] p = ws.logits[t];
            double[] dl = ws.dLogits[t - first];
            for (int i = 0; i < vocabSize; i++) {
                dl[i] = p[i] * invN;
            }
            int target = tokens[t + 1];
            dl[target] = (p[target] - 1.0) * invN;
        }
        Kernels.matmulBackInput(wt, rowLmHead, vocabSize, d, ws.dLogits, 0, ws.dX, first, counted);
        Kernels.matmulBackWeights(grad, rowLmHead, vocabSize, d, ws.dLogits, 0, ws.xout, first, counted);

        for (int li = nLayer - 1; li >= 0; li--) {
            layerBackward(ws, li, end, grad);
        }
        // The embeddings: e = wte[token] + wpe[t], then RMSNorm; dX holds d(loss)/d(xin of layer 0).
        for (int t = 0; t < end; t++) {
            double[] dE = ws.dB[t];
            java.util.Arrays.fill(dE, 0.0);
            rmsnormBackward(ws.emb[t], ws.scaleEmb[t], ws.dX[t], dE);
            addInPlace(grad[rowWte + tokens[t]], dE);
            addInPlace(grad[rowWpe + t], dE);
        }
    }

    /**
     * Back-propagates one layer over positions {@code 0..end-1}: on entry {@code ws.dX} holds the
     * gradient of the layer's output at every position, on exit the gradient of its input.
     */
    private void layerBackward(Workspace ws, int li, int end, double[][] grad) {
        final int d = nEmbd;
        final int f = hidden;
        final double[][] wt = w;
        final int lr = ws.rowOf(li, 0);
        double[][] dX = ws.dX;
        double[][] dX1 = ws.dX1;
        // out = fc2(relu(fc1(rmsnorm(x1)))) + x1
        for (int t = 0; t < end; t++) {
            System.arraycopy(dX[t], 0, dX1[t], 0, d);
            java.util.Arrays.fill(ws.dH[t], 0.0);
        }
        Kernels.matmulBackInput(wt, rowFc2[li], d, f, dX, 0, ws.dH, 0, end);
        Kernels.matmulBackWeights(grad, rowFc2[li], d, f, dX, 0, ws.hr, lr, end);
        for (int t = 0; t < end; t++) {
            double[] dh = ws.dH[t];
            double[] h = ws.hpre[lr + t];
            for (int i = 0; i < f; i++) {
                dh[i] = h[i] > 0 ? dh[i] : 0.0;
            }
            java.util.Arrays.fill(ws.dB[t], 0.0);
        }
        Kernels.matmulBackInput(wt, rowFc1[li], f, d, ws.dH, 0, ws.dB, 0, end);
        Kernels.matmulBackWeights(grad, rowFc1[li], f, d, ws.dH, 0, ws.b, lr, end);
        for (int t = 0; t < end; t++) {
            rmsnormBackward(ws.x1[lr + t], ws.scaleB[lr + t], ws.dB[t], dX1[t]);
        }
        // x1 = wo(attention(...)) + xin
        double[][] dIn = ws.dIn;
        for (int t = 0; t < end; t++) {
            System.arraycopy(dX1[t], 0, dIn[t], 0, d);
            java.util.Arrays.fill(ws.dY[t], 0.0);
            java.util.Arrays.fill(ws.dQkv[t], 0.0);
        }
        Kernels.matmulBackInput(wt, rowWo[li], d, d, dX1, 0, ws.dY, 0, end);
        Kernels.matmulBackWeights(grad, rowWo[li], d, d, dX1, 0, ws.y, lr, end);
        for (int t = end - 1; t >= 0; t--) {
            attentionBackward(ws, li, t, lr + t);
        }
        // [q k v] = [wq; wk; wv] a with a = rmsnorm(xin)
        double[][] dA = ws.dB;
        for (int t = 0; t < end; t++) {
            java.util.Arrays.fill(dA[t], 0.0);
        }
        Kernels.matmulBackInput(wt, rowWqkv[li], 3 * d, d, ws.dQkv, 0, dA, 0, end);
        Kernels.matmulBackWeights(grad, rowWqkv[li], 3 * d, d, ws.dQkv, 0, ws.a, lr, end);
        for (int t = 0; t < end; t++) {
            rmsnormBackward(ws.xin[lr + t], ws.scaleA[lr + t], dA[t], dIn[t]);
        }
        // The gradient of this layer's input is the gradient of the output of the layer below.
        ws.dX = dIn;
        ws.dIn = dX;
    }

    /**
     * Attention at position {@code t}, backwards: from {@code ws.dY[t]} (the gradient of the
     * heads' outputs) to the gradients of its query and of the keys and values of positions
     * {@code 0..t} (in {@code ws.dQkv}). With {@code y = sum_s a_s v_s}, {@code a = softmax(z)}
     * and {@code z_s = c q.k_s}: {@code da_s = dy.v_s}, {@code dv_s += a_s dy},
     * {@code dz_s = a_s (da_s - sum_r a_r da_r)}, {@code dq += c dz_s k_s},
     * {@code dk_s += c dz_s q}.
     */
    private void attentionBackward(Workspace ws, int li, int t, int lr) {
        final int d = nEmbd;
        final int hd = headDim;
        final int kv = li * blockSize;
        final double[] q = ws.qkv[kv + t];
        final double[] dY = ws.dY[t];
        final double[] dQ = ws.dQkv[t];
        final double[] dA = ws.dAtt;
        final double[] att = ws.att;
        for (int h = 0; h < nHead; h++) {
            int hs = h * hd;
            int ao = (lr * nHead + h) * blockSize;
            double weighted = 0.0;
            for (int s = 0; s <= t; s++) {
                double[] v = ws.qkv[kv + s];
                double[] dV = ws.dQkv[s];
                double a = att[ao + s];
                double da = 0.0;
                for (int j = 0; j < hd; j++) {
                    double dy = dY[hs + j];
                    da += dy * v[2 * d + hs + j];
                    dV[2 * d + hs + j] += a * dy;
                }
                dA[s] = da;
                weighted += a * da;
            }
            for (int s = 0; s <= t; s++) {
                double dz = att[ao + s] * (dA[s] - weighted) * attnScale;
                double[] k = ws.qkv[kv + s];
                double[] dK = ws.dQkv[s];
                for (int j = 0; j < hd; j++) {
                    dQ[hs + j] += dz * k[d + hs + j];
                    dK[d + hs + j] += dz * q[hs + j];
                }
            }
        }
    }

    /**
     * RMSNorm backwards: with {@code y = s x}, {@code s = (mean(x^2) + eps)^-1/2},
     * {@code dx_i += s dy_i - (s^3 / n) x_i sum_j dy_j x_j}.
     */
    private void rmsnormBackward(double[] x, double scale, double[] dy, double[] dx) {
        double dot = 0.0;
        for (int i = 0; i < nEmbd; i++) {
            dot += dy[i] * x[i];
        }
        double coefficient = -dot * scale * scale * scale * invEmbd;
        for (int i = 0; i < nEmbd; i++) {
            dx[i] += scale * dy[i] + coefficient * x[i];
        }
    }

    // ------------------------------------------------------------------------------ generation

    @Override
    public Sequence newSequence() {
        Workspace ws = new Workspace(this, false);
        int[] read = new int[blockSize];
        return new Sequence() {
            private int length;

            @Override
            public int length() {
                return length;
            }

            @Override
            public double[] next(int tokenId) {
                ModelChecks.token(tokenId, vocabSize, "the token");
                ModelChecks.position(length, blockSize);
                read[length] = tokenId;
                forward(ws, read, length, length + 1);
                length++;
                return ws.logits[0].clone();
            }
        };
    }

    // ----------------------------------------------------------------------------- workspaces

    /**
     * Every activation of a forward pass and the scratch of the backward pass, allocated once,
     * one row per position (and per layer).
     *
     * <p>A training workspace keeps the activations of every position ({@code rows = blockSize}),
     * because the backward pass needs them all. A generation workspace keeps one row, reused at
     * each position; only the queries, keys and values are kept for every position, as in any KV
     * cache. Per-layer activations are laid out {@code [layer * rows + row]}.
     */
    static final class Workspace {
        final ArrayGptModel model;
        final int rows;
        final double[][] emb;
        final double[] scaleEmb;
        final double[][] xin;
        final double[][] a;
        final double[] scaleA;
        /** Each position's query, key and value side by side, for every position: the KV cache. */
        final double[][] qkv;
        /** The attention weights, {@code [layer * rows + row][head][position]}, flat. */
        final double[] att;
        final double[][] y;
        final double[][] x1;
        final double[][] b;
        final double[] scaleB;
        final double[][] hpre;
        final double[][] hr;
        final double[][] xout;
        /** The logits of each row; turned into probabilities in place by the training pass. */
        final double[][] logits;
        final double[] losses;
        double[][] dX;
        double[][] dX1;
        double[][] dIn;
        double[][] dH;
        double[][] dB;
        double[][] dY;
        double[][] dQkv;
        double[] dAtt;
        double[][] dLogits;

        Workspace(ArrayGptModel m, boolean training) {
            this.model = m;
            this.rows = training ? m.blockSize : 1;
            int d = m.nEmbd;
            int layerRows = m.nLayer * rows;
            emb = rows(rows, d);
            scaleEmb = new double[rows];
            xin = rows(layerRows, d);
            a = rows(layerRows, d);
            scaleA = new double[layerRows];
            qkv = rows(m.nLayer * m.blockSize, 3 * d);
            att = new double[layerRows * m.nHead * m.blockSize];
            y = rows(layerRows, d);
            x1 = rows(layerRows, d);
            b = rows(layerRows, d);
            scaleB = new double[layerRows];
            hpre = rows(layerRows, m.hidden);
            hr = rows(layerRows, m.hidden);
            xout = rows(rows, d);
            logits = rows(rows, m.vocabSize);
            losses = new double[rows];
        }

        /**
         * {@code count} arrays of {@code length} doubles. A loop of one-dimensional allocations,
         * which the JIT compiles inline, is several times faster than {@code new double[a][b]},
         * which calls into the runtime; it matters because every generated sample makes a
         * workspace.
         */
        static double[][] rows(int count, int length) {
            double[][] rows = new double[count][];
            for (int i = 0; i < count; i++) {
                rows[i] = new double[length];
            }
            return rows;
        }

        /** The row that holds position {@code t}'s activations. */
        int row(int t) {
            return rows == 1 ? 0 : t;
        }

        /** The index of row {@code r} of layer {@code li} in the per-layer arrays. */
        int rowOf(int li, int r) {
            return li * rows + r;
        }

        void ensureBackward() {
            if (dX != null) {
                return;
            }
            ArrayGptModel m = model;
            int d = m.nEmbd;
            int t = m.blockSize;
            dX = rows(t, d);
            dX1 = rows(t, d);
            dIn = rows(t, d);
            dH = rows(t, m.hidden);
            dB = rows(t, d);
            dY = rows(t, d);
            dQkv = rows(t, 3 * d);
            dAtt = new double[t];
            dLogits = rows(t, m.vocabSize);
        }
    }
}
