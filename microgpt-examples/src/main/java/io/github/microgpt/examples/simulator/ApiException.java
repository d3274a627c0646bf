package io.github.microgpt.examples.simulator;

import io.github.microgpt.internal.Quoted;
import io.github.microgpt.text.VisibleText;

/**
 * A request the simulator refuses, with the HTTP status to answer and a message for the person
 * at the page. Thrown before anything changes, so a refused request leaves the session as it was.
 */
public final class ApiException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int status;

    /**
     * Creates the exception.
     *
     * @param status the HTTP status, for example 400 for a bad value or 409 for a request that
     *     does not fit the session's state (such as Step while a run is in progress)
     * @param message one sentence that says what is wrong and, where it helps, what to do; the
     *     characters a person could not see in it (a zero-width space, a right-to-left override, a
     *     line break in a quoted value) are shown escaped ({@link VisibleText})
     */
    public ApiException(int status, String message) {
        super(message == null ? null : VisibleText.escapeWhere(message, VisibleText::isHidden));
        this.status = status;
    }

    /**
     * A bad value: HTTP 400.
     *
     * @param message what is wrong
     * @return the exception
     */
    public static ApiException badRequest(String message) {
        return new ApiException(400, message);
    }

    /**
     * A request that the session cannot carry out in its present state: HTTP 409.
     *
     * @param message what is in the way
     * @return the exception
     */
    public static ApiException conflict(String message) {
        return new ApiException(409, message);
    }

    /** How much of a value a message repeats; a refused value can be as large as a request. */
    private static final int EXCERPT_CHARS = 60;

    /**
     * A value as a message shows it: whole if it is short, else its start and its length in
     * characters (code points, as {@link #quoted} counts them), so that a value of megabytes is
     * refused with a message of one line.
     *
     * @param text the value as it was sent
     * @return the value, or its first characters and how many there were
     */
    static String excerpt(String text) {
        int end = excerptEnd(text);
        return end == text.length() ? text
                : text.substring(0, end) + "… (" + text.codePointCount(0, text.length()) + " characters)";
    }

    /**
     * A value as a message quotes it: {@link #excerpt}'s part of it in double quotes as a Java
     * string literal (a backslash doubled, a {@code "} written {@code \"}, hidden characters as
     * {@code \}{@code uXXXX}), so that a quote in a hostile value cannot end the quotation early
     * and make the rest of the value read as the server's own words; where the value is cut,
     * "…" inside the quotes and its length after them. The library's messages quote the same way,
     * with the same code (core's internal {@code Quoted}, which this module, built and shipped
     * with the core, may use on the class path).
     *
     * @param text the value as it was sent
     * @return the quotation
     */
    static String quoted(String text) {
        return Quoted.excerpt(text, 0, excerptEnd(text));
    }

    /**
     * {@link #excerpt} of a text of which only the start is at hand (the rest was never decoded):
     * the start cut as {@link #excerpt} cuts, and the whole text's length.
     *
     * @param start the text's first characters, more than {@link #excerpt} shows
     * @param codePoints the whole text's length in code points
     * @return the excerpt
     */
    static String excerptOfStart(String start, long codePoints) {
        return start.substring(0, excerptEnd(start)) + "… (" + codePoints + " characters)";
    }

    /**
     * {@link #quoted} of a text of which only the start is at hand, as {@link #excerptOfStart}.
     *
     * @param start the text's first characters, more than {@link #quoted} shows
     * @param codePoints the whole text's length in code points
     * @return the quotation
     */
    static String quotedStart(String start, long codePoints) {
        String inner = Quoted.literal(start.substring(0, excerptEnd(start)));
        return "\"" + inner.substring(1, inner.length() - 1) + "…\" (" + codePoints + " characters)";
    }

    /** Where {@link #excerpt} cuts {@code text}: its length if it is short, never inside a surrogate pair. */
    private static int excerptEnd(String text) {
        if (text.length() <= EXCERPT_CHARS) {
            return text.length();
        }
        return Character.isHighSurrogate(text.charAt(EXCERPT_CHARS - 1)) ? EXCERPT_CHARS - 1 : EXCERPT_CHARS;
    }

    /**
     * The HTTP status to answer with.
     *
     * @return the status
     */
    public int status() {
        return status;
    }
}
