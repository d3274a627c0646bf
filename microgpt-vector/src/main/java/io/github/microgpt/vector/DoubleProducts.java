package io.github.microgpt.vector;

import io.github.microgpt.internal.kernels.MatrixKernels;
import io.github.microgpt.internal.kernels.Team;
import java.util.Arrays;
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
 *
 * <p><b>Shapes by register count ({@link Registers#COUNT}).</b> With 32 registers (AVX-512) the
 * blocks are four rows times four vectors: 16 sums, four loaded vectors and a broadcast. With 16
 * (AVX2) that block does not fit (its sums alone take every register, so C2 must keep some on the
 * stack and load and store them on every term); there the blocks are four rows times two vectors
 * ({@link #NARROW}): 8 sums, two loaded vectors, a broadcast and, in the exact forward product (a
 * multiply, then an add), the product: 12 registers. Six rows by two vectors (12 sums, 15 or 16
 * registers) was measured too, on a Zen 3 with warm caches: no faster for the fused products, and
 * slower for the exact one. With 16 registers the forward product also reads its input packed in
 * tiles ({@link #packInput}: 1.12-1.17x the steps). All together, on that Zen 3 (one thread,
 * {@code nEmbd} 256, a whole training step in processor time): 110-120 ms a step instead of
 * 137-145. Every output gets the same operations in the same order in every shape, so the bits
 * do not depend on the register count either.
 *
 * <p><b>Panels (16 registers, the backward products).</b> Even without spills, a loop that reads a
 * row {@code x[k]} of a {@code double[][]} on every term spends a load of the row, a load of its
 * length and a check per vector read beside its fused multiply-adds (found by {@link
 * FloatProducts} in the disassembly). Both backward products therefore first copy their operands
 * into panels ({@link Panels}, one set per thread), flat arrays read at constant multiples of
 * {@code k} that the JIT checks once per loop, and take blocks of six rows times two vectors
 * ({@link #panelBlock6x2}: 12 sums, 2 loaded vectors and a broadcast, 15 registers). Measured on
 * that Zen 3, one thread, processor time, 64 positions (GFLOP/s, mean of 7 runs, for the
 * products of 256 x 256, 1024 x 256 and 256 x 1024 weights): the weights' gradient
 * ({@link #productTransposedNarrow}) 14/14/11 before, 24-26/26-27/21-24 with panels (4 rows
 * by 2 vectors over the same panels: 24/23/21); the input's gradient ({@link #productNarrow})
 * 16-18/15-17/13-14 before, 22-24/20-22/19-20 with panels (2 rows by 4 vectors without
 * panels, {@link FloatProducts}'s best in single precision: 15/13/12). The rows short of a
 * block of six go over the same panels ({@link #panelRows}); only the columns short of two
 * vectors keep the blocks of four rows by two vectors without panels, {@link #NARROW_TERMS}
 * terms at a time along whole rows. A whole training step's profile on that Zen 3 (one thread,
 * {@code nEmbd} 256) then has about three quarters of the backward products' time in
 * {@link #panelBlock6x2}, at 22-27 GFLOP/s, against the machine's 31-44 for a bare loop of fused
 * multiply-adds; unrolling its loop by two, or blocks of five rows, measured no faster (unrolled:
 * half the speed, its sums spilled).
 */
final class DoubleProducts {

    static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;

    /** Doubles per vector: 8 with AVX-512, 4 with AVX2. */
    static final int L = S.length();

    /**
     * The zero vector of {@link #S}, the receiver of every broadcast ({@code Z.broadcast(x)}).
     *
     * <p><b>Receivers of a known class.</b> C2 inlines a vector operation only where it knows the
     * receiver's class; a vector made by the static factories ({@code DoubleVector.zero(S)},
     * {@code DoubleVector.broadcast(S, x)}, {@code fromArray}) is typed only {@code DoubleVector} while C2
     * parses the kernel (their intrinsics expand later), and so is a sum carried round a loop.
     * For those C2 takes the class from the JVM's receiver profile; without it (a JVM whose
     * profiles came out polluted, forced with {@code -XX:TypeProfileWidth=0}) every multiply-add
     * was a call and every vector an object: a vector f64 step at {@code nEmbd} 256 took 1,040 ms
     * instead of 35 and allocated 4.8 GB. A constant's class is known from the constant, and an
     * operation on a receiver of known class returns that class. So every receiver inside the
     * kernels' loops is a broadcast of {@code Z} or a product of one ({@code b.fma(x, s)},
     * {@code b.mul(x).add(s)}: the sum an operand, never the receiver; an add's operands commute
     * bit for bit), and every zero sum is {@code Z.broadcast(0.0)} (a fresh vector: the
     * constant {@code Z} itself as a loop's starting sum made C2 allocate every sum of the loop).
     * Forced without profiles, a step then takes 42-54 ms with 27-74 MB allocated, by the stores
     * of the sums after each loop (the loop's sum is still typed by its profile); in an ordinary
     * JVM nothing changes (same steps, same bits). What did not work: casting the stored sums
     * ({@link Class#cast} was not always compiled as an intrinsic, and its throwing path kept the
     * vector as an object), a helper method for the loads and stores, even one that returned
     * its vector unchanged (an ordinary JVM's step 1.7x slower, 24 MB allocated; not looked into
     * further), and one more operation per store
     * (the quick compiler, C1, ran out of virtual registers on the largest kernels, which then
     * ran in the interpreter for seconds).
     */
    static final DoubleVector Z = (DoubleVector) S.zero();

    /**
     * A kernel's starting sum of the lanes {@code [j, j + L)} of a row {@code c} of the output:
     * {@code zero} (the kernel's own {@code Z.broadcast(...)} of zero) when the rows are
     * {@code cleared}, never reading them, else what they hold. One method for the openings of
     * every unrolled kernel of the weights' gradient, which each wrote this test out once per
     * sum. Unlike the helpers for loads and stores in the class comment, it costs nothing: C2
     * inlines it (a few bytes of bytecode) and the kernels compile as before. Measured at
     * {@code nEmbd} 256, 4 layers, 64 positions on AVX2 (one JVM, the hottest gradient kernel of
     * each precision switched between this and the test written out, 30 alternated rounds,
     * medians of the rounds' ratios): a step 1.009 (f64) and 1.006 (f32) times as long with the
     * test written out on one thread, 1.003 and 0.996 on two, within the host's noise.
     */
    private static DoubleVector start(boolean cleared, DoubleVector zero, double[] c, int j) {
        return cleared ? zero : DoubleVector.fromArray(S, c, j);
    }

    /** Terms of the sum per pass: a strip of 64 rows of four vectors is 16 KB with AVX-512. */
    static final int K_BLOCK = 64;

    /**
     * Whether the blocks take the shapes for 16 registers (see the class comment). A static final,
     * so that C2 folds every test of it and compiles the one shape the machine uses.
     */
    static final boolean NARROW = Registers.COUNT < 32;

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

    /**
     * Positions per tile of {@link #productExactByRows}: four vectors, so that a tile of four rows
     * of the weights is 16 accumulators.
     */
    static final int POSITIONS = 4 * L;

    /**
     * {@code out[from + p][o] = sum_k w[o][k] * inT[k][p]} for the rows {@code [o0, o1)} of
     * {@code w} and the positions {@code p < n}, each sum the left fold over {@code k} from 0 with
     * every product rounded before it is added: the {@code Value} engine's order, bit for bit.
     * The lanes run across positions (the input transposed, {@code inT[k][p] = in[from + p][k]},
     * its columns from {@code n} up to a whole vector zero), and a broadcast weight feeds every
     * lane, so the weights are read along their rows as they are stored, never transposed. Four
     * rows times {@link #POSITIONS} positions are summed in registers over the whole row of
     * weights and then written out through {@code tile} (at least {@code 4 POSITIONS}). Rows past
     * the last whole block of four repeat the last row, whose outputs are then computed twice in
     * the same way, so that a row's bits do not depend on the block it falls in.
     */
    static void productExactByRows(double[][] inT, int n, double[][] w, int o0, int o1, double[][] out, int from,
                                   double[] tile) {
        int k1 = w[o0].length;
        int padded = (n + L - 1) / L * L;
        for (int o = o0; o < o1; o += 4) {
            double[] w0 = w[o];
            double[] w1 = w[Math.min(o + 1, o1 - 1)];
            double[] w2 = w[Math.min(o + 2, o1 - 1)];
            double[] w3 = w[Math.min(o + 3, o1 - 1)];
            int rows = Math.min(4, o1 - o);
            int p = 0;
            for (; p + POSITIONS <= padded; p += POSITIONS) {
                exactRowsBlock4(w0, w1, w2, w3, inT, k1, p, tile);
                scatter(tile, POSITIONS, out, from + p, Math.min(POSITIONS, n - p), o, rows);
            }
            for (; p < padded; p += L) {
                exactRowsBlock1(w0, w1, w2, w3, inT, k1, p, tile);
                scatter(tile, L, out, from + p, Math.min(L, n - p), o, rows);
            }
        }
    }

    /** {@code out[t0 + p][o + q] = tile[q * stride + p]} for {@code p < count}, {@code q < rows}. */
    private static void scatter(double[] tile, int stride, double[][] out, int t0, int count, int o, int rows) {
        if (rows == 4) {
            // A whole block, written out in straight lines: the highest index first, so that one
            // check of it covers the row's four stores (C2 folds the others' checks into it),
            // where the loop over the rows checked each store.
            for (int p = 0; p < count; p++) {
                double[] y = out[t0 + p];
                y[o + 3] = tile[3 * stride + p];
                y[o] = tile[p];
                y[o + 1] = tile[stride + p];
                y[o + 2] = tile[2 * stride + p];
            }
            return;
        }
        for (int p = 0; p < count; p++) {
            double[] y = out[t0 + p];
            for (int q = 0; q < rows; q++) {
                y[o + q] = tile[q * stride + p];
            }
        }
    }

    private static void exactRowsBlock4(double[] w0, double[] w1, double[] w2, double[] w3, double[][] inT, int k1,
                                        int p, double[] tile) {
        DoubleVector s00 = Z.broadcast(0.0);
        DoubleVector s01 = s00;
        DoubleVector s02 = s00;
        DoubleVector s03 = s00;
        DoubleVector s10 = s00;
        DoubleVector s11 = s00;
        DoubleVector s12 = s00;
        DoubleVector s13 = s00;
        DoubleVector s20 = s00;
        DoubleVector s21 = s00;
        DoubleVector s22 = s00;
        DoubleVector s23 = s00;
        DoubleVector s30 = s00;
        DoubleVector s31 = s00;
        DoubleVector s32 = s00;
        DoubleVector s33 = s00;
        for (int k = 0; k < k1; k++) {
            double[] xk = inT[k];
            DoubleVector x0 = DoubleVector.fromArray(S, xk, p);
            DoubleVector x1 = DoubleVector.fromArray(S, xk, p + 1 * L);
            DoubleVector x2 = DoubleVector.fromArray(S, xk, p + 2 * L);
            DoubleVector x3 = DoubleVector.fromArray(S, xk, p + 3 * L);
            DoubleVector b0 = Z.broadcast(w0[k]);
            s00 = b0.mul(x0).add(s00);
            s01 = b0.mul(x1).add(s01);
            s02 = b0.mul(x2).add(s02);
            s03 = b0.mul(x3).add(s03);
            DoubleVector b1 = Z.broadcast(w1[k]);
            s10 = b1.mul(x0).add(s10);
            s11 = b1.mul(x1).add(s11);
            s12 = b1.mul(x2).add(s12);
            s13 = b1.mul(x3).add(s13);
            DoubleVector b2 = Z.broadcast(w2[k]);
            s20 = b2.mul(x0).add(s20);
            s21 = b2.mul(x1).add(s21);
            s22 = b2.mul(x2).add(s22);
            s23 = b2.mul(x3).add(s23);
            DoubleVector b3 = Z.broadcast(w3[k]);
            s30 = b3.mul(x0).add(s30);
            s31 = b3.mul(x1).add(s31);
            s32 = b3.mul(x2).add(s32);
            s33 = b3.mul(x3).add(s33);
        }
        int stride = POSITIONS;
        s00.intoArray(tile, 0);
        s01.intoArray(tile, L);
        s02.intoArray(tile, 2 * L);
        s03.intoArray(tile, 3 * L);
        s10.intoArray(tile, stride);
        s11.intoArray(tile, stride + L);
        s12.intoArray(tile, stride + 2 * L);
        s13.intoArray(tile, stride + 3 * L);
        s20.intoArray(tile, 2 * stride);
        s21.intoArray(tile, 2 * stride + L);
        s22.intoArray(tile, 2 * stride + 2 * L);
        s23.intoArray(tile, 2 * stride + 3 * L);
        s30.intoArray(tile, 3 * stride);
        s31.intoArray(tile, 3 * stride + L);
        s32.intoArray(tile, 3 * stride + 2 * L);
        s33.intoArray(tile, 3 * stride + 3 * L);
    }

    private static void exactRowsBlock1(double[] w0, double[] w1, double[] w2, double[] w3, double[][] inT, int k1,
                                        int p, double[] tile) {
        DoubleVector s0 = Z.broadcast(0.0);
        DoubleVector s1 = s0;
        DoubleVector s2 = s0;
        DoubleVector s3 = s0;
        for (int k = 0; k < k1; k++) {
            DoubleVector x = DoubleVector.fromArray(S, inT[k], p);
            s0 = Z.broadcast(w0[k]).mul(x).add(s0);
            s1 = Z.broadcast(w1[k]).mul(x).add(s1);
            s2 = Z.broadcast(w2[k]).mul(x).add(s2);
            s3 = Z.broadcast(w3[k]).mul(x).add(s3);
        }
        s0.intoArray(tile, 0);
        s1.intoArray(tile, L);
        s2.intoArray(tile, 2 * L);
        s3.intoArray(tile, 3 * L);
    }

    /**
     * {@code inT[k][p] = in[from + p][k]} for the positions {@code p < to - from} and the
     * columns {@code k} in {@code [k0, k1)}, and {@code inT[k][p] = 0} up to the next whole
     * vector: the input of {@link #productExactByRows}. Eight positions at a time, so that each pass
     * writes a whole cache line of a row of {@code inT} (64 bytes of doubles; half of one for
     * floats) rather than part of one; the threads share the columns.
     */
    static void transposeInput(double[][] in, int from, int to, double[][] inT, int k0, int k1) {
        int n = to - from;
        int padded = (n + L - 1) / L * L;
        for (int k = k0; k < k1; k++) {
            Arrays.fill(inT[k], n, padded, 0.0);
        }
        int t = from;
        for (; t + 7 < to; t += 8) {
            double[] r0 = in[t];
            double[] r1 = in[t + 1];
            double[] r2 = in[t + 2];
            double[] r3 = in[t + 3];
            double[] r4 = in[t + 4];
            double[] r5 = in[t + 5];
            double[] r6 = in[t + 6];
            double[] r7 = in[t + 7];
            int p = t - from;
            for (int k = k0; k < k1; k++) {
                double[] d = inT[k];
                d[p] = r0[k];
                d[p + 1] = r1[k];
                d[p + 2] = r2[k];
                d[p + 3] = r3[k];
                d[p + 4] = r4[k];
                d[p + 5] = r5[k];
                d[p + 6] = r6[k];
                d[p + 7] = r7[k];
            }
        }
        for (; t < to; t++) {
            double[] r = in[t];
            int p = t - from;
            for (int k = k0; k < k1; k++) {
                inT[k][p] = r[k];
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
            DoubleVector b0 = Z.broadcast(a0[k]);
            s00 = b0.mul(x0).add(s00);
            s01 = b0.mul(x1).add(s01);
            s02 = b0.mul(x2).add(s02);
            s03 = b0.mul(x3).add(s03);
            DoubleVector b1 = Z.broadcast(a1[k]);
            s10 = b1.mul(x0).add(s10);
            s11 = b1.mul(x1).add(s11);
            s12 = b1.mul(x2).add(s12);
            s13 = b1.mul(x3).add(s13);
            DoubleVector b2 = Z.broadcast(a2[k]);
            s20 = b2.mul(x0).add(s20);
            s21 = b2.mul(x1).add(s21);
            s22 = b2.mul(x2).add(s22);
            s23 = b2.mul(x3).add(s23);
            DoubleVector b3 = Z.broadcast(a3[k]);
            s30 = b3.mul(x0).add(s30);
            s31 = b3.mul(x1).add(s31);
            s32 = b3.mul(x2).add(s32);
            s33 = b3.mul(x3).add(s33);
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
            DoubleVector b0 = Z.broadcast(a0[k]);
            s00 = b0.mul(x0).add(s00);
            DoubleVector b1 = Z.broadcast(a1[k]);
            s10 = b1.mul(x0).add(s10);
            DoubleVector b2 = Z.broadcast(a2[k]);
            s20 = b2.mul(x0).add(s20);
            DoubleVector b3 = Z.broadcast(a3[k]);
            s30 = b3.mul(x0).add(s30);
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
     * The gradients of a linear layer, {@code din[t] += sum_o dout[t][o] w[o]} and
     * {@code dw[o] += sum_t dout[t][o] in[t]}, with the weights' rows cut in two fixed halves
     * that each thread of two keeps to: the input's gradient is summed over each half on its own
     * (the first half from {@code din}'s stored value, the second from 0 into the caller's
     * scratch) and the two sums are added block of columns by block, as soon as both halves of a
     * block are done ({@link SlicedBackward}), so that a thread reads only its half of
     * the rows of {@code w} and writes only its half of {@code dw}'s. {@code dwCleared} says that
     * {@code dw} holds nothing but {@code +0.0} (see {@link #productTransposed(double[][],
     * double[][], double[][], int, int, int, int, int, Object, boolean)}).
     *
     * <p>Why. The forward product ({@code VectorMatrixKernels.matmulForward}) and the optimizer's
     * update split the same matrices by rows (see the core's {@code UpdateOrder}), and this
     * product split the input's gradient by columns, each thread reading part of every row of
     * the weights: so every step each core read cache lines of the weights that the other core's
     * update had just written, and the update then wrote lines the other core had read. The
     * single-precision products had the same trouble and the same cure
     * ({@link FloatProducts#backward}). Measured at {@code nEmbd} 256, 4 layers, 64 positions
     * ({@code bench --threads 1,2}, side by side with the split by columns on a busy two-core
     * machine): two threads ran 1.83 times one thread's steps where the split by columns ran 1.55.
     *
     * <p>The halves depend only on the shape ({@link #middleRow}), never on the threads, and
     * each half's sum is one chain of fused multiply-adds over its rows in order whichever thread
     * computes which of its columns; so the bits do not depend on the number of threads (they do
     * differ from one chain over all the rows, as any order of these sums may). How the halves'
     * work is shared out: {@link SlicedBackward}, whose unit {@code i} of a half is its block of
     * columns {@code i} and its slice of rows {@code i}, as in single precision with 16
     * registers: with no update inside, no slice waits for its half's blocks, so nothing is
     * gained by keeping them apart (and every unit of the scheduler is this one's as before).
     *
     * <p>With {@code overwrite}, the rows {@code [from, to)} of {@code din} are overwritten
     * rather than added to: each block of columns of the first half zeroes its own columns of
     * them just before it sums into them, as each block of the second half zeroes its columns of
     * the scratch, on the thread that sums them; the same bits as zeroing them first.
     */
    static void backward(double[][] din, double[][] dw, double[][] dout, double[][] in, double[][] w, int from,
                         int to, Team team, boolean dwCleared, boolean overwrite) {
        // Unit i of a half is its block of columns i and its slice of rows i: no update inside,
        // so no slice waits for the blocks (the shape single precision takes with 16 registers).
        sliced(din, dw, dout, in, w, from, to, team, dwCleared, overwrite, false, null);
    }

    /**
     * {@link #backward} with {@code din}'s rows overwritten and a fused step's update inside,
     * as {@link FloatProducts#backward(float[][], float[][], float[][], float[][], float[][], int,
     * int, Team, boolean, Team.Range)} runs it in single precision: each half's blocks of columns
     * of the input's gradient first, then its slices of the weights' gradient, each slice updated
     * once, by one thread, as soon as it is summed and its half's blocks no longer read its
     * weights ({@link SlicedBackward}); with {@code dw} cleared and a
     * {@link MatrixKernels.GradientRange} of doubles, summed into the thread's scratch (at most
     * {@link SlicedBackward#MAX_SCRATCH_BYTES}: 16 KB to 32 KB at {@code nEmbd} 256; with 16
     * registers a slice is whole blocks of six rows, so {@code mlp_fc2}'s rows of 1024 take 48 KB)
     * and updated from there, {@code dw} left {@code +0.0}. The same sums in the same order as
     * {@link #backward}: the same bits, whichever thread takes which unit. Every kernel of the
     * weights' gradient starts from zero vectors when told the rows are cleared, never reading
     * them (the panels' blocks of six rows and of four, and the columns short of two vectors with
     * 16 registers), so a slice may be summed into stale scratch.
     *
     * <p>Measured at {@code nEmbd} 256, 4 layers, 64 positions, against {@link #backward}
     * followed by the update (fused steps, one JVM, alternated, seven runs of 14-16 s): with 32
     * registers the backward products with their updates took 0.84-0.95 of the time on two
     * threads and 0.97-1.01 on one; a step 0.89-0.98 and 0.98-1.01 (each run's figures in the
     * core's {@code ArrayGptModel.backwardProduct}). With 16 (AVX2, a Zen 3 with 2 cores, the
     * update after the product and inside it switched every step in one JVM, medians of 80
     * rounds' ratios, three runs on a noisy host): the backward products with their updates took
     * 0.937, 0.990 and 0.948 of the time on two threads and 1.004, 0.982 and 0.990 on one; a step
     * 0.968, 1.008 and 0.966, and 1.003, 0.988 and 0.992. There, with the update after the product, every
     * step had written each gradient row, read it back and zeroed it in a loop of its own, a
     * hand-over of the threads more per matrix.
     */
    static void backwardAndUpdate(double[][] din, double[][] dw, double[][] dout, double[][] in, double[][] w,
                                  int from, int to, Team team, boolean dwCleared, Team.Range update) {
        // Each half's blocks of columns of the input's gradient, then its slices of the rows of
        // the weights' gradient, each updated as soon as it may be.
        sliced(din, dw, dout, in, w, from, to, team, dwCleared, true, true, update);
    }

    /**
     * {@link #backward} and {@link #backwardAndUpdate}: the products over the units of
     * {@link SlicedBackward#run} ({@code apart}, {@code update} as there), {@code din}'s rows
     * overwritten when {@code overwrite}, and the second half's sums added to the first's block by
     * block, inside the loop ({@link SlicedBackward.Products#addHalves}).
     */
    private static void sliced(double[][] din, double[][] dw, double[][] dout, double[][] in, double[][] w,
                               int from, int to, Team team, boolean dwCleared, boolean overwrite, boolean apart,
                               Team.Range update) {
        int rows = w.length;
        int cols = w[0].length;
        int middle = middleRow(rows);
        double[][] upper = SecondHalf.LOCAL.get().rows(to, cols);
        Object call = new Object();
        SlicedBackward.run(team, rows, cols, 4 * L, middle, TRANSPOSED_ROWS, apart, Double.BYTES, update,
                dw, dwCleared, SlicedBackward.SliceScratch.DOUBLES, new SlicedBackward.Products<>() {
                    @Override
                    public void block(int half, int o0, int o1, int j0, int j1) {
                        // The second half sums from 0 into scratch; with overwrite, so does the
                        // first: each block zeroes its own columns, on its thread.
                        if (half == 1 || overwrite) {
                            double[][] sums = half == 0 ? din : upper;
                            for (int t = from; t < to; t++) {
                                Arrays.fill(sums[t], j0, j1, 0.0);
                            }
                        }
                        if (o0 < o1) {
                            product(dout, w, half == 0 ? din : upper, from, to, o0, o1, j0, j1, call);
                        }
                    }

                    @Override
                    public void gradient(double[][] c, int r0, int r1, boolean cleared) {
                        productTransposed(dout, in, c, r0, r1, from, to, cols, call, cleared);
                    }

                    @Override
                    public void addHalves(int j0, int j1) {
                        for (int t = from; t < to; t++) {
                            double[] d = din[t];
                            double[] u = upper[t];
                            for (int j = j0; j < j1; j++) {
                                d[j] += u[j];
                            }
                        }
                    }
                });
    }

    /**
     * Where {@link #backward} cuts {@code rows} rows of the weights in two: half of them, rounded
     * down to whole blocks of the weights' gradient's kernel ({@link #TRANSPOSED_ROWS}). A
     * function of the shape alone, so that the sums do not depend on the threads.
     */
    static int middleRow(int rows) {
        return rows / 2 / TRANSPOSED_ROWS * TRANSPOSED_ROWS;
    }

    /** The caller's scratch for the second half's sums of {@link #backward}, grown as needed. */
    private static final class SecondHalf {
        static final ThreadLocal<SecondHalf> LOCAL = ThreadLocal.withInitial(SecondHalf::new);

        private double[][] rows = new double[0][];

        double[][] rows(int count, int length) {
            rows = ScratchArrays.atLeast(rows, count, length);
            return rows;
        }
    }

    /**
     * {@code c[r][j] += sum_k a[r][k] * x[k][j]} over {@code k} in {@code [k0, k1)}, with fused
     * multiply-adds in the order of {@code k}: rows {@code [r0, r1End)} of {@code c}, columns
     * {@code [j0, j1)}. Each output is the chain of fused multiply-adds over {@code k} in order,
     * starting from its stored value, whether a block of four vectors, one vector or the scalar
     * tail computes it (a lane's fused multiply-add rounds as {@link Math#fma} does), so the
     * columns may be cut anywhere between threads without changing a bit.
     */
    static void product(double[][] a, double[][] x, double[][] c, int r0, int r1End, int k0, int k1, int j0, int j1) {
        product(a, x, c, r0, r1End, k0, k1, j0, j1, null);
    }

    /**
     * {@link #product(double[][], double[][], double[][], int, int, int, int, int, int)} as one
     * of several calls of one product ({@code call}, an object the product makes, or null for
     * none): with 16 registers a thread's later calls with the same {@code call}, rows and terms
     * reuse the panels of {@code a} its first call copied (see {@link Panels#holdsA}), instead of
     * copying the same numbers again for every chunk of columns the thread takes.
     */
    static void product(double[][] a, double[][] x, double[][] c, int r0, int r1End, int k0, int k1, int j0, int j1,
                        Object call) {
        if (NARROW) {
            productNarrow(a, x, c, r0, r1End, k0, k1, j0, j1, call);
            return;
        }
        for (int kb = k0; kb < k1; kb += K_BLOCK) {
            int ke = Math.min(k1, kb + K_BLOCK);
            for (int j = j0; j < j1; j += 4 * L) {
                int je = Math.min(j1, j + 4 * L);
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
            DoubleVector b0 = Z.broadcast(a0[k]);
            s00 = b0.fma(x0, s00);
            s01 = b0.fma(x1, s01);
            s02 = b0.fma(x2, s02);
            s03 = b0.fma(x3, s03);
            DoubleVector b1 = Z.broadcast(a1[k]);
            s10 = b1.fma(x0, s10);
            s11 = b1.fma(x1, s11);
            s12 = b1.fma(x2, s12);
            s13 = b1.fma(x3, s13);
            DoubleVector b2 = Z.broadcast(a2[k]);
            s20 = b2.fma(x0, s20);
            s21 = b2.fma(x1, s21);
            s22 = b2.fma(x2, s22);
            s23 = b2.fma(x3, s23);
            DoubleVector b3 = Z.broadcast(a3[k]);
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
            DoubleVector b0 = Z.broadcast(a0[k]);
            s00 = b0.fma(x0, s00);
            DoubleVector b1 = Z.broadcast(a1[k]);
            s10 = b1.fma(x0, s10);
            DoubleVector b2 = Z.broadcast(a2[k]);
            s20 = b2.fma(x0, s20);
            DoubleVector b3 = Z.broadcast(a3[k]);
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
        productTransposed(a, x, c, r0, r1End, k0, k1, width, null, false);
    }

    /**
     * {@link #productTransposed(double[][], double[][], double[][], int, int, int, int, int)} as
     * one of several calls of one product ({@code call}, or null): with 16 registers a thread's
     * later calls with the same {@code call} and terms reuse the panels of {@code x} its first
     * call copied (see {@link Panels#holdsX}), since every chunk of rows reads all of them.
     *
     * <p>Told whether {@code c}'s rows {@code [r0, r1End)} are to be summed from zero
     * ({@code cleared}: they hold nothing but {@code +0.0}, or they are a thread's stale scratch,
     * see {@link SlicedBackward}): then, with 16 registers, the blocks of six rows over panels
     * start their sums from zero vectors instead of loading {@code c} ({@link #panelBlock6x2}),
     * and so do the other kernels (four rows, the columns short of two vectors). The same bits:
     * {@code fma(a, b, +0.0)} is what a fused multiply-add gives from a stored {@code +0.0}. What
     * it saves is the wait: the gradient's rows were last written by the previous step's update
     * and come from memory, six rows' cache lines at the start of every block, before its first
     * multiply-add can start (the stores that replace the loads do not hold the kernel up).
     * Measured at {@code nEmbd} 256 (one JVM, steps with and without alternated, four runs of
     * 11-12 rounds): the step's backward products 2-14% faster on two threads and 1.5-7% on one;
     * whole steps 1.01-1.13 times as fast on two threads, 0.98-1.06 on one. With 32 registers
     * the blocks of four rows by four vectors (and their edges) start the first block of
     * {@link #K_BLOCK} terms from zero vectors the same way, the later blocks adding to what the
     * first stored. No kernel may read {@code c} when it is cleared: stale scratch would be added in.
     */
    static void productTransposed(double[][] a, double[][] x, double[][] c, int r0, int r1End, int k0, int k1, int width,
                                  Object call, boolean cleared) {
        if (NARROW) {
            productTransposedNarrow(a, x, c, r0, r1End, k0, k1, width, call, cleared);
            return;
        }
        for (int kb = k0; kb < k1; kb += K_BLOCK) {
            int ke = Math.min(k1, kb + K_BLOCK);
            // The first block of terms starts from zero vectors when c's rows hold +0.0; the later
            // blocks add to what the earlier ones stored.
            boolean fromZero = cleared && kb == k0;
            // Rows outside, columns inside: each block of four rows of c is read and written along
            // its rows, once, while the rows of x (a few positions' inputs) stay in the caches.
            for (int r = r0; r < r1End; r += 4) {
                // Past the last row, the last row again: its outputs are computed twice, the same way.
                int r1 = Math.min(r + 1, r1End - 1);
                int r2 = Math.min(r + 2, r1End - 1);
                int r3 = Math.min(r + 3, r1End - 1);
                double[] c0 = c[r];
                double[] c1 = c[r1];
                double[] c2 = c[r2];
                double[] c3 = c[r3];
                int j = 0;
                for (; j + 4 * L <= width; j += 4 * L) {
                    productTransposedBlock4(a, r, r1, r2, r3, x, kb, ke, c0, c1, c2, c3, j, fromZero);
                }
                for (; j + L <= width; j += L) {
                    productTransposedBlock1(a, r, r1, r2, r3, x, kb, ke, c0, c1, c2, c3, j, fromZero);
                }
                productTransposedTail(a, r, r1, r2, r3, x, kb, ke, c0, c1, c2, c3, j, width, fromZero);
            }
        }
    }

    /**
     * Four rows of {@code c}, columns {@code [j, j + 4L)}, plus the terms {@code [k0, k1)}: 16 sums
     * in registers. With {@code cleared} the rows hold {@code +0.0} and the sums start from zero
     * vectors, unread (see {@link #productTransposed(double[][], double[][], double[][], int, int,
     * int, int, int, Object, boolean)}).
     */
    private static void productTransposedBlock4(double[][] a, int q0, int q1, int q2, int q3, double[][] x, int k0, int k1,
            double[] c0, double[] c1, double[] c2, double[] c3, int j, boolean cleared) {
        DoubleVector zero = Z.broadcast(0.0);
        DoubleVector s00 = start(cleared, zero, c0, j);
        DoubleVector s01 = start(cleared, zero, c0, j + 1 * L);
        DoubleVector s02 = start(cleared, zero, c0, j + 2 * L);
        DoubleVector s03 = start(cleared, zero, c0, j + 3 * L);
        DoubleVector s10 = start(cleared, zero, c1, j);
        DoubleVector s11 = start(cleared, zero, c1, j + 1 * L);
        DoubleVector s12 = start(cleared, zero, c1, j + 2 * L);
        DoubleVector s13 = start(cleared, zero, c1, j + 3 * L);
        DoubleVector s20 = start(cleared, zero, c2, j);
        DoubleVector s21 = start(cleared, zero, c2, j + 1 * L);
        DoubleVector s22 = start(cleared, zero, c2, j + 2 * L);
        DoubleVector s23 = start(cleared, zero, c2, j + 3 * L);
        DoubleVector s30 = start(cleared, zero, c3, j);
        DoubleVector s31 = start(cleared, zero, c3, j + 1 * L);
        DoubleVector s32 = start(cleared, zero, c3, j + 2 * L);
        DoubleVector s33 = start(cleared, zero, c3, j + 3 * L);
        for (int k = k0; k < k1; k++) {
            double[] ak = a[k];
            double[] xk = x[k];
            DoubleVector x0 = DoubleVector.fromArray(S, xk, j);
            DoubleVector x1 = DoubleVector.fromArray(S, xk, j + 1 * L);
            DoubleVector x2 = DoubleVector.fromArray(S, xk, j + 2 * L);
            DoubleVector x3 = DoubleVector.fromArray(S, xk, j + 3 * L);
            DoubleVector b0 = Z.broadcast(ak[q0]);
            s00 = b0.fma(x0, s00);
            s01 = b0.fma(x1, s01);
            s02 = b0.fma(x2, s02);
            s03 = b0.fma(x3, s03);
            DoubleVector b1 = Z.broadcast(ak[q1]);
            s10 = b1.fma(x0, s10);
            s11 = b1.fma(x1, s11);
            s12 = b1.fma(x2, s12);
            s13 = b1.fma(x3, s13);
            DoubleVector b2 = Z.broadcast(ak[q2]);
            s20 = b2.fma(x0, s20);
            s21 = b2.fma(x1, s21);
            s22 = b2.fma(x2, s22);
            s23 = b2.fma(x3, s23);
            DoubleVector b3 = Z.broadcast(ak[q3]);
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

    /** {@link #productTransposedBlock4} for one vector of columns: 4 sums. */
    private static void productTransposedBlock1(double[][] a, int q0, int q1, int q2, int q3, double[][] x, int k0, int k1,
            double[] c0, double[] c1, double[] c2, double[] c3, int j, boolean cleared) {
        DoubleVector zero = Z.broadcast(0.0);
        DoubleVector s00 = start(cleared, zero, c0, j);
        DoubleVector s10 = start(cleared, zero, c1, j);
        DoubleVector s20 = start(cleared, zero, c2, j);
        DoubleVector s30 = start(cleared, zero, c3, j);
        for (int k = k0; k < k1; k++) {
            double[] ak = a[k];
            double[] xk = x[k];
            DoubleVector x0 = DoubleVector.fromArray(S, xk, j);
            DoubleVector b0 = Z.broadcast(ak[q0]);
            s00 = b0.fma(x0, s00);
            DoubleVector b1 = Z.broadcast(ak[q1]);
            s10 = b1.fma(x0, s10);
            DoubleVector b2 = Z.broadcast(ak[q2]);
            s20 = b2.fma(x0, s20);
            DoubleVector b3 = Z.broadcast(ak[q3]);
            s30 = b3.fma(x0, s30);
        }
        s00.intoArray(c0, j);
        s10.intoArray(c1, j);
        s20.intoArray(c2, j);
        s30.intoArray(c3, j);
    }

    /** {@link #productTransposedBlock4} for the columns short of a vector, one by one. */
    private static void productTransposedTail(double[][] a, int q0, int q1, int q2, int q3, double[][] x, int k0, int k1,
            double[] c0, double[] c1, double[] c2, double[] c3, int j0, int j1, boolean cleared) {
        for (int j = j0; j < j1; j++) {
            double s0 = cleared ? 0.0 : c0[j];
            double s1 = cleared ? 0.0 : c1[j];
            double s2 = cleared ? 0.0 : c2[j];
            double s3 = cleared ? 0.0 : c3[j];
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

    // ---------------------------------------------------------------------------------------
    // The shapes for 16 registers (AVX2): four rows times two vectors; see the class comment.
    // ---------------------------------------------------------------------------------------

    /**
     * Positions per tile of {@link #productExactByRowsPacked}, and columns per block of the narrow
     * backward products: two vectors.
     */
    static final int NARROW_POSITIONS = 2 * L;

    /**
     * Terms per pass of the narrow backward products ({@link #product} and
     * {@link #productTransposed} with 16 registers). A block of four rows of the output takes
     * this many terms at a time along its whole rows, rather than all the terms of a block of
     * {@link #K_BLOCK} one block of columns at a time: each pass then reads 32 rows of {@code x}
     * front to back, streams the prefetcher follows, where the other order read the same 64 rows
     * a few cache lines at a time, one line per row and block. 8, 16 and 32 were measured (32
     * best); the sums are loaded and stored once per pass, which costs nothing measurable.
     */
    static final int NARROW_TERMS = 32;

    /**
     * Doubles of {@code x} that one pass of {@link #productNarrow} keeps in the second-level
     * cache (256 KB of Zen 3's 512 KB) while every block of rows of the output goes over them.
     */
    static final int NARROW_X_DOUBLES = 32_768;

    /** Doubles {@link #packInput} writes for {@code n} positions of {@code cols} columns. */
    static int packedSize(int n, int cols) {
        return (n + NARROW_POSITIONS - 1) / NARROW_POSITIONS * cols * NARROW_POSITIONS;
    }

    /**
     * The input of {@link #productExactByRowsPacked}: tile {@code q} of {@link #NARROW_POSITIONS}
     * positions holds, for each column {@code k} in order, those positions' values,
     * {@code packed[(q cols + k) NARROW_POSITIONS + lane] = in[from + q NARROW_POSITIONS + lane][k]},
     * and zeros past the last position. A tile's whole sum is then read from consecutive memory,
     * one stream, with one index the JIT checks once per loop rather than a row of a transposed
     * input per term (an array to load and check on every term).
     */
    static void packInput(double[][] in, int from, int to, int cols, double[] packed) {
        packInput(in, from, to, cols, packed, 0);
    }

    /**
     * {@link #packInput(double[][], int, int, int, double[])} into {@code packed} from
     * {@code offset} on: positions {@code [from, to)} of a larger input whose tile at
     * {@code offset} starts at {@code from} ({@code offset} a multiple of
     * {@code cols NARROW_POSITIONS}).
     */
    static void packInput(double[][] in, int from, int to, int cols, double[] packed, int offset) {
        int n = to - from;
        int tiles = (n + NARROW_POSITIONS - 1) / NARROW_POSITIONS;
        for (int q = 0; q < tiles; q++) {
            int base = offset + q * cols * NARROW_POSITIONS;
            int t0 = from + q * NARROW_POSITIONS;
            int count = Math.min(NARROW_POSITIONS, to - t0);
            if (count < NARROW_POSITIONS) {
                Arrays.fill(packed, base, base + cols * NARROW_POSITIONS, 0.0);
            }
            for (int lane = 0; lane < count; lane++) {
                double[] row = in[t0 + lane];
                for (int k = 0; k < cols; k++) {
                    packed[base + k * NARROW_POSITIONS + lane] = row[k];
                }
            }
        }
    }

    /**
     * {@link #productExactByRows} for 16 registers, from the input packed by {@link #packInput}
     * ({@code n} positions, {@code w[o0].length} columns): tiles of four rows of the weights times
     * {@link #NARROW_POSITIONS} positions (8 sums, 2 loaded vectors, a broadcast weight and a
     * product: 12 registers), each sum the left fold over {@code k} from 0 with every product
     * rounded before it is added, written out through {@code tile} (at least
     * {@code 4 NARROW_POSITIONS}). Positions past {@code n} are zeros in the packing, summed in
     * their lanes and never written; rows past the last whole block of four repeat the last row.
     */
    static void productExactByRowsPacked(double[] packed, int n, double[][] w, int o0, int o1, double[][] out,
                                         int from, double[] tile) {
        int k1 = w[o0].length;
        for (int o = o0; o < o1; o += 4) {
            // Past the last row, the last row again: its outputs are computed twice, the same way.
            double[] w0 = w[o];
            double[] w1 = w[Math.min(o + 1, o1 - 1)];
            double[] w2 = w[Math.min(o + 2, o1 - 1)];
            double[] w3 = w[Math.min(o + 3, o1 - 1)];
            int rows = Math.min(4, o1 - o);
            for (int p = 0; p < n; p += NARROW_POSITIONS) {
                exactRowsPacked2(w0, w1, w2, w3, packed, p * k1, k1, tile);
                scatter(tile, NARROW_POSITIONS, out, from + p, Math.min(NARROW_POSITIONS, n - p), o, rows);
            }
        }
    }

    private static void exactRowsPacked2(double[] w0, double[] w1, double[] w2, double[] w3, double[] packed,
                                         int base, int k1, double[] tile) {
        DoubleVector s00 = Z.broadcast(0.0);
        DoubleVector s01 = s00;
        DoubleVector s10 = s00;
        DoubleVector s11 = s00;
        DoubleVector s20 = s00;
        DoubleVector s21 = s00;
        DoubleVector s30 = s00;
        DoubleVector s31 = s00;
        for (int k = 0; k < k1; k++) {
            int i = base + k * NARROW_POSITIONS;
            DoubleVector x0 = DoubleVector.fromArray(S, packed, i);
            DoubleVector x1 = DoubleVector.fromArray(S, packed, i + L);
            DoubleVector b0 = Z.broadcast(w0[k]);
            s00 = b0.mul(x0).add(s00);
            s01 = b0.mul(x1).add(s01);
            DoubleVector b1 = Z.broadcast(w1[k]);
            s10 = b1.mul(x0).add(s10);
            s11 = b1.mul(x1).add(s11);
            DoubleVector b2 = Z.broadcast(w2[k]);
            s20 = b2.mul(x0).add(s20);
            s21 = b2.mul(x1).add(s21);
            DoubleVector b3 = Z.broadcast(w3[k]);
            s30 = b3.mul(x0).add(s30);
            s31 = b3.mul(x1).add(s31);
        }
        int stride = NARROW_POSITIONS;
        s00.intoArray(tile, 0);
        s01.intoArray(tile, L);
        s10.intoArray(tile, stride);
        s11.intoArray(tile, stride + L);
        s20.intoArray(tile, 2 * stride);
        s21.intoArray(tile, 2 * stride + L);
        s30.intoArray(tile, 3 * stride);
        s31.intoArray(tile, 3 * stride + L);
    }

    /**
     * Terms per pass of {@link #productNarrow}: 256 rows of {@code x} in a panel of two vectors
     * are 16 KB, and the panels of the rows of {@code a} for up to 64 positions 128 KB. 64, 128,
     * 256 and 512 measured alike.
     */
    static final int PANEL_TERMS = 256;

    /**
     * {@link #product} for 16 registers, over panels ({@link Panels}), in blocks of six rows of
     * {@code c} times two vectors (12 sums, 2 loaded vectors and a broadcast: 15 registers) with
     * {@link #panelBlock6x2}, the kernel of {@link #productTransposedNarrow}. The terms go
     * {@link #PANEL_TERMS} at a time: for each such pass, the rows of {@code a} are first copied
     * six at a time, {@code aPanels[b][(k - kb) 6 + i] = a[r0 + 6 b + i][k]} (past the last row,
     * the last row again: see {@link #panelRows}), and then {@code x}'s columns are copied
     * {@link #COLUMN_GROUP} blocks of two vectors at a time, each block into a panel
     * {@code xPanels[g][(k - kb) NARROW_POSITIONS + lane] = x[k][j + lane]}, which every block of
     * rows goes over while it is in the first-level cache. The kernel reads both at constant
     * multiples of {@code k}, where a row {@code x[k]} per term cost a load of the row, of its
     * length and a check of each vector. Only the columns short of two vectors are left to
     * {@link #productNarrowRows}. Each output is still the chain of fused multiply-adds over
     * {@code k} in order from its stored value (the copies hold the same numbers, and the sums are
     * stored between passes, exactly).
     *
     * <p>Measured on a Zen 3 (one thread, whole training steps at {@code nEmbd} 256, one JVM, the
     * previous version alternated with this one): the rows short of a block of six (4 of 64
     * positions, 6% of the work) took 12% of the time in the kernel without panels, and copying
     * the panels of {@code x} one {@link System#arraycopy} of 64 bytes at a time took 17%; both
     * products (this and {@link #productTransposedNarrow}) together now make a step 1.09-1.19x
     * faster.
     */
    private static void productNarrow(double[][] a, double[][] x, double[][] c, int r0, int r1End, int k0, int k1,
                                      int j0, int j1, Object call) {
        int blocksEnd = j0 + (j1 - j0) / NARROW_POSITIONS * NARROW_POSITIONS;
        if (r0 >= r1End || k0 >= k1) {
            return;
        }
        if (j0 >= blocksEnd) {
            productNarrowRows(a, x, c, r0, r1End, k0, k1, j0, j1);
            return;
        }
        Panels panels = Panels.LOCAL.get();
        int rowBlocks = (r1End - r0 + BLOCK_ROWS - 1) / BLOCK_ROWS;
        int passes = (k1 - k0 + PANEL_TERMS - 1) / PANEL_TERMS;
        // Every pass's panels of a at once (one block of rows per panel, pass after pass), so
        // that the thread's next call of the same product finds them all.
        double[][] allPanels = panels.aPanels(passes * rowBlocks, Math.min(PANEL_TERMS, k1 - k0) * A_STRIDE);
        boolean copied = panels.holdsA(call, a, r0, r1End, k0, k1);
        for (int kb = k0; kb < k1; kb += PANEL_TERMS) {
            int ke = Math.min(k1, kb + PANEL_TERMS);
            int terms = ke - kb;
            int first = (kb - k0) / PANEL_TERMS * rowBlocks;
            for (int rb = 0; rb < rowBlocks && !copied; rb++) {
                int r = r0 + BLOCK_ROWS * rb;
                // Past the last row, the last row again (see panelRows).
                double[] aPanel = allPanels[first + rb];
                for (int i = 0; i < BLOCK_ROWS; i++) {
                    double[] ai = a[Math.min(r + i, r1End - 1)];
                    for (int k = kb, at = i; k < ke; k++, at += A_STRIDE) {
                        aPanel[at] = ai[k];
                    }
                }
            }
            // x's columns COLUMN_GROUP blocks at a time, each of its rows read along 64 columns
            // rather than 8 (a cache line a row, every line of it a miss when x is the weights
            // and comes from memory).
            double[][] xPanels = panels.groupPanels(COLUMN_GROUP, terms * NARROW_POSITIONS);
            for (int jg = j0; jg < blocksEnd; jg += COLUMN_GROUP * NARROW_POSITIONS) {
                int count = Math.min(COLUMN_GROUP, (blocksEnd - jg) / NARROW_POSITIONS);
                for (int k = kb; k < ke; k++) {
                    double[] xk = x[k];
                    int at = (k - kb) * NARROW_POSITIONS;
                    for (int g = 0; g < count; g++) {
                        int j = jg + g * NARROW_POSITIONS;
                        DoubleVector.fromArray(S, xk, j).intoArray(xPanels[g], at);
                        DoubleVector.fromArray(S, xk, j + L).intoArray(xPanels[g], at + L);
                    }
                }
                for (int g = 0; g < count; g++) {
                    for (int rb = 0; rb < rowBlocks; rb++) {
                        panelRows(allPanels[first + rb], xPanels[g], terms, c, r0 + BLOCK_ROWS * rb, r1End,
                                jg + g * NARROW_POSITIONS, false);
                    }
                }
            }
        }
        if (blocksEnd < j1) {
            productNarrowRows(a, x, c, r0, r1End, k0, k1, blocksEnd, j1);
        }
    }

    /**
     * Doubles per term in a panel of {@code a} ({@link Panels}): one per row of a block. C2
     * compiles {@code 6 k} as two shifts and an add, which its range-check elimination does not
     * recognise, so the kernels' loops check the term's first and last value on every term (seen
     * in the disassembly). Eight (one shift; six values and two unused) removes those checks, but
     * then C2 keeps three broadcasts live and spills a sum to the stack, loaded and stored on every
     * term: 1.4x slower (measured on a Zen 3), so six it is.
     */
    static final int A_STRIDE = 6;

    /** Blocks of two vectors of columns that {@link #productNarrow} copies into panels at a time. */
    static final int COLUMN_GROUP = 8;

    /** Rows of {@code c} per block of the panel kernels. */
    static final int BLOCK_ROWS = 6;

    /**
     * Rows of the weights' gradient per block of {@link #productTransposed}: {@link #BLOCK_ROWS}
     * with 16 registers (the panel kernels), four with 32. {@code VectorMatrixKernels} cuts the
     * rows between threads at multiples of it, so that every chunk of rows is whole blocks but
     * the matrix's last (cut at multiples of four, each chunk of 16 registers ended in a block of
     * two or four rows, computed by the slower kernel of four rows, two of them twice).
     */
    static final int TRANSPOSED_ROWS = NARROW ? BLOCK_ROWS : 4;

    /**
     * {@code xPanel[(k - k0) NARROW_POSITIONS + lane] = x[k][j + lane]} for {@code k} in
     * {@code [k0, k1)}: two vectors of {@code x}'s columns, one term after another. With vector
     * loads and stores rather than {@link System#arraycopy} (a call per 64 bytes, a sixth of the
     * input's gradient's time at {@code nEmbd} 256).
     */
    private static void copyColumns(double[][] x, int k0, int k1, int j, double[] xPanel) {
        for (int k = k0; k < k1; k++) {
            double[] xk = x[k];
            int at = (k - k0) * NARROW_POSITIONS;
            DoubleVector.fromArray(S, xk, j).intoArray(xPanel, at);
            DoubleVector.fromArray(S, xk, j + L).intoArray(xPanel, at + L);
        }
    }

    /**
     * The rows {@code [r, min(r + 6, r1End))} of {@code c}, columns {@code [j, j + 2L)}, over the
     * panels: {@link #panelBlock6x2} for five or six rows, {@link #panelBlock4x2} for fewer, the
     * rows past {@code r1End - 1} being that row again (its panel holds its values there too):
     * its outputs are then computed more than once, the same way, and stored more than once, so
     * every output gets the same chain of fused multiply-adds whichever block it falls in.
     * {@code cleared}: the sums start from zero, the rows unread (see {@link #productTransposed(double[][],
     * double[][], double[][], int, int, int, int, int, Object, boolean)}).
     */
    private static void panelRows(double[] aPanel, double[] xPanel, int terms, double[][] c, int r, int r1End, int j,
                                  boolean cleared) {
        int last = r1End - 1;
        if (BLOCK_ROWS == 6 && r1End - r > 4) {
            panelBlock6x2(aPanel, xPanel, terms, c[r], c[r + 1], c[r + 2], c[r + 3], c[r + 4], c[Math.min(r + 5, last)], j,
                    cleared);
        } else {
            panelBlock4x2(aPanel, xPanel, terms, c[r], c[Math.min(r + 1, last)], c[Math.min(r + 2, last)],
                    c[Math.min(r + 3, last)], j, cleared);
        }
    }

    /**
     * {@link #product} for 16 registers without panels: the edges of {@link #productNarrow}. The
     * rows of {@code x} go in groups that fill {@link #NARROW_X_DOUBLES} (they stay in the
     * second-level cache while every block of four rows of {@code c} goes over them); each block
     * of rows takes them {@link #NARROW_TERMS} at a time along its whole row, in blocks of four
     * rows times two vectors (8 sums, 2 loaded vectors and a broadcast: 11 registers), then one
     * vector, then one by one. Each output is the chain of fused multiply-adds over {@code k} in
     * order from its stored value.
     */
    private static void productNarrowRows(double[][] a, double[][] x, double[][] c, int r0, int r1End, int k0, int k1,
                                          int j0, int j1) {
        int group = Math.max(NARROW_TERMS, NARROW_X_DOUBLES / Math.max(1, j1 - j0) / NARROW_TERMS * NARROW_TERMS);
        for (int kg = k0; kg < k1; kg += group) {
            int kgEnd = Math.min(k1, kg + group);
            for (int r = r0; r < r1End; r += 4) {
                // Past the last row, the last row again: its outputs are computed twice, the same way.
                int r1 = Math.min(r + 1, r1End - 1);
                int r2 = Math.min(r + 2, r1End - 1);
                int r3 = Math.min(r + 3, r1End - 1);
                double[] c0 = c[r];
                double[] c1 = c[r1];
                double[] c2 = c[r2];
                double[] c3 = c[r3];
                for (int kb = kg; kb < kgEnd; kb += NARROW_TERMS) {
                    int ke = Math.min(kgEnd, kb + NARROW_TERMS);
                    int j = j0;
                    for (; j + 2 * L <= j1; j += 2 * L) {
                        productBlock2(a[r], a[r1], a[r2], a[r3], x, kb, ke, c0, c1, c2, c3, j);
                    }
                    for (; j + L <= j1; j += L) {
                        productBlock1(a[r], a[r1], a[r2], a[r3], x, kb, ke, c0, c1, c2, c3, j);
                    }
                    productTail(a[r], a[r1], a[r2], a[r3], x, kb, ke, c0, c1, c2, c3, j, j1);
                }
            }
        }
    }

    private static void productBlock2(double[] a0, double[] a1, double[] a2, double[] a3, double[][] x, int k0, int k1,
            double[] c0, double[] c1, double[] c2, double[] c3, int j) {
        DoubleVector s00 = DoubleVector.fromArray(S, c0, j);
        DoubleVector s01 = DoubleVector.fromArray(S, c0, j + L);
        DoubleVector s10 = DoubleVector.fromArray(S, c1, j);
        DoubleVector s11 = DoubleVector.fromArray(S, c1, j + L);
        DoubleVector s20 = DoubleVector.fromArray(S, c2, j);
        DoubleVector s21 = DoubleVector.fromArray(S, c2, j + L);
        DoubleVector s30 = DoubleVector.fromArray(S, c3, j);
        DoubleVector s31 = DoubleVector.fromArray(S, c3, j + L);
        for (int k = k0; k < k1; k++) {
            double[] xk = x[k];
            DoubleVector x0 = DoubleVector.fromArray(S, xk, j);
            DoubleVector x1 = DoubleVector.fromArray(S, xk, j + L);
            DoubleVector b0 = Z.broadcast(a0[k]);
            s00 = b0.fma(x0, s00);
            s01 = b0.fma(x1, s01);
            DoubleVector b1 = Z.broadcast(a1[k]);
            s10 = b1.fma(x0, s10);
            s11 = b1.fma(x1, s11);
            DoubleVector b2 = Z.broadcast(a2[k]);
            s20 = b2.fma(x0, s20);
            s21 = b2.fma(x1, s21);
            DoubleVector b3 = Z.broadcast(a3[k]);
            s30 = b3.fma(x0, s30);
            s31 = b3.fma(x1, s31);
        }
        s00.intoArray(c0, j);
        s01.intoArray(c0, j + L);
        s10.intoArray(c1, j);
        s11.intoArray(c1, j + L);
        s20.intoArray(c2, j);
        s21.intoArray(c2, j + L);
        s30.intoArray(c3, j);
        s31.intoArray(c3, j + L);
    }

    /**
     * {@link #productTransposed} for 16 registers, over panels ({@link Panels}), in blocks of six
     * rows of {@code c} times two vectors ({@link #panelBlock6x2}: 12 sums, 2 loaded vectors and
     * a broadcast, 15 registers), as {@link FloatProducts} does in single precision. First
     * {@code x}'s columns are copied two vectors at a time,
     * {@code xPanels[jp][(k - k0) NARROW_POSITIONS + lane] = x[k][jp NARROW_POSITIONS + lane]},
     * and for each block of six rows {@code aPanel[(k - k0) 6 + i] = a[k][r + i]} (past the last
     * row, the last row again: see {@link #panelRows}); the kernel then reads both at constant
     * multiples of {@code k} instead of loading two rows, their lengths and checking each read on
     * every term. The panels of {@code x} go {@link #TRANSPOSED_GROUP_DOUBLES} at a time, each group
     * over every block of rows, so that they stay in the second-level cache. All the terms go in
     * one pass (the positions of a document: 64 at most here). Only the columns short of two
     * vectors are left to {@link #productTransposedRows}. Each output is still one chain of fused
     * multiply-adds over {@code k} in order from its stored value, or from zero when
     * {@code cleared}.
     */
    private static void productTransposedNarrow(double[][] a, double[][] x, double[][] c, int r0, int r1End, int k0,
                                                int k1, int width, Object call, boolean cleared) {
        int blocksEnd = width / NARROW_POSITIONS * NARROW_POSITIONS;
        int terms = k1 - k0;
        if (r0 >= r1End || terms <= 0) {
            return;
        }
        if (blocksEnd > 0) {
            Panels panels = Panels.LOCAL.get();
            int count = blocksEnd / NARROW_POSITIONS;
            double[][] xPanels = panels.xPanels(count, terms * NARROW_POSITIONS);
            if (!panels.holdsX(call, x, k0, k1, width)) {
                for (int jp = 0; jp < count; jp++) {
                    copyColumns(x, k0, k1, jp * NARROW_POSITIONS, xPanels[jp]);
                }
            }
            int rowBlocks = (r1End - r0 + BLOCK_ROWS - 1) / BLOCK_ROWS;
            double[][] aPanels = panels.tPanels(rowBlocks, terms * A_STRIDE);
            int last = r1End - 1;
            for (int rb = 0; rb < rowBlocks; rb++) {
                int r = r0 + BLOCK_ROWS * rb;
                double[] aPanel = aPanels[rb];
                for (int k = k0; k < k1; k++) {
                    double[] ak = a[k];
                    int at = (k - k0) * A_STRIDE;
                    for (int i = 0; i < BLOCK_ROWS; i++) {
                        // Past the last row, the last row again (see panelRows).
                        aPanel[at + i] = ak[Math.min(r + i, last)];
                    }
                }
            }
            // Columns in groups of panels that stay in the second-level cache while every block
            // of rows goes over them (all of x's 1024 columns, 64 positions, are 512 KB).
            int group = Math.max(1, TRANSPOSED_GROUP_DOUBLES / (terms * NARROW_POSITIONS));
            for (int jg = 0; jg < count; jg += group) {
                int jgEnd = Math.min(count, jg + group);
                for (int rb = 0; rb < rowBlocks; rb++) {
                    double[] aPanel = aPanels[rb];
                    int r = r0 + BLOCK_ROWS * rb;
                    for (int jp = jg; jp < jgEnd; jp++) {
                        panelRows(aPanel, xPanels[jp], terms, c, r, r1End, jp * NARROW_POSITIONS, cleared);
                    }
                }
            }
        }
        if (blocksEnd < width) {
            productTransposedRows(a, x, c, r0, r1End, k0, k1, blocksEnd, width, cleared);
        }
    }

    /**
     * Doubles of {@code x}'s panels that {@link #productTransposedNarrow} takes at a time: 128 KB,
     * a quarter of Zen 3's second-level cache.
     */
    static final int TRANSPOSED_GROUP_DOUBLES = 16_384;

    /**
     * Each thread's panels for {@link #productNarrow} and {@link #productTransposedNarrow}, grown
     * as needed, never shrunk: at {@code nEmbd} 256 and 64 positions, 512 KB for the weights'
     * gradient of the widest input (1024 columns by 64 positions), 128 KB and 16 KB for the
     * input's. One per thread, so that threads never share them; what is in them is a copy of the
     * operands, so the results do not depend on the thread count.
     */
    private static final class Panels {
        static final ThreadLocal<Panels> LOCAL = ThreadLocal.withInitial(Panels::new);

        private double[][] xPanels = new double[0][];
        private double[][] aPanels = new double[0][];
        private double[][] tPanels = new double[0][];
        private double[][] groupPanels = new double[0][];

        /** What {@link #xPanels} holds. */
        private final PanelContents xContents = new PanelContents();
        /** What {@link #aPanels} holds. */
        private final PanelContents aContents = new PanelContents();

        /** At least {@code count} panels of at least {@code length} doubles each, for {@code x}. */
        double[][] xPanels(int count, int length) {
            double[][] before = xPanels;
            xPanels = ScratchArrays.atLeast(xPanels, count, length);
            if (xPanels != before) {
                xContents.forget();
            }
            return xPanels;
        }

        /**
         * Whether {@link #xPanels} already hold {@code x}'s terms {@code [k0, k1)} and columns
         * {@code [0, width)}, copied by this thread for the same {@code call} (never for a null
         * one); if not, records that they are about to, since the caller copies them next.
         */
        boolean holdsX(Object call, double[][] x, int k0, int k1, int width) {
            return xContents.holds(call, x, k0, k1, width, 0);
        }

        /**
         * Whether {@link #aPanels} already hold the rows {@code [r0, r1)} of {@code a}, terms
         * {@code [k0, k1)}, copied by this thread for the same {@code call} (never for a null
         * one); if not, records that they are about to, since the caller copies them next.
         */
        boolean holdsA(Object call, double[][] a, int r0, int r1, int k0, int k1) {
            return aContents.holds(call, a, r0, r1, k0, k1);
        }

        /** At least {@code count} panels of at least {@code length} doubles each, for {@code a}. */
        double[][] aPanels(int count, int length) {
            double[][] before = aPanels;
            aPanels = ScratchArrays.atLeast(aPanels, count, length);
            if (aPanels != before) {
                aContents.forget();
            }
            return aPanels;
        }

        /**
         * At least {@code count} panels of at least {@code length} doubles each, for {@code a} in
         * {@link #productTransposedNarrow} (apart from {@link #aPanels}, whose panels are fewer
         * and longer: one array of both shapes would be the larger of each).
         */
        double[][] tPanels(int count, int length) {
            tPanels = ScratchArrays.atLeast(tPanels, count, length);
            return tPanels;
        }

        /** At least {@code count} panels of at least {@code length} doubles, for {@code x} in {@link #productNarrow}. */
        double[][] groupPanels(int count, int length) {
            groupPanels = ScratchArrays.atLeast(groupPanels, count, length);
            return groupPanels;
        }
    }

    /**
     * Six rows of {@code c}, columns {@code [j, j + 2L)}, plus the sums over {@code k <
     * terms} of {@code aPanel[6 k + i]} times two vectors of {@code xPanel} at
     * {@code k NARROW_POSITIONS}: 12 sums in registers, 2 loaded vectors and a broadcast per row
     * and term, one fused multiply-add per sum and term, in the order of {@code k}. With
     * {@code cleared} the sums start from zero vectors, the rows unread (they hold {@code +0.0},
     * or stale scratch).
     */
    private static void panelBlock6x2(double[] aPanel, double[] xPanel, int terms, double[] c0,
            double[] c1, double[] c2, double[] c3, double[] c4, double[] c5, int j, boolean cleared) {
        // From zero vectors when the rows are cleared (see productTransposed): the same bits, no loads.
        DoubleVector zero = Z.broadcast(0.0);
        DoubleVector s00 = start(cleared, zero, c0, j);
        DoubleVector s01 = start(cleared, zero, c0, j + L);
        DoubleVector s10 = start(cleared, zero, c1, j);
        DoubleVector s11 = start(cleared, zero, c1, j + L);
        DoubleVector s20 = start(cleared, zero, c2, j);
        DoubleVector s21 = start(cleared, zero, c2, j + L);
        DoubleVector s30 = start(cleared, zero, c3, j);
        DoubleVector s31 = start(cleared, zero, c3, j + L);
        DoubleVector s40 = start(cleared, zero, c4, j);
        DoubleVector s41 = start(cleared, zero, c4, j + L);
        DoubleVector s50 = start(cleared, zero, c5, j);
        DoubleVector s51 = start(cleared, zero, c5, j + L);
        for (int k = 0; k < terms; k++) {
            DoubleVector x0 = DoubleVector.fromArray(S, xPanel, k * NARROW_POSITIONS);
            DoubleVector x1 = DoubleVector.fromArray(S, xPanel, k * NARROW_POSITIONS + L);
            DoubleVector b0 = Z.broadcast(aPanel[k * A_STRIDE]);
            s00 = b0.fma(x0, s00);
            s01 = b0.fma(x1, s01);
            DoubleVector b1 = Z.broadcast(aPanel[k * A_STRIDE + 1]);
            s10 = b1.fma(x0, s10);
            s11 = b1.fma(x1, s11);
            DoubleVector b2 = Z.broadcast(aPanel[k * A_STRIDE + 2]);
            s20 = b2.fma(x0, s20);
            s21 = b2.fma(x1, s21);
            DoubleVector b3 = Z.broadcast(aPanel[k * A_STRIDE + 3]);
            s30 = b3.fma(x0, s30);
            s31 = b3.fma(x1, s31);
            DoubleVector b4 = Z.broadcast(aPanel[k * A_STRIDE + 4]);
            s40 = b4.fma(x0, s40);
            s41 = b4.fma(x1, s41);
            DoubleVector b5 = Z.broadcast(aPanel[k * A_STRIDE + 5]);
            s50 = b5.fma(x0, s50);
            s51 = b5.fma(x1, s51);
        }
        s00.intoArray(c0, j);
        s01.intoArray(c0, j + L);
        s10.intoArray(c1, j);
        s11.intoArray(c1, j + L);
        s20.intoArray(c2, j);
        s21.intoArray(c2, j + L);
        s30.intoArray(c3, j);
        s31.intoArray(c3, j + L);
        s40.intoArray(c4, j);
        s41.intoArray(c4, j + L);
        s50.intoArray(c5, j);
        s51.intoArray(c5, j + L);
    }

    /**
     * {@link #panelBlock6x2} for four rows of {@code c} (the first four values of each term of
     * the panel): 8 sums, 2 loaded vectors and a broadcast. With {@code cleared} the sums start
     * from zero vectors, {@code c} unread, as there.
     */
    private static void panelBlock4x2(double[] aPanel, double[] xPanel, int terms, double[] c0,
            double[] c1, double[] c2, double[] c3, int j, boolean cleared) {
        DoubleVector zero = Z.broadcast(0.0);
        DoubleVector s00 = start(cleared, zero, c0, j);
        DoubleVector s01 = start(cleared, zero, c0, j + L);
        DoubleVector s10 = start(cleared, zero, c1, j);
        DoubleVector s11 = start(cleared, zero, c1, j + L);
        DoubleVector s20 = start(cleared, zero, c2, j);
        DoubleVector s21 = start(cleared, zero, c2, j + L);
        DoubleVector s30 = start(cleared, zero, c3, j);
        DoubleVector s31 = start(cleared, zero, c3, j + L);
        for (int k = 0; k < terms; k++) {
            DoubleVector x0 = DoubleVector.fromArray(S, xPanel, k * NARROW_POSITIONS);
            DoubleVector x1 = DoubleVector.fromArray(S, xPanel, k * NARROW_POSITIONS + L);
            DoubleVector b0 = Z.broadcast(aPanel[k * A_STRIDE]);
            s00 = b0.fma(x0, s00);
            s01 = b0.fma(x1, s01);
            DoubleVector b1 = Z.broadcast(aPanel[k * A_STRIDE + 1]);
            s10 = b1.fma(x0, s10);
            s11 = b1.fma(x1, s11);
            DoubleVector b2 = Z.broadcast(aPanel[k * A_STRIDE + 2]);
            s20 = b2.fma(x0, s20);
            s21 = b2.fma(x1, s21);
            DoubleVector b3 = Z.broadcast(aPanel[k * A_STRIDE + 3]);
            s30 = b3.fma(x0, s30);
            s31 = b3.fma(x1, s31);
        }
        s00.intoArray(c0, j);
        s01.intoArray(c0, j + L);
        s10.intoArray(c1, j);
        s11.intoArray(c1, j + L);
        s20.intoArray(c2, j);
        s21.intoArray(c2, j + L);
        s30.intoArray(c3, j);
        s31.intoArray(c3, j + L);
    }

    /**
     * {@link #productTransposed} for 16 registers without panels, columns {@code [j0, width)}: the
     * edges of {@link #productTransposedNarrow}. Each block of four rows of {@code c} takes the
     * terms {@link #NARROW_TERMS} at a time along its whole rows, in blocks of four rows times two
     * vectors, then one vector, then one by one; each output the chain of fused multiply-adds over
     * {@code k} in order from its stored value, or, with {@code cleared} (the rows hold
     * {@code +0.0}, or are stale scratch), from zero vectors in the first pass, {@code c} unread.
     */
    private static void productTransposedRows(double[][] a, double[][] x, double[][] c, int r0, int r1End, int k0,
                                              int k1, int j0, int width, boolean cleared) {
        for (int r = r0; r < r1End; r += 4) {
            // Past the last row, the last row again: its outputs are computed twice, the same way.
            int r1 = Math.min(r + 1, r1End - 1);
            int r2 = Math.min(r + 2, r1End - 1);
            int r3 = Math.min(r + 3, r1End - 1);
            double[] c0 = c[r];
            double[] c1 = c[r1];
            double[] c2 = c[r2];
            double[] c3 = c[r3];
            for (int kb = k0; kb < k1; kb += NARROW_TERMS) {
                int ke = Math.min(k1, kb + NARROW_TERMS);
                // The first pass starts from zero when the rows are cleared; the later ones add
                // to what it stored.
                boolean fromZero = cleared && kb == k0;
                int j = j0;
                for (; j + 2 * L <= width; j += 2 * L) {
                    productTransposedBlock2(a, r, r1, r2, r3, x, kb, ke, c0, c1, c2, c3, j, fromZero);
                }
                for (; j + L <= width; j += L) {
                    productTransposedBlock1(a, r, r1, r2, r3, x, kb, ke, c0, c1, c2, c3, j, fromZero);
                }
                productTransposedTail(a, r, r1, r2, r3, x, kb, ke, c0, c1, c2, c3, j, width, fromZero);
            }
        }
    }

    private static void productTransposedBlock2(double[][] a, int q0, int q1, int q2, int q3, double[][] x, int k0,
            int k1, double[] c0, double[] c1, double[] c2, double[] c3, int j, boolean cleared) {
        DoubleVector zero = Z.broadcast(0.0);
        DoubleVector s00 = start(cleared, zero, c0, j);
        DoubleVector s01 = start(cleared, zero, c0, j + L);
        DoubleVector s10 = start(cleared, zero, c1, j);
        DoubleVector s11 = start(cleared, zero, c1, j + L);
        DoubleVector s20 = start(cleared, zero, c2, j);
        DoubleVector s21 = start(cleared, zero, c2, j + L);
        DoubleVector s30 = start(cleared, zero, c3, j);
        DoubleVector s31 = start(cleared, zero, c3, j + L);
        for (int k = k0; k < k1; k++) {
            double[] ak = a[k];
            double[] xk = x[k];
            DoubleVector x0 = DoubleVector.fromArray(S, xk, j);
            DoubleVector x1 = DoubleVector.fromArray(S, xk, j + L);
            DoubleVector b0 = Z.broadcast(ak[q0]);
            s00 = b0.fma(x0, s00);
            s01 = b0.fma(x1, s01);
            DoubleVector b1 = Z.broadcast(ak[q1]);
            s10 = b1.fma(x0, s10);
            s11 = b1.fma(x1, s11);
            DoubleVector b2 = Z.broadcast(ak[q2]);
            s20 = b2.fma(x0, s20);
            s21 = b2.fma(x1, s21);
            DoubleVector b3 = Z.broadcast(ak[q3]);
            s30 = b3.fma(x0, s30);
            s31 = b3.fma(x1, s31);
        }
        s00.intoArray(c0, j);
        s01.intoArray(c0, j + L);
        s10.intoArray(c1, j);
        s11.intoArray(c1, j + L);
        s20.intoArray(c2, j);
        s21.intoArray(c2, j + L);
        s30.intoArray(c3, j);
        s31.intoArray(c3, j + L);
    }
}
