package io.github.microgpt.model;

import io.github.microgpt.internal.ModelChecks;
import io.github.microgpt.internal.RangeTask;
import java.util.List;
import java.util.function.DoubleSupplier;

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
    /** The weights' gradients by name, made by the first backward pass ({@link #gradients()}). */
    private FloatWeightRows grads;
    /** {@code headDim^-0.5}, the scale of the attention logits. */
    private final float attnScale;
    private FloatWorkspace trainingWorkspace;
    /** One document's gradient in a batch, then the batch's sum: allocated by the first batch. */
    private float[][] documentGrad;
    private float[][] batchSum;
    /** The threads' slices of a weights' gradient in a fused step ({@link FloatKernels#matmulBackwardAndUpdate}). */
    private final FloatKernels.SliceScratch sliceScratch = new FloatKernels.SliceScratch();

    /** The engine of {@code model}, its weights the next numbers of {@code initialWeights}, rounded to floats. */
    FloatGpt(ArrayGptModel model, DoubleSupplier initialWeights) {
        this.model = model;
        this.config = model.config;
        this.vocabSize = model.vocabSize;
        this.nLayer = config.nLayer();
        this.nHead = config.nHead();
        this.parameters = new FloatParameters(ParameterLayout.gpt(config, vocabSize));
        parameters.setValues(initialWeights);
        this.weights = FloatWeightRows.of(parameters, parameters.valueRows(), nLayer);
        this.attnScale = (float) (1.0 / Math.sqrt(config.headDim()));
    }

    /**
     * {@link #grads}, made (with the gradient rows themselves) the first time a step needs them:
     * a model that only samples holds no gradients.
     */
    private FloatWeightRows gradients() {
        if (grads == null) {
            grads = FloatWeightRows.of(parameters, parameters.gradRows(), nLayer);
        }
        return grads;
    }

    FloatParameters parameters() {
        return parameters;
    }

    // -------------------------------------------------------------------------------- training

    double lossAndGradients(int[] tokens, int first, int end, Predictions predictions, Workers team) {
        FloatWorkspace ws = trainingWorkspace();
        double loss = forwardAndLossGradient(ws, tokens, first, end, team);
        if (predictions != null) {
            keepPredictions(predictions, ws, first, end);
        }
        // After the optimizer's update every gradient is +0.0, and the products may start from 0.
        backwardDocument(ws, tokens, first, end, gradients(), team, parameters.takeClearedGradients(), null, null,
                true);
        return loss;
    }

    /**
     * {@link #lossAndGradients} with the optimizer's update inside the backward pass, each
     * matrix's rows as soon as its gradient is complete (see {@link ArrayGptModel}'s method of the
     * same name); nothing is computed past a loss that is not finite.
     */
    double lossGradientsAndUpdate(int[] tokens, int first, int end, RangeTask update, FusedRows at, Workers team) {
        FloatWorkspace ws = trainingWorkspace();
        double loss = forwardAndLossGradient(ws, tokens, first, end, team);
        if (!Double.isFinite(loss)) {
            return loss;
        }
        backwardDocument(ws, tokens, first, end, gradients(), team, parameters.takeClearedGradients(), update, at,
                true);
        // The update set every gradient to +0.0, as Adam after the pass would have.
        parameters.clearedGradients();
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
        parameters.takeClearedGradients();  // the batch's mean is added to the gradients below
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
            // The document's own buffer, just zeroed: every weight gradient in it is +0.0.
            backwardDocument(ws, doc, 0, end, documentRows, team, true);
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
        ArrayGptModel.split(team, first, end, vocabSize,
                (p0, p1) -> FloatKernels.crossEntropyForward(ws.probs, ws.losses, ws.logits, tokens, p0, p1));
        return FloatKernels.meanLoss(ws.losses, first, end);
    }

    /**
     * {@link #forwardDocument} for a training step, with the loss's gradient with respect to the
     * logits (and the zeros of the stream's gradient that the backward pass starts from) computed
     * in the same stage as the softmax with cross-entropy: one loop split by positions, each
     * thread taking the gradient of the positions whose probabilities it has just computed.
     * Each position gets the same operations as in {@link #forwardDocument} and the backward
     * pass's own loss gradient, so the bits do not depend on the number of threads. The stage is
     * shared from the width at which the other stages are ({@code nEmbd} numbers a position),
     * so at the reference size it runs on the calling thread. At {@code nEmbd} 256, 4 layers and
     * 64 positions the softmax and the gradient had run on the calling thread in two loops while
     * the other threads waited; measured over the softmax, the mean loss and the loss's gradient
     * (old and new alternated in one JVM, medians of 23-44 rounds of 3 steps' medians), on
     * two threads: core f64 0.0387 to 0.0321 ms, core f32 0.0689 to 0.0521, module f32 0.0509 to
     * 0.0362, module f64 0.0421 to 0.0423; on one thread 0.0427 to 0.0405, 0.0584 to 0.0540,
     * 0.0464 to 0.0436, 0.0402 to 0.0404.
     */
    private double forwardAndLossGradient(FloatWorkspace ws, int[] tokens, int first, int end, Workers team) {
        forward(ws, tokens, 0, end, team);
        ws.ensureGradients();
        int n = end - first;
        stage(team, ws, tokens, 0, 0, end, config.nEmbd(),
                (gpt, w, tok, l, p0, p1) -> gpt.lossStage(w, tok, first, n, p0, p1));
        return FloatKernels.meanLoss(ws.losses, first, end);
    }

    /**
     * Positions {@code [p0, p1)} of the softmax with cross-entropy (from {@code first} on) and of
     * the loss's gradient ({@code lossGradient}).
     */
    private void lossStage(FloatWorkspace ws, int[] tokens, int first, int n, int p0, int p1) {
        FloatKernels.crossEntropyForward(ws.probs, ws.losses, ws.logits, tokens, Math.max(first, p0), p1);
        lossGradient(ws, tokens, first, n, p0, p1);
    }

    /**
     * The element-wise operations between two matrix products over positions {@code [p0, p1)}
     * of layer {@code l}: a stage, split over the team by positions (see {@link ArrayGptModel}).
     */
    @FunctionalInterface
    private interface Stage {
        void run(FloatGpt gpt, FloatWorkspace ws, int[] tokens, int l, int p0, int p1);
    }

    /** Runs {@code stage} over {@code [from, to)}, as {@link ArrayGptModel}'s stages run. */
    private void stage(Workers team, FloatWorkspace ws, int[] tokens, int l, int from, int to, int width,
                       Stage stage) {
        int grain = team.grain(to - from, width);
        if (grain == 0) {
            stage.run(this, ws, tokens, l, from, to);
        } else {
            team.forRange(to - from, grain, (p0, p1) -> stage.run(this, ws, tokens, l, from + p0, from + p1));
        }
    }

    // ---------------------------------------------------------------------------- the forward pass

    /** Reads positions {@code [from, to)}, leaving their logits in {@code ws.logits}; see {@link ArrayGptModel}. */
    private void forward(FloatWorkspace ws, int[] tokens, int from, int to, Workers team) {
        // Only the optional module's kernels read this scratch, and only for a product over enough
        // positions: the core's loops, and generation one position at a time, must not allocate
        // it (8 MB at nEmbd 256; for every new sequence, in generation).
        float[][] wT = to - from >= FloatKernels.MIN_POSITIONS_FOR_TRANSPOSE && ArrayKernels.runsOptionalKernels()
                ? ws.weightsT() : null;
        FloatWeightRows w = weights;
        int c = config.nEmbd();
        stage(team, ws, tokens, 0, from, to, c, FloatGpt::embeddingStage);
        for (int l = 0; l < nLayer; l++) {
            FloatWeightRows.Layer lw = w.layers[l];
            // 1) multi-head attention (its RMSNorm is in the stage before)
            FloatKernels.matmulForward(ws.qkv[l], ws.attnNormed[l], lw.attnQkv, from, to,
                    wT, ws.transposeBlocks, team);
            FloatKernels.attentionForward(ws.attnOut[l], ws.attnWeights[l], ws.qkv[l], ws.keysT[l], nHead,
                    attnScale, from, to, team, ws.attentionRows);
            if (!model.attentionListeners.isEmpty()) {
                reportAttention(l, ws.attnWeights[l], from, to);
            }
            FloatKernels.matmulForward(ws.attnProj[l], ws.attnOut[l], lw.attnWo, from, to,
                    wT, ws.transposeBlocks, team);
            // 2) MLP
            stage(team, ws, tokens, l, from, to, c, FloatGpt::mlpInputStage);
            // The ReLU inside the product where it can be (see FloatKernels.matmulForwardRelu),
            // else a stage of its own.
            if (!FloatKernels.matmulForwardRelu(ws.mlpHidden[l], ws.mlpNormed[l], lw.mlpFc1, from, to,
                    wT, ws.transposeBlocks, team)) {
                FloatKernels.matmulForward(ws.mlpHidden[l], ws.mlpNormed[l], lw.mlpFc1, from, to,
                        wT, ws.transposeBlocks, team);
                stage(team, ws, tokens, l, from, to, 4 * c, FloatGpt::reluStage);
            }
            FloatKernels.matmulForward(ws.mlpProj[l], ws.mlpActive[l], lw.mlpFc2, from, to,
                    wT, ws.transposeBlocks, team);
            stage(team, ws, tokens, l, from, to, c, FloatGpt::layerOutputStage);
        }
        FloatKernels.matmulForward(ws.logits, ws.residual[nLayer], w.lmHead, from, to,
                wT, ws.transposeBlocks, team);
    }

    private void embeddingStage(FloatWorkspace ws, int[] tokens, int l, int p0, int p1) {
        FloatKernels.embeddingForward(ws.encoded, tokens, weights.wte, weights.wpe, p0, p1);
        FloatKernels.rmsnormForward(ws.residual[0], ws.encodedScale, ws.encoded, p0, p1);
        FloatKernels.rmsnormForward(ws.attnNormed[0], ws.attnNormScale[0], ws.residual[0], p0, p1);
    }

    private void mlpInputStage(FloatWorkspace ws, int[] tokens, int l, int p0, int p1) {
        FloatKernels.residualForward(ws.afterAttn[l], ws.attnProj[l], ws.residual[l], p0, p1);
        FloatKernels.rmsnormForward(ws.mlpNormed[l], ws.mlpNormScale[l], ws.afterAttn[l], p0, p1);
    }

    /**
     * The ReLU of the positions {@code [p0, p1)} of layer {@code l}'s MLP hidden layer, in place,
     * so that the array is then also {@code mlpActive} (see {@link FloatWorkspace#mlpActive}):
     * where the MLP's first product does not take it inside itself
     * ({@link FloatKernels#matmulForwardRelu}), as in generation, a position at a time.
     *
     * <p>In place it touches half the memory: each number's line is read and written back, where
     * an array of its own had its lines read from one array and written into the other, whose
     * old contents both cores had read in the step before (so each line written had to be taken
     * from the other core first). Measured at {@code nEmbd} 256, 4 layers, 64 positions with the
     * optional module (one JVM, one model, the old and new ReLU alternated every 3 steps, medians
     * of 63 rounds): the ReLU took 54 microseconds a step on two threads instead of 100, and 30
     * instead of 69 on one; the ReLU's gradient, which reads the same array, 136 instead of 142
     * and 177 instead of 267. Split by columns, as the product before it splits its rows (each
     * thread reading the numbers it had just written), it took 116 microseconds instead of 73
     * on two threads.
     */
    private void reluStage(FloatWorkspace ws, int[] tokens, int l, int p0, int p1) {
        FloatKernels.reluInPlace(ws.mlpHidden[l], p0, p1);
    }

    private void layerOutputStage(FloatWorkspace ws, int[] tokens, int l, int p0, int p1) {
        FloatKernels.residualForward(ws.residual[l + 1], ws.mlpProj[l], ws.afterAttn[l], p0, p1);
        if (l + 1 < nLayer) {
            FloatKernels.rmsnormForward(ws.attnNormed[l + 1], ws.attnNormScale[l + 1], ws.residual[l + 1], p0, p1);
        }
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

    // --------------------------------------------------------------------------- the backward pass

    /**
     * Adds to {@code g} the gradient of the mean loss over {@code [first, end)}: the forward pass
     * in reverse, with the residual stream's gradient in one buffer added to in place (see
     * {@link ArrayGptModel}). {@code cleared} says that every weight gradient in {@code g} is
     * {@code +0.0}, so that the products may start those sums from zero instead of reading them.
     */
    private void backwardDocument(FloatWorkspace ws, int[] tokens, int first, int end, FloatWeightRows g,
                                  Workers team, boolean cleared) {
        backwardDocument(ws, tokens, first, end, g, team, cleared, null, null, false);
    }

    /**
     * {@link #backwardDocument(FloatWorkspace, int[], int, int, FloatWeightRows, Workers, boolean)}
     * that, unless {@code update} is null, runs it over each matrix's rows (found in {@code at})
     * of the model's own gradients right after the product that completes them {@code lossGradientDone}
     * says that {@link #forwardAndLossGradient} has already taken the loss's gradient.
     */
    private void backwardDocument(FloatWorkspace ws, int[] tokens, int first, int end, FloatWeightRows g,
                                  Workers team, boolean cleared, RangeTask update, FusedRows at,
                                  boolean lossGradientDone) {
        ws.ensureGradients();
        FloatWeightRows w = weights;
        int c = config.nEmbd();
        float[][] dStream = ws.dStream;
        int n = end - first;
        // Unless the training step's loss stage took it (forwardAndLossGradient). Otherwise (a
        // batch's documents) on the calling thread at nEmbd 256 and 64 positions, as in double precision (see
        // ArrayGptModel.splitAcross): shared by positions, it took 0.029 ms a step on two threads
        // with the optional module and 0.040 and 0.039 with the core's loops, where the calling
        // thread alone took 0.025, 0.036 and 0.032 (one thread: 0.024-0.040; medians of 16 rounds,
        // the two alternated in one JVM, three runs). The same numbers either way.
        if (!lossGradientDone) {
            ArrayGptModel.splitAcross(team, 0, end, 4 * c, (p0, p1) -> lossGradient(ws, tokens, first, n, p0, p1));
        }
        backwardProduct(dStream, g.lmHead, ws.dLogits, ws.residual[nLayer], w.lmHead, first, end,
                ws.secondHalf, team, cleared, update, at == null ? 0 : at.lmHead, false);
        boolean overwrite = productsOverwrite();
        for (int l = nLayer - 1; l >= 0; l--) {
            FloatWeightRows.Layer lw = w.layers[l];
            FloatWeightRows.Layer lg = g.layers[l];
            // 2) MLP
            backwardProduct(ws.dMlpActive[l], lg.mlpFc2, dStream, ws.mlpActive[l], lw.mlpFc2,
                    0, end, ws.secondHalf, team, cleared, update, at == null ? 0 : at.mlpFc2[l], overwrite);
            stage(team, ws, tokens, l, 0, end, 4 * c, FloatGpt::reluGradientStage);
            backwardProduct(ws.dMlpNormed[l], lg.mlpFc1, ws.dMlpHidden[l], ws.mlpNormed[l], lw.mlpFc1,
                    0, end, ws.secondHalf, team, cleared, update, at == null ? 0 : at.mlpFc1[l], overwrite);
            stage(team, ws, tokens, l, 0, end, 4 * c, FloatGpt::mlpNormGradientStage);
            // 1) multi-head attention
            backwardProduct(ws.dAttnOut[l], lg.attnWo, dStream, ws.attnOut[l], lw.attnWo, 0, end,
                    ws.secondHalf, team, cleared, update, at == null ? 0 : at.attnWo[l], overwrite);
            FloatKernels.attentionBackward(ws.dQkv[l], ws.dAttnOut[l], ws.qkv[l], ws.attnWeights[l], ws.valuesT,
                    ws.dAttnWeights, nHead, attnScale, 0, end, team, ws.attentionRows);
            backwardProduct(ws.dAttnNormed[l], lg.attnQkv, ws.dQkv[l], ws.attnNormed[l], lw.attnQkv,
                    0, end, ws.secondHalf, team, cleared, update, at == null ? 0 : at.attnQkv[l], overwrite);
            stage(team, ws, tokens, l, 0, end, 4 * c, FloatGpt::attnNormGradientStage);
        }
        // On the calling thread alone, though it could be shared by columns (positions with the
        // same token add to the same row of wte): shared, each thread read half of its rows of
        // dEncoded from the other core's cache (the stage before wrote them by positions) and
        // wrote half of every row of the gradients, whose other half the other core wrote, and
        // took longer than one thread. Measured at nEmbd 256 on two threads (one JVM, alternated
        // with the shared loop, four runs): 13-26 us a step instead of 33-56 (one thread: 12-21),
        // with the optimizer's update after it no slower. The same additions in the same order.
        FloatKernels.embeddingBackward(g.wte, g.wpe, ws.dEncoded, tokens, 0, end, 0, c);
        if (update != null) {
            FusedRows.update(update, team, at.wte, w.wte);
            FusedRows.update(update, team, at.wpe, w.wpe);
        }
    }

    /**
     * {@link FloatKernels#matmulBackward}, then, unless {@code update} is null, the update of the
     * matrix's rows, which start at row {@code first} of the parameters. The optional module's
     * kernels run the update inside the product, each slice of rows right after the thread that
     * took it has summed its gradient, so that the update reads those gradients from that core's
     * caches and needs no loop of its own. Measured at {@code nEmbd} 256 (fused steps, the update
     * after each product and this one alternated in one JVM, three runs of 18 s, medians of 43
     * rounds of 6 steps each): the backward products with their updates on two threads took 0.974,
     * 0.970 and 0.967 of the time, a step 0.986, 0.968 and 0.973; on one thread a step 0.990,
     * 1.002 and 0.987. The core's loops do the same on one or two threads
     * ({@link FloatKernels#matmulBackwardAndUpdate}): measured at {@code nEmbd} 256, 4 layers, 64
     * positions (core loops only, one JVM, the update after each product and inside it alternated,
     * four runs of 12-20 rounds of 2-4 steps, medians), a step took 20.7, 21.0, 29.4 and 24.9 ms
     * on two threads with the update after the product, 21.1, 20.6, 28.2 and 24.2 ms with it
     * inside; on one thread 36.1, 33.5, 34.0 and 47.1 ms against 35.4, 32.9, 33.3 and 44.8 (the
     * host's load changed between runs, not within one); the backward products with their updates
     * took 12.1 and 12.0 ms against 10.9 and 11.1 on two threads, 21.0 and 19.3 ms against 20.2 and
     * 18.5 on one. On more threads the update runs after the product, on the team, each thread
     * its own half of the rows first ({@link FusedRows}).
     */
    private void backwardProduct(float[][] din, float[][] dw, float[][] dout, float[][] in, float[][] w,
                                 int from, int to, float[][] secondHalf, Workers team, boolean cleared,
                                 RangeTask update, int first, boolean overwrite) {
        if (update != null && FloatKernels.matmulBackwardAndUpdate(din, dw, dout, in, w, from, to, secondHalf,
                sliceScratch, team, cleared, update, first, overwrite)) {
            return;
        }
        FloatKernels.matmulBackward(din, dw, dout, in, w, from, to, secondHalf, team, cleared, overwrite);
        if (update != null) {
            FusedRows.update(update, team, first, w);
        }
    }

    /**
     * Whether the backward products whose input gradient has no other term ({@code mlp_fc2},
     * {@code mlp_fc1}, {@code attn_wo}, {@code attn_wqkv}) write it rather than add to it: with
     * the core's loops, which then zero each piece of it on the thread that sums into it, right
     * before (see {@link FloatKernels#matmulBackward(float[][], float[][], float[][], float[][],
     * float[][], int, int, float[][], Workers, boolean, boolean)}), as double precision's products
     * do ({@code Kernels.matmulBackwardOverwrite}); with the optional module's kernels, which add,
     * the stages before zero those rows as ever. Zeroed by the stages, the rows of the positions
     * the other thread's stage had zeroed came from its core's cache when the product's first
     * half wrote them (that half sums every position). Measured for {@code mlp_fc2} at
     * {@code nEmbd} 256, 4 layers, 64 positions (core loops, one JVM, one model, the two ways
     * alternated, medians of 30 rounds of 3 steps): its product with the stage that had zeroed
     * its input's gradient took 4.06 + 0.125 ms a step on two threads before, 3.98 + 0.084 after;
     * on one thread 7.51 + 0.215 before, 7.56 + 0.148 after; with all four products writing their
     * input's gradient (40 rounds), a step took 0.987 of the time on two threads and 1.002 on one
     * (per-round medians of the ratio, on a noisy host). The same bits: each sum still starts
     * from +0.0.
     */
    private static boolean productsOverwrite() {
        return !ArrayKernels.runsOptionalKernels();
    }

    private void lossGradient(FloatWorkspace ws, int[] tokens, int first, int n, int p0, int p1) {
        FloatKernels.zeroRows(ws.dStream, p0, p1);
        if (!productsOverwrite()) {
            FloatKernels.zeroRows(ws.dMlpActive[nLayer - 1], p0, p1);
        }
        int from = Math.max(first, p0);
        FloatKernels.zeroRows(ws.dLogits, from, p1);
        FloatKernels.crossEntropyBackward(ws.dLogits, ws.probs, tokens, from, p1, n);
    }

    /**
     * The ReLU's gradient of positions {@code [p0, p1)} of layer {@code l}, in place
     * ({@code dMlpHidden} is {@code dMlpActive}'s arrays, see {@link FloatWorkspace#dMlpHidden}),
     * and, unless the next product writes it ({@link #productsOverwrite}), zeros for the
     * gradient of the MLP's input.
     */
    private void reluGradientStage(FloatWorkspace ws, int[] tokens, int l, int p0, int p1) {
        FloatKernels.reluGradient(ws.dMlpHidden[l], ws.dMlpActive[l], ws.mlpActive[l], p0, p1);
        if (!productsOverwrite()) {
            FloatKernels.zeroRows(ws.dMlpNormed[l], p0, p1);
        }
    }

    private void mlpNormGradientStage(FloatWorkspace ws, int[] tokens, int l, int p0, int p1) {
        FloatKernels.rmsnormBackward(ws.dStream, ws.dMlpNormed[l], ws.afterAttn[l], ws.mlpNormScale[l],
                p0, p1);
        if (!productsOverwrite()) {
            FloatKernels.zeroRows(ws.dAttnOut[l], p0, p1);
            FloatKernels.zeroRows(ws.dAttnNormed[l], p0, p1);
        }
        // Attention's backward pass adds to it.
        FloatKernels.zeroRows(ws.dQkv[l], p0, p1);
    }

    private void attnNormGradientStage(FloatWorkspace ws, int[] tokens, int l, int p0, int p1) {
        float[][] dStream = ws.dStream;
        FloatKernels.rmsnormBackward(dStream, ws.dAttnNormed[l], ws.residual[l], ws.attnNormScale[l], p0, p1);
        if (l > 0) {
            if (!productsOverwrite()) {
                FloatKernels.zeroRows(ws.dMlpActive[l - 1], p0, p1);
            }
        } else {
            FloatKernels.zeroRows(ws.dEncoded, p0, p1);
            FloatKernels.rmsnormBackward(ws.dEncoded, dStream, ws.encoded, ws.encodedScale, p0, p1);
        }
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
