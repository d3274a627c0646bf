package io.github.microgpt.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.model.ArrayGptModel;
import io.github.microgpt.model.ArrayKernels;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.Precision;
import io.github.microgpt.optim.AdamOptimizer;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.testsupport.FreshThread;
import io.github.microgpt.testsupport.ReachableArrays;
import io.github.microgpt.text.Tokenizer;
import io.github.microgpt.train.StepMode;
import io.github.microgpt.train.Trainer;
import java.lang.reflect.Array;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.lang.reflect.TypeVariable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link VectorMatrixKernels#scratchBytes} ({@link ScratchSizes}) against the scratch a trainer's
 * step really leaves in the module's thread-locals, on one thread, where the count is exact: so
 * that a change of the kernels' scratch that the count does not follow fails here, in the
 * module's own tests, as well as in the examples module's {@code ModelMemoryVectorTest} (which
 * also counts the helper threads'). The tests' property makes every product these kernels' (or
 * the small-shape kernels'), which exercises the paths the default leaves to the core: the small
 * kernels' transposed weights, and the backward products they decline, whose update then runs
 * after the product.
 *
 * <p>The step runs on a thread of its own, which reads its own thread-locals afterwards
 * ({@link ThreadLocal#get}): every static {@link ThreadLocal} of the module's classes, found by
 * reflection. A thread-local the step never used is made by that read, holding arrays of no
 * elements only (placeholders, which the count leaves out, as this reading does): a thread that
 * ran nothing holds nothing, which is tested too, so that the count and the bytes held agree to
 * the byte. (They once differed by 1,064 bytes with 16 registers and 16 floats a vector: six
 * panel rows made with every thread's single-precision panels, used or not.)
 */
class ScratchSizesTest {

    @BeforeAll
    static void warmUpOnAThreadOfItsOwn() throws Exception {
        assertEquals(ArrayKernels.Implementation.VECTOR, ArrayKernels.implementation(),
                "these tests need the Vector API kernels");
        // The kernels warm up on the first thread that uses them, on shapes of their own.
        FreshThread.call(() -> {
            for (Precision precision : Precision.values()) {
                step(precision, new GptConfig(1, 64, 4, 64, 0.08), 27);
            }
            return 0L;
        });
    }

    @ParameterizedTest(name = "{0} L={1} C={2} NH={3} T={4} vocab {5}")
    @CsvSource({
        "f64, 1, 64, 4, 64, 27",
        "f32, 1, 64, 4, 64, 27",
        "f64, 2, 16, 4, 16, 27",
        "f32, 2, 16, 4, 16, 27",
        // Rows of 18: the small kernels decline the backward products (not whole vectors).
        "f64, 1, 18, 2, 16, 27",
        "f64, 1, 256, 8, 64, 27",
        "f32, 1, 256, 8, 64, 27",
        // More positions than the transposed weights' 64 columns: the product by positions over
        // them (in single precision with 16 registers, through panels).
        "f64, 1, 16, 4, 80, 27",
        "f32, 1, 16, 4, 80, 27",
    })
    void theCountIsWhatAStepLeaves(String precisionId, int layers, int width, int heads, int block, int vocab)
            throws Exception {
        Precision precision = Precision.fromId(precisionId);
        GptConfig config = new GptConfig(layers, width, heads, block, 0.08);
        long c = width;
        int[][] weights = {{3 * width, width}, {width, width}, {4 * width, width}, {width, 4 * width}, {vocab, width}};
        long count = new VectorMatrixKernels().scratchBytes(precision == Precision.F32, weights, block, block,
                4 * width, (int) Math.max(4 * c, vocab), 1);
        long held = FreshThread.call(() -> {
            step(precision, config, vocab);
            return heldByThisThread();
        });
        assertTrue(held > 0, "no scratch held");
        assertEquals(count, held, "counted " + count + ", held " + held);
    }

    /**
     * Steps on documents of every length, from one letter (2 positions) to the block's, keep what
     * the count of those lengths says, and more than the count of the block's length alone (the
     * count before every length was replayed): shorter documents take other paths (the small-shape
     * kernels, an update after the product, and past the transposed weights' row length of 64
     * positions, the input copied only for documents that fit it).
     */
    @ParameterizedTest(name = "{0} L={1} C={2} NH={3} T={4} vocab {5}")
    @CsvSource({
        "f64, 1, 64, 4, 64, 27, false",
        "f32, 1, 64, 4, 64, 27, false",
        // Past the transposed weights' 64 columns: in every execution, shorter documents keep more.
        "f64, 1, 16, 4, 80, 27, true",
        "f32, 1, 16, 4, 80, 27, true",
        "f64, 1, 18, 2, 40, 27, false",
    })
    void documentsOfEveryLengthKeepTheCountOfEveryLength(String precisionId, int layers, int width, int heads,
                                                         int block, int vocab, boolean shorterKeepMore)
            throws Exception {
        Precision precision = Precision.fromId(precisionId);
        GptConfig config = new GptConfig(layers, width, heads, block, 0.08);
        int[][] weights = {{3 * width, width}, {width, width}, {4 * width, width}, {width, 4 * width}, {vocab, width}};
        VectorMatrixKernels kernels = new VectorMatrixKernels();
        boolean f32 = precision == Precision.F32;
        int transposedColumns = Math.max(4 * width, vocab);
        long everyLength = kernels.scratchBytes(f32, weights, 2, block, 4 * width, transposedColumns, 1);
        long blockLength = kernels.scratchBytes(f32, weights, block, block, 4 * width, transposedColumns, 1);
        long held = FreshThread.call(() -> {
            List<String> documents = new ArrayList<>();
            for (int letters = 1; letters <= block; letters++) {
                documents.add(document(vocab, letters));
            }
            steps(precision, config, vocab, documents);
            return heldByThisThread();
        });
        assertEquals(everyLength, held, "counted " + everyLength + ", held " + held);
        if (shorterKeepMore) {
            assertTrue(held > blockLength + 1024, "held " + held + ", the block's length alone counts " + blockLength);
        }
        assertTrue(kernels.scratchBytes(f32, weights, 1, block, 4 * width, transposedColumns, 1) >= everyLength);
    }

    /** A thread that ran no step holds no scratch: every thread-local starts with placeholders only. */
    @Test
    void aThreadThatRanNothingHoldsNothing() throws Exception {
        assertEquals(0, FreshThread.call(ScratchSizesTest::heldByThisThread));
    }

    /**
     * The count replays only {@link ScratchSizes#lengthsThatMatter}: on shapes of every kind (the
     * small-shape kernels' limits, the multiply-adds offered to them, the transposed weights' row
     * length crossed or not), it comes to what a replay of every length does.
     */
    @Test
    void theLengthsThatMatterCountAsEveryLength() {
        java.util.Random random = new java.util.Random(11);
        for (int round = 0; round < 400; round++) {
            boolean f32 = random.nextBoolean();
            int width = 1 + random.nextInt(64);
            int vocab = 1 + random.nextInt(300);
            int block = 1 + random.nextInt(400);
            int fewest = random.nextBoolean() ? 1 : 1 + random.nextInt(block);
            int threads = 1 + random.nextInt(2);
            int[][] weights = {{3 * width, width}, {width, width}, {4 * width, width}, {width, 4 * width},
                {vocab, width}};
            int transposedColumns = Math.max(4 * width, vocab);
            int[] every = java.util.stream.IntStream.rangeClosed(fewest, block).toArray();
            int[] matter = ScratchSizes.lengthsThatMatter(f32, weights, fewest, block, transposedColumns);
            String shape = (f32 ? "f32" : "f64") + " C=" + width + " vocab " + vocab + " positions " + fewest + ".."
                    + block + " on " + threads + " threads";
            assertEquals(ScratchSizes.bytes(f32, weights, every, 4 * width, transposedColumns, threads),
                    ScratchSizes.bytes(f32, weights, matter, 4 * width, transposedColumns, threads), shape);
            assertTrue(matter.length <= every.length && matter[matter.length - 1] == block, shape);
        }
    }

    /** A trainer's step on one document of {@code block} letters, on one thread. */
    private static void step(Precision precision, GptConfig config, int vocab) {
        steps(precision, config, vocab, List.of(document(vocab, config.blockSize())));
    }

    /** A trainer's step on each document in turn, on one thread. */
    private static void steps(Precision precision, GptConfig config, int vocab, List<String> documents) {
        Tokenizer tokenizer = Tokenizer.ofCharacters(letters(vocab));
        ArrayGptModel model = ArrayGptModel.create(config, tokenizer.vocabSize(), new PythonRandom(1), precision);
        Trainer trainer = new Trainer(model, tokenizer, documents, new AdamOptimizer(model.numParameters()),
                documents.size());
        for (int i = 0; i < documents.size(); i++) {
            trainer.step(StepMode.DOCUMENT);
        }
    }

    /** The {@code vocab - 1} letters of the tests' tokenizer. */
    private static String letters(int vocab) {
        StringBuilder letters = new StringBuilder();
        for (int i = 0; i < vocab - 1; i++) {
            letters.append((char) ('!' + i));
        }
        return letters.toString();
    }

    /** A document of {@code length} of the letters. */
    private static String document(int vocab, int length) {
        String letters = letters(vocab);
        return letters.repeat(length / letters.length() + 1).substring(0, length);
    }

    /**
     * The bytes of the arrays the module's thread-locals hold for the calling thread, but for
     * arrays of no elements (the placeholders they start with).
     */
    private static long heldByThisThread() throws Exception {
        Set<Object> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        long bytes = 0;
        for (ThreadLocal<?> local : moduleThreadLocals()) {
            bytes += arrayBytes(local.get(), seen);
        }
        for (Object object : seen) {
            if (object.getClass().isArray() && Array.getLength(object) == 0) {
                bytes -= ReachableArrays.arrayBytes(0, object.getClass().getComponentType());
            }
        }
        return bytes;
    }

    /** The static thread-locals of the module's classes, nested ones included. */
    private static List<ThreadLocal<?>> moduleThreadLocals() throws Exception {
        List<Class<?>> classes = new ArrayList<>();
        for (Class<?> top : new Class<?>[] {DoubleProducts.class, FloatProducts.class, FloatAttention.class,
            SlicedBackward.class, SmallVectorKernels.class, VectorMatrixKernels.class, ScratchArrays.class,
            PanelContents.class, Registers.class}) {
            classes.add(top);
            Collections.addAll(classes, top.getDeclaredClasses());
        }
        List<ThreadLocal<?>> locals = new ArrayList<>();
        for (Class<?> type : classes) {
            for (Field field : type.getDeclaredFields()) {
                if (Modifier.isStatic(field.getModifiers()) && ThreadLocal.class.isAssignableFrom(field.getType())) {
                    field.setAccessible(true);
                    locals.add((ThreadLocal<?>) field.get(null));
                }
            }
        }
        assertTrue(locals.size() >= 8, "the module's thread-locals: " + locals.size());
        return locals;
    }

    /**
     * The bytes of every array reachable from {@code root} through the module's objects and
     * arrays, each once ({@link ReachableArrays}). Fields declared {@code Object} hold which call
     * and operand panels were copied from (the model's arrays), not scratch, and are left alone,
     * unless of a type variable.
     */
    private static long arrayBytes(Object root, Set<Object> seen) throws IllegalAccessException {
        return ReachableArrays.bytes(root, object -> object.getClass().getName().startsWith("io.github.microgpt.vector."),
                field -> field.getType() != Object.class || field.getGenericType() instanceof TypeVariable<?>, seen);
    }
}
