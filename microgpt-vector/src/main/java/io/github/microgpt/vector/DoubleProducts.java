package io.github.microgpt.vector;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Matrix products of doubles with the Vector API: {@code c[r] += sum_k a(r, k) * x[k]}, the rows
 * of {@code c} and {@code x} taken {@link #L} doubles at a time (one vector register).
 *
 * <p><b>Register blocking.</b> The C2 loops of the core read and write the output row from memory
 * for every few terms of the sum; here a block of four rows times four vectors of {@code c} (16
 * registers) stays in registers while {@code k} runs, and each vector of {@code x} loaded feeds
 * four multiply-adds. The terms are taken {@link #K_BLOCK} at a time, so that the strip of
 * {@code x} being read stays in the first-level cache while every block of rows goes over it;
 * each output still receives its terms in the order of {@code k}.
 *
 * <p><b>Edges.</b> Columns past the last whole block go one vector at a time, then one by one;
 * rows past the last whole block of four repeat the last row, whose outputs are then computed
 * twice, in the same way, and stored twice. So every output gets the same operations whichever
 * block it falls in, and the results do not depend on how the rows are shared out between
 * threads.
 */
final class DoubleProducts {

    static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;

    /** Doubles per vector: 8 with AVX-512, 4 with AVX2. */
    static final int L = S.length();

    /** Terms of the sum per pass: a strip of 64 rows of four vectors is 16 KB with AVX-512. */
    static final int K_BLOCK = 64;

    private DoubleProducts() {
    }

    /**
     * {@code c[r][j] = c[r][j] + a[r][k] * x[k][j]} for {@code k} from {@code k0} up to {@code k1},
     * in that order, each product rounded before it is added: the left fold of the {@code Value}
     * engine, lane by lane. Rows {@code [r0, r1End)} of {@code c}, columns {@code [0, width)}.
     */
    static void productExact(double[][] a, double[][] x, double[][] c, int r0, int r1End, int k0, int k1, int width) {
        for (int kb = k0; kb < k1; kb += K_BLOCK) {
            int ke = Math.min(k1, kb + K_BLOCK);
            for (int j = 0; j < width; j += 4 * L) {
                int je = Math.min(width, j + 4 * L);
                for (int r = r0; r < r1End; r += 4) {
                    // Past the last row, the last row again: its outputs are computed twice, the same way.
                    int r1 = Math.min(r + 1, r1End - 1);
                    int r2 = Math.min(r + 2, r1End - 1);
                    int r3 = Math.min(r + 3, r1End - 1);
                    double[] c0 = c[r];
                    double[] c1 = c[r1];
                    double[] c2 = c[r2];
                    double[] c3 = c[r3];
                    if (je - j == 4 * L) {
                        productExactBlock4(a[r], a[r1], a[r2], a[r3], x, kb, ke, c0, c1, c2, c3, j);
                    } else {
                        int jj = j;
                        for (; jj + L <= je; jj += L) {
                            productExactBlock1(a[r], a[r1], a[r2], a[r3], x, kb, ke, c0, c1, c2, c3, jj);
                        }
                        productExactTail(a[r], a[r1], a[r2], a[r3], x, kb, ke, c0, c1, c2, c3, jj, je);
                    }
                }
            }
        }
    }

    private static void productExactBlock4(double[] a0, double[] a1, double[] a2, double[] a3, double[][] x, int k0, int k1,
            double[] c0, double[] c1, double[] c2, double[] c3, int j) {
        DoubleVector s00 = DoubleVector.fromArray(S, c0, j);
        DoubleVector s01 = DoubleVector.fromArray(S, c0, j + 1 * L);
        DoubleVector s02 = DoubleVector.fromArray(S, c0, j + 2 * L);
        DoubleVector s03 = DoubleVector.fromArray(S, c0, j + 3 * L);
        DoubleVector s10 = DoubleVector.fromArray(S, c1, j);
        DoubleVector s11 = DoubleVector.fromArray(S, c1, j + 1 * L);
        DoubleVector s12 = DoubleVector.fromArray(S, c1, j + 2 * L);
        DoubleVector s13 = DoubleVector.fromArray(S, c1, j + 3 * L);
        DoubleVector s20 = DoubleVector.fromArray(S, c2, j);
        DoubleVector s21 = DoubleVector.fromArray(S, c2, j + 1 * L);
        DoubleVector s22 = DoubleVector.fromArray(S, c2, j + 2 * L);
        DoubleVector s23 = DoubleVector.fromArray(S, c2, j + 3 * L);
        DoubleVector s30 = DoubleVector.fromArray(S, c3, j);
        DoubleVector s31 = DoubleVector.fromArray(S, c3, j + 1 * L);
        DoubleVector s32 = DoubleVector.fromArray(S, c3, j + 2 * L);
        DoubleVector s33 = DoubleVector.fromArray(S, c3, j + 3 * L);
        for (int k = k0; k < k1; k++) {
            double[] xk = x[k];
            DoubleVector x0 = DoubleVector.fromArray(S, xk, j);
            DoubleVector x1 = DoubleVector.fromArray(S, xk, j + 1 * L);
            DoubleVector x2 = DoubleVector.fromArray(S, xk, j + 2 * L);
            DoubleVector x3 = DoubleVector.fromArray(S, xk, j + 3 * L);
            DoubleVector b0 = DoubleVector.broadcast(S, a0[k]);
            s00 = s00.add(b0.mul(x0));
            s01 = s01.add(b0.mul(x1));
            s02 = s02.add(b0.mul(x2));
            s03 = s03.add(b0.mul(x3));
            DoubleVector b1 = DoubleVector.broadcast(S, a1[k]);
            s10 = s10.add(b1.mul(x0));
            s11 = s11.add(b1.mul(x1));
            s12 = s12.add(b1.mul(x2));
            s13 = s13.add(b1.mul(x3));
            DoubleVector b2 = DoubleVector.broadcast(S, a2[k]);
            s20 = s20.add(b2.mul(x0));
            s21 = s21.add(b2.mul(x1));
            s22 = s22.add(b2.mul(x2));
            s23 = s23.add(b2.mul(x3));
            DoubleVector b3 = DoubleVector.broadcast(S, a3[k]);
            s30 = s30.add(b3.mul(x0));
            s31 = s31.add(b3.mul(x1));
            s32 = s32.add(b3.mul(x2));
            s33 = s33.add(b3.mul(x3));
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

    private static void productExactBlock1(double[] a0, double[] a1, double[] a2, double[] a3, double[][] x, int k0, int k1,
            double[] c0, double[] c1, double[] c2, double[] c3, int j) {
        DoubleVector s00 = DoubleVector.fromArray(S, c0, j);
        DoubleVector s10 = DoubleVector.fromArray(S, c1, j);
        DoubleVector s20 = DoubleVector.fromArray(S, c2, j);
        DoubleVector s30 = DoubleVector.fromArray(S, c3, j);
        for (int k = k0; k < k1; k++) {
            double[] xk = x[k];
            DoubleVector x0 = DoubleVector.fromArray(S, xk, j);
            DoubleVector b0 = DoubleVector.broadcast(S, a0[k]);
            s00 = s00.add(b0.mul(x0));
            DoubleVector b1 = DoubleVector.broadcast(S, a1[k]);
            s10 = s10.add(b1.mul(x0));
            DoubleVector b2 = DoubleVector.broadcast(S, a2[k]);
            s20 = s20.add(b2.mul(x0));
            DoubleVector b3 = DoubleVector.broadcast(S, a3[k]);
            s30 = s30.add(b3.mul(x0));
        }
        s00.intoArray(c0, j);
        s10.intoArray(c1, j);
        s20.intoArray(c2, j);
        s30.intoArray(c3, j);
    }

    private static void productExactTail(double[] a0, double[] a1, double[] a2, double[] a3, double[][] x, int k0, int k1,
            double[] c0, double[] c1, double[] c2, double[] c3, int j0, int j1) {
        for (int j = j0; j < j1; j++) {
            double s0 = c0[j];
            double s1 = c1[j];
            double s2 = c2[j];
            double s3 = c3[j];
            for (int k = k0; k < k1; k++) {
                double xj = x[k][j];
                s0 = s0 + a0[k] * xj;
                s1 = s1 + a1[k] * xj;
                s2 = s2 + a2[k] * xj;
                s3 = s3 + a3[k] * xj;
            }
            c0[j] = s0;
            c1[j] = s1;
            c2[j] = s2;
            c3[j] = s3;
        }
    }

    /**
     * {@code c[r][j] += sum_k a[r][k] * x[k][j]} over {@code k} in {@code [k0, k1)}, with fused
     * multiply-adds in the order of {@code k}: rows {@code [r0, r1End)} of {@code c}, columns
     * {@code [0, width)}.
     */
    static void product(double[][] a, double[][] x, double[][] c, int r0, int r1End, int k0, int k1, int width) {
        for (int kb = k0; kb < k1; kb += K_BLOCK) {
            int ke = Math.min(k1, kb + K_BLOCK);
            for (int j = 0; j < width; j += 4 * L) {
                int je = Math.min(width, j + 4 * L);
                for (int r = r0; r < r1End; r += 4) {
                    // Past the last row, the last row again: its outputs are computed twice, the same way.
                    int r1 = Math.min(r + 1, r1End - 1);
                    int r2 = Math.min(r + 2, r1End - 1);
                    int r3 = Math.min(r + 3, r1End - 1);
                    double[] c0 = c[r];
                    double[] c1 = c[r1];
                    double[] c2 = c[r2];
                    double[] c3 = c[r3];
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

    private static void productBlock4(double[] a0, double[] a1, double[] a2, double[] a3, double[][] x, int k0, int k1,
            double[] c0, double[] c1, double[] c2, double[] c3, int j) {
        DoubleVector s00 = DoubleVector.fromArray(S, c0, j);
        DoubleVector s01 = DoubleVector.fromArray(S, c0, j + 1 * L);
        DoubleVector s02 = DoubleVector.fromArray(S, c0, j + 2 * L);
        DoubleVector s03 = DoubleVector.fromArray(S, c0, j + 3 * L);
        DoubleVector s10 = DoubleVector.fromArray(S, c1, j);
        DoubleVector s11 = DoubleVector.fromArray(S, c1, j + 1 * L);
        DoubleVector s12 = DoubleVector.fromArray(S, c1, j + 2 * L);
        DoubleVector s13 = DoubleVector.fromArray(S, c1, j + 3 * L);
        DoubleVector s20 = DoubleVector.fromArray(S, c2, j);
        DoubleVector s21 = DoubleVector.fromArray(S, c2, j + 1 * L);
        DoubleVector s22 = DoubleVector.fromArray(S, c2, j + 2 * L);
        DoubleVector s23 = DoubleVector.fromArray(S, c2, j + 3 * L);
        DoubleVector s30 = DoubleVector.fromArray(S, c3, j);
        DoubleVector s31 = DoubleVector.fromArray(S, c3, j + 1 * L);
        DoubleVector s32 = DoubleVector.fromArray(S, c3, j + 2 * L);
        DoubleVector s33 = DoubleVector.fromArray(S, c3, j + 3 * L);
        for (int k = k0; k < k1; k++) {
            double[] xk = x[k];
            DoubleVector x0 = DoubleVector.fromArray(S, xk, j);
            DoubleVector x1 = DoubleVector.fromArray(S, xk, j + 1 * L);
            DoubleVector x2 = DoubleVector.fromArray(S, xk, j + 2 * L);
            DoubleVector x3 = DoubleVector.fromArray(S, xk, j + 3 * L);
            DoubleVector b0 = DoubleVector.broadcast(S, a0[k]);
            s00 = b0.fma(x0, s00);
            s01 = b0.fma(x1, s01);
            s02 = b0.fma(x2, s02);
            s03 = b0.fma(x3, s03);
            DoubleVector b1 = DoubleVector.broadcast(S, a1[k]);
            s10 = b1.fma(x0, s10);
            s11 = b1.fma(x1, s11);
            s12 = b1.fma(x2, s12);
            s13 = b1.fma(x3, s13);
            DoubleVector b2 = DoubleVector.broadcast(S, a2[k]);
            s20 = b2.fma(x0, s20);
            s21 = b2.fma(x1, s21);
            s22 = b2.fma(x2, s22);
            s23 = b2.fma(x3, s23);
            DoubleVector b3 = DoubleVector.broadcast(S, a3[k]);
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

    private static void productBlock1(double[] a0, double[] a1, double[] a2, double[] a3, double[][] x, int k0, int k1,
            double[] c0, double[] c1, double[] c2, double[] c3, int j) {
        DoubleVector s00 = DoubleVector.fromArray(S, c0, j);
        DoubleVector s10 = DoubleVector.fromArray(S, c1, j);
        DoubleVector s20 = DoubleVector.fromArray(S, c2, j);
        DoubleVector s30 = DoubleVector.fromArray(S, c3, j);
        for (int k = k0; k < k1; k++) {
            double[] xk = x[k];
            DoubleVector x0 = DoubleVector.fromArray(S, xk, j);
            DoubleVector b0 = DoubleVector.broadcast(S, a0[k]);
            s00 = b0.fma(x0, s00);
            DoubleVector b1 = DoubleVector.broadcast(S, a1[k]);
            s10 = b1.fma(x0, s10);
            DoubleVector b2 = DoubleVector.broadcast(S, a2[k]);
            s20 = b2.fma(x0, s20);
            DoubleVector b3 = DoubleVector.broadcast(S, a3[k]);
            s30 = b3.fma(x0, s30);
        }
        s00.intoArray(c0, j);
        s10.intoArray(c1, j);
        s20.intoArray(c2, j);
        s30.intoArray(c3, j);
    }

    private static void productTail(double[] a0, double[] a1, double[] a2, double[] a3, double[][] x, int k0, int k1,
            double[] c0, double[] c1, double[] c2, double[] c3, int j0, int j1) {
        for (int j = j0; j < j1; j++) {
            double s0 = c0[j];
            double s1 = c1[j];
            double s2 = c2[j];
            double s3 = c3[j];
            for (int k = k0; k < k1; k++) {
                double xj = x[k][j];
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
    static void productTransposed(double[][] a, double[][] x, double[][] c, int r0, int r1End, int k0, int k1, int width) {
        for (int kb = k0; kb < k1; kb += K_BLOCK) {
            int ke = Math.min(k1, kb + K_BLOCK);
            for (int j = 0; j < width; j += 4 * L) {
                int je = Math.min(width, j + 4 * L);
                for (int r = r0; r < r1End; r += 4) {
                    // Past the last row, the last row again: its outputs are computed twice, the same way.
                    int r1 = Math.min(r + 1, r1End - 1);
                    int r2 = Math.min(r + 2, r1End - 1);
                    int r3 = Math.min(r + 3, r1End - 1);
                    double[] c0 = c[r];
                    double[] c1 = c[r1];
                    double[] c2 = c[r2];
                    double[] c3 = c[r3];
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

    private static void productTransposedBlock4(double[][] a, int q0, int q1, int q2, int q3, double[][] x, int k0, int k1,
            double[] c0, double[] c1, double[] c2, double[] c3, int j) {
        DoubleVector s00 = DoubleVector.fromArray(S, c0, j);
        DoubleVector s01 = DoubleVector.fromArray(S, c0, j + 1 * L);
        DoubleVector s02 = DoubleVector.fromArray(S, c0, j + 2 * L);
        DoubleVector s03 = DoubleVector.fromArray(S, c0, j + 3 * L);
        DoubleVector s10 = DoubleVector.fromArray(S, c1, j);
        DoubleVector s11 = DoubleVector.fromArray(S, c1, j + 1 * L);
        DoubleVector s12 = DoubleVector.fromArray(S, c1, j + 2 * L);
        DoubleVector s13 = DoubleVector.fromArray(S, c1, j + 3 * L);
        DoubleVector s20 = DoubleVector.fromArray(S, c2, j);
        DoubleVector s21 = DoubleVector.fromArray(S, c2, j + 1 * L);
        DoubleVector s22 = DoubleVector.fromArray(S, c2, j + 2 * L);
        DoubleVector s23 = DoubleVector.fromArray(S, c2, j + 3 * L);
        DoubleVector s30 = DoubleVector.fromArray(S, c3, j);
        DoubleVector s31 = DoubleVector.fromArray(S, c3, j + 1 * L);
        DoubleVector s32 = DoubleVector.fromArray(S, c3, j + 2 * L);
        DoubleVector s33 = DoubleVector.fromArray(S, c3, j + 3 * L);
        for (int k = k0; k < k1; k++) {
            double[] ak = a[k];
            double[] xk = x[k];
            DoubleVector x0 = DoubleVector.fromArray(S, xk, j);
            DoubleVector x1 = DoubleVector.fromArray(S, xk, j + 1 * L);
            DoubleVector x2 = DoubleVector.fromArray(S, xk, j + 2 * L);
            DoubleVector x3 = DoubleVector.fromArray(S, xk, j + 3 * L);
            DoubleVector b0 = DoubleVector.broadcast(S, ak[q0]);
            s00 = b0.fma(x0, s00);
            s01 = b0.fma(x1, s01);
            s02 = b0.fma(x2, s02);
            s03 = b0.fma(x3, s03);
            DoubleVector b1 = DoubleVector.broadcast(S, ak[q1]);
            s10 = b1.fma(x0, s10);
            s11 = b1.fma(x1, s11);
            s12 = b1.fma(x2, s12);
            s13 = b1.fma(x3, s13);
            DoubleVector b2 = DoubleVector.broadcast(S, ak[q2]);
            s20 = b2.fma(x0, s20);
            s21 = b2.fma(x1, s21);
            s22 = b2.fma(x2, s22);
            s23 = b2.fma(x3, s23);
            DoubleVector b3 = DoubleVector.broadcast(S, ak[q3]);
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

    private static void productTransposedBlock1(double[][] a, int q0, int q1, int q2, int q3, double[][] x, int k0, int k1,
            double[] c0, double[] c1, double[] c2, double[] c3, int j) {
        DoubleVector s00 = DoubleVector.fromArray(S, c0, j);
        DoubleVector s10 = DoubleVector.fromArray(S, c1, j);
        DoubleVector s20 = DoubleVector.fromArray(S, c2, j);
        DoubleVector s30 = DoubleVector.fromArray(S, c3, j);
        for (int k = k0; k < k1; k++) {
            double[] ak = a[k];
            double[] xk = x[k];
            DoubleVector x0 = DoubleVector.fromArray(S, xk, j);
            DoubleVector b0 = DoubleVector.broadcast(S, ak[q0]);
            s00 = b0.fma(x0, s00);
            DoubleVector b1 = DoubleVector.broadcast(S, ak[q1]);
            s10 = b1.fma(x0, s10);
            DoubleVector b2 = DoubleVector.broadcast(S, ak[q2]);
            s20 = b2.fma(x0, s20);
            DoubleVector b3 = DoubleVector.broadcast(S, ak[q3]);
            s30 = b3.fma(x0, s30);
        }
        s00.intoArray(c0, j);
        s10.intoArray(c1, j);
        s20.intoArray(c2, j);
        s30.intoArray(c3, j);
    }

    private static void productTransposedTail(double[][] a, int q0, int q1, int q2, int q3, double[][] x, int k0, int k1,
            double[] c0, double[] c1, double[] c2, double[] c3, int j0, int j1) {
        for (int j = j0; j < j1; j++) {
            double s0 = c0[j];
            double s1 = c1[j];
            double s2 = c2[j];
            double s3 = c3[j];
            for (int k = k0; k < k1; k++) {
                double[] ak = a[k];
                double xj = x[k][j];
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
