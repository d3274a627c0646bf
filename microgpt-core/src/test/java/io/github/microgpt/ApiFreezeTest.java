package io.github.microgpt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.checkpoint.Checkpoint;
import io.github.microgpt.model.Precision;
import io.github.microgpt.text.Documents;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Arrays;
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
}
