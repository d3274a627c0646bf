package io.github.microgpt.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import io.github.microgpt.testsupport.TestResources;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * {@code microgpt train --data names.txt} against the stdout of {@code microgpt.py}: the same
 * bytes, every one of them (about 12 s).
 */
class TrainCommandGoldenTest {

    @Test
    void writesExactlyWhatMicrogptPyWrites() throws Exception {
        assertGoldenStdout();
    }

    /**
     * The array engine's forward pass is bit-identical and its gradients equal the Value engine's
     * to rounding, which on the reference run still prints every loss and sample the same.
     */
    @Test
    void theArrayEngineWritesTheSameBytes() throws Exception {
        assertGoldenStdout("--engine", "array");
    }

    private static void assertGoldenStdout(String... extraArgs) throws Exception {
        byte[] golden = TestResources.goldenStdout();

        String[] args = new String[3 + extraArgs.length];
        args[0] = "train";
        args[1] = "--data";
        args[2] = TestResources.namesFile().toString();
        System.arraycopy(extraArgs, 0, args, 3, extraArgs.length);
        Cli.Result result = Cli.run(args);

        assertEquals(0, result.exitCode(), result.toString());
        assertEquals("", result.stderr(), "stderr is not a terminal, so nothing may be written there");
        byte[] actual = result.stdoutBytes();
        for (int i = 0; i < Math.min(golden.length, actual.length); i++) {
            if (golden[i] != actual[i]) {
                fail("first difference at byte " + i + ", in the line expected as \"" + lineAt(golden, i)
                        + "\" but written as \"" + lineAt(actual, i) + "\"");
            }
        }
        assertEquals(golden.length, actual.length, "length of stdout");
    }

    private static String lineAt(byte[] bytes, int index) {
        int start = index;
        while (start > 0 && bytes[start - 1] != '\n') {
            start--;
        }
        int end = index;
        while (end < bytes.length && bytes[end] != '\n') {
            end++;
        }
        return new String(bytes, start, end - start, StandardCharsets.UTF_8);
    }
}
