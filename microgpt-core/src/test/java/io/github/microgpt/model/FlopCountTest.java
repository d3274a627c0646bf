package io.github.microgpt.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.github.microgpt.random.PythonRandom;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The analytic operation counts agree with the models they describe and with their own formulas. */
class FlopCountTest {

    @Test
    void countsTheParametersOfEveryEngine() {
        SplittableRandom r = new SplittableRandom(1);
        for (int i = 0; i < 30; i++) {
            int nHead = 1 + r.nextInt(4);
            GptConfig config = new GptConfig(1 + r.nextInt(3), nHead * (1 + r.nextInt(5)), nHead, 1 + r.nextInt(20), 0.1);
            int vocab = 2 + r.nextInt(40);
            for (Engine engine : Engine.values()) {
                LanguageModel model = engine.create(config, vocab, new PythonRandom(i));
                assertEquals(model.numParameters(), Architecture.GPT.numParameters(config, vocab), config + ", " + engine);
            }
        }
    }

    @Test
    void aShapeNoModelCanHaveIsRefusedRatherThanCounted() {
        // Counted anyway, these were negative counts, or (positions near Integer.MAX_VALUE) two
        // billion turns of a loop that overflowed a long: a silent wrong figure for GFLOP/s.
        GptConfig config = GptConfig.defaults();
        int block = config.blockSize();
        List<org.junit.jupiter.api.function.Executable> refused = List.of(
                () -> FlopCount.forwardPosition(config, 27, -1),
                () -> FlopCount.forwardPosition(config, 27, block),
                () -> FlopCount.forwardPosition(config, 1, 0),
                () -> FlopCount.generatedToken(config, 27, -5),
                () -> FlopCount.loss(-3),
                () -> FlopCount.forwardBackward(config, 27, 0),
                () -> FlopCount.forwardBackward(config, 27, block + 1),
                () -> FlopCount.forwardBackward(config, 27, Integer.MAX_VALUE),
                () -> FlopCount.trainingStep(config, -27, 7));
        for (var call : refused) {
            assertThrows(IllegalArgumentException.class, call);
        }
        assertEquals(FlopCount.forwardPosition(config, 27, block - 1) + FlopCount.loss(27),
                (FlopCount.forwardBackward(config, 27, block) - FlopCount.forwardBackward(config, 27, block - 1)) / 3,
                "the last position of the block still counts");
    }

    @Test
    void attentionMakesEachLaterPositionDearerByTheSameAmount() {
        GptConfig config = new GptConfig(3, 12, 3, 10, 0.1);
        long step = config.nLayer() * (4L * config.nEmbd() + 6L * config.nHead());
        for (int t = 0; t + 1 < config.blockSize(); t++) {
            assertEquals(step, FlopCount.forwardPosition(config, 9, t + 1) - FlopCount.forwardPosition(config, 9, t));
        }
    }

    @Test
    void aTrainingStepIsThreeForwardPassesWithLossesPlusAdam() {
        GptConfig config = GptConfig.defaults();
        long forward = 0;
        for (int t = 0; t < 7; t++) {
            forward += FlopCount.forwardPosition(config, 27, t) + FlopCount.loss(27);
        }
        assertEquals(3 * forward, FlopCount.forwardBackward(config, 27, 7));
        assertEquals(3 * forward + 14L * 4192, FlopCount.trainingStep(config, 27, 7));
        // The figure quoted in the class documentation, for the reference configuration.
        assertEquals(221_795, FlopCount.trainingStep(config, 27, 7));
    }
}
