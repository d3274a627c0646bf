package io.github.microgpt.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A resumed run that diverges is told what can help: its learning rate is the checkpoint's, and
 * {@code --lr} cannot be combined with {@code --resume}, so "a smaller --lr may help" sent the
 * user to a command line that is refused. The advice says where the rate comes from and that a
 * new run takes a smaller one.
 */
class ResumedDivergenceTest {

    @TempDir
    Path dir;

    /** A finished run whose last update made the logits overflow, resumed: the samples cannot be drawn. */
    @Test
    void aResumedRunWhoseSamplesOverflowIsToldTheRateIsTheCheckpoints() throws Exception {
        Path data = Files.writeString(dir.resolve("names.txt"), "anna\nbob\ncarla\ndora\n");
        Path run = dir.resolve("run");
        Cli.Result trained = Cli.run("train", "--data", data.toString(), "--steps", "1", "--lr", "1e300",
                "--samples", "0", "--save", run.toString());
        assertEquals(0, trained.exitCode(), trained.toString());

        // The samples after training: the first is empty (BOS at once), a later one reads a
        // character whose logits overflow.
        String[] args = {"train", "--resume", run.toString()};
        Cli.Result complete = Cli.run(args);
        // The run is complete (1 of 1 steps), which train says first; then the samples' error.
        String note = "microgpt: the run in " + run + " is already complete (1 of 1 steps): nothing to train";
        assertTrue(complete.stderr().startsWith(note), complete.stderr());
        Cli.Result result = new Cli.Result(complete.exitCode(), complete.stdoutBytes(),
                complete.stderr().substring(complete.stderr().indexOf('\n') + 1));
        Cli.assertOneLineError(result, 1, "training diverged at its last step (1): the model's logits are not finite",
                null, args);
        assertAdvice(result, "1.0E300");
    }

    /** A run resumed with a learning rate far too large (as saved) diverges at one of its steps. */
    @Test
    void aResumedRunThatDivergesAtAStepIsToldTheRateIsTheCheckpoints() throws Exception {
        Path data = Files.writeString(dir.resolve("names.txt"), "anna\nbob\ncarla\ndora\nemma\nfrank\n");
        Path run = dir.resolve("run");
        Cli.Result trained = Cli.run("train", "--data", data.toString(), "--steps", "40", "--stop-after", "1",
                "--save", run.toString());
        assertEquals(0, trained.exitCode(), trained.toString());
        Path trainer = run.resolve("trainer.json");
        String json = Files.readString(trainer);
        assertTrue(json.contains("\"learning_rate\": 0.01,"), json);
        Files.writeString(trainer, json.replace("\"learning_rate\": 0.01,", "\"learning_rate\": 1.0E308,"));

        String[] args = {"train", "--resume", run.toString(), "--samples", "0"};
        Cli.Result result = Cli.run(args);
        Cli.assertOneLineError(result, 1, "training diverged at step ", null, args);
        assertAdvice(result, "1.0E308");
    }

    private static void assertAdvice(Cli.Result result, String rate) {
        String line = result.stderr().trim();
        assertTrue(line.endsWith("; its learning rate, " + rate + ", is the checkpoint's, which --resume keeps: "
                + "a new run with a smaller --lr may help"), line);
        assertFalse(line.contains("internal error"), line);
    }
}
