package io.github.microgpt.train;

import io.github.microgpt.model.Parameters;
import java.util.Objects;

/**
 * The gradients of a training step, before the update uses them.
 *
 * @param step the number of the step, from 1
 * @param totalSteps the number of steps of the run
 * @param loss the step's loss
 * @param parameters a read-only view of the model's parameters, holding the values before the
 *     update and the gradients of this step; it is valid only during the listener's call (the
 *     update changes what it shows), so copy what you keep ({@link Parameters#grads()} makes a
 *     copy). Writing through it throws {@link UnsupportedOperationException}.
 */
public record GradientEvent(int step, int totalSteps, double loss, Parameters parameters) {

    /**
     * Checks that the event has its parameters.
     *
     * @param step the number of the step, from 1
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
     */
    public double[] grads() {
        return parameters.grads();
    }
}
