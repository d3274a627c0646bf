package io.github.microgpt.vector;

import io.github.microgpt.internal.kernels.ArrayBytes;
import java.util.LinkedHashMap;
import java.util.Map;

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
        return holds(held.length, heldCols, rows, cols) ? held
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
        return holds(held.length, heldCols, rows, cols) ? held
                : new float[Math.max(rows, held.length)][Math.max(cols, heldCols)];
    }

    /** Whether rows of the held shape serve the shape asked for ({@link #atLeast}; {@link Ledger} too). */
    private static boolean holds(long heldRows, long heldCols, long rows, long cols) {
        return heldRows >= rows && heldCols >= cols;
    }

    /**
     * The scratch a thread would hold after a sequence of requests, without allocating it: each
     * array by name, grown by {@link #atLeast}'s rule (or, for a flat array, to the longest length
     * asked), and its bytes as HotSpot lays arrays out ({@link ArrayBytes}, the rule the command
     * line's count of the rest of a model's memory uses too). {@link ScratchSizes} replays a step's
     * requests on it, so that the module answers how much memory its scratch takes
     * ({@link VectorMatrixKernels#scratchBytes}) from the same rule that grows the arrays.
     */
    static final class Ledger {
        /** By name: {@code {rows, cols, elementBytes}}; {@code rows} -1 for a flat array of {@code cols}. */
        private final Map<String, long[]> arrays = new LinkedHashMap<>();

        /**
         * {@link #atLeast} of the array {@code name}: rows of {@code elementBytes}-byte numbers,
         * grown in either direction only as far as asked, never shrunk.
         *
         * @param name the array, as the scratch holds it (one name per field)
         * @param elementBytes 8 for doubles, 4 for floats
         * @param rows the rows asked for
         * @param cols the numbers asked for in each row
         */
        void atLeast(String name, int elementBytes, long rows, long cols) {
            long[] held = arrays.computeIfAbsent(name, k -> new long[] {0, 0, elementBytes});
            // An array of no rows keeps no row length (atLeast reads held[0].length only if there is one).
            long heldCols = held[0] == 0 ? 0 : held[1];
            if (!holds(held[0], heldCols, rows, cols)) {
                held[0] = Math.max(rows, held[0]);
                held[1] = Math.max(cols, heldCols);
            }
        }

        /**
         * A flat array of {@code elementBytes}-byte elements replaced by one of {@code length}
         * when it is shorter: {@code if (a.length < length) a = new double[length]}.
         *
         * @param name the array
         * @param elementBytes 8 for doubles, 4 for floats and ints, {@link ArrayBytes#REFERENCE_BYTES} for references
         * @param length the elements asked for
         */
        void flat(String name, int elementBytes, long length) {
            long[] held = arrays.computeIfAbsent(name, k -> new long[] {-1, 0, elementBytes});
            held[1] = Math.max(held[1], length);
        }

        /**
         * The bytes of every array named so far ({@link ArrayBytes}): a flat array, or rows (an
         * array of references, and each row an array). Saturates at {@link Long#MAX_VALUE}.
         *
         * @return the bytes
         */
        long bytes() {
            long bytes = 0;
            for (long[] held : arrays.values()) {
                bytes = ArrayBytes.sum(bytes, held[0] < 0 ? ArrayBytes.array(held[1], held[2])
                        : ArrayBytes.rows(held[0], held[1], held[2]));
            }
            return bytes;
        }
    }
}
