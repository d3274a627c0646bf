package io.github.microgpt.examples.cli;

import io.github.microgpt.checkpoint.Checkpoint;
import io.github.microgpt.checkpoint.CheckpointException;
import io.github.microgpt.internal.ValueGraphs;
import io.github.microgpt.model.Architecture;
import io.github.microgpt.model.Engine;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.LanguageModel;
import io.github.microgpt.model.Precision;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.sample.NonFiniteLogitsException;
import io.github.microgpt.sample.Sampler;
import io.github.microgpt.sample.SamplingOptions;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code microgpt generate}: loads a model saved by {@code microgpt train --save DIR} (or by the
 * library's {@link Checkpoint#save}) and prints new samples, one per line, in the form of
 * {@code train}'s inference section:
 *
 * <pre>
 * sample  1: kamon
 * sample  2: ann
 * ...
 * </pre>
 *
 * <p>A character of a sample that would break the line, drive the terminal or reorder the line
 * (a control character such as a tab, a line separator, a bidirectional control such as U+202E;
 * see {@link Terminals#disturbsALine}) is printed as a Java escape (backslash, u, 202E): the data may
 * hold them, and a training file of right-to-left text may need its marks.
 *
 * <p>The controls are those of {@link SamplingOptions}: a prefix that every sample continues, a
 * top-k filter, a maximum length, and the temperature; {@code --seed} seeds the random generator.
 * Without {@code --seed}, a checkpoint saved by {@code train} continues the generator where
 * training left it, so {@code generate --model DIR} prints the very samples that
 * {@code train --save DIR} printed; a checkpoint without that state uses seed 42.
 */
@Command(name = "generate",
        mixinStandardHelpOptions = true,
        versionProvider = MicrogptCommand.Version.class,
        sortOptions = false,
        description = {
            "Generate new samples from a model saved with 'microgpt train --save DIR'."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:Success.",
            "1:Memory ran out, or stdout could not be written.",
            "2:Invalid usage or input: an unknown option, a value out of range, a missing or damaged checkpoint "
                    + "(the message names the file and the problem), or a prefix with a character the model "
                    + "does not know.",
            "130:Stopped by Ctrl-C (SIGINT; 143: by SIGTERM), as the JVM exits on a signal: 128 + its number.",
            "141:Stdout was closed by its reader (a pipe into head, say): the command stopped quietly."},
        footer = {
            "%nExamples:",
            "  microgpt generate --model run1",
            "  microgpt generate --model run1 --prefix ma --top-k 5 --samples 10 --seed 7",
            "%nStdout is UTF-8, with \\n line endings on every platform."})
public final class GenerateCommand implements Callable<Integer> {

    /** The seed when neither --seed nor a saved random state is there: that of microgpt.py. */
    static final long DEFAULT_SEED = 42;

    @ParentCommand
    private MicrogptCommand parent;

    /** This command as picocli read it: the text typed for an option, which an error quotes. */
    @Spec
    private CommandSpec spec;

    @Option(names = "--model", paramLabel = "DIR", required = true,
            description = "The checkpoint directory, as written by 'microgpt train --save DIR'.")
    private Path model;

    @Option(names = "--prefix", paramLabel = "TEXT", defaultValue = "",
            description = "Text that every sample starts with and continues; its characters must be in the "
                    + "model's vocabulary, and it must be shorter than the block size. Default: none.")
    private String prefix;

    @Option(names = "--top-k", paramLabel = "K",
            description = "Draw each character from the K most probable ones only (at least 1; 1 always takes the "
                    + "most probable). Default: all characters.")
    private Integer topK;

    @Option(names = "--temperature", paramLabel = "T", defaultValue = "0.5", converter = PositiveNumber.class,
            description = "Sampling temperature; positive and finite. Lower is safer, higher more varied. "
                    + "Default: ${DEFAULT-VALUE}.")
    private double temperature;

    @Option(names = "--seed", paramLabel = "S",
            description = "Seed of the random generator (CPython's). Default: the generator saved with a training "
                    + "checkpoint, so the first samples are those 'train' printed; else " + DEFAULT_SEED + ".")
    private Long seed;

    @Option(names = "--samples", paramLabel = "K", defaultValue = "20",
            description = "Number of samples; 0 to 1000000. Default: ${DEFAULT-VALUE}.")
    private int samples;

    @Option(names = "--max-length", paramLabel = "N",
            description = "Stop each sample after N generated characters (not counting the prefix); at least 1 "
                    + "and at most what the block size leaves after the prefix. Default: the block size.")
    private Integer maxLength;

    /** Creates the command; picocli calls this and then sets the options. */
    public GenerateCommand() {
    }

    /**
     * Loads the model and prints the samples.
     *
     * @return the exit code, 0
     * @throws UsageException if an option is out of range, the checkpoint cannot be loaded, or
     *     the prefix does not fit the model
     * @throws CommandFailedException if stdout cannot be written
     */
    @Override
    public Integer call() {
        TrainCommand.checkSamples(samples);
        PositiveNumber.requireAllowed(spec, "--temperature", temperature);
        if (topK != null && topK < 1) {
            throw new UsageException("--top-k must be at least 1, got " + topK);
        }
        if (maxLength != null && maxLength < 1) {
            throw new UsageException("--max-length must be at least 1, got " + maxLength);
        }
        Checkpoint checkpoint;
        try {
            // Without Adam's moments, which sampling never reads: twice the weights' size.
            checkpoint = Checkpoint.loadForSampling(model);
        } catch (CheckpointException e) {
            throw new UsageException("cannot load the model: " + e.getMessage() + DataFiles.missingNameNote(model, "; "),
                    e);
        }
        LanguageModel gpt = samplingModel(checkpoint);
        PythonRandom random = seed != null ? new PythonRandom(seed)
                : checkpoint.randomState().map(PythonRandom::fromState)
                        .orElseGet(() -> new PythonRandom(DEFAULT_SEED));
        SamplingOptions options = SamplingOptions.defaults().withTemperature(temperature).withPrefix(prefix)
                .withTopK(topK == null ? SamplingOptions.ALL_TOKENS : topK)
                .withMaxLength(maxLength == null ? SamplingOptions.NO_LIMIT : maxLength);
        Sampler sampler = new Sampler(gpt, checkpoint.tokenizer(), random);
        try {
            sampler.samples(0, options);  // checks the prefix and the length against the model
        } catch (IllegalArgumentException e) {
            String message = e.getMessage();
            if (message.startsWith("the prefix: ")) {
                message = message.substring("the prefix: ".length());
            }
            String option = message.startsWith("the maximum length") ? "--max-length" : "--prefix";
            throw new UsageException(option + ": " + message, e);
        }
        if (samples > 0) {
            checkMemory(checkpoint, Runtime.getRuntime().maxMemory());
        }
        LineOutput out = new LineOutput(parent.context().out());
        for (int i = 1; i <= samples; i++) {
            // The data may hold bidi controls (right-to-left text uses its marks) or a tab inside a
            // line; a sample that holds one is printed with it escaped, as a file name is, so that
            // it neither reorders the line on a terminal nor breaks "one sample a line".
            String sample;
            try {
                sample = sampler.sample(options);
            } catch (NonFiniteLogitsException e) {
                // Finite weights whose logits overflow: the checkpoint's doing, not an internal error.
                // (Any other exception is one, and is reported as such.)
                throw new CommandFailedException("cannot sample from " + model + ": " + e.getMessage(),
                        CommandFailedException.FAILED, e);
            }
            out.line("sample " + PythonFormat.rightAligned(i, 2) + ": " + Terminals.escapeControls(sample));
            out.flush();
        }
        out.flush();
        return 0;
    }

    /**
     * The model the samples come from: a GPT on the array engine, in the checkpoint's precision,
     * whose logits in f64 are the value engine's bit for bit (its forward pass adds in the same
     * order; train's golden output checks it), so the samples are the same, but whose memory is a
     * key-value cache of numbers, bounded by the block size, rather than the value engine's graph
     * of every parameter at every position (a 3.2-million-parameter GPT needed up to 9 GB for a
     * sample of its 64 positions); any other model of the progression, which only the value
     * engine computes, as saved.
     */
    private static LanguageModel samplingModel(Checkpoint checkpoint) {
        if (checkpoint.architecture() != Architecture.GPT) {
            return checkpoint.model();
        }
        return checkpoint.arrayModel();
    }

    /**
     * Refuses, before the first sample, a checkpoint whose samples cannot fit in the heap: the
     * loader checked that its weights fit, but a sample needs more. The array engine (a GPT)
     * allocates a key-value cache for the whole block when each sample starts; the value
     * engine's cache (the other models) holds the graph of every position read, up to the block
     * size or {@code --max-length}. A crafted checkpoint with a long block would otherwise run out of
     * memory in the middle of sampling, with a stack trace.
     *
     * @param checkpoint the loaded checkpoint
     * @param limit the heap's limit
     * @throws UsageException naming the estimate, the heap and what to change
     */
    void checkMemory(Checkpoint checkpoint, long limit) {
        GptConfig config = checkpoint.config();
        long parameters = checkpoint.numParameters();
        String model = "sampling the checkpoint's " + checkpoint.architecture().id() + " model (" + parameters
                + " parameters, block size " + config.blockSize() + ")";
        if (checkpoint.architecture() == Architecture.GPT) {
            Precision precision = checkpoint.precision();
            long bytes = ModelMemory.saturatedSum(ModelMemory.bytes(Engine.ARRAY, precision, Architecture.GPT, config,
                    checkpoint.tokenizer().vocabSize(), parameters, 0),
                    ModelMemory.arrayGenerationBytes(precision, config, checkpoint.tokenizer().vocabSize()));
            ModelMemory.check(model, bytes, "on the array engine, every sample allocates a key-value cache for the "
                    + "checkpoint's whole block of " + config.blockSize() + " positions" + (precision == Precision.F32
                            ? ", in f32 with attention weights that grow with its square" : ""),
                    "the block size is fixed by the checkpoint", limit);
            return;
        }
        // The core refuses a sequence that would keep more than half of the heap (its cache holds
        // the graph of every position read): refused here first, with the option that avoids it.
        Architecture architecture = checkpoint.architecture();
        int prefixTokens = prefix.codePointCount(0, prefix.length());
        long longest = maxLength == null ? config.blockSize() : Math.min(config.blockSize(), 1L + prefixTokens + maxLength);
        int positions = (int) longest;
        long bytes = ModelMemory.valueSequenceBytes(architecture, config, positions);
        if (bytes <= limit / 2) {
            return;
        }
        long fits = ValueGraphs.mostPositions(p -> ModelMemory.valueSequenceBytes(architecture, config, p),
                positions, limit / 2) - 1 - prefixTokens;
        String smaller = fits >= 1 ? "give --max-length " + fits + " or less" + (maxLength == null
                ? " (a sample of a poorly trained model may run on to the block size)" : "")
                : "the model is too large to sample in this heap";
        throw new UsageException(model + " would need at least " + bytes + " bytes of memory, "
                + ModelMemory.gib(bytes) + " (on the value engine, a sample's key-value cache holds the graph of each"
                + " layer's keys and values at each of up to " + positions + " positions), more than half of the "
                + limit + " bytes (" + ModelMemory.gib(limit) + ") this Java heap may use; " + smaller
                + ", or give Java more memory (for example JAVA_OPTS=-Xmx16g for ./microgpt)");
    }
}
