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
            String one = String.valueOf((char) c);
            assertEquals(VisibleText.isHidden(c), !VisibleText.escape(one).equals(one), String.format("U+%04X", c));
        }
        assertTrue(VisibleText.isHidden(0xE0001), "a tag character");
        assertFalse(VisibleText.isHidden(0x1F600), "an emoji");
        assertFalse(VisibleText.isHidden(' '));
    }
}
