package io.github.microgpt.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.model.Architecture;
import io.github.microgpt.model.AttentionModel;
import io.github.microgpt.model.BigramModel;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.GptModel;
import io.github.microgpt.model.LanguageModel;
import io.github.microgpt.model.MlpModel;
import io.github.microgpt.model.ParameterLayout;
import io.github.microgpt.optim.AdamOptimizer;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.sample.Sampler;
import io.github.microgpt.text.Tokenizer;
import io.github.microgpt.train.StepMode;
import io.github.microgpt.train.Trainer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every model of the progression goes through the same checkpoints: saved with its own matrices
 * and its architecture, loaded back as the same kind of model, resumed exactly, and a file that
 * does not match what its architecture says is refused before any weight is read.
 */
class ProgressionCheckpointTest {

    private static final List<String> DOCS = List.of("anna", "bob", "emma", "li", "olivia", "noah", "ava");
    private static final Tokenizer TOKENIZER = Tokenizer.fromDocuments(DOCS);
    private static final GptConfig CONFIG = new GptConfig(1, 8, 2, 8, 0.1);
    private static final int FIRST = 6;
    private static final int SECOND = 5;

    @TempDir
    Path tmp;

    private record Run(PythonRandom random, Trainer trainer, LossHistory losses) {
    }

    private static Run start(Architecture architecture) {
        PythonRandom random = new PythonRandom(11);
        LanguageModel model = architecture.create(CONFIG, TOKENIZER.vocabSize(), random);
        Trainer trainer = new Trainer(model, TOKENIZER, DOCS, new AdamOptimizer(model.numParameters()),
                FIRST + SECOND);
        return new Run(random, trainer, LossHistory.recording(trainer));
    }

    private static double[] weights(LanguageModel model) {
        double[] weights = new double[model.numParameters()];
        for (int i = 0; i < weights.length; i++) {
            weights[i] = model.parameters().value(i);
        }
        return weights;
    }

    private Path saved(Architecture architecture, String name, int steps) throws IOException {
        Run run = start(architecture);
        for (int i = 0; i < steps; i++) {
            run.trainer().step(StepMode.DOCUMENT);
        }
        Path dir = tmp.resolve(name);
        Checkpoint.save(dir, run.trainer().model(), TOKENIZER, TrainingState.capture(run.trainer(), run.random(),
                StepMode.DOCUMENT, Map.of(), null, run.losses().losses()));
        return dir;
    }

    @ParameterizedTest
    @EnumSource(Architecture.class)
    void theLayoutOfAnArchitectureIsThatOfTheModelItCreates(Architecture architecture) {
        LanguageModel model = architecture.create(CONFIG, TOKENIZER.vocabSize(), new PythonRandom(1));
        ParameterLayout layout = architecture.layout(CONFIG, TOKENIZER.vocabSize());
        assertEquals(model.parameters().matrixLayouts(), layout.matrixLayouts());
        assertEquals(model.numParameters(), architecture.numParameters(CONFIG, TOKENIZER.vocabSize()));
        assertEquals(Optional.of(architecture), Architecture.of(model));
    }

    @Test
    void theParameterCountSaturatesInsteadOfOverflowing() {
        GptConfig huge = new GptConfig(Integer.MAX_VALUE, 1 << 30, 1, 1 << 30, 0.1);
        for (Architecture architecture : List.of(Architecture.MLP, Architecture.ATTENTION, Architecture.GPT)) {
            assertEquals(Long.MAX_VALUE, architecture.numParameters(huge, Integer.MAX_VALUE), architecture.id());
        }
        assertEquals((long) Integer.MAX_VALUE * Integer.MAX_VALUE,
                Architecture.BIGRAM.numParameters(huge, Integer.MAX_VALUE));
    }

    @ParameterizedTest
    @EnumSource(Architecture.class)
    void aModelLoadsBackAsTheSameArchitectureWithTheSameWeights(Architecture architecture) throws Exception {
        Run run = start(architecture);
        run.trainer().step(StepMode.DOCUMENT);
        Path dir = tmp.resolve(architecture.id());
        Checkpoint.save(dir, run.trainer().model(), TOKENIZER);

        String json = Files.readString(dir.resolve(Checkpoint.CONFIG_FILE));
        assertTrue(json.contains("\"architecture\": \"" + architecture.id() + "\""), json);
        Checkpoint checkpoint = Checkpoint.load(dir);
        assertEquals(architecture, checkpoint.architecture());
        assertTrue(checkpoint.toString().contains(architecture.id()), checkpoint.toString());
        LanguageModel loaded = checkpoint.model();
        assertEquals(run.trainer().model().getClass(), loaded.getClass());
        assertArrayEquals(weights(run.trainer().model()), weights(loaded));
        assertArrayEquals(weights(loaded), checkpoint.weights());

        // The loaded model samples what the trained one samples.
        List<String> before = new Sampler(run.trainer().model(), TOKENIZER, new PythonRandom(5)).samples(5, 0.5);
        List<String> after = new Sampler(loaded, TOKENIZER, new PythonRandom(5)).samples(5, 0.5);
        assertEquals(before, after);
    }

    @Test
    void eachArchitectureLoadsAsItsOwnClass() throws Exception {
        assertInstanceOf(BigramModel.class, Checkpoint.load(saved(Architecture.BIGRAM, "b", 1)).model());
        assertInstanceOf(MlpModel.class, Checkpoint.load(saved(Architecture.MLP, "m", 1)).model());
        assertInstanceOf(AttentionModel.class, Checkpoint.load(saved(Architecture.ATTENTION, "a", 1)).model());
        Checkpoint gpt = Checkpoint.load(saved(Architecture.GPT, "g", 1));
        assertInstanceOf(GptModel.class, gpt.model());
        assertArrayEquals(weights(gpt.gptModel()), weights(gpt.model()));
    }

    @ParameterizedTest
    @EnumSource(Architecture.class)
    void stepsSavedLoadedAndTrainedOnEqualTheUninterruptedRunBitForBit(Architecture architecture) throws Exception {
        Run whole = start(architecture);
        whole.trainer().run(StepMode.DOCUMENT);

        Path dir = saved(architecture, "resume-" + architecture.id(), FIRST);
        ResumedTraining resumed = Checkpoint.load(dir).resumeWith(DOCS);
        assertEquals(Optional.of(architecture), Architecture.of(resumed.model()));
        assertEquals(FIRST, resumed.trainer().stepsDone());
        resumed.trainer().run(StepMode.DOCUMENT);

        assertEquals(FIRST + SECOND, resumed.trainer().stepsDone());
        double[] expected = whole.losses().losses();
        double[] actual = resumed.lossHistory().losses();
        assertEquals(FIRST + SECOND, expected.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(Double.doubleToRawLongBits(expected[i]), Double.doubleToRawLongBits(actual[i]),
                    architecture.id() + ": the loss of step " + (i + 1));
        }
        double[] wholeWeights = weights(whole.trainer().model());
        double[] resumedWeights = weights(resumed.model());
        assertEquals(wholeWeights.length, resumedWeights.length);
        for (int i = 0; i < wholeWeights.length; i++) {
            assertEquals(Double.doubleToRawLongBits(wholeWeights[i]), Double.doubleToRawLongBits(resumedWeights[i]),
                    architecture.id() + ": weight " + i);
        }
    }

    @Test
    void aCheckpointThatDoesNotNameItsArchitectureIsAGpt() throws Exception {
        Path dir = saved(Architecture.GPT, "old", 2);
        Path config = dir.resolve(Checkpoint.CONFIG_FILE);
        String json = Files.readString(config);
        String withoutKey = json.replaceFirst("\\s*\"architecture\": \"gpt\",", "");
        assertFalse(withoutKey.contains("architecture"), withoutKey);
        Files.writeString(config, withoutKey);

        Checkpoint checkpoint = Checkpoint.load(dir);
        assertEquals(Architecture.GPT, checkpoint.architecture());
        assertInstanceOf(GptModel.class, checkpoint.model());
        assertEquals(2, checkpoint.resumeWith(DOCS).trainer().stepsDone());
    }

    @Test
    void aGptCheckpointWithoutTheKeyIsRefusedWhenItsTensorsAreThoseOfAnotherModel() throws Exception {
        Path dir = saved(Architecture.BIGRAM, "bigram-as-gpt", 1);
        Path config = dir.resolve(Checkpoint.CONFIG_FILE);
        long gptParams = Architecture.GPT.numParameters(CONFIG, TOKENIZER.vocabSize());
        Files.writeString(config, Files.readString(config).replaceFirst("\\s*\"architecture\": \"bigram\",", "")
                .replaceAll("\"num_params\": \\d+", "\"num_params\": " + gptParams));
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.load(dir));
        assertTrue(e.getMessage().contains(Checkpoint.MODEL_FILE), e.getMessage());
        assertTrue(e.getMessage().contains("\"wte\" is missing"), e.getMessage());
    }

    @Test
    void tensorsOfAnotherArchitectureAreRefusedBeforeTheirDataIsRead() throws Exception {
        Path dir = saved(Architecture.ATTENTION, "attention-as-mlp", 1);
        Path config = dir.resolve(Checkpoint.CONFIG_FILE);
        long mlpParams = Architecture.MLP.numParameters(CONFIG, TOKENIZER.vocabSize());
        Files.writeString(config, Files.readString(config).replace("\"architecture\": \"attention\"",
                "\"architecture\": \"mlp\"").replaceAll("\"num_params\": \\d+", "\"num_params\": " + mlpParams));
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.load(dir));
        assertTrue(e.getMessage().contains(Checkpoint.MODEL_FILE), e.getMessage());
        assertTrue(e.getMessage().contains("\"mlp_fc1\" is missing"), e.getMessage());
    }

    @Test
    void aNumberOfParametersThatIsNotTheArchitecturesIsRefused() throws Exception {
        Path dir = saved(Architecture.MLP, "mlp-count", 1);
        Path config = dir.resolve(Checkpoint.CONFIG_FILE);
        long gptParams = Architecture.GPT.numParameters(CONFIG, TOKENIZER.vocabSize());
        Files.writeString(config, Files.readString(config)
                .replaceAll("\"num_params\": \\d+", "\"num_params\": " + gptParams));
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.load(dir));
        assertTrue(e.getMessage().contains("num_params"), e.getMessage());
        assertTrue(e.getMessage().contains("for a mlp model"), e.getMessage());
    }

    @Test
    void anUnknownArchitectureIsRefusedNamingTheKnownOnes() throws Exception {
        Path dir = saved(Architecture.BIGRAM, "rnn", 1);
        Path config = dir.resolve(Checkpoint.CONFIG_FILE);
        Files.writeString(config, Files.readString(config).replace("\"architecture\": \"bigram\"",
                "\"architecture\": \"rnn\""));
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.load(dir));
        assertTrue(e.getMessage().contains(Checkpoint.CONFIG_FILE), e.getMessage());
        assertTrue(e.getMessage().contains("\"rnn\""), e.getMessage());
        assertTrue(e.getMessage().contains("bigram, mlp, attention and gpt"), e.getMessage());
        // The list is the enum's: a model added there is named too, and every name listed loads.
        for (Architecture architecture : Architecture.values()) {
            assertTrue(e.getMessage().contains(architecture.id()), architecture + ": " + e.getMessage());
        }
        assertTrue(e.getMessage().endsWith("\"model.architecture\" is \"rnn\", but the models are bigram, mlp,"
                + " attention and gpt"), e.getMessage());
    }

    @Test
    void anMlpTooLargeForTheHeapIsRefusedBeforeAnyWeightIsRead() throws Exception {
        Path dir = saved(Architecture.MLP, "mlp-huge", 1);
        Path config = dir.resolve(Checkpoint.CONFIG_FILE);
        // 12·d² parameters of 16 bytes each must exceed half the heap and still fit in an array.
        long heap = Runtime.getRuntime().maxMemory();
        int d = (int) Math.ceil(Math.sqrt(heap / 2.0 / 16 / 12)) + 8;
        long params = Architecture.MLP.numParameters(new GptConfig(1, d, 1, 8, 0.1), TOKENIZER.vocabSize());
        org.junit.jupiter.api.Assumptions.assumeTrue(params < ParameterLayout.MAX_SIZE, "a very large heap");
        Files.writeString(config, Files.readString(config).replace("\"n_embd\": 8", "\"n_embd\": " + d)
                .replace("\"n_head\": 2", "\"n_head\": 1").replaceAll("\"num_params\": \\d+", "\"num_params\": " + params));
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.load(dir));
        assertTrue(e.getMessage().contains("the mlp model it describes (" + params + " parameters"), e.getMessage());
        assertTrue(e.getMessage().contains("more than half of the"), e.getMessage());
    }

    @Test
    void aBigramCheckpointIsNotAGptModelButLoadsIntoABigramModel() throws Exception {
        Checkpoint checkpoint = Checkpoint.load(saved(Architecture.BIGRAM, "bigram", 2));
        IllegalStateException e = assertThrows(IllegalStateException.class, checkpoint::gptModel);
        assertTrue(e.getMessage().contains("bigram") && e.getMessage().contains("; model() rebuilds it"), e.getMessage());

        GptModel gpt = GptModel.create(CONFIG, TOKENIZER.vocabSize(), new PythonRandom(1));
        double[] before = weights(gpt);
        IllegalArgumentException wrong = assertThrows(IllegalArgumentException.class, () -> checkpoint.loadInto(gpt));
        assertTrue(wrong.getMessage().contains("bigram model"), wrong.getMessage());
        assertArrayEquals(before, weights(gpt));

        BigramModel bigram = BigramModel.create(CONFIG, TOKENIZER.vocabSize(), new PythonRandom(1));
        assertArrayEquals(checkpoint.weights(), weights(checkpoint.loadInto(bigram)));
        List<String> names = new ArrayList<>(new Sampler(bigram, TOKENIZER, new PythonRandom(2)).samples(3, 1.0));
        assertEquals(3, names.size());
    }
}
