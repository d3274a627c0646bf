package io.github.microgpt.examples.cli;

import io.github.microgpt.checkpoint.Checkpoint;
import io.github.microgpt.checkpoint.CheckpointException;
import io.github.microgpt.checkpoint.LossHistory;
import io.github.microgpt.checkpoint.ResumedTraining;
import io.github.microgpt.checkpoint.SaveLock;
import io.github.microgpt.checkpoint.TrainingRun;
import io.github.microgpt.checkpoint.TrainingState;
import io.github.microgpt.internal.ValueGraphs;
import io.github.microgpt.model.Architecture;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.InvalidSettingException;
import io.github.microgpt.model.Engine;
import io.github.microgpt.model.Precision;
import io.github.microgpt.model.LanguageModel;
import io.github.microgpt.model.ParameterLayout;
import io.github.microgpt.optim.AdamOptimizer;
import io.github.microgpt.optim.AdamSettings;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.sample.NonFiniteLogitsException;
import io.github.microgpt.sample.Sampler;
import io.github.microgpt.text.DataSource;
import io.github.microgpt.text.Documents;
import io.github.microgpt.text.Tokenizer;
import io.github.microgpt.train.StepMode;
import io.github.microgpt.train.Trainer;
import io.github.microgpt.train.TrainingDivergedException;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.InvalidPathException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code microgpt train}: the whole of {@code microgpt.py}. It seeds CPython's random generator,
 * loads and shuffles the documents, builds the tokenizer and the model, trains one document per
 * step with Adam, then samples new names, printing what the Python prints, byte for byte:
 *
 * <pre>
 * num docs: 32033
 * vocab size: 27
 * num params: 4192
 * step    1 / 1000 | loss 3.3660
 * ...
 * step 1000 / 1000 | loss 2.6497
 *
 * --- inference (new, hallucinated names) ---
 * sample  1: kamon
 * ...
 * </pre>
 *
 * <p>Every draw comes from the one generator, in the Python's order (shuffle, initial weights,
 * samples), so the same seed and data give the same output as {@code microgpt.py}. A progress bar
 * is drawn on stderr when stderr is a terminal (see {@link ProgressMode}).
 *
 * <p>Checkpoints: {@code --save DIR} saves the model and the whole training state when the run
 * ends, stops ({@code --stop-after N}) or every {@code --save-every N} steps; {@code --resume DIR}
 * continues such a run from the step after the saved one. Stopping after step 500 and resuming
 * prints steps 501 to 1000 and the samples exactly as one uninterrupted run would: the step
 * lines of the two runs together are those of the uninterrupted run, bit for bit.
 */
@Command(name = "train",
        mixinStandardHelpOptions = true,
        versionProvider = MicrogptCommand.Version.class,
        sortOptions = false,
        description = {
            "Train a model (microgpt.py's GPT by default; see --model) on a list of documents (one per line), "
                    + "then generate new ones.",
            "With the defaults and --data names.txt it prints exactly what Karpathy's microgpt.py prints."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:Success.",
            "1:The run failed: training diverged (a loss became NaN or infinite; the message names "
                    + "the step and the document), memory ran out, or the checkpoint could not be written.",
            "2:Invalid usage or input: an unknown option, a missing or malformed value, a value out of "
                    + "range, a data file that is missing, unreadable, a directory, empty, not UTF-8 or too "
                    + "large (over 64 MiB or 2,097,152 non-blank lines), or a checkpoint that is missing, "
                    + "damaged or not of this data.",
            "130:Stopped by Ctrl-C (SIGINT; 143: by SIGTERM), as the JVM exits on a signal: 128 + its number. "
                    + "A stop does not save; with --save a line on stderr says what DIR holds.",
            "141:Stdout was closed by its reader (a pipe into head, say): the run stopped quietly, without "
                    + "saving."},
        footer = {
            "%nEnvironment:",
            "  MICROGPT_PROGRESS=auto|always|never",
            "      When to draw a progress bar (steps/s, time left) on stderr. auto, the",
            "      default, draws it only when stderr is a terminal (not TERM=dumb): a",
            "      redirected or piped stderr gets nothing but error messages.",
            "  JAVA_OPTS",
            "      Options for the JVM, read by the ./microgpt script (e.g. -Xmx2g).",
            "%nCheckpoints:",
            "  microgpt train --steps 1000 --stop-after 500 --save run1",
            "      trains steps 1-500 and saves the run in the directory run1;",
            "  microgpt train --resume run1 --save run1",
            "      trains steps 501-1000, exactly as one run would, saves, and samples;",
            "  microgpt generate --model run1",
            "      samples from the saved model.",
            "  A resumed run takes every setting from its checkpoint. Its documents are",
            "  read again from the data the run used (or --data), and checked against",
            "  a checksum saved with it.",
            "%nStdout is UTF-8, with \\n line endings on every platform."})
public final class TrainCommand implements Callable<Integer> {

    @ParentCommand
    private MicrogptCommand parent;

    @Spec
    private CommandSpec spec;

    // The fields of the options start at their defaults (picocli sets them again from the
    // annotations, to the same values), so that a command line read by plainCommandLine, without
    // picocli, has them too. PlainCommandLineTest holds the two to each other.

    @Option(names = "--data", paramLabel = "FILE",
            description = "UTF-8 text file, one document per line (blank lines are skipped). "
                    + "Default: the names embedded in the library.")
    private Path data;

    @Option(names = "--steps", paramLabel = "N", defaultValue = "1000",
            description = "Number of training steps, one document each; at least 1. Default: ${DEFAULT-VALUE}.")
    private int steps = 1000;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "42",
            description = "Seed of the random generator (CPython's; a negative seed acts as its absolute value). "
                    + "Default: ${DEFAULT-VALUE}.")
    private long seed = 42;

    @Option(names = "--temperature", paramLabel = "T", defaultValue = "0.5", converter = PositiveNumber.class,
            description = "Sampling temperature; positive and finite. Lower is safer, higher more varied. "
                    + "Default: ${DEFAULT-VALUE}.")
    private double temperature = 0.5;

    @Option(names = "--samples", paramLabel = "K", defaultValue = "20",
            description = "Number of names to generate after training; 0 (only train) to 1000000. "
                    + "Default: ${DEFAULT-VALUE}.")
    private int samples = 20;

    /**
     * The most samples {@code --samples} asks for, in {@code train} and {@code generate}: a million,
     * more names than any list of names holds. {@code generate} draws them from a GPT of the
     * default shape in about 80 seconds, {@code train} (on the value engine) in about 6 minutes
     * (200,000 and 50,000 of them took 15 and 19 s on a 2-vCPU Zen 5, 7 December 2026). Without a
     * bound, {@code --samples 2000000000} (a slip of the keyboard) streamed names for days; a user
     * who wants more runs {@code generate} again with another seed.
     */
    static final int MAX_SAMPLES = 1_000_000;

    @Option(names = "--n-layer", paramLabel = "L", defaultValue = "1",
            description = "Number of layers (transformer blocks; attention blocks for --model attention); at least 1. "
                    + "Default: ${DEFAULT-VALUE}. The bigram and mlp models have none and refuse it.")
    private int nLayer = 1;

    @Option(names = "--n-embd", paramLabel = "D", defaultValue = "16",
            description = "Embedding width; at least 1 and divisible by --n-head. Default: ${DEFAULT-VALUE}. "
                    + "The bigram model has no embeddings and refuses it.")
    private int nEmbd = 16;

    @Option(names = "--n-head", paramLabel = "H", defaultValue = "4",
            description = "Number of attention heads; at least 1, and it must divide --n-embd (the default 4 too: "
                    + "--n-embd 6 needs --n-head 1, 2, 3 or 6). Default: ${DEFAULT-VALUE}. The bigram and mlp models "
                    + "have no heads and refuse it.")
    private int nHead = 4;

    @Option(names = "--block-size", paramLabel = "B", defaultValue = "16",
            description = "Longest context in tokens; at least 1 (longer documents are cut). "
                    + "Default: ${DEFAULT-VALUE}.")
    private int blockSize = 16;

    @Option(names = "--lr", paramLabel = "RATE", defaultValue = "0.01", converter = PositiveNumber.class,
            description = "Adam's learning rate, decayed linearly to 0; positive and finite. "
                    + "Default: ${DEFAULT-VALUE}.")
    private double learningRate = 0.01;

    @Option(names = "--save", paramLabel = "DIR",
            description = "Save a checkpoint in DIR when training ends or stops (--stop-after): the model (for "
                    + "'microgpt generate') and the training state (for --resume). DIR is created, or replaced "
                    + "atomically if it holds a checkpoint. Ctrl-C or a signal does not save (DIR keeps what it "
                    + "held, and a line on stderr says what that is); --save-every saves as the run goes.")
    private Path save;

    /** Held by every save into --save's directory, so that a stop's report waits for one under way. */
    private final ReentrantLock saving = new ReentrantLock();
    /** The step of the last save this run made into --save's directory; 0 before the first. */
    private volatile int lastSaved;
    /** Whether a stop of the run has been reported (a signal and a closed stdout may come together). */
    private final AtomicBoolean stopReported = new AtomicBoolean();
    /** A resumed run's learning rate, which its checkpoint fixes; null for a new run. */
    private Double resumedLearningRate;

    @Option(names = "--resume", paramLabel = "DIR",
            description = "Continue the run saved in DIR from the step after the last one done. The model, "
                    + "optimizer, seed and number of steps come from the checkpoint, so --steps, --seed, --lr and "
                    + "the model options cannot be given.")
    private Path resume;

    @Option(names = "--stop-after", paramLabel = "N",
            description = "Stop after step N of the run (below the total), without sampling; needs --save, "
                    + "so that the run can go on with --resume.")
    private Integer stopAfter;

    @Option(names = "--save-every", paramLabel = "N",
            description = "With --save, also save after every N steps, so that a crash loses at most N steps.")
    private Integer saveEvery;

    @Option(names = "--engine", paramLabel = "NAME", defaultValue = "value",
            description = "What computes the model: value (the scalar autograd graph of microgpt.py) or array "
                    + "(flat arrays, 8 to 19 times the steps a second by bench; the same forward pass, gradients equal to rounding). "
                    + "Default: ${DEFAULT-VALUE}.")
    private String engineName = "value";

    @Option(names = "--precision", paramLabel = "P", defaultValue = "f64",
            description = "The array engine's precision: f64 (exact: the output is microgpt.py's) or f32 (floats: "
                    + "faster at large sizes, not exact, so its output is not checked against the golden output; "
                    + "its losses may differ in the last digits). "
                    + "f32 needs --engine array; a resumed run keeps its checkpoint's. Default: ${DEFAULT-VALUE}.")
    private String precisionName = "f64";

    @Option(names = "--model", paramLabel = "NAME", defaultValue = "gpt",
            description = "Which model of the progression to train: bigram (a table of logits), mlp (embeddings of "
                    + "the last 3 tokens, one hidden layer), attention (the gpt's attention, no MLP) or gpt "
                    + "(microgpt.py's). Models other than gpt use the value engine; all can be saved and resumed. "
                    + "A model refuses the shape options it has no part for (bigram --n-embd, --n-head and --n-layer; "
                    + "mlp --n-head and --n-layer) rather than ignore them. Default: ${DEFAULT-VALUE}.")
    private String modelName = "gpt";

    @Option(names = "--plot", paramLabel = "FILE.svg",
            description = "When training ends or stops, write the loss curve of the steps trained to this SVG file, "
                    + "atomically: the loss per step and smoothed, with the loss of a uniform guess, -log(1/V).")
    private Path plot;

    /** Options that fix the run; a resumed run takes them from its checkpoint. */
    private static final List<String> RUN_OPTIONS = List.of("--steps", "--seed", "--lr", "--n-layer", "--n-embd",
            "--n-head", "--block-size", "--model", "--precision");

    /**
     * The options given, when the command line was read by {@link #plainCommandLine} rather than
     * by picocli (whose parse result says it otherwise); null under picocli.
     */
    private Set<String> givenOptions;

    /** Creates the command; picocli calls this and then sets the options. */
    public TrainCommand() {
    }

    /**
     * Reads a command line of plain options without picocli: {@code train} followed only by
     * options of this command that take a value, each at most once, as {@code --name value} or
     * {@code --name=value}, each value a plain one (a decimal number without sign or leading
     * zero where a number is expected; no value that is empty, starts with '-' or '@' or holds
     * '='). That is how almost every run is started, and it then costs a millisecond instead of
     * the 0.1 s or so that picocli takes to build its model of the command and read the line
     * (about 0.1 s with the annotations, 75-90 ms even when the model is built in code with
     * picocli's {@code CommandSpec} API), before a run of a second or so. Anything else (help, a mistake, a negative seed, a
     * value that starts with '@', which picocli reads as it is, argument files being off) is picocli's, and so is every
     * message: the result is null.
     *
     * @param args the whole command line, {@code train} first
     * @param parent the top command, for the context
     * @return the command with its options set as picocli would set them, or null
     */
    static TrainCommand plainCommandLine(String[] args, MicrogptCommand parent) {
        if (args.length == 0 || !"train".equals(args[0])) {
            return null;
        }
        TrainCommand command = new TrainCommand();
        Set<String> given = new HashSet<>();
        for (int i = 1; i < args.length; i++) {
            String name = args[i];
            String value;
            int equals = name.indexOf('=');
            if (equals >= 0) {
                value = name.substring(equals + 1);
                name = name.substring(0, equals);
            } else if (i + 1 < args.length) {
                value = args[++i];
            } else {
                return null;
            }
            if (!name.startsWith("--") || value.isEmpty() || value.startsWith("-") || value.startsWith("@")
                    || value.indexOf('=') >= 0 || !given.add(name) || !command.setPlain(name, value)) {
                return null;
            }
        }
        command.parent = parent;
        command.givenOptions = given;
        return command;
    }

    /** Sets the option {@code name} from a plain value; false if it is not such an option or value. */
    private boolean setPlain(String name, String value) {
        switch (name) {
            case "--data", "--save", "--resume", "--plot" -> {
                Path path = plainPath(value);
                if (path == null) {
                    return false;
                }
                switch (name) {
                    case "--data" -> data = path;
                    case "--save" -> save = path;
                    case "--resume" -> resume = path;
                    default -> plot = path;
                }
            }
            case "--engine" -> engineName = value;
            case "--precision" -> precisionName = value;
            case "--model" -> modelName = value;
            case "--temperature", "--lr" -> {
                if (!isPlainDecimal(value)) {
                    return false;
                }
                double number;
                try {
                    number = PositiveNumber.parse(value);
                } catch (CommandLine.TypeConversionException e) {
                    return false; // beyond a double's range: picocli reads it again and says so
                }
                if (!(number > 0)) {
                    return false; // 0: picocli reads it again and keeps the text, which the refusal quotes
                }
                if (name.equals("--lr")) {
                    learningRate = number;
                } else {
                    temperature = number;
                }
            }
            case "--seed" -> {
                if (!isPlainInteger(value, 18)) {
                    return false;
                }
                seed = Long.parseLong(value);
            }
            case "--steps", "--samples", "--n-layer", "--n-embd", "--n-head", "--block-size", "--stop-after",
                    "--save-every" -> {
                if (!isPlainInteger(value, 9)) {
                    return false;
                }
                int number = Integer.parseInt(value);
                switch (name) {
                    case "--steps" -> steps = number;
                    case "--samples" -> samples = number;
                    case "--n-layer" -> nLayer = number;
                    case "--n-embd" -> nEmbd = number;
                    case "--n-head" -> nHead = number;
                    case "--block-size" -> blockSize = number;
                    case "--stop-after" -> stopAfter = number;
                    default -> saveEvery = number;
                }
            }
            default -> {
                return false;
            }
        }
        return true;
    }

    /** A file name as {@link MicrogptCommand}'s converter reads it, or null for one it would refuse. */
    private static Path plainPath(String name) {
        try {
            return Path.of(name);
        } catch (InvalidPathException e) {
            return null;
        }
    }

    /** Digits without sign or leading zero, at most {@code maxDigits}: every reader of numbers agrees on them. */
    private static boolean isPlainInteger(String value, int maxDigits) {
        if (value.length() > maxDigits || value.length() > 1 && value.charAt(0) == '0') {
            return false;
        }
        for (int i = 0; i < value.length(); i++) {
            if (value.charAt(i) < '0' || value.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    /**
     * Digits without a leading zero, optionally a point and digits, optionally an exponent of at most
     * 3 digits: {@code 0.01}, {@code 5e-3}; a part of {@link NumberGrammar#isNumber}.
     */
    private static boolean isPlainDecimal(String value) {
        int i = digits(value, 0);
        // No leading zero (NumberGrammar): 007 is left to picocli, which refuses it.
        if (i == 0 || i > 1 && value.charAt(0) == '0') {
            return false;
        }
        if (i < value.length() && value.charAt(i) == '.') {
            int end = digits(value, i + 1);
            if (end == i + 1) {
                return false;
            }
            i = end;
        }
        if (i < value.length() && (value.charAt(i) == 'e' || value.charAt(i) == 'E')) {
            i++;
            if (i < value.length() && (value.charAt(i) == '-' || value.charAt(i) == '+')) {
                i++;
            }
            int end = digits(value, i);
            if (end == i || end - i > 3) {
                return false;
            }
            i = end;
        }
        return i == value.length();
    }

    private static int digits(String value, int from) {
        int i = from;
        while (i < value.length() && value.charAt(i) >= '0' && value.charAt(i) <= '9') {
            i++;
        }
        return i;
    }

    /** Whether an option was given on the command line (rather than left at its default). */
    private boolean given(String option) {
        return givenOptions != null ? givenOptions.contains(option)
                : spec.commandLine().getParseResult().hasMatchedOption(option);
    }

    /**
     * Trains and samples as described on the class.
     *
     * @return the exit code, 0
     * @throws UsageException if an option is out of range or the data file cannot be used
     * @throws io.github.microgpt.train.TrainingDivergedException if a loss becomes NaN or infinite
     * @throws CommandFailedException if memory runs out or stdout cannot be written
     */
    @Override
    @SuppressWarnings("try")   // the save lock is held through the run, which need not name it
    public Integer call() {
        CliContext context = parent.context();
        validate();
        refuseShapeOptionsWithoutEffect(architecture());  // after validate's checks, which say more of --n-head
        ProgressMode progressMode = ProgressMode.fromEnvironment(context);
        try (SaveLock lock = save == null ? null : lockSaveTarget()) {
            run(context, progressMode.enabled(context));
        } catch (OutOfMemoryError e) {
            throw new CommandFailedException("out of memory: the model or the data is too large for the Java heap "
                    + "(give the JVM more, for example JAVA_OPTS=-Xmx4g, or choose a smaller model)",
                    CommandFailedException.FAILED, e);
        }
        return 0;
    }

    /** A run ready to train: from scratch, or rebuilt from a checkpoint, with its losses recorded. */
    private record Run(PythonRandom random, Tokenizer tokenizer, LanguageModel model, Trainer trainer,
                       TrainingRun recipe, LossHistory losses) {
    }

    /**
     * Takes the lock of the --save directory for the whole run, so that a second 'train' saving
     * there is told at its start, not after its run.
     */
    private SaveLock lockSaveTarget() {
        try {
            return SaveLock.acquire(save);
        } catch (IOException e) {
            throw new UsageException("--save: " + e.getMessage(), e);
        }
    }

    private void run(CliContext context, boolean showProgress) {
        LineOutput out = new LineOutput(context.out());
        Run run = resume == null ? newRun(out) : resumedRun(out);
        Trainer trainer = run.trainer();
        int firstStep = trainer.stepsDone();
        if (firstStep == trainer.totalSteps()) {
            // Only a resumed run can be complete before it starts: it trained 0 steps and printed
            // the samples again without a word, as if it had trained.
            context.err().println("microgpt: the run in " + resume + " is already complete (" + firstStep + " of "
                    + firstStep + " steps): nothing to train" + (samples > 0 ? "; the samples come from its saved model"
                            : "") + ". 'microgpt generate --model " + resume + "' samples it; a run cannot be"
                    + " extended (its learning rate decays to 0 at its last step): to train longer, start a new run"
                    + " with a larger --steps");
            context.err().flush();
        }
        int lastStep = stopAfter == null ? trainer.totalSteps() : stopAfter;

        ProgressBar progress = showProgress && lastStep > firstStep
                ? new ProgressBar(context.err(), "training", lastStep - firstStep,
                        context.outputSharesTerminalWithErr(), ProgressBar.columns(context), System::nanoTime)
                : null;
        // With --save, Ctrl-C or a signal says what the directory holds: a stop does not save.
        Thread stopReport = save == null ? null
                : new Thread(() -> reportStop(context, trainer, progress, "Ctrl-C or a signal"), "microgpt-stop-report");
        if (stopReport != null) {
            Runtime.getRuntime().addShutdownHook(stopReport);
        }
        try {
            trainSaveAndSample(context, out, run, progress, firstStep, lastStep);
        } catch (CommandFailedException e) {
            if (save != null && e.exitCode() == CommandFailedException.BROKEN_PIPE) {
                // The reader of stdout has gone (a pipe's end closed): the run stops, quietly on
                // stdout, and as a stop it does not save; stderr says what the directory holds.
                reportStop(context, trainer, progress, "stdout was closed by its reader");
            }
            throw e;
        } finally {
            if (stopReport != null) {
                try {
                    Runtime.getRuntime().removeShutdownHook(stopReport);
                } catch (IllegalStateException shuttingDown) {
                    // The hook is running or has run: it reports.
                }
            }
        }
    }

    /**
     * The line a stop (Ctrl-C, a signal) of a run with {@code --save} leaves on stderr, from a
     * shutdown hook: the step reached, and what the directory holds, since a stop does not save.
     * A save under way is waited for first (the checkpoint's own hook lets it finish, or gives it
     * up and deletes what it wrote), so that the line says what is there. Only the first stop
     * reports (a signal and a closed stdout may come together).
     */
    private void reportStop(CliContext context, Trainer trainer, ProgressBar progress, String cause) {
        if (!stopReported.compareAndSet(false, true)) {
            return;
        }
        boolean waited = false;
        try {
            waited = saving.tryLock(15, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            if (progress != null) {
                progress.close();
            }
            int saved = lastSaved;
            String holds = saved > 0 ? save + " holds the save of step " + saved
                    + (saved < trainer.totalSteps() ? " (go on with --resume " + save + ")" : "")
                    : "a stop does not save, so this run is not in " + save + (Files.exists(save)
                            ? ", which holds what it held before" : "") + (saveEvery == null
                            ? " (--save-every N saves as the run goes)" : "");
            context.err().println("microgpt: stopped (" + cause + ") after step " + trainer.stepsDone() + " of "
                    + trainer.totalSteps() + "; " + holds);
            context.err().flush();
        } finally {
            if (waited) {
                saving.unlock();
            }
        }
    }

    /** Trains from {@code firstStep} to {@code lastStep}, saves (with --save), plots and samples. */
    private void trainSaveAndSample(CliContext context, LineOutput out, Run run, ProgressBar progress, int firstStep,
            int lastStep) {
        Trainer trainer = run.trainer();
        int stepWidth = 4;
        trainer.addStepListener(event -> {
            if (progress != null) {
                progress.beforeOutput();
            }
            out.line("step " + PythonFormat.rightAligned(event.step(), stepWidth) + " / "
                    + PythonFormat.rightAligned(event.totalSteps(), stepWidth)
                    + " | loss " + PythonFormat.fourDecimals(event.loss()));
            out.flush();
            if (progress != null) {
                progress.update(event.step() - firstStep);
            }
        });
        List<Double> losses = new ArrayList<>();
        if (plot != null) {
            trainer.addStepListener(event -> losses.add(event.loss()));
        }
        Runnable train = () -> train(context, run, lastStep);
        if (progress == null) {
            train.run();
        } else {
            // On Ctrl-C the JVM runs shutdown hooks: erase the bar so the prompt starts on a clean line.
            Thread eraseOnExit = new Thread(progress::close, "microgpt-progress-eraser");
            Runtime.getRuntime().addShutdownHook(eraseOnExit);
            progress.start();
            try {
                train.run();
            } finally {
                progress.close();
                try {
                    Runtime.getRuntime().removeShutdownHook(eraseOnExit);
                } catch (IllegalStateException shuttingDown) {
                    // The hook is running or has run; nothing left to undo.
                }
            }
        }

        // Saved before sampling draws from the generator, so that 'generate' continues where
        // training left it. A final save that fails does not take the samples of a finished run
        // with it: they are printed, and then the failure is reported.
        CommandFailedException saveFailure = save == null ? null : trySave(run, state(run));
        if (plot != null) {
            // A resumed run whose checkpoint kept its losses is drawn from step 1.
            double[] history = run.losses().losses();
            if (history.length == trainer.stepsDone()) {
                writePlot(history, 1, run.model());
            } else {
                writePlot(losses.stream().mapToDouble(Double::doubleValue).toArray(), firstStep + 1,
                        run.model());
            }
        }
        if (trainer.stepsDone() < trainer.totalSteps()) {
            if (saveFailure != null) {
                throw saveFailure;
            }
            return;  // stopped early: the samples come when the run is complete
        }

        if (samples == 0) {
            out.flush();  // --samples 0 only trains: no inference section, not even its header
            if (saveFailure != null) {
                throw saveFailure;
            }
            return;
        }
        out.line("");
        out.line("--- inference (new, hallucinated names) ---");
        Sampler sampler = new Sampler(run.model(), run.tokenizer(), run.random());
        for (int i = 1; i <= samples; i++) {
            String sample = finalSample(sampler, temperature, trainer.stepsDone(), divergenceAdvice());
            // A sample is made of the data's characters, which may reorder or break the line (see GenerateCommand).
            out.line("sample " + PythonFormat.rightAligned(i, 2) + ": " + Terminals.escapeControls(sample));
            out.flush();
        }
        out.flush();
        if (saveFailure != null) {
            throw saveFailure;
        }
    }

    /**
     * Draws one of the samples printed after training. Logits that are not finite
     * ({@link NonFiniteLogitsException}) mean that the last step's update made the weights so large
     * that a sum of them overflows: a divergence that no loss showed (the update comes after the
     * step's loss), the --lr's doing rather than a bug, and reported as the other divergences are.
     * Any other exception is not a divergence and goes on as what it is (an internal error, with
     * its type), rather than sending the user to lower a learning rate that has nothing to do
     * with it.
     *
     * @param stepsDone the steps trained, for the message
     * @throws CommandFailedException if the logits are not finite
     */
    static String finalSample(Sampler sampler, double temperature, int stepsDone) {
        return finalSample(sampler, temperature, stepsDone, NEW_RUN_ADVICE);
    }

    /**
     * {@link #finalSample(Sampler, double, int)} with the advice that ends a divergence's message.
     *
     * @param advice what may help, as {@link #divergenceAdvice()} words it
     */
    static String finalSample(Sampler sampler, double temperature, int stepsDone, String advice) {
        try {
            return sampler.sample(temperature);
        } catch (NonFiniteLogitsException e) {
            throw new CommandFailedException("training diverged at its last step (" + stepsDone + "): "
                    + e.getMessage() + "; " + advice, CommandFailedException.FAILED, e);
        }
    }

    /** What may keep a new run from diverging: the words {@link MicrogptCommand} ends a divergence with. */
    static final String NEW_RUN_ADVICE = "a smaller --lr may help";

    /**
     * What may keep this run from diverging. A resumed run's learning rate is its checkpoint's, and
     * {@code --lr} cannot be combined with {@code --resume}: "a smaller --lr" alone sent the user
     * to a command line that is refused.
     */
    private String divergenceAdvice() {
        return resumedLearningRate == null ? NEW_RUN_ADVICE : "its learning rate, " + resumedLearningRate
                + ", is the checkpoint's, which --resume keeps: a new run with a smaller --lr may help";
    }

    /** Seeds, loads and shuffles the documents, builds the model: {@code microgpt.py}'s start. */
    private Run newRun(LineOutput out) {
        PythonRandom random = new PythonRandom(seed);
        List<String> docs = new ArrayList<>(loadDocuments(data));
        random.shuffle(docs);
        out.line("num docs: " + docs.size());

        Tokenizer tokenizer = Tokenizer.fromDocuments(docs);
        out.line("vocab size: " + tokenizer.vocabSize());

        GptConfig config = new GptConfig(nLayer, nEmbd, heads(), blockSize, GptConfig.defaults().initStd());
        Architecture architecture = architecture();
        checkModelSize(architecture, config, tokenizer.vocabSize());
        checkMemory(architecture, config, tokenizer.vocabSize(), docs, precision(), steps);
        checkSavable(tokenizer);
        LanguageModel model = architecture == Architecture.GPT
                ? engine().create(config, tokenizer.vocabSize(), random, precision())
                : architecture.create(config, tokenizer.vocabSize(), random);
        engines = engineFor(architecture);
        out.line("num params: " + model.numParameters());
        out.flush();

        AdamOptimizer optimizer = new AdamOptimizer(model.numParameters(),
                AdamSettings.defaults().withLearningRate(learningRate));
        Trainer trainer = new Trainer(model, tokenizer, docs, optimizer, steps);
        TrainingRun recipe = new TrainingRun(seed, data == null ? DataSource.embedded() : DataSource.file(data));
        return new Run(random, tokenizer, model, trainer, recipe, LossHistory.recording(trainer));
    }

    /** With --save, a vocabulary a checkpoint cannot hold is refused before the first step, not after the last. */
    private void checkSavable(Tokenizer tokenizer) {
        if (save == null) {
            return;
        }
        try {
            Checkpoint.checkVocabulary(tokenizer);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--save: the data cannot be saved in a checkpoint: " + e.getMessage()
                    + (data == null ? "" : " (" + data + ")"), e);
        }
    }

    /**
     * Rebuilds a saved run: loads the checkpoint, loads the documents it was trained on (or
     * those of {@code --data}) and shuffles them with its seed, and checks them against it.
     */
    private Run resumedRun(LineOutput out) {
        Checkpoint checkpoint;
        try {
            checkpoint = Checkpoint.load(resume);
        } catch (CheckpointException e) {
            throw new UsageException("cannot resume: " + e.getMessage() + DataFiles.missingNameNote(resume, "; "), e);
        }
        if (checkpoint.architecture() != Architecture.GPT
                && given("--engine") && engine() != Engine.VALUE) {
            throw new UsageException("--engine " + engine().id() + " computes the gpt model, but " + resume
                    + " holds a " + checkpoint.architecture().id() + " model, which runs on the value engine only");
        }
        TrainingState state = checkpoint.training().orElseThrow(() -> new UsageException("cannot resume from "
                + resume + ": it holds a model without the training state that 'microgpt train --save' writes"));
        if (state.stepMode() != null && state.stepMode() != StepMode.DOCUMENT) {
            throw new UsageException("cannot resume from " + resume + ": it was trained one "
                    + state.stepMode().name().toLowerCase(Locale.ROOT) + " per step, and 'train' trains one "
                    + "document per step");
        }
        TrainingRun saved = state.run();
        if (saved == null) {
            throw new UsageException("cannot resume from " + resume
                    + ": its trainer.json does not record the seed the documents were shuffled with");
        }
        DataSource source = data != null ? DataSource.file(data) : saved.data();
        if (source.kind() == DataSource.Kind.IN_MEMORY) {
            throw new UsageException("cannot resume from " + resume + ": it was trained on documents given to the "
                    + "simulator (\"" + source.name() + "\"); give the same documents as a file with --data");
        }
        if (plot != null) {
            checkPlotIsNotTheData(source.file().orElse(null));
        }
        resumedLearningRate = state.optimizer().settings().learningRate();
        TrainingRun recipe = new TrainingRun(saved.seed(), source);
        List<String> docs = recipe.trainingOrder(loadDocuments(source.file().orElse(null)));
        checkMemory(checkpoint.architecture(), checkpoint.config(), checkpoint.tokenizer().vocabSize(), docs,
                engine() == Engine.ARRAY ? checkpoint.precision() : Precision.F64, state.trainer().totalSteps());
        ResumedTraining resumed;
        try {
            // The weights come from the checkpoint; the random source only fills a model about to be overwritten.
            resumed = checkpoint.resumeWith(checkpoint.architecture() == Architecture.GPT
                    ? engine().create(checkpoint.config(), checkpoint.tokenizer().vocabSize(), new PythonRandom(0),
                            engine() == Engine.ARRAY ? checkpoint.precision() : Precision.F64)
                    : checkpoint.model(), docs);
        } catch (CheckpointException e) {
            throw new UsageException("cannot resume from " + resume + ": " + e.problem()
                    + (source.kind() == DataSource.Kind.EMBEDDED ? " (the embedded names)" : " (" + source.name() + ")"),
                    e);
        }
        checkStopAfter(resumed.trainer().stepsDone(), resumed.trainer().totalSteps());
        // The engines of the saved part of the run, then this one's (unless it is the same).
        String before = state.metadata().get(ENGINE_KEY);
        String now = engineFor(checkpoint.architecture());
        engines = before == null || before.isBlank() ? now
                : before.equals(now) || before.endsWith(", then " + now) ? before : before + ", then " + now;
        out.line("num docs: " + docs.size());
        out.line("vocab size: " + resumed.tokenizer().vocabSize());
        out.line("num params: " + resumed.model().numParameters());
        out.flush();
        PythonRandom random = resumed.random() != null ? resumed.random() : new PythonRandom(saved.seed());
        return new Run(random, resumed.tokenizer(), resumed.model(), resumed.trainer(), recipe, resumed.lossHistory());
    }

    /**
     * Trains one document per step up to step {@code lastStep}, saving every {@code --save-every}
     * steps (the save at the end is the caller's). A periodic save that fails is reported on
     * stderr and training goes on: the final save tries again, and says so if it fails too.
     */
    private void train(CliContext context, Run run, int lastStep) {
        Trainer trainer = run.trainer();
        while (trainer.stepsDone() < lastStep) {
            try {
                trainer.step(StepMode.DOCUMENT);
            } catch (TrainingDivergedException e) {
                if (resumedLearningRate == null) {
                    throw e;  // MicrogptCommand adds NEW_RUN_ADVICE
                }
                throw new CommandFailedException(e.getMessage() + "; " + divergenceAdvice(),
                        CommandFailedException.FAILED, e);
            }
            if (saveEvery != null && trainer.stepsDone() % saveEvery == 0 && trainer.stepsDone() < lastStep) {
                try {
                    save(run, state(run));
                } catch (IOException e) {
                    if (jvmStopping()) {
                        // Ctrl-C or a signal: the save under way was let finish, and no new one
                        // begins; the stop's hook (reportStop) says what the directory holds, and
                        // the JVM halts when the hooks are done.
                        waitForTheHalt();
                    }
                    context.err().println("microgpt: warning: could not save step " + trainer.stepsDone() + " in "
                            + save + ": " + describeSaveFailure(e) + "; training goes on");
                    context.err().flush();
                }
            }
        }
    }

    /**
     * Whether the JVM has begun to stop (Ctrl-C, a signal): it then takes no new shutdown hook.
     * Its threads run on while the hooks run, so a training loop can see a save refused then.
     */
    static boolean jvmStopping() {
        Thread probe = new Thread(() -> { }, "microgpt-stop-probe");
        try {
            Runtime.getRuntime().addShutdownHook(probe);
            Runtime.getRuntime().removeShutdownHook(probe);
            return false;
        } catch (IllegalStateException stopping) {
            return true;
        }
    }

    /** Everything --resume needs: the trainer and optimizer, the generator, the run's seed and data, the losses. */
    private TrainingState state(Run run) {
        return TrainingState.capture(run.trainer(), run.random(), StepMode.DOCUMENT, Map.of(ENGINE_KEY, engines),
                run.recipe(), run.losses().losses());
    }

    /**
     * The checkpoint metadata of the engines that computed a run, in order: {@code "value"},
     * {@code "array"}, or for a run resumed on another engine {@code "value, then array"}. The
     * engines compute the same numbers to rounding, not bit for bit, so that 'compare' can say why
     * two runs of the same settings part. A checkpoint written before it was recorded has none.
     */
    static final String ENGINE_KEY = "engine";

    /** What {@link #ENGINE_KEY} records for this run: set when the run is built. */
    private String engines = "";

    /** The engine that computes a model of this architecture here: the array engine computes only the GPT. */
    private String engineFor(Architecture architecture) {
        return architecture == Architecture.GPT ? engine().id() : Engine.VALUE.id();
    }

    /**
     * Saves the run in --save's directory, holding {@link #saving} so that a stop's report waits
     * for it, and records the step saved.
     */
    private void save(Run run, TrainingState state) throws IOException {
        saving.lock();
        try {
            Checkpoint.save(save, run.model(), run.tokenizer(), state);
            lastSaved = state.trainer().stepsDone();
        } finally {
            saving.unlock();
        }
    }

    /** Waits, on a thread the stopping JVM will halt, for the halt: the shutdown hooks report. */
    private static void waitForTheHalt() {
        while (true) {
            try {
                Thread.sleep(Long.MAX_VALUE);
            } catch (InterruptedException e) {
                // Only the halt ends this thread.
            }
        }
    }

    /** Saves the run; a failure is returned, to be reported when the run's output is complete. */
    private CommandFailedException trySave(Run run, TrainingState state) {
        try {
            save(run, state);
            return null;
        } catch (IOException e) {
            return new CommandFailedException("the run " + (state.trainer().stepsDone() == state.trainer().totalSteps()
                    ? "finished" : "stopped after step " + state.trainer().stepsDone()) + " but could not be saved in "
                    + save + ": " + describeSaveFailure(e), CommandFailedException.FAILED, e);
        }
    }

    /** The cause of a failed save in words: the checkpoint's problem, or the file system's reason. */
    static String describeSaveFailure(IOException e) {
        if (e instanceof CheckpointException checkpoint) {
            return checkpoint.problem();
        }
        if (e instanceof AccessDeniedException denied) {
            return "permission denied (" + denied.getFile() + ")";
        }
        if (e instanceof FileSystemException fs && fs.getReason() != null) {
            return fs.getReason() + " (" + fs.getFile() + ")";
        }
        return String.valueOf(e.getMessage());
    }

    private void checkStopAfter(int stepsDone, int totalSteps) {
        if (stopAfter != null && stepsDone == 0 && totalSteps == 1) {
            // "from 1 to 0" named a range that does not exist, as for a resumed run below.
            throw new UsageException("--stop-after: a run of 1 step has no step before its last to stop after"
                    + " (give --steps 2 or more)");
        }
        if (stopAfter != null && stepsDone > 0 && stepsDone >= totalSteps - 1) {
            // "from 1001 to 999" named a range that does not exist.
            throw new UsageException("--stop-after: no step of the run in " + resume + " is left to stop after ("
                    + (stepsDone == totalSteps ? "it is complete, " : "only its last step is left, ") + stepsDone
                    + " of " + totalSteps + " steps done)");
        }
        if (stopAfter != null && (stopAfter <= stepsDone || stopAfter >= totalSteps)) {
            throw new UsageException("--stop-after must be after the steps already done and before the last step: "
                    + "from " + (stepsDone + 1) + " to " + (totalSteps - 1) + ", got " + stopAfter);
        }
    }

    /** Checks the options that picocli's types do not, naming the option in the message. */
    private Engine engine() {
        try {
            return Engine.fromId(engineName);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--engine: " + e.getMessage(), e);
        }
    }

    /** The precision of {@code --precision}. */
    private Precision precision() {
        try {
            return Precision.fromId(precisionName);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--precision: " + e.getMessage(), e);
        }
    }

    /** The model of {@code --model}. */
    private Architecture architecture() {
        try {
            return Architecture.fromId(modelName);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--model: " + e.getMessage(), e);
        }
    }

    /** Writes the loss curve of {@code --plot}; a failure leaves an earlier file intact. */
    private void writePlot(double[] values, int firstStep, LanguageModel model) {
        int vocabSize = model.vocabSize();
        String id = Architecture.of(model).orElseThrow().id();  // a resumed run's model comes from its checkpoint
        if (values.length == 0) {
            return;
        }
        String title = "microgpt train --model " + id + ": loss per step";
        try {
            TextFiles.writeAtomically(plot, LossPlot.svg(title,
                    List.of(new LossPlot.Series(id, firstStep, values)), vocabSize));
        } catch (IOException e) {
            throw new CommandFailedException("cannot write the plot " + plot + ": " + e.getMessage(),
                    CommandFailedException.FAILED, e);
        }
    }

    /**
     * Refuses a {@code --plot} that names the data file: the picture would replace the documents
     * when the run ends (both may end in .svg, or be one file under two names), and the data
     * could not be read again to resume the run.
     */
    private void checkPlotIsNotTheData(Path dataFile) {
        if (dataFile != null && TextFiles.sameFile(plot, dataFile)) {
            throw new UsageException("--plot: " + plot + " is the data file " + dataFile
                    + "; the picture would replace the documents: choose another name");
        }
    }

    private void validate() {
        engine();
        if (precision() != Precision.F64 && engine() != Engine.ARRAY) {
            throw new UsageException("--precision " + precision().id() + " needs --engine array: the "
                    + engine().id() + " engine computes in f64 only");
        }
        Architecture architecture = architecture();
        if (architecture != Architecture.GPT) {
            if (given("--engine") && engine() != Engine.VALUE) {
                throw new UsageException("--model " + architecture.id() + " runs on the value engine only; "
                        + "--engine " + engine().id() + " computes the gpt model");
            }
        }
        if (plot != null) {
            String name = plot.getFileName() == null ? "" : plot.getFileName().toString().toLowerCase(Locale.ROOT);
            if (!name.endsWith(".svg")) {
                throw new UsageException("--plot: " + plot + " must end in .svg");
            }
            if (save != null) {
                TextFiles.checkNotInCheckpoint("--plot", plot, save, "the --save directory");
            }
            TextFiles.checkWritable("--plot", plot);
            checkPlotIsNotTheData(data);
        }
        if (resume != null) {
            for (String option : RUN_OPTIONS) {
                if (given(option)) {
                    throw new UsageException(option + " cannot be combined with --resume: the resumed run keeps "
                            + "the settings saved in its checkpoint");
                }
            }
        }
        if (stopAfter != null && save == null) {
            throw new UsageException("--stop-after needs --save, or the stopped run would be lost");
        }
        if (saveEvery != null && save == null) {
            throw new UsageException("--save-every needs --save, the directory to save into");
        }
        if (saveEvery != null) {
            requireAtLeastOne("--save-every", saveEvery);
        }
        if (resume == null) {
            checkStopAfter(0, steps);
        }
        if (save != null) {
            try {
                Checkpoint.checkSaveTarget(save);
            } catch (IOException e) {
                throw new UsageException("--save: " + e.getMessage(), e);
            }
        }
        requireAtLeastOne("--steps", steps);
        checkSamples(samples);
        PositiveNumber.requireAllowed(spec, "--temperature", temperature);
        PositiveNumber.requireAllowed(spec, "--lr", learningRate);
        try {
            // GptConfig's constructor is the one place of the shape's rules; its refusal is told
            // in the options' names (nEmbd -> --n-embd).
            new GptConfig(nLayer, nEmbd, heads(), blockSize, GptConfig.defaults().initStd());
        } catch (InvalidSettingException e) {
            String message = e.message(SHAPE_OPTIONS::get);
            boolean hasHeads = hasHeads(architecture());
            boolean divisibility = e.components().equals(List.of("nEmbd", "nHead"));
            if (divisibility) {
                message = indivisibleWidth(nEmbd, given("--n-embd"), heads(), given("--n-head"), hasHeads);
            }
            String unused = !divisibility || hasHeads ? "" : "; the " + architecture().id()
                    + " model has no attention heads, so --n-head can be left out";
            throw new UsageException(message + unused, e);
        }
    }

    /**
     * The refusal of a width that the head count does not divide, in the words of what was typed:
     * "--n-embd (6) must be divisible by --n-head (4)" blamed an option the user never typed when
     * the 4 was the default, and sent them looking for it. A count or width left at its default
     * is called the default, and the message says which values would do.
     *
     * @param width the embedding width
     * @param widthGiven whether {@code --n-embd} was typed
     * @param heads the number of heads
     * @param headsGiven whether {@code --n-head} was typed
     * @param advise whether to name the values that would do (not for a model without heads,
     *     whose {@code --n-head} is better left out)
     * @return the message, without the hint at the help
     */
    static String indivisibleWidth(int width, boolean widthGiven, int heads, boolean headsGiven, boolean advise) {
        String why = " so that every head gets the same number of dimensions";
        if (widthGiven == headsGiven) {
            return "--n-embd (" + width + ") must be divisible by --n-head (" + heads + ")" + why;
        }
        String divisors = "--n-head with a divisor of " + width + " (" + divisorsOf(width) + ")";
        if (widthGiven) {
            return "--n-embd (" + width + ") must be divisible by the number of heads, " + heads + " by default,"
                    + why + (advise ? "; give " + divisors : "");
        }
        long multiple = (width / heads + 1L) * heads;
        return "the embedding width, " + width + " by default, must be divisible by --n-head (" + heads + ")" + why
                + (advise ? "; give --n-embd with a multiple of " + heads + (multiple <= Integer.MAX_VALUE
                        ? " (such as " + multiple + ")" : "") + ", or " + divisors : "");
    }

    /** The divisors of {@code n}, in order, as "1, 2, 3 or 6"; the first eight and "..." where there are more. */
    private static String divisorsOf(int n) {
        List<Integer> small = new ArrayList<>();
        List<Integer> large = new ArrayList<>();
        for (int d = 1; (long) d * d <= n; d++) {
            if (n % d == 0) {
                small.add(d);
                if (d != n / d) {
                    large.add(0, n / d);
                }
            }
        }
        small.addAll(large);
        if (small.size() > 8) {
            return small.subList(0, 8).stream().map(String::valueOf).collect(java.util.stream.Collectors.joining(", "))
                    + ", ... or " + n;
        }
        if (small.size() == 1) {
            return "only 1";
        }
        List<String> names = small.stream().map(String::valueOf).toList();
        return String.join(", ", names.subList(0, names.size() - 1)) + " or " + names.get(names.size() - 1);
    }

    /** GptConfig's components and the options that set them, for its refusals. */
    private static final Map<String, String> SHAPE_OPTIONS = Map.of("nLayer", "--n-layer", "nEmbd", "--n-embd",
            "nHead", "--n-head", "blockSize", "--block-size");

    /**
     * Refuses a shape option typed for a model that has no such part: a bigram model is a table
     * of logits, whatever {@code --n-embd}, {@code --n-head} and {@code --n-layer} say, and an
     * MLP has one hidden layer and no attention heads. They were taken without a word, and a user
     * who asked for a 64-wide model trained a 27 x 27 table. {@code --block-size} is used by every
     * model (it bounds the positions of a document trained and of a sample); options left at
     * their defaults are not refused.
     */
    private void refuseShapeOptionsWithoutEffect(Architecture architecture) {
        List<String> without = switch (architecture) {
            case BIGRAM -> List.of("--n-embd", "--n-head", "--n-layer");
            case MLP -> List.of("--n-head", "--n-layer");
            default -> List.of();
        };
        List<String> typed = without.stream().filter(this::given).toList();
        if (!typed.isEmpty()) {
            String model = architecture == Architecture.BIGRAM
                    ? "a table of logits, vocabulary x vocabulary, with no embeddings, heads or layers"
                    : "embeddings of the last 3 tokens and one hidden layer, with no attention heads nor layers";
            throw new UsageException(String.join(", ", typed) + (typed.size() == 1 ? " has" : " have")
                    + " no effect on the " + architecture.id() + " model (" + model + "); leave "
                    + (typed.size() == 1 ? "it" : "them") + " out");
        }
    }

    /**
     * The head count of the run's configuration: {@code --n-head}. A model without attention
     * (bigram, mlp) has no heads, but its configuration still holds a count that divides the
     * width; there the default 4 gives way to 1 where it does not divide {@code --n-embd}, so that
     * {@code --model mlp --n-embd 10} is not refused for heads the model does not have. (A count
     * given on the command line is kept, and checked as the user wrote it.)
     */
    private int heads() {
        if (!hasHeads(architecture()) && !given("--n-head") && nEmbd % nHead != 0) {
            return 1;
        }
        return nHead;
    }

    /** Whether a model of this architecture has attention heads, which {@code --n-head} counts. */
    private static boolean hasHeads(Architecture architecture) {
        return architecture == Architecture.GPT || architecture == Architecture.ATTENTION;
    }

    /**
     * A model whose parameters do not fit in one Java array can never be built; say so up front
     * rather than fail deep inside with an overflow. Each model of the progression is judged by
     * its own size: a bigram's table does not grow with {@code --n-layer}. (Smaller but still
     * huge models run out of memory, which {@link #call()} reports.)
     */
    private static void checkModelSize(Architecture architecture, GptConfig config, int vocabSize) {
        long count = architecture.numParameters(config, vocabSize);
        if (count > ParameterLayout.MAX_SIZE) {
            String size = count == Long.MAX_VALUE ? "more parameters than a long can count"
                    : count + " parameters";
            throw new UsageException("the " + architecture.id() + " model would have " + size
                    + ", more than can be held (at most " + ParameterLayout.MAX_SIZE + "); " + smallerModel(architecture));
        }
    }

    /**
     * A model that fits in an array may still not fit in the heap: refuse it before it is built,
     * judged by the longest document (the step that needs the most) on the value engine, and by
     * the block size on the array engine, whose workspace is made for a whole block whatever the
     * documents' length. A resumed run is checked too: a block size the value engine trained may
     * be far too large for the array engine's workspace. On the array engine the samples at the
     * end count too: each allocates a key-value cache for the whole block (in f32 a whole forward
     * workspace) while the training workspace is still held. So does the loss history of all
     * {@code totalSteps} steps.
     */
    private void checkMemory(Architecture architecture, GptConfig config, int vocabSize, List<String> docs,
                             Precision precision, int totalSteps) {
        long parameters = architecture.numParameters(config, vocabSize);
        // A plain loop rather than a stream: this runs once per run, over every document, before the
        // first step and still in the interpreter, where a stream's pipeline costs some 5 ms more.
        int longest = 0;
        for (int i = 0; i < docs.size(); i++) {
            longest = Math.max(longest, docs.get(i).length());
        }
        int positions = (int) Math.min(config.blockSize(), longest + 1L);
        Engine engine = architecture == Architecture.GPT ? engine() : Engine.VALUE;
        long bytes = ModelMemory.bytes(engine, precision, architecture, config, vocabSize, parameters, positions);
        String smaller = smallerModel(architecture);
        long limit = Runtime.getRuntime().maxMemory();
        if (engine == Engine.VALUE && ModelMemory.bytes(engine, precision, architecture, config, vocabSize, parameters, 0)
                <= limit) {
            // A model that fits but whose longest document's graph does not: say so, and which block fits.
            checkValueGraph(architecture, config, vocabSize, positions, limit);
        }
        if (engine == Engine.ARRAY) {
            long workspace = ModelMemory.arrayWorkspaceBytes(precision, config, vocabSize);
            if (samples > 0 && stopAfter == null) {
                // The samples at the end: each allocates a key-value cache for the whole block,
                // while the training workspace is still held.
                workspace = ModelMemory.saturatedSum(workspace,
                        ModelMemory.arrayGenerationBytes(precision, config, vocabSize));
            }
            if (workspace > bytes) {
                smaller = resume != null
                        ? "the checkpoint's block size of " + config.blockSize() + " is fixed, so resume on the value "
                                + "engine (--engine value), whose memory grows with the documents rather than the block"
                        : "choose a smaller --block-size (the workspace grows with its square), --n-layer or --n-head";
            }
            bytes = ModelMemory.saturatedSum(bytes, workspace);
            positions = config.blockSize();
        }
        String why = ModelMemory.why(engine, positions);
        // The loss of every step is kept for the checkpoint and the plot, in an array that doubles
        // as it grows: 16 bytes a step at the peak. A checkpoint's total_steps is not cross-checked
        // by anything else in it, so this is what refuses a lying 2^31 - 1 before the run starts.
        long history = ModelMemory.lossHistoryBytes(totalSteps);
        String subject = "the " + architecture.id() + " model (" + parameters + " parameters)";
        if (history > bytes) {
            subject = "a run of " + totalSteps + " steps of " + subject;
            why = "a loss history of " + totalSteps + " steps, 16 bytes a step, and the model";
            smaller = resume != null
                    ? "the checkpoint's \"trainer.total_steps\" (" + totalSteps + ", in trainer.json) is more steps"
                            + " than this heap can record: check that it is the checkpoint you meant"
                    : "choose fewer --steps";
        }
        bytes = ModelMemory.saturatedSum(bytes, history);
        ModelMemory.check(subject, bytes, why, smaller);
    }

    /**
     * Refuses a value-engine run whose longest document builds a graph the core would refuse
     * (more than half of the heap: its step would fail with that message halfway through the
     * run), before anything is built, naming the block size that fits.
     */
    private void checkValueGraph(Architecture architecture, GptConfig config, int vocabSize, int positions,
                                 long limit) {
        long graph = ModelMemory.valueGraphBytes(architecture, config, vocabSize, positions);
        if (graph <= limit / 2) {
            return;
        }
        long most = ValueGraphs.mostPositions(p -> ModelMemory.valueGraphBytes(architecture, config, vocabSize, p),
                positions - 1, limit / 2);
        String remedy = most < 1 ? "not even one position fits" : resume != null
                ? "the checkpoint's block size is fixed, so resume with shorter documents (at most " + (most - 1)
                        + " characters)"
                : "choose --block-size " + most + " or less (a document is cut to the block size)";
        throw new UsageException("a step over the longest document's " + positions + " positions would build a graph"
                + " of at least " + graph + " bytes of memory, " + ModelMemory.gib(graph) + " (on the value engine"
                + (architecture == Architecture.GPT || architecture == Architecture.ATTENTION
                        ? ", which grows with the square of the positions" : "")
                + "), more than half of the " + limit + " bytes (" + ModelMemory.gib(limit)
                + ") this Java heap may use; " + remedy
                + ", or give Java more memory (for example JAVA_OPTS=-Xmx16g for ./microgpt)");
    }

    /** What makes a model of this architecture smaller: the options its size depends on. */
    private static String smallerModel(Architecture architecture) {
        return switch (architecture) {
            case BIGRAM -> "its table has one row and one column per character of the data, so use data with "
                    + "fewer distinct characters";
            case MLP -> "choose a smaller --n-embd";
            case ATTENTION, GPT -> "choose smaller --n-embd, --n-layer or --block-size";
        };
    }

    private static List<String> loadDocuments(Path data) {
        return DataFiles.load(data);
    }

    /**
     * Checks {@code --samples} of {@code train} or {@code generate}: from 0 to {@link #MAX_SAMPLES}.
     *
     * @param samples the number asked for
     * @throws UsageException if it is negative or above the most
     */
    static void checkSamples(int samples) {
        if (samples < 0) {
            throw new UsageException("--samples must be 0 or more, got " + samples);
        }
        if (samples > MAX_SAMPLES) {
            throw new UsageException("--samples must be at most " + MAX_SAMPLES + ", got " + samples);
        }
    }

    private static void requireAtLeastOne(String option, int value) {
        if (value < 1) {
            throw new UsageException(option + " must be at least 1, got " + value);
        }
    }
}
