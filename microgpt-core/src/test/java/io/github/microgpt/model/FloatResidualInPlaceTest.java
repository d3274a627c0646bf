package io.github.microgpt.model;

import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * {@link FloatWorkspace} takes the residual sums in place: {@code afterAttn} in the rows of
 * {@code attnProj}, {@code residual[l + 1]} in the rows of {@code mlpProj[l]}; and the ReLU and
 * its gradient: {@code mlpActive} in {@code mlpHidden}'s rows, {@code dMlpHidden} in
 * {@code dMlpActive}'s, as in double precision ({@code ResidualInPlaceTest}). (That the results
 * are the same bits is the golden run's and the threads tests' to check; this pins the layout
 * down, so that the arrays of their own do not come back unnoticed.)
 */
class FloatResidualInPlaceTest {

    @Test
    void theResidualSumsWriteOverTheProductsTheyAdd() {
        FloatWorkspace ws = new FloatWorkspace(new GptConfig(3, 32, 4, 16, 0.08), 27);
        for (int l = 0; l < 3; l++) {
            assertTrue(ws.attnProj[l] == ws.afterAttn[l], "layer " + l + ": afterAttn in attnProj's rows");
            assertTrue(ws.mlpProj[l] == ws.residual[l + 1], "layer " + l + ": residual[l + 1] in mlpProj's rows");
            // The sum's other term is never the output: residual[l] and afterAttn stay apart.
            assertNotSame(ws.residual[l], ws.afterAttn[l]);
        }
        assertNotSame(ws.residual[0], ws.encoded);
    }

    @Test
    void theReluAndItsGradientWriteOverTheirInputs() {
        FloatWorkspace ws = new FloatWorkspace(new GptConfig(3, 32, 4, 16, 0.08), 27);
        ws.ensureGradients();
        for (int l = 0; l < 3; l++) {
            assertTrue(ws.mlpHidden[l] == ws.mlpActive[l], "layer " + l + ": the ReLU in place");
            assertTrue(ws.dMlpActive[l] == ws.dMlpHidden[l], "layer " + l + ": the ReLU's gradient in place");
        }
    }
}
