package io.github.microgpt.model;

import io.github.microgpt.internal.ParameterRows;
import io.github.microgpt.internal.RangeTask;
import java.util.function.ToIntFunction;

/**
 * Where a fused step ({@code io.github.microgpt.internal.FusedStep}) updates the weights during
 * the backward pass: the index of the first row of every matrix among the parameters' rows
 * ({@link ArrayParameters} and {@link FloatParameters} keep the same rows, matrix after matrix in
 * {@link ParameterLayout} order), and how one matrix's rows are shared out.
 *
 * <p><b>When a matrix may be updated.</b> The backward pass of a linear layer {@code y = W x}
 * computes {@code dx} from {@code W} and {@code dW} from {@code x}, both in one call; after
 * that call nothing in the rest of the pass reads {@code W} or {@code dW} again (every matrix is
 * used once in the forward pass, no weights are tied, and the embeddings' backward reads no
 * weights), so the matrix may be updated right there, and the rest of the pass is unchanged.
 * The embedding tables, whose gradients are complete last, are updated last.
 */
final class FusedRows {

    final int wte;
    final int wpe;
    final int lmHead;
    /** Per layer, the first row of {@code attn_wq}, followed by {@code attn_wk} and {@code attn_wv}. */
    final int[] attnQkv;
    final int[] attnWo;
    final int[] mlpFc1;
    final int[] mlpFc2;

    /**
     * Finds the first row of every matrix a fused step updates.
     *
     * @param firstRow the index of a named matrix's first row among the parameters' rows
     *     ({@link ArrayParameters#firstRow} or {@link FloatParameters#firstRow})
     * @param nLayer the number of layers
     */
    FusedRows(ToIntFunction<String> firstRow, int nLayer) {
        wte = firstRow.applyAsInt(ParameterLayout.WTE);
        wpe = firstRow.applyAsInt(ParameterLayout.WPE);
        lmHead = firstRow.applyAsInt(ParameterLayout.LM_HEAD);
        attnQkv = new int[nLayer];
        attnWo = new int[nLayer];
        mlpFc1 = new int[nLayer];
        mlpFc2 = new int[nLayer];
        for (int l = 0; l < nLayer; l++) {
            attnQkv[l] = firstRow.applyAsInt(ParameterLayout.inLayer(l, ParameterLayout.ATTN_WQ));
            attnWo[l] = firstRow.applyAsInt(ParameterLayout.inLayer(l, ParameterLayout.ATTN_WO));
            mlpFc1[l] = firstRow.applyAsInt(ParameterLayout.inLayer(l, ParameterLayout.MLP_FC1));
            mlpFc2[l] = firstRow.applyAsInt(ParameterLayout.inLayer(l, ParameterLayout.MLP_FC2));
        }
    }

    /**
     * Runs {@code update} over the rows {@code [first, first + rows)} on the team: thread
     * {@code k} of {@code T} first takes the rows {@code [rows k / T, rows (k + 1) / T)}, the
     * share of the weights' gradient that its part of the backward product has just written, so
     * that it reads gradient rows from its own core's caches (see {@link UpdateOrder} for what a
     * cache line the other core touched costs). A matrix of fewer than twice
     * {@link ParameterRows#MIN_PARAMETERS_PER_THREAD} numbers stays on the calling thread.
     */
    static void update(RangeTask update, Workers team, int first, double[][] matrix) {
        update(update, team, first, matrix.length, matrix[0].length);
    }

    /** {@link #update(RangeTask, Workers, int, double[][])} for a matrix of floats. */
    static void update(RangeTask update, Workers team, int first, float[][] matrix) {
        update(update, team, first, matrix.length, matrix[0].length);
    }

    private static void update(RangeTask update, Workers team, int first, int rows, int cols) {
        int grain = Math.max(1, ParameterRows.MIN_PARAMETERS_PER_THREAD / cols);
        team.forRange(rows, grain, (r0, r1) -> update.run(first + r0, first + r1));
    }
}
