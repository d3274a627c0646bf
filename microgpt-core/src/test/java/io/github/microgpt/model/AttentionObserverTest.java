package io.github.microgpt.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.autograd.Value;
import io.github.microgpt.random.PythonRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The read-only attention hook of {@link GptModel}. */
class AttentionObserverTest {

    private static final int VOCAB = 7;

    private record Call(int layer, int head, int posId, double[] weights) {
    }

    /** A random sequence of tokens for a seed, so that every failure can be replayed. */
    private static int[] tokens(long seed, int length) {
        Random random = new Random(seed);
        int[] tokens = new int[length];
        for (int i = 0; i < length; i++) {
            tokens[i] = random.nextInt(VOCAB);
        }
        return tokens;
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5})
    void reportsEveryHeadOfEveryLayerInOrderWithADistributionOverThePast(long seed) {
        GptConfig config = new GptConfig(2, 8, 2, 6, 0.3);
        GptModel model = GptModel.create(config, VOCAB, new PythonRandom(seed));
        List<Call> calls = new ArrayList<>();
        model.setAttentionObserver((layer, head, posId, weights) -> calls.add(new Call(layer, head, posId, weights)));
        int[] tokens = tokens(seed, config.blockSize());
        KvCache cache = new KvCache(config.nLayer());
        for (int pos = 0; pos < tokens.length; pos++) {
            model.forward(tokens[pos], pos, cache);
        }

        assertEquals(tokens.length * config.nLayer() * config.nHead(), calls.size(), "seed " + seed);
        int i = 0;
        for (int pos = 0; pos < tokens.length; pos++) {
            for (int layer = 0; layer < config.nLayer(); layer++) {
                for (int head = 0; head < config.nHead(); head++) {
                    Call call = calls.get(i++);
                    String where = "seed " + seed + ", call " + i + " " + call;
                    assertEquals(layer, call.layer(), where);
                    assertEquals(head, call.head(), where);
                    assertEquals(pos, call.posId(), where);
                    assertEquals(pos + 1, call.weights().length, where);
                    double sum = 0;
                    for (double w : call.weights()) {
                        assertTrue(w >= 0 && w <= 1, where + ": weight " + w);
                        sum += w;
                    }
                    assertEquals(1.0, sum, 1e-12, where);
                }
            }
        }
        // At position 0 there is only one position to look at.
        assertArrayEquals(new double[] {1.0}, calls.get(0).weights(), "seed " + seed);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {11, 12, 13})
    void observingDoesNotChangeTheLogits(long seed) {
        GptConfig config = new GptConfig(1, 8, 4, 5, 0.5);
        GptModel model = GptModel.create(config, VOCAB, new PythonRandom(seed));
        int[] tokens = tokens(seed, config.blockSize());
        double[][] plain = logits(model, tokens);
        int[] count = {0};
        model.setAttentionObserver((layer, head, posId, weights) -> count[0]++);
        double[][] observed = logits(model, tokens);
        model.setAttentionObserver(null);
        double[][] afterRemoval = logits(model, tokens);

        assertEquals(tokens.length * config.nHead(), count[0], "seed " + seed);
        for (int pos = 0; pos < tokens.length; pos++) {
            assertArrayEquals(plain[pos], observed[pos], 0.0, "seed " + seed + ", position " + pos);
            assertArrayEquals(plain[pos], afterRemoval[pos], 0.0, "seed " + seed + ", position " + pos);
        }
        assertEquals(tokens.length * config.nHead(), count[0], "seed " + seed + ": called after removal");
    }

    /**
     * The first layer's weights recomputed by hand from the parameters: the softmax of the
     * scaled dot products of each head's query with the keys of the positions so far.
     */
    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {21, 22, 23, 24})
    void firstLayerWeightsAreTheSoftmaxOfScaledQueryKeyProducts(long seed) {
        GptConfig config = new GptConfig(1, 8, 2, 6, 0.4);
        GptModel model = GptModel.create(config, VOCAB, new PythonRandom(seed));
        List<Call> calls = new ArrayList<>();
        model.setAttentionObserver((layer, head, posId, weights) -> calls.add(new Call(layer, head, posId, weights)));
        int[] tokens = tokens(seed, config.blockSize());
        logits(model, tokens);

        double[][] wte = data(model.matrix("wte"));
        double[][] wpe = data(model.matrix("wpe"));
        double[][] wq = data(model.matrix("layer0.attn_wq"));
        double[][] wk = data(model.matrix("layer0.attn_wk"));
        int headDim = config.headDim();
        List<double[]> keys = new ArrayList<>();
        for (int pos = 0; pos < tokens.length; pos++) {
            double[] x = new double[config.nEmbd()];
            for (int i = 0; i < x.length; i++) {
                x[i] = wte[tokens[pos]][i] + wpe[pos][i];
            }
            x = rmsnorm(rmsnorm(x));
            double[] q = times(wq, x);
            keys.add(times(wk, x));
            for (int h = 0; h < config.nHead(); h++) {
                double[] expected = new double[pos + 1];
                double max = Double.NEGATIVE_INFINITY;
                for (int t = 0; t <= pos; t++) {
                    double dot = 0;
                    for (int j = h * headDim; j < (h + 1) * headDim; j++) {
                        dot += q[j] * keys.get(t)[j];
                    }
                    expected[t] = dot / Math.sqrt(headDim);
                    max = Math.max(max, expected[t]);
                }
                double total = 0;
                for (int t = 0; t <= pos; t++) {
                    expected[t] = Math.exp(expected[t] - max);
                    total += expected[t];
                }
                for (int t = 0; t <= pos; t++) {
                    expected[t] /= total;
                }
                Call call = calls.get(pos * config.nHead() + h);
                assertArrayEquals(expected, call.weights(), 1e-12,
                        "seed " + seed + ", position " + pos + ", head " + h);
            }
        }
    }

    private static double[][] logits(GptModel model, int[] tokens) {
        KvCache cache = new KvCache(model.config().nLayer());
        double[][] out = new double[tokens.length][];
        for (int pos = 0; pos < tokens.length; pos++) {
            Value[] logits = model.forward(tokens[pos], pos, cache);
            out[pos] = new double[logits.length];
            for (int i = 0; i < logits.length; i++) {
                out[pos][i] = logits[i].data();
            }
        }
        return out;
    }

    private static double[][] data(Value[][] matrix) {
        double[][] out = new double[matrix.length][];
        for (int r = 0; r < matrix.length; r++) {
            out[r] = new double[matrix[r].length];
            for (int c = 0; c < matrix[r].length; c++) {
                out[r][c] = matrix[r][c].data();
            }
        }
        return out;
    }

    private static double[] rmsnorm(double[] x) {
        double ms = 0;
        for (double v : x) {
            ms += v * v;
        }
        double scale = 1 / Math.sqrt(ms / x.length + 1e-5);
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i] * scale;
        }
        return out;
    }

    private static double[] times(double[][] w, double[] x) {
        double[] out = new double[w.length];
        for (int o = 0; o < w.length; o++) {
            for (int i = 0; i < x.length; i++) {
                out[o] += w[o][i] * x[i];
            }
        }
        return out;
    }
}
