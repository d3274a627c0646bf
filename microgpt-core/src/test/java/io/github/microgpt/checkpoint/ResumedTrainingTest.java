package io.github.microgpt.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.GptModel;
import io.github.microgpt.optim.AdamOptimizer;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.text.Tokenizer;
import io.github.microgpt.train.Trainer;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** A resumed run needs every part but the random generator, and names a missing one. */
class ResumedTrainingTest {

    private static void refused(String name, Executable call) {
        assertEquals(name, assertThrows(NullPointerException.class, call).getMessage());
    }

    @Test
    void aResumedRunNeedsEverythingButTheRandomGenerator() {
        List<String> docs = List.of("ab", "ba");
        Tokenizer tokenizer = Tokenizer.fromDocuments(docs);
        GptModel model = GptModel.create(new GptConfig(1, 4, 2, 4, 0.08), tokenizer.vocabSize(), new PythonRandom(1));
        AdamOptimizer optimizer = new AdamOptimizer(model.numParameters());
        Trainer trainer = new Trainer(model, tokenizer, docs, optimizer, 3);
        LossHistory losses = LossHistory.recording(trainer);
        refused("model", () -> new ResumedTraining(null, tokenizer, optimizer, trainer, null, losses));
        refused("tokenizer", () -> new ResumedTraining(model, null, optimizer, trainer, null, losses));
        refused("optimizer", () -> new ResumedTraining(model, tokenizer, null, trainer, null, losses));
        refused("trainer", () -> new ResumedTraining(model, tokenizer, optimizer, null, null, losses));
        refused("lossHistory", () -> new ResumedTraining(model, tokenizer, optimizer, trainer, null, null));
        assertNull(new ResumedTraining(model, tokenizer, optimizer, trainer, null, losses).random());
    }

    /** Its parts compare by identity, so an equals over them only added API to freeze (review15 3.7). */
    @Test
    void aResumedRunIsEqualOnlyToItself() throws NoSuchMethodException {
        assertEquals(Object.class, ResumedTraining.class.getMethod("equals", Object.class).getDeclaringClass());
        assertEquals(Object.class, ResumedTraining.class.getMethod("hashCode").getDeclaringClass());
    }
}
