package io.github.microgpt.examples.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.autograd.ExpressionGraph;
import io.github.microgpt.autograd.Value;
import io.github.microgpt.model.Architecture;
import io.github.microgpt.model.AttentionEvent;
import io.github.microgpt.model.Engine;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.LanguageModel;
import io.github.microgpt.random.PythonRandom;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The expressions of the Autograd panel for every model of the progression: the neuron is the
 * model's own logit, the attention score the one whose softmax is the model's attention, and
 * each is offered only where the model has it.
 */
class LiveExpressionTest {

    private static final int VOCAB = 7;
    private static final int[] CONTEXT = {6, 2, 4, 1};
    private static final int TARGET = 3;

    @ParameterizedTest
    @EnumSource(Architecture.class)
    void theNeuronIsTheModelsLogitWhereTheModelHasOne(Architecture architecture) {
        LanguageModel model = architecture.create(GptConfig.defaults(), VOCAB, new PythonRandom(7));
        Snapshot snapshot = snapshotOf(model);
        assertEquals(architecture, LiveExpression.architecture(snapshot));
        if (architecture == Architecture.BIGRAM) {
            ApiException refusal = assertThrows(ApiException.class, () -> LiveExpression.neuron(snapshot));
            assertEquals(409, refusal.status());
            assertTrue(refusal.getMessage().startsWith("the bigram model has no neuron"), refusal.getMessage());
            assertEquals(List.of(), LiveExpression.available(snapshot));
            return;
        }
        double[] logits = null;
        LanguageModel.Sequence sequence = model.newSequence();
        for (int token : CONTEXT) {
            logits = sequence.next(token);
        }
        Value logit = LiveExpression.neuron(snapshot).root();
        assertEquals(logits[TARGET], logit.data(), "the neuron is the model's logit of the target, bit for bit");
        // Its graph holds only the neuron: a weight and an input per term, their products and sums.
        int inputs = architecture == Architecture.MLP ? 4 * GptConfig.defaults().nEmbd() : GptConfig.defaults().nEmbd();
        assertEquals(2 * inputs + inputs + inputs + 1, ExpressionGraph.of(logit).nodes().size(),
                "leaves, products, sums and the 0 Python's sum starts from");
        boolean attention = architecture != Architecture.MLP;
        assertEquals(attention ? List.of("neuron", "attention") : List.of("neuron"), LiveExpression.available(snapshot));
    }

    @ParameterizedTest
    @EnumSource(value = Architecture.class, names = {"ATTENTION", "GPT"})
    void theScoresSoftmaxIsTheModelsAttention(Architecture architecture) {
        GptConfig config = GptConfig.defaults();
        LanguageModel model = architecture.create(config, VOCAB, new PythonRandom(11));
        List<AttentionEvent> events = new ArrayList<>();
        model.addAttentionListener(events::add);
        LanguageModel.Sequence sequence = model.newSequence();
        for (int token : CONTEXT) {
            sequence.next(token);
        }
        Snapshot snapshot = snapshotOf(model);
        int posId = CONTEXT.length - 1;
        for (int head = 0; head < config.nHead(); head++) {
            double[] exps = new double[posId + 1];
            double total = 0;
            for (int key = 0; key <= posId; key++) {
                exps[key] = Math.exp(LiveExpression.attentionScore(snapshot, head, key).root().data());
                total += exps[key];
            }
            int h = head;
            double[] weights = events.stream().filter(e -> e.layer() == 0 && e.head() == h && e.posId() == posId)
                    .findFirst().orElseThrow().weights();
            for (int key = 0; key <= posId; key++) {
                assertEquals(weights[key], exps[key] / total, 1e-12, architecture + " head " + h + " key " + key);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = Architecture.class, names = {"BIGRAM", "MLP"})
    void aModelWithoutAttentionIsNotOfferedAScore(Architecture architecture) {
        LanguageModel model = architecture.create(GptConfig.defaults(), VOCAB, new PythonRandom(3));
        ApiException refusal = assertThrows(ApiException.class,
                () -> LiveExpression.attentionScore(snapshotOf(model), 0, 0));
        assertEquals(409, refusal.status());
        assertEquals("the " + architecture.id() + " model has no attention: pick the neuron", refusal.getMessage());
    }

    /** A snapshot of a model, as the session makes it, at the last position of {@link #CONTEXT}. */
    private static Snapshot snapshotOf(LanguageModel model) {
        List<String> vocab = new ArrayList<>();
        for (int i = 0; i < VOCAB - 1; i++) {
            vocab.add(String.valueOf((char) ('a' + i)));
        }
        vocab.add("<BOS>");
        Settings settings = new Settings(List.of("abc"), "text", "test", Architecture.of(model).orElseThrow(), Engine.VALUE,
                model.config(), 0.01, 1, 10);
        Overlay overlay = new Overlay(false, 1, false, CONTEXT.length - 1, CONTEXT, CONTEXT[CONTEXT.length - 1], TARGET,
                TARGET, "cebd", 1.0, new double[VOCAB], Double.NaN, 0, null, false);
        return new Snapshot(1, 1, 1, settings, List.of("abc"), vocab, model.numParameters(), 1, 10, false, 0, overlay,
                new double[0][][][], new StepLog().view(), List.of(), null, model.parameters().matrixLayouts(),
                model.parameters().values(), new double[model.numParameters()]);
    }
}
