package io.github.microgpt.examples;

import io.github.microgpt.model.AttentionModel;
import io.github.microgpt.model.GptConfig;
import java.io.PrintStream;

/**
 * Lesson 3: attention alone ({@link AttentionModel}). Every position looks back over every
 * earlier one, through four heads that each learn what to look for, and a position embedding
 * tells it where in the name it is. No MLP yet: what attention gathers goes straight to the
 * logits.
 *
 * <pre>
 * java -cp microgpt-examples/target/microgpt.jar io.github.microgpt.examples.AttentionExample
 * </pre>
 *
 * <p>Before: {@link MlpExample}. Next: {@link GptExample}.
 */
public final class AttentionExample {

    private AttentionExample() {
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
        AttentionModel model = AttentionModel.create(GptConfig.defaults(), lesson.tokenizer.vocabSize(), lesson.random);
        lesson.trainAndShow("attention", model, steps, out);
    }
}
