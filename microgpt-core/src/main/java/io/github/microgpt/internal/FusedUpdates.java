package io.github.microgpt.internal;

import io.github.microgpt.model.Parameters;
import io.github.microgpt.optim.AdamOptimizer;

/**
 * How the trainer gets, from the optimizer, the update of one step prepared as a task over rows
 * for a {@link FusedStep}. The optimizer's moments are private to it and the trainer is in
 * another package, and a public method would put this plumbing in the API; so the optimizer's
 * class registers its side here when it is initialised (the pattern of the JDK's
 * {@code SharedSecrets}).
 */
public final class FusedUpdates {

    /** The optimizer's side of {@link #prepare}. */
    @FunctionalInterface
    public interface Preparer {

        /**
         * See {@link FusedUpdates#prepare}.
         *
         * @param optimizer the optimizer
         * @param parameters the parameters
         * @param step the step, from 0
         * @param totalSteps the number of steps of the run
         * @return the update, or null
         */
        RangeTask prepare(AdamOptimizer optimizer, Parameters parameters, int step, int totalSteps);
    }

    /**
     * The update of a single-precision model's rows, as {@link #prepare} returns it, that can
     * also take the rows' gradient from an array other than the model's: a backward product that
     * sums a slice of a matrix's gradient into a small scratch of its own thread, and updates the
     * slice from there at once, never writes the model's gradient rows, which stay {@code +0.0}
     * (see {@code FloatProducts.backward} in microgpt-vector).
     */
    public interface FloatRows extends RangeTask {

        /**
         * Updates rows {@code [from, to)} with the gradient of row {@code from + i} read from
         * {@code gradients[i]} instead of the model's gradient rows, which must hold nothing but
         * {@code +0.0} and are not touched; the same arithmetic as {@link #run(int, int)}, so
         * the same bits. {@code gradients[i]} may be overwritten.
         *
         * @param from the first row
         * @param to one past the last row
         * @param gradients at least {@code to - from} rows, each as long as its parameter row
         */
        void run(int from, int to, float[][] gradients);
    }

    /** Set by {@code AdamOptimizer}'s class initialiser, before any optimizer exists. */
    private static volatile Preparer preparer;

    private FusedUpdates() {
    }

    /**
     * Registers the optimizer's side; called once, by {@code AdamOptimizer}'s class initialiser.
     *
     * @param side the optimizer's side
     */
    public static void register(Preparer side) {
        preparer = side;
    }

    /**
     * The update of one optimizer step prepared as a task over rows, for
     * {@link FusedStep#lossGradientsAndUpdate}, or null if the optimizer updates these parameters
     * only after the pass (rows it stages through a buffer, or parameters without rows of their
     * own). The step's arguments are checked here, before anything changes.
     *
     * @param optimizer the optimizer, whose class is therefore initialised and registered
     * @param parameters the model's parameters
     * @param step the step, from 0
     * @param totalSteps the number of steps of the run
     * @return the update of rows {@code [from, to)} (setting their gradients to {@code +0.0}), or null
     * @throws IllegalArgumentException as {@code AdamOptimizer.step} does
     */
    public static RangeTask prepare(AdamOptimizer optimizer, Parameters parameters, int step, int totalSteps) {
        return preparer.prepare(optimizer, parameters, step, totalSteps);
    }
}
