package io.github.microgpt.examples.simulator;

import io.github.microgpt.examples.cli.CliContext;
import io.github.microgpt.examples.cli.CommandFailedException;
import io.github.microgpt.examples.cli.DataFiles;
import io.github.microgpt.examples.cli.MicrogptCommand;
import io.github.microgpt.examples.cli.Terminals;
import io.github.microgpt.examples.cli.UsageException;
import io.github.microgpt.text.Documents;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code microgpt simulator}: starts the web simulator on 127.0.0.1 and prints its address.
 * Open it in a browser to watch the model learn one position at a time and generate names one
 * token at a time. Ctrl-C stops the server, and a run in progress, cleanly. Models saved from the
 * page (Save model) go to {@code --checkpoints DIR}, by default
 * {@code ~/.cache/microgpt/simulator-checkpoints}, one checkpoint folder per name.
 *
 * <p>Errors follow the rest of the command line ({@link MicrogptCommand}): a bad option or data
 * file is a usage error (exit code 2), and a port that is already taken is one line on stderr with
 * exit code 2.
 */
@Command(name = "simulator",
        mixinStandardHelpOptions = true,
        versionProvider = MicrogptCommand.Version.class,
        sortOptions = false,
        description = {
            "Start the web simulator: a page on which you watch microgpt learn, one position at a time, "
                    + "and generate names, one token at a time.",
            "The model runs here, in the JVM, and the page shows every real step. The server listens on "
                    + "127.0.0.1 only and needs no network. Ctrl-C stops it."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:The server was stopped with Ctrl-C.",
            "2:Invalid usage or input: a bad option, a data file that is missing, unreadable, empty, not "
                    + "UTF-8, not a regular file, over 64 MiB or of more than 2,097,152 non-blank lines, or a "
                    + "port that is already in use."})
public final class SimulatorCommand implements Callable<Integer> {

    /** The largest data file the simulator reads, in bytes: far more than a page can show or train on live. */
    static final long MAX_DATA_BYTES = 64L * 1024 * 1024;

    @ParentCommand
    private MicrogptCommand parent;

    @Option(names = "--port", paramLabel = "P", defaultValue = "8080",
            description = "Port on 127.0.0.1 (default: ${DEFAULT-VALUE}; 0 picks a free port).")
    int port;

    @Option(names = "--data", paramLabel = "FILE",
            description = "UTF-8 text file, one document per line. Default: the names embedded in the library.")
    Path data;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "42",
            description = "Seed of the shuffle, the initial weights and the samples; from 0 to 2^53 - 1 "
                    + "(default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--checkpoints", paramLabel = "DIR",
            description = {"Folder of the models saved with the page's Save model: one checkpoint folder per name,"
                    + " created by the first save.",
                "Default: ~/.cache/microgpt/simulator-checkpoints (MICROGPT_CACHE_DIR moves microgpt's cache)."})
    Path checkpoints;

    /** Creates the command; picocli fills in the options. */
    public SimulatorCommand() {
    }

    /**
     * Starts the server and serves until the JVM is asked to stop (Ctrl-C).
     *
     * @return 0 after a clean stop
     * @throws UsageException if an option or the data file is bad
     * @throws CommandFailedException (exit code 2) if the port is in use
     */
    @Override
    public Integer call() {
        SimulatorServer server = start();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            say("microgpt simulator: stopped");
            stopped.countDown();
        }, "simulator-shutdown"));
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            server.close();
        }
        return 0;
    }

    /**
     * Loads the documents, starts the server and prints its address.
     *
     * @return the running server
     * @throws UsageException if an option or the data file is bad
     * @throws CommandFailedException (exit code 2) if the port is in use or the server cannot start
     */
    SimulatorServer start() {
        if (port < 0 || port > 65_535) {
            throw new UsageException("--port must be from 0 to 65535, got " + port);
        }
        if (!Limits.SEED.contains(seed)) {
            // The page shows the seed and sends it back with every Reset, which takes this range
            // only (a JavaScript number holds whole numbers exactly up to 2^53 - 1): a seed outside
            // it would start a page whose every Reset is refused.
            throw new UsageException("--seed must be " + Limits.SEED.expectation() + ", got " + seed
                    + " (the page shows it and sends it back with every Reset)");
        }
        Path checkpointDir = checkpoints != null ? checkpoints : CheckpointStore.defaultDirectory();
        if (Files.exists(checkpointDir) && !Files.isDirectory(checkpointDir)) {
            throw new UsageException("--checkpoints: " + checkpointDir + " exists and is not a directory");
        }
        // A folder under a file can never be made: the server started, and every Save failed.
        for (Path above = checkpointDir.toAbsolutePath().getParent(); above != null; above = above.getParent()) {
            if (Files.exists(above)) {
                if (!Files.isDirectory(above)) {
                    throw new UsageException("--checkpoints: " + checkpointDir + " cannot be created: " + above
                            + " is a file, not a folder");
                }
                break;
            }
        }
        // A link that leads nowhere was taken for a folder still to be made: the server started,
        // and every Save failed with a 500 that named only the folder.
        if (Files.isSymbolicLink(checkpointDir) && !Files.exists(checkpointDir)) {
            throw new UsageException("--checkpoints: " + checkpointDir + " is a symbolic link that leads to no folder"
                    + " (its target is missing, or the links lead back to it); give a folder, or a link to one");
        }
        List<String> documents = loadDocuments();
        // The file's name is shown on the page, saved with the checkpoints and printed below: a line
        // break, an escape sequence or a right-to-left override in it is shown escaped, as the page's
        // own dataset names may not hold one.
        String name = data == null ? "the embedded names" : Terminals.escapeControls(
                data.getFileName() == null ? data.toString() : data.getFileName().toString());
        SimulatorServer server;
        try {
            server = SimulatorServer.start(documents, data == null ? "embedded" : "file",
                    data == null ? "embedded names" : name, seed, checkpointDir, port);
        } catch (BindException e) {
            throw new CommandFailedException("port " + port + " on 127.0.0.1 is already in use; choose another with"
                    + " --port (0 picks a free one)", 2, e);
        } catch (IOException e) {
            throw new CommandFailedException("cannot start the server on 127.0.0.1:" + port + ": " + e.getMessage(), 2, e);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage(), e);
        }
        say("microgpt simulator: open " + server.uri() + " in your browser (" + documents.size()
                + " documents from " + name + "; Ctrl-C stops)");
        say("microgpt simulator: models saved from the page go to "
                + checkpointDir.toAbsolutePath().normalize());
        return server;
    }

    private List<String> loadDocuments() {
        if (data == null) {
            try {
                return Documents.embeddedNames();
            } catch (IllegalStateException | UncheckedIOException e) {
                throw new CommandFailedException(e.getMessage(), CommandFailedException.FAILED, e);
            }
        }
        // Refused as 'train' refuses it, in the same words: the size here, in the simulator's own.
        try {
            if (Files.isRegularFile(data) && Files.size(data) > MAX_DATA_BYTES) {
                throw new UsageException(String.format(Locale.ROOT, "the data file %s is %,d bytes; the simulator"
                        + " takes at most %,d (64 MiB)", data, Files.size(data), MAX_DATA_BYTES));
            }
        } catch (IOException e) {
            // Unreadable attributes: the read below says why.
        }
        List<String> documents = DataFiles.load(data);
        try {
            // Checked here, where the file can be read again to locate a document too long by its line.
            return Commands.checkDocuments(documents, () -> {
                try {
                    return Files.readString(data, StandardCharsets.UTF_8);
                } catch (IOException | UncheckedIOException e) {
                    return null;  // changed since: the message names the document alone
                }
            }, Terminals.escapeControls(data.toString()));
        } catch (ApiException e) {
            throw new UsageException(e.getMessage(), e);
        }
    }

    /**
     * One line on stdout, as UTF-8 whatever the platform, flushed at once (a person is waiting for
     * it); a control character in it (from a folder's name, say) is shown escaped.
     */
    private void say(String line) {
        CliContext context = parent != null ? parent.context() : CliContext.system();
        try {
            context.out().write((Terminals.escapeControls(line) + "\n").getBytes(StandardCharsets.UTF_8));
            context.out().flush();
        } catch (IOException e) {
            // stdout is gone; the server works without the message
        }
    }
}
