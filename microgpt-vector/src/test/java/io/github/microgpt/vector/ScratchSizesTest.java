package io.github.microgpt.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.internal.kernels.ArrayBytes;
import io.github.microgpt.model.ArrayGptModel;
import io.github.microgpt.model.ArrayKernels;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.Precision;
import io.github.microgpt.optim.AdamOptimizer;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.text.Tokenizer;
import io.github.microgpt.train.StepMode;
import io.github.microgpt.train.Trainer;
import java.lang.reflect.Array;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.lang.reflect.TypeVariable;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
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
 * reflection. A thread-local the step never used is made by that read, with its empty arrays; so
 * a thread that ran nothing is read too, and its bytes taken off.
 */
class ScratchSizesTest {

    @BeforeAll
    static void warmUpOnAThreadOfItsOwn() throws Exception {
        assertEquals("vector", ArrayKernels.implementation(), "these tests need the Vector API kernels");
        // The kernels warm up on the first thread that uses them, on shapes of their own.
        onAThreadOfItsOwn(() -> {
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
        long count = new VectorMatrixKernels().scratchBytes(precision == Precision.F32, weights, block, 4 * width,
                (int) Math.max(4 * c, vocab), 1);
        long empty = onAThreadOfItsOwn(ScratchSizesTest::heldByThisThread);
        long held = onAThreadOfItsOwn(() -> {
            step(precision, config, vocab);
            return heldByThisThread();
        }) - empty;
        assertTrue(held > 0, "no scratch held");
        assertTrue(Math.abs(count - held) <= 1024, "counted " + count + ", held " + held);
    }

    /** A trainer's step on one document of {@code block} letters, on one thread. */
    private static void step(Precision precision, GptConfig config, int vocab) {
        StringBuilder letters = new StringBuilder();
        for (int i = 0; i < vocab - 1; i++) {
            letters.append((char) ('!' + i));
        }
        Tokenizer tokenizer = Tokenizer.ofCharacters(letters.toString());
        String document = letters.toString().repeat(config.blockSize() / letters.length() + 1)
                .substring(0, config.blockSize());
        ArrayGptModel model = ArrayGptModel.create(config, tokenizer.vocabSize(), new PythonRandom(1), precision);
        Trainer trainer = new Trainer(model, tokenizer, List.of(document), new AdamOptimizer(model.numParameters()),
                10);
        trainer.step(StepMode.DOCUMENT);
    }

    private interface Work {
        long run() throws Exception;
    }

    private static long onAThreadOfItsOwn(Work work) throws Exception {
        AtomicLong result = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread thread = new Thread(() -> {
            try {
                result.set(work.run());
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        thread.start();
        thread.join();
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
        return result.get();
    }

    /** The bytes of the arrays the module's thread-locals hold for the calling thread. */
    private static long heldByThisThread() throws Exception {
        Set<Object> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        long bytes = 0;
        for (ThreadLocal<?> local : moduleThreadLocals()) {
            bytes += arrayBytes(local.get(), seen);
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
     * arrays, each once, as HotSpot lays arrays out (a 16-byte header, the elements, rounded up
     * to 8 bytes). Fields declared {@code Object} hold which call and operand panels were copied
     * from (the model's arrays), not scratch, and are left alone, unless of a type variable.
     */
    private static long arrayBytes(Object root, Set<Object> seen) throws IllegalAccessException {
        Deque<Object> todo = new ArrayDeque<>();
        todo.push(root);
        long bytes = 0;
        while (!todo.isEmpty()) {
            Object object = todo.pop();
            if (!seen.add(object)) {
                continue;
            }
            Class<?> type = object.getClass();
            if (type.isArray()) {
                Class<?> element = type.getComponentType();
                int length = Array.getLength(object);
                bytes += ArrayBytes.array(length, ArrayBytes.elementBytes(element));
                if (!element.isPrimitive()) {
                    for (int i = 0; i < length; i++) {
                        Object item = Array.get(object, i);
                        if (item != null) {
                            todo.push(item);
                        }
                    }
                }
                continue;
            }
            if (!type.getName().startsWith("io.github.microgpt.vector.")) {
                continue;
            }
            for (Field field : type.getDeclaredFields()) {
                if (Modifier.isStatic(field.getModifiers()) || field.getType().isPrimitive()
                        || field.getType() == Object.class && !(field.getGenericType() instanceof TypeVariable<?>)) {
                    continue;
                }
                field.setAccessible(true);
                Object value = field.get(object);
                if (value != null) {
                    todo.push(value);
                }
            }
        }
        return bytes;
    }
}
