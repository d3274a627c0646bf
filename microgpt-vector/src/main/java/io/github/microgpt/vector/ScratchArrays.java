package io.github.microgpt.vector;

/**
 * Growing the kernels' per-thread scratch (copies and panels of the operands), which is kept
 * between products and only ever grows: the same few arrays serve every product of a step, so a
 * step allocates nothing once the largest product has run.
 */
final class ScratchArrays {

    private ScratchArrays() {
    }

    /**
     * {@code held} if it has at least {@code rows} rows of at least {@code cols} numbers, else a
     * new array of zeros large enough for both {@code held}'s shape and the one asked for (never
     * smaller in either direction, so that sizes asked in turn do not make it shrink and grow
     * again).
     *
     * @param held the array held so far (rows of equal length; no rows at first)
     * @param rows the rows needed
     * @param cols the numbers needed in each row
     * @return {@code held}, or a larger array that the caller is to hold from now on
     */
    static double[][] atLeast(double[][] held, int rows, int cols) {
        int heldCols = held.length == 0 ? 0 : held[0].length;
        return held.length >= rows && heldCols >= cols ? held
                : new double[Math.max(rows, held.length)][Math.max(cols, heldCols)];
    }

    /**
     * {@link #atLeast(double[][], int, int)} in single precision.
     *
     * @param held the array held so far (rows of equal length; no rows at first)
     * @param rows the rows needed
     * @param cols the numbers needed in each row
     * @return {@code held}, or a larger array that the caller is to hold from now on
     */
    static float[][] atLeast(float[][] held, int rows, int cols) {
        int heldCols = held.length == 0 ? 0 : held[0].length;
        return held.length >= rows && heldCols >= cols ? held
                : new float[Math.max(rows, held.length)][Math.max(cols, heldCols)];
    }
}
