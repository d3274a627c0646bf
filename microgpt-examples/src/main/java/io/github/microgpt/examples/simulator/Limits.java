package io.github.microgpt.examples.simulator;

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
    /** The model's number of layers. */
    static final Range LAYERS = Range.whole("Layers", 1, 4);
    /** The model's embedding size. */
    static final Range EMBEDDING = Range.whole("Embedding size", 4, 64);
    /** The model's number of attention heads per layer. */
    static final Range HEADS = Range.whole("Heads", 1, 8);
    /** The model's block size (the longest context). */
    static final Range BLOCK_SIZE = Range.whole("Block size", 2, 32);
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
     * The most work a step may take, as block size × number of parameters: 250,000, about four
     * times the default model's 67,072. The scalar engine's step time grows with both; within this
     * budget the longest step measured was about 70 ms, so Stop still answers at once.
     */
    static final long MAX_STEP_WORK = 250_000;
    /** How many samples the page keeps. */
    static final int MAX_SAMPLES = 200;

    private Limits() {
    }

    /**
     * Refuses a model so large that one step would take long enough to make the page sluggish
     * and Stop slow to answer.
     *
     * @param config the model's shape
     * @param vocabSize its vocabulary size, BOS included
     * @throws ApiException (400) saying how large the model is and what to change
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
     * Whether a model's shape is within the page's ranges (its layers, embedding size, heads and
     * block size).
     *
     * @param config the shape
     * @return whether each is in its range
     */
    static boolean fitsTheRanges(GptConfig config) {
        return LAYERS.contains(config.nLayer()) && EMBEDDING.contains(config.nEmbd()) && HEADS.contains(config.nHead())
                && BLOCK_SIZE.contains(config.blockSize());
    }

    /**
     * The ranges of a model's shape, for messages.
     *
     * @return for example "Layers 1–4, Embedding size 4–64, Heads 1–8, Block size 2–32"
     */
    static String shapeRanges() {
        return String.join(", ", LAYERS.span(), EMBEDDING.span(), HEADS.span(), BLOCK_SIZE.span());
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
