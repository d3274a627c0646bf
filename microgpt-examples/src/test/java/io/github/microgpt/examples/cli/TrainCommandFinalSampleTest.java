package io.github.microgpt.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.github.microgpt.model.LanguageModel;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.sample.NonFiniteLogitsException;
import io.github.microgpt.sample.Sampler;
import io.github.microgpt.stubs.StubLanguageModel;
import io.github.microgpt.text.Tokenizer;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;

/**
 * The samples {@code train} prints after its last step: logits that are not finite are the last
 * update's divergence (HostileInputCommandTest runs one through the command line), and nothing
 * else is.
 */
class TrainCommandFinalSampleTest {

    private static final Tokenizer TOKENIZER = Tokenizer.ofCharacters("abc");

    /**
     * Any other IllegalStateException from the model (here one a broken thread pool might
     * throw) was reported as "training diverged at its last step ... a smaller --lr may help":
     * a fault of the program sent the user to change a learning rate that had nothing to do with
     * it. It now goes on as itself, which the command line reports as an internal error.
     */
    @Test
    void anotherIllegalStateExceptionIsNotCalledADivergence() {
        IllegalStateException fault = new IllegalStateException("the worker threads have been shut down");
        Sampler sampler = new Sampler(model(token -> {
            throw fault;
        }), TOKENIZER, new PythonRandom(1));
        IllegalStateException thrown = assertThrows(IllegalStateException.class,
                () -> TrainCommand.finalSample(sampler, 0.5, 7));
        assertSame(fault, thrown, "the fault itself, not a CommandFailedException about the learning rate");
    }

    /** Logits that overflowed are the divergence: one line, exit code 1, what to change. */
    @Test
    void logitsThatAreNotFiniteAreTheLastStepsDivergence() {
        Sampler sampler = new Sampler(model(token -> new double[] {0.0, Double.POSITIVE_INFINITY, 0.0, 0.0}),
                TOKENIZER, new PythonRandom(1));
        CommandFailedException e = assertThrows(CommandFailedException.class,
                () -> TrainCommand.finalSample(sampler, 0.5, 7));
        assertEquals(CommandFailedException.FAILED, e.exitCode());
        assertEquals(NonFiniteLogitsException.class, e.getCause().getClass());
        assertEquals("training diverged at its last step (7): " + e.getCause().getMessage()
                + "; a smaller --lr may help", e.getMessage());
    }

    /** A model of {@link #TOKENIZER}'s 4 tokens whose every prediction is {@code logits}' answer. */
    private static LanguageModel model(IntFunction<double[]> logits) {
        return StubLanguageModel.answering(TOKENIZER.vocabSize(), 8, logits);
    }
}
