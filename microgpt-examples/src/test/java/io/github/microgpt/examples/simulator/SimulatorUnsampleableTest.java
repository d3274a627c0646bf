package io.github.microgpt.examples.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.model.ParameterLayout;
import io.github.microgpt.model.MatrixLayout;
import io.github.microgpt.model.Parameters;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model the sampler cannot draw from (its logits overflow to infinity) is the model's fault and
 * answered 409 with the sampler's words; any other failure while sampling is the simulator's own
 * and is not dressed up as the model's.
 */
class SimulatorUnsampleableTest {

    @TempDir
    Path checkpoints;

    private SimulatorSession session;
    private Commands commands;

    @BeforeEach
    void start() {
        session = Fixtures.embeddedSession(checkpoints);
        commands = new Commands(session);
    }

    @AfterEach
    void stop() {
        session.close();
    }

    /** Finite but huge output weights, as a loaded checkpoint may hold: the logits overflow. */
    private void overflowTheLogits() {
        session.change(s -> {
            Parameters parameters = s.run().model.parameters();
            MatrixLayout lmHead = parameters.matrixLayouts().stream()
                    .filter(m -> m.name().equals(ParameterLayout.LM_HEAD)).findFirst().orElseThrow();
            for (int i = lmHead.offset(); i < lmHead.offset() + lmHead.size(); i++) {
                parameters.setValue(i, Double.MAX_VALUE);
            }
        });
    }

    @Test
    void logitsThatAreNotFiniteAre409WithTheSamplersWords() {
        overflowTheLogits();
        ApiException step = assertThrows(ApiException.class, () -> commands.genStep(new Requests.GenStep(1.0)));
        assertEquals(409, step.status(), step.getMessage());
        assertTrue(step.getMessage().contains("Load another model or press Reset"), step.getMessage());
        assertTrue(step.getMessage().contains("finite"), step.getMessage());
        ApiException whole = assertThrows(ApiException.class,
                () -> commands.generate(new Requests.Generate(1.0, 3L)));
        assertEquals(409, whole.status(), whole.getMessage());
    }

    @Test
    void anotherIllegalStateWhileSamplingIsNotCalledTheModelsFault() {
        // A listener that fails as a bug in the simulator would, during the sampler's forward pass:
        // an IllegalStateException that is not the sampler's refusal of non-finite logits.
        session.change(s -> s.run().model.addAttentionListener(event -> {
            throw new IllegalStateException("a bug, not the model");
        }));
        IllegalStateException bug = assertThrows(IllegalStateException.class,
                () -> commands.genStep(new Requests.GenStep(1.0)));
        assertEquals("a bug, not the model", bug.getMessage());
    }
}
