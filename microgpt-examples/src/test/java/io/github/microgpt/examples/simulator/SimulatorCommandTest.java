package io.github.microgpt.examples.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.examples.cli.CliContext;
import io.github.microgpt.examples.cli.MicrogptCommand;
import java.io.ByteArrayOutputStream;
import io.github.microgpt.text.Documents;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code microgpt simulator}: its options, its errors with exit code 2, and a clean stop. */
class SimulatorCommandTest {

    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private final CliContext context = new CliContext(out, new PrintStream(err, true, StandardCharsets.UTF_8),
            Map.of(), null, null);

    private int run(String... args) {
        String[] full = new String[args.length + 1];
        full[0] = "simulator";
        System.arraycopy(args, 0, full, 1, args.length);
        return MicrogptCommand.execute(context, full);
    }

    private List<String> errLines() {
        return err.toString(StandardCharsets.UTF_8).lines().toList();
    }

    /** A usage error: one line with the message and where to find help, as for every microgpt command. */
    private void assertUsageError(String expected) {
        List<String> lines = errLines();
        assertEquals(1, lines.size(), "one line: " + lines);
        assertTrue(lines.get(0).startsWith("microgpt: ") && lines.get(0).contains(expected),
                "expected \"" + expected + "\" in " + lines.get(0));
        assertTrue(lines.get(0).endsWith("; try 'microgpt simulator --help'"), lines.get(0));
    }

    @Test
    void aPortInUseIsOneLineAndExitCode2() throws IOException {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            Path data = Files.writeString(dir.resolve("names.txt"), "emma\nolivia\n");
            assertEquals(2, run("--port", String.valueOf(taken.getLocalPort()), "--data", data.toString()));
            assertEquals(List.of("microgpt: port " + taken.getLocalPort() + " on 127.0.0.1 is already in use;"
                    + " choose another with --port (0 picks a free one)"), errLines());
        }
    }

    @Test
    void aMissingDataFileIsAUsageError() {
        Path missing = dir.resolve("nope.txt");
        assertEquals(2, run("--port", "0", "--data", missing.toString()));
        assertUsageError("the data file " + missing + " does not exist");
    }

    @Test
    void anEmptyDataFileIsAUsageError() throws IOException {
        Path empty = Files.writeString(dir.resolve("empty.txt"), "\n  \n");
        assertEquals(2, run("--port", "0", "--data", empty.toString()));
        assertUsageError("holds no documents");
    }

    @Test
    void aDataFileWithControlCharactersIsAUsageError() throws IOException {
        Path bad = Files.write(dir.resolve("bad.txt"), "ab\u0001c\n".getBytes(StandardCharsets.UTF_8));
        assertEquals(2, run("--port", "0", "--data", bad.toString()));
        assertUsageError("control character U+0001");
    }

    @Test
    void aDocumentTooLongIsRefusedAtItsLineOfTheFile() throws IOException {
        // Blank lines are no documents: the second document is on line 4 of the file, and the
        // message said "line 2".
        Path data = Files.writeString(dir.resolve("long.txt"), "\r\n \nemma\r\n" + "x".repeat(1001) + "\n");
        assertEquals(2, run("--port", "0", "--data", data.toString()));
        assertUsageError("document 2 (line 4 of " + data + ") is 1,001 characters long; the simulator takes"
                + " documents of at most 1,000 characters");
    }

    /**
     * A loop of links and a file that is not UTF-8 are refused in train's words: the simulator said
     * "loop-a: Too many levels of symbolic links", and left "the data file" out of the other.
     */
    @Test
    void aBrokenDataFileIsRefusedInTrainsWords() throws IOException {
        Path a = dir.resolve("loop-a");
        Path b = dir.resolve("loop-b");
        Files.createSymbolicLink(a, b);
        Files.createSymbolicLink(b, a);
        assertEquals(2, run("--port", "0", "--data", a.toString()));
        assertUsageError("the data file " + a + " is a symbolic link to " + b
                + ", which leads back to it (a loop of links)");
        err.reset();
        Path latin1 = Files.write(dir.resolve("latin1.txt"), new byte[] {'z', 'o', (byte) 0xE9, '\n'});
        assertEquals(2, run("--port", "0", "--data", latin1.toString()));
        assertUsageError("the data file " + latin1 + " is not valid UTF-8 (bad byte near offset 2)");
    }

    @Test
    void aDirectoryIsNotADataFile() {
        assertEquals(2, run("--port", "0", "--data", dir.toString()));
        assertUsageError("is a directory");
    }

    @Test
    void aPipeIsNotADataFileAndIsRefusedAtOnce() throws Exception {
        Path fifo = dir.resolve("names.fifo");
        Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).start();
        assertEquals(0, mkfifo.waitFor(), "mkfifo made the pipe");
        // Nobody writes to the pipe: reading it would wait forever.
        assertEquals(2, run("--port", "0", "--data", fifo.toString()));
        assertUsageError("the data file " + fifo + " is a FIFO, a device or a socket, not a regular file");
    }

    @Test
    void aDataFileLargerThanTheLimitIsRefusedWithoutReadingIt() throws IOException {
        Path huge = dir.resolve("huge.txt");
        try (var file = java.nio.channels.FileChannel.open(huge, java.nio.file.StandardOpenOption.CREATE_NEW,
                java.nio.file.StandardOpenOption.WRITE)) {
            // A sparse file: it takes no disk space, but says it is one byte over the limit.
            file.write(java.nio.ByteBuffer.wrap(new byte[] {'a'}), SimulatorCommand.MAX_DATA_BYTES);
        }
        assertEquals(2, run("--port", "0", "--data", huge.toString()));
        assertUsageError("is 67,108,865 bytes; the simulator takes at most 67,108,864 (64 MiB)");
    }

    @Test
    void aDataFileOfMoreLinesThanTheLimitIsRefusedNamingIt() throws IOException {
        Path many = Files.writeString(dir.resolve("many.txt"), "ab\n".repeat(Documents.MAX_DOCUMENTS + 1));
        assertEquals(2, run("--port", "0", "--data", many.toString()));
        assertUsageError("the data file " + many + " has more than " + Documents.MAX_DOCUMENTS + " documents");
    }

    @Test
    void aCheckpointFolderThatIsAFileIsAUsageError() throws IOException {
        Path file = Files.writeString(dir.resolve("models"), "not a folder");
        assertEquals(2, run("--port", "0", "--checkpoints", file.toString()));
        assertUsageError("--checkpoints: " + file + " exists and is not a directory");
    }

    /**
     * A checkpoint folder that can never be made, since a part of its path is a regular file, is
     * refused at start, as {@code train --save} refuses one before its first step: the server
     * started, and every Save failed.
     */
    @Test
    void aCheckpointFolderUnderAFileIsAUsageError() throws IOException {
        Path file = Files.writeString(dir.resolve("notes.txt"), "keep me");
        Path under = file.resolve("models").resolve("deeper");
        assertEquals(2, run("--port", "0", "--checkpoints", under.toString()));
        assertUsageError("--checkpoints: " + under + " cannot be created: " + file + " is a file, not a folder");
        assertEquals("keep me", Files.readString(file));
    }

    /**
     * A link that leads to no folder (a loop of links, a missing target) is refused at start:
     * the server started, and every Save failed with a 500 that named only the folder.
     */
    @Test
    void aCheckpointFolderThatIsABrokenLinkIsAUsageError() throws IOException {
        Path loop = dir.resolve("loop");
        Files.createSymbolicLink(loop, dir.resolve("back"));
        Files.createSymbolicLink(dir.resolve("back"), loop);
        Path dangling = Files.createSymbolicLink(dir.resolve("dangling"), dir.resolve("gone"));
        for (Path link : List.of(loop, dangling)) {
            err.reset();
            // A simulator that starts serves until it is stopped: the guard ends this test if it does.
            assertEquals(2, assertTimeoutPreemptively(Duration.ofSeconds(60),
                    () -> run("--port", "0", "--checkpoints", link.toString())));
            assertUsageError("--checkpoints: " + link + " is a symbolic link that leads to no folder");
        }
    }

    @Test
    void aPortOutOfRangeOrNotANumberIsAUsageError() {
        assertEquals(2, run("--port", "70000"));
        assertUsageError("--port must be from 0 to 65535, got 70000");
        err.reset();
        assertEquals(2, run("--port", "eighty"));
        assertUsageError("--port");
    }

    /**
     * The page shows the seed in a field and sends it back with every Reset, which takes 0 to
     * 2^53 - 1 (what a JavaScript number holds exactly). A seed outside that range used to start a
     * page whose every Reset was refused (or, above 2^53, silently rounded), so it is refused here.
     */
    @Test
    void aSeedThePageCannotSendBackIsAUsageError() {
        // A simulator that starts serves until it is stopped: the guard ends this test if it does.
        assertEquals(2, assertTimeoutPreemptively(Duration.ofSeconds(60), () -> run("--port", "0", "--seed", "-5")));
        assertUsageError("--seed must be a whole number from 0 to 9007199254740991, got -5");
        err.reset();
        assertEquals(2, assertTimeoutPreemptively(Duration.ofSeconds(60),
                () -> run("--port", "0", "--seed", "9007199254740992")));
        assertUsageError("--seed must be a whole number from 0 to 9007199254740991, got 9007199254740992");
    }

    @Test
    void startsOnAFreePortPrintsTheAddressAndStopsCleanly() throws IOException {
        Path data = Files.writeString(dir.resolve("names.txt"), "emma\nolivia\nava\n");
        CommandLine commandLine = MicrogptCommand.commandLine(context);
        Path checkpoints = dir.resolve("saved models");
        commandLine.parseArgs("simulator", "--port", "0", "--data", data.toString(), "--seed", "7",
                "--checkpoints", checkpoints.toString());
        SimulatorCommand simulator = commandLine.getSubcommands().get("simulator").getCommand();
        SimulatorServer server = simulator.start();
        int port = server.port();
        try {
            assertTrue(port > 0);
            assertEquals("microgpt simulator: open http://127.0.0.1:" + port + "/ in your browser (3 documents from"
                    + " names.txt; Ctrl-C stops)\n"
                    + "microgpt simulator: models saved from the page go to " + checkpoints + "\n",
                    out.toString(StandardCharsets.UTF_8));
            assertFalse(Files.exists(checkpoints), "the folder is made by the first save, not at start");
            var api = new Fixtures.Api(server);
            assertEquals(200, api.post("api/save", "{\"name\": \"first\"}").status());
            assertTrue(Files.isRegularFile(checkpoints.resolve("first").resolve("config.json")), "saved in --checkpoints");
            var state = api.state();
            assertEquals(3, state.getAsJsonObject("stats").get("numDocs").getAsInt());
            assertEquals(7, state.getAsJsonObject("config").get("seed").getAsInt());
            // A run in progress when the server stops is ended with it.
            new Fixtures.Api(server).post("api/reset", "{\"numSteps\": 100000}");
            new Fixtures.Api(server).post("api/run", "{}");
        } finally {
            server.close();
        }
        assertFalse(server.session().snapshot().running(), "the run ended with the server");
        assertThrows(ConnectException.class, () -> new Socket("127.0.0.1", port).close(), "the port is closed");
    }

    /**
     * A data file whose name holds a line separator and a right-to-left override: the line that
     * names it shows them escaped (the separator broke it in two, the override showed the rest
     * reversed), and so does the dataset name the page shows and the checkpoints keep.
     */
    @Test
    void aDataFileNameWithALineSeparatorOrABidiOverrideIsShownEscaped() throws IOException {
        Path data;
        try {
            data = Files.writeString(dir.resolve("na\u2028me\u202Etxt.exe"), "emma\nolivia\n");
        } catch (IOException | java.nio.file.InvalidPathException e) {
            org.junit.jupiter.api.Assumptions.assumeTrue(false, "this file system refuses the name: " + e);
            return;
        }
        CommandLine commandLine = MicrogptCommand.commandLine(context);
        commandLine.parseArgs("simulator", "--port", "0", "--data", data.toString(), "--checkpoints",
                dir.resolve("saved").toString());
        SimulatorCommand simulator = commandLine.getSubcommands().get("simulator").getCommand();
        SimulatorServer server = simulator.start();
        try {
            String printed = out.toString(StandardCharsets.UTF_8);
            assertTrue(printed.contains("(2 documents from na\\u2028me\\u202Etxt.exe; Ctrl-C stops)"), printed);
            assertEquals(2, printed.lines().count(), printed);
            assertEquals("na\\u2028me\\u202Etxt.exe", new Fixtures.Api(server).state().getAsJsonObject("dataset")
                    .get("name").getAsString());
        } finally {
            server.close();
        }
    }

    @Test
    void theHelpNamesTheOptionsAndTheCommandIsListed() {
        assertEquals(0, run("--help"));
        String help = out.toString(StandardCharsets.UTF_8);
        for (String option : new String[] {"--port=P", "--data=FILE", "--seed=S", "--checkpoints=DIR",
            "~/.cache/microgpt/simulator-checkpoints", "127.0.0.1"}) {
            assertTrue(help.contains(option), option + " in:\n" + help);
        }
        out.reset();
        assertEquals(0, MicrogptCommand.execute(context, "--help"));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("\n  simulator "), out.toString(StandardCharsets.UTF_8));
    }
}
