package io.github.microgpt.stubs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.github.microgpt.model.ArrayGptModel;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.LanguageModel;
import io.github.microgpt.model.Predictions;
import io.github.microgpt.random.PythonRandom;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link StubLanguageModel} keeps the promises the tests that steer a sampler with it rely on. */
class StubLanguageModelTest {

    @Test
    void fixedLogitsAreAnsweredAsNewArraysAndEveryReadIsRemembered() {
        double[] logits = {1, 2, 3};
        StubLanguageModel model = StubLanguageModel.fixed(logits, 4);
        logits[0] = 42;   // copied when made
        assertEquals(3, model.vocabSize());
        assertEquals(4, model.config().blockSize());
        LanguageModel.Sequence first = model.newSequence();
        double[] answer = first.next(2);
        assertArrayEquals(new double[] {1, 2, 3}, answer);
        answer[1] = 42;   // the caller's to change
        assertArrayEquals(new double[] {1, 2, 3}, first.next(0));
        model.newSequence().next(1);
        assertEquals(List.of(2, 0, 1), model.read(), "over all sequences, in order");
        assertEquals(2, first.length());
        assertThrows(UnsupportedOperationException.class, () -> model.read().add(7));
    }

    /**
     * A bad token and a read past the block are refused as {@link LanguageModel.Sequence#next}
     * promises and the real models do: the same exception, the same message, nothing changed.
     * (The stub threw an IllegalStateException past the block and took any token.)
     */
    @Test
    void itRefusesABadTokenAndAReadPastItsBlockLikeTheRealModels() {
        StubLanguageModel stub = StubLanguageModel.fixed(new double[] {0, 0}, 2);
        LanguageModel.Sequence sequence = stub.newSequence();
        LanguageModel real = ArrayGptModel.create(new GptConfig(1, 4, 1, 2, 0.08), 2, new PythonRandom(1));
        LanguageModel.Sequence realSequence = real.newSequence();
        for (int bad : new int[] {-1, 2}) {
            assertEquals(assertThrows(IllegalArgumentException.class, () -> realSequence.next(bad)).getMessage(),
                    assertThrows(IllegalArgumentException.class, () -> sequence.next(bad)).getMessage());
        }
        assertEquals(0, sequence.length(), "a refused token changes nothing");
        for (int n = 0; n < 2; n++) {
            sequence.next(1);
            realSequence.next(1);
        }
        assertEquals(assertThrows(IllegalArgumentException.class, () -> realSequence.next(0)).getMessage(),
                assertThrows(IllegalArgumentException.class, () -> sequence.next(0)).getMessage());
        assertEquals(2, sequence.length(), "a read past the block changes nothing");
        assertEquals(List.of(1, 1), stub.read(), "refused reads are not counted");
    }

    @Test
    void answersComeFromTheFunctionWhichMayFailAndMustFitTheVocabulary() {
        IllegalStateException fault = new IllegalStateException("broken");
        StubLanguageModel model = StubLanguageModel.answering(3, 8, token -> switch (token) {
            case 0 -> new double[] {0, 1, 2};
            case 1 -> new double[] {0, 1};
            default -> throw fault;
        });
        LanguageModel.Sequence sequence = model.newSequence();
        assertArrayEquals(new double[] {0, 1, 2}, sequence.next(0));
        assertEquals("the test gave 2 logits for a vocabulary of 3",
                assertThrows(IllegalStateException.class, () -> sequence.next(1)).getMessage());
        assertEquals(fault, assertThrows(IllegalStateException.class, () -> sequence.next(2)));
    }

    @Test
    void itHasNoWeightsAndDoesNotTrain() {
        StubLanguageModel model = StubLanguageModel.fixed(new double[] {0}, 1);
        assertThrows(UnsupportedOperationException.class, model::parameters);
        assertThrows(UnsupportedOperationException.class,
                () -> model.lossAndGradients(new int[] {0, 0}, 0, 1, new Predictions()));
        assertThrows(IllegalArgumentException.class, () -> StubLanguageModel.fixed(new double[0], 1));
    }
}
