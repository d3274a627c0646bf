package io.github.microgpt.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.microgpt.autograd.Value;
import io.github.microgpt.random.PythonRandom;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * {@link Architecture#of} answers only what it knows: before, a model it did not know was called a
 * GPT, whatever its matrices.
 */
class ArchitectureOfTest {

    private static final GptConfig CONFIG = new GptConfig(1, 8, 2, 4, 0.08);
    private static final int VOCAB = 5;

    /** A learner's model with one matrix of its own: a table of logits under a name no architecture uses. */
    private static final class OwnModel extends ValueLanguageModel {

        private final Value[][] table;

        OwnModel() {
            super(CONFIG, VOCAB, Map.of("table", table()));
            table = matrix("table");
        }

        private static Value[][] table() {
            Value[][] rows = new Value[VOCAB][VOCAB];
            for (Value[] row : rows) {
                for (int j = 0; j < row.length; j++) {
                    row[j] = new Value(0.0);
                }
            }
            return rows;
        }

        @Override
        public Value[] forward(int tokenId, int posId, KvCache cache) {
            return table[tokenId];
        }
    }

    @Test
    void theLibrarysModelsHaveTheirArchitecture() {
        for (Architecture architecture : Architecture.values()) {
            LanguageModel model = architecture.create(CONFIG, VOCAB, new PythonRandom(1));
            assertEquals(Optional.of(architecture), Architecture.of(model), architecture.id());
        }
        assertEquals(Optional.of(Architecture.GPT),
                Architecture.of(ArrayGptModel.create(CONFIG, VOCAB, new PythonRandom(1), Precision.F32)));
    }

    @Test
    void aLearnersCopyOfTheGptIsAGptByItsMatrices() {
        assertEquals(Optional.of(Architecture.GPT),
                Architecture.of(new CopiedGpt(GptModel.create(CONFIG, VOCAB, new PythonRandom(1)))));
    }

    @Test
    void aModelOfNoArchitectureHasNone() {
        assertEquals(Optional.empty(), Architecture.of(new OwnModel()));
        assertEquals(Optional.empty(), Engine.of(new OwnModel()), "as Engine.of answers");
    }
}
