package io.github.microgpt.examples.simulator;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.TypeAdapter;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.google.gson.stream.JsonWriter;
import io.github.microgpt.examples.cli.Terminals;
import io.github.microgpt.model.Architecture;
import io.github.microgpt.model.Engine;
import io.github.microgpt.train.StepMode;
import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The bodies of the API's requests, as records that Gson fills in, read strictly: unknown fields,
 * wrong types and values out of range are refused with an {@link ApiException} (HTTP 400) whose
 * message names the field as the page labels it. Numbers may arrive as JSON numbers or as strings
 * holding a number, since the page passes on what the person typed and leaves the judging to the
 * server. A field that is missing or {@code null} is {@code null} in the record. A field given
 * twice in one object is refused too: Gson would quietly keep the second, and the person who sent
 * {@code {"numSteps": 5, "numSteps": 5000}} could not tell which one the server heard.
 */
final class Requests {

    /**
     * Step Fwd and Run.
     *
     * @param mode {@code "position"} (the default) or {@code "document"}
     * @param numSteps the length of the run, if it is to change
     */
    record Step(String mode, Long numSteps) {
        Step {
            choice(mode, "The step mode", Set.of("position", "document"));
        }

        /** The kind of step asked for. */
        StepMode stepMode() {
            return "document".equals(mode) ? StepMode.DOCUMENT : StepMode.POSITION;
        }
    }

    /**
     * Reset.
     *
     * @param numSteps the length of the new run, or {@code null} to keep it
     * @param model {@code "bigram"}, {@code "mlp"}, {@code "attention"} or {@code "gpt"}, or
     *     {@code null} to keep the model
     * @param engine {@code "value"} or {@code "array"}, or {@code null} to keep the engine (the
     *     value engine for a model other than the GPT, which is the only one the array engine has)
     * @param config the new model's shape, or {@code null} to keep it
     * @param dataset the new dataset, or {@code null} to keep it
     */
    record Reset(Long numSteps, String model, String engine, Config config, Dataset dataset) {
        Reset {
            // The names come from the enums, so that a model or engine added there is taken here too.
            choice(model, "The model", ids(Architecture.values(), Architecture::id));
            choice(engine, "The engine", ids(Engine.values(), Engine::id));
        }
    }

    /**
     * The shape of a model and how it learns; each field {@code null} keeps the current value.
     *
     * @param nLayer the number of layers
     * @param nEmbd the embedding size
     * @param nHead the number of heads
     * @param blockSize the block size
     * @param learningRate Adam's base learning rate
     * @param seed the random seed
     */
    record Config(Long nLayer, Long nEmbd, Long nHead, Long blockSize, Double learningRate, Long seed) {
    }

    /**
     * Where the documents come from.
     *
     * @param source {@code "current"} (the default), {@code "embedded"} or {@code "text"}
     * @param text the documents, one a line (for {@code "text"})
     * @param name a name for them, shown on the page
     */
    record Dataset(String source, String text, String name) {
        Dataset {
            choice(source, "The dataset", Set.of("current", "embedded", "text"));
            length(text, "The dataset text", Limits.MAX_TEXT_CHARS);
            length(name, "The dataset name", Limits.MAX_DATASET_NAME_CHARS);
            printable(name, "The dataset name");
        }
    }

    /**
     * Gen Step.
     *
     * @param temperature the sampling temperature (required)
     */
    record GenStep(Double temperature) {
        GenStep {
            required(temperature, "Temperature is missing");
        }
    }

    /**
     * Generate.
     *
     * @param temperature the sampling temperature (required)
     * @param count how many samples, 20 if {@code null}
     */
    record Generate(Double temperature, Long count) {
        Generate {
            required(temperature, "Temperature is missing");
        }
    }

    /**
     * Save and Load.
     *
     * @param name the checkpoint's name (required; {@link CheckpointStore#check} says which)
     */
    record Named(String name) {
        Named {
            required(name, "the checkpoint name is missing");
            // No length check of its own: one of 201 characters was told "the limit is 200" when
            // the limit is 64; check's rule says so, and quotes at most 60 characters of it.
            CheckpointStore.check(name);
        }
    }

    /** Stop: no fields. */
    record None() {
    }

    /** Each number field of every request, by its place in the body, with its range. */
    private static final Map<String, Limits.Range> NUMBERS = Map.ofEntries(
            Map.entry("numSteps", Limits.NUM_STEPS),
            Map.entry("temperature", Limits.TEMPERATURE),
            Map.entry("count", Limits.SAMPLE_COUNT),
            // The shape's ranges depend on the engine: Reset checks them (Limits.Model).
            Map.entry("config.nLayer", Limits.Range.anyWhole("Layers")),
            Map.entry("config.nEmbd", Limits.Range.anyWhole("Embedding size")),
            Map.entry("config.nHead", Limits.Range.anyWhole("Heads")),
            Map.entry("config.blockSize", Limits.Range.anyWhole("Block size")),
            Map.entry("config.learningRate", Limits.LEARNING_RATE),
            Map.entry("config.seed", Limits.SEED));
    /** Each text field, by its place in the body, with its label. */
    private static final Map<String, String> TEXTS = Map.of(
            "mode", "The step mode",
            "model", "The model",
            "engine", "The engine",
            "dataset.source", "The dataset",
            "dataset.text", "The dataset text",
            "dataset.name", "The dataset name",
            "name", "The checkpoint name");

    private static final Gson GSON = new GsonBuilder()
            .registerTypeAdapter(Long.class, new WholeNumber().nullSafe())
            .registerTypeAdapter(Double.class, new Decimal().nullSafe())
            .registerTypeAdapter(String.class, new Text().nullSafe())
            .create();

    private Requests() {
    }

    /**
     * Reads a body into its record. An empty body is an empty object.
     *
     * @param body the text of the body
     * @param type the record
     * @param <T> its type
     * @return the request
     * @throws ApiException (400) if the body is not a JSON object of that record's fields, or a
     *     value is of the wrong type or out of range
     */
    static <T extends Record> T read(String body, Class<T> type) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        return read(bytes, bytes.length, type);
    }

    /**
     * Reads a body, as the UTF-8 bytes it arrived in, into its record, in one pass over the bytes
     * ({@link JsonSyntax}, which also refuses a field given twice), building only what the record
     * can use. An empty body is an empty object.
     *
     * @param body the body's bytes, from 0
     * @param length how many there are
     * @param type the record
     * @param <T> its type
     * @return the request
     * @throws ApiException (400) if the body is not UTF-8, not a JSON object of that record's
     *     fields, or a value is of the wrong type or out of range
     */
    static <T extends Record> T read(byte[] body, int length, Class<T> type) {
        JsonElement element = JsonSyntax.parse(body, length, OBJECT_PATHS.get(type), Requests::tooLong);
        if (!element.isJsonObject()) {
            throw ApiException.badRequest("the request body must be a JSON object");
        }
        checkFields(element.getAsJsonObject(), type, "the request");
        try {
            return GSON.fromJson(element, type);
        } catch (RuntimeException e) {
            // Gson passes on what an adapter threw, and wraps what a record's constructor threw.
            for (Throwable cause = e; cause != null; cause = cause.getCause()) {
                if (cause instanceof ApiException refusal) {
                    throw refusal;
                }
            }
            throw ApiException.badRequest("the request body does not fit: " + e.getMessage());
        }
    }

    /**
     * What a request keeps while it waits for its turn, roughly, in bytes: its strings (2 bytes a
     * character, as a text beyond Latin-1 takes) and an object's worth for every other value.
     *
     * @param request a request from {@link #read}
     * @return the estimate
     */
    static long retainedBytes(Record request) {
        long bytes = 32;
        for (RecordComponent component : request.getClass().getRecordComponents()) {
            Object value;
            try {
                value = component.getAccessor().invoke(request);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("cannot read " + component.getName(), e);
            }
            if (value instanceof String text) {
                bytes += 40 + 2L * text.length();
            } else if (value instanceof Record inner) {
                bytes += retainedBytes(inner);
            } else {
                bytes += 24;
            }
        }
        return bytes;
    }

    /**
     * Where each request has a record, so where {@link JsonSyntax} builds an object: the request
     * itself ({@code $}) and its fields that are records ({@code $.config}), as Gson names paths.
     */
    private static final ClassValue<Set<String>> OBJECT_PATHS = new ClassValue<>() {
        @Override
        protected Set<String> computeValue(Class<?> type) {
            Set<String> paths = new HashSet<>();
            addObjectPaths(type, "$", paths);
            return Set.copyOf(paths);
        }
    };

    private static void addObjectPaths(Class<?> type, String path, Set<String> paths) {
        paths.add(path);
        for (RecordComponent component : type.getRecordComponents()) {
            if (component.getType().isRecord()) {
                addObjectPaths(component.getType(), path + "." + component.getName(), paths);
            }
        }
    }

    /** The refusal of a string longer than any field takes ({@link JsonSyntax}), made without the string. */
    private static ApiException tooLong(String field, String quoted, long chars) {
        String label = field != null && TEXTS.containsKey(field) ? TEXTS.get(field) : quoted;
        Integer limit = field == null ? null : switch (field) {
            case "dataset.text" -> Limits.MAX_TEXT_CHARS;
            case "dataset.name" -> Limits.MAX_DATASET_NAME_CHARS;
            default -> null;
        };
        return ApiException.badRequest(label + " is " + chars + " characters long"
                + (limit != null ? "; the limit is " + limit : ", longer than any field takes"));
    }

    /** Refuses fields the record does not have, and nested records that are not JSON objects. */
    private static void checkFields(JsonObject object, Class<?> type, String where) {
        Map<String, RecordComponent> components = Arrays.stream(type.getRecordComponents())
                .collect(Collectors.toMap(RecordComponent::getName, c -> c));
        for (Map.Entry<String, JsonElement> field : object.entrySet()) {
            RecordComponent component = components.get(field.getKey());
            if (component == null) {
                throw ApiException.badRequest(where + " has an unknown field " + ApiException.quoted(field.getKey())
                        + "; the fields are "
                        + new TreeSet<>(components.keySet()));
            }
            JsonElement value = field.getValue();
            if (component.getType().isRecord() && !value.isJsonNull()) {
                if (!value.isJsonObject()) {
                    throw ApiException.badRequest("\"" + field.getKey() + "\" must be a JSON object");
                }
                checkFields(value.getAsJsonObject(), component.getType(), "\"" + field.getKey() + "\"");
            }
        }
    }

    /** The short names of an enum's constants, as a request spells them. */
    private static <E extends Enum<E>> Set<String> ids(E[] constants, Function<E, String> id) {
        Set<String> ids = new TreeSet<>();
        for (E constant : constants) {
            ids.add(id.apply(constant));
        }
        return ids;
    }

    private static void choice(String value, String label, Set<String> choices) {
        if (value != null && !choices.contains(value)) {
            throw ApiException.badRequest(label + " must be one of " + new TreeSet<>(choices) + ", got "
                    + ApiException.quoted(value));
        }
    }

    private static void length(String value, String label, int maxLength) {
        if (value != null && value.length() > maxLength) {
            throw ApiException.badRequest(label + " is " + value.length() + " characters long; the limit is "
                    + maxLength);
        }
    }

    /**
     * Refuses a control character other than the tab (NUL, a line break, an escape, ...) or a
     * line separator in a text that is saved with a checkpoint and shown by the command line: a dataset name with an
     * escape sequence was written to trainer.json and printed by {@code microgpt compare} as is.
     * A lone surrogate (half of a UTF-16 pair, which a JSON escape such as backslash, u, D800
     * can send) is refused too: it is no character, a terminal shows it as {@code ?}, and UTF-8
     * cannot hold it, so trainer.json would keep another name than the one given.
     */
    private static void printable(String value, String label) {
        if (value == null) {
            return;
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < value.length() && Character.isLowSurrogate(value.charAt(i + 1))) {
                i++;
                continue;
            }
            if (Character.isSurrogate(c)) {
                throw ApiException.badRequest(String.format(Locale.ROOT, "%s holds the unpaired surrogate U+%04X at "
                        + "character %d (half of a pair, no character by itself); use printable text on one line",
                        label, (int) c, i + 1));
            }
            // A tab is allowed, as the command line allows it in a data file's name: what prints
            // the name (microgpt compare) escapes it.
            if (c != '\t' && Terminals.disturbsALine(c)) {
                throw ApiException.badRequest(String.format(Locale.ROOT, "%s holds the control character U+%04X at "
                        + "character %d; use printable text on one line", label, (int) c, i + 1));
            }
        }
    }

    private static void required(Object value, String missing) {
        if (value == null) {
            throw ApiException.badRequest(missing);
        }
    }

    /** The place of the value the reader is at, as in {@code config.nLayer}. */
    private static String field(JsonReader in) {
        String path = in.getPath();
        return path.startsWith("$.") ? path.substring(2) : path;
    }

    /**
     * A number as JSON writes one, in ASCII: the only form a string may hold a number in.
     * {@link BigDecimal} also reads {@code +5}, {@code 010} and digits of any script ({@code ５},
     * {@code ٣}), each as the ASCII number.
     */
    private static final Pattern JSON_NUMBER = Pattern.compile("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?");

    /** A number as sent: a JSON number or a string holding one as JSON writes it (no NaN, infinity or hex). */
    private static BigDecimal number(JsonElement element) {
        if (!element.isJsonPrimitive() || element.getAsJsonPrimitive().isBoolean()) {
            return null;
        }
        // Spaces around the number, which a person may type in the page's field, are not part of it.
        String text = element.getAsString().strip();
        if (text.isEmpty() || text.length() > 40 || !JSON_NUMBER.matcher(text).matches()) {
            return null;
        }
        try {
            return new BigDecimal(text);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static Limits.Range range(JsonReader in) {
        Limits.Range range = NUMBERS.get(field(in));
        if (range == null) {
            throw new IllegalStateException("no range for the number field " + field(in));
        }
        return range;
    }

    /** Whole numbers in their range. */
    private static final class WholeNumber extends TypeAdapter<Long> {
        @Override
        public Long read(JsonReader in) throws IOException {
            Limits.Range range = range(in);
            JsonElement element = JsonParser.parseReader(in);
            BigDecimal number = number(element);
            if (number == null) {
                throw range.refuseShown(JsonSyntax.shown(element));
            }
            long value;
            try {
                value = number.stripTrailingZeros().longValueExact();
            } catch (ArithmeticException e) {
                throw range.refuseShown(JsonSyntax.shown(element));
            }
            if (!range.contains(value)) {
                throw range.refuseShown(JsonSyntax.shown(element));
            }
            return value;
        }

        @Override
        public void write(JsonWriter out, Long value) {
            throw new UnsupportedOperationException("requests are only read");
        }
    }

    /** Finite numbers in their range. */
    private static final class Decimal extends TypeAdapter<Double> {
        @Override
        public Double read(JsonReader in) throws IOException {
            Limits.Range range = range(in);
            JsonElement element = JsonParser.parseReader(in);
            BigDecimal number = number(element);
            if (number == null || !range.contains(number.doubleValue())) {
                throw range.refuseShown(JsonSyntax.shown(element));
            }
            return number.doubleValue();
        }

        @Override
        public void write(JsonWriter out, Double value) {
            throw new UnsupportedOperationException("requests are only read");
        }
    }

    /** Strings only (Gson would otherwise take a number or a boolean as its text). */
    private static final class Text extends TypeAdapter<String> {
        @Override
        public String read(JsonReader in) throws IOException {
            String label = TEXTS.getOrDefault(field(in), "\"" + field(in) + "\"");
            if (in.peek() != JsonToken.STRING) {
                in.skipValue();
                throw ApiException.badRequest(label + " must be a string");
            }
            return in.nextString();
        }

        @Override
        public void write(JsonWriter out, String value) {
            throw new UnsupportedOperationException("requests are only read");
        }
    }
}
