package io.github.microgpt.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.autograd.Value;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** The public constructors and helpers of the model package refuse arguments they cannot mean. */
class PublicArgumentsTest {

    private static void refused(Executable call, String... words) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        for (String word : words) {
            assertTrue(e.getMessage().contains(word), "\"" + e.getMessage() + "\" should contain \"" + word + "\"");
        }
    }

    @Test
    void aMatrixLayoutMustFitInALayout() {
        refused(() -> new MatrixLayout("x", 0, -1, 2), "x", "rows 0", "cols -1");
        refused(() -> new MatrixLayout("x", 3, 0, 0), "cols 0");
        refused(() -> new MatrixLayout("x", 2, 2, -1), "offset", "-1");
        refused(() -> new MatrixLayout("", 2, 2, 0), "name");
        refused(() -> new MatrixLayout("x", 65536, 65536, 0), "x", String.valueOf(ParameterLayout.MAX_SIZE));
        refused(() -> new MatrixLayout("x", 1, 10, ParameterLayout.MAX_SIZE - 5), "x");
        NullPointerException e = assertThrows(NullPointerException.class, () -> new MatrixLayout(null, 1, 1, 0));
        assertEquals("name", e.getMessage());
        MatrixLayout last = new MatrixLayout("x", 1, 8, ParameterLayout.MAX_SIZE - 8);
        assertEquals(8, last.size());
        assertEquals(ParameterLayout.MAX_SIZE - 1, last.index(0, 7));
    }

    @Test
    void aCacheHasAtLeastOneLayer() {
        refused(() -> new KvCache(-1), "nLayer", "-1");
        refused(() -> new KvCache(0), "nLayer", "0");
        assertEquals(1, new KvCache(1).layers());
    }

    @Test
    void theProgressionModelsForwardRefusesATokenOrPositionOutOfRangeByName() {
        // Called directly, each threw a bare ArrayIndexOutOfBoundsException ("Index 99 out of bounds for length 7").
        GptConfig config = GptConfig.defaults();
        for (ValueLanguageModel model : new ValueLanguageModel[] {
            AttentionModel.create(config, 7, new io.github.microgpt.random.PythonRandom(42)),
            MlpModel.create(config, 7, new io.github.microgpt.random.PythonRandom(42)),
            BigramModel.create(config, 7, new io.github.microgpt.random.PythonRandom(42))}) {
            String name = model.getClass().getSimpleName();
            for (int token : new int[] {7, 99, -1}) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> model.forward(token, 0, model.newCache()), name);
                assertTrue(e.getMessage().contains("id " + token) && e.getMessage().contains("[0, 7)"),
                        name + ": " + e.getMessage());
            }
            assertEquals(7, model.forward(6, 0, model.newCache()).length, name);
            if (!(model instanceof BigramModel)) {  // a bigram model ignores the position
                for (int position : new int[] {16, 99, -1}) {
                    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                            () -> model.forward(1, position, model.newCache()), name);
                    assertTrue(e.getMessage().contains("position " + position) && e.getMessage().contains("0..15"),
                            name + ": " + e.getMessage());
                }
            }
        }
    }

    @Test
    void theProgressionModelsForwardRefusesACacheItCannotContinue() {
        // GptModel.forward checked its cache; these two did not. A cache that skipped or repeated a
        // position gave AttentionModel a silent wrong answer (it attended over the positions it
        // found), MlpModel a window of the wrong tokens or an index error, and a null cache was the
        // JVM's "Cannot invoke ... because "cache" is null".
        GptConfig config = GptConfig.defaults();
        for (ValueLanguageModel model : new ValueLanguageModel[] {
            AttentionModel.create(config, 7, new io.github.microgpt.random.PythonRandom(42)),
            MlpModel.create(config, 7, new io.github.microgpt.random.PythonRandom(42))}) {
            String name = model.getClass().getSimpleName();
            assertEquals("cache", assertThrows(NullPointerException.class, () -> model.forward(1, 0, null), name)
                    .getMessage(), name);
            KvCache cache = model.newCache();
            refused(() -> model.forward(1, 1, cache), "position 1", "holds 0 positions");
            model.forward(1, 0, cache);
            model.forward(2, 1, cache);
            refused(() -> model.forward(1, 1, cache), "position 1", "holds 2 positions");
            assertEquals(2, cache.length(), name + ": a refused call leaves the cache as it was");
            refused(() -> model.forward(1, 0, new KvCache(model.newCache().layers() + 1)), "layers");
        }
    }

    @Test
    void aBatchStepTakesOneTo256Threads() {
        // As LanguageModel.batchLossAndGradients says, and Minibatch checks where it is made: the
        // default (the Value engines) and the array engine refuse the same counts.
        java.util.List<int[]> batch = java.util.List.of(new int[] {0, 1, 2, 0});
        for (LanguageModel model : new LanguageModel[] {
            GptModel.create(GptConfig.defaults(), 3, new io.github.microgpt.random.PythonRandom(42)),
            ArrayGptModel.create(GptConfig.defaults(), 3, new io.github.microgpt.random.PythonRandom(42))}) {
            refused(() -> model.batchLossAndGradients(batch, 0), "threads", "0");
            refused(() -> model.batchLossAndGradients(batch, 257), "threads", "256", "257");
            assertTrue(Double.isFinite(model.batchLossAndGradients(batch, 256)), model.toString());
        }
    }

    @Test
    void layersCountFromZero() {
        refused(() -> ParameterLayout.inLayer(-1, ParameterLayout.ATTN_WQ), "layer", "-1");
        assertThrows(NullPointerException.class, () -> ParameterLayout.inLayer(0, null));
        assertEquals("layer0.attn_wq", ParameterLayout.inLayer(0, ParameterLayout.ATTN_WQ));
    }

    @Test
    void adamCountsNoNegativeParameters() {
        refused(() -> FlopCount.adam(-1), "parameters", "-1");
        refused(() -> FlopCount.adam(Long.MAX_VALUE / 14 + 1), "parameters");
        assertEquals(0, FlopCount.adam(0));
        assertEquals(14 * 4192L, FlopCount.adam(4192));
    }

    @Test
    void softmaxRefusesNonFiniteLogitsNamingTheIndex() {
        refused(() -> Softmax.softmax(new double[] {0.0, Double.POSITIVE_INFINITY, 1.0}), "logits[1]", "Infinity");
        refused(() -> Softmax.softmax(new double[] {Double.NEGATIVE_INFINITY, 0.0}), "logits[0]", "-Infinity");
        refused(() -> Softmax.softmax(new double[] {0.0, 0.0, Double.NaN}), "logits[2]", "NaN");
        refused(() -> Softmax.softmax(new double[] {Double.NaN}, 0.5), "logits[0]", "NaN");
        refused(() -> Softmax.softmax(new double[0]), "logits is empty");
        refused(() -> Softmax.softmax(new double[0], 0.5), "logits is empty");
        refused(() -> ValueOps.softmax(new Value[0]), "logits is empty");
        // Finite logits that overflow once divided by a tiny temperature give the limit as T goes to 0.
        assertArrayEquals(new double[] {0.0, 1.0}, Softmax.softmax(new double[] {0.0, 1e308}, 0.01));
        assertArrayEquals(new double[] {0.5, 0.0, 0.5}, Softmax.softmax(new double[] {2.0, 1.0, 2.0}, 1e-310));
        assertArrayEquals(new double[] {0.0, 1.0}, Softmax.softmax(new double[] {-1e308, -1e307}, 1e-10));
        assertArrayEquals(new double[] {0.5, 0.5}, Softmax.softmax(new double[] {3.0, 3.0}));
        assertArrayEquals(Softmax.softmax(new double[] {2.0, 4.0}), Softmax.softmax(new double[] {1.0, 2.0}, 0.5));
    }

    @Test
    void aValueModelNeedsItsConfigurationAndWeightsAtOnce() {
        // A null configuration used to be kept, and failed only at the first cache or forward pass.
        Map<String, Value[][]> weights = Map.of("logits",
                new Value[][] {{new Value(0.0), new Value(1.0)}, {new Value(1.0), new Value(0.0)}});
        assertEquals("config", assertThrows(NullPointerException.class, () -> new Table(null, weights)).getMessage());
        assertEquals("stateDict", assertThrows(NullPointerException.class,
                () -> new Table(GptConfig.defaults(), null)).getMessage());
        assertEquals(4, new Table(GptConfig.defaults(), weights).numParameters());
    }

    /** The smallest model over Values: a bigram table of two tokens. */
    private static final class Table extends ValueLanguageModel {
        Table(GptConfig config, Map<String, Value[][]> weights) {
            super(config, 2, weights);
        }

        @Override
        public Value[] forward(int tokenId, int posId, KvCache cache) {
            return matrix("logits")[tokenId];
        }
    }
}
