package io.github.microgpt.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.github.microgpt.autograd.Value;
import io.github.microgpt.model.ArrayGptModel;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.GptModel;
import io.github.microgpt.model.KvCache;
import io.github.microgpt.model.Parameters;
import io.github.microgpt.model.ValueLanguageModel;
import io.github.microgpt.random.PythonRandom;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link AdamOptimizer} has one update loop over flat arrays: the array engine's gradient rows are
 * gathered into it and its value rows updated in place, any other {@link Parameters} are read and
 * written index by index. Both must give the very same
 * bits, and the same bits as the update written out as in {@code microgpt.py} (with
 * {@code ** 2} and {@code ** 0.5} as {@code Math.pow}).
 */
class AdamOneUpdateTest {

    /**
     * The reference shape (rows of 16 and of 64), and shapes whose rows the staged update copies
     * in and out at other lengths: 12 and 48, 3 and 12 (rows shorter than a vector), 20 and 80.
     */
    @ParameterizedTest
    @CsvSource({"16, 4, 7", "12, 3, 7", "3, 1, 5", "20, 2, 9"})
    void theArrayLoopAndTheInterfacePathAgreeBitForBit(int nEmbd, int nHead, int vocabSize) {
        SplittableRandom r = new SplittableRandom(5);
        GptConfig defaults = GptConfig.defaults();
        GptConfig config = new GptConfig(defaults.nLayer(), nEmbd, nHead, defaults.blockSize(), defaults.initStd());
        Parameters fast = ArrayGptModel.create(config, vocabSize, new PythonRandom(9)).parameters();
        double[] values = fast.values();
        double[] grads = new double[values.length];
        Parameters slow = new AdamOptimizerTest.PlainParameters(fast.matrixLayouts(), values, grads);
        AdamOptimizer fastAdam = new AdamOptimizer(fast.size());
        AdamOptimizer slowAdam = new AdamOptimizer(fast.size());
        // The first steps, and steps around 3724, from which on both bias corrections are exactly 1
        // and the update leaves their divisions out.
        int steps = 4000;
        int[] taken = java.util.stream.IntStream.concat(java.util.stream.IntStream.range(0, 60),
                java.util.stream.IntStream.range(3700, 3760)).toArray();
        for (int step : taken) {
            for (int i = 0; i < grads.length; i++) {
                // Gradients of every magnitude, zeros and both signs.
                double g = switch (r.nextInt(5)) {
                    case 0 -> 0.0;
                    case 1 -> r.nextGaussian() * 1e-12;
                    case 2 -> r.nextGaussian() * 1e6;
                    default -> r.nextGaussian();
                };
                grads[i] = g;
                fast.setGrad(i, g);
            }
            double[] expected = pythonStep(fast.values(), grads, slowAdam.firstMoments(), slowAdam.secondMoments(),
                    step, steps);
            fastAdam.step(fast, step, steps);
            slowAdam.step(slow, step, steps);
            assertArrayEquals(expected, values, 0.0, "the Python's update at step " + step);
            assertArrayEquals(values, fast.values(), 0.0, "values after step " + step);
            assertArrayEquals(grads, fast.grads(), 0.0, "gradients after step " + step);
            assertArrayEquals(slowAdam.firstMoments(), fastAdam.firstMoments(), 0.0, "m after step " + step);
            assertArrayEquals(slowAdam.secondMoments(), fastAdam.secondMoments(), 0.0, "v after step " + step);
        }
    }

    /**
     * The {@code Value} engine's parameters are updated in one loop over their nodes; the same
     * parameters copied in and out index by index (behind {@link AdamThreadsTest#plainView}) must
     * get the same bits, at the first steps and once each bias correction is exactly 1 (from step 8 with
     * {@code beta1 = 0.01}, from step 3,724 with the default {@code beta2 = 0.99}), and so must the
     * moments, with the gradients set to 0.
     */
    @ParameterizedTest
    @CsvSource({"0.85, 0.99", "0.01, 0.99", "0.01, 0.02"})
    void theValueNodeLoopAndTheInterfacePathAgreeBitForBit(double beta1, double beta2) {
        GptConfig config = new GptConfig(1, 8, 2, 4, 0.08);
        Parameters fast = GptModel.create(config, 5, new PythonRandom(9)).parameters();
        Parameters slow = AdamThreadsTest.plainView(GptModel.create(config, 5, new PythonRandom(9)).parameters());
        assertArrayEquals(fast.values(), slow.values(), 0.0);
        AdamSettings settings = AdamSettings.defaults().withBetas(beta1, beta2);
        AdamOptimizer fastAdam = new AdamOptimizer(fast.size(), settings);
        AdamOptimizer slowAdam = new AdamOptimizer(fast.size(), settings);
        SplittableRandom r = new SplittableRandom(7);
        int steps = 4000;
        int[] taken = java.util.stream.IntStream.concat(java.util.stream.IntStream.range(0, 30),
                java.util.stream.IntStream.range(3715, 3735)).toArray();
        for (int step : taken) {
            for (int i = 0; i < fast.size(); i++) {
                double g = switch (r.nextInt(4)) {
                    case 0 -> 0.0;
                    case 1 -> r.nextGaussian() * 1e-9;
                    default -> r.nextGaussian();
                };
                fast.setGrad(i, g);
                slow.setGrad(i, g);
            }
            fastAdam.step(fast, step, steps);
            slowAdam.step(slow, step, steps);
            assertArrayEquals(slow.values(), fast.values(), 0.0, "values after step " + step);
            assertArrayEquals(new double[fast.size()], fast.grads(), 0.0, "gradients after step " + step);
            assertArrayEquals(slowAdam.firstMoments(), fastAdam.firstMoments(), 0.0, "m after step " + step);
            assertArrayEquals(slowAdam.secondMoments(), fastAdam.secondMoments(), 0.0, "v after step " + step);
        }
    }

    /**
     * A model whose two matrices share a node (tied weights): the node stands at two indices, and
     * the loop over the nodes must update it as the copy does, each index from the values before
     * the update, the later index written last.
     */
    @Test
    void aNodeSharedByTwoMatricesIsUpdatedAsTheCopyUpdatesIt() {
        Parameters fast = tiedModel().parameters();
        Parameters slow = AdamThreadsTest.plainView(tiedModel().parameters());
        AdamOptimizer fastAdam = new AdamOptimizer(fast.size());
        AdamOptimizer slowAdam = new AdamOptimizer(fast.size());
        for (int step = 0; step < 3; step++) {
            for (int i = 0; i < fast.size(); i++) {
                // Set twice for the shared node: its gradient is the second index's.
                fast.setGrad(i, 0.1 * (i + 1) * (step + 1));
                slow.setGrad(i, 0.1 * (i + 1) * (step + 1));
            }
            fastAdam.step(fast, step, 10);
            slowAdam.step(slow, step, 10);
            assertArrayEquals(slow.values(), fast.values(), 0.0, "values after step " + step);
            assertArrayEquals(slowAdam.firstMoments(), fastAdam.firstMoments(), 0.0, "m after step " + step);
        }
    }

    /** Two matrices of 1 x 2 whose second entries are the same node. */
    private static ValueLanguageModel tiedModel() {
        Value shared = new Value(0.5);
        Map<String, Value[][]> state = new LinkedHashMap<>();
        state.put("a", new Value[][] {{new Value(1.0), shared}});
        state.put("b", new Value[][] {{new Value(-2.0), shared}});
        return new ValueLanguageModel(new GptConfig(1, 2, 1, 4, 0.08), 2, state) {
            @Override
            public Value[] forward(int tokenId, int posId, KvCache cache) {
                throw new UnsupportedOperationException("only the parameters are used");
            }
        };
    }

    @Test
    void restoredMomentsReplaceTheOnesKeptForTheArrayLoop() {
        Parameters fast = ArrayGptModel.create(GptConfig.defaults(), 5, new PythonRandom(3)).parameters();
        AdamOptimizer adam = new AdamOptimizer(fast.size());
        for (int i = 0; i < fast.size(); i++) {
            fast.setGrad(i, 0.01 * (i % 7 - 3));
        }
        adam.step(fast, 0, 10);
        double[] m = new double[fast.size()];
        double[] v = new double[fast.size()];
        for (int i = 0; i < m.length; i++) {
            m[i] = 1e-3 * (i % 5);
            v[i] = 1e-6 * (i % 3);
        }
        adam.restoreMoments(m, v);
        assertArrayEquals(m, adam.firstMoments(), 0.0);
        assertArrayEquals(v, adam.secondMoments(), 0.0);

        // The next fast step starts from the restored moments, exactly as the general path does.
        double[] values = fast.values();
        double[] grads = new double[values.length];
        Parameters slow = new AdamOptimizerTest.PlainParameters(fast.matrixLayouts(), values, grads);
        AdamOptimizer reference = new AdamOptimizer(fast.size());
        reference.restoreMoments(m, v);
        adam.step(fast, 1, 10);
        reference.step(slow, 1, 10);
        assertArrayEquals(values, fast.values(), 0.0);
        assertArrayEquals(reference.firstMoments(), adam.firstMoments(), 0.0);
    }

    @Test
    void theMomentsKeepTheirFlatOrderWhenTheRowsChangeShape() {
        Parameters rows = ArrayGptModel.create(GptConfig.defaults(), 6, new PythonRandom(4)).parameters();
        int n = rows.size();
        // The same numbers as one flat row (no matrices): Adam stages them as a single row.
        double[] values = rows.values();
        double[] grads = new double[n];
        Parameters flat = new AdamOptimizerTest.PlainParameters(List.of(), values, grads);
        AdamOptimizer mixed = new AdamOptimizer(n);
        AdamOptimizer reference = new AdamOptimizer(n);
        Parameters referenceRows = new AdamOptimizerTest.PlainParameters(rows.matrixLayouts(), values.clone(),
                new double[n]);
        for (int step = 0; step < 4; step++) {
            for (int i = 0; i < n; i++) {
                double g = Math.sin(31.0 * i + step);
                grads[i] = g;
                rows.setGrad(i, g);
                referenceRows.setGrad(i, g);
            }
            // Alternate between the array engine's rows and one flat row.
            if (step % 2 == 0) {
                mixed.step(flat, step, 4);
                for (int i = 0; i < n; i++) {
                    rows.setValue(i, values[i]);
                    rows.setGrad(i, 0.0);
                }
            } else {
                mixed.step(rows, step, 4);
                System.arraycopy(rows.values(), 0, values, 0, n);
            }
            reference.step(referenceRows, step, 4);
            assertArrayEquals(referenceRows.values(), rows.values(), 0.0, "values after step " + step);
            assertArrayEquals(reference.firstMoments(), mixed.firstMoments(), 0.0, "m after step " + step);
            assertArrayEquals(reference.secondMoments(), mixed.secondMoments(), 0.0, "v after step " + step);
        }
    }

    /**
     * One step of {@code microgpt.py}'s Adam with the default settings, written out with
     * {@code Math.pow}: the values after it.
     */
    private static double[] pythonStep(double[] p, double[] g, double[] m, double[] v, int step, int steps) {
        double lrT = 0.01 * (1 - (double) step / steps);
        double[] out = p.clone();
        for (int i = 0; i < p.length; i++) {
            double mi = 0.85 * m[i] + (1 - 0.85) * g[i];
            double vi = 0.99 * v[i] + (1 - 0.99) * Math.pow(g[i], 2);
            double mHat = mi / (1 - Math.pow(0.85, step + 1));
            double vHat = vi / (1 - Math.pow(0.99, step + 1));
            out[i] -= lrT * mHat / (Math.pow(vHat, 0.5) + 1e-8);
        }
        return out;
    }
}
