package io.github.microgpt.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;

import jdk.incubator.vector.DoubleVector;
import org.junit.jupiter.api.Test;

/**
 * The kernels run at the vector length the build asked for. The pom runs the kernel tests again
 * with the JVM's vector size capped ({@code -XX:MaxVectorSize}), so that a machine with wide
 * registers also tests the edges of narrower ones; this test makes sure the cap took effect
 * (were it ignored, those runs would only repeat the default one). The expected number of
 * doubles per vector comes from the property {@code microgpt.vector.expectedDoubleLanes}; without
 * it (the default run) the machine's own preferred length is expected.
 */
class VectorLengthTest {

    @Test
    void theKernelsUseTheVectorLengthOfThisRun() {
        int expected = Integer.getInteger("microgpt.vector.expectedDoubleLanes",
                DoubleVector.SPECIES_PREFERRED.length());
        assertEquals(expected, DoubleProducts.L, "doubles per vector");
        assertEquals(2 * expected, FloatProducts.L, "floats per vector: twice the doubles, same register");
    }
}
