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
            // ROUNDS quiet rounds; or, where this JVM's compiler worked during too many (a busy test
            // JVM), every round ran counts and none is set aside (ControlRounds).
            int rounds = rate.rounds().length;
            assertTrue(rounds == CoreScaling.ROUNDS
                    || rounds > CoreScaling.ROUNDS && measurement.setAside() == 0 && measurement.compilerRounds() > 0,
                    rate.threads() + " threads: " + rounds + " rounds, " + measurement.setAside() + " set aside, "
                            + measurement.compilerRounds() + " with the compiler at work");
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
     * A low ratio says whose it is: another program on this machine when the threads were off their
     * processors for more than a tenth of their time, else the host; nothing when the threads got
     * their worth or their processor time is unknown.
     */
    @Test
    void theTableLineSaysWhoTookTheCores() {
        List<CoreScaling.Rate> low = List.of(new CoreScaling.Rate(1, 100, new double[] {100}),
                new CoreScaling.Rate(2, 101, new double[] {101}));
        String start = "compute of this machine, measured: 1 thread 100.0 GFLOP/s, 2 threads 101.0 GFLOP/s, 1.01x (f64 "
                + "multiply-adds on 4 KiB in each thread's first-level cache, no memory traffic: the most more threads "
                + "can gain; median of 15 alternated rounds, 0.30 s";
        assertEquals(start + "; the 2 threads were on a processor 52% of their time: other programs on this machine "
                + "had the rest)", BenchCommand.computeLine(new CoreScaling.Measurement(Precision.F64, low, 0.3, 0.52)));
        assertEquals(start + "; the 2 threads were on a processor 99% of their time: the host, not a program on this "
                + "machine, gave less than 2 full cores)",
                BenchCommand.computeLine(new CoreScaling.Measurement(Precision.F64, low, 0.3, 0.99)));
        assertEquals(start + ")", BenchCommand.computeLine(new CoreScaling.Measurement(Precision.F64, low, 0.3)));
        // Rounds during which this JVM's own JIT compiler worked: set aside, or counted when too many.
        assertEquals(start.replace("rounds, 0.30 s", "rounds; 3 more rounds set aside: this JVM's JIT compiler "
                + "worked during them, 0.30 s") + "; the 2 threads were on a processor 95% of their time: the host, not a "
                + "program on this machine, gave less than 2 full cores)",
                BenchCommand.computeLine(new CoreScaling.Measurement(Precision.F64, low, 0.3, 0.95, 3, 3)));
        List<CoreScaling.Rate> counted = List.of(new CoreScaling.Rate(1, 100, new double[] {100, 100, 100, 100}),
                new CoreScaling.Rate(2, 101, new double[] {101, 101, 101, 101}));
        assertEquals(start.replace("median of 15 alternated rounds, 0.30 s", "median of 4 alternated rounds; this "
                + "JVM's JIT compiler worked during 4 of them, too many to set aside: counted, 0.30 s")
                + "; the 2 threads were on a processor 52% of their time: this JVM's JIT compiler or other programs on "
                + "this machine had the rest)",
                BenchCommand.computeLine(new CoreScaling.Measurement(Precision.F64, counted, 0.3, 0.52, 0, 4)));
        List<CoreScaling.Rate> full = List.of(new CoreScaling.Rate(1, 100, new double[] {100}),
                new CoreScaling.Rate(2, 195, new double[] {195}));
        assertTrue(BenchCommand.computeLine(new CoreScaling.Measurement(Precision.F64, full, 0.3, 0.99))
                .endsWith("0.30 s)"));
    }

    /**
     * The control measurement reads the threads' processor time where the JVM can: a share of
     * their wall time, at most all of it, and none with one thread alone.
     */
    @Test
    void theControlGivesTheShareOfTheirTimeTheThreadsWereOnAProcessor() {
        assertTrue(Double.isNaN(CoreScaling.measure(Precision.F64, List.of(1)).onProcessor()));
        CoreScaling.Measurement two = CoreScaling.measure(Precision.F64, List.of(1, 2));
        if (two.rates().size() > 1
                && java.lang.management.ManagementFactory.getThreadMXBean().isCurrentThreadCpuTimeSupported()) {
            assertTrue(two.onProcessor() > 0 && two.onProcessor() <= 1, two.toString());
        }
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
