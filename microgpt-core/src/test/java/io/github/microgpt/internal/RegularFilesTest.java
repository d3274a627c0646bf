package io.github.microgpt.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Opening untrusted files without waiting forever. */
class RegularFilesTest {

    @TempDir
    Path tmp;

    /**
     * The race the attribute check cannot close: a FIFO reaches the open itself. The open is
     * given up after its time limit instead of blocking the caller.
     */
    @Test
    void anOpenThatBlocksIsGivenUp() throws Exception {
        Path fifo = tmp.resolve("pipe");
        try {
            assumeTrue(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor() == 0, "mkfifo failed");
        } catch (IOException e) {
            assumeTrue(false, "mkfifo is not available");
        }
        RegularFiles.NotRegularFileException e = assertTimeoutPreemptively(Duration.ofSeconds(60),
                () -> assertThrows(RegularFiles.NotRegularFileException.class,
                        () -> RegularFiles.openWithin(fifo, 200)));
        assertTrue(e.getMessage().contains("did not open within 200 ms"), e.getMessage());
        // Unblock the stuck opener so that it does not linger: open the FIFO for writing once.
        try (var writer = Files.newOutputStream(fifo)) {
            writer.flush();
        }
    }

    @Test
    void aRegularFileIsReadWhole() throws Exception {
        Path file = Files.write(tmp.resolve("f"), new byte[] {1, 2, 3});
        assertArrayEquals(new byte[] {1, 2, 3}, RegularFiles.readAll(file, 3, "the file"));
        RegularFiles.FileTooLargeException e = assertThrows(RegularFiles.FileTooLargeException.class,
                () -> RegularFiles.readAll(file, 2, "the file"));
        assertTrue(e.getMessage().contains("has 3 bytes, more than the 2 accepted"), e.getMessage());
    }

    /**
     * A virtual file of /proc says it is empty (size 0) and still has content: the message says
     * so, and to copy it, rather than that it "grew while it was read".
     */
    @Test
    void aVirtualFileThatSaysItIsEmptyButHasContentIsNamedAsSuch() throws Exception {
        Path status = Path.of("/proc/self/status");
        assumeTrue(Files.isRegularFile(status) && Files.size(status) == 0, "no /proc here");
        IOException e = assertThrows(IOException.class, () -> RegularFiles.readAll(status, 1 << 20, "the data file"));
        assertTrue(e.getMessage().contains("says it is empty but has content, as the virtual files of /proc and /sys"
                + " do; copy it to an ordinary file first"), e.getMessage());
    }

    /** Writers follow a chain of links to its end, relative links from their own folder. */
    @Test
    void aWriteTargetIsTheEndOfItsChainOfLinks() throws Exception {
        Path plain = tmp.resolve("plain");
        assertEquals(plain, RegularFiles.writeTarget(plain), "no link: the name itself, existing or not");
        Path sub = Files.createDirectories(tmp.resolve("a/b"));
        Path real = tmp.toRealPath().resolve("target.txt");
        // b/link -> ../../target.txt (dangling), top -> a/b/link
        Files.createSymbolicLink(sub.resolve("link"), Path.of("../../target.txt"));
        Path top = Files.createSymbolicLink(tmp.resolve("top"), Path.of("a/b/link"));
        assertEquals(real, RegularFiles.writeTarget(top));
        // 40 links are followed (Linux's limit), the 41st is refused.
        Path next = real;
        for (int i = 0; i < RegularFiles.MAX_LINKS; i++) {
            next = Files.createSymbolicLink(tmp.resolve("chain" + i), next);
        }
        assertEquals(real, RegularFiles.writeTarget(next));
        Path tooLong = Files.createSymbolicLink(tmp.resolve("chain-too-long"), next);
        java.nio.file.FileSystemException e = assertThrows(java.nio.file.FileSystemException.class,
                () -> RegularFiles.writeTarget(tooLong));
        assertTrue(e.getReason().contains("never ends"), e.getReason());
        Path self = Files.createSymbolicLink(tmp.resolve("self"), Path.of("self"));
        java.nio.file.FileSystemException loop = assertThrows(java.nio.file.FileSystemException.class,
                () -> RegularFiles.writeTarget(self));
        assertEquals(self.toString(), loop.getFile());
        assertTrue(loop.getReason().contains("a loop of links"), loop.getReason());
    }

    /**
     * The stem of the names beside a target leaves room for every suffix in the 255 bytes a file
     * system takes: a short name is kept whole; a long one is cut at a whole character and
     * tagged, and two long names that begin alike get their own stems.
     */
    @Test
    void theStemOfTheNamesBesideATargetLeavesRoomForTheSuffix() {
        assertEquals(".run", RegularFiles.besideStem(Path.of("/a/run")));
        String longName = "r".repeat(255);
        String stem = RegularFiles.besideStem(Path.of(longName));
        assertTrue(stem.startsWith(".rrrr") && stem.matches("\\.r+~[0-9a-f]{8}"), stem);
        assertTrue(stem.length() <= RegularFiles.MAX_NAME_BYTES - RegularFiles.MAX_SUFFIX_BYTES, stem);
        assertEquals(stem, RegularFiles.besideStem(Path.of("/elsewhere", longName)), "the same every time");
        assertTrue(!stem.equals(RegularFiles.besideStem(Path.of("r".repeat(254) + "s"))), "its own stem");
        // 85 characters of 3 bytes each (255 bytes) and a 4-byte one: cut between characters.
        String wide = "\u20ac".repeat(84) + "\ud83d\ude00";
        String wideStem = RegularFiles.besideStem(Path.of(wide));
        int bytes = wideStem.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        assertTrue(bytes <= RegularFiles.MAX_NAME_BYTES - RegularFiles.MAX_SUFFIX_BYTES, bytes + " bytes");
        assertEquals(wideStem, new String(wideStem.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                java.nio.charset.StandardCharsets.UTF_8), "whole characters");
    }
}
