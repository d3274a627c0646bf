package io.github.microgpt.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.microgpt.autograd.Value;
import io.github.microgpt.random.PythonRandom;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A library model's loss uses the kept copies of its weight rows unchecked after the first
 * position ({@code ValueSums.beginOwnedRows}), on the promise that nothing changes a weight in
 * the middle of it. Where something can (an attention listener) or the loss is over, the copies
 * are checked again: the graph is the one built from the weights as they are when each node is
 * made, as {@code microgpt.py}'s {@code Value} records them.
 */
class OwnedRowsTest {

    private static final GptConfig CONFIG = new GptConfig(1, 8, 2, 6, 0.3);
    private static final int VOCAB = 7;
    private static final int[] TOKENS = {0, 3, 5, 1, 6, 2, 0};

    /** Changes a weight that every position reads last, and one the next position reads first, at position 1. */
    private static void listenAndChange(GptModel model) {
        Value head = model.matrix("lm_head")[2][3];
        Value query = model.matrix("layer0.attn_wq")[1][4];
        model.addAttentionListener(event -> {
            if (event.posId() == 1 && event.layer() == 0 && event.head() == 0) {
                head.setData(head.data() + 0.75);
                query.setData(query.data() - 0.5);
            }
        });
    }

    /** The loss of {@link ValueLanguageModel#loss}, built here from the public forward pass, outside any loss. */
    private static Value lossOutside(GptModel model) {
        KvCache cache = model.newCache();
        int n = TOKENS.length - 1;
        Value[] losses = new Value[n];
        for (int pos = 0; pos < n; pos++) {
            Value[] probs = ValueOps.softmax(model.forward(TOKENS[pos], pos, cache));
            losses[pos] = probs[TOKENS[pos + 1]].log().neg();
        }
        return Value.sum(losses).mul(1.0 / n);
    }

    private static void assertSameGradients(GptModel expected, GptModel actual) {
        List<Value> e = expected.parameterValues();
        List<Value> a = actual.parameterValues();
        for (int i = 0; i < e.size(); i++) {
            assertEquals(Double.doubleToRawLongBits(e.get(i).data()), Double.doubleToRawLongBits(a.get(i).data()),
                    "parameter " + i);
            assertEquals(Double.doubleToRawLongBits(e.get(i).grad()), Double.doubleToRawLongBits(a.get(i).grad()),
                    "gradient " + i);
        }
    }

    @Test
    void aListenerThatChangesAWeightInTheMiddleOfALossIsSeenByTheNodesMadeAfterIt() {
        GptModel inLoss = GptModel.create(CONFIG, VOCAB, new PythonRandom(5));
        GptModel outside = GptModel.create(CONFIG, VOCAB, new PythonRandom(5));
        listenAndChange(inLoss);
        listenAndChange(outside);

        double loss = inLoss.lossAndGradients(TOKENS, 0, TOKENS.length - 1);
        Value expected = lossOutside(outside);
        expected.backward();

        assertEquals(Double.doubleToRawLongBits(expected.data()), Double.doubleToRawLongBits(loss));
        assertSameGradients(outside, inLoss);
    }

    @Test
    void aWeightChangedAfterALossIsSeenByTheNextForwardPass() {
        GptModel trained = GptModel.create(CONFIG, VOCAB, new PythonRandom(9));
        GptModel fresh = GptModel.create(CONFIG, VOCAB, new PythonRandom(9));
        trained.lossAndGradients(TOKENS, 0, TOKENS.length - 1);
        for (GptModel model : List.of(trained, fresh)) {
            Value head = model.matrix("lm_head")[4][1];
            head.setData(head.data() * -3);
        }

        Value[] expected = fresh.forward(TOKENS[0], 0, fresh.newCache());
        Value[] actual = trained.forward(TOKENS[0], 0, trained.newCache());
        for (int i = 0; i < expected.length; i++) {
            assertEquals(Double.doubleToRawLongBits(expected[i].data()), Double.doubleToRawLongBits(actual[i].data()),
                    "logit " + i);
        }
    }
}
