package io.github.microgpt.model;

import static io.github.microgpt.testsupport.Bits.assertBits;
import static io.github.microgpt.testsupport.Matrices.copy;

import io.github.microgpt.internal.FloatParameterRows;
import io.github.microgpt.internal.FusedUpdates;
import io.github.microgpt.internal.kernels.MatrixKernels;
import io.github.microgpt.optim.AdamOptimizer;
import io.github.microgpt.random.PythonRandom;
import org.junit.jupiter.api.Test;

/**
 * The optimizer's update of a fused step handed a slice's gradient in a product's scratch
 * ({@link MatrixKernels.GradientRange#run(int, int, Object)}): it gives the weights and moments
 * the very bits of the update that reads the model's own gradient rows, and leaves the scratch
 * as it was (the kernels start every slice's sums from zero, so zeros written over it would be
 * one wasted store of every weight's gradient a step): single precision's update.
 */
class ScratchUpdateTest {

    private static final GptConfig CONFIG = new GptConfig(1, 48, 4, 8, 0.08);
    private static final int VOCAB = 11;
    private static final int ROWS = 5;

    @Test
    void singlePrecisionUpdatesFromScratchAsFromItsRowsAndLeavesTheScratch() {
        ArrayGptModel fromRows = ArrayGptModel.create(CONFIG, VOCAB, new PythonRandom(3), Precision.F32);
        ArrayGptModel fromScratch = ArrayGptModel.create(CONFIG, VOCAB, new PythonRandom(3), Precision.F32);
        AdamOptimizer adamRows = new AdamOptimizer(fromRows.numParameters());
        AdamOptimizer adamScratch = new AdamOptimizer(fromScratch.numParameters());
        float[][] grads = ((FloatParameterRows) fromRows.parameters()).gradRows();
        float[][] scratch = new float[ROWS][];
        for (int r = 0; r < ROWS; r++) {
            for (int i = 0; i < grads[r].length; i++) {
                grads[r][i] = (float) Math.sin(7 * r + i);
            }
            scratch[r] = grads[r].clone();
        }
        float[][] handed = copy(scratch);
        for (int step = 0; step < 2; step++) {
            FusedUpdates.prepare(adamRows, fromRows.parameters(), step, 10).run(0, ROWS);
            @SuppressWarnings("unchecked")
            MatrixKernels.GradientRange<float[][]> range = (MatrixKernels.GradientRange<float[][]>)
                    ((FusedUpdates.Rows) FusedUpdates.prepare(adamScratch, fromScratch.parameters(), step, 10))
                            .matrix(0);
            range.run(0, ROWS, scratch);
            for (int r = 0; r < ROWS; r++) {
                System.arraycopy(handed[r], 0, grads[r], 0, grads[r].length);
            }
        }
        float[][] expected = ((FloatParameterRows) fromRows.parameters()).valueRows();
        float[][] got = ((FloatParameterRows) fromScratch.parameters()).valueRows();
        assertBits(expected, got, "weights");
        assertBits(adamRows.firstMoments(), adamScratch.firstMoments(), "first moments");
        assertBits(adamRows.secondMoments(), adamScratch.secondMoments(), "second moments");
        assertBits(handed, scratch, "the scratch, left as it was handed");
    }
}
