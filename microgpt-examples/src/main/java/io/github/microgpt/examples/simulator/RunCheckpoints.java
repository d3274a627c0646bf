package io.github.microgpt.examples.simulator;

import com.google.gson.stream.JsonWriter;
import io.github.microgpt.checkpoint.Checkpoint;
import io.github.microgpt.checkpoint.CheckpointException;
import io.github.microgpt.checkpoint.DataFingerprint;
import io.github.microgpt.checkpoint.SaveLock;
import io.github.microgpt.checkpoint.TrainingRun;
import io.github.microgpt.checkpoint.TrainingState;
import io.github.microgpt.model.Architecture;
import io.github.microgpt.model.Engine;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.Precision;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.examples.cli.TextFiles;
import io.github.microgpt.text.DataSource;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * Save and Load: a session's run written as a {@link Checkpoint} in the {@link CheckpointStore},
 * and a run rebuilt from one, with the policy of when a loaded run continues exactly and when
 * only the model comes back.
 */
final class RunCheckpoints {

    /**
     * The checkpoint metadata of the engine that computed the run, under the key 'microgpt train'
     * uses; the only metadata the simulator writes, as the command line does (the seed and the
     * dataset are the checkpoint's {@link TrainingRun}).
     */
    static final String ENGINE_KEY = "engine";
    /** The file of Adam's moments in a checkpoint with its training state. */
    private static final String OPTIMIZER_FILE = "optimizer.safetensors";
    /** The largest header a checkpoint's safetensors file may have: 1 MiB, the checkpoint reader's limit. */
    private static final long MAX_HEADER_BYTES = 1 << 20;

    private final CheckpointStore store;

    /**
     * Saves in and loads from a store.
     *
     * @param store the directory of the checkpoints
     */
    RunCheckpoints(CheckpointStore store) {
        this.store = store;
    }

    /**
     * Writes a run as the checkpoint {@code name}, through {@link Checkpoint#save}, atomically (a
     * crash leaves the old checkpoint or the new one, never half of one), replacing a checkpoint
     * of that name. It holds the weights, the configuration and the vocabulary, and the training
     * state: Adam's moments, the step and position in the run, the random generator, a
     * fingerprint of the documents in training order, and the run ({@link TrainingRun}: the seed
     * and the dataset, the embedded names or the documents given by name), so that {@link #load}
     * can continue the run exactly; as metadata only the engine, as {@code microgpt train} writes
     * it.
     *
     * @param run the run
     * @param settings its settings
     * @param name a valid checkpoint name
     * @return the note for the page
     * @throws ApiException 409 if a folder of that name exists that is not a checkpoint (another
     *     name would do), or another program is saving into that checkpoint; 500 if the checkpoint folder cannot be written (no name would do: the
     *     request is valid and the server's disk refuses it), with the file, the reason and the
     *     remedy ({@link #saveFailure})
     */
    String save(ModelRun run, Settings settings, String name) {
        Path target = store.resolve(name);
        boolean replacing = Files.exists(target, LinkOption.NOFOLLOW_LINKS);
        try {
            try {
                Checkpoint.checkSaveTarget(target);
            } catch (CheckpointException e) {
                if (e.getCause() instanceof IOException || !replacing) {
                    // Nothing can be created in the folder, or the folder cannot be (a part of its
                    // path is a file): a matter of the folder, not of the name. Only a folder of
                    // this name that is in the way is the name's.
                    throw new ApiException(500, saveFailure(name, store.directory(), e));
                }
                throw ApiException.conflict("cannot save as \"" + name + "\": " + e.getMessage());
            }
            TrainingState state = TrainingState.capture(run.trainer(), run.random, run.stepModeOfTheRun(),
                    metadata(settings), trainingRun(settings), run.lossHistory());
            try (SaveLock lock = lock(name, target)) {
                Checkpoint.save(target, run.model, run.tokenizer, state);
            }
        } catch (IllegalArgumentException e) {
            throw ApiException.conflict("cannot save as \"" + name + "\": " + e.getMessage());
        } catch (IOException e) {
            throw new ApiException(500, saveFailure(name, store.directory(), e));
        }
        return "Saved the model as \"" + name + "\" (step " + run.trainer().stepsDone() + " of "
                + run.trainer().totalSteps() + (replacing ? ", replacing the earlier one" : "") + ") in "
                + store.directory();
    }

    /**
     * Takes the save lock of a checkpoint for the save ({@link Checkpoint#save} would take it
     * too, but its refusal could not be told from the disk's): another program that saves there
     * (a {@code microgpt train --save} into this folder, another simulator) holds it.
     *
     * @throws ApiException 409 if another program holds it (the name is busy, not the folder
     *     broken), or the simulator is being stopped, with the library's words; the page offers
     *     names, where a program saving into a directory is told to choose another directory
     * @throws IOException if the lock file cannot be created (the folder's failure, 500)
     */
    private static SaveLock lock(String name, Path target) throws IOException {
        try {
            return SaveLock.acquire(target);
        } catch (CheckpointException e) {
            if (e.getCause() instanceof IOException cause) {
                // The lock file could not be created (SaveLock names the folder): the folder's
                // failure, answered 500 with the system's file and reason, not a busy name.
                throw cause;
            }
            throw ApiException.conflict("cannot save as \"" + name + "\": "
                    + e.problem().replace("choose another directory", "choose another name"));
        }
    }

    /**
     * What a save that the disk refused says: what failed, where (the checkpoint folder, and the
     * file the system named), why (the system's reason in words) and, when this program may not
     * write there at all, what to do. An {@link java.nio.file.AccessDeniedException}'s own message
     * is only the path, which told the page's user neither what was being done nor why.
     *
     * @param name the checkpoint's name
     * @param folder the checkpoint folder ({@code --checkpoints})
     * @param e the failure
     * @return for example {@code cannot save as "run" in the checkpoint folder /data/ckpt:
     *     /data/ckpt/.run.lock: permission denied; start the simulator with --checkpoints set to a
     *     folder it may write}
     */
    static String saveFailure(String name, Path folder, IOException e) {
        String file = e instanceof FileSystemException fs ? fs.getFile() : null;
        String reason = TextFiles.reason(e);
        Throwable cause = e.getCause() == null ? e : e.getCause();
        boolean neverWritable = e instanceof AccessDeniedException || cause instanceof AccessDeniedException
                || cause instanceof FileSystemException fs && "Read-only file system".equals(fs.getReason());
        return "cannot save as \"" + name + "\" in the checkpoint folder " + folder + ": "
                + (file == null || reason.contains(file) ? "" : file + ": ") + reason
                + (neverWritable ? "; start the simulator with --checkpoints set to a folder it may write" : "");
    }

    /**
     * How the run's documents were put in training order, as the one resume protocol records it
     * for the command line and the simulator alike: the seed, and the embedded names or documents
     * given to the simulator (a file's path is not known here, only its name).
     */
    private static TrainingRun trainingRun(Settings settings) {
        DataSource data = settings.source().equals("embedded") ? DataSource.embedded()
                : DataSource.inMemory(settings.name());
        return new TrainingRun(settings.seed(), data);
    }

    /**
     * The engine, as 'microgpt train --save' records it, for 'microgpt compare' (the engines differ
     * in rounding). The seed and the dataset are not metadata: they are the run
     * ({@link #trainingRun}), which 'microgpt train --resume' reads. (The simulator wrote them as
     * metadata too, {@code "seed"}, {@code "data"}, {@code "simulator.dataset.source"} and
     * {@code "simulator.dataset.name"}, as the command line did before the checkpoint had its run;
     * a checkpoint written so is read with the run they describe, by the checkpoint reader.)
     */
    private static Map<String, String> metadata(Settings settings) {
        return Map.of(ENGINE_KEY, settings.engine().id());
    }

    /**
     * A loaded run: its settings, the run, and the note for the page.
     *
     * @param settings the settings the run was rebuilt with
     * @param run the run
     * @param message what came back, and why
     */
    record Loaded(Settings settings, ModelRun run, String message) {
    }

    /**
     * Rebuilds a run from the checkpoint {@code name}, as Reset builds a new one: new optimizer,
     * trainer and sampler, an empty log. The dataset stays the session's, and it must fit the
     * checkpoint's vocabulary (every character of every document a token of the model);
     * otherwise Load is refused, since the model could neither train on nor be shown the
     * characters it has no token for.
     *
     * <p>Two cases:
     * <ul>
     *   <li><b>The run continues.</b> If the checkpoint holds a training state and the session's
     *       dataset, shuffled with the checkpoint's seed, is exactly the one it was trained on
     *       (same {@link DataFingerprint}), everything comes back: the weights, Adam's moments
     *       and settings, the step and position in the run, Num steps, the seed and the random
     *       generator. The next steps are those the saved run would have made, bit for bit, unless
     *       it computed in single precision: the simulator computes in double precision only, so
     *       such a run goes on from the same state with slightly different numbers, and the note
     *       says so.</li>
     *   <li><b>The model only.</b> Otherwise (a model-only checkpoint, or other documents) the
     *       model gets the checkpoint's shape, vocabulary and weights, and training starts again
     *       at step 0 with a new optimizer and the session's seed, learning rate and Num steps.
     *       The note says which case it was, and why.</li>
     * </ul>
     * Everything is read and checked before anything changes.
     *
     * @param name a valid checkpoint name
     * @param current the session's settings (the dataset stays)
     * @param afterStep what the session does after every training step of the new run
     * @return the run
     * @throws ApiException 400 for a damaged checkpoint (with the {@link CheckpointException}'s
     *     message), a model the simulator cannot train live, or a vocabulary that lacks characters
     *     of the dataset; 404 if there is no checkpoint of that name
     */
    Loaded load(String name, Settings current, Consumer<ModelRun> afterStep) {
        checkSizes(name, "load", "its model is too large to train live");
        Checkpoint checkpoint = read(name, "load");
        Engine engine = engineFor(checkpoint, current);
        checkLoadable(name, checkpoint, current, engine);
        String engineNote = engine == current.engine() ? ""
                : ". It runs on the value engine: the array engine computes only the GPT";
        TrainingState training = checkpoint.training().orElse(null);
        String why;
        if (training == null) {
            why = "it holds the model without the optimizer's state";
        } else {
            long seed = savedSeed(training).orElse(current.seed());
            List<String> order = shuffled(current.documents(), seed);
            if (training.optimizer().scheduleName().equals("custom")) {
                // Only the program that defined the schedule can give it back (Checkpoint.withSchedule).
                why = "it was trained with a learning-rate schedule of its own program's, which the simulator"
                        + " cannot give back";
            } else if (!DataFingerprint.of(order).equals(training.fingerprint())) {
                why = "it was trained on other documents than " + describe(current) + ", or in another order"
                        + savedWith(training.run());
            } else if (!Limits.NUM_STEPS.contains(training.trainer().totalSteps())) {
                why = "its run of " + training.trainer().totalSteps() + " steps is longer than the simulator's "
                        + (long) Limits.NUM_STEPS.max();
            } else {
                Settings next = new Settings(current.documents(), current.source(), current.name(),
                        checkpoint.architecture(), engine, checkpoint.config(),
                        training.optimizer().settings().learningRate(), seed, training.trainer().totalSteps());
                ModelRun resumed;
                try {
                    resumed = ModelRun.resume(next, order, checkpoint, training, afterStep);
                } catch (IllegalArgumentException e) {
                    throw ApiException.badRequest("cannot load \"" + name + "\": its training state does not fit"
                            + " its documents: " + e.getMessage());
                }
                // The simulator computes in double precision only: a single-precision run goes on
                // from the same step and state, but not with the bits its own next steps would have had.
                String goesOn = checkpoint.precision() == Precision.F64 ? "goes on exactly where it was saved"
                        : "goes on where it was saved, in double precision (the saved run computed in single"
                                + " precision, so its own next steps would have differed in the last digits)";
                return new Loaded(next, resumed, "Loaded \"" + name + "\": step " + resumed.trainer().stepsDone()
                        + " of " + resumed.trainer().totalSteps() + " with the optimizer's state, so training "
                        + goesOn + " (the loss chart starts afresh; overlay the saved run to see its earlier steps)"
                        + engineNote);
            }
        }
        Settings next = new Settings(current.documents(), current.source(), current.name(),
                checkpoint.architecture(), engine, checkpoint.config(), current.learningRate(), current.seed(),
                current.numSteps());
        return new Loaded(next, ModelRun.create(next, checkpoint, afterStep), "Loaded the weights, shape and"
                + " vocabulary of \"" + name + "\". Training starts again at step 0 with a new optimizer, since " + why
                + engineNote);
    }

    /**
     * The most parameters of any model the simulator trains live: the largest of each model's
     * limits ({@link Limits#MODELS}), its shape at every range's top and the largest vocabulary,
     * or its budget of work at the shortest block, whichever is smaller. 1,632,512 (the array
     * engine's GPT: 8 layers, embedding size 128, block size 64, 200 characters).
     */
    static final long MAX_PARAMETERS = Limits.MODELS.stream().mapToLong(model -> Math.min(
            model.architecture().numParameters(new GptConfig((int) model.layers().max(),
                    (int) model.embedding().max(), 1, (int) model.blockSize().max(), 0.08), Limits.MAX_VOCAB + 1),
            model.maxStepWork() / (long) model.blockSize().min())).max().orElseThrow();

    /**
     * The largest size of a checkpoint's file that can hold the model of a checkpoint the
     * simulator loads: the weights ({@code factor} 1) or Adam's two moments ({@code factor} 2) of
     * {@link #MAX_PARAMETERS} in {@code F64}, the widest type, after the largest header a
     * safetensors file may have.
     */
    private static long maxTensorFileBytes(int factor) {
        return 8 + MAX_HEADER_BYTES + 8L * factor * MAX_PARAMETERS;
    }

    /**
     * Refuses, by the sizes of its tensor files alone, a checkpoint whose model is larger than any
     * the simulator trains live, before a byte of it is read: loading it whole only to refuse its
     * shape took seconds (a model of 6.3 million parameters, 4 s), during which the page waited.
     * A file that is missing or not a regular file is left to {@link Checkpoint#load} to name.
     * Load and the loss curve ask this first: neither shows a model the simulator cannot train.
     *
     * @param name the checkpoint's name
     * @param verb what was asked, for the message ("load")
     * @param why why a model that large is refused, for the message
     * @throws ApiException 400 naming the file, its size and the largest the simulator takes
     */
    private void checkSizes(String name, String verb, String why) {
        Path folder = store.resolve(name);
        for (String file : List.of(Checkpoint.MODEL_FILE, OPTIMIZER_FILE)) {
            long limit = maxTensorFileBytes(file.equals(OPTIMIZER_FILE) ? 2 : 1);
            long size;
            try {
                BasicFileAttributes attributes = Files.readAttributes(folder.resolve(file), BasicFileAttributes.class);
                if (!attributes.isRegularFile()) {
                    continue;
                }
                size = attributes.size();
            } catch (IOException e) {
                continue;
            }
            if (size > limit) {
                Limits.Model largest = Limits.ARRAY_GPT;
                throw ApiException.badRequest(String.format(Locale.ROOT, "cannot %s \"%s\": its %s has %,d bytes,"
                        + " more than the %,d that the %s of the largest model the simulator trains live take (%,d"
                        + " parameters: the %s engine's gpt with %s, and %d characters): %s, and it was refused"
                        + " before it was read", verb, name, file, size, limit,
                        file.equals(OPTIMIZER_FILE) ? "moments" : "weights", MAX_PARAMETERS, largest.engine().id(),
                        largest.ranges(), Limits.MAX_VOCAB, why));
            }
        }
    }

    /** Reads a checkpoint: 404 if there is none of that name, 400 with the reason if it is damaged. */
    private Checkpoint read(String name, String verb) {
        Path source = store.resolve(name);
        try {
            return Checkpoint.load(source);
        } catch (CheckpointException e) {
            if (!Files.exists(source, LinkOption.NOFOLLOW_LINKS)) {
                throw new ApiException(404, "there is no checkpoint named \"" + name + "\": " + e.getMessage());
            }
            throw ApiException.badRequest("cannot " + verb + " \"" + name + "\": " + e.getMessage());
        }
    }

    /**
     * The loss curve of a saved run, for the loss chart to draw beside the live one: the loss of
     * every step the run had done when it was saved ({@link TrainingState#losses()}), bit for
     * bit, with what the run was. The session does not change.
     *
     * <p>JSON: {@code {name, model, config: {nLayer, nEmbd, nHead, blockSize}, vocabSize,
     * learningRate, step, totalSteps, losses: [...]}}.
     *
     * <p>Reading a checkpoint reads its weights and moments too, which the curve does not show: a
     * checkpoint whose files are larger than any model the simulator trains live could fill is
     * refused by their sizes first, as {@link #load} refuses it, so that a large run saved by
     * {@code microgpt train} costs no seconds of reading and no memory for its weights.
     *
     * @param name a valid checkpoint name
     * @return the JSON text
     * @throws ApiException 404 if there is no checkpoint of that name; 400 for a damaged one, one
     *     whose model is larger than the simulator trains live, or one that has no losses to show
     *     (saved without its training state, before its first step, or by a version that kept no
     *     loss history), saying which
     */
    String lossCurveJson(String name) {
        checkSizes(name, "read the loss curve of", "the simulator shows the loss curves of the models it trains live");
        Checkpoint checkpoint = read(name, "read the loss curve of");
        TrainingState training = checkpoint.training().orElseThrow(() -> ApiException.badRequest("\"" + name
                + "\" holds the model without its training state, so it has no loss curve to show"));
        double[] losses = training.losses();
        int steps = training.trainer().stepsDone();
        if (steps == 0) {
            throw ApiException.badRequest("\"" + name + "\" was saved before its first step, so it has no loss curve"
                    + " to show");
        }
        if (losses.length == 0) {
            throw ApiException.badRequest("\"" + name + "\" was saved without the loss of its steps (by an earlier"
                    + " version, or from a run resumed from such a checkpoint), so it has no loss curve to show");
        }
        GptConfig config = checkpoint.config();
        StringWriter text = new StringWriter();
        try (JsonWriter out = new JsonWriter(text)) {
            out.beginObject();
            out.name("name").value(name);
            out.name("model").value(checkpoint.architecture().id());
            out.name("config").beginObject();
            out.name("nLayer").value(config.nLayer());
            out.name("nEmbd").value(config.nEmbd());
            out.name("nHead").value(config.nHead());
            out.name("blockSize").value(config.blockSize());
            out.endObject();
            out.name("vocabSize").value(checkpoint.tokenizer().vocabSize());
            out.name("learningRate").value(training.optimizer().settings().learningRate());
            out.name("step").value(steps);
            out.name("totalSteps").value(training.trainer().totalSteps());
            out.name("losses").beginArray();
            for (double loss : losses) {
                out.value(loss);
            }
            out.endArray();
            out.endObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return text.toString();
    }

    /** The session's engine, unless the checkpoint holds a model the array engine does not compute. */
    private static Engine engineFor(Checkpoint checkpoint, Settings current) {
        return checkpoint.architecture() == Architecture.GPT ? current.engine() : Engine.VALUE;
    }

    /** Refuses a checkpoint the simulator cannot train live, or whose vocabulary misses dataset characters. */
    private static void checkLoadable(String name, Checkpoint checkpoint, Settings current, Engine engine) {
        GptConfig c = checkpoint.config();
        int vocabSize = checkpoint.tokenizer().vocabSize();
        if (vocabSize - 1 > Limits.MAX_VOCAB) {
            throw ApiException.badRequest("cannot load \"" + name + "\": its vocabulary has " + (vocabSize - 1)
                    + " characters; the simulator takes at most " + Limits.MAX_VOCAB);
        }
        Limits.Model limits = Limits.of(checkpoint.architecture(), engine);
        try {
            limits.check(c, vocabSize);
        } catch (ApiException e) {
            throw ApiException.badRequest("cannot load \"" + name + "\": its " + checkpoint.architecture().id()
                    + " model (layers " + c.nLayer() + ", embedding size " + c.nEmbd() + ", heads " + c.nHead()
                    + ", block size " + c.blockSize() + ") is outside what the simulator trains live with the "
                    + engine.id() + " engine (" + limits.ranges() + "): " + e.getMessage());
        }
        Set<Integer> known = new HashSet<>();
        checkpoint.tokenizer().characters().codePoints().forEach(known::add);
        TreeSet<Integer> missing = new TreeSet<>();
        for (String document : current.documents()) {
            document.codePoints().filter(cp -> !known.contains(cp)).forEach(missing::add);
        }
        if (!missing.isEmpty()) {
            StringBuilder list = new StringBuilder();
            int shown = 0;
            for (int codePoint : missing) {
                if (shown++ == 12) {
                    list.append(", …");
                    break;
                }
                list.append(shown > 1 ? ", " : "").append('\'').appendCodePoint(codePoint).append('\'');
            }
            throw ApiException.badRequest("cannot load \"" + name + "\": " + describe(current) + " has "
                    + missing.size() + (missing.size() == 1 ? " character" : " characters")
                    + " that the model has no token for (" + list + "). A model trains only on characters of its"
                    + " vocabulary: choose a dataset it knows (such as the one it was trained on) under Dataset &"
                    + " configuration, press Reset, then Load");
        }
    }

    private static String describe(Settings settings) {
        return "the current dataset (" + settings.name() + ")";
    }

    /**
     * The seed a checkpoint records, if it is one the page can show and send back. A checkpoint
     * written before the checkpoint had its run (by the simulator or the command line) has it from
     * its metadata's {@code "seed"}: the checkpoint reader reads it so. A run recorded as unknown
     * ({@code "run": null}) stays unknown, whatever the metadata holds (the simulator used to read
     * the seed from the metadata then as well, which only a file edited by hand could make differ).
     */
    private static Optional<Long> savedSeed(TrainingState training) {
        return Optional.ofNullable(training.run()).map(TrainingRun::seed).filter(Limits.SEED::contains);
    }

    /** What the page is told a run was trained on, if its checkpoint says: " (it was saved with "tiny names")". */
    private static String savedWith(TrainingRun run) {
        if (run == null) {
            return "";
        }
        DataSource data = run.data();
        String what = switch (data.kind()) {
            case EMBEDDED -> "the embedded names";
            case FILE -> "the file " + data.name();
            case IN_MEMORY -> "\"" + data.name() + "\"";
        };
        return " (it was saved with " + what + ")";
    }

    private static List<String> shuffled(List<String> documents, long seed) {
        List<String> order = new ArrayList<>(documents);
        new PythonRandom(seed).shuffle(order);
        return order;
    }
}
