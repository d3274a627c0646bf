package io.github.microgpt.model;

import io.github.microgpt.internal.ModelChecks;

/**
 * Softmax over plain doubles, with the same arithmetic, in the same order, as
 * {@link ValueOps#softmax(io.github.microgpt.autograd.Value[])} does on {@code Value}s, so that
 * generation from plain logits gives the very same probabilities as {@code microgpt.py}. It is
 * the library's only softmax over doubles: the array engine uses it too.
 */
public final class Softmax {

    private Softmax() {
    }

    /**
     * Probabilities from logits: {@code e_i = exp(z_i - max z)}, {@code p_i = e_i * total^-1}
     * where {@code total} is the left-to-right sum {@code 0 + e_0 + e_1 + ...}.
     *
     * @param logits the logits; not empty
     * @return a new array of probabilities
     */
    public static double[] softmax(double[] logits) {
        double[] probabilities = logits.clone();
        inPlace(probabilities, 0, probabilities.length);
        return probabilities;
    }

    /**
     * The softmax of {@code z[from .. to-1]}, written over it: the one softmax of the library,
     * used by {@link #softmax(double[])} and by {@link ArrayGptModel} for its logits and its
     * attention weights.
     */
    static void inPlace(double[] z, int from, int to) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = from; i < to; i++) {
            max = Math.max(max, z[i]);
        }
        double total = 0.0;
        for (int i = from; i < to; i++) {
            double e = Math.exp(z[i] + -max);
            z[i] = e;
            total += e;
        }
        double inverse = Math.pow(total, -1);
        for (int i = from; i < to; i++) {
            z[i] *= inverse;
        }
    }

    /**
     * Probabilities from logits scaled by a temperature: {@code softmax(z / T)}, where the
     * division is {@code z * pow(T, -1)} as in the Python. A temperature below 1 sharpens the
     * distribution (more likely tokens become even more likely); above 1 flattens it.
     *
     * @param logits the logits; not empty
     * @param temperature positive and finite
     * @return a new array of probabilities
     * @throws IllegalArgumentException if the temperature is not positive and finite
     */
    public static double[] softmax(double[] logits, double temperature) {
        ModelChecks.temperature(temperature);
        double inverse = Math.pow(temperature, -1);
        double[] scaled = new double[logits.length];
        for (int i = 0; i < logits.length; i++) {
            scaled[i] = logits[i] * inverse;
        }
        return softmax(scaled);
    }
}
