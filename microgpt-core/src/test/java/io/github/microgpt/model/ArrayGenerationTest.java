package io.github.microgpt.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The array engine's generation: a sequence keeps every position only in its key-value cache and
 * one row of each other activation (see {@code Workspace.forGeneration}), so what must hold is
 * that sequences do not disturb each other and that the one-row buffers change no logit.
 */
class ArrayGenerationTest {

    static Stream<EngineAgreementTest.Case> cases() {
        return Stream.concat(IntStream.range(0, 30).mapToObj(i -> EngineAgreementTest.Case.draw(3000 + i)),
                IntStream.range(0, 10).mapToObj(i -> EngineAgreementTest.Case.drawLong(4000 + i)));
    }

    /** The tokens a case's sequences read: its first document, cut to the block size. */
    private static int[] prompt(EngineAgreementTest.Case c) {
        int[] doc = c.documents().get(0);
        int n = Math.min(doc.length, c.config().blockSize());
        int[] tokens = new int[n];
        System.arraycopy(doc, 0, tokens, 0, n);
        return tokens;
    }

    @TestFactory
    Stream<DynamicTest> interleavedSequencesGiveTheLogitsOfSequencesReadAlone() {
        return cases().map(c -> DynamicTest.dynamicTest(c.toString(), () -> {
            ArrayGptModel model = c.arrayModel();
            int[] tokens = prompt(c);
            List<double[]> alone = new ArrayList<>();
            LanguageModel.Sequence single = model.newSequence();
            for (int token : tokens) {
                alone.add(single.next(token));
            }
            // Two sequences in lockstep, the second reading the tokens in reverse order: each
            // must keep its own cache although both run on the same model and thread.
            LanguageModel.Sequence forward = model.newSequence();
            LanguageModel.Sequence backward = model.newSequence();
            LanguageModel.Sequence reversedAlone = model.newSequence();
            for (int pos = 0; pos < tokens.length; pos++) {
                double[] ahead = forward.next(tokens[pos]);
                double[] behind = backward.next(tokens[tokens.length - 1 - pos]);
                assertArrayEquals(alone.get(pos), ahead, 0.0, c + ", position " + pos);
                assertArrayEquals(reversedAlone.next(tokens[tokens.length - 1 - pos]), behind, 0.0,
                        c + ", reversed, position " + pos);
            }
        }));
    }

    @TestFactory
    Stream<DynamicTest> generatedLogitsGiveTheProbabilitiesOfTheTrainingPass() {
        return cases().map(c -> DynamicTest.dynamicTest(c.toString(), () -> {
            ArrayGptModel model = c.arrayModel();
            int[] doc = c.documents().get(0);
            int end = Math.min(c.config().blockSize(), doc.length - 1);
            Predictions trained = new Predictions();
            model.lossAndGradients(doc, 0, end, trained);
            LanguageModel.Sequence sequence = model.newSequence();
            for (int pos = 0; pos < end; pos++) {
                double[] logits = sequence.next(doc[pos]);
                double[] probabilities = logits.clone();
                Softmax.inPlace(probabilities, 0, probabilities.length);
                assertArrayEquals(trained.probabilities(pos), probabilities, 0.0, c + ", position " + pos);
            }
        }));
    }

    @Test
    void aGenerationWorkspaceSharesOneRowPerActivationButKeepsEveryPositionOfTheCache() {
        GptConfig config = new GptConfig(2, 8, 2, 6, 0.1);
        Workspace ws = Workspace.forGeneration(config, 5);
        for (int t = 1; t < config.blockSize(); t++) {
            assertSame(ws.encoded[0], ws.encoded[t], "encoded, position " + t);
            assertSame(ws.mlpHidden[1][0], ws.mlpHidden[1][t], "mlpHidden, position " + t);
            assertSame(ws.logits[0], ws.logits[t], "logits, position " + t);
            assertSame(ws.attnWeights[0][0], ws.attnWeights[0][t], "attention weights, position " + t);
            assertNotSame(ws.qkv[1][0], ws.qkv[1][t], "the cache keeps every position");
        }
        for (int c = 1; c < config.nEmbd(); c++) {
            assertNotSame(ws.keysT[0][0], ws.keysT[0][c], "the transposed keys keep every column");
        }
        assertNotSame(ws.encoded[0], ws.residual[0][0], "each activation has a row of its own");
        IllegalStateException e = assertThrows(IllegalStateException.class, ws::ensureGradients);
        assertEquals("a generation workspace keeps one position's activations: no backward pass", e.getMessage());
    }

    @Test
    void aTrainingWorkspaceKeepsEveryPosition() {
        GptConfig config = new GptConfig(1, 4, 1, 3, 0.1);
        Workspace ws = new Workspace(config, 3);
        assertNotSame(ws.encoded[0], ws.encoded[1]);
        assertNotSame(ws.attnWeights[0][0], ws.attnWeights[0][1]);
        ws.ensureGradients();
        assertEquals(3, ws.dEncoded.length);
    }
}
