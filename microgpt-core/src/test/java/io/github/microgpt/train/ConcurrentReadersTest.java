package io.github.microgpt.train;

import static io.github.microgpt.testsupport.Bits.assertBits;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.model.ArrayGptModel;
import io.github.microgpt.model.Architecture;
import io.github.microgpt.model.Engine;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.LanguageModel;
import io.github.microgpt.model.Precision;
import io.github.microgpt.optim.AdamOptimizer;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.sample.NextToken;
import io.github.microgpt.sample.Sampler;
import io.github.microgpt.sample.SamplingOptions;
import io.github.microgpt.testing.WrappedModel;
import io.github.microgpt.testsupport.Together;
import io.github.microgpt.text.Tokenizer;
import java.util.ConcurrentModificationException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Many threads reading one model at once (sampling, evaluating, asking for the next token's
 * distribution) get, on every engine, the very bits they get one after another; and a training
 * step still runs only while nothing else uses the model. Before, the second reader on another
 * thread was refused with a {@link ConcurrentModificationException} as if it were a trainer.
 */
class ConcurrentReadersTest {

    private static final List<String> DOCS = List.of("emma", "olivia", "ava", "isabella", "sophia", "charlotte",
            "mia", "amelia", "harper", "evelyn", "abigail", "emily", "elizabeth", "mila", "ella", "avery");
    private static final Tokenizer TOKENIZER = Tokenizer.fromDocuments(DOCS);
    private static final List<String> HELD_OUT = List.of("ema", "lia", "ivy", "sophie");
    private static final int THREADS = 4;
    private static final int ROUNDS = 6;
    private static final long TIMEOUT_SECONDS = 120;

    /** Every engine and architecture a reader may meet, each trained a few steps. */
    enum Kind {
        VALUE_GPT(() -> Engine.VALUE.create(GptConfig.defaults(), TOKENIZER.vocabSize(), new PythonRandom(42))),
        ARRAY_F64(() -> Engine.ARRAY.create(GptConfig.defaults(), TOKENIZER.vocabSize(), new PythonRandom(42))),
        ARRAY_F32(() -> Engine.ARRAY.create(GptConfig.defaults(), TOKENIZER.vocabSize(), new PythonRandom(42),
                Precision.F32)),
        /** Heads of 16: the attention of any head size ({@code SmallAttention} takes heads of 4 only). */
        ARRAY_F64_WIDE_HEADS(() -> ArrayGptModel.create(wideHeads(), TOKENIZER.vocabSize(), new PythonRandom(42))),
        ARRAY_F32_WIDE_HEADS(() -> ArrayGptModel.create(wideHeads(), TOKENIZER.vocabSize(), new PythonRandom(42),
                Precision.F32)),
        /** A model whose steps use two threads: a read must not share them. */
        ARRAY_F64_TWO_STEP_THREADS(() -> ArrayGptModel.create(wideHeads(), TOKENIZER.vocabSize(),
                new PythonRandom(42)).setThreads(2)),
        ARRAY_F32_TWO_STEP_THREADS(() -> ArrayGptModel.create(wideHeads(), TOKENIZER.vocabSize(),
                new PythonRandom(42), Precision.F32).setThreads(2)),
        BIGRAM(() -> Architecture.BIGRAM.create(GptConfig.defaults(), TOKENIZER.vocabSize(), new PythonRandom(42))),
        MLP(() -> Architecture.MLP.create(GptConfig.defaults(), TOKENIZER.vocabSize(), new PythonRandom(42))),
        ATTENTION(() -> Architecture.ATTENTION.create(GptConfig.defaults(), TOKENIZER.vocabSize(),
                new PythonRandom(42)));

        private final Supplier<LanguageModel> create;

        Kind(Supplier<LanguageModel> create) {
            this.create = create;
        }

        LanguageModel trained() {
            LanguageModel model = create.get();
            new Trainer(model, TOKENIZER, DOCS, new AdamOptimizer(model.numParameters()), 12).run(StepMode.DOCUMENT);
            return model;
        }
    }

    private static GptConfig wideHeads() {
        return GptConfig.defaults().withNEmbd(32).withNHead(2);
    }

    /** What one thread reads in one round. */
    private record Reads(List<String> names, double loss, double[] next) {
    }

    /**
     * One round's reads: samples from a sampler seeded by the thread and the round (with a prefix
     * and a top-k filter every other round), the held-out loss, and a prediction.
     */
    private static Reads read(LanguageModel model, int thread, int round) {
        SamplingOptions options = SamplingOptions.defaults().withTemperature(0.8);
        if (round % 2 == 1) {
            options = options.withPrefix("a").withTopK(5);
        }
        Sampler sampler = new Sampler(model, TOKENIZER, new PythonRandom(1000L * thread + round));
        List<String> names = sampler.samples(3, options);
        double loss = Evaluation.loss(model, TOKENIZER, HELD_OUT);
        double[] next = NextToken.after(model, TOKENIZER, names.get(0).substring(0, Math.min(2,
                names.get(0).length()))).probabilities();
        return new Reads(names, loss, next);
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void threadsReadingOneModelAtOnceGetWhatTheyGetOneAfterAnother(Kind kind) throws Exception {
        LanguageModel model = kind.trained();
        AtomicLong heard = new AtomicLong();
        if (model.hasAttention()) {
            model.addAttentionListener(e -> heard.incrementAndGet());
        }
        Reads[][] alone = new Reads[THREADS][ROUNDS];
        for (int t = 0; t < THREADS; t++) {
            for (int r = 0; r < ROUNDS; r++) {
                alone[t][r] = read(model, t, r);
            }
        }
        long heardAlone = heard.getAndSet(0);
        double[] weights = model.parameters().values();

        List<List<Reads>> together = Together.run(THREADS, ROUNDS, TIMEOUT_SECONDS, (t, r) -> read(model, t, r));

        for (int t = 0; t < THREADS; t++) {
            for (int r = 0; r < ROUNDS; r++) {
                Reads expected = alone[t][r];
                Reads actual = together.get(t).get(r);
                String where = kind + ", thread " + t + ", round " + r;
                assertEquals(expected.names(), actual.names(), where + ": the samples");
                assertBits(expected.loss(), actual.loss(), where + ": the held-out loss");
                assertBits(expected.next(), actual.next(), where + ": the next token's distribution");
            }
        }
        assertEquals(heardAlone, heard.get(), "every reader's attention events were told, once each");
        assertBits(weights, model.parameters().values(), "no reader changed a weight");
    }

    /** Holds each of {@code readers} threads in its first forward pass until {@code release}. */
    private static void holdReaders(LanguageModel model, Set<Thread> readers, CountDownLatch reading,
                                    CountDownLatch release) {
        Set<Thread> held = ConcurrentHashMap.newKeySet();
        model.addAttentionListener(e -> {
            if (readers.contains(Thread.currentThread()) && held.add(Thread.currentThread())) {
                reading.countDown();
                await(release);
            }
        });
    }

    /** Waits for {@code latch}, or fails at once with what ended {@code work} before it came down. */
    private static void await(CountDownLatch latch, CompletableFuture<?> work) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
        while (!latch.await(20, TimeUnit.MILLISECONDS)) {
            if (work.isDone()) {
                work.get();
                throw new AssertionError("the work ended before it got there");
            }
            assertTrue(System.nanoTime() < deadline, "waited too long");
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            assertTrue(latch.await(TIMEOUT_SECONDS, TimeUnit.SECONDS), "waited too long");
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Runs {@code work} on a new thread that {@code readers} names. */
    private static <T> CompletableFuture<T> onReader(Set<Thread> readers, Supplier<T> work) {
        CompletableFuture<T> result = new CompletableFuture<>();
        Thread thread = new Thread(() -> {
            try {
                result.complete(work.get());
            } catch (Throwable e) {
                result.completeExceptionally(e);
            }
        });
        thread.setDaemon(true);
        readers.add(thread);
        thread.start();
        return result;
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void aStepIsRefusedWhileSeveralThreadsReadAndRunsOnceTheyHaveEnded(Engine engine) throws Exception {
        LanguageModel model = engine.create(GptConfig.defaults(), TOKENIZER.vocabSize(), new PythonRandom(42));
        Trainer trainer = new Trainer(model, TOKENIZER, DOCS, new AdamOptimizer(model.numParameters()), 4);
        String expectedNames = new Sampler(model, TOKENIZER, new PythonRandom(7)).samples(2, 0.5).toString();
        double expectedLoss = Evaluation.loss(model, TOKENIZER, HELD_OUT);

        Set<Thread> readers = ConcurrentHashMap.newKeySet();
        CountDownLatch reading = new CountDownLatch(2);
        CountDownLatch release = new CountDownLatch(1);
        holdReaders(model, readers, reading, release);
        CompletableFuture<String> sampling = onReader(readers,
                () -> new Sampler(model, TOKENIZER, new PythonRandom(7)).samples(2, 0.5).toString());
        CompletableFuture<Double> evaluating = onReader(readers, () -> Evaluation.loss(model, TOKENIZER, HELD_OUT));
        await(reading, CompletableFuture.anyOf(sampling, evaluating));

        double[] weights = model.parameters().values();
        ConcurrentModificationException refused = assertThrows(ConcurrentModificationException.class,
                () -> trainer.step(StepMode.DOCUMENT));
        String message = refused.getMessage();
        assertTrue(message.matches("the model is being (sampled|evaluated) on the thread \"[^\"]+\" and read on 1 other"
                + " thread at this moment; a model is trained while nothing else uses it \\(many threads may evaluate"
                + " and sample it at once, but not while it is trained\\): let the reads end first, or train a copy"
                + " \\(ArrayGptModel.copyOf\\) \\(this step was not run\\)"), message);
        assertEquals(0, trainer.stepsDone(), "the refused step is not counted");
        assertBits(weights, model.parameters().values(), "the refused step changed no weight");
        // A third reader is let in beside the two.
        assertBits(expectedLoss, Evaluation.loss(model, TOKENIZER, HELD_OUT), "a third reader's loss");

        release.countDown();
        assertEquals(expectedNames, sampling.get(TIMEOUT_SECONDS, TimeUnit.SECONDS), "the samples as alone");
        assertBits(expectedLoss, evaluating.get(TIMEOUT_SECONDS, TimeUnit.SECONDS), "the loss as alone");
        assertEquals(1, trainer.step(StepMode.DOCUMENT).step(), "once the reads are over, the model may be trained");
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void aReaderThatTrainsInsideItsOwnReadShutsOtherReadersOutUntilItIsBackToReading(Engine engine) throws Exception {
        LanguageModel model = engine.create(GptConfig.defaults(), TOKENIZER.vocabSize(), new PythonRandom(42));
        Trainer trainer = new Trainer(model, TOKENIZER, DOCS, new AdamOptimizer(model.numParameters()), 4);
        CountDownLatch inStep = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        trainer.addGradientListener(e -> {
            inStep.countDown();
            await(release);
        });
        Set<Thread> readers = ConcurrentHashMap.newKeySet();
        Set<Thread> stepped = ConcurrentHashMap.newKeySet();
        // The reader's first attention event trains the model on the reader's own thread: allowed,
        // since no other thread uses the model.
        model.addAttentionListener(e -> {
            if (readers.contains(Thread.currentThread()) && stepped.add(Thread.currentThread())) {
                trainer.step(StepMode.DOCUMENT);
            }
        });
        CompletableFuture<Double> evaluating = onReader(readers, () -> Evaluation.loss(model, TOKENIZER, HELD_OUT));
        await(inStep, evaluating);

        ConcurrentModificationException refused = assertThrows(ConcurrentModificationException.class,
                () -> Evaluation.loss(model, TOKENIZER, HELD_OUT));
        assertTrue(refused.getMessage().startsWith("the model is being trained on the thread \""),
                refused.getMessage());
        assertTrue(refused.getMessage().endsWith("read a copy (ArrayGptModel.copyOf), or take turns (nothing was"
                + " evaluated)"), refused.getMessage());
        assertThrows(ConcurrentModificationException.class, () -> NextToken.after(model, TOKENIZER, "em"));

        release.countDown();
        evaluating.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        assertEquals(1, trainer.stepsDone());
        // Its read over, the model is free: read and trained from this thread.
        Evaluation.loss(model, TOKENIZER, HELD_OUT);
        assertEquals(2, trainer.step(StepMode.DOCUMENT).step());
    }

    @ParameterizedTest
    @EnumSource(Engine.class)
    void aReaderMayNotTrainInsideItsReadWhileAnotherThreadReads(Engine engine) throws Exception {
        LanguageModel model = engine.create(GptConfig.defaults(), TOKENIZER.vocabSize(), new PythonRandom(42));
        Trainer trainer = new Trainer(model, TOKENIZER, DOCS, new AdamOptimizer(model.numParameters()), 4);
        double expectedLoss = Evaluation.loss(model, TOKENIZER, HELD_OUT);
        Set<Thread> held = ConcurrentHashMap.newKeySet();
        Set<Thread> training = ConcurrentHashMap.newKeySet();
        CountDownLatch reading = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicReference<RuntimeException> seen = new AtomicReference<>();
        holdReaders(model, held, reading, release);
        Set<Thread> first = ConcurrentHashMap.newKeySet();
        model.addAttentionListener(e -> {
            if (training.contains(Thread.currentThread()) && first.add(Thread.currentThread())) {
                try {
                    trainer.step(StepMode.DOCUMENT);
                } catch (RuntimeException refused) {
                    seen.set(refused);
                }
            }
        });
        CompletableFuture<Double> other = onReader(held, () -> Evaluation.loss(model, TOKENIZER, HELD_OUT));
        await(reading, other);
        CompletableFuture<Double> trainingReader = onReader(training, () -> Evaluation.loss(model, TOKENIZER,
                HELD_OUT));
        assertBits(expectedLoss, trainingReader.get(TIMEOUT_SECONDS, TimeUnit.SECONDS),
                "its read, its step refused, as alone");
        assertTrue(seen.get() instanceof ConcurrentModificationException, String.valueOf(seen.get()));
        assertTrue(seen.get().getMessage().startsWith("the model is being evaluated on the thread \""),
                seen.get().getMessage());
        assertTrue(seen.get().getMessage().contains(" at this moment; a model is trained while nothing else uses it"),
                seen.get().getMessage());
        assertEquals(0, trainer.stepsDone());
        release.countDown();
        assertBits(expectedLoss, other.get(TIMEOUT_SECONDS, TimeUnit.SECONDS), "the other read, as alone");
    }

    @Test
    void aModelOfAnotherClassIsReadByOneThreadAtATime() throws Exception {
        Set<Thread> held = ConcurrentHashMap.newKeySet();
        CountDownLatch reading = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        // A model of a class outside the library, whose reads are not known to be shareable: its
        // first reader on a thread of held stops in its first token until release.
        LanguageModel model = new WrappedModel(Engine.ARRAY.create(GptConfig.defaults(), TOKENIZER.vocabSize(),
                new PythonRandom(42)), (sequence, tokenId) -> {
                    if (held.remove(Thread.currentThread())) {
                        reading.countDown();
                        await(release);
                    }
                    return sequence.next(tokenId);
                });
        double expectedLoss = Evaluation.loss(model, TOKENIZER, HELD_OUT);
        CompletableFuture<Double> first = onReader(held, () -> Evaluation.loss(model, TOKENIZER, HELD_OUT));
        await(reading, first);
        ConcurrentModificationException refused = assertThrows(ConcurrentModificationException.class,
                () -> new Sampler(model, TOKENIZER, new PythonRandom(7)).sample(0.5));
        assertTrue(refused.getMessage().contains(" at this moment; a model of a class outside the library (WrappedModel)"
                + " is read by one thread at a time"), refused.getMessage());
        assertTrue(refused.getMessage().endsWith("give each thread its own model, or take turns (this token was not"
                + " drawn)"), refused.getMessage());
        release.countDown();
        assertBits(expectedLoss, first.get(TIMEOUT_SECONDS, TimeUnit.SECONDS), "the first read, as alone");
    }
}
