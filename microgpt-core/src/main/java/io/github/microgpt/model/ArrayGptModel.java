package io.github.microgpt.model;

import io.github.microgpt.internal.FusedStep;
import io.github.microgpt.internal.HeapBudget;
import io.github.microgpt.internal.Listeners;
import io.github.microgpt.internal.ModelChecks;
import io.github.microgpt.internal.RangeTask;
import io.github.microgpt.random.RandomSource;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.PrimitiveIterator;
import java.util.function.DoubleSupplier;

/**
 * The GPT of {@link GptModel} computed over plain arrays of doubles, in the style of Karpathy's
 * {@code llm.c}: no object per number and no graph, but an explicit forward pass and an explicit,
 * hand-derived backward pass for every layer (RMSNorm, linear, attention, ReLU, softmax with
 * cross-entropy). It is the fast engine; {@link GptModel} is the one to read to learn how
 * autograd works.
 *
 * <p><b>How it reads.</b> As {@code llm.c}'s {@code train_gpt2.c}: {@code Kernels} holds each
 * operation as a forward / backward pair side by side; {@code Workspace} owns every buffer of a
 * pass, one named field per activation and per activation gradient, each with its shape; the
 * weights and their gradients are named matrices ({@code WeightRows}, found by name in the
 * {@link ParameterLayout}). {@code forward} reads like {@code microgpt.py}'s {@code gpt()} and
 * {@code backwardDocument} is the same list of operations in reverse.
 *
 * <p><b>Storage.</b> Every row of every weight matrix is a {@code double[]} of its own, and so
 * is its gradient (see {@code ArrayParameters} for why); the {@link Parameters} view is the same
 * flat list as {@link GptModel}'s. Activations are rows too, one per position, in a workspace
 * allocated once per model (once per thread for batches), so a training step allocates no
 * buffer (only a few small objects: some hundreds of bytes a step at the reference size, a few
 * kilobytes at {@code nEmbd} 256, measured on 7 December 2026);
 * a generated sequence keeps every position only in its key-value cache and one row of each
 * other activation. Each operation is applied to all the positions of a document at once, layer
 * by layer, as in {@code llm.c}.
 *
 * <p><b>Same numbers as the {@code Value} engine.</b> {@link #create} draws the initial weights
 * in the same order as {@link GptModel#create}, so both engines start from identical weights for
 * the same seed. The forward pass performs the same floating-point operations in the same order
 * as {@link GptModel#forward} (every sum is the same left-to-right fold, {@code x / c} is
 * {@code x * c^-1}, softmax subtracts the maximum first), so logits, probabilities and losses are
 * bit-identical. The backward pass is where they differ: the {@code Value} engine differentiates
 * its graph node by node, in the order of a depth-first walk, whereas this engine uses the
 * closed forms (for example {@code dlogits = (p - onehot) / n} for softmax with cross-entropy,
 * and {@code s^3} for the derivative of the RMS scale) and sums each gradient in position and row
 * order. Gradients therefore agree to rounding, not bit for bit: typically 1e-15 relative and at
 * worst about 1e-12 over the property tests (which require 1e-10), except gradients whose
 * contributions cancel to almost 0, which agree to within 1e-14 of the largest gradient. Over the
 * 1000 steps of the reference run of {@code microgpt.py} the losses of the two engines stay within
 * 2e-15 of each other, and the 20 samples that follow are the same.
 *
 * <p><b>Speed.</b> The inner loops are plain counted loops, the shape HotSpot's C2 compiler
 * turns into SIMD instructions (no {@code jdk.incubator.vector} needed, so it runs on any JDK 17).
 * A matrix product over a document runs with its SIMD lanes across outputs, over the transposed
 * weights, so that every output is still the left fold of the {@code Value} engine (see
 * {@code Kernels.matmulForward});
 * the backward products, which have no order to keep, run along rows in blocks that stay in
 * cache. {@link #setThreads} splits one step over several threads without changing a bit of
 * its result.
 *
 * <p><b>Single precision.</b> Created with {@link Precision#F32}
 * ({@link #create(GptConfig, int, RandomSource, Precision)}), the model keeps everything in
 * {@code float}s and hands every call to its single-precision kernels ({@code FloatKernels}, the
 * same operations, summed in whatever order is fastest). It is faster and not exact; everything
 * said above about bit-identical numbers holds for {@link Precision#F64}, the default, only.
 *
 * <p><b>Threads.</b> Trained from one thread at a time, while nothing else uses it; only
 * {@link #batchLossAndGradients} (and {@link #lossAndGradients} after {@link #setThreads}) uses
 * several threads inside one call. Read from many at once: a {@link LanguageModel.Sequence} has
 * its own key-value cache and rows and runs on the thread that reads it (never on the model's
 * step threads), and the kernels keep their scratch per thread, so sequences may be read one
 * after another, interleaved on one thread, or on several threads at once, each giving the bits
 * it gives alone, but not while the model is trained (see {@link LanguageModel}).
 */
public final class ArrayGptModel implements LanguageModel {

    /**
     * The least memory one parameter takes, for the refusal of a model the heap cannot hold: its
     * weight and its gradient (doubles; in f32, floats after the weights are drawn as doubles).
     */
    private static final int BYTES_PER_PARAMETER = 16;

    final GptConfig config;
    final int vocabSize;
    private final int nLayer;
    private final int nHead;
    /** The double-precision rows; null in {@link Precision#F32}, where {@link #f32} holds floats. */
    private final ArrayParameters parameters;
    /** The precision chosen at creation. */
    private final Precision precision;
    /** The single-precision engine every call is handed to; null in {@link Precision#F64}. */
    private final FloatGpt f32;
    /** The weights by name: views of {@link #parameters}' rows. */
    private final WeightRows weights;
    /**
     * The weights' gradients by name: views of {@link #parameters}' gradient rows, made by the
     * first backward pass ({@link #gradients()}); a model that only samples has none.
     */
    private WeightRows grads;
    /** {@code (headDim^0.5)^-1}: {@link GptModel} divides attention logits by {@code headDim^0.5}. */
    private final double attnScale;

    /** The threads of one step; one unless {@link #setThreads} says otherwise. */
    private Workers workers = SINGLE_THREAD;
    private Workspace trainingWorkspace;
    private BatchRunner batchRunner;
    /** Where a fused step updates each matrix; made by the first such step. */
    private FusedRows fusedRows;
    /** Told the attention weights of every forward pass (see {@link #addAttentionListener}). */
    final Listeners<AttentionListener> attentionListeners = new Listeners<>();

    /** The team of the calling thread alone, shared: it holds no thread and no state. */
    static final Workers SINGLE_THREAD = new Workers(1);

    /** A model whose weights, in flat order, are the next {@code size} numbers of {@code initialWeights}. */
    private ArrayGptModel(GptConfig config, int vocabSize, DoubleSupplier initialWeights, Precision precision) {
        this.config = config;
        this.vocabSize = vocabSize;
        this.nLayer = config.nLayer();
        this.nHead = config.nHead();
        this.precision = Objects.requireNonNull(precision, "precision");
        this.attnScale = Math.pow(Math.pow(config.headDim(), 0.5), -1);
        if (precision == Precision.F32) {
            this.parameters = null;
            this.weights = null;
            this.f32 = new FloatGpt(this, initialWeights);
            f32.parameters().fusedStepsBy(new Fused());
            return;
        }
        this.f32 = null;
        this.parameters = new ArrayParameters(ParameterLayout.gpt(config, vocabSize));
        parameters.setValues(initialWeights);
        parameters.fusedStepsBy(new Fused());
        this.weights = WeightRows.of(parameters, parameters.valueRows(), nLayer);
    }

    /** {@link #grads}, made (with the gradient rows themselves) the first time a step needs them. */
    private WeightRows gradients() {
        if (grads == null) {
            grads = WeightRows.of(parameters, parameters.gradRows(), nLayer);
        }
        return grads;
    }

    /**
     * Creates a model with random initial weights, drawn exactly as {@link GptModel#create}
     * draws them (matrix by matrix, row by row, {@code random.gauss(0, initStd)} each), so that
     * the same seed gives both engines the same weights.
     *
     * @param config the shape
     * @param vocabSize the number of tokens (from the tokenizer); at least 2
     * @param random the source of the initial weights
     * @return the model
     * @throws IllegalArgumentException if {@code vocabSize < 2}, or the model would have more
     *     parameters than an array holds ({@link ParameterLayout#MAX_SIZE})
     */
    public static ArrayGptModel create(GptConfig config, int vocabSize, RandomSource random) {
        return create(config, vocabSize, random, Precision.F64);
    }

    /**
     * Creates a model with random initial weights in a chosen precision. The weights are drawn
     * as by {@link #create(GptConfig, int, RandomSource)} (in doubles, the same draws for every
     * precision) and, in {@link Precision#F32}, rounded to the nearest float: so an {@code F32}
     * model starts from the {@code F64} model's weights of the same seed, to 7 digits.
     *
     * <p>In {@code F32} the model keeps its weights, activations and gradients in {@code float}s
     * and computes with the single-precision kernels; {@link io.github.microgpt.optim.AdamOptimizer} keeps its moments in
     * floats too. Its interface still speaks doubles (each float widened exactly). Its gradients
     * agree with the {@code F64} engine's to {@code 1e-3} of each gradient plus {@code 1e-4} of the
     * largest (the tests check this against the {@code F64} engine and against finite differences
     * in double precision), and over {@code microgpt.py}'s run of 1000 steps (seed 42, on the
     * embedded names) its losses stay within {@code 1e-4} of the {@code F64} run's (at most
     * {@code 6.7e-7} with the core's loops, measured on 7 December 2026 on JDK 17 and 25). Its
     * results do not depend on {@link #setThreads}.
     *
     * @param config the shape
     * @param vocabSize the number of tokens (from the tokenizer); at least 2
     * @param random the source of the initial weights
     * @param precision {@link Precision#F64} (exact, as {@link GptModel}) or {@link Precision#F32}
     * @return the model
     * @throws IllegalArgumentException if {@code vocabSize < 2}, or the model would have more
     *     parameters than an array holds ({@link ParameterLayout#MAX_SIZE}), or more than half
     *     of the Java heap could hold (at least 16 bytes a parameter: its weight and gradient)
     * @throws NullPointerException if an argument is null
     */
    public static ArrayGptModel create(GptConfig config, int vocabSize, RandomSource random, Precision precision) {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(random, "random");
        Objects.requireNonNull(precision, "precision");
        int size = ParameterLayout.gpt(config, vocabSize).size();
        HeapBudget.checkModel("an ArrayGptModel", size, BYTES_PER_PARAMETER, Runtime.getRuntime().maxMemory());
        // Drawn straight into the model's rows, in flat order: no array of all the weights beside them.
        double initStd = config.initStd();
        return new ArrayGptModel(config, vocabSize, () -> random.gauss(0, initStd), precision);
    }

    /**
     * Creates an array-engine model with the configuration, vocabulary and current weights of
     * another model (of any engine), for example to generate quickly from a model trained with
     * {@link GptModel}. The gradients start at 0; the two models share nothing afterwards.
     *
     * @param model the model to copy
     * @return the copy
     * @throws IllegalArgumentException if the model's parameters are not laid out as a GPT's
     */
    public static ArrayGptModel copyOf(LanguageModel model) {
        return copyOf(model, Precision.F64);
    }

    /**
     * Creates an array-engine model in a chosen precision with the configuration, vocabulary and
     * current weights of another model (rounded to floats in {@link Precision#F32}). The
     * gradients start at 0; the two models share nothing afterwards.
     *
     * @param model the model to copy
     * @param precision the precision of the copy
     * @return the copy
     * @throws IllegalArgumentException if the model's parameters are not laid out as a GPT's, or
     *     the copy is f32 and a weight is finite but beyond a float's range (it would be infinite)
     * @throws NullPointerException if an argument is null
     */
    public static ArrayGptModel copyOf(LanguageModel model, Precision precision) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(precision, "precision");
        ParameterLayout expected = ParameterLayout.gpt(model.config(), model.vocabSize());
        if (!expected.describes(model.parameters())) {
            throw new IllegalArgumentException("the model's parameters are not laid out as a GPT of its "
                    + "configuration: " + model.parameters().matrixLayouts());
        }
        double[] weights = model.parameters().values();
        // As an f32 weight's setValue refuses it: rounded, it would be infinite without a word.
        int beyond = precision == Precision.F32 ? ModelChecks.firstBeyondFloatRange(weights) : -1;
        if (beyond >= 0) {
            throw new IllegalArgumentException("weight " + beyond + " of the model (" + weights[beyond] + ") is beyond"
                    + " the range of an f32 copy (the largest float is " + Float.MAX_VALUE + "); copy it in f64");
        }
        PrimitiveIterator.OfDouble values = Arrays.stream(weights).iterator();
        return new ArrayGptModel(model.config(), model.vocabSize(), values::nextDouble, precision);
    }

    // ----------------------------------------------------------------------------- accessors

    @Override
    public GptConfig config() {
        return config;
    }

    @Override
    public int vocabSize() {
        return vocabSize;
    }

    /**
     * The parameters: a view of this model's own rows.
     *
     * @return the parameters
     */
    @Override
    public Parameters parameters() {
        return f32 != null ? f32.parameters() : parameters;
    }

    /**
     * The precision this model computes in, chosen when it was created.
     *
     * @return {@link Precision#F64} or {@link Precision#F32}
     */
    public Precision precision() {
        return precision;
    }

    /**
     * True: every layer has attention heads.
     *
     * @return true
     */
    @Override
    public boolean hasAttention() {
        return true;
    }

    /**
     * Adds a listener that hears the attention weights of each head, during every forward pass
     * from now on, layer by layer (see {@link AttentionEvent}). A batch step with attention
     * listeners runs its documents on the calling thread, where the listeners are told; its
     * result is the same, since it does not depend on the number of threads.
     *
     * @param listener the listener
     */
    @Override
    public void addAttentionListener(AttentionListener listener) {
        attentionListeners.add(listener);
    }

    @Override
    public void removeAttentionListener(AttentionListener listener) {
        attentionListeners.remove(listener);
    }

    /**
     * Sets how many threads one training step ({@link #lossAndGradients}) may use. Every part of
     * the step is split between them by outputs, never inside a sum: the matrix products by rows
     * or positions, the attention by heads, the element-wise operations (RMSNorm, residual sums,
     * ReLU, softmax with cross-entropy, the embedding) by positions, the embeddings' gradient by
     * columns, the optimizer's update by rows. So the loss and the gradients are bit-identical for
     * any number of threads; only the time changes. Worth it for large models (at
     * {@code nEmbd = 256}, 4 layers and 64 positions, about 98% of a step's processor time was
     * shared between the threads, measured on 2 December 2026 on a 2-vCPU AMD EPYC Zen 5), not at
     * the reference size, where
     * a step lasts some tens of microseconds and every loop of it is too small to share, so the
     * whole step stays on the calling thread.
     * Generation always runs on the calling thread, and
     * {@link #batchLossAndGradients} spreads whole documents over its own threads instead.
     *
     * <p>The helper threads ({@code microgpt-step-...}) are daemon threads, started when a step
     * first needs them; one idle for a second ends, so a model has nothing to close and a
     * forgotten one keeps no thread alive.
     *
     * @param threads the number of threads, the calling one included; 1 to 256 (more than the
     *     machine's processors only slows a step down)
     * @return this model
     * @throws IllegalArgumentException if {@code threads} is below 1 or above 256
     */
    public ArrayGptModel setThreads(int threads) {
        ModelChecks.threads(threads);
        if (threads != workers.threads()) {
            useWorkers(threads == 1 ? SINGLE_THREAD : new Workers(threads));
        }
        return this;
    }

    /** Runs the steps on {@code team} from now on (the tests give teams that split finely). */
    ArrayGptModel useWorkers(Workers team) {
        workers = team;
        // The optimizer's update runs on the same threads (element-wise, so exact for any count).
        if (f32 != null) {
            f32.parameters().useWorkers(team);
        } else {
            parameters.useWorkers(team);
        }
        return this;
    }

    /**
     * The number of threads one training step may use (see {@link #setThreads}).
     *
     * @return at least 1
     */
    public int threads() {
        return workers.threads();
    }

    // -------------------------------------------------------------------------------- training

    @Override
    public double lossAndGradients(int[] tokens, int first, int end, Predictions predictions) {
        ModelChecks.stretch(tokens, first, end, config.blockSize(), vocabSize);
        if (f32 != null) {
            return f32.lossAndGradients(tokens, first, end, predictions, workers);
        }
        Workspace ws = trainingWorkspace();
        double loss = forwardAndLossGradient(ws, tokens, first, end, workers);
        if (predictions != null) {
            keepPredictions(predictions, ws, first, end);
        }
        // After the optimizer's update every gradient is +0.0, and the products start from 0.
        backwardDocument(ws, tokens, first, end, gradients(), workers, parameters.takeClearedGradients(), null,
                true);
        return loss;
    }

    /**
     * {@link #lossAndGradients(int[], int, int)} with the optimizer's update inside the backward
     * pass (see {@code io.github.microgpt.internal.FusedStep}, which the parameters offer the
     * trainer): {@code update} runs over each matrix's rows as soon as its gradient is complete.
     * A loss that is not finite stops the step before the backward pass, with nothing changed.
     */
    private double lossGradientsAndUpdate(int[] tokens, int first, int end, RangeTask update) {
        ModelChecks.stretch(tokens, first, end, config.blockSize(), vocabSize);
        if (fusedRows == null) {
            fusedRows = f32 != null ? new FusedRows(f32.parameters()::firstRow, nLayer)
                    : new FusedRows(parameters::firstRow, nLayer);
        }
        if (f32 != null) {
            return f32.lossGradientsAndUpdate(tokens, first, end, update, fusedRows, workers);
        }
        Workspace ws = trainingWorkspace();
        double loss = forwardAndLossGradient(ws, tokens, first, end, workers);
        if (!Double.isFinite(loss)) {
            return loss;
        }
        backwardDocument(ws, tokens, first, end, gradients(), workers, parameters.takeClearedGradients(), update,
                true);
        // The update set every gradient to +0.0, as Adam after the pass would have.
        parameters.clearedGradients();
        return loss;
    }

    /** This model's fused step, which its parameters offer the trainer ({@link FusedStep.Source}). */
    private final class Fused implements FusedStep {

        @Override
        public double lossGradientsAndUpdate(int[] tokens, int first, int end, RangeTask update) {
            return ArrayGptModel.this.lossGradientsAndUpdate(tokens, first, end, update);
        }

        /**
         * True on one or two threads, in single precision, and with the optional module's
         * products; false when the core's own double-precision loops run on more threads, where
         * their products leave the update to {@link FusedRows} after each product
         * ({@code Kernels.matmulBackwardOverwriteAndUpdate}). On one or two threads those loops
         * give each thread its own half of the weights' rows for both gradients and update each
         * slice of rows as soon as its gradient is summed ({@code Kernels.SlicedProduct}), as the
         * single-precision loops ({@code FloatKernels.matmulBackward}) and the module's do, so the
         * update writes only lines of the weights its own core has read (writing a line the other
         * core holds costs about twice writing one of its own, see {@link UpdateOrder}). Measured
         * at {@code nEmbd} 256, 4 layers, 64 positions (fused and unfused steps alternated in one
         * JVM, medians of 8 to 10 rounds), the fused step's speed over the unfused one's, one
         * thread / two: core f64 1.03-1.04 / 0.94-0.97 (two runs, when its products split the
         * input's gradient by positions, so that both cores read every row of the weights),
         * core f32 1.04 / 1.00-1.01, module f64 1.04-1.07 / 1.04-1.07, module f32 1.06-1.10 / 1.02;
         * core f64 with {@code SlicedProduct} fused on two threads against the previous loops
         * unfused (10 rounds of 3 steps, two runs): a step took 0.911 and 0.955 of the time.
         */
        @Override
        public boolean fuses() {
            return workers.threads() <= 2 || f32 != null || ArrayKernels.runsOptionalKernels();
        }
    }

    private Workspace trainingWorkspace() {
        if (trainingWorkspace == null) {
            trainingWorkspace = new Workspace(config, vocabSize);
        }
        return trainingWorkspace;
    }

    /**
     * Computes the mean loss of whole documents and adds the mean of their gradients, on up to
     * {@code threads} threads. Each document's gradient is computed into a buffer of its own by
     * whichever thread takes it; the buffers are then summed in document order, element by
     * element, and divided by the number of documents. The sum of each element is thus the same
     * sequence of additions whatever the number of threads, so the result is bit-identical for 1,
     * 2 or 16 threads, and equal to the sequential definition of
     * {@link LanguageModel#batchLossAndGradients}.
     *
     * <p>The threads share the weights (only read during the call) and each has its own
     * activations. They are kept in a small pool between calls and end after a second of idleness.
     * While the model has an attention listener the documents run on the calling thread alone,
     * since listeners are told there.
     *
     * <p>In {@link Precision#F32} the documents run one after another, each step on the threads
     * of {@link #setThreads}, with the same definition (in floats); {@code threads} is checked but
     * not used.
     *
     * @param documents {@inheritDoc}
     * @param threads {@inheritDoc}
     * @param predictions {@inheritDoc}
     * @return {@inheritDoc}
     * @throws IllegalArgumentException {@inheritDoc}
     * @throws NullPointerException {@inheritDoc}
     */
    @Override
    public double batchLossAndGradients(List<int[]> documents, int threads, List<Predictions> predictions) {
        int[] ends = ModelChecks.batch(documents, threads, predictions, config.blockSize(), vocabSize);
        if (f32 != null) {
            return f32.batchLossAndGradients(documents, ends, predictions, this.workers);
        }
        if (batchRunner == null) {
            batchRunner = new BatchRunner(this);
        }
        // Listeners are told on the calling thread: with any, one worker, the caller.
        int workers = attentionListeners.isEmpty() ? threads : 1;
        parameters.takeClearedGradients();  // the runner adds to the gradients
        return batchRunner.run(documents, ends, workers, predictions, parameters.gradRows());
    }

    /** Copies the distributions and losses of positions {@code [first, end)} out of the workspace. */
    static void keepPredictions(Predictions predictions, Workspace ws, int first, int end) {
        predictions.clear();
        for (int t = first; t < end; t++) {
            predictions.add(t, ws.probs[t], ws.losses[t]);
        }
    }

    /** Names the matrices of a buffer shaped as the parameters' rows (a batch document's gradient). */
    WeightRows weightRowsOf(double[][] rows) {
        return WeightRows.of(parameters, rows, nLayer);
    }

    /**
     * Runs the forward pass over positions {@code 0 .. end-1}, keeping every activation the
     * backward pass needs, and returns the mean loss over {@code [first, end)}: the same fold,
     * {@code (1/n) * (0 + l_first + l_first+1 + ...)}, as {@link ValueLanguageModel#loss}.
     */
    double forwardDocument(Workspace ws, int[] tokens, int first, int end, Workers team) {
        forward(ws, tokens, 0, end, team);
        split(team, first, end, vocabSize,
                (p0, p1) -> Kernels.crossEntropyForward(ws.probs, ws.losses, ws.logits, tokens, p0, p1));
        return Kernels.meanLoss(ws.losses, first, end);
    }

    /**
     * {@link #forwardDocument} for a training step, with the loss's gradient with respect to the
     * logits (and the zeros of the stream's gradient that the backward pass starts from) computed
     * in the same stage as the softmax with cross-entropy: one loop split by positions, each
     * thread taking the gradient of the positions whose probabilities it has just computed.
     * Each position gets the same operations as in {@link #forwardDocument} and the backward
     * pass's own loss gradient, so the bits do not depend on the number of threads. The stage is
     * shared from the width at which the other stages are ({@code nEmbd} numbers a position),
     * so at the reference size it runs on the calling thread. At {@code nEmbd} 256, 4 layers and
     * 64 positions the softmax and the gradient had run on the calling thread in two loops while
     * the other threads waited; measured over the softmax, the mean loss and the loss's gradient
     * (old and new alternated in one JVM, medians of 23-44 rounds of 3 steps' medians), on
     * two threads: core f64 0.0387 to 0.0321 ms, core f32 0.0689 to 0.0521, module f32 0.0509 to
     * 0.0362, module f64 0.0421 to 0.0423; on one thread 0.0427 to 0.0405, 0.0584 to 0.0540,
     * 0.0464 to 0.0436, 0.0402 to 0.0404.
     */
    private double forwardAndLossGradient(Workspace ws, int[] tokens, int first, int end, Workers team) {
        forward(ws, tokens, 0, end, team);
        ws.ensureGradients();
        int n = end - first;
        stage(team, ws, tokens, 0, 0, end, config.nEmbd(),
                (model, w, tok, l, p0, p1) -> model.lossStage(w, tok, first, n, p0, p1));
        return Kernels.meanLoss(ws.losses, first, end);
    }

    /**
     * Positions {@code [p0, p1)} of the softmax with cross-entropy (from {@code first} on) and of
     * the loss's gradient ({@code lossGradient}).
     */
    private void lossStage(Workspace ws, int[] tokens, int first, int n, int p0, int p1) {
        Kernels.crossEntropyForward(ws.probs, ws.losses, ws.logits, tokens, Math.max(first, p0), p1);
        lossGradient(ws, tokens, first, n, p0, p1);
    }

    // ------------------------------------------------------------------------------ stages

    /**
     * The element-wise operations between two matrix products (a residual sum, an RMSNorm, a
     * ReLU, ...), applied to the positions {@code [p0, p1)} of layer {@code l}: one stage. A
     * position's operations read and write that position's rows only, so a stage is split over
     * the team by positions, and each position gets the same operations whichever thread runs it.
     * Fused this way, the threads meet once per stage rather than once per operation.
     */
    @FunctionalInterface
    private interface Stage {
        void run(ArrayGptModel model, Workspace ws, int[] tokens, int l, int p0, int p1);
    }

    /**
     * Runs {@code stage} over the positions {@code [from, to)}, shared out between the team when
     * there is enough of it ({@code width} numbers per position, roughly) and on the calling
     * thread otherwise (with no hand-over at all on one thread).
     */
    private void stage(Workers team, Workspace ws, int[] tokens, int l, int from, int to, int width, Stage stage) {
        int grain = team.grain(to - from, width);
        if (grain == 0) {
            stage.run(this, ws, tokens, l, from, to);
        } else {
            team.forRange(to - from, grain, (p0, p1) -> stage.run(this, ws, tokens, l, from + p0, from + p1));
        }
    }

    /**
     * Runs {@code task} over {@code [from, to)} as {@link #stage} does: for the work done once a
     * step (the loss, the embeddings' gradient), which may capture what it needs.
     */
    static void split(Workers team, int from, int to, int width, Workers.RangeTask task) {
        int grain = team.grain(to - from, width);
        if (grain == 0) {
            task.run(from, to);
        } else {
            team.forRange(to - from, grain, (p0, p1) -> task.run(from + p0, from + p1));
        }
    }

    /**
     * How many times a stage's share of work ({@link Workers#STAGE_GRAIN} numbers) one thread
     * needs before {@link #splitAcross} shares a loop out: 16, so 65,536 numbers a thread.
     */
    static final int ACROSS_GRAIN_FACTOR = 16;

    /**
     * Runs {@code task} over {@code [from, to)} as {@link #split} does, but shares it out only
     * from {@link #ACROSS_GRAIN_FACTOR} times as much work a thread: for the loops of the
     * backward pass that read rows the other threads wrote just before, cut the other way (the
     * loss's gradient of a batch's document, in both precisions, reads the probabilities the
     * calling thread alone computed; a training step takes it with the softmax instead, see
     * {@link #forwardAndLossGradient}; the embeddings' gradient, split by columns, reads rows of the stream's gradient
     * that were split by positions). A helper's part then comes from the other core's cache, which costs more than
     * the part saves while the loop is small: at {@code nEmbd} 256, 4 layers and 64 positions
     * (32,768 numbers for the embeddings' gradient) a step's embeddings' gradient took 0.057 and
     * 0.096 ms on two threads where the calling thread alone took 0.035 and 0.036, and the loss's
     * gradient 0.020 and 0.026 ms against 0.016 and 0.017 (medians of 14 rounds, old and new
     * alternated in one JVM, two runs). The split never changes a result, so
     * neither does this choice; the tests' finely splitting teams still split these loops.
     */
    static void splitAcross(Workers team, int from, int to, int width, Workers.RangeTask task) {
        split(team, from, to, Math.max(1, width / ACROSS_GRAIN_FACTOR), task);
    }

    // ---------------------------------------------------------------------------- the forward pass

    /**
     * Reads the tokens at positions {@code [from, to)} (the positions before {@code from} are
     * already in the workspace's key-value cache), leaving their logits in {@code ws.logits}:
     * layer by layer, each operation applied to all the positions at once. That is
     * {@link GptModel#forward} applied position by position, operation for operation, since
     * attention at position {@code t} only reads the keys and values of positions up to
     * {@code t}. The names follow {@code microgpt.py}'s {@code gpt()}; the element-wise operations
     * between two products are grouped in stages (see {@link Stage}).
     */
    void forward(Workspace ws, int[] tokens, int from, int to, Workers team) {
        // Only the optional module's kernels read this scratch, and only for a product over enough
        // positions: the core's loops, and generation one position at a time, must not allocate
        // it (8 MB at nEmbd 256; for every new sequence, in generation).
        double[][] wT = to - from >= Kernels.MIN_POSITIONS_FOR_TRANSPOSE && ArrayKernels.runsOptionalKernels()
                ? ws.weightsT() : null;
        WeightRows w = weights;
        int c = config.nEmbd();
        stage(team, ws, tokens, 0, from, to, c, ArrayGptModel::embeddingStage);
        for (int l = 0; l < nLayer; l++) {
            WeightRows.Layer lw = w.layers[l];
            // 1) multi-head attention (its RMSNorm is in the stage before)
            Kernels.matmulForward(ws.qkv[l], ws.attnNormed[l], lw.attnQkv, from, to,
                    wT, ws.transposeBlocks, team);
            Kernels.attentionForward(ws.attnOut[l], ws.attnWeights[l], ws.qkv[l], ws.keysT[l], nHead, attnScale,
                    from, to, team, ws.attentionRows);
            if (!attentionListeners.isEmpty()) {
                reportAttention(l, ws.attnWeights[l], from, to);
            }
            Kernels.matmulForward(ws.attnProj[l], ws.attnOut[l], lw.attnWo, from, to,
                    wT, ws.transposeBlocks, team);
            // 2) MLP
            stage(team, ws, tokens, l, from, to, c, ArrayGptModel::mlpInputStage);
            Kernels.matmulForward(ws.mlpHidden[l], ws.mlpNormed[l], lw.mlpFc1, from, to,
                    wT, ws.transposeBlocks, team);
            stage(team, ws, tokens, l, from, to, 4 * c, ArrayGptModel::reluStage);
            Kernels.matmulForward(ws.mlpProj[l], ws.mlpActive[l], lw.mlpFc2, from, to,
                    wT, ws.transposeBlocks, team);
            stage(team, ws, tokens, l, from, to, c, ArrayGptModel::layerOutputStage);
        }
        Kernels.matmulForward(ws.logits, ws.residual[nLayer], w.lmHead, from, to,
                wT, ws.transposeBlocks, team);
    }

    /** {@code x = wte[token] + wpe[t]}, {@code x = rmsnorm(x)}, and the first layer's {@code rmsnorm(x)}. */
    private void embeddingStage(Workspace ws, int[] tokens, int l, int p0, int p1) {
        Kernels.embeddingRmsnormForward(ws.encoded, ws.residual[0], ws.encodedScale, tokens, weights.wte, weights.wpe,
                p0, p1);
        Kernels.rmsnormForward(ws.attnNormed[0], ws.attnNormScale[0], ws.residual[0], p0, p1);
    }

    /** {@code x = x + x_residual} after the attention, and {@code rmsnorm(x)}, the MLP's input. */
    private void mlpInputStage(Workspace ws, int[] tokens, int l, int p0, int p1) {
        Kernels.residualRmsnormForward(ws.afterAttn[l], ws.mlpNormed[l], ws.mlpNormScale[l], ws.attnProj[l],
                ws.residual[l], p0, p1);
    }

    /** The ReLU, in place ({@code mlpActive} is {@code mlpHidden}'s arrays, see {@link Workspace#mlpHidden}). */
    private void reluStage(Workspace ws, int[] tokens, int l, int p0, int p1) {
        Kernels.reluForward(ws.mlpActive[l], ws.mlpHidden[l], p0, p1);
    }

    /** {@code x = x + x_residual} after the MLP, the layer's output, and the next layer's {@code rmsnorm(x)}. */
    private void layerOutputStage(Workspace ws, int[] tokens, int l, int p0, int p1) {
        if (l + 1 < nLayer) {
            Kernels.residualRmsnormForward(ws.residual[l + 1], ws.attnNormed[l + 1], ws.attnNormScale[l + 1],
                    ws.mlpProj[l], ws.afterAttn[l], p0, p1);
        } else {
            Kernels.residualForward(ws.residual[l + 1], ws.mlpProj[l], ws.afterAttn[l], p0, p1);
        }
    }

    /** Tells the listeners the attention weights of layer {@code l}, position by position, head by head. */
    private void reportAttention(int l, double[][][] attnWeights, int from, int to) {
        for (int t = from; t < to; t++) {
            for (int h = 0; h < nHead; h++) {
                AttentionEvent event = new AttentionEvent(l, h, t, Arrays.copyOf(attnWeights[t][h], t + 1));
                attentionListeners.forEach(listener -> listener.onAttention(event));
            }
        }
    }

    // --------------------------------------------------------------------------- the backward pass

    /**
     * Adds to {@code g} the gradient of the mean loss over {@code [first, end)}, after
     * {@link #forwardDocument} has filled the workspace: the forward pass in reverse, each
     * operation's backward for all positions at once.
     *
     * <p>The gradient of the residual stream is one buffer, {@code dStream}, added to in
     * place all the way down: the gradient of {@code a + b} is the output's gradient for both
     * {@code a} and {@code b}, so a residual sum's backward passes the same rows on, and each
     * block's RMSNorm adds its part to them. The products' input gradients are written, not added
     * to ({@code Kernels.matmulBackwardOverwrite}); every other gradient is set to 0 (row by row,
     * in the stage before the operation that adds to it) rather than all at once before the pass.
     * {@code cleared} says that every weight gradient in {@code g} is {@code +0.0} (Adam has just
     * reset them), so kernels that can may start those sums from zero instead of reading them.
     */
    void backwardDocument(Workspace ws, int[] tokens, int first, int end, WeightRows g, Workers team,
                          boolean cleared) {
        backwardDocument(ws, tokens, first, end, g, team, cleared, null, false);
    }

    /**
     * {@link #backwardDocument(Workspace, int[], int, int, WeightRows, Workers, boolean)} that,
     * unless {@code update} is null, runs it over each matrix's rows of the model's own
     * gradients ({@code g} is then {@link #grads}) right after the product that completes them
     * (see {@link FusedRows} why no later operation minds). {@code lossGradientDone} says that
     * {@link #forwardAndLossGradient} has already taken the loss's gradient.
     */
    private void backwardDocument(Workspace ws, int[] tokens, int first, int end, WeightRows g, Workers team,
                                  boolean cleared, RangeTask update, boolean lossGradientDone) {
        ws.ensureGradients();
        WeightRows w = weights;
        int c = config.nEmbd();
        double[][] dStream = ws.dStream;
        int n = end - first;
        if (!lossGradientDone) {
            splitAcross(team, 0, end, 4 * c, (p0, p1) -> lossGradient(ws, tokens, first, n, p0, p1));
        }
        FusedRows at = fusedRows;
        backwardProduct(dStream, g.lmHead, ws.dLogits, ws.residual[nLayer], w.lmHead, first, end, team, cleared,
                update, update == null ? 0 : at.lmHead);
        // One method per layer, and a loop that counts up (see backwardLayer).
        for (int k = 0; k < nLayer; k++) {
            int l = nLayer - 1 - k;
            backwardLayer(ws, tokens, l, end, w.layers[l], g.layers[l], team, cleared, update, at, dStream, c);
        }
        // By columns: positions with the same token add to the same row of wte.
        splitAcross(team, 0, c, 2 * end, (c0, c1) -> Kernels.embeddingBackward(g.wte, g.wpe, ws.dEncoded, tokens,
                0, end, c0, c1));
        if (update != null) {
            FusedRows.update(update, team, at.wte, w.wte);
            FusedRows.update(update, team, at.wpe, w.wpe);
        }
    }

    /**
     * Layer {@code l} of {@link #backwardDocument}: its MLP, then its attention, in reverse. A
     * method of its own, over {@code FreqInlineSize} (325 bytes of bytecode), so that C2 compiles
     * it apart and {@code backwardDocument} stays small; and {@code backwardDocument}'s loop over
     * the layers counts up. The loop had counted down ({@code l = nLayer - 1; l >= 0; l--}): at
     * the reference size's one layer C2's compiled pass then failed its loop-limit check at the
     * loop's test on its first run, and C2 compiled the whole pass, every layer's kernels inlined,
     * a second time (HotSpot 17, fresh JVMs of {@code bench --engine array}: 14.5-22 KB of code
     * and 76-451 ms, twice, per JVM). Now the layer is compiled once and the rest of the pass
     * (3.5 KB) once. The operations and their order are those of the loop they came from.
     */
    private void backwardLayer(Workspace ws, int[] tokens, int l, int end, WeightRows.Layer lw, WeightRows.Layer lg,
                               Workers team, boolean cleared, RangeTask update, FusedRows at, double[][] dStream,
                               int c) {
        // 2) MLP
        backwardProduct(ws.dMlpActive[l], lg.mlpFc2, dStream, ws.mlpActive[l], lw.mlpFc2, 0, end, team, cleared,
                update, update == null ? 0 : at.mlpFc2[l]);
        stage(team, ws, tokens, l, 0, end, 4 * c, ArrayGptModel::reluGradientStage);
        backwardProduct(ws.dMlpNormed[l], lg.mlpFc1, ws.dMlpHidden[l], ws.mlpNormed[l], lw.mlpFc1, 0, end, team,
                cleared, update, update == null ? 0 : at.mlpFc1[l]);
        stage(team, ws, tokens, l, 0, end, 4 * c, ArrayGptModel::mlpNormGradientStage);
        // 1) multi-head attention
        backwardProduct(ws.dAttnOut[l], lg.attnWo, dStream, ws.attnOut[l], lw.attnWo, 0, end, team, cleared,
                update, update == null ? 0 : at.attnWo[l]);
        Kernels.attentionBackward(ws.dQkv[l], ws.dAttnOut[l], ws.qkv[l], ws.attnWeights[l], ws.valuesT,
                ws.dAttnWeights, nHead, attnScale, 0, end, team, ws.attentionRows);
        backwardProduct(ws.dAttnNormed[l], lg.attnQkv, ws.dQkv[l], ws.attnNormed[l], lw.attnQkv, 0, end, team,
                cleared, update, update == null ? 0 : at.attnQkv[l]);
        stage(team, ws, tokens, l, 0, end, 4 * c, ArrayGptModel::attnNormGradientStage);
    }

    /**
     * {@link Kernels#matmulBackwardOverwrite}, then, unless {@code update} is null, the update of
     * the matrix's rows, which start at row {@code first} of the parameters. The optional
     * module's kernels run the update inside the product, each slice of rows right after the
     * thread that took it has summed its gradient (from the thread's own scratch when the
     * gradients start cleared), so that the update reads those gradients from that core's caches
     * and needs no loop of its own, as in single precision ({@code FloatGpt.backwardProduct}).
     * Measured at {@code nEmbd} 256 with the optional module (fused steps, the update after each
     * product and this one alternated in one JVM, seven runs of 14-16 s, medians of 16-20 rounds
     * of 6 steps each): the backward products with their updates on two threads took 0.874,
     * 0.905, 0.898, 0.838, 0.952, 0.933 and 0.953 of the time, a step 0.964, 0.952, 0.931,
     * 0.894, 0.977, 0.979 and 0.963; on one thread 0.980, 0.976, 0.971, 0.998, 1.010, 0.980 and
     * 0.974, a step 0.981, 0.984, 0.982, 0.999, 1.010, 0.991 and 0.980. The core's loops do the
     * same on one or two threads ({@link Kernels#matmulBackwardOverwriteAndUpdate}); on more
     * threads, and for the small-shape kernels' products, the update runs after the product, on
     * the team ({@link FusedRows}).
     */
    private static void backwardProduct(double[][] din, double[][] dw, double[][] dout, double[][] in, double[][] w,
                                        int from, int to, Workers team, boolean cleared, RangeTask update,
                                        int first) {
        if (update != null && Kernels.matmulBackwardOverwriteAndUpdate(din, dw, dout, in, w, from, to, team,
                cleared, update, first)) {
            return;
        }
        Kernels.matmulBackwardOverwrite(din, dw, dout, in, w, from, to, team, cleared);
        if (update != null) {
            FusedRows.update(update, team, first, w);
        }
    }

    /**
     * Positions {@code [p0, p1)} of the gradient of the mean of the {@code n} losses from
     * {@code first} on, and zeros for the stream's gradient before {@code first}, where the
     * output layer's product, which writes it from {@code first} on, does not.
     */
    private void lossGradient(Workspace ws, int[] tokens, int first, int n, int p0, int p1) {
        Kernels.zeroRows(ws.dStream, p0, Math.min(p1, first));
        int from = Math.max(first, p0);
        Kernels.crossEntropyGradient(ws.dLogits, ws.probs, tokens, from, p1, n);
    }

    /**
     * The ReLU's gradient, in place ({@code dMlpHidden} is {@code dMlpActive}'s arrays), from the
     * ReLU's output: the forward pass wrote it over its input, and it is positive exactly where
     * the input was.
     */
    private void reluGradientStage(Workspace ws, int[] tokens, int l, int p0, int p1) {
        Kernels.reluGradient(ws.dMlpHidden[l], ws.dMlpActive[l], ws.mlpActive[l], p0, p1);
    }

    /** The MLP's RMSNorm into the stream's gradient, and zeros for the attention's, which adds to them. */
    private void mlpNormGradientStage(Workspace ws, int[] tokens, int l, int p0, int p1) {
        Kernels.rmsnormBackward(ws.dStream, ws.dMlpNormed[l], ws.afterAttn[l], ws.mlpNormScale[l], p0, p1);
        Kernels.zeroRows(ws.dQkv[l], p0, p1);
    }

    /**
     * The attention's RMSNorm into the stream's gradient; then, in the first layer, the gradient
     * of the embedding's RMSNorm.
     */
    private void attnNormGradientStage(Workspace ws, int[] tokens, int l, int p0, int p1) {
        double[][] dStream = ws.dStream;
        Kernels.rmsnormBackward(dStream, ws.dAttnNormed[l], ws.residual[l], ws.attnNormScale[l], p0, p1);
        if (l == 0) {
            Kernels.zeroRows(ws.dEncoded, p0, p1);
            Kernels.rmsnormBackward(ws.dEncoded, dStream, ws.encoded, ws.encodedScale, p0, p1);
        }
    }

    // ------------------------------------------------------------------------------ generation

    @Override
    public Sequence newSequence() {
        if (f32 != null) {
            return f32.newSequence();
        }
        // The key-value cache of every position, one row for each other activation.
        Workspace ws = Workspace.forGeneration(config, vocabSize);
        int blockSize = config.blockSize();
        int[] read = new int[blockSize];
        return new Sequence() {
            private int length;

            @Override
            public int length() {
                return length;
            }

            @Override
            public double[] next(int tokenId) {
                ModelChecks.token(tokenId, vocabSize, "the token");
                ModelChecks.position(length, blockSize);
                read[length] = tokenId;
                forward(ws, read, length, length + 1, SINGLE_THREAD);
                length++;
                return ws.logits[length - 1].clone();
            }
        };
    }

    /**
     * What this model is: its configuration, vocabulary size, parameter count, precision and
     * threads, as {@link GptModel} prints its own.
     *
     * @return for example {@code ArrayGptModel[GptConfig[nLayer=1, nEmbd=16, ...], vocabSize=27,
     *     4192 parameters, precision=f64, threads=1]}
     */
    @Override
    public String toString() {
        return "ArrayGptModel[" + config + ", vocabSize=" + vocabSize + ", " + parameters().size()
                + " parameters, precision=" + precision.id() + ", threads=" + threads() + "]";
    }
}
