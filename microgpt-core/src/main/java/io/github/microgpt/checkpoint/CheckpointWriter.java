package io.github.microgpt.checkpoint;

import io.github.microgpt.model.Architecture;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.LanguageModel;
import io.github.microgpt.model.MatrixLayout;
import io.github.microgpt.model.Parameters;
import io.github.microgpt.model.Precision;
import io.github.microgpt.text.Tokenizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Turns a model (and its training state) into the files of a checkpoint, checks them, and has
 * {@link AtomicFiles} put them in place under the directory's {@link SaveLock}.
 */
final class CheckpointWriter {

    private CheckpointWriter() {
    }

    /**
     * Saves a checkpoint, its weights stored as {@code weights}. {@link Checkpoint#save} asks for the
     * model's own type ({@link DType#of}), which nothing rounds; the tests also ask for the other,
     * to make the files another tool may write (an f64 model's weights as {@code F32}, an f32
     * model's widened to {@code F64}), which {@link Checkpoint#load} reads too.
     */
    static void save(Path directory, LanguageModel model, Tokenizer tokenizer, TrainingState training,
                     DType weights) throws IOException {
        Map<String, byte[]> files = encode(model, tokenizer, training, weights);
        ReentrantLock inThisProcess = writerLock(directory);
        inThisProcess.lock();
        try {
            SaveLock lock = SaveLock.isHeldHere(directory) ? null : acquire(directory);
            try {
                InterruptedSaves.repair(directory, true);
                AtomicFiles.writeDirectory(directory, files, Format.CONFIG_FILE, Format.FILES);
            } finally {
                if (lock != null) {
                    lock.close();
                }
            }
        } finally {
            inThisProcess.unlock();
        }
    }

    /** How long a save waits for a lock held by another process, which may be repairing for a moment. */
    private static final long LOCK_WAIT_MILLIS = 1_000;

    /**
     * Takes the directory's {@link SaveLock}. A load in another process holds it for the moment
     * it takes to repair an interrupted save, so a lock that is held is asked for again for up to
     * a second before the save gives up (a process that saves there for good keeps it longer).
     */
    private static SaveLock acquire(Path directory) throws IOException {
        long deadline = System.nanoTime() + LOCK_WAIT_MILLIS * 1_000_000;
        while (System.nanoTime() < deadline) {
            SaveLock lock = SaveLock.tryAcquire(directory);
            if (lock != null) {
                return lock;
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return SaveLock.acquire(directory);
    }

    /**
     * One lock per checkpoint directory for the threads of this process: a save and a load's
     * repair of the same directory run one at a time, so that a repair never takes the files of a
     * save in progress for the leftovers of a crashed one. (Between processes, {@link SaveLock}
     * does the same.) Entries are never removed: one small lock per directory saved.
     */
    private static final Map<Path, ReentrantLock> WRITERS = new HashMap<>();

    /**
     * The lock of a directory for the threads of this process (see {@link #WRITERS}).
     *
     * @param directory the checkpoint directory
     * @return its lock, the same object for every name of the directory a save replaces
     */
    static ReentrantLock writerLock(Path directory) {
        synchronized (WRITERS) {
            return WRITERS.computeIfAbsent(AtomicFiles.targetOf(directory), d -> new ReentrantLock());
        }
    }

    /** The files of a checkpoint, by name, in the order they are written: config.json last. */
    private static Map<String, byte[]> encode(LanguageModel model, Tokenizer tokenizer, TrainingState training,
                                              DType weights) {
        checkVocabulary(tokenizer);
        if (tokenizer.vocabSize() != model.vocabSize()) {
            throw new IllegalArgumentException("the tokenizer has " + tokenizer.vocabSize() + " tokens but the model "
                    + model.vocabSize());
        }
        GptConfig config = model.config();
        Parameters parameters = model.parameters();
        Architecture architecture = Architecture.of(model).orElseThrow(() -> new IllegalArgumentException(
                "the model's parameter matrices " + parameters.matrixLayouts() + " are those of none of the"
                        + " architectures a checkpoint holds (bigram, mlp, attention, gpt) for its configuration"));
        List<MatrixLayout> layout = architecture.layout(config, model.vocabSize()).matrixLayouts();
        if (!layout.equals(parameters.matrixLayouts())) {
            throw new IllegalArgumentException("the model's parameter matrices " + parameters.matrixLayouts()
                    + " are not those of a " + architecture.id() + " model of its configuration " + layout);
        }
        // The weights in the type asked for (an f32 model's floats widen to F64 exactly); the
        // moments always in the model's own precision (F64 for a model of no known precision:
        // its parameters are doubles, which F64 holds exactly).
        Precision precision = Precision.of(model).orElse(Precision.F64);
        double[] values = parameters.values();
        for (MatrixLayout matrix : layout) {
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
        files.put(Format.MODEL_FILE, Safetensors.encode(MatrixTensors.tensors(layout, values, "", weights), Map.of(
                "format", "pt", "microgpt.format", Format.FORMAT, "microgpt.version", String.valueOf(Format.VERSION))));
        if (training != null) {
            OptimizerState optimizer = training.optimizer();
            if (optimizer.size() != values.length) {
                throw new IllegalArgumentException("the optimizer state has moments for " + optimizer.size()
                        + " parameters but the model has " + values.length);
            }
            // A load refuses a place past the block size (no document trains there): refused
            // here, before anything is written, rather than saved and never loaded.
            int position = training.trainer().nextPosition();
            if (position >= config.blockSize()) {
                throw new IllegalArgumentException("the trainer's place is at position " + position
                        + " of a document, but the model's block size " + config.blockSize() + " trains positions 0 to "
                        + (config.blockSize() - 1));
            }
            List<Tensor> moments = new ArrayList<>();
            double[] m = optimizer.firstMoments();
            double[] v = optimizer.secondMoments();
            DType momentType = DType.of(precision);
            for (MatrixLayout matrix : layout) {
                moments.add(MatrixTensors.tensor(matrix, m, matrix.name() + ".m", momentType));
                moments.add(MatrixTensors.tensor(matrix, v, matrix.name() + ".v", momentType));
            }
            files.put(Format.OPTIMIZER_FILE, Safetensors.encode(moments,
                    Map.of("format", "pt", "microgpt.optimizer", "adam")));
            double[] losses = training.losses();
            if (losses.length > 0) {
                files.put(Format.LOSSES_FILE, Safetensors.encode(List.of(new Tensor(Format.LOSSES_TENSOR, DType.F64,
                        new int[] {losses.length}, losses)), Map.of("microgpt.content", "the loss of each step")));
            }
            files.put(Format.TRAINER_FILE, Json.write(TrainerJson.write(training)).getBytes(StandardCharsets.UTF_8));
        }
        // config.json last: it marks a directory as a checkpoint.
        files.put(Format.CONFIG_FILE, Json.write(ConfigJson.write(architecture, config, tokenizer, values.length, precision))
                .getBytes(StandardCharsets.UTF_8));
        checkReadable(files, training);
        return files;
    }

    /**
     * Refuses a JSON file that a load would refuse as too large ({@value Format#MAX_JSON_BYTES}
     * bytes): a save of an application's metadata of 2 MB succeeded, and every load of it then
     * failed. Only the metadata can make {@value Format#TRAINER_FILE} that large, and only the
     * vocabulary {@value Format#CONFIG_FILE}, which {@link #checkVocabulary} has refused already.
     */
    private static void checkReadable(Map<String, byte[]> files, TrainingState training) {
        for (String name : List.of(Format.TRAINER_FILE, Format.CONFIG_FILE)) {
            byte[] bytes = files.get(name);
            if (bytes == null || bytes.length <= Format.MAX_JSON_BYTES) {
                continue;
            }
            String cause = "";
            if (name.equals(Format.TRAINER_FILE)) {
                Map.Entry<String, String> longest = null;
                long metadataChars = 0;
                for (Map.Entry<String, String> entry : training.metadata().entrySet()) {
                    metadataChars += entry.getKey().length() + entry.getValue().length();
                    if (longest == null || entry.getValue().length() > longest.getValue().length()) {
                        longest = entry;
                    }
                }
                cause = "; the training state's metadata holds " + metadataChars + " characters"
                        + (longest == null ? "" : ", the longest value (of key " + JsonFields.quoted(longest.getKey())
                                + ") " + longest.getValue().length())
                        + ": keep the metadata to short strings";
            }
            throw new IllegalArgumentException(name + " would take " + bytes.length + " bytes, more than the "
                    + Format.MAX_JSON_BYTES + " a load reads" + cause);
        }
    }

    /**
     * Refuses a vocabulary a checkpoint cannot hold: one with a character that does not print
     * on one line ({@link ConfigJson#unprintable}; a {@link Tokenizer} refuses those itself), or
     * one whose characters take more than {@link Format#MAX_VOCABULARY_BYTES} in
     * {@value Format#CONFIG_FILE}, which a load would refuse as too large: a run on 280,000
     * distinct characters beyond U+FFFF trained and saved, and its checkpoint could not be loaded.
     *
     * @param tokenizer the tokenizer
     * @throws IllegalArgumentException naming the first character that does not print on one
     *     line, or saying how many bytes the vocabulary takes and how many it may
     */
    static void checkVocabulary(Tokenizer tokenizer) {
        String characters = tokenizer.characters();
        String problem = ConfigJson.unprintable(characters);
        if (problem != null) {
            throw new IllegalArgumentException("the vocabulary " + problem);
        }
        StringBuilder quoted = new StringBuilder(characters.length() + 2);
        Json.quote(quoted, characters);
        int bytes = quoted.toString().getBytes(StandardCharsets.UTF_8).length - 2;  // not the quotes
        if (bytes > Format.MAX_VOCABULARY_BYTES) {
            throw new IllegalArgumentException("the vocabulary of " + (tokenizer.vocabSize() - 1) + " characters "
                    + "takes " + bytes + " bytes in " + Format.CONFIG_FILE + ", more than the "
                    + Format.MAX_VOCABULARY_BYTES + " a checkpoint holds (a load reads " + Format.CONFIG_FILE
                    + " up to " + Format.MAX_JSON_BYTES + " bytes); every vocabulary of at most "
                    + Format.MAX_VOCABULARY_BYTES / 4 + " characters fits, whatever their script");
        }
    }
}
