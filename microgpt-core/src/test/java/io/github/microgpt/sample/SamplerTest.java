package io.github.microgpt.sample;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.GptModel;
import io.github.microgpt.model.LanguageModel;
import io.github.microgpt.model.Softmax;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.stubs.StubLanguageModel;
import io.github.microgpt.testing.Cases;
import io.github.microgpt.testing.Gen;
import io.github.microgpt.text.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** {@link Sampler}: microgpt.py's inference loop, its events, and its checks. */
class SamplerTest {

    private static final Tokenizer TOKENIZER = Tokenizer.ofCharacters("abcde");

    /** Records every event a sampler sends. */
    static final class Recorder implements TokenListener, SampleListener {
        /** Registers this recorder for both kinds of event. */
        Sampler listenTo(Sampler sampler) {
            sampler.addTokenListener(this);
            sampler.addSampleListener(this);
            return sampler;
        }

        final List<TokenEvent> tokens = new ArrayList<>();
        final List<SampleEvent> samples = new ArrayList<>();

        @Override
        public void onToken(TokenEvent event) {
            tokens.add(event);
        }

        @Override
        public void onSample(SampleEvent event) {
            samples.add(event);
        }
    }

    @Test
    void stopsAtTheBlockSizeWhenBosNeverComes() {
        // BOS (id 5) has probability exp(-1000) = 0.
        LanguageModel model = StubLanguageModel.fixed(new double[] {1, 2, 0, 1, 0.5, -1000}, 7);
        Recorder recorder = new Recorder();
        Sampler sampler = recorder.listenTo(new Sampler(model, TOKENIZER, new PythonRandom(1)));
        String text = sampler.sample(1.0);
        assertEquals(7, text.length());
        assertEquals(7, recorder.tokens.size());
        assertEquals(1, recorder.samples.size());
        assertEquals(text, recorder.samples.get(0).text());
    }

    @Test
    void logitsThatOverflowedAreRefusedNamingThePositionAndToken() {
        // Weights that are each finite can still sum to an infinite logit; its softmax is NaN.
        for (double bad : new double[] {Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NaN}) {
            LanguageModel model = StubLanguageModel.fixed(new double[] {1, 2, bad, 1, 0.5, 0}, 7);
            Recorder recorder = new Recorder();
            Sampler sampler = recorder.listenTo(new Sampler(model, TOKENIZER, new PythonRandom(1)));
            // Its own type, so that a caller (train's last samples) tells it apart from other failures.
            NonFiniteLogitsException e = assertThrows(NonFiniteLogitsException.class, () -> sampler.sample(1.0));
            assertTrue(e.getMessage().contains("at position 0 the logit of token 2 (c) is " + bad), e.getMessage());
            assertEquals(List.of(0, 2, bad), List.of(e.posId(), e.tokenId(), e.logit()), "what the message names");
            assertEquals(0, recorder.tokens.size(), "no token is drawn from a distribution of NaNs");
        }
    }

    /**
     * A weight that is NaN or infinite itself is named as the cause: the message said the weights
     * were "too large for its forward pass", which sent the user looking for an overflow.
     */
    @Test
    void aWeightThatIsNotFiniteIsNamedAsTheCause() {
        for (io.github.microgpt.model.Precision precision : io.github.microgpt.model.Precision.values()) {
            for (double bad : new double[] {Double.NaN, Double.POSITIVE_INFINITY}) {
                LanguageModel model = io.github.microgpt.model.ArrayGptModel.create(
                        io.github.microgpt.model.GptConfig.defaults(), TOKENIZER.vocabSize(), new PythonRandom(1), precision);
                // The last weight is in the last layer's MLP, which every forward pass reads.
                int last = model.numParameters() - 1;
                model.parameters().setValue(last, bad);
                NonFiniteLogitsException e = assertThrows(NonFiniteLogitsException.class,
                        () -> new Sampler(model, TOKENIZER, new PythonRandom(1)).sample(1.0));
                assertTrue(e.getMessage().endsWith("so no token can be drawn; its parameter " + last + " (of "
                        + model.numParameters() + ") is " + bad + ", and no forward pass can use it"), e.getMessage());
            }
        }
    }

    @Test
    void stopsAtBosWithAnEmptySampleWhenBosIsCertain() {
        LanguageModel model = StubLanguageModel.fixed(new double[] {-1000, -1000, -1000, -1000, -1000, 5}, 7);
        Recorder recorder = new Recorder();
        Sampler sampler = recorder.listenTo(new Sampler(model, TOKENIZER, new PythonRandom(1)));
        assertEquals(List.of("", "", ""), sampler.samples(3, 0.5));
        assertEquals(3, recorder.tokens.size());
        for (TokenEvent e : recorder.tokens) {
            assertEquals(TOKENIZER.bos(), e.tokenId());
            assertEquals(0, e.posId());
        }
        assertEquals(3, recorder.samples.size());
        for (int i = 0; i < 3; i++) {
            assertEquals(i + 1, recorder.samples.get(i).sampleNumber());
            assertArrayEquals(new int[0], recorder.samples.get(i).tokens(),
                    "a sample's tokens leave out the leading and the final BOS");
        }
    }

    private static GptModel model(long seed, int blockSize) {
        return GptModel.create(new GptConfig(1, 8, 2, blockSize, 0.5), TOKENIZER.vocabSize(), new PythonRandom(seed));
    }

    @TestFactory
    Stream<DynamicTest> eventsDescribeEachTokenAndSample() {
        return Cases.dynamicTests("sampler events", 30,
                g -> new double[] {g.nextLong(), g.intIn(1, 10), g.logUniform(0.1, 3), g.intIn(1, 5)}, c -> {
            long seed = (long) c[0];
            int blockSize = (int) c[1];
            double temperature = c[2];
            int count = (int) c[3];
            GptModel model = model(seed, blockSize);
            Recorder recorder = new Recorder();
            List<String> texts = recorder.listenTo(new Sampler(model, TOKENIZER, new PythonRandom(seed)))
                    .samples(count, temperature);
            assertEquals(count, texts.size());
            assertEquals(count, recorder.samples.size(), "one sample event per sample");
            int at = 0;
            for (int s = 1; s <= count; s++) {
                SampleEvent finished = recorder.samples.get(s - 1);
                assertEquals(s, finished.sampleNumber());
                assertEquals(texts.get(s - 1), finished.text());
                List<Integer> context = new ArrayList<>(List.of(TOKENIZER.bos()));
                int posId = 0;
                while (true) {
                    TokenEvent e = recorder.tokens.get(at++);
                    assertEquals(s, e.sampleNumber());
                    assertEquals(posId, e.posId(), "positions count from 0");
                    assertArrayEquals(context.stream().mapToInt(Integer::intValue).toArray(), e.context());
                    double[] p = e.probabilities();
                    assertEquals(TOKENIZER.vocabSize(), p.length);
                    assertEquals(1.0, Arrays.stream(p).sum(), 1e-12);
                    assertTrue(p[e.tokenId()] > 0, "the chosen token had a chance");
                    posId++;
                    if (e.tokenId() == TOKENIZER.bos()) {
                        break;
                    }
                    context.add(e.tokenId());
                    if (posId == blockSize) {
                        break;
                    }
                }
                int[] generated = context.stream().skip(1).mapToInt(Integer::intValue).toArray();
                assertArrayEquals(generated, finished.tokens(), "the generated tokens, without BOS");
                assertEquals(TOKENIZER.decode(generated), finished.text());
                assertTrue(finished.text().length() <= blockSize);
            }
            assertEquals(at, recorder.tokens.size(), "no events beyond the samples");
        });
    }

    @TestFactory
    Stream<DynamicTest> samplingFollowsMicrogptPyInferenceAndIsDeterministicForASeed() {
        return Cases.dynamicTests("sampling = microgpt.py's inference", 30,
                g -> new double[] {g.nextLong(), g.intIn(1, 10), g.logUniform(0.1, 3)}, c -> {
            long seed = (long) c[0];
            int blockSize = (int) c[1];
            double temperature = c[2];
            GptModel model = model(seed, blockSize);
            List<String> first = new Sampler(model, TOKENIZER, new PythonRandom(seed)).samples(5, temperature);
            List<String> second = new Sampler(model, TOKENIZER, new PythonRandom(seed)).samples(5, temperature);
            assertEquals(first, second, "the same seed gives the same samples");
            // microgpt.py's inference loop written out: softmax(logits / T), then random.choices with those weights.
            PythonRandom random = new PythonRandom(seed);
            List<String> expected = new ArrayList<>();
            for (int s = 0; s < 5; s++) {
                LanguageModel.Sequence sequence = model.newSequence();
                int token = TOKENIZER.bos();
                StringBuilder text = new StringBuilder();
                for (int pos = 0; pos < blockSize; pos++) {
                    token = random.choice(Softmax.softmax(sequence.next(token), temperature));
                    if (token == TOKENIZER.bos()) {
                        break;
                    }
                    text.append(TOKENIZER.decode(token));
                }
                expected.add(text.toString());
            }
            assertEquals(expected, first);
        });
    }

    @Test
    void aGenerationCannotStepPastItsEnd() {
        Sampler sampler = new Sampler(model(3, 3), TOKENIZER, new PythonRandom(3));
        sampler.samples(3, 1.0);
        Sampler.Generation generation = sampler.start(1.0);
        assertEquals(4, generation.sampleNumber(), "the fourth sample this sampler started");
        assertEquals(4, sampler.samplesStarted());
        int steps = 0;
        while (!generation.isDone()) {
            TokenEvent e = generation.step();
            assertEquals(steps++, e.posId());
        }
        assertTrue(steps >= 1 && steps <= 3);
        IllegalStateException e = assertThrows(IllegalStateException.class, generation::step);
        assertTrue(e.getMessage().contains("4"), e.getMessage());
        assertFalse(e instanceof NonFiniteLogitsException, "a sample that has ended is not a model's fault");
        assertTrue(generation.isDone());
    }

    @Test
    void badTemperaturesAndCountsAreRejected() {
        Sampler sampler = new Sampler(model(3, 3), TOKENIZER, new PythonRandom(3));
        for (double t : new double[] {0.0, -0.0, -0.5, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> sampler.samples(1, t));
            assertTrue(e.getMessage().contains("temperature"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> sampler.sample(t));
            assertThrows(IllegalArgumentException.class, () -> sampler.start(t));
        }
        assertThrows(IllegalArgumentException.class, () -> sampler.samples(-1, 1.0));
        assertEquals(List.of(), sampler.samples(0, 1.0));
        assertThrows(IllegalArgumentException.class,
                () -> new Sampler(model(3, 3), Tokenizer.ofCharacters("ab"), new PythonRandom(3)));
    }

    @Test
    void eventsHoldTheirOwnCopiesAndHandOutCopies() {
        Recorder recorder = new Recorder();
        Sampler sampler = recorder.listenTo(new Sampler(model(3, 4), TOKENIZER, new PythonRandom(9)));
        sampler.sample(1.0);
        TokenEvent e = recorder.tokens.get(0);
        assertNotSame(e.probabilities(), e.probabilities(), "each call a copy: no listener changes another's");
        assertArrayEquals(e.probabilities(), e.probabilities());
        assertEquals(TOKENIZER.bos(), e.context()[0]);
        int[] context = {5, 1};
        double[] probabilities = {0.25, 0.75};
        TokenEvent made = new TokenEvent(1, 1, context, probabilities, 0);
        context[0] = 42;
        probabilities[0] = 42;
        assertArrayEquals(new int[] {5, 1}, made.context(), "the constructor copies");
        assertArrayEquals(new double[] {0.25, 0.75}, made.probabilities());
        int[] tokens = {1, 2};
        SampleEvent sample = new SampleEvent(1, "bc", tokens);
        tokens[0] = 42;
        assertArrayEquals(new int[] {1, 2}, sample.tokens());
    }

    @Test
    void aRemovedListenerHearsNothing() {
        Recorder recorder = new Recorder();
        Sampler sampler = recorder.listenTo(new Sampler(model(3, 4), TOKENIZER, new PythonRandom(9)));
        sampler.removeTokenListener(recorder);
        sampler.removeSampleListener(recorder);
        sampler.samples(2, 1.0);
        assertFalse(recorder.tokens.size() + recorder.samples.size() > 0);
    }

    @Test
    void theSamplerNumbersItsSamplesOnAcrossCalls() {
        List<Integer> numbers = new ArrayList<>();
        Sampler sampler = new Sampler(model(3, 4), TOKENIZER, new PythonRandom(9));
        sampler.addSampleListener(e -> numbers.add(e.sampleNumber()));
        sampler.samples(2, 1.0);
        sampler.sample(1.0);
        sampler.sample(SamplingOptions.defaults());
        assertEquals(List.of(1, 2, 3, 4), numbers);
        assertEquals(4, sampler.samplesStarted());
    }
}
