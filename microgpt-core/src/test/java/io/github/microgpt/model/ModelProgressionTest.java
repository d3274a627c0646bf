package io.github.microgpt.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.optim.AdamOptimizer;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.random.RandomSource;
import io.github.microgpt.sample.Sampler;
import io.github.microgpt.testing.Cases;
import io.github.microgpt.testing.Gen;
import io.github.microgpt.text.Documents;
import io.github.microgpt.text.Tokenizer;
import io.github.microgpt.train.StepMode;
import io.github.microgpt.train.Trainer;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The models of the progression (bigram, MLP, attention) and a learner's copy of the GPT's
 * forward pass: their gradients agree with finite differences, the library's trainer and sampler
 * work with them, and a copy of {@link GptModel#forward} trains bit for bit like the GPT.
 */
class ModelProgressionTest {

    /** How to make each model of the progression. */
    private record Kind(String name, Factory factory) {
    }

    @FunctionalInterface
    private interface Factory {
        ValueLanguageModel create(GptConfig config, int vocabSize, RandomSource random);
    }

    private static List<Kind> kinds() {
        return List.of(
                new Kind("bigram", BigramModel::create),
                new Kind("mlp", MlpModel::create),
                new Kind("attention", AttentionModel::create),
                new Kind("copied gpt", (c, v, r) -> new CopiedGpt(GptModel.create(c, v, r))));
    }

    @TestFactory
    Stream<DynamicNode> everyModelsGradientMatchesCentralDifferences() {
        return kinds().stream().map(kind -> DynamicContainer.dynamicContainer(kind.name(),
                Cases.dynamicTests(kind.name() + " loss gradient", 30, GptModelGradientTest::randomCase, c -> {
                    Tokenizer tokenizer = Tokenizer.ofCharacters(c.vocabulary());
                    ValueLanguageModel model = kind.factory().create(c.config(), tokenizer.vocabSize(),
                            new PythonRandom(c.initSeed()));
                    int[] tokens = tokenizer.encodeDocument(c.document());
                    Gen pick = new Gen(c.pickSeed());
                    int[] indices = new int[c.parametersToCheck()];
                    for (int n = 0; n < indices.length; n++) {
                        indices[n] = pick.intIn(0, model.parameters().size() - 1);
                    }
                    GptModelGradientTest.assertGradientMatchesCentralDifferences(model, tokens, c.first(), c.end(),
                            indices);
                })));
    }

    @Test
    void aCopyOfGptForwardTrainsAndSamplesBitForBitLikeTheGpt() {
        List<String> docs = new ArrayList<>(Documents.embeddedNames());
        new PythonRandom(42).shuffle(docs);
        Tokenizer tokenizer = Tokenizer.fromDocuments(docs);
        GptConfig config = GptConfig.defaults();
        GptModel gpt = GptModel.create(config, tokenizer.vocabSize(), new PythonRandom(7));
        CopiedGpt copy = new CopiedGpt(GptModel.create(config, tokenizer.vocabSize(), new PythonRandom(7)));
        assertEquals(gpt.parameters().matrixLayouts(), copy.parameters().matrixLayouts());
        double[] gptLosses = train(gpt, tokenizer, docs, 12);
        double[] copyLosses = train(copy, tokenizer, docs, 12);
        assertArrayEquals(gptLosses, copyLosses, "the same losses, bit for bit");
        assertArrayEquals(gpt.parameters().values(), copy.parameters().values());
        assertEquals(new Sampler(gpt, tokenizer, new PythonRandom(1)).samples(5, 0.5),
                new Sampler(copy, tokenizer, new PythonRandom(1)).samples(5, 0.5));
    }

    @TestFactory
    Stream<DynamicTest> everyModelLearnsTheNamesWithTheLibrarysTrainerAndSampler() {
        List<String> docs = new ArrayList<>(Documents.embeddedNames());
        new PythonRandom(42).shuffle(docs);
        Tokenizer tokenizer = Tokenizer.fromDocuments(docs);
        return kinds().stream().map(kind -> DynamicTest.dynamicTest(kind.name(), () -> {
            ValueLanguageModel model = kind.factory().create(GptConfig.defaults(), tokenizer.vocabSize(),
                    new PythonRandom(42));
            double[] losses = train(model, tokenizer, docs, 200);
            double first = mean(losses, 0, 20);
            double last = mean(losses, 180, 200);
            // A margin well above the step-to-step noise of a mean over 20 names (a few hundredths).
            assertTrue(last < first - 0.1, kind.name() + ": the mean loss of steps 181-200 (" + last
                    + ") is not well below that of steps 1-20 (" + first + ")");
            List<String> names = new Sampler(model, tokenizer, new PythonRandom(3)).samples(5, 0.5);
            assertEquals(5, names.size());
        }));
    }

    @Test
    void aBadStateDictIsRejectedNamingTheMatrix() {
        var empty = java.util.Map.<String, io.github.microgpt.autograd.Value[][]>of();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ValueLanguageModel(GptConfig.defaults(), 5, empty) {
                    @Override
                    public io.github.microgpt.autograd.Value[] forward(int tokenId, int posId, KvCache cache) {
                        return null;
                    }
                });
        assertTrue(e.getMessage().contains("at least one weight matrix"), e.getMessage());
        var ragged = java.util.Map.of("w", new io.github.microgpt.autograd.Value[][] {
            {new io.github.microgpt.autograd.Value(1)},
            {new io.github.microgpt.autograd.Value(1), new io.github.microgpt.autograd.Value(2)}});
        e = assertThrows(IllegalArgumentException.class, () -> new ValueLanguageModel(GptConfig.defaults(), 5, ragged) {
            @Override
            public io.github.microgpt.autograd.Value[] forward(int tokenId, int posId, KvCache cache) {
                return null;
            }
        });
        assertTrue(e.getMessage().contains("row 1 of the matrix w"), e.getMessage());
    }

    @Test
    void theAttentionModelReportsEveryHeadAtEveryPositionAndTheOthersHaveNoAttention() {
        GptConfig config = new GptConfig(2, 8, 2, 6, 0.3);
        AttentionModel model = AttentionModel.create(config, 5, new PythonRandom(3));
        assertTrue(model.hasAttention());
        List<AttentionEvent> events = new ArrayList<>();
        AttentionListener listener = events::add;
        model.addAttentionListener(listener);
        LanguageModel.Sequence sequence = model.newSequence();
        for (int token : new int[] {4, 0, 1, 2}) {
            sequence.next(token);
        }
        assertEquals(4 * 2 * 2, events.size(), "every position, layer and head");
        for (AttentionEvent event : events) {
            double total = 0;
            for (int t = 0; t <= event.posId(); t++) {
                total += event.weight(t);
            }
            assertEquals(1.0, total, 1e-12, "a head's weights sum to 1");
        }
        model.removeAttentionListener(listener);
        model.newSequence().next(4);
        assertEquals(16, events.size(), "a removed listener hears nothing");
        for (Kind kind : kinds().subList(0, 2)) {
            ValueLanguageModel other = kind.factory().create(config, 5, new PythonRandom(3));
            assertTrue(!other.hasAttention(), kind.name());
            assertThrows(UnsupportedOperationException.class, () -> other.addAttentionListener(e -> { }));
        }
    }

    @Test
    void sequencesCheckTokensAndPositions() {
        BigramModel model = BigramModel.create(new GptConfig(1, 4, 1, 2, 0.1), 3, new PythonRandom(1));
        LanguageModel.Sequence sequence = model.newSequence();
        assertThrows(IllegalArgumentException.class, () -> sequence.next(3));
        sequence.next(0);
        sequence.next(1);
        assertEquals(2, sequence.length());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> sequence.next(0));
        assertTrue(e.getMessage().contains("outside the block size 2"), e.getMessage());
    }

    private static double[] train(LanguageModel model, Tokenizer tokenizer, List<String> docs, int steps) {
        Trainer trainer = new Trainer(model, tokenizer, docs, new AdamOptimizer(model.numParameters()), steps);
        double[] losses = new double[steps];
        for (int s = 0; s < steps; s++) {
            losses[s] = trainer.step(StepMode.DOCUMENT).loss();
        }
        return losses;
    }

    private static double mean(double[] values, int from, int to) {
        double total = 0;
        for (int i = from; i < to; i++) {
            total += values[i];
        }
        return total / (to - from);
    }
}
