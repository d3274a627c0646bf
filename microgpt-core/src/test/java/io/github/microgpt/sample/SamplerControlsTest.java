package io.github.microgpt.sample;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.GptModel;
import io.github.microgpt.model.LanguageModel;
import io.github.microgpt.model.Softmax;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.stubs.StubLanguageModel;
import io.github.microgpt.testing.Cases;
import io.github.microgpt.text.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** The generation controls of {@link SamplingOptions}: prefix, top-k, maximum length, seed. */
class SamplerControlsTest {

    private static final Tokenizer TOKENIZER = Tokenizer.ofCharacters("abcde");

    private static GptModel model(long seed, int blockSize) {
        return GptModel.create(new GptConfig(1, 8, 2, blockSize, 0.5), TOKENIZER.vocabSize(), new PythonRandom(seed));
    }

    // ---------------------------------------------------------------------------- the default path

    @TestFactory
    Stream<DynamicTest> theDefaultOptionsDrawExactlyAsTheTemperatureAlone() {
        return Cases.dynamicTests("default options", 20,
                g -> new double[] {g.nextLong(), g.intIn(1, 12), g.logUniform(0.1, 3), g.pickInt(0, 6, 100)}, c -> {
            long seed = (long) c[0];
            int blockSize = (int) c[1];
            double temperature = c[2];
            int topK = (int) c[3];   // 0 = no filter; 6 and 100 keep all of the 6 tokens
            GptModel model = model(seed, blockSize);
            SamplerTest.Recorder plain = new SamplerTest.Recorder();
            SamplerTest.Recorder withOptions = new SamplerTest.Recorder();
            List<String> expected = plain.listenTo(new Sampler(model, TOKENIZER, new PythonRandom(seed)))
                    .samples(8, temperature);
            List<String> actual = withOptions.listenTo(new Sampler(model, TOKENIZER, new PythonRandom(seed)))
                    .samples(8, SamplingOptions.defaults().withTemperature(temperature).withTopK(topK));
            assertEquals(expected, actual);
            assertEquals(plain.tokens.size(), withOptions.tokens.size());
            for (int i = 0; i < plain.tokens.size(); i++) {
                assertArrayEquals(plain.tokens.get(i).probabilities(), withOptions.tokens.get(i).probabilities(),
                        "the very same probabilities at token event " + i);
            }
        });
    }

    @Test
    void aCountWhoseListTheHeapCannotHoldIsRefusedBeforeTheFirstSample() {
        // Integer.MAX_VALUE texts are about 100 GB: this sampled for minutes, then failed with an
        // OutOfMemoryError that lost every text. Checked against heaps of a given size, so that
        // the test does not depend on the heap of the JVM that runs it.
        for (long heap : new long[] {1L << 20, 1L << 30, 1L << 36, Runtime.getRuntime().maxMemory()}) {
            long fitting = heap / 2 / 48;
            if (fitting >= Integer.MAX_VALUE) {
                continue; // no int count is too many for this heap
            }
            int count = (int) fitting + 1;
            Sampler sampler = new Sampler(model(5, 8), TOKENIZER, new PythonRandom(5));
            List<String> seen = new ArrayList<>();
            sampler.addSampleListener(event -> {
                seen.add(event.text());
                throw new IllegalStateException("started");
            });
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> sampler.samples(count, SamplingOptions.defaults(), heap));
            assertTrue(e.getMessage().startsWith("a list of " + count + " samples (at least 48 bytes each) would take "
                    + 48L * count + " bytes of memory, more than half of the " + heap
                    + " bytes this Java heap may use; ask for fewer, or call sample() once per text"), e.getMessage());
            assertEquals(0, sampler.samplesStarted(), "refused before any sample is started");
            assertEquals(List.of(), seen);
            // One fewer fits, and starts sampling (the listener stops it at the first text).
            IllegalStateException started = assertThrows(IllegalStateException.class,
                    () -> sampler.samples(count - 1, SamplingOptions.defaults(), heap));
            assertEquals("started", started.getMessage());
            assertEquals(1, sampler.samplesStarted());
        }
        // The public methods ask about this JVM's heap.
        Sampler sampler = new Sampler(model(5, 8), TOKENIZER, new PythonRandom(5));
        long heap = Runtime.getRuntime().maxMemory();
        if (48L * Integer.MAX_VALUE > heap / 2) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> sampler.samples(Integer.MAX_VALUE, 0.5));
            assertTrue(e.getMessage().contains("more than half of the " + heap + " bytes"), e.getMessage());
        }
    }

    @Test
    void aLargeCountStartsSamplingAtOnceAndAListenerCanStopIt() {
        // The list was sized up front: an OutOfMemoryError before the first sample.
        Sampler sampler = new Sampler(model(5, 8), TOKENIZER, new PythonRandom(5));
        List<String> seen = new ArrayList<>();
        sampler.addSampleListener(event -> {
            seen.add(event.text());
            if (seen.size() == 3) {
                throw new IllegalStateException("enough");
            }
        });
        IllegalStateException stopped = assertThrows(IllegalStateException.class,
                () -> sampler.samples(1_000_000, 0.5));
        assertEquals("enough", stopped.getMessage());
        assertEquals(3, seen.size());
    }

    // ------------------------------------------------------------------------------------ prefix

    @Test
    void aPrefixIsReadAfterBosAndTheSampleContinuesIt() {
        StubLanguageModel model = StubLanguageModel.fixed(new double[] {0, 0, 0, 0, 0, -1000}, 8);  // BOS never drawn
        SamplerTest.Recorder recorder = new SamplerTest.Recorder();
        Sampler sampler = recorder.listenTo(new Sampler(model, TOKENIZER, new PythonRandom(3)));
        Sampler.Generation generation = sampler.start(SamplingOptions.defaults().withPrefix("cab"));
        assertEquals("cab", generation.text(), "the text starts as the prefix");
        assertEquals(List.of(), model.read(), "nothing is read before the first step");
        TokenEvent first = generation.step();
        assertEquals(List.of(5, 2, 0, 1), model.read(), "BOS, then c a b");
        assertEquals(3, first.posId(), "the first draw is at the position after the prefix");
        assertArrayEquals(new int[] {5, 2, 0, 1}, first.context());
        while (!generation.isDone()) {
            generation.step();
        }
        String text = generation.text();
        assertTrue(text.startsWith("cab"), text);
        assertEquals(8, text.length(), "the prefix and 5 drawn characters fill the block of 8");
        assertEquals(text, recorder.samples.get(0).text());
        assertArrayEquals(TOKENIZER.encode(text), recorder.samples.get(0).tokens(), "the tokens include the prefix");
    }

    @TestFactory
    Stream<DynamicTest> aPrefixedSampleIsWhatTheModelPredictsAfterThePrefix() {
        return Cases.dynamicTests("prefix reference", 25, g -> {
            int blockSize = g.intIn(2, 10);
            return new Object[] {g.nextLong(), blockSize, g.string(new int[] {'a', 'b', 'c', 'd', 'e'},
                    g.intIn(0, blockSize - 1)), g.logUniform(0.2, 2)};
        }, c -> {
            long seed = (long) c[0];
            int blockSize = (int) c[1];
            String prefix = (String) c[2];
            double temperature = (double) c[3];
            GptModel model = model(seed, blockSize);
            String actual = new Sampler(model, TOKENIZER, new PythonRandom(seed))
                    .sample(SamplingOptions.defaults().withPrefix(prefix).withTemperature(temperature));

            // The reference: read BOS and the prefix, then draw until BOS or the block is full.
            PythonRandom random = new PythonRandom(seed);
            LanguageModel.Sequence sequence = model.newSequence();
            List<Integer> tokens = new ArrayList<>(List.of(TOKENIZER.bos()));
            for (int id : TOKENIZER.encode(prefix)) {
                tokens.add(id);
            }
            for (int i = 0; i < tokens.size() - 1; i++) {
                sequence.next(tokens.get(i));
            }
            StringBuilder expected = new StringBuilder(prefix);
            while (sequence.length() < blockSize) {
                int token = random.choice(Softmax.softmax(sequence.next(tokens.get(tokens.size() - 1)), temperature));
                if (token == TOKENIZER.bos()) {
                    break;
                }
                tokens.add(token);
                expected.append(TOKENIZER.decode(token));
            }
            assertEquals(expected.toString(), actual);
        });
    }

    @Test
    void aPrefixMustFitTheVocabularyAndTheContext() {
        Sampler sampler = new Sampler(model(1, 5), TOKENIZER, new PythonRandom(1));
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> sampler.start(SamplingOptions.defaults().withPrefix("abQ")));
        assertTrue(unknown.getMessage().contains("'Q' (U+0051) at index 2"), unknown.getMessage());
        assertTrue(unknown.getMessage().startsWith("the prefix"), unknown.getMessage());
        IllegalArgumentException tooLong = assertThrows(IllegalArgumentException.class,
                () -> sampler.sample(SamplingOptions.defaults().withPrefix("abcde")));
        assertTrue(tooLong.getMessage().contains("at most 4"), tooLong.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> sampler.samples(2, SamplingOptions.defaults().withPrefix("z")));
        String longest = sampler.sample(SamplingOptions.defaults().withPrefix("abcd"));
        assertTrue(longest.equals("abcd") || longest.length() == 5, "at most one character fits: " + longest);
    }

    /**
     * A prefix far longer than the block is refused for its length before it is tokenized: it
     * was encoded first (two arrays of four bytes a character, 800 MB for 200 million letters),
     * then refused. Checked by the bytes this thread allocates, which HotSpot counts.
     */
    @Test
    void aHugePrefixIsRefusedForItsLengthBeforeItIsTokenized() throws Exception {
        Sampler sampler = new Sampler(model(1, 5), TOKENIZER, new PythonRandom(1));
        // Twenty million letters, and a character outside the vocabulary at the start: the length
        // is what is wrong first, as a person reading the message would fix it.
        String prefix = "Q" + "a".repeat(20_000_000);
        Object threads = Class.forName("java.lang.management.ManagementFactory").getMethod("getThreadMXBean")
                .invoke(null);
        java.lang.reflect.Method allocated = Class.forName("com.sun.management.ThreadMXBean")
                .getMethod("getThreadAllocatedBytes", long.class);
        long id = Thread.currentThread().getId();
        SamplingOptions options = SamplingOptions.defaults().withPrefix(prefix);
        long before = (long) allocated.invoke(threads, id);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> sampler.start(options));
        long bytes = (long) allocated.invoke(threads, id) - before;
        assertEquals("the prefix has 20000001 characters but the block size 5 leaves room for at most 4 (BOS and the"
                + " prefix must be read before the next character is drawn)", e.getMessage());
        assertTrue(bytes < 1_000_000, "refused with " + bytes + " bytes allocated");
        assertEquals(0, sampler.samplesStarted());
    }

    // ---------------------------------------------------------------------------- maximum length

    @TestFactory
    Stream<DynamicTest> noSampleIsLongerThanTheMaximum() {
        return Cases.dynamicTests("max length", 25, g -> new int[] {g.intIn(1, 10), g.intIn(0, 3), g.intIn(0, 10_000)},
                c -> {
            int blockSize = 10;
            int prefixLength = c[1];
            int maxLength = Math.min(c[0], blockSize - prefixLength);
            String prefix = "abc".substring(0, prefixLength);
            StubLanguageModel bosNever = StubLanguageModel.fixed(new double[] {1, 0.5, 0, 0, 2, -1000}, blockSize);
            SamplerTest.Recorder recorder = new SamplerTest.Recorder();
            String text = recorder.listenTo(new Sampler(bosNever, TOKENIZER, new PythonRandom(c[2])))
                    .sample(SamplingOptions.defaults().withPrefix(prefix).withMaxLength(maxLength));
            assertEquals(prefixLength + maxLength, text.length(), "BOS never comes, so it stops at the maximum");
            assertEquals(maxLength, recorder.tokens.size(), "one draw per generated character");

            GptModel real = model(c[2], blockSize);
            for (String sample : new Sampler(real, TOKENIZER, new PythonRandom(c[2]))
                    .samples(10, SamplingOptions.defaults().withPrefix(prefix).withMaxLength(maxLength))) {
                assertTrue(sample.length() <= prefixLength + maxLength, sample);
            }
        });
    }

    @Test
    void theMaximumMustFitTheRoomLeft() {
        Sampler sampler = new Sampler(model(1, 6), TOKENIZER, new PythonRandom(1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> sampler.start(SamplingOptions.defaults().withPrefix("ab").withMaxLength(5)));
        assertTrue(e.getMessage().contains("the maximum length 5 is more than the 4 characters"), e.getMessage());
        sampler.start(SamplingOptions.defaults().withPrefix("ab").withMaxLength(4));
    }

    // ------------------------------------------------------------------------------------ top-k

    @TestFactory
    Stream<DynamicTest> topKNeverDrawsATokenOutsideTheKMostProbable() {
        return Cases.dynamicTests("top-k", 40, g -> {
            double[] logits = new double[6];
            for (int i = 0; i < logits.length; i++) {
                logits[i] = g.gaussian() * 2;
            }
            return new Object[] {logits, g.intIn(1, 5), g.nextLong()};
        }, c -> {
            double[] logits = (double[]) c[0];
            int k = (int) c[1];
            Integer[] order = {0, 1, 2, 3, 4, 5};
            Arrays.sort(order, (a, b) -> Double.compare(logits[b], logits[a]));
            List<Integer> allowed = Arrays.asList(order).subList(0, k);
            StubLanguageModel model = StubLanguageModel.fixed(logits, 12);
            SamplerTest.Recorder recorder = new SamplerTest.Recorder();
            recorder.listenTo(new Sampler(model, TOKENIZER, new PythonRandom((long) c[2])))
                    .samples(20, SamplingOptions.defaults().withTopK(k).withTemperature(1.0));
            for (TokenEvent event : recorder.tokens) {
                assertTrue(allowed.contains(event.tokenId()), "drew " + event.tokenId() + ", allowed " + allowed);
                double[] p = event.probabilities();
                double sum = 0;
                int nonZero = 0;
                for (int i = 0; i < p.length; i++) {
                    sum += p[i];
                    if (p[i] > 0) {
                        nonZero++;
                        assertTrue(allowed.contains(i), "token " + i + " kept a probability");
                    }
                }
                assertEquals(1.0, sum, 1e-12, "renormalised");
                assertEquals(k, nonZero, "exactly k tokens remain");
            }
        });
    }

    @Test
    void topOneIsGreedyAndTiesKeepTheSmallerIds() {
        StubLanguageModel model = StubLanguageModel.fixed(new double[] {0.5, 3, 1, 3, 3, 2}, 8);
        SamplerTest.Recorder recorder = new SamplerTest.Recorder();
        Sampler sampler = recorder.listenTo(new Sampler(model, TOKENIZER, new PythonRandom(4)));
        // Tokens 1, 3 and 4 tie for first place: top-1 keeps token 1 (b), top-2 tokens 1 and 3.
        assertEquals("bbbbbbbb", sampler.sample(SamplingOptions.defaults().withTopK(1)));
        recorder.tokens.clear();
        for (String s : sampler.samples(10, SamplingOptions.defaults().withTopK(2))) {
            assertTrue(s.matches("[bd]+"), s);
        }
        assertArrayEquals(new double[] {0, 0.5, 0, 0.5, 0, 0}, Sampler.keepTopK(new double[] {0.1, 0.3, 0.05, 0.3, 0.05, 0.2}, 2));
        assertArrayEquals(new double[] {0, 0, 1, 0}, Sampler.keepTopK(new double[] {0.2, 0.2, 0.4, 0.2}, 1));
        assertArrayEquals(new double[] {0.5, 0.5, 0, 0}, Sampler.keepTopK(new double[] {0.25, 0.25, 0.25, 0.25}, 2));
    }

    // ------------------------------------------------------------------------- seed and options

    @Test
    void theSeedChoosesTheSamples() {
        GptModel model = model(8, 10);
        SamplingOptions options = SamplingOptions.defaults().withTemperature(1.0);
        List<String> seven = new Sampler(model, TOKENIZER, new PythonRandom(7)).samples(10, options);
        assertEquals(seven, new Sampler(model, TOKENIZER, new PythonRandom(7)).samples(10, options));
        assertNotEquals(seven, new Sampler(model, TOKENIZER, new PythonRandom(8)).samples(10, options));
    }

    @Test
    void optionsAreCheckedAndChangedOneAtATime() {
        SamplingOptions defaults = SamplingOptions.defaults();
        assertEquals(new SamplingOptions(0.5, SamplingOptions.ALL_TOKENS, "", SamplingOptions.NO_LIMIT), defaults);
        SamplingOptions all = defaults.withTemperature(0.8).withTopK(3).withPrefix("ab").withMaxLength(4);
        assertEquals(new SamplingOptions(0.8, 3, "ab", 4), all);
        assertEquals(0.5, defaults.temperature(), "withers leave the original alone");
        assertThrows(IllegalArgumentException.class, () -> defaults.withTemperature(0));
        assertThrows(IllegalArgumentException.class, () -> defaults.withTemperature(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> defaults.withTemperature(Double.POSITIVE_INFINITY));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> defaults.withTopK(-1)).getMessage()
                .contains("top-k must be at least 1"));
        assertThrows(IllegalArgumentException.class, () -> defaults.withMaxLength(-3));
        assertThrows(NullPointerException.class, () -> defaults.withPrefix(null));
    }
}
