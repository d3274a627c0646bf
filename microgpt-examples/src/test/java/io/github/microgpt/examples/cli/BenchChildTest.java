package io.github.microgpt.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;
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
     * The second count's child computes in f32 where the first computes in f64: its losses and
     * weights differ, and the comparison, made of what the children answered, must say so. (Were
     * the counts measured in this JVM, the change would not be seen.)
     */
    @Test
    void aChildWhoseModelDiffersIsReported() {
        BiFunction<BenchCommand.Contender, BenchCommand.Workload, List<String>> otherPrecision = (contender, workload) -> {
            List<String> command = BenchChild.command(contender, workload);
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
        Cli.Result result = run((contender, workload) -> {
            List<String> command = BenchChild.command(contender, workload);
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

    /** Where the child's command has its nEmbd and its block size, after its main class. */
    private static final int N_EMBD = 5;
    private static final int BLOCK_SIZE = 7;

    /**
     * The children's usual command, except that the one on 2 threads gets {@code value} at
     * {@code index} after its main class and a JVM option (the last -Xmx wins).
     */
    private static BiFunction<BenchCommand.Contender, BenchCommand.Workload, List<String>> childWith(int index,
            int value, String jvmOption) {
        return (contender, workload) -> {
            List<String> command = BenchChild.command(contender, workload);
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
    private static Cli.Result run(BiFunction<BenchCommand.Contender, BenchCommand.Workload, List<String>> childCommand,
            String... options) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        CliContext context = new CliContext(out, new PrintStream(err, true, StandardCharsets.UTF_8), Map.of(),
                null, null);
        CommandLine commandLine = MicrogptCommand.commandLine(context);
        commandLine.getCommandSpec().removeSubcommand("bench");
        commandLine.addSubcommand(new BenchCommand(childCommand));
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
