package io.github.microgpt.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.microgpt.model.ArrayGptModel;
import io.github.microgpt.model.ArrayKernels;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.Precision;
import io.github.microgpt.optim.AdamOptimizer;
import io.github.microgpt.optim.AdamSettings;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.text.Tokenizer;
import io.github.microgpt.train.StepMode;
import io.github.microgpt.train.Trainer;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import jdk.incubator.vector.DoubleVector;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Once C2 has compiled them, no kernel runs in the Vector API's Java fallback: training steps
 * allocate (almost) nothing. The fallback is the Vector API's own Java code, taken wherever C2
 * could not turn a vector operation into instructions (its intrinsic failed); it gives the same
 * bits, so the tests of exactness cannot see it, but every vector is then an object and a step of
 * {@code microgpt.py}'s model allocated 1.5 MB and ran at a fifth of the speed (JDK 17 on an
 * AVX-512 machine, where a second shape of {@code DoubleVector} in the JVM had spoiled C2's
 * typing of them; see {@link SmallVectorKernels}). What is measured is the heap the calling
 * thread allocated ({@code com.sun.management.ThreadMXBean#getCurrentThreadAllocatedBytes}), not time: a
 * compiled step allocates some 0.1 KB, one in the fallback hundreds of times as much.
 *
 * <p>Every kernel of one JVM runs here, in one test, as the command line's {@code bench} runs
 * them: the reference model (products of 16 to 64 columns, heads of four channels) and a larger
 * one (rows of 64, heads of 16), each in both precisions, all trained by turns, so that the
 * profiles C2 compiles from have seen every shape before it compiles any. C2 compiles in the
 * background, so the measurement is taken in rounds after a warm-up, and the test passes at the
 * first round under the limit (a kernel in the fallback allocates in every round, however many).
 * The pom runs it again with 256-bit vectors ({@code -XX:MaxVectorSize=32}) and with AVX2 alone
 * ({@code -XX:UseAVX=2}), so that a machine with AVX-512 covers an AVX2 machine's compilation
 * too (and the other way round, the default run covers its own).
 */
class NoFallbackTest {

    private static final List<String> NAMES = List.of("emma", "olivia", "ava", "isabella", "sophia", "charlotte",
            "mia", "amelia", "harper", "evelyn", "abigail", "emily", "elizabeth", "mila", "ella", "avery");

    private static final List<String> LONG = List.of("abcdefghijklmnopqrstuvwxyzabcdefghijklm",
            "zyxwvutsrqponmlkjihgfedcbazyxwvutsrqponmlk", "thequickbrownfoxjumpsoverthelazydogagainandagain");

    /**
     * Heap a step may allocate on average once compiled. Compiled steps of these models allocated
     * 0.3 KB (reference, f64), 4.2 KB (the larger one, f64), 2.7 KB (reference, f32) and 8 KB
     * (the larger one, f32; in one JVM of two 63 KB: a partial fallback not yet explained), on
     * JDK 17 with AVX-512; with a kernel in the fallback 2.4 MB (reference, f64) and 120 MB (the
     * larger one, f64). A JVM that deoptimizes a kernel runs it in the fallback for a while (the
     * quick compiler's code boxes every vector too) until C2 compiles it again, hence the rounds.
     */
    private static final long LIMIT_PER_STEP = 128 * 1024;

    /**
     * Bytes this thread has allocated so far (HotSpot's count, through reflection as in the core's
     * memory tests: the module reads no management module).
     */
    static long allocated() throws ReflectiveOperationException {
        Object threads = Class.forName("java.lang.management.ManagementFactory").getMethod("getThreadMXBean")
                .invoke(null);
        Method allocated = Class.forName("com.sun.management.ThreadMXBean").getMethod("getCurrentThreadAllocatedBytes");
        return (long) allocated.invoke(threads);
    }

    /** The JVM's options, to tell whether it has C2. */
    @SuppressWarnings("unchecked")
    private static List<String> jvmOptions() throws ReflectiveOperationException {
        Object runtime = Class.forName("java.lang.management.ManagementFactory").getMethod("getRuntimeMXBean")
                .invoke(null);
        return (List<String>) Class.forName("java.lang.management.RuntimeMXBean").getMethod("getInputArguments")
                .invoke(runtime);
    }

    @BeforeAll
    static void theVectorKernelsAreInUse() {
        assertEquals(ArrayKernels.Implementation.VECTOR, ArrayKernels.implementation(),
                "these tests need the Vector API kernels");
    }

    /** A trainer of one model, its steps taken on the calling thread. */
    private static Trainer trainer(List<String> docs, GptConfig config, Precision precision) {
        Tokenizer tokenizer = Tokenizer.fromDocuments(docs);
        ArrayGptModel model = ArrayGptModel.create(config, tokenizer.vocabSize(), new PythonRandom(42), precision);
        // A small learning rate, so that thousands of steps on a few documents never make the loss infinite.
        AdamOptimizer adam = new AdamOptimizer(model.numParameters(), AdamSettings.defaults().withLearningRate(1e-4));
        return new Trainer(model, tokenizer, docs, adam, 1_000_000_000);
    }

    @Test
    void compiledStepsAllocateAlmostNothing() throws ReflectiveOperationException {
        List<String> arguments = jvmOptions();
        assumeTrue(!arguments.contains("-Xint") && arguments.stream().noneMatch(a -> a.startsWith("-XX:TieredStopAtLevel")),
                "no C2 in this JVM (" + arguments + "): every vector is an object until C2 compiles the kernels");
        assumeTrue(DoubleVector.SPECIES_PREFERRED.length() >= 2,
                "vectors of one double (-XX:MaxVectorSize=8) always run in the fallback");
        List<Trainer> trainers = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (Precision precision : Precision.values()) {
            trainers.add(trainer(NAMES, new GptConfig(1, 16, 4, 16, 0.08), precision));
            names.add("reference model, " + precision);
            trainers.add(trainer(LONG, new GptConfig(2, 64, 4, 40, 0.08), precision));
            names.add("nEmbd 64, 2 layers, 40 positions, " + precision);
        }
        // Warm-up: enough calls of every kernel for C2 to compile it (some thousands).
        for (int s = 0; s < 2000; s++) {
            for (Trainer trainer : trainers) {
                trainer.step(StepMode.DOCUMENT);
            }
        }
        int steps = 200;
        long[] perStep = new long[trainers.size()];
        StringBuilder rounds = new StringBuilder();
        for (int round = 1; round <= 10; round++) {
            boolean clean = true;
            for (int i = 0; i < trainers.size(); i++) {
                Trainer trainer = trainers.get(i);
                long before = allocated();
                for (int s = 0; s < steps; s++) {
                    trainer.step(StepMode.DOCUMENT);
                }
                perStep[i] = (allocated() - before) / steps;
                clean &= perStep[i] <= LIMIT_PER_STEP;
            }
            rounds.append("\nround ").append(round).append(':');
            for (int i = 0; i < trainers.size(); i++) {
                rounds.append("  ").append(names.get(i)).append(' ').append(perStep[i]).append(" B");
            }
            if (clean) {
                return;
            }
        }
        fail("bytes allocated a step, still above " + LIMIT_PER_STEP
                + " after 10 rounds: a kernel runs in the Vector API's Java fallback" + rounds);
    }
}
