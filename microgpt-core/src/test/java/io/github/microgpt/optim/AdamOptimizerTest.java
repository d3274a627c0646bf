package io.github.microgpt.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.model.Engine;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.LanguageModel;
import io.github.microgpt.model.ParameterLayout;
import io.github.microgpt.model.MatrixLayout;
import io.github.microgpt.model.Parameters;
import io.github.microgpt.model.Precision;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.testing.Cases;
import io.github.microgpt.testing.Gen;
import io.github.microgpt.text.Tokenizer;
import io.github.microgpt.train.StepMode;
import io.github.microgpt.train.Trainer;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * {@link AdamOptimizer}: microgpt.py's Adam update (the loop over {@code params} after
 * {@code loss.backward()}: {@code lr_t = learning_rate * (1 - step / num_steps)}, moments {@code m} and
 * {@code v}, their bias corrections {@code m_hat} and {@code v_hat}) number for number, its validation,
 * and the schedules.
 */
class AdamOptimizerTest {

    /**
     * Parameters held in two plain arrays, which the test may read and write directly (the fields,
     * or the arrays it passed in), in the given matrices; a view that is not the array engine's
     * rows, {@code model.ArrayParameters} (AdamOneUpdateTest uses it too).
     */
    record PlainParameters(List<MatrixLayout> matrixLayouts, double[] values, double[] grads) implements Parameters {

        /** Copies of the two arrays, as one matrix named "all". */
        PlainParameters(double[] values, double[] grads) {
            this(List.of(new MatrixLayout("all", 1, values.length, 0)), values.clone(), grads.clone());
        }

        /** A copy, as {@link Parameters#values()} promises (a record's own accessor would share the array). */
        @Override
        public double[] values() {
            return values.clone();
        }

        /** A copy, as {@link Parameters#grads()} promises. */
        @Override
        public double[] grads() {
            return grads.clone();
        }

        @Override
        public int size() {
            return values.length;
        }

        @Override
        public double value(int i) {
            return values[i];
        }

        @Override
        public void setValue(int i, double value) {
            values[i] = value;
        }

        @Override
        public double grad(int i) {
            return grads[i];
        }

        @Override
        public void setGrad(int i, double grad) {
            grads[i] = grad;
        }
    }

    @Test
    void oneStepByHand() {
        // p = 1, g = 0.5, first of 10 steps, the defaults (lr 0.01, beta1 0.85, beta2 0.99, eps 1e-8):
        // m = 0.15 * 0.5, v = 0.01 * 0.25, m^ = m / 0.15 = 0.5, v^ = v / 0.01 = 0.25,
        // p = 1 - 0.01 * 0.5 / (0.5 + 1e-8).
        PlainParameters p = new PlainParameters(new double[] {1.0}, new double[] {0.5});
        double lr = new AdamOptimizer(1).step(p, 0, 10);
        assertEquals(0.01, lr);
        assertEquals(1 - 0.01 * 0.5 / (0.5 + 1e-8), p.values[0], 1e-16);
        assertEquals(0.99, p.values[0], 1e-9, "the first step moves each parameter by about lr");
        assertEquals(0.0, p.grads[0], "the gradient is reset");
    }

    /** Random parameters and gradients for a few steps, and random hyperparameters. */
    record AdamCase(double[] values, double[][] grads, int totalSteps, double lr, double beta1, double beta2,
                    double eps) {
        @Override
        public String toString() {
            return "values=" + Arrays.toString(values) + " grads=" + Arrays.deepToString(grads)
                    + " totalSteps=" + totalSteps + " lr=" + lr + " beta1=" + beta1 + " beta2=" + beta2 + " eps=" + eps;
        }
    }

    private static AdamCase randomCase(Gen g) {
        int n = g.intIn(1, 6);
        int steps = g.intIn(1, 5);
        double[] values = new double[n];
        double[][] grads = new double[steps][n];
        for (int i = 0; i < n; i++) {
            values[i] = g.gaussian();
            for (int s = 0; s < steps; s++) {
                grads[s][i] = g.chance(0.1) ? 0.0 : g.gaussian() * g.logUniform(1e-6, 10);
            }
        }
        boolean defaults = g.chance(0.3);
        return new AdamCase(values, grads, steps + g.intIn(0, 5),
                defaults ? 0.01 : g.logUniform(1e-4, 1), defaults ? 0.85 : g.doubleIn(0, 0.99),
                defaults ? 0.99 : g.doubleIn(0.5, 0.9999), defaults ? 1e-8 : g.logUniform(1e-12, 1e-3));
    }

    @TestFactory
    Stream<DynamicTest> stepsFollowMicrogptPyAdamUpdateExactly() {
        return Cases.dynamicTests("Adam = microgpt.py's update", 200, AdamOptimizerTest::randomCase, c -> {
            int n = c.values().length;
            AdamOptimizer adam = new AdamOptimizer(n, new AdamSettings(c.lr(), c.beta1(), c.beta2(), c.eps(),
                    LearningRateSchedule.LINEAR_DECAY));
            PlainParameters parameters = new PlainParameters(c.values(), new double[n]);
            double[] p = c.values().clone();
            double[] m = new double[n];
            double[] v = new double[n];
            for (int s = 0; s < c.grads().length; s++) {
                System.arraycopy(c.grads()[s], 0, parameters.grads, 0, n);
                double lrT = c.lr() * (1 - (double) s / c.totalSteps());
                for (int i = 0; i < n; i++) {
                    double g = c.grads()[s][i];
                    m[i] = c.beta1() * m[i] + (1 - c.beta1()) * g;
                    v[i] = c.beta2() * v[i] + (1 - c.beta2()) * Math.pow(g, 2);
                    double mHat = m[i] / (1 - Math.pow(c.beta1(), s + 1));
                    double vHat = v[i] / (1 - Math.pow(c.beta2(), s + 1));
                    p[i] -= lrT * mHat / (Math.pow(vHat, 0.5) + c.eps());
                }
                assertEquals(lrT, adam.step(parameters, s, c.totalSteps()), "learning rate of step " + s);
                assertArrayEquals(p, parameters.values, "parameters after step " + s);
                assertArrayEquals(m, adam.firstMoments(), "m after step " + s);
                assertArrayEquals(v, adam.secondMoments(), "v after step " + s);
                assertArrayEquals(new double[n], parameters.grads, "gradients are reset after step " + s);
            }
        });
    }

    @TestFactory
    Stream<DynamicTest> theFirstStepMovesEachParameterByAboutTheLearningRate() {
        return Cases.dynamicTests("first Adam step ~ lr * sign(g)", 100, AdamOptimizerTest::randomCase, c -> {
            int n = c.values().length;
            PlainParameters parameters = new PlainParameters(c.values(), c.grads()[0]);
            new AdamOptimizer(n, new AdamSettings(c.lr(), c.beta1(), c.beta2(), c.eps(), LearningRateSchedule.CONSTANT))
                    .step(parameters, 0, c.totalSteps());
            for (int i = 0; i < n; i++) {
                double g = c.grads()[0][i];
                // With bias correction, m^ = g and v^ = g^2 on the first step.
                double expected = -c.lr() * g / (Math.abs(g) + c.eps());
                assertEquals(expected, parameters.values[i] - c.values()[i],
                        1e-9 * c.lr() + 4 * Math.ulp(c.values()[i]), "change of parameter " + i);
            }
        });
    }

    @Test
    void momentsAreCopies() {
        AdamOptimizer adam = new AdamOptimizer(2);
        PlainParameters p = new PlainParameters(new double[] {1, 2}, new double[] {0.1, -0.2});
        adam.step(p, 0, 3);
        adam.firstMoments()[0] = 99;
        adam.secondMoments()[0] = 99;
        assertTrue(adam.firstMoments()[0] != 99 && adam.secondMoments()[0] != 99);
    }

    @Test
    void momentsGoBackFromFloatRowsToDoublesWhenParametersOfDoublesAreUpdated() {
        // A single-precision model's update keeps the moments in float rows and lets the double
        // ones go; an update of doubles afterwards must take them back from the float rows.
        List<String> docs = List.of("emma", "olivia", "ava");
        Tokenizer tokenizer = Tokenizer.fromDocuments(docs);
        LanguageModel model = Engine.ARRAY.create(GptConfig.defaults(), tokenizer.vocabSize(), new PythonRandom(42),
                Precision.F32);
        int n = model.numParameters();
        AdamOptimizer adam = new AdamOptimizer(n);
        Trainer trainer = new Trainer(model, tokenizer, docs, adam, 10);
        trainer.step(StepMode.DOCUMENT);
        trainer.step(StepMode.DOCUMENT);
        double[] first = adam.firstMoments();
        double[] second = adam.secondMoments();
        assertTrue(Arrays.stream(first).anyMatch(m -> m != 0) && Arrays.stream(second).anyMatch(v -> v > 0));

        // With zero gradients the moments only decay: m <- b1 m + (1 - b1) 0, v <- b2 v + (1 - b2) 0.
        adam.step(new PlainParameters(new double[n], new double[n]), 2, 10);
        double[] decayedFirst = adam.firstMoments();
        double[] decayedSecond = adam.secondMoments();
        for (int i = 0; i < n; i++) {
            assertEquals(0.85 * first[i] + 0.15 * 0.0, decayedFirst[i], "first moment " + i);
            assertEquals(0.99 * second[i] + (1 - 0.99) * 0.0, decayedSecond[i], "second moment " + i);
        }
    }

    @Test
    void momentsTheHeapCannotHoldAreRefusedByAMessage() {
        // At the largest size a model may have, the moments are 34 GB: this was an
        // OutOfMemoryError ("Java heap space") from the constructor, with no word of why.
        // (The default heap is a quarter of the machine's memory; this needs it below 68 GB.)
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new AdamOptimizer(ParameterLayout.MAX_SIZE, AdamSettings.defaults()));
        assertTrue(e.getMessage().startsWith("the moments of " + ParameterLayout.MAX_SIZE + " parameters (two doubles"
                + " each) would take " + 16L * ParameterLayout.MAX_SIZE + " bytes of memory, more than half of the "
                + Runtime.getRuntime().maxMemory() + " bytes this Java heap may use; give Java more memory"),
                e.getMessage());
    }

    @Test
    void rejectsBadHyperparameters() {
        LearningRateSchedule s = LearningRateSchedule.LINEAR_DECAY;
        assertThrows(IllegalArgumentException.class, () -> new AdamOptimizer(-1));
        // Refused by a message, not an OutOfMemoryError ("Requested array size exceeds VM limit").
        for (int tooMany : new int[] {Integer.MAX_VALUE, ParameterLayout.MAX_SIZE + 1}) {
            IllegalArgumentException size = assertThrows(IllegalArgumentException.class,
                    () -> new AdamOptimizer(tooMany));
            assertTrue(size.getMessage().contains("at most " + ParameterLayout.MAX_SIZE)
                    && size.getMessage().contains(String.valueOf(tooMany)), size.getMessage());
        }
        for (double bad : new double[] {0, -0.01, Double.NaN, Double.POSITIVE_INFINITY}) {
            IllegalArgumentException lr = assertThrows(IllegalArgumentException.class,
                    () -> new AdamSettings(bad, 0.85, 0.99, 1e-8, s));
            assertTrue(lr.getMessage().contains("learningRate"), lr.getMessage());
            IllegalArgumentException eps = assertThrows(IllegalArgumentException.class,
                    () -> AdamSettings.defaults().withEps(bad));
            assertTrue(eps.getMessage().contains("eps"), eps.getMessage());
            assertThrows(IllegalArgumentException.class, () -> AdamSettings.defaults().withLearningRate(bad));
        }
        for (double bad : new double[] {-0.1, 1.0, 1.5, Double.NaN}) {
            IllegalArgumentException b1 = assertThrows(IllegalArgumentException.class,
                    () -> AdamSettings.defaults().withBetas(bad, 0.99));
            assertTrue(b1.getMessage().contains("beta1"), b1.getMessage());
            IllegalArgumentException b2 = assertThrows(IllegalArgumentException.class,
                    () -> AdamSettings.defaults().withBetas(0.85, bad));
            assertTrue(b2.getMessage().contains("beta2"), b2.getMessage());
        }
        NullPointerException noSchedule = assertThrows(NullPointerException.class,
                () -> AdamSettings.defaults().withSchedule(null));
        assertEquals("schedule", noSchedule.getMessage());
        assertThrows(NullPointerException.class, () -> new AdamOptimizer(1, null));
    }

    @Test
    void rejectsAStepOutsideTheRunOrForOtherParameters() {
        AdamOptimizer adam = new AdamOptimizer(2);
        PlainParameters two = new PlainParameters(new double[2], new double[2]);
        assertThrows(IllegalArgumentException.class, () -> adam.step(two, -1, 10));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> adam.step(two, 10, 10));
        assertTrue(e.getMessage().contains("stepIndex 10"), e.getMessage());
        IllegalArgumentException size = assertThrows(IllegalArgumentException.class,
                () -> adam.step(new PlainParameters(new double[3], new double[3]), 0, 10));
        assertTrue(size.getMessage().contains("2") && size.getMessage().contains("3"), size.getMessage());
    }

    @Test
    void scheduleAndLearningRateCanBeReplaced() {
        AdamOptimizer adam = new AdamOptimizer(1, AdamSettings.defaults().withLearningRate(0.5).withSchedule(LearningRateSchedule.CONSTANT));
        assertEquals(0.5, adam.learningRate(7, 10));
        AdamOptimizer custom = new AdamOptimizer(1, AdamSettings.defaults().withSchedule((base, step, total) -> base / (step + 1)));
        assertEquals(0.01 / 4, custom.learningRate(3, 10));
        PlainParameters p = new PlainParameters(new double[] {0}, new double[] {1});
        assertEquals(0.01 / 4, custom.step(p, 3, 10));
        assertEquals(1, custom.size());
    }

    @TestFactory
    Stream<DynamicTest> linearDecayFallsFromTheBaseRateTowardZero() {
        return Cases.dynamicTests("linear decay", 200, g -> new double[] {g.logUniform(1e-5, 10), g.intIn(1, 100_000)},
                c -> {
                    double base = c[0];
                    int total = (int) c[1];
                    LearningRateSchedule linear = LearningRateSchedule.LINEAR_DECAY;
                    assertEquals(base, linear.rate(base, 0, total));
                    double previous = Double.POSITIVE_INFINITY;
                    for (int s : new int[] {0, total / 4, total / 2, total - 1}) {
                        double rate = linear.rate(base, s, total);
                        assertEquals(base * (1 - (double) s / total), rate, "step " + s);
                        assertTrue(rate > 0 && rate <= previous, "step " + s + ": " + rate);
                        previous = rate;
                    }
                    // Step totalSteps is past the run: the line would reach 0 there, and go below after.
                    assertThrows(IllegalArgumentException.class, () -> linear.rate(base, total, total));
                    assertEquals(base, LearningRateSchedule.CONSTANT.rate(base, total - 1, total));
                    assertEquals(base, new AdamOptimizer(0, AdamSettings.defaults().withLearningRate(base)).learningRate(0, total));
                });
    }
}
