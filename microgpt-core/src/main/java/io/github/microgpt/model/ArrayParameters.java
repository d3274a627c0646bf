package io.github.microgpt.model;

import java.util.List;

/**
 * Parameters stored as two flat arrays, one of values and one of gradients, in the order of
 * {@link ParameterMatrix} (matrix by matrix, row by row): the storage of {@link ArrayGptModel}.
 *
 * <p>Besides the element-wise {@link Parameters} view, it hands out the arrays themselves
 * ({@link #valueArray()}, {@link #gradArray()}), so that code which updates every parameter,
 * such as {@link io.github.microgpt.optim.AdamOptimizer}, can run one tight loop over them
 * instead of four interface calls per parameter. Those loops are what the JIT compiles into
 * vector instructions.
 */
public final class ArrayParameters implements Parameters {

    private final List<ParameterMatrix> matrices;
    private final double[] values;
    private final double[] grads;

    /**
     * Wraps arrays of values and gradients.
     *
     * @param matrices the matrices, in order, whose sizes add up to the arrays' length
     * @param values the values (kept, not copied)
     * @param grads the gradients (kept, not copied), as long as {@code values}
     * @throws IllegalArgumentException if the lengths do not match the matrices
     */
    ArrayParameters(List<ParameterMatrix> matrices, double[] values, double[] grads) {
        int size = 0;
        for (ParameterMatrix m : matrices) {
            size += m.size();
        }
        if (values.length != size || grads.length != size) {
            throw new IllegalArgumentException("the matrices hold " + size + " parameters but the arrays "
                    + values.length + " and " + grads.length);
        }
        this.matrices = List.copyOf(matrices);
        this.values = values;
        this.grads = grads;
    }

    @Override
    public List<ParameterMatrix> matrices() {
        return matrices;
    }

    @Override
    public int size() {
        return values.length;
    }

    @Override
    public double value(int i) {
        return values[i];
    }

    @Override
    public void setValue(int i, double value) {
        values[i] = value;
    }

    @Override
    public double grad(int i) {
        return grads[i];
    }

    @Override
    public void setGrad(int i, double grad) {
        grads[i] = grad;
    }

    @Override
    public double[] values() {
        return values.clone();
    }

    @Override
    public double[] grads() {
        return grads.clone();
    }

    /**
     * The values themselves, not a copy: writing to the array changes the model.
     *
     * @return the live array of {@link #size()} values
     */
    public double[] valueArray() {
        return values;
    }

    /**
     * The gradients themselves, not a copy: the model adds to this array, and an optimizer
     * reads it and sets it back to 0.
     *
     * @return the live array of {@link #size()} gradients
     */
    public double[] gradArray() {
        return grads;
    }
}
