package io.github.microgpt.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Data files that would hang the program or fill its memory: a FIFO, a device, a file larger
 * than the limit. Each is refused before it is read. (The time limits only catch a hang.)
 */
class HostileDataFileTest {

    static final Duration HANG = Duration.ofSeconds(60);

    @TempDir
    Path tmp;

    @Test
    void aFileOverTheLimitIsRefusedBeforeAnyByteIsRead() throws Exception {
        Path big = tmp.resolve("big.txt");
        try (RandomAccessFile file = new RandomAccessFile(big.toFile(), "rw")) {
            file.setLength(Documents.MAX_BYTES + 1);   // sparse: no disk space, and all zero bytes
        }
        IOException e = assertThrows(IOException.class, () -> Documents.load(big));
        assertTrue(e.getMessage().contains(big + " has " + (Documents.MAX_BYTES + 1) + " bytes, more than the "
                + Documents.MAX_BYTES), e.getMessage());
        assertTrue(e.getMessage().contains("64 MiB"), e.getMessage());
    }

    @Test
    void aFileOfMoreDocumentsThanTheLimitIsRefusedNamingIt() throws Exception {
        // One more four-letter line than the limit: 10 MB, far within the size limit. Each line
        // distinct, so that no sharing of short documents makes it cheap.
        int lines = Documents.MAX_DOCUMENTS + 1;
        byte[] bytes = new byte[lines * 5];
        for (int i = 0; i < lines; i++) {
            for (int k = 0; k < 4; k++) {
                bytes[i * 5 + k] = (byte) ('a' + (i >> (5 * k)) % 26);
            }
            bytes[i * 5 + 4] = '\n';
        }
        Path many = Files.write(tmp.resolve("many.txt"), bytes);
        IOException e = assertThrows(IOException.class, () -> Documents.load(many));
        assertTrue(e.getMessage().startsWith(many + " has more than " + Documents.MAX_DOCUMENTS + " documents"),
                e.getMessage());
        // The same text with one character beyond ASCII takes the decoding path: the same limit.
        bytes[0] = (byte) 0xC3;
        bytes[1] = (byte) 0xA9;
        Path decoded = Files.write(tmp.resolve("many-utf8.txt"), bytes);
        e = assertThrows(IOException.class, () -> Documents.load(decoded));
        assertTrue(e.getMessage().startsWith(decoded + " has more than " + Documents.MAX_DOCUMENTS + " documents"),
                e.getMessage());
        // Up to the limit is read, and a limit of one's own is kept exactly.
        assertEquals(lines, Documents.load(many, Documents.Limits.defaults().withMaxDocuments(lines)).size());
        assertEquals(3, Documents.load(Files.writeString(tmp.resolve("three.txt"), "ab\ncd\n\nef\n"),
                new Documents.Limits(100, 3)).size());
        IOException three = assertThrows(IOException.class,
                () -> Documents.load(Files.writeString(tmp.resolve("four.txt"), "ab\ncd\nef\ngh\n"),
                        new Documents.Limits(100, 3)));
        assertTrue(three.getMessage().contains("has more than 3 documents"), three.getMessage());
    }

    @Test
    void limitsOutOfRangeAreRefusedWhenMadeNamingTheValue() {
        Documents.Limits defaults = Documents.Limits.defaults();
        assertEquals(new Documents.Limits(Documents.MAX_BYTES, Documents.MAX_DOCUMENTS), defaults);
        assertEquals(new Documents.Limits(9, Documents.MAX_DOCUMENTS), defaults.withMaxBytes(9));
        assertEquals(new Documents.Limits(Documents.MAX_BYTES, 2), defaults.withMaxDocuments(2));
        assertEquals("the limit on documents must be at least 1, got 0", assertThrows(IllegalArgumentException.class,
                () -> defaults.withMaxDocuments(0)).getMessage());
        assertEquals("the size limit must be from 0 to " + (Integer.MAX_VALUE - 8) + " bytes, got -1",
                assertThrows(IllegalArgumentException.class, () -> defaults.withMaxBytes(-1)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Documents.Limits(Integer.MAX_VALUE - 7L, 1));
    }

    @Test
    void manyShortLinesShareOneCopyOfEachDistinctDocument() throws Exception {
        // ASCII (split on bytes) and with a two-byte character (decoded first): both ways of reading.
        for (String alphabet : new String[] {"abc", "abé"}) {
            StringBuilder text = new StringBuilder();
            for (int i = 0; i < 3000; i++) {
                text.append(alphabet.charAt(i % 3)).append(i % 2 == 0 ? "\n" : "x\r\n");
            }
            text.append("abcd\nabcd\n");
            Path file = Files.writeString(tmp.resolve("short.txt"), text);
            List<String> documents = Documents.load(file);
            assertEquals(3002, documents.size());
            for (int i = 0; i < 3000; i++) {
                String expected = alphabet.charAt(i % 3) + (i % 2 == 0 ? "" : "x");
                assertEquals(expected, documents.get(i));
                // One object per distinct short document, however often it comes.
                assertTrue(documents.get(i) == documents.get(i % 6), alphabet + ": document " + i);
            }
            // Longer documents are kept as read.
            assertEquals("abcd", documents.get(3001));
            assertTrue(documents.get(3000) != documents.get(3001), alphabet);
        }
    }

    @Test
    void aLimitOfYourOwnIsKeptExactly() throws Exception {
        Path file = Files.writeString(tmp.resolve("names.txt"), "anna\nbob\n");
        Documents.Limits defaults = Documents.Limits.defaults();
        assertEquals(List.of("anna", "bob"), Documents.load(file, defaults.withMaxBytes(9)));
        IOException e = assertThrows(IOException.class, () -> Documents.load(file, defaults.withMaxBytes(8)));
        assertTrue(e.getMessage().startsWith(file + " has 9 bytes, more than the 8"), e.getMessage());
    }

    @Test
    void aDeviceIsRefusedAtOnce() {
        Path zero = Path.of("/dev/zero");
        assumeTrue(Files.exists(zero), "no /dev/zero here");
        FileSystemException e = assertTimeoutPreemptively(HANG,
                () -> assertThrows(FileSystemException.class, () -> Documents.load(zero)));
        assertEquals("is a FIFO, a device or a socket, not a regular file", e.getReason());
    }

    @Test
    void aFifoIsRefusedAtOnce() throws Exception {
        Path fifo = tmp.resolve("names.fifo");
        try {
            assumeTrue(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor() == 0, "mkfifo failed");
        } catch (IOException e) {
            assumeTrue(false, "mkfifo is not available");
        }
        FileSystemException e = assertTimeoutPreemptively(HANG,
                () -> assertThrows(FileSystemException.class, () -> Documents.load(fifo)));
        assertTrue(e.getMessage().contains("not a regular file"), e.getMessage());
    }

    @Test
    void aDirectoryIsNamedAsSuch() {
        FileSystemException e = assertThrows(FileSystemException.class, () -> Documents.load(tmp));
        assertEquals("is a directory, not a regular file", e.getReason());
    }

    @Test
    void aDataSourceIsReadAgainFromWhereItWas() throws Exception {
        Path file = Files.writeString(tmp.resolve("names.txt"), "anna\nbob\n");
        assertEquals(List.of("anna", "bob"), Documents.load(DataSource.file(file)));
        assertEquals(Documents.embeddedNames(), Documents.load(DataSource.embedded()));
        assertThrows(IllegalArgumentException.class, () -> Documents.load(DataSource.inMemory("typed in")));
        assertEquals(file.toAbsolutePath().normalize().toString(), DataSource.file(file).name());
        assertThrows(IllegalArgumentException.class, () -> new DataSource(DataSource.Kind.FILE, "relative.txt"));
    }
}
