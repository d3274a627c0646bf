package io.github.microgpt.text;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * Where a run's documents came from, so that a run resumed later (perhaps by another program)
 * can read them again: the names embedded in this library, a text file, or documents a program
 * held in memory (typed into the simulator, say), which no file holds and only that program can
 * supply again.
 *
 * <pre>{@code
 * DataSource source = DataSource.file(Path.of("names.txt"));   // stored as an absolute path
 * List<String> documents = Documents.load(source);
 * }</pre>
 *
 * @param kind what kind of source
 * @param name for {@link Kind#FILE} the absolute, normalised path; for {@link Kind#IN_MEMORY} a
 *     label for people (for example {@code "my names"}); for {@link Kind#EMBEDDED}
 *     {@value #EMBEDDED_NAME}
 */
public record DataSource(Kind kind, String name) {

    /** The name of the embedded source. */
    public static final String EMBEDDED_NAME = "embedded";

    /** The kinds of source. */
    public enum Kind {
        /** The names embedded in this library ({@link Documents#embeddedNames()}). */
        EMBEDDED,
        /** A UTF-8 text file, one document per line ({@link Documents#load(Path)}). */
        FILE,
        /**
         * Documents a program held in memory (typed in, pasted, made up), read from no file or
         * resource the library could read again; the name is only a label, and a run resumes
         * with the documents given again ({@code Checkpoint.resumeWith}).
         */
        IN_MEMORY
    }

    /**
     * Checks the values.
     *
     * @param kind what kind of source
     * @param name the path, label or {@value #EMBEDDED_NAME}
     * @throws IllegalArgumentException if the name is blank, an embedded source is not named
     *     {@value #EMBEDDED_NAME}, or a file's name is not an absolute path
     * @throws NullPointerException if {@code kind} or {@code name} is null
     */
    public DataSource {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(name, "name");
        if (name.isBlank()) {
            throw new IllegalArgumentException("a data source needs a name");
        }
        if (kind == Kind.EMBEDDED && !name.equals(EMBEDDED_NAME)) {
            throw new IllegalArgumentException("the embedded source is named \"" + EMBEDDED_NAME + "\", not \""
                    + name + "\"");
        }
        if (kind == Kind.FILE && !Path.of(name).isAbsolute()) {
            throw new IllegalArgumentException("a file source is an absolute path, got \"" + name + "\"");
        }
    }

    /**
     * The names embedded in this library.
     *
     * @return the source
     */
    public static DataSource embedded() {
        return new DataSource(Kind.EMBEDDED, EMBEDDED_NAME);
    }

    /**
     * A text file.
     *
     * @param file the file; recorded as an absolute, normalised path (it need not exist yet:
     *     {@link Documents#load(DataSource)} reads it)
     * @return the source
     * @throws NullPointerException if {@code file} is null
     */
    public static DataSource file(Path file) {
        Objects.requireNonNull(file, "file");
        return new DataSource(Kind.FILE, file.toAbsolutePath().normalize().toString());
    }

    /**
     * Documents the program held in memory, such as names typed into the simulator: the library
     * cannot read them again, so a run on them is resumed with the documents given again.
     *
     * @param label a name for people, for example the name of a dataset in the simulator; not
     *     blank
     * @return the source
     * @throws NullPointerException if {@code label} is null
     * @throws IllegalArgumentException if {@code label} is empty or only white space
     */
    public static DataSource inMemory(String label) {
        return new DataSource(Kind.IN_MEMORY, label);
    }

    /**
     * The file of a {@link Kind#FILE} source.
     *
     * @return the path, or empty for other kinds
     */
    public Optional<Path> file() {
        return kind == Kind.FILE ? Optional.of(Path.of(name)) : Optional.empty();
    }
}
