package io.github.microgpt.examples;

import io.github.microgpt.model.BigramModel;
import io.github.microgpt.model.GptConfig;
import java.io.PrintStream;

/**
 * Lesson 1: a bigram model ({@link BigramModel}), the next letter from the current letter only.
 * Its 729 parameters are a 27 x 27 table of logits; training learns which letters tend to follow
 * which ("q" is followed by "u", a name often ends after "a"). It cannot know how far into a
 * name it is, so its names have plausible pairs of letters but no shape.
 *
 * <pre>
 * java -cp microgpt-examples/target/microgpt.jar io.github.microgpt.examples.BigramExample
 * </pre>
 *
 * <p>Next: {@link MlpExample}.
 */
public final class BigramExample {

    private BigramExample() {
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
        BigramModel model = BigramModel.create(GptConfig.defaults(), lesson.tokenizer.vocabSize(), lesson.random);
        lesson.trainAndShow("bigram", model, steps, out);
    }
}
