package io.github.microgpt.train;

/**
 * Where a {@link Trainer} is in its run: what {@link Trainer#state()} exports and
 * {@link Trainer#restore(TrainerState)} puts back, so that a run saved after step 500 continues
 * with step 501 on the same document and position as if it had never stopped.
 *
 * <p>The model's weights, the optimizer's moments and the random generator are saved separately
 * (see {@code io.github.microgpt.checkpoint.Checkpoint}); this is only the trainer's own place in the run.
 *
 * @param stepsDone the number of steps done, from 0 to {@code totalSteps}; the optimizer's bias
 *     correction and learning rate depend on it
 * @param totalSteps the length of the run, which sets the learning-rate schedule; at least 1
 * @param nextDocument the document the next step trains, of any kind (in a run of
 *     {@link StepMode#DOCUMENT} steps alone, {@code stepsDone mod numDocs}); not negative
 * @param nextPosition the position in that document the next step starts from: 0, unless
 *     {@link StepMode#POSITION} steps stopped part-way through it; not negative
 */
public record TrainerState(int stepsDone, int totalSteps, int nextDocument, int nextPosition) {

    /**
     * Checks the values that make sense without knowing the documents; {@link Trainer#restore}
     * checks the rest.
     *
     * @param stepsDone the number of steps done, from 0 to {@code totalSteps}
     * @param totalSteps the length of the run; at least 1
     * @param nextDocument the document the next step trains; not negative
     * @param nextPosition the position in it the next step starts from; not negative
     * @throws IllegalArgumentException if {@code totalSteps < 1}, {@code stepsDone} is outside
     *     {@code [0, totalSteps]}, or a position is negative
     */
    public TrainerState {
        if (totalSteps < 1) {
            throw new IllegalArgumentException("totalSteps must be at least 1, got " + totalSteps);
        }
        if (stepsDone < 0 || stepsDone > totalSteps) {
            throw new IllegalArgumentException("stepsDone must be in [0, " + totalSteps + "], got " + stepsDone);
        }
        if (nextDocument < 0) {
            throw new IllegalArgumentException("nextDocument must not be negative, got " + nextDocument);
        }
        if (nextPosition < 0) {
            throw new IllegalArgumentException("nextPosition must not be negative, got " + nextPosition);
        }
    }
}
