package io.github.microgpt.examples;

import io.github.microgpt.model.Architecture;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.LanguageModel;
import java.io.PrintStream;
import java.util.Locale;

/**
 * The four lessons side by side: bigram, MLP, attention and GPT, each trained with the same
 * trainer on the same names for the same number of steps, from the same seed, and measured the
 * same way: the mean training loss of the last 100 steps and the loss on the tenth of the names
 * never trained on. A uniform guess scores {@code ln 27 = 3.2958}.
 *
 * <pre>
 * java -cp microgpt-examples/target/microgpt.jar io.github.microgpt.examples.ProgressionExample
 * </pre>
 */
public final class ProgressionExample {

    private ProgressionExample() {
    }

    /**
     * Trains each model for 1000 steps and prints the table.
     *
     * @param args ignored
     */
    public static void main(String[] args) {
        run(System.out, 1000);
    }

    /**
     * Does the work of {@link #main(String[])}.
     *
     * @param out where to print: a header and one line per model
     * @param steps how many names each model trains on
     */
    public static void run(PrintStream out, int steps) {
        out.printf(Locale.ROOT, "%-10s %10s %22s %14s%n", "model", "parameters",
                "train loss (last 100)", "held-out loss");
        for (Architecture architecture : Architecture.values()) {
            Lesson lesson = new Lesson();
            LanguageModel model = architecture.create(GptConfig.defaults(), lesson.tokenizer.vocabSize(), lesson.random);
            Lesson.Result result = lesson.train(model, steps, null);
            out.printf(Locale.ROOT, "%-10s %10d %22.4f %14.4f%n", architecture.id(), model.numParameters(),
                    result.lastStepsLoss(), result.heldOutLoss());
        }
    }
}
