package io.github.microgpt.testsupport;

import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The reference material the tests compare against: the golden trace of {@code microgpt.py}'s
 * seed-42 run, its stdout, the CPython {@code random} vectors and the 32,033 names of the run.
 *
 * <p>The files live in this module's resources under {@code microgpt-reference/} (see the README
 * there), so a plain clone tests itself offline. {@code microgpt-core} and {@code microgpt-examples}
 * have this module as a test dependency; it is never published, and it does not depend on the
 * library, so that the library's own tests can use it. Nothing is loaded in a static initialiser: each
 * accessor reads on demand, and a missing or damaged file fails the test that asked for it with
 * one message naming the file and what is wrong with it.
 */
public final class TestResources {

    /** The folder of the reference material on the test class path. */
    public static final String ROOT = "microgpt-reference/";

    /** Where {@link #ROOT} is in the repository. */
    public static final String SOURCE_FOLDER = "microgpt-test-support/src/main/resources/";

    /** Every file under {@link #ROOT}, so that {@link #directory()} can lay them out on disk. */
    private static final List<String> FILES = List.of(
            "golden/microgpt-py-seed42.json",
            "golden/microgpt-py-seed42.stdout",
            "golden/python-random-vectors.json",
            "golden/PYTHON-RANDOM.md",
            "data/names.txt",
            "data/names.txt.SOURCE.md");

    private static final String NAMES = "data/names.txt";
    private static final Pattern RECORDED_SHA256 = Pattern.compile("SHA-256: ([0-9a-f]{64})");

    /** Where the files are on disk, once asked for (a copy when they come from a jar). */
    private static Path directory;
    private static boolean namesChecked;

    private TestResources() {
    }

    /** The golden trace of the reference run ({@code golden/microgpt-py-seed42.json}). */
    public static JsonObject goldenJson() {
        return json("golden/microgpt-py-seed42.json");
    }

    /** What {@code microgpt.py} printed in the reference run, byte for byte. */
    public static byte[] goldenStdout() {
        return bytes("golden/microgpt-py-seed42.stdout");
    }

    /** CPython 3.11.7's {@code random} outputs for given seeds ({@code golden/python-random-vectors.json}). */
    public static JsonObject pythonRandomVectors() {
        return json("golden/python-random-vectors.json");
    }

    /**
     * The 32,033 names of the reference run as a file on disk, after checking its SHA-256 against
     * the one recorded in {@code data/names.txt.SOURCE.md}.
     */
    public static synchronized Path namesFile() {
        Path file = file(NAMES);
        if (!namesChecked) {
            String expected = recordedNamesSha256();
            String actual = sha256(bytes(NAMES));
            if (!expected.equals(actual)) {
                throw new IllegalStateException("the test resource " + ROOT + NAMES + " is damaged: its SHA-256 is "
                        + actual + " but " + ROOT + NAMES + ".SOURCE.md records " + expected
                        + " (was it edited, or converted to other line endings on checkout?)");
            }
            namesChecked = true;
        }
        return file;
    }

    /** The SHA-256 of {@code names.txt} as {@code data/names.txt.SOURCE.md} records it (lowercase hex). */
    public static String recordedNamesSha256() {
        String source = new String(bytes(NAMES + ".SOURCE.md"), StandardCharsets.UTF_8);
        Matcher matcher = RECORDED_SHA256.matcher(source);
        if (!matcher.find()) {
            throw new IllegalStateException("the test resource " + ROOT + NAMES + ".SOURCE.md has no line"
                    + " \"SHA-256: <64 hex digits>\"");
        }
        return matcher.group(1);
    }

    /** The lowercase hex SHA-256 of some bytes. */
    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /**
     * A directory holding every reference file at its relative path ({@code golden/...},
     * {@code data/names.txt}): the test resources themselves, or a copy of them when they come
     * from a jar.
     */
    public static synchronized Path directory() {
        if (directory == null) {
            URL marker = url(FILES.get(0));
            if ("file".equals(marker.getProtocol())) {
                directory = pathOf(marker).getParent().getParent();
            } else {
                directory = copyToTemporaryDirectory();
            }
        }
        return directory;
    }

    /** One reference file on disk, by its path under {@link #ROOT} (for example {@code "golden/microgpt-py-seed42.stdout"}). */
    public static Path file(String relative) {
        url(relative); // fails with a clear message when the resource is missing
        Path file = directory().resolve(relative);
        if (!Files.isRegularFile(file)) {
            throw new IllegalStateException("the test resource " + ROOT + relative + " is not a file at " + file);
        }
        return file;
    }

    /** The bytes of one reference file, by its path under {@link #ROOT}. */
    public static byte[] bytes(String relative) {
        try (InputStream in = url(relative).openStream()) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the test resource " + ROOT + relative + ": " + e.getMessage(), e);
        }
    }

    /** One reference file parsed as a JSON object. */
    public static JsonObject json(String relative) {
        String text = new String(bytes(relative), StandardCharsets.UTF_8);
        try {
            return JsonParser.parseString(text).getAsJsonObject();
        } catch (JsonParseException | IllegalStateException e) {
            throw new IllegalStateException("the test resource " + ROOT + relative + " is not a valid JSON object ("
                    + e.getMessage() + ")", e);
        }
    }

    private static URL url(String relative) {
        URL url = TestResources.class.getResource("/" + ROOT + relative);
        if (url == null) {
            throw new IllegalStateException("the test resource " + ROOT + relative + " is missing from the test class"
                    + " path (it belongs in " + SOURCE_FOLDER + ROOT + relative + ")");
        }
        return url;
    }

    private static Path pathOf(URL url) {
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException("the test resource at " + url + " has no usable file name", e);
        }
    }

    private static Path copyToTemporaryDirectory() {
        try {
            Path dir = Files.createTempDirectory("microgpt-reference-");
            for (String relative : FILES) {
                Path target = dir.resolve(relative);
                Files.createDirectories(target.getParent());
                Files.write(target, bytes(relative));
            }
            Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteQuietly(dir)));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy the test resources to a temporary directory: " + e.getMessage(), e);
        }
    }

    private static void deleteQuietly(Path dir) {
        for (String relative : FILES) {
            try {
                Files.deleteIfExists(dir.resolve(relative));
            } catch (IOException ignored) {
                // A leftover file in the temporary directory is harmless.
            }
        }
        for (String folder : List.of("golden", "data", "")) {
            try {
                Files.deleteIfExists(dir.resolve(folder));
            } catch (IOException ignored) {
                // As above.
            }
        }
    }
}
