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
 * Trains a GPT on the embedded names for a few hundred steps and samples new names, through the
 * public API only: the whole of {@code microgpt}, in one method of some forty lines.
 *
 * <p>The steps are those of {@code microgpt.py}: one random generator for everything, the
 * documents shuffled, a tokenizer built from their characters, a model with random weights,
 * a {@link Trainer} that takes one document per step and lets Adam update the weights, and a
 * {@link Sampler} that draws names one character at a time. It says what each stage made as it
 * goes, and a listener prints the mean loss of every 50 steps. An untrained model guesses about
 * uniformly among the 27 tokens, a loss near {@code ln 27 = 3.3}; the loss falls (to about 2.5
 * after 300 steps) as the model learns which letters follow which.
 *
 * <p>Run it (after {@code ./microgpt --version} or {@code ./mvnw -q -B -DskipTests package} has
 * built the jar); it takes a few seconds:
 * <pre>
 * java -cp microgpt-examples/target/microgpt.jar io.github.microgpt.examples.TrainAndSampleExample
 * </pre>
 */
public final class TrainAndSampleExample {

    private TrainAndSampleExample() {
    }

    /**
     * Trains for 300 steps, then prints 5 names.
     *
     * @param args ignored
     */
    public static void main(String[] args) {
        run(System.out);
    }

    /**
     * Does the work of {@link #main(String[])}, printing to a given stream.
     *
     * @param out where to print: what each stage made, the mean loss of every 50 steps
     *     ({@code steps A-B: mean loss L}), then the samples ({@code sample N: NAME})
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

        int steps = 300;
        Trainer trainer = new Trainer(model, tokenizer, docs, new AdamOptimizer(model.numParameters()), steps);
        out.printf(Locale.ROOT, "Training: %d steps of one name each; Adam updates every parameter after each step.%n",
                steps);
        out.printf(Locale.ROOT, "The loss is how surprised the model is by each next token: ln %d = %.4f for a uniform"
                + " guess.%n", tokenizer.vocabSize(), Math.log(tokenizer.vocabSize()));
        trainer.addStepListener(new StepListener() {
            private double sum;

            @Override
            public void onStep(StepEvent event) {
                sum += event.loss();
                if (event.step() % 50 == 0) {
                    out.printf(Locale.ROOT, "  steps %3d-%3d: mean loss %.4f%n", event.step() - 49, event.step(), sum / 50);
                    sum = 0;
                }
            }
        });
        trainer.run(StepMode.DOCUMENT);

        double temperature = 0.5;
        out.printf(Locale.ROOT, "Sampling: new names at temperature %.1f, one character at a time until the model"
                + " draws BOS.%n", temperature);
        List<String> names = new Sampler(model, tokenizer, random).samples(5, temperature);
        for (int i = 0; i < names.size(); i++) {
            out.printf(Locale.ROOT, "  sample %d: %s%n", i + 1, names.get(i));
        }
    }
}
