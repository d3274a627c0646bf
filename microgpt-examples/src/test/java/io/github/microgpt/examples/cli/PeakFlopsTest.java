package io.github.microgpt.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.model.Precision;
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

    @Test
    void aSinglePrecisionPassIsEightMultiplyAddsInFloats() {
        float[] x = {0, 0.5f, 1, -3, 1e6f};
        float[] expected = x.clone();
        for (int i = 0; i < expected.length; i++) {
            for (int k = 0; k < PeakFlops.FMAS_PER_ELEMENT; k++) {
                expected[i] = Math.fma(expected[i], 0.999f, 1e-3f);
            }
        }

        PeakFlops.pass(x, 0.999f, 1e-3f);

        for (int i = 0; i < x.length; i++) {
            assertEquals(expected[i], x[i], 0.0f, "element " + i);
        }
        // The same 4 KiB as the double-precision array, so twice the elements and operations.
        assertEquals(2L * PeakFlops.FLOPS_PER_PASS, PeakFlops.FLOPS_PER_FLOAT_PASS);
    }

    @Test
    void measuresEachPrecisionOnTheThreadsAskedForButNoMoreThanTheProcessors() {
        int processors = Runtime.getRuntime().availableProcessors();
        for (Precision precision : Precision.values()) {
            for (int threads : new int[] {1, 2, processors + 1}) {
                PeakFlops.Peak peak = PeakFlops.measure(precision, threads, 0.05);

                assertEquals(precision, peak.precision());
                assertEquals(Math.min(threads, processors), peak.threads(), precision + " on " + threads);
                assertTrue(peak.gflopsPerSecond() > 0 && Double.isFinite(peak.gflopsPerSecond()), peak.toString());
            }
        }
    }

    @Test
    void refusesFewerThanOneThread() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PeakFlops.measure(Precision.F64, 0, 0.05));

        assertEquals("threads must be at least 1, got 0", e.getMessage());
    }
}
