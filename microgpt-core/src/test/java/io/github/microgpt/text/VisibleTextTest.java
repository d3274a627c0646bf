package io.github.microgpt.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** {@link VisibleText}: every character a reader could not see is escaped, every other shown as itself. */
class VisibleTextTest {

    @Test
    void invisibleCharactersAreEscapedOnePerUtf16Unit() {
        // A zero-width space, a byte-order mark, a right-to-left override, a no-break space, a soft
        // hyphen, a word joiner, an ideographic space, a lone surrogate, a tag (two units), a line break.
        assertEquals("a\\u200Bb\\uFEFFc\\u202Ed\\u00A0e\\u00ADf\\u2060g\\u3000h\\uD800i\\uDB40\\uDC01j\\u000A",
                VisibleText.escape("a\u200Bb\uFEFFc\u202Ed\u00A0e\u00ADf\u2060g\u3000h\uD800i\uDB40\uDC01j\n"));
        assertEquals("", VisibleText.escape(""));
        assertThrows(NullPointerException.class, () -> VisibleText.escape(null));
    }

    @Test
    void lettersOfAnyScriptPunctuationAndThePlainSpaceAreShownAsThemselves() {
        String letters = "zo\u00eb \u05e9\u05dc\u05d5\u05dd \u4e2d\uD83D\uDE00 \u2026 \u00d7 a-b_c";
        assertEquals(letters, VisibleText.escape(letters));
    }

    @Test
    void isHiddenAgreesWithEscapeOverTheBasicPlane() {
        for (int c = 0; c <= Character.MAX_VALUE; c++) {
            if (c == '\\') {
                continue;  // shown, but doubled: see below
            }
            String one = String.valueOf((char) c);
            assertEquals(VisibleText.isHidden(c), !VisibleText.escape(one).equals(one), String.format("U+%04X", c));
        }
        assertTrue(VisibleText.isHidden(0xE0001), "a tag character");
        assertFalse(VisibleText.isHidden(0x1F600), "an emoji");
        assertFalse(VisibleText.isHidden(' '));
    }

    /**
     * A backslash the user typed is doubled, so that the six characters of a typed escape read
     * differently from the one character an escape stands for; before, both read as the same six characters.
     */
    @Test
    void aBackslashIsDoubledSoThatATypedEscapeIsToldApartFromAHiddenCharacter() {
        String typed = "ma\\u200Bx";
        String hidden = "ma\u200Bx";
        assertEquals("ma\\\\u200Bx", VisibleText.escape(typed));
        assertEquals("ma\\u200Bx", VisibleText.escape(hidden));
        assertFalse(VisibleText.escape(typed).equals(VisibleText.escape(hidden)));
        assertEquals("C:\\\\data", VisibleText.escape("C:\\data"));
    }

    /** escapeWhere escapes what its rule picks and leaves backslashes as they are (a message's quotations doubled theirs). */
    @Test
    void escapeWhereLeavesBackslashesAndOtherCharactersAlone() {
        String message = "prefix \"" + VisibleText.escape("a\\b\u200B") + "\" in C:\\x\n";
        assertEquals("prefix \"a\\\\b\\u200B\" in C:\\x\\u000A", VisibleText.escapeWhere(message, VisibleText::isHidden));
        assertEquals("a\u200Db\\u000A", VisibleText.escapeWhere("a\u200Db\n", c -> c == '\n'), "a joiner kept");
        assertThrows(NullPointerException.class, () -> VisibleText.escapeWhere("a", null));
    }
}
