package io.github.microgpt.internal.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link Transposes}: a block of columns of a range of the rows of {@code w} lands packed at the
 * start of the rows of {@code wT}, {@code wT[first + i - i0][o - o0] = w[o][i]}, and nothing else
 * of {@code wT} is written. Ranges of rows that are and are not multiples of the eight rows read
 * at a time, starting anywhere.
 */
class TransposesTest {

    private static final int ROWS = 29;
    private static final int COLS = 13;

    @Test
    void aRangeOfRowsLandsPackedAndTheRestIsUntouched() {
        SplittableRandom random = new SplittableRandom(5);
        double[][] w = new double[ROWS][COLS];
        float[][] wf = new float[ROWS][COLS];
        for (int o = 0; o < ROWS; o++) {
            for (int i = 0; i < COLS; i++) {
                w[o][i] = random.nextDouble();
                wf[o][i] = (float) w[o][i];
            }
        }
        int[][] ranges = {{0, ROWS}, {3, 11}, {8, 24}, {5, 6}, {13, 29}, {0, 8}};
        for (int[] range : ranges) {
            int o0 = range[0];
            int o1 = range[1];
            int i0 = 2;
            int i1 = 11;
            int first = 1;
            double[][] wT = new double[first + i1 - i0 + 1][ROWS + 2];
            float[][] wTf = new float[first + i1 - i0 + 1][ROWS + 2];
            for (int j = 0; j < wT.length; j++) {
                java.util.Arrays.fill(wT[j], -1.0);
                java.util.Arrays.fill(wTf[j], -1f);
            }
            Transposes.columns(w, wT, i0, i1, first, o0, o1);
            Transposes.columns(wf, wTf, i0, i1, first, o0, o1);
            for (int j = 0; j < wT.length; j++) {
                for (int k = 0; k < wT[j].length; k++) {
                    int i = j - first + i0;
                    int o = k + o0;
                    boolean written = j >= first && i < i1 && o < o1;
                    String at = "rows [" + o0 + ", " + o1 + "): wT[" + j + "][" + k + "]";
                    assertEquals(written ? w[o][i] : -1.0, wT[j][k], at);
                    assertEquals(written ? wf[o][i] : -1f, wTf[j][k], at + " (floats)");
                }
            }
        }
    }
}
