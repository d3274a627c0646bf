package io.github.microgpt.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A UTF-8 byte-order mark at the start of a data file is not a character of the documents, and a
 * U+FEFF anywhere else is refused ({@link Documents#isRefusedCharacter}).
 */
class ByteOrderMarkTest {

    @TempDir
    Path dir;

    private Path file(String text) throws IOException {
        Path file = dir.resolve("data.txt");
        Files.writeString(file, text, StandardCharsets.UTF_8);
        return file;
    }

    @Test
    void anAsciiFileLosesItsMark() throws IOException {
        Path file = file("\uFEFFemma\nava\n");
        assertEquals(List.of("emma", "ava"), Documents.load(file));
        assertEquals(List.of("emma", "ava"), Documents.load(file, Documents.Limits.defaults().withMaxBytes(1000)));
        assertEquals(List.of("emma", "ava"), Documents.load(DataSource.file(file)));
    }

    @Test
    void aFileWithOtherNonAsciiTextLosesItsMark() throws IOException {
        assertEquals(List.of("zoë", "ava"), Documents.load(file("\uFEFFzoë\r\nava")));
    }

    @Test
    void theMarkAloneBeforeABlankFirstLineIsDropped() throws IOException {
        assertEquals(List.of("ava"), Documents.load(file("\uFEFF\n  ava  \n")));
    }

    /**
     * One leading mark is dropped; any other U+FEFF is refused with its line and column: a second
     * one right after the first (a file marked twice) kept an invisible character in the
     * vocabulary, and one at the start of a later line is the mark of a file joined on.
     */
    @Test
    void onlyOneLeadingMarkIsDroppedAndAnyOtherIsRefused() throws IOException {
        for (String[] c : new String[][] {
            {"\uFEFF\uFEFFava", "line 1, column 1"},
            {"\uFEFF\uFEFFz\u00f6e\n", "line 1, column 1"},
            {"ava\n\uFEFFbob\n", "line 2, column 1"},
            {"\uFEFFava\r\n\uFEFFbob", "line 2, column 1"},
            {"a\uFEFFva", "line 1, column 2"},
        }) {
            Path file = file(c[0]);
            CharacterCodingException e = assertThrows(CharacterCodingException.class, () -> Documents.load(file));
            assertEquals(file + " holds a byte-order mark U+FEFF (it belongs only at the very start of a file, where"
                    + " one is dropped; another, after it or at the start of a later line, is left by joining files) at "
                    + c[1] + "; a document is a line of text, which may hold a tab but no other control character, no"
                    + " line or paragraph separator, no unpaired surrogate and no byte-order mark: remove it",
                    e.getMessage());
        }
        // A text has no leading mark to drop: a reader that kept the file's mark is refused the same way.
        IllegalArgumentException text = assertThrows(IllegalArgumentException.class,
                () -> Documents.parse("\uFEFFava"));
        assertTrue(text.getMessage().startsWith("the text holds a byte-order mark U+FEFF (it belongs only at the"),
                text.getMessage());
        assertTrue(text.getMessage().contains(" at line 1, column 1;"), text.getMessage());
    }

    @Test
    void badUtf8AfterTheMarkIsReportedAtItsOffsetInTheFile() throws IOException {
        Path file = dir.resolve("bad.txt");
        Files.write(file, new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF, 'a', (byte) 0xFF, 'b'});
        var e = org.junit.jupiter.api.Assertions.assertThrows(java.nio.charset.CharacterCodingException.class,
                () -> Documents.load(file));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("offset 4"), e.getMessage());
    }
}
