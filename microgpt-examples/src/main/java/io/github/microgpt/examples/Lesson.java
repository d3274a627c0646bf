package io.github.microgpt.examples;

import io.github.microgpt.model.LanguageModel;
import io.github.microgpt.optim.AdamOptimizer;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.sample.NextToken;
import io.github.microgpt.sample.Sampler;
import io.github.microgpt.text.Documents;
import io.github.microgpt.text.Tokenizer;
import io.github.microgpt.train.Evaluation;
import io.github.microgpt.train.StepMode;
import io.github.microgpt.train.Trainer;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The part every lesson of the progression shares: the names (shuffled with seed 42, the last
 * tenth held out), training a model with the library's {@link Trainer}, and what is printed
 * about it. Each example makes its model and hands it here, so that the models differ in one
 * thing only.
 */
final class Lesson {

    /** The seed of everything: the shuffle, the initial weights and the samples. */
    static final long SEED = 42;

    final PythonRandom random = new PythonRandom(SEED);
    final Tokenizer tokenizer;
    /** The documents trained on: the first nine tenths of the shuffled names. */
    final List<String> train;
    /** The documents never trained on: the last tenth. */
    final List<String> heldOut;

    Lesson() {
        List<String> docs = new ArrayList<>(Documents.embeddedNames());
        random.shuffle(docs);
        tokenizer = Tokenizer.fromDocuments(docs);
        int split = docs.size() * 9 / 10;
        train = List.copyOf(docs.subList(0, split));
        heldOut = List.copyOf(docs.subList(split, docs.size()));
    }

    /** What a lesson measured. */
    record Result(double lastStepsLoss, double heldOutLoss) {
    }

    /**
     * Trains the model for {@code steps} steps, one name each, printing the mean loss of each
     * fifth of the run; then prints the loss on the held-out names, the five likeliest first
     * letters and five samples.
     */
    Result trainAndShow(String name, LanguageModel model, int steps, PrintStream out) {
        out.printf(Locale.ROOT, "%s: %d parameters%n", name, model.numParameters());
        out.printf(Locale.ROOT, "held-out loss before training: %.4f (a uniform guess: %.4f)%n",
                Evaluation.loss(model, tokenizer, heldOut), Math.log(tokenizer.vocabSize()));
        Result result = train(model, steps, out);
        out.printf(Locale.ROOT, "held-out loss after training:  %.4f%n", result.heldOutLoss());
        StringBuilder top = new StringBuilder("likeliest first letters:");
        for (NextToken.Candidate c : NextToken.after(model, tokenizer, "").top(5)) {
            top.append(String.format(Locale.ROOT, " %s %.3f", c.text(), c.probability()));
        }
        out.println(top);
        out.println("samples: " + String.join(" ", new Sampler(model, tokenizer, random).samples(5, 0.5)));
        return result;
    }

    /** Trains quietly but for a line per fifth of the run; returns the mean loss of the last 100 steps and the held-out loss. */
    Result train(LanguageModel model, int steps, PrintStream out) {
        Trainer trainer = new Trainer(model, tokenizer, train, new AdamOptimizer(model.numParameters()), steps);
        int window = Math.max(1, steps / 5);
        double[] losses = new double[steps];
        trainer.addStepListener(event -> {
            losses[event.step() - 1] = event.loss();
            if (out != null && event.step() % window == 0) {
                out.printf(Locale.ROOT, "  steps %4d-%4d: mean loss %.4f%n", event.step() - window + 1,
                        event.step(), mean(losses, event.step() - window, event.step()));
            }
        });
        trainer.run(StepMode.DOCUMENT);
        return new Result(mean(losses, Math.max(0, steps - 100), steps), Evaluation.loss(model, tokenizer, heldOut));
    }

    static double mean(double[] values, int from, int to) {
        double total = 0;
        for (int i = from; i < to; i++) {
            total += values[i];
        }
        return total / (to - from);
    }
}
