package io.github.microgpt.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.github.microgpt.checkpoint.LossHistory;
import io.github.microgpt.checkpoint.ResumedTraining;
import io.github.microgpt.model.AttentionEvent;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.GptModel;
import io.github.microgpt.optim.AdamOptimizer;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.sample.SampleEvent;
import io.github.microgpt.sample.TokenEvent;
import io.github.microgpt.text.Tokenizer;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** The event records refuse a null component at once, naming it, rather than failing in a listener later. */
class EventNullsTest {

    private static void refused(String name, Executable call) {
        NullPointerException e = assertThrows(NullPointerException.class, call);
        assertEquals(name, e.getMessage());
    }

    @Test
    void eventsNameTheirNullComponent() {
        int[] ints = {1, 2};
        double[] doubles = {0.5, 0.5};
        refused("document", () -> new PositionEvent(1, null, 1, ints, 1, 2, doubles, 0.3));
        refused("context", () -> new PositionEvent(1, "ab", 1, null, 1, 2, doubles, 0.3));
        refused("probabilities", () -> new PositionEvent(1, "ab", 1, ints, 1, 2, null, 0.3));
        refused("parameters", () -> new GradientEvent(1, 2, 0.3, null));
        refused("weights", () -> new AttentionEvent(0, 0, 1, null));
        refused("text", () -> new SampleEvent(1, null, ints));
        refused("tokens", () -> new SampleEvent(1, "ab", null));
        refused("context", () -> new TokenEvent(1, 1, null, doubles, 0));
        refused("probabilities", () -> new TokenEvent(1, 1, ints, null, 0));
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
        assertEquals(null, new ResumedTraining(model, tokenizer, optimizer, trainer, null, losses).random());
    }
}
