package io.github.microgpt.model;

import io.github.microgpt.internal.ModelChecks;
import java.util.Objects;

/**
 * Softmax over plain doubles, with the same arithmetic, in the same order, as
 * {@link ValueOps#softmax(io.github.microgpt.autograd.Value[]) ValueOps.softmax} does on
 * {@code Value}s, so that generation from plain logits gives the very same probabilities as
 * {@code microgpt.py}. It is the library's only softmax over doubles: the array engine uses it
 * too.
 */
public final class Softmax {

    private Softmax() {
    }

    /**
     * Probabilities from logits: {@code e_i = exp(z_i - max z)}, {@code p_i = e_i * total^-1}
     * where {@code total} is the left-to-right sum {@code 0 + e_0 + e_1 + ...}.
     *
     * <p>The logits must be finite: with an infinite one, {@code z_i - max z} is
     * {@code Infinity - Infinity}, which is NaN, and every probability would come out NaN.
     *
     * @param logits the logits; not empty, every one finite
     * @return a new array of probabilities
     * @throws IllegalArgumentException if there are no logits, or a logit is NaN or infinite
     *     (naming its index and value)
     */
    public static double[] softmax(double[] logits) {
        requireFinite(logits, "logits");
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
     * <p>A temperature so small that {@code z / T} overflows (for example {@code 1e-310}) gives
     * the limit of the softmax as {@code T} goes to 0: all the weight on the largest logit, shared
     * equally between ties, rather than the NaNs that {@code Infinity - Infinity} would make.
     *
     * @param logits the logits; not empty, every one finite
     * @param temperature positive and finite
     * @return a new array of probabilities
     * @throws IllegalArgumentException if the temperature is not positive and finite, if there
     *     are no logits, or if a logit is NaN or infinite (naming its index and value)
     */
    public static double[] softmax(double[] logits, double temperature) {
        ModelChecks.temperature(temperature);
        requireFinite(logits, "logits");
        double inverse = Math.pow(temperature, -1);
        double[] scaled = new double[logits.length];
        for (int i = 0; i < logits.length; i++) {
            scaled[i] = logits[i] * inverse;
        }
        double max = Double.NEGATIVE_INFINITY;
        for (double z : scaled) {
            max = Math.max(max, z);
        }
        if (!Double.isFinite(max)) {
            // An overflow: +Infinity, or NaN from 0 * Infinity when 1 / T itself overflows.
            return coldLimit(logits);
        }
        inPlace(scaled, 0, scaled.length);
        return scaled;
    }

    /** The softmax's limit as the temperature goes to 0: the largest logits share the weight. */
    private static double[] coldLimit(double[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (double logit : logits) {
            max = Math.max(max, logit);
        }
        int ties = 0;
        for (double logit : logits) {
            if (logit == max) {
                ties++;
            }
        }
        double[] limit = new double[logits.length];
        for (int i = 0; i < logits.length; i++) {
            limit[i] = logits[i] == max ? 1.0 / ties : 0.0;
        }
        return limit;
    }

    /**
     * Refuses no logits at all (there is no distribution over nothing) and a non-finite entry,
     * which would turn every probability into NaN.
     */
    private static void requireFinite(double[] z, String what) {
        Objects.requireNonNull(z, what);
        if (z.length == 0) {
            throw new IllegalArgumentException(what + " is empty; a softmax needs at least one logit");
        }
        for (int i = 0; i < z.length; i++) {
            if (!Double.isFinite(z[i])) {
                throw new IllegalArgumentException(what + "[" + i + "] is " + z[i]
                        + "; a softmax needs finite logits (an infinite one makes every probability NaN)");
            }
        }
    }
}
