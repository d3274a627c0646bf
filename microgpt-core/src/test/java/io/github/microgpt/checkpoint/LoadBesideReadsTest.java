package io.github.microgpt.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.internal.ModelUse;
import io.github.microgpt.model.ArrayGptModel;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.LanguageModel;
import io.github.microgpt.model.Parameters;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.text.Tokenizer;
import java.nio.file.Path;
import java.util.ConcurrentModificationException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Checkpoint#loadInto} writes every weight, so it is a writer under the reader-writer rule
 * of {@link ModelUse}: refused while another thread samples the model (which would otherwise read
 * a mix of old and new weights), the model then unchanged, and allowed once that read is over.
 * Before, a load was not marked at all and went through beside the read.
 */
class LoadBesideReadsTest {

    private static final Tokenizer TOKENIZER = Tokenizer.ofCharacters("abc");
    private static final GptConfig CONFIG = GptConfig.defaults();

    /** The other thread, which holds a sampler's mark on the model between two calls. */
    private final ExecutorService other = Executors.newSingleThreadExecutor(r -> {
        Thread thread = new Thread(r, "sampling-thread");
        thread.setDaemon(true);
        return thread;
    });

    @AfterEach
    void stop() {
        other.shutdownNow();
    }

    @Test
    void aLoadIsRefusedWhileAnotherThreadSamplesAndRunsOnceItHasEnded(@TempDir Path dir) throws Exception {
        LanguageModel saved = ArrayGptModel.create(CONFIG, TOKENIZER.vocabSize(), new PythonRandom(1));
        Checkpoint.save(dir, saved, TOKENIZER);
        Checkpoint checkpoint = Checkpoint.load(dir);
        LanguageModel model = ArrayGptModel.create(CONFIG, TOKENIZER.vocabSize(), new PythonRandom(2));
        double[] before = values(model.parameters());

        int entered = other.submit(() -> ModelUse.enter(model, ModelUse.Activity.SAMPLING)).get(60, TimeUnit.SECONDS);
        ConcurrentModificationException refused =
                assertThrows(ConcurrentModificationException.class, () -> checkpoint.loadInto(model));
        assertTrue(refused.getMessage().contains("sampled on the thread \"sampling-thread\""), refused.getMessage());
        assertTrue(refused.getMessage().contains("nothing was loaded"), refused.getMessage());
        assertArrayEquals(before, values(model.parameters()), "a refused load changed the weights");

        other.submit(() -> ModelUse.leave(model, entered)).get(60, TimeUnit.SECONDS);
        checkpoint.loadInto(model);
        assertArrayEquals(values(saved.parameters()), values(model.parameters()));
    }

    private static double[] values(Parameters parameters) {
        double[] values = new double[parameters.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = parameters.value(i);
        }
        return values;
    }
}
