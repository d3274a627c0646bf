package io.github.microgpt.checkpoint;

import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.random.PythonRandomState;
import io.github.microgpt.train.StepMode;
import io.github.microgpt.train.Trainer;
import io.github.microgpt.train.TrainerState;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What a checkpoint holds besides the model so that training can resume exactly: the
 * trainer's place in the run, the optimizer's moments, the random generator's state, and a
 * fingerprint of the documents.
 *
 * <pre>{@code
 * TrainingState state = TrainingState.capture(trainer, random, StepMode.DOCUMENT, Map.of("seed", "42"));
 * Checkpoint.save(dir, trainer.model(), tokenizer, state);
 * }</pre>
 *
 * @param trainer the trainer's position: steps done, run length, position cursor
 * @param optimizer the optimizer's settings and moments
 * @param random the random generator's state, so that sampling after the resumed run draws what
 *     the uninterrupted run would have drawn; {@code null} if the run has no {@link PythonRandom}
 * @param stepMode how the run was stepping, for the record; {@code null} if unknown or mixed
 * @param data the fingerprint of the documents in training order
 * @param metadata free-form strings for the application, for example the seed and where the
 *     documents came from; may be empty
 */
public record TrainingState(TrainerState trainer, OptimizerState optimizer, PythonRandomState random,
                            StepMode stepMode, DataFingerprint data, Map<String, String> metadata) {

    /**
     * Checks and copies the values.
     *
     * @param trainer the trainer's position
     * @param optimizer the optimizer's settings and moments
     * @param random the random generator's state, or {@code null}
     * @param stepMode how the run was stepping, or {@code null}
     * @param data the fingerprint of the documents in training order
     * @param metadata free-form strings for the application; may be empty
     * @throws NullPointerException if the trainer, optimizer, data or metadata is null
     */
    public TrainingState {
        Objects.requireNonNull(trainer, "trainer");
        Objects.requireNonNull(optimizer, "optimizer");
        Objects.requireNonNull(data, "data");
        metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
    }

    /**
     * The state of a trainer and its optimizer, between two steps.
     *
     * @param trainer the trainer
     * @param random the run's random generator, or {@code null}
     * @param stepMode how the run steps, or {@code null}
     * @param metadata free-form strings to record; may be empty
     * @return the state
     * @throws IllegalArgumentException if the optimizer uses a schedule of its own (see
     *     {@link OptimizerState#of})
     */
    public static TrainingState capture(Trainer trainer, PythonRandom random, StepMode stepMode,
                                        Map<String, String> metadata) {
        return new TrainingState(trainer.state(), OptimizerState.of(trainer.optimizer()),
                random == null ? null : random.state(), stepMode, DataFingerprint.of(trainer.documents()), metadata);
    }
}
