package io.github.microgpt.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.microgpt.model.ArrayKernels;
import io.github.microgpt.model.Engine;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.Precision;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Where the bench says its timed steps run Adam's update ({@code BenchCommand.CountRun#updatePlace},
 * which sets the bytes it prints): the bench asks the model and the optimizer of the count, as
 * the trainer does, and this table holds the core's answers, so that a wrong question (or a
 * change of the core's decision that the bench's lines and JSON would then report) is seen. A
 * child JVM passes the same answer on ({@code BenchCommandTest}'s lists).
 */
class BenchUpdatePlaceTest {

    @ParameterizedTest(name = "{0} {1} on {2} threads, {3} layers, nEmbd {4}")
    @CsvSource({
        // engine, precision, threads, layers, nEmbd, heads, block size, inside with the core's own
        // loops, inside with the Vector API kernels.
        // The reference size: f64 rows of 16 are staged after the pass, f32 rows updated inside it.
        "array, f64, 1, 1, 16, 4, 16, false, false",
        "array, f64, 2, 1, 16, 4, 16, false, false",
        "array, f32, 1, 1, 16, 4, 16, true, true",
        "array, f32, 3, 1, 16, 4, 16, true, true",
        "value, f64, 1, 1, 16, 4, 16, false, false",
        // Rows of 24 on average 31 numbers: still staged in f64.
        "array, f64, 1, 2, 24, 3, 8, false, false",
        "array, f32, 2, 2, 24, 3, 8, true, true",
        // Rows of 32 average 40 numbers: not staged; on three threads the core's f64 loops update
        // after the pass (the Vector API kernels fuse there too).
        "array, f64, 1, 1, 32, 4, 16, true, true",
        "array, f64, 2, 1, 32, 4, 16, true, true",
        "array, f64, 3, 1, 32, 4, 16, false, true",
        "array, f32, 3, 1, 32, 4, 16, true, true",
        "array, f64, 2, 2, 64, 8, 16, true, true",
        "value, f64, 1, 1, 32, 4, 16, false, false",
    })
    void theBenchSaysWhereTheCoreRunsTheUpdate(String engineId, String precisionId, int threads, int layers,
            int width, int heads, int blockSize, boolean insideWithCoreLoops, boolean insideWithVectorKernels) {
        BenchCommand.Contender contender = new BenchCommand.Contender(Engine.fromId(engineId),
                Precision.fromId(precisionId), threads);
        GptConfig config = new GptConfig(layers, width, heads, blockSize, GptConfig.defaults().initStd());
        BenchCommand.Runner runner = new BenchCommand.Runner(contender, BenchCommand.Workload.randomLetters(config),
                System::nanoTime);

        boolean inside = ArrayKernels.implementation() == ArrayKernels.Implementation.PLAIN
                ? insideWithCoreLoops : insideWithVectorKernels;
        assertEquals(inside ? MemoryBandwidth.UpdatePlace.INSIDE_BACKWARD_PASS
                : MemoryBandwidth.UpdatePlace.AFTER_BACKWARD_PASS, runner.updatePlace());
        runner.run(2);
        assertEquals(inside ? MemoryBandwidth.UpdatePlace.INSIDE_BACKWARD_PASS
                : MemoryBandwidth.UpdatePlace.AFTER_BACKWARD_PASS, runner.updatePlace(), "after steps, the same");
    }
}
