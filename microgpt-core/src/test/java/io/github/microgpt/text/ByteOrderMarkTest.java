package io.github.microgpt.text;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A UTF-8 byte-order mark at the start of a data file is not a character of the documents. */
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

    @Test
    void onlyOneLeadingMarkIsDropped() throws IOException {
        // A second mark is text: the file says it, and the tokenizer will see it.
        assertEquals(List.of("\uFEFFava"), Documents.load(file("\uFEFF\uFEFFava")));
        assertEquals(List.of("a\uFEFFva"), Documents.load(file("a\uFEFFva")));
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
