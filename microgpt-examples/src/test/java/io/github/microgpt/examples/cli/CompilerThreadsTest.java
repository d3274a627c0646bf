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

    /** Some work for the JIT compiler. */
    private static long work(int round) {
        long sum = 0;
        for (int i = 0; i < 10_000; i++) {
            sum += Long.rotateLeft(i * 31L + round, i & 63);
        }
        return sum;
    }
}
