package io.github.microgpt.checkpoint;

import io.github.microgpt.model.Architecture;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.ParameterLayout;
import io.github.microgpt.model.ParameterMatrix;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;

/**
 * Reads a checkpoint directory in an order that keeps every allocation bounded: first
 * {@value Format#CONFIG_FILE} (at most {@value Format#MAX_JSON_BYTES} bytes), which fixes the
 * model's shape; then the safetensors headers, whose tensors must be exactly those that shape
 * has; only then any tensor data, one tensor at a time. Every file must be a regular file, checked
 * before it is opened. Nothing is returned unless every file checked out.
 */
final class CheckpointReader {

    /** What a checkpoint directory holds, checked. */
    record Contents(Architecture architecture, GptConfig config, io.github.microgpt.text.Tokenizer tokenizer,
                    ParameterLayout layout, double[] weights, TrainingState training,
                    io.github.microgpt.model.Precision precision) {
    }

    private CheckpointReader() {
    }

    /** How often a read is tried again when a save replaced the directory while it was read. */
    private static final int ATTEMPTS = 20;

    /**
     * Reads a checkpoint directory. A save replaces the whole directory by a rename, so a read
     * that runs while another thread or process saves may get one file from the old directory and
     * the next from the new one. The directory's identity (its inode, where the file system has
     * one) is compared before and after: if it changed, the read is done again, so that what is
     * returned, or the error thrown, comes from one save.
     *
     * @param directory the checkpoint directory
     * @return its contents, checked
     * @throws CheckpointException if it is missing, damaged or inconsistent
     */
    static Contents read(Path directory) throws CheckpointException {
        for (int attempt = 1; ; attempt++) {
            awaitRename(directory);
            Object before = identity(directory);
            try {
                Contents contents = readOnce(directory);
                if (before == null || attempt == ATTEMPTS || before.equals(identity(directory))) {
                    return contents;
                }
            } catch (CheckpointException e) {
                // A save that runs every few milliseconds can replace the directory twice during
                // one read, and the second version may get the first one's inode back: while a
                // save holds the directory's lock, a failed read is tried again after a pause.
                boolean saving = Files.exists(SaveLock.lockFile(directory.toAbsolutePath().normalize()));
                if (attempt == ATTEMPTS || !saving && (before == null || before.equals(identity(directory)))) {
                    throw e;
                }
                pause();
            }
        }
    }

    /**
     * Waits, at most about a second, while the directory is missing but the old version a save
     * renamed aside is beside it: a save in another thread or process is between its two renames,
     * and the new version will be in place in a moment. A save that was killed there is repaired
     * by {@link InterruptedSaves} instead; this only waits for one that is still running.
     *
     * @param directory the checkpoint directory
     */
    static void awaitRename(Path directory) {
        for (int i = 0; i < 100 && !Files.exists(directory) && AtomicFiles.interruptedSaveOf(directory) != null; i++) {
            if (!pause()) {
                return;
            }
        }
    }

    /** Sleeps 10 ms; false if the thread was interrupted (its flag is set again). */
    private static boolean pause() {
        try {
            Thread.sleep(10);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * What tells one version of a directory from the next: its file key (device and inode on
     * Linux) and its change time, which a rename into place sets (an inode number can be reused
     * at once by the next save); null where the file system has neither.
     */
    private static Object identity(Path directory) {
        try {
            Object key = Files.readAttributes(directory, BasicFileAttributes.class).fileKey();
            Object changed;
            try {
                changed = Files.getAttribute(directory, "unix:ctime");
            } catch (UnsupportedOperationException | IllegalArgumentException e) {
                changed = Files.getLastModifiedTime(directory);
            }
            return key == null ? null : List.of(key, changed);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static Contents readOnce(Path directory) throws CheckpointException {
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(directory, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            throw new CheckpointException(directory, "no checkpoint here: the directory does not exist", e);
        } catch (IOException e) {
            throw CheckpointException.unreadable(directory, e);
        }
        if (!attributes.isDirectory()) {
            throw new CheckpointException(directory, "is not a directory (a checkpoint is a directory holding "
                    + Format.CONFIG_FILE + " and " + Format.MODEL_FILE + ")");
        }
        Path configFile = directory.resolve(Format.CONFIG_FILE);
        if (!Files.exists(configFile, LinkOption.NOFOLLOW_LINKS)) {
            throw new CheckpointException(directory, "is not a checkpoint: it has no " + Format.CONFIG_FILE);
        }
        ConfigJson.Contents config = ConfigJson.read(configFile, JsonFile.read(configFile));
        // The weights (an array, and one tensor at a time being read into it) and the layout's
        // records, one per matrix, before any of them is made.
        String described = config.architecture() == Architecture.GPT ? "model" : config.architecture().id() + " model";
        MemoryBudget.check(configFile, "the " + described + " it describes ("
                + config.numParams() + " parameters, " + config.config().nLayer() + " layers)",
                16L * config.numParams() + 64L * config.matricesAtMost());
        ParameterLayout parameterLayout = config.architecture().layout(config.config(), config.tokenizer().vocabSize());
        List<ParameterMatrix> layout = parameterLayout.matrices();

        Path modelFile = directory.resolve(Format.MODEL_FILE);
        double[] weights;
        try (Safetensors.Opened model = Safetensors.Opened.open(modelFile)) {
            MatrixTensors.checkDeclared(modelFile, model, layout, "");
            weights = MatrixTensors.read(modelFile, model, layout, "");
        }

        Path optimizerFile = directory.resolve(Format.OPTIMIZER_FILE);
        Path trainerFile = directory.resolve(Format.TRAINER_FILE);
        boolean hasOptimizer = Files.exists(optimizerFile, LinkOption.NOFOLLOW_LINKS);
        boolean hasTrainer = Files.exists(trainerFile, LinkOption.NOFOLLOW_LINKS);
        if (hasOptimizer != hasTrainer) {
            Path missing = hasOptimizer ? trainerFile : optimizerFile;
            throw new CheckpointException(missing, "the file does not exist, but " + (hasOptimizer
                    ? Format.OPTIMIZER_FILE : Format.TRAINER_FILE) + " does: the training state is incomplete");
        }
        TrainingState training = hasTrainer
                ? readTraining(directory, trainerFile, optimizerFile, layout, config.config(), config.numParams())
                : null;
        return new Contents(config.architecture(), config.config(), config.tokenizer(), parameterLayout, weights,
                training, config.precision());
    }

    private static TrainingState readTraining(Path directory, Path trainerFile, Path optimizerFile,
                                              List<ParameterMatrix> layout, GptConfig config, int numParams)
            throws CheckpointException {
        TrainerJson.Contents t = TrainerJson.read(trainerFile, JsonFile.read(trainerFile), config);
        double[] m;
        double[] v;
        try (Safetensors.Opened moments = Safetensors.Opened.open(optimizerFile)) {
            MatrixTensors.checkDeclared(optimizerFile, moments, layout, ".m", ".v");
            MemoryBudget.check(optimizerFile, "the moments of " + numParams + " parameters", 24L * numParams);
            m = MatrixTensors.read(optimizerFile, moments, layout, ".m");
            v = MatrixTensors.read(optimizerFile, moments, layout, ".v");
        }
        for (ParameterMatrix matrix : layout) {
            for (int i = 0; i < matrix.size(); i++) {
                if (v[matrix.offset() + i] < 0) {
                    throw new CheckpointException(optimizerFile, "entry (" + i / matrix.cols() + ", " + i % matrix.cols()
                            + ") of tensor \"" + matrix.name() + ".v\" is negative (" + v[matrix.offset() + i]
                            + "), but a second moment is a mean of squares");
                }
            }
        }
        if (t.trainer().stepsDone() == 0) {
            checkAllZero(optimizerFile, layout, m, ".m");
            checkAllZero(optimizerFile, layout, v, ".v");
        }
        OptimizerState optimizer;
        try {
            optimizer = new OptimizerState(t.learningRate(), t.beta1(), t.beta2(), t.eps(), t.schedule(), m, v);
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(trainerFile, "invalid optimizer settings: " + e.getMessage(), e);
        }
        double[] losses = readLosses(directory.resolve(Format.LOSSES_FILE), t.trainer().stepsDone());
        return new TrainingState(t.trainer(), optimizer, t.random(), t.stepMode(), t.data(), t.metadata(), t.run(),
                losses);
    }

    /** Adam's moments start at zero and change with the first step: a run with no step has only zeros. */
    private static void checkAllZero(Path file, List<ParameterMatrix> layout, double[] moments, String suffix)
            throws CheckpointException {
        for (ParameterMatrix matrix : layout) {
            for (int i = 0; i < matrix.size(); i++) {
                if (moments[matrix.offset() + i] != 0.0) {
                    throw new CheckpointException(file, "entry (" + i / matrix.cols() + ", " + i % matrix.cols()
                            + ") of tensor \"" + matrix.name() + suffix + "\" is " + moments[matrix.offset() + i]
                            + ", but " + Format.TRAINER_FILE + " says no step was done (\"trainer.steps_done\" is 0),"
                            + " so every moment must be 0: the files do not agree");
                }
            }
        }
    }

    /**
     * The loss history: one {@code F64} tensor of shape {@code [stepsDone]}, or empty if the file
     * is absent (a checkpoint written before histories were kept).
     */
    private static double[] readLosses(Path file, int stepsDone) throws CheckpointException {
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            return new double[0];
        }
        try (Safetensors.Opened opened = Safetensors.Opened.open(file)) {
            Safetensors.Entry entry = opened.entry(Format.LOSSES_TENSOR);
            if (entry == null || opened.entries().size() != 1) {
                throw new CheckpointException(file, "must hold exactly one tensor, \"" + Format.LOSSES_TENSOR
                        + "\", but holds " + opened.entries().stream().map(Safetensors.Entry::name).toList());
            }
            if (entry.shape().length != 1 || entry.shape()[0] != stepsDone) {
                throw new CheckpointException(file, "tensor \"" + Format.LOSSES_TENSOR + "\" has shape "
                        + java.util.Arrays.toString(entry.shape()) + " but " + Format.TRAINER_FILE + " says "
                        + stepsDone + " steps are done (\"trainer.steps_done\"), so it must be [" + stepsDone + "]");
            }
            if (entry.dtype() != DType.F64) {
                throw new CheckpointException(file, "tensor \"" + Format.LOSSES_TENSOR + "\" is " + entry.dtype()
                        + "; the losses are kept exactly, as F64");
            }
            MemoryBudget.check(file, "the losses of " + stepsDone + " steps", 16L * stepsDone);
            double[] losses = opened.read(entry).values();
            for (int i = 0; i < losses.length; i++) {
                if (!Double.isFinite(losses[i])) {
                    throw new CheckpointException(file, "the loss of step " + (i + 1) + " is " + losses[i]
                            + "; a saved run has finite losses");
                }
            }
            return losses;
        }
    }
}
