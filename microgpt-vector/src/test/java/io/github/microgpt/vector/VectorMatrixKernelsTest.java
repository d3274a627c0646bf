package io.github.microgpt.vector;

import static io.github.microgpt.testsupport.Bits.assertBits;
import static io.github.microgpt.testsupport.Bits.assertRowBits;
import static io.github.microgpt.testsupport.Matrices.copy;
import static io.github.microgpt.testsupport.Matrices.toFloat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.internal.kernels.MatrixKernels;
import io.github.microgpt.internal.kernels.Team;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The Vector API kernels against the products written out as plain loops, over sizes that are no
 * multiple of the lane count or of the blocks (rows not a multiple of 4, columns and positions not
 * a multiple of 8 or 16, sums longer than a block of 64 terms), and over positions that do not
 * start at 0. The double-precision forward product must give the bits of the left fold
 * {@code ((0 + w0 x0) + w1 x1) + ...}; the others agree to rounding. Every result must be the same,
 * bit for bit, however the work is shared out between threads.
 */
class VectorMatrixKernelsTest {

    private static final VectorMatrixKernels KERNELS = new VectorMatrixKernels();

    /** One thread: the whole loop at once. */
    private static final Team ONE = (count, grain, task) -> task.run(0, count);

    /** Many threads, as a team of them would cut the loop: chunks of at least the grain, the last one shorter. */
    private static final Team CHUNKS = (count, grain, task) -> {
        int step = Math.max(1, grain) + 1;
        List<int[]> chunks = new ArrayList<>();
        for (int from = 0; from < count; from += step) {
            chunks.add(new int[] {from, Math.min(count, from + step)});
        }
        // In reverse, as threads may finish in any order.
        for (int i = chunks.size() - 1; i >= 0; i--) {
            task.run(chunks.get(i)[0], chunks.get(i)[1]);
        }
    };

    /**
     * Uneven chunks of 1, 2 and 3 iterations, whatever the grain (a team may hand out any chunk,
     * and the last one of a part is often shorter than the grain): no output may depend on where
     * a chunk starts or ends.
     */
    private static final Team UNEVEN = (count, grain, task) -> {
        int size = 1;
        for (int from = 0; from < count; from += size, size = size % 3 + 1) {
            task.run(from, Math.min(count, from + size));
        }
    };

    /**
     * Three real threads at once, each taking chunks of a grain from a shared counter, as the
     * model's team does: a forward product's first chunk on each thread transposes the input into
     * that thread's own array, and its later chunks read it again, so every thread's copy must
     * hold the same numbers and no chunk may read another product's copy.
     */
    private static final Team THREADS = (count, grain, task) -> {
        int size = Math.max(1, grain);
        AtomicInteger next = new AtomicInteger();
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Runnable work = () -> {
            try {
                for (int from = next.getAndAdd(size); from < count; from = next.getAndAdd(size)) {
                    task.run(from, Math.min(count, from + size));
                }
            } catch (RuntimeException | Error e) {
                failed.compareAndSet(null, e);
            }
        };
        Thread[] helpers = {new Thread(work), new Thread(work)};
        for (Thread helper : helpers) {
            helper.start();
        }
        work.run();
        for (Thread helper : helpers) {
            try {
                helper.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        if (failed.get() != null) {
            throw new AssertionError("a chunk failed", failed.get());
        }
    };

    /** Rows (outputs), columns (inputs), positions, the first position. */
    record Shape(int rows, int cols, int positions, int from) {
        @Override
        public String toString() {
            return rows + " x " + cols + ", positions [" + from + ", " + (from + positions) + ")";
        }
    }

    static Stream<Shape> shapes() {
        List<Shape> shapes = new ArrayList<>();
        int[] rows = {1, 3, 5, 27, 34};
        int[] cols = {1, 7, 17, 70, 131};
        int[] positions = {8, 9, 23, 33, 64, 67};
        SplittableRandom r = new SplittableRandom(11);
        for (int o : rows) {
            for (int c : cols) {
                shapes.add(new Shape(o, c, positions[r.nextInt(positions.length)], r.nextInt(3)));
            }
        }
        for (int n : positions) {
            shapes.add(new Shape(19, 13, n, 1));
        }
        // Rows wide enough for several blocks of four vectors of 16 floats in each half of the
        // backward products, with fewer rows than blocks.
        shapes.add(new Shape(6, 300, 9, 2));
        shapes.add(new Shape(3, 260, 23, 1));
        // The same in single precision over more positions, from starts that are no multiple of
        // four; and in double precision (by columns from 4 blocks of 4 x 8 doubles) an odd count.
        shapes.add(new Shape(7, 270, 64, 0));
        shapes.add(new Shape(5, 270, 45, 3));
        shapes.add(new Shape(9, 131, 17, 1));
        // Enough rows of the weights for the input's gradient with 16 registers to take them in
        // two groups (DoubleProducts.NARROW_X_DOUBLES / 270 columns: 96 rows, then 44), each in
        // passes of NARROW_TERMS, one of them short.
        shapes.add(new Shape(140, 270, 17, 1));
        // More rows of the weights than DoubleProducts.PANEL_TERMS (the input's gradient with 16
        // registers takes its terms over panels 256 at a time: here a pass of 256, then 44),
        // positions that leave rows short of a block of six, and columns short of two vectors.
        shapes.add(new Shape(300, 37, 15, 2));
        return shapes.stream();
    }

    private static double[][] randomDoubles(SplittableRandom r, int rows, int cols) {
        double[][] a = new double[rows][cols];
        for (double[] row : a) {
            for (int i = 0; i < cols; i++) {
                row[i] = r.nextDouble(-1, 1);
            }
        }
        return a;
    }

    /** The operands of one product, drawn from the shape; gradients start non-zero, as they are added to. */
    private static final class Operands {
        final Shape s;
        final int to;
        final double[][] in;
        final double[][] w;
        final double[][] dout;
        final double[][] din;
        final double[][] dw;

        Operands(Shape s) {
            this.s = s;
            this.to = s.from() + s.positions();
            SplittableRandom r = new SplittableRandom(s.hashCode());
            in = randomDoubles(r, to, s.cols());
            w = randomDoubles(r, s.rows(), s.cols());
            dout = randomDoubles(r, to, s.rows());
            din = randomDoubles(r, to, s.cols());
            dw = randomDoubles(r, s.rows(), s.cols());
        }
    }

    /**
     * A forward product whose input is at least four times as wide as its output (the MLP's
     * second product) has its input transposed once, each thread its own panels (or tiles) of
     * positions into one array, and then shares out the rows: every output must still be its
     * own chain of fused multiply-adds from 0 over the columns in order (single precision) or
     * the left fold (double), on every split, whichever chunk of positions comes first, from
     * starts that are no multiple of a panel, with a last panel partly filled.
     */
    @TestFactory
    Stream<DynamicTest> aWideInputTransposedOnceGivesEachOutputItsOwnSum() {
        return Stream.of(new Shape(5, 70, 40, 3), new Shape(3, 17, 33, 1), new Shape(8, 1024, 64, 0),
                new Shape(27, 131, 19, 2)).map(s -> DynamicTest.dynamicTest(s.toString(), () -> {
            Operands x = new Operands(s);
            float[][] inF = toFloat(x.in);
            float[][] wF = toFloat(x.w);
            for (Team team : new Team[] {ONE, CHUNKS, UNEVEN, THREADS}) {
                float[][] outF = new float[x.to][s.rows()];
                assertTrue(KERNELS.matmulForward(outF, inF, wF, s.from(), x.to, new float[s.cols()][x.to + 16], team));
                double[][] out = new double[x.to][s.rows()];
                assertTrue(KERNELS.matmulForward(out, x.in, x.w, s.from(), x.to, new double[s.cols()][x.to + 8], team));
                for (int t = s.from(); t < x.to; t++) {
                    for (int o = 0; o < s.rows(); o++) {
                        float sumF = 0f;
                        double sum = 0.0;
                        for (int i = 0; i < s.cols(); i++) {
                            sumF = Math.fma(wF[o][i], inF[t][i], sumF);
                            sum = sum + x.w[o][i] * x.in[t][i];
                        }
                        assertEquals(Float.floatToRawIntBits(sumF), Float.floatToRawIntBits(outF[t][o]),
                                s + ": single precision out[" + t + "][" + o + "] " + outF[t][o] + ", expected " + sumF);
                        assertEquals(Double.doubleToRawLongBits(sum), Double.doubleToRawLongBits(out[t][o]),
                                s + ": out[" + t + "][" + o + "] " + out[t][o] + ", expected " + sum);
                    }
                }
            }
        }));
    }

    @TestFactory
    Stream<DynamicTest> doubleForwardIsTheLeftFoldBitForBit() {
        return shapes().map(s -> DynamicTest.dynamicTest(s.toString(), () -> {
            Operands x = new Operands(s);
            for (Team team : new Team[] {ONE, CHUNKS, UNEVEN, THREADS}) {
                double[][] out = new double[x.to][s.rows()];
                // Scratch wider than needed, as the model's workspace is.
                double[][] wT = new double[s.cols()][s.rows() + 3];
                assertTrue(KERNELS.matmulForward(out, x.in, x.w, s.from(), x.to, wT, team));
                for (int t = s.from(); t < x.to; t++) {
                    for (int o = 0; o < s.rows(); o++) {
                        double sum = 0.0;
                        for (int i = 0; i < s.cols(); i++) {
                            sum = sum + x.w[o][i] * x.in[t][i];
                        }
                        assertEquals(Double.doubleToRawLongBits(sum), Double.doubleToRawLongBits(out[t][o]),
                                s + ": out[" + t + "][" + o + "] " + out[t][o] + ", expected " + sum);
                    }
                }
                for (int t = 0; t < s.from(); t++) {
                    assertArrayEquals(new double[s.rows()], out[t], 0.0, "position " + t + " is not written");
                }
            }
        }));
    }

    @TestFactory
    Stream<DynamicTest> doubleBackwardAgreesAndDoesNotDependOnTheSplit() {
        return shapes().map(s -> DynamicTest.dynamicTest(s.toString(), () -> {
            Operands x = new Operands(s);
            double[][] din = copy(x.din);
            double[][] dw = copy(x.dw);
            assertTrue(KERNELS.matmulBackward(din, dw, x.dout, x.in, x.w, s.from(), x.to, ONE));
            for (int t = 0; t < x.to; t++) {
                for (int i = 0; i < s.cols(); i++) {
                    double sum = x.din[t][i];
                    double scale = Math.abs(sum);
                    if (t >= s.from()) {
                        for (int o = 0; o < s.rows(); o++) {
                            sum += x.dout[t][o] * x.w[o][i];
                            scale += Math.abs(x.dout[t][o] * x.w[o][i]);
                        }
                    }
                    assertEquals(sum, din[t][i], 1e-14 * scale, s + ": din[" + t + "][" + i + "]");
                }
            }
            for (int o = 0; o < s.rows(); o++) {
                for (int i = 0; i < s.cols(); i++) {
                    double sum = x.dw[o][i];
                    double scale = Math.abs(sum);
                    for (int t = s.from(); t < x.to; t++) {
                        sum += x.dout[t][o] * x.in[t][i];
                        scale += Math.abs(x.dout[t][o] * x.in[t][i]);
                    }
                    assertEquals(sum, dw[o][i], 1e-14 * scale, s + ": dw[" + o + "][" + i + "]");
                }
            }
            double[][] din2 = copy(x.din);
            double[][] dw2 = copy(x.dw);
            assertTrue(KERNELS.matmulBackward(din2, dw2, x.dout, x.in, x.w, s.from(), x.to, CHUNKS));
            assertBits(din, din2, s + ": din with another split");
            assertBits(dw, dw2, s + ": dw with another split");
        }));
    }

    /**
     * Told that the weights' gradient holds nothing but {@code +0.0} (the first backward pass of a
     * training step after the optimizer's update), the products may start the gradient's sums
     * from 0 instead of reading it: they must store the bits the ordinary call stores into the
     * same zeros, on any split. Column 1 of the input is 0 and row 1 of the output's gradient
     * negative, so that every term of {@code dw[1][1]} is {@code -0.0}: added to the stored
     * {@code +0.0} they give {@code +0.0}, which a kernel that started from its first product
     * instead of from 0 would get wrong.
     */
    @TestFactory
    Stream<DynamicTest> doubleBackwardFromClearedGradientStoresTheBitsOfAddingToZeros() {
        return shapes().map(s -> DynamicTest.dynamicTest(s.toString(), () -> {
            Operands x = new Operands(s);
            if (s.cols() > 1 && s.rows() > 1) {
                for (int t = 0; t < x.to; t++) {
                    x.in[t][1] = 0.0;
                    x.dout[t][1] = -Math.abs(x.dout[t][1]) - 0.5;
                }
            }
            double[][] din = copy(x.din);
            double[][] dw = new double[s.rows()][s.cols()];
            assertTrue(KERNELS.matmulBackward(din, dw, x.dout, x.in, x.w, s.from(), x.to, ONE, false));
            if (s.cols() > 1 && s.rows() > 1) {
                assertEquals(0L, Double.doubleToRawLongBits(dw[1][1]), s + ": dw[1][1] is +0.0");
            }
            for (Team team : new Team[] {ONE, CHUNKS, UNEVEN, THREADS}) {
                double[][] din2 = copy(x.din);
                double[][] dw2 = new double[s.rows()][s.cols()];
                assertTrue(KERNELS.matmulBackward(din2, dw2, x.dout, x.in, x.w, s.from(), x.to, team, true));
                assertBits(din, din2, s + ": din from a cleared gradient");
                assertBits(dw, dw2, s + ": dw from a cleared gradient");
            }
        }));
    }

    /**
     * The overwriting backward product ({@code matmulBackwardOverwrite}, whose pieces zero their
     * own columns of the input's gradient) over rows of other numbers, a NaN among them, gives
     * the bits of the adding one over rows of zeros, on every split, with the weights' gradient
     * cleared or not; and it leaves the rows before {@code from} alone.
     */
    @TestFactory
    Stream<DynamicTest> doubleBackwardOverwriteIsTheAddingOneOverZeros() {
        return shapes().map(s -> DynamicTest.dynamicTest(s.toString(), () -> {
            Operands x = new Operands(s);
            double[][] expectedDin = copy(x.din);
            for (int t = s.from(); t < x.to; t++) {
                Arrays.fill(expectedDin[t], 0.0);
            }
            double[][] expectedDw = copy(x.dw);
            assertTrue(KERNELS.matmulBackward(expectedDin, expectedDw, x.dout, x.in, x.w, s.from(), x.to, ONE, false));
            for (Team team : new Team[] {ONE, CHUNKS, UNEVEN, THREADS}) {
                double[][] din = copy(x.din);
                din[s.from()][0] = Double.NaN;
                double[][] dw = copy(x.dw);
                assertTrue(KERNELS.matmulBackwardOverwrite(din, dw, x.dout, x.in, x.w, s.from(), x.to, team, false));
                assertBits(expectedDin, din, s + ": din overwritten");
                assertBits(expectedDw, dw, s + ": dw beside an overwritten din");
            }
        }));
    }

    @TestFactory
    Stream<DynamicTest> floatProductsAgreeWithDoublesAndDoNotDependOnTheSplit() {
        return shapes().map(s -> DynamicTest.dynamicTest(s.toString(), () -> {
            Operands x = new Operands(s);
            float[][] in = toFloat(x.in);
            float[][] w = toFloat(x.w);
            float[][] dout = toFloat(x.dout);
            Team[] teams = {ONE, CHUNKS, THREADS};
            float[][][] results = new float[teams.length][][];
            float[][][] dins = new float[teams.length][][];
            float[][][] dws = new float[teams.length][][];
            for (int k = 0; k < teams.length; k++) {
                float[][] out = new float[x.to][s.rows()];
                float[][] wT = new float[s.cols()][s.rows() + 5];
                assertTrue(KERNELS.matmulForward(out, in, w, s.from(), x.to, wT, teams[k]));
                float[][] din = toFloat(x.din);
                float[][] dw = toFloat(x.dw);
                assertTrue(KERNELS.matmulBackward(din, dw, dout, in, w, s.from(), x.to, teams[k]));
                results[k] = out;
                dins[k] = din;
                dws[k] = dw;
            }
            // Every term is a product of two floats, exact in double: the sums in double are the reference.
            for (int t = s.from(); t < x.to; t++) {
                for (int o = 0; o < s.rows(); o++) {
                    double sum = 0;
                    double scale = 0;
                    for (int i = 0; i < s.cols(); i++) {
                        sum += (double) w[o][i] * in[t][i];
                        scale += Math.abs((double) w[o][i] * in[t][i]);
                    }
                    assertEquals(sum, results[0][t][o], 1e-6 * scale, s + ": out[" + t + "][" + o + "]");
                }
                for (int i = 0; i < s.cols(); i++) {
                    double sum = (float) x.din[t][i];
                    double scale = Math.abs(sum);
                    for (int o = 0; o < s.rows(); o++) {
                        sum += (double) dout[t][o] * w[o][i];
                        scale += Math.abs((double) dout[t][o] * w[o][i]);
                    }
                    assertEquals(sum, dins[0][t][i], 1e-6 * scale, s + ": din[" + t + "][" + i + "]");
                }
            }
            for (int o = 0; o < s.rows(); o++) {
                for (int i = 0; i < s.cols(); i++) {
                    double sum = (float) x.dw[o][i];
                    double scale = Math.abs(sum);
                    for (int t = s.from(); t < x.to; t++) {
                        sum += (double) dout[t][o] * in[t][i];
                        scale += Math.abs((double) dout[t][o] * in[t][i]);
                    }
                    assertEquals(sum, dws[0][o][i], 1e-6 * scale, s + ": dw[" + o + "][" + i + "]");
                }
            }
            for (int k = 1; k < teams.length; k++) {
                assertRowBits(results[0], results[k], 0, x.to, s + ": out with split " + k);
                assertRowBits(dins[0], dins[k], 0, x.to, s + ": din with split " + k);
                assertBits(dws[0], dws[k], s + ": dw with split " + k);
            }
        }));
    }

    /**
     * The backward product with an update inside ({@code matmulBackwardAndUpdate}, a fused step's
     * optimizer) gives the bits of the product alone followed by the update of every row, on every
     * split: each row updated exactly once, with its complete gradient, and only after the input's
     * gradient has read its weights. The update here changes each weight row it is given (and
     * clears its gradient), so an update run while a block still read those weights would change
     * {@code din}; {@code CHUNKS} runs the units last first, every slice of the weights' gradient
     * before its half's blocks, so that each slice must wait for the last of them. With 16
     * registers the kernels decline, having written nothing.
     */
    @TestFactory
    Stream<DynamicTest> floatBackwardWithTheUpdateInsideIsTheProductThenTheUpdate() {
        return shapes().map(s -> DynamicTest.dynamicTest(s.toString(), () -> {
            Operands x = new Operands(s);
            float[][] in = toFloat(x.in);
            float[][] dout = toFloat(x.dout);
            float[][] expectedDin = toFloat(x.din);
            float[][] expectedDw = toFloat(x.dw);
            float[][] expectedW = toFloat(x.w);
            assertTrue(KERNELS.matmulBackward(expectedDin, expectedDw, dout, in, expectedW, s.from(), x.to, ONE));
            addOne(expectedW);
            for (Team team : new Team[] {ONE, CHUNKS, UNEVEN, THREADS}) {
                float[][] din = toFloat(x.din);
                float[][] dw = toFloat(x.dw);
                float[][] w = toFloat(x.w);
                float[][] seen = new float[s.rows()][];
                AtomicInteger[] updates = new AtomicInteger[s.rows()];
                Arrays.setAll(updates, o -> new AtomicInteger());
                Team.Range update = (r0, r1) -> {
                    for (int o = r0; o < r1; o++) {
                        updates[o].incrementAndGet();
                        seen[o] = dw[o].clone();
                        for (int i = 0; i < w[o].length; i++) {
                            w[o][i] += 1f;
                        }
                        Arrays.fill(dw[o], 0f);
                    }
                };
                boolean fused = KERNELS.matmulBackwardAndUpdate(din, dw, dout, in, w, s.from(), x.to, team, false,
                        update);
                assertTrue(fused, s + ": the product with its update");
                assertUpdatedOnce(s, x.to, expectedDin, din, updates, expectedDw, seen, expectedW, w);
            }
        }));
    }

    /** Adds 1 to every weight: the tests' stand-in for an update. */
    private static void addOne(float[]... rows) {
        for (float[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                row[i] += 1f;
            }
        }
    }

    /** {@code din} as expected, and every row updated once, with its expected gradient. */
    private static void assertUpdatedOnce(Shape s, int to, float[][] expectedDin, float[][] din,
                                          AtomicInteger[] updates, float[][] expectedDw, float[][] seen,
                                          float[][] expectedW, float[][] w) {
        for (int t = 0; t < to; t++) {
            assertArrayEquals(expectedDin[t], din[t], 0f, s + ": din[" + t + "] beside the update");
        }
        for (int o = 0; o < s.rows(); o++) {
            assertEquals(1, updates[o].get(), s + ": updates of row " + o);
            assertArrayEquals(expectedDw[o], seen[o], 0f, s + ": the gradient row " + o + " updated");
            assertArrayEquals(expectedW[o], w[o], 0f, s + ": the weights' row " + o);
        }
    }

    /**
     * With {@code dw} cleared and an update that takes a slice's gradient from the kernels'
     * scratch ({@link MatrixKernels.GradientRange}), the update still sees each row's gradient
     * of the plain product, bit for bit, once, after every read of the weights; {@code dw} stays
     * {@code +0.0}; and on one thread every row's gradient comes from the scratch. The update
     * scribbles NaN over the scratch it was given, so a product that read it back, or a slice
     * whose scratch was reused before its update, gives other numbers.
     */
    @TestFactory
    Stream<DynamicTest> floatBackwardMayHandTheUpdateEachSlicesGradientInScratch() {
        return shapes().map(s -> DynamicTest.dynamicTest(s.toString(), () -> {
            Operands x = new Operands(s);
            float[][] in = toFloat(x.in);
            float[][] dout = toFloat(x.dout);
            float[][] expectedDin = toFloat(x.din);
            float[][] expectedDw = new float[s.rows()][x.w[0].length];
            float[][] expectedW = toFloat(x.w);
            assertTrue(KERNELS.matmulBackward(expectedDin, expectedDw, dout, in, expectedW, s.from(), x.to, ONE));
            addOne(expectedW);
            for (Team team : new Team[] {ONE, CHUNKS, UNEVEN, THREADS}) {
                float[][] din = toFloat(x.din);
                float[][] dw = new float[s.rows()][x.w[0].length];
                float[][] w = toFloat(x.w);
                float[][] seen = new float[s.rows()][];
                AtomicInteger[] updates = new AtomicInteger[s.rows()];
                Arrays.setAll(updates, o -> new AtomicInteger());
                AtomicInteger fromScratch = new AtomicInteger();
                MatrixKernels.GradientRange<float[][]> update = new MatrixKernels.GradientRange<>() {
                    @Override
                    public void run(int r0, int r1) {
                        for (int o = r0; o < r1; o++) {
                            updates[o].incrementAndGet();
                            seen[o] = dw[o].clone();
                            addOne(w[o]);
                            Arrays.fill(dw[o], 0f);
                        }
                    }

                    @Override
                    public void run(int r0, int r1, float[][] gradients) {
                        for (int o = r0; o < r1; o++) {
                            updates[o].incrementAndGet();
                            fromScratch.incrementAndGet();
                            seen[o] = Arrays.copyOf(gradients[o - r0], w[o].length);
                            addOne(w[o]);
                            Arrays.fill(gradients[o - r0], Float.NaN);
                        }
                    }
                };
                boolean fused = KERNELS.matmulBackwardAndUpdate(din, dw, dout, in, w, s.from(), x.to, team, true,
                        update);
                assertTrue(fused, s + ": the product with its update");
                if (team == ONE) {
                    assertEquals(s.rows(), fromScratch.get(), s + ": rows updated from the scratch on one thread");
                }
                assertUpdatedOnce(s, x.to, expectedDin, din, updates, expectedDw, seen, expectedW, w);
                for (int o = 0; o < s.rows(); o++) {
                    for (float g : dw[o]) {
                        assertEquals(0, Float.floatToRawIntBits(g), s + ": dw row " + o + " left +0.0");
                    }
                }
            }
        }));
    }

    /**
     * The double-precision backward product with the update inside
     * ({@code matmulBackwardOverwriteAndUpdate}) gives the bits of the product alone
     * ({@code matmulBackwardOverwrite}) followed by the update of every row, on every split, with
     * {@code dw} cleared or not: each row updated exactly once, with its complete gradient (an
     * update before the slice's last term would see another gradient), and only after the
     * input's gradient has read its weights (the update adds 1 to them, which an early update
     * would show in {@code din}). With {@code dw} cleared the update may take a slice's gradient
     * from the kernels' scratch, which it then scribbles NaN over (a product that read it back,
     * or reused it before the update, would give other numbers), and {@code dw} stays
     * {@code +0.0}; on one thread every row comes from the scratch, and none does when {@code dw}
     * is not cleared. {@code din} starts as NaN: its rows are overwritten. With 16 registers as
     * with 32 (the kernels of 16 must then start a cleared slice from zero, never reading the
     * stale scratch: the shapes include rows short of a block of six and columns short of two
     * vectors).
     */
    @TestFactory
    Stream<DynamicTest> doubleBackwardWithTheUpdateInsideIsTheProductThenTheUpdate() {
        return shapes().flatMap(s -> Stream.of(false, true).map(cleared -> DynamicTest.dynamicTest(
                s + (cleared ? ", dw cleared" : ""), () -> {
            Operands x = new Operands(s);
            double[][] startDw = cleared ? new double[s.rows()][s.cols()] : x.dw;
            double[][] expectedDin = copy(x.din);
            double[][] expectedDw = copy(startDw);
            assertTrue(KERNELS.matmulBackwardOverwrite(expectedDin, expectedDw, x.dout, x.in, x.w, s.from(), x.to,
                    ONE, cleared));
            for (Team team : new Team[] {ONE, CHUNKS, UNEVEN, THREADS}) {
                double[][] din = copy(x.din);
                for (int t = s.from(); t < x.to; t++) {
                    Arrays.fill(din[t], Double.NaN);
                }
                double[][] dw = copy(startDw);
                double[][] w = copy(x.w);
                double[][] seen = new double[s.rows()][];
                int[] updates = new int[s.rows()];
                AtomicInteger fromScratch = new AtomicInteger();
                MatrixKernels.GradientRange<double[][]> update = new MatrixKernels.GradientRange<>() {
                    @Override
                    public void run(int r0, int r1) {
                        for (int o = r0; o < r1; o++) {
                            updated(o, dw[o].clone());
                            Arrays.fill(dw[o], 0.0);
                        }
                    }

                    @Override
                    public void run(int r0, int r1, double[][] gradients) {
                        for (int o = r0; o < r1; o++) {
                            fromScratch.incrementAndGet();
                            updated(o, Arrays.copyOf(gradients[o - r0], s.cols()));
                            Arrays.fill(gradients[o - r0], Double.NaN);
                        }
                    }

                    private void updated(int o, double[] gradient) {
                        synchronized (updates) {
                            updates[o]++;
                        }
                        seen[o] = gradient;
                        for (int i = 0; i < w[o].length; i++) {
                            w[o][i] += 1.0;
                        }
                    }
                };
                boolean fused = KERNELS.matmulBackwardOverwriteAndUpdate(din, dw, x.dout, x.in, w, s.from(), x.to,
                        team, cleared, update);
                assertTrue(fused, s + ": the product with its update");
                for (int t = 0; t < x.to; t++) {
                    assertArrayEquals(expectedDin[t], din[t], 0.0, s + ": din[" + t + "] beside the update");
                }
                for (int o = 0; o < s.rows(); o++) {
                    assertEquals(1, updates[o], s + ": updates of row " + o);
                    assertArrayEquals(expectedDw[o], seen[o], 0.0, s + ": the gradient row " + o + " updated");
                    for (int i = 0; i < s.cols(); i++) {
                        assertEquals(x.w[o][i] + 1.0, w[o][i], 0.0, s + ": w[" + o + "][" + i + "]");
                        assertEquals(0, Double.doubleToRawLongBits(dw[o][i]), s + ": dw[" + o + "][" + i + "] +0.0");
                    }
                }
                if (!cleared) {
                    assertEquals(0, fromScratch.get(), s + ": no scratch unless dw starts cleared");
                } else if (team == ONE) {
                    assertEquals(s.rows(), fromScratch.get(), s + ": rows updated from the scratch on one thread");
                }
            }
        })));
    }

    /**
     * Each gradient is made of chains of fused multiply-adds in the order of the sum:
     * {@code dw[o][i]} one chain over the positions in order, from the value it had;
     * {@code din[t][i]} two chains, over the two halves of the rows ({@code o = 0, 1, ...} up to
     * the middle row, then on from it), the first from the value it had, the second from 0, added
     * at the end (see {@link DoubleProducts#backward} and {@link FloatProducts#backward}). That is
     * the bits these kernels give, whichever block, tail or thread computes an output and however
     * the columns, rows or positions are shared out.
     */
    @TestFactory
    Stream<DynamicTest> gradientsAreChainsOfFusedMultiplyAddsBitForBit() {
        return shapes().map(s -> DynamicTest.dynamicTest(s.toString(), () -> {
            Operands x = new Operands(s);
            float[][] inF = toFloat(x.in);
            float[][] wF = toFloat(x.w);
            float[][] doutF = toFloat(x.dout);
            for (Team team : new Team[] {ONE, CHUNKS, UNEVEN}) {
                double[][] din = copy(x.din);
                double[][] dw = copy(x.dw);
                assertTrue(KERNELS.matmulBackward(din, dw, x.dout, x.in, x.w, s.from(), x.to, team));
                float[][] dinF = toFloat(x.din);
                float[][] dwF = toFloat(x.dw);
                assertTrue(KERNELS.matmulBackward(dinF, dwF, doutF, inF, wF, s.from(), x.to, team));
                // Two chains, over the two halves of the rows, the second from 0, added at the end.
                int middle = DoubleProducts.middleRow(s.rows());
                int middleF = FloatProducts.middleRow(s.rows());
                for (int i = 0; i < s.cols(); i++) {
                    for (int t = s.from(); t < x.to; t++) {
                        double sum = x.din[t][i];
                        double secondHalf = 0.0;
                        float sumF = (float) x.din[t][i];
                        float second = 0f;
                        for (int o = 0; o < s.rows(); o++) {
                            if (o < middle) {
                                sum = Math.fma(x.dout[t][o], x.w[o][i], sum);
                            } else {
                                secondHalf = Math.fma(x.dout[t][o], x.w[o][i], secondHalf);
                            }
                            if (o < middleF) {
                                sumF = Math.fma(doutF[t][o], wF[o][i], sumF);
                            } else {
                                second = Math.fma(doutF[t][o], wF[o][i], second);
                            }
                        }
                        sum = sum + secondHalf;
                        sumF = sumF + second;
                        assertEquals(Double.doubleToRawLongBits(sum), Double.doubleToRawLongBits(din[t][i]),
                                s + ": din[" + t + "][" + i + "]");
                        assertEquals(Float.floatToRawIntBits(sumF), Float.floatToRawIntBits(dinF[t][i]),
                                s + ": float din[" + t + "][" + i + "]");
                    }
                    for (int o = 0; o < s.rows(); o++) {
                        double sum = x.dw[o][i];
                        float sumF = (float) x.dw[o][i];
                        for (int t = s.from(); t < x.to; t++) {
                            sum = Math.fma(x.dout[t][o], x.in[t][i], sum);
                            sumF = Math.fma(doutF[t][o], inF[t][i], sumF);
                        }
                        assertEquals(Double.doubleToRawLongBits(sum), Double.doubleToRawLongBits(dw[o][i]),
                                s + ": dw[" + o + "][" + i + "]");
                        assertEquals(Float.floatToRawIntBits(sumF), Float.floatToRawIntBits(dwF[o][i]),
                                s + ": float dw[" + o + "][" + i + "]");
                    }
                }
            }
        }));
    }

    /**
     * The single-precision forward product: each output is one chain of fused multiply-adds from
     * 0 over the inputs in order, {@code fma(w[o][k], in[t][k], s)} for {@code k = 0, 1, ...}.
     * Those are the bits of the blocks of 4 rows x 4 vectors (32 registers) and of the panels of
     * blocks of five and four rows (16 registers) alike, whatever the vector length and however
     * the rows are shared out: the pom runs this test with each register count and vector size.
     */
    @TestFactory
    Stream<DynamicTest> floatForwardIsAChainOfFusedMultiplyAddsBitForBit() {
        return shapes().map(s -> DynamicTest.dynamicTest(s.toString(), () -> {
            Operands x = new Operands(s);
            float[][] in = toFloat(x.in);
            float[][] w = toFloat(x.w);
            for (Team team : new Team[] {ONE, CHUNKS, UNEVEN, THREADS}) {
                float[][] out = new float[x.to][s.rows()];
                float[][] wT = new float[s.cols()][s.rows() + 5];
                assertTrue(KERNELS.matmulForward(out, in, w, s.from(), x.to, wT, team));
                for (int t = s.from(); t < x.to; t++) {
                    for (int o = 0; o < s.rows(); o++) {
                        float sum = 0f;
                        for (int i = 0; i < s.cols(); i++) {
                            sum = Math.fma(w[o][i], in[t][i], sum);
                        }
                        assertEquals(Float.floatToRawIntBits(sum), Float.floatToRawIntBits(out[t][o]),
                                s + ": out[" + t + "][" + o + "] " + out[t][o] + ", expected " + sum);
                    }
                }
                for (int t = 0; t < s.from(); t++) {
                    assertArrayEquals(new float[s.rows()], out[t], 0f, "position " + t + " is not written");
                }
            }
        }));
    }

    /**
     * A thread keeps the panels of a double-precision backward product between its chunks (the
     * rows of {@code dout} the input's gradient reads, the columns of {@code in} the weights'
     * gradient reads). The model calls each product on the same arrays at every step, with new
     * numbers in them: the next product must copy its operands again, not reuse the panels of
     * the same arrays from the product before. Its results must be those of the same product on
     * fresh arrays, bit for bit.
     */
    @Test
    void aBackwardProductNeverReadsThePanelsOfTheProductBefore() {
        // 64 positions and 40 rows: whole blocks of six and a short one, in every chunk.
        Shape s = new Shape(40, 70, 64, 0);
        Operands x = new Operands(s);
        for (Team team : new Team[] {ONE, CHUNKS, THREADS}) {
            assertTrue(KERNELS.matmulBackward(copy(x.din), copy(x.dw), x.dout, x.in, x.w, 0, x.to, team));
            // The same arrays, other numbers.
            for (double[][] operand : new double[][][] {x.dout, x.in}) {
                for (double[] row : operand) {
                    for (int i = 0; i < row.length; i++) {
                        row[i] = 0.5 - row[i] * row[i];
                    }
                }
            }
            double[][] din = copy(x.din);
            double[][] dw = copy(x.dw);
            assertTrue(KERNELS.matmulBackward(din, dw, x.dout, x.in, x.w, 0, x.to, team));
            double[][] freshDin = copy(x.din);
            double[][] freshDw = copy(x.dw);
            assertTrue(KERNELS.matmulBackward(freshDin, freshDw, copy(x.dout), copy(x.in), copy(x.w), 0, x.to, ONE));
            assertBits(freshDin, din, "din");
            assertBits(freshDw, dw, "dw");
        }
    }

    /**
     * A thread keeps its transposed copy of a product's input between products: the next
     * product, of the same shape with another input, must transpose its own input again, in
     * both precisions, whichever of its chunks comes first.
     */
    @Test
    void aProductNeverReadsTheInputOfTheProductBefore() {
        Shape s = new Shape(6, 13, 9, 2);
        Operands first = new Operands(s);
        Operands second = new Operands(new Shape(6, 13, 9, 2));
        SplittableRandom r = new SplittableRandom(5);
        for (double[] row : second.in) {
            for (int i = 0; i < row.length; i++) {
                row[i] = r.nextDouble(-1, 1);
            }
        }
        for (Team team : new Team[] {ONE, UNEVEN}) {
            double[][] wT = new double[s.cols()][s.rows() + 3];
            double[][] out = new double[second.to][s.rows()];
            assertTrue(KERNELS.matmulForward(out, first.in, first.w, s.from(), first.to, wT, team));
            assertTrue(KERNELS.matmulForward(out, second.in, first.w, s.from(), second.to, wT, team));
            float[][] wF = toFloat(first.w);
            float[][] outF = new float[second.to][s.rows()];
            float[][] wTF = new float[s.cols()][s.rows() + 5];
            assertTrue(KERNELS.matmulForward(outF, toFloat(first.in), wF, s.from(), first.to, wTF, team));
            float[][] inF = toFloat(second.in);
            assertTrue(KERNELS.matmulForward(outF, inF, wF, s.from(), second.to, wTF, team));
            for (int t = s.from(); t < second.to; t++) {
                for (int o = 0; o < s.rows(); o++) {
                    double sum = 0.0;
                    double sumF = 0.0;
                    double scale = 0.0;
                    for (int i = 0; i < s.cols(); i++) {
                        sum = sum + first.w[o][i] * second.in[t][i];
                        sumF += (double) wF[o][i] * inF[t][i];
                        scale += Math.abs((double) wF[o][i] * inF[t][i]);
                    }
                    assertEquals(Double.doubleToRawLongBits(sum), Double.doubleToRawLongBits(out[t][o]),
                            "out[" + t + "][" + o + "]");
                    assertEquals(sumF, outF[t][o], 1e-6 * scale, "single precision: out[" + t + "][" + o + "]");
                }
            }
        }
    }

    /**
     * A thread keeps its panels of the weights' gradient's input between the chunks of one
     * product: the next product, with new numbers in the same arrays (as the model's next step
     * has), must copy them again. Single precision, wide enough for the gradients to go by
     * slices of columns (see {@code sliceRow}) and with rows enough for several blocks of
     * six: each chunk on the same thread, then the bits of one thread's single call.
     */
    @Test
    void aWeightGradientNeverReadsTheInputOfTheProductBefore() {
        int rows = 30;
        int cols = 4 * 4 * FloatProducts.L + 3;
        int positions = 11;
        SplittableRandom r = new SplittableRandom(17);
        float[][] w = toFloat(randomDoubles(r, rows, cols));
        float[][] dout = toFloat(randomDoubles(r, positions, rows));
        float[][] in = toFloat(randomDoubles(r, positions, cols));
        float[][] din = new float[positions][cols];
        float[][] dw = new float[rows][cols];
        // The first product fills the thread's panels with this input; then new numbers in place.
        assertTrue(KERNELS.matmulBackward(din, dw, dout, in, w, 0, positions, UNEVEN));
        float[][] next = toFloat(randomDoubles(r, positions, cols));
        for (int t = 0; t < positions; t++) {
            System.arraycopy(next[t], 0, in[t], 0, cols);
        }
        for (float[] row : dw) {
            java.util.Arrays.fill(row, 0f);
        }
        assertTrue(KERNELS.matmulBackward(din, dw, dout, in, w, 0, positions, UNEVEN));
        float[][] expected = new float[rows][cols];
        assertTrue(KERNELS.matmulBackward(new float[positions][cols], expected, dout, next, w, 0, positions, ONE));
        for (int o = 0; o < rows; o++) {
            assertArrayEquals(expected[o], dw[o], 0f, "dw[" + o + "]");
        }
    }

    @Test
    void everyProductGoesThroughTheseKernelsInTheTests() {
        // The pom sets microgpt.vector.minMultiplyAdds=0; otherwise the small products of these
        // tests, and of the engine tests, would be left to the core.
        assertEquals(0, VectorMatrixKernels.MIN_MULTIPLY_ADDS);
        assertTrue(VectorMatrixKernels.worthIt(1, 1, 1));
    }

    /**
     * The single-precision product with the ReLU of its outputs taken inside it (the MLP's first
     * product): the bits of the product, then {@code Math.max(y, 0f)} (a NaN stays NaN, so a
     * test {@code y > 0 ? y : 0} would fail), however the rows are shared out; with 32 registers
     * it is left to the core, nothing computed.
     */
    @TestFactory
    Stream<DynamicTest> theProductsReluIsTheProductThenItsRelu() {
        return Stream.concat(shapes(), Stream.of(new Shape(256, 64, 64, 0), new Shape(41, 33, 19, 3)))
                .map(s -> DynamicTest.dynamicTest(s.toString(), () -> {
                    Operands x = new Operands(s);
                    float[][] in = toFloat(x.in);
                    float[][] w = toFloat(x.w);
                    // A NaN weight: every output of its row is NaN, before and after the ReLU.
                    w[s.rows() / 2][s.cols() / 2] = Float.NaN;
                    float[][] expected = new float[x.to][s.rows()];
                    assertTrue(KERNELS.matmulForward(expected, in, w, s.from(), x.to, new float[s.cols()][x.to + 16],
                            ONE));
                    for (int t = s.from(); t < x.to; t++) {
                        for (int o = 0; o < s.rows(); o++) {
                            expected[t][o] = Math.max(expected[t][o], 0f);
                        }
                    }
                    for (Team team : new Team[] {ONE, CHUNKS, UNEVEN, THREADS}) {
                        float[][] out = new float[x.to][s.rows()];
                        boolean computed = KERNELS.matmulForwardRelu(out, in, w, s.from(), x.to,
                                new float[s.cols()][x.to + 16], team);
                        assertEquals(FloatProducts.SIXTEEN_REGISTERS, computed, s + ": fused where the panels are");
                        for (int t = 0; t < x.to; t++) {
                            assertBits(computed && t >= s.from() ? expected[t] : new float[s.rows()], out[t],
                                    s + ": out[" + t + "]");
                        }
                    }
                }));
    }

    @Test
    void fewPositionsAreLeftToTheCoreUntouched() {
        Operands x = new Operands(new Shape(5, 9, VectorMatrixKernels.MIN_POSITIONS - 1, 0));
        double[][] out = new double[x.to][5];
        assertFalse(KERNELS.matmulForward(out, x.in, x.w, 0, x.to, new double[9][5], ONE));
        float[][] outF = new float[x.to][5];
        assertFalse(KERNELS.matmulForward(outF, toFloat(x.in), toFloat(x.w), 0, x.to, new float[9][5], ONE));
        assertFalse(KERNELS.matmulForwardRelu(outF, toFloat(x.in), toFloat(x.w), 0, x.to, new float[9][5], ONE));
        for (int t = 0; t < x.to; t++) {
            assertArrayEquals(new double[5], out[t], 0.0);
            assertArrayEquals(new float[5], outF[t], 0f);
        }
    }
}
