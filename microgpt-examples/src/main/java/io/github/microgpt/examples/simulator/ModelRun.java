package io.github.microgpt.examples.simulator;

import io.github.microgpt.checkpoint.Checkpoint;
import io.github.microgpt.checkpoint.LossHistory;
import io.github.microgpt.checkpoint.TrainingState;
import io.github.microgpt.model.Architecture;
import io.github.microgpt.model.ArrayGptModel;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.Engine;
import io.github.microgpt.model.GptModel;
import io.github.microgpt.model.LanguageModel;
import io.github.microgpt.optim.AdamOptimizer;
import io.github.microgpt.optim.AdamSettings;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.sample.SampleEvent;
import io.github.microgpt.sample.SampleListener;
import io.github.microgpt.sample.Sampler;
import io.github.microgpt.sample.TokenEvent;
import io.github.microgpt.sample.TokenListener;
import io.github.microgpt.text.Tokenizer;
import io.github.microgpt.train.GradientEvent;
import io.github.microgpt.train.GradientListener;
import io.github.microgpt.train.PositionEvent;
import io.github.microgpt.train.PositionListener;
import io.github.microgpt.train.StepEvent;
import io.github.microgpt.train.StepListener;
import io.github.microgpt.train.StepMode;
import io.github.microgpt.train.Trainer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * One model being trained and sampled: a real model of the progression (bigram, MLP,
 * attention-only, or the GPT of either engine: {@link GptModel} over {@code Value}s or
 * {@link ArrayGptModel} over flat arrays) with its {@link AdamOptimizer}, {@link Trainer} and
 * {@link Sampler}, and what their listener hooks reported (the log, the overlay, the attention
 * rows of a model that has attention, the samples, the gradients of the latest step, the loss of
 * every step for a checkpoint). Everything the page shows of the model comes from here.
 *
 * <p>Used by one thread at a time, under the session's lock.
 */
final class ModelRun implements PositionListener, GradientListener, StepListener, TokenListener, SampleListener {

    final List<String> documents;
    final Tokenizer tokenizer;
    final LanguageModel model;
    final Architecture architecture;
    final Engine engine;
    final AdamOptimizer optimizer;
    /** Shuffled the documents, drew the initial weights, and draws the samples. */
    final PythonRandom random;
    final StepLog log = new StepLog();
    private final Sampler sampler;
    /** The attention rows, or {@code null} for a model without attention. */
    private final AttentionRecorder attention;
    private final List<String> samples = new ArrayList<>();
    private final List<String> vocab = new ArrayList<>();
    private final Consumer<ModelRun> afterStep;
    private Trainer trainer;
    /** The loss of every step of the run, also of the steps before a checkpoint it resumed. */
    private LossHistory losses;
    private PositionEvent lastPosition;
    /** The first position the step in progress trained (a document step may start part-way). */
    private int firstPosition;
    private Overlay overlay;
    /** The kind of the training step in progress, for the log. */
    private StepMode stepMode = StepMode.POSITION;
    /** The kind of the steps of this run so far (null before the first), for a checkpoint. */
    private StepMode runMode;
    /** Whether the run so far mixed position and document steps. */
    private boolean mixedModes;
    private Sampler.Generation generation;
    /** The temperature of the tokens being drawn, for the overlay. */
    private double temperature = Double.NaN;
    /** The gradients of the latest training step, as the trainer's gradient hook showed them before the update. */
    private double[] lastGradients;

    private ModelRun(List<String> documents, Tokenizer tokenizer, LanguageModel model, AdamOptimizer optimizer,
                     PythonRandom random, int numSteps, Consumer<ModelRun> afterStep) {
        this.documents = List.copyOf(documents);
        this.tokenizer = tokenizer;
        this.model = model;
        this.architecture = Architecture.of(model).orElseThrow();  // the simulator runs the progression's models
        // Every model but the array engine's GPT is made of Values.
        this.engine = Engine.of(model).orElse(Engine.VALUE);
        this.optimizer = optimizer;
        this.random = random;
        this.afterStep = afterStep;
        GptConfig config = model.config();
        if (model.hasAttention()) {
            attention = new AttentionRecorder(config.nLayer(), config.nHead());
            model.addAttentionListener(attention);
        } else {
            attention = null;
        }
        lastGradients = new double[model.numParameters()];
        trainer = newTrainer(numSteps);
        losses = LossHistory.recording(trainer);
        sampler = new Sampler(model, tokenizer, random);
        sampler.addTokenListener(this);
        sampler.addSampleListener(this);
        for (int id = 0; id < tokenizer.vocabSize(); id++) {
            vocab.add(tokenizer.tokenText(id));
        }
    }

    /**
     * A new model as Reset makes it, in the order of {@code microgpt.py}: one random source
     * shuffles the documents, draws the initial weights, and later draws the samples. With a
     * checkpoint, the model takes its vocabulary and, after the draw, its weights; the random
     * source has then made the same draws as on Reset, so sampling goes as it would after Reset.
     *
     * @param settings the documents, shape, learning rate, seed and length of the run
     * @param weights a checkpoint whose vocabulary and weights to take, or {@code null}
     * @param afterStep what the session does after every training step
     * @return the run, at step 0
     */
    static ModelRun create(Settings settings, Checkpoint weights, Consumer<ModelRun> afterStep) {
        PythonRandom random = new PythonRandom(settings.seed());
        List<String> order = new ArrayList<>(settings.documents());
        random.shuffle(order);
        Tokenizer tokenizer = weights == null ? Tokenizer.fromDocuments(order) : weights.tokenizer();
        LanguageModel model = settings.architecture() == Architecture.GPT
                ? settings.engine().create(settings.config(), tokenizer.vocabSize(), random)
                : settings.architecture().create(settings.config(), tokenizer.vocabSize(), random);
        if (weights != null) {
            weights.loadInto(model);
        }
        AdamOptimizer optimizer = new AdamOptimizer(model.numParameters(),
                AdamSettings.defaults().withLearningRate(settings.learningRate()));
        return new ModelRun(order, tokenizer, model, optimizer, random, settings.numSteps(), afterStep);
    }

    /**
     * A saved run rebuilt where it stopped: the checkpoint's model and optimizer, the trainer at
     * the saved step and position, the saved random generator. The caller has checked that
     * {@code order} is the run's documents in training order.
     *
     * @param settings the run's settings (the seed is used if the checkpoint has no generator)
     * @param order the documents in training order
     * @param checkpoint the checkpoint
     * @param training its training state
     * @param afterStep what the session does after every training step
     * @return the run, at the saved step
     * @throws IllegalArgumentException if the training state does not fit the documents
     */
    static ModelRun resume(Settings settings, List<String> order, Checkpoint checkpoint, TrainingState training,
                           Consumer<ModelRun> afterStep) {
        PythonRandom random = training.randomState() != null ? PythonRandom.fromState(training.randomState())
                : new PythonRandom(settings.seed());
        LanguageModel model = settings.engine() == Engine.ARRAY ? ArrayGptModel.copyOf(checkpoint.gptModel())
                : checkpoint.model();
        ModelRun run = new ModelRun(order, checkpoint.tokenizer(), model,
                training.optimizer().toOptimizer(), random, settings.numSteps(), afterStep);
        run.trainer.restore(training.trainer());
        run.losses.stopRecording();
        run.losses = LossHistory.continuing(run.trainer, training.losses());
        run.runMode = training.stepMode();
        run.mixedModes = training.stepMode() == null && training.trainer().stepsDone() > 0;
        return run;
    }

    /** The trainer (remade when Num steps changes before the first step). */
    Trainer trainer() {
        return trainer;
    }

    /**
     * Gives the run a new length, over the same untouched model and optimizer. Allowed only
     * before the first step, since the length sets the learning-rate schedule.
     *
     * @param numSteps the new length
     */
    void setNumSteps(int numSteps) {
        trainer = newTrainer(numSteps);
        losses = LossHistory.recording(trainer);
    }

    /**
     * The loss of every step of the run, for a checkpoint: empty if the run resumed a checkpoint
     * that kept none (then a part of the curve is unknown).
     *
     * @return one loss per step done, or none
     */
    double[] lossHistory() {
        return losses.losses();
    }

    private Trainer newTrainer(int numSteps) {
        Trainer created = new Trainer(model, tokenizer, documents, optimizer, numSteps);
        created.addPositionListener(this);
        created.addGradientListener(this);
        created.addStepListener(this);
        return created;
    }

    /**
     * One training step.
     *
     * @param mode one position or one whole document
     */
    void step(StepMode mode) {
        stepMode = mode;
        trainer.step(mode);
    }

    /**
     * Steps until the run's end or until the trainer is asked to stop.
     *
     * @param mode one position or one whole document per step
     */
    void train(StepMode mode) {
        stepMode = mode;
        trainer.run(mode);
    }

    /**
     * Draws one token of the current sample, starting a new sample when there is none.
     *
     * @param temperature the sampling temperature of a new sample
     */
    void genStep(double temperature) {
        if (generation == null || generation.isDone()) {
            generation = sampler.start(temperature);
            this.temperature = temperature;
        }
        generation.step();
    }

    /**
     * Draws whole samples, which replace the samples shown.
     *
     * @param count how many
     * @param temperature the sampling temperature
     */
    void generate(int count, double temperature) {
        generation = null;
        samples.clear();
        this.temperature = temperature;
        for (int i = 0; i < count; i++) {
            sampler.sample(temperature);
        }
    }

    /** The kind of every step so far, or {@code null} if there was none or they were mixed (for a checkpoint). */
    StepMode stepModeOfTheRun() {
        return mixedModes ? null : runMode;
    }

    /**
     * The state of the run, for a snapshot.
     *
     * @param session the counters and settings the session adds
     * @return the snapshot
     */
    Snapshot snapshot(Snapshot.Header session) {
        GptConfig config = model.config();
        return new Snapshot(session.revision(), session.epoch(), session.paramsVersion(), session.settings(),
                documents.subList(0, Math.min(8, documents.size())), List.copyOf(vocab), model.numParameters(),
                trainer.stepsDone(), trainer.totalSteps(), session.running(), session.stepsPerSecond(), overlay,
                attention == null ? new double[0][][][] : attention.copy(config.nLayer()), log.view(), List.copyOf(samples), session.message(),
                model.parameters().matrixLayouts(), model.parameters().values(), lastGradients);
    }

    // ------------------------------------------------------------------------------ the hooks

    @Override
    public void onPosition(PositionEvent event) {
        if (lastPosition == null || lastPosition.step() != event.step()) {
            firstPosition = event.posId();
        }
        lastPosition = event;
    }

    /** The gradients between backward and the update, which uses them and sets them back to 0. */
    @Override
    public void onGradient(GradientEvent event) {
        lastGradients = event.grads();
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
                perDocument ? (firstPosition == 0 ? -1 : firstPosition) : p.posId(), perDocument));
        overlay = new Overlay(false, event.step(), perDocument, p.posId(), p.context(), p.inputTokenId(),
                p.targetTokenId(), p.targetTokenId(), p.document(), p.loss(), p.probabilities(), Double.NaN, 0,
                null, false);
        afterStep.accept(this);
    }

    @Override
    public void onToken(TokenEvent event) {
        int[] context = event.context();
        String text = tokenizer.decode(Arrays.copyOfRange(context, 1, context.length))
                + (event.tokenId() == tokenizer.bos() ? "" : tokenizer.decode(event.tokenId()));
        boolean done = event.tokenId() == tokenizer.bos() || context.length >= model.config().blockSize();
        overlay = new Overlay(true, 0, false, event.posId(), context, context[context.length - 1], -1,
                event.tokenId(), null, Double.NaN, event.probabilities(), temperature, event.sampleNumber(), text, done);
    }

    @Override
    public void onSample(SampleEvent event) {
        samples.add(event.text());
        while (samples.size() > Limits.MAX_SAMPLES) {
            samples.remove(0);
        }
    }
}
