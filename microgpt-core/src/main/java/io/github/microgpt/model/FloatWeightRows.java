package io.github.microgpt.model;

/**
 * The matrices of a single-precision GPT by name, each as an array of its {@code float} rows:
 * {@link WeightRows} for {@link FloatParameters}. It owns no memory: each matrix is a view of
 * consecutive rows of the weights, of their gradients, or of a batch document's gradient buffer.
 */
final class FloatWeightRows {

    /** The matrices of one layer. */
    static final class Layer {
        /** (3C, C) {@code attn_wq}, {@code attn_wk} and {@code attn_wv} stacked, as in {@link WeightRows.Layer}. */
        final float[][] attnQkv;
        /** (C, C) the attention's output projection. */
        final float[][] attnWo;
        /** (4C, C) the MLP's first matrix. */
        final float[][] mlpFc1;
        /** (C, 4C) the MLP's second matrix. */
        final float[][] mlpFc2;

        private Layer(float[][] attnQkv, float[][] attnWo, float[][] mlpFc1, float[][] mlpFc2) {
            this.attnQkv = attnQkv;
            this.attnWo = attnWo;
            this.mlpFc1 = mlpFc1;
            this.mlpFc2 = mlpFc2;
        }
    }

    /** (V, C) token embeddings. */
    final float[][] wte;
    /** (T, C) position embeddings. */
    final float[][] wpe;
    /** (V, C) the output projection to logits. */
    final float[][] lmHead;
    /** The layers, from the input up. */
    final Layer[] layers;

    private FloatWeightRows(float[][] wte, float[][] wpe, float[][] lmHead, Layer[] layers) {
        this.wte = wte;
        this.wpe = wpe;
        this.lmHead = lmHead;
        this.layers = layers;
    }

    /** Names the matrices of {@code rows}, a buffer shaped as the rows of {@code parameters}. */
    static FloatWeightRows of(FloatParameters parameters, float[][] rows, int nLayer) {
        Layer[] layers = new Layer[nLayer];
        for (int l = 0; l < nLayer; l++) {
            float[][] wq = parameters.matrix(rows, ParameterLayout.inLayer(l, ParameterLayout.ATTN_WQ));
            float[][] wk = parameters.matrix(rows, ParameterLayout.inLayer(l, ParameterLayout.ATTN_WK));
            float[][] wv = parameters.matrix(rows, ParameterLayout.inLayer(l, ParameterLayout.ATTN_WV));
            float[][] qkv = new float[wq.length + wk.length + wv.length][];
            System.arraycopy(wq, 0, qkv, 0, wq.length);
            System.arraycopy(wk, 0, qkv, wq.length, wk.length);
            System.arraycopy(wv, 0, qkv, wq.length + wk.length, wv.length);
            layers[l] = new Layer(qkv,
                    parameters.matrix(rows, ParameterLayout.inLayer(l, ParameterLayout.ATTN_WO)),
                    parameters.matrix(rows, ParameterLayout.inLayer(l, ParameterLayout.MLP_FC1)),
                    parameters.matrix(rows, ParameterLayout.inLayer(l, ParameterLayout.MLP_FC2)));
        }
        return new FloatWeightRows(parameters.matrix(rows, ParameterLayout.WTE),
                parameters.matrix(rows, ParameterLayout.WPE),
                parameters.matrix(rows, ParameterLayout.LM_HEAD), layers);
    }
}
