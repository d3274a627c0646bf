package io.github.microgpt.model;

import java.util.Arrays;

/**
 * Every buffer of {@link ArrayGptModel}'s forward and backward passes, allocated once and owned
 * here: {@code llm.c}'s {@code ActivationTensors} (the activations), its {@code grads_acts} (their
 * gradients, the fields named {@code d...}) and the kernels' scratch. Each field holds one thing
 * under one name (an operation that writes its output over its input, as the residual sums and
 * the ReLU do, gives both fields the same arrays, see {@link #attnProj}), with its shape:
 * {@code T} is the block size (one row per position), {@code C} the embedding width, {@code NH}
 * the number of heads, {@code V} the vocabulary, {@code [L]} one per layer.
 *
 * <p>A workspace serves one sequence at a time: a training step (positions {@code 0 .. end-1})
 * or a generated sequence (one position per call; the earlier positions' {@link #qkv} and
 * {@link #keysT} are its key-value cache). The gradients are allocated only for training.
 *
 * <p>A generation workspace ({@link #forGeneration}) keeps every position only in the key-value
 * cache. Each other activation has a single row, shared by all the positions (row {@code t} is
 * the same array for every {@code t}): one position is computed per call, and no later call
 * reads an earlier position's activations. A sample thus allocates about a sixth of a training
 * workspace, which matters because every sample makes one.
 */
final class Workspace {

    // ------------------------------------------------------------------ forward activations

    /** (T, C) {@code wte[token] + wpe[t]}. */
    final double[][] encoded;
    /** (T) the RMSNorm scale of {@link #encoded}. */
    final double[] encodedScale;
    /**
     * [L + 1](T, C) the residual stream: {@code residual[0] = rmsnorm(encoded)}, the input of
     * layer 0; {@code residual[l + 1]} the output of layer {@code l}; {@code residual[L]} goes
     * to {@code lm_head}. From layer 1 on, the arrays of {@link #mlpProj} of the layer before.
     */
    final double[][][] residual;
    /** [L](T, C) {@code rmsnorm(residual[l])}, the attention's input. */
    final double[][][] attnNormed;
    /** [L](T) the RMSNorm scales of {@link #attnNormed}. */
    final double[][] attnNormScale;
    /** [L](T, 3C) each position's query, key and value side by side: with {@link #keysT}, the KV cache. */
    final double[][][] qkv;
    /** [L](C, T) the keys again, transposed, so that one query meets all keys in one SIMD loop. */
    final double[][][] keysT;
    /** [L](T, NH, T) the attention weights of each position and head over the positions. */
    final double[][][][] attnWeights;
    /** [L](T, C) the heads' outputs side by side. */
    final double[][][] attnOut;
    /**
     * [L](T, C) {@code attn_wo attnOut}, which the residual sum then overwrites with
     * {@link #afterAttn}: the same arrays. Nothing reads the product again (the backward pass
     * needs only the sum), so the sum is taken in place, as in single precision
     * ({@code FloatWorkspace}): an array of its own is one more (T, C) a layer that the step
     * writes and reads back, and the rows written by positions had been read by both cores (row
     * by row in the next product) in the step before, so every line written first had to be
     * taken back from the other core. Measured at {@code nEmbd} 256, 4 layers, 64 positions
     * (core loops, these sums and the ReLU's in place or not, switched every 3 steps in one
     * JVM, medians of 50 rounds): the three element-wise stages of the forward pass took 0.30
     * ms of a two-thread step instead of 0.39, the backward's ReLU 0.14 instead of 0.17; the
     * two-thread step 0.987 of the time, the one-thread step 1.001.
     */
    final double[][][] attnProj;
    /** [L](T, C) {@code attnProj + residual[l]}: the stream after the attention block, in {@link #attnProj}'s arrays. */
    final double[][][] afterAttn;
    /** [L](T, C) {@code rmsnorm(afterAttn)}, the MLP's input. */
    final double[][][] mlpNormed;
    /** [L](T) the RMSNorm scales of {@link #mlpNormed}. */
    final double[][] mlpNormScale;
    /**
     * [L](T, 4C) {@code mlp_fc1 mlpNormed}, before the ReLU, which overwrites it with
     * {@link #mlpActive}: the same arrays. The backward pass reads only the ReLU's output, whose
     * positive elements are exactly the input's ({@code relu(x) > 0} just when {@code x > 0}), so
     * the input need not be kept (see {@link #attnProj} why an array of its own costs).
     */
    final double[][][] mlpHidden;
    /** [L](T, 4C) {@code relu(mlpHidden)}, in {@link #mlpHidden}'s arrays. */
    final double[][][] mlpActive;
    /**
     * [L](T, C) {@code mlp_fc2 mlpActive}; plus {@link #afterAttn} it is {@code residual[l + 1]},
     * which the residual sum writes over it: {@code mlpProj[l]} and {@code residual[l + 1]} are
     * the same arrays (see {@link #attnProj} why).
     */
    final double[][][] mlpProj;
    /** (T, V) {@code lm_head residual[L]}. */
    final double[][] logits;
    /** (T, V) {@code softmax(logits)}. */
    final double[][] probs;
    /** (T) {@code -log probs[t][tokens[t + 1]]}. */
    final double[] losses;

    // ------------------------------------------------- gradients of the activations (training)

    /** (T, C) */
    double[][] dEncoded;
    /**
     * (T, C) the gradient of the residual stream, one buffer for every layer: the gradient of a
     * residual sum {@code a + b} is its output's for both terms, so the backward pass adds each
     * block's part to these rows in place, from the top layer down.
     */
    double[][] dStream;
    /** [L](T, C) */
    double[][][] dAttnNormed;
    /** [L](T, 3C) */
    double[][][] dQkv;
    /** [L](T, C) */
    double[][][] dAttnOut;
    /** [L](T, C) */
    double[][][] dMlpNormed;
    /** [L](T, 4C) the ReLU's input gradient, written over its output gradient: {@link #dMlpActive}'s arrays. */
    double[][][] dMlpHidden;
    /** [L](T, 4C) */
    double[][][] dMlpActive;
    /** (T, V) */
    double[][] dLogits;

    // ------------------------------------------------------------------------------ scratch

    /**
     * (4C, max(4C, V)) a weight matrix, transposed (see {@link Kernels#matmulForward}); allocated
     * by {@link #weightsT()} when first needed, so generation one position at a time never does.
     */
    private double[][] weightsT;
    /** (C, T) the values of one layer, transposed, for the attention's backward pass. */
    double[][] valuesT;
    /**
     * (T) the gradient of one position's attention weights in one head, the scratch of
     * {@code SmallAttention.backward} (heads of four channels; other heads keep theirs in
     * {@link #attentionRows}). It had been three rows a head, (3 NH, max(T + hd, T hd)), for
     * kernels that no longer read them: 390 KB at {@code nEmbd} 256, 8 heads, block 64.
     */
    double[] dAttnWeights;
    /** Each thread's rows of one head for the attention (see {@code Kernels.attentionBackward}). */
    final Kernels.AttentionRows attentionRows = new Kernels.AttentionRows();

    /** Each thread's block of transposed weights (see {@code Kernels.matmulForward}). */
    final Kernels.TransposeBlocks transposeBlocks = new Kernels.TransposeBlocks();

    /** Whether each activation but the key-value cache has one row shared by every position. */
    private final boolean generation;
    private final int nLayer;
    private final int blockSize;
    private final int c;
    private final int hidden;
    private final int vocabSize;
    private final int nHead;

    /** A workspace for training: every activation of every position, as the backward pass needs. */
    Workspace(GptConfig config, int vocabSize) {
        this(config, vocabSize, false);
    }

    /**
     * A workspace for one generated sequence: the key-value cache for every position, one shared
     * row for each other activation (see the class comment). Never given to a backward pass.
     */
    static Workspace forGeneration(GptConfig config, int vocabSize) {
        return new Workspace(config, vocabSize, true);
    }

    private Workspace(GptConfig config, int vocabSize, boolean generation) {
        this.generation = generation;
        this.nLayer = config.nLayer();
        this.blockSize = config.blockSize();
        this.c = config.nEmbd();
        this.hidden = 4 * c;
        this.vocabSize = vocabSize;
        this.nHead = config.nHead();
        int l = nLayer;
        int t = blockSize;
        encoded = activation(t, c);
        encodedScale = new double[t];
        residual = activationPerLayer(l + 1, t, c);
        attnNormed = activationPerLayer(l, t, c);
        attnNormScale = new double[l][t];
        qkv = perLayer(l, t, 3 * c);
        keysT = perLayer(l, c, t);
        attnWeights = new double[l][t][][];
        for (int i = 0; i < l; i++) {
            for (int p = 0; p < t; p++) {
                attnWeights[i][p] = generation && p > 0 ? attnWeights[i][0] : rows(nHead, t);
            }
        }
        attnOut = activationPerLayer(l, t, c);
        attnProj = activationPerLayer(l, t, c);
        // The residual sums and the ReLU are taken in place (see attnProj): the same rows, same bits.
        afterAttn = attnProj;
        mlpNormed = activationPerLayer(l, t, c);
        mlpNormScale = new double[l][t];
        mlpHidden = activationPerLayer(l, t, hidden);
        mlpActive = mlpHidden;
        mlpProj = new double[l][][];
        for (int i = 0; i < l; i++) {
            mlpProj[i] = residual[i + 1];
        }
        logits = activation(t, vocabSize);
        probs = activation(t, vocabSize);
        losses = new double[t];
    }

    /** The scratch for a transposed weight matrix, allocated the first time. */
    double[][] weightsT() {
        if (weightsT == null) {
            weightsT = rows(hidden, Math.max(hidden, vocabSize));
        }
        return weightsT;
    }

    /** Allocates the gradients of the activations, the first time a backward pass needs them. */
    void ensureGradients() {
        if (generation) {
            throw new IllegalStateException("a generation workspace keeps one position's activations: no backward pass");
        }
        if (dEncoded != null) {
            return;
        }
        int l = nLayer;
        int t = blockSize;
        dEncoded = rows(t, c);
        dStream = rows(t, c);
        dAttnNormed = perLayer(l, t, c);
        dQkv = perLayer(l, t, 3 * c);
        dAttnOut = perLayer(l, t, c);
        dMlpNormed = perLayer(l, t, c);
        dMlpHidden = perLayer(l, t, hidden);
        dMlpActive = dMlpHidden;
        dLogits = rows(t, vocabSize);
        valuesT = rows(c, t);
        dAttnWeights = new double[t];
    }

    /**
     * {@code count} arrays of {@code length} doubles. A loop of one-dimensional allocations,
     * which the JIT compiles inline, is several times faster than {@code new double[a][b]},
     * which calls into the runtime.
     */
    static double[][] rows(int count, int length) {
        double[][] rows = new double[count][];
        for (int i = 0; i < count; i++) {
            rows[i] = new double[length];
        }
        return rows;
    }

    /**
     * An activation of {@code count} positions: a row per position, or, in a generation
     * workspace, one row that stands for every position.
     */
    private double[][] activation(int count, int length) {
        if (!generation) {
            return rows(count, length);
        }
        double[] row = new double[length];
        double[][] rows = new double[count][];
        Arrays.fill(rows, row);
        return rows;
    }

    private double[][][] activationPerLayer(int layers, int count, int length) {
        double[][][] buffers = new double[layers][][];
        for (int i = 0; i < layers; i++) {
            buffers[i] = activation(count, length);
        }
        return buffers;
    }

    private static double[][][] perLayer(int layers, int count, int length) {
        double[][][] buffers = new double[layers][][];
        for (int i = 0; i < layers; i++) {
            buffers[i] = rows(count, length);
        }
        return buffers;
    }
}
