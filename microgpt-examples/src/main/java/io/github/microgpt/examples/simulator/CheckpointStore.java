package io.github.microgpt.examples.simulator;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.stream.JsonWriter;
import io.github.microgpt.checkpoint.Checkpoint;
import io.github.microgpt.model.Architecture;
import io.github.microgpt.model.Precision;
import io.github.microgpt.text.Documents;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The directory where the simulator keeps the models saved from its page: one
 * {@link Checkpoint} directory per name, {@code DIR/NAME}.
 *
 * <p>The page only ever sends a <em>name</em>, never a path, and a name is checked strictly
 * before it is used: 1 to 64 letters, digits, {@code .}, {@code _} or {@code -}, starting with a
 * letter or digit. So a request cannot reach outside the directory ({@code ../x}, {@code /etc},
 * {@code C:x} are all refused), cannot name the hidden {@code .NAME.tmp-...} and
 * {@code .NAME.old-...} directories that an atomic save uses for a moment, and cannot name a
 * Windows device such as {@code NUL}.
 */
final class CheckpointStore {

    /** What a checkpoint name may look like. */
    static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    /** Names that Windows reserves for devices, with or without an extension. */
    private static final Pattern WINDOWS_DEVICE = Pattern.compile("(?i)(CON|PRN|AUX|NUL|COM[0-9]|LPT[0-9])(\\..*)?");
    /** The most checkpoints listed; a directory with more is listed in part. */
    static final int MAX_LISTED = 500;
    /** trainer.json is read for the list only if it is at most this large (it is about 10 KiB). */
    private static final long MAX_TRAINER_BYTES = 1 << 20;
    /**
     * The training state's file, which the listing peeks into for the step (the checkpoint
     * format's detail, not microgpt-core's API, as the JSON fields read here are).
     */
    private static final String TRAINER_FILE = "trainer.json";
    /** config.json is read for the list only if it is at most this large (it is under 1 KiB). */
    private static final long MAX_CONFIG_BYTES = 1 << 20;

    private final Path directory;

    /**
     * A store over a directory, which need not exist yet: the first save creates it.
     *
     * @param directory the directory
     */
    CheckpointStore(Path directory) {
        this.directory = directory.toAbsolutePath().normalize();
    }

    /**
     * The directory {@code microgpt simulator} uses without {@code --checkpoints}:
     * {@code simulator-checkpoints} in microgpt's cache directory, that is
     * {@code ~/.cache/microgpt/simulator-checkpoints} unless the system property
     * {@code microgpt.cache.dir} or the environment variable {@code MICROGPT_CACHE_DIR} moves it
     * (see {@link Documents#defaultCacheDirectory()}).
     *
     * @return the directory
     */
    static Path defaultDirectory() {
        return Documents.defaultCacheDirectory().resolve("simulator-checkpoints");
    }

    /**
     * The directory of the checkpoints.
     *
     * @return an absolute, normalised path
     */
    Path directory() {
        return directory;
    }

    /**
     * Checks a checkpoint name.
     *
     * @param name the name
     * @throws ApiException (400) saying what a name may be
     */
    static void check(String name) {
        if (!NAME.matcher(name).matches()) {
            throw ApiException.badRequest("The checkpoint name must be 1 to 64 letters, digits, '.', '_' or '-',"
                    + " starting with a letter or digit (it names a folder, never a path); got "
                    + ApiException.quoted(name));
        }
        if (name.endsWith(".")) {
            // Windows drops a name's trailing dots: "run." would be the folder "run", another checkpoint's.
            throw ApiException.badRequest("The checkpoint name must not end in '.' (Windows drops it, and \"" + name
                    + "\" would be the folder of \"" + name.replaceAll("\\.+$", "") + "\"); got \"" + name + "\"");
        }
        if (WINDOWS_DEVICE.matcher(name).matches()) {
            throw ApiException.badRequest("\"" + name + "\" is the name of a device on Windows; choose another"
                    + " checkpoint name");
        }
    }

    /**
     * The directory of a checkpoint.
     *
     * @param name a name that passed {@link #check}
     * @return {@code DIR/NAME}
     */
    Path resolve(String name) {
        check(name);
        Path path = directory.resolve(name).normalize();
        if (!directory.equals(path.getParent())) {
            // Cannot happen with a name of NAME's characters; checked anyway, since it guards the file system.
            throw ApiException.badRequest("the checkpoint name \"" + name + "\" does not name a folder in "
                    + directory);
        }
        return path;
    }

    /**
     * The saved checkpoints as JSON: {@code {directory, checkpoints: [{name, savedAt, model?,
     * precision?, step?, totalSteps?}], truncated}}, sorted by name. A folder counts if its name is
     * a valid name and it holds {@value Checkpoint#CONFIG_FILE}; it is not checked further here
     * (Load does that). The model's kind ({@code bigram}, {@code mlp}, {@code attention} or
     * {@code gpt}) and, for a single-precision model, {@code "precision": "f32"} are read from
     * {@value Checkpoint#CONFIG_FILE} when it can be read; the step from
     * {@value Checkpoint#TRAINER_FILE} when the checkpoint has one and it can be read.
     *
     * @return the JSON text
     */
    String listJson() {
        List<Entry> entries = new ArrayList<>();
        boolean truncated = false;
        if (Files.isDirectory(directory)) {
            try (DirectoryStream<Path> folders = Files.newDirectoryStream(directory)) {
                for (Path folder : folders) {
                    Entry entry = entry(folder);
                    if (entry == null) {
                        continue;
                    }
                    if (entries.size() >= MAX_LISTED) {
                        truncated = true;
                        break;
                    }
                    entries.add(entry);
                }
            } catch (IOException | UncheckedIOException e) {
                throw new ApiException(500, "the checkpoint folder " + directory + " cannot be read: " + e.getMessage());
            }
        }
        entries.sort(Comparator.comparing(Entry::name));
        StringWriter text = new StringWriter();
        try (JsonWriter out = new JsonWriter(text)) {
            out.beginObject();
            out.name("directory").value(directory.toString());
            out.name("checkpoints").beginArray();
            for (Entry entry : entries) {
                out.beginObject();
                out.name("name").value(entry.name());
                out.name("savedAt").value(entry.savedAt().truncatedTo(ChronoUnit.SECONDS).toString());
                if (entry.model() != null) {
                    out.name("model").value(entry.model().id());
                    if (entry.precision() != Precision.F64) {
                        out.name("precision").value(entry.precision().id());
                    }
                }
                if (entry.step() >= 0) {
                    out.name("step").value(entry.step());
                    out.name("totalSteps").value(entry.totalSteps());
                }
                out.endObject();
            }
            out.endArray();
            out.name("truncated").value(truncated);
            out.endObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return text.toString();
    }

    /** One listed checkpoint; {@code model} is null and {@code step} -1 if unknown. */
    private record Entry(String name, Instant savedAt, Architecture model, Precision precision, int step,
            int totalSteps) {
    }

    private static Entry entry(Path folder) {
        String name = folder.getFileName().toString();
        if (!NAME.matcher(name).matches() || name.endsWith(".") || WINDOWS_DEVICE.matcher(name).matches()) {
            return null;
        }
        Path config = folder.resolve(Checkpoint.CONFIG_FILE);
        BasicFileAttributes attributes;
        try {
            if (!Files.isDirectory(folder)) {
                return null;
            }
            attributes = Files.readAttributes(config, BasicFileAttributes.class);
        } catch (IOException e) {
            return null;
        }
        Architecture model = null;
        Precision precision = Precision.F64;
        try {
            JsonObject root = readSmallJson(config, attributes, MAX_CONFIG_BYTES);
            if (root != null) {
                JsonObject fields = root.getAsJsonObject("model");
                // A config.json without an architecture was written before there were other models: a GPT.
                JsonElement architecture = fields.get("architecture");
                model = architecture == null ? Architecture.GPT : Architecture.fromId(architecture.getAsString());
                JsonElement saved = fields.get("precision");
                precision = saved == null ? Precision.F64 : Precision.fromId(saved.getAsString());
            }
        } catch (IOException | RuntimeException e) {
            // A damaged config.json: listed without its kind; Load will say what is wrong.
            model = null;
            precision = Precision.F64;
        }
        int step = -1;
        int totalSteps = -1;
        Path trainer = folder.resolve(TRAINER_FILE);
        try {
            JsonObject root = readSmallJson(trainer, Files.readAttributes(trainer, BasicFileAttributes.class),
                    MAX_TRAINER_BYTES);
            if (root != null) {
                JsonObject position = root.getAsJsonObject("trainer");
                JsonElement done = position.get("steps_done");
                JsonElement total = position.get("total_steps");
                step = done.getAsInt();
                totalSteps = total.getAsInt();
            }
        } catch (IOException | RuntimeException e) {
            // A damaged trainer.json: listed without its step; Load will say what is wrong.
            step = -1;
            totalSteps = -1;
        }
        return new Entry(name, attributes.lastModifiedTime().toInstant(), model, precision, step, totalSteps);
    }

    /**
     * A small JSON object file, or {@code null} if it is not a regular file (a FIFO would block
     * the listing) or larger than {@code limit}; never reads past the limit.
     */
    private static JsonObject readSmallJson(Path file, BasicFileAttributes attributes, long limit) throws IOException {
        if (!attributes.isRegularFile() || attributes.size() > limit) {
            return null;
        }
        byte[] bytes;
        try (InputStream in = Files.newInputStream(file)) {
            bytes = in.readNBytes((int) limit);
        }
        return JsonParser.parseString(new String(bytes, StandardCharsets.UTF_8)).getAsJsonObject();
    }

    /**
     * A short description, for messages.
     *
     * @return the directory
     */
    @Override
    public String toString() {
        return "CheckpointStore[" + directory + "]";
    }
}
