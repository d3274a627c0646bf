package io.github.microgpt.checkpoint;

import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.random.PythonRandomState;
import io.github.microgpt.train.StepMode;
import io.github.microgpt.train.Trainer;
import io.github.microgpt.train.TrainerState;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What a checkpoint holds besides the model so that training can resume exactly: the
 * trainer's place in the run, the optimizer's moments, the random generator's state, a
 * fingerprint of the documents, how the documents were made ({@link TrainingRun}: seed and
 * source), and the loss of every step so far.
 *
 * <pre>{@code
 * LossHistory losses = LossHistory.recording(trainer);          // before the first step
 * // ... train ...
 * TrainingState state = TrainingState.capture(trainer, random, StepMode.DOCUMENT, Map.of(),
 *         new TrainingRun(42, DataSource.embedded()), losses.losses());
 * Checkpoint.save(dir, trainer.model(), tokenizer, state);
 * }</pre>
 *
 * <p>The state must agree with itself: a loss history is empty or has one loss per step done,
 * the trainer's place is in the documents, and a run that has done no step is at (0, 0) with
 * moments that are all zero. A state that breaks these rules is refused when it is made, and
 * {@link Checkpoint#load} refuses files that break them, naming the file and the field.
 *
 * @param trainer the trainer's position: steps done, run length, place in the documents
 * @param optimizer the optimizer's settings and moments
 * @param randomState the random generator's state (not the generator: see
 *     {@link PythonRandom#fromState}), so that sampling after the resumed run draws what
 *     the uninterrupted run would have drawn; {@code null} if the run has no {@link PythonRandom}
 * @param stepMode how the run was stepping, for the record; {@code null} if unknown or mixed
 * @param fingerprint the fingerprint of the documents in training order, which documents given
 *     to resume the run must match
 * @param metadata free-form strings for the application, kept as given; may be empty
 * @param run how the documents were made (seed and source), or {@code null} if unknown: then
 *     {@link Checkpoint#resumeRecordedRun(io.github.microgpt.model.LanguageModel)} cannot read the
 *     documents again by itself, and you give them to {@link Checkpoint#resumeWith(java.util.List)}.
 *     (A load of a checkpoint written before runs were recorded reads its run from the
 *     metadata's {@code "seed"} and {@code "data"}, which the command line wrote then; the
 *     metadata itself is read as it is in the file.)
 * @param losses the loss of each completed step in step order, or empty (a checkpoint written
 *     before loss histories were kept, or a run resumed from one)
 */
public record TrainingState(TrainerState trainer, OptimizerState optimizer, PythonRandomState randomState,
                            StepMode stepMode, DataFingerprint fingerprint, Map<String, String> metadata,
                            TrainingRun run, double[] losses) {

    /**
     * Checks and copies the values; each component is then the value given (a copy), nothing
     * is added or derived.
     *
     * @param trainer the trainer's position
     * @param optimizer the optimizer's settings and moments
     * @param randomState the random generator's state, or {@code null}
     * @param stepMode how the run was stepping, or {@code null}
     * @param fingerprint the fingerprint of the documents in training order
     * @param metadata free-form strings for the application; may be empty
     * @param run how the documents were made, or {@code null}
     * @param losses the losses of the steps done, or empty; {@code null} counts as empty
     * @throws NullPointerException if the trainer, optimizer, fingerprint or metadata is null, or
     *     the metadata holds a null key or value (a checkpoint's file cannot hold it)
     * @throws IllegalArgumentException if the loss history is neither empty nor one finite loss
     *     per step done, or the parts disagree as a load would refuse: the fingerprint is of no
     *     document, the trainer's place is beyond its documents, or no step is done and the place
     *     is not (0, 0) or a moment is not 0
     */
    public TrainingState {
        Objects.requireNonNull(trainer, "trainer");
        Objects.requireNonNull(optimizer, "optimizer");
        Objects.requireNonNull(fingerprint, "fingerprint");
        Objects.requireNonNull(metadata, "metadata");
        // In the caller's order (a save writes it so), and null keys or values refused as a
        // checkpoint's file could not hold them.
        Map<String, String> copy = new LinkedHashMap<>();
        metadata.forEach((key, value) -> copy.put(Objects.requireNonNull(key, "a metadata key"),
                Objects.requireNonNull(value, "metadata[" + key + "]")));
        metadata = Collections.unmodifiableMap(copy);
        losses = losses == null ? new double[0] : losses.clone();
        if (losses.length != 0 && losses.length != trainer.stepsDone()) {
            throw new IllegalArgumentException("the loss history has " + losses.length + " losses but "
                    + trainer.stepsDone() + " steps are done (it must have one per step, or none)");
        }
        for (int i = 0; i < losses.length; i++) {
            if (!Double.isFinite(losses[i])) {
                throw new IllegalArgumentException("the loss of step " + (i + 1) + " is " + losses[i]);
            }
        }
        checkPlace(trainer, optimizer, fingerprint);
    }

    /**
     * The rules a load holds a checkpoint's files to, held here too, so that a state a load would
     * refuse is refused when it is made, before a save writes it: such a state was saved without
     * a word, and the checkpoint could then never be loaded ("the files do not agree"). A trainer
     * trains at least one document and its place is in them; a run starts at (0, 0) with zero
     * moments, and both change only with a step. (A fresh trainer on an optimizer another run has
     * used breaks the last rule: a checkpoint cannot record it.)
     */
    private static void checkPlace(TrainerState trainer, OptimizerState optimizer, DataFingerprint fingerprint) {
        if (fingerprint.documentCount() < 1) {
            throw new IllegalArgumentException("the fingerprint is of no document, but a trainer trains at least one");
        }
        if (trainer.nextDocument() >= fingerprint.documentCount()) {
            throw new IllegalArgumentException("the trainer's place is in document " + trainer.nextDocument()
                    + " (from 0), but the fingerprint is of " + fingerprint.documentCount() + " documents");
        }
        if (trainer.stepsDone() != 0) {
            return;
        }
        if (trainer.nextDocument() != 0 || trainer.nextPosition() != 0) {
            throw new IllegalArgumentException("the trainer's place is (" + trainer.nextDocument() + ", "
                    + trainer.nextPosition() + ") but no step is done, and a run starts at (0, 0)");
        }
        if (!optimizer.hasZeroMoments()) {
            throw new IllegalArgumentException("no step is done, but the optimizer's moments are not all 0: it was"
                    + " used before this trainer's run (a checkpoint records a run's steps and moments together, and"
                    + " a run starts with zero moments); save after a step, or give the trainer a new optimizer");
        }
    }

    /**
     * The whole state of a run, between two steps: what {@code microgpt train --save} saves. The
     * arguments come in the order of the record's components; the trainer gives the optimizer and
     * the documents' fingerprint.
     *
     * @param trainer the trainer
     * @param random the run's random generator, or {@code null}
     * @param stepMode how the run steps, or {@code null}
     * @param metadata free-form strings to record; may be empty
     * @param run the seed and source of the documents, or {@code null} (then resuming needs the
     *     documents given in training order)
     * @param losses one loss per step done (see {@link LossHistory}), or empty or {@code null}
     * @return the state
     * @throws IllegalArgumentException if the loss history does not have one loss per step done, or
     *     the trainer has done no step but its optimizer's moments are not 0 (it was used by
     *     another run: a checkpoint cannot record that)
     */
    public static TrainingState capture(Trainer trainer, PythonRandom random, StepMode stepMode,
                                        Map<String, String> metadata, TrainingRun run, double[] losses) {
        Objects.requireNonNull(trainer, "trainer");
        Objects.requireNonNull(metadata, "metadata");
        return new TrainingState(trainer.state(), trainer.optimizer().state(),
                random == null ? null : random.state(), stepMode, DataFingerprint.of(trainer.documents()), metadata,
                run, losses);
    }

    /**
     * The loss of every completed step, in step order: entry {@code i} is the loss of step
     * {@code i + 1}, exactly as the run computed it (bit for bit).
     *
     * @return a copy; empty if the checkpoint was written without a loss history
     */
    @Override
    public double[] losses() {
        return losses.clone();
    }

    /**
     * Compares every component, the loss history bit for bit.
     *
     * @param other another object
     * @return true if it is an equal state
     */
    @Override
    public boolean equals(Object other) {
        return other instanceof TrainingState that && trainer.equals(that.trainer) && optimizer.equals(that.optimizer)
                && Objects.equals(randomState, that.randomState) && stepMode == that.stepMode && fingerprint.equals(that.fingerprint)
                && metadata.equals(that.metadata) && Objects.equals(run, that.run)
                && Arrays.equals(losses, that.losses);
    }

    /**
     * A hash of the components.
     *
     * @return the hash code
     */
    @Override
    public int hashCode() {
        return Objects.hash(trainer, optimizer, randomState, stepMode, fingerprint, metadata, run, Arrays.hashCode(losses));
    }

    /**
     * A short description, without the moments and losses.
     *
     * @return the position, run and sizes
     */
    @Override
    public String toString() {
        return "TrainingState[" + trainer + ", " + optimizer + ", stepMode=" + stepMode + ", " + fingerprint + ", run=" + run
                + ", losses=" + losses.length + ", metadata=" + metadata + "]";
    }
}
