package io.github.microgpt;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.microgpt.autograd.ExpressionGraph;
import io.github.microgpt.autograd.Value;
import io.github.microgpt.checkpoint.LossHistory;
import io.github.microgpt.model.ArrayGptModel;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.GptModel;
import io.github.microgpt.model.KvCache;
import io.github.microgpt.model.Precision;
import io.github.microgpt.optim.AdamOptimizer;
import io.github.microgpt.optim.AdamSettings;
import io.github.microgpt.optim.LearningRateSchedule;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.sample.NextToken;
import io.github.microgpt.sample.Sampler;
import io.github.microgpt.sample.SamplingOptions;
import io.github.microgpt.text.Tokenizer;
import io.github.microgpt.train.StepMode;
import io.github.microgpt.train.Trainer;
import java.math.BigInteger;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What the classes a student meets in a debugger or a log print: before, the trainer, the
 * sampler, the optimizer, the random generator, the array model and the cache printed Object's
 * {@code Trainer@1a2b3c}. Each now prints what it is and where it is, in the style of
 * {@code GptModel} and {@code SamplingOptions}.
 */
class ToStringTest {

    private static final GptConfig CONFIG = GptConfig.defaults().withNEmbd(4).withNHead(1).withBlockSize(4);
    private static final List<String> DOCS = List.of("ab", "ba");

    @Test
    void anArrayModelPrintsItsConfigurationSizePrecisionAndThreads() {
        ArrayGptModel model = ArrayGptModel.create(CONFIG, 3, new PythonRandom(1), Precision.F32).setThreads(2);
        assertEquals("ArrayGptModel[" + CONFIG + ", vocabSize=3, " + model.numParameters()
                + " parameters, precision=f32, threads=2]", model.toString());
        ArrayGptModel f64 = ArrayGptModel.create(CONFIG, 3, new PythonRandom(1));
        assertEquals("ArrayGptModel[" + CONFIG + ", vocabSize=3, " + model.numParameters()
                + " parameters, precision=f64, threads=1]", f64.toString());
    }

    @Test
    void anOptimizerPrintsItsSettingsAndSize() {
        assertEquals("AdamOptimizer[learningRate=0.01, beta1=0.85, beta2=0.99, eps=1.0E-8, schedule=LINEAR_DECAY,"
                + " size=7]", new AdamOptimizer(7).toString());
        assertEquals("AdamOptimizer[learningRate=0.02, beta1=0.85, beta2=0.99, eps=1.0E-8, schedule=CONSTANT,"
                + " size=3]", new AdamOptimizer(3, AdamSettings.defaults().withLearningRate(0.02)
                        .withSchedule(LearningRateSchedule.CONSTANT)).toString());
    }

    @Test
    void aTrainerPrintsItsStepDocumentsModelAndOptimizer() {
        GptModel model = GptModel.create(CONFIG, 3, new PythonRandom(1));
        AdamOptimizer adam = new AdamOptimizer(model.numParameters());
        Trainer trainer = new Trainer(model, Tokenizer.fromDocuments(DOCS), DOCS, adam, 5);
        assertEquals("Trainer[step 0 of 5, 2 documents, " + model + ", " + adam + "]", trainer.toString());
        trainer.step(io.github.microgpt.train.StepMode.DOCUMENT);
        assertEquals("Trainer[step 1 of 5, 2 documents, " + model + ", " + adam + "]", trainer.toString());
    }

    @Test
    void aSamplerPrintsItsCountModelAndRandomAndAGenerationItsOptions() {
        GptModel model = GptModel.create(CONFIG, 3, new PythonRandom(1));
        PythonRandom random = new PythonRandom(7);
        Sampler sampler = new Sampler(model, Tokenizer.fromDocuments(DOCS), random);
        assertEquals("Sampler[samplesStarted=0, " + model + ", " + random + "]", sampler.toString());
        SamplingOptions options = SamplingOptions.defaults().withPrefix("a").withTopK(2);
        Sampler.Generation generation = sampler.start(options);
        assertEquals("Sampler[samplesStarted=1, " + model + ", " + random + "]", sampler.toString());
        assertEquals("Generation[sample 1, text=\"a\", generating, " + options + "]", generation.toString());
        while (!generation.isDone()) {
            generation.step();
        }
        assertEquals("Generation[sample 1, text=\"" + generation.text() + "\", done, " + options + "]",
                generation.toString());
    }

    @Test
    void aPythonRandomPrintsItsSeedAndIndexNotItsWords() {
        PythonRandom random = new PythonRandom(42);
        assertEquals("PythonRandom[seed=42, index=624, hasGaussNext=false]", random.toString());
        random.random();   // two words: the first twist, then 2 of the 624
        assertEquals("PythonRandom[seed=42, index=2, hasGaussNext=false]", random.toString());
        double first = random.gauss(0, 1);
        assertEquals("PythonRandom[seed=42, index=6, hasGaussNext=true, gaussNext=" + random.state().gaussNext() + "]",
                random.toString(), "a Box–Muller pair draws two randoms and keeps the second Gaussian of " + first);
        PythonRandom restored = PythonRandom.fromState(new PythonRandom(42).state());
        assertEquals("PythonRandom[from a saved state, index=624, hasGaussNext=false]", restored.toString());
        restored.seed(BigInteger.ONE.shiftLeft(100));
        assertEquals("PythonRandom[seed of 101 bits, index=624, hasGaussNext=false]", restored.toString());
    }

    @Test
    void aCachePrintsItsLayersAndLength() {
        GptModel model = GptModel.create(CONFIG.withNLayer(2), 3, new PythonRandom(1));
        KvCache cache = new KvCache(2);
        assertEquals("KvCache[layers=2, length=0]", cache.toString());
        Value[] logits = model.forward(0, 0, cache);
        model.forward(1, 1, cache);
        assertEquals("KvCache[layers=2, length=2]", cache.toString(), "after " + logits.length + " logits twice");
    }

    @Test
    void anArrayModelsParametersPrintAsAValueModelsDo() {
        for (Precision precision : Precision.values()) {
            ArrayGptModel model = ArrayGptModel.create(CONFIG, 3, new PythonRandom(1), precision);
            assertEquals("Parameters[size=" + model.numParameters() + ", matrices=" + model.parameters().matrixLayouts()
                    + "]", model.parameters().toString(), precision.id());
            assertEquals(GptModel.create(CONFIG, 3, new PythonRandom(1)).parameters().toString(),
                    model.parameters().toString(), precision.id());
        }
    }

    @Test
    void aLossHistoryPrintsHowManyLossesItKept() {
        GptModel model = GptModel.create(CONFIG, 3, new PythonRandom(1));
        AdamOptimizer adam = new AdamOptimizer(model.numParameters());
        Trainer trainer = new Trainer(model, Tokenizer.fromDocuments(DOCS), DOCS, adam, 5);
        LossHistory history = LossHistory.recording(trainer);
        assertEquals("LossHistory[0 losses]", history.toString());
        trainer.step(StepMode.DOCUMENT);
        trainer.step(StepMode.DOCUMENT);
        assertEquals("LossHistory[2 losses]", history.toString());
        LossHistory late = LossHistory.continuing(trainer, new double[0]);  // a history known to be missing
        trainer.step(StepMode.DOCUMENT);
        assertEquals("LossHistory[0 losses, not kept: steps went unrecorded]", late.toString());
    }

    @Test
    void aNextTokenPrintsItsPrefixAndTheLikeliestTokens() {
        GptModel model = GptModel.create(CONFIG, 3, new PythonRandom(1));
        Tokenizer tokenizer = Tokenizer.fromDocuments(DOCS);
        NextToken next = NextToken.after(model, tokenizer, "a");
        List<NextToken.Candidate> top = next.top(3);
        StringBuilder likely = new StringBuilder();
        for (NextToken.Candidate c : top) {
            likely.append(likely.length() == 0 ? "" : ", ").append('"').append(c.text()).append("\" ")
                    .append(c.probability());
        }
        assertEquals("NextToken[prefix=\"a\", 3 tokens, most likely: " + likely + "]", next.toString());
    }

    /**
     * The vocabulary, a prefix and a sample's text are quoted as Java string literals (as
     * {@code NextToken} quotes its own): before, a {@code "} in them printed as itself, so the
     * quotation seemed to end early.
     */
    @Test
    void quotedTextsAreJavaStringLiterals() {
        Tokenizer tokenizer = Tokenizer.fromDocuments(List.of("a\"", "\\b"));
        assertEquals("Tokenizer[vocabSize=5, characters=\"\\\"\\\\ab\"]", tokenizer.toString());
        SamplingOptions options = SamplingOptions.defaults().withPrefix("\"\\");
        assertEquals("SamplingOptions[temperature=0.5, topK=all, prefix=\"\\\"\\\\\", maxLength=none]",
                options.toString());
        GptModel model = GptModel.create(CONFIG, tokenizer.vocabSize(), new PythonRandom(1));
        Sampler.Generation generation = new Sampler(model, tokenizer, new PythonRandom(7)).start(options);
        assertEquals("Generation[sample 1, text=\"\\\"\\\\\", generating, " + options + "]",
                generation.toString());
    }

    @Test
    void anExpressionGraphPrintsItsSizeAndRoot() {
        Value product = new Value(2).mul(new Value(3));
        ExpressionGraph graph = ExpressionGraph.of(product);
        assertEquals("ExpressionGraph[nodes=3, edges=2, root=" + graph.root() + "]", graph.toString());
    }
}
