package io.github.microgpt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.github.microgpt.autograd.ExpressionGraph;
import io.github.microgpt.checkpoint.Checkpoint;
import io.github.microgpt.checkpoint.DataFingerprint;
import io.github.microgpt.checkpoint.LossHistory;
import io.github.microgpt.checkpoint.SaveLock;
import io.github.microgpt.checkpoint.TrainingState;
import io.github.microgpt.model.Architecture;
import io.github.microgpt.model.ArrayGptModel;
import io.github.microgpt.model.AttentionModel;
import io.github.microgpt.model.BigramModel;
import io.github.microgpt.model.Engine;
import io.github.microgpt.model.FlopCount;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.GptModel;
import io.github.microgpt.model.MlpModel;
import io.github.microgpt.model.ParameterLayout;
import io.github.microgpt.model.Precision;
import io.github.microgpt.optim.AdamOptimizer;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.sample.NextToken;
import io.github.microgpt.sample.Sampler;
import io.github.microgpt.sample.SamplingOptions;
import io.github.microgpt.text.DataSource;
import io.github.microgpt.text.Documents;
import io.github.microgpt.text.Tokenizer;
import io.github.microgpt.train.Evaluation;
import io.github.microgpt.train.StepMode;
import io.github.microgpt.train.Trainer;
import java.math.BigInteger;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * A null where the public API wants an object is refused at the door with a
 * {@link NullPointerException} whose message is the name of the parameter (as
 * {@code Objects.requireNonNull(x, "x")} gives it), before anything changes: never later, in the
 * middle of a run, and never as a message about some internal variable.
 */
class NullArgumentsTest {

    private static final List<String> DOCS = List.of("ab", "ba");
    private static final Tokenizer TOKENIZER = Tokenizer.fromDocuments(DOCS);
    private static final GptConfig CONFIG = GptConfig.defaults().withNEmbd(4).withNHead(1).withBlockSize(4);

    @TempDir
    Path dir;

    private static GptModel model() {
        return GptModel.create(GptConfig.defaults().withNEmbd(4).withNHead(1).withBlockSize(4),
                TOKENIZER.vocabSize(), new PythonRandom(1));
    }

    private static Trainer trainer() {
        GptModel model = model();
        return new Trainer(model, TOKENIZER, DOCS, new AdamOptimizer(model.numParameters()), 3);
    }

    private record Case(String call, String parameter, Executable executable) {
    }

    @TestFactory
    Stream<DynamicTest> everyEntryPointNamesTheNullParameter() {
        GptModel model = model();
        AdamOptimizer adam = new AdamOptimizer(model.numParameters());
        Sampler sampler = new Sampler(model, TOKENIZER, new PythonRandom(1));
        Trainer trainer = trainer();
        PythonRandom random = new PythonRandom(1);
        List<Case> cases = List.of(
                new Case("new Trainer", "model", () -> new Trainer(null, TOKENIZER, DOCS, adam, 1)),
                new Case("new Trainer", "tokenizer", () -> new Trainer(model, null, DOCS, adam, 1)),
                new Case("new Trainer", "documents", () -> new Trainer(model, TOKENIZER, null, adam, 1)),
                new Case("new Trainer", "optimizer", () -> new Trainer(model, TOKENIZER, DOCS, null, 1)),
                new Case("new Trainer", "documents[1]",
                        () -> new Trainer(model, TOKENIZER, Arrays.asList("ab", null), adam, 1)),
                new Case("Trainer.step", "mode", () -> trainer.step(null)),
                new Case("Trainer.run", "mode", () -> trainer.run(null)),
                new Case("Trainer.restore", "state", () -> trainer.restore(null)),
                new Case("Trainer.stepBatch", "minibatch", () -> trainer.stepBatch(null)),
                new Case("Trainer.addStepListener", "listener", () -> trainer.addStepListener(null)),
                new Case("Trainer.removeStepListener", "listener", () -> trainer.removeStepListener(null)),
                new Case("Trainer.removePositionListener", "listener", () -> trainer.removePositionListener(null)),
                new Case("Trainer.removeGradientListener", "listener", () -> trainer.removeGradientListener(null)),
                new Case("new Sampler", "model", () -> new Sampler(null, TOKENIZER, random)),
                new Case("new Sampler", "tokenizer", () -> new Sampler(model, null, random)),
                new Case("new Sampler", "random", () -> new Sampler(model, TOKENIZER, null)),
                new Case("Sampler.sample", "options", () -> sampler.sample((SamplingOptions) null)),
                new Case("Sampler.samples", "options", () -> sampler.samples(2, (SamplingOptions) null)),
                new Case("Sampler.start", "options", () -> sampler.start((SamplingOptions) null)),
                new Case("Sampler.addTokenListener", "listener", () -> sampler.addTokenListener(null)),
                new Case("Sampler.removeTokenListener", "listener", () -> sampler.removeTokenListener(null)),
                new Case("Sampler.removeSampleListener", "listener", () -> sampler.removeSampleListener(null)),
                new Case("GptModel.removeAttentionListener", "listener", () -> model.removeAttentionListener(null)),
                new Case("ArrayGptModel.removeAttentionListener", "listener",
                        () -> ArrayGptModel.copyOf(model).removeAttentionListener(null)),
                new Case("MlpModel.removeAttentionListener (no attention)", "listener",
                        () -> MlpModel.create(CONFIG, 3, random).removeAttentionListener(null)),
                new Case("Tokenizer.fromDocuments", "documents", () -> Tokenizer.fromDocuments(null)),
                new Case("Tokenizer.fromDocuments", "documents[1]",
                        () -> Tokenizer.fromDocuments(Arrays.asList("a", null))),
                new Case("Tokenizer.ofCharacters", "characters", () -> Tokenizer.ofCharacters(null)),
                new Case("Tokenizer.encode", "text", () -> TOKENIZER.encode(null)),
                new Case("Tokenizer.encodeDocument", "document", () -> TOKENIZER.encodeDocument(null)),
                new Case("Tokenizer.decode", "ids", () -> TOKENIZER.decode((int[]) null)),
                new Case("GptModel.create", "config", () -> GptModel.create(null, 3, random)),
                new Case("GptModel.create", "random", () -> GptModel.create(CONFIG, 3, null)),
                new Case("ArrayGptModel.create", "config", () -> ArrayGptModel.create(null, 3, random)),
                new Case("ArrayGptModel.create", "random", () -> ArrayGptModel.create(CONFIG, 3, null)),
                new Case("ArrayGptModel.create", "precision",
                        () -> ArrayGptModel.create(CONFIG, 3, random, null)),
                new Case("ArrayGptModel.copyOf", "model", () -> ArrayGptModel.copyOf(null)),
                new Case("ArrayGptModel.copyOf", "precision", () -> ArrayGptModel.copyOf(model, null)),
                new Case("AttentionModel.create", "config", () -> AttentionModel.create(null, 3, random)),
                new Case("AttentionModel.create", "random", () -> AttentionModel.create(CONFIG, 3, null)),
                new Case("MlpModel.create", "config", () -> MlpModel.create(null, 3, random)),
                new Case("MlpModel.create", "random", () -> MlpModel.create(CONFIG, 3, null)),
                new Case("BigramModel.create", "config", () -> BigramModel.create(null, 3, random)),
                new Case("BigramModel.create", "random", () -> BigramModel.create(CONFIG, 3, null)),
                new Case("ParameterLayout.gpt", "config", () -> ParameterLayout.gpt(null, 3)),
                new Case("FlopCount.trainingStep", "config", () -> FlopCount.trainingStep(null, 3, 1)),
                new Case("FlopCount.forwardBackward", "config", () -> FlopCount.forwardBackward(null, 3, 1)),
                new Case("FlopCount.forwardPosition", "config", () -> FlopCount.forwardPosition(null, 3, 0)),
                new Case("FlopCount.generatedToken", "config", () -> FlopCount.generatedToken(null, 3, 0)),
                new Case("Architecture.of", "model", () -> Architecture.of(null)),
                new Case("Engine.of", "model", () -> Engine.of(null)),
                new Case("Precision.of", "model", () -> Precision.of(null)),
                new Case("AdamOptimizer.step", "parameters", () -> adam.step(null, 0, 1)),
                new Case("Evaluation.loss", "model", () -> Evaluation.loss(null, TOKENIZER, DOCS)),
                new Case("Evaluation.loss", "documents", () -> Evaluation.loss(model, TOKENIZER, null)),
                new Case("Evaluation.loss", "documents[1]",
                        () -> Evaluation.loss(model, TOKENIZER, Arrays.asList("a", null))),
                new Case("NextToken.after", "prefix", () -> NextToken.after(model, TOKENIZER, null)),
                new Case("ExpressionGraph.of", "root", () -> ExpressionGraph.of(null)),
                new Case("new PythonRandom", "seed", () -> new PythonRandom((BigInteger) null)),
                new Case("PythonRandom.fromState", "state", () -> PythonRandom.fromState(null)),
                new Case("Documents.parse", "text", () -> Documents.parse(null)),
                new Case("Documents.load", "file", () -> Documents.load((Path) null)),
                new Case("DataSource.file", "file", () -> DataSource.file(null)),
                new Case("Checkpoint.save", "directory", () -> Checkpoint.save(null, model, TOKENIZER)),
                new Case("Checkpoint.save", "model", () -> Checkpoint.save(dir.resolve("a"), null, TOKENIZER)),
                new Case("Checkpoint.save", "tokenizer", () -> Checkpoint.save(dir.resolve("b"), model, null)),
                new Case("Checkpoint.load", "directory", () -> Checkpoint.load(null)),
                new Case("Checkpoint.checkVocabulary", "tokenizer", () -> Checkpoint.checkVocabulary(null)),
                new Case("SaveLock.acquire", "directory", () -> SaveLock.acquire(null)),
                new Case("LossHistory.recording", "trainer", () -> LossHistory.recording(null)),
                new Case("DataFingerprint.of", "documents", () -> DataFingerprint.of(null)),
                new Case("AdamOptimizer.restore", "state", () -> adam.restore(null)),
                new Case("TrainingState.capture", "trainer",
                        () -> TrainingState.capture(null, random, StepMode.DOCUMENT, Map.of(), null, null)),
                new Case("TrainingState.capture", "metadata",
                        () -> TrainingState.capture(trainer, random, StepMode.DOCUMENT, null, null, null)));
        return cases.stream().map(c -> DynamicTest.dynamicTest(c.call() + "(null " + c.parameter() + ")", () -> {
            NullPointerException e = assertThrows(NullPointerException.class, c.executable());
            assertEquals(c.parameter(), e.getMessage());
        }));
    }

    @Test
    void aRefusedNullChangesNothing() {
        Trainer trainer = trainer();
        double[] before = trainer.model().parameters().values();
        assertThrows(NullPointerException.class, () -> trainer.step(null));
        assertThrows(NullPointerException.class, () -> trainer.stepBatch(null));
        assertEquals(0, trainer.stepsDone());
        assertArrayEquals(before, trainer.model().parameters().values());
    }
}
