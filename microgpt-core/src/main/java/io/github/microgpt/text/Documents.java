package io.github.microgpt.text;

import io.github.microgpt.internal.RegularFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URLConnection;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Timer;
import java.util.TimerTask;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Where training documents come from: a text file, a string, a URL (downloaded once into a local
 * cache), or the list of given names embedded in this library.
 *
 * <p>Every source is split into documents as {@code microgpt.py} does it: line endings are
 * normalised to {@code \n}, the whole text is stripped of surrounding whitespace and split on
 * {@code \n}, each line is stripped, and empty lines are dropped. Each remaining line is one
 * document. "Whitespace" means what Python's {@code str.strip()} removes.
 *
 * <p>The returned lists are unmodifiable; copy one to shuffle it. The methods keep no state and
 * may be called from any thread.
 */
public final class Documents {

    /** The classpath location of the embedded names. */
    private static final String EMBEDDED_NAMES = "names.txt";
    private static final int CONNECT_TIMEOUT_MILLIS = 15_000;
    private static final int READ_TIMEOUT_MILLIS = 30_000;
    /**
     * A download must bring at least {@value #MIN_BYTES_PER_WINDOW} bytes in every window of this
     * many milliseconds (the read timeout's length), or it is given up: a server that sends a
     * byte now and then answers every read within the read timeout, and went on for ever.
     * Package-private and not final so that a test can shorten it.
     */
    static volatile int stallWindowMillis = READ_TIMEOUT_MILLIS;
    /** The least a download must bring in each stall window: 4 KiB, some 137 bytes a second over 30 s. */
    private static final int MIN_BYTES_PER_WINDOW = 4096;
    /**
     * The longest a whole download may take, from connecting to its last byte: 10 minutes. The
     * stall window alone let a server that sends 4 KiB every 30 s keep the caller waiting for
     * days before the {@link #MAX_BYTES} cap; 10 minutes bring the reference run's 228 kB of
     * names at 400 bytes a second, and the largest file accepted at some 112 kB a second.
     * Package-private and not final so that a test can shorten it.
     */
    static volatile long deadlineMillis = 10 * 60_000L;

    private Documents() {
    }

    /**
     * Splits a text into documents: one per non-blank line, stripped.
     *
     * @param text the whole text
     * @return the documents, in order; empty if the text is blank (unlike {@link #load(Path)},
     *     which refuses a file that holds no document)
     * @throws IllegalArgumentException if a document holds a character no document may hold (see
     *     {@link #isRefusedCharacter}, a byte-order mark at the start too: a text read by a reader
     *     that kept the file's mark is given without it); the message names it as U+XXXX, with its
     *     line and column
     */
    public static List<String> parse(String text) {
        Objects.requireNonNull(text, "text");
        try {
            return parse(text, Integer.MAX_VALUE, "the text");
        } catch (RefusedCharacterException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        } catch (IOException e) {
            throw new AssertionError("no limit on the documents, none passed", e);
        }
    }

    /**
     * Whether a character is refused in a document: a control character other than the tab (C0,
     * DEL and C1, among them the escape that drives a terminal), the line and paragraph separators
     * U+2028 and U+2029 (a line break to many programs), half of a surrogate pair standing
     * alone, or the byte-order mark U+FEFF. Such a character in a line is a sign of a file that is
     * not text (a log with a terminal's colours, a file in another encoding) or of files joined
     * together: a byte-order mark belongs only at the very start of a file, where {@link #load}
     * drops one, and one anywhere else (a second at the start, one at the start of a later line)
     * is the mark of another file that was appended, which would become an invisible token. A
     * checkpoint could not store such a character in its vocabulary, and a {@link Tokenizer}
     * refuses it too: this is the one rule of them all. At the ends of a line, the characters
     * Python counts as whitespace are stripped first, as {@code microgpt.py} strips them, and are
     * no part of a document.
     *
     * <p>Every other character is text and is kept: the format characters too, such as a
     * zero-width joiner (in emoji and in Indic scripts) or the bidirectional controls that text in
     * a right-to-left script uses. A program that shows a document shows those escaped where they
     * would hide or reorder what is around them ({@link VisibleText}).
     *
     * @param codePoint a code point (a lone surrogate counts as one)
     * @return true if no document may hold it; false for every other code point, also one no
     *     character is assigned to yet
     */
    public static boolean isRefusedCharacter(int codePoint) {
        return codePoint != '\t' && Character.isISOControl(codePoint) || codePoint == 0x2028 || codePoint == 0x2029
                || codePoint == BYTE_ORDER_MARK || Character.getType(codePoint) == Character.SURROGATE;
    }

    /** U+FEFF: at the very start of a file, the byte-order mark; anywhere else, refused. */
    private static final int BYTE_ORDER_MARK = 0xFEFF;

    /** What a document may hold, said in every refusal of a character ({@link #isRefusedCharacter}). */
    static final String ALLOWED = "a document is a line of text, which may hold a tab but no other control"
            + " character, no line or paragraph separator, no unpaired surrogate and no byte-order mark";

    /**
     * A refused character as a message names it, with its code point: {@code "the control
     * character U+001B"}; for a byte-order mark, why it is refused.
     */
    static String describeRefused(int codePoint) {
        String what = codePoint == 0x2028 ? "the line separator" : codePoint == 0x2029 ? "the paragraph separator"
                : codePoint == BYTE_ORDER_MARK ? "a byte-order mark"
                : Character.getType(codePoint) == Character.SURROGATE
                        ? "an unpaired surrogate (half of a pair, no character by itself)" : "the control character";
        String named = String.format(Locale.ROOT, "%s U+%04X", what, codePoint);
        return codePoint != BYTE_ORDER_MARK ? named : named + " (it belongs only at the very start of a file, where one"
                + " is dropped; another, after it or at the start of a later line, is left by joining files)";
    }

    /** {@link #parse(String)}, refusing more than {@code maxDocuments} documents as {@code source}. */
    private static List<String> parse(String text, int maxDocuments, String source) throws IOException {
        String normalised = text.replace("\r\n", "\n").replace('\r', '\n');
        List<String> documents = new ArrayList<>();
        Map<String, String> shortOnes = new HashMap<>();
        // Line by line, each stripped and kept if not empty: the same documents as stripping the
        // whole text, splitting it and stripping each line, with each line's number known.
        int line = 1;
        for (int start = 0; start <= normalised.length(); line++) {
            int lineEnd = normalised.indexOf('\n', start);
            if (lineEnd < 0) {
                lineEnd = normalised.length();
            }
            int from = start;
            int to = lineEnd;
            while (from < to && isPythonSpace(normalised.charAt(from))) {
                from++;
            }
            while (to > from && isPythonSpace(normalised.charAt(to - 1))) {
                to--;
            }
            if (to > from) {
                for (int i = from; i < to; ) {
                    int codePoint = normalised.codePointAt(i);
                    if (isRefusedCharacter(codePoint)) {
                        throw refused(source, codePoint, line, normalised.codePointCount(start, i) + 1);
                    }
                    i += Character.charCount(codePoint);
                }
                checkCount(documents.size(), maxDocuments, source);
                documents.add(shared(shortOnes, normalised.substring(from, to)));
            }
            start = lineEnd + 1;
        }
        return List.copyOf(documents);
    }

    /** A character no document may hold ({@link #isRefusedCharacter}), found in a text or a file. */
    private static final class RefusedCharacterException extends CharacterCodingException {
        private static final long serialVersionUID = 1L;
        private final String message;

        RefusedCharacterException(String message) {
            this.message = message;
        }

        @Override
        public String getMessage() {
            return message;
        }
    }

    /** The refusal of a character at a line and column (in characters, from 1) of {@code source}. */
    private static RefusedCharacterException refused(String source, int codePoint, int line, int column) {
        return new RefusedCharacterException(String.format(Locale.ROOT, "%s holds %s at line %d, column %d; %s:"
                + " remove it", source, describeRefused(codePoint), line, column, ALLOWED));
    }

    /**
     * The largest data file {@link #load(Path)} reads: 64 MiB, some 300 times the reference run's
     * {@code names.txt} (228 KB) and 2,500 times the embedded names (27 KB).
     * A character model learns from far less, and a larger file (or {@code /dev/zero}) would only
     * fill the memory; {@link #load(Path, Limits)} takes another limit. This is the default of
     * {@link Limits#maxBytes()}, and named as it is (as {@link #MAX_DOCUMENTS} is the default of
     * {@link Limits#maxDocuments()}): one limit, one name.
     */
    public static final long MAX_BYTES = 64L << 20;

    /**
     * The most documents {@link #load(Path)} reads: 2,097,152 (2<sup>21</sup>), some 500 times the
     * embedded names. The cost of a data file is per line more than per byte: each document is a
     * Java {@code String}, some 48 bytes of heap for a line of 4 letters (5 bytes of the file),
     * and every pass over the list (the shuffle, the vocabulary, the trainer's check) visits each
     * one at a random place in memory. A file of 13 million 4-letter lines, within
     * {@link #MAX_BYTES}, took 12 to 16 seconds and 1.1 GB of memory (0.7 GB of heap still
     * in use) from the start of the JVM to the end of the first training step; a file of
     * 2,097,152 such lines, this limit, 1.4 to 2.0 seconds and 127 MB of heap (two runs each, read,
     * shuffled, tokenized and one step trained with the launcher's serial collector, on JDK 17, on
     * a 2-vCPU AMD EPYC Zen 5 shared with other work, 7 December 2026). A run trains on one
     * document a step, so it reads far fewer than this; a larger file is refused as soon as the
     * reading counts past the limit, naming it, and {@link #load(Path, Limits)} takes another
     * limit.
     */
    public static final int MAX_DOCUMENTS = 1 << 21;

    /** The longest document, in chars, that {@link #shared} keeps one copy of. */
    private static final int SHARED_LENGTH = 3;

    /**
     * Reads documents from a UTF-8 text file of at most {@value #MAX_BYTES} bytes. A
     * byte-order mark at the start (the bytes {@code EF BB BF}, which some editors write to
     * say "this is UTF-8") is dropped, so it does not become a character of the vocabulary; one
     * only: a second right after it, as one at the start of any later line, is refused with its
     * line and column ({@link #isRefusedCharacter}), for it is left by joining files.
     *
     * @param file the file
     * @return the documents, in order; never empty
     * @throws java.nio.file.NoSuchFileException if the file does not exist
     * @throws java.nio.file.AccessDeniedException if it cannot be read
     * @throws java.nio.file.FileSystemException if it is a directory, a FIFO, a device or a
     *     socket rather than a regular file (checked before opening it, so nothing waits)
     * @throws CharacterCodingException if it is not valid UTF-8 (the message gives the byte
     *     offset), or holds a NUL byte, which no text of names or words has: it is then UTF-16 or
     *     UTF-32 text, or not text at all (the message says which it looks like); or if a document
     *     holds a character no document may hold ({@link #isRefusedCharacter}: a control
     *     character other than the tab, a line or paragraph separator, an unpaired surrogate, a
     *     byte-order mark other than the one at the very start),
     *     named as U+XXXX with its line and column
     * @throws IOException if it is larger than {@value #MAX_BYTES} bytes (checked before
     *     reading) or reading fails otherwise
     * @throws IOException if it holds more than {@value #MAX_DOCUMENTS} documents (found while
     *     reading; the message names the file and the limit)
     * @throws IOException if it holds no document (it is empty or blank; the message names the
     *     file). Like every other refusal of the file's content, an {@code IOException}: a caller
     *     that reports a data file it cannot use catches one type. ({@link #parse(String)} of a
     *     blank text returns no documents instead: a text in hand may rightly be empty.)
     */
    public static List<String> load(Path file) throws IOException {
        return load(file, Limits.defaults());
    }

    /**
     * The limits {@link #load(Path, Limits)} reads a data file within: its size in bytes and the
     * number of its documents. A record with names, rather than two numbers side by side, so that
     * the two limits cannot be swapped unnoticed:
     *
     * <pre>{@code
     * Documents.load(path, Documents.Limits.defaults().withMaxBytes(1 << 20));   // 1 MiB at most
     * }</pre>
     *
     * @param maxBytes the largest size accepted, in bytes: from 0 to {@code Integer.MAX_VALUE - 8}
     *     (the largest array the JVM makes)
     * @param maxDocuments the most documents (non-blank lines) accepted: at least 1
     */
    public record Limits(long maxBytes, int maxDocuments) {

        /**
         * Checks the limits.
         *
         * @param maxBytes the largest size accepted, in bytes
         * @param maxDocuments the most documents accepted
         * @throws IllegalArgumentException if {@code maxBytes} is negative or above
         *     {@code Integer.MAX_VALUE - 8}, or {@code maxDocuments} is below 1
         */
        public Limits {
            if (maxBytes < 0 || maxBytes > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("the size limit must be from 0 to " + (Integer.MAX_VALUE - 8)
                        + " bytes, got " + maxBytes);
            }
            if (maxDocuments < 1) {
                throw new IllegalArgumentException("the limit on documents must be at least 1, got " + maxDocuments);
            }
        }

        /**
         * The limits of {@link #load(Path)}: {@value #MAX_BYTES} bytes and
         * {@value #MAX_DOCUMENTS} documents.
         *
         * @return the default limits
         */
        public static Limits defaults() {
            return new Limits(MAX_BYTES, MAX_DOCUMENTS);
        }

        /**
         * These limits with another size limit.
         *
         * @param maxBytes the largest size accepted, in bytes
         * @return the new limits
         * @throws IllegalArgumentException if {@code maxBytes} is negative or above
         *     {@code Integer.MAX_VALUE - 8}
         */
        public Limits withMaxBytes(long maxBytes) {
            return new Limits(maxBytes, maxDocuments);
        }

        /**
         * These limits with another limit on the number of documents.
         *
         * @param maxDocuments the most documents accepted
         * @return the new limits
         * @throws IllegalArgumentException if {@code maxDocuments} is below 1
         */
        public Limits withMaxDocuments(int maxDocuments) {
            return new Limits(maxBytes, maxDocuments);
        }
    }

    /**
     * Reads documents from a UTF-8 text file, with limits of your choice on its size and on the
     * number of its documents; see {@link #load(Path)} (a leading byte-order mark is dropped
     * likewise).
     *
     * @param file the file
     * @param limits the largest size and the most documents accepted
     * @return the documents, in order; never empty
     * @throws IOException as {@link #load(Path)}; the message of a file that is too large, or
     *     holds too many documents, names the file and the limit; that of a file that holds no
     *     document names the file
     */
    public static List<String> load(Path file, Limits limits) throws IOException {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(limits, "limits");
        long maxBytes = limits.maxBytes();
        byte[] bytes;
        try {
            bytes = RegularFiles.readAll(file, maxBytes, "the data file");
        } catch (RegularFiles.FileTooLargeException e) {
            throw new IOException(file + " has " + e.size() + " bytes, more than the " + maxBytes
                    + " a data file may have (" + (maxBytes >> 20) + " MiB); a character model learns from far"
                    + " less: use part of the file", e);
        }
        List<String> documents = parse(bytes, limits.maxDocuments(), file.toString());
        if (documents.isEmpty()) {
            // An IOException, as every other refusal of the file: it was an IllegalArgumentException,
            // the one refusal that a caller catching IOException to report a bad file let through.
            throw new IOException(file + " holds no documents: every line is empty or blank");
        }
        return documents;
    }

    /**
     * Reads the documents of a source that can be read again: the embedded names or a file.
     *
     * @param source an {@link DataSource.Kind#EMBEDDED} or {@link DataSource.Kind#FILE} source
     * @return the documents, in order; never empty
     * @throws IOException as {@link #load(Path)}
     * @throws IllegalArgumentException for a {@link DataSource.Kind#IN_MEMORY} source, whose
     *     documents only the program that was given them has
     * @throws NullPointerException if {@code source} is null
     */
    public static List<String> load(DataSource source) throws IOException {
        Objects.requireNonNull(source, "source");
        return switch (source.kind()) {
            case EMBEDDED -> embeddedNames();
            case FILE -> load(source.file().orElseThrow());
            case IN_MEMORY -> throw new IllegalArgumentException("the documents \"" + source.name() + "\" were given "
                    + "to the program that trained the run; only it can supply them again");
        };
    }

    /**
     * The list of given names that ships with this library (a few thousand, lowercase a–z, one
     * per line), written for this project. It is the default training set of the examples.
     *
     * @return the names, in the order of the resource
     */
    public static List<String> embeddedNames() {
        try (InputStream in = Documents.class.getResourceAsStream(EMBEDDED_NAMES)) {
            if (in == null) {
                throw new IllegalStateException("the embedded names resource is missing from the library");
            }
            return parse(in.readAllBytes(), Integer.MAX_VALUE, "the embedded names");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the embedded names", e);
        }
    }

    /**
     * Reads documents from a URL, downloading it into {@link #defaultCacheDirectory()} the first
     * time; later calls read the cached copy.
     *
     * @param url an {@code http}, {@code https} or {@code file} URL
     * @param sha256 the expected SHA-256 of the file in hex, or {@code null} to skip the check
     * @return the documents, in order; never empty
     * @throws IOException if the download or the check fails, as {@link #download}, or the file
     *     cannot be read as documents, as {@link #load(Path)}
     * @throws IllegalArgumentException if the URL's scheme is not supported, a {@code file} URL
     *     names no local path, or the checksum is not 64 hex digits
     * @throws NullPointerException if {@code url} is null
     * @see #download(URI, Path, String)
     */
    public static List<String> fromUrl(URI url, String sha256) throws IOException {
        Objects.requireNonNull(url, "url");
        return load(download(url, defaultCacheDirectory(), sha256));
    }

    /**
     * Downloads a URL into a cache directory unless a good copy is there already, as
     * {@code microgpt.py} downloads its names file once.
     *
     * <p>The file is written to a temporary file beside its final name and moved into place
     * only when it is complete and its checksum (if given) matches, so an interrupted or corrupt
     * download never leaves a damaged file in the cache. A cached file whose checksum does not
     * match is downloaded again.
     *
     * @param url an {@code http}, {@code https} or {@code file} URL
     * @param cacheDirectory the directory to keep the file in; created if missing
     * @param sha256 the expected SHA-256 of the file in hex, or {@code null} to skip the check
     * @return the path of the cached file
     * @throws IOException if the server answers with an error, the connection fails or times
     *     out, the download brings less than 4 KiB in some 30 seconds (headers included: a server
     *     that sends a byte now and then is given up, never waited for without end), it does not
     *     finish within 10 minutes however steadily it comes (the message says so), it is larger
     *     than {@value #MAX_BYTES} bytes, the most {@link #load(Path)} accepts (the download is
     *     stopped there and nothing is cached), or the downloaded file does not have the expected checksum
     * @throws java.nio.file.FileSystemException if a {@code file} URL names a directory, a FIFO,
     *     a device or a socket rather than a regular file (checked before reading, so nothing
     *     waits, and a directory's listing is not taken for its contents)
     * @throws IllegalArgumentException if the URL's scheme is not supported, a {@code file} URL
     *     names no local path, or the checksum is not 64 hex digits
     * @throws NullPointerException if {@code url} or {@code cacheDirectory} is null
     */
    public static Path download(URI url, Path cacheDirectory, String sha256) throws IOException {
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(cacheDirectory, "cacheDirectory");
        String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") && !scheme.equals("file")) {
            throw new IllegalArgumentException("cannot download " + url + ": only http, https and file URLs are supported");
        }
        String expected = sha256 == null ? null : sha256.toLowerCase(Locale.ROOT);
        if (expected != null && !expected.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("a SHA-256 checksum is 64 hex digits, got \"" + sha256 + "\"");
        }
        Files.createDirectories(cacheDirectory);
        Path cached = cacheDirectory.resolve(cacheFileName(url));
        if (Files.isRegularFile(cached) && (expected == null || expected.equals(sha256Of(cached)))) {
            return cached;
        }
        // A cache file that is a symbolic link is written through, beside the file it leads to.
        Path target = RegularFiles.writeTarget(cached);
        removeLeftoverParts(target);
        // The target's own name as the prefix was too long for the file system beside a long name.
        Path partial = Files.createTempFile(target.getParent(), RegularFiles.besideStem(target), ".part");
        try {
            fetch(url, partial);
            String actual = sha256Of(partial);
            if (expected != null && !expected.equals(actual)) {
                throw new IOException("the download of " + url + " has SHA-256 " + actual
                        + " but " + expected + " was expected; the cache was left unchanged");
            }
            try {
                Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING);
            }
            return cached;
        } finally {
            Files.deleteIfExists(partial);
        }
    }

    /**
     * How long a partial download must have gone unwritten to be taken for a leftover: 20 times
     * the stall window, after which a live download has been given up (and its file deleted).
     */
    static final long LEFTOVER_PART_MILLIS = 20L * READ_TIMEOUT_MILLIS;

    /**
     * Deletes the partial downloads of {@code target} that a killed process left behind (hidden
     * {@code .NAME123.part} files: a download that ends, well or badly, deletes its own, but a
     * process killed mid-download cannot, and each such file stayed in the cache for ever). Only
     * files not written for {@link #LEFTOVER_PART_MILLIS} go, so that another process's download
     * of the same file, which writes at least once per stall window, is left alone. Best effort:
     * a file that cannot be read or deleted is left.
     */
    private static void removeLeftoverParts(Path target) {
        String stem = RegularFiles.besideStem(target);
        long now = System.currentTimeMillis();
        try (var entries = Files.newDirectoryStream(target.getParent(), entry -> {
            String name = String.valueOf(entry.getFileName());
            // createTempFile puts a number between the stem and the suffix.
            return name.startsWith(stem) && name.endsWith(".part") && name.length() > stem.length() + 5
                    && name.substring(stem.length(), name.length() - 5).chars().allMatch(Character::isDigit);
        })) {
            for (Path entry : entries) {
                try {
                    var attributes = Files.readAttributes(entry, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                    if (attributes.isRegularFile() && now - attributes.lastModifiedTime().toMillis() > LEFTOVER_PART_MILLIS) {
                        Files.deleteIfExists(entry);
                    }
                } catch (IOException e) {
                    // Left for another time: the download itself does not depend on it.
                }
            }
        } catch (IOException | DirectoryIteratorException e) {
            // As above.
        }
    }

    /**
     * The directory where downloads are cached: the system property {@code microgpt.cache.dir}
     * if set, else the environment variable {@code MICROGPT_CACHE_DIR}, else
     * {@code ~/.cache/microgpt}.
     *
     * @return the cache directory (not necessarily existing yet)
     */
    public static Path defaultCacheDirectory() {
        String property = System.getProperty("microgpt.cache.dir");
        if (property != null && !property.isBlank()) {
            return Path.of(property);
        }
        String environment = System.getenv("MICROGPT_CACHE_DIR");
        if (environment != null && !environment.isBlank()) {
            return Path.of(environment);
        }
        return Path.of(System.getProperty("user.home"), ".cache", "microgpt");
    }

    private static void fetch(URI url, Path destination) throws IOException {
        if (url.getScheme().equalsIgnoreCase("file")) {
            // Read as a data file is: a FIFO would wait for a writer forever (a file has no read
            // timeout), and a directory's URL gives a listing of its names, which would become
            // the documents.
            Path source;
            try {
                source = Path.of(url);
            } catch (IllegalArgumentException | java.nio.file.FileSystemNotFoundException e) {
                throw new IllegalArgumentException("cannot download " + url + ": it is not the URL of a local file ("
                        + e.getMessage() + ")", e);
            }
            try (InputStream in = java.nio.channels.Channels.newInputStream(RegularFiles.openForReading(source));
                 OutputStream out = Files.newOutputStream(destination)) {
                copyAtMost(in, out, url);
            }
            return;
        }
        URLConnection connection = url.toURL().openConnection();
        connection.setConnectTimeout(CONNECT_TIMEOUT_MILLIS);
        connection.setReadTimeout(READ_TIMEOUT_MILLIS);
        // The read timeout bounds one read only: a watchdog gives up a download that brings too
        // little in a window (headers included), by closing its connection.
        int window = stallWindowMillis;
        long deadline = deadlineMillis;
        AtomicLong received = new AtomicLong();
        AtomicLong stalledAt = new AtomicLong(-1);
        AtomicLong lateAt = new AtomicLong(-1);
        Timer watchdog = new Timer("microgpt-download-watchdog", true);
        // However steadily it comes, a download is given up when the deadline passes.
        watchdog.schedule(new TimerTask() {
            @Override
            public void run() {
                lateAt.set(received.get());
                disconnect(connection);
            }
        }, deadline);
        watchdog.scheduleAtFixedRate(new TimerTask() {
            private long before;

            @Override
            public void run() {
                long now = received.get();
                if (now - before < MIN_BYTES_PER_WINDOW) {
                    stalledAt.set(now - before);
                    cancel();
                    disconnect(connection);
                }
                before = now;
            }
        }, window, window);
        try {
            if (connection instanceof HttpURLConnection http) {
                http.setInstanceFollowRedirects(true);
                int status = http.getResponseCode();
                if (status != HttpURLConnection.HTTP_OK) {
                    http.disconnect();
                    throw new IOException("cannot download " + url + ": the server answered HTTP " + status);
                }
            }
            try (InputStream in = connection.getInputStream();
                 OutputStream out = Files.newOutputStream(destination)) {
                copyAtMost(in, out, url, received);
            }
        } catch (IOException e) {
            throwIfGivenUp(url, stalledAt.get(), window, lateAt.get(), deadline, e);
            throw e;
        } finally {
            watchdog.cancel();
        }
        // Closed under the reader, which may have taken it for the end of the answer.
        throwIfGivenUp(url, stalledAt.get(), window, lateAt.get(), deadline, null);
    }

    /**
     * How the watchdog gives a download up, at its deadline or on a stall: by closing the
     * connection under the reader, whose read then fails or ends ({@link #throwIfGivenUp} tells
     * which). Only an HTTP connection can be closed from another thread; a {@code file:} URL is
     * read without the watchdog.
     */
    private static void disconnect(URLConnection connection) {
        if (connection instanceof HttpURLConnection http) {
            http.disconnect();
        }
    }

    /** Throws the reason the watchdog gave a download up, if it did: the stall or the deadline. */
    private static void throwIfGivenUp(URI url, long stalledAt, int window, long lateAt, long deadline,
            IOException cause) throws IOException {
        // The deadline first: once it has closed the connection, a stall may follow.
        if (lateAt >= 0) {
            throw new IOException(String.format(Locale.ROOT, "cannot download %s: it did not finish within %s, the"
                    + " longest a download may take (%,d bytes had come); given up, and nothing was cached", url,
                    duration(deadline), lateAt), cause);
        }
        if (stalledAt >= 0) {
            throw stalled(url, stalledAt, window, cause);
        }
    }

    /** A duration for a message: "10 minutes", "30 s", "0.5 s". */
    private static String duration(long millis) {
        if (millis % 60_000 == 0) {
            return millis / 60_000 + (millis == 60_000 ? " minute" : " minutes");
        }
        return millis % 1000 == 0 ? millis / 1000 + " s" : millis / 1000.0 + " s";
    }

    private static IOException stalled(URI url, long bytes, int windowMillis, IOException cause) {
        String window = windowMillis % 1000 == 0 ? windowMillis / 1000 + " s" : windowMillis / 1000.0 + " s";
        return new IOException(String.format(Locale.ROOT, "cannot download %s: the server sent %,d bytes in %s, less"
                + " than the %,d a download must bring in every %s; given up", url, bytes, window,
                MIN_BYTES_PER_WINDOW, window), cause);
    }

    /**
     * Copies a download, refusing one larger than {@link #MAX_BYTES} as soon as it passes
     * that size: {@link #load(Path)} would refuse the file.
     */
    private static void copyAtMost(InputStream in, OutputStream out, URI url) throws IOException {
        copyAtMost(in, out, url, new AtomicLong());
    }

    /** {@link #copyAtMost(InputStream, OutputStream, URI)}, counting the bytes in {@code received}. */
    private static void copyAtMost(InputStream in, OutputStream out, URI url, AtomicLong received) throws IOException {
        byte[] buffer = new byte[64 * 1024];
        long total = 0;
        for (int n; (n = in.read(buffer)) != -1; ) {
            total += n;
            received.addAndGet(n);
            if (total > MAX_BYTES) {
                throw new IOException(String.format(Locale.ROOT, "cannot download %s: it is larger than %,d bytes"
                        + " (%d MiB), the most a data file may hold; stopped there, and nothing was cached", url,
                        MAX_BYTES, MAX_BYTES >> 20));
            }
            out.write(buffer, 0, n);
        }
    }

    /** The most characters of a URL's last segment that a cache file's name keeps. */
    private static final int MAX_CACHE_NAME = 100;

    /** A readable, collision-resistant name: the URL's last segment and a hash of the whole URL. */
    private static String cacheFileName(URI url) {
        String path = url.getPath() == null ? "" : url.getPath();
        String last = path.substring(path.lastIndexOf('/') + 1).replaceAll("[^A-Za-z0-9._-]", "_");
        // The hash tells URLs apart; the name is only for a reader of the cache, and a URL's last
        // segment of 240 characters or more made a name longer than a file system takes.
        last = last.substring(0, Math.min(last.length(), MAX_CACHE_NAME));
        String hash = sha256Hex(url.toString().getBytes(StandardCharsets.UTF_8)).substring(0, 16);
        return (last.isEmpty() ? "download" : last) + "-" + hash;
    }

    /**
     * The SHA-256 of a file, read in pieces: a download may be up to {@link #MAX_BYTES},
     * and reading it whole into one array ran out of heap (a 300 MB file in a 256 MB heap).
     */
    private static String sha256Of(Path file) throws IOException {
        MessageDigest digest = sha256();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[64 * 1024];
            for (int n; (n = in.read(buffer)) != -1; ) {
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK provides SHA-256", e);
        }
    }

    private static String sha256Hex(byte[] bytes) {
        return HexFormat.of().formatHex(sha256().digest(bytes));
    }

    private static String decodeUtf8(byte[] bytes, int begin, String source) throws CharacterCodingException {
        var decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer buffer = ByteBuffer.wrap(bytes, begin, bytes.length - begin);
        try {
            return decoder.decode(buffer).toString();
        } catch (CharacterCodingException e) {
            throw encodingError(source + " is not valid UTF-8 (bad byte near offset " + buffer.position() + ")", e);
        }
    }

    /** A {@link CharacterCodingException} with a message (the class takes none of its own). */
    private static CharacterCodingException encodingError(String message, Throwable cause) {
        CharacterCodingException described = new CharacterCodingException() {
            private static final long serialVersionUID = 1L;

            @Override
            public String getMessage() {
                return message;
            }
        };
        described.initCause(cause);
        return described;
    }

    /**
     * Refuses the bytes of a file in another encoding than UTF-8, which would otherwise be read as
     * something else without a word: UTF-16 text without a byte-order mark is valid UTF-8, every
     * other byte a NUL, and trained on as such. A byte-order mark of UTF-16 or UTF-32 is named;
     * any NUL byte is refused (no text of names or words holds one), as UTF-16 or UTF-32 text when
     * NULs are many and the other bytes keep to even or to odd offsets, as a file that is not text
     * otherwise.
     */
    private static void checkEncoding(byte[] bytes, String source) throws CharacterCodingException {
        int b0 = bytes.length > 0 ? bytes[0] & 0xFF : -1;
        int b1 = bytes.length > 1 ? bytes[1] & 0xFF : -1;
        if (b0 == 0xFF && b1 == 0xFE || b0 == 0xFE && b1 == 0xFF
                || b0 == 0 && b1 == 0 && bytes.length > 3 && (bytes[2] & 0xFF) == 0xFE && (bytes[3] & 0xFF) == 0xFF) {
            String encoding = b0 == 0 || bytes.length > 3 && bytes[2] == 0 && bytes[3] == 0 ? "UTF-32" : "UTF-16";
            throw encodingError(source + " is " + encoding + " text (it starts with a " + encoding + " byte-order"
                    + " mark), not UTF-8: convert it, for example with iconv -f " + encoding + " -t UTF-8", null);
        }
        int first = -1;
        int nuls = 0;
        int evenNonNuls = 0;
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == 0) {
                first = first < 0 ? i : first;
                nuls++;
            } else if ((i & 1) == 0) {
                evenNonNuls++;
            }
        }
        if (first >= 0) {
            // UTF-16 or UTF-32 text of Latin letters has a NUL in every other byte or more; the
            // share is taken exactly, and from two NULs up, so that one NUL in a file of a few
            // bytes is not taken for wide text (1 >= 6 / 4 in integer division was). An executable
            // or a shared library is as full of NULs (26-40% of /bin/ls and libc), so wide text is
            // told apart by where its other bytes sit: each character of UTF-16 is two bytes and of
            // UTF-32 four, and Latin letters put their one non-NUL byte at the same place in each,
            // so that (nearly) all the non-NUL bytes of the file sit at even offsets, or all at
            // odd ones. That one rule covers UTF-32 too: one residue mod 4 lies within one mod 2.
            // At least 90% is asked, for the odd character beyond Latin; ELF files have 55-80%.
            long nonNuls = bytes.length - nuls;
            long sameResidue = Math.max(evenNonNuls, nonNuls - evenNonNuls);
            boolean wide = nuls >= 2 && 4L * nuls >= bytes.length && nonNuls > 0 && 10 * sameResidue >= 9 * nonNuls;
            throw encodingError(source + " holds a NUL byte (at offset " + first + "), which a text file does not: "
                    + (wide ? "it looks like UTF-16 or UTF-32 text; convert it to UTF-8, for example with iconv -f "
                            + "UTF-16 -t UTF-8" : "it looks like a binary file, not UTF-8 text, one document a line"),
                    null);
        }
    }

    /**
     * {@link #parse(String)} of the UTF-8 text in {@code bytes}. A text of ASCII only (the usual
     * data file) is split on its bytes: the same documents, without decoding the whole text into
     * chars and reading it char by char through {@code String} methods, which at the start of a
     * run, in the interpreter, takes some 30 ms for the 228 kB of names.
     */
    private static List<String> parse(byte[] bytes, int maxDocuments, String source) throws IOException {
        checkEncoding(bytes, source);
        // One leading byte-order mark (U+FEFF in UTF-8) only says how the file is encoded.
        int begin = bytes.length >= 3 && bytes[0] == (byte) 0xEF && bytes[1] == (byte) 0xBB
                && bytes[2] == (byte) 0xBF ? 3 : 0;
        for (int i = begin; i < bytes.length; i++) {
            if (bytes[i] < 0) {
                return parse(decodeUtf8(bytes, begin, source), maxDocuments, source);
            }
        }
        List<String> documents = new ArrayList<>();
        Map<String, String> shortOnes = new HashMap<>();
        int end = bytes.length;
        int line = 1;
        for (int start = begin; start < end; line++) {
            // A line ends at \n, \r or "\r\n". A control character other than the tab is marked
            // on the way (the bytes are ASCII here); the line is looked at again only if it has one.
            int lineEnd = start;
            boolean control = false;
            for (byte b; lineEnd < end && (b = bytes[lineEnd]) != '\n' && b != '\r'; lineEnd++) {
                control |= b < 0x20 && b != '\t' || b == 0x7F;
            }
            int from = start;
            int to = lineEnd;
            while (from < to && isPythonSpace((char) bytes[from])) {
                from++;
            }
            while (to > from && isPythonSpace((char) bytes[to - 1])) {
                to--;
            }
            if (to > from) {
                for (int i = from; control && i < to; i++) {
                    if (isRefusedCharacter(bytes[i])) {
                        throw refused(source, bytes[i], line, i - start + 1);
                    }
                }
                checkCount(documents.size(), maxDocuments, source);
                documents.add(shared(shortOnes, new String(bytes, from, to - from, StandardCharsets.ISO_8859_1)));
            }
            start = lineEnd + 1;
            if (lineEnd + 1 < end && bytes[lineEnd] == '\r' && bytes[lineEnd + 1] == '\n') {
                start++;
            }
        }
        return List.copyOf(documents);
    }

    /** Refuses one more document when {@code count} are already read and {@code max} is the limit. */
    private static void checkCount(int count, int max, String source) throws IOException {
        if (count >= max) {
            throw new IOException(source + " has more than " + max + " documents (non-blank lines), the most a data"
                    + " file may have; a run trains on one document a step and reads far fewer: use part of the file");
        }
    }

    /**
     * The one copy of a short document seen before, so that a file of millions of short lines
     * holds each distinct one once (as CPython shares its one-character strings) rather than
     * millions of small objects, which filled gigabytes of heap and made every later pass over
     * the documents miss the caches. Short means at most {@value #SHARED_LENGTH} chars: their
     * distinct values are few in any real text (ASCII has some two million), so the map stays small
     * whatever the file.
     */
    private static String shared(Map<String, String> shortOnes, String document) {
        if (document.length() > SHARED_LENGTH) {
            return document;
        }
        String first = shortOnes.putIfAbsent(document, document);
        return first == null ? document : first;
    }

    /** Whether Python's {@code str.isspace()} holds for a character: what {@code str.strip()} removes. */
    static boolean isPythonSpace(char c) {
        return switch (c) {
            case '\t', '\n', '\u000B', '\f', '\r', '\u001C', '\u001D', '\u001E', '\u001F', ' ',
                 '\u0085', '\u00A0', '\u1680', '\u2028', '\u2029', '\u202F', '\u205F', '\u3000' -> true;
            default -> c >= '\u2000' && c <= '\u200A';
        };
    }
}
