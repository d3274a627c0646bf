package io.github.microgpt.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.checkpoint.Checkpoint;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.GptModel;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.text.Tokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code microgpt train --save/--resume/--stop-after/--save-every}. */
class TrainCommandCheckpointTest {

    @TempDir
    Path dir;

    private static List<String> steps(Cli.Result result) {
        return result.stdoutLines().stream().filter(l -> l.startsWith("step ")).toList();
    }

    private static List<String> afterSteps(Cli.Result result) {
        List<String> lines = result.stdoutLines();
        int last = lines.size() - 1;
        while (last >= 0 && !lines.get(last).startsWith("step ")) {
            last--;
        }
        return lines.subList(last + 1, lines.size());
    }

    @Test
    void stoppingSavingAndResumingPrintsWhatOneRunPrints() throws Exception {
        Cli.Result whole = Cli.run("train", "--steps", "30", "--samples", "5", "--seed", "3");
        assertEquals(0, whole.exitCode(), whole.toString());

        String run = dir.resolve("run").toString();
        Cli.Result first = Cli.run("train", "--steps", "30", "--samples", "5", "--seed", "3", "--stop-after", "12",
                "--save", run);
        Cli.Result second = Cli.run("train", "--resume", run, "--stop-after", "20", "--save", run, "--samples", "5");
        Cli.Result third = Cli.run("train", "--resume", run, "--samples", "5");
        for (Cli.Result r : List.of(first, second, third)) {
            assertEquals(0, r.exitCode(), r.toString());
            assertEquals("", r.stderr());
            assertEquals(whole.stdoutLines().subList(0, 3), r.stdoutLines().subList(0, 3),
                    "each run prints the same header (num docs, vocab size, num params)");
        }
        assertEquals(12, steps(first).size());
        assertEquals("step   13 /   30 | loss ", steps(second).get(0).substring(0, 24), "the step counter continues");
        assertEquals(8, steps(second).size());
        List<String> joined = new ArrayList<>(steps(first));
        joined.addAll(steps(second));
        joined.addAll(steps(third));
        assertEquals(steps(whole), joined, "the losses are those of the uninterrupted run");
        assertEquals(List.of(""), afterSteps(first), "a stopped run does not sample");
        assertEquals(List.of(""), afterSteps(second));
        assertEquals(afterSteps(whole), afterSteps(third), "the samples are those of the uninterrupted run");
        assertEquals(20, Checkpoint.load(Path.of(run)).training().orElseThrow().trainer().stepsDone(),
                "the third run did not save (no --save)");
    }

    @Test
    void anF32RunIsSavedInF32AndResumedInF32AsOneRunPrints() throws Exception {
        String[] common = {"--engine", "array", "--steps", "30", "--samples", "5", "--seed", "3"};
        Cli.Result whole = Cli.run(concat(new String[] {"train", "--precision", "f32"}, common));
        assertEquals(0, whole.exitCode(), whole.toString());

        String run = dir.resolve("f32-run").toString();
        Cli.Result first = Cli.run(concat(new String[] {"train", "--precision", "f32", "--stop-after", "12", "--save",
            run}, common));
        assertEquals(0, first.exitCode(), first.toString());
        assertTrue(Files.readString(Path.of(run, "config.json")).contains("f32"), "config.json records f32");
        Cli.Result second = Cli.run("train", "--engine", "array", "--resume", run, "--samples", "5");
        assertEquals(0, second.exitCode(), second.toString());
        assertEquals(steps(whole).subList(12, 30), steps(second), "the resumed f32 run's losses are the whole run's");
        assertEquals(afterSteps(whole), afterSteps(second), "and so are its samples");
    }

    private static String[] concat(String[] a, String[] b) {
        return java.util.stream.Stream.concat(java.util.Arrays.stream(a), java.util.Arrays.stream(b))
                .toArray(String[]::new);
    }

    @Test
    void generateOnASavedRunPrintsTheSamplesTrainPrinted() {
        String run = dir.resolve("finished").toString();
        Cli.Result train = Cli.run("train", "--steps", "15", "--samples", "6", "--save", run);
        Cli.Result generate = Cli.run("generate", "--model", run, "--samples", "6");
        assertEquals(0, generate.exitCode(), generate.toString());
        assertEquals(afterSteps(train).subList(2, 9), generate.stdoutLines(),
                "the saved random state continues where training left it");
        Cli.Result again = Cli.run("train", "--resume", run, "--samples", "6");
        assertTrue(steps(again).isEmpty());
        assertEquals(train.stdoutLines().subList(0, 3), again.stdoutLines().subList(0, 3));
        assertEquals(afterSteps(train), again.stdoutLines().subList(3, again.stdoutLines().size()),
                "resuming a finished run only samples, the same samples");
        // ... and says so: it printed the samples as if it had trained.
        assertEquals(List.of("microgpt: the run in " + run + " is already complete (15 of 15 steps): nothing to train;"
                + " the samples come from its saved model. 'microgpt generate --model " + run + "' samples it; a"
                + " run cannot be extended (its learning rate decays to 0 at its last step): to train longer, start"
                + " a new run with a larger --steps"), again.stderrLines());
        String[] stop = {"train", "--resume", run, "--stop-after", "4", "--save", run};
        Cli.assertOneLineError(Cli.run(stop), 2, "--stop-after: no step of the run in " + run
                + " is left to stop after (it is complete, 15 of 15 steps done)", "microgpt train", stop);
    }

    @Test
    void aResumedRunReadsTheDataFileItWasTrainedOn() throws Exception {
        Path data = Files.writeString(dir.resolve("names.txt"), "anna\nbob\ncarla\ndora\neve\nfrida\n");
        String run = dir.resolve("data-run").toString();
        Cli.Result whole = Cli.run("train", "--data", data.toString(), "--steps", "10", "--samples", "3");
        Cli.run("train", "--data", data.toString(), "--steps", "10", "--samples", "3", "--stop-after", "4",
                "--save", run);
        Cli.Result resumed = Cli.run("train", "--resume", run, "--samples", "3");
        assertEquals(0, resumed.exitCode(), resumed.toString());
        assertEquals(steps(whole).subList(4, 10), steps(resumed));

        Path other = Files.writeString(dir.resolve("other.txt"), "anna\nbob\ncarla\ndora\neve\nfrido\n");
        Cli.Result mismatch = Cli.run("train", "--resume", run, "--data", other.toString());
        Cli.assertOneLineError(mismatch, 2, "the documents are not those the run was trained on", "microgpt train",
                "train", "--resume", run, "--data", other.toString());
        assertEquals("", mismatch.stdout());
    }

    @Test
    void saveEveryKeepsTheLastGoodStepWhenTheRunFails() throws Exception {
        Path data = Files.writeString(dir.resolve("two.txt"), "anna\nbob\n");
        String run = dir.resolve("periodic").toString();
        // A learning rate of 1e300 diverges at step 2; --save-every 1 saved step 1 before that.
        String[] args = {"train", "--data", data.toString(), "--lr", "1e300", "--steps", "50", "--save", run,
            "--save-every", "1"};
        Cli.Result result = Cli.run(args);
        Cli.assertOneLineError(result, 1, "training diverged at step 2", null, args);
        assertEquals(1, Checkpoint.load(Path.of(run)).training().orElseThrow().trainer().stepsDone());
    }

    @Test
    void mistakesAreOneLineUsageErrors() throws Exception {
        String run = dir.resolve("r").toString();
        Cli.run("train", "--steps", "6", "--stop-after", "3", "--save", run);
        for (String option : List.of("--steps", "--seed", "--lr", "--n-layer", "--n-embd", "--n-head", "--block-size")) {
            String value = option.equals("--lr") ? "0.02" : "2";
            String[] args = {"train", "--resume", run, option, value};
            Cli.assertOneLineError(Cli.run(args), 2, option + " cannot be combined with --resume", "microgpt train",
                    args);
        }
        assertUsage("--stop-after needs --save", "train", "--stop-after", "3");
        assertUsage("--save-every needs --save", "train", "--save-every", "3");
        assertUsage("--save-every must be at least 1, got 0", "train", "--save", run, "--save-every", "0");
        assertUsage("--stop-after must be after the steps already done and before the last step: from 1 to 9, got 10",
                "train", "--steps", "10", "--stop-after", "10", "--save", run);
        assertUsage("--stop-after: a run of 1 step has no step before its last to stop after (give --steps 2 or more)",
                "train", "--steps", "1", "--stop-after", "1", "--save", run);
        assertUsage("from 4 to 5, got 3", "train", "--resume", run, "--stop-after", "3", "--save", run);

        Path notes = Files.createDirectory(dir.resolve("notes"));
        Files.writeString(notes.resolve("todo.txt"), "keep me");
        Cli.Result refused = assertUsage("is not a checkpoint", "train", "--steps", "1", "--save", notes.toString());
        assertEquals("", refused.stdout(), "refused before training");
        assertEquals("keep me", Files.readString(notes.resolve("todo.txt")));

        assertUsage("cannot resume: " + dir.resolve("none") + ": no checkpoint here", "train", "--resume",
                dir.resolve("none").toString());
        Path modelOnly = dir.resolve("model-only");
        Tokenizer tokenizer = Tokenizer.ofCharacters("abcdefghijklmnopqrstuvwxyz");
        Checkpoint.save(modelOnly, GptModel.create(GptConfig.defaults(), tokenizer.vocabSize(), new PythonRandom(1)),
                tokenizer);
        assertUsage("holds a model without the training state", "train", "--resume", modelOnly.toString());

        Path model = Path.of(run, "model.safetensors");
        byte[] bytes = Files.readAllBytes(model);
        Files.write(model, java.util.Arrays.copyOf(bytes, bytes.length - 100));
        assertUsage("model.safetensors: truncated", "train", "--resume", run);
    }

    private static Cli.Result assertUsage(String cause, String... args) {
        Cli.Result result = Cli.run(args);
        Cli.assertOneLineError(result, 2, cause, "microgpt train", args);
        assertFalse(result.stdout().contains("step "), "no training: " + result.stdout());
        return result;
    }
}
