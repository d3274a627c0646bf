package io.github.microgpt.consumer.classpath;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.autograd.ExpressionGraph;
import io.github.microgpt.autograd.Value;
import io.github.microgpt.checkpoint.Checkpoint;
import io.github.microgpt.checkpoint.TrainingState;
import io.github.microgpt.model.ArrayGptModel;
import io.github.microgpt.model.AttentionEvent;
import io.github.microgpt.model.BigramModel;
import io.github.microgpt.model.Engine;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.GptModel;
import io.github.microgpt.model.InvalidSettingException;
import io.github.microgpt.model.KvCache;
import io.github.microgpt.model.LanguageModel;
import io.github.microgpt.model.Precision;
import io.github.microgpt.model.Predictions;
import io.github.microgpt.model.Softmax;
import io.github.microgpt.model.ValueOps;
import io.github.microgpt.optim.AdamOptimizer;
import io.github.microgpt.optim.AdamSettings;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.sample.NextToken;
import io.github.microgpt.sample.Sampler;
import io.github.microgpt.sample.SamplingOptions;
import io.github.microgpt.sample.TokenEvent;
import io.github.microgpt.text.Documents;
import io.github.microgpt.text.Tokenizer;
import io.github.microgpt.train.Evaluation;
import io.github.microgpt.train.GradientEvent;
import io.github.microgpt.train.Minibatch;
import io.github.microgpt.train.StepEvent;
import io.github.microgpt.train.StepMode;
import io.github.microgpt.train.Trainer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * README's API in prose is tested code too: every call that README's text shows in backticks
 * (and its two Java lines without an output) is written here as README writes it, compiled
 * against the built {@code microgpt-core} alone, and what README says of it is checked. Each test
 * first finds its call in README, so that a README edit that drops or changes one fails here
 * until this test follows it. ({@link ReadmeJavaBlocksTest} runs README's whole programs.)
 */
class ReadmeApiCallsTest {

    private static String readme;

    private static final List<String> DOCS = List.of("emma", "olivia", "ava", "isabella", "sophia", "mia",
            "amelia", "harper", "evelyn", "abigail", "emily", "ella");

    @TempDir
    Path dir;

    @BeforeAll
    static void readReadme() throws IOException {
        Path file = Path.of(System.getProperty("microgpt.readme", "../../README.md"));
        readme = Files.readString(file, StandardCharsets.UTF_8).replaceAll("\\s*\\n\\s*", " ");
    }

    /** README shows this call (with line breaks read as spaces). */
    private static void readmeShows(String code) {
        assertTrue(readme.contains(code), "README shows " + code + "; if it no longer does, change this test with it");
    }

    private static Tokenizer tokenizer() {
        return Tokenizer.fromDocuments(DOCS);
    }

    @Test
    void settingsAreChangedByName() {
        readmeShows("`GptConfig.defaults().withNEmbd(64).withNLayer(2)`");
        GptConfig config = GptConfig.defaults().withNEmbd(64).withNLayer(2);
        assertEquals(new GptConfig(2, 64, 4, 16, 0.08), config);

        readmeShows("`new AdamOptimizer(model.numParameters(), AdamSettings.defaults().withLearningRate(0.02).withBetas(0.9, 0.95))`");
        var model = GptModel.create(GptConfig.defaults(), tokenizer().vocabSize(), new PythonRandom(1));
        var adam = new AdamOptimizer(model.numParameters(), AdamSettings.defaults().withLearningRate(0.02).withBetas(0.9, 0.95));
        assertEquals(0.02, adam.settings().learningRate());
        assertEquals(0.9, adam.settings().beta1());
        assertEquals(0.95, adam.settings().beta2());
        assertEquals(model.numParameters(), adam.size());
    }

    @Test
    void aSampleWithAPrefixAndTopK() {
        readmeShows("`SamplingOptions.defaults().withPrefix(\"ma\").withTopK(5)`");
        readmeShows("`sampler.sample(SamplingOptions.defaults().withPrefix(\"ma\").withTopK(5))`");
        Tokenizer tokenizer = tokenizer();
        var model = GptModel.create(GptConfig.defaults(), tokenizer.vocabSize(), new PythonRandom(1));
        var sampler = new Sampler(model, tokenizer, new PythonRandom(2));
        String name = sampler.sample(SamplingOptions.defaults().withPrefix("ma").withTopK(5));
        assertTrue(name.startsWith("ma"), name);
    }

    @Test
    void aMinibatchIsTheSameBitsOnAnyNumberOfThreads() {
        readmeShows("`trainer.stepBatch(Minibatch.of(8).withThreads(2))` (the mean over 8 documents, on up to 2"
                + " threads with the array engine in f64, bit for bit the same on any number;");
        Tokenizer tokenizer = tokenizer();
        double[][] after = new double[2][];
        double[] losses = new double[2];
        for (int t = 1; t <= 2; t++) {
            var model = ArrayGptModel.create(GptConfig.defaults(), tokenizer.vocabSize(), new PythonRandom(42));
            var trainer = new Trainer(model, tokenizer, DOCS, new AdamOptimizer(model.numParameters()), 3);
            StepEvent step = trainer.stepBatch(Minibatch.of(8).withThreads(t));
            losses[t - 1] = step.loss();
            after[t - 1] = model.parameters().values();
        }
        assertEquals(losses[0], losses[1]);
        assertArrayEquals(after[0], after[1]);
    }

    @Test
    void singlePrecisionIsChosenWhenTheModelIsCreated() {
        readmeShows("`ArrayGptModel.create(config, vocabSize, random, Precision.F32)`");
        readmeShows("`Engine.ARRAY.create(..., Precision.F32)`");
        GptConfig config = GptConfig.defaults();
        int vocabSize = tokenizer().vocabSize();
        var random = new PythonRandom(42);
        LanguageModel f32 = ArrayGptModel.create(config, vocabSize, random, Precision.F32);
        LanguageModel viaEngine = Engine.ARRAY.create(config, vocabSize, new PythonRandom(42), Precision.F32);
        assertEquals(Precision.F32, Precision.of(f32).orElseThrow());
        assertEquals(Precision.F32, Precision.of(viaEngine).orElseThrow());
        assertArrayEquals(f32.parameters().values(), viaEngine.parameters().values());
    }

    @Test
    void aTrainingCallFillsThePredictionsYouPass() {
        readmeShows("`model.lossAndGradients(tokens, first, end, predictions)` fills a `Predictions` you pass"
                + " (`predictions.probability(pos, tokenId)`, `predictions.loss(pos)`)");
        Tokenizer tokenizer = tokenizer();
        var model = GptModel.create(GptConfig.defaults(), tokenizer.vocabSize(), new PythonRandom(42));
        int[] tokens = tokenizer.encodeDocument("emma");
        int first = 0;
        int end = tokens.length - 1;
        var predictions = new Predictions();
        double loss = model.lossAndGradients(tokens, first, end, predictions);
        double sum = 0;
        for (int pos = first; pos < end; pos++) {
            int tokenId = tokens[pos + 1];
            assertEquals(-Math.log(predictions.probability(pos, tokenId)), predictions.loss(pos), 1e-12);
            sum += predictions.loss(pos);
        }
        assertEquals(sum / (end - first), loss, 1e-12);
    }

    @Test
    void engineOfNamesTheEngineOrIsEmpty() {
        readmeShows("`Engine.of(model)` names a model's engine, or is empty for another kind of model");
        int vocabSize = tokenizer().vocabSize();
        LanguageModel model = GptModel.create(GptConfig.defaults(), vocabSize, new PythonRandom(1));
        assertEquals(Engine.VALUE, Engine.of(model).orElseThrow());
        model = ArrayGptModel.create(GptConfig.defaults(), vocabSize, new PythonRandom(1));
        assertEquals(Engine.ARRAY, Engine.of(model).orElseThrow());
        model = BigramModel.create(GptConfig.defaults(), vocabSize, new PythonRandom(1));
        assertTrue(Engine.of(model).isEmpty());
    }

    @Test
    void aNullIsRefusedNamingTheParameter() {
        readmeShows("A `null` argument is refused at once with a `NullPointerException` naming the parameter.");
        Tokenizer tokenizer = tokenizer();
        var model = GptModel.create(GptConfig.defaults(), tokenizer.vocabSize(), new PythonRandom(1));
        assertEquals("optimizer", assertThrows(NullPointerException.class,
                () -> new Trainer(model, tokenizer, DOCS, null, 1)).getMessage());
        assertEquals("cache", assertThrows(NullPointerException.class, () -> model.forward(0, 0, null)).getMessage());
    }

    @Test
    void everyHookIsALambda() {
        readmeShows("`trainer.addStepListener(e -> …)`, `trainer.addGradientListener(e -> …)`");
        readmeShows("`sampler.addTokenListener(e -> …)`, `model.addAttentionListener(e -> …)`");
        readmeShows("a model without attention says so with `hasAttention()`");
        Tokenizer tokenizer = tokenizer();
        var model = GptModel.create(GptConfig.defaults(), tokenizer.vocabSize(), new PythonRandom(1));
        var trainer = new Trainer(model, tokenizer, DOCS, new AdamOptimizer(model.numParameters()), 2);
        var sampler = new Sampler(model, tokenizer, new PythonRandom(2));
        List<StepEvent> steps = new ArrayList<>();
        List<GradientEvent> gradients = new ArrayList<>();
        List<TokenEvent> tokens = new ArrayList<>();
        List<AttentionEvent> heads = new ArrayList<>();
        trainer.addStepListener(e -> steps.add(e));
        trainer.addGradientListener(e -> gradients.add(e));
        sampler.addTokenListener(e -> tokens.add(e));
        model.addAttentionListener(e -> heads.add(e));
        trainer.step(StepMode.DOCUMENT);
        sampler.sample(0.5);
        assertEquals(1, steps.size());
        assertEquals(1, gradients.size());
        assertFalse(tokens.isEmpty());
        assertFalse(heads.isEmpty());
        assertTrue(model.hasAttention());
        assertFalse(BigramModel.create(GptConfig.defaults(), tokenizer.vocabSize(), new PythonRandom(1)).hasAttention());
    }

    @Test
    void aNameBecomesTokensBetweenTwoBos() {
        readmeShows("the ids are `a` 0 to `z` 25, and one more token, BOS (26), marks where a name starts and ends:"
                + " `tokenizer.encodeDocument(\"emma\")` is `[26, 4, 12, 12, 0, 26]`");
        Tokenizer tokenizer = Tokenizer.fromDocuments(Documents.embeddedNames());
        assertEquals("abcdefghijklmnopqrstuvwxyz", tokenizer.characters());
        assertEquals(26, tokenizer.bos());
        assertArrayEquals(new int[] {26, 4, 12, 12, 0, 26}, tokenizer.encodeDocument("emma"));
    }

    @Test
    void lookingInside() {
        readmeShows("`NextToken.after(model, tokenizer, \"em\").top(5)`");
        readmeShows("`Evaluation.loss(model, tokenizer, heldOut)`");
        Tokenizer tokenizer = tokenizer();
        var model = GptModel.create(GptConfig.defaults(), tokenizer.vocabSize(), new PythonRandom(1));
        List<String> heldOut = List.of("emma", "mia");
        var top = NextToken.after(model, tokenizer, "em").top(5);
        assertEquals(5, top.size());
        for (int i = 1; i < top.size(); i++) {
            assertTrue(top.get(i - 1).probability() >= top.get(i).probability(), "the likeliest first: " + top);
        }
        double before = model.parameters().grads()[0];
        double loss = Evaluation.loss(model, tokenizer, heldOut);
        assertTrue(loss > 0 && Double.isFinite(loss), "a loss: " + loss);
        assertEquals(before, model.parameters().grads()[0], "Evaluation changes no gradient");
    }

    @Test
    void theGraphBehindANumber() {
        readmeShows("takes a label (`new Value(2).label(\"x\")`)");
        readmeShows("`ExpressionGraph.of(value)` lists the nodes in topological order");
        Value x = new Value(2).label("x");
        Value value = x.mul(x).tanh();
        value.backward();
        var graph = ExpressionGraph.of(value);
        assertEquals("x", graph.nodes().get(0).label());
        assertEquals(value.data(), graph.root().data());
        assertFalse(graph.backwardSteps().isEmpty());
        assertTrue(graph.toDot().startsWith("digraph"), graph.toDot());
        assertTrue(graph.toSvg().contains("<svg"));
    }

    @Test
    void theForwardPassHelpersArePublicInValueOps() {
        readmeShows("`linear`, `rmsnorm`, `softmax` (and `dot` where the Python writes `sum(...)`), all public in `ValueOps`"
                + " (`Softmax.softmax(double[])` is the same softmax over plain doubles)");
        readmeShows("`KvCache` its `keys(li)`/`values(li)`");
        var model = GptModel.create(GptConfig.defaults(), tokenizer().vocabSize(), new PythonRandom(1));
        KvCache cache = model.newCache();
        Value[] logits = model.forward(0, 0, cache);
        assertEquals(1, cache.keys(0).size());
        assertEquals(1, cache.values(0).size());
        Value[] x = ValueOps.rmsnorm(cache.keys(0).get(0));
        Value[] y = ValueOps.linear(x, model.matrix("layer0.attn_wq"));
        assertEquals(16, y.length);
        assertEquals(ValueOps.dot(x, 0, x, 0, x.length).data(), Value.sum(squares(x)).data());
        Value[] probabilities = ValueOps.softmax(logits);
        double[] plain = new double[logits.length];
        for (int i = 0; i < logits.length; i++) {
            plain[i] = logits[i].data();
        }
        double[] same = Softmax.softmax(plain);
        for (int i = 0; i < logits.length; i++) {
            assertEquals(probabilities[i].data(), same[i], "the same softmax, bit for bit, at " + i);
        }
    }

    private static Value[] squares(Value[] x) {
        Value[] squares = new Value[x.length];
        for (int i = 0; i < x.length; i++) {
            squares[i] = x[i].mul(x[i]);
        }
        return squares;
    }

    @Test
    void aCheckpointRebuildsTheModel() throws IOException {
        readmeShows("`Checkpoint.save(dir, model, tokenizer)`, `Checkpoint.load(dir).model()` (any model of the progression, as saved;"
                + " `gptModel()` gives the Value engine's `GptModel`)");
        Tokenizer tokenizer = tokenizer();
        LanguageModel model = BigramModel.create(GptConfig.defaults(), tokenizer.vocabSize(), new PythonRandom(1));
        Checkpoint.save(dir, model, tokenizer);
        LanguageModel loaded = Checkpoint.load(dir).model();
        assertInstanceOf(BigramModel.class, loaded);
        assertArrayEquals(model.parameters().values(), loaded.parameters().values());

        Path gptDir = dir.resolve("gpt");
        model = ArrayGptModel.create(GptConfig.defaults(), tokenizer.vocabSize(), new PythonRandom(1));
        Checkpoint.save(gptDir, model, tokenizer);
        GptModel gpt = Checkpoint.load(gptDir).gptModel();
        assertArrayEquals(model.parameters().values(), gpt.parameters().values());
    }

    @Test
    void aSettingOutOfRangeIsToldInTheProgramsNames() {
        readmeShows("`InvalidSettingException` that names it (`e.component()`, such as `\"nEmbd\"`)");
        readmeShows("`e.message(Map.of(\"nEmbd\", \"--n-embd\", \"nHead\", \"--n-head\")::get)`");
        InvalidSettingException e = assertThrows(InvalidSettingException.class,
                () -> GptConfig.defaults().withNEmbd(6));
        assertEquals("nEmbd", e.component());
        assertEquals("--n-embd (6) must be divisible by --n-head (4) so that every head gets the same number of"
                + " dimensions", e.message(Map.of("nEmbd", "--n-embd", "nHead", "--n-head")::get));
    }

    @Test
    void aCheckpointLoadedForSamplingContinuesTheRunsGenerator() throws IOException {
        readmeShows("`PythonRandom.fromState` of its `randomState()` continues the run's generator");
        Tokenizer tokenizer = tokenizer();
        var random = new PythonRandom(42);
        var model = GptModel.create(GptConfig.defaults(), tokenizer.vocabSize(), random);
        var trainer = new Trainer(model, tokenizer, DOCS, new AdamOptimizer(model.numParameters()), 2);
        trainer.step(StepMode.DOCUMENT);
        Checkpoint.save(dir, model, tokenizer, TrainingState.capture(trainer, random, StepMode.DOCUMENT, Map.of(),
                null, null));
        PythonRandom continued = PythonRandom.fromState(Checkpoint.loadForSampling(dir).randomState().orElseThrow());
        assertEquals(random.random(), continued.random());
    }

    @Test
    void aDataFileLimitCanBeChanged() throws IOException {
        readmeShows("`Documents.load(file, Documents.Limits.defaults().withMaxBytes(n))` takes another limit");
        readmeShows("(`Documents.MAX_BYTES`;");
        assertEquals(Documents.MAX_BYTES, Documents.Limits.defaults().maxBytes(), "one limit, one name");
        Path file = Files.writeString(dir.resolve("names.txt"), "emma\nolivia\nava\n");
        long n = 8;
        assertThrows(IOException.class, () -> Documents.load(file, Documents.Limits.defaults().withMaxBytes(n)));
        assertEquals(List.of("emma", "olivia", "ava"), Documents.load(file, Documents.Limits.defaults().withMaxBytes(100)));
    }

    @Test
    void readmesJavaLinesWithoutAnOutputCompile() {
        readmeShows("LanguageModel model = Engine.ARRAY.create(GptConfig.defaults(), tokenizer.vocabSize(), new PythonRandom(42));");
        readmeShows("ArrayGptModel model = ArrayGptModel.create(config, vocabSize, new PythonRandom(42)).setThreads(2);");
        Tokenizer tokenizer = tokenizer();
        GptConfig config = GptConfig.defaults();
        int vocabSize = tokenizer.vocabSize();
        {
            LanguageModel model = Engine.ARRAY.create(GptConfig.defaults(), tokenizer.vocabSize(), new PythonRandom(42));
            assertInstanceOf(ArrayGptModel.class, model);
        }
        {
            ArrayGptModel model = ArrayGptModel.create(config, vocabSize, new PythonRandom(42)).setThreads(2);
            assertEquals(2, model.threads());
        }
        assertNotEquals(0, vocabSize);
    }
}
