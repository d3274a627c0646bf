package io.github.microgpt.examples.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The timing logic of {@code microgpt bench} ({@link BenchCommand.Rounds}): its warm-up, the size
 * of its slices and its alternated rounds, driven by a fake machine whose clock moves only when a
 * step runs, by a time the test chooses for each thread count. Nothing here reads a real clock,
 * so every figure is exact and the tests take milliseconds.
 */
class BenchRoundsTest {

    private static final long MILLISECOND = 1_000_000;

    /**
     * A machine where a step of count {@code i} takes {@code stepTime.nanos(i, step, now)}
     * nanoseconds, {@code step} counting that count's steps from 0, and the JIT compiler works for
     * {@code compiler.time(now)} milliseconds in all up to the time {@code now}. It notes every
     * slice it runs.
     */
    private static class FakeMachine implements BenchCommand.Rounds.Slices {
        interface StepTime {
            long nanos(int count, long step, long now);
        }

        interface CompilerTime {
            long millisUpTo(long now);
        }

        final StepTime stepTime;
        final CompilerTime compiler;
        final long[] done;
        long now;
        /** Every slice run: {@code "warm i steps"} (with {@code " listening"}) or {@code "run i steps"}, and round marks. */
        final List<String> log = new ArrayList<>();
        /** Every this many steps of a count (0: never) its model diverges and is built again. */
        long divergeEvery;
        /** The time a rebuild takes, which the slice that did it reports as not steps. */
        long rebuildNanos;
        /** The JIT compilers' processor time so far, as {@link #compilerNanos} tells it; -1: cannot be read. */
        long jitNanos = -1;
        /** The compiling each timed slice does (by timed round and count), which also makes it that much longer. */
        JitWork jitWork = (round, count) -> 0;
        /** The timed round running, from 0. */
        int timedRound = -1;
        /** How long {@link #settle} waits, and the compiling that ends while it does. */
        long settleNanos;
        long settleJitNanos;
        /**
         * The compiler threads' processor time in milliseconds up to the time {@code now}, added
         * to {@link #jitNanos} in {@link #compilerNanos} (null: none, as before the warm-up read it).
         */
        CompilerTime threads;

        interface JitWork {
            long nanos(int round, int count);
        }

        FakeMachine(int counts, StepTime stepTime, CompilerTime compiler) {
            this.stepTime = stepTime;
            this.compiler = compiler;
            this.done = new long[counts];
        }

        LongSupplier clock() {
            return () -> now;
        }

        LongSupplier compilerMillis() {
            return () -> compiler.millisUpTo(now);
        }

        /** Runs the steps; returns the nanoseconds spent rebuilding models that diverged. */
        private long steps(int i, long steps) {
            long rebuilding = 0;
            for (long s = 0; s < steps; s++) {
                now += stepTime.nanos(i, done[i]++, now);
                if (divergeEvery > 0 && done[i] % divergeEvery == 0) {
                    now += rebuildNanos;
                    rebuilding += rebuildNanos;
                }
            }
            return rebuilding;
        }

        @Override
        public long warm(int i, long steps, boolean listening) {
            log.add("warm " + i + " " + steps + (listening ? " listening" : ""));
            return steps(i, steps);
        }

        @Override
        public void roundStarts(long steps) {
            log.add("round of " + steps);
            timedRound++;
            hostCall = 0;
        }

        @Override
        public long run(int i, long steps) {
            log.add("run " + i + " " + steps);
            long rebuilding = steps(i, steps);
            long compiling = jitWork.nanos(timedRound, i);
            now += compiling;
            if (jitNanos >= 0) {
                jitNanos += compiling;
            }
            return rebuilding;
        }

        @Override
        public void settle() {
            log.add("settle");
            now += settleNanos;
            if (jitNanos >= 0) {
                jitNanos += settleJitNanos;
            }
        }

        @Override
        public long compilerNanos() {
            if (threads == null) {
                return jitNanos;
            }
            return Math.max(0, jitNanos) + threads.millisUpTo(now) * MILLISECOND;
        }

        @Override
        public void roundEnds() {
            log.add("end");
        }

        /**
         * The host probe's figure for each call ({@link #hostProbe}), by timed round and the call's
         * place in it (0 before the first slice, then one before each next slice and one after the
         * last); unused while {@link #hostThreads} is 0, as where there is no probe.
         */
        HostFigure host = (round, call) -> Double.NaN;
        /** The probe's threads; 0: no probe. */
        int hostThreads;
        private int hostCall;

        interface HostFigure {
            double figure(int round, int call);
        }

        @Override
        public double hostProbe() {
            if (hostThreads == 0) {
                return Double.NaN;
            }
            log.add("probe");
            return host.figure(timedRound, hostCall++);
        }

        @Override
        public int hostProbeThreads() {
            return hostThreads;
        }

        BenchCommand.Rounds.Timing time(double seconds) {
            return BenchCommand.Rounds.time(done.length, seconds, clock(), compilerMillis(), this);
        }
    }

    /** A compiler that has finished its work before the warm-up begins. */
    private static final FakeMachine.CompilerTime QUIET = now -> 0;

    @Test
    void theTimeOfARebuildAfterADivergenceIsLeftOutOfTheSlices() {
        // Steps of 40 ms on one thread, 25 ms on two; every 7th step of each count diverges and its
        // model takes 80 ms to be built again (the slices have 6 steps: most have a rebuild, some not).
        FakeMachine machine = new FakeMachine(2, (i, step, now) -> i == 0 ? 40 * MILLISECOND : 25 * MILLISECOND, QUIET);
        machine.divergeEvery = 7;
        machine.rebuildNanos = 80 * MILLISECOND;

        BenchCommand.Rounds.Timing timing = machine.time(3);

        // Every slice's time is its steps' alone: the same rates in every round, rebuild or not.
        assertEquals(6, timing.stepsPerSlice());
        for (long[] slice : timing.sliceNanos()) {
            assertArrayEquals(new long[] {6 * 40 * MILLISECOND, 6 * 25 * MILLISECOND}, slice);
        }
        for (double ratio : timing.ratios(1)) {
            assertEquals(1.6, ratio, 1e-12);
        }
        // The warm-up's rates, which size the slices, leave the rebuilds out too.
        assertArrayEquals(new double[] {25, 40}, timing.warmRates(), 1e-9);
    }

    @Test
    void theRatioOfTwoCountsIsTheRatioOfTheirStepTimes() {
        // One thread 40 ms a step, two threads 25 ms: 1.6 times the steps, in every round.
        FakeMachine machine = new FakeMachine(2, (i, step, now) -> i == 0 ? 40 * MILLISECOND : 25 * MILLISECOND, QUIET);

        BenchCommand.Rounds.Timing timing = machine.time(3);

        assertTrue(timing.rounds() >= BenchCommand.SLICES, "rounds: " + timing.rounds());
        for (double ratio : timing.ratios(1)) {
            assertEquals(1.6, ratio, 1e-12);
        }
        assertEquals(1.6, BenchCommand.median(timing.ratios(1)), 1e-12);
        for (double rate : timing.stepsPerSecond(0)) {
            assertEquals(25, rate, 1e-9);
        }
        for (double rate : timing.stepsPerSecond(1)) {
            assertEquals(40, rate, 1e-9);
        }
    }

    @Test
    void everyCountRunsTheSameStepsInEveryRoundInTheOrderReversedEveryOtherRound() {
        FakeMachine machine = new FakeMachine(3,
                (i, step, now) -> (10 + 7 * i) * MILLISECOND, QUIET);

        BenchCommand.Rounds.Timing timing = machine.time(1);

        long steps = timing.stepsPerSlice();
        List<String> measured = machine.log.subList(machine.log.indexOf("round of " + steps), machine.log.size());
        List<String> expected = new ArrayList<>();
        for (int r = 0; r < timing.rounds(); r++) {
            expected.add("round of " + steps);
            for (int i : r % 2 == 0 ? new int[] {0, 1, 2} : new int[] {2, 1, 0}) {
                // Each timed slice after the compilers are quiet.
                expected.add("settle");
                expected.add("run " + i + " " + steps);
            }
            expected.add("end");
        }
        assertEquals(expected, measured);
        // The warm-up too: each round gives every count the same chunk, the listener to all or none,
        // and each of its slices starts after the wait for quiet compilers, as a timed one does, so
        // that the code of that wait is compiled before the timed rounds.
        List<String> warmUp = machine.log.subList(0, machine.log.indexOf("round of " + steps));
        List<String> warm = new ArrayList<>();
        for (int k = 0; k < warmUp.size(); k++) {
            if (warmUp.get(k).startsWith("warm ")) {
                assertEquals("settle", warmUp.get(k - 1), warmUp.toString());
                warm.add(warmUp.get(k));
            }
        }
        assertEquals(2 * warm.size(), warmUp.size(), warmUp.toString());
        assertEquals(0, warm.size() % 3, warm.toString());
        for (int start = 0; start < warm.size(); start += 3) {
            String chunk = warm.get(start).substring("warm 0 ".length());
            for (int k = 0; k < 3; k++) {
                assertTrue(warm.get(start + k).matches("warm [012] " + chunk), warm.toString());
            }
            boolean listening = start / 3 % 4 == 1;
            assertEquals(listening, chunk.endsWith(" listening"), "round " + start / 3 + ": " + warm);
        }
        assertEquals(timing.warmRounds() * 3, warm.size());
    }

    @Test
    void slicesAreSizedFromTheWarmedUpRateNotFromASlowFirstStep() {
        // As a large model in f64: the first step runs in the interpreter, 3.5 s on one thread and
        // 0.5 s on two (the code is half compiled by then), every later step 40 ms and 25 ms. A
        // warm-up that ended as soon as --seconds had passed was that one round, at 0.29 steps/s,
        // and cut the measurement into slices of one step.
        FakeMachine machine = new FakeMachine(2, (i, step, now) -> step == 0
                ? (i == 0 ? 3500 : 500) * MILLISECOND
                : (i == 0 ? 40 : 25) * MILLISECOND, QUIET);

        BenchCommand.Rounds.Timing timing = machine.time(3);

        assertTrue(timing.settled());
        assertArrayEquals(new double[] {25, 40}, timing.warmRates(), 1e-9);
        // 3 s shared by 2 counts, in targetRounds(3, 2) = 6 rounds: 0.25 s at the slower 25 steps/s.
        assertEquals(6, BenchCommand.targetRounds(3, 2));
        assertEquals(6, timing.stepsPerSlice());
        assertTrue(timing.warmNanos() >= 3_000 * MILLISECOND, "at least --seconds: " + timing.warmNanos());
    }

    @Test
    void aFirstStepLongerThanTheLimitStillLeavesTheCompiledStepsTheirWarmUp() {
        // As microgpt-vector's kernels in f32 at nEmbd 256 on a small shared machine: the first step
        // runs in the interpreter and the quick compiler's code for 14 s on one thread and 2 s on
        // two, past a limit of 4 x --seconds (12 s) counted from the start, which ended the warm-up
        // after that one round and sized slices of one step from its 0.07 steps/s.
        FakeMachine machine = new FakeMachine(2, (i, step, now) -> step == 0
                ? (i == 0 ? 14_000 : 2_000) * MILLISECOND
                : (i == 0 ? 40 : 25) * MILLISECOND, QUIET);

        BenchCommand.Rounds.Timing timing = machine.time(3);

        assertTrue(timing.settled());
        assertArrayEquals(new double[] {25, 40}, timing.warmRates(), 1e-9);
        assertEquals(6, timing.stepsPerSlice());
        for (double ratio : timing.ratios(1)) {
            assertEquals(1.6, ratio, 1e-12);
        }
    }

    @Test
    void theLimitRunsFromTheEndOfTheFirstRound() {
        // Compilers that never rest, and a first round of 5 s: the warm-up stops 4 x --seconds
        // (8 s) after that round, not 8 s after its start, which would leave the compiled steps 3 s.
        long firstRound = 5_000 * MILLISECOND;
        FakeMachine machine = new FakeMachine(2, (i, step, now) -> step == 0
                ? (i == 0 ? 4_000 : 1_000) * MILLISECOND
                : (i == 0 ? 40 : 25) * MILLISECOND, QUIET);
        machine.threads = now -> now / MILLISECOND;

        BenchCommand.Rounds.Timing timing = machine.time(2);

        assertFalse(timing.settled());
        long limit = firstRound + BenchCommand.Rounds.WARM_UP_LIMIT * 2_000 * MILLISECOND;
        assertTrue(timing.warmNanos() >= limit, "warm-up of " + timing.warmNanos() / 1e9 + " s");
        assertTrue(timing.warmNanos() < limit + 2 * 500 * MILLISECOND, "warm-up of " + timing.warmNanos() / 1e9 + " s");
    }

    @Test
    void theWaitsBeforeTheWarmUpsSlicesDoNotStopItsChunksFromGrowing() {
        // Steps of 1 ms, and a wait of 100 ms before every slice (compilers that take that long to
        // go quiet): the chunk grows while the slices alone last less than an eighth of --seconds
        // (125 ms), to 128 steps, as it did without the waits; counted with them, it stopped at 32.
        FakeMachine machine = new FakeMachine(1, (i, step, now) -> MILLISECOND, QUIET);
        machine.settleNanos = 100 * MILLISECOND;

        BenchCommand.Rounds.Timing timing = machine.time(1);

        assertTrue(timing.settled());
        List<String> warm = machine.log.stream().filter(line -> line.startsWith("warm ")).toList();
        assertEquals("warm 0 128", warm.get(warm.size() - 1), warm.toString());
    }

    @Test
    void stepsThatAreStillSpeedingUpKeepTheWarmUpGoing() {
        // As the JIT compiles a large model's code, a tier at a time: ten times slower than the
        // compiled steps for the first 4 s, while the compiler works on one core, then three
        // times slower for 2 s while it works half the time, then fast and quiet. A warm-up of
        // --seconds (3) would have ended in the interpreter; no timed slice may see a slow step.
        long interpreted = 4_000 * MILLISECOND;
        long halfCompiled = 6_000 * MILLISECOND;
        FakeMachine machine = new FakeMachine(2, (i, step, now) -> {
            long fast = (i == 0 ? 40 : 25) * MILLISECOND;
            return now < interpreted ? 10 * fast : now < halfCompiled ? 3 * fast : fast;
        }, now -> (Math.min(now, interpreted) + Math.max(0, Math.min(now, halfCompiled) - interpreted) / 2) / MILLISECOND);

        BenchCommand.Rounds.Timing timing = machine.time(3);

        assertTrue(timing.settled());
        assertTrue(timing.warmNanos() >= halfCompiled, "warm-up of " + timing.warmNanos() / 1e9 + " s");
        assertArrayEquals(new double[] {25, 40}, timing.warmRates(), 1e-9);
        assertEquals(6, timing.stepsPerSlice());
        for (double ratio : timing.ratios(1)) {
            assertEquals(1.6, ratio, 1e-12);
        }
        for (double rate : timing.stepsPerSecond(0)) {
            assertEquals(25, rate, 1e-9, "every timed step of one thread took 40 ms");
        }
    }

    @Test
    void theWarmUpWaitsForTheCompilerToGoQuiet() {
        // Steady steps, but the compiler works on one core for the first 9 s (it takes a core from
        // the two-thread slices, which the step times here do not show): the warm-up must outlast it.
        long busyUntil = 9_000 * MILLISECOND;
        FakeMachine machine = new FakeMachine(2, (i, step, now) -> (i == 0 ? 40 : 25) * MILLISECOND,
                now -> Math.min(now, busyUntil) / MILLISECOND);

        BenchCommand.Rounds.Timing timing = machine.time(3);

        assertTrue(timing.settled());
        assertTrue(timing.warmNanos() >= busyUntil, "warm-up of " + timing.warmNanos() / 1e9 + " s");
        // It ends with the first round wholly after 9 s that has no listener: within three rounds,
        // each under twice an eighth of --seconds (the chunk doubles only while a round is shorter).
        assertTrue(timing.warmNanos() < busyUntil + 3 * 750 * MILLISECOND,
                "warm-up of " + timing.warmNanos() / 1e9 + " s");
    }

    /**
     * HotSpot's compilation time grows only when a compile ends: here one compile runs from 3 s
     * to 6 s, the JVM reports nothing of it until 6 s, and the compiler threads' processor time
     * grows all along. The warm-up must read the threads, and outlast the compile.
     */
    @Test
    void aCompileTheJvmHasNotCountedYetKeepsTheWarmUpGoing() {
        long compileStart = 3_000 * MILLISECOND;
        long compileEnd = 6_000 * MILLISECOND;
        FakeMachine machine = new FakeMachine(2, (i, step, now) -> (i == 0 ? 40 : 25) * MILLISECOND,
                now -> now < compileEnd ? 0 : (compileEnd - compileStart) / MILLISECOND);
        machine.threads = now -> Math.max(0, Math.min(now, compileEnd) - compileStart) / MILLISECOND;

        BenchCommand.Rounds.Timing timing = machine.time(3);

        assertTrue(timing.settled());
        assertTrue(timing.warmNanos() >= compileEnd + BenchCommand.Rounds.QUIET_WINDOW,
                "warm-up of " + timing.warmNanos() / 1e9 + " s");
        assertArrayEquals(new double[] {25, 40}, timing.warmRates(), 1e-9);
    }

    /**
     * Compiles in bursts, 64 ms of every 512 ms up to 3 s (one method after another, with gaps
     * longer than a warm-up round of 128 ms between): a round in a gap reads quiet, but the
     * warm-up ends only after half a second without them.
     */
    @Test
    void theCompilerMustBeQuietForHalfASecondNotForOneShortRound() {
        long period = 512 * MILLISECOND;
        long burst = 64 * MILLISECOND;
        long lastBurstEnd = 5 * period + burst;
        FakeMachine.CompilerTime bursts = now -> {
            long upTo = Math.min(now, lastBurstEnd);
            return (upTo / period * burst + Math.min(upTo % period, burst)) / MILLISECOND;
        };
        FakeMachine machine = new FakeMachine(1, (i, step, now) -> MILLISECOND, bursts);
        machine.threads = bursts;

        BenchCommand.Rounds.Timing timing = machine.time(1);

        assertTrue(timing.settled());
        assertTrue(timing.warmNanos() >= lastBurstEnd + BenchCommand.Rounds.QUIET_WINDOW,
                "warm-up of " + timing.warmNanos() / 1e9 + " s");
        // Within a few rounds of 128 ms after that.
        assertTrue(timing.warmNanos() < lastBurstEnd + BenchCommand.Rounds.QUIET_WINDOW + 4 * 128 * MILLISECOND,
                "warm-up of " + timing.warmNanos() / 1e9 + " s");
    }

    /**
     * With a {@code --seconds} shorter than half a second, the compilers must be quiet for that
     * long: here they work until 0.3 s (the JVM reporting none of it), and --seconds is 0.2.
     */
    @Test
    void aShortMeasurementWaitsForQuietCompilersOverItsSeconds() {
        long busyUntil = 300 * MILLISECOND;
        FakeMachine machine = new FakeMachine(1, (i, step, now) -> MILLISECOND, QUIET);
        machine.threads = now -> Math.min(now, busyUntil) / MILLISECOND;

        BenchCommand.Rounds.Timing timing = machine.time(0.2);

        assertTrue(timing.settled());
        assertTrue(timing.warmNanos() >= busyUntil + 200 * MILLISECOND, "warm-up of " + timing.warmNanos() / 1e9 + " s");
        assertTrue(timing.warmNanos() < BenchCommand.Rounds.WARM_UP_LIMIT * 200 * MILLISECOND,
                "warm-up of " + timing.warmNanos() / 1e9 + " s");
    }

    /** Compiler threads that never rest stop the warm-up at its limit, as the JVM's own time does. */
    @Test
    void compilerThreadsThatNeverRestStopTheWarmUpAtItsLimitUnsettled() {
        FakeMachine machine = new FakeMachine(2, (i, step, now) -> (i == 0 ? 40 : 25) * MILLISECOND, QUIET);
        machine.threads = now -> now / MILLISECOND;

        BenchCommand.Rounds.Timing timing = machine.time(2);

        assertFalse(timing.settled());
        assertTrue(timing.warmNanos() >= BenchCommand.Rounds.WARM_UP_LIMIT * 2_000 * MILLISECOND,
                "warm-up of " + timing.warmNanos() / 1e9 + " s");
    }

    @Test
    void aCompilerThatNeverRestsStopsTheWarmUpAtItsLimitUnsettled() {
        FakeMachine machine = new FakeMachine(2, (i, step, now) -> (i == 0 ? 40 : 25) * MILLISECOND, now -> now / MILLISECOND);

        BenchCommand.Rounds.Timing timing = machine.time(2);

        assertFalse(timing.settled());
        long limit = BenchCommand.Rounds.WARM_UP_LIMIT * 2_000 * MILLISECOND;
        assertTrue(timing.warmNanos() >= limit, "warm-up of " + timing.warmNanos() / 1e9 + " s");
        assertTrue(timing.warmNanos() < limit + 2 * 500 * MILLISECOND,
                "warm-up of " + timing.warmNanos() / 1e9 + " s");
    }

    @Test
    void ratesThatNeverSettleStopTheWarmUpAtItsLimitUnsettled() {
        // Each warm-up round without the listener 30% slower or faster than the one before: no two
        // agree within 10%, though the compiler is quiet.
        FakeMachine machine = new FakeMachine(1, (i, step, now) -> 10 * MILLISECOND, QUIET) {
            private int unlistened;

            @Override
            public long warm(int i, long steps, boolean listening) {
                long nanos = (listening || unlistened++ % 2 == 0 ? 10 : 13) * MILLISECOND;
                now += steps * nanos;
                return 0;
            }
        };

        BenchCommand.Rounds.Timing timing = machine.time(1);

        assertFalse(timing.settled());
        long limit = BenchCommand.Rounds.WARM_UP_LIMIT * 1_000 * MILLISECOND;
        assertTrue(timing.warmNanos() >= limit, "warm-up of " + timing.warmNanos() / 1e9 + " s");
        assertTrue(timing.warmNanos() < limit + 2 * 250 * MILLISECOND, "warm-up of " + timing.warmNanos() / 1e9 + " s");
    }

    @Test
    void aMeasurementLastsItsSecondsAndAtLeastFiveRounds() {
        FakeMachine quick = new FakeMachine(2, (i, step, now) -> (i == 0 ? 40 : 25) * MILLISECOND, QUIET);
        BenchCommand.Rounds.Timing timing = quick.time(3);
        // Slices of 6 steps: 240 + 150 ms a round; 3 s takes 8 rounds (7 are 2.73 s).
        assertEquals(8, timing.rounds());

        // A step longer than the whole measurement: still five rounds, of one step each.
        FakeMachine slow = new FakeMachine(2, (i, step, now) -> (i == 0 ? 800 : 500) * MILLISECOND, QUIET);
        BenchCommand.Rounds.Timing slowTiming = slow.time(0.5);
        assertEquals(1, slowTiming.stepsPerSlice());
        assertEquals(BenchCommand.SLICES, slowTiming.rounds());
        assertEquals(1.6, BenchCommand.median(slowTiming.ratios(1)), 1e-12);
    }

    /**
     * A round during which a JIT compiler worked for more than 2% of its slices' time is set aside:
     * here the two-thread slice of every even round also compiles for 10 ms (2.5% of a round of
     * 400 ms) and is that much longer, as a compiler on a two-core machine makes it, which would
     * read 1.5 where the steps give 1.6.
     */
    @Test
    void aRoundDuringWhichTheCompilerWorkedIsSetAsideAndTheOthersMakeTheFigures() {
        FakeMachine machine = new FakeMachine(2, (i, step, now) -> (i == 0 ? 40 : 25) * MILLISECOND, QUIET);
        machine.jitNanos = 0;
        machine.jitWork = (round, count) -> count == 1 && round % 2 == 0 ? 10 * MILLISECOND : 0;

        BenchCommand.Rounds.Timing timing = machine.time(3);

        // 3 s gives 8 rounds, of which 4 are quiet; the rounds go on until 5 are.
        assertEquals(10, timing.rounds());
        assertEquals(5, timing.roundsSetAside());
        assertArrayEquals(new int[] {1, 3, 5, 7, 9}, timing.counted());
        for (int r = 0; r < timing.rounds(); r++) {
            assertEquals(r % 2 == 0, timing.setAside()[r], "round " + r);
        }
        for (double ratio : timing.ratios(1)) {
            assertEquals(1.6, ratio, 1e-12);
        }
        assertArrayEquals(new double[] {25, 25, 25, 25, 25}, timing.stepsPerSecond(0), 1e-9);
        // Every round, the disturbed ones too, for the line's "all 10 rounds" figure: the even
        // rounds' two-thread slices are 10 ms longer (6 steps: 240 ms over 160 ms, against 150 ms).
        double[] every = timing.ratiosOfEveryRound(1);
        assertEquals(10, every.length);
        for (int r = 0; r < every.length; r++) {
            assertEquals(r % 2 == 0 ? 240.0 / 160 : 1.6, every[r], 1e-12, "round " + r);
        }
    }

    /** Compiling within the allowance (1 ms in a round of 400 ms) sets no round aside. */
    @Test
    void aLittleCompilingSetsNoRoundAside() {
        FakeMachine machine = new FakeMachine(2, (i, step, now) -> (i == 0 ? 40 : 25) * MILLISECOND, QUIET);
        machine.jitNanos = 0;
        machine.jitWork = (round, count) -> count == 1 ? MILLISECOND : 0;

        BenchCommand.Rounds.Timing timing = machine.time(3);

        assertEquals(0, timing.roundsSetAside());
        assertEquals(timing.rounds(), timing.counted().length);
    }

    /**
     * Before every timed slice the rounds wait for the compilers to be quiet, outside the slice's
     * time, and what they compiled meanwhile counts against no round.
     */
    @Test
    void everyTimedSliceStartsAfterTheCompilersAreQuietAndTheWaitIsNotTimed() {
        FakeMachine machine = new FakeMachine(2, (i, step, now) -> (i == 0 ? 40 : 25) * MILLISECOND, QUIET);
        machine.jitNanos = 0;
        machine.settleNanos = 30 * MILLISECOND;
        machine.settleJitNanos = 30 * MILLISECOND;

        BenchCommand.Rounds.Timing timing = machine.time(3);

        assertEquals(0, timing.roundsSetAside());
        for (long[] slice : timing.sliceNanos()) {
            assertArrayEquals(new long[] {6 * 40 * MILLISECOND, 6 * 25 * MILLISECOND}, slice);
        }
        List<String> measured = machine.log.subList(machine.log.indexOf("round of 6"), machine.log.size());
        for (int k = 0; k < measured.size(); k++) {
            if (measured.get(k).startsWith("run ")) {
                assertEquals("settle", measured.get(k - 1), measured.toString());
            }
        }
    }

    /**
     * Where the compilers' time cannot be read, every round counts, as before the rounds watched
     * them; and where they never rest, the rounds stop at {@code MEASURE_LIMIT} times
     * {@code --seconds} and every round counts.
     */
    @Test
    void everyRoundCountsWhereTheCompilersCannotBeReadOrNeverRest() {
        FakeMachine unknown = new FakeMachine(2, (i, step, now) -> (i == 0 ? 40 : 25) * MILLISECOND, QUIET);
        unknown.jitWork = (round, count) -> count == 1 && round % 2 == 0 ? 10 * MILLISECOND : 0;
        BenchCommand.Rounds.Timing timing = unknown.time(3);
        assertEquals(8, timing.rounds());
        assertEquals(0, timing.roundsSetAside());

        FakeMachine busy = new FakeMachine(2, (i, step, now) -> (i == 0 ? 40 : 25) * MILLISECOND, QUIET);
        busy.jitNanos = 0;
        busy.jitWork = (round, count) -> 10 * MILLISECOND;
        BenchCommand.Rounds.Timing always = busy.time(1);
        assertEquals(0, always.roundsSetAside());
        assertEquals(always.rounds(), always.counted().length);
        long measured = 0;
        for (long[] slice : always.sliceNanos()) {
            measured += slice[0] + slice[1];
        }
        long limit = BenchCommand.Rounds.MEASURE_LIMIT * 1_000 * MILLISECOND;
        assertTrue(measured >= limit && measured < limit + 500 * MILLISECOND, "measured " + measured / 1e9 + " s");
    }

    @Test
    void theSpeedUpLineSaysHowManyRoundsWereSetAside() {
        assertEquals("", BenchCommand.setAside(0, 7, 1.6));
        assertEquals("; 1 more round set aside: a JIT compiler worked during it; all 6 rounds: 1.58x",
                BenchCommand.setAside(1, 5, 1.58));
        assertEquals("; 3 more rounds set aside: a JIT compiler worked during them; all 8 rounds: 1.55x",
                BenchCommand.setAside(3, 5, 1.549));
    }

    /**
     * A round during which the host probe read below 90% of its threads (1.5 on 2, in the
     * median of the round's three readings) is set aside as a JIT-disturbed one is: here every third round's
     * two-thread slice is also 30 ms longer, as a vCPU shared with another tenant makes it, which
     * would read 1.33 where the steps give 1.6. The probe runs before every slice, after the
     * compilers settled, and once after the round.
     */
    @Test
    void aRoundDuringWhichTheHostGaveLessThanFullCoresIsSetAside() {
        FakeMachine machine = new FakeMachine(2, (i, step, now) -> (i == 0 ? 40 : 25) * MILLISECOND, QUIET);
        machine.hostThreads = 2;
        machine.host = (round, call) -> round % 3 == 1 && call >= 1 ? 1.5 : 1.97;
        machine.jitWork = (round, count) -> count == 1 && round % 3 == 1 ? 30 * MILLISECOND : 0;

        BenchCommand.Rounds.Timing timing = machine.time(3);

        // Rounds of 390 ms, 420 ms when slow: 3 s takes 8, of which 5 are quiet.
        assertEquals(8, timing.rounds());
        assertArrayEquals(new int[] {0, 2, 3, 5, 6}, timing.counted());
        assertEquals(3, timing.roundsSetAside());
        assertEquals(3, timing.roundsSetAsideForHost());
        assertEquals(3, timing.roundsHostSlow());
        assertTrue(timing.hostRuleApplied());
        assertEquals(1.8, timing.hostLeast(), 1e-12);
        for (double ratio : timing.ratios(1)) {
            assertEquals(1.6, ratio, 1e-12);
        }
        BenchCommand.Host host = BenchCommand.Host.of(timing, 2, 1);
        assertFalse(host.measuredTheHost());
        assertEquals(5, host.fullRounds());
        assertEquals(1.6, host.medianOfFullRounds(), 1e-12);
        double[] every = timing.ratiosOfEveryRound(1);
        for (int r = 0; r < every.length; r++) {
            assertEquals(r % 3 == 1 ? 240.0 / 180 : 1.6, every[r], 1e-12, "round " + r);
            assertEquals(r % 3 == 1 ? 1.5 : 1.97, timing.hostProbes()[r], 0, "round " + r);
        }
        List<String> measured = machine.log.subList(machine.log.indexOf("round of 6"), machine.log.size());
        for (int k = 0; k < measured.size(); k++) {
            if (measured.get(k).startsWith("run ")) {
                assertEquals(List.of("settle", "probe"), measured.subList(k - 2, k), measured.toString());
            }
            if (measured.get(k).equals("end")) {
                assertEquals("probe", measured.get(k - 1), measured.toString());
            }
        }
    }

    /**
     * A low reading just before or just after either slice sets the round aside: a probe sees a
     * few milliseconds of a round, and a low one beside a slice is the best sign there is that the
     * slice ran short of cores (each reading is already the quicker of two runs, so it is not a
     * hiccup: {@link CoreScaling#reading}). Here the reading before the first slice of round 0,
     * between the slices of round 1 and after the last of round 2 read low, and so on: every
     * round has one low reading of three, and every round is set aside, counted in the end as
     * the host never gave five rounds with full cores.
     */
    @Test
    void oneLowReadingBesideASliceSetsTheRoundAside() {
        FakeMachine machine = new FakeMachine(2, (i, step, now) -> (i == 0 ? 40 : 25) * MILLISECOND, QUIET);
        machine.hostThreads = 2;
        machine.host = (round, call) -> call == round % 3 ? 1.5 : 1.97;

        BenchCommand.Rounds.Timing timing = machine.time(3);

        for (double probe : timing.hostProbes()) {
            assertEquals(1.5, probe, 0);
        }
        assertEquals(timing.rounds(), timing.roundsHostSlow());
        assertFalse(timing.hostRuleApplied());
        assertEquals(0, timing.full().length);
        assertEquals(1.0, BenchCommand.Rounds.lowestProbe(List.of(1.0, Double.NaN, 2.0)), 0);
        assertTrue(Double.isNaN(BenchCommand.Rounds.lowestProbe(List.of(Double.NaN, Double.NaN))));
    }

    /**
     * A probe's reading is the quicker of its two runs together: one thread held up in one of
     * them (here 3 ms instead of 2) is a hiccup and reads full cores, a host that slows both runs does not.
     */
    @Test
    void aProbeReadsTheQuickerOfItsTwoRunsTogether() {
        // One thread's best pass is 100 ns; each thread ran 20,000 passes: 2 ms at full speed.
        assertEquals(2.0, CoreScaling.reading(2, 20_000, 100, 3_000_000, 2_000_000), 1e-12);
        assertEquals(2.0, CoreScaling.reading(2, 20_000, 100, 2_000_000, 3_000_000), 1e-12);
        assertEquals(4.0 / 3, CoreScaling.reading(2, 20_000, 100, 3_000_000, 3_100_000), 1e-12);
    }

    /**
     * Where the host is slow in so many rounds that fewer than five others are left by the limit
     * of the rounds (3 x --seconds), the host's rule is not applied: every round without a JIT
     * compiler counts, and the figures say so ({@code hostRuleApplied}).
     */
    @Test
    void whereTheHostIsAlwaysSlowTheRoundsGoOnToTheirLimitAndThenCountAll() {
        FakeMachine machine = new FakeMachine(2, (i, step, now) -> (i == 0 ? 40 : 25) * MILLISECOND, QUIET);
        machine.hostThreads = 2;
        machine.host = (round, call) -> round == 3 ? 1.9 : 1.2;

        BenchCommand.Rounds.Timing timing = machine.time(1);

        long measured = 0;
        for (long[] slice : timing.sliceNanos()) {
            measured += slice[0] + slice[1];
        }
        long limit = BenchCommand.Rounds.MEASURE_LIMIT * 1_000 * MILLISECOND;
        assertTrue(measured >= limit && measured < limit + 500 * MILLISECOND, "measured " + measured / 1e9 + " s");
        assertEquals(timing.rounds(), timing.counted().length);
        assertEquals(0, timing.roundsSetAside());
        assertEquals(0, timing.roundsSetAsideForHost());
        assertEquals(timing.rounds() - 1, timing.roundsHostSlow());
        assertFalse(timing.hostRuleApplied());
        // The line's figures: the one round with full cores, what it read, and the rounds' time
        // against their limit; the figure measured the host.
        assertArrayEquals(new int[] {3}, timing.full());
        assertArrayEquals(new double[] {1.6}, timing.ratiosOfFullRounds(1), 1e-12);
        assertEquals(limit, timing.limitNanos());
        assertTrue(timing.roundsNanos() >= measured, timing.roundsNanos() + " ns of rounds");
        BenchCommand.Host host = BenchCommand.Host.of(timing, 2, 1);
        assertTrue(host.measuredTheHost());
        assertEquals(1, host.fullRounds());
        assertEquals(1.6, host.medianOfFullRounds(), 1e-12);
        assertEquals(timing.rounds() - 1, host.roundsSlow());
        assertEquals(3.0, host.limitSeconds(), 1e-12);
        assertEquals(timing.roundsNanos() / 1e9, host.roundsSeconds(), 1e-12);
    }

    /**
     * A round both a JIT compiler and a slow host disturbed counts as the compiler's; the host's
     * count is of the rounds it alone disturbed.
     */
    @Test
    void aRoundTheCompilerAndTheHostBothDisturbedCountsAsTheCompilers() {
        FakeMachine machine = new FakeMachine(2, (i, step, now) -> (i == 0 ? 40 : 25) * MILLISECOND, QUIET);
        machine.jitNanos = 0;
        machine.jitWork = (round, count) -> count == 1 && round % 4 == 0 ? 10 * MILLISECOND : 0;
        machine.hostThreads = 2;
        machine.host = (round, call) -> round % 2 == 0 && call != 1 ? 1.7 : 2.0;

        BenchCommand.Rounds.Timing timing = machine.time(3);

        // Rounds 1, 3, 5, ... are quiet: the rounds go on until 5 are, round 9.
        assertEquals(10, timing.rounds());
        assertArrayEquals(new int[] {1, 3, 5, 7, 9}, timing.counted());
        assertEquals(5, timing.roundsSetAside());
        assertEquals(2, timing.roundsSetAsideForHost(), "rounds 2 and 6; 0, 4 and 8 are the compiler's");
        for (double ratio : timing.ratios(1)) {
            assertEquals(1.6, ratio, 1e-12);
        }
    }

    /** Without a probe (one count, one processor, or a test's clock) no round is set aside for the host. */
    @Test
    void withoutAProbeNoRoundIsSetAsideForTheHost() {
        FakeMachine machine = new FakeMachine(2, (i, step, now) -> (i == 0 ? 40 : 25) * MILLISECOND, QUIET);
        BenchCommand.Rounds.Timing timing = machine.time(3);
        assertEquals(8, timing.rounds());
        assertTrue(Double.isNaN(timing.hostLeast()));
        for (double probe : timing.hostProbes()) {
            assertTrue(Double.isNaN(probe));
        }
        assertEquals(0, timing.roundsSetAside());
        assertTrue(timing.hostRuleApplied());
        assertTrue(Double.isNaN(BenchCommand.Rounds.hostLeast(1)));
        assertEquals(3.6, BenchCommand.Rounds.hostLeast(4), 1e-12);
    }

    @Test
    void theSpeedUpLineSaysWhyRoundsWereSetAside() {
        BenchCommand.Host host = new BenchCommand.Host(2, 1.8, new double[0], 4, 4, true, 5, 1.7, 4.2, 9);
        assertEquals("; 4 more rounds set aside: the machine gave less than two full cores during them "
                + "(probe 2/1 below 1.80); all 9 rounds: 1.49x", BenchCommand.setAside(4, 5, 1.49, host));
        BenchCommand.Host some = new BenchCommand.Host(2, 1.8, new double[0], 1, 1, true, 5, 1.6, 4.0, 9);
        assertEquals("; 3 more rounds set aside: a JIT compiler worked during 2, the machine gave less than two full "
                + "cores during 1 (probe 2/1 below 1.80); all 8 rounds: 1.55x", BenchCommand.setAside(3, 5, 1.549, some));
        BenchCommand.Host quiet = new BenchCommand.Host(2, 1.8, new double[0], 0, 0, true, 7, 1.6, 3.1, 9);
        assertEquals("", BenchCommand.setAside(0, 7, 1.6, quiet));
    }

    /**
     * Where the host stayed short of full cores through the rounds' limit, the line says plainly
     * that the figure measured the host, not the program: how many rounds it slowed of those
     * without a JIT compiler, how many had full cores and what they read, and how long the rounds
     * went on against their limit; with the figure of every round, as before.
     */
    @Test
    void theSpeedUpLineSaysPlainlyWhenItMeasuredTheHost() {
        BenchCommand.Host counted = new BenchCommand.Host(2, 1.8, new double[0], 0, 7, false, 2, 1.744, 9.24, 9);
        assertEquals("; 2 more rounds set aside: a JIT compiler worked during them; all 11 rounds: 1.40x; the machine "
                + "gave less than two full cores during 7 of the 9 rounds without a JIT compiler (probe 2/1 below 1.80), "
                + "and 2 rounds with them in 9.2 s of rounds (the limit, 3 x --seconds; 5 needed; their median 1.74x): "
                + "the slow ones were counted, so this figure measures the host, not the program",
                BenchCommand.setAside(2, 9, 1.4, counted));
        BenchCommand.Host none = new BenchCommand.Host(2, 1.8, new double[0], 0, 9, false, 0, Double.NaN, 9.3, 9);
        assertEquals("; the machine gave less than two full cores during 9 of the 9 rounds without a JIT compiler "
                + "(probe 2/1 below 1.80), and 0 rounds with them in 9.3 s of rounds (the limit, 3 x --seconds; 5 "
                + "needed): the slow ones were counted, so this figure measures the host, not the program",
                BenchCommand.setAside(0, 9, 1.05, none));
        BenchCommand.Host one = new BenchCommand.Host(2, 1.8, new double[0], 0, 8, false, 1, 1.81, 9.0, 9);
        assertTrue(BenchCommand.setAside(0, 9, 1.1, one).contains("and 1 round with them in 9.0 s of rounds (the limit, "
                + "3 x --seconds; 5 needed; it read 1.81x)"), BenchCommand.setAside(0, 9, 1.1, one));
    }

    /**
     * The command with a host probe of the test's, which reads low in every other round: the JSON
     * has every round's figure, and the table's line says what became of those rounds. With the
     * test's clock every slice takes the same time, so the ratios stay 1, and --seconds 0.05 gives
     * five rounds, too few to set two aside: they are counted, and the line says so.
     */
    @Test
    void theCommandReportsItsHostProbeRoundByRound() {
        long[] ticks = {0};
        LongSupplier clock = () -> ticks[0] += 10 * MILLISECOND;
        int[] calls = {0};
        List<Boolean> closed = new ArrayList<>();
        BenchCommand.HostProbes probes = (precision, threads) -> {
            assertEquals(2, threads);
            return new BenchCommand.HostProbe() {
                @Override
                public double probe() {
                    // Three calls a round: the first two of every odd round's read low.
                    int call = calls[0]++;
                    return call % 6 == 3 || call % 6 == 4 ? 1.25 : 1.99;
                }

                @Override
                public void close() {
                    closed.add(true);
                }
            };
        };

        JsonObject speedUp = speedUp(run(clock, () -> 0, probes, "--json"));
        int rounds = speedUp.get("rounds").getAsInt() + speedUp.get("roundsSetAside").getAsInt();
        assertEquals(5, rounds, speedUp.toString());
        assertEquals(0, speedUp.get("roundsSetAside").getAsInt(), speedUp.toString());
        assertEquals(0, speedUp.get("roundsSetAsideForHost").getAsInt(), speedUp.toString());
        assertEquals(2, speedUp.get("hostProbeThreads").getAsInt());
        assertEquals(1.8, speedUp.get("hostProbeLeast").getAsDouble(), 1e-12);
        JsonArray figures = speedUp.getAsJsonArray("hostProbes");
        assertEquals(rounds, figures.size(), speedUp.toString());
        for (int r = 0; r < rounds; r++) {
            assertEquals(r % 2 == 1 ? 1.25 : 1.99, figures.get(r).getAsDouble(), 0, speedUp.toString());
        }
        assertEquals(List.of(true), closed);

        // What the line gains, at the end of the entry: the host slowed two of the five rounds, the
        // three with full cores read 1 (the test's clock), and the figure measured the host.
        assertEquals(2, speedUp.get("roundsHostSlow").getAsInt(), speedUp.toString());
        assertEquals(3, speedUp.get("fullCoreRounds").getAsInt(), speedUp.toString());
        assertEquals(1.0, speedUp.get("medianOfFullCoreRounds").getAsDouble(), 0, speedUp.toString());
        assertTrue(speedUp.get("measuredTheHost").getAsBoolean(), speedUp.toString());
        assertTrue(speedUp.get("roundsSeconds").getAsDouble() > 0, speedUp.toString());
        assertEquals(0.15, speedUp.get("roundsLimitSeconds").getAsDouble(), 1e-12, speedUp.toString());
        List<String> keys = new ArrayList<>(speedUp.keySet());
        assertEquals(List.of("hostProbes", "roundsHostSlow", "fullCoreRounds", "medianOfFullCoreRounds",
                "measuredTheHost", "roundsSeconds", "roundsLimitSeconds"), keys.subList(keys.size() - 7, keys.size()));

        calls[0] = 0;
        String table = run(clock, () -> 0, probes);
        assertTrue(table.contains("; the machine gave less than two full cores during 2 of the 5 rounds without a JIT "
                + "compiler (probe 2/1 below 1.80), and 3 rounds with them in "), table);
        assertTrue(table.contains("(the limit, 3 x --seconds; 5 needed; their median 1.00x): the slow ones were counted, "
                + "so this figure measures the host, not the program), the same results"), table);
    }

    @Test
    void steadyMeansEveryCountWithinTenPercent() {
        assertTrue(BenchCommand.Rounds.steady(new double[] {100, 40}, new double[] {109, 36.5}));
        assertFalse(BenchCommand.Rounds.steady(new double[] {100, 40}, new double[] {100, 35.9}));
        assertFalse(BenchCommand.Rounds.steady(new double[] {100, 40}, new double[] {111, 40}));
        assertFalse(BenchCommand.Rounds.steady(new double[] {100}, new double[] {Double.NaN}));
    }

    /**
     * The command wired to a clock of its own: a clock that moves by 10 ms whenever it is read
     * times every slice, of any count, as the same 10 ms (each is read once before and once after),
     * so the speed-up must be exactly 1; and a compiler that is never quiet must be reported.
     */
    @Test
    void theCommandTimesEveryCountAlikeAndSaysWhenTheWarmUpDidNotSettle() {
        long[] ticks = {0};
        LongSupplier clock = () -> ticks[0] += 10 * MILLISECOND;

        JsonObject quiet = speedUp(run(clock, () -> 0, "--json"));
        assertEquals(1.0, quiet.get("median").getAsDouble());
        assertEquals(1.0, quiet.get("min").getAsDouble());
        assertEquals(1.0, quiet.get("max").getAsDouble());
        assertEquals(1, quiet.get("stepsPerSlice").getAsLong());
        assertTrue(quiet.get("warmUpSettled").getAsBoolean(), quiet.toString());

        long[] compiled = {0};
        JsonObject busy = speedUp(run(clock, () -> compiled[0] += 1000, "--json"));
        assertFalse(busy.get("warmUpSettled").getAsBoolean(), busy.toString());
        assertTrue(busy.get("warmUpSeconds").getAsDouble() >= BenchCommand.Rounds.WARM_UP_LIMIT * 0.05, busy.toString());
        assertEquals(1.0, busy.get("median").getAsDouble());

        String table = run(clock, () -> compiled[0] += 1000);
        assertTrue(table.contains("\narray: the warm-up stopped at its limit, "), table);
        assertFalse(run(clock, () -> 0).contains("the warm-up stopped"));
    }

    private static JsonObject speedUp(String json) {
        return JsonParser.parseString(json).getAsJsonObject().getAsJsonArray("speedUps").get(0).getAsJsonObject();
    }

    private static String run(LongSupplier clock, LongSupplier compilerMillis, String... options) {
        return run(clock, compilerMillis, null, options);
    }

    private static String run(LongSupplier clock, LongSupplier compilerMillis, BenchCommand.HostProbes probes,
            String... options) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        CliContext context = new CliContext(out, new PrintStream(err, true, StandardCharsets.UTF_8), Map.of(),
                null, null);
        CommandLine commandLine = new CommandLine(new MicrogptCommand(context));
        commandLine.addSubcommand(new BenchCommand(clock, compilerMillis, probes));
        List<String> args = new ArrayList<>(List.of("bench", "--engine", "array", "--n-embd", "8", "--n-layer", "1",
                "--n-head", "2", "--block-size", "4", "--seconds", "0.05", "--threads", "1,2"));
        args.addAll(List.of(options));
        int code = commandLine.execute(args.toArray(String[]::new));
        assertEquals(0, code, err.toString(StandardCharsets.UTF_8));
        assertEquals("", err.toString(StandardCharsets.UTF_8));
        return out.toString(StandardCharsets.UTF_8);
    }
}
