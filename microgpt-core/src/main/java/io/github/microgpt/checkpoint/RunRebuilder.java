package io.github.microgpt.checkpoint;

import io.github.microgpt.model.LanguageModel;
import io.github.microgpt.optim.AdamOptimizer;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.text.Tokenizer;
import io.github.microgpt.train.Trainer;
import java.nio.file.Path;
import java.util.List;

/**
 * Wires a saved run back together: the documents checked against the saved fingerprint, the
 * optimizer with its moments, a trainer on the model at the saved step and position, the random
 * generator in its saved state, and the loss history recording on.
 */
final class RunRebuilder {

    private RunRebuilder() {
    }

    /** Checks that the documents are the saved run's, in its order, before anything is changed. */
    static void checkDocuments(Path directory, TrainingState training, List<String> documents)
            throws CheckpointException {
        Path trainerFile = directory.resolve(Format.TRAINER_FILE);
        DataFingerprint given = DataFingerprint.of(documents);
        DataFingerprint saved = training.fingerprint();
        if (!given.equals(saved)) {
            throw new CheckpointException(trainerFile, "the documents are not those the run was trained on: it saw "
                    + saved.documentCount() + " documents with SHA-256 " + saved.sha256().substring(0, 12) + "..., these are "
                    + given.documentCount() + " with " + given.sha256().substring(0, 12) + "... (the same data, shuffled "
                    + "with the same seed, are needed)");
        }
    }

    /** The run on a model that already holds the saved weights, with documents {@link #checkDocuments} accepted. */
    static ResumedTraining rebuild(Path directory, TrainingState training, LanguageModel model, Tokenizer tokenizer,
                                   List<String> documents) throws CheckpointException {
        Path trainerFile = directory.resolve(Format.TRAINER_FILE);
        AdamOptimizer optimizer = training.optimizer().toOptimizer();
        Trainer trainer;
        try {
            trainer = new Trainer(model, tokenizer, documents, optimizer, training.trainer().totalSteps());
            trainer.restore(training.trainer());
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(trainerFile, "cannot resume: " + e.getMessage(), e);
        }
        LossHistory losses = LossHistory.continuing(trainer, training.losses());
        PythonRandom random = training.randomState() == null ? null : PythonRandom.fromState(training.randomState());
        return new ResumedTraining(model, tokenizer, optimizer, trainer, random, losses);
    }
}
