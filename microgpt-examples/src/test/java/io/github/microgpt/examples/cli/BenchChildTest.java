package io.github.microgpt.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * A list of thread counts is measured in a JVM per count ({@link BenchChild}): here the children's
 * command lines are changed for one count, so that a test sees that the models it compares, and the
 * failures it reports, are the children's. Real JVMs start, so these take a few seconds.
 */
class BenchChildTest {

    private static final String[] SMALL = {"bench", "--engine", "array", "--n-embd", "24", "--n-layer", "2",
        "--n-head", "3", "--block-size", "8", "--seconds", "0.05", "--threads", "1,2"};

    @Test
    void theChildrenTrainTheSameModelWhateverTheirThreads() {
        Cli.Result result = run(BenchChild::command, "--json");

        assertEquals(0, result.exitCode(), result.toString());
        assertEquals("", result.stderr());
        JsonObject speedUp = speedUp(result);
        assertTrue(speedUp.get("sameResults").getAsBoolean(), speedUp.toString());
    }

    /**
     * Each child counts the heap its step threads allocate and sends the figure with its others:
     * here the child on 2 threads runs without the module {@code jdk.management}
     * ({@code --limit-modules java.se}), so it cannot count, and its entry says so while the
     * other child's has its figure. (Were the counts measured in this JVM, which has the module,
     * both would have one.)
     */
    @Test
    void eachChildCountsItsOwnAllocationOrSaysItCannot() {
        BenchChild.Launch withoutManagement = (contender, workload, options) -> {
            List<String> command = BenchChild.command(contender, workload, options);
            if (contender.threads() == 2) {
                command.addAll(1, List.of("--limit-modules", "java.se"));
            }
            return command;
        };

        Cli.Result json = run(withoutManagement, "--json");
        assertEquals(0, json.exitCode(), json.toString());
        assertEquals("", json.stderr());
        JsonArray engines = JsonParser.parseString(json.stdoutLines().get(0)).getAsJsonObject().getAsJsonArray("engines");
        assertTrue(engines.get(0).getAsJsonObject().get("allocatedBytesPerStep").getAsDouble() > 0, engines.toString());
        assertTrue(engines.get(1).getAsJsonObject().get("allocatedBytesPerStep").isJsonNull(), engines.toString());

        Cli.Result table = run(withoutManagement);
        assertEquals(0, table.exitCode(), table.toString());
        assertTrue(table.stdoutLines().stream().anyMatch(line -> line.matches("heap allocated per timed step by the "
                + "threads that ran it: array on 1 thread [0-9,]+\\.[0-9] KB, array on 2 threads not counted \\(the JVM "
                + "that ran it does not count each thread's allocation: that needs the module jdk\\.management\\)")),
                table.stdout());
    }

    /**
     * The second count's child computes in f32 where the first computes in f64: its losses and
     * weights differ, and the comparison, made of what the children answered, must say so. (Were
     * the counts measured in this JVM, the change would not be seen.)
     */
    @Test
    void aChildWhoseModelDiffersIsReported() {
        BenchChild.Launch otherPrecision = (contender, workload, options) -> {
            List<String> command = BenchChild.command(contender, workload, options);
            if (contender.threads() == 2) {
                int precision = command.indexOf(BenchChild.class.getName()) + 2;
                assertEquals("f64", command.get(precision), command.toString());
                command.set(precision, "f32");
            }
            return command;
        };

        Cli.Result json = run(otherPrecision, "--json");
        assertEquals(0, json.exitCode(), json.toString());
        assertFalse(speedUp(json).get("sameResults").getAsBoolean(), json.stdout());
        assertEquals(List.of("microgpt: warning: the array models on 1 and 2 threads did not end in the same state after "
                + "the same steps; a step's result must not depend on its threads"), json.stderrLines());

        Cli.Result table = run(otherPrecision);
        assertTrue(table.stdout().contains("), DIFFERENT RESULTS\n"), table.stdout());
    }

    /** A JVM that cannot start (here: no such main class) ends the bench with one line naming the count. */
    @Test
    void aChildThatCannotStartIsOneLineOfError() {
        Cli.Result result = run((contender, workload, options) -> {
            List<String> command = BenchChild.command(contender, workload, options);
            if (contender.threads() == 2) {
                command.set(command.indexOf(BenchChild.class.getName()), "io.github.microgpt.NoSuchClass");
            }
            return command;
        });

        Cli.assertOneLineError(result, 1, "the JVM measuring array on 2 threads failed: it ended with exit code 1: "
                + "Error: Could not find or load main class io.github.microgpt.NoSuchClass", null, SMALL);
    }

    /** A child that fails while it measures (here: out of memory in a small heap) says why, in one line. */
    @Test
    void aChildThatFailsSaysWhy() {
        // A model 3072 wide (226 million parameters) in a heap of 16 MB: the model refuses itself.
        Cli.Result result = run(childWith(N_EMBD, 3072, "-Xmx16m"));

        Cli.assertOneLineError(result, 1, "the JVM measuring array on 2 threads failed: an ArrayGptModel of "
                + "226682880 parameters", null, SMALL);
    }

    @Test
    void aChildThatRunsOutOfMemorySaysSo() {
        // The small model with a block of 4096 positions: its 113,424 weights (1.8 MB with their
        // gradients) pass the model's own check in a heap of 32 MB, and the first step's
        // activations (the attention weights alone, 3 heads x 4096^2 / 2 x 8 bytes a layer, 200 MB)
        // do not fit, however the collector sizes the heap. (A model that fits with little room to
        // spare is no test: it ran for minutes, collecting, before it failed.)
        Cli.Result result = run(childWith(BLOCK_SIZE, 4096, "-Xmx32m"));

        Cli.assertOneLineError(result, 1, "the JVM measuring array on 2 threads failed: out of memory while measuring "
                + "(give the JVM more, for example JAVA_OPTS=-Xmx4g)", null, SMALL);
    }

    /**
     * A child that is ready and then answers nothing (here: a stub that has started a JVM of its
     * own) is ended, with what it started, once its answer's time is up, and the bench says so in
     * one line. (The time limit here is a second, so that the test is short; the usual limit is a
     * minute and more, {@link BenchChild.Patience#USUAL}.)
     */
    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES) // without the limit the bench waits until the stub gives up
    void aChildThatDoesNotAnswerIsEndedWithWhatItStarted(@TempDir Path directory) throws Exception {
        Path pidFile = directory.resolve("sleeper.pid");
        BenchCommand bench = new BenchCommand(firstCountIs("stuck", pidFile.toString()),
                BenchChild.JvmOptions.ofThisJvm(), new BenchChild.Patience(TimeUnit.SECONDS.toNanos(60),
                        TimeUnit.SECONDS.toNanos(1), 0));

        Cli.Result result = run(bench);

        Cli.assertOneLineError(result, 1, "the JVM measuring array on 1 thread failed: it did not answer \"warm 1 "
                + "plain\" within 1.0 s (1.0 s plus 0 times the work's expected time), so it was ended", null, SMALL);
        long sleeper = Long.parseLong(Files.readString(pidFile));
        assertFalse(ProcessHandle.of(sleeper).map(ProcessHandle::isAlive).orElse(false),
                "the JVM the child started, " + sleeper + ", was ended with it");
    }

    /** A child that never says it is ready is ended once the time for a JVM's start and a model's build is up. */
    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void aChildThatIsNeverReadyIsEnded() {
        BenchCommand bench = new BenchCommand(firstCountIs("mute"), BenchChild.JvmOptions.ofThisJvm(),
                new BenchChild.Patience(TimeUnit.SECONDS.toNanos(2), TimeUnit.SECONDS.toNanos(60), 0));

        Cli.Result result = run(bench);

        Cli.assertOneLineError(result, 1, "the JVM measuring array on 1 thread failed: its model was not ready within "
                + "2.0 s of its start (2.0 s plus 0 times the work's expected time), so it was ended", null, SMALL);
    }

    /** An answer that never ends is refused once it is longer than any answer, not read into the heap. */
    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void anEndlessAnswerIsRefused() {
        Cli.Result result = run(firstCountIs("endless"));

        Cli.assertOneLineError(result, 1, "the JVM measuring array on 1 thread failed: it answered a line longer "
                + "than 16384 characters", null, SMALL);
    }

    /**
     * A child that wrote much to stderr before it failed: of that only the end is read, and the
     * first whole line there is said (not {@code noise 0}, the first of the file).
     */
    @Test
    void ofAChildsLongStderrOnlyTheEndIsRead() {
        Cli.Result result = run(firstCountIs("noisy"));

        String prefix = "microgpt: the JVM measuring array on 1 thread failed: it ended with exit code 1: noise ";
        assertEquals(1, result.stderrLines().size(), result.stderr());
        String line = result.stderrLines().get(0);
        assertTrue(line.startsWith(prefix), line);
        // The last 16 KiB of lines of 11 or 12 bytes: the first whole one is within the last 1,500.
        int said = Integer.parseInt(line.substring(prefix.length()));
        assertTrue(said > BenchChildStub.NOISY_LINES - 1500 && said < BenchChildStub.NOISY_LINES, line);
    }

    /**
     * A debugger's agent cannot be shared: here this JVM is taken to listen for a debugger on a
     * port the test holds, which a child given the option would fail to listen on (or, with
     * {@code suspend=y}, wait for a debugger forever). The children start without it, and one
     * note says so.
     */
    @Test
    void aDebuggersAgentIsLeftOutOfTheChildren() throws IOException {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            String agent = "-agentlib:jdwp=transport=dt_socket,server=y,suspend=n,address=127.0.0.1:"
                    + taken.getLocalPort();
            List<String> options = new ArrayList<>(BenchChild.JvmOptions.ofThisJvm());
            options.add(agent);
            BenchCommand bench = new BenchCommand(BenchChild::command, options, BenchChild.Patience.USUAL);

            Cli.Result result = run(bench, "--json");

            assertEquals(0, result.exitCode(), result.toString());
            assertEquals(List.of("microgpt: note: the JVMs measuring each thread count start without " + agent
                    + ": a debugger's agent in each would listen on one address; to debug the model, bench one "
                    + "thread count alone"), result.stderrLines());
        }
    }

    @Test
    void optionsNamingOneJvmsThingsAreLeftOutAndTheOthersKept() {
        List<String> kept = List.of("-Xmx2g", "--add-modules", "jdk.incubator.vector", "-Xlog:gc",
                "-Xlog:gc:file=gc-%p.log", "-Xloggc:gc-%p.log", "-XX:StartFlightRecording", "-javaagent:agent.jar",
                "-Dcom.sun.management.jmxremote");
        List<String> left = List.of("-agentlib:jdwp=transport=dt_socket,server=y,address=5005",
                "-Xrunjdwp:transport=dt_socket,server=y,address=5005", "-agentpath:/jdk/lib/libjdwp.so=server=y",
                "-Dcom.sun.management.jmxremote.port=9010", "-Dcom.sun.management.jmxremote.rmi.port=9011",
                "-Xlog:gc*:file=gc.log:time", "-Xloggc:gc.log", "-XX:StartFlightRecording=duration=30s,filename=rec.jfr");
        List<String> all = new ArrayList<>(kept);
        all.addAll(left);

        BenchChild.JvmOptions options = BenchChild.JvmOptions.forChildren(all);

        assertEquals(kept, options.passed());
        assertEquals(left.size(), options.notes().size(), options.notes().toString());
        for (int i = 0; i < left.size(); i++) {
            assertTrue(options.notes().get(i).startsWith("microgpt: note: the JVMs measuring each thread count start "
                    + "without " + left.get(i) + ": "), options.notes().get(i));
        }
    }

    /** The children's usual command, except that the one on 1 thread is a {@link BenchChildStub} going wrong in {@code way}. */
    private static BenchChild.Launch firstCountIs(String... way) {
        return (contender, workload, options) -> contender.threads() == 1 ? BenchChildStub.javaCommand(way)
                : BenchChild.command(contender, workload, options);
    }

    /** Where the child's command has its nEmbd and its block size, after its main class. */
    private static final int N_EMBD = 5;
    private static final int BLOCK_SIZE = 7;

    /**
     * The children's usual command, except that the one on 2 threads gets {@code value} at
     * {@code index} after its main class and a JVM option (the last -Xmx wins).
     */
    private static BenchChild.Launch childWith(int index, int value, String jvmOption) {
        return (contender, workload, options) -> {
            List<String> command = BenchChild.command(contender, workload, options);
            if (contender.threads() == 2) {
                int main = command.indexOf(BenchChild.class.getName());
                assertEquals(index == N_EMBD ? "24" : "8", command.get(main + index), command.toString());
                command.set(main + index, Integer.toString(value));
                command.add(main, jvmOption);
            }
            return command;
        };
    }

    /** Runs bench with a command of its own for the children, and the streams captured as {@link Cli#run} does. */
    private static Cli.Result run(BenchChild.Launch childCommand, String... options) {
        return run(new BenchCommand(childCommand), options);
    }

    /** Runs the bench given, with the streams captured as {@link Cli#run} does. */
    private static Cli.Result run(BenchCommand bench, String... options) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        CliContext context = new CliContext(out, new PrintStream(err, true, StandardCharsets.UTF_8), Map.of(),
                null, null);
        CommandLine commandLine = MicrogptCommand.commandLine(context);
        commandLine.getCommandSpec().removeSubcommand("bench");
        commandLine.addSubcommand(bench);
        // Set again, so that the bench added now writes its errors where the others do.
        commandLine.setErr(new java.io.PrintWriter(context.err(), true));
        List<String> args = new ArrayList<>(List.of(SMALL));
        args.addAll(List.of(options));
        int code = commandLine.execute(args.toArray(String[]::new));
        return new Cli.Result(code, out.toByteArray(), err.toString(StandardCharsets.UTF_8));
    }

    private static JsonObject speedUp(Cli.Result result) {
        return JsonParser.parseString(result.stdoutLines().get(0)).getAsJsonObject().getAsJsonArray("speedUps")
                .get(0).getAsJsonObject();
    }
}
