package io.github.microgpt.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link GptConfig}'s defaults and the messages of its validation. */
class GptConfigTest {

    @Test
    void defaultsAreThoseOfMicrogptPy() {
        GptConfig config = GptConfig.defaults();
        assertEquals(new GptConfig(1, 16, 4, 16, 0.08), config);
        assertEquals(4, config.headDim());
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -1, Integer.MIN_VALUE})
    void nonPositiveSizesAreRejectedByName(int bad) {
        GptConfig base = GptConfig.defaults();
        check("nLayer", bad, base::withNLayer);
        check("nHead", bad, base::withNHead);
        check("blockSize", bad, base::withBlockSize);
        check("nEmbd", bad, base::withNEmbd);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new GptConfig(bad, 16, 4, 16, 0.08));
        assertTrue(e.getMessage().contains("nLayer"), e.getMessage());
    }

    private static void check(String name, int bad, IntFunction<GptConfig> with) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> with.apply(bad), name);
        assertTrue(e.getMessage().contains(name) && e.getMessage().contains(Integer.toString(bad)), e.getMessage());
    }

    @Test
    void nEmbdMustBeDivisibleByNHead() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new GptConfig(1, 10, 4, 16, 0.08));
        assertTrue(e.getMessage().contains("nEmbd (10)") && e.getMessage().contains("nHead (4)"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> GptConfig.defaults().withNHead(3));
        assertThrows(IllegalArgumentException.class, () -> GptConfig.defaults().withNEmbd(18));
        assertEquals(6, GptConfig.defaults().withNEmbd(24).headDim());
        assertEquals(1, GptConfig.defaults().withNHead(16).headDim());
    }

    @ParameterizedTest
    @ValueSource(doubles = {0.0, -0.0, -0.08, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY})
    void initStdMustBePositiveAndFinite(double bad) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GptConfig.defaults().withInitStd(bad));
        assertTrue(e.getMessage().contains("initStd") && e.getMessage().contains(Double.toString(bad)), e.getMessage());
    }

    /** 1e308 was taken, and made infinite weights without a word (weights are up to some 8.6 standard deviations). */
    @ParameterizedTest
    @ValueSource(doubles = {1.0000001e37, 1e38, 1e308, Double.MAX_VALUE})
    void initStdAboveTheLimitIsRefusedWithTheRange(double bad) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GptConfig.defaults().withInitStd(bad));
        assertTrue(e.getMessage().contains("initStd must be positive and at most 1.0E37")
                && e.getMessage().contains(Double.toString(bad)), e.getMessage());
        assertEquals(GptConfig.MAX_INIT_STD, GptConfig.defaults().withInitStd(GptConfig.MAX_INIT_STD).initStd());
        assertEquals(Double.MIN_VALUE, GptConfig.defaults().withInitStd(Double.MIN_VALUE).initStd());
    }

    @Test
    void withersChangeOneField() {
        GptConfig config = GptConfig.defaults().withNLayer(2).withBlockSize(8).withInitStd(0.02);
        assertEquals(new GptConfig(2, 16, 4, 8, 0.02), config);
    }
}
