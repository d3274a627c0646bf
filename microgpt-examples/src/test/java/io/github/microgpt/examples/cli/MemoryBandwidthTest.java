package io.github.microgpt.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.model.Precision;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The memory kernel does the work it is counted for, the byte count of Adam's update is the one
 * counted by hand, and a measurement gives usable, self-consistent numbers. No speed is
 * asserted: the figures depend on the machine.
 */
class MemoryBandwidthTest {

    @Test
    void aPassReadsAndWritesAllFourArraysInItsRangeOnly() {
        double[] w = {1, 1, 2, 1};
        double[] m = {0.5, 0.5, 0.2, 0.5};
        double[] v = {0.25, 0.25, 0.1, 0.25};
        double[] g = {0.5, 0.5, 0.4, 0.5};

        MemoryBandwidth.pass(w, m, v, g, 1, 3);

        // Outside [1, 3) nothing changes.
        assertEquals(List.of(1.0, 0.5, 0.25, 0.5), List.of(w[0], m[0], v[0], g[0]));
        assertEquals(List.of(1.0, 0.5, 0.25, 0.5), List.of(w[3], m[3], v[3], g[3]));
        // Index 2 by hand: m = 0.85 * 0.2 + 0.15 * 0.4, v = 0.99 * 0.1 + 0.01 * 0.16, w -= 1e-6 m v, g = m.
        double m2 = 0.85 * 0.2 + (1 - 0.85) * 0.4;
        double v2 = 0.99 * 0.1 + (1 - 0.99) * (0.4 * 0.4);
        assertEquals(m2, m[2], 0.0);
        assertEquals(v2, v[2], 0.0);
        assertEquals(2 - 1e-6 * m2 * v2, w[2], 0.0);
        assertEquals(m2, g[2], 0.0);
        // Index 1 starts where the measurement fills the arrays, at its fixed point: m and v stay.
        assertEquals(0.5, m[1], 0.0);
        assertEquals(0.25, v[1], 0.0);
        assertEquals(1 - 1e-6 * 0.5 * 0.25, w[1], 0.0);
    }

    @Test
    void theValuesStayNormalOverManyPasses() {
        double[] w = {1, 1};
        double[] m = {0.5, 1e-3};
        double[] v = {0.25, 0};
        double[] g = {0.5, 0};

        for (int pass = 0; pass < 100_000; pass++) {
            MemoryBandwidth.pass(w, m, v, g, 0, 2);
        }

        for (double[] array : new double[][] {w, m, v, g}) {
            for (double x : array) {
                assertTrue(Double.isFinite(x) && Math.abs(x) >= Double.MIN_NORMAL, "value " + x);
            }
        }
    }

    @Test
    void adamsUpdateMovesSixNumbersAParameterInsideTheBackwardPassAndEightAfterIt() {
        MemoryBandwidth.UpdatePlace inside = MemoryBandwidth.UpdatePlace.INSIDE_BACKWARD_PASS;
        MemoryBandwidth.UpdatePlace after = MemoryBandwidth.UpdatePlace.AFTER_BACKWARD_PASS;
        // nEmbd 24, 2 layers, block 8, 27 tokens: 2 * 27 * 24 + 8 * 24 + 12 * 2 * 24 * 24 = 15312 parameters.
        // Inside the backward pass w, m and v are each read once and written once: 6 numbers a
        // parameter (the gradients come from scratch in the caches); after it g as well: 8.
        assertEquals(15312L * 6 * 8, MemoryBandwidth.updateBytesPerStep(15312, Precision.F64, inside));
        assertEquals(734_976L, MemoryBandwidth.updateBytesPerStep(15312, Precision.F64, inside));
        assertEquals(367_488L, MemoryBandwidth.updateBytesPerStep(15312, Precision.F32, inside));
        assertEquals(979_968L, MemoryBandwidth.updateBytesPerStep(15312, Precision.F64, after));
        assertEquals(489_984L, MemoryBandwidth.updateBytesPerStep(15312, Precision.F32, after));
        // The README's size, 3,175,936 parameters: the fused step streams 76.2 MB in f32 and
        // 152.4 MB in f64, not the 101.6 and 203.3 MB of four arrays.
        assertEquals(76_222_464L, MemoryBandwidth.updateBytesPerStep(3_175_936, Precision.F32, inside));
        assertEquals(152_444_928L, MemoryBandwidth.updateBytesPerStep(3_175_936, Precision.F64, inside));
        assertEquals(203_259_904L, MemoryBandwidth.updateBytesPerStep(3_175_936, Precision.F64, after));
        assertEquals(List.of(3, 4), List.of(inside.arrays(), after.arrays()));
        assertEquals(List.of("w, m, v", "w, m, v, g"), List.of(inside.names(), after.names()));
    }

    @Test
    void theArraysHold256MiBOrAQuarterOfASmallHeapInWholeSegments() {
        // 256 MiB in all: 8 Mi doubles in each of the four arrays.
        assertEquals(8_388_608, MemoryBandwidth.elementsFor(1L << 40));
        assertEquals(8_388_608, MemoryBandwidth.elementsFor(1L << 30));
        // A quarter of a 256 MiB heap: 64 MiB in all, so 2 Mi doubles each.
        assertEquals(2_097_152, MemoryBandwidth.elementsFor(256L << 20));
        // A 1000-byte heap: 250 bytes for the arrays, 7 doubles each, rounded down to a multiple of the 4 segments.
        assertEquals(4, MemoryBandwidth.elementsFor(1000));
        assertEquals(MemoryBandwidth.SEGMENTS, MemoryBandwidth.elementsFor(0));
        assertEquals(0, MemoryBandwidth.elementsFor(100L << 20) % MemoryBandwidth.SEGMENTS);
    }

    @Test
    void measuresOneThreadAndTheRunsCountsUpToTheProcessors() {
        int processors = Runtime.getRuntime().availableProcessors();
        assertEquals(List.of(1), MemoryBandwidth.threadCounts(List.of(1, 1)));
        assertEquals(List.of(1, Math.min(2, processors)).stream().distinct().toList(),
                MemoryBandwidth.threadCounts(List.of(2)));
        assertEquals(List.of(1, processors).stream().distinct().toList(),
                MemoryBandwidth.threadCounts(List.of(processors + 3, 1)));
    }

    @Test
    void aMeasurementIsTheMedianOfItsRoundsAndItsRatioIsOverOneThread() {
        MemoryBandwidth.Measurement measurement = MemoryBandwidth.measure(List.of(2));

        int processors = Runtime.getRuntime().availableProcessors();
        List<Integer> counts = measurement.bandwidths().stream().map(MemoryBandwidth.Bandwidth::threads).toList();
        assertEquals(List.of(1, Math.min(2, processors)).stream().distinct().toList(), counts);
        assertEquals(MemoryBandwidth.BUFFER_BYTES, measurement.bufferBytes());
        assertTrue(measurement.seconds() > 0 && Double.isFinite(measurement.seconds()), measurement.toString());
        for (MemoryBandwidth.Bandwidth b : measurement.bandwidths()) {
            // ROUNDS quiet rounds; or, where this JVM's compiler worked during too many (a busy test
            // JVM), every round ran counts and none is set aside (ControlRounds).
            int rounds = b.rounds().length;
            assertTrue(rounds == MemoryBandwidth.ROUNDS || rounds > MemoryBandwidth.ROUNDS && measurement.setAside() == 0,
                    "threads " + b.threads() + ": " + rounds + " rounds, " + measurement.setAside() + " set aside");
            for (double rate : b.rounds()) {
                assertTrue(rate > 0 && Double.isFinite(rate), "threads " + b.threads() + ": " + rate);
            }
            assertEquals(BenchCommand.median(b.rounds()), b.gbPerSecond(), 0.0);
            assertEquals(b.gbPerSecond() / measurement.on(1).gbPerSecond(), measurement.overOneThread(b.threads()),
                    0.0);
        }
        assertEquals(1.0, measurement.overOneThread(1), 0.0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> measurement.on(3 + processors));
        assertEquals("no bandwidth measured on " + (3 + processors) + " threads", e.getMessage());
    }

    @Test
    void theTableSaysTheBandwidthsAndWhatTheUpdateTakesAtEach() {
        MemoryBandwidth.Measurement measurement = new MemoryBandwidth.Measurement(List.of(
                new MemoryBandwidth.Bandwidth(1, 50, new double[] {50}),
                new MemoryBandwidth.Bandwidth(2, 55, new double[] {55})), 64_000_000, 0.3);
        BenchCommand.Result f64 = result("array", Precision.F64, 2, MemoryBandwidth.UpdatePlace.INSIDE_BACKWARD_PASS);
        BenchCommand.Result f32 = result("array-f32", Precision.F32, 1,
                MemoryBandwidth.UpdatePlace.INSIDE_BACKWARD_PASS);

        List<String> lines = BenchCommand.memoryLines(measurement, List.of(f64, f64, f32), 1_000_000);

        // 1e6 parameters x 6 numbers x 8 bytes = 48 MB: 0.96 ms at 50 GB/s, 0.87 ms at 55 GB/s; f32 half.
        assertEquals(List.of(
                "memory of this machine, measured: 1 thread 50.0 GB/s, 2 threads 55.0 GB/s, 1.10x (4 arrays read and "
                        + "written as Adam's update after the backward pass does, 64 MB in all, median of 15 "
                        + "alternated rounds, 0.30 s)",
                "Adam's update inside the backward pass reads and writes 48.0 MB a step (w, m, v: 3 x 1000000 f64 "
                        + "numbers of 8 bytes, each read and written once; each matrix's gradient is read from the "
                        + "caches as soon as it is summed); from memory at these bandwidths that takes 0.96 ms on 1 "
                        + "thread, 0.87 ms on 2 threads",
                "Adam's update inside the backward pass reads and writes 24.0 MB a step (w, m, v: 3 x 1000000 f32 "
                        + "numbers of 4 bytes, each read and written once; each matrix's gradient is read from the "
                        + "caches as soon as it is summed); from memory at these bandwidths that takes 0.48 ms on 1 "
                        + "thread, 0.44 ms on 2 threads"), lines);
    }

    @Test
    void entriesOfOnePrecisionThatUpdateInBothPlacesGetALineEachThatNamesThem() {
        MemoryBandwidth.Measurement measurement = new MemoryBandwidth.Measurement(List.of(
                new MemoryBandwidth.Bandwidth(1, 50, new double[] {50})), 64_000_000, 0.3);
        BenchCommand.Result value = result("value", Precision.F64, 1, MemoryBandwidth.UpdatePlace.AFTER_BACKWARD_PASS);
        BenchCommand.Result array = result("array", Precision.F64, 1, MemoryBandwidth.UpdatePlace.INSIDE_BACKWARD_PASS);

        List<String> lines = BenchCommand.memoryLines(measurement, List.of(value, array), 1_000_000);

        // After the pass 8 numbers of 8 bytes a parameter, 64 MB; inside it 6, 48 MB.
        assertEquals(List.of(
                "Adam's update of value after the backward pass reads and writes 64.0 MB a step (w, m, v, g: 4 x "
                        + "1000000 f64 numbers of 8 bytes, each read and written once; the gradients are read back "
                        + "and zeroed); from memory at these bandwidths that takes 1.28 ms on 1 thread",
                "Adam's update of array on 1 thread inside the backward pass reads and writes 48.0 MB a step (w, m, "
                        + "v: 3 x 1000000 f64 numbers of 8 bytes, each read and written once; each matrix's gradient "
                        + "is read from the caches as soon as it is summed); from memory at these bandwidths that "
                        + "takes 0.96 ms on 1 thread"), lines.subList(1, lines.size()));
    }

    /** An entry with the figures of no interest here made up. */
    private static BenchCommand.Result result(String engine, Precision precision, int threads,
            MemoryBandwidth.UpdatePlace place) {
        return new BenchCommand.Result(engine, precision, threads, 10, 1, 1, 10, 1,
                new PeakFlops.Peak(precision, threads, 100), 3.3, 3.3, 0, 0, 30_000, place);
    }
}
