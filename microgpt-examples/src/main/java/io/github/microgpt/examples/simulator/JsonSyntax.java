package io.github.microgpt.examples.simulator;

/**
 * Checks that a request body is JSON as RFC 8259 defines it, and says where it is not.
 *
 * <p>Gson's {@code JsonParser}, which builds the tree the requests are read from, is lenient:
 * it takes names and strings without quotes, single quotes, comments, {@code =} or {@code ;}
 * between fields, {@code NaN} and a leading {@code )]}'}. A body that is not JSON was then
 * answered as if it were, and whoever wrote the client could not learn from the server that it
 * sends broken JSON. Gson's strict mode is no cure: it cannot read a number longer than its
 * buffer of 1,024 chars, which is JSON all the same (and is refused, later, as out of range).
 * So the syntax is checked here first, in one pass that keeps nothing, and only then given to
 * Gson.
 */
final class JsonSyntax {

    /** Deeper nesting than any request has (they go two objects deep) is refused, before Gson sees it. */
    static final int MAX_DEPTH = 32;

    private final String text;
    private int at;

    private JsonSyntax(String text) {
        this.text = text;
    }

    /**
     * Refuses a text that is not one JSON value (with whitespace around it).
     *
     * @param text the request body
     * @throws ApiException (400) naming the character offset (from 0), the text there and what
     *     was expected
     */
    static void check(String text) {
        JsonSyntax syntax = new JsonSyntax(text);
        syntax.value(0);
        syntax.whitespace();
        if (syntax.at < text.length()) {
            throw syntax.error("more text after the end of the value");
        }
    }

    private void value(int depth) {
        whitespace();
        if (at >= text.length()) {
            throw error("a value was expected (an object, an array, a string in double quotes, a number, true, false "
                    + "or null)");
        }
        char c = text.charAt(at);
        switch (c) {
            case '{' -> object(depth + 1);
            case '[' -> array(depth + 1);
            case '"' -> string();
            case 't' -> literal("true");
            case 'f' -> literal("false");
            case 'n' -> literal("null");
            default -> {
                if (c == '-' || (c >= '0' && c <= '9')) {
                    number();
                } else {
                    throw error("a value was expected (an object, an array, a string in double quotes, a number, "
                            + "true, false or null)");
                }
            }
        }
    }

    private void object(int depth) {
        checkDepth(depth);
        at++;
        whitespace();
        if (peek() == '}') {
            at++;
            return;
        }
        while (true) {
            whitespace();
            if (peek() != '"') {
                throw error("a name in double quotes was expected");
            }
            string();
            whitespace();
            if (peek() != ':') {
                throw error("':' was expected after the name");
            }
            at++;
            value(depth);
            if (!another('}')) {
                return;
            }
        }
    }

    private void array(int depth) {
        checkDepth(depth);
        at++;
        whitespace();
        if (peek() == ']') {
            at++;
            return;
        }
        while (true) {
            value(depth);
            if (!another(']')) {
                return;
            }
        }
    }

    /**
     * After a member of an object or an array: true past a ',' (another member follows), false
     * past the closing {@code close}.
     */
    private boolean another(char close) {
        whitespace();
        char c = peek();
        if (c != ',' && c != close) {
            throw error("',' or '" + close + "' was expected");
        }
        at++;
        return c == ',';
    }

    private void string() {
        at++; // the opening quote
        while (at < text.length()) {
            char c = text.charAt(at);
            if (c == '"') {
                at++;
                return;
            }
            if (c < 0x20) {
                throw error("a control character must be escaped in a string");
            }
            if (c == '\\') {
                at++;
                char escaped = peek();
                if ("\"\\/bfnrt".indexOf(escaped) >= 0 && escaped != 0) {
                    at++;
                } else if (escaped == 'u') {
                    for (int i = 1; i <= 4; i++) {
                        if (Character.digit(at + i < text.length() ? text.charAt(at + i) : 'x', 16) < 0) {
                            throw error("\\u must be followed by four hexadecimal digits");
                        }
                    }
                    at += 5;
                } else {
                    throw error("an escape is one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX");
                }
            } else {
                at++;
            }
        }
        throw error("the string does not end (a closing '\"' was expected)");
    }

    private void number() {
        if (peek() == '-') {
            at++;
        }
        if (peek() == '0') {
            at++;
        } else if (!digits()) {
            throw error("a digit was expected");
        }
        if (peek() == '.') {
            at++;
            if (!digits()) {
                throw error("a digit was expected after the decimal point");
            }
        }
        if (peek() == 'e' || peek() == 'E') {
            at++;
            if (peek() == '+' || peek() == '-') {
                at++;
            }
            if (!digits()) {
                throw error("a digit was expected in the exponent");
            }
        }
    }

    private boolean digits() {
        int start = at;
        while (peek() >= '0' && peek() <= '9') {
            at++;
        }
        return at > start;
    }

    private void literal(String word) {
        if (!text.startsWith(word, at)) {
            throw error("a value was expected (an object, an array, a string in double quotes, a number, true, false "
                    + "or null)");
        }
        at += word.length();
    }

    private void whitespace() {
        while (at < text.length()) {
            char c = text.charAt(at);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            at++;
        }
    }

    /** The char at the position, or 0 at the end (never a char this grammar accepts there). */
    private char peek() {
        return at < text.length() ? text.charAt(at) : 0;
    }

    private void checkDepth(int depth) {
        if (depth > MAX_DEPTH) {
            throw error("nested more than " + MAX_DEPTH + " levels deep");
        }
    }

    private ApiException error(String expected) {
        String rest = text.substring(Math.min(at, text.length()));
        return ApiException.badRequest("the request body is not valid JSON at character " + at
                + (rest.isEmpty() ? " (the end)" : ", near " + ApiException.quoted(rest)) + ": " + expected);
    }
}
