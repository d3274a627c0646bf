package io.github.microgpt.examples.simulator;

import io.github.microgpt.model.Architecture;
import io.github.microgpt.model.Engine;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.text.Documents;
import io.github.microgpt.train.StepMode;
import io.github.microgpt.train.TrainingDivergedException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The one model session of the simulator: the current {@link ModelRun} and its {@link Settings},
 * one lock, one worker thread for Run, and the latest {@link Snapshot}. What the commands do is in
 * {@link Commands}; this class only makes sure they happen one at a time and that every change
 * is published.
 *
 * <h2>Threads</h2>
 * Every change (Step, Run, Reset, Gen Step, Generate, Save, Load) goes through {@link #change},
 * which holds one lock, so requests from several tabs are carried out one after the other, never
 * interleaved. A Run trains on the worker thread, which holds the lock for the whole run;
 * meanwhile other changes are refused with HTTP 409 ("press Stop first") rather than made to
 * wait. Readers never take the lock: after each change the session publishes an immutable
 * {@link Snapshot} through a volatile field, and every read (state, weights, the event stream)
 * looks at the latest one. During a run a new snapshot is made at most every
 * {@value #RUN_PUBLISH_MILLIS} ms, and always at the end.
 *
 * <h2>Stop</h2>
 * Stop sets a flag; after each step, on the training thread, the session sees it and calls
 * {@link io.github.microgpt.train.Trainer#requestStop()}, so the run ends after the step in
 * progress (a step takes milliseconds). Asking from the training thread itself means the request
 * can never arrive after the run has ended and so stop the next run early.
 */
final class SimulatorSession implements AutoCloseable {

    static final long RUN_PUBLISH_MILLIS = 40;

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
    private volatile Duration lockWait = Duration.ofSeconds(30);

    // Everything below is guarded by the lock.
    private Settings settings;
    private ModelRun run;
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
     * @throws ApiException (400) if the documents cannot be trained on, or the seed is not from 0
     *     to 2^53 - 1 (the seeds the page can show and send back)
     */
    SimulatorSession(List<String> documents, String source, String name, long seed,
                     Supplier<List<String>> embeddedNames, CheckpointStore checkpoints) {
        this.embeddedNames = embeddedNames;
        this.checkpoints = checkpoints;
        Limits.SEED.check(seed);  // the page could not send another seed back with Reset
        Settings initial = new Settings(Commands.checkDocuments(documents), source, name, Architecture.GPT, Engine.VALUE,
                GptConfig.defaults(),
                Settings.DEFAULT_LEARNING_RATE, seed, Settings.DEFAULT_NUM_STEPS);
        lock.lock();
        try {
            install(initial, ModelRun.create(initial, null, this::afterStep));
            publish();
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
     * Where Reset gets the embedded names.
     *
     * @return the source of the names
     */
    Supplier<List<String>> embeddedNames() {
        return embeddedNames;
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

    // ------------------------------------------------------------------------------ changes

    /** A change to the session, made under its lock. */
    @FunctionalInterface
    interface Change {
        /**
         * Makes the change.
         *
         * @param session the session, whose {@link #settings()}, {@link #run()},
         *     {@link #install} and {@link #note} may be used while the change runs
         */
        void apply(SimulatorSession session);
    }

    /**
     * The one way to change the session: takes the lock (or refuses with 409 while a run is in
     * progress), makes the change and publishes the new state. A change that
     * throws an {@link ApiException} has changed nothing and publishes nothing; a change that has
     * changed something and must still refuse (a step that diverged) throws
     * {@link RefusedAfterChange}, and the state is published before the refusal is answered.
     *
     * @param change the change
     * @return the state after it
     * @throws ApiException the change's refusal, or 409 if a run is in progress
     */
    Snapshot change(Change change) {
        lockIdle();
        try {
            try {
                change.apply(this);
            } catch (RefusedAfterChange e) {
                publish();
                throw e.refusal;
            }
            publish();
            return snapshot;
        } finally {
            lock.unlock();
        }
    }

    /** The refusal of a change that has changed something already: the state is published first. */
    static final class RefusedAfterChange extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final transient ApiException refusal;

        /**
         * Wraps a refusal.
         *
         * @param refusal what to answer
         */
        RefusedAfterChange(ApiException refusal) {
            super(refusal.getMessage(), null, false, false);
            this.refusal = refusal;
        }
    }

    /**
     * The current settings. Only while a {@link Change} runs.
     *
     * @return the settings
     */
    Settings settings() {
        requireLock();
        return settings;
    }

    /**
     * The current run. Only while a {@link Change} runs.
     *
     * @return the run
     */
    ModelRun run() {
        requireLock();
        return run;
    }

    /**
     * Replaces the settings (the run stays; used when Num steps changes before the first step).
     * Only while a {@link Change} runs.
     *
     * @param next the new settings
     */
    void setSettings(Settings next) {
        requireLock();
        settings = next;
    }

    /**
     * Makes a new run current (Reset, Load): the page drops its loss history. Only while a
     * {@link Change} runs (or in the constructor).
     *
     * @param next its settings
     * @param nextRun the run
     */
    void install(Settings next, ModelRun nextRun) {
        requireLock();
        settings = next;
        run = nextRun;
        epoch++;
        paramsVersion++;
        stepsPerSecond = 0;
    }

    /**
     * Sets the note the page shows until a change replaces or clears it. Only while a
     * {@link Change} runs.
     *
     * @param note the note, or {@code null} to clear it
     */
    void note(String note) {
        requireLock();
        message = note;
    }

    /**
     * The hook a new {@link ModelRun} calls after every training step. Only while a
     * {@link Change} runs.
     *
     * @return the hook
     */
    Consumer<ModelRun> afterStepHook() {
        requireLock();
        return this::afterStep;
    }

    /**
     * What the session does after every training step, on the training thread: counts a new
     * version of the weights, passes on a Stop, and during a run publishes now and then.
     */
    private void afterStep(ModelRun stepped) {
        paramsVersion++;
        if (stopRequested && running) {
            stepped.trainer().requestStop();
        }
        if (running && System.nanoTime() - lastPublishNanos >= TimeUnit.MILLISECONDS.toNanos(RUN_PUBLISH_MILLIS)) {
            updateSpeed();
            publish();
        }
    }

    // ------------------------------------------------------------------------------ Run and Stop

    /**
     * Starts a run on the worker thread. Only while a {@link Change} runs; the worker takes the
     * lock as soon as the change lets go of it.
     *
     * @param mode one position or one document per step
     */
    void startRun(StepMode mode) {
        requireLock();
        stopRequested = false;
        running = true;
        runStartNanos = System.nanoTime();
        runStartSteps = run.trainer().stepsDone();
        stepsPerSecond = 0;
        runFuture = worker.submit(() -> train(mode));
    }

    private void train(StepMode mode) {
        lock.lock();
        try {
            if (!stopRequested) {
                run.train(mode);
            }
        } catch (TrainingDivergedException e) {
            message = Commands.diverged(e);
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
     * @throws ApiException (500) if the run did not end within 10 s
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

    // ------------------------------------------------------------------------------ the lock

    /**
     * How long a change waits for another change (not a run) to finish before it is refused with
     * 503, so that a change that never finishes cannot take every later request with it.
     *
     * @param wait the longest wait
     */
    void setLockWait(Duration wait) {
        lockWait = wait;
    }

    /**
     * Takes the lock for a change, or refuses the change if a run is in progress. A run holds the
     * lock until it ends, so a change must not simply wait for the lock: it would hang until the
     * run is over. It waits in short slices instead and gives up as soon as it sees a run, or
     * after {@link #setLockWait the longest wait} (30 s) for another change.
     */
    private void lockIdle() {
        long deadline = System.nanoTime() + lockWait.toNanos();
        try {
            while (!lock.tryLock(5, TimeUnit.MILLISECONDS)) {
                if (running) {
                    throw runningConflict();
                }
                if (System.nanoTime() > deadline) {
                    throw new ApiException(503, "the simulator is still busy with an earlier request after "
                            + lockWait.toSeconds() + " s; try again in a moment");
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

    private void requireLock() {
        if (!lock.isHeldByCurrentThread()) {
            throw new IllegalStateException("the session is changed only under its lock (through change)");
        }
    }

    private void updateSpeed() {
        double seconds = (System.nanoTime() - runStartNanos) / 1e9;
        int steps = run.trainer().stepsDone() - runStartSteps;
        if (seconds > 0 && steps > 0) {
            stepsPerSecond = steps / seconds;
        }
    }

    /** Makes a new snapshot of the state. Called under the lock. */
    private void publish() {
        lastPublishNanos = System.nanoTime();
        snapshot = run.snapshot(new Snapshot.Header(++revision, epoch, paramsVersion, settings, running,
                stepsPerSecond, message));
    }
}
