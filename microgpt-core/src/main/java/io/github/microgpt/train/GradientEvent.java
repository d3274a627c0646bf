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
 * arrays that are yours. The layout ({@link Parameters#matrixLayouts()}, {@link Parameters#size()})
 * stays readable. Writing through the view throws {@link UnsupportedOperationException}.
 *
 * <pre>{@code
 * List<double[]> history = new ArrayList<>();
 * trainer.addGradientListener(event -> history.add(event.grads()));  // a copy: kept safely
 * }</pre>
 *
 * <p><b>Made by the library; a listener only receives it.</b> A {@link Trainer} builds every
 * {@code GradientEvent} and hands it to the listeners; its constructor is not public. It is a final
 * class with accessors rather than a record, so that a later release can report more (a new
 * accessor) without breaking a program that reads it: nothing outside the library constructs it
 * or takes it apart by position. (To test a listener of your own, give it the events of a small
 * real run.)
 */
public final class GradientEvent {

    private final int step;
    private final int totalSteps;
    private final double loss;
    private final Parameters parameters;

    /** Made by the library only (see the class comment). */
    GradientEvent(int step, int totalSteps, double loss, Parameters parameters) {
        Objects.requireNonNull(parameters, "parameters");
        this.step = step;
        this.totalSteps = totalSteps;
        this.loss = loss;
        this.parameters = parameters;
    }

    /**
     * The number of the step, from 1, as {@link StepEvent#step()} (the optimizer's
     * {@code stepIndex}, from 0, plus 1).
     *
     * @return the step's number
     */
    public int step() {
        return step;
    }

    /**
     * The number of steps of the run.
     *
     * @return the run's length in steps
     */
    public int totalSteps() {
        return totalSteps;
    }

    /**
     * The step's loss.
     *
     * @return the loss
     */
    public double loss() {
        return loss;
    }

    /**
     * A read-only view of the model's parameters, holding the values before the update and
     * the gradients of this step, readable only during the listener's call.
     *
     * @return the view
     */
    public Parameters parameters() {
        return parameters;
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

    /**
     * Whether another object is a {@code GradientEvent} with the same components, the numbers as
     * {@link Double#compare} compares them (as a record would).
     *
     * @param other another object
     * @return whether it is equal
     */
    @Override
    public boolean equals(Object other) {
        return other instanceof GradientEvent e
                && step == e.step
                && totalSteps == e.totalSteps
                && Double.compare(loss, e.loss) == 0
                && Objects.equals(parameters, e.parameters);
    }

    /**
     * A hash code consistent with {@link #equals(Object)}.
     *
     * @return the hash code
     */
    @Override
    public int hashCode() {
        return Objects.hash(step, totalSteps, loss, parameters);
    }

    /**
     * Shows every component, as a record would.
     *
     * @return for example {@code GradientEvent[step=1, totalSteps=10, loss=1.6116...,
     *     parameters=ReadOnlyParameters[step 1, 264 parameters, open]]}
     */
    @Override
    public String toString() {
        return "GradientEvent[step=" + step + ", totalSteps=" + totalSteps + ", loss=" + loss
                + ", parameters=" + parameters + "]";
    }
}
