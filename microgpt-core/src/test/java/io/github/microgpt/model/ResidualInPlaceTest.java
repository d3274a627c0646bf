package io.github.microgpt.model;

import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;

/**
 * {@link Workspace} (double precision) takes the residual sums and the ReLU in place:
 * {@code afterAttn} in the rows of {@code attnProj}, {@code residual[l + 1]} in the rows of
 * {@code mlpProj[l]}, {@code mlpActive} in {@code mlpHidden}'s and the ReLU's gradient in its
 * output gradient's. (That the results are the same bits is the golden run's and the threads
 * tests' to check; this pins the layout down, so that the arrays of their own do not come back
 * unnoticed.)
 */
class ResidualInPlaceTest {

    private static final GptConfig CONFIG = new GptConfig(3, 32, 4, 16, 0.08);

    @Test
    void theTrainingWorkspaceWritesEachSumAndTheReluOverItsInput() {
        Workspace ws = new Workspace(CONFIG, 27);
        ws.ensureGradients();
        for (int l = 0; l < 3; l++) {
            assertSame(ws.attnProj[l], ws.afterAttn[l], "layer " + l + ": afterAttn in attnProj's rows");
            assertSame(ws.residual[l + 1], ws.mlpProj[l], "layer " + l + ": residual[l + 1] in mlpProj's rows");
            assertSame(ws.mlpHidden[l], ws.mlpActive[l], "layer " + l + ": the ReLU in place");
            assertSame(ws.dMlpActive[l], ws.dMlpHidden[l], "layer " + l + ": the ReLU's gradient in place");
            // The sum's other term is never the output: residual[l] and afterAttn stay apart.
            assertNotSame(ws.residual[l], ws.afterAttn[l]);
            assertNotSame(ws.afterAttn[l], ws.residual[l + 1]);
        }
        assertNotSame(ws.residual[0], ws.encoded);
    }

    @Test
    void aGenerationWorkspaceSharesTheSameWay() {
        Workspace ws = Workspace.forGeneration(CONFIG, 27);
        for (int l = 0; l < 3; l++) {
            assertSame(ws.attnProj[l], ws.afterAttn[l]);
            assertSame(ws.residual[l + 1], ws.mlpProj[l]);
            assertSame(ws.mlpHidden[l], ws.mlpActive[l]);
            assertNotSame(ws.residual[l][0], ws.afterAttn[l][0]);
        }
    }
}
