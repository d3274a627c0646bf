package io.github.microgpt.internal;

import io.github.microgpt.text.VisibleText;

/**
 * The one way the library's {@code toString()} methods quote a text they hold (a token, a prefix, a
 * generated name, a vocabulary): in double quotes as a Java string literal, so that a quote, a
 * backslash or a line break inside it cannot be mistaken for the end of the quotation or the end of
 * the line. Reading the result as a Java string literal gives the text back.
 */
public final class Quoted {

    private Quoted() {
    }

    /**
     * The text as a Java string literal: {@link VisibleText#escape} (backslashes doubled, hidden
     * characters as {@code \}{@code uXXXX}) with each {@code "} written {@code \"}, in double quotes.
     *
     * @param text the text
     * @return the quotation
     * @throws NullPointerException if {@code text} is null
     */
    public static String literal(String text) {
        return "\"" + VisibleText.escape(text).replace("\"", "\\\"") + "\"";
    }
}
