package io.github.microgpt.examples.simulator;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import com.google.gson.internal.LazilyParsedNumber;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;

/**
 * Reads a request body, as the UTF-8 bytes it arrived in, as JSON as RFC 8259 defines it: in one
 * pass that checks the syntax, refuses a name given twice in one object, and builds the tree the
 * request's record is read from ({@link Requests#read}) out of only what a request can use.
 *
 * <p>Why not Gson's own parser: it is lenient (it takes names and strings without quotes, single
 * quotes, comments, {@code =} or {@code ;} between fields, {@code NaN}, a leading {@code )]}'}),
 * so a body that is not JSON was answered as if it were, and whoever wrote the client could not
 * learn that it sends broken JSON; and its strict mode cannot read a number longer than its buffer
 * of 1,024 chars, which is JSON all the same. Nor does its tree keep a name given twice: it keeps
 * the last value, and the person who sent {@code {"numSteps": 5, "numSteps": 5000}} could not tell
 * which one the server heard.
 *
 * <p>Why from the bytes, building only some of it: what a body costs to read must stay a small
 * multiple of its bytes, known before the read begins ({@link #COST_PER_BYTE}), so that the bodies
 * read at once can be bounded ({@link ServerLimits#maxParseBytes()}). Decoding a body to a
 * {@code String} first, then letting Gson build the whole tree, cost up to ten times its bytes
 * (twice for the decoder, twice for a text beyond Latin-1, Gson's buffer for a long string, the
 * tree), and far more for a body of many small values: an array of four million {@code 1}s in
 * 8 MiB became four million objects. Here
 * <ul>
 *   <li>the bytes are checked as UTF-8 in pieces and never decoded whole;</li>
 *   <li>an object is built only where the request has a record ({@code paths}: the request itself,
 *       {@code config}, {@code dataset}); any other array or object, which every request refuses
 *       anyway, is checked but not built: in its place is a stand-in that {@link #shown} shows as
 *       the start of the JSON text sent and its length;</li>
 *   <li>a string longer than {@link Limits#MAX_TEXT_CHARS} characters, longer than any field
 *       takes, is not built: its refusal ({@link TooLong}) is made from its length;</li>
 *   <li>at most {@link #MAX_NAMES} names are kept to find one given twice; a body with more is
 *       refused (no request has more than a few dozen).</li>
 * </ul>
 * Refusals other than of the syntax (a repeated name, a string too long, too many names) wait
 * until the whole body is known to be JSON, so that broken JSON is always called that, whatever
 * else is wrong with it; the first of them in the text is the one thrown.
 */
final class JsonSyntax {

    /** Deeper nesting than any request has (they go two objects deep) is refused. */
    static final int MAX_DEPTH = 32;
    /** The most names of fields one body may hold, in all its objects. */
    static final int MAX_NAMES = 10_000;
    /**
     * What reading a body allocates at most beyond its bytes, per byte of it (so also the most it
     * holds at once): the strings built, at most 2 bytes a byte (a character of one byte is held
     * in 2 when its string holds one beyond Latin-1), and what the JDK's decoding of such a string
     * allocates besides, at most 3 more (a first try at Latin-1, 1 byte a byte, then 2 bytes a
     * byte, which the string of the right length is copied from). Measured with
     * {@code JsonBodyCostTest}: an 8 MiB text of one long string beyond Latin-1 takes about 5,
     * a text of ASCII about 2, bodies of many small values less than 1.
     * {@link #FIXED_COST} is added for the names kept and the rest.
     */
    static final int COST_PER_BYTE = 5;
    /** What reading a body may take besides {@link #COST_PER_BYTE}: the names kept (at most {@link #MAX_NAMES}). */
    static final long FIXED_COST = 1024 * 1024;

    /** The refusal of a string too long to build, from where it is and how long it is. */
    interface TooLong {
        /**
         * The refusal.
         *
         * @param field where the string is, as in {@code dataset.text}, or {@code null} if that is
         *     too long to say whole
         * @param quoted where it is, as a message quotes it ({@link ApiException#quoted})
         * @param chars its length in UTF-16 characters, as {@link String#length()} counts
         * @return the exception (400)
         */
        ApiException refuse(String field, String quoted, long chars);
    }

    /** The first element of a stand-in for an array or object not built; known by identity. */
    private static final String STAND_IN = new String("not built");

    private final byte[] bytes;
    private final int end;
    private final Set<String> objectPaths;
    private final TooLong tooLong;
    private int at;
    private int names;
    /** The first refusal other than of the syntax, thrown once the syntax is known to be right. */
    private ApiException refusal;

    private JsonSyntax(byte[] bytes, int length, Set<String> objectPaths, TooLong tooLong) {
        this.bytes = bytes;
        this.end = length;
        this.objectPaths = objectPaths;
        this.tooLong = tooLong;
    }

    /**
     * Reads a body as one JSON value (with whitespace around it). An empty or blank body (only
     * whitespace, as {@link String#isBlank} has it) is an empty object.
     *
     * @param bytes the body's bytes, from 0
     * @param length how many there are
     * @param objectPaths where the request has a record, so where an object is built: {@code "$"}
     *     for the request itself, else a field's path ({@code config})
     * @param tooLong the refusal of a string longer than {@link Limits#MAX_TEXT_CHARS} characters
     * @return the value, with stand-ins for the arrays and objects not built
     * @throws ApiException (400) if the bytes are not UTF-8, or not one JSON value (naming the
     *     character offset, from 0, the text there and what was expected), or an object has a
     *     name twice, a string is too long, or there are more than {@link #MAX_NAMES} names
     */
    static JsonElement parse(byte[] bytes, int length, Set<String> objectPaths, TooLong tooLong) {
        checkUtf8(bytes, length);
        JsonSyntax syntax = new JsonSyntax(bytes, length, objectPaths, tooLong);
        if (syntax.blank()) {
            return new JsonObject();
        }
        JsonElement value = syntax.value(0, true);
        syntax.whitespace();
        if (syntax.at < length) {
            throw syntax.error("more text after the end of the value");
        }
        if (syntax.refusal != null) {
            throw syntax.refusal;
        }
        return value;
    }

    /**
     * A value as a refusal shows it: its JSON text ({@link ApiException#excerpt}), or for a
     * stand-in the start of the text sent, without whitespace, and its length in characters.
     *
     * @param element a value from {@link #parse}
     * @return the text to show
     */
    static String shown(JsonElement element) {
        if (element.isJsonArray() && element.getAsJsonArray().size() == 2
                && element.getAsJsonArray().get(0).isJsonPrimitive()
                && element.getAsJsonArray().get(0).getAsJsonPrimitive().isString()
                && element.getAsJsonArray().get(0).getAsString() == STAND_IN) {
            return element.getAsJsonArray().get(1).getAsString();
        }
        return ApiException.excerpt(element.toString());
    }

    private static void checkUtf8(byte[] bytes, int length) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes, 0, length);
        CharBuffer out = CharBuffer.allocate(4096);
        while (true) {
            CoderResult result = decoder.decode(in, out, true);
            if (result.isError()) {
                throw ApiException.badRequest("the request body is not valid UTF-8");
            }
            out.clear();
            if (result.isUnderflow()) {
                if (decoder.flush(out).isError()) {
                    throw ApiException.badRequest("the request body is not valid UTF-8");
                }
                return;
            }
        }
    }

    /** Whether the body holds only whitespace ({@link Character#isWhitespace}), or nothing. */
    private boolean blank() {
        for (int i = 0; i < end; ) {
            int b = bytes[i] & 0xFF;
            int cp;
            int n;
            if (b < 0x80) {
                cp = b;
                n = 1;
            } else if (b < 0xE0) {
                cp = (b & 0x1F) << 6 | (bytes[i + 1] & 0x3F);
                n = 2;
            } else if (b < 0xF0) {
                cp = (b & 0x0F) << 12 | (bytes[i + 1] & 0x3F) << 6 | (bytes[i + 2] & 0x3F);
                n = 3;
            } else {
                return false;  // beyond the BMP: no whitespace there
            }
            if (!Character.isWhitespace(cp)) {
                return false;
            }
            i += n;
        }
        return true;
    }

    /**
     * The names and indices on the way to the value being read, one level per open object or
     * array: {@code names[d]} is the name of the member being read in the container at depth
     * {@code d}, or {@code null} in an array, whose element is {@code indices[d]}. A path is made
     * from them only when a message or the choice of what to build needs it, so that neither an
     * array of a million elements nor a name of megabytes costs a path for each value under it.
     */
    private final String[] pathNames = new String[MAX_DEPTH + 2];
    private final int[] pathIndices = new int[MAX_DEPTH + 2];

    /** How much of a long path a message is given ({@link ApiException#quotedStart}). */
    private static final int PATH_START = 256;

    /**
     * The path of the value at {@code depth}, as Gson names it ({@code $.config.nLayer},
     * {@code $.a[0]}), whole, or {@code null} if it is longer than {@link #PATH_START}.
     */
    private String path(int depth) {
        StringBuilder path = new StringBuilder("$");
        for (int d = 1; d <= depth; d++) {
            String name = pathNames[d];
            if (name != null && path.length() + name.length() > PATH_START) {
                return null;
            }
            if (name != null) {
                path.append('.').append(name);
            } else {
                path.append('[').append(pathIndices[d]).append(']');
            }
        }
        return path.toString();
    }

    /** The path of the value at {@code depth} as messages quote a field: without Gson's {@code $.}. */
    private String quotedPath(int depth) {
        String whole = path(depth);
        if (whole != null) {
            return ApiException.quoted(field(whole));
        }
        StringBuilder start = new StringBuilder();
        long codePoints = 0;
        for (int d = 1; d <= depth; d++) {
            // No copy of a name: it may be megabytes long.
            String name = pathNames[d];
            String part = name != null ? name : "[" + pathIndices[d] + "]";
            if (name != null && d > 1) {
                codePoints++;
                start.append('.');
            }
            codePoints += part.codePointCount(0, part.length());
            if (start.length() < PATH_START) {
                start.append(part, 0, Math.min(part.length(), PATH_START));
            }
        }
        return ApiException.quotedStart(start.toString(), codePoints);
    }

    /**
     * The value at {@code at}: built if {@code build} (the caller keeps it), else only checked; an
     * object is built only where the request has a record.
     */
    private JsonElement value(int depth, boolean build) {
        whitespace();
        if (at >= end) {
            throw error("a value was expected (an object, an array, a string in double quotes, a number, true, false "
                    + "or null)");
        }
        build &= refusal == null;  // a refused body builds nothing more
        int c = bytes[at];
        switch (c) {
            case '{', '[' -> {
                if (c == '{' && build) {
                    String path = path(depth);
                    if (path != null && objectPaths.contains(path)) {
                        JsonObject object = new JsonObject();
                        members(depth + 1, object);
                        return object;
                    }
                }
                int start = at;
                if (c == '{') {
                    members(depth + 1, null);
                } else {
                    elements(depth + 1);
                }
                return build && refusal == null ? standIn(start, at) : null;
            }
            case '"' -> {
                return string(depth, build);
            }
            case 't' -> {
                literal("true");
                return build ? new JsonPrimitive(true) : null;
            }
            case 'f' -> {
                literal("false");
                return build ? new JsonPrimitive(false) : null;
            }
            case 'n' -> {
                literal("null");
                return JsonNull.INSTANCE;
            }
            default -> {
                if (c == '-' || (c >= '0' && c <= '9')) {
                    int start = at;
                    number();
                    return build ? new JsonPrimitive(new LazilyParsedNumber(ascii(start, at))) : null;
                }
                throw error("a value was expected (an object, an array, a string in double quotes, a number, "
                        + "true, false or null)");
            }
        }
    }

    /**
     * An object's members, at {@code depth}: put in {@code object}, or only checked if it is
     * {@code null} (an object not built). Its names are kept to find one given twice.
     */
    private void members(int depth, JsonObject object) {
        checkDepth(depth);
        at++;
        whitespace();
        if (peek() == '}') {
            at++;
            return;
        }
        Set<String> seen = new HashSet<>();
        while (true) {
            whitespace();
            if (peek() != '"') {
                throw error("a name in double quotes was expected");
            }
            // Once the body is refused, nothing more is kept or built: only its syntax is checked.
            int nameStart = at;
            long nameChars = scanString();
            String name = refusal != null ? null : text(nameStart, nameChars);
            pathNames[depth] = name != null ? name : "";
            if (name == null) {
                // refused already
            } else if (++names > MAX_NAMES) {
                refusal = ApiException.badRequest("the request body has more than " + MAX_NAMES
                        + " names of fields; a request has a few");
            } else if (!seen.add(name)) {
                // Where a message names this object: the request, or its field's path.
                String place = depth == 1 ? "the request" : quotedPath(depth - 1);
                refusal = ApiException.badRequest(place + " has the field " + ApiException.quoted(name)
                        + " twice; give each field once");
            }
            whitespace();
            if (peek() != ':') {
                throw error("':' was expected after the name");
            }
            at++;
            JsonElement value = value(depth, object != null);
            if (object != null && refusal == null) {
                object.add(name, value);
            }
            if (!another('}')) {
                pathNames[depth] = null;
                return;
            }
        }
    }

    /** An array's elements, at {@code depth}: only checked, never built (no request has an array). */
    private void elements(int depth) {
        checkDepth(depth);
        at++;
        whitespace();
        if (peek() == ']') {
            at++;
            return;
        }
        pathNames[depth] = null;
        for (int index = 0; ; index++) {
            pathIndices[depth] = index;
            value(depth, false);
            if (!another(']')) {
                return;
            }
        }
    }

    /**
     * A stand-in for the array or object in {@code [start, stop)}, not built: what {@link #shown}
     * shows of it, the start of its text without whitespace outside strings and its length.
     */
    private JsonElement standIn(int start, int stop) {
        StringBuilder shown = new StringBuilder();
        long codePoints = 0;
        boolean inString = false;
        for (int i = start; i < stop; i++) {
            int b = bytes[i] & 0xFF;
            if (!inString && (b == ' ' || b == '\t' || b == '\n' || b == '\r')) {
                continue;
            }
            if (b == '"') {
                inString = !inString;
            } else if (b == '\\' && inString) {
                // An escape's two characters; \" does not end the string.
                codePoints++;
                if (shown.length() < 64) {
                    shown.append('\\');
                }
                i++;
                b = bytes[i] & 0xFF;
            }
            if ((b & 0xC0) != 0x80) {
                codePoints++;
                if (shown.length() < 64) {
                    int n = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
                    shown.append(new String(bytes, i, n, StandardCharsets.UTF_8));
                }
            }
        }
        String text = shown.toString();
        String excerpt = codePoints == text.codePointCount(0, text.length()) ? ApiException.excerpt(text)
                : ApiException.excerptOfStart(text, codePoints);
        JsonArray standIn = new JsonArray(2);
        standIn.add(STAND_IN);
        standIn.add(excerpt);
        return standIn;
    }

    /**
     * After a member of an object or an array: true past a ',' (another member follows), false
     * past the closing {@code close}.
     */
    private boolean another(char close) {
        whitespace();
        int c = peek();
        if (c != ',' && c != close) {
            throw error("',' or '" + close + "' was expected");
        }
        at++;
        return c == ',';
    }

    /** A string value: built if {@code build}, unless it is longer than any field takes. */
    private JsonElement string(int depth, boolean build) {
        int start = at;
        long chars = scanString();
        if (!build) {
            return null;
        }
        if (chars > Limits.MAX_TEXT_CHARS) {
            String path = path(depth);
            refusal = tooLong.refuse(path == null ? null : field(path), quotedPath(depth), chars);
            return null;
        }
        return new JsonPrimitive(text(start, chars));
    }

    /**
     * Checks the string at {@code at} and moves past its closing quote.
     *
     * @return its length in UTF-16 characters once its escapes are read
     */
    private long scanString() {
        at++; // the opening quote
        long chars = 0;
        while (at < end) {
            int c = bytes[at] & 0xFF;
            if (c == '"') {
                at++;
                return chars;
            }
            if (c < 0x20) {
                throw error("a control character must be escaped in a string");
            }
            if (c == '\\') {
                at++;
                int escaped = peek();
                if (escaped != 0 && "\"\\/bfnrt".indexOf(escaped) >= 0) {
                    at++;
                } else if (escaped == 'u') {
                    for (int i = 1; i <= 4; i++) {
                        if (hex(at + i < end ? bytes[at + i] : 'x') < 0) {
                            throw error("\\u must be followed by four hexadecimal digits");
                        }
                    }
                    at += 5;
                } else {
                    throw error("an escape is one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX");
                }
                chars++;
            } else {
                // A character's first byte counts one (a pair of UTF-16 characters past the BMP).
                if ((c & 0xC0) != 0x80) {
                    chars += c >= 0xF0 ? 2 : 1;
                }
                at++;
            }
        }
        throw error("the string does not end (a closing '\"' was expected)");
    }

    /**
     * The text of the checked string that starts (its opening quote) at {@code start}, its escapes
     * read, decoded straight into an array of its length: 5 bytes allocated a character at most
     * (the array, then the string's own 1 or 2 bytes a character, after a first try at 1). The
     * JDK's decoder of a whole string, or a builder, allocates up to 6 once a character is beyond
     * Latin-1, and a string for each run between escapes besides.
     */
    private String text(int start, long chars) {
        char[] text = new char[(int) chars];
        int k = 0;
        for (int i = start + 1; ; ) {
            int b = bytes[i] & 0xFF;
            if (b == '"') {
                return new String(text);
            }
            if (b == '\\') {
                int escaped = bytes[i + 1];
                text[k++] = switch (escaped) {
                    case 'b' -> '\b';
                    case 'f' -> '\f';
                    case 'n' -> '\n';
                    case 'r' -> '\r';
                    case 't' -> '\t';
                    case 'u' -> (char) (hex(bytes[i + 2]) << 12 | hex(bytes[i + 3]) << 8 | hex(bytes[i + 4]) << 4
                            | hex(bytes[i + 5]));
                    default -> (char) escaped;  // " \ /
                };
                i += escaped == 'u' ? 6 : 2;
            } else if (b < 0x80) {
                text[k++] = (char) b;
                i++;
            } else if (b < 0xE0) {
                text[k++] = (char) ((b & 0x1F) << 6 | (bytes[i + 1] & 0x3F));
                i += 2;
            } else if (b < 0xF0) {
                text[k++] = (char) ((b & 0x0F) << 12 | (bytes[i + 1] & 0x3F) << 6 | (bytes[i + 2] & 0x3F));
                i += 3;
            } else {
                k += Character.toChars((b & 0x07) << 18 | (bytes[i + 1] & 0x3F) << 12 | (bytes[i + 2] & 0x3F) << 6
                        | (bytes[i + 3] & 0x3F), text, k);
                i += 4;
            }
        }
    }

    /** An ASCII hexadecimal digit's value, or -1 (a digit of another script is none). */
    private static int hex(int c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
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
        for (int i = 0; i < word.length(); i++) {
            if (at + i >= end || bytes[at + i] != word.charAt(i)) {
                throw error("a value was expected (an object, an array, a string in double quotes, a number, true,"
                        + " false or null)");
            }
        }
        at += word.length();
    }

    private void whitespace() {
        while (at < end) {
            int c = bytes[at];
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            at++;
        }
    }

    /** The byte at the position (an ASCII character there is itself), or 0 at the end (never one this grammar accepts there). */
    private int peek() {
        return at < end ? bytes[at] & 0xFF : 0;
    }

    private String ascii(int from, int to) {
        return new String(bytes, from, to - from, StandardCharsets.ISO_8859_1);
    }

    private void checkDepth(int depth) {
        if (depth > MAX_DEPTH) {
            throw error("nested more than " + MAX_DEPTH + " levels deep");
        }
    }

    /** A path as messages name a field: {@code config.nLayer}, not Gson's {@code $.config.nLayer}. */
    private static String field(String path) {
        return path.startsWith("$.") ? path.substring(2) : path;
    }

    /**
     * The refusal of the syntax at {@code at}, which is always at a character's first byte: the
     * offset in characters (UTF-16, as the body's text counts them) and the text from there.
     */
    private ApiException error(String expected) {
        long offset = 0;
        for (int i = 0; i < Math.min(at, end); i++) {
            int b = bytes[i] & 0xFF;
            if ((b & 0xC0) != 0x80) {
                offset += b >= 0xF0 ? 2 : 1;
            }
        }
        String near;
        if (at >= end) {
            near = " (the end)";
        } else {
            // The start of the rest, decoded (at most 64 characters), and the rest's length.
            long codePoints = 0;
            int cut = at;
            for (int i = at; i < end; i++) {
                if ((bytes[i] & 0xC0) != 0x80) {
                    codePoints++;
                    if (codePoints <= 64) {
                        cut = i;
                    }
                }
            }
            String start = new String(bytes, at, codePoints <= 64 ? end - at : cut - at, StandardCharsets.UTF_8);
            near = ", near " + (codePoints <= 64 ? ApiException.quoted(start)
                    : ApiException.quotedStart(start, codePoints));
        }
        return ApiException.badRequest("the request body is not valid JSON at character " + offset + near + ": "
                + expected);
    }
}
