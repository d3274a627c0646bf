package io.github.microgpt.train;

/**
 * A finished training step: the loss was computed, back-propagated and the parameters updated.
 *
 * @param step the number of the step, from 1 ({@code microgpt.py} prints {@code step 1 / 1000}
 *     for the first), as the {@code stepIndex} from 0 that {@code AdamOptimizer} and
 *     {@code LearningRateSchedule} take plus 1
 * @param totalSteps the number of steps of the run
 * @param loss the loss of the step (before the update)
 * @param learningRate the learning rate the update used
 */
public record StepEvent(int step, int totalSteps, double loss, double learningRate) {
}
