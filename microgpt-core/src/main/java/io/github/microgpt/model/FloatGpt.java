package io.github.microgpt.model;

import io.github.microgpt.internal.ModelChecks;
import java.util.List;

/**
 * The single-precision engine behind an {@link ArrayGptModel} created in {@link Precision#F32}:
 * the weights, their gradients, the activations and the activations' gradients all in
 * {@code float} rows, computed by {@link FloatKernels}. It reads as {@link ArrayGptModel}'s own
 * passes do ({@code forward} like {@code microgpt.py}'s {@code gpt()}, {@code backwardDocument}
 * the same operations in reverse); the model hands its calls over to it and converts at the
 * edges, where {@link LanguageModel} speaks in doubles (logits, probabilities, losses).
 */
final class FloatGpt {

    private final ArrayGptModel model;
    private final GptConfig config;
    private final int vocabSize;
    private final int nLayer;
    private final int nHead;
    private final FloatParameters parameters;
    /** The weights by name: views of {@link #parameters}' rows. */
    private final FloatWeightRows weights;
    /** The weights' gradients by name. */
    private final FloatWeightRows grads;
    /** {@code headDim^-0.5}, the scale of the attention logits. */
    private final float attnScale;
    private FloatWorkspace trainingWorkspace;
    /** One document's gradient in a batch, then the batch's sum: allocated by the first batch. */
    private float[][] documentGrad;
    private float[][] batchSum;

    FloatGpt(ArrayGptModel model, double[] initialWeights) {
        this.model = model;
        this.config = model.config;
        this.vocabSize = model.vocabSize;
        this.nLayer = config.nLayer();
        this.nHead = config.nHead();
        this.parameters = new FloatParameters(ParameterLayout.gpt(config, vocabSize));
        parameters.setValues(initialWeights);
        this.weights = FloatWeightRows.of(parameters, parameters.valueRows(), nLayer);
        this.grads = FloatWeightRows.of(parameters, parameters.gradRows(), nLayer);
        this.attnScale = (float) (1.0 / Math.sqrt(config.headDim()));
    }

    FloatParameters parameters() {
        return parameters;
    }

    // -------------------------------------------------------------------------------- training

    double lossAndGradients(int[] tokens, int first, int end, Predictions predictions, Workers team) {
        FloatWorkspace ws = trainingWorkspace();
        double loss = forwardDocument(ws, tokens, first, end, team);
        if (predictions != null) {
            keepPredictions(predictions, ws, first, end);
        }
        backwardDocument(ws, tokens, first, end, grads, team);
        return loss;
    }

    /**
     * {@link LanguageModel#batchLossAndGradients}'s definition in single precision: each
     * document's gradient from zero into one buffer, summed into another in document order, the
     * sum divided by the number of documents and added to the gradients. The documents run one
     * after another, each on the team of {@link ArrayGptModel#setThreads}, so the result does not
     * depend on any number of threads.
     */
    double batchLossAndGradients(List<int[]> documents, int[] ends, List<Predictions> predictions, Workers team) {
        FloatWorkspace ws = trainingWorkspace();
        if (documentGrad == null) {
            documentGrad = parameters.newRows();
            batchSum = parameters.newRows();
        }
        FloatWeightRows documentRows = FloatWeightRows.of(parameters, documentGrad, nLayer);
        zero(batchSum);
        double totalLoss = 0.0;
        for (int b = 0; b < documents.size(); b++) {
            int[] doc = documents.get(b);
            int end = ends[b];
            zero(documentGrad);
            totalLoss += forwardDocument(ws, doc, 0, end, team);
            if (predictions != null) {
                keepPredictions(predictions.get(b), ws, 0, end);
            }
            backwardDocument(ws, doc, 0, end, documentRows, team);
            for (int r = 0; r < batchSum.length; r++) {
                FloatKernels.addInto(batchSum[r], documentGrad[r]);
            }
        }
        float inverse = (float) (1.0 / documents.size());
        float[][] g = parameters.gradRows();
        for (int r = 0; r < g.length; r++) {
            float[] gr = g[r];
            float[] sum = batchSum[r];
            for (int i = 0; i < gr.length; i++) {
                gr[i] = Math.fma(sum[i], inverse, gr[i]);
            }
        }
        return totalLoss / documents.size();
    }

    /** Fills {@code predictions} with the positions {@code [first, end)} of the workspace, widened to doubles. */
    private static void keepPredictions(Predictions predictions, FloatWorkspace ws, int first, int end) {
        predictions.clear();
        for (int t = first; t < end; t++) {
            predictions.add(t, widen(ws.probs[t]), ws.losses[t]);
        }
    }

    private FloatWorkspace trainingWorkspace() {
        if (trainingWorkspace == null) {
            trainingWorkspace = new FloatWorkspace(config, vocabSize);
        }
        return trainingWorkspace;
    }

    private double forwardDocument(FloatWorkspace ws, int[] tokens, int first, int end, Workers team) {
        forward(ws, tokens, 0, end, team);
        return FloatKernels.crossEntropyForward(ws.probs, ws.losses, ws.logits, tokens, first, end);
    }

    // ---------------------------------------------------------------------------- the forward pass

    /** Reads positions {@code [from, to)}, leaving their logits in {@code ws.logits}; see {@link ArrayGptModel}. */
    private void forward(FloatWorkspace ws, int[] tokens, int from, int to, Workers team) {
        FloatWeightRows w = weights;
        FloatKernels.embeddingForward(ws.encoded, tokens, w.wte, w.wpe, from, to);
        FloatKernels.rmsnormForward(ws.residual[0], ws.encodedScale, ws.encoded, from, to);
        for (int l = 0; l < nLayer; l++) {
            FloatWeightRows.Layer lw = w.layers[l];
            // 1) multi-head attention
            FloatKernels.rmsnormForward(ws.attnNormed[l], ws.attnNormScale[l], ws.residual[l], from, to);
            FloatKernels.matmulForward(ws.qkv[l], ws.attnNormed[l], lw.attnQkv, from, to,
                    ws.weightsT(), team);
            keepKeysTransposed(ws.keysT[l], ws.qkv[l], from, to);
            FloatKernels.attentionForward(ws.attnOut[l], ws.attnWeights[l], ws.qkv[l], ws.keysT[l], nHead,
                    attnScale, from, to, team);
            if (!model.attentionListeners.isEmpty()) {
                reportAttention(l, ws.attnWeights[l], from, to);
            }
            FloatKernels.matmulForward(ws.attnProj[l], ws.attnOut[l], lw.attnWo, from, to,
                    ws.weightsT(), team);
            FloatKernels.residualForward(ws.afterAttn[l], ws.attnProj[l], ws.residual[l], from, to);
            // 2) MLP
            FloatKernels.rmsnormForward(ws.mlpNormed[l], ws.mlpNormScale[l], ws.afterAttn[l], from, to);
            FloatKernels.matmulForward(ws.mlpHidden[l], ws.mlpNormed[l], lw.mlpFc1, from, to,
                    ws.weightsT(), team);
            FloatKernels.reluForward(ws.mlpActive[l], ws.mlpHidden[l], from, to);
            FloatKernels.matmulForward(ws.mlpProj[l], ws.mlpActive[l], lw.mlpFc2, from, to,
                    ws.weightsT(), team);
            FloatKernels.residualForward(ws.residual[l + 1], ws.mlpProj[l], ws.afterAttn[l], from, to);
        }
        FloatKernels.matmulForward(ws.logits, ws.residual[nLayer], w.lmHead, from, to,
                ws.weightsT(), team);
    }

    /** Tells the model's listeners the attention weights of layer {@code l}, widened to doubles. */
    private void reportAttention(int l, float[][][] attnWeights, int from, int to) {
        for (int t = from; t < to; t++) {
            for (int h = 0; h < nHead; h++) {
                double[] row = new double[t + 1];
                float[] a = attnWeights[t][h];
                for (int s = 0; s <= t; s++) {
                    row[s] = a[s];
                }
                AttentionEvent event = new AttentionEvent(l, h, t, row);
                model.attentionListeners.forEach(listener -> listener.onAttention(event));
            }
        }
    }

    /** {@code keysT[c][t] = qkv[t][C + c]}: the new positions' keys, into the transposed cache. */
    private static void keepKeysTransposed(float[][] keysT, float[][] qkv, int from, int to) {
        int c = keysT.length;
        for (int t = from; t < to; t++) {
            float[] row = qkv[t];
            for (int i = 0; i < c; i++) {
                keysT[i][t] = row[c + i];
            }
        }
    }

    // --------------------------------------------------------------------------- the backward pass

    /** Adds to {@code g} the gradient of the mean loss over {@code [first, end)}: the forward pass in reverse. */
    private void backwardDocument(FloatWorkspace ws, int[] tokens, int first, int end, FloatWeightRows g,
                                  Workers team) {
        ws.ensureGradients();
        ws.zeroGradients(end);
        FloatWeightRows w = weights;
        FloatKernels.crossEntropyBackward(ws.dLogits, ws.probs, tokens, first, end);
        FloatKernels.matmulBackward(ws.dResidual[nLayer], g.lmHead, ws.dLogits, ws.residual[nLayer], w.lmHead,
                first, end, team);
        for (int l = nLayer - 1; l >= 0; l--) {
            FloatWeightRows.Layer lw = w.layers[l];
            FloatWeightRows.Layer lg = g.layers[l];
            // 2) MLP
            FloatKernels.residualBackward(ws.dMlpProj[l], ws.dAfterAttn[l], ws.dResidual[l + 1], 0, end);
            FloatKernels.matmulBackward(ws.dMlpActive[l], lg.mlpFc2, ws.dMlpProj[l], ws.mlpActive[l], lw.mlpFc2,
                    0, end, team);
            FloatKernels.reluBackward(ws.dMlpHidden[l], ws.dMlpActive[l], ws.mlpHidden[l], 0, end);
            FloatKernels.matmulBackward(ws.dMlpNormed[l], lg.mlpFc1, ws.dMlpHidden[l], ws.mlpNormed[l], lw.mlpFc1,
                    0, end, team);
            FloatKernels.rmsnormBackward(ws.dAfterAttn[l], ws.dMlpNormed[l], ws.afterAttn[l], ws.mlpNormScale[l],
                    0, end);
            // 1) multi-head attention
            FloatKernels.residualBackward(ws.dAttnProj[l], ws.dResidual[l], ws.dAfterAttn[l], 0, end);
            FloatKernels.matmulBackward(ws.dAttnOut[l], lg.attnWo, ws.dAttnProj[l], ws.attnOut[l], lw.attnWo,
                    0, end, team);
            FloatKernels.attentionBackward(ws.dQkv[l], ws.dAttnOut[l], ws.qkv[l], ws.attnWeights[l], ws.valuesT,
                    ws.dAttnWeights, nHead, attnScale, 0, end, team);
            FloatKernels.matmulBackward(ws.dAttnNormed[l], lg.attnQkv, ws.dQkv[l], ws.attnNormed[l], lw.attnQkv,
                    0, end, team);
            FloatKernels.rmsnormBackward(ws.dResidual[l], ws.dAttnNormed[l], ws.residual[l], ws.attnNormScale[l],
                    0, end);
        }
        FloatKernels.rmsnormBackward(ws.dEncoded, ws.dResidual[0], ws.encoded, ws.encodedScale, 0, end);
        FloatKernels.embeddingBackward(g.wte, g.wpe, ws.dEncoded, tokens, 0, end);
    }

    // ------------------------------------------------------------------------------ generation

    /** A sequence with its own workspace (its key-value cache), on the calling thread. */
    LanguageModel.Sequence newSequence() {
        FloatWorkspace ws = new FloatWorkspace(config, vocabSize);
        int blockSize = config.blockSize();
        int[] read = new int[blockSize];
        return new LanguageModel.Sequence() {
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
                forward(ws, read, length, length + 1, ArrayGptModel.SINGLE_THREAD);
                length++;
                return widen(ws.logits[length - 1]);
            }
        };
    }

    // ------------------------------------------------------------------------------ helpers

    /** A new array of doubles with the values of {@code row}, each converted exactly. */
    private static double[] widen(float[] row) {
        double[] wide = new double[row.length];
        for (int i = 0; i < row.length; i++) {
            wide[i] = row[i];
        }
        return wide;
    }

    private static void zero(float[][] rows) {
        for (float[] row : rows) {
            java.util.Arrays.fill(row, 0f);
        }
    }
}
