package io.github.microgpt.examples.simulator;

import io.github.microgpt.checkpoint.Checkpoint;
import io.github.microgpt.checkpoint.CheckpointException;
import io.github.microgpt.checkpoint.DataFingerprint;
import io.github.microgpt.checkpoint.TrainingState;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.GptModel;
import io.github.microgpt.optim.AdamOptimizer;
import io.github.microgpt.optim.LearningRateSchedule;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.sample.GenerationListener;
import io.github.microgpt.sample.SampleEvent;
import io.github.microgpt.sample.Sampler;
import io.github.microgpt.sample.TokenEvent;
import io.github.microgpt.text.Documents;
import io.github.microgpt.text.Tokenizer;
import io.github.microgpt.train.PositionEvent;
import io.github.microgpt.train.StepEvent;
import io.github.microgpt.train.StepMode;
import io.github.microgpt.train.Trainer;
import io.github.microgpt.train.TrainingDivergedException;
import io.github.microgpt.train.TrainingListener;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * The one model session of the simulator: a real {@link GptModel}, {@link Trainer} and
 * {@link Sampler} from microgpt-core, and what their listener hooks reported.
 *
 * <h2>Threads</h2>
 * Every change (Step, Run, Reset, Gen Step, Generate, Save, Load) happens under one lock, so
 * requests from several tabs are carried out one after the other, never interleaved. A Run trains on a worker
 * thread that holds the lock for the whole run; meanwhile other changes are refused with HTTP 409
 * ("press Stop first") rather than made to wait. Readers never take the lock: after each change
 * the session publishes an immutable {@link Snapshot} through a volatile field, and every read
 * (state, weights, the event stream) looks at the latest one. During a run a new snapshot is made
 * at most every {@value #RUN_PUBLISH_MILLIS} ms, and always at the end.
 *
 * <h2>Stop</h2>
 * Stop sets a flag; the trainer's {@code onStep} listener, on the training thread, sees it and
 * calls {@link Trainer#requestStop()}, so the run ends after the step in progress (a step takes
 * milliseconds). Asking from the training thread itself means the request can never arrive after
 * the run has ended and so stop the next run early.
 */
final class SimulatorSession implements AutoCloseable {

    /** The longest run the page may ask for. */
    static final int MAX_STEPS = 100_000;
    /** The largest dataset text accepted, in characters. */
    static final int MAX_TEXT_CHARS = 1_000_000;
    /**
     * The longest document, in characters. The model reads at most a block size (32) of them; the
     * limit keeps a dataset's documents readable in the log and the overlay.
     */
    static final int MAX_DOCUMENT_CHARS = 1_000;
    /** The most distinct characters a dataset may have. */
    static final int MAX_VOCAB = 200;
    /** The lowest and highest temperature of the page's slider. */
    static final double MIN_TEMPERATURE = 0.1;
    static final double MAX_TEMPERATURE = 1.5;
    /**
     * The most work a step may take, as block size × number of parameters: 250,000, about four
     * times the default model's 67,072. The scalar engine's step time grows with both; within this
     * budget the longest step measured was about 70 ms, so Stop still answers at once.
     */
    static final long MAX_STEP_WORK = 250_000;
    /** How many samples the page keeps. */
    static final int MAX_SAMPLES = 200;
    static final long RUN_PUBLISH_MILLIS = 40;

    private static final Set<String> MODES = Set.of("position", "document");
    /** The checkpoint metadata of the seed the documents were shuffled with, as 'microgpt train' writes it. */
    static final String SEED_KEY = "seed";
    /** The checkpoint metadata of the dataset's source ("embedded", "file", "text"). */
    static final String SOURCE_KEY = "simulator.dataset.source";
    /** The checkpoint metadata of the dataset's readable name. */
    static final String DATASET_KEY = "simulator.dataset.name";

    private final ReentrantLock lock = new ReentrantLock();
    private final ExecutorService worker = Executors.newSingleThreadExecutor(runnable -> {
        Thread thread = new Thread(runnable, "simulator-training");
        thread.setDaemon(true);
        return thread;
    });
    private final Supplier<List<String>> embeddedNames;
    private final CheckpointStore checkpoints;

    private volatile Snapshot snapshot;
    private volatile boolean running;
    private volatile boolean stopRequested;
    private volatile Future<?> runFuture;

    // Everything below is guarded by the lock.
    private Settings settings;
    private World world;
    private long revision;
    private long epoch;
    private long paramsVersion;
    private String message;
    private long runStartNanos;
    private int runStartSteps;
    private double stepsPerSecond;
    private long lastPublishNanos;

    /**
     * Creates a session with the default configuration of {@code microgpt.py}.
     *
     * @param documents the documents to train on
     * @param source where they came from ({@code "embedded"}, {@code "file"} or {@code "text"})
     * @param name a readable name for the dataset
     * @param seed the random seed
     * @param embeddedNames where Reset gets the embedded names when the page asks for them
     * @param checkpoints where Save and Load keep models
     * @throws IllegalArgumentException if the documents cannot be trained on
     */
    SimulatorSession(List<String> documents, String source, String name, long seed,
                     Supplier<List<String>> embeddedNames, CheckpointStore checkpoints) {
        this.embeddedNames = embeddedNames;
        this.checkpoints = checkpoints;
        Settings initial = new Settings(checkDocuments(documents), source, name, GptConfig.defaults(),
                Settings.DEFAULT_LEARNING_RATE, seed, Settings.DEFAULT_NUM_STEPS);
        lock.lock();
        try {
            install(initial, newWorld(initial, null));
        } finally {
            lock.unlock();
        }
    }

    /**
     * Creates a session whose Reset reads the embedded names from the library.
     *
     * @param documents the documents
     * @param source where they came from
     * @param name their readable name
     * @param seed the random seed
     * @param checkpoints where Save and Load keep models
     */
    SimulatorSession(List<String> documents, String source, String name, long seed, CheckpointStore checkpoints) {
        this(documents, source, name, seed, Documents::embeddedNames, checkpoints);
    }

    /**
     * Where Save and Load keep models.
     *
     * @return the store
     */
    CheckpointStore checkpoints() {
        return checkpoints;
    }

    /**
     * The latest state. Never blocks.
     *
     * @return the snapshot
     */
    Snapshot snapshot() {
        return snapshot;
    }

    /**
     * The number of training steps done, from the latest snapshot.
     *
     * @return the step counter
     */
    int stepsDone() {
        return snapshot.step();
    }

    // ------------------------------------------------------------------------------ requests

    /**
     * Step Fwd: one training step, of one position ({@code "mode": "position"}, the default) or
     * one document ({@code "document"}).
     *
     * @param request {@code {mode?, numSteps?}}
     * @return the state after the step
     * @throws ApiException 400 for a bad value, 409 if a run is in progress, all steps are done or
     *     the step diverged
     */
    Snapshot step(JsonRequest request) {
        StepMode mode = mode(request);
        Integer numSteps = numSteps(request);
        lockIdle();
        try {
            applyNumSteps(numSteps);
            requireUnfinished();
            message = null;
            world.stepMode = mode;
            try {
                world.trainer.step(mode);
            } catch (TrainingDivergedException e) {
                message = diverged(e);
                publish();
                throw ApiException.conflict(message);
            }
            publish();
            return snapshot;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Run: trains on a worker thread until Num steps is reached or Stop is pressed. Returns at once.
     *
     * @param request {@code {mode?, numSteps?}}
     * @return the state as the run starts
     * @throws ApiException 400 for a bad value, 409 if a run is in progress or all steps are done
     */
    Snapshot run(JsonRequest request) {
        StepMode mode = mode(request);
        Integer numSteps = numSteps(request);
        lockIdle();
        try {
            applyNumSteps(numSteps);
            requireUnfinished();
            message = null;
            stopRequested = false;
            running = true;
            runStartNanos = System.nanoTime();
            runStartSteps = world.trainer.stepsDone();
            stepsPerSecond = 0;
            publish();
            runFuture = worker.submit(() -> train(mode));
            return snapshot;
        } finally {
            lock.unlock();
        }
    }

    private void train(StepMode mode) {
        lock.lock();
        try {
            if (!stopRequested) {
                world.stepMode = mode;
                world.trainer.run(mode);
            }
        } catch (TrainingDivergedException e) {
            message = diverged(e);
        } catch (RuntimeException e) {
            message = "training stopped: " + e.getMessage();
        } finally {
            running = false;
            updateSpeed();
            publish();
            lock.unlock();
        }
    }

    /**
     * Stop: ends a run after the step in progress and waits until it has ended. Does nothing if
     * no run is in progress.
     *
     * @return the state after the run
     */
    Snapshot stop() {
        stopRequested = true;
        Future<?> future = runFuture;
        if (future != null) {
            try {
                future.get(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException e) {
                throw new ApiException(500, "the run did not stop: " + e);
            }
        }
        return snapshot;
    }

    /**
     * Reset: a new model and optimizer from the dataset and configuration given (or the current
     * ones), with the log, the counter and the samples cleared. Every value is checked before
     * anything changes.
     *
     * @param request {@code {numSteps?, config?: {nLayer, nEmbd, nHead, blockSize, learningRate,
     *     seed}, dataset?: {source: "current"|"embedded"|"text", text?, name?}}}
     * @return the state of the new model
     * @throws ApiException 400 for a bad value, 409 if a run is in progress
     */
    Snapshot reset(JsonRequest request) {
        lockIdle();
        try {
            Settings next = settingsFrom(request);
            message = null;
            install(next, newWorld(next, null));
            return snapshot;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Gen Step: draws one token of the current sample, starting a new sample when there is none.
     *
     * @param request {@code {temperature}}
     * @return the state after the token
     * @throws ApiException 400 for a bad temperature, 409 if a run is in progress
     */
    Snapshot genStep(JsonRequest request) {
        double temperature = temperature(request);
        lockIdle();
        try {
            World w = world;
            if (w.generation == null || w.generation.isDone()) {
                w.generation = w.sampler.start(++w.samplesStarted, temperature);
                w.temperature = temperature;
            }
            w.generation.step();
            publish();
            return snapshot;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Generate: draws {@code count} (20 by default) whole samples at the given temperature. They
     * replace the samples shown.
     *
     * @param request {@code {temperature, count?}}
     * @return the state with the samples
     * @throws ApiException 400 for a bad value, 409 if a run is in progress
     */
    Snapshot generate(JsonRequest request) {
        double temperature = temperature(request);
        int count = request.integer("count", "The number of samples", 1, 100).orElse(20L).intValue();
        lockIdle();
        try {
            World w = world;
            w.generation = null;
            w.samples.clear();
            w.temperature = temperature;
            for (int i = 0; i < count; i++) {
                w.sampler.sample(++w.samplesStarted, temperature);
            }
            publish();
            return snapshot;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Save: writes the current model as the checkpoint {@code name} in the checkpoint folder,
     * through {@link Checkpoint#save}, atomically (a crash leaves the old checkpoint or the new
     * one, never half of one), replacing a checkpoint of that name. It holds the weights, the
     * configuration and the vocabulary, and the training state: Adam's moments, the step and
     * position in the run, the random generator, a fingerprint of the documents in training
     * order, and as metadata the seed and the dataset's name, so that Load can continue the run
     * exactly. The session does not change, except for the note on the page.
     *
     * @param request {@code {name}}
     * @return the state, with a note naming the checkpoint
     * @throws ApiException 400 for a bad name; 409 if a run is in progress or a folder of that
     *     name exists that is not a checkpoint; 500 if the disk refuses the write
     */
    Snapshot save(JsonRequest request) {
        String name = CheckpointStore.name(request);
        Path target = checkpoints.resolve(name);
        lockIdle();
        try {
            World w = world;
            boolean replacing = Files.exists(target, LinkOption.NOFOLLOW_LINKS);
            try {
                Checkpoint.checkSaveTarget(target);
            } catch (CheckpointException e) {
                throw ApiException.conflict("cannot save as \"" + name + "\": " + e.getMessage());
            }
            try {
                TrainingState state = TrainingState.capture(w.trainer, w.random, w.mixedModes ? null : w.runMode,
                        saveMetadata());
                Checkpoint.save(target, w.model, w.tokenizer, state);
            } catch (IllegalArgumentException e) {
                throw ApiException.conflict("cannot save as \"" + name + "\": " + e.getMessage());
            }
            message = "Saved the model as \"" + name + "\" (step " + w.trainer.stepsDone() + " of "
                    + w.trainer.totalSteps() + (replacing ? ", replacing the earlier one" : "") + ") in "
                    + checkpoints.directory();
            publish();
            return snapshot;
        } catch (IOException e) {
            throw new ApiException(500, "cannot save as \"" + name + "\": " + e.getMessage());
        } finally {
            lock.unlock();
        }
    }

    private Map<String, String> saveMetadata() {
        Map<String, String> metadata = new LinkedHashMap<>();
        // "seed" as 'microgpt train --save' writes it: how the documents were shuffled.
        metadata.put(SEED_KEY, Long.toString(settings.seed()));
        if (settings.source().equals("embedded")) {
            // So that 'microgpt train --resume' finds the documents of a run saved here.
            metadata.put("data", "embedded");
        }
        metadata.put(SOURCE_KEY, settings.source());
        metadata.put(DATASET_KEY, settings.name());
        return metadata;
    }

    /**
     * Load: replaces the model with the checkpoint {@code name}'s, as Reset replaces it with a
     * new one: new optimizer, trainer and sampler, the log, the loss curve and the samples
     * cleared. The dataset stays the session's, and it must fit the checkpoint's vocabulary
     * (every character of every document a token of the model); otherwise Load is refused,
     * since the model could neither train on nor be shown the characters it has no token for.
     *
     * <p>Two cases:
     * <ul>
     *   <li><b>The run continues.</b> If the checkpoint holds a training state and the session's
     *       dataset, shuffled with the checkpoint's seed, is exactly the one it was trained on
     *       (same {@link io.github.microgpt.checkpoint.DataFingerprint}), everything comes back:
     *       the weights, Adam's moments and settings, the step and position in the run, Num steps,
     *       the seed and the random generator. The next steps are those the saved run would have
     *       made, bit for bit.</li>
     *   <li><b>The model only.</b> Otherwise (a model-only checkpoint, or other documents) the
     *       model gets the checkpoint's shape, vocabulary and weights, and training starts again
     *       at step 0 with a new optimizer and the session's seed, learning rate and Num steps.
     *       The note on the page says which case it was, and why.</li>
     * </ul>
     * Everything is read and checked before anything changes: a refused Load leaves the session
     * as it was.
     *
     * @param request {@code {name}}
     * @return the state of the loaded model
     * @throws ApiException 400 for a bad name, a damaged checkpoint (with the
     *     {@link CheckpointException}'s message), a model the simulator cannot train live, or a
     *     vocabulary that lacks characters of the dataset; 404 if there is no checkpoint of that
     *     name; 409 if a run is in progress
     */
    Snapshot load(JsonRequest request) {
        String name = CheckpointStore.name(request);
        Path source = checkpoints.resolve(name);
        lockIdle();
        try {
            Checkpoint checkpoint;
            try {
                checkpoint = Checkpoint.load(source);
            } catch (CheckpointException e) {
                if (!Files.exists(source, LinkOption.NOFOLLOW_LINKS)) {
                    throw new ApiException(404, "there is no checkpoint named \"" + name + "\": " + e.getMessage());
                }
                throw ApiException.badRequest("cannot load \"" + name + "\": " + e.getMessage());
            }
            checkLoadable(name, checkpoint);
            Settings current = settings;
            TrainingState training = checkpoint.training().orElse(null);
            String why;
            if (training == null) {
                why = "it holds the model without the optimizer's state";
            } else {
                long seed = savedSeed(training).orElse(current.seed());
                List<String> order = shuffled(current.documents(), seed);
                if (!DataFingerprint.of(order).equals(training.data())) {
                    why = "it was trained on other documents than " + describe(current) + ", or in another order"
                            + (training.metadata().containsKey(DATASET_KEY)
                                    ? " (it was saved with \"" + training.metadata().get(DATASET_KEY) + "\")" : "");
                } else if (training.trainer().totalSteps() > MAX_STEPS) {
                    why = "its run of " + training.trainer().totalSteps() + " steps is longer than the simulator's "
                            + MAX_STEPS;
                } else {
                    Settings next = new Settings(current.documents(), current.source(), current.name(),
                            checkpoint.config(), training.optimizer().learningRate(), seed,
                            training.trainer().totalSteps());
                    World resumed = resumedWorld(next, order, checkpoint, training, name);
                    message = "Loaded \"" + name + "\": step " + resumed.trainer.stepsDone() + " of "
                            + resumed.trainer.totalSteps() + " with the optimizer's state, so training goes on"
                            + " exactly where it was saved (the loss chart starts afresh)";
                    install(next, resumed);
                    return snapshot;
                }
            }
            Settings next = new Settings(current.documents(), current.source(), current.name(), checkpoint.config(),
                    current.learningRate(), current.seed(), current.numSteps());
            World loaded = newWorld(next, checkpoint);
            message = "Loaded the weights, shape and vocabulary of \"" + name + "\". Training starts again at step"
                    + " 0 with a new optimizer, since " + why;
            install(next, loaded);
            return snapshot;
        } finally {
            lock.unlock();
        }
    }

    /** Refuses a checkpoint the simulator cannot train live, or whose vocabulary misses dataset characters. */
    private void checkLoadable(String name, Checkpoint checkpoint) {
        GptConfig c = checkpoint.config();
        int vocabSize = checkpoint.tokenizer().vocabSize();
        if (c.nLayer() > 4 || c.nEmbd() < 4 || c.nEmbd() > 64 || c.nHead() > 8 || c.blockSize() < 2
                || c.blockSize() > 32) {
            throw ApiException.badRequest("cannot load \"" + name + "\": its model (layers " + c.nLayer()
                    + ", embedding size " + c.nEmbd() + ", heads " + c.nHead() + ", block size " + c.blockSize()
                    + ") is outside what the simulator trains live: Layers 1–4, embedding size 4–64, heads 1–8,"
                    + " block size 2–32");
        }
        if (vocabSize - 1 > MAX_VOCAB) {
            throw ApiException.badRequest("cannot load \"" + name + "\": its vocabulary has " + (vocabSize - 1)
                    + " characters; the simulator takes at most " + MAX_VOCAB);
        }
        try {
            checkStepWork(c, vocabSize);
        } catch (ApiException e) {
            throw ApiException.badRequest("cannot load \"" + name + "\": " + e.getMessage());
        }
        String characters = checkpoint.tokenizer().characters();
        Set<Integer> known = new HashSet<>();
        characters.codePoints().forEach(known::add);
        TreeSet<Integer> missing = new TreeSet<>();
        for (String document : settings.documents()) {
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
            throw ApiException.badRequest("cannot load \"" + name + "\": " + describe(settings) + " has "
                    + missing.size() + (missing.size() == 1 ? " character" : " characters")
                    + " that the model has no token for (" + list + "). A model trains only on characters of its"
                    + " vocabulary: choose a dataset it knows (such as the one it was trained on) under Dataset &"
                    + " configuration, press Reset, then Load");
        }
    }

    private static String describe(Settings settings) {
        return "the current dataset (" + settings.name() + ")";
    }

    /** The seed a checkpoint records, if it is one the page can show and send back. */
    private static Optional<Long> savedSeed(TrainingState training) {
        String value = training.metadata().get(SEED_KEY);
        if (value == null) {
            return Optional.empty();
        }
        try {
            long seed = Long.parseLong(value.strip());
            return seed >= 0 && seed < (1L << 53) ? Optional.of(seed) : Optional.empty();
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static List<String> shuffled(List<String> documents, long seed) {
        List<String> order = new ArrayList<>(documents);
        new PythonRandom(seed).shuffle(order);
        return order;
    }

    /** Stops a run and the worker thread. */
    @Override
    public void close() {
        stopRequested = true;
        worker.shutdown();
        try {
            if (!worker.awaitTermination(5, TimeUnit.SECONDS)) {
                worker.shutdownNow();
            }
        } catch (InterruptedException e) {
            worker.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    // ------------------------------------------------------------------------------ checks

    /**
     * Takes the lock for a change, or refuses the change if a run is in progress. A run holds the
     * lock until it ends, so a change must not simply wait for the lock: it would hang until the
     * run is over. It waits in short slices instead and gives up as soon as it sees a run.
     */
    private void lockIdle() {
        try {
            while (!lock.tryLock(5, TimeUnit.MILLISECONDS)) {
                if (running) {
                    throw runningConflict();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(503, "the server is shutting down");
        }
        if (running) {
            lock.unlock();
            throw runningConflict();
        }
    }

    private static ApiException runningConflict() {
        return ApiException.conflict("training is running: press Stop first");
    }

    private void requireUnfinished() {
        if (world.trainer.isFinished()) {
            throw ApiException.conflict("all " + world.trainer.totalSteps()
                    + " steps are done: press Reset to train a new model (Num steps is applied on Reset)");
        }
    }

    /**
     * Num steps sets the learning-rate schedule of the whole run, so it can change only while no
     * step has been made: then the trainer is remade for the new length, over the same untouched
     * model and optimizer.
     */
    private void applyNumSteps(Integer numSteps) {
        if (numSteps == null || numSteps == world.trainer.totalSteps()) {
            return;
        }
        if (world.trainer.stepsDone() > 0) {
            throw ApiException.badRequest("Num steps is " + world.trainer.totalSteps()
                    + " for this run: it sets the learning-rate schedule, so it can change only before the first"
                    + " step. Press Reset to start a run of " + numSteps + " steps");
        }
        settings = new Settings(settings.documents(), settings.source(), settings.name(), settings.config(),
                settings.learningRate(), settings.seed(), numSteps);
        world.trainer = world.newTrainer(numSteps);
    }

    private static StepMode mode(JsonRequest request) {
        String mode = request.choice("mode", "The step mode", MODES).orElse("position");
        return mode.equals("document") ? StepMode.DOCUMENT : StepMode.POSITION;
    }

    private static Integer numSteps(JsonRequest request) {
        return request.integer("numSteps", "Num steps", 1, MAX_STEPS).map(Long::intValue).orElse(null);
    }

    private static double temperature(JsonRequest request) {
        return request.decimal("temperature", "Temperature", MIN_TEMPERATURE, true, MAX_TEMPERATURE)
                .orElseThrow(() -> ApiException.badRequest("Temperature is missing"));
    }

    private static String diverged(TrainingDivergedException e) {
        return e.getMessage() + ". The step was not applied: lower the learning rate and press Reset";
    }

    private Settings settingsFrom(JsonRequest request) {
        Settings current = settings;
        int numSteps = request.integer("numSteps", "Num steps", 1, MAX_STEPS)
                .map(Long::intValue).orElse(current.numSteps());
        GptConfig config = current.config();
        double learningRate = current.learningRate();
        long seed = current.seed();
        var configRequest = request.object("config",
                Set.of("nLayer", "nEmbd", "nHead", "blockSize", "learningRate", "seed"));
        if (configRequest.isPresent()) {
            JsonRequest c = configRequest.get();
            int nLayer = c.integer("nLayer", "Layers", 1, 4).map(Long::intValue).orElse(config.nLayer());
            int nEmbd = c.integer("nEmbd", "Embedding size", 4, 64).map(Long::intValue).orElse(config.nEmbd());
            int nHead = c.integer("nHead", "Heads", 1, 8).map(Long::intValue).orElse(config.nHead());
            int blockSize = c.integer("blockSize", "Block size", 2, 32).map(Long::intValue)
                    .orElse(config.blockSize());
            if (nEmbd % nHead != 0) {
                throw ApiException.badRequest("Embedding size (" + nEmbd + ") must be divisible by Heads (" + nHead
                        + ") so that every head gets the same number of dimensions");
            }
            learningRate = c.decimal("learningRate", "Learning rate", 0, false, 1).orElse(learningRate);
            seed = c.integer("seed", "Seed", 0, (1L << 53) - 1).orElse(seed);
            config = new GptConfig(nLayer, nEmbd, nHead, blockSize, config.initStd());
        }
        List<String> documents = current.documents();
        String source = current.source();
        String name = current.name();
        var datasetRequest = request.object("dataset", Set.of("source", "text", "name"));
        if (datasetRequest.isPresent()) {
            JsonRequest d = datasetRequest.get();
            String chosen = d.choice("source", "The dataset", Set.of("current", "embedded", "text"))
                    .orElse("current");
            switch (chosen) {
                case "embedded" -> {
                    try {
                        documents = checkDocuments(embeddedNames.get());
                    } catch (RuntimeException e) {
                        throw new ApiException(500, "the embedded names cannot be read: " + e.getMessage());
                    }
                    source = "embedded";
                    name = "embedded names";
                }
                case "text" -> {
                    String text = d.string("text", "The dataset text", MAX_TEXT_CHARS)
                            .orElseThrow(() -> ApiException.badRequest("the dataset text is missing"));
                    name = d.string("name", "The dataset name", 200).filter(s -> !s.isBlank())
                            .orElse("pasted text");
                    documents = checkDocuments(Documents.parse(text));
                    source = "text";
                }
                default -> {
                    // the current dataset
                }
            }
        }
        checkStepWork(config, Tokenizer.fromDocuments(documents).vocabSize());
        return new Settings(documents, source, name, config, learningRate, seed, numSteps);
    }

    /**
     * Refuses a model so large that one step would take long enough to make the page sluggish
     * and Stop slow to answer.
     */
    static void checkStepWork(GptConfig config, int vocabSize) {
        long d = config.nEmbd();
        long params = 2L * vocabSize * d + (long) config.blockSize() * d + 12L * config.nLayer() * d * d;
        long work = params * config.blockSize();
        if (work > MAX_STEP_WORK) {
            throw ApiException.badRequest(String.format(Locale.ROOT, "this model is too large to train live: block"
                    + " size × parameters is %,d (%d layers, embedding size %d, block size %d, %d tokens, %,d"
                    + " parameters) and the simulator allows at most %,d, which keeps a step under about 0.1 s."
                    + " Choose fewer layers, a smaller embedding or a shorter block",
                    work, config.nLayer(), config.nEmbd(), config.blockSize(), vocabSize, params, MAX_STEP_WORK));
        }
    }

    /**
     * Checks that a dataset can be trained on and shown: at least one document, no control
     * characters, a vocabulary of at most {@value #MAX_VOCAB} characters.
     */
    static List<String> checkDocuments(List<String> documents) {
        if (documents.isEmpty()) {
            throw ApiException.badRequest("the dataset holds no documents: every line is empty or blank");
        }
        TreeSet<Integer> characters = new TreeSet<>();
        for (int i = 0; i < documents.size(); i++) {
            String document = documents.get(i);
            int length = document.codePointCount(0, document.length());
            if (length > MAX_DOCUMENT_CHARS) {
                throw ApiException.badRequest(String.format(Locale.ROOT, "document %d (line %d of the documents)"
                        + " is %,d characters long; the simulator takes documents of at most %,d characters (one"
                        + " name, word or short line per document; the model reads at most its block size of"
                        + " them)", i + 1, i + 1, length, MAX_DOCUMENT_CHARS));
            }
            for (int j = 0; j < document.length(); ) {
                int codePoint = document.codePointAt(j);
                if (Character.isISOControl(codePoint) || Character.getType(codePoint) == Character.SURROGATE) {
                    throw ApiException.badRequest(String.format(
                            "document %d (line %d of the documents) holds the control character U+%04X;"
                                    + " use plain text, one document per line", i + 1, i + 1, codePoint));
                }
                characters.add(codePoint);
                j += Character.charCount(codePoint);
            }
        }
        if (characters.size() > MAX_VOCAB) {
            throw ApiException.badRequest("the dataset has " + characters.size()
                    + " different characters; the simulator takes at most " + MAX_VOCAB);
        }
        return documents;
    }

    // ------------------------------------------------------------------------------ the model

    /** Makes a model current. Called under the lock. */
    private void install(Settings next, World w) {
        settings = next;
        world = w;
        epoch++;
        paramsVersion++;
        stepsPerSecond = 0;
        publish();
    }

    /**
     * A new model as Reset makes it, in the order of {@code microgpt.py}: one random source
     * shuffles the documents, draws the initial weights, and later draws the samples. With a
     * checkpoint, the model takes its vocabulary and, after the draw, its weights; the random
     * source has then made the same draws as on Reset, so sampling goes as it would after Reset.
     */
    private World newWorld(Settings s, Checkpoint weights) {
        PythonRandom random = new PythonRandom(s.seed());
        List<String> order = new ArrayList<>(s.documents());
        random.shuffle(order);
        Tokenizer tokenizer = weights == null ? Tokenizer.fromDocuments(order) : weights.tokenizer();
        GptModel model = GptModel.create(s.config(), tokenizer.vocabSize(), random);
        if (weights != null) {
            weights.loadInto(model);
        }
        AdamOptimizer optimizer = new AdamOptimizer(model.numParameters(), s.learningRate(), 0.85, 0.99, 1e-8,
                LearningRateSchedule.LINEAR_DECAY);
        return new World(order, tokenizer, model, optimizer, random, s.numSteps());
    }

    /**
     * A saved run rebuilt where it stopped: the checkpoint's model and optimizer, the trainer at
     * the saved step and position, the saved random generator. The caller has checked that
     * {@code order} is the run's documents in training order.
     */
    private World resumedWorld(Settings s, List<String> order, Checkpoint checkpoint, TrainingState training,
                               String name) {
        PythonRandom random = training.random() != null ? PythonRandom.fromState(training.random())
                : new PythonRandom(s.seed());
        World w = new World(order, checkpoint.tokenizer(), checkpoint.model(), training.optimizer().toOptimizer(),
                random, s.numSteps());
        try {
            w.trainer.restore(training.trainer());
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("cannot load \"" + name + "\": its training state does not fit its"
                    + " documents: " + e.getMessage());
        }
        w.runMode = training.stepMode();
        w.mixedModes = training.stepMode() == null && training.trainer().stepsDone() > 0;
        return w;
    }

    /** A model with its optimizer, trainer and sampler, and what their hooks reported. */
    private final class World implements TrainingListener, GenerationListener {
        final List<String> documents;
        final Tokenizer tokenizer;
        final GptModel model;
        final GradientCapturingModel captured;
        final AdamOptimizer optimizer;
        /** Shuffled the documents, drew the initial weights, and draws the samples. */
        final PythonRandom random;
        final Sampler sampler;
        final AttentionRecorder attention;
        final StepLog log = new StepLog();
        final List<String> samples = new ArrayList<>();
        final List<String> vocab = new ArrayList<>();
        Trainer trainer;
        PositionEvent lastPosition;
        Overlay overlay;
        /** The kind of the training step in progress, for the log. */
        StepMode stepMode = StepMode.POSITION;
        /** The kind of the steps of this run so far (null before the first), for a checkpoint. */
        StepMode runMode;
        /** Whether the run so far mixed position and document steps. */
        boolean mixedModes;
        Sampler.Generation generation;
        /** The temperature of the tokens being drawn, for the overlay. */
        double temperature = Double.NaN;
        int samplesStarted;

        World(List<String> documents, Tokenizer tokenizer, GptModel model, AdamOptimizer optimizer,
              PythonRandom random, int numSteps) {
            this.documents = List.copyOf(documents);
            this.tokenizer = tokenizer;
            this.model = model;
            this.optimizer = optimizer;
            this.random = random;
            GptConfig config = model.config();
            attention = new AttentionRecorder(config.nLayer(), config.nHead());
            model.setAttentionObserver(attention);
            captured = new GradientCapturingModel(model);
            trainer = newTrainer(numSteps);
            sampler = new Sampler(model, tokenizer, random).addListener(this);
            for (int id = 0; id < tokenizer.vocabSize(); id++) {
                vocab.add(tokenizer.tokenText(id));
            }
        }

        Trainer newTrainer(int numSteps) {
            return new Trainer(captured, tokenizer, documents, optimizer, numSteps).addListener(this);
        }

        @Override
        public void onPosition(PositionEvent event) {
            lastPosition = event;
        }

        @Override
        public void onStep(StepEvent event) {
            PositionEvent p = lastPosition;
            boolean perDocument = stepMode == StepMode.DOCUMENT;
            if (runMode == null && !mixedModes) {
                runMode = stepMode;
            } else if (runMode != stepMode) {
                mixedModes = true;
            }
            log.add(new StepRecord(event.step(), event.loss(), event.learningRate(), p.document(),
                    perDocument ? -1 : p.posId(), perDocument));
            overlay = new Overlay(false, event.step(), perDocument, p.posId(), p.context(), p.inputToken(),
                    p.targetToken(), p.targetToken(), p.document(), p.loss(), p.probabilities(), Double.NaN, 0,
                    null, false);
            paramsVersion++;
            if (stopRequested && running) {
                trainer.requestStop();
            }
            if (running && System.nanoTime() - lastPublishNanos >= TimeUnit.MILLISECONDS.toNanos(RUN_PUBLISH_MILLIS)) {
                updateSpeed();
                publish();
            }
        }

        @Override
        public void onToken(TokenEvent event) {
            int[] context = event.context();
            String text = tokenizer.decode(Arrays.copyOfRange(context, 1, context.length))
                    + (event.token() == tokenizer.bos() ? "" : tokenizer.decode(event.token()));
            boolean done = event.token() == tokenizer.bos() || context.length >= model.config().blockSize();
            overlay = new Overlay(true, 0, false, event.posId(), context, context[context.length - 1], -1,
                    event.token(), null, Double.NaN, event.probabilities(), temperature, event.sample(), text, done);
        }

        @Override
        public void onSample(SampleEvent event) {
            samples.add(event.text());
            while (samples.size() > MAX_SAMPLES) {
                samples.remove(0);
            }
        }
    }

    private void updateSpeed() {
        double seconds = (System.nanoTime() - runStartNanos) / 1e9;
        int steps = world.trainer.stepsDone() - runStartSteps;
        if (seconds > 0 && steps > 0) {
            stepsPerSecond = steps / seconds;
        }
    }

    /** Makes a new snapshot of the state. Called under the lock. */
    private void publish() {
        World w = world;
        lastPublishNanos = System.nanoTime();
        GptConfig config = settings.config();
        snapshot = new Snapshot(++revision, epoch, paramsVersion, settings,
                w.documents.subList(0, Math.min(8, w.documents.size())), List.copyOf(w.vocab),
                w.model.numParameters(), w.trainer.stepsDone(), w.trainer.totalSteps(), running, stepsPerSecond,
                w.overlay, w.attention.copy(config.nLayer()), w.log.view(), List.copyOf(w.samples), message,
                w.model.parameters().matrices(), w.model.parameters().values(), w.captured.lastGradients());
    }
}
