package io.github.microgpt.train;

/**
 * A finished training step: the loss was computed, back-propagated and the parameters updated.
 *
 * <p><b>Made by the library; a listener only receives it.</b> A {@link Trainer} builds every
 * {@code StepEvent} and hands it to the listeners: your code never needs to make one. Read its
 * components by their names ({@code event.loss()}). Do not call its constructor, and do not take
 * it apart by position with a record pattern ({@code case StepEvent(var step, var total, var loss,
 * var rate) ->}): a minor release may add components, which changes the constructor and the
 * pattern but not the accessors. (To test a listener of your own, give it the events of a small
 * real run.)
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
