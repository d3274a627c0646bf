package io.github.microgpt.testing;

import com.google.gson.JsonObject;
import io.github.microgpt.testsupport.TestResources;
import java.nio.file.Path;

/**
 * The reference material under its first name, from when it lay in {@code ../shared}: kept so
 * that tests written against it go on compiling. New tests use {@link TestResources}, which this
 * class only forwards to.
 */
public final class Shared {

    private Shared() {
    }

    /** A directory with {@code golden/} and {@code data/names.txt}: {@link TestResources#directory()}. */
    public static Path dir() {
        return TestResources.directory();
    }

    /** The 32,033 names of the reference run: {@link TestResources#namesFile()}. */
    public static Path namesFile() {
        return TestResources.namesFile();
    }

    /** A file of {@code golden/} parsed as JSON, by its name (for example {@code "microgpt-py-seed42.json"}). */
    public static JsonObject json(String goldenFile) {
        return TestResources.json("golden/" + goldenFile);
    }
}
