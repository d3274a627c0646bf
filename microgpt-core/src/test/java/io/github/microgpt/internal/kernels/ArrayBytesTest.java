package io.github.microgpt.internal.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.reflect.Array;
import java.lang.reflect.Method;
import org.junit.jupiter.api.Test;

/**
 * {@link ArrayBytes} against the bytes this JVM really allocates for arrays (HotSpot's count of
 * each thread's allocation, {@code com.sun.management.ThreadMXBean}), and its saturation.
 */
class ArrayBytesTest {

    private static final int ARRAYS = 1000;

    @Test
    void anArrayTakesWhatTheJvmAllocatesForIt() throws Exception {
        Object threadBean = Class.forName("java.lang.management.ManagementFactory").getMethod("getThreadMXBean")
                .invoke(null);
        Class<?> beanType = Class.forName("com.sun.management.ThreadMXBean");
        assumeTrue(beanType.isInstance(threadBean)
                && (boolean) beanType.getMethod("isThreadAllocatedMemoryEnabled").invoke(threadBean),
                "this JVM does not count each thread's allocation");
        Method allocated = beanType.getMethod("getThreadAllocatedBytes", long.class);
        long id = Thread.currentThread().getId();
        // A reflective call is made anew (a class generated, on this thread's heap) after a few
        // dozen calls on some JDKs: before the counting, not within it.
        for (int i = 0; i < 100; i++) {
            allocated.invoke(threadBean, id);
        }
        Object[] held = new Object[ARRAYS];
        for (Class<?> type : new Class<?>[] {double.class, float.class, int.class, byte.class, Object.class}) {
            for (int length : new int[] {0, 1, 2, 3, 5, 7, 8, 100, 1001}) {
                long bytes = Long.MAX_VALUE;
                // The least of three rounds: anything else this thread allocates (the JIT's
                // compilation of the loop, say) only adds.
                for (int round = 0; round < 3; round++) {
                    long before = (long) allocated.invoke(threadBean, id);
                    for (int i = 0; i < ARRAYS; i++) {
                        // Held, so that the JIT cannot leave the allocation out.
                        held[i] = Array.newInstance(type, length);
                    }
                    bytes = Math.min(bytes, (long) allocated.invoke(threadBean, id) - before);
                }
                long perArray = ArrayBytes.array(length, ArrayBytes.elementBytes(type));
                // The counter's own reads box a number or two: a few dozen bytes, never one more
                // word per array (8,000).
                assertTrue(bytes >= ARRAYS * perArray && bytes < ARRAYS * perArray + 1024,
                        ARRAYS + " arrays of " + length + " " + type + ": counted " + perArray + " bytes each, "
                                + "the JVM allocated " + bytes + " in all");
            }
        }
        long bytes = Long.MAX_VALUE;
        for (int round = 0; round < 3; round++) {
            long before = (long) allocated.invoke(threadBean, id);
            for (int i = 0; i < ARRAYS; i++) {
                held[i] = new double[3][5];
            }
            bytes = Math.min(bytes, (long) allocated.invoke(threadBean, id) - before);
        }
        long perArray = ArrayBytes.rows(3, 5, Double.BYTES);
        assertTrue(bytes >= ARRAYS * perArray && bytes < ARRAYS * perArray + 1024,
                "double[3][5]: counted " + perArray + " bytes each, the JVM allocated " + bytes + " for " + ARRAYS);
    }

    @Test
    void theLayoutByHand() {
        // 16 bytes of header, then the elements, rounded up to 8.
        assertEquals(16, ArrayBytes.array(0, Double.BYTES));
        assertEquals(24, ArrayBytes.array(1, Double.BYTES));
        assertEquals(24, ArrayBytes.array(1, Float.BYTES));
        assertEquals(24, ArrayBytes.array(2, Float.BYTES));
        assertEquals(32, ArrayBytes.array(3, Float.BYTES));
        assertEquals(24, ArrayBytes.array(5, 1));
        // double[2][3]: two references (and 8 bytes of padding with 4-byte references), two rows.
        assertEquals(ArrayBytes.array(2, ArrayBytes.REFERENCE_BYTES) + 2 * 40, ArrayBytes.rows(2, 3, Double.BYTES));
        assertEquals(ArrayBytes.array(0, ArrayBytes.REFERENCE_BYTES), ArrayBytes.rows(0, 1_000, Double.BYTES));
    }

    @Test
    void aShapeTooLargeForAnyHeapSaturates() {
        assertEquals(Long.MAX_VALUE, ArrayBytes.array(Long.MAX_VALUE / 4, Double.BYTES));
        // The header alone would overflow, and so would the rounding up to 8 bytes.
        assertEquals(Long.MAX_VALUE, ArrayBytes.array(Long.MAX_VALUE - 10, 1));
        assertEquals(Long.MAX_VALUE, ArrayBytes.array(Long.MAX_VALUE - 20, 1));
        assertEquals(Long.MAX_VALUE, ArrayBytes.rows(Integer.MAX_VALUE, Integer.MAX_VALUE, Double.BYTES));
        assertEquals(Long.MAX_VALUE, ArrayBytes.rows(Long.MAX_VALUE, 0, Double.BYTES));
        assertEquals(Long.MAX_VALUE, ArrayBytes.sum(Long.MAX_VALUE - 1, 2));
        assertEquals(Long.MAX_VALUE - 1, ArrayBytes.sum(Long.MAX_VALUE - 3, 2));
        assertEquals(Long.MAX_VALUE, ArrayBytes.product(1L << 32, 1L << 31));
        assertEquals(1L << 62, ArrayBytes.product(1L << 31, 1L << 31));
        assertEquals(0, ArrayBytes.product(Long.MAX_VALUE, 0));
    }
}
