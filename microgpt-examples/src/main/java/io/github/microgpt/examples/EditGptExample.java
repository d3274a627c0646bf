package io.github.microgpt.examples;

import io.github.microgpt.autograd.Value;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.GptModel;
import io.github.microgpt.model.KvCache;
import io.github.microgpt.model.ValueLanguageModel;
import io.github.microgpt.model.ValueOps;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;

/**
 * "Change a line of {@code gpt()} and see": {@link GptModel#forward} copied into a model of our
 * own, with one line changed, trained with the library's own trainer on the same weights and
 * names as the GPT, and the two losses compared.
 *
 * <p>The change: attention's residual connection is gone ({@code x = x + attention(x)} becomes
 * {@code x = attention(x)}), so the token and position embeddings reach the MLP only through
 * what attention passes on. Every other line computes what {@code GptModel}'s does, node for node
 * (each head's output is written out as the Python's {@code sum(...)}, and the layers' matrices
 * are looked up by name, where {@code GptModel} calls {@code dot} and keeps them in fields). With
 * the line left as it was, this model trains bit for bit like {@code GptModel}: the library's
 * tests check exactly that, on this forward pass with the residual kept ({@code CopiedGpt}).
 *
 * <pre>
 * java -cp microgpt-examples/target/microgpt.jar io.github.microgpt.examples.EditGptExample
 * </pre>
 */
public final class EditGptExample {

    private EditGptExample() {
    }

    /**
     * {@code GptModel.forward}, with one line changed (marked). A {@link ValueLanguageModel}
     * makes it trainable: it adds the loss, the gradients, the parameters and generation.
     */
    static final class NoAttentionResidualGpt extends ValueLanguageModel {

        private final Value[][] wte;
        private final Value[][] wpe;
        private final Value[][] lmHead;

        /** Takes the weights of a GPT (the same initial weights, so the comparison is fair). */
        NoAttentionResidualGpt(GptModel weights) {
            super(weights.config(), weights.vocabSize(), weights.stateDict());
            wte = matrix("wte");
            wpe = matrix("wpe");
            lmHead = matrix("lm_head");
        }

        @Override
        public Value[] forward(int tokenId, int posId, KvCache cache) {
            GptConfig config = config();
            int headDim = config.headDim();
            Value[] x = ValueOps.add(wte[tokenId], wpe[posId]);
            x = ValueOps.rmsnorm(x);
            double sqrtHeadDim = Math.pow(headDim, 0.5); // head_dim**0.5, the divisor of every attention logit
            for (int li = 0; li < config.nLayer(); li++) {
                String layer = "layer" + li + ".";
                // 1) multi-head attention
                x = ValueOps.rmsnorm(x);
                Value[] q = ValueOps.linear(x, matrix(layer + "attn_wq"));
                Value[] k = ValueOps.linear(x, matrix(layer + "attn_wk"));
                Value[] v = ValueOps.linear(x, matrix(layer + "attn_wv"));
                List<Value[]> keys = cache.keys(li);
                List<Value[]> values = cache.values(li);
                keys.add(k);
                values.add(v);
                Value[] xAttn = new Value[config.nEmbd()];
                for (int h = 0; h < config.nHead(); h++) {
                    int hs = h * headDim;
                    Value[] attnLogits = new Value[keys.size()];
                    for (int t = 0; t < keys.size(); t++) {
                        attnLogits[t] = ValueOps.dot(q, hs, keys.get(t), hs, headDim).div(sqrtHeadDim);
                    }
                    Value[] attnWeights = ValueOps.softmax(attnLogits);
                    for (int j = 0; j < headDim; j++) {
                        Value weighted = attnWeights[0].mul(values.get(0)[hs + j]).add(0.0);
                        for (int t = 1; t < values.size(); t++) {
                            weighted = weighted.add(attnWeights[t].mul(values.get(t)[hs + j]));
                        }
                        xAttn[hs + j] = weighted;
                    }
                }
                x = ValueOps.linear(xAttn, matrix(layer + "attn_wo"));
                // CHANGED: was  x = ValueOps.add(x, xResidual);  -- no residual around attention
                // 2) MLP
                Value[] xResidual = x;
                x = ValueOps.rmsnorm(x);
                x = ValueOps.linear(x, matrix(layer + "mlp_fc1"));
                x = ValueOps.relu(x);
                x = ValueOps.linear(x, matrix(layer + "mlp_fc2"));
                x = ValueOps.add(x, xResidual);
            }
            return ValueOps.linear(x, lmHead);
        }
    }

    /**
     * Trains the GPT and the edited GPT for 1000 steps each and prints both losses.
     *
     * @param args ignored
     */
    public static void main(String[] args) {
        run(System.out, 1000);
    }

    /**
     * Does the work of {@link #main(String[])}.
     *
     * @param out where to print
     * @param steps how many names each model trains on
     */
    public static void run(PrintStream out, int steps) {
        Lesson original = new Lesson();
        GptModel gpt = GptModel.create(GptConfig.defaults(), original.tokenizer.vocabSize(), original.random);
        Lesson.Result before = original.train(gpt, steps, null);

        Lesson edited = new Lesson();
        var model = new NoAttentionResidualGpt(
                GptModel.create(GptConfig.defaults(), edited.tokenizer.vocabSize(), edited.random));
        Lesson.Result after = edited.train(model, steps, null);

        out.printf(Locale.ROOT, "%-28s %22s %14s%n", "model", "train loss (last 100)", "held-out loss");
        out.printf(Locale.ROOT, "%-28s %22.4f %14.4f%n", "gpt", before.lastStepsLoss(), before.heldOutLoss());
        out.printf(Locale.ROOT, "%-28s %22.4f %14.4f%n", "gpt without attention residual",
                after.lastStepsLoss(), after.heldOutLoss());
        out.printf(Locale.ROOT, "%-28s %+22.4f %+14.4f%n", "difference", after.lastStepsLoss() - before.lastStepsLoss(),
                after.heldOutLoss() - before.heldOutLoss());
    }
}
