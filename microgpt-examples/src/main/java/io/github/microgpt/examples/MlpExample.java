package io.github.microgpt.examples;

import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.MlpModel;
import java.io.PrintStream;

/**
 * Lesson 2: an MLP over the last three letters ({@link MlpModel}). Each letter becomes a learned
 * vector of 16 numbers (its embedding); the three vectors go through one hidden layer of 64
 * tanh units to 27 logits. Three letters of context instead of one, and letters that behave
 * alike share what is learned about them.
 *
 * <pre>
 * java -cp microgpt-examples/target/microgpt.jar io.github.microgpt.examples.MlpExample
 * </pre>
 *
 * <p>Before: {@link BigramExample}. Next: {@link AttentionExample}.
 */
public final class MlpExample {

    private MlpExample() {
    }

    /**
     * Trains for 1000 steps and prints what the model learned.
     *
     * @param args ignored
     */
    public static void main(String[] args) {
        run(System.out, 1000);
    }

    /**
     * Does the work of {@link #main(String[])}.
     *
     * @param out where to print
     * @param steps how many names to train on
     */
    public static void run(PrintStream out, int steps) {
        Lesson lesson = new Lesson();
        MlpModel model = MlpModel.create(GptConfig.defaults(), lesson.tokenizer.vocabSize(), lesson.random);
        lesson.trainAndShow("mlp", model, steps, out);
    }
}
