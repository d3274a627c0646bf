package io.github.microgpt.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The peak kernel does the work it is counted for, and the measurement gives a usable number.
 * No speed is asserted: the figure depends on the machine.
 */
class PeakFlopsTest {

    @Test
    void aPassIsEightMultiplyAddsOnEveryElement() {
        double[] x = {0, 0.5, 1, -3, 1e6};
        double[] expected = x.clone();
        for (int i = 0; i < expected.length; i++) {
            for (int k = 0; k < PeakFlops.FMAS_PER_ELEMENT; k++) {
                expected[i] = Math.fma(expected[i], 0.999, 1e-3);
            }
        }

        PeakFlops.pass(x, 0.999, 1e-3);

        for (int i = 0; i < x.length; i++) {
            assertEquals(expected[i], x[i], 0.0, "element " + i);
        }
        assertEquals(2L * 8 * PeakFlops.LENGTH, PeakFlops.FLOPS_PER_PASS);
    }

    @Test
    void theValuesSettleInsteadOfBecomingSubnormal() {
        double[] x = new double[PeakFlops.LENGTH];
        for (int pass = 0; pass < 10_000; pass++) {
            PeakFlops.pass(x, 0.999, 1e-3);
        }
        // x = 0.999 x + 0.001 tends to 1 from below.
        for (double v : x) {
            assertTrue(v > 0.5 && v <= 1, "value " + v);
        }
    }

    @Test
    void measuresAPositiveFiniteRate() {
        double gflops = PeakFlops.measureGflops(0.05);

        assertTrue(gflops > 0 && Double.isFinite(gflops), "GFLOP/s " + gflops);
    }
}
