package io.github.microgpt.model;


/**
 * Every buffer of the forward and backward passes of an {@link ArrayGptModel} in
 * {@link Precision#F32}, allocated once and owned here: {@link Workspace} field for field, in
 * {@code float}s ({@code llm.c}'s {@code ActivationTensors} and {@code grads_acts}). Each field
 * holds one thing under one name, with its shape: {@code T} is the block size (one row per
 * position), {@code C} the embedding width, {@code NH} the number of heads, {@code V} the
 * vocabulary, {@code [L]} one per layer.
 *
 * <p>A workspace serves one sequence at a time: a training step (positions {@code 0 .. end-1})
 * or a generated sequence (one position per call; the earlier positions' {@link #qkv} and
 * {@link #keysT} are its key-value cache). The gradients are allocated only for training.
 */
final class FloatWorkspace {

    // ------------------------------------------------------------------ forward activations

    /** (T, C) {@code wte[token] + wpe[t]}. */
    final float[][] encoded;
    /** (T) the RMSNorm scale of {@link #encoded}. */
    final float[] encodedScale;
    /**
     * [L + 1](T, C) the residual stream: {@code residual[0] = rmsnorm(encoded)}, the input of
     * layer 0; {@code residual[l + 1]} the output of layer {@code l}; {@code residual[L]} goes
     * to {@code lm_head}. From layer 1 on, the arrays of {@link #mlpProj} of the layer before.
     */
    final float[][][] residual;
    /** [L](T, C) {@code rmsnorm(residual[l])}, the attention's input. */
    final float[][][] attnNormed;
    /** [L](T) the RMSNorm scales of {@link #attnNormed}. */
    final float[][] attnNormScale;
    /** [L](T, 3C) each position's query, key and value side by side: with {@link #keysT}, the KV cache. */
    final float[][][] qkv;
    /** [L](C, T) the keys again, transposed, so that one query meets all keys in one SIMD loop. */
    final float[][][] keysT;
    /** [L](T, NH, T) the attention weights of each position and head over the positions. */
    final float[][][][] attnWeights;
    /** [L](T, C) the heads' outputs side by side. */
    final float[][][] attnOut;
    /**
     * [L](T, C) {@code attn_wo attnOut}, which the residual sum then overwrites with
     * {@link #afterAttn}: the same arrays. Nothing reads the product again (the backward pass
     * needs only the sum), so the sum is taken in place: an array of its own, written by
     * positions, had been read by both cores in the step before, so every line written first had
     * to come back from the other core (as the ReLU's output did, see {@code FloatGpt.reluStage}).
     * Measured at {@code nEmbd} 256, 4 layers, 64 positions on two threads (core loops, one JVM,
     * one model, the separate and the shared arrays alternated every 3 steps, medians of 16
     * rounds): the two stages that take the sums, 65 and 58 microseconds a step before, 57 and 48.
     */
    final float[][][] attnProj;
    /**
     * [L](T, C) {@code attnProj + residual[l]}: the stream after the attention block, in
     * {@link #attnProj}'s arrays.
     */
    final float[][][] afterAttn;
    /** [L](T, C) {@code rmsnorm(afterAttn)}, the MLP's input. */
    final float[][][] mlpNormed;
    /** [L](T) the RMSNorm scales of {@link #mlpNormed}. */
    final float[][] mlpNormScale;
    /**
     * [L](T, 4C) {@code mlp_fc1 mlpNormed}, before the ReLU, which then overwrites it with
     * {@link #mlpActive}: the same arrays (see {@code FloatGpt.reluStage}).
     */
    final float[][][] mlpHidden;
    /**
     * [L](T, 4C) {@code relu(mlpHidden)}, in {@link #mlpHidden}'s arrays. The ReLU's gradient needs
     * only the sign of its input, which its output tells as well ({@code relu(x) > 0} exactly
     * where {@code x > 0}, and a NaN stays the same NaN).
     */
    final float[][][] mlpActive;
    /**
     * [L](T, C) {@code mlp_fc2 mlpActive}; plus {@link #afterAttn} it is {@code residual[l + 1]},
     * which the residual sum writes over it: {@code mlpProj[l]} and {@code residual[l + 1]} are
     * the same arrays (see {@link #attnProj} why).
     */
    final float[][][] mlpProj;
    /** (T, V) {@code lm_head residual[L]}. */
    final float[][] logits;
    /** (T, V) {@code softmax(logits)}. */
    final float[][] probs;
    /** (T) {@code -log probs[t][tokens[t + 1]]}, in double: what the model reports. */
    final double[] losses;

    // ------------------------------------------------- gradients of the activations (training)

    /** (T, C) */
    float[][] dEncoded;
    /**
     * (T, C) the gradient of the residual stream, one buffer for every layer: the gradient of a
     * residual sum {@code a + b} is its output's for both terms, so the backward pass adds each
     * block's part to these rows in place, from the top layer down.
     */
    float[][] dStream;
    /** [L](T, C) */
    float[][][] dAttnNormed;
    /** [L](T, 3C) */
    float[][][] dQkv;
    /** [L](T, C) */
    float[][][] dAttnOut;
    /** [L](T, C) */
    float[][][] dMlpNormed;
    /**
     * [L](T, 4C) the ReLU's input gradient, written over its output gradient: {@link #dMlpActive}'s
     * arrays, as in double precision ({@code Workspace.dMlpHidden}). The ReLU's gradient reads
     * each number of its output gradient once and writes the input's at the same place (see
     * {@code FloatKernels.reluGradient}), so it can work in place; with arrays of its own a step
     * kept 1 MB more at {@code nEmbd} 256, 4 layers, 64 positions, and the stage read from one
     * array and wrote into another. Measured there on the core's loops (one JVM, one model, the
     * two layouts alternated, medians of 30 rounds of 3 steps, a noisy host): the stage took
     * 0.306 ms a step instead of 0.337 on one thread, 0.181 instead of 0.201 on two.
     */
    float[][][] dMlpHidden;
    /** [L](T, 4C) the gradient of the ReLU's output, in {@link #dMlpHidden}'s arrays. */
    float[][][] dMlpActive;
    /** (T, V) */
    float[][] dLogits;

    // ------------------------------------------------------------------------------ scratch

    /**
     * (max(C, 4C), max(3C, 4C, V)) a weight matrix, transposed (see
     * {@link FloatKernels#matmulForward}); allocated by {@link #weightsT()} when first needed, so
     * that a generated sequence, which multiplies one position at a time, does without it.
     */
    private float[][] weightsT;
    /** (T, 4C) the sums of the second half of a backward product's weights (see {@code FloatKernels.matmulBackward}). */
    float[][] secondHalf;
    /** (C, T) the values of one layer, transposed, for the attention's backward pass. */
    float[][] valuesT;
    /**
     * (3 NH, max(T + hd, T hd)) three rows per head: the head's sums of the keys' and the values'
     * gradients, and the gradient of one position's attention weights followed by its query's
     * (see {@code attentionBackward}).
     */
    float[][] dAttnWeights;
    /** Each thread's rows of one head for the attention (see {@code FloatKernels.attentionBackward}). */
    final FloatKernels.AttentionRows attentionRows = new FloatKernels.AttentionRows();
    /** Each thread's block of transposed weights (see {@code FloatKernels.matmulForward}). */
    final FloatKernels.TransposeBlocks transposeBlocks = new FloatKernels.TransposeBlocks();

    private final int nLayer;
    private final int blockSize;
    private final int c;
    private final int hidden;
    private final int vocabSize;
    private final int nHead;

    FloatWorkspace(GptConfig config, int vocabSize) {
        this.nLayer = config.nLayer();
        this.blockSize = config.blockSize();
        this.c = config.nEmbd();
        this.hidden = 4 * c;
        this.vocabSize = vocabSize;
        this.nHead = config.nHead();
        int l = nLayer;
        int t = blockSize;
        encoded = rows(t, c);
        encodedScale = new float[t];
        residual = perLayer(l + 1, t, c);
        attnNormed = perLayer(l, t, c);
        attnNormScale = new float[l][t];
        qkv = perLayer(l, t, 3 * c);
        keysT = perLayer(l, c, t);
        attnWeights = new float[l][t][][];
        for (int i = 0; i < l; i++) {
            for (int p = 0; p < t; p++) {
                attnWeights[i][p] = rows(nHead, t);
            }
        }
        attnOut = perLayer(l, t, c);
        attnProj = perLayer(l, t, c);
        // The residual sums are taken in place (see attnProj): the same rows, same bits.
        afterAttn = attnProj;
        mlpNormed = perLayer(l, t, c);
        mlpNormScale = new float[l][t];
        mlpHidden = perLayer(l, t, hidden);
        mlpActive = mlpHidden;
        mlpProj = new float[l][][];
        for (int i = 0; i < l; i++) {
            mlpProj[i] = residual[i + 1];
        }
        logits = rows(t, vocabSize);
        probs = rows(t, vocabSize);
        losses = new double[t];
    }

    /** The scratch for a transposed weight matrix, allocated the first time. */
    float[][] weightsT() {
        if (weightsT == null) {
            weightsT = rows(hidden, Math.max(hidden, vocabSize));
        }
        return weightsT;
    }

    /** Allocates the gradients of the activations, the first time a backward pass needs them. */
    void ensureGradients() {
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
        secondHalf = rows(t, hidden);
        valuesT = rows(c, t);
        dAttnWeights = rows(3 * nHead, Math.max(t + c / nHead, t * (c / nHead)));
    }

    /**
     * {@code count} arrays of {@code length} doubles. A loop of one-dimensional allocations,
     * which the JIT compiles inline, is several times faster than {@code new float[a][b]},
     * which calls into the runtime.
     */
    private static float[][] rows(int count, int length) {
        float[][] rows = new float[count][];
        for (int i = 0; i < count; i++) {
            rows[i] = new float[length];
        }
        return rows;
    }

    private static float[][][] perLayer(int layers, int count, int length) {
        float[][][] buffers = new float[layers][][];
        for (int i = 0; i < layers; i++) {
            buffers[i] = rows(count, length);
        }
        return buffers;
    }
}
