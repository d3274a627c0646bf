package io.github.microgpt.examples.simulator;

import io.github.microgpt.model.Architecture;
import io.github.microgpt.model.Engine;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.text.Documents;
import io.github.microgpt.train.StepMode;
import io.github.microgpt.train.TrainingDivergedException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The one model session of the simulator: the current {@link ModelRun} and its {@link Settings},
 * one lock, one worker thread that makes the changes, one that trains for Run, and the latest
 * {@link Snapshot}. What the commands do is in {@link Commands}; this class only makes sure they
 * happen one at a time and that every change is published.
 *
 * <h2>Threads</h2>
 * Every change (Step, Run, Reset, Gen Step, Generate, Save, Load) is made on the session's worker
 * thread, in the order asked, through {@link #change}, which holds one lock: requests from several
 * tabs are carried out one after the other, never interleaved. A change is handed to the worker
 * with {@link #submit}, which returns at once with a future of the state after it; the server
 * answers the request when that future completes, so a request waiting for its turn holds no
 * server thread. At most {@link #setMaxWaitingChanges a bound} of changes wait at once (more are
 * refused with HTTP 503), and none waits longer than {@link #setLongestWait the longest wait} (30 s;
 * then it is refused with 503 without being made).
 *
 * <p>A Run trains on a thread of its own, which holds the lock for the whole run; meanwhile other
 * changes are refused with HTTP 409 ("press Stop first") rather than made to wait. Readers never
 * take the lock: after each change the session publishes an immutable {@link Snapshot} through a
 * volatile field, and every read (state, weights, the event stream) looks at the latest one.
 * During a run a new snapshot is made at most every {@value #RUN_PUBLISH_MILLIS} ms, and always at
 * the end.
 *
 * <h2>Stop</h2>
 * Stop is not a change that waits for its turn: it acts at once, on every Run asked for before it,
 * whether that Run is training or still waiting in the queue behind another change. Each Run is
 * numbered as it is asked for ({@link #askRun}); Stop records the number of the last Run asked
 * ({@code stoppedThrough}). A Run whose turn comes with a number at or below it is refused (409,
 * nothing trained), and a Run in progress sees it after each step, on the training thread, and
 * calls {@link io.github.microgpt.train.Trainer#requestStop()}, so it ends after the step in
 * progress (a step takes milliseconds). A Run asked for after the Stop has a higher number and
 * runs. (Before, Stop set a flag that each Run cleared as it started, so a Stop pressed while its
 * Run was still waiting for its turn was lost: the Run began after it and ran on.)
 *
 * <h2>A page that has gone</h2>
 * A change may wait for its turn while the page that asked for it goes away: the tab is closed,
 * the page reloaded, the laptop put to sleep. When its turn comes, the change is made or not by
 * what it is for ({@link #submit(Supplier, BooleanSupplier)}):
 * <ul>
 *   <li>Reset, Load and Save are made all the same. What they leave behind is what the person
 *       asked for (a new model, a loaded one, a file on disk), to be found by the next page; and
 *       reloading the page at once after pressing one of them, which ends its request, is what a
 *       person does, expecting it done.</li>
 *   <li>Run, Step, Gen Step and Generate are not made: they are asked for to be watched, and
 *       nobody is watching. Left out, nothing is lost (press the button again); made, they change
 *       the model for nobody, and a Run would train for nobody for the whole run, refusing every
 *       other page's change with 409 meanwhile.</li>
 * </ul>
 * What counts as gone is what the server can tell about a connection without reading the next
 * request from it: closed or reset by the client (see {@code SimulatorServer}).
 *
 * <h2>A Run nobody watches</h2>
 * A Run is answered as it starts, and then trains on its own thread; a page watches it through
 * its event stream. When every page has gone (the last tab closed, the browser quit), a Run
 * that had started would train on for nobody to the end of Num steps (100,000 steps may take
 * minutes), refusing meanwhile every change of the next page with 409. So a Run trains while
 * someone is there: <b>a Run stops at its next step boundary once no page has listened to the
 * event stream and no request has come for {@link #setLongestUnwatchedRun the longest unwatched
 * time} (10 s)</b>. It stops as Stop stops it: after the step in progress, so the model, the
 * optimizer and the place in the run are those of a whole step (a later Save saves them, and
 * Run goes on from there), and the note says why it stopped. Any request counts, so a script
 * that started a Run and reads {@code /api/state} now and then keeps it going; 10 s is far longer
 * than a page takes to come back (a reload, or {@code EventSource} reconnecting a stream that was
 * cut, within about 3 s). The watchers are counted by {@link #pageWatching}/{@link #pageGone}
 * (the event stream) and {@link #heard} (every request); the rule is applied on the training
 * thread after every step ({@code afterStep}).
 */
final class SimulatorSession implements AutoCloseable {

    static final long RUN_PUBLISH_MILLIS = 40;
    /** How long a Run trains with no page watching and no request ("A Run nobody watches"). */
    static final Duration DEFAULT_LONGEST_UNWATCHED_RUN = Duration.ofSeconds(10);

    private final ReentrantLock lock = new ReentrantLock();
    /** The thread that trains during a Run. */
    private final ExecutorService worker = Executors.newSingleThreadExecutor(runnable -> {
        Thread thread = new Thread(runnable, "simulator-training");
        thread.setDaemon(true);
        return thread;
    });
    /**
     * The thread that makes the changes, one at a time ({@link #changeThread} once started). A
     * {@link ThreadPoolExecutor} of one thread rather than {@link Executors#newSingleThreadExecutor},
     * so that a change refused for waiting too long can be taken off its queue ({@link Turn#expire}).
     */
    private final ThreadPoolExecutor changes = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS,
            new LinkedBlockingQueue<>(), runnable -> {
                Thread thread = new Thread(runnable, "simulator-changes");
                thread.setDaemon(true);
                changeThread = thread;
                return thread;
            });
    /** Refuses a change that has waited {@link #longestWait} for its turn. */
    private final ScheduledThreadPoolExecutor deadlines = new ScheduledThreadPoolExecutor(1, runnable -> {
        Thread thread = new Thread(runnable, "simulator-deadlines");
        thread.setDaemon(true);
        return thread;
    });
    /** The changes handed to the worker that it has not begun. */
    private final AtomicInteger waiting = new AtomicInteger();
    private volatile Thread changeThread;
    private volatile int maxWaitingChanges = ServerLimits.DEFAULTS.maxWaitingChanges();
    private volatile boolean closed;
    private final Supplier<List<String>> embeddedNames;
    private final CheckpointStore checkpoints;

    private volatile Snapshot snapshot;
    private volatile boolean running;
    private volatile CompletableFuture<Void> runFuture;
    private volatile Duration longestWait = Duration.ofSeconds(30);
    /** The pages listening to the event stream now ({@link #pageWatching}, {@link #pageGone}). */
    private final AtomicInteger pagesWatching = new AtomicInteger();
    /** When a client was last heard from: a request came, or an event stream ended ({@link #heard}). */
    private volatile long lastHeardNanos = System.nanoTime();
    private volatile Duration longestUnwatchedRun = DEFAULT_LONGEST_UNWATCHED_RUN;
    /** The number of the last Run asked for ({@link #askRun}). */
    private final AtomicLong runsAsked = new AtomicLong();
    /** Every Run numbered at or below this is stopped, begun or not. */
    private volatile long stoppedThrough;
    /** The number of the Run in progress (or the last one). Written under {@link #runGate}. */
    private volatile long runNumber;
    /**
     * Makes a Run's last look at {@link #stoppedThrough} and its start one step, which a Stop cannot
     * fall between: either the Stop comes first and the Run is refused, or the Run has started and
     * the Stop waits for its {@link #runFuture}.
     */
    private final Object runGate = new Object();

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
        deadlines.setRemoveOnCancelPolicy(true);
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
     * Hands work that makes changes (a command of {@link Commands}) to the worker, and returns at
     * once: the future completes with the work's result, or with its {@link ApiException}, once
     * the worker has carried it out after every change asked before it. This is how a request
     * waits for its turn without holding a thread.
     *
     * <p>The work is refused at once, without waiting, with 409 while a run is in progress (every
     * change would be), and with 503 when {@link #setMaxWaitingChanges the most changes} wait
     * already. Work that has waited {@link #setLongestWait the longest wait} without its turn coming
     * (a change before it does not end) is refused with 503 and never carried out.
     *
     * @param work what to do on the worker: one or more {@link #change}s
     * @return the result, when the work is done
     */
    CompletableFuture<Snapshot> submit(Supplier<Snapshot> work) {
        return submit(work, () -> false);
    }

    /**
     * {@link #submit(Supplier)} for work that is worth doing only while whoever asked for it is
     * still there to see it: when its turn comes, {@code abandoned} is asked first, and if it says
     * so the work is not done and the future fails with {@link Abandoned}. Which changes are made
     * for nobody and which are not is the rule of the class comment ("A page that has gone").
     *
     * @param work what to do on the worker: one or more {@link #change}s
     * @param abandoned asked on the worker when the work's turn comes, before it begins: true if
     *     nobody waits for it any more
     * @return the result, when the work is done
     */
    CompletableFuture<Snapshot> submit(Supplier<Snapshot> work, BooleanSupplier abandoned) {
        CompletableFuture<Snapshot> answer = new CompletableFuture<>();
        if (running) {
            answer.completeExceptionally(runningConflict());
            return answer;
        }
        int max = maxWaitingChanges;
        if (waiting.incrementAndGet() > max) {
            waiting.decrementAndGet();
            answer.completeExceptionally(new ApiException(503, "the simulator is busy: " + max + " changes are"
                    + " waiting for their turn already, the most it keeps waiting; try again in a moment"));
            return answer;
        }
        Turn turn = new Turn(work, abandoned, answer);
        Duration wait = longestWait;
        try {
            turn.deadline = deadlines.schedule(() -> turn.expire(wait), wait.toNanos(), TimeUnit.NANOSECONDS);
            changes.execute(turn);
        } catch (RejectedExecutionException e) {
            if (turn.taken.compareAndSet(false, true)) {
                waiting.decrementAndGet();
            }
            answer.completeExceptionally(shuttingDown());
        }
        return answer;
    }

    /**
     * One change waiting in the worker's queue. Whoever takes it first, the worker ({@link #run}) or
     * its deadline ({@link #expire}), decides: begun work is never refused, and refused work is
     * never begun.
     */
    private final class Turn implements Runnable {
        final AtomicBoolean taken = new AtomicBoolean();
        private final Supplier<Snapshot> work;
        private final BooleanSupplier abandoned;
        private final CompletableFuture<Snapshot> answer;
        volatile ScheduledFuture<?> deadline;

        Turn(Supplier<Snapshot> work, BooleanSupplier abandoned, CompletableFuture<Snapshot> answer) {
            this.work = work;
            this.abandoned = abandoned;
            this.answer = answer;
        }

        /**
         * The worker's turn: makes the change, unless its deadline has refused it or nobody waits
         * for it any more.
         */
        @Override
        public void run() {
            if (!taken.compareAndSet(false, true)) {
                return;
            }
            ScheduledFuture<?> timer = deadline;
            if (timer != null) {
                timer.cancel(false);
            }
            waiting.decrementAndGet();
            if (closed) {
                answer.completeExceptionally(shuttingDown());
                return;
            }
            try {
                if (abandoned.getAsBoolean()) {
                    answer.completeExceptionally(new Abandoned());
                    return;
                }
                answer.complete(work.get());
            } catch (Throwable failure) {
                answer.completeExceptionally(failure);
            }
        }

        /**
         * The deadline: refuses the change with 503 and takes it off the queue at once, so that
         * what it holds (its request's body, up to a million characters of a dataset) goes with the
         * refusal. Left there until the worker came free, a worker that stayed busy kept every
         * change refused meanwhile, 128 more every 30 s.
         */
        void expire(Duration wait) {
            if (taken.compareAndSet(false, true)) {
                waiting.decrementAndGet();
                changes.remove(this);
                answer.completeExceptionally(stillBusy(wait));
            }
        }
    }

    /**
     * The failure of work not done because nobody waited for it any more
     * ({@link #submit(Supplier, BooleanSupplier)}): there is no one to answer.
     */
    static final class Abandoned extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Abandoned() {
            super("nobody waits for this change any more: its client has gone", null, false, false);
        }
    }

    /**
     * The one way to change the session: takes the lock (or refuses with 409 while a run is in
     * progress), makes the change and publishes the new state. A change that
     * throws an {@link ApiException} has changed nothing and publishes nothing; a change that has
     * changed something and must still refuse (a step that diverged) throws
     * {@link RefusedAfterChange}, and the state is published before the refusal is answered.
     *
     * <p>Changes are made on the worker: called there (by work given to {@link #submit}), this
     * makes the change at once; called on any other thread, it hands the change to the worker and
     * waits for it, as {@link #submit} would.
     *
     * @param change the change
     * @return the state after it
     * @throws ApiException the change's refusal, 409 if a run is in progress, or 503 if the worker
     *     is too busy ({@link #submit})
     */
    Snapshot change(Change change) {
        if (Thread.currentThread() != changeThread) {
            try {
                return submit(() -> change(change)).join();
            } catch (CompletionException e) {
                if (e.getCause() instanceof RuntimeException refusal) {
                    throw refusal;
                }
                if (e.getCause() instanceof Error error) {
                    throw error;
                }
                throw e;
            }
        }
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
        if (running && runNumber <= stoppedThrough) {
            stepped.trainer().requestStop();
        } else if (running && unwatched()) {
            Duration limit = longestUnwatchedRun;
            message = "The Run stopped after step " + stepped.trainer().stepsDone() + " of "
                    + stepped.trainer().totalSteps() + ": no page watched it for " + describe(limit)
                    + " (the page was closed). Press Run to go on from here";
            stepped.trainer().requestStop();
        }
        if (running && System.nanoTime() - lastPublishNanos >= TimeUnit.MILLISECONDS.toNanos(RUN_PUBLISH_MILLIS)) {
            updateSpeed();
            publish();
        }
    }

    // ------------------------------------------------------------------------------ who watches

    /**
     * A client was heard from: the server calls this for every request, whatever it asks. A Run
     * trains on while requests keep coming ("A Run nobody watches").
     */
    void heard() {
        lastHeardNanos = System.nanoTime();
    }

    /** A page has begun to listen to the event stream: a Run trains on while it listens. */
    void pageWatching() {
        pagesWatching.incrementAndGet();
        heard();
    }

    /**
     * A page's event stream has ended (the page went, or was cut off as too slow, and may come
     * back): the longest unwatched time is counted from now if it was the last.
     */
    void pageGone() {
        pagesWatching.decrementAndGet();
        heard();
    }

    /**
     * How long a Run trains with no page listening to the event stream and no request, before it
     * stops at its next step boundary ("A Run nobody watches"; 10 s).
     *
     * @param limit the longest unwatched time, positive
     */
    void setLongestUnwatchedRun(Duration limit) {
        if (limit.isNegative() || limit.isZero()) {
            throw new IllegalArgumentException("the longest unwatched time of a Run must be positive; got " + limit);
        }
        longestUnwatchedRun = limit;
    }

    /** Whether no page listens and no request has come for the longest unwatched time. */
    private boolean unwatched() {
        return pagesWatching.get() <= 0 && System.nanoTime() - lastHeardNanos > longestUnwatchedRun.toNanos();
    }

    private static String describe(Duration limit) {
        return limit.toMillis() % 1000 == 0 ? limit.toSeconds() + " s" : limit.toMillis() + " ms";
    }

    // ------------------------------------------------------------------------------ Run and Stop

    /**
     * Numbers a Run as it is asked for, before it waits for its turn: a Stop stops the Runs asked
     * for before it ({@link #stop}), begun or not, and no Run asked for after it.
     *
     * @return the Run's number, for {@link #requireNotStopped} and {@link #startRun}
     */
    long askRun() {
        return runsAsked.incrementAndGet();
    }

    /**
     * Refuses a Run that a Stop has stopped before it began (409, nothing changed). Only while a
     * {@link Change} runs: the first thing a Run does in its turn, so that its Stop is answered
     * before any other refusal.
     *
     * @param number the Run's number ({@link #askRun})
     * @throws ApiException (409) if a Stop came after the Run was asked for
     */
    void requireNotStopped(long number) {
        requireLock();
        if (number <= stoppedThrough) {
            throw stoppedBeforeItBegan();
        }
    }

    /**
     * Starts a run on the worker thread, unless a Stop came after it was asked for. Only while a
     * {@link Change} runs; the worker takes the lock as soon as the change lets go of it.
     *
     * @param mode one position or one document per step
     * @param number the Run's number ({@link #askRun})
     * @throws RefusedAfterChange (409) if a Stop came after the Run was asked for: the change so far
     *     (a new Num steps) is published, and no run starts
     */
    void startRun(StepMode mode, long number) {
        requireLock();
        synchronized (runGate) {
            if (number <= stoppedThrough) {
                throw new RefusedAfterChange(stoppedBeforeItBegan());
            }
            runNumber = number;
            running = true;
            runStartNanos = System.nanoTime();
            runStartSteps = run.trainer().stepsDone();
            stepsPerSecond = 0;
            runFuture = CompletableFuture.runAsync(() -> train(mode), worker);
        }
    }

    private static ApiException stoppedBeforeItBegan() {
        return ApiException.conflict("this Run was stopped before it began: Stop was pressed while it waited for"
                + " its turn behind an earlier change, so nothing was trained; press Run to start again");
    }

    private void train(StepMode mode) {
        lock.lock();
        try {
            if (runNumber > stoppedThrough) {
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
     * Stop: stops every Run asked for so far. A Run in progress ends after the step in progress;
     * a Run still waiting for its turn is refused when its turn comes (409, nothing trained).
     * Returns at once; the future completes when the run in progress has ended (at once if there
     * is none), so that no thread waits for it.
     *
     * @return the state after the run; failed with an {@link ApiException} (500) if the run did
     *     not end within 10 s
     */
    CompletableFuture<Snapshot> stop() {
        CompletableFuture<Void> future;
        synchronized (runGate) {
            stopThrough(runsAsked.get());
            future = runFuture;
        }
        if (future == null || future.isDone()) {
            return CompletableFuture.completedFuture(snapshot);
        }
        return future.handle((ended, failure) -> {
            if (failure != null) {
                throw new ApiException(500, "the run did not stop: " + failure);
            }
            return snapshot;
        }).orTimeout(10, TimeUnit.SECONDS).exceptionally(failure -> {
            Throwable cause = failed(failure);
            if (cause instanceof ApiException refusal) {
                throw refusal;
            }
            throw new ApiException(500, "the run did not stop within 10 s");
        });
    }

    /** Stops a run, refuses the changes still waiting, and ends the session's threads. */
    @Override
    public void close() {
        stopThrough(Long.MAX_VALUE);
        closed = true;
        changes.shutdown();
        deadlines.shutdown();
        worker.shutdown();
        try {
            if (!changes.awaitTermination(5, TimeUnit.SECONDS)) {
                refuseNotBegun(changes.shutdownNow());
            }
            if (!worker.awaitTermination(5, TimeUnit.SECONDS)) {
                worker.shutdownNow();
            }
        } catch (InterruptedException e) {
            refuseNotBegun(changes.shutdownNow());
            worker.shutdownNow();
            Thread.currentThread().interrupt();
        }
        deadlines.shutdownNow();
    }

    /**
     * The number of the last Run stopped ({@link #askRun}): 0 until a Stop has come while a Run was
     * asked for. For tests, to know that a Stop has arrived.
     *
     * @return every Run numbered at or below this is stopped
     */
    long stoppedThrough() {
        return stoppedThrough;
    }

    /** Stops the Runs numbered up to {@code number}; never takes back a Stop given before. */
    private void stopThrough(long number) {
        synchronized (runGate) {
            stoppedThrough = Math.max(stoppedThrough, number);
        }
    }

    /**
     * Runs the changes that {@code shutdownNow} took off the queue unbegun, here: with the session
     * closed each only answers 503 (see {@link #submit}). Dropped, their requests were never answered,
     * and a caller of {@link #change} on another thread waited for ever.
     */
    private static void refuseNotBegun(List<Runnable> notBegun) {
        notBegun.forEach(Runnable::run);
    }

    // ------------------------------------------------------------------------------ the lock

    /**
     * How long a change waits for its turn (for the changes before it to finish; a run is not
     * waited for) before it is refused with 503, so that a change that never finishes cannot take
     * every later request with it. The wait is in the queue ({@link #submit}); once begun, a change
     * is never refused for the time it took.
     *
     * @param wait the longest wait
     */
    void setLongestWait(Duration wait) {
        longestWait = wait;
    }

    /**
     * The most changes that may wait for the worker at once ({@link ServerLimits#maxWaitingChanges()});
     * {@link #submit} refuses more with 503.
     *
     * @param max the bound, at least 1
     */
    void setMaxWaitingChanges(int max) {
        if (max < 1) {
            throw new IllegalArgumentException("at least one change must be able to wait; got " + max);
        }
        maxWaitingChanges = max;
    }

    /**
     * The number of changes handed to the worker that it has not begun.
     *
     * @return the count
     */
    int waitingChanges() {
        return waiting.get();
    }

    /**
     * Takes the lock for a change, or refuses the change (409) while a run is in progress. Called
     * only on the worker.
     *
     * <p>Why it need not wait in slices with a time limit, as it did before changes had a worker:
     * only two threads ever take the lock, the worker (one change at a time) and the training
     * thread (a run, which only the worker starts). So on the worker either a run is in progress
     * ({@code running} is true from {@link #startRun}, under the lock, until the run's last
     * publish) and the change is refused at once, or the training thread holds the lock at most
     * for that last publish, after {@code running} turned false. No run can start meanwhile: only
     * this thread starts runs. How long a change waits for the changes before it is bounded in
     * {@link #submit}, where the wait is.
     */
    private void lockIdle() {
        if (running) {
            throw runningConflict();
        }
        try {
            lock.lockInterruptibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw shuttingDown();
        }
    }

    /**
     * What made a future fail: the cause a {@link CompletionException} wraps (as the futures of
     * {@link #submit} and of a run report it to the stages after them), else the failure itself.
     *
     * @param failure a future's failure
     * @return the failure to answer for
     */
    static Throwable failed(Throwable failure) {
        return failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    }

    private static ApiException stillBusy(Duration wait) {
        return new ApiException(503, "the simulator is still busy with an earlier request after "
                + wait.toSeconds() + " s; try again in a moment");
    }

    private static ApiException shuttingDown() {
        return new ApiException(503, "the server is shutting down");
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
