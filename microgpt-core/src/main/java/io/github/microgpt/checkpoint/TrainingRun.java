package io.github.microgpt.checkpoint;

import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.text.DataSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * How a run's documents were put in training order: where they came from and the seed they were
 * shuffled with, as {@code microgpt.py} does it ({@code random.seed(seed)}, then
 * {@code random.shuffle(docs)} before anything else is drawn). A checkpoint records it, so that
 * whoever resumes the run, the command line or the simulator, rebuilds the same documents in the
 * same order in the same way:
 *
 * <pre>{@code
 * TrainingRun run = checkpoint.training().orElseThrow().run();   // null if the run is not recorded
 * List<String> order = run.trainingOrder(Documents.load(run.data()));
 * ResumedTraining resumed = checkpoint.resumeWith(order); // checks them against the fingerprint
 * }</pre>
 *
 * <p>{@link Checkpoint#resumeRecordedRun(io.github.microgpt.model.LanguageModel)} does exactly that in
 * one call.
 *
 * @param seed the seed of the {@link PythonRandom} that shuffled the documents (and then drew
 *     the initial weights and the samples)
 * @param data where the documents came from
 */
public record TrainingRun(long seed, DataSource data) {

    /**
     * Checks the values.
     *
     * @param seed the seed
     * @param data where the documents came from
     * @throws NullPointerException if {@code data} is null
     */
    public TrainingRun {
        Objects.requireNonNull(data, "data");
    }

    /**
     * The documents in training order: a copy shuffled with a new {@code PythonRandom(seed)},
     * as the run shuffled them.
     *
     * @param documents the documents as read from the source, in file order
     * @return a new, shuffled list
     * @throws NullPointerException if {@code documents} is null
     */
    public List<String> trainingOrder(List<String> documents) {
        Objects.requireNonNull(documents, "documents");
        List<String> order = new ArrayList<>(documents);
        new PythonRandom(seed).shuffle(order);
        return order;
    }
}
