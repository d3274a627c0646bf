package io.github.microgpt.examples.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The rounds both control measurements run ({@link ControlRounds}), with slices whose figures are
 * known, so that the order of the slices, the untimed rounds left out and the medians are checked
 * exactly (the measurements' own tests can only check the shape of a machine's figures).
 */
class ControlRoundsTest {

    /** A count's figure as the memory's measurement records it. */
    private static final ControlRounds.Maker<MemoryBandwidth.Bandwidth> BANDWIDTH = MemoryBandwidth.Bandwidth::new;

    @Test
    void theCountsTakeTurnsReversedEveryOtherRoundAndTheUntimedRoundsAreLeftOut() {
        List<String> ran = new ArrayList<>();
        List<Integer> rounds = new ArrayList<>();
        // Figure: 1000 x the slice's number + its thread count, so each round's figure says which slice it was.
        List<MemoryBandwidth.Bandwidth> measured = ControlRounds.measure(List.of(1, 2, 4), 2, 3, (threads, number, round) -> {
            ran.add(number + ":" + threads);
            rounds.add(round);
            return 1000.0 * number + threads;
        }, BANDWIDTH);

        assertEquals(List.of("0:1", "1:2", "2:4", "3:4", "4:2", "5:1", "6:1", "7:2", "8:4", "9:4", "10:2", "11:1",
                "12:1", "13:2", "14:4"), ran);
        // Each slice is told its round: the untimed ones negative, the timed ones from 0.
        assertEquals(List.of(-2, -2, -2, -1, -1, -1, 0, 0, 0, 1, 1, 1, 2, 2, 2), rounds);
        assertEquals(List.of(1, 2, 4), measured.stream().map(ControlRounds.PerCount::threads).toList());
        // Slices 0-5 were the two untimed rounds.
        assertArrayEquals(new double[] {6001, 11001, 12001}, measured.get(0).rounds());
        assertArrayEquals(new double[] {7002, 10002, 13002}, measured.get(1).rounds());
        assertArrayEquals(new double[] {8004, 9004, 14004}, measured.get(2).rounds());
        assertEquals(11001, measured.get(0).gbPerSecond());
        assertEquals(10002, measured.get(1).gbPerSecond());
        assertEquals(9004, measured.get(2).gbPerSecond());
    }

    @Test
    void aCountsFigureIsTheMedianOfItsRoundsAndItsRatioOverOneThreadIsOfTheMedians() {
        double[][] figures = {{5, 1, 3, 100}, {10, 2, 9, 4}};
        List<CoreScaling.Rate> measured = ControlRounds.measure(List.of(1, 2), 0, 4,
                (threads, number, round) -> figures[threads - 1][number / 2], CoreScaling.Rate::new);

        // The median of an even number of rounds is the mean of the middle two.
        assertEquals(4, measured.get(0).gflopsPerSecond());
        assertEquals(6.5, measured.get(1).gflopsPerSecond());
        assertEquals(6.5 / 4, ControlRounds.overOneThread(measured, 2, "rate"));
        assertEquals(1.0, ControlRounds.overOneThread(measured, 1, "rate"));
        assertSame(measured.get(1), ControlRounds.on(measured, 2, "rate"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ControlRounds.on(measured, 3, "rate"));
        assertEquals("no rate measured on 3 threads", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ControlRounds.overOneThread(List.of(measured.get(1)), 2, "bandwidth"));
        assertEquals("no bandwidth measured on 1 threads", e.getMessage());
    }

    @Test
    void aRoundDuringWhichTheCompilerWorkedIsSetAsideAndAnotherRunForIt() {
        // A fake machine: every slice takes 10 ms of the clock; the compiler works 5 ms (more than
        // 2% of a round's 20 ms) during the slices numbered 4 and 7, that is during timed rounds 0 and 1.
        long[] clock = {0};
        long[] compiler = {0};
        List<String> ran = new ArrayList<>();
        List<Integer> rounds = new ArrayList<>();
        ControlRounds.Measured<CoreScaling.Rate> measured = ControlRounds.measure(List.of(1, 2), 2, 3,
                (threads, number, round) -> {
                    ran.add(number + ":" + threads);
                    rounds.add(round);
                    clock[0] += 10_000_000;
                    if (number == 4 || number == 7) {
                        compiler[0] += 5_000_000;
                    }
                    return 1000.0 * number + threads;
                }, CoreScaling.Rate::new, () -> compiler[0], () -> clock[0]);

        // Two untimed rounds, then five timed ones: two disturbed, three quiet, in the usual alternation.
        assertEquals(List.of("0:1", "1:2", "2:2", "3:1", "4:1", "5:2", "6:2", "7:1", "8:1", "9:2", "10:2", "11:1",
                "12:1", "13:2"), ran);
        assertArrayEquals(new double[] {8001, 11001, 12001}, measured.counts().get(0).rounds());
        assertArrayEquals(new double[] {9002, 10002, 13002}, measured.counts().get(1).rounds());
        assertEquals(11001, measured.counts().get(0).gflopsPerSecond());
        assertEquals(2, measured.setAside());
        assertEquals(2, measured.disturbed());
        assertEquals(List.of(false, false, true, true, true), measured.counted());
        // The rounds run for those set aside go on counting: the slice is told the round its figure is for.
        assertEquals(List.of(-2, -2, -1, -1, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4), rounds);
    }

    @Test
    void whenTooFewRoundsAreQuietInTheTimeAllowedEveryRoundCounts() {
        // The compiler works during every slice: the rounds go on for ControlRounds.EXTRA_TIME times
        // the first three rounds' 0.6 s (more than EXTRA_NANOS), then all of them count.
        long[] clock = {0};
        long[] compiler = {0};
        ControlRounds.Measured<CoreScaling.Rate> measured = ControlRounds.measure(List.of(1, 2), 0, 3,
                (threads, number, round) -> {
                    clock[0] += 100_000_000;
                    compiler[0] += 50_000_000;
                    return threads;
                }, CoreScaling.Rate::new, () -> compiler[0], () -> clock[0]);

        // Rounds of 0.2 s until 1.8 s had passed since the timed rounds began.
        assertEquals(9, measured.counts().get(0).rounds().length);
        assertEquals(0, measured.setAside());
        assertEquals(9, measured.disturbed());
        assertEquals(List.of(true, true, true, true, true, true, true, true, true), measured.counted());
    }

    @Test
    void withoutTheCompilersTimeEveryRoundCounts() {
        long[] compiler = {0};
        ControlRounds.Measured<CoreScaling.Rate> measured = ControlRounds.measure(List.of(1, 2), 0, 2,
                (threads, number, round) -> {
                    compiler[0] += 50_000_000;
                    return threads;
                }, CoreScaling.Rate::new, () -> -1, () -> compiler[0]);

        assertEquals(2, measured.counts().get(0).rounds().length);
        assertEquals(0, measured.disturbed());
    }
}
