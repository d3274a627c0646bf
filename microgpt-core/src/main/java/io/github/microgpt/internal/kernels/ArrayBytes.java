package io.github.microgpt.internal.kernels;

/**
 * Internal: the bytes of Java arrays as HotSpot lays them out, for counting memory before it is
 * allocated. Do not use.
 *
 * <p>Two counts use it: the scratch the optional {@code microgpt-vector} module's kernels keep
 * ({@link MatrixKernels#scratchBytes}, counted by that module), and the command line's estimate of
 * a model's memory (the examples' {@code ModelMemory}), which adds the two. One rule for both, so
 * that they cannot come to disagree on what an array costs.
 *
 * <p>The layout, that of a 64-bit HotSpot JVM with its default settings: a 16-byte header (an
 * 8-byte mark word, a 4-byte compressed class pointer, the 4-byte length), then the elements,
 * the whole rounded up to a multiple of 8 bytes (the objects' alignment). An element that is a
 * reference takes 4 bytes while the heap is under 32 GiB (compressed pointers), else 8. A JVM run
 * with other settings ({@code -XX:+UseCompactObjectHeaders}, {@code -XX:ObjectAlignmentInBytes})
 * lays arrays out a little differently; the counts here are then off by a few bytes an array.
 *
 * <p>Every count saturates at {@link Long#MAX_VALUE} rather than overflowing, so that a shape far
 * too large for any heap counts as too large, never as small or negative.
 */
public final class ArrayBytes {

    /** Bytes of an array's header: mark word, compressed class pointer, length. */
    public static final int HEADER_BYTES = 16;

    /**
     * Bytes of a reference in an array: 4 with compressed pointers, which HotSpot uses for heaps
     * under 32 GiB, else 8.
     */
    public static final int REFERENCE_BYTES = Runtime.getRuntime().maxMemory() < (32L << 30) ? 4 : 8;

    private ArrayBytes() {
    }

    /**
     * The bytes of one array: its header and {@code length} elements of {@code elementBytes} each,
     * rounded up to 8.
     *
     * @param length the elements, at least 0
     * @param elementBytes the bytes of one: 8 for a {@code double} or {@code long}, 4 for a
     *     {@code float} or {@code int}, {@link #REFERENCE_BYTES} for a reference
     * @return the bytes, saturated at {@link Long#MAX_VALUE}
     */
    public static long array(long length, long elementBytes) {
        long size = sum(HEADER_BYTES, product(length, elementBytes));
        return size > Long.MAX_VALUE - 7 ? Long.MAX_VALUE : (size + 7) / 8 * 8;
    }

    /**
     * The bytes of an array of rows, such as a {@code double[count][length]}: the array of
     * {@code count} references that holds them, and {@code count} arrays of {@code length}
     * elements.
     *
     * @param count the rows, at least 0
     * @param length each row's elements, at least 0
     * @param elementBytes the bytes of an element of a row (see {@link #array})
     * @return the bytes, saturated at {@link Long#MAX_VALUE}
     */
    public static long rows(long count, long length, long elementBytes) {
        return sum(array(count, REFERENCE_BYTES), product(count, array(length, elementBytes)));
    }

    /**
     * The bytes of an element of an array of {@code component}s: {@link #REFERENCE_BYTES} for a
     * class that is not primitive.
     *
     * @param component an array's component type, such as {@code double.class}
     * @return the bytes
     */
    public static int elementBytes(Class<?> component) {
        if (component == double.class || component == long.class) {
            return 8;
        }
        if (component == float.class || component == int.class) {
            return 4;
        }
        if (component == char.class || component == short.class) {
            return 2;
        }
        if (component == byte.class || component == boolean.class) {
            return 1;
        }
        return REFERENCE_BYTES;
    }

    /**
     * {@code a + b} of two non-negative numbers, or {@link Long#MAX_VALUE} if it would overflow.
     *
     * @param a a number, at least 0
     * @param b another, at least 0
     * @return the sum, saturated
     */
    public static long sum(long a, long b) {
        return a > Long.MAX_VALUE - b ? Long.MAX_VALUE : a + b;
    }

    /**
     * {@code a * b} of two non-negative numbers, or {@link Long#MAX_VALUE} if it would overflow.
     *
     * @param a a number, at least 0
     * @param b another, at least 0
     * @return the product, saturated
     */
    public static long product(long a, long b) {
        return b != 0 && a > Long.MAX_VALUE / b ? Long.MAX_VALUE : a * b;
    }
}
