package io.github.microgpt.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.github.microgpt.optim.AdamSettings;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * A settings record's refusal says which component it refused, and tells its message in a
 * caller's names for the components: the command line, the simulator and the checkpoint reader
 * each did it by replacing words in the message's text.
 */
class InvalidSettingExceptionTest {

    @Test
    void gptConfigsRefusalNamesItsComponentsAndIsToldInACallersNames() {
        InvalidSettingException e = assertThrows(InvalidSettingException.class, () -> new GptConfig(1, 6, 4, 16, 0.08));
        assertEquals("nEmbd", e.component());
        assertEquals(List.of("nEmbd", "nHead"), e.components(), "a rule between two values names both");
        assertEquals("nEmbd (6) must be divisible by nHead (4) so that every head gets the same number of dimensions",
                e.getMessage(), "the record's names, as before");
        assertEquals("--n-embd (6) must be divisible by --n-head (4) so that every head gets the same number of"
                + " dimensions", e.message(Map.of("nEmbd", "--n-embd", "nHead", "--n-head")::get));
        assertEquals("Width (6) must be divisible by nHead (4) so that every head gets the same number of dimensions",
                e.message(Map.of("nEmbd", "Width")::get), "a component without a name of the caller's keeps its own");

        InvalidSettingException layers = assertThrows(InvalidSettingException.class,
                () -> GptConfig.defaults().withNLayer(0));
        assertEquals(List.of("nLayer"), layers.components());
        assertEquals("--n-layer must be at least 1, got 0", layers.message(Map.of("nLayer", "--n-layer")::get));
        assertEquals("initStd", assertThrows(InvalidSettingException.class,
                () -> GptConfig.defaults().withInitStd(-1)).component());
    }

    @Test
    void adamSettingsRefusalToo() {
        InvalidSettingException e = assertThrows(InvalidSettingException.class,
                () -> AdamSettings.defaults().withBetas(0.9, 1.0));
        assertEquals("beta2", e.component());
        assertEquals("beta2 must be in [0, 1), got 1.0", e.getMessage());
        assertEquals("\"beta2\" must be in [0, 1), got 1.0", e.message(name -> "\"" + name + "\""));
    }

    @Test
    void aTemplateNamesTheRefusedComponentFirstAndOtherBracesStayText() {
        InvalidSettingException e = new InvalidSettingException("{width} ({0}) must exceed {depth} and {width}/2");
        assertEquals("width", e.component());
        assertEquals(List.of("width", "depth"), e.components(), "each once, in order");
        assertEquals("width ({0}) must exceed depth and width/2", e.getMessage());
        assertEquals("W ({0}) must exceed $1 and W/2",
                e.message(Map.of("width", "W", "depth", "$1")::get), "a name is used as it is, even with a $");
        assertEquals(e.getMessage(), e.message(Function.identity()));
        assertEquals("a setting's refusal names the component it refuses in braces, such as {nEmbd}; got \"too big\"",
                assertThrows(IllegalArgumentException.class, () -> new InvalidSettingException("too big")).getMessage());
        assertEquals("names", assertThrows(NullPointerException.class, () -> e.message(null)).getMessage());
    }
}
