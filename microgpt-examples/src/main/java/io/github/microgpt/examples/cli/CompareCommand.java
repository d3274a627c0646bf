package io.github.microgpt.examples.cli;

import io.github.microgpt.checkpoint.Checkpoint;
import io.github.microgpt.checkpoint.CheckpointException;
import io.github.microgpt.checkpoint.DataFingerprint;
import io.github.microgpt.checkpoint.OptimizerState;
import io.github.microgpt.checkpoint.TrainingRun;
import io.github.microgpt.checkpoint.TrainingState;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code microgpt compare A B}: two saved runs side by side. It reads the loss of every step
 * from both checkpoints ({@code microgpt train --save} keeps them) and prints {@code identical}
 * when every loss of the one run equals the other's bit for bit, or else the first step where
 * they differ and by how much; then the settings in which the runs differ (the model, its
 * precision, the engine that computed it, the data, the optimizer and its schedule, the step
 * mode, the run's length). With {@code --plot FILE.svg} it draws both loss curves in one picture.
 *
 * <pre>
 * $ microgpt train --seed 1 --save run1 &gt; /dev/null
 * $ microgpt train --seed 2 --save run2 &gt; /dev/null
 * $ microgpt compare run1 run2
 * losses differ from step 1: run1 3.2958..., run2 3.3043... (run2 - run1 = +8.4e-03)
 * ...
 * </pre>
 *
 * <p>Comparing two runs that differ is a result, not an error: both outcomes exit with 0.
 */
@Command(name = "compare",
        mixinStandardHelpOptions = true,
        versionProvider = MicrogptCommand.Version.class,
        sortOptions = false,
        description = {
            "Compare two saved runs (directories written by 'microgpt train --save'): print 'identical' when "
                    + "every recorded loss is the same bit for bit, or else the first step that differs and by "
                    + "how much; then the settings that differ."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:The runs were compared, identical or not.",
            "1:The plot could not be written.",
            "2:Invalid usage or input: a directory that is missing or not a checkpoint, a checkpoint without "
                    + "training state or loss history, or a plot file whose name does not end in svg."})
public final class CompareCommand implements Callable<Integer> {

    @ParentCommand
    private MicrogptCommand parent;

    @Parameters(index = "0", paramLabel = "A", description = "The first run's checkpoint directory.")
    private Path first;

    @Parameters(index = "1", paramLabel = "B", description = "The second run's checkpoint directory.")
    private Path second;

    @Option(names = "--plot", paramLabel = "FILE.svg",
            description = "Also draw both loss curves, per step and smoothed, in one SVG file, written atomically.")
    private Path plot;

    /** Creates the command; picocli calls this and then sets the options. */
    public CompareCommand() {
    }

    /** One run as read from its checkpoint. */
    private record Run(String name, Checkpoint checkpoint, TrainingState state, double[] losses) {
    }

    /**
     * Compares the runs as described on the class.
     *
     * @return the exit code, 0
     * @throws UsageException if a checkpoint cannot be read or holds no loss history
     * @throws CommandFailedException if the plot cannot be written
     */
    @Override
    public Integer call() {
        if (plot != null) {
            String name = plot.getFileName() == null ? "" : plot.getFileName().toString().toLowerCase(Locale.ROOT);
            if (!name.endsWith(".svg")) {
                throw new UsageException("--plot: " + plot + " must end in .svg");
            }
            // Which of the two, by its name in the synopsis: the path alone does not say which run.
            TextFiles.checkNotInCheckpoint("--plot", plot, first, "checkpoint A (the first run's)");
            TextFiles.checkNotInCheckpoint("--plot", plot, second, "checkpoint B (the second run's)");
            TextFiles.checkWritable("--plot", plot);
        }
        Run a = read(first);
        Run b = read(second);
        LineOutput out = new LineOutput(parent.context().out());
        for (String line : compareLosses(a, b)) {
            out.line(line);
        }
        List<String> differences = settingDifferences(a, b);
        if (differences.isEmpty()) {
            out.line("settings: the same");
        } else {
            out.line("settings that differ:");
            for (String difference : differences) {
                out.line("  " + difference);
            }
        }
        out.flush();
        if (plot != null) {
            String svg = LossPlot.svg("microgpt compare: loss per step", List.of(
                    new LossPlot.Series(a.name(), 1, a.losses()), new LossPlot.Series(b.name(), 1, b.losses())),
                    a.checkpoint().tokenizer().vocabSize());
            try {
                TextFiles.writeAtomically(plot, svg);
            } catch (IOException e) {
                throw new CommandFailedException("cannot write the plot " + plot + ": " + e.getMessage(),
                        CommandFailedException.FAILED, e);
            }
        }
        return 0;
    }

    private static Run read(Path directory) {
        Checkpoint checkpoint;
        try {
            checkpoint = Checkpoint.load(directory);
        } catch (CheckpointException e) {
            throw new UsageException("cannot compare: " + e.getMessage(), e);
        }
        TrainingState state = checkpoint.training().orElseThrow(() -> new UsageException("cannot compare "
                + directory + ": it holds a model without the training state that 'microgpt train --save' writes"));
        double[] losses = state.losses();
        if (losses.length == 0) {
            throw new UsageException("cannot compare " + directory + ": it records no loss history (it has done no "
                    + "step, or was saved by a version that did not keep losses)");
        }
        // The name is printed on every line of the result (and drawn in the picture's key): a
        // directory named with an escape sequence or a line break reached the terminal as is.
        return new Run(Terminals.escapeControls(directory.toString()), checkpoint, state, losses);
    }

    /** {@code identical}, or where the losses part and by how much. */
    private static List<String> compareLosses(Run a, Run b) {
        double[] x = a.losses();
        double[] y = b.losses();
        int common = Math.min(x.length, y.length);
        for (int i = 0; i < common; i++) {
            if (Double.doubleToLongBits(x[i]) != Double.doubleToLongBits(y[i])) {
                return List.of(String.format(Locale.ROOT, "losses differ from step %d: %s %s, %s %s (%s - %s = %+.3e)",
                        i + 1, a.name(), repr(x[i]), b.name(), repr(y[i]), b.name(), a.name(), y[i] - x[i]),
                        String.format(Locale.ROOT, "mean loss of the last %d steps: %s %.4f, %s %.4f",
                                Math.min(100, common), a.name(), meanOfLast(x, 100), b.name(), meanOfLast(y, 100)));
            }
        }
        if (x.length == y.length) {
            return List.of("identical", "every one of the " + x.length + " losses is the same, bit for bit");
        }
        return List.of("the first " + common + " losses are identical, bit for bit; " + a.name() + " has "
                + x.length + " steps, " + b.name() + " " + y.length);
    }

    /** The shortest decimal that reads back as the same double, as Python's {@code repr}. */
    private static String repr(double v) {
        return Double.toString(v);
    }

    private static double meanOfLast(double[] losses, int count) {
        int from = Math.max(0, losses.length - count);
        double total = 0;
        for (int i = from; i < losses.length; i++) {
            total += losses[i];
        }
        return total / (losses.length - from);
    }

    /** Each setting the runs differ in, as {@code name: A vs B}. */
    private static List<String> settingDifferences(Run a, Run b) {
        List<String> out = new ArrayList<>();
        var ca = a.checkpoint().config();
        var cb = b.checkpoint().config();
        differ(out, "architecture", a.checkpoint().architecture().id(), b.checkpoint().architecture().id());
        // An f64 and an f32 run part at step 1; the precision is the setting that says why.
        differ(out, "precision", a.checkpoint().precision().id(), b.checkpoint().precision().id());
        // The value and the array engine compute the same numbers to rounding, not bit for bit:
        // runs of the same settings on the two part within a few steps, and this says why.
        differ(out, "engine", engine(a.state()), engine(b.state()));
        differ(out, "n_layer", ca.nLayer(), cb.nLayer());
        differ(out, "n_embd", ca.nEmbd(), cb.nEmbd());
        differ(out, "n_head", ca.nHead(), cb.nHead());
        differ(out, "block_size", ca.blockSize(), cb.blockSize());
        differ(out, "init_std", ca.initStd(), cb.initStd());
        differ(out, "vocabulary", a.checkpoint().tokenizer().characters(), b.checkpoint().tokenizer().characters());
        TrainingRun ra = a.state().run();
        TrainingRun rb = b.state().run();
        differ(out, "seed", ra == null ? "unknown" : ra.seed(), rb == null ? "unknown" : rb.seed());
        differ(out, "data", ra == null ? "unknown" : ra.data().name(), rb == null ? "unknown" : rb.data().name());
        DataFingerprint da = a.state().fingerprint();
        DataFingerprint db = b.state().fingerprint();
        if (!da.equals(db)) {
            out.add("documents in training order: " + da.documentCount() + " with sha256 " + da.sha256().substring(0, 12)
                    + "... vs " + db.documentCount() + " with sha256 " + db.sha256().substring(0, 12) + "...");
        }
        OptimizerState oa = a.state().optimizer();
        OptimizerState ob = b.state().optimizer();
        differ(out, "learning_rate", oa.settings().learningRate(), ob.settings().learningRate());
        differ(out, "beta1", oa.settings().beta1(), ob.settings().beta1());
        differ(out, "beta2", oa.settings().beta2(), ob.settings().beta2());
        differ(out, "eps", oa.settings().eps(), ob.settings().eps());
        // Two schedules of the user's own are both "custom": the class and the digest of their
        // rates (what the checkpoint keeps of them) tell them apart.
        differ(out, "schedule", schedule(oa), schedule(ob));
        differ(out, "step mode", stepMode(a.state()), stepMode(b.state()));
        differ(out, "steps", a.state().trainer().totalSteps(), b.state().trainer().totalSteps());
        differ(out, "steps done", a.state().trainer().stepsDone(), b.state().trainer().stepsDone());
        return out;
    }

    /** The schedule's name, and for a schedule of the user's own what the checkpoint keeps of it. */
    private static String schedule(OptimizerState optimizer) {
        String name = optimizer.scheduleName();
        return name.equals("custom") ? name + " " + optimizer.settings().schedule() : name;
    }

    /** The engines that computed a run, as 'train --save' records them, or "unknown" if it did not. */
    private static String engine(TrainingState state) {
        String engines = state.metadata().get(TrainCommand.ENGINE_KEY);
        return engines == null ? "unknown (not recorded)" : engines;
    }

    /** One document or one position per step, as the run recorded it. */
    private static String stepMode(TrainingState state) {
        return state.stepMode() == null ? "unknown" : state.stepMode().name().toLowerCase(Locale.ROOT);
    }

    /**
     * Adds a setting that differs. Its values come from the checkpoints' files, which anyone may
     * have written (a data name in trainer.json that held an escape sequence reached the terminal
     * as is), so their control characters are escaped.
     */
    private static void differ(List<String> out, String name, Object a, Object b) {
        if (!Objects.equals(a, b)) {
            out.add(name + ": " + Terminals.escapeControls(String.valueOf(a)) + " vs "
                    + Terminals.escapeControls(String.valueOf(b)));
        }
    }
}
