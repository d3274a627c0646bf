package io.github.microgpt.vector;

import static io.github.microgpt.testsupport.Bits.assertBits;
import static io.github.microgpt.testsupport.Matrices.copy;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The small-shape kernels against the core's sums written out as plain loops, bit for bit: the
 * forward product's left fold from 0, the input's gradient added to in the order of the weights'
 * rows, the weights' gradient in the order of the positions, Adam's update operation by
 * operation. The shapes include {@code microgpt.py}'s (16 columns; 16, 27, 48 and 64 rows), rows
 * and columns that are no multiple of the lane count or of the blocks, one to sixteen positions
 * from a first position that is not 0, and numbers with exact zeros of both signs, so that a sum
 * started from {@code -0.0} instead of {@code 0.0} shows. A shape the kernels decline must be
 * left as it was.
 */
class SmallVectorKernelsTest {

    private static final SmallVectorKernels KERNELS = new SmallVectorKernels();

    record Shape(int rows, int cols, int positions, int from) {
        @Override
        public String toString() {
            return rows + " x " + cols + ", positions [" + from + ", " + (from + positions) + ")";
        }
    }

    static Stream<Shape> shapes() {
        List<Shape> shapes = new ArrayList<>();
        int[] rows = {1, 3, 8, 16, 27, 48, 64, 100};
        int[] cols = {4, 8, 12, 16, 24, 64};
        int[] positions = {1, 2, 3, 5, 7, 8, 11, 13, 16};
        SplittableRandom r = new SplittableRandom(5);
        for (int o : rows) {
            for (int c : cols) {
                shapes.add(new Shape(o, c, positions[r.nextInt(positions.length)], r.nextInt(3)));
            }
        }
        for (int n : positions) {
            shapes.add(new Shape(48, 16, n, 0));
            shapes.add(new Shape(16, 64, n, 1));
        }
        return shapes.stream();
    }

    /** Numbers in (-1, 1), a fifth of them exact zeros of either sign. */
    private static double[][] randomDoubles(SplittableRandom r, int rows, int cols) {
        double[][] a = new double[rows][cols];
        for (double[] row : a) {
            for (int i = 0; i < cols; i++) {
                int kind = r.nextInt(10);
                row[i] = kind == 0 ? 0.0 : kind == 1 ? -0.0 : r.nextDouble(-1, 1);
            }
        }
        return a;
    }

    /**
     * {@code out} with the positions {@code [from, to)} replaced by the core's forward product:
     * each output the left fold from 0 of {@code in[t][i] * w[o][i]}, in the order of {@code i}.
     */
    private static double[][] plainForward(double[][] out, double[][] in, double[][] w, int from, int to) {
        double[][] expected = copy(out);
        for (int t = from; t < to; t++) {
            for (int o = 0; o < w.length; o++) {
                double sum = 0.0;
                for (int i = 0; i < w[o].length; i++) {
                    sum = sum + in[t][i] * w[o][i];
                }
                expected[t][o] = sum;
            }
        }
        return expected;
    }

    @TestFactory
    Stream<DynamicTest> theForwardProductIsTheLeftFoldFromZero() {
        return shapes().map(s -> DynamicTest.dynamicTest(s.toString(), () -> {
            SplittableRandom r = new SplittableRandom(s.hashCode());
            int end = s.from() + s.positions();
            double[][] in = randomDoubles(r, end + 1, s.cols());
            double[][] w = randomDoubles(r, s.rows(), s.cols());
            double[][] out = randomDoubles(r, end + 1, s.rows());
            double[][] expected = plainForward(out, in, w, s.from(), end);
            double[][] before = copy(out);
            if (KERNELS.matmulForward(out, in, w, s.from(), end)) {
                assertBits(expected, out, "out");
            } else {
                assertBits(before, out, "out (declined)");
            }
        }));
    }

    /**
     * The forward product with its lanes across the positions ({@code byPositions}, which the
     * kernels take for short documents) is the same left fold from 0 as the plain loop, for one
     * to {@code 2 * L} positions: one vector of positions or two, partly filled, with rows that
     * are no multiple of the block of four; and the product the kernels choose gives the same
     * bits with that way turned off.
     */
    @TestFactory
    Stream<DynamicTest> theForwardProductByPositionsIsTheLeftFoldFromZero() {
        int lanes = jdk.incubator.vector.DoubleVector.SPECIES_PREFERRED.length();
        List<Shape> shapes = new ArrayList<>();
        for (int o : new int[] {4, 5, 16, 27, 48, 64}) {
            for (int c : new int[] {1, 3, 16, 64}) {
                for (int n = 1; n <= 2 * lanes; n++) {
                    shapes.add(new Shape(o, c, n, n % 3));
                }
            }
        }
        return shapes.stream().map(s -> DynamicTest.dynamicTest(s.toString(), () -> {
            SplittableRandom r = new SplittableRandom(s.hashCode() + 7);
            int end = s.from() + s.positions();
            double[][] in = randomDoubles(r, end + 1, s.cols());
            double[][] w = randomDoubles(r, s.rows(), s.cols());
            double[][] out = randomDoubles(r, end + 1, s.rows());
            double[][] expected = plainForward(out, in, w, s.from(), end);
            double[][] chosen = copy(out);
            SmallVectorKernels.byPositions(out, in, w, s.from(), end, s.rows(), s.cols());
            assertBits(expected, out, "out");
            boolean before = SmallVectorKernels.positionLanes;
            SmallVectorKernels.positionLanes = false;
            try {
                double[][] transposed = copy(chosen);
                if (KERNELS.matmulForward(transposed, in, w, s.from(), end)) {
                    SmallVectorKernels.positionLanes = true;
                    assertTrue(KERNELS.matmulForward(chosen, in, w, s.from(), end));
                    assertBits(transposed, chosen, "out, either way");
                }
            } finally {
                SmallVectorKernels.positionLanes = before;
            }
        }));
    }

    @TestFactory
    Stream<DynamicTest> theGradientsAreAddedInTheCoresOrder() {
        return shapes().map(s -> DynamicTest.dynamicTest(s.toString(), () -> {
            SplittableRandom r = new SplittableRandom(s.hashCode() + 1);
            int end = s.from() + s.positions();
            double[][] in = randomDoubles(r, end + 1, s.cols());
            double[][] w = randomDoubles(r, s.rows(), s.cols());
            double[][] dout = randomDoubles(r, end + 1, s.rows());
            double[][] din = randomDoubles(r, end + 1, s.cols());
            double[][] dw = randomDoubles(r, s.rows(), s.cols());
            double[][] expectedDin = copy(din);
            double[][] expectedDw = copy(dw);
            for (int t = s.from(); t < end; t++) {
                for (int i = 0; i < s.cols(); i++) {
                    double sum = din[t][i];
                    for (int o = 0; o < s.rows(); o++) {
                        sum = sum + dout[t][o] * w[o][i];
                    }
                    expectedDin[t][i] = sum;
                }
            }
            for (int o = 0; o < s.rows(); o++) {
                for (int i = 0; i < s.cols(); i++) {
                    double sum = dw[o][i];
                    for (int t = s.from(); t < end; t++) {
                        sum = sum + dout[t][o] * in[t][i];
                    }
                    expectedDw[o][i] = sum;
                }
            }
            double[][] dinBefore = copy(din);
            double[][] dwBefore = copy(dw);
            if (KERNELS.matmulBackward(din, dw, dout, in, w, s.from(), end)) {
                assertBits(expectedDin, din, "din");
                assertBits(expectedDw, dw, "dw");
            } else {
                assertBits(dinBefore, din, "din (declined)");
                assertBits(dwBefore, dw, "dw (declined)");
            }
        }));
    }

    /**
     * The overwriting backward product gives, over rows full of other numbers (NaN among them),
     * the bits of the adding one over rows of zeros ({@code 0.0}, so that a sum started from
     * {@code -0.0} would show), leaves the rows outside {@code [from, to)} alone, and adds to the
     * weights' gradient as before; a shape it declines is left as it was.
     */
    @TestFactory
    Stream<DynamicTest> theOverwritingProductIsTheAddingOneOverZeros() {
        return shapes().map(s -> DynamicTest.dynamicTest(s.toString(), () -> {
            SplittableRandom r = new SplittableRandom(s.hashCode() + 2);
            int end = s.from() + s.positions();
            double[][] in = randomDoubles(r, end + 1, s.cols());
            double[][] w = randomDoubles(r, s.rows(), s.cols());
            double[][] dout = randomDoubles(r, end + 1, s.rows());
            double[][] dw = randomDoubles(r, s.rows(), s.cols());
            double[][] din = randomDoubles(r, end + 1, s.cols());
            din[s.from()][0] = Double.NaN;
            double[][] zeroed = copy(din);
            for (int t = s.from(); t < end; t++) {
                Arrays.fill(zeroed[t], 0.0);
            }
            double[][] expectedDw = copy(dw);
            double[][] dinBefore = copy(din);
            boolean added = KERNELS.matmulBackward(zeroed, expectedDw, dout, in, w, s.from(), end);
            if (KERNELS.matmulBackwardOverwrite(din, dw, dout, in, w, s.from(), end)) {
                assertTrue(added, "the overwriting product takes only what the adding one takes");
                assertBits(zeroed, din, "din");
                assertBits(expectedDw, dw, "dw");
            } else {
                assertBits(dinBefore, din, "din (declined)");
            }
        }));
    }

    /**
     * The overwriting backward product told that the weights' gradient is cleared gives, over
     * rows of {@code +0.0}, the bits it gives when not told (so the golden run cannot change), and
     * does not read those rows: over rows of NaN it gives the same bits again. Without the
     * zero start the NaN rows would make every weight gradient NaN.
     */
    @TestFactory
    Stream<DynamicTest> aClearedWeightsGradientIsSummedFromZero() {
        return shapes().map(s -> DynamicTest.dynamicTest(s.toString(), () -> {
            SplittableRandom r = new SplittableRandom(s.hashCode() + 3);
            int end = s.from() + s.positions();
            double[][] in = randomDoubles(r, end + 1, s.cols());
            double[][] w = randomDoubles(r, s.rows(), s.cols());
            double[][] dout = randomDoubles(r, end + 1, s.rows());
            double[][] expectedDin = new double[end + 1][s.cols()];
            double[][] expectedDw = new double[s.rows()][s.cols()];
            if (!KERNELS.matmulBackwardOverwrite(expectedDin, expectedDw, dout, in, w, s.from(), end, false)) {
                double[][] dw = new double[s.rows()][s.cols()];
                assertFalse(KERNELS.matmulBackwardOverwrite(new double[end + 1][s.cols()], dw, dout, in, w,
                        s.from(), end, true), "declined either way");
                assertBits(new double[s.rows()][s.cols()], dw, "dw (declined)");
                return;
            }
            double[][] din = new double[end + 1][s.cols()];
            double[][] dw = new double[s.rows()][s.cols()];
            assertTrue(KERNELS.matmulBackwardOverwrite(din, dw, dout, in, w, s.from(), end, true));
            assertBits(expectedDin, din, "din over +0.0");
            assertBits(expectedDw, dw, "dw over +0.0");
            double[][] nanDw = new double[s.rows()][s.cols()];
            for (double[] row : nanDw) {
                Arrays.fill(row, Double.NaN);
            }
            assertTrue(KERNELS.matmulBackwardOverwrite(new double[end + 1][s.cols()], nanDw, dout, in, w,
                    s.from(), end, true));
            assertBits(expectedDw, nanDw, "dw not read");
        }));
    }

    @Test
    void theReferenceModelsProductsAreTaken() {
        SplittableRandom r = new SplittableRandom(3);
        // microgpt.py's products: (rows, cols) of the weights, for a document of 2 and of 16 positions.
        int[][] products = {{48, 16}, {16, 16}, {64, 16}, {16, 64}, {27, 16}};
        for (int[] p : products) {
            for (int n : new int[] {2, 16}) {
                double[][] w = randomDoubles(r, p[0], p[1]);
                double[][] in = randomDoubles(r, n, p[1]);
                String shape = p[0] + " x " + p[1] + " over " + n + " positions";
                assertTrue(KERNELS.matmulForward(new double[n][p[0]], in, w, 0, n), shape);
                assertTrue(KERNELS.matmulBackward(new double[n][p[1]], new double[p[0]][p[1]], randomDoubles(r, n, p[0]),
                        in, w, 0, n), shape);
                assertTrue(KERNELS.matmulBackwardOverwrite(new double[n][p[1]], new double[p[0]][p[1]],
                        randomDoubles(r, n, p[0]), in, w, 0, n), shape);
            }
        }
    }

    /** At step 3 with both bias corrections, at step 5000 with both exactly 1 (their divisions left out). */
    @ParameterizedTest
    @ValueSource(ints = {3, 5000})
    void adamIsTheOptimizersArithmeticOperationByOperation(int step) {
        SplittableRandom r = new SplittableRandom(17);
        // Once the corrections are 1, rows of one length side by side are updated two at a time
        // (16 and 16; 5 and 5, past their last whole vector), the others one by one; the last row
        // updated is alone, its neighbour of the same length lying outside the range.
        int[] lengths = {16, 16, 16, 5, 5, 24, 64, 1, 16, 16};
        double[][] values = new double[lengths.length][];
        double[][] grads = new double[lengths.length][];
        int[] starts = new int[lengths.length + 1];
        for (int k = 0; k < lengths.length; k++) {
            values[k] = randomDoubles(r, 1, lengths[k])[0];
            grads[k] = randomDoubles(r, 1, lengths[k])[0];
            starts[k + 1] = starts[k] + lengths[k];
        }
        int size = starts[lengths.length];
        double[] m = randomDoubles(r, 1, size)[0];
        double[] v = new double[size];
        for (int i = 0; i < size; i++) {
            v[i] = r.nextDouble() * 1e-3;
        }
        double b1 = 0.85;
        double b2 = 0.99;
        double eps = 1e-8;
        double lr = 0.0073;
        double correction1 = 1 - Math.pow(b1, step + 1);
        double correction2 = 1 - Math.pow(b2, step + 1);
        double[][] expectedValues = copy(values);
        double[] expectedM = m.clone();
        double[] expectedV = v.clone();
        // Rows [1, 9) only: the others must stay as they are.
        for (int k = 1; k < 9; k++) {
            for (int i = 0; i < lengths[k]; i++) {
                int at = starts[k] + i;
                double g = grads[k][i];
                double mi = b1 * expectedM[at] + (1 - b1) * g;
                double vi = b2 * expectedV[at] + (1 - b2) * (g * g);
                expectedM[at] = mi;
                expectedV[at] = vi;
                double mHat = mi / correction1;
                double vHat = vi / correction2;
                expectedValues[k][i] = expectedValues[k][i] - lr * mHat / (Math.sqrt(vHat) + eps);
            }
        }
        double[][] expectedGrads = copy(grads);
        for (int k = 1; k < 9; k++) {
            java.util.Arrays.fill(expectedGrads[k], 0.0);
        }
        assertTrue(KERNELS.adam(values, grads, m, v, starts, 1, 9, b1, b2, 1 - b1, 1 - b2, eps, lr, correction1,
                correction2));
        assertBits(expectedValues, values, "values");
        assertBits(expectedGrads, grads, "grads");
        assertBits(new double[][] {expectedM, expectedV}, new double[][] {m, v}, "moments");
    }

    @Test
    void theModuleProvidesTheKernelsOnBothPaths() throws Exception {
        // On the module path through module-info, on the class path through META-INF/services.
        String service = "io.github.microgpt.internal.kernels.SmallKernels";
        Module module = SmallVectorKernels.class.getModule();
        if (module.isNamed()) {
            assertTrue(module.getDescriptor().provides().stream()
                    .anyMatch(p -> p.service().equals(service)
                            && p.providers().contains(SmallVectorKernels.class.getName())),
                    module.getDescriptor().provides().toString());
        }
        try (var in = SmallVectorKernels.class.getResourceAsStream("/META-INF/services/" + service)) {
            assertTrue(in != null, "no META-INF/services/" + service);
            assertEquals(SmallVectorKernels.class.getName(), new String(in.readAllBytes(),
                    java.nio.charset.StandardCharsets.UTF_8).trim());
        }
    }

    @Test
    void threadsEachHaveTheirOwnScratch() throws Exception {
        // Two threads multiplying different shapes at once, each many times: a shared scratch for
        // the transposed weights would mix them up.
        int[][] shapes = {{48, 16}, {27, 64}};
        List<Thread> threads = new ArrayList<>();
        List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
        for (int[] shape : shapes) {
            Thread thread = new Thread(() -> {
                SplittableRandom r = new SplittableRandom(shape[0]);
                double[][] w = randomDoubles(r, shape[0], shape[1]);
                double[][] in = randomDoubles(r, 16, shape[1]);
                double[][] first = new double[16][shape[0]];
                KERNELS.matmulForward(first, in, w, 0, 16);
                for (int k = 0; k < 2000; k++) {
                    double[][] again = new double[16][shape[0]];
                    KERNELS.matmulForward(again, in, w, 0, 16);
                    try {
                        assertBits(first, again, "out");
                    } catch (Throwable e) {
                        failures.add(e);
                        return;
                    }
                }
            });
            threads.add(thread);
            thread.start();
        }
        for (Thread thread : threads) {
            thread.join();
        }
        assertEquals(List.of(), failures);
    }
}
