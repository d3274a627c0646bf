package io.github.microgpt.sample;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.GptModel;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.text.Tokenizer;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A temperature so small that {@code logit / T} overflows is sampled as its limit: the most
 * likely token every time, exactly what top-k 1 draws, never a NaN distribution.
 */
class ColdTemperatureTest {

    static final Tokenizer TOKENIZER = Tokenizer.fromDocuments(List.of("anna", "bob", "emma", "li"));

    @ParameterizedTest
    @ValueSource(doubles = {1e-310, Double.MIN_VALUE, 1e-320})
    void aTemperatureThatOverflowsSamplesTheMostLikelyToken(double temperature) {
        GptModel model = GptModel.create(new GptConfig(1, 8, 2, 8, 0.5), TOKENIZER.vocabSize(), new PythonRandom(4));
        List<String> cold = new Sampler(model, TOKENIZER, new PythonRandom(9))
                .samples(5, SamplingOptions.defaults().withTemperature(temperature));
        List<String> greedy = new Sampler(model, TOKENIZER, new PythonRandom(9))
                .samples(5, SamplingOptions.defaults().withTemperature(1.0).withTopK(1));
        assertEquals(greedy, cold);
    }

    @ParameterizedTest
    @ValueSource(doubles = {1e-310, Double.MIN_VALUE})
    void softmaxItselfGivesTheLimitAlsoWhenALogitIsZero(double temperature) {
        // 0 / T is 0 * Infinity = NaN once 1 / T overflows: still the limit, not NaNs.
        assertArrayEquals(new double[] {0, 1, 0}, io.github.microgpt.model.Softmax.softmax(new double[] {-1, 0, -3}, temperature));
        assertArrayEquals(new double[] {0, 0.5, 0, 0.5}, io.github.microgpt.model.Softmax.softmax(new double[] {1, 3, -2, 3}, temperature));
    }

    @ParameterizedTest
    @ValueSource(doubles = {1e-310, Double.MIN_VALUE})
    void theLimitSharesTheWeightBetweenTies(double temperature) {
        assertArrayEquals(new double[] {0, 0.5, 0, 0.5}, Sampler.probabilities(new double[] {1, 3, -2, 3}, temperature));
        assertArrayEquals(new double[] {0, 1, 0}, Sampler.probabilities(new double[] {-1, 0, -3}, temperature));
    }

    @ParameterizedTest
    @ValueSource(doubles = {0.5, 1e-300, 1e300})
    void otherTemperaturesAreTheSoftmaxUnchanged(double temperature) {
        double[] logits = {0.25, -1.5, 2.0};
        assertArrayEquals(io.github.microgpt.model.Softmax.softmax(logits, temperature),
                Sampler.probabilities(logits, temperature));
    }
}
