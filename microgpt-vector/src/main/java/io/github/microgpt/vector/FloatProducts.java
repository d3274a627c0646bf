package io.github.microgpt.vector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Matrix products of floats with the Vector API: {@link DoubleProducts} in single precision, with
 * fused multiply-adds ({@code float} results are not exact anyway; a fused multiply-add rounds
 * once instead of twice, and is one instruction).
 */
final class FloatProducts {

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    /** Floats per vector: 16 with AVX-512, 8 with AVX2. */
    static final int L = S.length();

    /** Terms of the sum per pass: a strip of 64 rows of four vectors is 16 KB with AVX-512. */
    static final int K_BLOCK = 64;

    private FloatProducts() {
    }

    /**
     * {@code c[r][j] += sum_k a[r][k] * x[k][j]} over {@code k} in {@code [k0, k1)}, with fused
     * multiply-adds in the order of {@code k}: rows {@code [r0, r1End)} of {@code c}, columns
     * {@code [0, width)}.
     */
    static void product(float[][] a, float[][] x, float[][] c, int r0, int r1End, int k0, int k1, int width) {
        for (int kb = k0; kb < k1; kb += K_BLOCK) {
            int ke = Math.min(k1, kb + K_BLOCK);
            for (int j = 0; j < width; j += 4 * L) {
                int je = Math.min(width, j + 4 * L);
                for (int r = r0; r < r1End; r += 4) {
                    // Past the last row, the last row again: its outputs are computed twice, the same way.
                    int r1 = Math.min(r + 1, r1End - 1);
                    int r2 = Math.min(r + 2, r1End - 1);
                    int r3 = Math.min(r + 3, r1End - 1);
                    float[] c0 = c[r];
                    float[] c1 = c[r1];
                    float[] c2 = c[r2];
                    float[] c3 = c[r3];
                    if (je - j == 4 * L) {
                        productBlock4(a[r], a[r1], a[r2], a[r3], x, kb, ke, c0, c1, c2, c3, j);
                    } else {
                        int jj = j;
                        for (; jj + L <= je; jj += L) {
                            productBlock1(a[r], a[r1], a[r2], a[r3], x, kb, ke, c0, c1, c2, c3, jj);
                        }
                        productTail(a[r], a[r1], a[r2], a[r3], x, kb, ke, c0, c1, c2, c3, jj, je);
                    }
                }
            }
        }
    }

    private static void productBlock4(float[] a0, float[] a1, float[] a2, float[] a3, float[][] x, int k0, int k1,
            float[] c0, float[] c1, float[] c2, float[] c3, int j) {
        FloatVector s00 = FloatVector.fromArray(S, c0, j);
        FloatVector s01 = FloatVector.fromArray(S, c0, j + 1 * L);
        FloatVector s02 = FloatVector.fromArray(S, c0, j + 2 * L);
        FloatVector s03 = FloatVector.fromArray(S, c0, j + 3 * L);
        FloatVector s10 = FloatVector.fromArray(S, c1, j);
        FloatVector s11 = FloatVector.fromArray(S, c1, j + 1 * L);
        FloatVector s12 = FloatVector.fromArray(S, c1, j + 2 * L);
        FloatVector s13 = FloatVector.fromArray(S, c1, j + 3 * L);
        FloatVector s20 = FloatVector.fromArray(S, c2, j);
        FloatVector s21 = FloatVector.fromArray(S, c2, j + 1 * L);
        FloatVector s22 = FloatVector.fromArray(S, c2, j + 2 * L);
        FloatVector s23 = FloatVector.fromArray(S, c2, j + 3 * L);
        FloatVector s30 = FloatVector.fromArray(S, c3, j);
        FloatVector s31 = FloatVector.fromArray(S, c3, j + 1 * L);
        FloatVector s32 = FloatVector.fromArray(S, c3, j + 2 * L);
        FloatVector s33 = FloatVector.fromArray(S, c3, j + 3 * L);
        for (int k = k0; k < k1; k++) {
            float[] xk = x[k];
            FloatVector x0 = FloatVector.fromArray(S, xk, j);
            FloatVector x1 = FloatVector.fromArray(S, xk, j + 1 * L);
            FloatVector x2 = FloatVector.fromArray(S, xk, j + 2 * L);
            FloatVector x3 = FloatVector.fromArray(S, xk, j + 3 * L);
            FloatVector b0 = FloatVector.broadcast(S, a0[k]);
            s00 = b0.fma(x0, s00);
            s01 = b0.fma(x1, s01);
            s02 = b0.fma(x2, s02);
            s03 = b0.fma(x3, s03);
            FloatVector b1 = FloatVector.broadcast(S, a1[k]);
            s10 = b1.fma(x0, s10);
            s11 = b1.fma(x1, s11);
            s12 = b1.fma(x2, s12);
            s13 = b1.fma(x3, s13);
            FloatVector b2 = FloatVector.broadcast(S, a2[k]);
            s20 = b2.fma(x0, s20);
            s21 = b2.fma(x1, s21);
            s22 = b2.fma(x2, s22);
            s23 = b2.fma(x3, s23);
            FloatVector b3 = FloatVector.broadcast(S, a3[k]);
            s30 = b3.fma(x0, s30);
            s31 = b3.fma(x1, s31);
            s32 = b3.fma(x2, s32);
            s33 = b3.fma(x3, s33);
        }
        s00.intoArray(c0, j);
        s01.intoArray(c0, j + 1 * L);
        s02.intoArray(c0, j + 2 * L);
        s03.intoArray(c0, j + 3 * L);
        s10.intoArray(c1, j);
        s11.intoArray(c1, j + 1 * L);
        s12.intoArray(c1, j + 2 * L);
        s13.intoArray(c1, j + 3 * L);
        s20.intoArray(c2, j);
        s21.intoArray(c2, j + 1 * L);
        s22.intoArray(c2, j + 2 * L);
        s23.intoArray(c2, j + 3 * L);
        s30.intoArray(c3, j);
        s31.intoArray(c3, j + 1 * L);
        s32.intoArray(c3, j + 2 * L);
        s33.intoArray(c3, j + 3 * L);
    }

    private static void productBlock1(float[] a0, float[] a1, float[] a2, float[] a3, float[][] x, int k0, int k1,
            float[] c0, float[] c1, float[] c2, float[] c3, int j) {
        FloatVector s00 = FloatVector.fromArray(S, c0, j);
        FloatVector s10 = FloatVector.fromArray(S, c1, j);
        FloatVector s20 = FloatVector.fromArray(S, c2, j);
        FloatVector s30 = FloatVector.fromArray(S, c3, j);
        for (int k = k0; k < k1; k++) {
            float[] xk = x[k];
            FloatVector x0 = FloatVector.fromArray(S, xk, j);
            FloatVector b0 = FloatVector.broadcast(S, a0[k]);
            s00 = b0.fma(x0, s00);
            FloatVector b1 = FloatVector.broadcast(S, a1[k]);
            s10 = b1.fma(x0, s10);
            FloatVector b2 = FloatVector.broadcast(S, a2[k]);
            s20 = b2.fma(x0, s20);
            FloatVector b3 = FloatVector.broadcast(S, a3[k]);
            s30 = b3.fma(x0, s30);
        }
        s00.intoArray(c0, j);
        s10.intoArray(c1, j);
        s20.intoArray(c2, j);
        s30.intoArray(c3, j);
    }

    private static void productTail(float[] a0, float[] a1, float[] a2, float[] a3, float[][] x, int k0, int k1,
            float[] c0, float[] c1, float[] c2, float[] c3, int j0, int j1) {
        for (int j = j0; j < j1; j++) {
            float s0 = c0[j];
            float s1 = c1[j];
            float s2 = c2[j];
            float s3 = c3[j];
            for (int k = k0; k < k1; k++) {
                float xj = x[k][j];
                s0 = Math.fma(a0[k], xj, s0);
                s1 = Math.fma(a1[k], xj, s1);
                s2 = Math.fma(a2[k], xj, s2);
                s3 = Math.fma(a3[k], xj, s3);
            }
            c0[j] = s0;
            c1[j] = s1;
            c2[j] = s2;
            c3[j] = s3;
        }
    }

    /**
     * {@code c[r][j] += sum_k a[k][r] * x[k][j]} over {@code k} in {@code [k0, k1)} ({@code a} read
     * down its columns), with fused multiply-adds in the order of {@code k}: rows
     * {@code [r0, r1End)} of {@code c}, columns {@code [0, width)}.
     */
    static void productTransposed(float[][] a, float[][] x, float[][] c, int r0, int r1End, int k0, int k1, int width) {
        for (int kb = k0; kb < k1; kb += K_BLOCK) {
            int ke = Math.min(k1, kb + K_BLOCK);
            for (int j = 0; j < width; j += 4 * L) {
                int je = Math.min(width, j + 4 * L);
                for (int r = r0; r < r1End; r += 4) {
                    // Past the last row, the last row again: its outputs are computed twice, the same way.
                    int r1 = Math.min(r + 1, r1End - 1);
                    int r2 = Math.min(r + 2, r1End - 1);
                    int r3 = Math.min(r + 3, r1End - 1);
                    float[] c0 = c[r];
                    float[] c1 = c[r1];
                    float[] c2 = c[r2];
                    float[] c3 = c[r3];
                    if (je - j == 4 * L) {
                        productTransposedBlock4(a, r, r1, r2, r3, x, kb, ke, c0, c1, c2, c3, j);
                    } else {
                        int jj = j;
                        for (; jj + L <= je; jj += L) {
                            productTransposedBlock1(a, r, r1, r2, r3, x, kb, ke, c0, c1, c2, c3, jj);
                        }
                        productTransposedTail(a, r, r1, r2, r3, x, kb, ke, c0, c1, c2, c3, jj, je);
                    }
                }
            }
        }
    }

    private static void productTransposedBlock4(float[][] a, int q0, int q1, int q2, int q3, float[][] x, int k0, int k1,
            float[] c0, float[] c1, float[] c2, float[] c3, int j) {
        FloatVector s00 = FloatVector.fromArray(S, c0, j);
        FloatVector s01 = FloatVector.fromArray(S, c0, j + 1 * L);
        FloatVector s02 = FloatVector.fromArray(S, c0, j + 2 * L);
        FloatVector s03 = FloatVector.fromArray(S, c0, j + 3 * L);
        FloatVector s10 = FloatVector.fromArray(S, c1, j);
        FloatVector s11 = FloatVector.fromArray(S, c1, j + 1 * L);
        FloatVector s12 = FloatVector.fromArray(S, c1, j + 2 * L);
        FloatVector s13 = FloatVector.fromArray(S, c1, j + 3 * L);
        FloatVector s20 = FloatVector.fromArray(S, c2, j);
        FloatVector s21 = FloatVector.fromArray(S, c2, j + 1 * L);
        FloatVector s22 = FloatVector.fromArray(S, c2, j + 2 * L);
        FloatVector s23 = FloatVector.fromArray(S, c2, j + 3 * L);
        FloatVector s30 = FloatVector.fromArray(S, c3, j);
        FloatVector s31 = FloatVector.fromArray(S, c3, j + 1 * L);
        FloatVector s32 = FloatVector.fromArray(S, c3, j + 2 * L);
        FloatVector s33 = FloatVector.fromArray(S, c3, j + 3 * L);
        for (int k = k0; k < k1; k++) {
            float[] ak = a[k];
            float[] xk = x[k];
            FloatVector x0 = FloatVector.fromArray(S, xk, j);
            FloatVector x1 = FloatVector.fromArray(S, xk, j + 1 * L);
            FloatVector x2 = FloatVector.fromArray(S, xk, j + 2 * L);
            FloatVector x3 = FloatVector.fromArray(S, xk, j + 3 * L);
            FloatVector b0 = FloatVector.broadcast(S, ak[q0]);
            s00 = b0.fma(x0, s00);
            s01 = b0.fma(x1, s01);
            s02 = b0.fma(x2, s02);
            s03 = b0.fma(x3, s03);
            FloatVector b1 = FloatVector.broadcast(S, ak[q1]);
            s10 = b1.fma(x0, s10);
            s11 = b1.fma(x1, s11);
            s12 = b1.fma(x2, s12);
            s13 = b1.fma(x3, s13);
            FloatVector b2 = FloatVector.broadcast(S, ak[q2]);
            s20 = b2.fma(x0, s20);
            s21 = b2.fma(x1, s21);
            s22 = b2.fma(x2, s22);
            s23 = b2.fma(x3, s23);
            FloatVector b3 = FloatVector.broadcast(S, ak[q3]);
            s30 = b3.fma(x0, s30);
            s31 = b3.fma(x1, s31);
            s32 = b3.fma(x2, s32);
            s33 = b3.fma(x3, s33);
        }
        s00.intoArray(c0, j);
        s01.intoArray(c0, j + 1 * L);
        s02.intoArray(c0, j + 2 * L);
        s03.intoArray(c0, j + 3 * L);
        s10.intoArray(c1, j);
        s11.intoArray(c1, j + 1 * L);
        s12.intoArray(c1, j + 2 * L);
        s13.intoArray(c1, j + 3 * L);
        s20.intoArray(c2, j);
        s21.intoArray(c2, j + 1 * L);
        s22.intoArray(c2, j + 2 * L);
        s23.intoArray(c2, j + 3 * L);
        s30.intoArray(c3, j);
        s31.intoArray(c3, j + 1 * L);
        s32.intoArray(c3, j + 2 * L);
        s33.intoArray(c3, j + 3 * L);
    }

    private static void productTransposedBlock1(float[][] a, int q0, int q1, int q2, int q3, float[][] x, int k0, int k1,
            float[] c0, float[] c1, float[] c2, float[] c3, int j) {
        FloatVector s00 = FloatVector.fromArray(S, c0, j);
        FloatVector s10 = FloatVector.fromArray(S, c1, j);
        FloatVector s20 = FloatVector.fromArray(S, c2, j);
        FloatVector s30 = FloatVector.fromArray(S, c3, j);
        for (int k = k0; k < k1; k++) {
            float[] ak = a[k];
            float[] xk = x[k];
            FloatVector x0 = FloatVector.fromArray(S, xk, j);
            FloatVector b0 = FloatVector.broadcast(S, ak[q0]);
            s00 = b0.fma(x0, s00);
            FloatVector b1 = FloatVector.broadcast(S, ak[q1]);
            s10 = b1.fma(x0, s10);
            FloatVector b2 = FloatVector.broadcast(S, ak[q2]);
            s20 = b2.fma(x0, s20);
            FloatVector b3 = FloatVector.broadcast(S, ak[q3]);
            s30 = b3.fma(x0, s30);
        }
        s00.intoArray(c0, j);
        s10.intoArray(c1, j);
        s20.intoArray(c2, j);
        s30.intoArray(c3, j);
    }

    private static void productTransposedTail(float[][] a, int q0, int q1, int q2, int q3, float[][] x, int k0, int k1,
            float[] c0, float[] c1, float[] c2, float[] c3, int j0, int j1) {
        for (int j = j0; j < j1; j++) {
            float s0 = c0[j];
            float s1 = c1[j];
            float s2 = c2[j];
            float s3 = c3[j];
            for (int k = k0; k < k1; k++) {
                float[] ak = a[k];
                float xj = x[k][j];
                s0 = Math.fma(ak[q0], xj, s0);
                s1 = Math.fma(ak[q1], xj, s1);
                s2 = Math.fma(ak[q2], xj, s2);
                s3 = Math.fma(ak[q3], xj, s3);
            }
            c0[j] = s0;
            c1[j] = s1;
            c2[j] = s2;
            c3[j] = s3;
        }
    }

}
