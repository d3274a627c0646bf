package io.github.microgpt.sample;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.GptModel;
import io.github.microgpt.model.LanguageModel;
import io.github.microgpt.model.Softmax;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.testing.Cases;
import io.github.microgpt.testing.Gen;
import io.github.microgpt.testing.WrappedModel;
import io.github.microgpt.text.Tokenizer;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** {@link NextToken}: the distribution after a prefix, and its top k. */
class NextTokenTest {

    private static final Tokenizer TOKENIZER = Tokenizer.ofCharacters("abcde");

    @TestFactory
    Stream<DynamicTest> theDistributionIsTheSoftmaxOfTheLastLogitsAndTopKIsItsLargest() {
        return Cases.dynamicTests("next token after a prefix", 100, g -> new Object[] {g.nextLong(),
            g.string("abcde".codePoints().toArray(), g.intIn(0, 6)), g.intIn(1, 8)}, c -> {
                long seed = (Long) c[0];
                String prefix = (String) c[1];
                int k = (Integer) c[2];
                LanguageModel model = GptModel.create(new GptConfig(1, 8, 2, 8, 0.5), TOKENIZER.vocabSize(),
                        new PythonRandom(seed));
                double[] grads = model.parameters().grads();
                NextToken next = NextToken.after(model, TOKENIZER, prefix);
                LanguageModel.Sequence sequence = model.newSequence();
                double[] logits = sequence.next(TOKENIZER.bos());
                for (int id : TOKENIZER.encode(prefix)) {
                    logits = sequence.next(id);
                }
                assertArrayEquals(Softmax.softmax(logits), next.probabilities());
                assertArrayEquals(grads, model.parameters().grads(), "no gradient changes");
                List<NextToken.Candidate> top = next.top(k);
                assertEquals(Math.min(k, TOKENIZER.vocabSize()), top.size());
                for (int i = 0; i < top.size(); i++) {
                    NextToken.Candidate c0 = top.get(i);
                    assertEquals(next.probability(c0.tokenId()), c0.probability());
                    assertEquals(TOKENIZER.tokenText(c0.tokenId()), c0.text());
                    if (i > 0) {
                        assertTrue(top.get(i - 1).probability() >= c0.probability(), "most likely first");
                    }
                }
                // Nothing left out is more likely than the last one kept.
                double lastKept = top.get(top.size() - 1).probability();
                long moreLikely = java.util.Arrays.stream(next.probabilities()).filter(p -> p > lastKept).count();
                assertTrue(moreLikely < top.size());
            });
    }

    @Test
    void aPrefixThatDoesNotFitIsRejected() {
        LanguageModel model = GptModel.create(new GptConfig(1, 4, 1, 4, 0.1), TOKENIZER.vocabSize(), new PythonRandom(1));
        NextToken.after(model, TOKENIZER, "abc");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NextToken.after(model, TOKENIZER, "abcd"));
        assertTrue(e.getMessage().contains("at most 3 fit the model's block size of 4"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> NextToken.after(model, TOKENIZER, "az"));
        assertTrue(e.getMessage().contains("'z'"), e.getMessage());
        NextToken ok = NextToken.after(model, TOKENIZER, "");
        assertThrows(IllegalArgumentException.class, () -> ok.top(0));
        assertThrows(IllegalArgumentException.class, () -> ok.probability(6));
    }

    /**
     * A prefix too long for the model is refused by its length, as the sampler refuses one, in a
     * message of one short line: it quoted the whole prefix, raw (a line break in it cut the
     * message, and a prefix of 100,000 letters made a message of 100,000 letters), after
     * tokenizing all of it. A character outside the vocabulary is said to be the prefix's, as the
     * sampler says it.
     */
    @Test
    void aPrefixIsRefusedAsTheSamplerRefusesIt() {
        LanguageModel model = GptModel.create(new GptConfig(1, 4, 1, 4, 0.1), TOKENIZER.vocabSize(), new PythonRandom(1));
        IllegalArgumentException longOne = assertThrows(IllegalArgumentException.class,
                () -> NextToken.after(model, TOKENIZER, "a".repeat(100_000)));
        assertEquals("the prefix has 100000 characters; with BOS before it, at most 3 fit the model's block size of 4",
                longOne.getMessage());
        IllegalArgumentException lines = assertThrows(IllegalArgumentException.class,
                () -> NextToken.after(model, TOKENIZER, "ab\nc\nd"));
        assertFalse(lines.getMessage().contains("\n"), lines.getMessage());
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> NextToken.after(model, TOKENIZER, "az"));
        assertTrue(unknown.getMessage().startsWith("the prefix: character 'z'"), unknown.getMessage());
    }

    /**
     * Logits that are not finite (a model whose weights are NaN, or overflow its forward pass)
     * were refused by the softmax as a bad argument, "logits[2] is NaN", which said neither that
     * the model was at fault nor what a model must be; the caller's arguments were fine.
     */
    @Test
    void logitsThatAreNotFiniteAreTheModelsFaultAndSaySo() {
        LanguageModel real = GptModel.create(new GptConfig(1, 4, 1, 4, 0.1), TOKENIZER.vocabSize(), new PythonRandom(1));
        for (double bad : new double[] {Double.NaN, Double.POSITIVE_INFINITY}) {
            LanguageModel broken = new WrappedModel(real, (sequence, tokenId) -> {
                double[] logits = sequence.next(tokenId);
                logits[2] = bad;
                return logits;
            });
            IllegalStateException quoted = assertThrows(IllegalStateException.class,
                    () -> NextToken.after(broken, Tokenizer.ofCharacters("\"abcd"), "a\"b"));
            // The prefix's quote is escaped (it was printed as it is, ending the quotation early).
            assertTrue(quoted.getMessage().startsWith("the model's logits are not finite: after the prefix \"a\\\"b\""
                    + " the logit"), quoted.getMessage());
            NonFiniteLogitsException e = assertThrows(NonFiniteLogitsException.class,
                    () -> NextToken.after(broken, TOKENIZER, "ab"));
            // BOS at position 0, "a" at 1, "b" at 2: the logits of the pass at position 2.
            assertEquals(List.of(2, 2, bad), List.of(e.posId(), e.tokenId(), e.logit()), "what the message names");
            assertEquals("the model's logits are not finite: after the prefix \"ab\" the logit of token 2 (c) is " + bad
                    + ", so they give no distribution; a model's weights must be finite and small enough that its"
                    + " forward pass does not overflow a double", e.getMessage());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NextToken.after(real, Tokenizer.ofCharacters("ab"), ""));
        assertEquals("the tokenizer has 3 tokens but the model 6: the tokenizer must be the one the model was trained"
                + " with (the same vocabulary)", e.getMessage());
    }

    /**
     * toString quoted the prefix and the tokens without escaping them: a {@code "} token printed
     * as three quotes in a row, a backslash could not be told from the start of an escape, and a
     * tab or a line break went out as itself. Each vocabulary here has two characters and BOS,
     * so the three tokens shown are all of them, in the order {@link NextToken#top} gives.
     */
    @Test
    void toStringQuotesThePrefixAndTheTokensAsJavaStringLiterals() {
        java.util.Map<String, String> literal = java.util.Map.of("\"", "\\\"", "\\", "\\\\",
                "\t", "\\u0009", "\n", "\\u000A", "\u200B", "\\u200B", "<BOS>", "<BOS>");
        String[][] cases = {{"\"\\", "\"\\\"", "\\\"\\\\\\\""}, {"\t\u200B", "\u200B\t", "\\u200B\\u0009"},
            {"\"\u200B", "\u200B\"", "\\u200B\\\""}};
        for (String[] c : cases) {
            Tokenizer tokenizer = Tokenizer.ofCharacters(c[0]);
            LanguageModel model = GptModel.create(new GptConfig(1, 4, 1, 4, 0.5), tokenizer.vocabSize(),
                    new PythonRandom(3));
            NextToken next = NextToken.after(model, tokenizer, c[1]);
            StringBuilder likely = new StringBuilder();
            for (NextToken.Candidate candidate : next.top(3)) {
                likely.append(likely.length() == 0 ? "" : ", ").append('"').append(literal.get(candidate.text()))
                        .append("\" ").append(candidate.probability());
            }
            assertEquals("NextToken[prefix=\"" + c[2] + "\", 3 tokens, most likely: " + likely + "]",
                    next.toString());
        }
    }
}
