package io.github.microgpt.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.model.Architecture;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.GptModel;
import io.github.microgpt.model.LanguageModel;
import io.github.microgpt.model.Parameters;
import io.github.microgpt.optim.AdamOptimizer;
import io.github.microgpt.optim.AdamSettings;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.testing.Cases;
import io.github.microgpt.testing.Gen;
import io.github.microgpt.text.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.function.Executable;

/** {@link Trainer}: the two step modes, the events, stopping, and its errors. */
class TrainerTest {

    private static final List<String> DOCS = List.of("ab", "cab", "b", "abcabc");
    private static final Tokenizer TOKENIZER = Tokenizer.fromDocuments(DOCS);

    private static GptModel model(int blockSize) {
        return GptModel.create(new GptConfig(1, 4, 2, blockSize, 0.08), TOKENIZER.vocabSize(), new PythonRandom(5));
    }

    private static Trainer trainer(GptModel model, List<String> docs, int steps) {
        return new Trainer(model, TOKENIZER, docs, new AdamOptimizer(model.numParameters()), steps);
    }

    /** Records every event a trainer sends. */
    static final class Recorder implements PositionListener, StepListener {
        /** Registers this recorder for both kinds of event. */
        Recorder listenTo(Trainer trainer) {
            trainer.addPositionListener(this);
            trainer.addStepListener(this);
            return this;
        }

        final List<PositionEvent> positions = new ArrayList<>();
        final List<StepEvent> steps = new ArrayList<>();

        @Override
        public void onPosition(PositionEvent event) {
            positions.add(event);
        }

        @Override
        public void onStep(StepEvent event) {
            steps.add(event);
        }
    }

    /** One position of one document, as the trainer should visit it. */
    private record Visit(int document, int posId) {
    }

    @TestFactory
    Stream<DynamicTest> positionModeWalksThePositionsOfEachDocumentInTurn() {
        return Cases.dynamicTests("POSITION mode order", 20, g -> new int[] {g.intIn(2, 8), g.intIn(1, 30)}, c -> {
            int blockSize = c[0];
            int steps = c[1];
            // The expected walk: positions 0..n-1 of doc 0, then of doc 1, ..., then doc 0 again.
            List<Visit> expected = new ArrayList<>();
            for (int d = 0; expected.size() < steps; d = (d + 1) % DOCS.size()) {
                int n = Math.min(blockSize, TOKENIZER.encodeDocument(DOCS.get(d)).length - 1);
                for (int p = 0; p < n && expected.size() < steps; p++) {
                    expected.add(new Visit(d, p));
                }
            }
            Trainer trainer = trainer(model(blockSize), DOCS, steps);
            Recorder recorder = new Recorder();
            recorder.listenTo(trainer);
            assertEquals(steps, trainer.run(StepMode.POSITION));
            assertEquals(steps, recorder.positions.size(), "one position per step");
            for (int s = 0; s < steps; s++) {
                PositionEvent e = recorder.positions.get(s);
                Visit visit = expected.get(s);
                int[] tokens = TOKENIZER.encodeDocument(DOCS.get(visit.document()));
                String where = "step " + (s + 1);
                assertEquals(s + 1, e.step(), where);
                assertEquals(DOCS.get(visit.document()), e.document(), where);
                assertEquals(visit.posId(), e.posId(), where);
                assertArrayEquals(Arrays.copyOf(tokens, visit.posId() + 1), e.context(), where);
                assertEquals(tokens[visit.posId()], e.inputTokenId(), where);
                assertEquals(tokens[visit.posId() + 1], e.targetTokenId(), where);
                assertEquals(TOKENIZER.vocabSize(), e.probabilities().length, where);
                assertEquals(-Math.log(e.probabilities()[e.targetTokenId()]), e.loss(), 1e-15, where);
                assertEquals(e.loss(), recorder.steps.get(s).loss(), "a one-position step's loss is that position's");
            }
        });
    }

    @Test
    void documentModeTrainsDocumentSModuloTheNumberOfDocuments() {
        int steps = 11;
        int blockSize = 4;
        Trainer trainer = trainer(model(blockSize), DOCS, steps);
        Recorder recorder = new Recorder();
        recorder.listenTo(trainer);
        AdamOptimizer schedule = new AdamOptimizer(1);
        for (int s = 0; s < steps; s++) {
            StepEvent event = trainer.step(StepMode.DOCUMENT);
            assertEquals(s + 1, event.step(), "steps are numbered from 1");
            assertEquals(steps, event.totalSteps());
            assertEquals(schedule.learningRate(s, steps), event.learningRate(), "the schedule's rate for step " + s);
            assertEquals(event, recorder.steps.get(s));
            assertEquals(s + 1, trainer.stepsDone());
        }
        int at = 0;
        for (int s = 0; s < steps; s++) {
            String doc = DOCS.get(s % DOCS.size());
            int n = Math.min(blockSize, doc.length() + 1);
            double total = 0.0;
            for (int p = 0; p < n; p++) {
                PositionEvent e = recorder.positions.get(at++);
                assertEquals(s + 1, e.step());
                assertEquals(doc, e.document(), "step " + (s + 1));
                assertEquals(p, e.posId());
                total = p == 0 ? 0.0 + e.loss() : total + e.loss();
            }
            // The step's loss is (1/n) * sum of the position losses, folded as Python's sum.
            assertEquals(total * (1.0 / n), recorder.steps.get(s).loss(), "loss of step " + (s + 1));
        }
        assertEquals(at, recorder.positions.size());
        assertTrue(trainer.isFinished());
    }

    @Test
    void aStepBeyondTheTotalIsAnError() {
        Trainer trainer = trainer(model(4), DOCS, 2);
        assertEquals(2, trainer.run(StepMode.DOCUMENT));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> trainer.step(StepMode.DOCUMENT));
        assertTrue(e.getMessage().contains("2"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> trainer.step(StepMode.POSITION));
        assertEquals(0, trainer.run(StepMode.DOCUMENT), "run on a finished trainer does nothing");
    }

    @Test
    void eventsHoldTheirOwnCopiesAndHandOutCopies() {
        Trainer trainer = trainer(model(4), DOCS, 1);
        List<PositionEvent> seen = new ArrayList<>();
        trainer.addPositionListener(seen::add);
        trainer.step(StepMode.DOCUMENT);
        int[] tokens = TOKENIZER.encodeDocument(DOCS.get(0));
        assertFalse(seen.isEmpty());
        for (PositionEvent e : seen) {
            assertArrayEquals(Arrays.copyOf(tokens, e.posId() + 1), e.context(), "the event's context is its own");
            assertNotSame(e.probabilities(), e.probabilities(), "each call a copy: no listener changes another's");
            assertArrayEquals(e.probabilities(), e.probabilities());
            assertEquals(1.0, Arrays.stream(e.probabilities()).sum(), 1e-12);
        }
        // Arrays given to the constructor are copied, once.
        int[] context = {1, 2};
        double[] probabilities = {0.5, 0.5};
        PositionEvent event = new PositionEvent(1, "ab", 1, context, 2, 0, probabilities, 0.7);
        context[0] = 7;
        probabilities[0] = 7;
        assertArrayEquals(new int[] {1, 2}, event.context());
        assertArrayEquals(new double[] {0.5, 0.5}, event.probabilities());
    }

    @TestFactory
    Stream<DynamicTest> aGradientListenerSeesTheGradientsOfTheStepBeforeTheUpdate() {
        return Cases.dynamicTests("gradient hook", 10, g -> new int[] {g.intIn(2, 8), g.intIn(0, 1)}, c -> {
            int blockSize = c[0];
            StepMode mode = StepMode.values()[c[1]];
            GptModel model = model(blockSize);
            GptModel twin = model(blockSize);
            Trainer trainer = trainer(model, DOCS, 3);
            Trainer plain = trainer(twin, DOCS, 3);
            List<String> order = new ArrayList<>();
            List<double[]> seen = new ArrayList<>();
            List<double[]> valuesSeen = new ArrayList<>();
            trainer.addGradientListener(e -> {
                order.add("gradients " + e.step());
                seen.add(e.grads());
                valuesSeen.add(e.parameters().values());
                Parameters view = e.parameters();
                assertThrows(UnsupportedOperationException.class, () -> view.setGrad(0, 1.0));
                assertThrows(UnsupportedOperationException.class, () -> view.setValue(0, 1.0));
                assertEquals(3, e.totalSteps());
            });
            trainer.addStepListener(e -> order.add("step " + e.step()));
            for (int step = 1; step <= 3; step++) {
                // What the twin computes before its update is what the hook must have seen.
                double[] before = twin.parameters().values();
                StepEvent expected = plain.step(mode);
                StepEvent actual = trainer.step(mode);
                assertEquals(expected.loss(), actual.loss(), "listening changes no number");
                assertArrayEquals(before, valuesSeen.get(step - 1), "the values before the update");
                double[] grads = seen.get(step - 1);
                assertTrue(Arrays.stream(grads).anyMatch(x -> x != 0.0), "the step's gradients, not zeros");
                assertArrayEquals(twin.parameters().values(), model.parameters().values());
            }
            assertEquals(List.of("gradients 1", "step 1", "gradients 2", "step 2", "gradients 3", "step 3"), order);
            // The gradients seen are those the model computes from the same weights.
            GptModel fresh = model(blockSize);
            int[] doc = TOKENIZER.encodeDocument(DOCS.get(0));
            int end = mode == StepMode.DOCUMENT ? Math.min(blockSize, doc.length - 1) : 1;
            fresh.lossAndGradients(doc, 0, end, null);
            assertArrayEquals(fresh.parameters().grads(), seen.get(0));
        });
    }

    /**
     * A listener that keeps the event and reads it after its call gets an error: the view then
     * showed the next step's values and the zeroed gradients, a wrong result without a word.
     * The names and shapes, which no update changes, stay readable; the copies made during the
     * call are the listener's own.
     */
    @Test
    void aGradientEventReadAfterItsCallFailsLoudly() {
        GptModel model = model(5);
        Trainer trainer = trainer(model, DOCS, 3);
        List<GradientEvent> kept = new ArrayList<>();
        List<double[]> copied = new ArrayList<>();
        trainer.addGradientListener(e -> {
            kept.add(e);
            copied.add(e.grads());
            assertEquals(e.grads()[0], e.parameters().grad(0), "readable during the call");
        });
        trainer.step(StepMode.DOCUMENT);
        GradientEvent event = kept.get(0);
        Parameters view = event.parameters();
        for (Executable read : List.<Executable>of(event::grads, view::values, view::grads, () -> view.value(0),
                () -> view.grad(0))) {
            IllegalStateException e = assertThrows(IllegalStateException.class, read);
            assertEquals("the parameters of the GradientEvent of step 1 were readable only during the listener's call"
                    + " (the update has changed them since); copy what you keep there, with event.grads() or"
                    + " parameters().values()", e.getMessage());
        }
        assertEquals(model.parameters().size(), view.size());
        assertEquals(model.parameters().matrixLayouts(), view.matrixLayouts());
        assertTrue(Arrays.stream(copied.get(0)).anyMatch(x -> x != 0.0), "the copy keeps the step's gradients");
        // A listener that failed closes the view too.
        trainer.addGradientListener(e -> {
            throw new IllegalStateException("listener failed");
        });
        assertThrows(IllegalStateException.class, () -> trainer.step(StepMode.DOCUMENT));
        assertThrows(IllegalStateException.class, () -> kept.get(1).grads());
    }

    @Test
    void aGradientListenerSeesTheMeanGradientsOfABatchStep() {
        GptModel model = model(5);
        GptModel twin = model(5);
        Trainer trainer = trainer(model, DOCS, 2);
        List<double[]> seen = new ArrayList<>();
        trainer.addGradientListener(e -> seen.add(e.grads()));
        trainer.stepBatch(Minibatch.of(3).withThreads(2));
        List<int[]> batch = new ArrayList<>();
        for (int b = 0; b < 3; b++) {
            batch.add(TOKENIZER.encodeDocument(DOCS.get(b % DOCS.size())));
        }
        twin.batchLossAndGradients(batch, 1, null);
        assertEquals(1, seen.size());
        assertArrayEquals(twin.parameters().grads(), seen.get(0), "the batch's mean gradients, before the update");
    }

    @Test
    void aRemovedStepOrGradientListenerHearsNothing() {
        Trainer trainer = trainer(model(4), DOCS, 2);
        List<Object> heard = new ArrayList<>();
        StepListener steps = heard::add;
        GradientListener gradients = heard::add;
        PositionListener positions = heard::add;
        trainer.addStepListener(steps);
        trainer.addGradientListener(gradients);
        trainer.addPositionListener(positions);
        trainer.removeStepListener(steps);
        trainer.removeGradientListener(gradients);
        trainer.removePositionListener(positions);
        trainer.run(StepMode.DOCUMENT);
        assertEquals(List.of(), heard);
        assertThrows(NullPointerException.class, () -> trainer.addStepListener(null));
    }

    @TestFactory
    Stream<DynamicTest> aStopRequestedDuringStepKEndsTheRunAfterIt() {
        return Cases.dynamicTests("requestStop at step k", 10, g -> new int[] {g.intIn(1, 10), g.intIn(0, 1)}, c -> {
            int k = c[0];
            StepMode mode = StepMode.values()[c[1]];
            Trainer trainer = trainer(model(4), DOCS, 12);
            trainer.addStepListener(event -> {
                if (event.step() == k) {
                    trainer.requestStop();
                }
            });
            assertEquals(k, trainer.run(mode));
            assertEquals(k, trainer.stepsDone());
            assertFalse(trainer.isFinished());
            // The request is used up: the next run goes on to the end.
            assertEquals(12 - k, trainer.run(mode));
            assertTrue(trainer.isFinished());
        });
    }

    @Test
    void requestStopFromAnotherThreadEndsTheRunBetweenSteps() throws Exception {
        Trainer trainer = trainer(model(4), DOCS, 50);
        CountDownLatch atStep3 = new CountDownLatch(1);
        CountDownLatch stopRequested = new CountDownLatch(1);
        trainer.addStepListener(event -> {
            if (event.step() == 3) {
                atStep3.countDown();
                try {
                    // Hold the training thread inside step 3 until the stop is requested.
                    assertTrue(stopRequested.await(60, TimeUnit.SECONDS), "the stop was never requested");
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        AtomicInteger ran = new AtomicInteger(-1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread training = new Thread(() -> {
            try {
                ran.set(trainer.run(StepMode.DOCUMENT));
            } catch (Throwable t) {
                failure.set(t);
            }
        }, "training");
        training.start();
        assertTrue(atStep3.await(60, TimeUnit.SECONDS), "training never reached step 3");
        trainer.requestStop();
        stopRequested.countDown();
        training.join(60_000);
        assertFalse(training.isAlive(), "run() did not return after requestStop()");
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
        assertEquals(3, ran.get());
        assertEquals(3, trainer.stepsDone());
    }

    @Test
    void aNanLossStopsTrainingNamingTheStepAndDocument() {
        for (StepMode mode : StepMode.values()) {
            GptModel model = model(4);
            Trainer trainer = trainer(model, DOCS, 10);
            Recorder recorder = new Recorder();
            recorder.listenTo(trainer);
            trainer.step(mode);
            trainer.step(mode);
            int index = model.parameters().matrixLayout("lm_head").offset();
            double original = model.parameters().value(index);
            model.parameters().setValue(index, Double.NaN);
            double[] before = model.parameters().values();
            // Step 3 trains "b" (document 2) in DOCUMENT mode, and position 2 of "ab" in POSITION mode.
            String document = mode == StepMode.DOCUMENT ? "b" : "ab";
            int failingPosition = mode == StepMode.DOCUMENT ? 0 : 2;

            TrainingDivergedException e = assertThrows(TrainingDivergedException.class, () -> trainer.step(mode));
            assertEquals(3, e.step(), mode + ": the failing step is named from 1");
            assertEquals(document, e.document(), mode.toString());
            assertTrue(Double.isNaN(e.loss()), mode.toString());
            assertTrue(e.getMessage().contains("step 3") && e.getMessage().contains("\"" + document + "\""),
                    e.getMessage());
            assertArrayEquals(before, model.parameters().values(), mode + ": no update after a NaN loss");
            assertArrayEquals(new double[model.numParameters()], model.parameters().grads(),
                    mode + ": the gradients are cleared");
            assertEquals(2, trainer.stepsDone(), mode.toString());
            assertEquals(2, recorder.steps.size(), mode + ": no step event for the failed step");

            // Repair the parameter: the failed step is retried on the same document and position.
            model.parameters().setValue(index, original);
            int positionsSoFar = recorder.positions.size();
            trainer.step(mode);
            PositionEvent retried = recorder.positions.get(positionsSoFar);
            assertEquals(document, retried.document(), mode.toString());
            assertEquals(failingPosition, retried.posId(), mode.toString());
            assertEquals(3, retried.step(), mode.toString());
        }
    }

    @Test
    void anInfiniteLossStopsTrainingToo() {
        GptModel model = model(4);
        Trainer trainer = trainer(model, DOCS, 10);
        model.parameters().setValue(0, Double.POSITIVE_INFINITY);
        double[] before = model.parameters().values();
        TrainingDivergedException e = assertThrows(TrainingDivergedException.class,
                () -> trainer.step(StepMode.DOCUMENT));
        assertEquals(1, e.step());
        assertEquals(DOCS.get(0), e.document());
        assertFalse(Double.isFinite(e.loss()));
        assertArrayEquals(before, model.parameters().values());
    }

    @Test
    void aHugeLearningRateDivergesWithTheStepNamed() {
        GptModel model = model(4);
        Trainer trainer = new Trainer(model, TOKENIZER, DOCS,
                new AdamOptimizer(model.numParameters(), AdamSettings.defaults().withLearningRate(1e300)), 20);
        AtomicReference<double[]> lastGood = new AtomicReference<>(model.parameters().values());
        trainer.addStepListener(event -> {
            lastGood.set(model.parameters().values());
        });
        TrainingDivergedException e = assertThrows(TrainingDivergedException.class,
                () -> trainer.run(StepMode.DOCUMENT));
        assertEquals(trainer.stepsDone() + 1, e.step());
        assertEquals(DOCS.get(trainer.stepsDone() % DOCS.size()), e.document());
        assertArrayEquals(lastGood.get(), model.parameters().values(), "the parameters of the last good step");
    }

    /**
     * The largest block size a model without a table of positions takes (a bigram's, an MLP's):
     * the trainer reads a document as up to block size + 1 tokens, and that sum overflowed, so the
     * trainer refused the model ("a document is read as at least 2 tokens, got -2147483648").
     */
    @Test
    void aModelOfTheLargestBlockSizeTrains() {
        for (Architecture architecture : List.of(Architecture.BIGRAM, Architecture.MLP)) {
            LanguageModel model = architecture.create(new GptConfig(1, 4, 1, Integer.MAX_VALUE, 0.08),
                    TOKENIZER.vocabSize(), new PythonRandom(5));
            Trainer trainer = new Trainer(model, TOKENIZER, DOCS, new AdamOptimizer(model.numParameters()), 2);
            trainer.run(StepMode.DOCUMENT);
            assertEquals(2, trainer.stepsDone(), architecture.id());
        }
    }

    @Test
    void theConstructorRejectsBadArguments() {
        GptModel model = model(4);
        AdamOptimizer adam = new AdamOptimizer(model.numParameters());
        for (int steps : new int[] {0, -1}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new Trainer(model, TOKENIZER, DOCS, adam, steps));
            assertTrue(e.getMessage().contains(Integer.toString(steps)), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> new Trainer(model, TOKENIZER, List.of(), adam, 1));
        IllegalArgumentException outside = assertThrows(IllegalArgumentException.class,
                () -> new Trainer(model, TOKENIZER, List.of("ab", "abc", "abz"), adam, 1));
        assertTrue(outside.getMessage().contains("document 2") && outside.getMessage().contains("'z'"),
                outside.getMessage());
        IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
                () -> new Trainer(model, TOKENIZER, List.of("ab", ""), adam, 1));
        assertTrue(empty.getMessage().contains("document 1"), empty.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> new Trainer(model, Tokenizer.ofCharacters("ab"), List.of("ab"), adam, 1));
        assertThrows(IllegalArgumentException.class,
                () -> new Trainer(model, TOKENIZER, DOCS, new AdamOptimizer(3), 1));
    }

    @Test
    void theTrainerKeepsACopyOfTheDocuments() {
        List<String> docs = new ArrayList<>(DOCS);
        Trainer trainer = trainer(model(4), docs, 3);
        docs.set(0, "zzz");
        assertEquals(DOCS, trainer.documents());
        assertThrows(UnsupportedOperationException.class, () -> trainer.documents().add("a"));
        assertEquals(3, trainer.totalSteps());
    }

    @Test
    void aRemovedListenerHearsNothing() {
        Trainer trainer = trainer(model(4), DOCS, 2);
        Recorder recorder = new Recorder();
        recorder.listenTo(trainer);
        trainer.step(StepMode.DOCUMENT);
        int positions = recorder.positions.size();
        trainer.removeStepListener(recorder);
        trainer.removePositionListener(recorder);
        trainer.step(StepMode.DOCUMENT);
        assertEquals(1, recorder.steps.size());
        assertEquals(positions, recorder.positions.size());
    }

    /** Seeds for the determinism check. */
    @TestFactory
    Stream<DynamicTest> trainingIsDeterministic() {
        return Cases.dynamicTests("same seed, same run", 5, Gen::seed, seed -> {
            double[] first = run(seed);
            assertArrayEquals(first, run(seed));
        });
    }

    private static double[] run(long seed) {
        GptModel model = GptModel.create(new GptConfig(1, 4, 2, 4, 0.08), TOKENIZER.vocabSize(), new PythonRandom(seed));
        trainer(model, DOCS, 6).run(StepMode.DOCUMENT);
        return model.parameters().values();
    }

    @Test
    void anAbsurdBatchSizeIsRefusedBeforeAnythingIsAllocated() {
        for (int batch : new int[] {Integer.MAX_VALUE, Minibatch.MAX_SIZE + 1, 0, -5}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Minibatch.of(batch));
            assertTrue(e.getMessage().contains("documents of a minibatch must be from 1 to " + Minibatch.MAX_SIZE
                    + ", got " + batch), e.getMessage());
        }
        for (int threads : new int[] {0, -1, Integer.MIN_VALUE}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Minibatch.of(2).withThreads(threads));
            assertTrue(e.getMessage().contains("threads of a minibatch must be from 1 to 256, got " + threads),
                    e.getMessage());
        }
        Trainer trainer = trainer(model(4), DOCS, 3);
        NullPointerException e = assertThrows(NullPointerException.class, () -> trainer.stepBatch(null));
        assertEquals("minibatch", e.getMessage());
        assertEquals(0, trainer.stepsDone(), "nothing was trained");
    }

    @Test
    void aMinibatchNamesItsDocumentsAndThreads() {
        Minibatch batch = Minibatch.of(8).withThreads(2);
        assertEquals(8, batch.size());
        assertEquals(2, batch.threads());
        assertEquals(1, Minibatch.of(8).threads(), "the calling thread unless told otherwise");
        assertEquals(new Minibatch(8, 2), batch);
    }

    @Test
    void aMinibatchRefusesMoreThreadsThanAnyModelTakesWhenItIsMade() {
        // Accepted here, 257 threads failed only at stepBatch, where every model refuses them.
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Minibatch.of(8).withThreads(257));
        assertTrue(e.getMessage().contains("257") && e.getMessage().contains("256"), e.getMessage());
        assertEquals(256, Minibatch.of(8).withThreads(256).threads());
    }
}
