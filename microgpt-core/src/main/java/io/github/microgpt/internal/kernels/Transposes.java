package io.github.microgpt.internal.kernels;

/**
 * The transpose of a weight matrix before a forward product ({@code wT[i][o] = w[o][i]}), shared
 * by the core's loops and the optional Vector API kernels, so that both copy the weights the same
 * fast way.
 *
 * <p>Eight rows of {@code w} are read at a time: each row of {@code wT} then gets eight
 * consecutive values per visit (a whole cache line) while the eight rows being read stay in the
 * first-level cache. One value at a time, column after column, costs two to three times as much
 * (each store touches a different row of {@code wT}).
 */
public final class Transposes {

    private Transposes() {
    }

    /**
     * Columns {@code [i0, i1)} of {@code w} into rows {@code [i0, i1)} of {@code wT}:
     * {@code wT[i][o] = w[o][i]} for every row {@code o} of {@code w}.
     *
     * @param w the matrix, {@code rows} rows of at least {@code i1} columns
     * @param wT at least {@code i1} rows of at least {@code w.length} columns, written
     * @param i0 the first column
     * @param i1 one past the last column
     */
    public static void columns(double[][] w, double[][] wT, int i0, int i1) {
        columns(w, wT, i0, i1, i0);
    }

    /**
     * Columns {@code [i0, i1)} of {@code w} into rows {@code [first, first + i1 - i0)} of
     * {@code wT}: {@code wT[first + i - i0][o] = w[o][i]}. With {@code first = 0}, a block of the
     * transpose in a buffer of its own (the core's forward product gives each thread one, see
     * {@code Kernels.matmulForward}).
     *
     * @param w the matrix, {@code rows} rows of at least {@code i1} columns
     * @param wT at least {@code first + i1 - i0} rows of at least {@code w.length} columns, written
     * @param i0 the first column
     * @param i1 one past the last column
     * @param first the row of {@code wT} that column {@code i0} goes to
     */
    public static void columns(double[][] w, double[][] wT, int i0, int i1, int first) {
        columns(w, wT, i0, i1, first, 0, w.length);
    }

    /**
     * Columns {@code [i0, i1)} of the rows {@code [o0, o1)} of {@code w} into rows
     * {@code [first, first + i1 - i0)} of {@code wT}, from column 0:
     * {@code wT[first + i - i0][o - o0] = w[o][i]}. The core's forward product gives each thread a
     * buffer of its own and a range of the weights' rows (see {@code Kernels.matmulForward}), so
     * each thread copies only the weights it multiplies by, packed at the start of the buffer's
     * rows.
     *
     * @param w the matrix, at least {@code o1} rows of at least {@code i1} columns
     * @param wT at least {@code first + i1 - i0} rows of at least {@code o1 - o0} columns, written
     * @param i0 the first column
     * @param i1 one past the last column
     * @param first the row of {@code wT} that column {@code i0} goes to
     * @param o0 the first row of {@code w}, which goes to column 0 of {@code wT}
     * @param o1 one past the last row of {@code w}
     */
    public static void columns(double[][] w, double[][] wT, int i0, int i1, int first, int o0, int o1) {
        int shift = first - i0;
        int rows = o1 - o0;
        int o = 0;
        for (; o + 7 < rows; o += 8) {
            double[] r0 = w[o0 + o];
            double[] r1 = w[o0 + o + 1];
            double[] r2 = w[o0 + o + 2];
            double[] r3 = w[o0 + o + 3];
            double[] r4 = w[o0 + o + 4];
            double[] r5 = w[o0 + o + 5];
            double[] r6 = w[o0 + o + 6];
            double[] r7 = w[o0 + o + 7];
            for (int i = i0; i < i1; i++) {
                double[] d = wT[i + shift];
                d[o] = r0[i];
                d[o + 1] = r1[i];
                d[o + 2] = r2[i];
                d[o + 3] = r3[i];
                d[o + 4] = r4[i];
                d[o + 5] = r5[i];
                d[o + 6] = r6[i];
                d[o + 7] = r7[i];
            }
        }
        for (; o < rows; o++) {
            double[] row = w[o0 + o];
            for (int i = i0; i < i1; i++) {
                wT[i + shift][o] = row[i];
            }
        }
    }

    /**
     * The single-precision twin of {@link #columns(double[][], double[][], int, int)}.
     *
     * @param w the matrix, {@code rows} rows of at least {@code i1} columns
     * @param wT at least {@code i1} rows of at least {@code w.length} columns, written
     * @param i0 the first column
     * @param i1 one past the last column
     */
    public static void columns(float[][] w, float[][] wT, int i0, int i1) {
        columns(w, wT, i0, i1, i0);
    }

    /**
     * The single-precision twin of {@link #columns(double[][], double[][], int, int, int)}.
     *
     * @param w the matrix, {@code rows} rows of at least {@code i1} columns
     * @param wT at least {@code first + i1 - i0} rows of at least {@code w.length} columns, written
     * @param i0 the first column
     * @param i1 one past the last column
     * @param first the row of {@code wT} that column {@code i0} goes to
     */
    public static void columns(float[][] w, float[][] wT, int i0, int i1, int first) {
        columns(w, wT, i0, i1, first, 0, w.length);
    }

    /**
     * Columns {@code [i0, i1)} of the rows {@code [o0, o1)} of {@code w} into rows
     * {@code [first, first + i1 - i0)} of {@code wT}, from column 0:
     * {@code wT[first + i - i0][o - o0] = w[o][i]}; the single-precision twin of
     * {@link #columns(double[][], double[][], int, int, int, int, int)} (see there why).
     *
     * @param w the matrix, at least {@code o1} rows of at least {@code i1} columns
     * @param wT at least {@code first + i1 - i0} rows of at least {@code o1 - o0} columns, written
     * @param i0 the first column
     * @param i1 one past the last column
     * @param first the row of {@code wT} that column {@code i0} goes to
     * @param o0 the first row of {@code w}, which goes to column 0 of {@code wT}
     * @param o1 one past the last row of {@code w}
     */
    public static void columns(float[][] w, float[][] wT, int i0, int i1, int first, int o0, int o1) {
        int shift = first - i0;
        int rows = o1 - o0;
        int o = 0;
        for (; o + 7 < rows; o += 8) {
            float[] r0 = w[o0 + o];
            float[] r1 = w[o0 + o + 1];
            float[] r2 = w[o0 + o + 2];
            float[] r3 = w[o0 + o + 3];
            float[] r4 = w[o0 + o + 4];
            float[] r5 = w[o0 + o + 5];
            float[] r6 = w[o0 + o + 6];
            float[] r7 = w[o0 + o + 7];
            for (int i = i0; i < i1; i++) {
                float[] d = wT[i + shift];
                d[o] = r0[i];
                d[o + 1] = r1[i];
                d[o + 2] = r2[i];
                d[o + 3] = r3[i];
                d[o + 4] = r4[i];
                d[o + 5] = r5[i];
                d[o + 6] = r6[i];
                d[o + 7] = r7[i];
            }
        }
        for (; o < rows; o++) {
            float[] row = w[o0 + o];
            for (int i = i0; i < i1; i++) {
                wT[i + shift][o] = row[i];
            }
        }
    }
}
