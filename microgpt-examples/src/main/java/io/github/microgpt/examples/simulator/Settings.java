package io.github.microgpt.examples.simulator;

import io.github.microgpt.model.Architecture;
import io.github.microgpt.model.Engine;
import io.github.microgpt.model.GptConfig;
import java.util.List;

/**
 * What a model is built from on Reset: the documents, the shape of the model, the learning rate,
 * the random seed and the length of the run.
 *
 * @param documents the documents, in the order given (the session shuffles a copy with the seed)
 * @param source where they came from: {@code "embedded"}, {@code "file"} or {@code "text"}
 * @param name a readable name of the dataset, such as a file name
 * @param architecture which model of the progression: bigram, MLP, attention-only or the GPT
 * @param engine the engine that runs the model ({@link Engine#VALUE} for every model but the GPT,
 *     the only one the array engine computes)
 * @param config the model's shape
 * @param learningRate Adam's base learning rate
 * @param seed the seed of the random source (shuffle, initial weights, sampling)
 * @param numSteps the length of the run, which sets the learning-rate schedule
 */
record Settings(List<String> documents, String source, String name, Architecture architecture, Engine engine,
                GptConfig config, double learningRate, long seed, int numSteps) {

    /** The default learning rate of {@code microgpt.py}. */
    static final double DEFAULT_LEARNING_RATE = 0.01;
    /** The default length of a run, as in {@code microgpt.py} and the seed page. */
    static final int DEFAULT_NUM_STEPS = 1000;

    Settings {
        documents = List.copyOf(documents);
        if (architecture != Architecture.GPT && engine != Engine.VALUE) {
            throw new IllegalArgumentException("the " + engine.id() + " engine computes only the GPT, not the "
                    + architecture.id() + " model");
        }
    }

    /**
     * The same settings with another length of the run.
     *
     * @param steps the new Num steps
     * @return the settings
     */
    Settings withNumSteps(int steps) {
        return new Settings(documents, source, name, architecture, engine, config, learningRate, seed, steps);
    }
}
