package io.github.microgpt.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.microgpt.random.PythonRandom;
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
