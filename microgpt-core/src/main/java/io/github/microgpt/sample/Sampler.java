package io.github.microgpt.sample;

import io.github.microgpt.model.LanguageModel;
import io.github.microgpt.model.Softmax;
import io.github.microgpt.random.RandomSource;
import io.github.microgpt.text.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Generates text from a model, one token at a time, as {@code microgpt.py} does after training.
 *
 * <p>A sample starts from BOS. At each position the model's logits are divided by the
 * temperature and turned into probabilities, and the next token is drawn from them
 * ({@link RandomSource#choice(double[])}). The sample ends when BOS is drawn or when the context
 * is full (block size). A temperature below 1 makes likely tokens likelier (safer, more repetitive
 * names); above 1 makes the distribution flatter (more varied, noisier names).
 *
 * <pre>{@code
 * var sampler = new Sampler(model, tokenizer, random);
 * for (String name : sampler.samples(20, 0.5)) System.out.println(name);
 * }</pre>
 */
public final class Sampler {

    private final LanguageModel model;
    private final Tokenizer tokenizer;
    private final RandomSource random;
    private final List<GenerationListener> listeners = new CopyOnWriteArrayList<>();

    /**
     * Creates a sampler.
     *
     * @param model the model to sample from
     * @param tokenizer the tokenizer the model was trained with
     * @param random the source of the draws
     * @throws IllegalArgumentException if the tokenizer's vocabulary size is not the model's
     */
    public Sampler(LanguageModel model, Tokenizer tokenizer, RandomSource random) {
        if (tokenizer.vocabSize() != model.vocabSize()) {
            throw new IllegalArgumentException("the tokenizer has " + tokenizer.vocabSize()
                    + " tokens but the model " + model.vocabSize());
        }
        this.model = model;
        this.tokenizer = tokenizer;
        this.random = random;
    }

    /**
     * Adds a listener that hears about every token and sample from now on.
     *
     * @param listener the listener
     * @return this sampler
     */
    public Sampler addListener(GenerationListener listener) {
        listeners.add(listener);
        return this;
    }

    /**
     * Removes a listener.
     *
     * @param listener the listener
     */
    public void removeListener(GenerationListener listener) {
        listeners.remove(listener);
    }

    /**
     * Generates {@code count} samples, numbered from 1.
     *
     * @param count how many; not negative
     * @param temperature positive and finite
     * @return the texts
     * @throws IllegalArgumentException if the count is negative or the temperature not positive
     *     and finite
     */
    public List<String> samples(int count, double temperature) {
        if (count < 0) {
            throw new IllegalArgumentException("the number of samples must not be negative, got " + count);
        }
        checkTemperature(temperature);
        List<String> texts = new ArrayList<>(count);
        for (int i = 1; i <= count; i++) {
            texts.add(sample(i, temperature));
        }
        return texts;
    }

    /**
     * Generates one sample.
     *
     * @param sample the number listeners will see for it, usually from 1
     * @param temperature positive and finite
     * @return the text
     */
    public String sample(int sample, double temperature) {
        Generation generation = start(sample, temperature);
        while (!generation.isDone()) {
            generation.step();
        }
        return generation.text();
    }

    /**
     * Starts a sample that the caller advances one token at a time with
     * {@link Generation#step()}, as the simulator's Gen Step button does.
     *
     * @param sample the number listeners will see for it
     * @param temperature positive and finite
     * @return the generation, before its first token
     * @throws IllegalArgumentException if the temperature is not positive and finite
     */
    public Generation start(int sample, double temperature) {
        checkTemperature(temperature);
        return new Generation(sample, temperature);
    }

    private static void checkTemperature(double temperature) {
        if (!(temperature > 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("the temperature must be positive and finite, got " + temperature);
        }
    }

    /** One sample in progress. Not thread-safe. */
    public final class Generation {
        private final int sample;
        private final double temperature;
        private final LanguageModel.Sequence sequence = model.newSequence();
        private int[] context = {tokenizer.bos()};
        private final StringBuilder text = new StringBuilder();
        private boolean done;

        private Generation(int sample, double temperature) {
            this.sample = sample;
            this.temperature = temperature;
        }

        /**
         * Reads the last token, draws the next one and tells the listeners.
         *
         * @return the event of the drawn token
         * @throws IllegalStateException if the sample has already ended
         */
        public TokenEvent step() {
            if (done) {
                throw new IllegalStateException("sample " + sample + " has already ended");
            }
            int posId = sequence.length();
            double[] logits = sequence.next(context[context.length - 1]);
            double[] probabilities = Softmax.softmax(logits, temperature);
            int token = random.choice(probabilities);
            TokenEvent event = new TokenEvent(sample, posId, context, probabilities, token);
            if (token == tokenizer.bos()) {
                done = true;
            } else {
                text.append(tokenizer.decode(token));
                context = Arrays.copyOf(context, context.length + 1);
                context[context.length - 1] = token;
                done = sequence.length() >= model.config().blockSize();
            }
            for (GenerationListener listener : listeners) {
                listener.onToken(event);
            }
            if (done) {
                SampleEvent finished = new SampleEvent(sample, text.toString(),
                        Arrays.copyOfRange(context, 1, context.length));
                for (GenerationListener listener : listeners) {
                    listener.onSample(finished);
                }
            }
            return event;
        }

        /**
         * Whether the sample has ended.
         *
         * @return true once BOS was drawn or the block size reached
         */
        public boolean isDone() {
            return done;
        }

        /**
         * The text generated so far.
         *
         * @return the text
         */
        public String text() {
            return text.toString();
        }

        /**
         * The number of this sample.
         *
         * @return the number given to {@link Sampler#start(int, double)}
         */
        public int sample() {
            return sample;
        }
    }
}
