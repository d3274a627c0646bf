package io.github.microgpt.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.GptModel;
import io.github.microgpt.optim.AdamOptimizer;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.testing.Cases;
import io.github.microgpt.text.Tokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Steps of both kinds share one place in the documents: mixed in any order, they train every
 * position once per pass, documents in their order, as a student stepping the simulator expects.
 */
class MixedStepModesTest {

    private static final List<String> DOCS = List.of("anna", "bob", "caroline", "d", "eve", "bea");
    private static final Tokenizer TOKENIZER = Tokenizer.fromDocuments(DOCS);
    private static final GptConfig CONFIG = new GptConfig(1, 8, 2, 6, 0.08);

    /** One trained position: the document's index and the position. */
    private record Visit(int document, int posId) {
    }

    private static Trainer trainer(int totalSteps) {
        GptModel model = GptModel.create(CONFIG, TOKENIZER.vocabSize(), new PythonRandom(5));
        return new Trainer(model, TOKENIZER, DOCS, new AdamOptimizer(model.numParameters()), totalSteps);
    }

    /** The positions each step trained, step by step. */
    private static List<List<Visit>> record(Trainer trainer, Runnable steps) {
        List<List<Visit>> visits = new ArrayList<>();
        trainer.addPositionListener(e -> {
            while (visits.size() < e.step()) {
                visits.add(new ArrayList<>());
            }
            visits.get(e.step() - 1).add(new Visit(DOCS.indexOf(e.document()), e.posId()));
        });
        steps.run();
        return visits;
    }

    /** Every trainable position of every document in order, {@code passes} times over. */
    private static List<Visit> walk(int passes) {
        List<Visit> all = new ArrayList<>();
        for (int pass = 0; pass < passes; pass++) {
            for (int d = 0; d < DOCS.size(); d++) {
                int n = Math.min(CONFIG.blockSize(), TOKENIZER.encodeDocument(DOCS.get(d)).length - 1);
                for (int p = 0; p < n; p++) {
                    all.add(new Visit(d, p));
                }
            }
        }
        return all;
    }

    @TestFactory
    Stream<DynamicTest> mixedStepsTrainEveryPositionOnceInOrder() {
        return Cases.dynamicTests("mixed step modes", 20, g -> {
            boolean[] position = new boolean[40];
            for (int i = 0; i < position.length; i++) {
                position[i] = g.chance(0.6);
            }
            return position;
        }, position -> {
            Trainer trainer = trainer(position.length);
            List<List<Visit>> visits = record(trainer, () -> {
                for (boolean p : position) {
                    trainer.step(p ? StepMode.POSITION : StepMode.DOCUMENT);
                }
            });
            List<Visit> expected = walk(position.length);
            int at = 0;
            for (int s = 0; s < position.length; s++) {
                List<Visit> step = visits.get(s);
                String where = "step " + (s + 1) + " (" + (position[s] ? "position" : "document") + ")";
                assertEquals(expected.subList(at, at + step.size()), step, where);
                if (position[s]) {
                    assertEquals(1, step.size(), where + ": one position");
                } else {
                    // A document step goes to the end of its document: the next position starts one.
                    Visit last = step.get(step.size() - 1);
                    assertEquals(0, expected.get(at + step.size()).posId(), where + ": ends " + last);
                    assertTrue(step.size() == 1 || step.get(0).document() == last.document(), where);
                }
                at += step.size();
            }
        });
    }

    @Test
    void aDocumentStepFinishesTheDocumentThePositionStepsBegan() {
        Trainer trainer = trainer(10);
        List<List<Visit>> visits = record(trainer, () -> {
            trainer.step(StepMode.POSITION);
            trainer.step(StepMode.POSITION);
            trainer.step(StepMode.DOCUMENT);   // the rest of "anna": positions 2, 3, 4
            trainer.step(StepMode.DOCUMENT);   // all of "bob"
            trainer.step(StepMode.POSITION);   // "caroline" from its start
        });
        assertEquals(List.of(new Visit(0, 2), new Visit(0, 3), new Visit(0, 4)), visits.get(2));
        assertEquals(List.of(new Visit(1, 0), new Visit(1, 1), new Visit(1, 2), new Visit(1, 3)), visits.get(3));
        assertEquals(List.of(new Visit(2, 0)), visits.get(4));
        assertEquals(new TrainerState(5, 10, 2, 1), trainer.state());
    }

    @Test
    void theLossOfTheRestOfADocumentIsTheMeanOverTheRest() {
        Trainer trainer = trainer(10);
        List<Double> losses = new ArrayList<>();
        trainer.addPositionListener(e -> {
            if (e.step() == 3) {
                losses.add(e.loss());
            }
        });
        trainer.step(StepMode.POSITION);
        trainer.step(StepMode.POSITION);
        double loss = trainer.step(StepMode.DOCUMENT).loss();
        assertEquals(3, losses.size(), "positions 2, 3 and 4 of \"anna\"");
        // The graph's order: sum from 0, then times 1/n.
        double sum = 0.0 + losses.get(0) + losses.get(1) + losses.get(2);
        assertEquals(sum * (1.0 / 3), loss, 1e-15);
    }

    @Test
    void documentStepsAloneTrainDocumentStepModuloDocuments() {
        Trainer trainer = trainer(14);
        List<List<Visit>> visits = record(trainer, () -> trainer.run(StepMode.DOCUMENT));
        for (int s = 0; s < 14; s++) {
            for (Visit visit : visits.get(s)) {
                assertEquals(s % DOCS.size(), visit.document(), "step " + (s + 1));
            }
            assertEquals(0, visits.get(s).get(0).posId(), "step " + (s + 1) + " trains the whole document");
        }
    }

    @Test
    void aMinibatchTakesTheNextWholeDocumentsAndIsRefusedPartWay() {
        Trainer trainer = trainer(10);
        List<List<Visit>> visits = record(trainer, () -> {
            trainer.step(StepMode.POSITION);
            TrainerState before = trainer.state();
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> trainer.stepBatch(Minibatch.of(2)));
            assertTrue(e.getMessage().contains("document 0 is part-way trained"), e.getMessage());
            assertTrue(e.getMessage().contains("step(StepMode.DOCUMENT)"), e.getMessage());
            assertEquals(before, trainer.state(), "a refused minibatch changes nothing");
            trainer.step(StepMode.DOCUMENT);           // the rest of "anna"
            trainer.stepBatch(Minibatch.of(2));        // "bob" and "caroline"
            trainer.step(StepMode.POSITION);           // "d" from its start
        });
        assertEquals(List.of(1, 2), visits.get(2).stream().map(Visit::document).distinct().toList());
        assertEquals(List.of(new Visit(3, 0)), visits.get(3));
        assertEquals(new TrainerState(4, 10, 3, 1), trainer.state());
    }
}
