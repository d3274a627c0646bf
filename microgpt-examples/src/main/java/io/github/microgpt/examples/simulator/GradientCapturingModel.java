package io.github.microgpt.examples.simulator;

import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.LanguageModel;
import io.github.microgpt.model.Parameters;

/**
 * A {@link LanguageModel} that passes every call on to another and keeps a copy of the gradients
 * each training step computed.
 *
 * <p>Why it is needed: a {@code Trainer} computes the gradients in
 * {@link LanguageModel#lossAndGradients} and hands them at once to the optimizer, which uses them
 * and sets them back to 0 before the trainer's {@code onStep} listeners run. The simulator wants
 * to show them, so it slips this wrapper between the trainer and the model: it sees the gradients
 * in the moment between the backward pass and the update. It changes no number.
 *
 * <p>Used from the one thread that trains; {@link #lastGradients()} is read on that thread too.
 */
final class GradientCapturingModel implements LanguageModel {

    private final LanguageModel delegate;
    private double[] lastGradients;

    /**
     * Wraps a model.
     *
     * @param delegate the model that does the work
     */
    GradientCapturingModel(LanguageModel delegate) {
        this.delegate = delegate;
        this.lastGradients = new double[delegate.numParameters()];
    }

    @Override
    public GptConfig config() {
        return delegate.config();
    }

    @Override
    public int vocabSize() {
        return delegate.vocabSize();
    }

    @Override
    public Parameters parameters() {
        return delegate.parameters();
    }

    @Override
    public Sequence newSequence() {
        return delegate.newSequence();
    }

    @Override
    public double lossAndGradients(int[] tokens, int first, int end, PositionObserver observer) {
        double loss = delegate.lossAndGradients(tokens, first, end, observer);
        lastGradients = delegate.parameters().grads();
        return loss;
    }

    /**
     * The gradients of the most recent training step, before the optimizer used and cleared them.
     *
     * @return the array itself (a new one is made for every step, so it never changes afterwards);
     *     all zeros before the first step
     */
    double[] lastGradients() {
        return lastGradients;
    }
}
