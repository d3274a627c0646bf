package io.github.microgpt.testing;

/**
 * Copies and conversions of row-major matrices ({@code double[][]}, {@code float[][]}) for the
 * kernel tests, which run the same inputs through two versions of a loop and compare the outputs.
 */
public final class Matrices {

    private Matrices() {
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
