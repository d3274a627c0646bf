package io.github.microgpt.examples.simulator;

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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
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
 * Every change (Step, Run, Reset, Gen Step, Generate) happens under one lock, so requests from
 * several tabs are carried out one after the other, never interleaved. A Run trains on a worker
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

    private final ReentrantLock lock = new ReentrantLock();
    private final ExecutorService worker = Executors.newSingleThreadExecutor(runnable -> {
        Thread thread = new Thread(runnable, "simulator-training");
        thread.setDaemon(true);
        return thread;
    });
    private final Supplier<List<String>> embeddedNames;

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
     * @throws IllegalArgumentException if the documents cannot be trained on
     */
    SimulatorSession(List<String> documents, String source, String name, long seed,
                     Supplier<List<String>> embeddedNames) {
        this.embeddedNames = embeddedNames;
        Settings initial = new Settings(checkDocuments(documents), source, name, GptConfig.defaults(),
                Settings.DEFAULT_LEARNING_RATE, seed, Settings.DEFAULT_NUM_STEPS);
        lock.lock();
        try {
            install(initial);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Creates a session over the embedded names (the {@code microgpt simulator} default).
     *
     * @param documents the documents
     * @param source where they came from
     * @param name their readable name
     * @param seed the random seed
     */
    SimulatorSession(List<String> documents, String source, String name, long seed) {
        this(documents, source, name, seed, Documents::embeddedNames);
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
            install(next);
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

    /** Builds the model of a configuration and makes it current. Called under the lock. */
    private void install(Settings next) {
        World w = new World(next);
        settings = next;
        world = w;
        epoch++;
        paramsVersion++;
        stepsPerSecond = 0;
        publish();
    }

    /** A model with its optimizer, trainer and sampler, and what their hooks reported. */
    private final class World implements TrainingListener, GenerationListener {
        final List<String> documents;
        final Tokenizer tokenizer;
        final GptModel model;
        final GradientCapturingModel captured;
        final AdamOptimizer optimizer;
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
        Sampler.Generation generation;
        /** The temperature of the tokens being drawn, for the overlay. */
        double temperature = Double.NaN;
        int samplesStarted;

        World(Settings s) {
            // The order of microgpt.py: one random source shuffles the documents, draws the initial
            // weights, and later draws the samples.
            PythonRandom random = new PythonRandom(s.seed());
            List<String> shuffled = new ArrayList<>(s.documents());
            random.shuffle(shuffled);
            documents = List.copyOf(shuffled);
            tokenizer = Tokenizer.fromDocuments(documents);
            model = GptModel.create(s.config(), tokenizer.vocabSize(), random);
            attention = new AttentionRecorder(s.config().nLayer(), s.config().nHead());
            model.setAttentionObserver(attention);
            captured = new GradientCapturingModel(model);
            optimizer = new AdamOptimizer(model.numParameters(), s.learningRate(), 0.85, 0.99, 1e-8,
                    LearningRateSchedule.LINEAR_DECAY);
            trainer = newTrainer(s.numSteps());
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
