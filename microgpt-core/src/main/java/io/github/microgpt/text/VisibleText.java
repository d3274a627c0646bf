package io.github.microgpt.text;

import java.util.Objects;
import java.util.function.IntPredicate;

/**
 * Shows a text so that a reader sees every character in it: each character that would not show
 * as itself is written as a Java escape (a backslash, {@code u} and four hexadecimal digits).
 * Those are the control characters (a line break would cut a line, an escape would drive the
 * terminal), the format characters (a zero-width space U+200B, a byte-order mark U+FEFF, a soft
 * hyphen U+00AD, the bidirectional controls such as U+202E, which reorder the rest of the line),
 * the line and paragraph separators, the spaces other than the plain one (a no-break space looks
 * like a space but is not one), and halves of a surrogate pair that stand alone. A backslash is
 * doubled, as in a Java string literal: otherwise the six characters a user typed, {@code \u200B},
 * would read the same as the one invisible character, and a message about the one would mislead
 * about the other. Everything else, accented letters and other scripts included, is shown as itself.
 *
 * <pre>{@code
 * VisibleText.escape("ma\u200Bx")   // "ma\\u200Bx": the zero-width space a tokenizer refuses, made visible
 * VisibleText.escape("ma\\u200Bx")  // "ma\\\\u200Bx": the user's own backslash, told apart from it
 * }</pre>
 *
 * <p>{@link #escapeWhere} writes chosen characters as escapes and leaves backslashes alone: for a
 * whole message, whose quotations were escaped already (their doubled backslashes must not double
 * again) and whose other parts, such as a Windows path, are not quotations.
 *
 * <p>The library's messages quote text this way (a prefix with a character outside the
 * vocabulary, a name in a checkpoint), and so do the example programs' command line and
 * simulator: use it to print a vocabulary, a document or a message where the reader must see
 * what is there. A sample's text is the data's: print it as it is, since a format character such
 * as a zero-width joiner belongs in it.
 */
public final class VisibleText {

    private VisibleText() {
    }

    /**
     * Whether a character would not show as itself, and {@link #escape} writes it as an escape.
     *
     * @param codePoint a Unicode code point (a lone surrogate counts as one)
     * @return true for a control, format, surrogate or separator character other than the plain space
     */
    public static boolean isHidden(int codePoint) {
        return switch (Character.getType(codePoint)) {
            case Character.CONTROL, Character.FORMAT, Character.SURROGATE, Character.LINE_SEPARATOR,
                    Character.PARAGRAPH_SEPARATOR -> true;
            case Character.SPACE_SEPARATOR -> codePoint != ' ';
            default -> false;
        };
    }

    /**
     * A text quoted for a reader: each character that {@link #isHidden} written as Java escapes,
     * one per UTF-16 unit (U+E0001, a tag outside the Basic Multilingual Plane, is two), each
     * backslash doubled, and every other character as itself. Reading the result as a Java string
     * literal gives the text back.
     *
     * @param text the text
     * @return the text, every character of it visible and told apart from an escape
     * @throws NullPointerException if {@code text} is null
     */
    public static String escape(String text) {
        Objects.requireNonNull(text, "text");
        return escape(text, VisibleText::isHidden, true);
    }

    /**
     * A text with each character that {@code escaped} accepts written as Java escapes, one per
     * UTF-16 unit, and every other character as itself, backslashes included. For a text that
     * already holds quotations made by {@link #escape} (a whole message: its hidden characters are
     * escaped as a last guard, without doubling what its quotations doubled), or that is shown
     * rather than quoted (a generated name on a terminal, which keeps its joiners but not its
     * line breaks).
     *
     * @param text the text
     * @param escaped which code points to write as escapes (a lone surrogate is one), for example
     *     {@code VisibleText::isHidden}
     * @return the text with those characters escaped
     * @throws NullPointerException if {@code text} or {@code escaped} is null
     */
    public static String escapeWhere(String text, IntPredicate escaped) {
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(escaped, "escaped");
        return escape(text, escaped, false);
    }

    private static String escape(String text, IntPredicate escaped, boolean doubleBackslashes) {
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); ) {
            int codePoint = text.codePointAt(i);
            int units = Character.charCount(codePoint);
            if (codePoint == '\\' && doubleBackslashes) {
                out.append("\\\\");
            } else if (escaped.test(codePoint)) {
                for (int k = 0; k < units; k++) {
                    out.append(String.format(java.util.Locale.ROOT, "\\u%04X", (int) text.charAt(i + k)));
                }
            } else {
                out.appendCodePoint(codePoint);
            }
            i += units;
        }
        return out.toString();
    }
}
