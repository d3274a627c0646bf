package io.github.microgpt.consumer.jpms;

import io.github.microgpt.checkpoint.Checkpoint;
import io.github.microgpt.model.ArrayGptModel;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.GptModel;
import io.github.microgpt.model.LanguageModel;
import io.github.microgpt.optim.AdamOptimizer;
import io.github.microgpt.optim.AdamSettings;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.sample.Sampler;
import io.github.microgpt.text.Documents;
import io.github.microgpt.text.Tokenizer;
import io.github.microgpt.train.Minibatch;
import io.github.microgpt.train.StepEvent;
import io.github.microgpt.train.StepMode;
import io.github.microgpt.train.Trainer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Trains a little and samples, through the public API only, as a user's program would. */
public final class ConsumerProgram {

    private ConsumerProgram() {
    }

    /**
     * Trains for a few steps on the embedded names and returns some samples.
     *
     * @param steps the number of training steps
     * @param samples the number of names to generate
     * @return the generated names
     */
    public static List<String> trainAndSample(int steps, int samples) {
        var random = new PythonRandom(7);
        var docs = new ArrayList<>(Documents.embeddedNames());
        random.shuffle(docs);
        var tokenizer = Tokenizer.fromDocuments(docs);
        var model = GptModel.create(GptConfig.defaults(), tokenizer.vocabSize(), random);
        var trainer = new Trainer(model, tokenizer, docs, new AdamOptimizer(model.numParameters()), steps);
        int[] stepsHeard = {0};
        trainer.addStepListener(e -> stepsHeard[0]++);  // every hook is a functional interface
        int[] positionsHeard = {0};
        trainer.addPositionListener(e -> {
            // the model's predictions, which the trainer turns into one event per position
            if (e.loss() != -Math.log(e.probabilities()[e.targetTokenId()])) {
                throw new IllegalStateException("position " + e.posId() + ": loss " + e.loss());
            }
            positionsHeard[0]++;
        });
        trainer.run(StepMode.DOCUMENT);
        if (stepsHeard[0] != steps || positionsHeard[0] < steps) {
            throw new IllegalStateException("heard " + stepsHeard[0] + " of " + steps + " steps and "
                    + positionsHeard[0] + " positions");
        }
        return new Sampler(model, tokenizer, random).samples(samples, 0.5);
    }

    /**
     * Trains the array engine in minibatches on two threads with settings of its own, saves the
     * model and loads it back, as a program that trains once and samples later would.
     *
     * @param directory where to save the checkpoint
     * @param steps the number of minibatch steps
     * @return the losses of the steps, then the checkpoint's samples and the trained model's
     *     samples (the same names if the checkpoint holds the model exactly)
     * @throws IOException if the checkpoint cannot be written or read
     */
    public static BatchRun trainInBatchesSaveAndLoad(Path directory, int steps) throws IOException {
        var random = new PythonRandom(11);
        var docs = new ArrayList<>(Documents.embeddedNames());
        random.shuffle(docs);
        var tokenizer = Tokenizer.fromDocuments(docs);
        var model = ArrayGptModel.create(GptConfig.defaults(), tokenizer.vocabSize(), random);
        var settings = AdamSettings.defaults().withLearningRate(0.02).withBetas(0.9, 0.99);
        var trainer = new Trainer(model, tokenizer, docs, new AdamOptimizer(model.numParameters(), settings), steps);
        var batch = Minibatch.of(4).withThreads(2);
        List<Double> losses = new ArrayList<>();
        while (!trainer.isFinished()) {
            StepEvent event = trainer.stepBatch(batch);
            losses.add(event.loss());
        }
        Checkpoint.save(directory, model, tokenizer);
        Checkpoint loaded = Checkpoint.load(directory);
        LanguageModel reloaded = loaded.model();
        List<String> fromCheckpoint = new Sampler(reloaded, loaded.tokenizer(), new PythonRandom(3)).samples(5, 0.5);
        List<String> fromModel = new Sampler(model, tokenizer, new PythonRandom(3)).samples(5, 0.5);
        return new BatchRun(losses, fromCheckpoint, fromModel);
    }

    /**
     * What {@link #trainInBatchesSaveAndLoad} saw.
     *
     * @param losses the loss of every minibatch step
     * @param fromCheckpoint names sampled from the model loaded back
     * @param fromModel names sampled, with the same seed, from the model that was saved
     */
    public record BatchRun(List<Double> losses, List<String> fromCheckpoint, List<String> fromModel) {
    }

    /**
     * Prints a few names.
     *
     * @param args ignored
     */
    public static void main(String[] args) {
        trainAndSample(30, 5).forEach(System.out::println);
    }
}
