package io.github.microgpt.train;

import io.github.microgpt.internal.DocumentTokens;
import io.github.microgpt.internal.FusedStep;
import io.github.microgpt.internal.FusedUpdates;
import io.github.microgpt.internal.Listeners;
import io.github.microgpt.internal.ModelChecks;
import io.github.microgpt.internal.ModelUse;
import io.github.microgpt.internal.RangeTask;
import io.github.microgpt.model.LanguageModel;
import io.github.microgpt.model.Parameters;
import io.github.microgpt.model.Predictions;
import io.github.microgpt.optim.AdamOptimizer;
import io.github.microgpt.text.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.ConcurrentModificationException;
import java.util.List;
import java.util.Objects;

/**
 * Runs the training loop of {@code microgpt.py}: for each step, take a document, compute the
 * loss of predicting each of its tokens from the ones before, back-propagate, and let the
 * optimizer update the parameters.
 *
 * <pre>{@code
 * var trainer = new Trainer(model, tokenizer, docs, new AdamOptimizer(model.numParameters()), 1000);
 * trainer.addStepListener(e -> System.out.println(e.step() + " " + e.loss()));
 * trainer.run(StepMode.DOCUMENT);
 * }</pre>
 *
 * <p><b>Why the optimizer is {@link AdamOptimizer}, a class and not an interface.</b>
 * {@code microgpt.py} trains with Adam and nothing else, and this library computes what it
 * computes; Adam is the only optimizer of 0.x. Its settings ({@link io.github.microgpt.optim.AdamSettings})
 * and its learning-rate schedule can be changed, and its moments are saved in a checkpoint
 * exactly. An interface with a single implementation would only promise a freedom that the
 * checkpoint format, the resume protocol and the tests of exactness do not yet keep.
 *
 * <p><b>Where a step starts.</b> The trainer keeps one place in its documents, whatever the kind of
 * step: a document and a position in it. The documents are trained in the order given, each from
 * position 0 to its last trainable position ({@code min(blockSize, tokens - 1) - 1}), then the
 * next, and after the last the first again. A {@link StepMode#POSITION} step trains the position
 * at the place and moves it one on. A {@link StepMode#DOCUMENT} step trains every position left
 * in the document: the whole next document, or, after position steps that stopped part-way, the
 * rest of that one (its loss is then the mean over the rest). So steps of both kinds can be
 * mixed without repeating or skipping a position, and a run of document steps alone is
 * {@code microgpt.py}'s: step {@code s} trains document {@code s mod numDocs}. A minibatch
 * ({@link #stepBatch}) trains whole documents from the place on, and is refused while a document
 * is part-way trained. {@link #state()} exports the place, so a checkpoint resumes there.
 *
 * <p><b>Hooks.</b> A step tells three kinds of listener, in this order: a
 * {@link PositionListener} for each trained position (what the model predicted), a
 * {@link GradientListener} once the gradients are computed and before the optimizer uses them,
 * and a {@link StepListener} once the parameters are updated. Each is a functional interface,
 * added and removed with its own pair of methods; a kind with no listener costs nothing. To
 * remove a listener, pass the object that was added: keep a lambda in a variable if it is to be
 * removed (the same lambda written twice is two listeners). A listener added twice hears every
 * event twice, and each remove takes one registration away.
 *
 * <p><b>A step that fails changes nothing.</b> If the model, a position listener or a gradient
 * listener throws, the step is abandoned before the optimizer has touched anything: the
 * gradients it accumulated are set back to 0 and {@link #stepsDone()} is unchanged, so calling
 * the same method again runs the very step of an uninterrupted run, bit for bit. Step listeners
 * are told after the update: if one throws, the step is done (counted, and the place in the
 * documents moved on) and the exception reaches the caller, and later step listeners of that step are not
 * told.
 *
 * <p>Steps are counted from 0 internally and from 1 in events. A trainer is used from one thread;
 * only {@link #requestStop()} may be called from another, to end {@link #run(StepMode)} between
 * two steps. A model is trained from one thread at a time, while nothing else uses it (between
 * steps, many threads may sample and evaluate it at once): a step that finds its model being
 * stepped on another thread (by another trainer, or by this one), or evaluated
 * ({@link Evaluation}), sampled (a token of a {@code Sampler}) or asked for a prediction
 * ({@code NextToken}) on another thread, is refused with a
 * {@link java.util.ConcurrentModificationException} before it changes anything, and so are an
 * evaluation, a token and a prediction that find the model being stepped. Best effort: the uses
 * must overlap for it to be seen; a step between two tokens of one sample is not. A listener of
 * a step may evaluate or sample the model on the trainer's own thread. A position, gradient or
 * attention listener, told in the middle of a step (before the update), may not start another
 * step of the same model, with this trainer or another: that step is refused with an
 * {@link IllegalStateException} (the two steps' gradients would mix); a step listener, told after
 * the update, may. Listeners may be added and removed from any thread; they are told on the
 * thread that trains.
 */
public final class Trainer {

    private final LanguageModel model;
    private final List<String> documents;
    private final DocumentTokens tokens;
    private final AdamOptimizer optimizer;
    private final int totalSteps;
    private final Listeners<PositionListener> positionListeners = new Listeners<>();
    private final Listeners<GradientListener> gradientListeners = new Listeners<>();
    private final Listeners<StepListener> stepListeners = new Listeners<>();
    /** What the model predicted in the last step, kept for the position listeners. */
    private final List<Predictions> predictions = new ArrayList<>();
    private volatile boolean stopRequested;

    private int stepsDone;
    /**
     * The place in the documents, one for every kind of step: the next step trains document
     * {@code nextDocument} from position {@code nextPosition} on (0 unless position steps left
     * the document part-way). See "Where a step starts" in the class description.
     */
    private int nextDocument;
    private int nextPosition;

    /**
     * Creates a trainer. Every document is checked against the tokenizer up front, so a character
     * outside the vocabulary is reported here rather than in the middle of a run; a document's
     * tokens are made when its step comes (a trainer holds no more than its documents, however
     * many there are).
     *
     * @param model the model to train
     * @param tokenizer the tokenizer, whose vocabulary size must be the model's
     * @param documents the documents, in the order they will be trained on (shuffle first)
     * @param optimizer the optimizer, made for the model's number of parameters: Adam, as in
     *     {@code microgpt.py} (the only optimizer of 0.x)
     * @param totalSteps the length of the run (it sets the learning-rate schedule); at least 1
     * @throws IllegalArgumentException if a value is out of range, the sizes do not match, there
     *     is no document, or a document is empty or has a character outside the vocabulary
     * @throws NullPointerException if an argument or a document is null, naming it
     */
    public Trainer(LanguageModel model, Tokenizer tokenizer, List<String> documents, AdamOptimizer optimizer,
                   int totalSteps) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(tokenizer, "tokenizer");
        Objects.requireNonNull(documents, "documents");
        Objects.requireNonNull(optimizer, "optimizer");
        int index = 0;
        for (String document : documents) {
            if (document == null) {
                throw new NullPointerException("documents[" + index + "]");
            }
            index++;
        }
        if (totalSteps < 1) {
            throw new IllegalArgumentException("the number of steps must be at least 1, got " + totalSteps);
        }
        if (documents.isEmpty()) {
            throw new IllegalArgumentException("there must be at least one document to train on");
        }
        ModelChecks.sameVocabulary(tokenizer.vocabSize(), model.vocabSize());
        if (optimizer.size() != model.numParameters()) {
            throw new IllegalArgumentException("the optimizer was made for " + optimizer.size()
                    + " parameters but the model has " + model.numParameters());
        }
        this.model = model;
        this.documents = List.copyOf(documents);
        // A block and its last target: saturated, for a block size of Integer.MAX_VALUE (a bigram or MLP
        // model has no table of positions to bound it) overflowed to a negative count.
        this.tokens = DocumentTokens.check(tokenizer, this.documents,
                (int) Math.min(Integer.MAX_VALUE, model.config().blockSize() + 1L));
        this.optimizer = optimizer;
        this.totalSteps = totalSteps;
    }

    /**
     * Adds a listener that hears about every finished step from now on.
     *
     * @param listener the listener, for example {@code e -> System.out.println(e.loss())}
     */
    public void addStepListener(StepListener listener) {
        stepListeners.add(listener);
    }

    /**
     * Removes a step listener, one registration of it if it was added more than once;
     * nothing happens if it was not added.
     *
     * @param listener the listener
     */
    public void removeStepListener(StepListener listener) {
        stepListeners.remove(listener);
    }

    /**
     * Adds a listener that hears about every trained position from now on.
     *
     * @param listener the listener
     */
    public void addPositionListener(PositionListener listener) {
        positionListeners.add(listener);
    }

    /**
     * Removes a position listener, one registration of it if it was added more than once;
     * nothing happens if it was not added.
     *
     * @param listener the listener
     */
    public void removePositionListener(PositionListener listener) {
        positionListeners.remove(listener);
    }

    /**
     * Adds a listener that sees the gradients of every step from now on, between the backward
     * pass and the update.
     *
     * @param listener the listener
     */
    public void addGradientListener(GradientListener listener) {
        gradientListeners.add(listener);
    }

    /**
     * Removes a gradient listener, one registration of it if it was added more than once;
     * nothing happens if it was not added.
     *
     * @param listener the listener
     */
    public void removeGradientListener(GradientListener listener) {
        gradientListeners.remove(listener);
    }

    /**
     * Runs one step of the given kind, from the place in the documents (see "Where a step
     * starts" in the class description).
     *
     * @param mode one position, or every position left in the current document (all of the next
     *     one if none is under way)
     * @return the finished step
     * @throws NullPointerException if {@code mode} is null
     * @throws IllegalStateException if all {@link #totalSteps()} steps are done, or if it is called
     *     from a position, gradient or attention listener of a step of the same model (the step is
     *     not run)
     * @throws TrainingDivergedException if the loss is NaN or infinite (the step is not applied)
     * @throws RuntimeException whatever a listener throws: from a position or gradient listener
     *     the step is not applied, from a step listener it is (see the class description)
     * @throws ConcurrentModificationException if another thread is stepping, evaluating,
     *     sampling or predicting from ({@code NextToken}) the same model at this moment (the step
     *     is not run)
     */
    public StepEvent step(StepMode mode) {
        Objects.requireNonNull(mode, "mode");
        if (isFinished()) {
            throw new IllegalStateException("all " + totalSteps + " steps are done");
        }
        int entered = enter();
        StepEvent done;
        try {
            done = stepOf(mode);
        } finally {
            leave(entered);
        }
        tellStep(done);
        return done;
    }

    /**
     * The step of {@link #step(StepMode)}, without telling the step listeners: from the place in
     * the documents, one position, or every position left in the document.
     */
    private StepEvent stepOf(StepMode mode) {
        int document = nextDocument;
        int first = nextPosition;
        int[] doc = tokens.tokens(document);
        int end = Math.min(model.config().blockSize(), doc.length - 1);
        int last = switch (mode) {
            case DOCUMENT -> end;
            case POSITION -> first + 1;
        };
        StepEvent event = train(document, doc, first, last);
        // Move on only once the step succeeded: a failed step leaves the place where it was.
        if (last < end) {
            nextPosition = last;
        } else {
            nextDocument = (document + 1) % tokens.size();
            nextPosition = 0;
        }
        return event;
    }

    /**
     * Runs one minibatch step: the mean loss of {@code minibatch.size()} documents, the mean of
     * their gradients, then one update. The {@code B} documents are the next ones from the place
     * in the documents, wrapping around the list, and the place moves {@code B} documents on: in
     * a run of minibatch steps alone, step {@code s} (from 0) trains documents {@code s * B} to
     * {@code s * B + B - 1}, and a batch of 1 trains the document a {@link StepMode#DOCUMENT}
     * step would.
     *
     * <pre>{@code
     * trainer.stepBatch(Minibatch.of(8).withThreads(2));
     * }</pre>
     *
     * <p>With {@link io.github.microgpt.model.ArrayGptModel} in double precision the documents
     * are spread over up to {@code minibatch.threads()} threads, unless the model has an
     * attention listener (then they run on the calling thread, where listeners are told); in
     * single precision they run one after another, each on the model's own {@code setThreads}
     * threads. The gradients are summed in document order, so the result is bit-identical
     * whatever the number of threads (see {@link LanguageModel#batchLossAndGradients}). Other
     * engines run on the calling thread (see {@link Minibatch}).
     * Listeners hear about every position of every document, document by document, then about
     * the step, whose loss is the mean over the documents.
     *
     * @param minibatch how many documents, on how many threads
     * @return the finished step
     * @throws NullPointerException if {@code minibatch} is null
     * @throws IllegalStateException if all {@link #totalSteps()} steps are done, position steps
     *     left a document part-way (finish it with {@code step(StepMode.DOCUMENT)} first), or it is
     *     called from a position, gradient or attention listener of a step of the same model
     * @throws TrainingDivergedException if the loss is NaN or infinite (the step is not applied)
     * @throws RuntimeException whatever a listener throws: from a position or gradient listener
     *     the step is not applied, from a step listener it is (see the class description)
     * @throws ConcurrentModificationException if another thread is stepping, evaluating,
     *     sampling or predicting from ({@code NextToken}) the same model at this moment (the step
     *     is not run)
     */
    public StepEvent stepBatch(Minibatch minibatch) {
        Objects.requireNonNull(minibatch, "minibatch");
        int batchSize = minibatch.size();
        int threads = minibatch.threads();
        if (isFinished()) {
            throw new IllegalStateException("all " + totalSteps + " steps are done");
        }
        if (nextPosition != 0) {
            throw new IllegalStateException("document " + nextDocument + " is part-way trained (position steps"
                    + " stopped before its position " + nextPosition + "), and a minibatch trains whole documents:"
                    + " finish it with step(StepMode.DOCUMENT) first (this step was not run)");
        }
        int step = stepsDone;
        int[] documentIndex = new int[batchSize];
        List<int[]> batch = new ArrayList<>(batchSize);
        for (int b = 0; b < batchSize; b++) {
            documentIndex[b] = (int) (((long) nextDocument + b) % tokens.size());
            batch.add(tokens.tokens(documentIndex[b]));
        }
        StepEvent done;
        int entered = enter();
        try {
            double loss;
            if (positionListeners.isEmpty()) {
                loss = model.batchLossAndGradients(batch, threads);
            } else {
                List<Predictions> predictions = predictions(batchSize);
                loss = model.batchLossAndGradients(batch, threads, predictions);
                for (int b = 0; b < batchSize; b++) {
                    tellPositions(step, documentIndex[b], batch.get(b), predictions.get(b));
                }
            }
            done = update(step, documents.get(documentIndex[0]), loss);
            nextDocument = (int) (((long) nextDocument + batchSize) % tokens.size());
        } catch (Throwable failure) {
            zeroGradients();
            throw failure;
        } finally {
            leave(entered);
        }
        tellStep(done);
        return done;
    }

    /**
     * Runs steps until all {@link #totalSteps()} are done or {@link #requestStop()} is called.
     *
     * @param mode one document or one position per step
     * @return the number of steps this call ran; 0 if all steps were done already (a finished
     *     trainer is not an error here, unlike {@link #step(StepMode)})
     * @throws NullPointerException if {@code mode} is null
     * @throws TrainingDivergedException if a loss is NaN or infinite (that step is not applied;
     *     the steps before it are)
     * @throws RuntimeException whatever a listener throws, as {@link #step(StepMode)} does
     * @throws IllegalStateException if it is called from a position, gradient or attention
     *     listener of a step of the same model, as {@link #step(StepMode)}
     * @throws ConcurrentModificationException if another thread uses the same model at the moment
     *     a step starts, as {@link #step(StepMode)}
     */
    public int run(StepMode mode) {
        Objects.requireNonNull(mode, "mode");
        int ran = 0;
        try {
            while (!isFinished() && !stopRequested) {
                step(mode);
                ran++;
            }
        } finally {
            stopRequested = false;
        }
        return ran;
    }

    /**
     * Asks a running {@link #run(StepMode)} to return after the step it is in. Safe to call from
     * any thread. If no run is in progress, the next run returns at once.
     */
    public void requestStop() {
        stopRequested = true;
    }

    /**
     * Marks this trainer's model as being stepped by this thread ({@link ModelUse}), or refuses
     * the step, before it has changed anything, if another thread is using it: two trainers that
     * shared one model and stepped it from two threads at once mixed their gradients and updates
     * without a word, and one of them reported a divergence that was not one. Entered before a
     * step touches the model and left before the step listeners are told, so a step listener may
     * step again; a listener told inside the step (position, gradient, attention) may read the
     * model, but a step it starts is refused.
     *
     * @return what the mark did, for {@link #leave} to undo
     */
    private int enter() {
        return ModelUse.enter(model, ModelUse.Activity.TRAINING);
    }

    private void leave(int entered) {
        ModelUse.leave(model, entered);
    }

    /**
     * Computes the loss and gradients of positions {@code first .. end-1} of a document and
     * applies the update, without telling the step listeners; if anything fails before the
     * update, the gradients are set back to 0, so that nothing of the step remains.
     */
    private StepEvent train(int document, int[] doc, int first, int end) {
        int step = stepsDone;
        try {
            double loss;
            if (positionListeners.isEmpty()) {
                StepEvent fused = fusedStep(step, document, doc, first, end);
                if (fused != null) {
                    return fused;
                }
                loss = model.lossAndGradients(doc, first, end);
            } else {
                Predictions predictions = predictions(1).get(0);
                loss = model.lossAndGradients(doc, first, end, predictions);
                tellPositions(step, document, doc, predictions);
            }
            return update(step, documents.get(document), loss);
        } catch (Throwable failure) {
            zeroGradients();
            throw failure;
        }
    }

    /**
     * The step of {@link #train} with the optimizer's update inside the model's backward pass
     * ({@link FusedStep}), or null if it cannot run so and {@link #train} must run the usual way.
     * Each matrix is then updated as soon as its gradient is complete, while it is still in the
     * processor's caches, instead of all of them after the pass: the same arithmetic for every
     * parameter, so the same bits, with less memory traffic (at {@code nEmbd} 256 the update
     * after the pass read 25 to 50 MB of gradients back from main memory).
     *
     * <p>That changes when the parameters change, so it runs only when nothing between the
     * backward pass and the update can tell, or undo the step: no gradient listener (it must see
     * every gradient before any update) and no position listener (told after the pass, it may
     * throw, and then the step must not have been applied; the caller checks that). A loss that
     * is not finite is found before the backward pass, and then nothing has changed. The model
     * and the optimizer decide the rest: the array engine's parameters offer such a step, and
     * Adam prepares its update for them unless it stages their rows (the reference model's short
     * rows, where one loop over every number after the pass is faster).
     */
    private StepEvent fusedStep(int step, int document, int[] doc, int first, int end) {
        FusedStep fused = gradientListeners.isEmpty() ? FusedStep.fusing(model.parameters()) : null;
        if (fused == null) {
            return null;
        }
        RangeTask update = FusedUpdates.prepare(optimizer, model.parameters(), step, totalSteps);
        if (update == null) {
            return null;
        }
        double loss = fused.lossGradientsAndUpdate(doc, first, end, update);
        // A loss that is not finite stopped the step before the backward pass: nothing changed.
        requireFinite(step, documents.get(document), loss);
        return counted(step, loss, optimizer.learningRate(step, totalSteps));
    }

    /** Refuses a step whose loss is not finite, before anything of it is applied. */
    private static void requireFinite(int step, String text, double loss) {
        if (!Double.isFinite(loss)) {
            throw new TrainingDivergedException(step + 1, text, loss);
        }
    }

    /** Counts a step whose update is applied, and says what it was, for the step listeners. */
    private StepEvent counted(int step, double loss, double learningRate) {
        stepsDone++;
        return new StepEvent(step + 1, totalSteps, loss, learningRate);
    }

    /**
     * Sets every gradient to 0, undoing a step that failed before its update: gradients
     * accumulate, so those left behind would be added to the next step's.
     */
    private void zeroGradients() {
        Parameters parameters = model.parameters();
        for (int i = 0; i < parameters.size(); i++) {
            parameters.setGrad(i, 0.0);
        }
    }

    /** At least {@code count} buffers for the model's predictions, kept from step to step. */
    private List<Predictions> predictions(int count) {
        while (predictions.size() < count) {
            predictions.add(new Predictions());
        }
        return predictions.subList(0, count);
    }

    /** Tells the position listeners what the model predicted at each position of a document. */
    private void tellPositions(int step, int document, int[] doc, Predictions predicted) {
        String text = documents.get(document);
        for (int posId = predicted.first(); posId < predicted.end(); posId++) {
            PositionEvent event = new PositionEvent(step + 1, text, posId, Arrays.copyOf(doc, posId + 1),
                    doc[posId], doc[posId + 1], predicted.probabilities(posId), predicted.loss(posId));
            positionListeners.forEach(listener -> listener.onPosition(event));
        }
    }

    /**
     * Applies the update of a step whose gradients are in the parameters, telling the gradient
     * listeners first. The optimizer's update is the last thing that may fail, and it checks its
     * arguments before it changes anything, so a step is either wholly applied or not at all.
     * The caller tells the step listeners once the step is counted (and the place moved on).
     */
    private StepEvent update(int step, String text, double loss) {
        Parameters parameters = model.parameters();
        requireFinite(step, text, loss);
        if (!gradientListeners.isEmpty()) {
            ReadOnlyParameters view = new ReadOnlyParameters(parameters, step + 1);
            GradientEvent gradients = new GradientEvent(step + 1, totalSteps, loss, view);
            try {
                gradientListeners.forEach(listener -> listener.onGradient(gradients));
            } finally {
                view.close(); // a listener that kept the event gets an error, not the next step's numbers
            }
        }
        return counted(step, loss, optimizer.step(parameters, step, totalSteps));
    }

    /** Tells the step listeners about a step that is done. */
    private void tellStep(StepEvent event) {
        if (!stepListeners.isEmpty()) {
            stepListeners.forEach(listener -> listener.onStep(event));
        }
    }

    /**
     * The number of steps done so far.
     *
     * @return from 0 to {@link #totalSteps()}
     */
    public int stepsDone() {
        return stepsDone;
    }

    /**
     * The length of the run.
     *
     * @return the number of steps given at construction
     */
    public int totalSteps() {
        return totalSteps;
    }

    /**
     * Whether all steps are done.
     *
     * @return {@code stepsDone() == totalSteps()}
     */
    public boolean isFinished() {
        return stepsDone >= totalSteps;
    }

    /**
     * The documents, in training order.
     *
     * @return an unmodifiable list
     */
    public List<String> documents() {
        return documents;
    }

    /**
     * The model being trained.
     *
     * @return the model
     */
    public LanguageModel model() {
        return model;
    }

    /**
     * The optimizer that updates the model, whose moments a checkpoint saves.
     *
     * @return the optimizer given at construction
     */
    public AdamOptimizer optimizer() {
        return optimizer;
    }

    /**
     * Where this trainer is in its run, for a checkpoint.
     *
     * @return the steps done, the length of the run and the place in the documents
     */
    public TrainerState state() {
        return new TrainerState(stepsDone, totalSteps, nextDocument, nextPosition);
    }

    /**
     * Moves this trainer to a saved place in its run, typically a fresh trainer built on a
     * loaded model and optimizer. The steps that follow are exactly those the saved trainer would
     * have run next. Nothing changes if the state is rejected.
     *
     * @param state a state from {@link #state()}
     * @throws IllegalArgumentException if the state's run length is not this trainer's, or its
     *     place is outside the documents (a document index beyond the list, or a
     *     position at or past the last trainable position of that document)
     */
    public void restore(TrainerState state) {
        Objects.requireNonNull(state, "state");
        if (state.totalSteps() != totalSteps) {
            throw new IllegalArgumentException("the state is of a run of " + state.totalSteps()
                    + " steps but this trainer's run has " + totalSteps
                    + " (the length of the run sets the learning-rate schedule, so it must match)");
        }
        if (state.nextDocument() >= tokens.size()) {
            throw new IllegalArgumentException("the state's position is in document " + state.nextDocument()
                    + " but there are only " + tokens.size() + " documents");
        }
        int end = Math.min(model.config().blockSize(), tokens.tokens(state.nextDocument()).length - 1);
        if (state.nextPosition() >= end) {
            throw new IllegalArgumentException("the state's position " + state.nextPosition() + " is past the "
                    + end + " trainable positions of document " + state.nextDocument());
        }
        stepsDone = state.stepsDone();
        nextDocument = state.nextDocument();
        nextPosition = state.nextPosition();
    }

    /**
     * Where the run is and what it trains: the steps done of the run's length, the number of
     * documents, the model and the optimizer (each as it prints itself).
     *
     * @return for example {@code Trainer[step 3 of 1000, 32033 documents, GptModel[...],
     *     AdamOptimizer[...]]}
     */
    @Override
    public String toString() {
        return "Trainer[step " + stepsDone + " of " + totalSteps + ", " + documents.size() + " documents, " + model
                + ", " + optimizer + "]";
    }
}
