package io.github.microgpt.consumer.jpms;

import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.GptModel;
import io.github.microgpt.optim.AdamOptimizer;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.sample.Sampler;
import io.github.microgpt.text.Documents;
import io.github.microgpt.text.Tokenizer;
import io.github.microgpt.train.StepMode;
import io.github.microgpt.train.Trainer;
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
            if (e.loss() != -Math.log(e.probabilities()[e.targetToken()])) {
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
     * Prints a few names.
     *
     * @param args ignored
     */
    public static void main(String[] args) {
        trainAndSample(30, 5).forEach(System.out::println);
    }
}
