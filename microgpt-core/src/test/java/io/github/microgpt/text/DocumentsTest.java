package io.github.microgpt.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.testing.Cases;
import io.github.microgpt.testing.Gen;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/** Splitting text into documents (as microgpt.py's {@code docs}: lines stripped, empty ones dropped) and loading it from files. */
class DocumentsTest {

    /**
     * The characters for which CPython 3.11's {@code str.isspace()} is true, written out from
     * Python itself, so that this test does not share a definition with the code it checks.
     */
    private static final int[] PYTHON_WHITESPACE = {
        0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x1F, 0x20, 0x85, 0xA0, 0x1680,
        0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200A,
        0x2028, 0x2029, 0x202F, 0x205F, 0x3000};

    /** Whitespace that may pad a line: all of Python's but the line breaks that split lines. */
    private static final int[] PADDING = java.util.Arrays.stream(PYTHON_WHITESPACE)
            .filter(c -> c != '\n' && c != '\r').toArray();

    /**
     * Whitespace that may stand inside a document: the padding but the control characters and
     * the line and paragraph separators, which no document may hold.
     */
    private static final int[] INNER_SPACE = java.util.Arrays.stream(PADDING)
            .filter(c -> c != 0x0B && c != 0x0C && !(c >= 0x1C && c <= 0x1F) && c != 0x85 && c != 0x2028
                    && c != 0x2029).toArray();

    /** Characters a document may contain, including look-alikes of whitespace that are not. */
    private static final int[] CONTENT = ("abcxyzAZ09-'é\u00f1\u03bb\u4e2d\u200b\u180e\u2060".codePoints()
            .toArray());

    private static final int[] SUPPLEMENTARY = {0x1F600, 0x10348, 0x20BB7};

    @Test
    void stripsSplitsAndDropsBlankLines() {
        assertEquals(List.of("ann", "bob", "carl", "mary ann"),
                Documents.parse("  \n\u00A0ann\u3000\r\nbob\rcarl\r\n\r\n \t \n  mary ann \u2028\n\n"));
        assertEquals(List.of(), Documents.parse(""));
        assertEquals(List.of(), Documents.parse(" \t\r\n\u3000\n\u00A0 "));
        assertEquals(List.of("x"), Documents.parse("x"));
    }

    @Test
    void stripsExactlyPythonsWhitespace() {
        for (int c : PYTHON_WHITESPACE) {
            String space = new String(Character.toChars(c));
            List<String> parsed = Documents.parse(space + "a" + space + "\n" + "b");
            assertEquals(List.of("a", "b"), parsed, String.format("U+%04X must be stripped", c));
        }
        // Not whitespace for Python: zero-width space, Mongolian vowel separator, word joiner (a
        // byte-order mark is not either, and is refused: ByteOrderMarkTest).
        for (int c : new int[] {0x200B, 0x180E, 0x2060}) {
            String other = new String(Character.toChars(c));
            assertEquals(List.of(other + "a" + other), Documents.parse(other + "a" + other),
                    String.format("U+%04X must be kept", c));
        }
    }

    /**
     * A control character other than the tab, a line or paragraph separator, or a lone surrogate
     * inside a line is refused, named as U+XXXX with its line and column (in characters, from 1),
     * by {@code parse} and {@code load} alike; the same at the ends of a line, where Python's
     * whitespace is stripped, is no part of a document. The checkpoint's vocabulary holds none of
     * them, and {@code train --data} took them until {@code --save} refused the vocabulary.
     */
    @Test
    void aCharacterNoDocumentMayHoldIsNamedWithItsLineAndColumn(@TempDir Path dir) throws IOException {
        Object[][] cases = {
            {"ann\nb\u001Bob\n", "the control character U+001B at line 2, column 2"},
            {"ann\r\n\r\nzo\u0007e", "the control character U+0007 at line 3, column 3"},
            {"ann\rbob\rc\u007Farl", "the control character U+007F at line 3, column 2"},
            {"\u00e9mile\n\u65e5\u672c\u0001", "the control character U+0001 at line 2, column 3"},
            {"\uD83D\uDE00x\u0085y", "the control character U+0085 at line 1, column 3"},
            {"a\fb", "the control character U+000C at line 1, column 2"},
            {"ann\n  mary\u2028ann", "the line separator U+2028 at line 2, column 7"},
            {"x\u2029y", "the paragraph separator U+2029 at line 1, column 2"},
        };
        for (Object[] c : cases) {
            String text = (String) c[0];
            IllegalArgumentException parsed = assertThrows(IllegalArgumentException.class, () -> Documents.parse(text));
            assertEquals("the text holds " + c[1] + "; a document is a line of text, which may hold a tab but no other"
                    + " control character, no line or paragraph separator, no unpaired surrogate and no byte-order"
                    + " mark: remove it", parsed.getMessage());
            Path file = Files.writeString(dir.resolve("data.txt"), text, StandardCharsets.UTF_8);
            CharacterCodingException loaded = assertThrows(CharacterCodingException.class, () -> Documents.load(file));
            assertEquals(file + " holds " + c[1], loaded.getMessage().substring(0, loaded.getMessage().indexOf(';')));
        }
        IllegalArgumentException lone = assertThrows(IllegalArgumentException.class,
                () -> Documents.parse("ok\nab\uD800c"));
        assertTrue(lone.getMessage().startsWith("the text holds an unpaired surrogate (half of a pair, no character by"
                + " itself) U+D800 at line 2, column 3;"), lone.getMessage());
        // A tab is text; Python's whitespace at the ends of a line is stripped, not refused.
        assertEquals(List.of("a\tb", "cd"), Documents.parse("a\tb\n\f\u000Bcd\u001F\u0085\n\u2028\n"));
        Path padded = Files.writeString(dir.resolve("padded.txt"), "a\tb\r\n\f\u000Bcd\u001F\n");
        assertEquals(List.of("a\tb", "cd"), Documents.load(padded));
    }

    /**
     * Format characters are text: a zero-width joiner (emoji, Indic scripts), a word joiner and
     * the bidirectional controls that right-to-left text uses are kept (a byte-order mark is the
     * one refused: ByteOrderMarkTest).
     */
    @Test
    void formatCharactersAndBidirectionalControlsAreKept(@TempDir Path dir) throws IOException {
        String text = "\u202Eabc\n\u2066x\u2069\n\u200Fy\u061C\n\uD83D\uDC69\u200D\uD83D\uDCBB\n\u0915\u094D\u200D\na\u2060b\n";
        List<String> expected = List.of("\u202Eabc", "\u2066x\u2069", "\u200Fy\u061C",
                "\uD83D\uDC69\u200D\uD83D\uDCBB", "\u0915\u094D\u200D", "a\u2060b");
        assertEquals(expected, Documents.parse(text));
        assertEquals(expected, Documents.load(Files.writeString(dir.resolve("rtl.txt"), text)));
    }

    @Test
    void returnsAnUnmodifiableList() {
        List<String> documents = Documents.parse("a\nb");
        assertThrows(UnsupportedOperationException.class, () -> documents.add("c"));
    }

    /** A text made of documents, blank lines, padding and mixed line endings, with its documents. */
    record Layout(String text, List<String> documents) {
        @Override
        public String toString() {
            return "text=\"" + escape(text) + "\" documents=" + documents;
        }
    }

    private static String escape(String s) {
        StringBuilder out = new StringBuilder();
        s.codePoints().forEach(c -> out.append(c < 0x20 || (c > 0x7E && c < 0xA1) || Character.isWhitespace(c)
                || Character.isSpaceChar(c) ? String.format("\\u%04X", c) : new String(Character.toChars(c))));
        return out.toString();
    }

    private static String padding(Gen g, int max) {
        return g.string(PADDING, g.intIn(0, max));
    }

    private static Layout randomLayout(Gen g) {
        List<String> lines = new ArrayList<>();
        List<String> documents = new ArrayList<>();
        int count = g.intIn(0, 12);
        for (int i = 0; i < count; i++) {
            if (g.chance(0.3)) {
                lines.add(padding(g, 3));  // a blank line
                continue;
            }
            int[] content = g.chance(0.2) ? SUPPLEMENTARY : CONTENT;
            StringBuilder document = new StringBuilder(g.string(content, 1));
            int inner = g.intIn(0, 6);
            for (int k = 0; k < inner; k++) {
                // Inner whitespace stays: only the ends of a line are stripped.
                document.append(g.chance(0.2) ? g.string(INNER_SPACE, g.intIn(0, 2)) : "").append(g.string(CONTENT, 1));
            }
            documents.add(document.toString());
            lines.add(padding(g, 3) + document + padding(g, 3));
        }
        StringBuilder text = new StringBuilder(g.chance(0.3) ? padding(g, 2) + "\n" : "");
        for (int i = 0; i < lines.size(); i++) {
            if (i > 0) {
                text.append(g.pickOf("\n", "\r\n", "\r"));
            }
            text.append(lines.get(i));
        }
        if (g.chance(0.5)) {
            text.append(g.pickOf("\n", "\r\n", "\r")).append(padding(g, 2));
        }
        return new Layout(text.toString(), documents);
    }

    @TestFactory
    Stream<DynamicTest> parseGivesEachNonBlankLineStrippedAsMicrogptPyDoes() {
        return Cases.dynamicTests("Documents.parse", 500, DocumentsTest::randomLayout,
                layout -> assertEquals(layout.documents(), Documents.parse(layout.text())));
    }

    // ------------------------------------------------------------------------------------ load

    @TestFactory
    Stream<DynamicTest> loadReadsUtf8FilesAsParseDoes(@TempDir Path dir) {
        return Cases.dynamicTests("Documents.load", 50, DocumentsTest::randomLayout, layout -> {
            Path file = dir.resolve("docs-" + Math.abs(layout.text().hashCode()) + ".txt");
            Files.writeString(file, layout.text(), StandardCharsets.UTF_8);
            if (layout.documents().isEmpty()) {
                IOException e = assertThrows(IOException.class, () -> Documents.load(file));
                assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
            } else {
                assertEquals(layout.documents(), Documents.load(file));
            }
        });
    }

    @Test
    void loadOfAMissingFileNamesThePath(@TempDir Path dir) {
        Path missing = dir.resolve("no-such-names.txt");
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> Documents.load(missing));
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
    }

    @Test
    void loadOfADirectoryIsAnError(@TempDir Path dir) {
        IOException e = assertThrows(IOException.class, () -> Documents.load(dir));
        assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
    }

    /**
     * A file without a document is refused as every other unusable file is, with an
     * {@link IOException} whose message starts with the file's name: it was the one refusal of
     * {@code load} thrown as an {@link IllegalArgumentException}, which a caller catching
     * {@code IOException} to report a bad data file let through. All three ways of loading a file
     * say so.
     */
    @Test
    void loadOfAnEmptyOrBlankFileIsAnIOExceptionNamingThePath(@TempDir Path dir) throws IOException {
        for (String content : new String[] {"", "\n\n", " \t\r\n\u00A0\u3000\n"}) {
            Path file = Files.writeString(Files.createTempFile(dir, "blank", ".txt"), content);
            for (Executable load : List.<Executable>of(() -> Documents.load(file),
                    () -> Documents.load(file, Documents.Limits.defaults()), () -> Documents.load(DataSource.file(file)))) {
                IOException e = assertThrows(IOException.class, load);
                assertEquals(file + " holds no documents: every line is empty or blank", e.getMessage());
            }
        }
    }

    /**
     * A file this process may not read. Normally a temporary file with no permissions; but the
     * superuser reads such a file anyway, so then (on Linux) a write-only sysfs attribute is
     * used, which the kernel refuses to open for reading even to root.
     */
    private static Optional<Path> unreadableFile(Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("secret.txt"), "ann\nbob\n");
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("---------"));
        } catch (UnsupportedOperationException e) {
            return Optional.empty();
        }
        if (!Files.isReadable(file)) {
            return Optional.of(file);
        }
        Path bus = Path.of("/sys/bus");
        if (Files.isDirectory(bus)) {
            try (DirectoryStream<Path> buses = Files.newDirectoryStream(bus)) {
                for (Path b : buses) {
                    Path uevent = b.resolve("uevent");
                    if (Files.isRegularFile(uevent)
                            && Files.getPosixFilePermissions(uevent).equals(Set.of(PosixFilePermission.OWNER_WRITE))) {
                        return Optional.of(uevent);
                    }
                }
            }
        }
        return Optional.empty();
    }

    @Test
    void loadOfAnUnreadableFileIsAccessDenied(@TempDir Path dir) throws IOException {
        Optional<Path> file = unreadableFile(dir);
        Assumptions.assumeTrue(file.isPresent(),
                "no way to make an unreadable file here (no POSIX permissions, or root without sysfs)");
        AccessDeniedException e = assertThrows(AccessDeniedException.class, () -> Documents.load(file.get()));
        assertTrue(e.getMessage().contains(file.get().toString()), e.getMessage());
    }

    /** Valid UTF-8, then one malformed sequence, then more valid UTF-8. */
    record BadBytes(byte[] bytes, int offset, String kind) {
        @Override
        public String toString() {
            return kind + " at byte " + offset + " of " + bytes.length;
        }
    }

    @TestFactory
    Stream<DynamicTest> loadOfInvalidUtf8NamesTheOffset(@TempDir Path dir) {
        return Cases.dynamicTests("invalid UTF-8", 100, g -> {
            byte[] prefix = ("x" + g.string(CONTENT, g.intIn(0, 20)) + g.string(SUPPLEMENTARY, g.intIn(0, 2)))
                    .getBytes(StandardCharsets.UTF_8);
            String kind = g.pickOf("lone 0xFF", "truncated 2-byte", "truncated 3-byte at end", "overlong", "surrogate",
                    "continuation byte");
            byte[] bad = switch (kind) {
                case "lone 0xFF" -> new byte[] {(byte) 0xFF};
                case "truncated 2-byte" -> new byte[] {(byte) 0xC3, 'a'};
                case "truncated 3-byte at end" -> new byte[] {(byte) 0xE2, (byte) 0x82};
                case "overlong" -> new byte[] {(byte) 0xC0, (byte) 0x80};
                case "surrogate" -> new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80};
                default -> new byte[] {(byte) 0x80};
            };
            byte[] suffix = kind.endsWith("at end") ? new byte[0] : g.string(CONTENT, g.intIn(0, 5))
                    .getBytes(StandardCharsets.UTF_8);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.writeBytes(prefix);
            out.writeBytes(bad);
            out.writeBytes(suffix);
            return new BadBytes(out.toByteArray(), prefix.length, kind);
        }, c -> {
            Path file = Files.write(Files.createTempFile(dir, "bad", ".txt"), c.bytes());
            CharacterCodingException e = assertThrows(CharacterCodingException.class, () -> Documents.load(file));
            assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
            assertTrue(e.getMessage().contains("offset " + c.offset()), e.getMessage());
        });
    }

    /**
     * A file in UTF-16 or UTF-32, with or without a byte-order mark, or a binary file with NUL
     * bytes, is refused naming what it looks like: UTF-16 without a mark is valid UTF-8 (every
     * other byte a NUL) and was trained on as documents of NUL characters without a word.
     */
    @Test
    void utf16Utf32AndNulBytesAreRefusedSayingWhatTheFileLooksLike(@TempDir Path dir) throws Exception {
        String text = "anna\nbob\n";
        Object[][] cases = {
            {"UTF-16", "is UTF-16 text (it starts with a UTF-16 byte-order mark), not UTF-8: convert it"},
            {"UTF-16LE", "holds a NUL byte (at offset 1), which a text file does not: it looks like UTF-16 or UTF-32"},
            {"UTF-16BE", "holds a NUL byte (at offset 0), which a text file does not: it looks like UTF-16 or UTF-32"},
            {"UTF-32", "is UTF-32 text (it starts with a UTF-32 byte-order mark), not UTF-8"},
        };
        for (Object[] c : cases) {
            String charset = (String) c[0];
            byte[] bytes = charset.equals("UTF-32") ? withBom32(text) : text.getBytes(java.nio.charset.Charset
                    .forName(charset));
            Path file = Files.write(dir.resolve(charset + ".txt"), bytes);
            CharacterCodingException e = assertThrows(CharacterCodingException.class, () -> Documents.load(file),
                    charset);
            assertEquals(file + " " + c[1], e.getMessage().substring(0, file.toString().length() + 1
                    + ((String) c[1]).length()), charset);
        }
        Path binary = Files.write(dir.resolve("binary"), new byte[] {'a', 'b', '\n', 'c', 0, 'd', '\n', 'e', 'f', 'g',
            'h', 'i', 'j', 'k'});
        CharacterCodingException e = assertThrows(CharacterCodingException.class, () -> Documents.load(binary));
        assertEquals(binary + " holds a NUL byte (at offset 4), which a text file does not: it looks like a binary"
                + " file, not UTF-8 text, one document a line", e.getMessage());
        // One NUL in a file of a few bytes is a binary byte, not a sign of wide text.
        Path small = Files.write(dir.resolve("small"), new byte[] {'a', 'b', 0, 'c', 'd', '\n'});
        e = assertThrows(CharacterCodingException.class, () -> Documents.load(small));
        assertEquals(small + " holds a NUL byte (at offset 2), which a text file does not: it looks like a binary"
                + " file, not UTF-8 text, one document a line", e.getMessage());
        // A UTF-8 mark is no reason to refuse: it is read and dropped, as before.
        Path marked = Files.write(dir.resolve("marked"), ("\uFEFF" + text).getBytes(StandardCharsets.UTF_8));
        assertEquals(List.of("anna", "bob"), Documents.load(marked));
    }

    /**
     * An executable is as full of NUL bytes as wide text (42 of the 64 bytes of /bin/ls's ELF
     * header), and was called UTF-16 or UTF-32 text, with advice to convert it with iconv: wide
     * text is told by its other bytes, which keep to even offsets or to odd ones. UTF-16 and
     * UTF-32 without a byte-order mark, in either byte order, are still named as such.
     */
    @Test
    void anExecutableIsABinaryFileNotWideText(@TempDir Path dir) throws Exception {
        int[] header = {  // the ELF header of /bin/ls (x86-64, Debian)
            0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0x3e, 0, 1, 0, 0, 0, 0xd0, 0x61, 0, 0,
            0, 0, 0, 0, 0x40, 0, 0, 0, 0, 0, 0, 0, 0x70, 0x47, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0, 0x38, 0, 0xd, 0,
            0x40, 0, 0x1f, 0, 0x1e, 0};
        byte[] bytes = new byte[header.length];
        for (int i = 0; i < header.length; i++) {
            bytes[i] = (byte) header[i];
        }
        Path elf = Files.write(dir.resolve("ls"), bytes);
        CharacterCodingException e = assertThrows(CharacterCodingException.class, () -> Documents.load(elf));
        assertEquals(elf + " holds a NUL byte (at offset 7), which a text file does not: it looks like a binary"
                + " file, not UTF-8 text, one document a line", e.getMessage());
        String text = "anna\nbob\nzoe\n";
        for (String charset : List.of("UTF-16LE", "UTF-16BE", "UTF-32LE", "UTF-32BE")) {
            Path file = Files.write(dir.resolve(charset + ".txt"), text.getBytes(java.nio.charset.Charset
                    .forName(charset)));
            e = assertThrows(CharacterCodingException.class, () -> Documents.load(file), charset);
            assertTrue(e.getMessage().contains("it looks like UTF-16 or UTF-32 text"), charset + ": " + e.getMessage());
        }
    }

    /** UTF-32 text with its byte-order mark (big-endian); the JDK's UTF-32 encoder writes none. */
    private static byte[] withBom32(String text) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {0, 0, (byte) 0xFE, (byte) 0xFF});
        out.writeBytes(text.getBytes(java.nio.charset.Charset.forName("UTF-32BE")));
        return out.toByteArray();
    }

    @Test
    void embeddedNamesAreAFewThousandLowercaseNames() {
        List<String> names = Documents.embeddedNames();
        assertTrue(names.size() >= 1000 && names.size() <= 20_000, names.size() + " names");
        assertEquals(names.size(), Set.copyOf(names).size(), "no name is listed twice");
        for (String name : names) {
            assertTrue(name.matches("[a-z]+"), "not lowercase a-z: \"" + name + "\"");
        }
        assertFalse(names.isEmpty());
    }
}
