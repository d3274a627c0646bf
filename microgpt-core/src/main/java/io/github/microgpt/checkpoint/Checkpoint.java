package io.github.microgpt.checkpoint;

import io.github.microgpt.internal.ModelChecks;
import io.github.microgpt.internal.ModelUse;
import io.github.microgpt.model.Architecture;
import io.github.microgpt.model.ArrayGptModel;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.GptModel;
import io.github.microgpt.model.LanguageModel;
import io.github.microgpt.model.ParameterLayout;
import io.github.microgpt.model.MatrixLayout;
import io.github.microgpt.model.Parameters;
import io.github.microgpt.model.Precision;
import io.github.microgpt.optim.AdamSettings;
import io.github.microgpt.optim.LearningRateSchedule;
import io.github.microgpt.random.PythonRandomState;
import io.github.microgpt.random.RandomSource;
import io.github.microgpt.text.DataSource;
import io.github.microgpt.text.Documents;
import io.github.microgpt.text.Tokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A trained model saved to a directory, and loaded back: the weights, the configuration and the
 * vocabulary, and optionally everything needed to resume training exactly where it stopped.
 *
 * <h2>Saving and loading</h2>
 * <pre>{@code
 * Checkpoint.save(Path.of("runs/names"), model, tokenizer);        // the model only
 *
 * Checkpoint checkpoint = Checkpoint.load(Path.of("runs/names"));  // checks everything first
 * LanguageModel model = checkpoint.model();                      // as saved: a BigramModel, ..., a GptModel
 * Sampler sampler = new Sampler(model, checkpoint.tokenizer(), new PythonRandom(7));
 * }</pre>
 *
 * <h2>The resume protocol</h2>
 * To resume training, save a {@link TrainingState} with the model: the trainer's place, the
 * optimizer, the random generator, the {@link TrainingRun} (the seed and where the documents
 * came from) and the {@link LossHistory}. Later, {@link #resumeRecordedRun()} reads
 * the documents again from where the run recorded them, shuffles them with its seed, checks them
 * against the saved fingerprint and rebuilds everything ({@link #resumeRecordedRun(LanguageModel)}
 * into a model of your choice, for example of another engine); {@link #resumeWith(List)}
 * does the same with documents you supply (in training order), for a run on documents only your
 * program has, or a data file that has moved. The command line's {@code --resume} and the
 * simulator's Load both follow it.
 * <pre>{@code
 * LossHistory losses = LossHistory.recording(trainer);
 * // ... train ...
 * Checkpoint.save(dir, trainer.model(), tokenizer, TrainingState.capture(trainer, random,
 *         StepMode.DOCUMENT, Map.of(), new TrainingRun(42, DataSource.embedded()), losses.losses()));
 * // ... later, perhaps in another JVM:
 * ResumedTraining resumed = Checkpoint.load(dir).resumeRecordedRun();   // the saved model, optimizer, ...
 * resumed.trainer().run(StepMode.DOCUMENT);   // steps 501..1000, bit for bit as an uninterrupted run
 * resumed.lossHistory().losses();             // the losses of steps 1..1000
 * }</pre>
 *
 * <h2>The directory</h2>
 * <ul>
 *   <li>{@value #MODEL_FILE}: the weights in the safetensors format of Hugging Face, one tensor
 *       per matrix of the model's {@link Parameters#matrixLayouts()}, under its name: for the GPT those
 *       of {@code microgpt.py}'s {@code state_dict} ({@code wte}, {@code wpe}, {@code lm_head},
 *       {@code layer0.attn_wq}, ..., {@code layer0.mlp_fc2}), for the other models of the
 *       progression their own ({@link Architecture#layout}), each of
 *       shape {@code [rows, cols]} ({@code [out, in]} for the linear layers, as PyTorch's
 *       {@code nn.Linear.weight}), of the model's own type ({@code F64}, or {@code F32} for an
 *       array model in single precision, {@link Precision#F32}), so that nothing is rounded. (A
 *       load also reads the other type, as another tool may write it: {@code F32} weights of a
 *       double-precision model, or {@code F64} ones that hold floats exactly for an f32 model.)</li>
 *   <li>{@value #CONFIG_FILE}: the format name and version, the model's architecture
 *       ({@code "bigram"}, {@code "mlp"}, {@code "attention"} or {@code "gpt"}; a file without
 *       it, written by an earlier version, holds a GPT), the configuration (n_layer, n_embd,
 *       n_head, block_size, init_std, vocab_size, num_params; and {@code "precision": "f32"} for a
 *       single-precision array model, nothing for the others) and the vocabulary's characters in
 *       token-id order;</li>
 *   <li>{@code optimizer.safetensors} (training state only): Adam's moments, a tensor
 *       {@code NAME.m} and {@code NAME.v} for each weight matrix, {@code F64} ({@code F32} for a
 *       single-precision model, whose optimizer keeps them in floats);</li>
 *   <li>{@code trainer.json} (training state only): steps done and the length of the run, the
 *       place in the documents, the optimizer's settings, the random generator's state (in the form of
 *       Python's {@code random.getstate()}), the documents' {@link DataFingerprint}, the run's seed
 *       and data source ({@code "run"}, {@code null} when unknown; a file of an earlier version
 *       without it has its run read from the metadata's {@code "seed"} and {@code "data"}), and
 *       the application's metadata;</li>
 *   <li>{@code losses.safetensors} (training state, when there is a history): one {@code F64} tensor
 *       {@code losses} of shape {@code [steps_done]}, the loss of each step, exactly.</li>
 * </ul>
 * Beside the directory, {@code .NAME.lock} exists while a process holds its {@link SaveLock},
 * and {@code .NAME.saving-*} and {@code .NAME.old-*} for a moment during a save.
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li><b>Atomic saves, repaired after a crash.</b> Everything is written to a temporary
 *       directory beside the target, forced to the disk, and renamed into place; an existing
 *       checkpoint is renamed aside first and deleted last. A crash, a kill or a full disk at any
 *       moment leaves the old checkpoint or the new one complete, never a damaged one, and the next
 *       {@link #load} or {@link #save} puts the newest complete one in place and deletes the
 *       leftovers by itself. An existing directory that is not a checkpoint, or that holds a file a
 *       checkpoint does not have (the run's data file, notes), is never replaced.</li>
 *   <li><b>One writer at a time.</b> A save holds the directory's {@link SaveLock}; a program
 *       that saves at the end of a long run takes it at the start, so a second one is told at
 *       once. {@link #checkSaveTarget} finds a target that cannot be written before any work.</li>
 *   <li><b>Checked, bounded loads.</b> {@link #load} reads {@value #CONFIG_FILE} first, and
 *       every allocation after it is bounded by the model it describes: a safetensors header
 *       must declare exactly that model's tensors before any data is read, and a model that would
 *       not fit in half of the Java heap is refused. Every file must be a regular file (a FIFO, a
 *       device or a socket is refused before it is opened, so nothing waits). Everything is
 *       checked before it returns: format name and version, the JSON, every safetensors header
 *       field, shapes, the vocabulary (single characters that print on one line), every number,
 *       and that the files agree (a run with no step has zero moments and position, a loss
 *       history has one loss per step). Any problem is a {@link CheckpointException} naming the
 *       file and the field; nothing half-loaded is ever returned.</li>
 *   <li><b>Loads during saves.</b> A load while another thread or process saves into the same
 *       directory (say, {@code train --save-every 1}) opens every file of one version before it
 *       reads any, so it returns one whole save, never the weights of one with the training
 *       state of the next. If the directory is replaced every time the load tries to open it,
 *       the error says so and that trying again may work. Within one process a save waits for a
 *       load's repair of the same directory, and a repair never touches a save in progress.</li>
 *   <li><b>No NaN.</b> Weights and moments must be finite (and second moments not negative):
 *       saving a diverged model is refused with an {@link IllegalArgumentException}, and a file
 *       holding NaN or infinity is rejected on loading, naming the tensor and the entry. Finite
 *       weights are loaded as they are, however large: a weight near {@code 1e300} is a number,
 *       and where "too large" starts depends on the model. Such a model computes as
 *       {@code microgpt.py} would: with embeddings that large, RMSNorm's mean of squares
 *       overflows to infinity (from about {@code 1e154}), the normalized activations become 0,
 *       and the model gives every token the same probability: its samples are uniform noise.
 *       Nothing warns of it; training does not make such
 *       weights (a step whose loss is not finite stops the run); a file holding them was written
 *       by hand or by another tool.</li>
 *   <li><b>Exact resume.</b> A save stores the weights and moments in the model's own precision,
 *       so a run saved after step {@code k} and resumed continues with exactly the numbers the
 *       uninterrupted run would have computed.</li>
 * </ul>
 *
 * <p>Instances are immutable; {@link #model()} builds a new model each time.
 */
public final class Checkpoint {

    /**
     * The weights, in the safetensors format: the file to hand to another tool, for example
     * {@code safetensors.torch.load_file(dir + "/model.safetensors")} in Python.
     */
    public static final String MODEL_FILE = Format.MODEL_FILE;
    /**
     * The configuration and vocabulary; a directory holding it is a checkpoint (see
     * {@link #checkSaveTarget}).
     */
    public static final String CONFIG_FILE = Format.CONFIG_FILE;

    private final Path directory;
    private final Architecture architecture;
    private final GptConfig config;
    private final ParameterLayout layout;
    private final Tokenizer tokenizer;
    private final double[] weights;
    private final TrainingState training;
    private final Precision precision;
    /** The training run's random generator, or null; kept also where the moments were left out. */
    private final PythonRandomState random;
    /** Whether {@link #loadForSampling} left out a training state that the directory holds. */
    private final boolean trainingLeftOut;

    private Checkpoint(Path directory, CheckpointReader.Contents contents) {
        this.directory = directory;
        this.architecture = contents.architecture();
        this.config = contents.config();
        this.layout = contents.layout();
        this.tokenizer = contents.tokenizer();
        this.weights = contents.weights();
        this.training = contents.training();
        this.precision = contents.precision();
        this.random = contents.randomState();
        this.trainingLeftOut = contents.trainingLeftOut();
    }

    /** A copy of {@code from} with another training state. */
    private Checkpoint(Checkpoint from, TrainingState training) {
        this.directory = from.directory;
        this.architecture = from.architecture;
        this.config = from.config;
        this.layout = from.layout;
        this.tokenizer = from.tokenizer;
        this.weights = from.weights;
        this.training = training;
        this.precision = from.precision;
        this.random = training.randomState();
        this.trainingLeftOut = false;
    }

    // ---------------------------------------------------------------------------------- saving

    /**
     * Saves a model with no training state, its weights in the model's own precision
     * ({@link Precision#of}): {@code F64}, or {@code F32} for an array model in
     * {@link Precision#F32} (a model of no known precision is stored in {@code F64}, which holds
     * the doubles of its {@link io.github.microgpt.model.Parameters} exactly). Nothing is
     * rounded: loading gives back the same numbers. The same as
     * {@link #save(Path, LanguageModel, Tokenizer, TrainingState) save(directory, model, tokenizer, null)}.
     *
     * @param directory the checkpoint directory; created, or replaced if it holds a checkpoint
     * @param model the model
     * @param tokenizer the tokenizer it was trained with
     * @throws IOException if writing fails (an existing checkpoint is then unchanged), or
     *     {@code directory} exists and is not a checkpoint (or holds a file a checkpoint does not
     *     have, which replacing it would delete), or another process is saving into it
     * @throws IllegalArgumentException if the tokenizer does not fit the model, or a weight is not
     *     finite
     */
    public static void save(Path directory, LanguageModel model, Tokenizer tokenizer) throws IOException {
        save(directory, model, tokenizer, null);
    }

    /**
     * Saves a model and, unless {@code training} is {@code null}, the state to resume its training.
     * The weights and Adam's moments are stored in the model's own precision
     * ({@link Precision#of}: {@code F64}, or {@code F32} for an array model in
     * {@link Precision#F32}; {@code F64} for a model of no known precision), so nothing is
     * rounded and the run resumes exactly; the checkpoint
     * records that precision, and {@link #model()} rebuilds the model in it. The save takes the
     * directory's {@link SaveLock} for its length unless this process holds it already, and first
     * repairs what an interrupted earlier save left (see {@link #load}).
     *
     * @param directory the checkpoint directory; created (with its parents), or replaced if it
     *     holds a checkpoint or is empty. If it is a symbolic link, the link stays and the
     *     directory it leads to is created or replaced (a loop of links is refused)
     * @param model the model
     * @param tokenizer the tokenizer it was trained with
     * @param training the training state, from {@link TrainingState#capture}, or {@code null} to
     *     save the model only
     * @throws IOException if writing fails (an existing checkpoint is then unchanged), or
     *     {@code directory} exists and is not a checkpoint (or holds a file a checkpoint does not
     *     have, which replacing it would delete), or another process is saving into it
     * @throws IllegalArgumentException if the tokenizer or the training state does not fit the
     *     model, a weight is not finite, the vocabulary is too large for a checkpoint (see
     *     {@link #checkVocabulary}), or the training state's metadata would make
     *     {@code trainer.json} larger than a load reads (1 MiB). Nothing is written then
     */
    public static void save(Path directory, LanguageModel model, Tokenizer tokenizer, TrainingState training)
            throws IOException {
        Objects.requireNonNull(directory, "directory");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(tokenizer, "tokenizer");
        CheckpointWriter.save(directory, model, tokenizer, training, DType.of(Precision.of(model).orElse(Precision.F64)));
    }

    /**
     * Checks, without leaving anything behind, that {@link #save} would accept a directory and can
     * write there: it does not exist, or is an empty directory, or holds a checkpoint and nothing
     * else; no folder
     * on its path is a file; and its parent accepts new files (a read-only or virtual file system
     * does not). A program that trains for an hour and then saves can call this first, so that a
     * mistyped path fails at once rather than at the end; holding a {@link SaveLock} from the
     * start also keeps other programs out.
     *
     * @param directory the directory to save into later
     * @throws CheckpointException if it is a file, a loop of symbolic links, or a directory with
     *     other contents, which {@code save} refuses to replace, or nothing can be written there
     *     (the message gives the cause). A symbolic link is judged by where it leads: a save
     *     replaces the directory at the end of its links and keeps the link.
     * @throws IOException if the directory cannot be inspected
     * @throws NullPointerException if {@code directory} is null
     */
    public static void checkSaveTarget(Path directory) throws IOException {
        Objects.requireNonNull(directory, "directory");
        AtomicFiles.checkTarget(directory, CONFIG_FILE, Format.FILES);
    }

    /**
     * Checks that a tokenizer's vocabulary can be saved, so that a program that saves at the end
     * of a long run can find out before the run. The characters are written to
     * {@value #CONFIG_FILE}, which a load reads up to 1 MiB (every allocation of a load is bounded),
     * so they may take at most 1,044,480 bytes of UTF-8 there: every vocabulary of up to 261,120
     * characters fits, whatever their script (a character takes at most 4 bytes), and only data of
     * more distinct characters than that, beyond U+FFFF, is refused. (Every token is also a
     * character that prints on one line, the rule of
     * {@link io.github.microgpt.text.Documents#isRefusedCharacter}, which {@link Tokenizer} itself
     * holds its characters to.) {@link #save} makes the same check before it writes anything.
     *
     * @param tokenizer the tokenizer
     * @throws IllegalArgumentException if the characters take more room than a checkpoint has for
     *     them, saying how much they take and how much fits
     */
    public static void checkVocabulary(Tokenizer tokenizer) {
        Objects.requireNonNull(tokenizer, "tokenizer");
        CheckpointWriter.checkVocabulary(tokenizer);
    }

    // --------------------------------------------------------------------------------- loading

    /**
     * Loads and checks a checkpoint directory. Nothing is returned unless every file present
     * checked out: the configuration and vocabulary, every weight, and, if the directory holds a
     * training state, the optimizer's moments, the trainer's state and the loss history, and
     * that they agree with each other.
     *
     * <p>The configuration is read first and bounds everything after it: a safetensors file
     * must declare exactly the tensors of that model before any of its data is read. Every file
     * must be a regular file (a FIFO, a device or a socket is refused before it is opened).
     *
     * <p>If a save into this directory was interrupted (the process was killed), the load puts it
     * right first: the newest complete version left beside the directory becomes the checkpoint,
     * and the leftovers {@code .NAME.saving-*} and {@code .NAME.old-*} are deleted. This happens
     * only when no other process holds the directory's {@link SaveLock}.
     *
     * @param directory the checkpoint directory
     * @return the checkpoint
     * @throws CheckpointException naming the file and the problem: the directory or a file is
     *     missing, unreadable or not a regular file; a file is truncated, corrupt, not valid JSON
     *     or safetensors, of another format or an unsupported version; a shape does not match the
     *     configuration; the vocabulary does not match the embeddings or holds a character that
     *     does not print; a number is NaN, infinite or out of range; the files disagree (steps,
     *     position, moments, losses); or the model would not fit in half of the Java heap
     */
    public static Checkpoint load(Path directory) throws CheckpointException {
        return load(directory, false);
    }

    /**
     * Loads a checkpoint to sample from: as {@link #load} does, checking the same files, except
     * that the data of Adam's moments in {@code optimizer.safetensors} (twice the size of the
     * weights, and of no use to sampling) is neither read nor kept, nor is the loss history. The
     * optimizer file must still be a regular file whose header declares exactly the model's
     * moments, with their shapes, and {@code trainer.json} is checked whole. For a model of
     * 3.2 million parameters that is 50 MB less to read and hold ({@code microgpt generate}).
     *
     * <p>The checkpoint has no {@link #training()} state, so it cannot resume training, but it
     * keeps the run's random generator ({@link #randomState()}), with which the first samples are
     * those the training run printed.
     *
     * @param directory the checkpoint directory
     * @return the checkpoint, without its training state
     * @throws CheckpointException as {@link #load}
     */
    public static Checkpoint loadForSampling(Path directory) throws CheckpointException {
        return load(directory, true);
    }

    private static Checkpoint load(Path directory, boolean forSampling) throws CheckpointException {
        Objects.requireNonNull(directory, "directory");
        InterruptedSaves.repair(directory, false);
        for (int look = 1; ; look++) {
            CheckpointReader.awaitRename(directory);
            Runnable hook = afterAwaitingRename;
            if (hook != null) {
                hook.run();
            }
            if (Files.exists(directory)) {
                break;
            }
            if (Files.isSymbolicLink(directory)) {
                throw new CheckpointException(directory, CheckpointException.brokenLink(directory));
            }
            Path leftover = AtomicFiles.interruptedSaveOf(directory);
            // A save in another thread or process may have renamed the directory aside just after
            // awaitRename looked: wait for its second rename again, a bounded number of times,
            // rather than call the save interrupted (and ask the user to rename a directory that
            // the save is about to replace).
            if (leftover != null && look < LOOKS) {
                continue;
            }
            throw new CheckpointException(directory, "no checkpoint here: the directory does not exist"
                    + (leftover == null ? "" : " (a save was interrupted; the previous checkpoint is complete in "
                            + leftover + ": rename it to " + directory.getFileName() + " to use it)"));
        }
        return new Checkpoint(directory, CheckpointReader.read(directory, !forSampling));
    }

    /**
     * How many times {@link #load} waits for a save's second rename when the directory is missing
     * but its old version is beside it (each wait up to about a second).
     */
    private static final int LOOKS = 3;

    /** For tests: run by {@link #load} each time it has waited for a save's renames. */
    static volatile Runnable afterAwaitingRename;

    // -------------------------------------------------------------------------------- accessors

    /**
     * The directory this checkpoint was loaded from.
     *
     * @return the path given to {@link #load}
     */
    public Path directory() {
        return directory;
    }

    /**
     * Which model of the progression the checkpoint holds.
     *
     * @return the architecture recorded in {@value #CONFIG_FILE}; {@link Architecture#GPT} for a
     *     checkpoint that records none (written before the other models could be saved)
     */
    public Architecture architecture() {
        return architecture;
    }

    /**
     * The precision the saved model computed in.
     *
     * @return {@link Precision#F32} for an {@link ArrayGptModel} saved in single precision,
     *     {@link Precision#F64} for every other model
     */
    public Precision precision() {
        return precision;
    }

    /**
     * The model's shape.
     *
     * @return the configuration
     */
    public GptConfig config() {
        return config;
    }

    /**
     * The tokenizer the model was trained with.
     *
     * @return the tokenizer, rebuilt from the saved vocabulary
     */
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /**
     * The number of weights.
     *
     * @return the number of parameters
     */
    public int numParameters() {
        return weights.length;
    }

    /**
     * The weights in the flat parameter order ({@link MatrixLayout} order, row by row).
     *
     * @return a copy
     */
    public double[] weights() {
        return weights.clone();
    }

    /**
     * The state to resume training, if the checkpoint has one and was read with it. Empty does not
     * always mean a model-only checkpoint: {@link #loadForSampling} leaves the state out of one that
     * has it (its random generator stays, in {@link #randomState()}), and {@link #toString()} says
     * which.
     *
     * @return the training state, or empty for a model-only checkpoint or one loaded for sampling
     */
    public Optional<TrainingState> training() {
        return Optional.ofNullable(training);
    }

    /**
     * The training run's random generator as it was saved, if the checkpoint has a training
     * state: the same as {@code training().map(TrainingState::randomState)}, and kept by
     * {@link #loadForSampling} too, which leaves the rest of the state out. Continuing it
     * ({@link io.github.microgpt.random.PythonRandom#fromState}) gives the samples the run printed.
     *
     * @return the generator's state, or empty for a model-only checkpoint (or a state saved without one)
     */
    public Optional<PythonRandomState> randomState() {
        return Optional.ofNullable(random);
    }

    /**
     * A new {@link GptModel}, the Value engine's GPT, with the saved weights. Each call builds a
     * separate model. Use {@link #model()} to sample or train: it rebuilds a checkpoint of any
     * architecture and precision as it was saved. Use this method when you need the GPT on the
     * Value engine in particular, to look at its expression graph, to hand it to
     * {@link ArrayGptModel#copyOf} with settings of your own, or to compare the engines. For an
     * {@code F32} checkpoint it holds the float weights widened to doubles, so it computes in
     * {@code F64}, unlike {@link #model()}.
     *
     * @return the model
     * @throws IllegalStateException if the checkpoint holds another {@link #architecture()} than
     *     the GPT (then {@link #model()} rebuilds it)
     */
    public GptModel gptModel() {
        if (architecture != Architecture.GPT) {
            throw new IllegalStateException(directory + " holds a " + architecture.id() + " model, not a GPT;"
                    + " model() rebuilds it");
        }
        return loadInto(GptModel.create(config, tokenizer.vocabSize(), ZEROS));
    }

    /**
     * A new model of the saved {@link #architecture()} with the saved weights, made by
     * {@link Architecture#create}: a {@link io.github.microgpt.model.BigramModel}, an
     * {@link io.github.microgpt.model.MlpModel}, an {@link io.github.microgpt.model.AttentionModel}
     * or a {@link GptModel}; for a checkpoint of a single-precision model ({@link #precision()}
     * {@link Precision#F32}), an {@link ArrayGptModel} in {@code F32}. Each call builds a
     * separate model. This is the method to use to sample or train from a checkpoint;
     * {@link #gptModel()} is for the Value engine's GPT in particular.
     *
     * @return the model, ready for a {@code Sampler} or a {@code Trainer}
     */
    public LanguageModel model() {
        if (precision == Precision.F32) {
            // Only a GPT computes in f32 (config.json's reading refuses anything else).
            return arrayModel();
        }
        return loadInto(architecture.create(config, tokenizer.vocabSize(), ZEROS));
    }

    /**
     * A new {@link ArrayGptModel} in the checkpoint's {@link #precision()} with the saved weights:
     * the model to sample from quickly, whose memory is a key-value cache of numbers rather than
     * the Value engine's graph. Made as {@link #loadInto} would fill one created with random
     * weights, but without drawing them (a Gaussian draw per parameter, all overwritten at once:
     * for a model of 3.2 million parameters 0.11 s the first time in a JVM and 0.06 s once
     * compiled, on JDK 17 on a 2-vCPU AMD EPYC Zen 5 on 7 December 2026). Each call builds a
     * separate model.
     *
     * @return the model
     * @throws IllegalStateException if the checkpoint holds another {@link #architecture()} than
     *     the GPT, which only the Value engine computes ({@link #model()} rebuilds it)
     * @throws IllegalArgumentException if the model would not fit in the Java heap (see
     *     {@link ArrayGptModel#create(GptConfig, int, RandomSource, Precision)})
     */
    public ArrayGptModel arrayModel() {
        if (architecture != Architecture.GPT) {
            throw new IllegalStateException(directory + " holds a " + architecture.id() + " model, not a GPT;"
                    + " model() rebuilds it");
        }
        return loadInto(ArrayGptModel.create(config, tokenizer.vocabSize(), ZEROS, precision));
    }

    /**
     * Copies the saved weights into a model of the same shape, of any engine; for example a
     * model just created with random weights.
     *
     * @param model a model with this checkpoint's architecture, configuration and vocabulary size
     * @param <M> the model's type
     * @return {@code model}, now holding the saved weights
     * @throws IllegalArgumentException if the model's configuration, vocabulary size or parameter
     *     layout (its matrices' names and shapes) differs from the checkpoint's, or the model is an
     *     f32 one and a saved weight is beyond a float's range (the model is then unchanged)
     * @throws java.util.ConcurrentModificationException if another thread trains, samples or
     *     evaluates the model at this moment (the model is then unchanged): a load writes every
     *     weight, and is refused beside any other use, as a training step is
     * @throws IllegalStateException if it is called from a position, gradient or attention listener
     *     of a training step of the model (the model is then unchanged): the step under way would
     *     apply its gradients to the loaded weights
     * @throws NullPointerException if {@code model} is null
     */
    public <M extends LanguageModel> M loadInto(M model) {
        Objects.requireNonNull(model, "model");
        if (!model.config().equals(config) || model.vocabSize() != tokenizer.vocabSize()) {
            throw new IllegalArgumentException("the model (" + model.config() + ", vocabulary " + model.vocabSize()
                    + ") is not of the checkpoint's shape (" + config + ", vocabulary " + tokenizer.vocabSize() + ")");
        }
        Parameters parameters = model.parameters();
        if (!parameters.matrixLayouts().equals(layout.matrixLayouts())) {
            throw new IllegalArgumentException("the model lays out its parameters as " + parameters.matrixLayouts()
                    + ", but the checkpoint holds a " + architecture.id() + " model with " + layout.matrixLayouts());
        }
        if (model instanceof ArrayGptModel array && array.precision() == Precision.F32) {
            // Checked before any weight is written, so that a refusal leaves the model unchanged.
            int beyond = ModelChecks.firstBeyondFloatRange(weights);
            if (beyond >= 0) {
                throw new IllegalArgumentException("the checkpoint's weight " + beyond + " (" + weights[beyond] + ") is"
                        + " beyond an f32 model's range (the largest float is " + Float.MAX_VALUE
                        + "); load it into an f64 model");
            }
        }
        // A writer, as a training step is: a load beside another thread's sample or step would
        // hand that thread a mix of old and new weights.
        int entered = ModelUse.enter(model, ModelUse.Activity.LOADING);
        try {
            for (int i = 0; i < weights.length; i++) {
                parameters.setValue(i, weights[i]);
                parameters.setGrad(i, 0.0);
            }
        } finally {
            ModelUse.leave(model, entered);
        }
        return model;
    }

    /**
     * Rebuilds a training run where it was saved, on the documents the run recorded
     * ({@link TrainingRun}), with a new model of the saved {@link #architecture()}
     * ({@link #model()}): it reads the documents again itself, the embedded names or the file, and
     * shuffles them with the run's seed. This is the whole resume protocol in one call:
     * <pre>{@code
     * ResumedTraining resumed = Checkpoint.load(dir).resumeRecordedRun();
     * resumed.trainer().run(StepMode.DOCUMENT);
     * }</pre>
     * {@link #resumeRecordedRun(LanguageModel)} resumes into a model of your choice (for example of
     * another engine); {@link #resumeWith(List)} takes documents you read yourself.
     *
     * @return the model, tokenizer, optimizer, trainer, random generator and loss history
     * @throws CheckpointException if the checkpoint has no training state or no run record, the
     *     run's documents were given to the program that trained it (only it can supply them), or
     *     they are not those of the saved run
     * @throws IOException if the data file cannot be read
     */
    public ResumedTraining resumeRecordedRun() throws IOException {
        // The documents first: a refused run is said before a model (perhaps a large one) is built.
        List<String> documents = recordedDocuments();
        return resumeWith(model(), documents);
    }

    /**
     * Rebuilds a training run where it was saved, on the documents the run recorded, as
     * {@link #resumeRecordedRun()} does, into a model of your choice whose weights are replaced by
     * the saved ones; {@link #resumeWith(LanguageModel, List)} takes documents you read yourself
     * instead (for example from another copy of the file).
     *
     * @param model a model of the checkpoint's shape, of any engine; its weights are overwritten
     * @return the model, tokenizer, optimizer, trainer, random generator and loss history
     * @throws CheckpointException if the checkpoint has no training state or no run record, the
     *     run's documents were given to the program that trained it (only it can supply them), or
     *     they are not those of the saved run
     * @throws IOException if the data file cannot be read
     * @throws IllegalArgumentException if the model is not of the checkpoint's shape
     * @throws NullPointerException if {@code model} is null
     */
    public ResumedTraining resumeRecordedRun(LanguageModel model) throws IOException {
        Objects.requireNonNull(model, "model");
        return resumeWith(model, recordedDocuments());
    }

    /** The saved run's documents in training order, read again from where the run recorded them. */
    private List<String> recordedDocuments() throws IOException {
        TrainingState state = requireTraining();
        TrainingRun run = state.run();
        if (run == null) {
            throw new CheckpointException(directory.resolve(Format.TRAINER_FILE), "records neither \"run\" nor the"
                    + " metadata \"seed\": which documents the run trained on, in which order, is unknown");
        }
        if (run.data().kind() == DataSource.Kind.IN_MEMORY) {
            throw new CheckpointException(directory.resolve(Format.TRAINER_FILE), "the run trained on documents given to "
                    + "the program that saved it (" + JsonFields.quoted(run.data().name()) + "); give the same documents to resume");
        }
        return run.trainingOrder(Documents.load(run.data()));
    }

    /**
     * Rebuilds a training run where it was saved, on documents you give it, with a new model of
     * the saved {@link #architecture()} ({@link #model()}): the model with the saved weights, the
     * optimizer with its moments, a trainer at the saved step and position, and the random
     * generator in its saved state. {@link #resumeRecordedRun} reads the documents itself.
     *
     * @param documents the documents in training order (shuffled as for the saved run): their
     *     {@link DataFingerprint} must match the saved one
     * @return the model, tokenizer, optimizer, trainer, random generator and loss history
     * @throws CheckpointException if the checkpoint has no training state, or the documents are
     *     not those of the saved run
     * @throws NullPointerException if {@code documents} is null
     */
    public ResumedTraining resumeWith(List<String> documents) throws CheckpointException {
        Objects.requireNonNull(documents, "documents");
        return resumeWith(model(), documents);
    }

    /**
     * Rebuilds a training run where it was saved, on documents you give it and a model of your
     * choice (for example of another engine), whose weights are replaced by the saved ones; see
     * {@link #resumeWith(List)}.
     *
     * @param model a model of the checkpoint's shape; its weights are overwritten
     * @param documents the documents in training order
     * @return the model, tokenizer, optimizer, trainer, random generator and loss history
     * @throws CheckpointException if the checkpoint has no training state, or the documents are
     *     not those of the saved run
     * @throws IllegalArgumentException if the model is not of the checkpoint's shape
     * @throws NullPointerException if either argument is null
     */
    public ResumedTraining resumeWith(LanguageModel model, List<String> documents) throws CheckpointException {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(documents, "documents");
        requireTraining();
        RunRebuilder.checkDocuments(directory, training, documents);
        loadInto(model);
        return RunRebuilder.rebuild(directory, training, model, tokenizer, documents);
    }

    /**
     * This checkpoint with the learning-rate schedule of your own that its run used, given back so
     * that the run can resume. A checkpoint cannot hold a schedule's code: for a schedule of your
     * own it records the class's name and a digest of the rate it gave at every step of the run
     * ({@link OptimizerState#scheduleName()} {@code "custom"}), and the resume methods refuse it
     * until the schedule is given back here. The schedule given must give those very rates, bit
     * for bit, at every step, so that the resumed run continues as the saved one would have.
     *
     * <pre>{@code
     * ResumedTraining resumed = Checkpoint.load(dir).withSchedule(new Cosine()).resumeWith(documents);
     * }</pre>
     *
     * @param schedule the schedule the saved run trained with; a function of its arguments only
     * @return a checkpoint whose training state has that schedule
     * @throws CheckpointException if the checkpoint has no training state, its run used a built-in
     *     schedule ({@link OptimizerState#scheduleName()} names it), or {@code schedule} gives
     *     other rates than the saved run's
     * @throws NullPointerException if {@code schedule} is null
     */
    public Checkpoint withSchedule(LearningRateSchedule schedule) throws CheckpointException {
        Objects.requireNonNull(schedule, "schedule");
        TrainingState state = requireTraining(false);
        AdamSettings settings = state.optimizer().settings();
        Path file = directory.resolve(Format.TRAINER_FILE);
        if (!(settings.schedule() instanceof SavedSchedule saved)) {
            throw new CheckpointException(file, "the run used the built-in schedule \""
                    + state.optimizer().scheduleName() + "\", which resumes as it is: no schedule is needed");
        }
        if (!SavedSchedule.ratesSha256(schedule, settings.learningRate(), state.trainer().totalSteps())
                .equals(saved.sha256())) {
            throw new CheckpointException(file, "the schedule given (" + schedule.getClass().getName() + ") gives other"
                    + " learning rates than the run's (" + saved.className() + ") at some step of its "
                    + state.trainer().totalSteps() + ": resuming with it would not continue that run");
        }
        OptimizerState optimizer = state.optimizer();
        OptimizerState given = new OptimizerState(settings.withSchedule(schedule), optimizer.firstMoments(),
                optimizer.secondMoments());
        return new Checkpoint(this, new TrainingState(state.trainer(), given, state.randomState(), state.stepMode(),
                state.fingerprint(), state.metadata(), state.run(), state.losses()));
    }

    private TrainingState requireTraining() throws CheckpointException {
        return requireTraining(true);
    }

    private TrainingState requireTraining(boolean toResume) throws CheckpointException {
        if (trainingLeftOut) {
            throw new CheckpointException(directory, "was loaded for sampling (Checkpoint.loadForSampling), without"
                    + " Adam's moments; load it with Checkpoint.load to resume training");
        }
        if (training == null) {
            throw new CheckpointException(directory, "holds a model only, without the training state ("
                    + Format.OPTIMIZER_FILE + " and " + Format.TRAINER_FILE + ") needed to resume training");
        }
        if (toResume && training.optimizer().settings().schedule() instanceof SavedSchedule saved) {
            throw new CheckpointException(directory.resolve(Format.TRAINER_FILE), saved.missing());
        }
        return training;
    }

    /**
     * A short description.
     *
     * @return the directory, configuration, vocabulary size and whether training can resume
     */
    @Override
    public String toString() {
        return "Checkpoint[" + directory + ", " + architecture.id() + ", " + config + ", vocabSize=" + tokenizer.vocabSize()
                + (training == null ? (trainingLeftOut ? ", loaded for sampling" : ", model only") : ", step " + training.trainer().stepsDone() + " of "
                        + training.trainer().totalSteps()) + "]";
    }

    /** Makes every initial weight 0; {@link #loadInto} overwrites them all anyway. */
    private static final RandomSource ZEROS = new RandomSource() {
        @Override
        public double random() {
            return 0.0;
        }

        @Override
        public int randBelow(int n) {
            if (n <= 0) {
                throw new IllegalArgumentException("the upper bound must be positive, got " + n);
            }
            return 0;
        }

        @Override
        public double gauss(double mu, double sigma) {
            return mu;
        }
    };
}
