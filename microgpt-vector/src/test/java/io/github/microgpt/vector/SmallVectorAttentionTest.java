package io.github.microgpt.vector;

import static io.github.microgpt.testsupport.Bits.assertBits;
import static io.github.microgpt.testsupport.Matrices.copy;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The small-shape kernels' attention over heads of four channels against the core's
 * {@code SmallAttention}, written out here as its plain loops, bit for bit: the weights, the
 * outputs and the keys' cache of the forward pass, the gradients of the queries, keys and values
 * of the backward pass (added to rows that already hold numbers). One to five heads, one to
 * sixteen positions, a first position that is not 0 (the keys before it already in the cache),
 * and numbers with exact zeros of both signs. The kernels take heads only where a vector holds
 * four doubles (see {@code SmallVectorKernels.HEAD_FITS}); at any other length each case checks
 * instead that they decline (return false) and write nothing, so that the core's loops run on
 * what it gave them. So every case checks one or the other at every length, and nothing is
 * skipped: the pom runs this class at the machine's own length, with 256-bit vectors (four
 * doubles, so that a machine with AVX-512 tests the kernels too) and with 128-bit vectors (two,
 * so that an AVX2 machine, whose own length is four, tests the declining too).
 */
class SmallVectorAttentionTest {

    private static final SmallVectorKernels KERNELS = new SmallVectorKernels();

    record Case(int nHead, int from, int to) {
        @Override
        public String toString() {
            return nHead + " heads, positions [" + from + ", " + to + ")";
        }
    }

    static Stream<Case> cases() {
        List<Case> cases = new ArrayList<>();
        for (int nHead = 1; nHead <= 5; nHead++) {
            for (int to : new int[] {1, 2, 3, 5, 7, 8, 11, 16}) {
                cases.add(new Case(nHead, 0, to));
                if (to > 2) {
                    cases.add(new Case(nHead, to / 2, to));
                }
            }
        }
        return cases.stream();
    }

    /** Numbers in (-2, 2), a tenth of them exact zeros of either sign. */
    private static double[][] randomDoubles(SplittableRandom r, int rows, int cols) {
        double[][] a = new double[rows][cols];
        for (double[] row : a) {
            for (int i = 0; i < cols; i++) {
                int kind = r.nextInt(20);
                row[i] = kind == 0 ? 0.0 : kind == 1 ? -0.0 : r.nextDouble(-2, 2);
            }
        }
        return a;
    }

    /** {@code SmallAttention.forward}'s loops (the core's), position by position, head by head. */
    private static void plainForward(double[][] out, double[][][] weights, double[][] qkv, double[][] keysT,
                                     int nHead, double scale, int from, int to) {
        int c = 4 * nHead;
        for (int t = from; t < to; t++) {
            for (int i = 0; i < c; i++) {
                keysT[i][t] = qkv[t][c + i];
            }
        }
        for (int t = from; t < to; t++) {
            double[] q = qkv[t];
            for (int h = 0; h < nHead; h++) {
                int hs = 4 * h;
                double[] a = weights[t][h];
                double max = Double.NEGATIVE_INFINITY;
                for (int s = 0; s <= t; s++) {
                    double z = 0.0;
                    for (int j = 0; j < 4; j++) {
                        z += q[hs + j] * keysT[hs + j][s];
                    }
                    z *= scale;
                    a[s] = z;
                    max = Math.max(max, z);
                }
                double total = 0.0;
                for (int s = 0; s <= t; s++) {
                    double e = Math.exp(a[s] + -max);
                    a[s] = e;
                    total += e;
                }
                double inverse = Math.pow(total, -1);
                for (int j = 0; j < 4; j++) {
                    double y = 0.0;
                    for (int s = 0; s <= t; s++) {
                        if (j == 0) {
                            a[s] *= inverse;
                        }
                        y += a[s] * qkv[s][2 * c + hs + j];
                    }
                    out[t][hs + j] = y;
                }
            }
        }
    }

    /** {@code SmallAttention.backward}'s loops (the core's). */
    private static void plainBackward(double[][] dqkv, double[][] dout, double[][] qkv, double[][][] weights,
                                      int nHead, double scale, int from, int to) {
        int c = 4 * nHead;
        double[] da = new double[to];
        for (int h = 0; h < nHead; h++) {
            int qs = 4 * h;
            int ks = c + qs;
            int vs = 2 * c + qs;
            for (int t = to - 1; t >= from; t--) {
                double[] a = weights[t][h];
                double weighted = 0.0;
                for (int s = 0; s <= t; s++) {
                    double d = 0.0;
                    for (int j = 0; j < 4; j++) {
                        d += dout[t][qs + j] * qkv[s][vs + j];
                    }
                    da[s] = d;
                    weighted += a[s] * d;
                }
                double[] dq = new double[4];
                for (int j = 0; j < 4; j++) {
                    dq[j] = dqkv[t][qs + j];
                }
                for (int s = 0; s <= t; s++) {
                    double dz = a[s] * (da[s] - weighted) * scale;
                    for (int j = 0; j < 4; j++) {
                        dq[j] += dz * qkv[s][ks + j];
                        dqkv[s][ks + j] += dz * qkv[t][qs + j];
                        dqkv[s][vs + j] += a[s] * dout[t][qs + j];
                    }
                }
                for (int j = 0; j < 4; j++) {
                    dqkv[t][qs + j] = dq[j];
                }
            }
        }
    }

    /** Whether the kernels take heads at this machine's (or execution's) vector length. */
    private static final boolean TAKEN = SmallVectorKernels.L == 4;

    /** A case's name, with which of the two it checks. */
    private static String name(Case k) {
        return k + (TAKEN ? "" : ", left to the core (" + SmallVectorKernels.L + " doubles a vector)");
    }

    /** A deep copy of {@code a}, row by row. */
    private static double[][][] copy3(double[][][] a) {
        double[][][] b = new double[a.length][][];
        for (int i = 0; i < a.length; i++) {
            b[i] = copy(a[i]);
        }
        return b;
    }

    @TestFactory
    Stream<DynamicTest> theForwardPassIsTheCoresBitForBitOrLeftToTheCore() {
        return cases().map(k -> DynamicTest.dynamicTest(name(k), () -> {
            SplittableRandom r = new SplittableRandom(k.hashCode());
            int c = 4 * k.nHead();
            int n = 16;
            double scale = Math.pow(Math.pow(4, 0.5), -1);
            double[][] qkv = randomDoubles(r, n, 3 * c);
            double[][] keysT = randomDoubles(r, c, n);
            double[][] expectedKeysT = copy(keysT);
            double[][][] expectedWeights = new double[n][k.nHead()][n];
            double[][] expectedOut = randomDoubles(r, n, c);
            double[][] out = copy(expectedOut);
            double[][][] weights = new double[n][k.nHead()][n];
            // The cache of the positions before from, as an earlier call would have left it.
            plainForward(expectedOut, expectedWeights, qkv, expectedKeysT, k.nHead(), scale, 0, k.from());
            plainForward(out, weights, qkv, keysT, k.nHead(), scale, 0, k.from());
            if (!TAKEN) {
                // Declined: the core's loops then run on these arrays, so nothing may be written.
                double[][] outBefore = copy(out);
                double[][] keysBefore = copy(keysT);
                double[][][] weightsBefore = copy3(weights);
                assertFalse(KERNELS.attentionForward(out, weights, qkv, keysT, k.nHead(), scale, k.from(), k.to()),
                        "taken at " + SmallVectorKernels.L + " doubles a vector");
                assertBits(outBefore, out, "out");
                assertBits(keysBefore, keysT, "keysT");
                for (int t = 0; t < n; t++) {
                    assertBits(weightsBefore[t], weights[t], "weights[" + t + "]");
                }
                return;
            }
            plainForward(expectedOut, expectedWeights, qkv, expectedKeysT, k.nHead(), scale, k.from(), k.to());
            assertTrue(KERNELS.attentionForward(out, weights, qkv, keysT, k.nHead(), scale, k.from(), k.to()),
                    "declined at 4 doubles a vector");
            assertBits(expectedOut, out, "out");
            assertBits(expectedKeysT, keysT, "keysT");
            for (int t = 0; t < n; t++) {
                assertBits(expectedWeights[t], weights[t], "weights[" + t + "]");
            }
        }));
    }

    @TestFactory
    Stream<DynamicTest> theBackwardPassIsTheCoresBitForBitOrLeftToTheCore() {
        return cases().map(k -> DynamicTest.dynamicTest(name(k), () -> {
            SplittableRandom r = new SplittableRandom(k.hashCode() + 1);
            int c = 4 * k.nHead();
            int n = k.to();
            double scale = Math.pow(Math.pow(4, 0.5), -1);
            double[][] qkv = randomDoubles(r, n, 3 * c);
            double[][][] weights = new double[n][k.nHead()][n];
            plainForward(new double[n][c], weights, qkv, new double[c][n], k.nHead(), scale, 0, n);
            double[][] dout = randomDoubles(r, n, c);
            double[][] expected = randomDoubles(r, n, 3 * c);
            double[][] dqkv = copy(expected);
            // Declined, the core's loops run on these arrays: dqkv must keep the numbers it held.
            if (TAKEN) {
                plainBackward(expected, dout, qkv, weights, k.nHead(), scale, k.from(), k.to());
            }
            double[] da = randomDoubles(r, 1, n)[0];
            double[] daBefore = da.clone();
            assertEquals(TAKEN, KERNELS.attentionBackward(dqkv, dout, qkv, weights, da, k.nHead(), scale,
                    k.from(), k.to()), TAKEN ? "declined at 4 doubles a vector"
                    : "taken at " + SmallVectorKernels.L + " doubles a vector");
            assertBits(expected, dqkv, "dqkv");
            if (!TAKEN) {
                assertBits(daBefore, da, "da, the kernels' scratch");
            }
        }));
    }
}
