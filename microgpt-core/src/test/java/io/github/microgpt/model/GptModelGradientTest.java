package io.github.microgpt.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.testing.Cases;
import io.github.microgpt.testing.Gen;
import io.github.microgpt.text.Tokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The gradient of the whole model's loss, as {@link GptModel#lossAndGradients} back-propagates
 * it, agrees with central finite differences of the loss, for random small models, vocabularies,
 * documents and stretches of positions.
 */
class GptModelGradientTest {

    /** Letters to draw vocabularies from, a few of them outside ASCII. */
    private static final int[] LETTERS = "abcdefghijklmnopqrstuvwxyzé\u03bb\u4e2d".codePoints().toArray();

    /** The inputs of one case. */
    record ModelCase(GptConfig config, String vocabulary, String document, long initSeed, int first, int end,
                     int parametersToCheck, long pickSeed) {
    }

    static ModelCase randomCase(Gen g) {
        int nEmbd = g.intIn(4, 12);
        List<Integer> divisors = new ArrayList<>();
        for (int h = 1; h <= nEmbd; h++) {
            if (nEmbd % h == 0) {
                divisors.add(h);
            }
        }
        GptConfig config = new GptConfig(g.intIn(1, 2), nEmbd, g.pick(divisors), g.intIn(2, 8),
                g.doubleIn(0.05, 0.4));
        int[] chosen = g.distinct(g.intIn(1, 8), LETTERS.length);
        int[] vocabulary = new int[chosen.length];
        for (int i = 0; i < chosen.length; i++) {
            vocabulary[i] = LETTERS[chosen[i]];
        }
        String document = g.string(vocabulary, g.intIn(1, 10));
        int n = Math.min(config.blockSize(), document.codePointCount(0, document.length()) + 1);
        // Half the cases train the whole document, as a DOCUMENT step does; the rest train one
        // position (a POSITION step) or a random stretch.
        int first;
        int end;
        switch (g.intIn(0, 3)) {
            case 0, 1 -> {
                first = 0;
                end = n;
            }
            case 2 -> {
                first = g.intIn(0, n - 1);
                end = first + 1;
            }
            default -> {
                first = g.intIn(0, n - 1);
                end = g.intIn(first + 1, n);
            }
        }
        return new ModelCase(config, new String(vocabulary, 0, vocabulary.length), document, g.nextLong(),
                first, end, 20, g.nextLong());
    }

    @TestFactory
    Stream<DynamicTest> lossGradientMatchesCentralDifferences() {
        return Cases.dynamicTests("model loss gradient", 40, GptModelGradientTest::randomCase, c -> {
            Tokenizer tokenizer = Tokenizer.ofCharacters(c.vocabulary());
            GptModel model = GptModel.create(c.config(), tokenizer.vocabSize(), new PythonRandom(c.initSeed()));
            int[] tokens = tokenizer.encodeDocument(c.document());
            assertGradientMatchesCentralDifferences(model, tokens, c.first(), c.end(),
                    parametersToCheck(model.parameters(), c.parametersToCheck(), new Gen(c.pickSeed())));
        });
    }

    /**
     * Back-propagates the loss of {@code tokens[first, end)} and checks the gradient of each
     * parameter at {@code indices} against the central difference of the loss (ModelProgressionTest
     * checks the other models with it too).
     */
    static void assertGradientMatchesCentralDifferences(ValueLanguageModel model, int[] tokens, int first, int end,
                                                        int[] indices) {
        Parameters parameters = model.parameters();
        double loss = model.lossAndGradients(tokens, first, end, null);
        assertEquals(loss, model.loss(tokens, first, end).data(),
                "the loss is the same whether or not it is back-propagated");
        double[] grads = parameters.grads();
        for (int index : indices) {
            double original = parameters.value(index);
            double h = 1e-6;
            parameters.setValue(index, original + h);
            double plus = model.loss(tokens, first, end).data();
            parameters.setValue(index, original - h);
            double minus = model.loss(tokens, first, end).data();
            parameters.setValue(index, original);
            double numeric = (plus - minus) / ((original + h) - (original - h));
            double analytic = grads[index];
            // The loss is a few units and computed with ~1e-15 relative error, so the
            // difference quotient carries ~1e-9 of rounding noise; truncation is O(h^2).
            // Over a few thousand cases (other seeds, -Dmicrogpt.test.scale=5) the worst error
            // seen was about a tenth of this tolerance. The loss is smooth except at relu's
            // kink; a step of 1e-6 crossing one is unlikely, and would show as a failure here.
            double tolerance = 2e-8 + 2e-6 * Math.abs(analytic);
            assertTrue(Math.abs(numeric - analytic) <= tolerance, "parameter " + index + " ("
                    + describe(parameters, index) + "): backward gives " + analytic
                    + " but the central difference is " + numeric);
        }
    }

    /** A random choice of parameters that includes entries of every matrix. */
    private static int[] parametersToCheck(Parameters parameters, int count, Gen g) {
        List<MatrixLayout> matrices = parameters.matrixLayouts();
        int perMatrix = Math.max(1, count / matrices.size());
        List<Integer> chosen = new ArrayList<>();
        for (MatrixLayout m : matrices) {
            for (int k = 0; k < perMatrix; k++) {
                chosen.add(m.offset() + g.intIn(0, m.size() - 1));
            }
        }
        while (chosen.size() < count) {
            chosen.add(g.intIn(0, parameters.size() - 1));
        }
        return chosen.stream().mapToInt(Integer::intValue).toArray();
    }

    private static String describe(Parameters parameters, int index) {
        for (MatrixLayout m : parameters.matrixLayouts()) {
            if (index >= m.offset() && index < m.offset() + m.size()) {
                int local = index - m.offset();
                return m.name() + "[" + local / m.cols() + "][" + local % m.cols() + "]";
            }
        }
        return "?";
    }
}
