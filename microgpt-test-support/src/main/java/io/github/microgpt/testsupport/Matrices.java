package io.github.microgpt.testsupport;

import java.util.Random;
import java.util.random.RandomGenerator;

/**
 * Random, copied and converted row-major matrices ({@code double[][]}, {@code float[][]}) for the
 * kernel tests, which run the same inputs through two versions of a loop and compare the outputs
 * (with {@link Bits}). Shared here by the core's and the Vector API module's tests.
 */
public final class Matrices {

    private Matrices() {
    }

    /**
     * A {@code rows x cols} matrix of standard normal draws, row by row: the same numbers for the
     * same state of {@code random}, on every JDK ({@link Random}'s algorithm is fixed by its
     * Javadoc).
     *
     * @param random where the numbers come from
     * @param rows how many rows
     * @param cols how many numbers a row
     * @return the new matrix
     */
    public static double[][] gaussian(Random random, int rows, int cols) {
        double[][] m = new double[rows][cols];
        for (double[] row : m) {
            for (int i = 0; i < cols; i++) {
                row[i] = random.nextGaussian();
            }
        }
        return m;
    }

    /**
     * A {@code rows x cols} matrix of standard normal draws rounded to floats, row by row: the
     * floats of {@link #gaussian} for the same state of {@code random}.
     *
     * @param random where the numbers come from
     * @param rows how many rows
     * @param cols how many numbers a row
     * @return the new matrix
     */
    public static float[][] gaussianFloats(Random random, int rows, int cols) {
        float[][] m = new float[rows][cols];
        for (float[] row : m) {
            for (int i = 0; i < cols; i++) {
                row[i] = (float) random.nextGaussian();
            }
        }
        return m;
    }

    /**
     * A {@code rows x cols} matrix of numbers drawn uniformly from {@code (-range, range)}, row by
     * row, each {@code range * (random.nextDouble() * 2 - 1)}: the same numbers for the same state
     * of {@code random} (a {@link java.util.SplittableRandom} for the kernel tests, whose
     * {@code nextDouble} is fixed by its algorithm).
     *
     * @param random where the numbers come from
     * @param rows how many rows
     * @param cols how many numbers a row
     * @param range the largest magnitude (not reached)
     * @return the new matrix
     */
    public static double[][] uniform(RandomGenerator random, int rows, int cols, double range) {
        double[][] m = new double[rows][cols];
        for (double[] row : m) {
            for (int i = 0; i < cols; i++) {
                row[i] = range * (random.nextDouble() * 2 - 1);
            }
        }
        return m;
    }

    /**
     * A {@code rows x cols} matrix of the numbers of {@link #uniform} rounded to floats, for the
     * same state of {@code random}.
     *
     * @param random where the numbers come from
     * @param rows how many rows
     * @param cols how many numbers a row
     * @param range the largest magnitude (not reached, before rounding)
     * @return the new matrix
     */
    public static float[][] uniformFloats(RandomGenerator random, int rows, int cols, double range) {
        return toFloat(uniform(random, rows, cols, range));
    }

    /** A deep copy: new rows with the same numbers. */
    public static double[][] copy(double[][] a) {
        double[][] b = new double[a.length][];
        for (int r = 0; r < a.length; r++) {
            b[r] = a[r].clone();
        }
        return b;
    }

    /** A deep copy: new rows with the same numbers. */
    public static float[][] copy(float[][] a) {
        float[][] b = new float[a.length][];
        for (int r = 0; r < a.length; r++) {
            b[r] = a[r].clone();
        }
        return b;
    }

    /** Each number rounded to the nearest float. */
    public static float[][] toFloat(double[][] a) {
        float[][] b = new float[a.length][];
        for (int r = 0; r < a.length; r++) {
            b[r] = new float[a[r].length];
            for (int i = 0; i < a[r].length; i++) {
                b[r][i] = (float) a[r][i];
            }
        }
        return b;
    }

    /** Each float widened to a double, exactly. */
    public static double[][] toDouble(float[][] a) {
        double[][] b = new double[a.length][];
        for (int r = 0; r < a.length; r++) {
            b[r] = new double[a[r].length];
            for (int i = 0; i < a[r].length; i++) {
                b[r][i] = a[r][i];
            }
        }
        return b;
    }
}
