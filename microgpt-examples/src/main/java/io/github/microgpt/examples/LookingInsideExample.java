package io.github.microgpt.examples;

import io.github.microgpt.model.AttentionListener;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.GptModel;
import io.github.microgpt.optim.AdamOptimizer;
import io.github.microgpt.sample.NextToken;
import io.github.microgpt.train.Evaluation;
import io.github.microgpt.train.StepMode;
import io.github.microgpt.train.Trainer;
import java.io.PrintStream;
import java.util.Locale;

/**
 * Looking inside a model, one call each: what it predicts after a prefix
 * ({@link NextToken#after}, with its {@code top(k)}), and its loss on names it never trained on
 * ({@link Evaluation#loss}, which touches no gradient), before and after training; a listener
 * (a lambda) watches the training loss on the way, and another the attention of every head at
 * one position.
 *
 * <pre>
 * java -cp microgpt-examples/target/microgpt.jar io.github.microgpt.examples.LookingInsideExample
 * </pre>
 */
public final class LookingInsideExample {

    private LookingInsideExample() {
    }

    /**
     * Looks, trains for 500 steps, looks again.
     *
     * @param args ignored
     */
    public static void main(String[] args) {
        run(System.out, 500);
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

        out.println("untrained:");
        look(lesson, model, out);

        Trainer trainer = new Trainer(model, lesson.tokenizer, lesson.train,
                new AdamOptimizer(model.numParameters()), steps);
        double[] lowest = {Double.POSITIVE_INFINITY};
        trainer.addStepListener(event -> lowest[0] = Math.min(lowest[0], event.loss()));
        trainer.run(StepMode.DOCUMENT);
        out.printf(Locale.ROOT, "trained %d steps (the lowest loss of one name: %.4f)%n", steps, lowest[0]);
        look(lesson, model, out);

        // Where each head looks from the last letter of "emma": [BOS] e m m a are positions 0-4.
        String word = "emma";
        out.println("  attention from the last 'a' of \"" + word + "\" to <BOS> e m m a:");
        AttentionListener attention = event -> {
            if (event.posId() == word.length()) {
                StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "    head %d:", event.head()));
                for (int t = 0; t <= event.posId(); t++) {
                    line.append(String.format(Locale.ROOT, " %.3f", event.weight(t)));
                }
                out.println(line);
            }
        };
        model.addAttentionListener(attention);
        NextToken.after(model, lesson.tokenizer, word);
        model.removeAttentionListener(attention);
    }

    private static void look(Lesson lesson, GptModel model, PrintStream out) {
        out.printf(Locale.ROOT, "  held-out loss: %.4f%n", Evaluation.loss(model, lesson.tokenizer, lesson.heldOut));
        for (String prefix : new String[] {"", "em", "jul"}) {
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "  after %-6s", "\"" + prefix + "\":"));
            for (NextToken.Candidate c : NextToken.after(model, lesson.tokenizer, prefix).top(5)) {
                line.append(String.format(Locale.ROOT, " %-5s %.3f", c.text(), c.probability()));
            }
            out.println(line);
        }
    }
}
