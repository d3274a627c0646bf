package io.github.microgpt.vector;

import io.github.microgpt.internal.kernels.HeadScores;
import io.github.microgpt.internal.kernels.SmallKernels;
import io.github.microgpt.internal.kernels.Transposes;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The array engine's double-precision products, attention (heads of four channels) and Adam
 * update for small shapes, written with
 * the Vector API: {@code microgpt.py}'s model, whose rows hold 16 numbers (two registers with
 * AVX-512), multiplies matrices of 16 to 64 columns over a dozen positions. There the core's
 * loops, which C2 turns into SIMD instructions only in the middle of loops of some dozens of
 * iterations, run mostly in their scalar pre- and post-loops; here a block of four rows times
 * two vectors sits in eight registers while the terms of its sums go by.
 *
 * <p><b>The core's bits.</b> Each output is summed as in the core's loops, backward included
 * (see {@link SmallKernels}): lane by lane, terms in order, every product rounded before it is
 * added. The forward product puts its lanes across the outputs, over the weights transposed into
 * scratch of the calling thread ({@code out[t] += in[t][i] * wT[i]} for {@code i = 0, 1, ...}),
 * as the core does from eight positions on; the input's gradient puts them along the rows of the
 * weights ({@code din[t] += dout[t][o] * w[o]}, {@code o = 0, 1, ...}), and the weights' gradient
 * along the input's rows ({@code dw[o] += dout[t][o] * in[t]}, {@code t} from the first
 * position). Positions go four at a time, then the last three together or the last ones two at
 * a time; a lone last position, a block of weight rows short of four and a pair of vectors short
 * of two repeat their last row (or vector), whose outputs are then computed twice from the same
 * numbers, in the same way, and stored twice.
 *
 * <p><b>Sums as operands.</b> A sum carried round a loop is the argument of its addition, never
 * its receiver ({@code s = x.mul(e).add(s)}, as in {@link DoubleProducts}; an add's operands
 * commute bit for bit). While C2 parses a loop, a sum carried round it is typed only
 * {@code DoubleVector}, so an operation called on it takes its class from the JVM's profile. C2
 * adds up, per compilation, the deoptimizations recorded by every method it inlines, once per
 * copy, and the Vector API's own helpers that every operation inlines carry some
 * ({@code VectorOperators.opKind} and {@code ImplCache.find}: 4 to 7 a copy in the JVMs looked
 * at, from JDK methods compiled on their own during the warm-up); past 100 in one
 * compilation C2 stops trusting profiles for the rest of it. Then a sum as receiver got a real
 * virtual call on its loop's back edge, the store after the loop found no constant species,
 * and every vector of the kernel was an object: in three JVMs of six of the
 * {@code vectors-of-32-bytes} tests, the last two sums of {@link #columnBlocks} (its 15th of 16
 * operations crossed 100; found with {@code -XX:+LogCompilation}, 7 December 2026). A sum as
 * operand keeps no call on the back edge, whatever C2 trusts.
 *
 * <p><b>Warm-up.</b> Until C2 has compiled them, Vector API kernels are far slower than the core's
 * loops (each vector an object): a run of 1000 steps of {@code microgpt.py}'s model with this
 * module takes about 1.7 s instead of 1.05 s, which is why the command line's {@code train} does
 * not load it. Holding them back until a thread of their own had compiled them was tried: on
 * two processors that thread kept one busy, away from the training and the compiler, and the
 * benchmark ran at 10-21k steps/s, below the core's loops. They are used from the first product on.
 */
public final class SmallVectorKernels implements SmallKernels {

    private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;

    /** Doubles per vector: 8 with AVX-512, 4 with AVX2. */
    static final int L = S.length();

    /** The widest input of a forward product taken (rows of the transposed scratch). */
    static final int MAX_COLUMNS = 256;

    /** The most outputs of a forward product taken (the length of a row of the scratch). */
    static final int MAX_ROWS = 1024;

    /**
     * Whether these kernels take any product: the system property {@code microgpt.vector.small}
     * set to {@code false} leaves small products to {@link VectorMatrixKernels} (or the core's
     * loops), as the tests of those do.
     */
    static final boolean ENABLED = !"false".equalsIgnoreCase(System.getProperty("microgpt.vector.small"));

    /** The transposed weights of the forward product, per thread (a batch runs documents on several). */
    private static final ThreadLocal<double[][]> TRANSPOSED = ThreadLocal.withInitial(() -> new double[0][]);

    /** For {@link java.util.ServiceLoader}. */
    public SmallVectorKernels() {
    }

    @Override
    public boolean matmulForward(double[][] out, double[][] in, double[][] w, int from, int to) {
        int rows = w.length;
        int cols = w[0].length;
        if (!ENABLED || to - from < 2 || rows < L || rows > MAX_ROWS || cols > MAX_COLUMNS) {
            return false;
        }
        int n = to - from;
        if (positionLanes && n <= 2 * L && (long) n * (rows + cols) < (long) rows * cols) {
            byPositions(out, in, w, from, to, rows, cols);
            return true;
        }
        double[][] wT = transposed(cols, rows);
        Transposes.columns(w, wT, 0, cols);
        int t = from;
        for (; t + 3 < to; t += 4) {
            rowsBlock(in, wT, out, t, t + 1, t + 2, t + 3, 0, cols, rows, false);
        }
        if (to - t == 3) {
            rowsBlock3(in, wT, out, t, 0, cols, rows, false);
        } else if (t < to) {
            rowsBlock2(in, wT, out, t, Math.min(t + 1, to - 1), 0, cols, rows, false);
        }
        return true;
    }

    /**
     * Whether {@link #matmulForward} may put its lanes across the positions ({@link #byPositions})
     * for a short document: by default, unless the system property
     * {@code microgpt.vector.positionLanes} is {@code false} (to compare the two ways in whole
     * runs); the tests turn it off and on to compare them, as may a probe that alternates them.
     */
    static boolean positionLanes = !"false".equalsIgnoreCase(System.getProperty("microgpt.vector.positionLanes"));

    /**
     * The forward product of at most {@code 2 * L} positions with its lanes across the positions
     * rather than across the outputs: {@code outT[o] += inT[i] * w[o][i]} for
     * {@code i = 0, 1, ...}, where {@code inT} holds the input's columns (a position a lane) and
     * {@code outT} the output's. Each lane sums its own output as the core does (the left fold
     * from 0 over the input's columns, each product rounded before it is added), so the bits are
     * those of the transposed weights' way. What it saves is the copying: that way transposes
     * the weights ({@code rows * cols} numbers) at every call, this one the input and the output
     * ({@code n * (cols + rows)}), fewer for the documents of the names (7 positions on average):
     * at 7 positions the five products of {@code microgpt.py}'s model copy about 2,100 numbers
     * a step instead of 3,500, which took 1.85 us of a step of about 25 on the Zen 3 test machine
     * (the forward products, transposes included, 4.7 us). {@link #matmulForward} takes it when
     * it copies fewer numbers. Measured there (training steps of the names at the reference size,
     * this way and the transposing one alternated in one JVM every 2,000 steps, 183 and 189
     * rounds): 1.055 and 1.068 times the steps per second (medians of the rounds' ratios).
     * Outputs go four at a time, the last block repeating the last row (computed again from the
     * same numbers, in the same way, and stored again); with {@code L} positions or fewer one
     * vector of positions, else two.
     */
    static void byPositions(double[][] out, double[][] in, double[][] w, int from, int to, int rows,
                            int cols) {
        int n = to - from;
        int width = 2 * L;
        double[][] scratch = LANES.get();
        if (scratch.length == 0) {
            scratch = new double[][] {new double[0], new double[0]};
            LANES.set(scratch);
        }
        double[] inT = scratch[0];
        double[] outT = scratch[1];
        if (inT.length < cols * width || outT.length < rows * width) {
            inT = new double[Math.max(cols * width, inT.length)];
            outT = new double[Math.max(rows * width, outT.length)];
            scratch[0] = inT;
            scratch[1] = outT;
        }
        // Flat, a row of 2L lanes per column: no row of an array of rows to look up per number.
        for (int j = 0; j < n; j++) {
            double[] x = in[from + j];
            for (int i = 0; i < cols; i++) {
                inT[i * width + j] = x[i];
            }
        }
        if (n <= L) {
            positionsOne(inT, w, outT, rows, cols);
        } else {
            positionsTwo(inT, w, outT, rows, cols);
        }
        for (int j = 0; j < n; j++) {
            double[] y = out[from + j];
            for (int o = 0; o < rows; o++) {
                y[o] = outT[o * width + j];
            }
        }
    }

    /**
     * The input's and output's columns of {@link #byPositions}, per thread, flat; none until a
     * thread's first call, so that a thread that never runs it keeps nothing (as
     * {@code ScratchSizes} counts).
     */
    private static final ThreadLocal<double[][]> LANES = ThreadLocal.withInitial(() -> new double[0][]);

    /** {@link #byPositions} over one vector of positions: four outputs, four sums, at a time. */
    private static void positionsOne(double[] inT, double[][] w, double[] outT, int rows, int cols) {
        int width = 2 * L;
        int lastRow = rows - 1;
        for (int o = 0; o < rows; o += 4) {
            int o1 = Math.min(o + 1, lastRow);
            int o2 = Math.min(o + 2, lastRow);
            int o3 = Math.min(o + 3, lastRow);
            double[] w0 = w[o];
            double[] w1 = w[o1];
            double[] w2 = w[o2];
            double[] w3 = w[o3];
            DoubleVector s0 = DoubleVector.zero(S);
            DoubleVector s1 = s0;
            DoubleVector s2 = s0;
            DoubleVector s3 = s0;
            for (int i = 0; i < cols; i++) {
                DoubleVector x = DoubleVector.fromArray(S, inT, i * width);
                s0 = x.mul(w0[i]).add(s0);
                s1 = x.mul(w1[i]).add(s1);
                s2 = x.mul(w2[i]).add(s2);
                s3 = x.mul(w3[i]).add(s3);
            }
            s0.intoArray(outT, o * width);
            s1.intoArray(outT, o1 * width);
            s2.intoArray(outT, o2 * width);
            s3.intoArray(outT, o3 * width);
        }
    }

    /** {@link #byPositions} over two vectors of positions: four outputs, eight sums, at a time. */
    private static void positionsTwo(double[] inT, double[][] w, double[] outT, int rows, int cols) {
        int width = 2 * L;
        int lastRow = rows - 1;
        for (int o = 0; o < rows; o += 4) {
            int o1 = Math.min(o + 1, lastRow);
            int o2 = Math.min(o + 2, lastRow);
            int o3 = Math.min(o + 3, lastRow);
            double[] w0 = w[o];
            double[] w1 = w[o1];
            double[] w2 = w[o2];
            double[] w3 = w[o3];
            DoubleVector s0a = DoubleVector.zero(S);
            DoubleVector s0b = s0a;
            DoubleVector s1a = s0a;
            DoubleVector s1b = s0a;
            DoubleVector s2a = s0a;
            DoubleVector s2b = s0a;
            DoubleVector s3a = s0a;
            DoubleVector s3b = s0a;
            for (int i = 0; i < cols; i++) {
                DoubleVector xa = DoubleVector.fromArray(S, inT, i * width);
                DoubleVector xb = DoubleVector.fromArray(S, inT, i * width + L);
                double e0 = w0[i];
                double e1 = w1[i];
                double e2 = w2[i];
                double e3 = w3[i];
                s0a = xa.mul(e0).add(s0a);
                s0b = xb.mul(e0).add(s0b);
                s1a = xa.mul(e1).add(s1a);
                s1b = xb.mul(e1).add(s1b);
                s2a = xa.mul(e2).add(s2a);
                s2b = xb.mul(e2).add(s2b);
                s3a = xa.mul(e3).add(s3a);
                s3b = xb.mul(e3).add(s3b);
            }
            s0a.intoArray(outT, o * width);
            s0b.intoArray(outT, o * width + L);
            s1a.intoArray(outT, o1 * width);
            s1b.intoArray(outT, o1 * width + L);
            s2a.intoArray(outT, o2 * width);
            s2b.intoArray(outT, o2 * width + L);
            s3a.intoArray(outT, o3 * width);
            s3b.intoArray(outT, o3 * width + L);
        }
    }

    @Override
    public boolean matmulBackward(double[][] din, double[][] dw, double[][] dout, double[][] in, double[][] w,
                                  int from, int to) {
        return backward(din, dw, dout, in, w, from, to, true, false);
    }

    /**
     * The input's gradient from zero rather than from {@code din}'s numbers: {@link #rowsBlock}
     * starts its sums at a zero vector instead of loading rows the caller would have zeroed, the
     * same additions ({@code 0.0 + x} either way).
     */
    @Override
    public boolean matmulBackwardOverwrite(double[][] din, double[][] dw, double[][] dout, double[][] in,
                                           double[][] w, int from, int to) {
        return backward(din, dw, dout, in, w, from, to, false, false);
    }

    /**
     * {@link #matmulBackwardOverwrite(double[][], double[][], double[][], double[][], double[][], int, int)}
     * whose weights' gradient, when {@code dwCleared}, starts its sums from a zero vector rather
     * than from {@code dw}'s rows (all {@code +0.0}, so the same additions, {@code 0.0 + x}
     * either way). Those rows were last written by the optimizer's update of the step before, and
     * by now lie in the second-level cache: each block of {@link #columnBlocks}, a loop only as
     * long as the document, waited for its eight loads before its first addition. Measured on the
     * Zen 3 test machine (AVX2; training steps of the names at the reference size, this way and
     * the loads alternated in one JVM every 2,000 steps, 80 rounds): 1.019 times the steps per
     * second (medians; the rounds' ratios 1.023, this way faster in 58 of 80).
     */
    @Override
    public boolean matmulBackwardOverwrite(double[][] din, double[][] dw, double[][] dout, double[][] in,
                                           double[][] w, int from, int to, boolean dwCleared) {
        return backward(din, dw, dout, in, w, from, to, false, dwCleared);
    }

    /**
     * Both backward products; the input's gradient added to ({@code accumulate}) or overwritten,
     * the weights' gradient summed from zero rather than from its rows when {@code dwCleared}
     * (they are all {@code +0.0} then).
     */
    private static boolean backward(double[][] din, double[][] dw, double[][] dout, double[][] in, double[][] w,
                                    int from, int to, boolean accumulate, boolean dwCleared) {
        int rows = w.length;
        int cols = w[0].length;
        // Sums added in place must not overlap: whole vectors only.
        if (!ENABLED || to - from < 1 || cols % L != 0 || cols > MAX_COLUMNS) {
            return false;
        }
        int t = from;
        for (; t + 3 < to; t += 4) {
            rowsBlock(dout, w, din, t, t + 1, t + 2, t + 3, 0, rows, cols, accumulate);
        }
        if (to - t == 3) {
            rowsBlock3(dout, w, din, t, 0, rows, cols, accumulate);
        } else if (t < to) {
            rowsBlock2(dout, w, din, t, Math.min(t + 1, to - 1), 0, rows, cols, accumulate);
        }
        columnBlocks(dout, in, dw, from, to, cols, dwCleared);
        return true;
    }

    /**
     * {@code c[r][j] = c[r][j] + a[r][k] * x[k][j]} for {@code k} from {@code k0} up to {@code k1}, in
     * that order, for the four rows {@code r0..r3} and the {@code n} lanes {@code j} of their
     * rows, two vectors at a time; from zero rather than {@code c}'s numbers unless
     * {@code accumulate}. The loop over the pairs of vectors is in here rather than in the
     * caller, so that a product makes two or three calls, not two or three per pair of vectors
     * (C2 inlines none of these methods, and a call spills every live register).
     */
    private static void rowsBlock(double[][] a, double[][] x, double[][] c, int r0, int r1, int r2, int r3,
                                  int k0, int k1, int n, boolean accumulate) {
        double[] a0 = a[r0];
        double[] a1 = a[r1];
        double[] a2 = a[r2];
        double[] a3 = a[r3];
        double[] c0 = c[r0];
        double[] c1 = c[r1];
        double[] c2 = c[r2];
        double[] c3 = c[r3];
        int vectors = (n + L - 1) / L;
        for (int v = 0; v < vectors; v += 2) {
            // The last vector of a row that is not a multiple of L overlaps the one before: its
            // shared lanes are computed twice, the same way (and from the same numbers), and
            // stored twice. With an odd number of vectors the last pair is that vector twice.
            int ja = Math.min(v * L, n - L);
            int jb = Math.min((v + 1) * L, n - L);
            DoubleVector s0a;
            DoubleVector s0b;
            DoubleVector s1a;
            DoubleVector s1b;
            DoubleVector s2a;
            DoubleVector s2b;
            DoubleVector s3a;
            DoubleVector s3b;
            if (accumulate) {
                s0a = DoubleVector.fromArray(S, c0, ja);
                s0b = DoubleVector.fromArray(S, c0, jb);
                s1a = DoubleVector.fromArray(S, c1, ja);
                s1b = DoubleVector.fromArray(S, c1, jb);
                s2a = DoubleVector.fromArray(S, c2, ja);
                s2b = DoubleVector.fromArray(S, c2, jb);
                s3a = DoubleVector.fromArray(S, c3, ja);
                s3b = DoubleVector.fromArray(S, c3, jb);
            } else {
                DoubleVector zero = DoubleVector.zero(S);
                s0a = zero;
                s0b = zero;
                s1a = zero;
                s1b = zero;
                s2a = zero;
                s2b = zero;
                s3a = zero;
                s3b = zero;
            }
            for (int k = k0; k < k1; k++) {
                double[] xk = x[k];
                DoubleVector xa = DoubleVector.fromArray(S, xk, ja);
                DoubleVector xb = DoubleVector.fromArray(S, xk, jb);
                double e0 = a0[k];
                double e1 = a1[k];
                double e2 = a2[k];
                double e3 = a3[k];
                s0a = xa.mul(e0).add(s0a);
                s0b = xb.mul(e0).add(s0b);
                s1a = xa.mul(e1).add(s1a);
                s1b = xb.mul(e1).add(s1b);
                s2a = xa.mul(e2).add(s2a);
                s2b = xb.mul(e2).add(s2b);
                s3a = xa.mul(e3).add(s3a);
                s3b = xb.mul(e3).add(s3b);
            }
            s0a.intoArray(c0, ja);
            s0b.intoArray(c0, jb);
            s1a.intoArray(c1, ja);
            s1b.intoArray(c1, jb);
            s2a.intoArray(c2, ja);
            s2b.intoArray(c2, jb);
            s3a.intoArray(c3, ja);
            s3b.intoArray(c3, jb);
        }
    }

    /**
     * {@link #rowsBlock} for the three rows {@code r0}, {@code r0 + 1} and {@code r0 + 2}: the last
     * rows of a range of 4k + 3, which would otherwise take a pair and a lone row computed twice
     * (two passes over {@code x} instead of one; a document of the names has 7 positions on average).
     */
    private static void rowsBlock3(double[][] a, double[][] x, double[][] c, int r0, int k0, int k1, int n,
                                   boolean accumulate) {
        double[] a0 = a[r0];
        double[] a1 = a[r0 + 1];
        double[] a2 = a[r0 + 2];
        double[] c0 = c[r0];
        double[] c1 = c[r0 + 1];
        double[] c2 = c[r0 + 2];
        int vectors = (n + L - 1) / L;
        for (int v = 0; v < vectors; v += 2) {
            // The last vector of a row that is not a multiple of L overlaps the one before: its
            // shared lanes are computed twice, the same way (and from the same numbers), and
            // stored twice. With an odd number of vectors the last pair is that vector twice.
            int ja = Math.min(v * L, n - L);
            int jb = Math.min((v + 1) * L, n - L);
            DoubleVector s0a;
            DoubleVector s0b;
            DoubleVector s1a;
            DoubleVector s1b;
            DoubleVector s2a;
            DoubleVector s2b;
            if (accumulate) {
                s0a = DoubleVector.fromArray(S, c0, ja);
                s0b = DoubleVector.fromArray(S, c0, jb);
                s1a = DoubleVector.fromArray(S, c1, ja);
                s1b = DoubleVector.fromArray(S, c1, jb);
                s2a = DoubleVector.fromArray(S, c2, ja);
                s2b = DoubleVector.fromArray(S, c2, jb);
            } else {
                DoubleVector zero = DoubleVector.zero(S);
                s0a = zero;
                s0b = zero;
                s1a = zero;
                s1b = zero;
                s2a = zero;
                s2b = zero;
            }
            for (int k = k0; k < k1; k++) {
                double[] xk = x[k];
                DoubleVector xa = DoubleVector.fromArray(S, xk, ja);
                DoubleVector xb = DoubleVector.fromArray(S, xk, jb);
                double e0 = a0[k];
                double e1 = a1[k];
                double e2 = a2[k];
                s0a = xa.mul(e0).add(s0a);
                s0b = xb.mul(e0).add(s0b);
                s1a = xa.mul(e1).add(s1a);
                s1b = xb.mul(e1).add(s1b);
                s2a = xa.mul(e2).add(s2a);
                s2b = xb.mul(e2).add(s2b);
            }
            s0a.intoArray(c0, ja);
            s0b.intoArray(c0, jb);
            s1a.intoArray(c1, ja);
            s1b.intoArray(c1, jb);
            s2a.intoArray(c2, ja);
            s2b.intoArray(c2, jb);
        }
    }

    /** {@link #rowsBlock} for the two rows {@code r0} and {@code r1}: the last rows of a range. */
    private static void rowsBlock2(double[][] a, double[][] x, double[][] c, int r0, int r1, int k0, int k1, int n,
                                   boolean accumulate) {
        double[] a0 = a[r0];
        double[] a1 = a[r1];
        double[] c0 = c[r0];
        double[] c1 = c[r1];
        int vectors = (n + L - 1) / L;
        for (int v = 0; v < vectors; v += 2) {
            // The last vector of a row that is not a multiple of L overlaps the one before: its
            // shared lanes are computed twice, the same way (and from the same numbers), and
            // stored twice. With an odd number of vectors the last pair is that vector twice.
            int ja = Math.min(v * L, n - L);
            int jb = Math.min((v + 1) * L, n - L);
            DoubleVector s0a;
            DoubleVector s0b;
            DoubleVector s1a;
            DoubleVector s1b;
            if (accumulate) {
                s0a = DoubleVector.fromArray(S, c0, ja);
                s0b = DoubleVector.fromArray(S, c0, jb);
                s1a = DoubleVector.fromArray(S, c1, ja);
                s1b = DoubleVector.fromArray(S, c1, jb);
            } else {
                DoubleVector zero = DoubleVector.zero(S);
                s0a = zero;
                s0b = zero;
                s1a = zero;
                s1b = zero;
            }
            for (int k = k0; k < k1; k++) {
                double[] xk = x[k];
                DoubleVector xa = DoubleVector.fromArray(S, xk, ja);
                DoubleVector xb = DoubleVector.fromArray(S, xk, jb);
                double e0 = a0[k];
                double e1 = a1[k];
                s0a = xa.mul(e0).add(s0a);
                s0b = xb.mul(e0).add(s0b);
                s1a = xa.mul(e1).add(s1a);
                s1b = xb.mul(e1).add(s1b);
            }
            s0a.intoArray(c0, ja);
            s0b.intoArray(c0, jb);
            s1a.intoArray(c1, ja);
            s1b.intoArray(c1, jb);
        }
    }

    /**
     * {@code c[r][j] = c[r][j] + a[k][r] * x[k][j]} for {@code k} from {@code from} up to
     * {@code to}, in that order, for every row {@code r} of {@code c} and its {@code n} lanes
     * {@code j}, two vectors at a time: the weights' gradient, {@code a} the output's gradient read
     * down its columns; from zero rather than {@code c}'s numbers when {@code cleared} (they are
     * all {@code +0.0} then). Rows go four at a time, the last block repeating the last row (computed
     * again from the same numbers, in the same way, and stored again). The blocks are written
     * out in this one method, whose loop runs them all, rather than in a method per block called
     * from the loop: a block's loop is only as long as the document (7 positions on average in
     * {@code microgpt.py}'s model), and the call per block, which C2 did not inline and which
     * spills every live register (Java's calling convention saves none), cost about as much.
     * The input's gradient keeps a method per block ({@link #rowsBlock}): its blocks are few and
     * long, and one method with all three kinds of block (1,135 bytes of bytecode) was sometimes
     * compiled without the Vector API's intrinsics, every vector an object, the products 5-8
     * times slower for the whole run.
     */
    private static void columnBlocks(double[][] a, double[][] x, double[][] c, int from, int to, int n,
                                     boolean cleared) {
        int rows = c.length;
        int lastRow = rows - 1;
        int vectors = n / L;
        for (int v = 0; v < vectors; v += 2) {
            int ja = v * L;
            int jb = Math.min(v + 1, vectors - 1) * L;
            for (int o = 0; o < rows; o += 4) {
                int r0 = o;
                int r1 = Math.min(o + 1, lastRow);
                int r2 = Math.min(o + 2, lastRow);
                int r3 = Math.min(o + 3, lastRow);
                double[] c0 = c[r0];
                double[] c1 = c[r1];
                double[] c2 = c[r2];
                double[] c3 = c[r3];
                DoubleVector s0a;
                DoubleVector s0b;
                DoubleVector s1a;
                DoubleVector s1b;
                DoubleVector s2a;
                DoubleVector s2b;
                DoubleVector s3a;
                DoubleVector s3b;
                if (cleared) {
                    DoubleVector zero = DoubleVector.zero(S);
                    s0a = zero;
                    s0b = zero;
                    s1a = zero;
                    s1b = zero;
                    s2a = zero;
                    s2b = zero;
                    s3a = zero;
                    s3b = zero;
                } else {
                    s0a = DoubleVector.fromArray(S, c0, ja);
                    s0b = DoubleVector.fromArray(S, c0, jb);
                    s1a = DoubleVector.fromArray(S, c1, ja);
                    s1b = DoubleVector.fromArray(S, c1, jb);
                    s2a = DoubleVector.fromArray(S, c2, ja);
                    s2b = DoubleVector.fromArray(S, c2, jb);
                    s3a = DoubleVector.fromArray(S, c3, ja);
                    s3b = DoubleVector.fromArray(S, c3, jb);
                }
                for (int k = from; k < to; k++) {
                    double[] xk = x[k];
                    double[] ak = a[k];
                    DoubleVector xa = DoubleVector.fromArray(S, xk, ja);
                    DoubleVector xb = DoubleVector.fromArray(S, xk, jb);
                    double e0 = ak[r0];
                    double e1 = ak[r1];
                    double e2 = ak[r2];
                    double e3 = ak[r3];
                    s0a = xa.mul(e0).add(s0a);
                    s0b = xb.mul(e0).add(s0b);
                    s1a = xa.mul(e1).add(s1a);
                    s1b = xb.mul(e1).add(s1b);
                    s2a = xa.mul(e2).add(s2a);
                    s2b = xb.mul(e2).add(s2b);
                    s3a = xa.mul(e3).add(s3a);
                    s3b = xb.mul(e3).add(s3b);
                }
                s0a.intoArray(c0, ja);
                s0b.intoArray(c0, jb);
                s1a.intoArray(c1, ja);
                s1b.intoArray(c1, jb);
                s2a.intoArray(c2, ja);
                s2b.intoArray(c2, jb);
                s3a.intoArray(c3, ja);
                s3b.intoArray(c3, jb);
            }
        }
    }

    /** A head of four channels, one vector: the preferred species where it has four lanes (AVX2). */
    private static final VectorSpecies<Double> HEAD = S;

    /**
     * Whether a head of four channels is one vector of the preferred species: 256-bit vectors
     * (AVX2, or {@code -XX:MaxVectorSize=32}). With AVX-512 the attention is left to the core's
     * loops rather than taken in vectors of {@code SPECIES_256}, so that the JVM has one shape of
     * {@code DoubleVector} only.
     *
     * <p><b>Why one shape.</b> On JDK 17, C2 types a vector made by {@code DoubleVector}'s static
     * factories ({@code fromArray}, {@code zero}) or carried round a loop only as
     * {@code DoubleVector} while it parses a kernel (see {@link DoubleProducts#Z}), and then finds
     * the class of the receiver of each operation and of each store from the receiver profile of
     * the Vector API's own code, which every kernel of the JVM shares ({@code DoubleVector.intoArray}
     * finds the species through a virtual call). With vectors of two shapes in the JVM (these
     * heads' {@code Double256Vector} beside the products' {@code Double512Vector}) those profiles
     * name two classes, the species is no longer a constant, and the intrinsics fail:
     * {@code -XX:+PrintIntrinsics} says {@code missing constant: vclass=DecodeN} and
     * {@code -XX:+PrintInlining} {@code VectorSupport::store (38 bytes) failed to inline
     * (intrinsic)}, in every small kernel, not only here; the Vector API's Java fallback then makes
     * an object of every vector. Found on 7 December 2026, JDK 17.0.15 on a Zen 5 (AVX-512): the
     * reference model's bench ran at 7.7-9.4k steps/s and allocated 1.5 MB a step (core's loops:
     * 32k); with the heads in the core's loops, 74.6k steps/s and 0.1 KB a step. A minimal
     * reproduction: one method storing a sum of {@code SPECIES_PREFERRED} vectors and another doing
     * the same with {@code SPECIES_256}, both called in one JVM: the first then allocated 96 bytes
     * a vector stored (none when it runs alone, none on JDK 25, none with {@code -XX:UseAVX=2}
     * where both are one shape). Temurin 25 compiled the two shapes side by side, but once out of
     * three runs its first compilation still took the fallback (37k steps/s, 304 KB a step) and the
     * 256-bit heads ran no faster than the core's attention (bench, alternated runs: 77.8k and 71.7k
     * against 77.9k, 81.0k and 57.0k), so no JDK gets them beside wider vectors.
     * {@code NoFallbackTest} fails if a kernel runs in the fallback again.
     */
    private static final boolean HEAD_FITS = S.length() == 4;

    /**
     * {@code SmallAttention.forward} with each head's output, four channels, summed as one
     * vector: {@code y += v_s * a_s} lane by lane, the same products and additions in the same
     * order as the core's four scalar sums. The logits' dot products (each a left fold across
     * the channels) and the softmax stay scalar: {@link HeadScores#exponentials}, the core's own
     * code (its one copy of their order; called here rather than repeated, no slower: 1.019, 0.993
     * and 1.003 times the steps per second in three runs of 80 alternated rounds in one JVM). Measured on the Zen 3 test machine (AVX2;
     * training steps of the names at the reference size, this attention and the core's, forward
     * and backward, alternated in one JVM every 2,000 steps, 80 rounds): 1.036 times the steps
     * per second (medians; the rounds' ratios 1.020, faster in 56 of 80).
     */
    @Override
    public boolean attentionForward(double[][] out, double[][][] weights, double[][] qkv, double[][] keysT,
                                    int nHead, double scale, int from, int to) {
        if (!ENABLED || !HEAD_FITS) {
            return false;
        }
        int c = 4 * nHead;
        HeadScores.cacheKeys(qkv, keysT, c, from, to);
        double[] inverses = new double[nHead];
        for (int t = from; t < to; t++) {
            double[] y = out[t];
            double[][] weightsT = weights[t];
            HeadScores.exponentials(qkv[t], keysT, weightsT, inverses, nHead, scale, t);
            for (int h = 0; h < nHead; h++) {
                int vs = 2 * c + 4 * h;
                double[] a = weightsT[h];
                double inverse = inverses[h];
                DoubleVector sum = DoubleVector.zero(HEAD);
                for (int s = 0; s <= t; s++) {
                    double as = a[s] * inverse;
                    a[s] = as;
                    sum = DoubleVector.fromArray(HEAD, qkv[s], vs).mul(as).add(sum);
                }
                sum.intoArray(y, 4 * h);
            }
        }
        return true;
    }

    /**
     * {@code SmallAttention.backward} with the query's, the key's and the value's gradients of a
     * head, four channels each, added to as vectors ({@code dq += k_s * dz},
     * {@code dk_s += q * dz}, {@code dv_s += dy * a_s}): per lane the core's products and
     * additions, in its order. The sums across the channels ({@code da_s}) and the weighted sum
     * across the positions stay scalar, as they are left folds: {@link HeadScores#weightGradients},
     * the core's own code.
     */
    @Override
    public boolean attentionBackward(double[][] dqkv, double[][] dout, double[][] qkv, double[][][] weights,
                                     double[] da, int nHead, double scale, int from, int to) {
        if (!ENABLED || !HEAD_FITS) {
            return false;
        }
        int c = 4 * nHead;
        for (int h = 0; h < nHead; h++) {
            int qs = 4 * h;
            int ks = c + qs;
            int vs = 2 * c + qs;
            for (int t = to - 1; t >= from; t--) {
                double[] a = weights[t][h];
                double[] dy = dout[t];
                double[] dq = dqkv[t];
                double weighted = HeadScores.weightGradients(dy, qkv, a, da, qs, vs, t);
                DoubleVector query = DoubleVector.fromArray(HEAD, qkv[t], qs);
                DoubleVector dyv = DoubleVector.fromArray(HEAD, dy, qs);
                DoubleVector dqv = DoubleVector.fromArray(HEAD, dq, qs);
                for (int s = 0; s <= t; s++) {
                    double as = a[s];
                    double dz = as * (da[s] - weighted) * scale;
                    double[] dkv = dqkv[s];
                    dqv = DoubleVector.fromArray(HEAD, qkv[s], ks).mul(dz).add(dqv);
                    DoubleVector.fromArray(HEAD, dkv, ks).add(query.mul(dz)).intoArray(dkv, ks);
                    DoubleVector.fromArray(HEAD, dkv, vs).add(dyv.mul(as)).intoArray(dkv, vs);
                }
                dqv.intoArray(dq, qs);
            }
        }
        return true;
    }

    /** The calling thread's scratch for transposed weights, at least {@code cols} rows of {@code rows}. */
    private static double[][] transposed(int cols, int rows) {
        double[][] wT = TRANSPOSED.get();
        if (wT.length < cols || wT[0].length < rows) {
            wT = new double[Math.max(cols, wT.length)][Math.max(rows, wT.length == 0 ? 0 : wT[0].length)];
            TRANSPOSED.set(wT);
        }
        return wT;
    }

    @Override
    public boolean adam(double[][] values, double[][] grads, double[] m, double[] v, int[] starts, int from, int to,
                        double b1, double b2, double c1m, double c2m, double eps, double lr, double correction1,
                        double correction2) {
        if (!ENABLED) {
            return false;
        }
        if (correction1 == 1.0 && correction2 == 1.0) {
            adamUnbiased(values, grads, m, v, starts, from, to, b1, b2, c1m, c2m, eps, lr);
            return true;
        }
        // Each store of zeros (here and in adamUnbiased) makes its own zero vector (free: a
        // register cleared) rather than reusing one made before the loop: compiled on stack
        // replacement, a vector live across the loop's entry comes from the interpreter typed
        // only DoubleVector, and its stores were not compiled to instructions.
        for (int r = from; r < to; r++) {
            double[] p = values[r];
            double[] g = grads[r];
            int at = starts[r];
            int length = p.length;
            int i = 0;
            for (; i + L <= length; i += L) {
                DoubleVector gv = DoubleVector.fromArray(S, g, i);
                DoubleVector mv = DoubleVector.fromArray(S, m, at + i).mul(b1).add(gv.mul(c1m));
                DoubleVector vv = DoubleVector.fromArray(S, v, at + i).mul(b2).add(gv.mul(gv).mul(c2m));
                mv.intoArray(m, at + i);
                vv.intoArray(v, at + i);
                DoubleVector step = mv.div(correction1).mul(lr).div(vv.div(correction2).sqrt().add(eps));
                DoubleVector.fromArray(S, p, i).sub(step).intoArray(p, i);
                DoubleVector.zero(S).intoArray(g, i);
            }
            for (; i < length; i++) {
                double gi = g[i];
                double mi = b1 * m[at + i] + c1m * gi;
                double vi = b2 * v[at + i] + c2m * (gi * gi);
                m[at + i] = mi;
                v[at + i] = vi;
                double mHat = mi / correction1;
                double vHat = vi / correction2;
                p[i] = p[i] - lr * mHat / (Math.sqrt(vHat) + eps);
                g[i] = 0.0;
            }
        }
        return true;
    }

    /**
     * {@link #adam} once both bias corrections are exactly 1 (after some 3,700 steps with the
     * defaults): dividing by 1 changes no bit, so the two divisions are left out. They and the
     * square root are most of an update's time (one division unit, a few cycles per vector).
     * Rows of one length side by side go two at a time, vector for vector (the reference model's
     * 214 rows pair up): 8.1 us instead of 9.3 us for its 4,192 parameters (medians of 8
     * alternated rounds in one JVM). Every vector is written out where it is used: the same
     * update as a method of its own, choosing between the two formulas with a branch, made C2
     * box the vectors (a step took 68 us instead of 41).
     *
     * <p>Most of its time is not the division unit's: on the Zen 3 test machine (AVX2) a flat
     * loop over the same 4,192 numbers took about 7.5 us with the division and square root and
     * 5.5 us with neither, since the four arrays (134 KB) do not fit the 32 KB first-level cache
     * and every pass streams them from the second. Measured there and left out, since they did
     * not help: writing the forward products' transposed weights here, as each row is
     * updated, so that the products need not transpose them (+3.0 to 3.7 us in this update for
     * the 2.5 us saved in the forward pass); and, for {@link #adam} before the corrections reach
     * 1, dividing by them as a multiplication by their reciprocal with two exact corrections by
     * fused multiply-adds (no faster than the two divisions; {@code microgpt bench} never times
     * those first 3,724 steps anyway, its warm-up being longer).
     *
     * <p>Nor is that second-level cache what bounds it: on the same machine 3,840 parameters held
     * in the first-level cache updated no faster than the 4,192 streamed (about 7 us either way),
     * so the division and square root bound it. Measured later and left out as well: updating
     * each matrix right after its backward product, while its gradient and weights are in the
     * first-level cache (3-5% slower steps, in-JVM A/B, same bits); the same on a second thread
     * spinning beside the backward pass (0.87 times the step rate, the rows' cache lines crossing
     * between the cores); and each block of the weights' gradient updated as soon as it is summed,
     * so that the divisions overlap the next block's products (no faster, in isolation).
     *
     * <p>Tried again on 7 December 2026 (Zen 3, one JVM, one model, one thread and two alternated
     * every 200 steps, 200 rounds, medians of the rounds' ratios): each matrix's rows handed, as
     * soon as their gradient was complete, to a second thread spinning beside the backward pass,
     * the caller taking what was left when its pass was done. Two threads' steps ran 1.086,
     * 1.052 and 1.084 times as fast as one's (faster in 141, 112 and 112 rounds of 200; first
     * quartiles 0.967, 0.924 and 0.900), 0.997 with the matrices cut into pieces of 512 numbers,
     * and 0.942 with a fixed share for each thread: not a margin worth a second core. The
     * divisions are not what the two cores share: a loop of divisions and square roots in each
     * vCPU's first-level cache ran as fast beside the same loop on the other (1.088 against
     * 1.065 ns a number). The rows are: the whole update on the second thread after the pass took
     * 13.9-16.0 us where the caller takes about 6, and with both threads updating at once each
     * took about three times as long a row as one thread alone (77-96 ns a row of 16), since every
     * row's weights and gradients cross between the cores' caches twice a step (and its moments
     * when the other thread took it last). Only rewriting the weights of the four matrices of
     * the layer and the output on the second thread, after the pass, cost a step 2.7 us (0.902
     * of its speed).
     */
    private static void adamUnbiased(double[][] values, double[][] grads, double[] m, double[] v, int[] starts,
                                     int from, int to, double b1, double b2, double c1m, double c2m, double eps,
                                     double lr) {
        for (int r = from; r < to; r++) {
            double[] p = values[r];
            double[] g = grads[r];
            int at = starts[r];
            int length = p.length;
            int i = 0;
            if (r + 1 < to && values[r + 1].length == length) {
                // The next row too, vector for vector: twice the independent work in flight while the
                // division unit is busy, one pass of loop bookkeeping for both rows.
                double[] q = values[r + 1];
                double[] h = grads[r + 1];
                int bt = starts[r + 1];
                for (; i + L <= length; i += L) {
                    DoubleVector gv = DoubleVector.fromArray(S, g, i);
                    DoubleVector hv = DoubleVector.fromArray(S, h, i);
                    DoubleVector mv = DoubleVector.fromArray(S, m, at + i).mul(b1).add(gv.mul(c1m));
                    DoubleVector nv = DoubleVector.fromArray(S, m, bt + i).mul(b1).add(hv.mul(c1m));
                    DoubleVector vv = DoubleVector.fromArray(S, v, at + i).mul(b2).add(gv.mul(gv).mul(c2m));
                    DoubleVector wv = DoubleVector.fromArray(S, v, bt + i).mul(b2).add(hv.mul(hv).mul(c2m));
                    mv.intoArray(m, at + i);
                    nv.intoArray(m, bt + i);
                    vv.intoArray(v, at + i);
                    wv.intoArray(v, bt + i);
                    DoubleVector.fromArray(S, p, i).sub(mv.mul(lr).div(vv.sqrt().add(eps))).intoArray(p, i);
                    DoubleVector.fromArray(S, q, i).sub(nv.mul(lr).div(wv.sqrt().add(eps))).intoArray(q, i);
                    DoubleVector.zero(S).intoArray(g, i);
                    DoubleVector.zero(S).intoArray(h, i);
                }
                for (int k = i; k < length; k++) {
                    adamScalar(q, h, m, v, k, bt, b1, b2, c1m, c2m, eps, lr);
                }
                r++;
            } else {
                for (; i + L <= length; i += L) {
                    DoubleVector gv = DoubleVector.fromArray(S, g, i);
                    DoubleVector mv = DoubleVector.fromArray(S, m, at + i).mul(b1).add(gv.mul(c1m));
                    DoubleVector vv = DoubleVector.fromArray(S, v, at + i).mul(b2).add(gv.mul(gv).mul(c2m));
                    mv.intoArray(m, at + i);
                    vv.intoArray(v, at + i);
                    DoubleVector.fromArray(S, p, i).sub(mv.mul(lr).div(vv.sqrt().add(eps))).intoArray(p, i);
                    DoubleVector.zero(S).intoArray(g, i);
                }
            }
            for (; i < length; i++) {
                adamScalar(p, g, m, v, i, at, b1, b2, c1m, c2m, eps, lr);
            }
        }
    }

    /** {@link #adamUnbiased} for the one parameter {@code p[i]}, past a row's last whole vector. */
    private static void adamScalar(double[] p, double[] g, double[] m, double[] v, int i, int at, double b1,
                                   double b2, double c1m, double c2m, double eps, double lr) {
        double gi = g[i];
        double mi = b1 * m[at + i] + c1m * gi;
        double vi = b2 * v[at + i] + c2m * (gi * gi);
        m[at + i] = mi;
        v[at + i] = vi;
        p[i] = p[i] - lr * mi / (Math.sqrt(vi) + eps);
        g[i] = 0.0;
    }
}
