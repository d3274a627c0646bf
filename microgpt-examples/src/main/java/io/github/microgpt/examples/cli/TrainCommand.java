package io.github.microgpt.examples.cli;

import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.GptModel;
import io.github.microgpt.optim.AdamOptimizer;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.sample.Sampler;
import io.github.microgpt.text.Documents;
import io.github.microgpt.text.Tokenizer;
import io.github.microgpt.train.StepEvent;
import io.github.microgpt.train.StepMode;
import io.github.microgpt.train.Trainer;
import io.github.microgpt.train.TrainingListener;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

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
 */
@Command(name = "train",
        mixinStandardHelpOptions = true,
        versionProvider = MicrogptCommand.Version.class,
        sortOptions = false,
        description = {
            "Train a GPT on a list of documents (one per line), then generate new ones.",
            "With the defaults and --data names.txt it prints exactly what Karpathy's microgpt.py prints."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:success",
            "1:the run failed: training diverged (a loss became NaN or infinite; the message names "
                    + "the step and the document), or memory ran out",
            "2:invalid usage or input: an unknown option, a missing or malformed value, a value out of "
                    + "range, or a data file that is missing, unreadable, a directory, empty or not UTF-8"},
        footer = {
            "%nEnvironment:",
            "  MICROGPT_PROGRESS=auto|always|never",
            "      When to draw a progress bar (steps/s, time left) on stderr. auto, the",
            "      default, draws it only when stderr is a terminal: a redirected or piped",
            "      stderr gets nothing but error messages.",
            "  JAVA_OPTS",
            "      Options for the JVM, read by the ./microgpt script (e.g. -Xmx2g).",
            "%nStdout is UTF-8, with \\n line endings on every platform."})
public final class TrainCommand implements Callable<Integer> {

    @ParentCommand
    private MicrogptCommand parent;

    @Option(names = "--data", paramLabel = "FILE",
            description = "UTF-8 text file, one document per line (blank lines are skipped). "
                    + "Default: the names embedded in the library.")
    private Path data;

    @Option(names = "--steps", paramLabel = "N", defaultValue = "1000",
            description = "Number of training steps, one document each; at least 1. Default: ${DEFAULT-VALUE}.")
    private int steps;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "42",
            description = "Seed of the random generator (CPython's; a negative seed acts as its absolute value). "
                    + "Default: ${DEFAULT-VALUE}.")
    private long seed;

    @Option(names = "--temperature", paramLabel = "T", defaultValue = "0.5",
            description = "Sampling temperature; positive and finite. Lower is safer, higher more varied. "
                    + "Default: ${DEFAULT-VALUE}.")
    private double temperature;

    @Option(names = "--samples", paramLabel = "K", defaultValue = "20",
            description = "Number of names to generate after training; 0 or more (0 only trains). "
                    + "Default: ${DEFAULT-VALUE}.")
    private int samples;

    @Option(names = "--n-layer", paramLabel = "L", defaultValue = "1",
            description = "Number of transformer layers; at least 1. Default: ${DEFAULT-VALUE}.")
    private int nLayer;

    @Option(names = "--n-embd", paramLabel = "D", defaultValue = "16",
            description = "Embedding width; at least 1 and divisible by --n-head. Default: ${DEFAULT-VALUE}.")
    private int nEmbd;

    @Option(names = "--n-head", paramLabel = "H", defaultValue = "4",
            description = "Number of attention heads; at least 1. Default: ${DEFAULT-VALUE}.")
    private int nHead;

    @Option(names = "--block-size", paramLabel = "B", defaultValue = "16",
            description = "Longest context in tokens; at least 1 (longer documents are cut). "
                    + "Default: ${DEFAULT-VALUE}.")
    private int blockSize;

    @Option(names = "--lr", paramLabel = "RATE", defaultValue = "0.01",
            description = "Adam's learning rate, decayed linearly to 0; positive and finite. "
                    + "Default: ${DEFAULT-VALUE}.")
    private double learningRate;

    /** Creates the command; picocli calls this and then sets the options. */
    public TrainCommand() {
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
    public Integer call() {
        CliContext context = parent.context();
        validate();
        ProgressMode progressMode = ProgressMode.fromEnvironment(context);
        try {
            run(context, progressMode.enabled(context));
        } catch (OutOfMemoryError e) {
            throw new CommandFailedException("out of memory: the model or the data is too large for the Java heap "
                    + "(give the JVM more, for example JAVA_OPTS=-Xmx4g, or choose a smaller model)",
                    CommandFailedException.FAILED, e);
        }
        return 0;
    }

    private void run(CliContext context, boolean showProgress) {
        LineOutput out = new LineOutput(context.out());
        PythonRandom random = new PythonRandom(seed);

        List<String> docs = new ArrayList<>(loadDocuments());
        random.shuffle(docs);
        out.line("num docs: " + docs.size());

        Tokenizer tokenizer = Tokenizer.fromDocuments(docs);
        out.line("vocab size: " + tokenizer.vocabSize());

        GptConfig config = new GptConfig(nLayer, nEmbd, nHead, blockSize, GptConfig.defaults().initStd());
        checkModelSize(tokenizer.vocabSize());
        GptModel model = GptModel.create(config, tokenizer.vocabSize(), random);
        out.line("num params: " + model.numParameters());
        out.flush();

        AdamOptimizer optimizer = new AdamOptimizer(model.numParameters()).withLearningRate(learningRate);
        Trainer trainer = new Trainer(model, tokenizer, docs, optimizer, steps);
        ProgressBar progress = showProgress
                ? new ProgressBar(context.err(), "training", steps, context.outputSharesTerminalWithErr(),
                        ProgressBar.columns(context), System::nanoTime)
                : null;
        int stepWidth = 4;
        trainer.addListener(new TrainingListener() {
            @Override
            public void onStep(StepEvent event) {
                if (progress != null) {
                    progress.beforeOutput();
                }
                out.line("step " + PythonFormat.rightAligned(event.step(), stepWidth) + " / "
                        + PythonFormat.rightAligned(event.totalSteps(), stepWidth)
                        + " | loss " + PythonFormat.fourDecimals(event.loss()));
                out.flush();
                if (progress != null) {
                    progress.update(event.step());
                }
            }
        });
        if (progress == null) {
            trainer.run(StepMode.DOCUMENT);
        } else {
            // On Ctrl-C the JVM runs shutdown hooks: erase the bar so the prompt starts on a clean line.
            Thread eraseOnExit = new Thread(progress::close, "microgpt-progress-eraser");
            Runtime.getRuntime().addShutdownHook(eraseOnExit);
            progress.start();
            try {
                trainer.run(StepMode.DOCUMENT);
            } finally {
                progress.close();
                try {
                    Runtime.getRuntime().removeShutdownHook(eraseOnExit);
                } catch (IllegalStateException shuttingDown) {
                    // The hook is running or has run; nothing left to undo.
                }
            }
        }

        out.line("");
        out.line("--- inference (new, hallucinated names) ---");
        Sampler sampler = new Sampler(model, tokenizer, random);
        for (int i = 1; i <= samples; i++) {
            out.line("sample " + PythonFormat.rightAligned(i, 2) + ": " + sampler.sample(i, temperature));
            out.flush();
        }
        out.flush();
    }

    /** Checks the options that picocli's types do not, naming the option in the message. */
    private void validate() {
        requireAtLeastOne("--steps", steps);
        if (samples < 0) {
            throw new UsageException("--samples must be 0 or more, got " + samples);
        }
        requirePositiveFinite("--temperature", temperature);
        requirePositiveFinite("--lr", learningRate);
        requireAtLeastOne("--n-layer", nLayer);
        requireAtLeastOne("--n-embd", nEmbd);
        requireAtLeastOne("--n-head", nHead);
        requireAtLeastOne("--block-size", blockSize);
        if (nEmbd % nHead != 0) {
            throw new UsageException("--n-embd (" + nEmbd + ") must be divisible by --n-head (" + nHead
                    + "), so that every head gets the same number of dimensions");
        }
    }

    /**
     * A model whose parameters do not fit in one Java array can never be built; say so up front
     * rather than fail deep inside with an overflow. (Smaller but still huge models run out of
     * memory, which {@link #call()} reports.)
     */
    private void checkModelSize(int vocabSize) {
        long d = nEmbd;
        long count = 2L * vocabSize * d + (long) blockSize * d + (long) nLayer * 12L * d * d;
        if (count > Integer.MAX_VALUE - 8) {
            throw new UsageException("the model would have " + count + " parameters, more than can be held (at most "
                    + (Integer.MAX_VALUE - 8) + "); choose smaller --n-embd, --n-layer or --block-size");
        }
    }

    private List<String> loadDocuments() {
        if (data == null) {
            return Documents.embeddedNames();
        }
        if (Files.isDirectory(data)) {
            throw new UsageException("the data file " + data + " is a directory");
        }
        try {
            return Documents.load(data);
        } catch (IOException e) {
            throw new UsageException(describeReadFailure(data, e), e);
        } catch (IllegalArgumentException e) {
            // Documents.load's message names the file and says it holds no document.
            throw new UsageException(e.getMessage(), e);
        }
    }

    /**
     * A one-line explanation of why a data file could not be read.
     *
     * @param file the file
     * @param e the failure
     * @return for example {@code "the data file x.txt does not exist"}
     */
    static String describeReadFailure(Path file, IOException e) {
        if (e instanceof NoSuchFileException) {
            return "the data file " + file + " does not exist";
        }
        if (e instanceof AccessDeniedException) {
            return "the data file " + file + " cannot be read: permission denied";
        }
        if (e instanceof CharacterCodingException) {
            // The message is "<file> is not valid UTF-8 (bad byte near offset N)".
            return "the data file " + e.getMessage();
        }
        if (e instanceof FileSystemException fs && fs.getReason() != null) {
            return "the data file " + file + " cannot be read: " + fs.getReason();
        }
        return "the data file " + file + " cannot be read: " + e.getMessage();
    }

    private static void requireAtLeastOne(String option, int value) {
        if (value < 1) {
            throw new UsageException(option + " must be at least 1, got " + value);
        }
    }

    private static void requirePositiveFinite(String option, double value) {
        if (!(value > 0) || Double.isInfinite(value)) {
            throw new UsageException(option + " must be a positive, finite number, got " + value);
        }
    }
}
