package io.github.microgpt.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** {@link Quoted}: the one way the library (and the simulator) quote a text in a message. */
class QuotedTest {

    @Test
    void aLiteralEscapesWhatCouldEndTheQuotationOrHideInIt() {
        assertEquals("\"a\\\"b\\\\c\\u000Ad\"", Quoted.literal("a\"b\\c\nd"));
        assertEquals("\"\"", Quoted.literal(""));
        assertThrows(NullPointerException.class, () -> Quoted.literal(null));
    }

    @Test
    void anExcerptMarksWhereTheTextGoesOnAndCountsItsCharacters() {
        assertEquals("\"abc\"", Quoted.excerpt("abc", 0, 3), "the whole text is its literal");
        assertEquals("\"ab…\" (3 characters)", Quoted.excerpt("abc", 0, 2));
        assertEquals("\"…b…\" (3 characters)", Quoted.excerpt("abc", 1, 2));
        assertEquals("\"…\\\"c\" (3 characters)", Quoted.excerpt("a\"c", 1, 3), "escaped inside the quotes");
        // Characters as a person counts them: a pair of surrogates is one.
        assertEquals("\"😀…\" (3 characters)", Quoted.excerpt("😀😀😀", 0, 2));
        assertThrows(IndexOutOfBoundsException.class, () -> Quoted.excerpt("abc", 2, 4));
    }
}
