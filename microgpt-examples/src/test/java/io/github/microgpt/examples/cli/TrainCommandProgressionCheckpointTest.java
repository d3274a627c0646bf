package io.github.microgpt.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.checkpoint.Checkpoint;
import io.github.microgpt.model.Architecture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code train --model bigram|mlp|attention} with {@code --save} and {@code --resume}, and {@code generate} on the result. */
class TrainCommandProgressionCheckpointTest {

    private static List<String> from(List<String> lines, String first) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith(first)) {
                return lines.subList(i, lines.size());
            }
        }
        throw new AssertionError("no line starts with \"" + first + "\" in " + lines);
    }

    @ParameterizedTest
    @ValueSource(strings = {"bigram", "mlp", "attention"})
    void aStoppedRunResumesToTheSameStepsAndSamplesAsTheWholeRun(String model, @TempDir Path dir) throws Exception {
        String run = dir.resolve("run").toString();
        Cli.Result first = Cli.run("train", "--model", model, "--steps", "8", "--stop-after", "4", "--samples", "3",
                "--save", run);
        assertEquals(0, first.exitCode(), first.toString());
        assertTrue(Files.readString(Path.of(run, Checkpoint.CONFIG_FILE)).contains("\"architecture\": \"" + model
                + "\""));
        assertEquals(Architecture.fromId(model), Checkpoint.load(Path.of(run)).architecture());

        Cli.Result resumed = Cli.run("train", "--resume", run, "--samples", "3", "--save", run);
        assertEquals(0, resumed.exitCode(), resumed.toString());
        Cli.Result whole = Cli.run("train", "--model", model, "--steps", "8", "--samples", "3");
        assertEquals(0, whole.exitCode(), whole.toString());

        List<String> expected = from(whole.stdoutLines(), "step    5 /    8");
        assertEquals(expected, from(resumed.stdoutLines(), "step    5 /    8"),
                "steps 5-8 and the samples, bit for bit as printed");
        assertEquals(whole.stdoutLines().get(2), resumed.stdoutLines().get(2), "num params");
    }

    @ParameterizedTest
    @ValueSource(strings = {"bigram", "mlp", "attention"})
    void generateSamplesASavedModelOfTheProgression(String model, @TempDir Path dir) {
        String run = dir.resolve("run").toString();
        Cli.Result trained = Cli.run("train", "--model", model, "--steps", "10", "--samples", "4", "--save", run);
        assertEquals(0, trained.exitCode(), trained.toString());
        List<String> printed = trained.stdoutLines().stream().filter(line -> line.startsWith("sample ")).toList();
        assertEquals(4, printed.size(), trained.stdout());

        Cli.Result generated = Cli.run("generate", "--model", run, "--samples", "4");
        assertEquals(0, generated.exitCode(), generated.toString());
        assertEquals("", generated.stderr());
        // Without --seed, generate continues the saved generator: the samples train printed.
        assertEquals(printed, generated.stdoutLines().subList(0, 4));
    }

    /**
     * The bigram and mlp models have no attention heads: a width the default 4 heads do not divide
     * was refused for them ("--n-embd (10) must be divisible by --n-head (4)"). It now trains, and
     * saves a configuration that loads. (The bigram model has no width either: it refuses
     * {@code --n-embd}, see TrainCommandErrorsTest.)
     */
    @ParameterizedTest
    @ValueSource(strings = {"mlp"})
    void aModelWithoutHeadsTakesAWidthTheDefaultHeadsDoNotDivide(String model, @TempDir Path dir) throws Exception {
        String run = dir.resolve("run").toString();
        Cli.Result trained = Cli.run("train", "--model", model, "--n-embd", "10", "--steps", "2", "--samples", "1",
                "--save", run);
        assertEquals(0, trained.exitCode(), trained.toString());
        assertEquals(10, Checkpoint.load(Path.of(run)).config().nEmbd());
    }

    /** A head count given for a model without heads is still checked, and the message says it can go. */
    @ParameterizedTest
    @ValueSource(strings = {"bigram", "mlp"})
    void aHeadCountGivenForAModelWithoutHeadsIsCheckedAndNamed(String model) {
        Cli.Result refused = Cli.run("train", "--model", model, "--n-embd", "10", "--n-head", "3");
        assertEquals(2, refused.exitCode(), refused.toString());
        assertTrue(refused.stderr().contains("--n-embd (10) must be divisible by --n-head (3) so that every head"
                + " gets the same number of dimensions; the " + model + " model has no attention heads, so --n-head"
                + " can be left out"), refused.stderr());
    }
}
