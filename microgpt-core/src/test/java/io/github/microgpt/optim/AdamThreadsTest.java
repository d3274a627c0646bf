package io.github.microgpt.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.microgpt.model.ArrayGptModel;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.MatrixLayout;
import io.github.microgpt.model.Parameters;
import io.github.microgpt.model.Precision;
import io.github.microgpt.random.PythonRandom;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Adam's update runs on the array model's threads ({@link ArrayGptModel#setThreads}), each
 * thread a contiguous range of rows. Adam is element-wise, so the parameters, the moments and
 * the zeroed gradients must come out the same bits on any number of threads, and the same as
 * through a plain {@link Parameters} view (the path every other model takes).
 */
class AdamThreadsTest {

    /** About 120,000 parameters: enough for the update to be cut into several ranges. */
    private static final GptConfig CONFIG = new GptConfig(2, 64, 4, 16, 0.08);
    /**
     * As many parameters in rows of 16, as the reference model's: short rows, which the update
     * stages through one flat array.
     */
    private static final GptConfig SHORT_ROWS = new GptConfig(40, 16, 4, 16, 0.08);

    @ParameterizedTest
    @EnumSource(Precision.class)
    void theUpdateDoesNotDependOnTheNumberOfThreads(Precision precision) {
        for (GptConfig config : List.of(CONFIG, SHORT_ROWS)) {
            Run one = run(config, precision, 1, false);
            for (int threads : new int[] {2, 3, 5}) {
                Run many = run(config, precision, threads, false);
                assertArrayEquals(one.values, many.values, threads + " threads, " + config);
                assertArrayEquals(one.first, many.first, threads + " threads, " + config);
                assertArrayEquals(one.second, many.second, threads + " threads, " + config);
                assertArrayEquals(one.grads, many.grads, threads + " threads, " + config);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = Precision.class, names = "F64")
    void theRowsAndAPlainViewGiveTheSameBits(Precision precision) {
        for (GptConfig config : List.of(CONFIG, SHORT_ROWS)) {
            Run rows = run(config, precision, 2, false);
            Run plain = run(config, precision, 1, true);
            assertArrayEquals(rows.values, plain.values, config.toString());
            assertArrayEquals(rows.first, plain.first, config.toString());
            assertArrayEquals(rows.second, plain.second, config.toString());
            assertArrayEquals(rows.grads, plain.grads, config.toString());
        }
    }

    private record Run(double[] values, double[] grads, double[] first, double[] second) {
    }

    /** Five Adam steps over the same pseudo-random gradients, on a model of the given precision. */
    private static Run run(GptConfig config, Precision precision, int threads, boolean throughPlainView) {
        ArrayGptModel model = ArrayGptModel.create(config, 27, new PythonRandom(7), precision).setThreads(threads);
        Parameters parameters = throughPlainView ? plainView(model.parameters()) : model.parameters();
        int n = parameters.size();
        AdamOptimizer adam = new AdamOptimizer(n);
        Random gradients = new Random(11);
        for (int step = 0; step < 5; step++) {
            for (int i = 0; i < n; i++) {
                parameters.setGrad(i, gradients.nextGaussian() * 0.1);
            }
            adam.step(parameters, step, 10);
        }
        double[] grads = model.parameters().grads();
        for (double g : grads) {
            assertEquals(0.0, g, "every gradient is set to 0 by a step");
        }
        return new Run(model.parameters().values(), grads, adam.firstMoments(), adam.secondMoments());
    }

    /** The same parameters behind a view that is not the array engine's rows. */
    static Parameters plainView(Parameters inner) {
        return new Parameters() {
            @Override
            public List<MatrixLayout> matrixLayouts() {
                return inner.matrixLayouts();
            }

            @Override
            public int size() {
                return inner.size();
            }

            @Override
            public double value(int i) {
                return inner.value(i);
            }

            @Override
            public void setValue(int i, double value) {
                inner.setValue(i, value);
            }

            @Override
            public double grad(int i) {
                return inner.grad(i);
            }

            @Override
            public void setGrad(int i, double grad) {
                inner.setGrad(i, grad);
            }
        };
    }
}
