package io.github.microgpt.model;

import java.util.Arrays;
import java.util.List;

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
     * Names the matrices of {@code rows}, which holds the matrices of {@code layout} one after the
     * other, row by row.
     */
    static WeightRows of(double[][] rows, List<ParameterMatrix> layout, int nLayer) {
        Layer[] layers = new Layer[nLayer];
        for (int l = 0; l < nLayer; l++) {
            String p = "layer" + l + ".";
            double[][] wq = matrix(rows, layout, p + "attn_wq");
            double[][] wk = matrix(rows, layout, p + "attn_wk");
            double[][] wv = matrix(rows, layout, p + "attn_wv");
            double[][] qkv = new double[wq.length + wk.length + wv.length][];
            System.arraycopy(wq, 0, qkv, 0, wq.length);
            System.arraycopy(wk, 0, qkv, wq.length, wk.length);
            System.arraycopy(wv, 0, qkv, wq.length + wk.length, wv.length);
            layers[l] = new Layer(qkv, matrix(rows, layout, p + "attn_wo"),
                    matrix(rows, layout, p + "mlp_fc1"), matrix(rows, layout, p + "mlp_fc2"));
        }
        return new WeightRows(matrix(rows, layout, "wte"), matrix(rows, layout, "wpe"),
                matrix(rows, layout, "lm_head"), layers);
    }

    /** The rows of the named matrix: a view sharing the row arrays. */
    private static double[][] matrix(double[][] rows, List<ParameterMatrix> layout, String name) {
        int first = 0;
        for (ParameterMatrix m : layout) {
            if (m.name().equals(name)) {
                return Arrays.copyOfRange(rows, first, first + m.rows());
            }
            first += m.rows();
        }
        throw new IllegalStateException("the layout has no matrix " + name + ": " + layout);
    }
}
