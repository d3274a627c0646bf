package io.github.microgpt.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Locale;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * {@link Engine#fromId}, {@link Architecture#fromId} and {@link Precision#fromId} follow one rule:
 * every constant's id, in any case, finds it; anything else, a padded id included, is an
 * {@link IllegalArgumentException} quoting the name and listing the ids; null is a
 * {@link NullPointerException} naming the parameter, as {@code of(null)} is.
 */
class ShortIdsTest {

    @Test
    void engines() {
        checkAll(Engine.values(), Engine::id, Engine::fromId);
        assertEquals("unknown engine \"fast\"; the engines are value and array", unknown(Engine::fromId, "fast"));
    }

    @Test
    void architectures() {
        checkAll(Architecture.values(), Architecture::id, Architecture::fromId);
        // "model", as the command line's --model and the checkpoint's messages call an architecture.
        assertEquals("unknown model \"rnn\"; the models are bigram, mlp, attention and gpt",
                unknown(Architecture::fromId, "rnn"));
    }

    @Test
    void precisions() {
        checkAll(Precision.values(), Precision::id, Precision::fromId);
        assertEquals("unknown precision \"f16\"; the precisions are f64 and f32", unknown(Precision::fromId, "f16"));
    }

    @Test
    void anUnknownNameIsQuotedWithItsHiddenCharactersShown() {
        // A zero-width space pasted into a name would otherwise make the message quote what looks like a known name.
        assertEquals("unknown engine \"arr\\u200Bay\"; the engines are value and array",
                unknown(Engine::fromId, "arr\u200Bay"));
    }

    private static <E extends Enum<E>> void checkAll(E[] constants, Function<E, String> idOf, Function<String, E> fromId) {
        for (E constant : constants) {
            String id = idOf.apply(constant);
            assertEquals(id.toLowerCase(Locale.ROOT), id, "ids are lower case");
            assertSame(constant, fromId.apply(id));
            assertSame(constant, fromId.apply(id.toUpperCase(Locale.ROOT)));
            assertSame(constant, fromId.apply(Character.toUpperCase(id.charAt(0)) + id.substring(1)));
            // Not trimmed: a padded name is not a name.
            String padded = unknown(fromId, " " + id);
            assertTrue(padded.startsWith("unknown ") && padded.contains("\" " + id + "\""), padded);
        }
        // The list in the message comes from the constants, so a new one cannot be left out of it.
        String message = unknown(fromId, "");
        for (E constant : constants) {
            assertTrue(message.contains(" " + idOf.apply(constant)), message + " should list " + idOf.apply(constant));
        }
        NullPointerException none = assertThrows(NullPointerException.class, () -> fromId.apply(null));
        assertEquals("id", none.getMessage());
    }

    private static String unknown(Function<String, ?> fromId, String id) {
        return assertThrows(IllegalArgumentException.class, () -> fromId.apply(id)).getMessage();
    }
}
