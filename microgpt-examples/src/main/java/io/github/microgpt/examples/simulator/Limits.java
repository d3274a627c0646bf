package io.github.microgpt.examples.simulator;

import io.github.microgpt.model.Architecture;
import io.github.microgpt.model.Engine;
import io.github.microgpt.model.GptConfig;
import java.util.Locale;

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
     * The longest document, in characters. The model reads at most a block size (32) of them; the
     * limit keeps a dataset's documents readable in the log and the overlay.
     */
    static final int MAX_DOCUMENT_CHARS = 1_000;
    /** The most distinct characters a dataset may have. */
    static final int MAX_VOCAB = 200;
    /** The longest name of a dataset, as shown on the page. */
    static final int MAX_DATASET_NAME_CHARS = 200;
    /**
     * The largest models the Value engine trains live. Its step time grows with block size ×
     * number of parameters; within 250,000 (about four times the default model's 67,072) the
     * longest step measured was about 70 ms, so Stop still answers at once.
     */
    static final Model VALUE_ENGINE = new Model(Engine.VALUE, Range.whole("Layers", 1, 4),
            Range.whole("Embedding size", 4, 64), Range.whole("Heads", 1, 8), Range.whole("Block size", 2, 32), 250_000);
    /**
     * The largest models the array engine trains live: the same step time buys about 26 times the
     * work (a whole-document step of 4 layers, embedding 64, block 32, 202,112 parameters, took
     * 100 ms on a busy 2-core machine, where the Value engine took 10 s).
     */
    static final Model ARRAY_ENGINE = new Model(Engine.ARRAY, Range.whole("Layers", 1, 8),
            Range.whole("Embedding size", 4, 128), Range.whole("Heads", 1, 16), Range.whole("Block size", 2, 64),
            6_500_000);
    /** How many samples the page keeps. */
    static final int MAX_SAMPLES = 200;

    private Limits() {
    }

    /**
     * The limits of an engine.
     *
     * @param engine the engine
     * @return its limits
     */
    static Model of(Engine engine) {
        return engine == Engine.ARRAY ? ARRAY_ENGINE : VALUE_ENGINE;
    }

    /**
     * The largest model an engine trains live: the ranges of its shape, and the most work a step
     * may take, as block size × number of parameters, so that a step stays short enough for the
     * page to follow and for Stop to answer at once.
     *
     * @param engine the engine
     * @param layers the number of layers
     * @param embedding the embedding size
     * @param heads the number of heads
     * @param blockSize the block size
     * @param maxStepWork the most block size × parameters
     */
    record Model(Engine engine, Range layers, Range embedding, Range heads, Range blockSize, long maxStepWork) {

        /**
         * Checks the numbers of a model's shape, each against its range.
         *
         * @param nLayer the number of layers
         * @param nEmbd the embedding size
         * @param nHead the number of heads
         * @param blockSize the block size
         * @throws ApiException (400) naming the first value out of range
         */
        void checkShape(long nLayer, long nEmbd, long nHead, long blockSize) {
            check(layers, nLayer);
            check(embedding, nEmbd);
            check(heads, nHead);
            check(blockSize(), blockSize);
            if (nEmbd % nHead != 0) {
                throw ApiException.badRequest("Embedding size (" + nEmbd + ") must be divisible by Heads (" + nHead
                        + ") so that every head gets the same number of dimensions");
            }
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
            checkShape(config.nLayer(), config.nEmbd(), config.nHead(), config.blockSize());
            long params = Architecture.GPT.parameterCount(config, vocabSize);
            long work = params * config.blockSize();
            if (work > maxStepWork) {
                throw ApiException.badRequest(String.format(Locale.ROOT, "this model is too large to train live:"
                        + " block size × parameters is %,d (%d layers, embedding size %d, block size %d, %d tokens,"
                        + " %,d parameters) and the simulator allows at most %,d with the %s engine, which keeps a"
                        + " step under about 0.1 s. Choose fewer layers, a smaller embedding or a shorter block%s",
                        work, config.nLayer(), config.nEmbd(), config.blockSize(), vocabSize, params, maxStepWork,
                        engine.id(), engine == Engine.VALUE ? ", or the array engine" : ""));
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
            return "a number " + (minInclusive ? "from " + min : "above " + min) + " to " + max;
        }

        /**
         * The refusal of a value that is not allowed.
         *
         * @param got the value as it was sent (JSON text)
         * @return the exception (400)
         */
        ApiException refuse(String got) {
            return ApiException.badRequest(label + " must be " + expectation() + ", got " + got);
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
