package io.github.microgpt.checkpoint;

import io.github.microgpt.train.StepEvent;
import io.github.microgpt.train.StepListener;
import io.github.microgpt.train.Trainer;
import java.util.Arrays;
import java.util.Objects;

/**
 * Records the loss of every step a trainer finishes, continuing the history a checkpoint saved,
 * so that a saved run keeps its whole loss curve ({@link TrainingState#losses()}).
 *
 * <pre>{@code
 * LossHistory losses = LossHistory.recording(trainer);    // a new run, before its first step
 * trainer.run(StepMode.DOCUMENT);
 * losses.losses();                                        // one per step
 * }</pre>
 *
 * A run resumed with {@link Checkpoint#resumeRecordedRun} or {@link Checkpoint#resumeWith}
 * records into {@link ResumedTraining#lossHistory()} already.
 *
 * <p>A history is one loss per step, from the first: {@link #recording} on a trainer that has
 * stepped, or {@link #continuing} with a history of another length than the steps done, is a
 * mistake and refused, as the curve would start in the middle or be misaligned. The one
 * exception is a history known to be missing, {@code continuing(trainer, new double[0])} (a
 * checkpoint from before histories were kept): it says so and records nothing, so that the run
 * goes on without a curve rather than with a wrong one.
 *
 * <p>Not thread-safe: it is told on the trainer's thread; read {@link #losses()} there, or after
 * the run.
 */
public final class LossHistory {

    private final Trainer trainer;
    /** What the trainer tells: a listener of its own, so that no one else can add a loss. */
    private final StepListener listener = this::record;
    private double[] losses;
    private int size;
    private boolean recording;

    private LossHistory(Trainer trainer, double[] previous, boolean recording) {
        this.trainer = trainer;
        this.losses = Arrays.copyOf(previous, Math.max(16, grown(previous.length)));
        this.size = previous.length;
        this.recording = recording;
    }

    /**
     * Starts recording a trainer's losses from its first step, until {@link #stopRecording()}.
     *
     * @param trainer a trainer that has done no step yet
     * @return the history
     * @throws IllegalArgumentException if the trainer has done a step: the history would miss
     *     it (to continue a saved history, use {@link #continuing})
     * @throws NullPointerException if {@code trainer} is null
     */
    public static LossHistory recording(Trainer trainer) {
        Objects.requireNonNull(trainer, "trainer");
        if (trainer.stepsDone() != 0) {
            throw new IllegalArgumentException("a history records from the first step, but the trainer has done "
                    + trainer.stepsDone() + (trainer.stepsDone() == 1 ? " step" : " steps")
                    + ": start recording before its first step, or continue a saved history with"
                    + " LossHistory.continuing(trainer, losses)");
        }
        return continuing(trainer, new double[0]);
    }

    /**
     * Continues a saved history on a trainer at the saved step, recording until {@link #stopRecording()}.
     *
     * @param trainer the trainer, at step {@code previous.length}
     * @param previous the losses of the steps done (from {@link TrainingState#losses()}), or
     *     an empty array when they are unknown (a checkpoint from before histories were kept)
     * @return the history; it records nothing if {@code previous} is empty but the trainer has
     *     done steps (a history known to be missing), since the curve would start in the middle
     *     ({@link #toString()} says so)
     * @throws IllegalArgumentException if {@code previous} is neither empty nor one loss per step
     *     the trainer has done
     * @throws NullPointerException if an argument is null
     */
    public static LossHistory continuing(Trainer trainer, double[] previous) {
        Objects.requireNonNull(trainer, "trainer");
        Objects.requireNonNull(previous, "previous");
        if (previous.length != 0 && previous.length != trainer.stepsDone()) {
            throw new IllegalArgumentException("a history of " + previous.length + " losses cannot continue a trainer"
                    + " that has done " + trainer.stepsDone() + " steps: give one loss per step done, or none");
        }
        LossHistory history = new LossHistory(trainer, previous, previous.length == trainer.stepsDone());
        if (!history.recording) {
            history.size = 0;
        }
        trainer.addStepListener(history.listener);
        return history;
    }

    /**
     * Stops recording: the trainer no longer tells this history its steps, and {@link #losses()}
     * keeps those recorded so far. A second call does nothing.
     */
    public void stopRecording() {
        trainer.removeStepListener(listener);
    }

    /** Appends the loss of a finished step, as the trainer tells it. */
    private void record(StepEvent event) {
        if (!recording) {
            return;
        }
        if (event.step() != size + 1) {
            // A step was missed (the listener was added late): a gap cannot be filled, so stop.
            recording = false;
            size = 0;
            return;
        }
        if (size == losses.length) {
            losses = Arrays.copyOf(losses, grown(losses.length));
        }
        losses[size++] = event.loss();
    }

    /**
     * The next capacity: twice {@code length}, but never past the largest array (doubling 2^30
     * would overflow to a negative size); beyond that the run has more steps than an array holds.
     */
    static int grown(int length) {
        if (length >= MAX_LENGTH) {
            throw new IllegalStateException("a loss history holds at most " + MAX_LENGTH + " steps");
        }
        return (int) Math.min(MAX_LENGTH, 2L * length);
    }

    /** The longest array a JVM reliably allocates: a few words under {@link Integer#MAX_VALUE}. */
    static final int MAX_LENGTH = Integer.MAX_VALUE - 8;

    /**
     * The losses so far.
     *
     * @return a copy, one loss per step in step order; empty if the history could not be kept
     */
    public double[] losses() {
        return Arrays.copyOf(losses, size);
    }

    /**
     * The number of losses kept.
     *
     * @return for example {@code LossHistory[12 losses]}, or
     *     {@code LossHistory[0 losses, not kept: steps went unrecorded]} when it started after the
     *     trainer's first step or missed a step
     */
    @Override
    public String toString() {
        return "LossHistory[" + size + " losses" + (recording ? "" : ", not kept: steps went unrecorded") + "]";
    }
}
