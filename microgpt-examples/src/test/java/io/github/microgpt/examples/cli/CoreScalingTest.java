package io.github.microgpt.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.model.Precision;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The cores' own scaling ({@link CoreScaling}): its control measurement and its probe. Their
 * figures depend on the machine, so only their shape and sense are checked, never a speed.
 */
class CoreScalingTest {

    @ParameterizedTest
    @EnumSource(Precision.class)
    void theControlMeasuresOneThreadAndEachCountAsTheMemoryDoes(Precision precision) {
        CoreScaling.Measurement measurement = CoreScaling.measure(precision, List.of(2, 1));

        assertEquals(precision, measurement.precision());
        List<Integer> expected = MemoryBandwidth.threadCounts(List.of(2, 1));
        assertEquals(expected, measurement.rates().stream().map(CoreScaling.Rate::threads).toList());
        for (CoreScaling.Rate rate : measurement.rates()) {
            assertEquals(CoreScaling.ROUNDS, rate.rounds().length);
            for (double round : rate.rounds()) {
                assertTrue(round > 0 && Double.isFinite(round), rate.toString());
            }
            assertEquals(BenchCommand.median(rate.rounds()), rate.gflopsPerSecond(), 0);
            assertEquals(rate.gflopsPerSecond() / measurement.rates().get(0).gflopsPerSecond(),
                    measurement.overOneThread(rate.threads()), 1e-12);
        }
        assertEquals(1.0, measurement.overOneThread(1), 0);
        assertTrue(measurement.seconds() > 0);
        assertThrows(IllegalArgumentException.class, () -> measurement.on(5));
    }

    @Test
    void theTableLineGivesEachCountsRateAndItsRatioOverOneThread() {
        CoreScaling.Measurement measurement = new CoreScaling.Measurement(Precision.F32,
                List.of(new CoreScaling.Rate(1, 100, new double[] {100}), new CoreScaling.Rate(2, 190, new double[] {190})),
                0.214);
        assertEquals("compute of this machine, measured: 1 thread 100.0 GFLOP/s, 2 threads 190.0 GFLOP/s, 1.90x (f32 "
                + "multiply-adds on 4 KiB in each thread's first-level cache, no memory traffic: the most more threads "
                + "can gain; median of 15 alternated rounds, 0.21 s)", BenchCommand.computeLine(measurement));
    }

    /**
     * The probe's figure is in units of one thread's best speed: positive, and on two threads
     * not above two by more than a thread's run can beat its best (timing noise of a millisecond's work).
     */
    @Test
    void theProbeReadsTheThreadsWorkInUnitsOfOneThreadsBest() {
        try (CoreScaling cores = new CoreScaling(Precision.F64, 2)) {
            assertEquals(2, cores.threads());
            assertTrue(cores.bestNanosPerPass() > 0 && Double.isFinite(cores.bestNanosPerPass()));
            for (int k = 0; k < 5; k++) {
                double figure = cores.probe();
                assertTrue(figure > 0 && figure < 2.5, "probe " + figure);
            }
        }
        try (CoreScaling one = new CoreScaling(Precision.F32, 1)) {
            double figure = one.probe();
            assertTrue(figure > 0 && figure < 1.25, "probe " + figure);
        }
        assertThrows(IllegalArgumentException.class, () -> new CoreScaling(Precision.F64, 0));
    }
}
