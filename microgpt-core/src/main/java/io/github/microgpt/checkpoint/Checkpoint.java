package io.github.microgpt.checkpoint;

import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.GptModel;
import io.github.microgpt.model.LanguageModel;
import io.github.microgpt.model.ParameterMatrix;
import io.github.microgpt.model.Parameters;
import io.github.microgpt.optim.AdamOptimizer;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.random.PythonRandomState;
import io.github.microgpt.random.RandomSource;
import io.github.microgpt.text.Tokenizer;
import io.github.microgpt.train.StepMode;
import io.github.microgpt.train.Trainer;
import io.github.microgpt.train.TrainerState;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * A trained model saved to a directory, and loaded back: the weights, the configuration and the
 * vocabulary, and optionally everything needed to resume training exactly where it stopped.
 *
 * <h2>Saving and loading</h2>
 * <pre>{@code
 * Checkpoint.save(Path.of("runs/names"), model, tokenizer);        // the model only
 *
 * Checkpoint checkpoint = Checkpoint.load(Path.of("runs/names"));  // checks everything first
 * GptModel model = checkpoint.model();
 * Sampler sampler = new Sampler(model, checkpoint.tokenizer(), new PythonRandom(7));
 * }</pre>
 *
 * <p>To resume training, save a {@link TrainingState} with the model, and later give
 * {@link #resume(List)} the same documents in the same order:
 * <pre>{@code
 * Checkpoint.save(dir, trainer.model(), tokenizer,
 *         TrainingState.capture(trainer, random, StepMode.DOCUMENT, Map.of()));
 * // ... later, perhaps in another JVM:
 * ResumedTraining resumed = Checkpoint.load(dir).resume(documentsInTrainingOrder);
 * resumed.trainer().run(StepMode.DOCUMENT);   // steps 501..1000, bit for bit as an uninterrupted run
 * }</pre>
 *
 * <h2>The directory</h2>
 * <ul>
 *   <li>{@value #MODEL_FILE}: the weights in the safetensors format of Hugging Face, one tensor
 *       per matrix under the names of {@code microgpt.py}'s {@code state_dict} ({@code wte},
 *       {@code wpe}, {@code lm_head}, {@code layer0.attn_wq}, ..., {@code layer0.mlp_fc2}), each of
 *       shape {@code [rows, cols]} ({@code [out, in]} for the linear layers, as PyTorch's
 *       {@code nn.Linear.weight}), type {@code F64} unless {@code F32} is asked for;</li>
 *   <li>{@value #CONFIG_FILE}: the format name and version, the configuration (n_layer, n_embd,
 *       n_head, block_size, init_std, vocab_size, num_params) and the vocabulary's characters in
 *       token-id order;</li>
 *   <li>{@value #OPTIMIZER_FILE} (training state only): Adam's moments, a tensor
 *       {@code NAME.m} and {@code NAME.v} for each weight matrix, always {@code F64};</li>
 *   <li>{@value #TRAINER_FILE} (training state only): steps done and the length of the run, the
 *       position cursor, the optimizer's settings, the random generator's state (in the form of
 *       Python's {@code random.getstate()}), the documents' {@link DataFingerprint}, and the
 *       application's metadata.</li>
 * </ul>
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li><b>Atomic saves.</b> Everything is written to a temporary directory beside the target,
 *       forced to the disk, and renamed into place; an existing checkpoint is renamed aside first
 *       and deleted last. A crash, a kill or a full disk at any moment leaves the old checkpoint
 *       or the new one complete, never a damaged one. (If a crash falls exactly between the two
 *       renames, the target name is briefly absent and the complete old checkpoint waits beside it
 *       as {@code .NAME.old-XXXX}; {@link #load} names it in its error message.) An existing
 *       directory that is not a checkpoint is never replaced. One writer at a time per directory.</li>
 *   <li><b>Checked loads.</b> {@link #load} reads and checks every file completely (format name
 *       and version, the JSON, every safetensors header field, shapes against the configuration,
 *       the vocabulary against the embeddings, every number) before it returns; every length read
 *       from a file is bounded before anything is allocated. Any problem is a
 *       {@link CheckpointException} naming the file and the problem; nothing half-loaded is ever
 *       returned.</li>
 *   <li><b>No NaN.</b> Weights and moments must be finite (and second moments not negative):
 *       saving a diverged model is refused with an {@link IllegalArgumentException}, and a file
 *       holding NaN or infinity is rejected on loading, naming the tensor and the entry.</li>
 *   <li><b>Exact resume.</b> With {@code F64} weights (the default), a run saved after step
 *       {@code k} and resumed continues with exactly the numbers the uninterrupted run would have
 *       computed.</li>
 * </ul>
 *
 * <p>Instances are immutable; {@link #model()} builds a new model each time.
 */
public final class Checkpoint {

    /** The format name in {@value #CONFIG_FILE}. */
    public static final String FORMAT = "microgpt-checkpoint";
    /** The format name in {@value #TRAINER_FILE}. */
    public static final String TRAINING_FORMAT = "microgpt-training-state";
    /** The version of the format this library writes and reads. */
    public static final int VERSION = 1;
    /** The weights. */
    public static final String MODEL_FILE = "model.safetensors";
    /** The configuration and vocabulary. */
    public static final String CONFIG_FILE = "config.json";
    /** The optimizer's moments (training state). */
    public static final String OPTIMIZER_FILE = "optimizer.safetensors";
    /** The trainer's position, the optimizer's settings, the random state (training state). */
    public static final String TRAINER_FILE = "trainer.json";

    /** The largest JSON file read, 1 MiB: room for a vocabulary of some 100,000 characters. */
    static final int MAX_JSON_BYTES = 1 << 20;
    /** A model's parameters must fit one Java array. */
    static final long MAX_PARAMETERS = Integer.MAX_VALUE - 8;

    private final Path directory;
    private final GptConfig config;
    private final Tokenizer tokenizer;
    private final double[] weights;
    private final TrainingState training;

    private Checkpoint(Path directory, GptConfig config, Tokenizer tokenizer, double[] weights, TrainingState training) {
        this.directory = directory;
        this.config = config;
        this.tokenizer = tokenizer;
        this.weights = weights;
        this.training = training;
    }

    // ---------------------------------------------------------------------------------- saving

    /**
     * Saves a model with {@code F64} weights and no training state.
     *
     * @param directory the checkpoint directory; created, or replaced if it holds a checkpoint
     * @param model the model
     * @param tokenizer the tokenizer it was trained with
     * @throws IOException if writing fails (an existing checkpoint is then unchanged), or
     *     {@code directory} exists and is not a checkpoint
     * @throws IllegalArgumentException if the tokenizer does not fit the model or a weight is not
     *     finite
     */
    public static void save(Path directory, LanguageModel model, Tokenizer tokenizer) throws IOException {
        save(directory, model, tokenizer, null, DType.F64);
    }

    /**
     * Saves a model with no training state, with weights of a chosen type.
     *
     * @param directory the checkpoint directory; created, or replaced if it holds a checkpoint
     * @param model the model
     * @param tokenizer the tokenizer it was trained with
     * @param dtype {@link DType#F64} (exact) or {@link DType#F32} (half the size, rounded)
     * @throws IOException if writing fails, or {@code directory} exists and is not a checkpoint
     * @throws IllegalArgumentException if the tokenizer does not fit the model, or a weight is not
     *     finite or does not fit the type
     */
    public static void save(Path directory, LanguageModel model, Tokenizer tokenizer, DType dtype) throws IOException {
        save(directory, model, tokenizer, null, dtype);
    }

    /**
     * Saves a model with {@code F64} weights and the state to resume its training.
     *
     * @param directory the checkpoint directory; created, or replaced if it holds a checkpoint
     * @param model the model
     * @param tokenizer the tokenizer it was trained with
     * @param training the training state, from {@link TrainingState#capture}
     * @throws IOException if writing fails, or {@code directory} exists and is not a checkpoint
     * @throws IllegalArgumentException if the tokenizer or the training state does not fit the
     *     model, or a weight is not finite
     */
    public static void save(Path directory, LanguageModel model, Tokenizer tokenizer, TrainingState training)
            throws IOException {
        save(directory, model, tokenizer, training, DType.F64);
    }

    /**
     * Saves a model, optionally with the state to resume its training.
     *
     * @param directory the checkpoint directory; created (with its parents), or replaced if it
     *     holds a checkpoint or is empty
     * @param model the model
     * @param tokenizer the tokenizer it was trained with
     * @param training the training state, or {@code null} to save the model only
     * @param dtype the type of the weights; the optimizer's moments are always {@code F64}. Only
     *     {@code F64} resumes exactly.
     * @throws IOException if writing fails (an existing checkpoint is then unchanged), or
     *     {@code directory} exists and is not a checkpoint
     * @throws IllegalArgumentException if the tokenizer or the training state does not fit the
     *     model, or a weight is not finite or does not fit the type
     */
    public static void save(Path directory, LanguageModel model, Tokenizer tokenizer, TrainingState training,
                            DType dtype) throws IOException {
        Objects.requireNonNull(directory, "directory");
        Objects.requireNonNull(dtype, "dtype");
        if (tokenizer.vocabSize() != model.vocabSize()) {
            throw new IllegalArgumentException("the tokenizer has " + tokenizer.vocabSize() + " tokens but the model "
                    + model.vocabSize());
        }
        GptConfig config = model.config();
        Parameters parameters = model.parameters();
        List<ParameterMatrix> layout = layout(config, model.vocabSize());
        if (!layout.equals(parameters.matrices())) {
            throw new IllegalArgumentException("the model's parameter matrices " + parameters.matrices()
                    + " are not those of a GPT of its configuration " + layout);
        }
        double[] values = parameters.values();
        for (ParameterMatrix matrix : layout) {
            for (int i = 0; i < matrix.size(); i++) {
                double value = values[matrix.offset() + i];
                if (!Double.isFinite(value)) {
                    throw new IllegalArgumentException("weight (" + i / matrix.cols() + ", " + i % matrix.cols()
                            + ") of " + matrix.name() + " is " + value + "; a model with NaN or infinite weights "
                            + "(a diverged run) is not saved");
                }
            }
        }
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put(MODEL_FILE, Safetensors.encode(tensors(layout, values, "", dtype), Map.of(
                "format", "pt", "microgpt.format", FORMAT, "microgpt.version", String.valueOf(VERSION))));
        if (training != null) {
            OptimizerState optimizer = training.optimizer();
            if (optimizer.size() != values.length) {
                throw new IllegalArgumentException("the optimizer state has moments for " + optimizer.size()
                        + " parameters but the model has " + values.length);
            }
            List<Tensor> moments = new ArrayList<>();
            double[] m = optimizer.firstMoments();
            double[] v = optimizer.secondMoments();
            for (ParameterMatrix matrix : layout) {
                moments.add(tensor(matrix, m, matrix.name() + ".m", DType.F64));
                moments.add(tensor(matrix, v, matrix.name() + ".v", DType.F64));
            }
            files.put(OPTIMIZER_FILE, Safetensors.encode(moments, Map.of("format", "pt", "microgpt.optimizer", "adam")));
            files.put(TRAINER_FILE, Json.write(trainerJson(training)).getBytes(StandardCharsets.UTF_8));
        }
        // config.json last: it marks a directory as a checkpoint.
        files.put(CONFIG_FILE, Json.write(configJson(config, model.vocabSize(), tokenizer, values.length))
                .getBytes(StandardCharsets.UTF_8));
        AtomicFiles.writeDirectory(directory, files, CONFIG_FILE);
    }

    /**
     * Checks, without writing anything, that {@link #save} would accept a directory: it does not
     * exist, or is an empty directory, or holds a checkpoint. A program that trains for an hour
     * and then saves can call this first, so that a mistyped path fails at once rather than at
     * the end.
     *
     * @param directory the directory to save into later
     * @throws CheckpointException if it is a file, a symbolic link, or a directory with other
     *     contents, which {@code save} refuses to replace
     * @throws IOException if the directory cannot be inspected
     */
    public static void checkSaveTarget(Path directory) throws IOException {
        AtomicFiles.checkTarget(directory, CONFIG_FILE);
    }

    private static List<Tensor> tensors(List<ParameterMatrix> layout, double[] values, String suffix, DType dtype) {
        List<Tensor> tensors = new ArrayList<>();
        for (ParameterMatrix matrix : layout) {
            tensors.add(tensor(matrix, values, matrix.name() + suffix, dtype));
        }
        return tensors;
    }

    private static Tensor tensor(ParameterMatrix matrix, double[] flat, String name, DType dtype) {
        return Tensor.matrix(name, dtype, matrix.rows(), matrix.cols(),
                Arrays.copyOfRange(flat, matrix.offset(), matrix.offset() + matrix.size()));
    }

    private static Map<String, Object> configJson(GptConfig config, int vocabSize, Tokenizer tokenizer, int numParams) {
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("n_layer", config.nLayer());
        model.put("n_embd", config.nEmbd());
        model.put("n_head", config.nHead());
        model.put("block_size", config.blockSize());
        model.put("init_std", config.initStd());
        model.put("vocab_size", vocabSize);
        model.put("num_params", numParams);
        Map<String, Object> vocabulary = new LinkedHashMap<>();
        vocabulary.put("characters", tokenizer.characters());
        vocabulary.put("bos", tokenizer.bos());
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("format", FORMAT);
        root.put("version", VERSION);
        root.put("model", model);
        root.put("vocabulary", vocabulary);
        return root;
    }

    private static Map<String, Object> trainerJson(TrainingState training) {
        TrainerState state = training.trainer();
        Map<String, Object> trainer = new LinkedHashMap<>();
        trainer.put("steps_done", state.stepsDone());
        trainer.put("total_steps", state.totalSteps());
        trainer.put("position_document", state.positionDocument());
        trainer.put("position_pos", state.positionPos());
        trainer.put("step_mode", training.stepMode() == null ? null : training.stepMode().name().toLowerCase(Locale.ROOT));
        OptimizerState o = training.optimizer();
        Map<String, Object> optimizer = new LinkedHashMap<>();
        optimizer.put("name", "adam");
        optimizer.put("learning_rate", o.learningRate());
        optimizer.put("beta1", o.beta1());
        optimizer.put("beta2", o.beta2());
        optimizer.put("eps", o.eps());
        optimizer.put("schedule", o.schedule());
        optimizer.put("moments", OPTIMIZER_FILE);
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("documents", training.data().documents());
        data.put("sha256", training.data().sha256());
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("format", TRAINING_FORMAT);
        root.put("version", VERSION);
        root.put("trainer", trainer);
        root.put("optimizer", optimizer);
        root.put("data", data);
        PythonRandomState random = training.random();
        if (random == null) {
            root.put("random", null);
        } else {
            // Python's random.getstate(): (3, (624 words as unsigned ints..., index), gauss_next or None).
            List<Object> internal = new ArrayList<>(PythonRandomState.WORDS + 1);
            for (int word : random.words()) {
                internal.add(Integer.toUnsignedLong(word));
            }
            internal.add(random.index());
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("version", 3);
            r.put("internal_state", internal);
            r.put("gauss_next", random.hasGaussNext() ? random.gaussNext() : null);
            root.put("random", r);
        }
        root.put("metadata", new LinkedHashMap<>(training.metadata()));
        return root;
    }

    // --------------------------------------------------------------------------------- loading

    /**
     * Loads and checks a checkpoint directory. Nothing is returned unless every file present
     * checked out: the configuration and vocabulary, every weight, and, if the directory holds a
     * training state, the optimizer's moments and the trainer's state.
     *
     * @param directory the checkpoint directory
     * @return the checkpoint
     * @throws CheckpointException naming the file and the problem: the directory or a file is
     *     missing or unreadable; a file is truncated, corrupt, not valid JSON or safetensors, of
     *     another format or an unsupported version; a shape does not match the configuration;
     *     the vocabulary does not match the embeddings; a number is NaN, infinite or out of range
     */
    public static Checkpoint load(Path directory) throws CheckpointException {
        Objects.requireNonNull(directory, "directory");
        if (!Files.exists(directory)) {
            Path leftover = AtomicFiles.interruptedSaveOf(directory);
            throw new CheckpointException(directory, "no checkpoint here: the directory does not exist"
                    + (leftover == null ? "" : " (a save was interrupted; the previous checkpoint is complete in "
                            + leftover + ": rename it to " + directory.getFileName() + " to use it)"));
        }
        if (!Files.isDirectory(directory)) {
            throw new CheckpointException(directory, "is not a directory (a checkpoint is a directory holding "
                    + CONFIG_FILE + " and " + MODEL_FILE + ")");
        }
        Path configFile = directory.resolve(CONFIG_FILE);
        if (!Files.exists(configFile)) {
            throw new CheckpointException(directory, "is not a checkpoint: it has no " + CONFIG_FILE);
        }
        JsonFields configJson = readJson(configFile);
        checkFormat(configFile, configJson, FORMAT);
        JsonFields modelFields = configJson.object("model");
        GptConfig config = readConfig(configFile, modelFields);
        int vocabSize = modelFields.integer("vocab_size", 2, Integer.MAX_VALUE);
        Tokenizer tokenizer = readVocabulary(configFile, configJson.object("vocabulary"), vocabSize);
        long numParams = parameterCount(config, vocabSize);
        if (numParams > MAX_PARAMETERS) {
            throw new CheckpointException(configFile, "the configuration describes a model of " + numParams
                    + " parameters, more than a model can hold (" + MAX_PARAMETERS + ")");
        }
        if (modelFields.longInteger("num_params", 0, Long.MAX_VALUE) != numParams) {
            throw modelFields.error("num_params", "is " + modelFields.longInteger("num_params", 0, Long.MAX_VALUE)
                    + " but the configuration gives " + numParams + " parameters");
        }
        List<ParameterMatrix> layout = layout(config, vocabSize);

        Path modelFile = directory.resolve(MODEL_FILE);
        double[] weights = readMatrices(modelFile, Safetensors.read(modelFile), layout, "", false);

        Path optimizerFile = directory.resolve(OPTIMIZER_FILE);
        Path trainerFile = directory.resolve(TRAINER_FILE);
        boolean hasOptimizer = Files.exists(optimizerFile);
        boolean hasTrainer = Files.exists(trainerFile);
        TrainingState training = null;
        if (hasOptimizer != hasTrainer) {
            Path missing = hasOptimizer ? trainerFile : optimizerFile;
            throw new CheckpointException(missing, "the file does not exist, but " + (hasOptimizer ? OPTIMIZER_FILE
                    : TRAINER_FILE) + " does: the training state is incomplete");
        }
        if (hasTrainer) {
            training = readTraining(trainerFile, optimizerFile, layout, config);
        }
        return new Checkpoint(directory, config, tokenizer, weights, training);
    }

    private static void checkFormat(Path file, JsonFields root, String format) throws CheckpointException {
        String actual = root.string("format");
        if (!actual.equals(format)) {
            throw root.error("format", "is " + JsonFields.describe(actual) + ", expected \"" + format + "\"");
        }
        int version = root.integer("version", 1, Integer.MAX_VALUE);
        if (version != VERSION) {
            throw new CheckpointException(file, "unsupported version " + version + " (this library reads version "
                    + VERSION + "; a newer microgpt wrote it)");
        }
    }

    private static GptConfig readConfig(Path file, JsonFields model) throws CheckpointException {
        int nLayer = model.integer("n_layer", 1, Integer.MAX_VALUE);
        int nEmbd = model.integer("n_embd", 1, Integer.MAX_VALUE);
        int nHead = model.integer("n_head", 1, Integer.MAX_VALUE);
        int blockSize = model.integer("block_size", 1, Integer.MAX_VALUE);
        double initStd = model.finiteDouble("init_std");
        try {
            return new GptConfig(nLayer, nEmbd, nHead, blockSize, initStd);
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(file, "invalid model configuration: " + e.getMessage(), e);
        }
    }

    private static Tokenizer readVocabulary(Path file, JsonFields vocabulary, int vocabSize)
            throws CheckpointException {
        String characters = vocabulary.string("characters");
        int[] codePoints = characters.codePoints().toArray();
        if (codePoints.length != vocabSize - 1) {
            throw vocabulary.error("characters", "has " + codePoints.length + " characters but vocab_size is "
                    + vocabSize + " (the characters and BOS)");
        }
        for (int i = 1; i < codePoints.length; i++) {
            if (codePoints[i] <= codePoints[i - 1]) {
                throw vocabulary.error("characters", "is not in increasing code-point order at character " + i
                        + " (U+" + String.format("%04X", codePoints[i]) + "): token ids would change");
            }
        }
        int bos = vocabulary.integer("bos", 0, Integer.MAX_VALUE);
        if (bos != vocabSize - 1) {
            throw vocabulary.error("bos", "is " + bos + " but must be " + (vocabSize - 1) + ", after the characters");
        }
        try {
            return Tokenizer.ofCharacters(characters);
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(file, "invalid vocabulary: " + e.getMessage(), e);
        }
    }

    private static TrainingState readTraining(Path trainerFile, Path optimizerFile, List<ParameterMatrix> layout,
                                              GptConfig config) throws CheckpointException {
        JsonFields root = readJson(trainerFile);
        checkFormat(trainerFile, root, TRAINING_FORMAT);

        JsonFields data = root.object("data");
        int documents = data.integer("documents", 1, Integer.MAX_VALUE);
        String sha256 = data.string("sha256");
        if (!sha256.matches("[0-9a-f]{64}")) {
            throw data.error("sha256", "must be 64 lowercase hexadecimal digits, got " + JsonFields.describe(sha256));
        }
        DataFingerprint fingerprint = new DataFingerprint(documents, sha256);

        JsonFields t = root.object("trainer");
        int totalSteps = t.integer("total_steps", 1, Integer.MAX_VALUE);
        int stepsDone = t.integer("steps_done", 0, totalSteps);
        int positionDocument = t.integer("position_document", 0, documents - 1);
        int positionPos = t.integer("position_pos", 0, config.blockSize() - 1);
        TrainerState trainerState = new TrainerState(stepsDone, totalSteps, positionDocument, positionPos);
        StepMode stepMode = null;
        if (!t.isNull("step_mode")) {
            String mode = t.string("step_mode");
            for (StepMode candidate : StepMode.values()) {
                if (candidate.name().toLowerCase(Locale.ROOT).equals(mode)) {
                    stepMode = candidate;
                }
            }
            if (stepMode == null) {
                throw t.error("step_mode", "is " + JsonFields.describe(mode) + ", expected \"document\", "
                        + "\"position\" or null");
            }
        }

        JsonFields o = root.object("optimizer");
        String name = o.string("name");
        if (!name.equals("adam")) {
            throw o.error("name", "is " + JsonFields.describe(name) + "; only \"adam\" is known");
        }
        double learningRate = o.finiteDouble("learning_rate");
        double beta1 = o.finiteDouble("beta1");
        double beta2 = o.finiteDouble("beta2");
        double eps = o.finiteDouble("eps");
        String schedule = o.string("schedule");
        if (!schedule.equals(OptimizerState.LINEAR_DECAY) && !schedule.equals(OptimizerState.CONSTANT)) {
            throw o.error("schedule", "is " + JsonFields.describe(schedule) + ", expected \""
                    + OptimizerState.LINEAR_DECAY + "\" or \"" + OptimizerState.CONSTANT + "\"");
        }

        PythonRandomState random = root.isNull("random") ? null : readRandom(trainerFile, root.object("random"));
        Map<String, String> metadata = root.isNull("metadata") ? Map.of() : root.stringMap("metadata");

        Safetensors.Contents moments = Safetensors.read(optimizerFile);
        double[] m = readMatrices(optimizerFile, moments, layout, ".m", true);
        double[] v = readMatrices(optimizerFile, moments, layout, ".v", true);
        checkNoOtherTensors(optimizerFile, moments, layout, ".m", ".v");
        for (ParameterMatrix matrix : layout) {
            for (int i = 0; i < matrix.size(); i++) {
                if (v[matrix.offset() + i] < 0) {
                    throw new CheckpointException(optimizerFile, "entry (" + i / matrix.cols() + ", " + i % matrix.cols()
                            + ") of tensor \"" + matrix.name() + ".v\" is negative (" + v[matrix.offset() + i]
                            + "), but a second moment is a mean of squares");
                }
            }
        }
        OptimizerState optimizer;
        try {
            optimizer = new OptimizerState(learningRate, beta1, beta2, eps, schedule, m, v);
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(trainerFile, "invalid optimizer settings: " + e.getMessage(), e);
        }
        return new TrainingState(trainerState, optimizer, random, stepMode, fingerprint, metadata);
    }

    private static PythonRandomState readRandom(Path file, JsonFields random) throws CheckpointException {
        int version = random.integer("version", 0, Integer.MAX_VALUE);
        if (version != 3) {
            throw random.error("version", "is " + version + "; only version 3 (Python 3's random.getstate()) is known");
        }
        List<Object> internal = random.array("internal_state", PythonRandomState.WORDS + 1,
                PythonRandomState.WORDS + 1);
        int[] words = new int[PythonRandomState.WORDS];
        for (int i = 0; i < words.length; i++) {
            words[i] = (int) random.integerValue(internal.get(i), random.name("internal_state") + "[" + i + "]", 0,
                    0xFFFFFFFFL);
        }
        int index = (int) random.integerValue(internal.get(PythonRandomState.WORDS),
                random.name("internal_state") + "[" + PythonRandomState.WORDS + "]", 0, PythonRandomState.WORDS);
        if (!random.has("gauss_next")) {
            throw random.error("gauss_next", "is missing (write null when no Gaussian is waiting)");
        }
        boolean hasGaussNext = !random.isNull("gauss_next");
        double gaussNext = hasGaussNext ? random.finiteDouble("gauss_next") : 0.0;
        try {
            return new PythonRandomState(words, index, hasGaussNext, gaussNext);
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(file, "invalid random state: " + e.getMessage(), e);
        }
    }

    /**
     * The values of the tensors {@code NAME + suffix} for every matrix of the layout, checked for
     * shape and finiteness, as one flat array in parameter order.
     */
    private static double[] readMatrices(Path file, Safetensors.Contents contents, List<ParameterMatrix> layout,
                                         String suffix, boolean allowOthers) throws CheckpointException {
        if (!allowOthers) {
            checkNoOtherTensors(file, contents, layout, suffix);
        }
        int total = 0;
        for (ParameterMatrix matrix : layout) {
            total += matrix.size();
        }
        double[] flat = new double[total];
        for (ParameterMatrix matrix : layout) {
            String name = matrix.name() + suffix;
            Tensor tensor = contents.tensor(name);
            if (tensor == null) {
                throw new CheckpointException(file, "tensor \"" + name + "\" is missing");
            }
            int[] expected = {matrix.rows(), matrix.cols()};
            if (!Arrays.equals(tensor.shape(), expected)) {
                throw new CheckpointException(file, "tensor \"" + name + "\" has shape "
                        + Arrays.toString(tensor.shape()) + " but the configuration needs " + Arrays.toString(expected));
            }
            double[] values = tensor.values();
            for (int i = 0; i < values.length; i++) {
                if (!Double.isFinite(values[i])) {
                    throw new CheckpointException(file, "entry (" + i / matrix.cols() + ", " + i % matrix.cols()
                            + ") of tensor \"" + name + "\" is " + values[i] + "; NaN and infinite values are refused");
                }
            }
            System.arraycopy(values, 0, flat, matrix.offset(), values.length);
        }
        return flat;
    }

    private static void checkNoOtherTensors(Path file, Safetensors.Contents contents, List<ParameterMatrix> layout,
                                            String... suffixes) throws CheckpointException {
        Set<String> expected = new TreeSet<>();
        for (ParameterMatrix matrix : layout) {
            for (String suffix : suffixes) {
                expected.add(matrix.name() + suffix);
            }
        }
        for (Tensor tensor : contents.tensors()) {
            if (!expected.contains(tensor.name())) {
                throw new CheckpointException(file, "unexpected tensor \"" + tensor.name() + "\": a model of this "
                        + "configuration has " + expected.size() + " tensors here, " + String.join(", ",
                        expected.stream().limit(6).toList()) + (expected.size() > 6 ? ", ..." : ""));
            }
        }
    }

    private static JsonFields readJson(Path file) throws CheckpointException {
        byte[] bytes;
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size > MAX_JSON_BYTES) {
                throw new CheckpointException(file, "the file has " + size + " bytes, more than the " + MAX_JSON_BYTES
                        + " a checkpoint's JSON may have");
            }
            ByteBuffer buffer = ByteBuffer.allocate((int) size);
            while (buffer.hasRemaining() && channel.read(buffer) >= 0) {
                // read until full or end of file
            }
            bytes = Arrays.copyOf(buffer.array(), buffer.position());
        } catch (IOException e) {
            throw CheckpointException.unreadable(file, e);
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new CheckpointException(file, "the file is not valid UTF-8", e);
        }
        try {
            return JsonFields.root(file, Json.parse(text));
        } catch (Json.SyntaxException e) {
            throw new CheckpointException(file, "bad JSON at character " + e.offset() + ": " + e.getMessage(), e);
        }
    }

    // ------------------------------------------------------------------------------ the layout

    /**
     * The weight matrices of a GPT, in the order of SPEC §3 ({@code microgpt.py}'s
     * {@code state_dict}), with their offsets in the flat parameter list. Every engine lays out
     * its parameters this way; {@link #save} checks that the model does.
     */
    static List<ParameterMatrix> layout(GptConfig config, int vocabSize) {
        int d = config.nEmbd();
        List<ParameterMatrix> matrices = new ArrayList<>();
        int[] offset = {0};
        java.util.function.BiConsumer<String, int[]> add = (name, shape) -> {
            matrices.add(new ParameterMatrix(name, shape[0], shape[1], offset[0]));
            offset[0] += shape[0] * shape[1];
        };
        add.accept("wte", new int[] {vocabSize, d});
        add.accept("wpe", new int[] {config.blockSize(), d});
        add.accept("lm_head", new int[] {vocabSize, d});
        for (int i = 0; i < config.nLayer(); i++) {
            add.accept("layer" + i + ".attn_wq", new int[] {d, d});
            add.accept("layer" + i + ".attn_wk", new int[] {d, d});
            add.accept("layer" + i + ".attn_wv", new int[] {d, d});
            add.accept("layer" + i + ".attn_wo", new int[] {d, d});
            add.accept("layer" + i + ".mlp_fc1", new int[] {4 * d, d});
            add.accept("layer" + i + ".mlp_fc2", new int[] {d, 4 * d});
        }
        return List.copyOf(matrices);
    }

    /**
     * The number of parameters of a GPT, {@code 2·V·d + B·d + L·12·d²}, saturating at
     * {@code Long.MAX_VALUE} (a file may claim absurd sizes; the count must still compare
     * correctly, and {@link #layout} must not be called before it is bounded).
     */
    static long parameterCount(GptConfig config, int vocabSize) {
        try {
            long d = config.nEmbd();
            long perLayer = Math.multiplyExact(12L, Math.multiplyExact(d, d));
            long layers = Math.multiplyExact(perLayer, (long) config.nLayer());
            long embeddings = Math.addExact(Math.multiplyExact(2L * vocabSize, d),
                    Math.multiplyExact((long) config.blockSize(), d));
            return Math.addExact(layers, embeddings);
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

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
     * The weights in the flat parameter order ({@link ParameterMatrix} order, row by row).
     *
     * @return a copy
     */
    public double[] weights() {
        return weights.clone();
    }

    /**
     * The state to resume training, if the checkpoint has one.
     *
     * @return the training state, or empty for a model-only checkpoint
     */
    public Optional<TrainingState> training() {
        return Optional.ofNullable(training);
    }

    /**
     * A new {@link GptModel} with the saved weights. Each call builds a separate model.
     *
     * @return the model
     */
    public GptModel model() {
        return loadInto(GptModel.create(config, tokenizer.vocabSize(), ZEROS));
    }

    /**
     * Copies the saved weights into a model of the same shape, of any engine; for example a
     * model just created with random weights.
     *
     * @param model a model with this checkpoint's configuration and vocabulary size
     * @param <M> the model's type
     * @return {@code model}, now holding the saved weights
     * @throws IllegalArgumentException if the model's configuration, vocabulary size or parameter
     *     layout differs from the checkpoint's (the model is then unchanged)
     */
    public <M extends LanguageModel> M loadInto(M model) {
        if (!model.config().equals(config) || model.vocabSize() != tokenizer.vocabSize()) {
            throw new IllegalArgumentException("the model (" + model.config() + ", vocabulary " + model.vocabSize()
                    + ") is not of the checkpoint's shape (" + config + ", vocabulary " + tokenizer.vocabSize() + ")");
        }
        Parameters parameters = model.parameters();
        if (!parameters.matrices().equals(layout(config, tokenizer.vocabSize()))) {
            throw new IllegalArgumentException("the model lays out its parameters as " + parameters.matrices()
                    + ", not in the order of a checkpoint");
        }
        for (int i = 0; i < weights.length; i++) {
            parameters.setValue(i, weights[i]);
            parameters.setGrad(i, 0.0);
        }
        return model;
    }

    /**
     * Rebuilds a training run where it was saved, with a new {@link GptModel}: the model with the
     * saved weights, the optimizer with its moments, a trainer at the saved step and position,
     * and the random generator in its saved state.
     *
     * @param documents the documents in training order (shuffled as for the saved run): their
     *     {@link DataFingerprint} must match the saved one
     * @return the model, tokenizer, optimizer, trainer and random generator
     * @throws CheckpointException if the checkpoint has no training state, or the documents are
     *     not those of the saved run
     */
    public ResumedTraining resume(List<String> documents) throws CheckpointException {
        return resume(documents, model());
    }

    /**
     * Rebuilds a training run where it was saved, on a model of your choice (for example of
     * another engine), whose weights are replaced by the saved ones; see {@link #resume(List)}.
     *
     * @param documents the documents in training order
     * @param model a model of the checkpoint's shape; its weights are overwritten
     * @return the model, tokenizer, optimizer, trainer and random generator
     * @throws CheckpointException if the checkpoint has no training state, or the documents are
     *     not those of the saved run
     * @throws IllegalArgumentException if the model is not of the checkpoint's shape
     */
    public ResumedTraining resume(List<String> documents, LanguageModel model) throws CheckpointException {
        Path trainerFile = directory.resolve(TRAINER_FILE);
        if (training == null) {
            throw new CheckpointException(directory, "holds a model only, without the training state ("
                    + OPTIMIZER_FILE + " and " + TRAINER_FILE + ") needed to resume training");
        }
        DataFingerprint given = DataFingerprint.of(documents);
        DataFingerprint saved = training.data();
        if (!given.equals(saved)) {
            throw new CheckpointException(trainerFile, "the documents are not those the run was trained on: it saw "
                    + saved.documents() + " documents with SHA-256 " + saved.sha256().substring(0, 12) + "..., these are "
                    + given.documents() + " with " + given.sha256().substring(0, 12) + "... (the same data, shuffled "
                    + "with the same seed, are needed)");
        }
        loadInto(model);
        AdamOptimizer optimizer = training.optimizer().toOptimizer();
        Trainer trainer;
        try {
            trainer = new Trainer(model, tokenizer, documents, optimizer, training.trainer().totalSteps());
            trainer.restore(training.trainer());
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(trainerFile, "cannot resume: " + e.getMessage(), e);
        }
        PythonRandom random = training.random() == null ? null : PythonRandom.fromState(training.random());
        return new ResumedTraining(model, tokenizer, optimizer, trainer, random);
    }

    /**
     * A short description.
     *
     * @return the directory, configuration, vocabulary size and whether training can resume
     */
    @Override
    public String toString() {
        return "Checkpoint[" + directory + ", " + config + ", vocabSize=" + tokenizer.vocabSize()
                + (training == null ? ", model only" : ", step " + training.trainer().stepsDone() + " of "
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
