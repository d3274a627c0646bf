package io.github.microgpt.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.internal.FusedStep;
import io.github.microgpt.model.ArrayGptModel;
import io.github.microgpt.model.ArrayKernels;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.Precision;
import io.github.microgpt.optim.AdamOptimizer;
import io.github.microgpt.optim.AdamSettings;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.testsupport.FreshThread;
import io.github.microgpt.testsupport.ReachableArrays;
import io.github.microgpt.text.Tokenizer;
import io.github.microgpt.train.StepMode;
import io.github.microgpt.train.Trainer;
import java.io.IOException;
import java.lang.reflect.Array;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.lang.reflect.TypeVariable;
import java.lang.ref.Reference;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link ModelMemory#vectorScratchBytes}, the scratch microgpt-vector's kernels keep between
 * products, against the arrays the threads of a step really hold: as {@link ModelMemoryTest} does
 * for the workspace, so that a change of the module's scratch that its own count
 * ({@code ScratchSizes} in microgpt-vector, asked through {@code MatrixKernels.scratchBytes}) does
 * not follow fails here rather than in the memory check. The module counts from the constants
 * its kernels use, so that a change of a size moves the count with it; a new array, or a new
 * path that asks for one, fails here until the count has it too.
 *
 * <p>The scratch is kept in the module's {@link ThreadLocal}s, so this test reads every thread's
 * table of thread-locals ({@code Thread.threadLocals}): it runs in an execution of its own
 * (microgpt-examples' pom) with the Vector API kernels chosen
 * ({@code -Dmicrogpt.kernels=vector --add-modules jdk.incubator.vector}) and
 * {@code --add-opens java.base/java.lang=ALL-UNNAMED}; the default run leaves it out.
 */
class ModelMemoryVectorTest {

    private static final int VOCAB = 27;

    /**
     * The kernels warm up on the thread that first uses them, on small matrices of their own
     * ({@code VectorMatrixKernels.WarmUp}), and with 16 registers that thread's panels keep those
     * shapes too where they are larger than the model's in one dimension: a few KB, once per JVM,
     * which the estimate leaves out. So a thread of its own takes the warm-up, and ends.
     */
    @BeforeAll
    static void warmUpOnAThreadOfItsOwn() throws InterruptedException {
        Thread warmUp = new Thread(() -> {
            for (Precision precision : Precision.values()) {
                GptConfig config = new GptConfig(1, 64, 4, 64, 0.08);
                ArrayGptModel model = ArrayGptModel.create(config, VOCAB, new PythonRandom(1), precision);
                model.lossAndGradients(tokens(64), 0, 64, null);
            }
        });
        warmUp.start();
        warmUp.join();
    }

    private static int[] tokens(int block) {
        int[] tokens = new int[block + 1];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = i % VOCAB;
        }
        return tokens;
    }

    @Test
    void theVectorKernelsRunInThisJvm() {
        // Otherwise every count below is 0 against 0, and proves nothing.
        assertEquals(ArrayKernels.Implementation.VECTOR, ArrayKernels.implementation());
    }

    @ParameterizedTest(name = "{0} L={1} C={2} NH={3} T={4} on {5} threads")
    @CsvSource({
        "f64, 1, 64, 4, 64, 1",
        "f64, 2, 128, 4, 40, 1",
        "f64, 1, 16, 4, 16, 1",
        "f64, 1, 64, 4, 64, 2",
        "f32, 1, 64, 4, 64, 1",
        "f32, 2, 128, 4, 40, 1",
        "f32, 1, 64, 4, 64, 2",
        // Issue 11's shape: slices cut to fit SlicedBackward.MAX_SCRATCH_BYTES, panels in passes,
        // and (f32, 16 registers) a slice scratch that grew, whose old rows the view kept.
        "f64, 1, 256, 8, 64, 1",
        "f32, 1, 256, 8, 64, 1",
    })
    void theKernelsScratchIsCountedForEveryThread(String precisionId, int layers, int width, int heads, int block,
                                                  int threads) throws Exception {
        Precision precision = Precision.fromId(precisionId);
        GptConfig config = new GptConfig(layers, width, heads, block, 0.08);
        // Documents of the block's length only: their count, exact on one thread.
        long estimate = ModelMemory.vectorScratchBytes(precision, config, VOCAB, threads, block);
        assertTrue(estimate > 0, "the module was not asked: " + estimate);
        assertTrue(ModelMemory.vectorScratchBytes(precision, config, VOCAB, threads) >= estimate,
                "a whole run's count is less than its longest documents'");
        long bytes = onACallerOfItsOwn(precision, config, threads, List.of(document(block)));
        assertTrue(bytes > 0, "no scratch found in the threads of the step");
        if (threads == 1) {
            // Exact on one thread (the empty arrays a scratch holder starts with are not scratch,
            // and are not counted by either side).
            assertEquals(estimate, bytes, "estimate " + estimate + ", held " + bytes);
        } else {
            // Each thread keeps copies for the products it took a share of; a thread that took
            // none (its core busy) keeps none. Which thread takes which share is the scheduler's
            // choice, so the count, which gives every thread a share of every product, is exact
            // for no run: it bounds what the threads hold, and the total of all threads bounds it.
            assertTrue(estimate >= bytes, "estimate " + estimate + " below the " + bytes + " bytes held");
            assertTrue(estimate <= bytes * threads,
                    "estimate " + estimate + " more than " + threads + " times the " + bytes + " bytes held");
        }
    }

    /**
     * A run's documents of every length, one letter to the block's (2 positions to the block's),
     * keep more than documents of the block's length (the count before every length was
     * replayed, which fell short of these by up to 0.55 MB): other paths for the shorter ones
     * (double precision's small-shape kernels and an update after the product; past the
     * transposed weights' row length ({@code max(4 nEmbd, vocabulary)}), the input copied only for
     * the documents that fit it). The memory check's count, {@link ModelMemory#vectorScratchBytes},
     * counts every length: on one thread exactly what these documents keep, on two an upper
     * bound.
     */
    @ParameterizedTest(name = "{0} L={1} C={2} NH={3} T={4} on {5} threads")
    @CsvSource({
        "f64, 1, 64, 4, 64, 1",
        "f64, 1, 64, 4, 64, 2",
        "f64, 1, 256, 8, 64, 1",
        "f64, 1, 16, 4, 80, 1",
        // Past the transposed weights' 256 columns (single precision keeps no more for short
        // documents otherwise).
        "f32, 1, 64, 4, 300, 1",
        "f32, 1, 64, 4, 300, 2",
    })
    void documentsOfEveryLengthAreCounted(String precisionId, int layers, int width, int heads, int block,
                                          int threads) throws Exception {
        Precision precision = Precision.fromId(precisionId);
        GptConfig config = new GptConfig(layers, width, heads, block, 0.08);
        long blockLength = ModelMemory.vectorScratchBytes(precision, config, VOCAB, threads, block);
        long run = ModelMemory.vectorScratchBytes(precision, config, VOCAB, threads);
        List<String> documents = new ArrayList<>();
        for (int letters = 1; letters <= block; letters++) {
            documents.add(document(letters));
        }
        long bytes = onACallerOfItsOwn(precision, config, threads, documents);
        assertTrue(run >= bytes, "a run's count " + run + " below the " + bytes + " bytes held");
        if (threads == 1) {
            // On more threads the count of one length is an upper bound already (each thread
            // counted as if it took a share of every product).
            assertTrue(bytes > blockLength + 1024,
                    bytes + " bytes held, no more than the block's length alone counts, " + blockLength);
            long everyLength = ModelMemory.vectorScratchBytes(precision, config, VOCAB, threads, 2);
            assertEquals(everyLength, bytes,
                    "documents of 2 to " + block + " positions counted " + everyLength + ", held " + bytes);
        }
    }

    /** A document of {@code letters} letters of the 26. */
    private static String document(int letters) {
        String alphabet = "abcdefghijklmnopqrstuvwxyz";
        return alphabet.repeat(letters / alphabet.length() + 1).substring(0, letters);
    }

    /**
     * {@link #scratchAfterSteps} on a new calling thread, so that no earlier test's scratch is in
     * its thread-locals (the scratch only grows); the model's helper threads are its own, started
     * by its step.
     */
    private static long onACallerOfItsOwn(Precision precision, GptConfig config, int threads, List<String> documents)
            throws Exception {
        return FreshThread.call(() -> scratchAfterSteps(precision, config, threads, documents));
    }

    /**
     * Runs a training step on each document in turn on this thread, as {@code train} runs it
     * (through a {@link Trainer} with Adam, so fused: the update inside the backward products,
     * which in f32 with 32 registers sums each slice of a weights' gradient in a scratch of the
     * thread's own), and returns the bytes of the module's scratch that this thread and the model's helper threads
     * hold.
     */
    private static long scratchAfterSteps(Precision precision, GptConfig config, int threads, List<String> documents)
            throws Exception {
        ArrayGptModel model = ArrayGptModel.create(config, VOCAB, new PythonRandom(1), precision);
        model.setThreads(threads);
        // A document of `block` letters fills the block (its block + 1 positions cut to block).
        Tokenizer tokenizer = Tokenizer.ofCharacters("abcdefghijklmnopqrstuvwxyz");
        assertEquals(VOCAB, tokenizer.vocabSize());
        Trainer trainer = new Trainer(model, tokenizer, documents,
                new AdamOptimizer(model.numParameters(), AdamSettings.defaults()), documents.size() + 4);
        assertTrue(model.parameters() instanceof FusedStep.Source source && source.fusedStep().fuses(),
                "the step is fused");
        for (int i = 0; i < documents.size() - 1; i++) {
            trainer.step(StepMode.DOCUMENT);
        }
        for (int attempt = 0; ; attempt++) {
            trainer.step(StepMode.DOCUMENT);
            List<Thread> holders = new ArrayList<>();
            holders.add(Thread.currentThread());
            Object workers = ModelMemoryTest.field(model, "workers");
            for (Object helper : (Object[]) ModelMemoryTest.field(workers, "helpers")) {
                if (helper != null) {
                    holders.add((Thread) helper);
                }
            }
            long bytes = scratchOf(holders);
            // A helper idle for a second ends and drops its scratch: count again if one did.
            if (holders.stream().allMatch(Thread::isAlive) || attempt == 3) {
                return bytes;
            }
        }
    }

    /**
     * The bytes of every array the module's thread-locals hold in these threads, but for arrays
     * of no elements: the placeholders a scratch holder starts with (an empty {@code double[0][]}
     * until its first use, tens of bytes), which are no scratch and which the count leaves out,
     * as {@code ScratchSizesTest} in microgpt-vector does.
     */
    private static long scratchOf(List<Thread> threads) throws Exception {
        Set<Object> locals = moduleThreadLocals();
        Field threadLocals = Thread.class.getDeclaredField("threadLocals");
        threadLocals.setAccessible(true);
        Set<Object> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        long bytes = 0;
        for (Thread thread : threads) {
            Object map = threadLocals.get(thread);
            if (map == null) {
                continue;
            }
            Object[] table = (Object[]) ModelMemoryTest.field(map, "table");
            for (Object entry : table) {
                if (entry != null && locals.contains(((Reference<?>) entry).get())) {
                    bytes += arrayBytes(ModelMemoryTest.field(entry, "value"), seen);
                }
            }
        }
        for (Object object : seen) {
            if (object.getClass().isArray() && Array.getLength(object) == 0) {
                bytes -= ReachableArrays.arrayBytes(0, object.getClass().getComponentType());
            }
        }
        return bytes;
    }

    /**
     * Every {@link ThreadLocal} in a static field of the module's classes, found by listing its
     * classes (so that a new one is not missed).
     */
    private static Set<Object> moduleThreadLocals() throws IOException, URISyntaxException, ReflectiveOperationException {
        Class<?> anchor = Class.forName("io.github.microgpt.vector.VectorMatrixKernels");
        Path root = Path.of(anchor.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<String> names = new ArrayList<>();
        if (Files.isDirectory(root)) {
            Path dir = root.resolve("io/github/microgpt/vector");
            try (Stream<Path> files = Files.list(dir)) {
                files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".class")).forEach(names::add);
            }
        } else {
            try (java.util.jar.JarFile jar = new java.util.jar.JarFile(root.toFile())) {
                jar.stream().map(java.util.jar.JarEntry::getName)
                        .filter(n -> n.startsWith("io/github/microgpt/vector/") && n.endsWith(".class")
                                && n.indexOf('/', "io/github/microgpt/vector/".length()) < 0)
                        .map(n -> n.substring("io/github/microgpt/vector/".length())).forEach(names::add);
            }
        }
        Set<Object> locals = Collections.newSetFromMap(new IdentityHashMap<>());
        for (String name : names) {
            Class<?> type = Class.forName("io.github.microgpt.vector." + name.substring(0, name.length() - 6), true,
                    anchor.getClassLoader());
            for (Field field : type.getDeclaredFields()) {
                if (Modifier.isStatic(field.getModifiers()) && ThreadLocal.class.isAssignableFrom(field.getType())) {
                    field.setAccessible(true);
                    locals.add(field.get(null));
                }
            }
        }
        assertTrue(locals.size() >= 2, "the module's thread-locals not found: " + names);
        return locals;
    }

    /**
     * The bytes of every array reachable from {@code root} through the module's objects' fields and
     * array elements, each counted once ({@link ReachableArrays}, as {@link ModelMemoryTest} counts). Fields declared
     * {@code Object} are left alone: the module keeps there which call and operand its panels
     * were copied from (the model's own arrays, compared by identity), not scratch. A field of a
     * type variable ({@code G rows} of a scratch generic in its precision) is erased to
     * {@code Object} too, but holds scratch, so it is followed.
     */
    private static long arrayBytes(Object root, Set<Object> seen) throws IllegalAccessException {
        return ReachableArrays.bytes(root, object -> object.getClass().getName().startsWith("io.github.microgpt.vector."),
                field -> field.getType() != Object.class || field.getGenericType() instanceof TypeVariable<?>, seen);
    }
}
