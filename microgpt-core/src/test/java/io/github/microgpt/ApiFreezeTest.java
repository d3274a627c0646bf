package io.github.microgpt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.checkpoint.Checkpoint;
import io.github.microgpt.model.Precision;
import io.github.microgpt.text.Documents;
import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What the review before freezing the API as 0.1.0 settled, each pinned so that it does not come
 * back unnoticed.
 */
class ApiFreezeTest {

    /**
     * {@link Precision} is how a model computes. A public {@code Checkpoint.save(..., Precision)}
     * used it for the file's number type as well, so {@code save(dir, f64Model, tokenizer, null,
     * Precision.F32)} read as "save an f32 model" while it rounded the weights of an f64 one. No
     * program called it; a save now always stores the model's own type, exactly.
     */
    @Test
    void noPublicSaveTakesAPrecision() {
        for (Method method : Checkpoint.class.getMethods()) {
            if (Modifier.isPublic(method.getModifiers()) && method.getName().equals("save")) {
                assertFalse(Arrays.asList(method.getParameterTypes()).contains(Precision.class), method.toString());
            }
        }
        assertEquals(2, Arrays.stream(Checkpoint.class.getMethods()).filter(m -> m.getName().equals("save")).count(),
                "save(directory, model, tokenizer) and save(directory, model, tokenizer, training)");
    }

    /**
     * {@code Documents.isRefused(int)} read as "is this document refused"; the rule is about one
     * character, and its name now says so.
     */
    @Test
    void theDocumentsRuleIsNamedForACharacter() {
        assertTrue(Documents.isRefusedCharacter(0x1B), "the escape that drives a terminal");
        assertTrue(Documents.isRefusedCharacter(0x2028), "the line separator");
        assertFalse(Documents.isRefusedCharacter('\t'), "the tab");
        assertFalse(Documents.isRefusedCharacter('a'));
        assertThrows(NoSuchMethodException.class, () -> Documents.class.getMethod("isRefused", int.class));
    }

    /**
     * The teaching models' forward passes are read line by line against {@code microgpt.py},
     * which divides each attention logit by {@code head_dim**0.5}. They called that divisor
     * {@code scale}, the name {@code ValueOps.rmsnorm} gives its multiplier; now its name says
     * what it is. A check of the source text (run from the module's directory, as Maven does).
     */
    @Test
    void theValueModelsNameTheAttentionDivisorAfterThePython() throws IOException {
        for (String model : List.of("GptModel", "AttentionModel")) {
            Path source = Path.of("src/main/java/io/github/microgpt/model", model + ".java");
            String text = Files.readString(source, StandardCharsets.UTF_8);
            assertTrue(text.contains("double sqrtHeadDim = Math.pow(headDim, 0.5);"), model);
            assertTrue(text.contains(".div(sqrtHeadDim);"), model);
            assertFalse(text.contains("scale"), model + " has no other 'scale' than rmsnorm's, in ValueOps");
        }
    }
}
