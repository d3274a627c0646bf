package io.github.microgpt.testing;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** The project's shared reference material ({@code ../shared}), which the build points to. */
public final class Shared {

    private Shared() {
    }

    /**
     * The shared directory, from the system property {@code microgpt.shared} that the build sets.
     * A missing directory fails the test: the exactness checks are not optional.
     */
    public static Path dir() {
        String property = System.getProperty("microgpt.shared", "../shared");
        Path dir = Path.of(property).toAbsolutePath().normalize();
        if (!Files.isDirectory(dir.resolve("golden"))) {
            throw new IllegalStateException("the shared reference directory is missing: expected " + dir
                    + " (set -Dmicrogpt.shared=...)");
        }
        return dir;
    }

    public static Path namesFile() {
        return dir().resolve("data/names.txt");
    }

    public static JsonObject json(String goldenFile) {
        try {
            return JsonParser.parseString(Files.readString(dir().resolve("golden").resolve(goldenFile),
                    StandardCharsets.UTF_8)).getAsJsonObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
