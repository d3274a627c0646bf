package io.github.microgpt.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.internal.kernels.MatrixKernels;
import io.github.microgpt.internal.kernels.Team;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * How the matrix products' kernels are chosen: the core alone runs its own loops, silently, and a
 * property that asks for what is not there, or for nothing known, fails clearly at the first
 * product instead of running something else.
 */
class ArrayKernelsTest {

    /** Kernels that multiply nothing (the choice is what is tested). */
    private static final MatrixKernels FOUND = new MatrixKernels() {
        @Override
        public boolean matmulForward(double[][] out, double[][] in, double[][] w, int from, int to,
                                     double[][] wT, Team team) {
            return false;
        }

        @Override
        public boolean matmulBackward(double[][] din, double[][] dw, double[][] dout, double[][] in,
                                      double[][] w, int from, int to, Team team) {
            return false;
        }

        @Override
        public boolean matmulForward(float[][] out, float[][] in, float[][] w, int from, int to, float[][] wT,
                                     Team team) {
            return false;
        }

        @Override
        public boolean matmulBackward(float[][] din, float[][] dw, float[][] dout, float[][] in, float[][] w,
                                      int from, int to, Team team) {
            return false;
        }
    };

    private static ArrayKernels.Lookup found() {
        return new ArrayKernels.Lookup(Optional.of(FOUND), null);
    }

    private static ArrayKernels.Lookup missing() {
        return new ArrayKernels.Lookup(Optional.empty(), "the module is not there");
    }

    @Test
    void theCoreAloneRunsItsOwnLoops() {
        // microgpt-core's tests have no microgpt-vector on their path, and no jdk.incubator.vector.
        assertEquals(ArrayKernels.Implementation.PLAIN, ArrayKernels.implementation());
        ArrayKernels.Lookup lookup = ArrayKernels.lookUp();
        assertTrue(lookup.kernels.isEmpty());
        assertTrue(lookup.reason.contains("--add-modules jdk.incubator.vector"), lookup.reason);
    }

    @Test
    void theSmallKernelsAreLookedForOnlyBesideChosenVectorKernels() {
        // The plain loops, or a refused choice, never look; chosen kernels look, and on the core's
        // test path (no microgpt-vector) find none.
        assertNull(ArrayKernels.lookUpSmall(ArrayKernels.choose("plain", ArrayKernelsTest::found)));
        assertNull(ArrayKernels.lookUpSmall(ArrayKernels.choose("vector", ArrayKernelsTest::missing)));
        assertNull(ArrayKernels.lookUpSmall(ArrayKernels.choose("vector", ArrayKernelsTest::found)));
        assertNull(ArrayKernels.small());
    }

    @Test
    void autoTakesTheVectorKernelsWhenFoundAndThePlainLoopsOtherwise() {
        for (String auto : new String[] {null, "auto", " AUTO "}) {
            ArrayKernels.Choice withVector = ArrayKernels.choose(auto, ArrayKernelsTest::found);
            assertEquals(ArrayKernels.Implementation.VECTOR, withVector.implementation);
            assertSame(FOUND, withVector.kernels);
            assertNull(withVector.problem);
            ArrayKernels.Choice without = ArrayKernels.choose(auto, ArrayKernelsTest::missing);
            assertEquals(ArrayKernels.Implementation.PLAIN, without.implementation);
            assertNull(without.kernels);
            assertNull(without.problem);
        }
    }

    @Test
    void plainNeverLooks() {
        AtomicInteger looks = new AtomicInteger();
        ArrayKernels.Choice plain = ArrayKernels.choose("plain", () -> {
            looks.incrementAndGet();
            return found();
        });
        assertEquals(ArrayKernels.Implementation.PLAIN, plain.implementation);
        assertNull(plain.kernels);
        assertEquals(0, looks.get());
    }

    @Test
    void vectorInsistsAndSaysWhatIsMissing() {
        assertSame(FOUND, ArrayKernels.choose("vector", ArrayKernelsTest::found).kernels);
        ArrayKernels.Choice refused = ArrayKernels.choose("vector", ArrayKernelsTest::missing);
        assertEquals("-Dmicrogpt.kernels=vector, but the module is not there", refused.problem);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> refused.kernels.matmulForward(new double[8][1], new double[8][1], new double[1][1], 0, 8,
                        new double[1][1], (count, grain, task) -> task.run(0, count)));
        assertEquals(refused.problem, e.getMessage());
    }

    @Test
    void anUnknownValueIsRefusedClearly() {
        ArrayKernels.Choice refused = ArrayKernels.choose("simd", ArrayKernelsTest::found);
        assertEquals("unknown value of -Dmicrogpt.kernels: \"simd\"; the values are auto, plain and vector",
                refused.problem);
        assertThrows(IllegalStateException.class, () -> refused.kernels.matmulBackward(new float[1][1],
                new float[1][1], new float[1][1], new float[1][1], new float[1][1], 0, 1, null));
    }
}
