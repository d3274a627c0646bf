package io.github.microgpt.model;

import io.github.microgpt.autograd.Value;
import java.util.List;

/**
 * {@link GptModel#forward} copied, line for line, into a {@link ValueLanguageModel} written with
 * the public helpers only, as a learner would before changing a line.
 */
final class CopiedGpt extends ValueLanguageModel {

    private final Value[][] wte;
    private final Value[][] wpe;
    private final Value[][] lmHead;

    CopiedGpt(GptModel weights) {
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
        double sqrtHeadDim = Math.pow(headDim, 0.5);
        for (int li = 0; li < config.nLayer(); li++) {
            String layer = "layer" + li + ".";
            Value[] xResidual = x;
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
            x = ValueOps.add(x, xResidual);
            xResidual = x;
            x = ValueOps.rmsnorm(x);
            x = ValueOps.linear(x, matrix(layer + "mlp_fc1"));
            x = ValueOps.relu(x);
            x = ValueOps.linear(x, matrix(layer + "mlp_fc2"));
            x = ValueOps.add(x, xResidual);
        }
        return ValueOps.linear(x, lmHead);
    }
}
