package io.github.microgpt.sample;

import io.github.microgpt.internal.HeapBudget;
import io.github.microgpt.internal.Listeners;
import io.github.microgpt.internal.ModelChecks;
import io.github.microgpt.internal.ModelUse;
import io.github.microgpt.internal.Quoted;
import io.github.microgpt.model.LanguageModel;
import io.github.microgpt.model.Parameters;
import io.github.microgpt.model.Softmax;
import io.github.microgpt.random.RandomSource;
import io.github.microgpt.text.Tokenizer;
import io.github.microgpt.text.VisibleText;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Generates text from a model, one token at a time, as {@code microgpt.py} does after training.
 *
 * <p>A sample starts from BOS. At each position the model's logits are divided by the
 * temperature and turned into probabilities, and the next token is drawn from them
 * ({@link RandomSource#choice(double[])}). The sample ends when BOS is drawn or when the context
 * is full (block size). A temperature below 1 makes likely tokens likelier (safer, more repetitive
 * names); above 1 makes the distribution flatter (more varied, noisier names).
 *
 * <p>{@link SamplingOptions} add controls: a prefix for the sample to continue, a top-k filter,
 * and a maximum length. With the default options (no prefix, no filter) a sample is drawn exactly
 * as {@code microgpt.py} draws it. The seed is the random source's: {@code new PythonRandom(seed)}.
 *
 * <p>The sampler numbers the samples it starts 1, 2, 3, ..., as {@code microgpt.py} prints them;
 * listeners see the number in every event. {@link TokenListener}s hear every token drawn, and
 * {@link SampleListener}s every finished sample. A listener added twice hears every event twice,
 * and each remove takes one registration away. Listeners are told after the token is drawn and
 * appended: if one throws, the generation has moved past that token, later listeners of that
 * event are not told, and the exception reaches the caller: {@code sample} then loses the sample
 * in progress and {@code samples} every text of the call, and the sample's number stays used.
 *
 * <pre>{@code
 * var sampler = new Sampler(model, tokenizer, random);
 * for (String name : sampler.samples(20, 0.5)) System.out.println(name);
 * String name = sampler.sample(SamplingOptions.defaults().withPrefix("ma").withTopK(5));
 * }</pre>
 *
 * <p><b>Threads.</b> A sampler is used from one thread: it counts its samples and draws from one
 * random source. Many threads may sample one model at once, each with a sampler and a random
 * source of its own (the model's other readers, {@code Evaluation} and {@link NextToken}, may
 * run beside them too): each thread draws exactly the names it would draw alone, however the
 * threads interleave. This holds for the library's models; a model of another class is read by
 * one thread at a time, and a token that finds it read on another thread is refused. A token
 * that finds its model being trained on another thread is refused with a
 * {@link java.util.ConcurrentModificationException} before it is drawn (it would have read the
 * weights of two steps), and so is a training step that finds a token being drawn. Best effort:
 * the uses must overlap for it to be seen. A step taken between two tokens of one
 * {@link Generation}, on any thread, is not seen: the tokens after it are drawn from the new
 * weights over the keys and values the old ones computed. Listeners may be added and removed
 * from any thread; they are told on the thread that samples.
 *
 * <p><b>Overflow.</b> A model whose weights are finite but so large that its logits overflow (a
 * damaged or hand-made checkpoint, or a training run that diverged) cannot be sampled: every
 * method that draws a token throws a {@link NonFiniteLogitsException} (an
 * {@link IllegalStateException}) saying so, naming the position and the token, rather than
 * drawing from a distribution of NaNs.
 */
public final class Sampler {

    private final LanguageModel model;
    private final Tokenizer tokenizer;
    private final RandomSource random;
    private final Listeners<TokenListener> tokenListeners = new Listeners<>();
    private final Listeners<SampleListener> sampleListeners = new Listeners<>();
    /**
     * The least memory one text of {@link #samples(int, SamplingOptions)} takes, even empty: its
     * place in the list, the {@code String} object and the header of its array of characters.
     */
    private static final long BYTES_PER_SAMPLE = 48;
    /** The number of samples started so far, which numbers the next one. */
    private int samplesStarted;

    /**
     * Creates a sampler.
     *
     * @param model the model to sample from
     * @param tokenizer the tokenizer the model was trained with
     * @param random the source of the draws
     * @throws IllegalArgumentException if the tokenizer's vocabulary size is not the model's
     * @throws NullPointerException if an argument is null, naming it
     */
    public Sampler(LanguageModel model, Tokenizer tokenizer, RandomSource random) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(tokenizer, "tokenizer");
        Objects.requireNonNull(random, "random");
        ModelChecks.sameVocabulary(tokenizer.vocabSize(), model.vocabSize());
        this.model = model;
        this.tokenizer = tokenizer;
        this.random = random;
    }

    /**
     * Adds a listener that hears about every token drawn from now on.
     *
     * @param listener the listener
     */
    public void addTokenListener(TokenListener listener) {
        tokenListeners.add(listener);
    }

    /**
     * Removes a token listener, one registration of it if it was added more than once;
     * nothing happens if it was not added.
     *
     * @param listener the listener
     */
    public void removeTokenListener(TokenListener listener) {
        tokenListeners.remove(listener);
    }

    /**
     * Adds a listener that hears about every finished sample from now on.
     *
     * @param listener the listener
     */
    public void addSampleListener(SampleListener listener) {
        sampleListeners.add(listener);
    }

    /**
     * Removes a sample listener, one registration of it if it was added more than once;
     * nothing happens if it was not added.
     *
     * @param listener the listener
     */
    public void removeSampleListener(SampleListener listener) {
        sampleListeners.remove(listener);
    }

    /**
     * The number of samples this sampler has started, which is the number of the last one.
     *
     * @return from 0
     */
    public int samplesStarted() {
        return samplesStarted;
    }

    /**
     * Generates {@code count} samples, numbered on from {@link #samplesStarted()}.
     *
     * @param count how many; not negative, and few enough that the list fits in half of the Java
     *     heap (at least 48 bytes a text: about ten million texts a gigabyte of heap)
     * @param temperature positive and finite
     * @return the texts
     * @throws IllegalArgumentException if the count is negative or too large for the heap
     *     (call {@link #sample(double)} in a loop to handle the texts one at a time), or the
     *     temperature is not positive and finite
     * @throws NonFiniteLogitsException if the model's logits are not finite (see the class comment)
     * @throws java.util.ConcurrentModificationException if another thread is training the model
     *     at this moment, or reading a model of a class outside the library (see the class comment);
     *     the texts drawn before are lost with the list, as when a listener throws
     */
    public List<String> samples(int count, double temperature) {
        return samples(count, SamplingOptions.defaults().withTemperature(temperature));
    }

    /**
     * Generates {@code count} samples with the given options, numbered on from
     * {@link #samplesStarted()}.
     *
     * @param count how many; not negative, and few enough that the list fits in half of the Java
     *     heap (at least 48 bytes a text: about ten million texts a gigabyte of heap)
     * @param options the temperature, top-k, prefix and maximum length
     * @return the texts, each starting with the prefix
     * @throws IllegalArgumentException if the count is negative or too large for the heap (the
     *     message names both; call {@link #sample(SamplingOptions)} in a loop to handle the texts
     *     one at a time), or the options do not fit the model (see {@link #start(SamplingOptions)})
     * @throws NonFiniteLogitsException if the model's logits are not finite (see the class comment)
     * @throws java.util.ConcurrentModificationException if another thread is training the model
     *     at this moment, or reading a model of a class outside the library (see the class comment);
     *     the texts drawn before are lost with the list, as when a listener throws
     */
    public List<String> samples(int count, SamplingOptions options) {
        return samples(count, options, Runtime.getRuntime().maxMemory());
    }

    /**
     * {@link #samples(int, SamplingOptions)} against a given heap limit, so that a test can
     * check the refusal whatever heap its JVM has.
     */
    List<String> samples(int count, SamplingOptions options, long heapLimit) {
        Objects.requireNonNull(options, "options");
        if (count < 0) {
            throw new IllegalArgumentException("the number of samples must not be negative, got " + count);
        }
        checkOptions(options);
        // A list of Integer.MAX_VALUE texts cannot be held (about 100 GB): it ran for minutes,
        // then failed with an OutOfMemoryError and lost every sample. Refused now, by the
        // library's one rule for what the heap cannot hold, counting the least a text takes.
        long bytes = BYTES_PER_SAMPLE * count;
        if (!HeapBudget.fits(bytes, heapLimit)) {
            throw new IllegalArgumentException(HeapBudget.refusal("a list of " + count + " samples (at least "
                    + BYTES_PER_SAMPLE + " bytes each)", bytes, heapLimit) + "; ask for fewer, or call sample() once"
                    + " per text to handle the texts one at a time");
        }
        // Grown as the samples come: sized up front, a large count failed with an OutOfMemoryError
        // for the list alone before the first sample (and before any listener could stop it).
        List<String> texts = new ArrayList<>(Math.min(count, 1024));
        for (int i = 0; i < count; i++) {
            texts.add(sample(options));
        }
        return texts;
    }

    /**
     * Generates one sample, the next in this sampler's numbering.
     *
     * @param temperature positive and finite
     * @return the text
     * @throws IllegalArgumentException if the temperature is not positive and finite
     * @throws NonFiniteLogitsException if the model's logits are not finite (see the class comment)
     * @throws java.util.ConcurrentModificationException if another thread is training the model
     *     at this moment, or reading a model of a class outside the library (see the class comment)
     */
    public String sample(double temperature) {
        return sample(SamplingOptions.defaults().withTemperature(temperature));
    }

    /**
     * Generates one sample with the given options, the next in this sampler's numbering.
     *
     * @param options the temperature, top-k, prefix and maximum length
     * @return the text, starting with the prefix
     * @throws IllegalArgumentException if the options do not fit the model (see
     *     {@link #start(SamplingOptions)})
     * @throws NonFiniteLogitsException if the model's logits are not finite (see the class comment)
     * @throws java.util.ConcurrentModificationException if another thread is training the model
     *     at this moment, or reading a model of a class outside the library (see the class comment)
     */
    public String sample(SamplingOptions options) {
        Generation generation = start(options);
        while (!generation.isDone()) {
            generation.step();
        }
        return generation.text();
    }

    /**
     * Starts a sample that the caller advances one token at a time with
     * {@link Generation#step()}, as the simulator's Gen Step button does. It is the next in
     * this sampler's numbering.
     *
     * @param temperature positive and finite
     * @return the generation, before its first token
     * @throws IllegalArgumentException if the temperature is not positive and finite
     */
    public Generation start(double temperature) {
        return start(SamplingOptions.defaults().withTemperature(temperature));
    }

    /**
     * Starts a sample with the given options, which the caller advances one token at a time
     * with {@link Generation#step()}. The prefix is read by the first step. It is the next in
     * this sampler's numbering.
     *
     * @param options the temperature, top-k, prefix and maximum length
     * @return the generation, before its first token
     * @throws IllegalArgumentException if a character of the prefix is not in the vocabulary
     *     (naming it and its index), the prefix leaves no room in the context (it may have at most
     *     {@code blockSize - 1} characters), or the maximum length is more than the room left
     *     ({@code blockSize - prefix length})
     */
    public Generation start(SamplingOptions options) {
        Objects.requireNonNull(options, "options");
        int[] prefix = checkOptions(options);
        return new Generation(++samplesStarted, options, prefix);
    }

    /**
     * Checks the options against the model and returns the prefix's tokens. The prefix's length
     * is checked before its characters: counting them takes no memory (and no time at all for a
     * text of one-byte characters), while tokenizing a prefix of 200 million letters took seconds
     * and 800 MB for an array that was then refused as too long.
     */
    private int[] checkOptions(SamplingOptions options) {
        String text = options.prefix();
        int length = text.codePointCount(0, text.length());
        int blockSize = model.config().blockSize();
        if (length > blockSize - 1) {
            throw new IllegalArgumentException("the prefix has " + length + " characters but the block size "
                    + blockSize + " leaves room for at most " + (blockSize - 1) + " (BOS and the prefix must be "
                    + "read before the next character is drawn)");
        }
        int room = blockSize - length;
        if (options.maxLength() > room) {
            throw new IllegalArgumentException("the maximum length " + options.maxLength() + " is more than the "
                    + room + " characters the block size " + blockSize + " leaves after a prefix of " + length);
        }
        try {
            return tokenizer.encode(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the prefix: " + e.getMessage(), e);
        }
    }

    /**
     * Keeps the {@code k} largest probabilities (ties broken towards smaller token ids) and
     * rescales them to sum to 1; the others become 0.
     *
     * @param probabilities a distribution
     * @param k the number to keep, at least 1 and below the number of tokens
     * @return a new array
     */
    static double[] keepTopK(double[] probabilities, int k) {
        double[] sorted = probabilities.clone();
        Arrays.sort(sorted);
        double threshold = sorted[sorted.length - k];
        int above = 0;
        for (double p : probabilities) {
            if (p > threshold) {
                above++;
            }
        }
        int tiesToKeep = k - above;
        boolean[] keep = new boolean[probabilities.length];
        double total = 0.0;
        for (int i = 0; i < probabilities.length; i++) {
            if (probabilities[i] > threshold || (probabilities[i] == threshold && tiesToKeep-- > 0)) {
                keep[i] = true;
                total += probabilities[i];
            }
        }
        double[] kept = new double[probabilities.length];
        for (int i = 0; i < kept.length; i++) {
            kept[i] = keep[i] ? probabilities[i] / total : 0.0;
        }
        return kept;
    }

    /**
     * The distribution to draw from: the softmax of the logits over the temperature, or, when
     * the temperature is so small that {@code logit / T} overflows (for example {@code 1e-310}),
     * its limit as {@code T} goes to 0: all the weight on the most likely token (shared equally
     * if several tie). The draw still takes one random number, as it would at any temperature.
     */
    static double[] probabilities(double[] logits, double temperature) {
        // Softmax.softmax gives that limit itself when logit / T overflows.
        return Softmax.softmax(logits, temperature);
    }

    /**
     * Refuses logits no token can be drawn from: weights that are each finite (a checkpoint's
     * are checked to be) can still sum to an infinite logit, whose softmax is NaN.
     */
    private void checkFinite(double[] logits, int posId) {
        for (int i = 0; i < logits.length; i++) {
            if (!Double.isFinite(logits[i])) {
                throw new NonFiniteLogitsException("the model's logits are not finite: at position " + posId
                        + " the logit of token " + i + " (" + VisibleText.escape(tokenizer.tokenText(i)) + ") is "
                        + logits[i] + ", so no token can be drawn; " + nonFiniteCause(), posId, i, logits[i]);
            }
        }
    }

    /**
     * Why the logits are not finite: a weight that is NaN or infinite itself (set through
     * {@code parameters().setValue}, or an f32 weight set beyond a float's range), named, or else
     * weights that are each finite but too large. It said "too large" for a NaN weight too.
     * Looked for only once sampling has failed.
     */
    private String nonFiniteCause() {
        try {
            Parameters parameters = model.parameters();
            for (int i = 0; i < parameters.size(); i++) {
                double weight = parameters.value(i);
                if (!Double.isFinite(weight)) {
                    return "its parameter " + i + " (of " + parameters.size() + ") is " + weight
                            + ", and no forward pass can use it";
                }
            }
        } catch (RuntimeException e) {
            // A model that cannot list its weights: the usual cause, below.
        }
        return "its weights are too large for its forward pass (a sum of them overflows a double)";
    }

    /** One sample in progress. Not thread-safe. */
    public final class Generation {
        private final int sampleNumber;
        private final SamplingOptions options;
        private final double temperature;
        private final int topK;
        private final int maxLength;
        private final LanguageModel.Sequence sequence = model.newSequence();
        /** BOS, the prefix, then the drawn characters. */
        private int[] context;
        private final StringBuilder text;
        private boolean prefixRead;
        private int generated;
        private boolean done;

        private Generation(int sampleNumber, SamplingOptions options, int[] prefix) {
            this.sampleNumber = sampleNumber;
            this.options = options;
            this.temperature = options.temperature();
            this.topK = options.topK();
            this.maxLength = options.maxLength();
            this.context = new int[prefix.length + 1];
            context[0] = tokenizer.bos();
            System.arraycopy(prefix, 0, context, 1, prefix.length);
            this.text = new StringBuilder(options.prefix());
        }

        /**
         * Reads the last token, draws the next one and tells the listeners.
         *
         * @return the event of the drawn token
         * @throws IllegalStateException if the sample has already ended
         * @throws NonFiniteLogitsException if the model's logits are not finite (weights so large
         *     that a sum of them overflows)
         * @throws java.util.ConcurrentModificationException if another thread is training the
         *     model at this moment, or reading a model of a class outside the library (the token is
         *     not drawn)
         */
        public TokenEvent step() {
            if (done) {
                throw new IllegalStateException("sample " + sampleNumber + " has already ended");
            }
            TokenEvent event;
            // Marked while the model computes, so that a step on another thread cannot change the
            // weights under this token (nor this token run in the middle of that step); other
            // threads' tokens and evaluations may run beside it.
            int entered = ModelUse.enter(model, ModelUse.Activity.SAMPLING);
            try {
                event = draw();
            } finally {
                ModelUse.leave(model, entered);
            }
            if (!tokenListeners.isEmpty()) {
                tokenListeners.forEach(listener -> listener.onToken(event));
            }
            if (done && !sampleListeners.isEmpty()) {
                SampleEvent finished = new SampleEvent(sampleNumber, text.toString(),
                        Arrays.copyOfRange(context, 1, context.length));
                sampleListeners.forEach(listener -> listener.onSample(finished));
            }
            return event;
        }

        /** Reads the last token and draws the next one: the part of {@link #step()} that uses the model. */
        private TokenEvent draw() {
            if (!prefixRead) {
                // Read BOS and all but the last prefix token; their predictions are not needed.
                for (int i = 0; i < context.length - 1; i++) {
                    sequence.next(context[i]);
                }
                prefixRead = true;
            }
            int posId = sequence.length();
            double[] logits = sequence.next(context[context.length - 1]);
            checkFinite(logits, posId);
            double[] probabilities = probabilities(logits, temperature);
            if (topK != SamplingOptions.ALL_TOKENS && topK < probabilities.length) {
                probabilities = keepTopK(probabilities, topK);
            }
            int token = random.choice(probabilities);
            TokenEvent event = new TokenEvent(sampleNumber, posId, context, probabilities, token);
            if (token == tokenizer.bos()) {
                done = true;
            } else {
                text.append(tokenizer.decode(token));
                context = Arrays.copyOf(context, context.length + 1);
                context[context.length - 1] = token;
                generated++;
                done = sequence.length() >= model.config().blockSize()
                        || (maxLength != SamplingOptions.NO_LIMIT && generated >= maxLength);
            }
            return event;
        }

        /**
         * Whether the sample has ended.
         *
         * @return true once BOS was drawn, or the block size or the maximum length reached
         */
        public boolean isDone() {
            return done;
        }

        /**
         * The text so far: the prefix and the characters generated after it.
         *
         * @return the text
         */
        public String text() {
            return text.toString();
        }

        /**
         * The number of this sample: the one its {@link TokenEvent#sampleNumber()} and
         * {@link SampleEvent#sampleNumber()} carry. (A number, not the text: that is {@link #text()}.)
         *
         * @return its number in the sampler's numbering, from 1
         */
        public int sampleNumber() {
            return sampleNumber;
        }

        /**
         * The sample's number, its text so far, whether it has ended, and its options. The text is
         * quoted as a Java string literal ({@code \"} for a quote, {@code \\} for a backslash, a
         * character that would not show as a {@code \}{@code uXXXX} escape), as
         * {@link NextToken#toString} quotes its tokens.
         *
         * @return for example {@code Generation[sample 1, text="ma", generating,
         *     SamplingOptions[temperature=0.5, topK=5, prefix="ma", maxLength=none]]}
         */
        @Override
        public String toString() {
            return "Generation[sample " + sampleNumber + ", text=" + Quoted.literal(text.toString()) + ", "
                    + (done ? "done" : "generating") + ", " + options + "]";
        }
    }

    /**
     * The number of samples started, the model and the random source (each as it prints itself).
     * The options are each sample's own: a {@link Generation} prints them.
     *
     * @return for example {@code Sampler[samplesStarted=2, GptModel[...], PythonRandom[seed=42, ...]]}
     */
    @Override
    public String toString() {
        return "Sampler[samplesStarted=" + samplesStarted + ", " + model + ", " + random + "]";
    }
}
