package io.github.microgpt.internal;

import io.github.microgpt.text.VisibleText;

/**
 * The one way the library's {@code toString()} methods quote a text they hold (a token, a prefix, a
 * generated name, a vocabulary) and their messages quote a value they refuse (the simulator's
 * too): in double quotes as a Java string literal, so that a quote, a backslash or a line break
 * inside it cannot be mistaken for the end of the quotation or the end of the line. Reading the
 * result as a Java string literal gives the text back.
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

    /**
     * Part of a text as a message quotes it, so that a text of megabytes is refused in a message
     * of one line: {@code text.substring(from, to)} as a {@link #literal}, with "…" inside the
     * quotes on each side where the text goes on, then the whole text's length in characters
     * (code points: what a person counts), as in {@code "ab…" (5000 characters)}. The whole text
     * is its plain {@link #literal}.
     *
     * @param text the text
     * @param from where the quoted part starts (the caller keeps it off the second half of a
     *     surrogate pair)
     * @param to where it ends, exclusive (likewise)
     * @return the quotation
     * @throws IndexOutOfBoundsException if {@code [from, to)} is not within the text
     */
    public static String excerpt(String text, int from, int to) {
        String inner = literal(text.substring(from, to));
        if (from == 0 && to == text.length()) {
            return inner;
        }
        return "\"" + (from > 0 ? "…" : "") + inner.substring(1, inner.length() - 1)
                + (to < text.length() ? "…" : "") + "\" (" + text.codePointCount(0, text.length()) + " characters)";
    }
}
