package io.github.microgpt.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.github.microgpt.autograd.Value;
import io.github.microgpt.optim.AdamOptimizer;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.text.Tokenizer;
import io.github.microgpt.train.StepMode;
import io.github.microgpt.train.Trainer;
import io.github.microgpt.train.TrainingDivergedException;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A diverging model of {@code Value}s whose probability of a target underflows to 0: its loss is
 * infinite, as the array engine's is, although {@link Value#log()} refuses 0 as Python does, so
 * that the trainer stops the run with its own message and not with an ArithmeticException from
 * inside the loss.
 */
class ZeroProbabilityLossTest {

    private static final List<String> DOCS = List.of("ab", "ba");
    private static final Tokenizer TOKENIZER = Tokenizer.fromDocuments(DOCS);

    /** A bigram model whose logit of every token after every token is -1e6 but one: its softmax is 0 there. */
    private static BigramModel modelThatGivesZero() {
        BigramModel model = BigramModel.create(new GptConfig(1, 4, 2, 4, 0.08), TOKENIZER.vocabSize(),
                new PythonRandom(1));
        for (Value[] row : model.matrix("logits")) {
            for (int token = 0; token < row.length; token++) {
                row[token].setData(token == 0 ? 0.0 : -1e6);
            }
        }
        return model;
    }

    @Test
    void theLossOfAZeroProbabilityIsInfinite() {
        BigramModel model = modelThatGivesZero();
        int[] tokens = TOKENIZER.encodeDocument("ab");
        assertEquals(Double.POSITIVE_INFINITY, model.loss(tokens, 0, tokens.length - 1).data());
    }

    @Test
    void theTrainerStopsSuchARunWithItsOwnMessage() {
        BigramModel model = modelThatGivesZero();
        Trainer trainer = new Trainer(model, TOKENIZER, DOCS, new AdamOptimizer(model.numParameters()), 5);
        TrainingDivergedException e = assertThrows(TrainingDivergedException.class,
                () -> trainer.step(StepMode.DOCUMENT));
        assertEquals(1, e.step());
        assertEquals(Double.POSITIVE_INFINITY, e.loss());
    }
}
