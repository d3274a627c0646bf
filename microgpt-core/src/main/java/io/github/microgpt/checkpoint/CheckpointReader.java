package io.github.microgpt.checkpoint;

import io.github.microgpt.model.Architecture;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.ParameterLayout;
import io.github.microgpt.model.MatrixLayout;
import io.github.microgpt.internal.RegularFiles;
import io.github.microgpt.random.PythonRandomState;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a checkpoint directory in an order that keeps every allocation bounded: first
 * {@value Format#CONFIG_FILE} (at most {@value Format#MAX_JSON_BYTES} bytes), which fixes the
 * model's shape; then the safetensors headers, whose tensors must be exactly those that shape
 * has; only then any tensor data, one tensor at a time. Every file must be a regular file, checked
 * before it is opened. Nothing is returned unless every file checked out.
 */
final class CheckpointReader {

    /**
     * What a checkpoint directory holds, checked. {@code random} is the training run's random
     * generator where the checkpoint has a training state (also when {@code training} is null
     * because Adam's moments were left out: then {@code trainingLeftOut}), else null.
     */
    record Contents(Architecture architecture, GptConfig config, io.github.microgpt.text.Tokenizer tokenizer,
                    ParameterLayout layout, double[] weights, TrainingState training,
                    io.github.microgpt.model.Precision precision, PythonRandomState randomState, boolean trainingLeftOut) {
    }

    private CheckpointReader() {
    }

    /** How often a read is tried again when a save replaced the directory while its files were opened. */
    private static final int ATTEMPTS = 50;

    /**
     * For tests that make a read slow: told after each file of a checkpoint has been read (by its
     * name, for example {@code "model.safetensors"}), so that saves can run in between.
     * {@code null} in normal use.
     */
    static volatile java.util.function.Consumer<String> afterFile;

    /**
     * Reads a checkpoint directory. A save replaces the whole directory by a rename, so a read
     * that runs while another thread or process saves could get one file from the old directory
     * and the next from the new one. So every file of the checkpoint is opened first, all at
     * once, and the directory's identity (its inode and change time, where the file system has
     * them) is compared before and after the opening: if it is the same, no save replaced the
     * directory meanwhile and the open files are those of one save. They are then read at
     * leisure; a later save renames and deletes them, but an open file keeps its contents. If the
     * directory changed while its files were opened, the opening is done again; a directory that
     * keeps changing ({@value #ATTEMPTS} times) gives an error that says so and that trying
     * again may work. What is returned, or any other error thrown, comes from one save.
     *
     * @param directory the checkpoint directory
     * @return its contents, checked
     * @throws CheckpointException if it is missing, damaged or inconsistent, or kept being
     *     replaced while it was opened
     */
    static Contents read(Path directory) throws CheckpointException {
        return read(directory, true);
    }

    /**
     * Reads a checkpoint directory as {@link #read(Path)} does, or, with {@code moments} false,
     * everything but the data of Adam's moments: {@value Format#OPTIMIZER_FILE}'s header must
     * still declare exactly the model's moments, but its values (twice the weights' size) are
     * neither read nor kept, and no training state is returned, only its random generator. For
     * sampling, which needs neither the moments nor the loss history.
     *
     * @param directory the checkpoint directory
     * @param moments whether to read Adam's moments and the loss history, and return the training state
     * @return its contents, checked
     * @throws CheckpointException as {@link #read(Path)}
     */
    static Contents read(Path directory, boolean moments) throws CheckpointException {
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            awaitRename(directory);
            Object before = identity(directory);
            if (before == MISSING && attempt < ATTEMPTS
                    && (Files.exists(directory) || AtomicFiles.interruptedSaveOf(directory) != null)) {
                // Gone for an instant: a save is between its two renames. Opening now could take
                // files of two versions with nothing to compare them by, so look again.
                pause();
                continue;
            }
            OpenFiles files;
            try {
                files = OpenFiles.open(directory);
            } catch (CheckpointException e) {
                if (before == null || before.equals(identity(directory))) {
                    throw e;  // the same directory throughout: the problem is real
                }
                pause();
                continue;
            }
            try (files) {
                if (before != null && !before.equals(identity(directory))) {
                    pause();
                    continue;  // the files opened may come from two saves
                }
                try {
                    return readOpen(directory, files, moments);
                } catch (CheckpointException e) {
                    // Files that disagree while a save is under way may be two saves' files that
                    // the directory's identity could not tell apart (on ext4 a new directory can
                    // take the inode just freed, within one tick of the change time's clock):
                    // read again. A checkpoint that is really damaged fails the same way again.
                    if (attempt < ATTEMPTS && beingSaved(directory)) {
                        pause();
                        continue;
                    }
                    throw e;
                }
            }
        }
        throw new CheckpointException(directory, "another program is saving into this checkpoint so often that it was "
                + "replaced " + ATTEMPTS + " times while its files were being opened; try again (or load it when "
                + "the saves are done)");
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
     * at once by the next save); null where the file system has neither, and {@link #MISSING}
     * where the directory cannot be looked at (gone for the moment between a save's two renames,
     * or not there at all).
     */
    private static final Object MISSING = new Object();

    /** Whether a save may be running: its lock file (see {@link SaveLock}) is beside the directory. */
    private static boolean beingSaved(Path directory) {
        Path target = AtomicFiles.targetOf(directory);
        return target.getParent() != null && target.getFileName() != null
                && Files.exists(SaveLock.lockFile(target), LinkOption.NOFOLLOW_LINKS);
    }

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
            return MISSING;
        }
    }

    /**
     * Every file of a checkpoint directory, open: {@code config.json}, {@code model.safetensors}
     * and, where present, the optimizer's moments, the trainer's state and the loss history.
     * Only regular files are opened (see {@link RegularFiles}).
     */
    private record OpenFiles(FileChannel config, FileChannel model, FileChannel optimizer, FileChannel trainer,
                             FileChannel losses, Path incomplete) implements AutoCloseable {

        static OpenFiles open(Path directory) throws CheckpointException {
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
            Path optimizerFile = directory.resolve(Format.OPTIMIZER_FILE);
            Path trainerFile = directory.resolve(Format.TRAINER_FILE);
            boolean hasOptimizer = Files.exists(optimizerFile, LinkOption.NOFOLLOW_LINKS);
            boolean hasTrainer = Files.exists(trainerFile, LinkOption.NOFOLLOW_LINKS);
            boolean hasTraining = hasOptimizer && hasTrainer;
            // With one of the two only, the training state is incomplete: readOpen says so once
            // the model has been read.
            Path incomplete = hasOptimizer == hasTrainer ? null : hasOptimizer ? trainerFile : optimizerFile;
            Path lossesFile = directory.resolve(Format.LOSSES_FILE);
            boolean hasLosses = hasTraining && Files.exists(lossesFile, LinkOption.NOFOLLOW_LINKS);
            List<FileChannel> opened = new ArrayList<>();
            try {
                FileChannel config = openChannel(configFile, opened);
                FileChannel model = openChannel(directory.resolve(Format.MODEL_FILE), opened);
                FileChannel optimizer = hasTraining ? openChannel(optimizerFile, opened) : null;
                FileChannel trainer = hasTraining ? openChannel(trainerFile, opened) : null;
                FileChannel losses = hasLosses ? openChannel(lossesFile, opened) : null;
                return new OpenFiles(config, model, optimizer, trainer, losses, incomplete);
            } catch (CheckpointException | RuntimeException e) {
                for (FileChannel channel : opened) {
                    closeQuietly(channel);
                }
                throw e;
            }
        }

        private static FileChannel openChannel(Path file, List<FileChannel> opened) throws CheckpointException {
            try {
                FileChannel channel = RegularFiles.openForReading(file);
                opened.add(channel);
                return channel;
            } catch (IOException e) {
                throw CheckpointException.unreadable(file, e);
            }
        }

        @Override
        public void close() {
            for (FileChannel channel : java.util.Arrays.asList(config, model, optimizer, trainer, losses)) {
                if (channel != null) {
                    closeQuietly(channel);
                }
            }
        }

        private static void closeQuietly(FileChannel channel) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // Opened for reading only: nothing is lost.
            }
        }
    }

    private static void told(String file) {
        java.util.function.Consumer<String> hook = afterFile;
        if (hook != null) {
            hook.accept(file);
        }
    }

    private static Contents readOpen(Path directory, OpenFiles files, boolean moments) throws CheckpointException {
        Path configFile = directory.resolve(Format.CONFIG_FILE);
        ConfigJson.Contents config = ConfigJson.read(configFile, JsonFile.read(configFile, files.config()));
        told(Format.CONFIG_FILE);
        // The weights (an array, and one tensor at a time being read into it) and the layout's
        // records, one per matrix, before any of them is made.
        String described = config.architecture() == Architecture.GPT ? "model" : config.architecture().id() + " model";
        MemoryBudget.check(configFile, "the " + described + " it describes ("
                + config.numParams() + " parameters, " + config.config().nLayer() + " layers)",
                16L * config.numParams() + 64L * config.matricesAtMost());
        ParameterLayout parameterLayout = config.architecture().layout(config.config(), config.tokenizer().vocabSize());
        List<MatrixLayout> layout = parameterLayout.matrixLayouts();

        Path modelFile = directory.resolve(Format.MODEL_FILE);
        double[] weights;
        try (Safetensors.Opened model = Safetensors.Opened.open(modelFile, files.model(), layout.size())) {
            MatrixTensors.checkDeclared(modelFile, model, layout, "");
            weights = MatrixTensors.read(modelFile, model, layout, "", config.precision());
        }
        told(Format.MODEL_FILE);

        if (files.incomplete() != null) {
            boolean noTrainer = files.incomplete().getFileName().toString().equals(Format.TRAINER_FILE);
            throw new CheckpointException(files.incomplete(), "the file does not exist, but " + (noTrainer
                    ? Format.OPTIMIZER_FILE : Format.TRAINER_FILE) + " does: the training state is incomplete");
        }
        if (files.trainer() != null && !moments) {
            return new Contents(config.architecture(), config.config(), config.tokenizer(), parameterLayout, weights,
                    null, config.precision(), readRandomOnly(directory, files, layout, config.config()), true);
        }
        TrainingState training = files.trainer() != null
                ? readTraining(directory, files, layout, config.config(), config.numParams(), config.precision())
                : null;
        return new Contents(config.architecture(), config.config(), config.tokenizer(), parameterLayout, weights,
                training, config.precision(), training == null ? null : training.randomState(), false);
    }

    /**
     * The training state's random generator, without Adam's moments: {@value Format#TRAINER_FILE}
     * is read and checked whole, {@value Format#OPTIMIZER_FILE} only as far as its header (it must
     * declare exactly the model's moments, with their shapes), and the loss history not at all.
     */
    private static PythonRandomState readRandomOnly(Path directory, OpenFiles files, List<MatrixLayout> layout,
                                                    GptConfig config) throws CheckpointException {
        Path trainerFile = directory.resolve(Format.TRAINER_FILE);
        Path optimizerFile = directory.resolve(Format.OPTIMIZER_FILE);
        TrainerJson.Contents t = TrainerJson.read(trainerFile, JsonFile.read(trainerFile, files.trainer()), config);
        told(Format.TRAINER_FILE);
        try (Safetensors.Opened moments = Safetensors.Opened.open(optimizerFile, files.optimizer(), 2L * layout.size())) {
            MatrixTensors.checkDeclared(optimizerFile, moments, layout, ".m", ".v");
        }
        told(Format.OPTIMIZER_FILE);
        return t.randomState();
    }

    private static TrainingState readTraining(Path directory, OpenFiles files, List<MatrixLayout> layout,
                                              GptConfig config, int numParams,
                                              io.github.microgpt.model.Precision precision)
            throws CheckpointException {
        Path trainerFile = directory.resolve(Format.TRAINER_FILE);
        Path optimizerFile = directory.resolve(Format.OPTIMIZER_FILE);
        TrainerJson.Contents t = TrainerJson.read(trainerFile, JsonFile.read(trainerFile, files.trainer()), config);
        told(Format.TRAINER_FILE);
        double[] m;
        double[] v;
        try (Safetensors.Opened moments = Safetensors.Opened.open(optimizerFile, files.optimizer(), 2L * layout.size())) {
            MatrixTensors.checkDeclared(optimizerFile, moments, layout, ".m", ".v");
            MemoryBudget.check(optimizerFile, "the moments of " + numParams + " parameters", 24L * numParams);
            m = MatrixTensors.read(optimizerFile, moments, layout, ".m", precision);
            v = MatrixTensors.read(optimizerFile, moments, layout, ".v", precision);
        }
        told(Format.OPTIMIZER_FILE);
        for (MatrixLayout matrix : layout) {
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
            optimizer = new OptimizerState(t.settings(), m, v);
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(trainerFile, "invalid optimizer settings: " + e.getMessage(), e);
        }
        double[] losses = readLosses(directory.resolve(Format.LOSSES_FILE), files.losses(), t.trainer().stepsDone());
        return new TrainingState(t.trainer(), optimizer, t.randomState(), t.stepMode(), t.fingerprint(), t.metadata(), t.run(),
                losses);
    }

    /** Adam's moments start at zero and change with the first step: a run with no step has only zeros. */
    private static void checkAllZero(Path file, List<MatrixLayout> layout, double[] moments, String suffix)
            throws CheckpointException {
        for (MatrixLayout matrix : layout) {
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
    private static double[] readLosses(Path file, FileChannel channel, int stepsDone) throws CheckpointException {
        if (channel == null) {
            return new double[0];
        }
        try (Safetensors.Opened opened = Safetensors.Opened.open(file, channel, 1)) {
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
