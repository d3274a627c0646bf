package io.github.microgpt.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.model.ArrayGptModel;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.Precision;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.text.Tokenizer;
import java.lang.reflect.Method;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The model {@code microgpt generate} samples from ({@link Checkpoint#arrayModel()}) allocates its
 * weights once: it drew 3.2 million zeros into a flat array, copied them into its rows, and made
 * gradient rows it never used, some 50 MB beside its 25 MB of weights at nEmbd 256.
 */
class CheckpointModelMemoryTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(Precision.class)
    void anArrayModelFromACheckpointAllocatesItsWeightsOnce(Precision precision) throws Exception {
        Tokenizer tokenizer = Tokenizer.ofCharacters("abcdefghijklmnopqrstuvwxyz");
        GptConfig config = new GptConfig(2, 64, 4, 16, 0.08);
        ArrayGptModel saved = ArrayGptModel.create(config, tokenizer.vocabSize(), new PythonRandom(5), precision);
        Checkpoint.save(dir.resolve("run"), saved, tokenizer);
        Checkpoint checkpoint = Checkpoint.loadForSampling(dir.resolve("run"));
        long weightBytes = (long) checkpoint.numParameters() * (precision == Precision.F64 ? Double.BYTES : Float.BYTES);

        // Once before counting: the first call also loads and links classes, some 0.3 MB of its own.
        checkpoint.arrayModel();
        long before = allocated();
        ArrayGptModel model = checkpoint.arrayModel();
        long bytes = allocated() - before;
        assertTrue(bytes < weightBytes * 5 / 4, precision + ": a model of " + weightBytes
                + " bytes of weights allocated " + bytes);
        assertEquals(precision, model.precision());
        assertArrayEquals(saved.parameters().values(), model.parameters().values());
    }

    private static long allocated() throws Exception {
        Object threads = Class.forName("java.lang.management.ManagementFactory").getMethod("getThreadMXBean")
                .invoke(null);
        Method allocated = Class.forName("com.sun.management.ThreadMXBean").getMethod("getThreadAllocatedBytes",
                long.class);
        return (long) allocated.invoke(threads, Thread.currentThread().getId());
    }
}
