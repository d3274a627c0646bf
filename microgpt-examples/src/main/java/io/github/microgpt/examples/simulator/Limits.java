package io.github.microgpt.examples.simulator;

import io.github.microgpt.model.Architecture;
import io.github.microgpt.model.Engine;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.InvalidSettingException;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Every limit of the simulator in one table: the numbers the page may set, and how large a
 * dataset, a model and the list of samples may be. Reset checks its request against these
 * entries, Load checks a checkpoint against the same ones, and every refusal quotes them, so a
 * limit is written once.
 */
final class Limits {

    /** Num steps: the length of a run, which sets the learning-rate schedule. */
    static final Range NUM_STEPS = Range.whole("Num steps", 1, 100_000);
    /** The sampling temperature: the page's slider. */
    static final Range TEMPERATURE = Range.from("Temperature", 0.1, 1.5);
    /** How many samples one Generate draws. */
    static final Range SAMPLE_COUNT = Range.whole("The number of samples", 1, 100);
    /** Adam's base learning rate. */
    static final Range LEARNING_RATE = Range.above("Learning rate", 0, 1);
    /** The random seed: up to 2^53 - 1, so that the page's JavaScript numbers hold it exactly. */
    static final Range SEED = Range.whole("Seed", 0, (1L << 53) - 1);

    /** The largest dataset text accepted, in characters. */
    static final int MAX_TEXT_CHARS = 1_000_000;
    /**
     * The longest document, in characters. A step reads at most a block size of a document's tokens
     * (the block size is at most 32 with the Value engine and 64 with the array engine, see
     * {@link #VALUE_GPT} and {@link #ARRAY_GPT}), so this is far more than any model reads; the
     * limit keeps a dataset's documents readable in the log and the overlay.
     */
    static final int MAX_DOCUMENT_CHARS = 1_000;
    /** The most distinct characters a dataset may have. */
    static final int MAX_VOCAB = 200;
    /** The longest name of a dataset, as shown on the page. */
    static final int MAX_DATASET_NAME_CHARS = 200;
    /** The shape's ranges with the Value engine: what the page and its diagram are made for. */
    private static final Range VALUE_LAYERS = Range.whole("Layers", 1, 4);
    private static final Range VALUE_EMBEDDING = Range.whole("Embedding size", 4, 64);
    private static final Range VALUE_HEADS = Range.whole("Heads", 1, 8);
    private static final Range VALUE_BLOCK = Range.whole("Block size", 2, 32);

    /**
     * The largest GPT the Value engine trains live. Its step time grows with block size × number
     * of parameters; within 250,000 (about four times the default model's 67,072) the longest
     * step measured was about 70 ms, so Stop still answers at once.
     */
    static final Model VALUE_GPT = new Model(Architecture.GPT, Engine.VALUE, VALUE_LAYERS, VALUE_EMBEDDING,
            VALUE_HEADS, VALUE_BLOCK, 250_000);
    /**
     * The largest GPT the array engine trains live: the same step time buys about 26 times the
     * work (a whole-document step of 4 layers, embedding 64, block 32, 202,112 parameters, took
     * 100 ms on a busy 2-core machine, where the Value engine took 10 s).
     */
    static final Model ARRAY_GPT = new Model(Architecture.GPT, Engine.ARRAY, Range.whole("Layers", 1, 8),
            Range.whole("Embedding size", 4, 128), Range.whole("Heads", 1, 16), Range.whole("Block size", 2, 64),
            6_500_000);
    /**
     * The attention-only model (Value engine): a GPT without its MLP, so every position reads
     * every weight as the GPT's does, and the GPT's budget holds.
     */
    static final Model VALUE_ATTENTION = new Model(Architecture.ATTENTION, Engine.VALUE, VALUE_LAYERS,
            VALUE_EMBEDDING, VALUE_HEADS, VALUE_BLOCK, 250_000);
    /**
     * The MLP (Value engine): every position reads all of {@code mlp_fc1} and {@code lm_head},
     * so the GPT's budget holds. It uses the embedding size and the block size (the longest
     * document it reads); layers and heads are checked only so that the configuration stays
     * one that the other models can take.
     */
    static final Model VALUE_MLP = new Model(Architecture.MLP, Engine.VALUE, VALUE_LAYERS, VALUE_EMBEDDING,
            VALUE_HEADS, VALUE_BLOCK, 250_000);
    /**
     * The bigram model (Value engine): a position reads one row of its table, so block size ×
     * parameters overstates its step by the vocabulary size; the budget lets every table of
     * {@value #MAX_VOCAB} characters and BOS (201 × 201 × block 32 = 1,292,832) through.
     */
    static final Model VALUE_BIGRAM = new Model(Architecture.BIGRAM, Engine.VALUE, VALUE_LAYERS, VALUE_EMBEDDING,
            VALUE_HEADS, VALUE_BLOCK, 1_300_000);
    /** The table: one entry per model the simulator trains. */
    static final List<Model> MODELS = List.of(VALUE_BIGRAM, VALUE_MLP, VALUE_ATTENTION, VALUE_GPT, ARRAY_GPT);

    /** How many samples the page keeps. */
    static final int MAX_SAMPLES = 200;

    private Limits() {
    }

    /**
     * The limits of a model on an engine.
     *
     * @param architecture the model
     * @param engine the engine
     * @return its limits
     * @throws ApiException (400) if the engine does not compute that model (the array engine
     *     computes only the GPT)
     */
    static Model of(Architecture architecture, Engine engine) {
        for (Model model : MODELS) {
            if (model.architecture() == architecture && model.engine() == engine) {
                return model;
            }
        }
        throw ApiException.badRequest("the " + engine.id() + " engine computes only the GPT; the "
                + architecture.id() + " model runs on the value engine (send \"engine\": \"value\", or leave the"
                + " engine out)");
    }

    /**
     * The largest model of one kind an engine trains live: the ranges of its shape, and the most
     * work a step may take, as block size × number of parameters, so that a step stays short
     * enough for the page to follow and for Stop to answer at once.
     *
     * @param architecture the model of the progression
     * @param engine the engine
     * @param layers the number of layers
     * @param embedding the embedding size
     * @param heads the number of heads
     * @param blockSize the block size
     * @param maxStepWork the most block size × parameters
     */
    record Model(Architecture architecture, Engine engine, Range layers, Range embedding, Range heads, Range blockSize, long maxStepWork) {

        /**
         * Checks the numbers of a model's shape, each against its range, and builds the shape.
         * Whether the heads divide the embedding is {@link GptConfig}'s rule, and its refusal is
         * told here in the page's words (as {@code microgpt train} tells it in its options').
         *
         * @param nLayer the number of layers
         * @param nEmbd the embedding size
         * @param nHead the number of heads
         * @param blockSize the block size
         * @param initStd the standard deviation of the initial weights
         * @return the shape
         * @throws ApiException (400) naming the first value out of range, or GptConfig's refusal
         *     with the page's labels ("Embedding size (16) must be divisible by Heads (3) ...")
         */
        GptConfig config(long nLayer, long nEmbd, long nHead, long blockSize, double initStd) {
            checkRanges(nLayer, nEmbd, nHead, blockSize);
            try {
                return new GptConfig((int) nLayer, (int) nEmbd, (int) nHead, (int) blockSize, initStd);
            } catch (InvalidSettingException e) {
                // GptConfig's components, named as the page labels them.
                Map<String, String> labels = Map.of("nLayer", layers.label(), "nEmbd", embedding.label(),
                        "nHead", heads.label(), "blockSize", blockSize().label());
                throw ApiException.badRequest(e.message(labels::get));
            }
        }

        /** Each number of a shape against its range (the range depends on the engine). */
        private void checkRanges(long nLayer, long nEmbd, long nHead, long blockSize) {
            check(layers, nLayer);
            check(embedding, nEmbd);
            check(heads, nHead);
            check(blockSize(), blockSize);
        }

        /**
         * Checks a model's shape and size.
         *
         * @param config the shape
         * @param vocabSize its vocabulary size, BOS included
         * @throws ApiException (400) naming the first value out of range, or saying how large the
         *     model is and what to change
         */
        void check(GptConfig config, int vocabSize) {
            checkRanges(config.nLayer(), config.nEmbd(), config.nHead(), config.blockSize());
            long params = architecture.numParameters(config, vocabSize);
            long work = params > Long.MAX_VALUE / config.blockSize() ? Long.MAX_VALUE : params * config.blockSize();
            if (work > maxStepWork) {
                String what = architecture == Architecture.GPT ? "" : " for the " + architecture.id() + " model";
                throw ApiException.badRequest(String.format(Locale.ROOT, "this model is too large to train live:"
                        + " block size × parameters is %,d (%d layers, embedding size %d, block size %d, %d tokens,"
                        + " %,d parameters) and the simulator allows at most %,d%s with the %s engine, which keeps a"
                        + " step under about 0.1 s. Choose fewer layers, a smaller embedding or a shorter block%s",
                        work, config.nLayer(), config.nEmbd(), config.blockSize(), vocabSize, params, maxStepWork,
                        what, engine.id(), architecture == Architecture.GPT && engine == Engine.VALUE
                                ? ", or the array engine" : ""));
            }
        }

        private void check(Range range, long value) {
            if (!range.contains(value)) {
                throw ApiException.badRequest(range.label() + " must be " + range.expectation() + " with the "
                        + engine.id() + " engine, got " + value);
            }
        }

        /**
         * The ranges of the shape, for messages.
         *
         * @return for example "Layers 1–4, Embedding size 4–64, Heads 1–8, Block size 2–32"
         */
        String ranges() {
            return String.join(", ", layers.span(), embedding.span(), heads.span(), blockSize.span());
        }
    }

    /**
     * A number the page may set: its name as the page labels it, and its range.
     *
     * @param label the name the page shows, which starts every message about the value
     * @param min the bound below
     * @param minInclusive whether {@code min} itself is allowed
     * @param max the largest allowed value
     * @param whole whether only whole numbers are allowed
     */
    record Range(String label, double min, boolean minInclusive, double max, boolean whole) {

        static Range whole(String label, long min, long max) {
            return new Range(label, min, true, max, true);
        }

        static Range from(String label, double min, double max) {
            return new Range(label, min, true, max, false);
        }

        static Range above(String label, double min, double max) {
            return new Range(label, min, false, max, false);
        }

        /** A whole number whose range depends on something else (the shape's, on the engine). */
        static Range anyWhole(String label) {
            return new Range(label, Long.MIN_VALUE, true, Long.MAX_VALUE, true);
        }

        /**
         * Whether a value is in the range.
         *
         * @param value the value
         * @return whether it is allowed
         */
        boolean contains(double value) {
            boolean aboveMin = minInclusive ? value >= min : value > min;
            return Double.isFinite(value) && aboveMin && value <= max && (!whole || value == Math.rint(value));
        }

        /**
         * What an allowed value is, for messages.
         *
         * @return for example "a whole number from 1 to 100000"
         */
        String expectation() {
            if (whole && min == Long.MIN_VALUE) {
                return "a whole number";
            }
            if (whole) {
                return "a whole number from " + (long) min + " to " + (long) max;
            }
            return "a number " + (minInclusive ? "from " + min + " to " + max : "above " + min + " and at most " + max);
        }

        /**
         * The refusal of a value that is not allowed.
         *
         * @param got the value as it was sent (JSON text)
         * @return the exception (400)
         */
        ApiException refuse(String got) {
            return refuseShown(ApiException.excerpt(got));
        }

        /**
         * The refusal of a value that is not allowed, shown already as a message shows it.
         *
         * @param shown the value's excerpt ({@link ApiException#excerpt}, {@link JsonSyntax#shown})
         * @return the exception (400)
         */
        ApiException refuseShown(String shown) {
            return ApiException.badRequest(label + " must be " + expectation() + ", got " + shown);
        }

        /**
         * A whole number checked against the range.
         *
         * @param value the value, or {@code null} if it was not sent
         * @return the value
         * @throws ApiException (400) if it is outside the range
         */
        Long check(Long value) {
            if (value != null && !contains(value)) {
                throw refuse(value.toString());
            }
            return value;
        }

        /**
         * A number checked against the range.
         *
         * @param value the value, or {@code null} if it was not sent
         * @return the value
         * @throws ApiException (400) if it is outside the range
         */
        Double check(Double value) {
            if (value != null && !contains(value)) {
                throw refuse(value.toString());
            }
            return value;
        }

        /** The range in short, as in "Layers 1–4". */
        String span() {
            return label + " " + (long) min + "–" + (long) max;
        }
    }
}
