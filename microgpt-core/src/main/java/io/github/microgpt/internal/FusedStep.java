package io.github.microgpt.internal;

import io.github.microgpt.model.Parameters;

/**
 * A training step on one document whose optimizer update runs inside the backward pass: each
 * weight matrix is updated as soon as its gradient is complete and nothing later in the pass
 * reads it, by the threads that have just computed that gradient, while its rows are still in
 * their caches. The arithmetic of every parameter is the same as an update after the pass
 * (Adam is element-wise: each number's update reads only its own gradient and moments), so the
 * parameters come out bit for bit the same; only the memory traffic changes. At {@code nEmbd}
 * 256 an update after the pass reads every gradient back from main memory (the backward pass
 * wrote 25 MB of them, far more than the caches hold) and writes zeros over them; here the
 * gradient of a matrix is at most a few megabytes, still in the caches when it is used.
 *
 * <p>Offered by the parameters of a model that can run such a step ({@link Source}: the array
 * engine's).
 * The trainer uses it only when nothing needs the whole gradient before the update: no
 * gradient listener (which must see every gradient before any parameter changes) and no
 * position listener (which may throw after the pass, and then the step must not have been
 * applied). The update itself comes from the optimizer, through {@link FusedUpdates#prepare}.
 */
public interface FusedStep {

    /**
     * Computes the loss of positions {@code [first, end)} of a document and its gradient, as
     * {@code LanguageModel.lossAndGradients(tokens, first, end)} does, and runs {@code update}
     * over the rows of each weight matrix (indices of the rows of {@link ParameterRows} or
     * {@link FloatParameterRows}) as soon as that matrix's gradient is complete; at the end every
     * row has been updated once and every gradient is {@code +0.0}. If the loss is not finite,
     * no gradient is computed and nothing is updated: the caller abandons the step.
     *
     * @param tokens the document's tokens
     * @param first the first position whose loss counts
     * @param end one past the last
     * @param update updates rows {@code [from, to)} and sets their gradients to {@code +0.0};
     *     disjoint ranges may run at the same time on the model's threads
     * @return the mean loss over {@code [first, end)}
     */
    double lossGradientsAndUpdate(int[] tokens, int first, int end, RangeTask update);

    /**
     * Whether {@link #lossGradientsAndUpdate} is the faster step for the model as it is now set
     * up; when false the trainer runs the usual step, with the update after the pass (the same
     * bits either way).
     *
     * @return true to fuse
     */
    boolean fuses();

    /**
     * The fused step a model's parameters offer, if they offer one ({@link Source}) and it is the
     * faster step as the model is now set up ({@link #fuses}): what the trainer runs, and what
     * the bench asks to say where its steps run the optimizer's update.
     *
     * @param parameters a model's parameters
     * @return the step, or null to run the usual step, with the update after the pass
     */
    static FusedStep fusing(Parameters parameters) {
        if (parameters instanceof Source source) {
            FusedStep step = source.fusedStep();
            if (step != null && step.fuses()) {
                return step;
            }
        }
        return null;
    }

    /**
     * Parameters that offer their model's fused step (the array engine's): the trainer holds
     * the model and its parameters, and the model's own step with the update inside is not
     * public.
     */
    interface Source {

        /**
         * The fused step of the model these parameters belong to.
         *
         * @return the step, or null if the model has none
         */
        FusedStep fusedStep();
    }
}
