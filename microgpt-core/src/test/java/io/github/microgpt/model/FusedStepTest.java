package io.github.microgpt.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.internal.FusedStep;
import io.github.microgpt.internal.FusedUpdates;
import io.github.microgpt.internal.RangeTask;
import io.github.microgpt.optim.AdamOptimizer;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.text.Tokenizer;
import io.github.microgpt.train.StepMode;
import io.github.microgpt.train.Trainer;
import io.github.microgpt.train.TrainingDivergedException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The step with the optimizer's update inside the backward pass ({@link FusedStep}): it must
 * leave the parameters and the moments bit for bit where the update after the pass leaves them,
 * on any number of threads, in both precisions, and it must update every row once, each with its
 * complete gradient.
 */
class FusedStepTest {

    private static final List<String> DOCS = List.of("emma", "olivia", "ava", "isabella", "sophia", "mia",
            "charlotte", "amelia");
    private static final Tokenizer TOKENIZER = Tokenizer.fromDocuments(DOCS);
    /** Rows of 48 numbers: long enough that Adam does not stage them, so the trainer fuses. */
    private static final GptConfig CONFIG = new GptConfig(2, 48, 4, 8, 0.08);

    private static ArrayGptModel model(Precision precision, Workers team) {
        return ArrayGptModel.create(CONFIG, TOKENIZER.vocabSize(), new PythonRandom(7), precision).useWorkers(team);
    }

    /**
     * The parameters, both moments and the gradients after {@code steps} trainer steps on one
     * thread, with or without a gradient listener (with one, the trainer must update after the
     * pass, so that the listener sees every gradient first).
     */
    private static double[][] trained(Precision precision, boolean listened, StepMode mode, int steps) {
        ArrayGptModel model = model(precision, ArrayGptModel.SINGLE_THREAD);
        AdamOptimizer adam = new AdamOptimizer(model.numParameters());
        Trainer trainer = new Trainer(model, TOKENIZER, DOCS, adam, 50);
        if (listened) {
            trainer.addGradientListener(event -> { });
        }
        for (int s = 0; s < steps; s++) {
            trainer.step(mode);
        }
        return state(model, adam);
    }

    private static double[][] state(ArrayGptModel model, AdamOptimizer adam) {
        return new double[][] {model.parameters().values(), adam.firstMoments(), adam.secondMoments(),
            model.parameters().grads()};
    }

    /**
     * The same state after {@code steps} fused steps run by hand on a team (the trainer fuses on
     * several threads only with the optional module's products, absent from these tests), or,
     * unless {@code fused}, the usual steps: the gradients, then Adam.
     */
    private static double[][] steppedBy(Precision precision, Workers team, boolean fused, int steps) {
        ArrayGptModel model = model(precision, team);
        AdamOptimizer adam = new AdamOptimizer(model.numParameters());
        for (int s = 0; s < steps; s++) {
            int[] tokens = TOKENIZER.encodeDocument(DOCS.get(s % DOCS.size()));
            int end = Math.min(CONFIG.blockSize(), tokens.length - 1);
            if (fused) {
                RangeTask update = FusedUpdates.prepare(adam, model.parameters(), s, 50);
                fusedStep(model).lossGradientsAndUpdate(tokens, 0, end, update);
            } else {
                model.lossAndGradients(tokens, 0, end);
                adam.step(model.parameters(), s, 50);
            }
        }
        return state(model, adam);
    }

    private static void assertSameState(double[][] expected, double[][] got, String what) {
        assertArrayEquals(expected[0], got[0], 0.0, what + ": parameters");
        assertArrayEquals(expected[1], got[1], 0.0, what + ": first moments");
        assertArrayEquals(expected[2], got[2], 0.0, what + ": second moments");
        assertArrayEquals(new double[got[3].length], got[3], 0.0, what + ": gradients left");
    }

    @Test
    void aTrainerWithoutListenersLeavesTheBitsOfOneThatUpdatesAfterThePass() {
        for (Precision precision : Precision.values()) {
            for (StepMode mode : StepMode.values()) {
                assertSameState(trained(precision, true, mode, 12), trained(precision, false, mode, 12),
                        precision + " " + mode);
            }
        }
    }

    @Test
    void fusedStepsLeaveTheSameBitsOnAnyNumberOfThreads() {
        for (Precision precision : Precision.values()) {
            double[][] reference = steppedBy(precision, ArrayGptModel.SINGLE_THREAD, false, 12);
            for (int threads = 1; threads <= 3; threads++) {
                // Stage grain 1: the tests' teams split even these small loops.
                assertSameState(reference, steppedBy(precision, new Workers(threads, 1), true, 12),
                        precision + " fused on " + threads + " threads");
                assertSameState(reference, steppedBy(precision, new Workers(threads, 1), false, 12),
                        precision + " unfused on " + threads + " threads");
            }
        }
    }

    @Test
    void theCoreLoopsInDoublePrecisionFuseOnOneOrTwoThreadsOnly() {
        for (Precision precision : Precision.values()) {
            FusedStep one = fusedStep(model(precision, ArrayGptModel.SINGLE_THREAD));
            FusedStep two = fusedStep(model(precision, new Workers(2)));
            FusedStep three = fusedStep(model(precision, new Workers(3)));
            assertTrue(one.fuses(), precision + " on one thread");
            assertTrue(two.fuses(), precision + " on two threads");
            boolean expected = precision == Precision.F32 || ArrayKernels.runsOptionalKernels();
            assertEquals(expected, three.fuses(), precision + " on three threads");
        }
    }

    @Test
    void aLossThatIsNotFiniteChangesNothing() {
        for (Precision precision : Precision.values()) {
            ArrayGptModel model = model(precision, ArrayGptModel.SINGLE_THREAD);
            AdamOptimizer adam = new AdamOptimizer(model.numParameters());
            Trainer trainer = new Trainer(model, TOKENIZER, DOCS, adam, 50);
            trainer.step(StepMode.DOCUMENT);
            // A weight of the output layer set to infinity makes every logit of that token infinite.
            int lmHead = model.parameters().matrixLayouts().get(2).offset();
            model.parameters().setValue(lmHead, Double.POSITIVE_INFINITY);
            double[][] before = state(model, adam);
            assertThrows(TrainingDivergedException.class, () -> trainer.step(StepMode.DOCUMENT));
            assertEquals(1, trainer.stepsDone(), precision + ": the step is not counted");
            assertSameState(before, state(model, adam), precision + ": nothing changed");
        }
    }

    @Test
    void everyRowIsUpdatedOnceWithItsCompleteGradient() {
        for (Precision precision : Precision.values()) {
            for (int threads = 1; threads <= 2; threads++) {
                ArrayGptModel fused = model(precision, new Workers(threads, 1));
                ArrayGptModel plain = model(precision, ArrayGptModel.SINGLE_THREAD);
                int[] tokens = TOKENIZER.encodeDocument("isabella");
                int end = Math.min(CONFIG.blockSize(), tokens.length - 1);
                double loss = plain.lossAndGradients(tokens, 0, end);
                double[] expected = plain.parameters().grads();
                int rows = rowCount(fused);
                int[] seen = new int[rows];
                List<double[]> gradients = new ArrayList<>();
                double[] flat = new double[expected.length];
                int[] rowStart = rowStarts(fused, rows);
                // Records each row's gradient when it is handed to the update, instead of updating.
                RangeTask record = (from, to) -> {
                    synchronized (seen) {
                        for (int r = from; r < to; r++) {
                            seen[r]++;
                            double[] row = gradientRow(fused, r);
                            System.arraycopy(row, 0, flat, rowStart[r], row.length);
                            gradients.add(row);
                        }
                    }
                };
                double fusedLoss = fusedStep(fused).lossGradientsAndUpdate(tokens, 0, end, record);
                assertEquals(loss, fusedLoss, 0.0);
                for (int r = 0; r < rows; r++) {
                    assertEquals(1, seen[r], precision + ": row " + r + " updated once");
                }
                assertArrayEquals(expected, flat, 0.0, precision + " on " + threads + " threads: the gradients seen");
                assertTrue(gradients.size() == rows);
            }
        }
    }

    @Test
    void adamPreparesAFusedUpdateOnlyForRowsItDoesNotStage() {
        ArrayGptModel wide = model(Precision.F64, ArrayGptModel.SINGLE_THREAD);
        assertNotNull(FusedUpdates.prepare(new AdamOptimizer(wide.numParameters()), wide.parameters(), 0, 10));
        ArrayGptModel narrow = ArrayGptModel.create(new GptConfig(1, 16, 4, 8, 0.08), TOKENIZER.vocabSize(),
                new PythonRandom(7));
        assertNull(FusedUpdates.prepare(new AdamOptimizer(narrow.numParameters()), narrow.parameters(), 0, 10));
        GptModel values = GptModel.create(CONFIG, TOKENIZER.vocabSize(), new PythonRandom(7));
        assertNull(FusedUpdates.prepare(new AdamOptimizer(values.numParameters()), values.parameters(), 0, 10));
    }

    private static FusedStep fusedStep(ArrayGptModel model) {
        return ((FusedStep.Source) model.parameters()).fusedStep();
    }

    private static int rowCount(ArrayGptModel model) {
        Parameters p = model.parameters();
        return p instanceof ArrayParameters a ? a.valueRows().length : ((FloatParameters) p).valueRows().length;
    }

    private static int[] rowStarts(ArrayGptModel model, int rows) {
        int[] starts = new int[rows];
        int at = 0;
        for (int r = 0; r < rows; r++) {
            starts[r] = at;
            at += gradientRow(model, r).length;
        }
        return starts;
    }

    private static double[] gradientRow(ArrayGptModel model, int r) {
        Parameters p = model.parameters();
        if (p instanceof ArrayParameters a) {
            return a.gradRows()[r].clone();
        }
        float[] row = ((FloatParameters) p).gradRows()[r];
        double[] wide = new double[row.length];
        for (int i = 0; i < row.length; i++) {
            wide[i] = row[i];
        }
        return wide;
    }
}
