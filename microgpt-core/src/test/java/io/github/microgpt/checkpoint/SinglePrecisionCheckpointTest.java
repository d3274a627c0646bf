package io.github.microgpt.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.model.ArrayGptModel;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.LanguageModel;
import io.github.microgpt.model.Precision;
import io.github.microgpt.optim.AdamOptimizer;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.text.DataSource;
import io.github.microgpt.text.Documents;
import io.github.microgpt.text.Tokenizer;
import io.github.microgpt.train.StepMode;
import io.github.microgpt.train.Trainer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checkpoints of a single-precision array model ({@link Precision#F32}): the weights and Adam's
 * moments are saved as safetensors {@code F32} (exactly the model's floats), {@code config.json}
 * records the precision, loading gives back an {@code F32} model, and a resumed run continues
 * with exactly the numbers of the uninterrupted one. A double-precision checkpoint does not
 * change: no precision field, {@code F64} tensors.
 */
class SinglePrecisionCheckpointTest {

    static final GptConfig CONFIG = new GptConfig(2, 16, 4, 8, 0.08);

    @TempDir
    Path tmp;

    private static Tokenizer tokenizer() {
        return Tokenizer.fromDocuments(List.of("anna", "bob", "carla", "dora", "eve"));
    }

    @Test
    void anF32ModelIsSavedAsF32AndLoadedAsAnF32Model() throws Exception {
        Tokenizer tokenizer = tokenizer();
        ArrayGptModel model = ArrayGptModel.create(CONFIG, tokenizer.vocabSize(), new PythonRandom(3), Precision.F32);
        Path dir = tmp.resolve("f32");
        // A save stores the model's own precision, F32.
        Checkpoint.save(dir, model, tokenizer);

        for (Tensor tensor : Safetensors.read(dir.resolve(Checkpoint.MODEL_FILE)).tensors()) {
            assertSame(DType.F32, tensor.dtype(), tensor.name());
        }
        String config = Files.readString(dir.resolve(Checkpoint.CONFIG_FILE), StandardCharsets.UTF_8);
        assertTrue(config.contains("\"precision\": \"f32\"") || config.contains("\"precision\":\"f32\""), config);

        Checkpoint checkpoint = Checkpoint.load(dir);
        assertSame(Precision.F32, checkpoint.precision());
        LanguageModel loaded = checkpoint.model();
        ArrayGptModel array = assertInstanceOf(ArrayGptModel.class, loaded);
        assertSame(Precision.F32, array.precision());
        assertArrayEquals(model.parameters().values(), loaded.parameters().values(), 0.0, "the floats, exactly");
        assertArrayEquals(model.parameters().values(), checkpoint.gptModel().parameters().values(), 0.0,
                "a Value model from it holds the same numbers");
    }

    /**
     * F64 weights of an F32 model (another tool's file; the public save writes F32) hold the floats
     * widened exactly, and the checkpoint still rebuilds an F32 model.
     */
    @Test
    void anF32ModelSavedWithF64WeightsHoldsTheSameFloatsWidened() throws Exception {
        Tokenizer tokenizer = tokenizer();
        ArrayGptModel model = ArrayGptModel.create(CONFIG, tokenizer.vocabSize(), new PythonRandom(3), Precision.F32);
        Trainer trainer = new Trainer(model, tokenizer, List.of("anna", "bob"), new AdamOptimizer(model.numParameters()),
                4);
        trainer.step(StepMode.DOCUMENT);
        Path dir = tmp.resolve("f32-as-f64");
        // As another tool may store them: the public save always writes the model's own type.
        CheckpointWriter.save(dir, model, tokenizer,
                TrainingState.capture(trainer, new PythonRandom(3), StepMode.DOCUMENT, Map.of(), null, null),
                DType.F64);

        for (Tensor tensor : Safetensors.read(dir.resolve(Checkpoint.MODEL_FILE)).tensors()) {
            assertSame(DType.F64, tensor.dtype(), tensor.name());
        }
        for (Tensor tensor : Safetensors.read(dir.resolve(Format.OPTIMIZER_FILE)).tensors()) {
            assertSame(DType.F32, tensor.dtype(), "moments stay in the model's precision: " + tensor.name());
        }
        Checkpoint checkpoint = Checkpoint.load(dir);
        assertSame(Precision.F32, checkpoint.precision());
        ArrayGptModel loaded = assertInstanceOf(ArrayGptModel.class, checkpoint.model());
        assertSame(Precision.F32, loaded.precision());
        assertArrayEquals(model.parameters().values(), loaded.parameters().values(), 0.0, "the floats, exactly");
    }

    @Test
    void anF64CheckpointRecordsNoPrecision() throws Exception {
        Tokenizer tokenizer = tokenizer();
        ArrayGptModel model = ArrayGptModel.create(CONFIG, tokenizer.vocabSize(), new PythonRandom(3));
        Path dir = tmp.resolve("f64");
        Checkpoint.save(dir, model, tokenizer);
        String config = Files.readString(dir.resolve(Checkpoint.CONFIG_FILE), StandardCharsets.UTF_8);
        assertFalse(config.contains("precision"), config);
        for (Tensor tensor : Safetensors.read(dir.resolve(Checkpoint.MODEL_FILE)).tensors()) {
            assertSame(DType.F64, tensor.dtype(), tensor.name());
        }
        assertSame(Precision.F64, Checkpoint.load(dir).precision());
        // The same model saved again gives the same bytes: nothing of the run leaks into the files.
        Path again = tmp.resolve("f64-again");
        Checkpoint.save(again, ArrayGptModel.create(CONFIG, tokenizer.vocabSize(), new PythonRandom(3)), tokenizer);
        for (String file : List.of(Checkpoint.MODEL_FILE, Checkpoint.CONFIG_FILE)) {
            assertArrayEquals(Files.readAllBytes(dir.resolve(file)), Files.readAllBytes(again.resolve(file)), file);
        }
    }

    @Test
    void anF32RunSavedAndResumedContinuesBitForBit() throws Exception {
        Path data = Files.writeString(tmp.resolve("names.txt"), "anna\nbob\ncarla\ndora\neve\nfrank\ngus\n");
        TrainingRun run = new TrainingRun(11, DataSource.file(data));
        List<String> order = run.trainingOrder(Documents.load(data));
        Tokenizer tokenizer = Tokenizer.fromDocuments(order);
        PythonRandom random = new PythonRandom(11);
        random.shuffle(new ArrayList<>(Documents.load(data)));   // as the run drew it
        ArrayGptModel model = ArrayGptModel.create(CONFIG, tokenizer.vocabSize(), random, Precision.F32);
        Trainer trainer = new Trainer(model, tokenizer, order, new AdamOptimizer(model.numParameters()), 12);
        LossHistory losses = LossHistory.recording(trainer);
        for (int i = 0; i < 6; i++) {
            trainer.step(StepMode.DOCUMENT);
        }
        Path dir = tmp.resolve("run");
        Checkpoint.save(dir, model, tokenizer, TrainingState.capture(trainer, random, StepMode.DOCUMENT, Map.of(),
                run, losses.losses()));
        double[] rest = new double[6];
        for (int i = 0; i < rest.length; i++) {
            rest[i] = trainer.step(StepMode.DOCUMENT).loss();
        }

        for (Tensor tensor : Safetensors.read(dir.resolve(Format.OPTIMIZER_FILE)).tensors()) {
            assertSame(DType.F32, tensor.dtype(), tensor.name());
        }
        Checkpoint checkpoint = Checkpoint.load(dir);
        ResumedTraining resumed = checkpoint.resumeWith(order);
        assertSame(Precision.F32, Precision.of(resumed.model()).orElseThrow());
        double[] again = new double[rest.length];
        for (int i = 0; i < again.length; i++) {
            again[i] = resumed.trainer().step(StepMode.DOCUMENT).loss();
        }
        assertArrayEquals(rest, again, 0.0, "bit for bit");
        assertArrayEquals(model.parameters().values(), resumed.model().parameters().values(), 0.0);
    }

    @Test
    void aBadPrecisionInConfigJsonIsRefusedNamingTheField() throws Exception {
        Tokenizer tokenizer = tokenizer();
        Path dir = tmp.resolve("bad");
        Checkpoint.save(dir, ArrayGptModel.create(CONFIG, tokenizer.vocabSize(), new PythonRandom(3), Precision.F32),
                tokenizer);
        Path config = dir.resolve(Checkpoint.CONFIG_FILE);
        String text = Files.readString(config, StandardCharsets.UTF_8);
        Files.writeString(config, text.replace("\"f32\"", "\"f16\""), StandardCharsets.UTF_8);
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.load(dir));
        assertTrue(e.getMessage().contains("precision") && e.getMessage().contains("f16")
                && e.getMessage().contains("f64 and f32"), e.getMessage());
    }

    /**
     * A file may store an f32 model's tensors in {@code F64}; a value there beyond the floats'
     * range would load as an infinite weight (generation then failed with an internal error at
     * its first softmax), so it is refused, naming the entry, as a NaN is. The same for Adam's
     * moments, which an f32 run keeps in floats too.
     */
    @Test
    void anF64ValueBeyondTheFloatsIsRefusedForAnF32Model() throws Exception {
        Tokenizer tokenizer = tokenizer();
        ArrayGptModel model = ArrayGptModel.create(CONFIG, tokenizer.vocabSize(), new PythonRandom(3), Precision.F32);
        Trainer trainer = new Trainer(model, tokenizer, List.of("anna", "bob"), new AdamOptimizer(model.numParameters()),
                4);
        trainer.step(StepMode.DOCUMENT);
        PythonRandom random = new PythonRandom(3);
        Path dir = tmp.resolve("beyond");
        Checkpoint.save(dir, model, tokenizer,
                TrainingState.capture(trainer, random, StepMode.DOCUMENT, Map.of(), null, null));
        for (String file : List.of(Checkpoint.MODEL_FILE, Format.OPTIMIZER_FILE)) {
            Path path = dir.resolve(file);
            byte[] good = Files.readAllBytes(path);
            List<Tensor> widened = new ArrayList<>();
            for (Tensor tensor : Safetensors.read(path).tensors()) {
                double[] values = tensor.values();
                if (widened.isEmpty()) {
                    values[1] = 1e300;
                }
                widened.add(new Tensor(tensor.name(), DType.F64, tensor.shape(), values));
            }
            Safetensors.write(path, widened, Map.of());

            CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.load(dir));
            assertEquals(path, e.file(), e.getMessage());
            assertTrue(e.getMessage().contains("entry (0, 1) of tensor \"" + widened.get(0).name() + "\" is 1.0E300, "
                    + "beyond the range of the floats of this single-precision (f32) model"), e.getMessage());
            Files.write(path, good);
        }
        // Restored, the checkpoint loads: the refusals above were the values, not the F64 files.
        assertEquals(Precision.F32, Checkpoint.load(dir).precision());
    }

    /**
     * An f64 checkpoint whose {@code config.json} was given {@code "precision": "f32"} loaded
     * silently, and the model it rebuilt rounded every F64 weight to a float. Its weights, which
     * are not floats, are refused naming the file, the tensor, its type and the declared
     * precision; so are F64 moments that are not floats, and F32 moments in an f64 checkpoint
     * (the moments are always saved in the model's precision). An f32 checkpoint whose tensors
     * are F64 holding floats exactly still loads (see above).
     */
    @Test
    void tensorsThatDisagreeWithTheDeclaredPrecisionAreRefused() throws Exception {
        Tokenizer tokenizer = tokenizer();
        ArrayGptModel model = ArrayGptModel.create(CONFIG, tokenizer.vocabSize(), new PythonRandom(3), Precision.F64);
        Trainer trainer = new Trainer(model, tokenizer, List.of("anna", "bob"), new AdamOptimizer(model.numParameters()),
                4);
        trainer.step(StepMode.DOCUMENT);
        Path dir = tmp.resolve("declared");
        Checkpoint.save(dir, model, tokenizer,
                TrainingState.capture(trainer, new PythonRandom(3), StepMode.DOCUMENT, Map.of(), null, null));
        Path config = dir.resolve(Checkpoint.CONFIG_FILE);
        String f64 = Files.readString(config, StandardCharsets.UTF_8);
        assertFalse(f64.contains("\"precision\""), f64);
        Files.writeString(config, f64.replace("\"num_params\"", "\"precision\": \"f32\", \"num_params\""),
                StandardCharsets.UTF_8);

        CheckpointException weights = assertThrows(CheckpointException.class, () -> Checkpoint.load(dir));
        assertEquals(dir.resolve(Checkpoint.MODEL_FILE), weights.file(), weights.getMessage());
        assertTrue(weights.getMessage().contains("tensor \"wte\" is F64 and its entry (0, 0) is "
                + model.parameters().values()[0] + ", which is not a float, but config.json declares the precision"
                + " f32"), weights.getMessage());

        // The weights rounded to floats (as a save with F32 weights would): now the moments are refused.
        Path modelFile = dir.resolve(Checkpoint.MODEL_FILE);
        List<Tensor> rounded = new ArrayList<>();
        for (Tensor tensor : Safetensors.read(modelFile).tensors()) {
            double[] values = tensor.values();
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) values[i];
            }
            rounded.add(new Tensor(tensor.name(), DType.F64, tensor.shape(), values));
        }
        Safetensors.write(modelFile, rounded, Map.of());
        CheckpointException moments = assertThrows(CheckpointException.class, () -> Checkpoint.load(dir));
        assertEquals(dir.resolve(Format.OPTIMIZER_FILE), moments.file(), moments.getMessage());
        assertTrue(moments.getMessage().contains("tensor \"wte.m\" is F64 and its entry (0, 0) is ")
                && moments.getMessage().contains(", which is not a float, but config.json declares the precision f32"),
                moments.getMessage());

        // An f32 checkpoint whose precision field was taken away: its F32 moments are refused.
        Path single = tmp.resolve("single");
        ArrayGptModel f32 = ArrayGptModel.create(CONFIG, tokenizer.vocabSize(), new PythonRandom(3), Precision.F32);
        Trainer f32Trainer = new Trainer(f32, tokenizer, List.of("anna", "bob"), new AdamOptimizer(f32.numParameters()),
                4);
        f32Trainer.step(StepMode.DOCUMENT);
        Checkpoint.save(single, f32, tokenizer,
                TrainingState.capture(f32Trainer, new PythonRandom(3), StepMode.DOCUMENT, Map.of(), null, null));
        Path singleConfig = single.resolve(Checkpoint.CONFIG_FILE);
        String text = Files.readString(singleConfig, StandardCharsets.UTF_8);
        Files.writeString(singleConfig, text.replaceAll(",\\s*\"precision\"\\s*:\\s*\"f32\"", ""), StandardCharsets.UTF_8);
        assertFalse(Files.readString(singleConfig).contains("precision"), Files.readString(singleConfig));
        CheckpointException f32Moments = assertThrows(CheckpointException.class, () -> Checkpoint.load(single));
        assertEquals(single.resolve(Format.OPTIMIZER_FILE), f32Moments.file(), f32Moments.getMessage());
        assertTrue(f32Moments.getMessage().contains("tensor \"wte.m\" is F32, but config.json declares the"
                + " precision f64"), f32Moments.getMessage());
    }
}
