package io.github.microgpt.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link CompilerThreads}: the JIT compiler threads' processor time, read from Linux's /proc. */
class CompilerThreadsTest {

    private static void assumeLinuxAndHotSpotCompilers() {
        assumeTrue(Files.isDirectory(Path.of("/proc/self/task")), "Linux's /proc");
        assumeTrue(BenchCommand.compilerMillis() > 0, "a JVM with a JIT compiler that has compiled something");
    }

    @Test
    void thisJvmsCompilerThreadsHaveWorkedAndTheirTimeNeverGoesDown() {
        assumeLinuxAndHotSpotCompilers();
        CompilerThreads compilers = CompilerThreads.ofThisJvmAnd(List.of());
        long first = compilers.nanos();
        assertTrue(first > 0, "compiler threads' time: " + first);
        long sum = 0;
        for (int round = 0; round < 50; round++) {
            sum += work(round);
        }
        long second = compilers.nanos();
        assertTrue(second >= first, first + " then " + second + " (" + sum + ")");
    }

    @Test
    void aProcessThatDoesNotExistCannotBeRead() {
        assumeLinuxAndHotSpotCompilers();
        long gone = ProcessHandle.current().pid() + 10_000_000L;
        assertEquals(-1, CompilerThreads.of(List.of(gone)).nanos());
        assertEquals(-1, CompilerThreads.ofThisJvmAnd(List.of(gone)).nanos());
    }

    @Test
    void aProcessWithoutCompilerThreadsCannotBeRead() throws Exception {
        assumeTrue(Files.isDirectory(Path.of("/proc/self/task")), "Linux's /proc");
        Process sleeper = new ProcessBuilder("sleep", "5").start();
        try {
            assertEquals(-1, CompilerThreads.of(List.of(sleeper.pid())).nanos());
            // Waiting for the compilers of something that has none returns at once.
            long start = System.nanoTime();
            CompilerThreads.of(List.of(sleeper.pid())).awaitQuiet(System::nanoTime);
            assertTrue(System.nanoTime() - start < CompilerThreads.WAIT_NANOS);
        } finally {
            sleeper.destroyForcibly();
        }
    }

    @Test
    void aRehearsalReadsTheTimeOftenEnoughForTheJitToCompileTheReadingAndStopsAtItsLimits() {
        assumeLinuxAndHotSpotCompilers();
        // A clock that never moves: every read is made.
        assertEquals(CompilerThreads.REHEARSALS, CompilerThreads.ofThisJvmAnd(List.of()).rehearse(() -> 0));
        // A clock that moves 100 ms a read: the reads stop once the rehearsal has taken its time.
        long[] now = {0};
        int reads = CompilerThreads.ofThisJvmAnd(List.of()).rehearse(() -> now[0] += 100_000_000L);
        assertEquals(CompilerThreads.REHEARSAL_NANOS / 100_000_000L - 1, reads);
        // A process that cannot be read: one read says so, and the rehearsal ends.
        long gone = ProcessHandle.current().pid() + 10_000_000L;
        assertEquals(1, CompilerThreads.of(List.of(gone)).rehearse(() -> 0));
    }

    /**
     * The rehearsal runs before every engine's warm-up, a list's or a single count's (whose timed
     * rounds read the compilers before each slice too, and set aside a round the JIT disturbs), and
     * it often takes its whole limit: the help's estimate of the run's length says so, with the
     * limit's own figure. It said only "about 25 s by default".
     */
    @Test
    void benchsHelpCountsTheRehearsalInTheRunsLength() {
        String help = new picocli.CommandLine(new BenchCommand()).setUsageHelpWidth(10_000).getUsageMessage()
                .replaceAll("\\s+", " ");
        String limit = String.format(java.util.Locale.ROOT, "%.1f s", CompilerThreads.REHEARSAL_NANOS / 1e9);
        assertTrue(help.contains("The whole run takes about 4 x --seconds per engine, plus up to " + limit
                + " per engine before its warm-up, in which the bench has its own JIT compile the code that watches"
                + " the compilers"), help);
    }

    /** Some work for the JIT compiler. */
    private static long work(int round) {
        long sum = 0;
        for (int i = 0; i < 10_000; i++) {
            sum += Long.rotateLeft(i * 31L + round, i & 63);
        }
        return sum;
    }
}
