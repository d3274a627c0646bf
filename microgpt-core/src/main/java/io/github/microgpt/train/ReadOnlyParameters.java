package io.github.microgpt.train;

import io.github.microgpt.model.ParameterMatrix;
import io.github.microgpt.model.Parameters;
import java.util.List;

/** A view of parameters through which nothing can be written, for {@link GradientEvent}. */
record ReadOnlyParameters(Parameters parameters) implements Parameters {

    @Override
    public List<ParameterMatrix> matrices() {
        return parameters.matrices();
    }

    @Override
    public int size() {
        return parameters.size();
    }

    @Override
    public double value(int i) {
        return parameters.value(i);
    }

    @Override
    public void setValue(int i, double value) {
        throw new UnsupportedOperationException("a gradient listener cannot change the parameters");
    }

    @Override
    public double grad(int i) {
        return parameters.grad(i);
    }

    @Override
    public void setGrad(int i, double grad) {
        throw new UnsupportedOperationException("a gradient listener cannot change the gradients");
    }

    @Override
    public double[] values() {
        return parameters.values();
    }

    @Override
    public double[] grads() {
        return parameters.grads();
    }
}
