package io.github.microgpt.model;

import java.util.List;
import java.util.Objects;

/**
 * The trainable numbers of a model as one flat list, each with its current value and the
 * gradient of the loss with respect to it; what an optimizer reads and updates.
 *
 * <p>The order is that of {@code microgpt.py}'s {@code params}: matrix by matrix in
 * {@link #matrixLayouts()} order (the model's {@link ParameterLayout}), row by row within each. Every
 * engine exposes its parameters through this view, whatever it stores inside: the view speaks
 * doubles, and an {@link Precision#F32} model reads each of its floats widened exactly and
 * rounds a value or gradient written to the nearest float.
 *
 * <p>A flat index outside {@code [0, size())} is refused with an
 * {@link IndexOutOfBoundsException}. Not thread-safe: the parameters belong to their model, and
 * are changed from one thread at a time, while nothing else uses the model (threads that only
 * read them may do so together, see {@link LanguageModel}).
 */
public interface Parameters {

    /**
     * Where each matrix sits in the flat list, in order: the names, shapes and offsets (not the
     * numbers, which {@link #value(int)} and {@link #grad(int)} give).
     *
     * @return an unmodifiable list
     */
    List<MatrixLayout> matrixLayouts();

    /**
     * The number of parameters.
     *
     * @return the sum of the matrices' sizes
     */
    int size();

    /**
     * The value of parameter {@code i}.
     *
     * @param i the flat index, in {@code [0, size())}
     * @return its value
     * @throws IndexOutOfBoundsException if {@code i} is outside {@code [0, size())}
     */
    double value(int i);

    /**
     * Replaces the value of parameter {@code i}.
     *
     * @param i the flat index, in {@code [0, size())}
     * @param value the new value; an f32 model rounds it to the nearest float
     * @throws IndexOutOfBoundsException if {@code i} is outside {@code [0, size())}
     * @throws IllegalArgumentException if the model keeps its weights as floats (f32) and
     *     {@code value} is finite but beyond a float's range (it would become infinity); the
     *     weight is then unchanged
     */
    void setValue(int i, double value);

    /**
     * The gradient accumulated for parameter {@code i} since it was last reset.
     *
     * @param i the flat index, in {@code [0, size())}
     * @return the gradient
     * @throws IndexOutOfBoundsException if {@code i} is outside {@code [0, size())}
     */
    double grad(int i);

    /**
     * Replaces the gradient of parameter {@code i}, typically with 0 after an update.
     *
     * @param i the flat index, in {@code [0, size())}
     * @param grad the new gradient
     * @throws IndexOutOfBoundsException if {@code i} is outside {@code [0, size())}
     * @throws IllegalArgumentException if the model keeps its gradients as floats (f32) and
     *     {@code grad} is finite but beyond a float's range (it would become infinity); the
     *     gradient is then unchanged
     */
    void setGrad(int i, double grad);

    /**
     * Where the matrix with a given name sits: its shape and offset, to index {@link #value(int)}
     * and {@link #grad(int)} with {@link MatrixLayout#index(int, int)}.
     *
     * @param name for example {@code "wte"} or {@code "layer0.mlp_fc1"}
     * @return the matrix's layout
     * @throws IllegalArgumentException if there is no matrix of that name
     */
    default MatrixLayout matrixLayout(String name) {
        Objects.requireNonNull(name, "name");
        for (MatrixLayout matrix : matrixLayouts()) {
            if (matrix.name().equals(name)) {
                return matrix;
            }
        }
        throw new IllegalArgumentException("no parameter matrix is named \"" + name + "\"");
    }

    /**
     * A copy of all values, in order.
     *
     * @return a new array of {@link #size()} values
     */
    default double[] values() {
        double[] values = new double[size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = value(i);
        }
        return values;
    }

    /**
     * A copy of all gradients, in order.
     *
     * @return a new array of {@link #size()} gradients
     */
    default double[] grads() {
        double[] grads = new double[size()];
        for (int i = 0; i < grads.length; i++) {
            grads[i] = grad(i);
        }
        return grads;
    }
}
