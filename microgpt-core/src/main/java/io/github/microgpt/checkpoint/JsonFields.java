package io.github.microgpt.checkpoint;

import io.github.microgpt.model.InvalidSettingException;
import io.github.microgpt.text.VisibleText;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.DoublePredicate;

/**
 * Typed, range-checked access to the fields of a parsed JSON object, where every failure is a
 * {@link CheckpointException} naming the file and the field's path, for example
 * {@code config.json: "model.n_embd" must be an integer from 1 to 65536, got -3}.
 */
final class JsonFields {

    private final Path file;
    private final String path;
    private final Map<String, Object> map;

    private JsonFields(Path file, String path, Map<String, Object> map) {
        this.file = file;
        this.path = path;
        this.map = map;
    }

    /**
     * The top-level object of a file.
     *
     * @param file the file, for messages
     * @param value the parsed value
     * @return its fields
     * @throws CheckpointException if the value is not an object
     */
    static JsonFields root(Path file, Object value) throws CheckpointException {
        if (!(value instanceof Map<?, ?>)) {
            throw new CheckpointException(file, "the file holds " + kind(value) + ", expected a JSON object");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> map = (Map<String, Object>) value;
        return new JsonFields(file, "", map);
    }

    /**
     * Whether a field is present (with any value, even {@code null}).
     *
     * @param key the field's name
     * @return true if present
     */
    boolean has(String key) {
        return map.containsKey(key);
    }

    /**
     * Whether a field is absent or {@code null}.
     *
     * @param key the field's name
     * @return true if there is no value
     */
    boolean isNull(String key) {
        Object value = map.get(key);
        return value == null || value == Json.NULL;
    }

    JsonFields object(String key) throws CheckpointException {
        Object value = require(key);
        if (!(value instanceof Map<?, ?>)) {
            throw wrongType(key, "an object", value);
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> inner = (Map<String, Object>) value;
        return new JsonFields(file, name(key) + ".", inner);
    }

    String string(String key) throws CheckpointException {
        Object value = require(key);
        if (!(value instanceof String s)) {
            throw wrongType(key, "a string", value);
        }
        return s;
    }

    boolean bool(String key) throws CheckpointException {
        Object value = require(key);
        if (!(value instanceof Boolean b)) {
            throw wrongType(key, "true or false", value);
        }
        return b;
    }

    int integer(String key, int min, int max) throws CheckpointException {
        return (int) longInteger(key, min, max);
    }

    long longInteger(String key, long min, long max) throws CheckpointException {
        return integerValue(require(key), name(key), min, max);
    }

    /**
     * An integer element of an array, range-checked.
     *
     * @param value the element
     * @param what the element's description for messages, for example {@code "random.internal_state[3]"}
     */
    long integerValue(Object value, String what, long min, long max) throws CheckpointException {
        String range = " must be an integer from " + min + " to " + max;
        if (!(value instanceof Json.Num num) || !num.isInteger()) {
            throw new CheckpointException(file, "\"" + what + "\"" + range + ", got " + describe(value));
        }
        long parsed;
        try {
            parsed = Long.parseLong(num.text());
        } catch (NumberFormatException tooLarge) {
            throw new CheckpointException(file, "\"" + what + "\"" + range + ", got " + describe(value));
        }
        if (parsed < min || parsed > max) {
            throw new CheckpointException(file, "\"" + what + "\"" + range + ", got " + parsed);
        }
        return parsed;
    }

    double finiteDouble(String key) throws CheckpointException {
        Object value = require(key);
        double d = value instanceof Json.Num num ? num.toDouble() : Double.NaN;
        if (!Double.isFinite(d)) {
            throw new CheckpointException(file, "\"" + name(key) + "\" must be a finite number, got " + describe(value));
        }
        return d;
    }

    /**
     * A finite number in a range of the caller's, checked here so that the message names the
     * field as the file spells it ({@code "optimizer.learning_rate"}), not the Java parameter the
     * value goes on to ({@code learningRate}).
     *
     * @param key the field's name
     * @param allowed the values the field may hold (only finite values are offered to it)
     * @param what the allowed values in words, for the message: {@code "a number in [0, 1)"}
     * @return the value
     * @throws CheckpointException naming the field, the allowed values and the value as written
     */
    double number(String key, DoublePredicate allowed, String what) throws CheckpointException {
        Object value = require(key);
        double d = value instanceof Json.Num num ? num.toDouble() : Double.NaN;
        if (!Double.isFinite(d) || !allowed.test(d)) {
            throw new CheckpointException(file, "\"" + name(key) + "\" must be " + what + ", got " + describe(value));
        }
        return d;
    }

    List<Object> array(String key, int minSize, int maxSize) throws CheckpointException {
        Object value = require(key);
        if (!(value instanceof List<?> list)) {
            throw wrongType(key, "an array", value);
        }
        if (list.size() < minSize || list.size() > maxSize) {
            throw new CheckpointException(file, "\"" + name(key) + "\" must have "
                    + (minSize == maxSize ? String.valueOf(minSize) : minSize + " to " + maxSize)
                    + " elements, got " + list.size());
        }
        @SuppressWarnings("unchecked")
        List<Object> objects = (List<Object>) list;
        return objects;
    }

    /**
     * An object whose values are all strings, as {@code __metadata__} in safetensors.
     *
     * @param key the field's name
     * @return the map, in file order
     */
    Map<String, String> stringMap(String key) throws CheckpointException {
        JsonFields inner = object(key);
        Map<String, String> out = new LinkedHashMap<>();
        for (String k : inner.map.keySet()) {
            out.put(k, inner.string(k));
        }
        return out;
    }

    /** The path of a field, for messages: {@code "model.n_embd"}; a key from the file is cut short. */
    String name(String key) {
        return path + excerpt(key, EXCERPT_CHARS);
    }

    /**
     * How much of a name or value from a file a message repeats. A file may hold a mebibyte of
     * it, and a message is one line.
     */
    static final int EXCERPT_CHARS = 60;

    /**
     * A text from a file as a message shows it: whole if it is short, else its first characters
     * and an ellipsis.
     *
     * @param text the text
     * @param maxChars how many characters to keep at most
     * @return the text, or its start and "…"
     */
    static String excerpt(String text, int maxChars) {
        if (text.length() <= maxChars) {
            return text;
        }
        int end = Character.isHighSurrogate(text.charAt(maxChars - 1)) ? maxChars - 1 : maxChars;
        return text.substring(0, end) + "…";
    }

    /**
     * A name from a file (a tensor's, a data source's) as a message quotes it: in double quotes,
     * escaped (the characters a reader cannot see too: {@link VisibleText}), and cut after
     * {@value #EXCERPT_CHARS} characters with its length after the quotes.
     *
     * @param name the name
     * @return for example {@code "wte"}, or {@code "gggg…" (200000 characters)}
     */
    static String quoted(String name) {
        StringBuilder out = new StringBuilder();
        Json.quote(out, excerpt(name, EXCERPT_CHARS));
        // Json.quote escapes what JSON must; a message also escapes what a reader cannot see.
        return VisibleText.escape(out.toString()) + (name.length() > EXCERPT_CHARS
                ? " (" + name.length() + " characters)" : "");
    }

    /**
     * Refuses a field this reader does not know. The format's objects are fully specified by
     * their version; a field beyond them comes from a later version or another program, which
     * may give it a meaning (a precision, a dropout, a second file) that a reader skipping it
     * would silently get wrong, as a reader older than {@code "precision"} would have read an
     * f32 model as f64.
     *
     * @param known the fields of this object, in the order the writer writes them
     * @throws CheckpointException naming the first unknown field and the known ones
     */
    void onlyKeys(String... known) throws CheckpointException {
        List<String> fields = List.of(known);
        for (String key : map.keySet()) {
            if (!fields.contains(key)) {
                String object = path.isEmpty() ? "the file" : "\"" + path.substring(0, path.length() - 1) + "\"";
                throw new CheckpointException(file, "\"" + name(key) + "\" is not a field this reader knows (those of "
                        + object + " are " + String.join(", ", known) + "): a later version or another program may"
                        + " have given it a meaning that would be lost");
            }
        }
    }

    CheckpointException error(String key, String problem) {
        return new CheckpointException(file, "\"" + name(key) + "\" " + problem);
    }

    /**
     * A record's refusal of values read from this object, told in the file's words. The compact
     * constructors of {@code GptConfig} and {@code AdamSettings} are the one place of their
     * rules, so a reader builds the record and does not check the ranges again; their refusal
     * ({@link InvalidSettingException}) says which component it refused, and here every component
     * it names is called by the key the file has ({@code "\"model.n_embd\" (8) must be divisible
     * by \"model.n_head\" (3) ..."}): the reader of the message has the JSON file in front of
     * them, not the Java record.
     *
     * @param refusal the record's exception
     * @param keys each component's name and the key of this object it was read from
     * @return the exception to throw, with the refusal as its cause
     */
    CheckpointException refusal(IllegalArgumentException refusal, Map<String, String> keys) {
        if (refusal instanceof InvalidSettingException setting && keys.containsKey(setting.component())) {
            return new CheckpointException(file, setting.message(component -> keys.containsKey(component)
                    ? "\"" + name(keys.get(component)) + "\"" : null), refusal);
        }
        // A rule that is not about one component (a schedule's, say): said as the record says it.
        return new CheckpointException(file, "the values of \"" + path.replaceAll("\\.$", "") + "\" are refused: "
                + refusal.getMessage(), refusal);
    }

    private Object require(String key) throws CheckpointException {
        Object value = map.get(key);
        if (value == null) {
            throw new CheckpointException(file, "the field \"" + name(key) + "\" is missing");
        }
        return value;
    }

    private CheckpointException wrongType(String key, String expected, Object value) {
        return new CheckpointException(file, "\"" + name(key) + "\" must be " + expected + ", got " + describe(value));
    }

    /** A short description of a value for messages: its text if it is short, else its kind. */
    static String describe(Object value) {
        if (value instanceof Json.Num num) {
            return num.text();
        }
        if (value instanceof String s) {
            if (s.length() > 40) {
                return "a string of " + s.length() + " characters";
            }
            StringBuilder quoted = new StringBuilder();
            Json.quote(quoted, s);
            return quoted.toString();
        }
        if (value instanceof Boolean || value == Json.NULL) {
            return String.valueOf(value);
        }
        return kind(value);
    }

    private static String kind(Object value) {
        if (value instanceof Map<?, ?>) {
            return "an object";
        }
        if (value instanceof List<?>) {
            return "an array";
        }
        if (value instanceof String) {
            return "a string";
        }
        if (value instanceof Json.Num) {
            return "a number";
        }
        return String.valueOf(value);
    }
}
