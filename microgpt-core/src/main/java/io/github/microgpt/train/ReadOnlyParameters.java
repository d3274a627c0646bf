package io.github.microgpt.train;

import io.github.microgpt.model.MatrixLayout;
import io.github.microgpt.model.Parameters;
import java.util.List;

/**
 * The view of the parameters a {@link GradientEvent} gives its listeners: nothing can be written
 * through it, and it can be read only during the listeners' calls. The trainer closes it when
 * they return, because the update then changes what it would show: a listener that kept the
 * event and read it later (from a queue, another thread, the next step) saw the next step's
 * values and zeroed gradients, a silently wrong result; now it gets an
 * {@link IllegalStateException} that says to copy what it keeps.
 */
final class ReadOnlyParameters implements Parameters {

    private final Parameters parameters;
    private final int step;
    /** Volatile: a listener may hand the event to another thread, which must see it closed. */
    private volatile boolean open = true;

    ReadOnlyParameters(Parameters parameters, int step) {
        this.parameters = parameters;
        this.step = step;
    }

    /** Ends the view: every read from now on throws. Called by the trainer after the listeners. */
    void close() {
        open = false;
    }

    private Parameters readable() {
        if (!open) {
            throw new IllegalStateException("the parameters of the GradientEvent of step " + step + " were readable"
                    + " only during the listener's call (the update has changed them since); copy what you keep"
                    + " there, with event.grads() or parameters().values()");
        }
        return parameters;
    }

    @Override
    public List<MatrixLayout> matrixLayouts() {
        // The layout does not change with the update: the names and shapes stay readable.
        return parameters.matrixLayouts();
    }

    @Override
    public int size() {
        return parameters.size();
    }

    @Override
    public double value(int i) {
        return readable().value(i);
    }

    @Override
    public void setValue(int i, double value) {
        throw new UnsupportedOperationException("a gradient listener cannot change the parameters");
    }

    @Override
    public double grad(int i) {
        return readable().grad(i);
    }

    @Override
    public void setGrad(int i, double grad) {
        throw new UnsupportedOperationException("a gradient listener cannot change the gradients");
    }

    @Override
    public double[] values() {
        return readable().values();
    }

    @Override
    public double[] grads() {
        return readable().grads();
    }

    /**
     * Says what the view is, without reading it.
     *
     * @return for example {@code ReadOnlyParameters[step 3, 4192 parameters, open]}
     */
    @Override
    public String toString() {
        return "ReadOnlyParameters[step " + step + ", " + parameters.size() + " parameters, "
                + (open ? "open" : "closed") + "]";
    }
}
