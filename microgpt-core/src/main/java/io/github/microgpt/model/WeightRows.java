package io.github.microgpt.model;

import java.util.Arrays;

/**
 * The matrices of a GPT by name, each as an array of its rows: {@code llm.c}'s
 * {@code ParameterTensors}. It owns no memory: each matrix is a view of consecutive rows of one
 * {@link ArrayParameters}' storage (the weights, or their gradients, or a batch document's
 * gradient buffer), found by the matrix's name in the layout, so no code counts offsets.
 */
final class WeightRows {

    /** The matrices of one layer. */
    static final class Layer {
        /**
         * (3C, C) {@code attn_wq}, {@code attn_wk} and {@code attn_wv} stacked: the layout keeps
         * them one after the other, so one product gives each position's query, key and value
         * side by side.
         */
        final double[][] attnQkv;
        /** (C, C) the attention's output projection. */
        final double[][] attnWo;
        /** (4C, C) the MLP's first matrix. */
        final double[][] mlpFc1;
        /** (C, 4C) the MLP's second matrix. */
        final double[][] mlpFc2;

        private Layer(double[][] attnQkv, double[][] attnWo, double[][] mlpFc1, double[][] mlpFc2) {
            this.attnQkv = attnQkv;
            this.attnWo = attnWo;
            this.mlpFc1 = mlpFc1;
            this.mlpFc2 = mlpFc2;
        }
    }

    /** (V, C) token embeddings. */
    final double[][] wte;
    /** (T, C) position embeddings. */
    final double[][] wpe;
    /** (V, C) the output projection to logits. */
    final double[][] lmHead;
    /** The layers, from the input up. */
    final Layer[] layers;

    private WeightRows(double[][] wte, double[][] wpe, double[][] lmHead, Layer[] layers) {
        this.wte = wte;
        this.wpe = wpe;
        this.lmHead = lmHead;
        this.layers = layers;
    }

    /**
     * Names the matrices of {@code rows}, a buffer shaped as the rows of {@code parameters}
     * (their values, their gradients, or a copy), by the names of {@link ParameterLayout}.
     */
    static WeightRows of(ArrayParameters parameters, double[][] rows, int nLayer) {
        Layer[] layers = new Layer[nLayer];
        for (int l = 0; l < nLayer; l++) {
            double[][] wq = matrix(parameters, rows, ParameterLayout.inLayer(l, ParameterLayout.ATTN_WQ));
            double[][] wk = matrix(parameters, rows, ParameterLayout.inLayer(l, ParameterLayout.ATTN_WK));
            double[][] wv = matrix(parameters, rows, ParameterLayout.inLayer(l, ParameterLayout.ATTN_WV));
            double[][] qkv = new double[wq.length + wk.length + wv.length][];
            System.arraycopy(wq, 0, qkv, 0, wq.length);
            System.arraycopy(wk, 0, qkv, wq.length, wk.length);
            System.arraycopy(wv, 0, qkv, wq.length + wk.length, wv.length);
            layers[l] = new Layer(qkv,
                    matrix(parameters, rows, ParameterLayout.inLayer(l, ParameterLayout.ATTN_WO)),
                    matrix(parameters, rows, ParameterLayout.inLayer(l, ParameterLayout.MLP_FC1)),
                    matrix(parameters, rows, ParameterLayout.inLayer(l, ParameterLayout.MLP_FC2)));
        }
        return new WeightRows(matrix(parameters, rows, ParameterLayout.WTE),
                matrix(parameters, rows, ParameterLayout.WPE),
                matrix(parameters, rows, ParameterLayout.LM_HEAD), layers);
    }

    /** The rows of the named matrix: a view sharing the row arrays. */
    private static double[][] matrix(ArrayParameters parameters, double[][] rows, String name) {
        int first = parameters.firstRow(name);
        return Arrays.copyOfRange(rows, first, first + parameters.layout().matrixLayout(name).rows());
    }
}
