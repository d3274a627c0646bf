package io.github.microgpt.examples.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** How {@link ApiException}'s messages show a refused value. */
class ApiExceptionTest {

    /**
     * A value is cut after 60 UTF-16 units, never inside a pair, and its length is counted in
     * characters as a person counts them, as the library's messages count them (core's
     * {@code Quoted}, which quotes for both). The simulator counted UTF-16 units: 100 emoji were
     * "(200 characters)".
     */
    @Test
    void aLongValueIsCutAndItsCharactersCountedAsAPersonCountsThem() {
        String emoji = "😀".repeat(100);
        assertEquals("\"" + "😀".repeat(30) + "…\" (100 characters)", ApiException.quoted(emoji));
        assertEquals("😀".repeat(30) + "… (100 characters)", ApiException.excerpt(emoji));
        // An odd cut point moves back off the pair: 59 units, the letter and 29 emoji.
        String odd = "a" + emoji;
        assertEquals("\"a" + "😀".repeat(29) + "…\" (101 characters)", ApiException.quoted(odd));
        assertEquals("a" + "😀".repeat(29) + "… (101 characters)", ApiException.excerpt(odd));
    }

    @Test
    void aShortValueIsWholeAndAQuoteInItCannotEndTheQuotation() {
        String hostile = "x\" is fine; \\ \u202E";
        assertEquals("\"x\\\" is fine; \\\\ \\u202E\"", ApiException.quoted(hostile));
        assertEquals(hostile, ApiException.excerpt(hostile), "shown as it came (the message escapes the hidden)");
        assertEquals("\"" + "a".repeat(60) + "\"", ApiException.quoted("a".repeat(60)), "60 characters fit");
    }
}
