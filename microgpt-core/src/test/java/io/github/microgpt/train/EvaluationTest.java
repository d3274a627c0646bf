package io.github.microgpt.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.model.Architecture;
import io.github.microgpt.model.Engine;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.LanguageModel;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.testing.Cases;
import io.github.microgpt.testing.Gen;
import io.github.microgpt.text.Tokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** {@link Evaluation}: the loss a training step would report, bit for bit, with no gradient touched. */
class EvaluationTest {

    /** A random small model of any kind, a vocabulary and documents. */
    private record EvalCase(String kind, GptConfig config, String vocabulary, List<String> documents, long seed) {
    }

    private static EvalCase randomCase(Gen g) {
        int nHead = g.intIn(1, 2);
        GptConfig config = new GptConfig(g.intIn(1, 2), nHead * g.intIn(2, 4), nHead, g.intIn(2, 8), 0.3);
        String vocabulary = "abcdefg".substring(0, g.intIn(1, 7));
        int[] letters = vocabulary.codePoints().toArray();
        List<String> docs = new ArrayList<>();
        for (int d = g.intIn(1, 4); d > 0; d--) {
            docs.add(g.string(letters, g.intIn(1, 10)));
        }
        String kind = g.pickOf("bigram", "mlp", "attention", "gpt", "array");
        return new EvalCase(kind, config, vocabulary, docs, g.nextLong());
    }

    private static LanguageModel create(EvalCase c, int vocabSize) {
        PythonRandom random = new PythonRandom(c.seed());
        return c.kind().equals("array") ? Engine.ARRAY.create(c.config(), vocabSize, random)
                : Architecture.fromId(c.kind()).create(c.config(), vocabSize, random);
    }

    @TestFactory
    Stream<DynamicTest> theLossIsATrainingStepsLossAndNoGradientChanges() {
        return Cases.dynamicTests("evaluation loss", 150, EvaluationTest::randomCase, c -> {
            Tokenizer tokenizer = Tokenizer.ofCharacters(c.vocabulary());
            LanguageModel model = create(c, tokenizer.vocabSize());
            double[] gradsBefore = model.parameters().grads();
            double[] valuesBefore = model.parameters().values();
            double total = 0.0;
            double[] expected = new double[c.documents().size()];
            for (int d = 0; d < expected.length; d++) {
                int[] tokens = tokenizer.encodeDocument(c.documents().get(d));
                double evaluated = Evaluation.documentLoss(model, tokens);
                assertArrayEquals(gradsBefore, model.parameters().grads(), "no gradient changes");
                int n = Math.min(c.config().blockSize(), tokens.length - 1);
                expected[d] = model.lossAndGradients(tokens, 0, n, null);
                assertEquals(Double.doubleToLongBits(expected[d]), Double.doubleToLongBits(evaluated),
                        "document " + d + ": " + expected[d] + " from training, " + evaluated + " evaluated");
                for (int i = 0; i < gradsBefore.length; i++) {
                    model.parameters().setGrad(i, gradsBefore[i]);
                }
                total += expected[d];
            }
            assertEquals(total / expected.length, Evaluation.loss(model, tokenizer, c.documents()));
            assertArrayEquals(valuesBefore, model.parameters().values());
        });
    }

    @Test
    void badDocumentsAreNamed() {
        Tokenizer tokenizer = Tokenizer.ofCharacters("ab");
        LanguageModel model = Architecture.BIGRAM.create(GptConfig.defaults(), tokenizer.vocabSize(), new PythonRandom(1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Evaluation.loss(model, tokenizer, List.of("ab", "abc")));
        assertTrue(e.getMessage().startsWith("document 1: character 'c'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Evaluation.loss(model, tokenizer, List.of()));
        assertTrue(e.getMessage().contains("at least one document"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Evaluation.loss(model, tokenizer, List.of("a", "")));
        assertEquals("document 1 is empty", e.getMessage());
    }
}
