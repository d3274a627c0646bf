package io.github.microgpt.train;

import io.github.microgpt.model.Parameters;
import java.util.Objects;

/**
 * The gradients of a training step, before the update uses them.
 *
 * <p><b>Valid only during the call.</b> The parameters are a view of the model's, not a copy
 * (a copy of every gradient at every step would cost as much as the update), and the update
 * that follows the listeners changes what it would show. So the trainer closes the view when the
 * listeners return: reading its values or gradients later, from a kept event, a queue or another
 * thread, throws an {@link IllegalStateException} rather than showing the next step's numbers.
 * Copy during the call what you keep: {@link #grads()} and {@link Parameters#values()} return new
 * arrays that are yours. The layout ({@link Parameters#matrices()}, {@link Parameters#size()})
 * stays readable. Writing through the view throws {@link UnsupportedOperationException}.
 *
 * <pre>{@code
 * List<double[]> history = new ArrayList<>();
 * trainer.addGradientListener(event -> history.add(event.grads()));  // a copy: kept safely
 * }</pre>
 *
 * <p><b>Made by the library; a listener only receives it.</b> A {@link Trainer} builds every
 * {@code GradientEvent} and hands it to the listeners: your code never needs to make one. Read its
 * components by their names ({@code event.step()}). Do not call its constructor, and do not take
 * it apart by position with a record pattern ({@code case GradientEvent(var step, var total, var
 * loss, var p) ->}): a minor release may add components, which changes the constructor and the
 * pattern but not the accessors. (To test a listener of your own, give it the events of a small
 * real run.)
 *
 * @param step the number of the step, from 1, as {@link StepEvent#step()} (the optimizer's
 *     {@code stepIndex}, from 0, plus 1)
 * @param totalSteps the number of steps of the run
 * @param loss the step's loss
 * @param parameters a read-only view of the model's parameters, holding the values before the
 *     update and the gradients of this step, readable only during the listener's call
 */
public record GradientEvent(int step, int totalSteps, double loss, Parameters parameters) {

    /**
     * Checks that the event has its parameters.
     *
     * @param step the number of the step, from 1, as {@link StepEvent#step()} (the optimizer's
     *     {@code stepIndex}, from 0, plus 1)
     * @param totalSteps the number of steps of the run
     * @param loss the step's loss
     * @param parameters the read-only view of the parameters
     * @throws NullPointerException if {@code parameters} is null
     */
    public GradientEvent {
        Objects.requireNonNull(parameters, "parameters");
    }

    /**
     * A copy of all the gradients, in the flat parameter order: {@code grads} as in
     * {@link Parameters#grads()} and {@code p.grad} in {@code microgpt.py}.
     *
     * @return a new array, {@code parameters().grads()}
     * @throws IllegalStateException if called after the listener's call has returned
     */
    public double[] grads() {
        return parameters.grads();
    }
}
