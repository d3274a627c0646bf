package io.github.microgpt.examples;

import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.GptModel;
import java.io.PrintStream;

/**
 * Lesson 4: the GPT of {@code microgpt.py} ({@link GptModel}): attention as in lesson 3, then an
 * MLP that works on what attention gathered, each with a residual connection. The same trainer,
 * sampler and data as the three lessons before it.
 *
 * <pre>
 * java -cp microgpt-examples/target/microgpt.jar io.github.microgpt.examples.GptExample
 * </pre>
 *
 * <p>Before: {@link AttentionExample}. All four side by side: {@link ProgressionExample}. Your
 * own change to the GPT: {@link EditGptExample}.
 */
public final class GptExample {

    private GptExample() {
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
        GptModel model = GptModel.create(GptConfig.defaults(), lesson.tokenizer.vocabSize(), lesson.random);
        lesson.trainAndShow("gpt", model, steps, out);
    }
}
