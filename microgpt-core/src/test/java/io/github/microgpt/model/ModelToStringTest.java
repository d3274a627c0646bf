package io.github.microgpt.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.microgpt.random.PythonRandom;
import org.junit.jupiter.api.Test;

/**
 * A model over {@code Value}s prints what it is (class, configuration, vocabulary size, parameter
 * count), and its parameters print their size and matrices: both printed Object's
 * {@code GptModel@1cbb87f3} and a private record holding an array's identity.
 */
class ModelToStringTest {

    private static final GptConfig CONFIG = GptConfig.defaults().withNEmbd(4).withNHead(1).withBlockSize(4);

    @Test
    void aGptModelPrintsItsConfigurationVocabularyAndParameterCount() {
        GptModel model = GptModel.create(CONFIG, 3, new PythonRandom(1));
        assertEquals("GptModel[" + CONFIG + ", vocabSize=3, " + model.numParameters() + " parameters]",
                model.toString());
    }

    @Test
    void aModelOfTheProgressionPrintsItsOwnClassName() {
        BigramModel model = BigramModel.create(CONFIG, 3, new PythonRandom(1));
        assertEquals("BigramModel[" + CONFIG + ", vocabSize=3, 9 parameters]", model.toString());
    }

    @Test
    void theParametersPrintTheirSizeAndMatrices() {
        BigramModel model = BigramModel.create(CONFIG, 3, new PythonRandom(1));
        assertEquals("Parameters[size=9, matrices=" + model.parameters().matrixLayouts() + "]",
                model.parameters().toString());
    }
}
