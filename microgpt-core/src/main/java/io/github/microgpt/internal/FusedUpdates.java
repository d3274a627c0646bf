package io.github.microgpt.internal;

import io.github.microgpt.internal.kernels.MatrixKernels;
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
     * The update of a model's rows, as {@link #prepare} returns it, that can also hand out the
     * update of one weight matrix's rows with the matrix's own row indices: what a backward
     * product that runs the update inside it takes ({@code MatrixKernels.matmulBackwardAndUpdate},
     * whose kernels know the matrix, not where its rows sit among the parameters'). The optimizer
     * makes that range itself, already offset to the matrix's first row, so no adapter sits
     * between the two: and since the optimizer's range is a
     * {@link MatrixKernels.GradientRange}, the kernels may hand it a slice's gradient from scratch
     * of their own instead of the model's gradient rows.
     */
    public interface Rows extends RangeTask {

        /**
         * The update of the rows {@code [firstRow, firstRow + n)} of the parameters as rows
         * {@code [0, n)} of one matrix: its {@code run(r0, r1)} is {@code run(firstRow + r0,
         * firstRow + r1)} of this update, the same arithmetic, so the same bits.
         *
         * @param firstRow the index of the matrix's first row among the parameters' rows
         * @return the update of the matrix's rows, which may also take their gradients from scratch
         */
        MatrixKernels.GradientRange<?> matrix(int firstRow);
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
