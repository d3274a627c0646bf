package io.github.microgpt.examples.simulator;

import io.github.microgpt.text.Documents;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.BindException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code microgpt simulator}: starts the web simulator on 127.0.0.1 and prints its address.
 * Open it in a browser to watch the model learn one position at a time and generate names one
 * token at a time. Ctrl-C stops the server (and a run in progress) cleanly.
 *
 * <p>Exit codes: 0 after Ctrl-C; 2 for bad input (an unreadable data file, a port in use or out
 * of range), with a one-line message on standard error.
 */
@Command(name = "simulator",
        mixinStandardHelpOptions = true,
        description = {
            "Starts the web simulator: a page on which you watch microgpt learn, one position at a time,",
            "and generate names, one token at a time. The model runs here, in the JVM; the page shows",
            "every real step. The server listens on 127.0.0.1 only. Ctrl-C stops it."})
public final class SimulatorCommand implements Callable<Integer> {

    @Option(names = "--port", paramLabel = "P", defaultValue = "8080",
            description = "The port on 127.0.0.1 (default: ${DEFAULT-VALUE}; 0 picks a free port).")
    int port;

    @Option(names = "--data", paramLabel = "FILE",
            description = "A UTF-8 text file with one document per line (default: the embedded names).")
    Path data;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "42",
            description = "The random seed of the shuffle, the initial weights and the samples (default: ${DEFAULT-VALUE}).")
    long seed;

    @Spec
    CommandSpec spec;

    /** Creates the command; picocli fills in the options. */
    public SimulatorCommand() {
    }

    /**
     * Starts the server and serves until the JVM is asked to stop (Ctrl-C).
     *
     * @return 0 after a clean stop, 2 if the server could not start
     */
    @Override
    public Integer call() {
        SimulatorServer server = start();
        if (server == null) {
            return 2;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            out().println("microgpt simulator: stopped");
            out().flush();
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
     * Loads the documents and starts the server, printing its address, or prints one line saying
     * why it cannot.
     *
     * @return the running server, or {@code null} after an error message
     */
    SimulatorServer start() {
        if (port < 0 || port > 65_535) {
            return fail("--port must be from 0 to 65535, got " + port);
        }
        List<String> documents;
        String source;
        String name;
        try {
            if (data == null) {
                documents = Documents.embeddedNames();
                source = "embedded";
                name = "embedded names";
            } else {
                documents = Documents.load(data);
                source = "file";
                name = data.getFileName() == null ? data.toString() : data.getFileName().toString();
            }
        } catch (NoSuchFileException e) {
            return fail("the data file " + data + " does not exist");
        } catch (IOException | RuntimeException e) {
            return fail(e.getMessage());
        }
        try {
            SimulatorServer server = SimulatorServer.start(documents, source, name, seed, port);
            out().println("microgpt simulator: open " + server.uri() + " in your browser (" + documents.size()
                    + " documents from " + name + "; Ctrl-C stops)");
            out().flush();
            return server;
        } catch (BindException e) {
            return fail("port " + port + " on 127.0.0.1 is already in use; choose another with --port (0 picks a free one)");
        } catch (IOException | IllegalArgumentException e) {
            return fail(e.getMessage());
        }
    }

    private SimulatorServer fail(String message) {
        PrintWriter err = spec != null ? spec.commandLine().getErr() : new PrintWriter(System.err, true);
        err.println("microgpt simulator: " + message);
        err.flush();
        return null;
    }

    private PrintWriter out() {
        return spec != null ? spec.commandLine().getOut() : new PrintWriter(System.out, true);
    }

    /**
     * Runs the command on its own, until it is wired into the {@code microgpt} command line.
     *
     * @param args the options
     */
    public static void main(String[] args) {
        System.exit(new CommandLine(new SimulatorCommand()).execute(args));
    }
}
