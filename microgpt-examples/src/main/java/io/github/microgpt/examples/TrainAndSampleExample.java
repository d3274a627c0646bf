package io.github.microgpt.examples;

import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.GptModel;
import io.github.microgpt.optim.AdamOptimizer;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.sample.Sampler;
import io.github.microgpt.text.Documents;
import io.github.microgpt.text.Tokenizer;
import io.github.microgpt.train.StepEvent;
import io.github.microgpt.train.StepListener;
import io.github.microgpt.train.StepMode;
import io.github.microgpt.train.Trainer;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Trains a GPT on the embedded names for 1000 steps and samples ten new names, through the public
 * API only: the program of README's "Using the library", with a line before each stage that
 * says what it made.
 *
 * <p>The steps are those of {@code microgpt.py}: one random generator for everything, the
 * documents shuffled, a tokenizer built from their characters, a model with random weights,
 * a {@link Trainer} that takes one document per step and lets Adam update the weights, and a
 * {@link Sampler} that draws names one character at a time. A listener prints the mean loss of
 * every 250 steps. An untrained model guesses about uniformly among the 27 tokens, a loss near
 * {@code ln 27 = 3.3}; the loss falls (to about 2.44 over the last 250 steps) as the model learns
 * which letters follow which.
 *
 * <p>Apart from those stage lines, it computes and prints what README's program does, line for
 * line: the same four loss lines and the same list of names ({@code TrainAndSampleExampleTest}
 * compares them with README's block). It differs from that program only where an example must:
 * it prints to a given stream, so that its test can read what it printed, and it names the
 * numbers it uses (the steps, the window of the mean, the temperature) so that the stage lines
 * can say them.
 *
 * <p>Build the jar with {@code ./mvnw -q -B -DskipTests package -pl microgpt-examples -am} (what
 * {@code ./microgpt} runs when the jar is missing or older than the sources), then run it; it takes
 * a few seconds:
 * <pre>
 * java -cp microgpt-examples/target/microgpt.jar io.github.microgpt.examples.TrainAndSampleExample
 * </pre>
 */
public final class TrainAndSampleExample {

    private TrainAndSampleExample() {
    }

    /**
     * Trains for 1000 steps, then prints 10 names.
     *
     * @param args ignored
     */
    public static void main(String[] args) {
        run(System.out);
    }

    /**
     * Does the work of {@link #main(String[])}, printing to a given stream.
     *
     * @param out where to print: what each stage made, the mean loss of every 250 steps
     *     ({@code steps A-B: mean loss L}), then the names, as a list ({@code [NAME, NAME, ...]})
     */
    public static void run(PrintStream out) {
        PythonRandom random = new PythonRandom(42);
        List<String> docs = new ArrayList<>(Documents.embeddedNames());
        random.shuffle(docs);
        out.printf(Locale.ROOT, "Documents: %d names (the list embedded in the library), shuffled with seed 42.%n",
                docs.size());

        Tokenizer tokenizer = Tokenizer.fromDocuments(docs);
        out.printf(Locale.ROOT, "Tokenizer: %d tokens, one per character and BOS, which marks a name's start and end.%n",
                tokenizer.vocabSize());

        GptConfig config = GptConfig.defaults();
        GptModel model = GptModel.create(config, tokenizer.vocabSize(), random);
        out.printf(Locale.ROOT, "Model: %d parameters (%d layer, embeddings of %d, %d heads, a context of %d tokens),"
                + " random at first.%n", model.numParameters(), config.nLayer(), config.nEmbd(), config.nHead(),
                config.blockSize());

        int steps = 1000;
        Trainer trainer = new Trainer(model, tokenizer, docs, new AdamOptimizer(model.numParameters()), steps);
        int window = 250;
        out.printf(Locale.ROOT, "Training: %d steps of one name each; Adam updates every parameter after each step.%n",
                steps);
        out.printf(Locale.ROOT, "The loss is how surprised the model is by each next token: ln %d = %.4f for a uniform"
                + " guess. Its mean over every %d steps:%n", tokenizer.vocabSize(), Math.log(tokenizer.vocabSize()),
                window);
        trainer.addStepListener(new StepListener() {
            private double sum;

            @Override
            public void onStep(StepEvent event) {
                sum += event.loss();
                if (event.step() % window == 0) {
                    out.printf(Locale.ROOT, "steps %4d-%4d: mean loss %.3f%n", event.step() - window + 1, event.step(),
                            sum / window);
                    sum = 0;
                }
            }
        });
        trainer.run(StepMode.DOCUMENT);

        int count = 10;
        double temperature = 0.5;
        out.printf(Locale.ROOT, "Sampling: %d new names at temperature %.1f, one character at a time until the model"
                + " draws BOS:%n", count, temperature);
        List<String> names = new Sampler(model, tokenizer, random).samples(count, temperature);
        out.println(names);
    }
}
