package io.github.microgpt.checkpoint;

import io.github.microgpt.model.LanguageModel;
import io.github.microgpt.optim.AdamOptimizer;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.text.Tokenizer;
import io.github.microgpt.train.Trainer;
import java.util.Objects;

/**
 * A training run rebuilt from a checkpoint by
 * {@link Checkpoint#resumeRecordedRun Checkpoint.resumeRecordedRun} or
 * {@link Checkpoint#resumeWith Checkpoint.resumeWith}: everything wired together and positioned
 * where the saved run stopped, ready for {@code trainer().run(...)}.
 *
 * <p><b>Made by the library.</b> Only a {@link Checkpoint} builds one; its constructor is not
 * public. It is a final class with accessors rather than a record, so that a later release can
 * hand back more of the run (a new accessor) without breaking a program that reads it. It has no
 * {@code equals} of its own: its parts are live objects that compare by identity, so two resumes
 * of one checkpoint are never equal, and a result is equal only to itself, as {@link Object} says.
 */
public final class ResumedTraining {

    private final LanguageModel model;
    private final Tokenizer tokenizer;
    private final AdamOptimizer optimizer;
    private final Trainer trainer;
    private final PythonRandom random;
    private final LossHistory lossHistory;

    /** Made by the library only (see the class comment): every part but the random generator is required. */
    ResumedTraining(LanguageModel model, Tokenizer tokenizer, AdamOptimizer optimizer, Trainer trainer,
                    PythonRandom random, LossHistory lossHistory) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(tokenizer, "tokenizer");
        Objects.requireNonNull(optimizer, "optimizer");
        Objects.requireNonNull(trainer, "trainer");
        Objects.requireNonNull(lossHistory, "lossHistory");
        this.model = model;
        this.tokenizer = tokenizer;
        this.optimizer = optimizer;
        this.trainer = trainer;
        this.random = random;
        this.lossHistory = lossHistory;
    }

    /**
     * The model, with the saved weights.
     *
     * @return the model
     */
    public LanguageModel model() {
        return model;
    }

    /**
     * The tokenizer, from the saved vocabulary.
     *
     * @return the tokenizer
     */
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /**
     * The optimizer, with the saved settings and moments: the trainer's.
     *
     * @return the optimizer
     */
    public AdamOptimizer optimizer() {
        return optimizer;
    }

    /**
     * The trainer, at the saved step and position: call {@code trainer().run(...)} to go on.
     *
     * @return the trainer
     */
    public Trainer trainer() {
        return trainer;
    }

    /**
     * The random generator in its saved state, to sample after training as the uninterrupted
     * run would have; {@code null} if the checkpoint saved none. This is the generator itself,
     * ready to draw, made from the saved {@link io.github.microgpt.random.PythonRandomState}
     * ({@link TrainingState#randomState()}): the library names a generator {@code random} and its
     * state {@code randomState}.
     *
     * @return the generator, or {@code null}
     */
    public PythonRandom random() {
        return random;
    }

    /**
     * The saved loss history, which goes on recording each step the trainer takes: pass
     * {@code lossHistory().losses()} to {@link TrainingState#capture} when saving again.
     *
     * @return the loss history
     */
    public LossHistory lossHistory() {
        return lossHistory;
    }

    /**
     * Shows every component, as a record would.
     *
     * @return for example {@code ResumedTraining[model=ArrayGptModel[...], tokenizer=Tokenizer[vocabSize=27, ...],
     *     optimizer=AdamOptimizer[...], trainer=Trainer[...], random=PythonRandom[...], lossHistory=...]}
     */
    @Override
    public String toString() {
        return "ResumedTraining[model=" + model + ", tokenizer=" + tokenizer + ", optimizer=" + optimizer
                + ", trainer=" + trainer + ", random=" + random + ", lossHistory=" + lossHistory + "]";
    }
}
