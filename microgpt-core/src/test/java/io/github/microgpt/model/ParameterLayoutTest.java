package io.github.microgpt.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.testing.Cases;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** {@link ParameterLayout}: the one description of a model's matrices (microgpt.py's {@code state_dict} and {@code params}). */
class ParameterLayoutTest {

    @Test
    void theReferenceLayoutIsMicrogptPysStateDict() {
        ParameterLayout layout = ParameterLayout.gpt(GptConfig.defaults(), 27);
        List<String> names = new ArrayList<>();
        layout.matrixLayouts().forEach(m -> names.add(m.name() + " " + m.rows() + "x" + m.cols() + " @" + m.offset()));
        assertEquals(List.of("wte 27x16 @0", "wpe 16x16 @432", "lm_head 27x16 @688",
                "layer0.attn_wq 16x16 @1120", "layer0.attn_wk 16x16 @1376", "layer0.attn_wv 16x16 @1632",
                "layer0.attn_wo 16x16 @1888", "layer0.mlp_fc1 64x16 @2144", "layer0.mlp_fc2 16x64 @3168"), names);
        assertEquals(4192, layout.size(), "microgpt.py's num params");
        assertEquals("layer0.attn_wq", ParameterLayout.inLayer(0, ParameterLayout.ATTN_WQ));
        assertEquals(3, layout.indexOf("layer0.attn_wq"));
    }

    @TestFactory
    Stream<DynamicTest> everyEngineAndTheCountsAgreeWithTheLayout() {
        return Cases.dynamicTests("layout = engines = counts", 40, g -> new int[] {g.intIn(1, 3), g.intIn(1, 4),
                g.intIn(1, 3), g.intIn(1, 9), g.intIn(2, 30)}, c -> {
            GptConfig config = new GptConfig(c[0], c[1] * c[2], c[2], c[3], 0.1);
            int vocab = c[4];
            ParameterLayout layout = ParameterLayout.gpt(config, vocab);
            int d = config.nEmbd();
            assertEquals(2L * vocab * d + (long) config.blockSize() * d + 12L * config.nLayer() * d * d,
                    layout.size());
            assertEquals(layout.size(), ParameterLayout.gptSize(config, vocab));
            assertEquals(layout.size(), Architecture.GPT.numParameters(config, vocab));
            int offset = 0;
            for (MatrixLayout m : layout.matrixLayouts()) {
                assertEquals(offset, m.offset(), m.name() + " follows the previous matrix");
                offset += m.size();
            }
            assertEquals(layout.size(), offset);
            for (Engine engine : Engine.values()) {
                LanguageModel model = engine.create(config, vocab, new PythonRandom(1));
                assertTrue(layout.describes(model.parameters()), engine + " lays out its parameters so");
                assertEquals(layout.size(), model.numParameters());
            }
            assertFalse(ParameterLayout.gpt(config.withNLayer(config.nLayer() + 1), vocab)
                    .describes(GptModel.create(config, vocab, new PythonRandom(1)).parameters()));
        });
    }

    @Test
    void sizesTooLargeForAnArrayAreRefusedAndCountedWithoutOverflow() {
        GptConfig huge = new GptConfig(1000, 40_000, 1, 1, 0.1);
        assertEquals(Long.MAX_VALUE, ParameterLayout.gptSize(new GptConfig(Integer.MAX_VALUE, Integer.MAX_VALUE, 1,
                Integer.MAX_VALUE, 0.1), Integer.MAX_VALUE), "saturates");
        assertTrue(ParameterLayout.gptSize(huge, 27) > ParameterLayout.MAX_SIZE);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ParameterLayout.gpt(huge, 27));
        assertTrue(e.getMessage().contains("more than an array holds"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> GptModel.create(huge, 27, new PythonRandom(1)));
        assertThrows(IllegalArgumentException.class, () -> ArrayGptModel.create(huge, 27, new PythonRandom(1)));
        e = assertThrows(IllegalArgumentException.class, () -> ParameterLayout.gpt(GptConfig.defaults(), 1));
        assertTrue(e.getMessage().contains("vocabSize must be at least 2"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Architecture.GPT.numParameters(GptConfig.defaults(), -1));
    }

    @Test
    void aBuilderLaysOutOtherModelsAndRefusesNonsense() {
        ParameterLayout bigram = ParameterLayout.builder().add("wte", 27, 27).add("bias", 1, 27).build();
        assertEquals(27 * 27 + 27, bigram.size());
        assertEquals(729, bigram.matrixLayout("bias").offset());
        assertEquals("[wte 27x27, bias 1x27]", bigram.toString());
        assertEquals(bigram, ParameterLayout.builder().add("wte", 27, 27).add("bias", 1, 27).build());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> bigram.matrixLayout("wpe"));
        assertTrue(e.getMessage().contains("wpe") && e.getMessage().contains("[wte, bias]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ParameterLayout.builder().add("a", 1, 1).add("a", 1, 1));
        assertThrows(IllegalArgumentException.class, () -> ParameterLayout.builder().add("", 1, 1));
        assertEquals("name", assertThrows(NullPointerException.class,
                () -> ParameterLayout.builder().add(null, 1, 1)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> ParameterLayout.builder().add("a", 0, 1));
        assertThrows(IllegalArgumentException.class,
                () -> ParameterLayout.builder().add("a", 65_536, 32_768).add("b", 1, 1));
        assertThrows(IllegalStateException.class, () -> ParameterLayout.builder().build());
    }
}
