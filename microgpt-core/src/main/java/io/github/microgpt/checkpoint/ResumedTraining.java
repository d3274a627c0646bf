package io.github.microgpt.checkpoint;

import io.github.microgpt.model.LanguageModel;
import io.github.microgpt.optim.AdamOptimizer;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.text.Tokenizer;
import io.github.microgpt.train.Trainer;
import java.util.Objects;

/**
 * A training run rebuilt from a checkpoint by {@link Checkpoint#resumeRecordedRun} or
 * {@link Checkpoint#resumeWith}: everything wired
 * together and positioned where the saved run stopped, ready for {@code trainer().run(...)}.
 *
 * @param model the model, with the saved weights
 * @param tokenizer the tokenizer, from the saved vocabulary
 * @param optimizer the optimizer, with the saved settings and moments (the trainer's)
 * @param trainer the trainer, at the saved step and position
 * @param random the random generator in its saved state, to sample after training as the
 *     uninterrupted run would have; {@code null} if the checkpoint saved none
 * @param lossHistory the saved loss history, which goes on recording each step the trainer takes;
 *     pass {@code lossHistory().losses()} to {@link TrainingState#capture} when saving again
 */
public record ResumedTraining(LanguageModel model, Tokenizer tokenizer, AdamOptimizer optimizer, Trainer trainer,
                              PythonRandom random, LossHistory lossHistory) {

    /**
     * Checks that every part is there but the optional random generator.
     *
     * @param model the model
     * @param tokenizer the tokenizer
     * @param optimizer the optimizer
     * @param trainer the trainer
     * @param random the random generator, or {@code null}
     * @param lossHistory the loss history
     * @throws NullPointerException if a component other than {@code random} is null, naming it
     */
    public ResumedTraining {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(tokenizer, "tokenizer");
        Objects.requireNonNull(optimizer, "optimizer");
        Objects.requireNonNull(trainer, "trainer");
        Objects.requireNonNull(lossHistory, "lossHistory");
    }
}
