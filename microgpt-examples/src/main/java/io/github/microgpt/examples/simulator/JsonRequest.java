package io.github.microgpt.examples.simulator;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.math.BigDecimal;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The JSON body of a request, read strictly: unknown fields, wrong types and values out of range
 * are refused with an {@link ApiException} (HTTP 400) whose message names the field as the page
 * labels it. Numbers may arrive as JSON numbers or as strings holding a number, since the page
 * passes on what the person typed and leaves the judging to the server.
 */
final class JsonRequest {

    private final JsonObject object;

    private JsonRequest(JsonObject object) {
        this.object = object;
    }

    /**
     * Parses a body. An empty body is an empty object.
     *
     * @param body the text of the body
     * @param allowed the field names this request may have
     * @return the request
     * @throws ApiException if the body is not a JSON object or has a field not in {@code allowed}
     */
    static JsonRequest parse(String body, Set<String> allowed) {
        if (body.isBlank()) {
            return new JsonRequest(new JsonObject());
        }
        JsonElement element;
        try {
            element = JsonParser.parseString(body);
        } catch (JsonParseException e) {
            throw ApiException.badRequest("the request body is not valid JSON");
        }
        if (!element.isJsonObject()) {
            throw ApiException.badRequest("the request body must be a JSON object");
        }
        return of(element.getAsJsonObject(), allowed, "the request");
    }

    private static JsonRequest of(JsonObject object, Set<String> allowed, String where) {
        for (String key : object.keySet()) {
            if (!allowed.contains(key)) {
                throw ApiException.badRequest(where + " has an unknown field \"" + key + "\"; the fields are "
                        + new TreeSet<>(allowed));
            }
        }
        return new JsonRequest(object);
    }

    /**
     * A nested object.
     *
     * @param key the field
     * @param allowed its allowed fields
     * @return the object, if the field is present and not null
     */
    Optional<JsonRequest> object(String key, Set<String> allowed) {
        JsonElement element = present(key);
        if (element == null) {
            return Optional.empty();
        }
        if (!element.isJsonObject()) {
            throw ApiException.badRequest("\"" + key + "\" must be a JSON object");
        }
        return Optional.of(of(element.getAsJsonObject(), allowed, "\"" + key + "\""));
    }

    /**
     * A whole number within a range.
     *
     * @param key the field
     * @param label the name the page shows for it
     * @param min the smallest allowed value
     * @param max the largest allowed value
     * @return the value, if present
     */
    Optional<Long> integer(String key, String label, long min, long max) {
        JsonElement element = present(key);
        if (element == null) {
            return Optional.empty();
        }
        String problem = label + " must be a whole number from " + min + " to " + max + ", got " + element;
        BigDecimal number = number(element).orElseThrow(() -> ApiException.badRequest(problem));
        try {
            long value = number.stripTrailingZeros().longValueExact();
            if (value < min || value > max) {
                throw ApiException.badRequest(problem);
            }
            return Optional.of(value);
        } catch (ArithmeticException e) {
            throw ApiException.badRequest(problem);
        }
    }

    /**
     * A finite number within a range.
     *
     * @param key the field
     * @param label the name the page shows for it
     * @param min the bound below
     * @param minInclusive whether {@code min} itself is allowed
     * @param max the largest allowed value
     * @return the value, if present
     */
    Optional<Double> decimal(String key, String label, double min, boolean minInclusive, double max) {
        JsonElement element = present(key);
        if (element == null) {
            return Optional.empty();
        }
        String range = (minInclusive ? "from " + min : "above " + min) + " to " + max;
        String problem = label + " must be a number " + range + ", got " + element;
        double value = number(element).orElseThrow(() -> ApiException.badRequest(problem)).doubleValue();
        boolean aboveMin = minInclusive ? value >= min : value > min;
        if (!Double.isFinite(value) || !aboveMin || value > max) {
            throw ApiException.badRequest(problem);
        }
        return Optional.of(value);
    }

    /**
     * A string of limited length.
     *
     * @param key the field
     * @param label the name the page shows for it
     * @param maxLength the largest allowed number of characters
     * @return the value, if present
     */
    Optional<String> string(String key, String label, int maxLength) {
        JsonElement element = present(key);
        if (element == null) {
            return Optional.empty();
        }
        if (!element.isJsonPrimitive() || !element.getAsJsonPrimitive().isString()) {
            throw ApiException.badRequest(label + " must be a string");
        }
        String value = element.getAsString();
        if (value.length() > maxLength) {
            throw ApiException.badRequest(label + " is " + value.length() + " characters long; the limit is "
                    + maxLength);
        }
        return Optional.of(value);
    }

    /**
     * One of a few words.
     *
     * @param key the field
     * @param label the name the page shows for it
     * @param choices the allowed words
     * @return the value, if present
     */
    Optional<String> choice(String key, String label, Set<String> choices) {
        Optional<String> value = string(key, label, 100);
        if (value.isPresent() && !choices.contains(value.get())) {
            throw ApiException.badRequest(label + " must be one of " + new TreeSet<>(choices) + ", got \""
                    + value.get() + "\"");
        }
        return value;
    }

    private JsonElement present(String key) {
        JsonElement element = object.get(key);
        return element == null || element.isJsonNull() ? null : element;
    }

    private static Optional<BigDecimal> number(JsonElement element) {
        if (!element.isJsonPrimitive()) {
            return Optional.empty();
        }
        JsonPrimitive primitive = element.getAsJsonPrimitive();
        if (!primitive.isNumber() && !primitive.isString()) {
            return Optional.empty();
        }
        String text = primitive.getAsString().strip();
        // BigDecimal accepts no "NaN" or "Infinity", and no hex, which is what we want here.
        if (text.isEmpty() || text.length() > 40) {
            return Optional.empty();
        }
        try {
            return Optional.of(new BigDecimal(text));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }
}
