package io.github.microgpt.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.internal.RegularFiles;
import io.github.microgpt.testing.LocalHttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Documents#download}: the cache, the checksum and the errors, against a server on
 * 127.0.0.1 (never the network).
 */
class DocumentsDownloadTest {

    private static final byte[] NAMES = "emma\r\nolivia\n  ava \n\nélodie\n".getBytes(StandardCharsets.UTF_8);

    private LocalHttpServer server;
    @TempDir
    Path cache;

    @BeforeEach
    void startServer() throws IOException {
        server = new LocalHttpServer().serve("/data/names.txt", NAMES).answer("/broken.txt", 500, new byte[0]);
    }

    @AfterEach
    void stopServer() throws IOException {
        server.close();
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    private List<Path> cacheFiles() throws IOException {
        try (Stream<Path> files = Files.list(cache)) {
            return files.toList();
        }
    }

    @Test
    void downloadsOnceThenUsesTheCache() throws Exception {
        URI url = server.uri("/data/names.txt");
        Path first = Documents.download(url, cache, null);
        assertEquals(1, server.hits("/data/names.txt"));
        assertArrayEquals(NAMES, Files.readAllBytes(first));
        assertEquals(cache, first.getParent());
        assertEquals(List.of("emma", "olivia", "ava", "élodie"), Documents.load(first));

        Path second = Documents.download(url, cache, null);
        assertEquals(first, second);
        assertEquals(1, server.hits("/data/names.txt"), "the second call must not ask the server");
        assertEquals(List.of(first), cacheFiles(), "no temporary file is left behind");
    }

    /**
     * A cached file that is a symbolic link to a stale file elsewhere is refreshed through the
     * link: the link stays, the file it leads to gets the download (the temporary file beside it,
     * not in the cache, so the rename stays within its file system).
     */
    @Test
    void aCachedLinkIsRefreshedThroughIt() throws Exception {
        URI url = server.uri("/data/names.txt");
        Path name = Documents.download(url, cache, null).getFileName();
        Files.delete(cache.resolve(name));
        Path elsewhere = Files.createTempDirectory(cache.getParent(), "elsewhere");
        try {
            Path stale = Files.writeString(elsewhere.resolve("names.txt"), "stale\n");
            Path link = Files.createSymbolicLink(cache.resolve(name), stale);
            assertEquals(link, Documents.download(url, cache, sha256(NAMES)));
            assertTrue(Files.isSymbolicLink(link), "the link is still a link");
            assertArrayEquals(NAMES, Files.readAllBytes(stale), "the file it leads to has the download");
            try (Stream<Path> left = Files.list(elsewhere)) {
                assertEquals(List.of(stale), left.toList(), "no temporary file left beside it");
            }
        } finally {
            try (Stream<Path> files = Files.list(elsewhere)) {
                for (Path file : files.toList()) {
                    Files.delete(file);
                }
            }
            Files.delete(elsewhere);
        }
    }

    @Test
    void acceptsAMatchingChecksumInEitherCase() throws Exception {
        URI url = server.uri("/data/names.txt");
        Path file = Documents.download(url, cache, sha256(NAMES));
        assertArrayEquals(NAMES, Files.readAllBytes(file));
        assertEquals(file, Documents.download(url, cache, sha256(NAMES).toUpperCase(Locale.ROOT)));
        assertEquals(1, server.hits("/data/names.txt"));
    }

    @Test
    void aChecksumMismatchThrowsAndLeavesNothingInTheCache() throws Exception {
        String wrong = sha256("something else".getBytes(StandardCharsets.UTF_8));
        IOException e = assertThrows(IOException.class,
                () -> Documents.download(server.uri("/data/names.txt"), cache, wrong));
        assertTrue(e.getMessage().contains(wrong) && e.getMessage().contains(sha256(NAMES)), e.getMessage());
        assertEquals(List.of(), cacheFiles());
    }

    @Test
    void anHttpErrorIsNamedByItsStatus() throws Exception {
        IOException notFound = assertThrows(IOException.class,
                () -> Documents.download(server.uri("/missing.txt"), cache, null));
        assertTrue(notFound.getMessage().contains("404"), notFound.getMessage());
        assertEquals(1, server.hits("/missing.txt"));
        IOException serverError = assertThrows(IOException.class,
                () -> Documents.download(server.uri("/broken.txt"), cache, null));
        assertTrue(serverError.getMessage().contains("500"), serverError.getMessage());
        assertEquals(List.of(), cacheFiles());
    }

    /**
     * A server that sends a byte now and then answers every read within the read timeout, so the
     * timeout never fired: at one byte every 20 seconds a download went on for ever. A download
     * that brings less than the least progress in a window is given up; this server drips 300
     * bytes in 3 s against a window of 0.5 s, then ends its answer (so the old code returned it).
     */
    @Test
    void aServerThatDripsItsAnswerIsGivenUp() throws Exception {
        int window = Documents.stallWindowMillis;
        Documents.stallWindowMillis = 500;
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread dripper = new Thread(() -> {
                try (Socket connection = listener.accept()) {
                    connection.getInputStream().read(new byte[4096]);
                    OutputStream out = connection.getOutputStream();
                    out.write("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    for (int i = 0; i < 300; i++) {
                        out.write('a');
                        out.flush();
                        Thread.sleep(10);
                    }
                } catch (IOException | InterruptedException e) {
                    // the client gave up: what the test expects
                }
            });
            dripper.setDaemon(true);
            dripper.start();
            URI url = URI.create("http://127.0.0.1:" + listener.getLocalPort() + "/slow.txt");
            IOException e = assertThrows(IOException.class, () -> Documents.download(url, cache, null));
            assertTrue(e.getMessage().startsWith("cannot download " + url + ": the server sent "), e.getMessage());
            assertTrue(e.getMessage().contains("given up"), e.getMessage());
            assertEquals(List.of(), cacheFiles(), "nothing is left in the cache");
            dripper.join();
        } finally {
            Documents.stallWindowMillis = window;
        }
    }

    /**
     * A server that sends steadily enough for the stall window, but never finishes in time, is
     * given up at the download's deadline: this one sends 4 KiB every 50 ms for 2 s against a
     * deadline of 0.3 s, then ends its answer (so the old code, with only the stall window,
     * returned it).
     */
    @Test
    void aSteadyButEndlessDownloadIsGivenUpAtTheDeadline() throws Exception {
        long deadline = Documents.deadlineMillis;
        Documents.deadlineMillis = 300;
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread sender = new Thread(() -> {
                try (Socket connection = listener.accept()) {
                    connection.getInputStream().read(new byte[4096]);
                    OutputStream out = connection.getOutputStream();
                    out.write("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    byte[] chunk = ("ab\n".repeat(1365) + "a\n").getBytes(StandardCharsets.US_ASCII);
                    for (int i = 0; i < 40; i++) {
                        out.write(chunk);
                        out.flush();
                        Thread.sleep(50);
                    }
                } catch (IOException | InterruptedException e) {
                    // the client gave up: what the test expects
                }
            });
            sender.setDaemon(true);
            sender.start();
            URI url = URI.create("http://127.0.0.1:" + listener.getLocalPort() + "/endless.txt");
            IOException e = assertThrows(IOException.class, () -> Documents.download(url, cache, null));
            assertTrue(e.getMessage().startsWith("cannot download " + url + ": it did not finish within 0.3 s, the"
                    + " longest a download may take ("), e.getMessage());
            assertTrue(e.getMessage().endsWith("bytes had come); given up, and nothing was cached"), e.getMessage());
            assertEquals(List.of(), cacheFiles(), "nothing is left in the cache");
            sender.join();
        } finally {
            Documents.deadlineMillis = deadline;
        }
    }

    @Test
    void aCachedFileWithTheWrongChecksumIsDownloadedAgain() throws Exception {
        URI url = server.uri("/data/names.txt");
        Path file = Documents.download(url, cache, null);
        Files.writeString(file, "tampered\n");
        assertEquals(file, Documents.download(url, cache, sha256(NAMES)));
        assertEquals(2, server.hits("/data/names.txt"));
        assertArrayEquals(NAMES, Files.readAllBytes(file));
        assertEquals(List.of(file), cacheFiles());
    }

    @Test
    void aFailedRefreshKeepsTheOldCachedFile() throws Exception {
        URI url = server.uri("/data/names.txt");
        Path file = Documents.download(url, cache, null);
        String wrong = sha256("not the names".getBytes(StandardCharsets.UTF_8));
        assertThrows(IOException.class, () -> Documents.download(url, cache, wrong));
        assertEquals(2, server.hits("/data/names.txt"));
        assertArrayEquals(NAMES, Files.readAllBytes(file), "the cache was left unchanged");
        assertEquals(List.of(file), cacheFiles());
    }

    @Test
    void differentUrlsWithTheSameFileNameAreCachedApart() throws Exception {
        byte[] other = "zoe\n".getBytes(StandardCharsets.UTF_8);
        server.serve("/other/names.txt", other);
        Path a = Documents.download(server.uri("/data/names.txt"), cache, null);
        Path b = Documents.download(server.uri("/other/names.txt"), cache, null);
        assertNotEquals(a, b);
        assertArrayEquals(NAMES, Files.readAllBytes(a));
        assertArrayEquals(other, Files.readAllBytes(b));
    }

    /**
     * A process killed mid-download leaves its hidden partial file behind (a download that ends
     * deletes its own); the next download of the same file deletes such leftovers, once they
     * have gone unwritten far longer than a live download does, and leaves a recent one (another
     * process may be writing it) and other files alone. Before, every killed download left one
     * for ever.
     */
    @Test
    void aKilledDownloadsLeftoverIsDeletedByTheNextDownload(@TempDir Path source) throws Exception {
        Path original = Files.write(source.resolve("names.txt"), NAMES);
        Path cached = Documents.download(original.toUri(), cache, null);
        String stem = RegularFiles.besideStem(cached);
        Path old = Files.write(cache.resolve(stem + "8120039485713.part"), new byte[] {1, 2});
        Path recent = Files.write(cache.resolve(stem + "4404.part"), new byte[] {3});
        Path unrelated = Files.write(cache.resolve(stem + "notanumber.part"), new byte[] {4});
        Files.setLastModifiedTime(old, FileTime.fromMillis(
                System.currentTimeMillis() - Documents.LEFTOVER_PART_MILLIS - 60_000));
        Files.setLastModifiedTime(unrelated, Files.getLastModifiedTime(old));
        Files.delete(cached);
        assertArrayEquals(NAMES, Files.readAllBytes(Documents.download(original.toUri(), cache, null)));
        assertFalse(Files.exists(old), "the killed download's leftover is deleted");
        assertTrue(Files.exists(recent), "a partial file written lately may be another download's");
        assertTrue(Files.exists(unrelated), "a file the download did not name is not touched");
    }

    @Test
    void downloadsFileUrls(@TempDir Path source) throws Exception {
        Path original = Files.write(source.resolve("local names.txt"), NAMES);
        Path copy = Documents.download(original.toUri(), cache, sha256(NAMES));
        assertArrayEquals(NAMES, Files.readAllBytes(copy));
        assertNotEquals(original, copy);
    }

    /**
     * A download larger than {@link Documents#load(Path)} accepts ({@link Documents#MAX_BYTES})
     * is stopped as soon as it passes that size, and the cache keeps nothing: before, up to 1 GiB
     * was downloaded and cached, and only {@code load} refused it. A file of exactly that size
     * still downloads. (Sparse files: nothing of them is on disk but what the download writes.)
     */
    @Test
    void aDownloadLargerThanLoadAcceptsIsStoppedAndNotCached(@TempDir Path source) throws Exception {
        Path large = source.resolve("large.txt");
        try (java.io.RandomAccessFile file = new java.io.RandomAccessFile(large.toFile(), "rw")) {
            file.setLength(Documents.MAX_BYTES + 1);
        }
        IOException e = assertThrows(IOException.class, () -> Documents.download(large.toUri(), cache, null));
        assertTrue(e.getMessage().startsWith("cannot download " + large.toUri() + ": it is larger than 67,108,864"
                + " bytes (64 MiB), the most a data file may hold"), e.getMessage());
        assertEquals(List.of(), cacheFiles(), "nothing is left in the cache");

        Path limit = source.resolve("limit.txt");
        try (java.io.RandomAccessFile file = new java.io.RandomAccessFile(limit.toFile(), "rw")) {
            file.setLength(Documents.MAX_BYTES);
        }
        Path copy = Documents.download(limit.toUri(), cache, null);
        assertEquals(Documents.MAX_BYTES, Files.size(copy));
        Files.delete(copy);
    }

    /**
     * A {@code file} URL is read as a data file is: a directory's URL gave the listing of its
     * names (which would have become the documents), and a FIFO's waited for a writer forever.
     * Both are refused at once, and the cache keeps nothing of them.
     */
    @Test
    void aFileUrlOfADirectoryOrAFifoIsRefusedAtOnce(@TempDir Path source) throws Exception {
        Files.write(source.resolve("names.txt"), NAMES);
        java.nio.file.FileSystemException directory = assertThrows(java.nio.file.FileSystemException.class,
                () -> Documents.download(source.toUri(), cache, null));
        assertTrue(directory.getMessage().contains("is a directory, not a regular file"), directory.getMessage());
        Path fifo = source.resolve("fifo");
        try {
            org.junit.jupiter.api.Assumptions.assumeTrue(
                    new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor() == 0, "mkfifo failed");
        } catch (IOException e) {
            org.junit.jupiter.api.Assumptions.assumeTrue(false, "mkfifo is not available");
        }
        java.nio.file.FileSystemException pipe = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(
                java.time.Duration.ofSeconds(60), () -> assertThrows(java.nio.file.FileSystemException.class,
                        () -> Documents.download(fifo.toUri(), cache, null)));
        assertTrue(pipe.getMessage().contains("a FIFO, a device or a socket, not a regular file"), pipe.getMessage());
        assertEquals(List.of(), cacheFiles(), "nothing is left in the cache");
    }

    @Test
    void rejectsUnsupportedSchemesBeforeTouchingAnything() {
        Path unused = cache.resolve("not-created");
        for (String url : new String[] {"ftp://127.0.0.1/names.txt", "jar:file:/x.jar!/names.txt", "names.txt",
                                        "mailto:someone@example.com"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Documents.download(URI.create(url), unused, null), url);
            assertTrue(e.getMessage().contains(url), e.getMessage());
        }
        assertFalse(Files.exists(unused), "nothing is created for a rejected URL");
    }

    @Test
    void rejectsMalformedChecksums() {
        URI url = server.uri("/data/names.txt");
        String good = "0".repeat(64);
        for (String checksum : new String[] {"", "abc", good.substring(1), good + "0", "g" + good.substring(1),
                                             " " + good.substring(1), "sha256:" + good}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Documents.download(url, cache, checksum), "\"" + checksum + "\"");
            assertTrue(e.getMessage().contains("\"" + checksum + "\""), e.getMessage());
        }
        assertEquals(0, server.hits("/data/names.txt"));
    }

    @Test
    void theDefaultCacheDirectoryCanBeSetByAProperty() {
        String old = System.getProperty("microgpt.cache.dir");
        try {
            System.setProperty("microgpt.cache.dir", cache.toString());
            assertEquals(cache, Documents.defaultCacheDirectory());
        } finally {
            if (old == null) {
                System.clearProperty("microgpt.cache.dir");
            } else {
                System.setProperty("microgpt.cache.dir", old);
            }
        }
    }

    /**
     * A URL whose last segment is as long as a file name can be (255 characters) is cached: its
     * cache file's name, the segment and 17 more characters, was refused "File name too long".
     */
    @Test
    void aUrlWithALongLastSegmentIsCached(@TempDir Path source) throws Exception {
        Path file = Files.write(source.resolve("n".repeat(255)), NAMES);
        Path cached = Documents.download(file.toUri(), cache, null);
        assertArrayEquals(NAMES, Files.readAllBytes(cached));
        assertEquals(List.of(cached), cacheFiles());
    }
}
