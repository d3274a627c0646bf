package io.github.microgpt.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.autograd.Value;
import io.github.microgpt.random.PythonRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The read-only attention hook of both engines, {@link LanguageModel#addAttentionListener}. */
class AttentionListenerTest {

    private static final int VOCAB = 7;

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
        List<AttentionEvent> calls = new ArrayList<>();
        model.addAttentionListener(calls::add);
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
                    AttentionEvent call = calls.get(i++);
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
        AttentionListener counter = e -> count[0]++;
        model.addAttentionListener(counter);
        double[][] observed = logits(model, tokens);
        model.removeAttentionListener(counter);
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
        List<AttentionEvent> calls = new ArrayList<>();
        model.addAttentionListener(calls::add);
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
                AttentionEvent call = calls.get(pos * config.nHead() + h);
                assertArrayEquals(expected, call.weights(), 1e-12,
                        "seed " + seed + ", position " + pos + ", head " + h);
            }
        }
    }

    /**
     * The array engine reports the very weights of the {@code Value} engine, layer by layer
     * rather than position by position, when generating and when training, on one thread or
     * several; listening changes no result.
     */
    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {31, 32, 33, 34})
    void theArrayEngineReportsTheSameWeightsAsTheValueEngine(long seed) {
        GptConfig config = new GptConfig(2, 8, 2, 6, 0.4);
        GptModel valueModel = GptModel.create(config, VOCAB, new PythonRandom(seed));
        ArrayGptModel arrayModel = ArrayGptModel.create(config, VOCAB, new PythonRandom(seed));
        assertTrue(valueModel.hasAttention() && arrayModel.hasAttention());
        int[] tokens = tokens(seed, config.blockSize() + 1);
        List<AttentionEvent> expected = new ArrayList<>();
        valueModel.addAttentionListener(expected::add);
        logits(valueModel, java.util.Arrays.copyOf(tokens, config.blockSize()));
        assertEquals(config.blockSize() * config.nLayer() * config.nHead(), expected.size());

        // Generation: one position at a time, so the order is the same as well.
        List<AttentionEvent> generated = new ArrayList<>();
        arrayModel.addAttentionListener(generated::add);
        LanguageModel.Sequence sequence = arrayModel.newSequence();
        for (int pos = 0; pos < config.blockSize(); pos++) {
            sequence.next(tokens[pos]);
        }
        assertSameEvents(expected, generated, "generation, seed " + seed);

        // Training: every position of layer 0, then of layer 1.
        generated.clear();
        double plainLoss = ArrayGptModel.create(config, VOCAB, new PythonRandom(seed))
                .lossAndGradients(tokens, 0, config.blockSize(), null);
        assertEquals(plainLoss, arrayModel.lossAndGradients(tokens, 0, config.blockSize(), null),
                "listening changes no result");
        List<AttentionEvent> layerByLayer = new ArrayList<>(expected);
        layerByLayer.sort(Comparator.comparingInt(AttentionEvent::layer));  // stable: positions stay in order
        assertSameEvents(layerByLayer, generated, "training, seed " + seed);

        // A batch on four threads tells the listener on the calling thread, document by document.
        generated.clear();
        Thread caller = Thread.currentThread();
        arrayModel.addAttentionListener(e -> assertEquals(caller, Thread.currentThread()));
        arrayModel.batchLossAndGradients(List.of(tokens, tokens), 4, null);
        List<AttentionEvent> twice = new ArrayList<>(layerByLayer);
        twice.addAll(layerByLayer);
        assertSameEvents(twice, generated, "batch, seed " + seed);
    }

    @org.junit.jupiter.api.Test
    void aModelWithoutAttentionSaysSoAndRefusesListeners() {
        LanguageModel noAttention = new LanguageModel() {
            @Override
            public GptConfig config() {
                return GptConfig.defaults();
            }

            @Override
            public int vocabSize() {
                return 2;
            }

            @Override
            public Parameters parameters() {
                throw new UnsupportedOperationException();
            }

            @Override
            public Sequence newSequence() {
                throw new UnsupportedOperationException();
            }

            @Override
            public double lossAndGradients(int[] tokens, int first, int end, Predictions predictions) {
                throw new UnsupportedOperationException();
            }
        };
        assertFalse(noAttention.hasAttention());
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> noAttention.addAttentionListener(event -> { }));
        assertTrue(e.getMessage().contains("hasAttention() is false"), e.getMessage());
        noAttention.removeAttentionListener(event -> { });
        assertTrue(Engine.of(noAttention).isEmpty(), "Engine.of does not throw for other models");
    }

    @org.junit.jupiter.api.Test
    void anEventKeepsItsOwnWeights() {
        double[] weights = {0.25, 0.75};
        AttentionEvent event = new AttentionEvent(0, 1, 1, weights);
        weights[0] = 9;
        assertEquals(0.25, event.weight(0));
        assertTrue(event.weights() != event.weights(), "each call a copy: no listener changes another's");
        assertThrows(IllegalArgumentException.class, () -> new AttentionEvent(0, 0, 2, new double[] {1.0}));
    }

    private static void assertSameEvents(List<AttentionEvent> expected, List<AttentionEvent> actual, String where) {
        assertEquals(expected.size(), actual.size(), where);
        for (int i = 0; i < expected.size(); i++) {
            AttentionEvent e = expected.get(i);
            AttentionEvent a = actual.get(i);
            String at = where + ", event " + i;
            assertEquals(e.layer(), a.layer(), at);
            assertEquals(e.head(), a.head(), at);
            assertEquals(e.posId(), a.posId(), at);
            assertArrayEquals(e.weights(), a.weights(), 0.0, at + ": bit-identical weights");
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

    @Test
    void aWeightOutsideThePositionsSeenIsABadIndexNamingIt() {
        AttentionEvent event = new AttentionEvent(0, 0, 1, new double[] {0.25, 0.75});
        assertEquals(0.75, event.weight(1));
        assertEquals("position 2 is outside [0, 1]: position 1 attends to positions 0 to 1",
                assertThrows(IndexOutOfBoundsException.class, () -> event.weight(2)).getMessage());
        assertEquals("position -1 is outside [0, 1]: position 1 attends to positions 0 to 1",
                assertThrows(IndexOutOfBoundsException.class, () -> event.weight(-1)).getMessage());
    }
}
