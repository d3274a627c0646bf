package io.github.microgpt.examples.simulator;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.model.Engine;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.LanguageModel;
import io.github.microgpt.optim.AdamOptimizer;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.text.Documents;
import io.github.microgpt.text.Tokenizer;
import io.github.microgpt.train.Evaluation;
import io.github.microgpt.train.StepMode;
import io.github.microgpt.train.Trainer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The page's Usage says how many steps give name-like samples, for each kind of step; this holds
 * it to what training does (the page's default model on the names, seed 42, as Reset makes it):
 * the loss on 500 of the names after the steps it names. It said "500–1000 steps" for both kinds,
 * but 1000 position steps are still far from 500 document steps.
 */
class UsageClaimTest {

    private static double heldOutLossAfter(StepMode mode, int steps) {
        PythonRandom random = new PythonRandom(42);
        List<String> order = new ArrayList<>(Documents.embeddedNames());
        random.shuffle(order);
        Tokenizer tokenizer = Tokenizer.fromDocuments(order);
        // The array engine computes what the value engine does (to rounding), hundreds of times faster.
        LanguageModel model = Engine.ARRAY.create(GptConfig.defaults(), tokenizer.vocabSize(), random);
        Trainer trainer = new Trainer(model, tokenizer, order, new AdamOptimizer(model.numParameters()), steps);
        trainer.run(mode);
        return Evaluation.loss(model, tokenizer, order.subList(order.size() - 500, order.size()));
    }

    @Test
    void positionStepsNeedAboutThreeThousandForWhatDocumentStepsReachInFiveHundred() throws IOException {
        String page;
        try (InputStream in = SimulatorServer.class.getResourceAsStream("web/index.html")) {
            page = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertTrue(page.contains("With <i>one document</i> per step, 500–1000 steps give name-like samples."), page);
        assertTrue(page.contains("so it needs about 3000 steps\n        for samples as good; after 1000 they are still"
                + " rough."), "the Usage text names the position steps' count");
        double documents500 = heldOutLossAfter(StepMode.DOCUMENT, 500);
        double positions1000 = heldOutLossAfter(StepMode.POSITION, 1000);
        double positions3000 = heldOutLossAfter(StepMode.POSITION, 3000);
        // Uniform guessing is log 27 = 3.30; the measured figures were 2.43, 2.53 and 2.45.
        assertTrue(positions1000 > documents500 + 0.05, "1000 position steps: " + positions1000
                + ", 500 document steps: " + documents500);
        assertTrue(Math.abs(positions3000 - documents500) < 0.05, "3000 position steps: " + positions3000
                + ", 500 document steps: " + documents500);
    }
}
