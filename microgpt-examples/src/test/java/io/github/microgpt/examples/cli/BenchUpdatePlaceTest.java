package io.github.microgpt.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.microgpt.internal.FusedStep;
import io.github.microgpt.internal.FusedUpdates;
import io.github.microgpt.model.ArrayKernels;
import io.github.microgpt.model.Engine;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.LanguageModel;
import io.github.microgpt.model.Parameters;
import io.github.microgpt.model.Precision;
import io.github.microgpt.optim.AdamOptimizer;
import io.github.microgpt.random.PythonRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Where the bench says its timed steps run Adam's update ({@code BenchCommand.Contender#updatePlace},
 * which sets the bytes it prints) is where the core runs it: inside the backward pass exactly when
 * the trainer's step of one document with no listener fuses the two. The core's decision is
 * internal, so it is asked here as the trainer asks it ({@code Trainer.fusedStep}): the
 * parameters offer a fused step that {@code fuses()}, and Adam prepares an update for it.
 */
class BenchUpdatePlaceTest {

    @ParameterizedTest(name = "{0} {1} on {2} threads, {3} layers, nEmbd {4}")
    @CsvSource({
        // The reference size: f64 rows of 16 are staged after the pass, f32 rows updated inside it.
        "array, f64, 1, 1, 16, 4, 16, false",
        "array, f64, 2, 1, 16, 4, 16, false",
        "array, f32, 1, 1, 16, 4, 16, true",
        "array, f32, 3, 1, 16, 4, 16, true",
        "value, f64, 1, 1, 16, 4, 16, false",
        // Rows of 24 on average 31 numbers: still staged in f64.
        "array, f64, 1, 2, 24, 3, 8, false",
        "array, f32, 2, 2, 24, 3, 8, true",
        // Rows of 32 average 40 numbers: not staged; on three threads the core's f64 loops update after the pass.
        "array, f64, 1, 1, 32, 4, 16, true",
        "array, f64, 2, 1, 32, 4, 16, true",
        "array, f64, 3, 1, 32, 4, 16, false",
        "array, f32, 3, 1, 32, 4, 16, true",
        "array, f64, 2, 2, 64, 8, 16, true",
        "value, f64, 1, 1, 32, 4, 16, false",
    })
    void theBenchSaysWhereTheCoreRunsTheUpdate(String engineId, String precisionId, int threads, int layers,
            int width, int heads, int blockSize, boolean inside) {
        BenchCommand.Contender contender = new BenchCommand.Contender(Engine.fromId(engineId),
                Precision.fromId(precisionId), threads);
        GptConfig config = new GptConfig(layers, width, heads, blockSize, GptConfig.defaults().initStd());
        int vocabSize = 27;
        LanguageModel model = contender.create(config, vocabSize, new PythonRandom(42));
        Parameters parameters = model.parameters();
        AdamOptimizer adam = new AdamOptimizer(model.numParameters());

        boolean fused = parameters instanceof FusedStep.Source source && source.fusedStep() != null
                && source.fusedStep().fuses() && FusedUpdates.prepare(adam, parameters, 0, 1) != null;

        assertEquals(fused ? MemoryBandwidth.UpdatePlace.INSIDE_BACKWARD_PASS
                : MemoryBandwidth.UpdatePlace.AFTER_BACKWARD_PASS, contender.updatePlace(config, vocabSize),
                "the bench against the core");
        // The cases above cover both answers: with the core's own loops (the tests' default; the
        // Vector API kernels fuse f64 steps on three threads too) the core gives the one written.
        if (ArrayKernels.implementation() == ArrayKernels.Implementation.PLAIN) {
            assertEquals(inside, fused, "the core");
        }
    }
}
