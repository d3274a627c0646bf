package io.github.microgpt.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.microgpt.autograd.Value;
import io.github.microgpt.internal.HeapBudget;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import io.github.microgpt.random.PythonRandom;
import org.junit.jupiter.api.Test;

/**
 * A model whose parameters fit an array but not the heap is refused before anything is
 * allocated. Before, {@code GptModel.create} at nEmbd 6000 filled the heap for 43 s and ended in
 * an OutOfMemoryError, and {@code ArrayGptModel.create} at nEmbd 12000 in one after 0.5 s.
 */
class ModelHeapBudgetTest {

    @Test
    void theRuleRefusesWhatTakesMoreThanHalfTheHeapAndNamesTheSizes() {
        HeapBudget.checkModel("a GptModel", 1000, 16, 32_000);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> HeapBudget.checkModel("a GptModel", 1000, 16, 31_998));
        assertTrue(e.getMessage().startsWith("a GptModel of 1000 parameters (at least 16 bytes each for its weights and"
                + " gradients) would take 16000 bytes of memory, more than half of the 31998 bytes this Java heap may"
                + " use; choose a smaller nEmbd, nLayer or blockSize"), e.getMessage());
        IllegalArgumentException overflow = assertThrows(IllegalArgumentException.class,
                () -> HeapBudget.checkModel("a GptModel", Long.MAX_VALUE / 2, 48, Long.MAX_VALUE));
        assertTrue(overflow.getMessage().contains("would take more than " + Long.MAX_VALUE + " bytes"),
                overflow.getMessage());
    }

    @Test
    void bothEnginesRefuseAModelTheHeapCannotHoldBeforeFillingIt() {
        // 2,028,000,000 parameters: under an array's limit; 32 GB as arrays, 97 GB as Values.
        assumeTrue(Runtime.getRuntime().maxMemory() < 60L << 30, "a heap of 60 GB or more would hold it");
        GptConfig huge = new GptConfig(1, 13_000, 1, 16, 0.1);
        IllegalArgumentException array = assertThrows(IllegalArgumentException.class,
                () -> ArrayGptModel.create(huge, 4, new PythonRandom(1), Precision.F32));
        assertTrue(array.getMessage().startsWith("an ArrayGptModel of "), array.getMessage());
        IllegalArgumentException value = assertThrows(IllegalArgumentException.class,
                () -> GptModel.create(huge, 4, new PythonRandom(1)));
        assertTrue(value.getMessage().contains("give Java more memory"), value.getMessage());
    }

    /**
     * The other models of the progression are refused alike, each naming what makes it smaller:
     * they were filled until an OutOfMemoryError (an attention model at nEmbd 4096, an MLP at
     * 2048, a bigram of 20,000 characters in a heap of 256 MB).
     */
    @Test
    void theModelsOfTheProgressionRefuseAModelTheHeapCannotHoldBeforeFillingIt() {
        // Each about 1.5 billion parameters: under an array's limit; 72 GB as Values.
        assumeTrue(Runtime.getRuntime().maxMemory() < 100L << 30, "a heap of 100 GB or more would hold them");
        IllegalArgumentException bigram = assertThrows(IllegalArgumentException.class,
                () -> Architecture.BIGRAM.create(GptConfig.defaults(), 39_000, new PythonRandom(1)));
        assertTrue(bigram.getMessage().startsWith("a BigramModel of 1521000000 parameters (at least 68 bytes each")
                && bigram.getMessage().contains("choose data with fewer distinct characters"), bigram.getMessage());
        IllegalArgumentException mlp = assertThrows(IllegalArgumentException.class,
                () -> Architecture.MLP.create(GptConfig.defaults().withNEmbd(11_000), 4, new PythonRandom(1)));
        assertTrue(mlp.getMessage().startsWith("an MlpModel of ") && mlp.getMessage().contains("choose a smaller nEmbd,"),
                mlp.getMessage());
        IllegalArgumentException attention = assertThrows(IllegalArgumentException.class,
                () -> Architecture.ATTENTION.create(new GptConfig(1, 19_000, 1, 16, 0.1), 4, new PythonRandom(1)));
        assertTrue(attention.getMessage().startsWith("an AttentionModel of ")
                && attention.getMessage().contains("choose a smaller nEmbd, nLayer or blockSize"), attention.getMessage());
    }

    /**
     * The Value engine's least bytes a parameter are what a {@code Value} really takes: its
     * fields packed behind a 12-byte header (compressed class pointers, HotSpot's default; 8 with
     * compact headers gives the same after rounding), rounded up to 8 bytes, and its 4-byte
     * reference in a matrix row. The figure was 48 ("four doubles and a header") while a
     * {@code Value} took 64 + 4 (68.2 bytes a Value measured, 2 million of them), so a model
     * whose {@code Value}s alone filled up to 71% of the heap passed the half-heap rule and was
     * filled until an OutOfMemoryError, which the rule is there to prevent. A field added to
     * {@code Value} fails here, and the figure follows it.
     */
    @Test
    void theValueEnginesBytesAParameterAreWhatAValueTakes() {
        int fields = 0;
        for (Field field : Value.class.getDeclaredFields()) {
            if (Modifier.isStatic(field.getModifiers())) {
                continue;
            }
            Class<?> type = field.getType();
            fields += type == double.class || type == long.class ? 8
                    : type == int.class || type == float.class || !type.isPrimitive() ? 4
                    : type == short.class || type == char.class ? 2 : 1;
        }
        int object = (12 + fields + 7) / 8 * 8;
        assertEquals(object + 4, GptModel.BYTES_PER_PARAMETER, "a Value of " + fields + " bytes of fields");
    }
}
