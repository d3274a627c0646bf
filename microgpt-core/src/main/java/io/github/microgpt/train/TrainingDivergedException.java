package io.github.microgpt.train;

import io.github.microgpt.internal.Quoted;
import java.util.Objects;

/**
 * Thrown when a step's loss is NaN or infinite, which means training has diverged (usually a
 * learning rate far too large). The step is not applied: the parameters keep the values they had
 * before it, and their gradients are reset.
 *
 * <p>Only {@link Trainer} throws it, so its constructor is not public (as
 * {@code NonFiniteLogitsException}'s is not): code that catches it reads {@link #step()},
 * {@link #document()} and {@link #loss()}.
 */
public final class TrainingDivergedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** The number of the step whose loss was not finite, from 1. */
    private final int step;
    /** The document of that step. */
    private final String document;
    /** The loss, NaN or infinite. */
    private final double loss;

    /**
     * Creates the exception.
     *
     * @param step the number of the step, from 1
     * @param document the document of the step
     * @param loss the loss, NaN or infinite
     * @throws IllegalArgumentException if the step is below 1 or the loss is finite (a finite
     *     loss is no divergence: the exception would say what did not happen)
     * @throws NullPointerException if the document is null
     */
    TrainingDivergedException(int step, String document, double loss) {
        super(message(step, document, loss));
        this.step = step;
        this.document = document;
        this.loss = loss;
    }

    /** The message, once the arguments are checked. */
    private static String message(int step, String document, double loss) {
        if (step < 1) {
            throw new IllegalArgumentException("the step of a divergence is numbered from 1, got " + step);
        }
        Objects.requireNonNull(document, "document");
        if (Double.isFinite(loss)) {
            throw new IllegalArgumentException("a divergence is a loss that is NaN or infinite, got the finite loss "
                    + loss + " at step " + step);
        }
        // Quoted as a Java literal: a quote in the document cannot end the quotation, nor a hidden
        // character (a bidirectional control, say) go unseen.
        return "training diverged at step " + step + " on the document " + Quoted.literal(document) + ": the loss is "
                + loss;
    }

    /**
     * The number of the step whose loss was not finite, from 1.
     *
     * @return the step
     */
    public int step() {
        return step;
    }

    /**
     * The document of that step.
     *
     * @return the document
     */
    public String document() {
        return document;
    }

    /**
     * The loss, NaN or infinite.
     *
     * @return the loss
     */
    public double loss() {
        return loss;
    }
}
