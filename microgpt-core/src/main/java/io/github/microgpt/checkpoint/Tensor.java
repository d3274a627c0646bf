package io.github.microgpt.checkpoint;

import java.util.Arrays;
import java.util.Objects;

/**
 * One named array of numbers as a safetensors file holds it: a shape (for a weight matrix
 * {@code [rows, cols]}), the numbers in row-major order ("C order", the last index varying
 * fastest, as in PyTorch and NumPy) and the type they are stored as.
 *
 * <p>The numbers are held as doubles whatever the stored type; an {@link DType#F32} tensor read
 * from a file holds its floats exactly, and one written as {@code F32} is rounded to float on the
 * way out. Immutable: the arrays are copied in and out. Not API, as {@link Safetensors} is not.
 *
 * @param name the tensor's name, for example {@code "layer0.attn_wq"}; not empty, and not
 *     {@code "__metadata__"}, which safetensors reserves
 * @param dtype how the numbers are stored
 * @param shape the size of each dimension, none negative; {@code []} is a single number
 * @param values the numbers, as many as the product of the shape
 */
record Tensor(String name, DType dtype, int[] shape, double[] values) {

    /** The most dimensions a tensor may have here; a weight matrix has two. */
    public static final int MAX_RANK = 8;

    /**
     * Checks and copies the values.
     *
     * @param name the tensor's name, for example {@code "layer0.attn_wq"}; not empty, and not {@code "__metadata__"}, which safetensors reserves
     * @param dtype how the numbers are stored
     * @param shape the size of each dimension, none negative; {@code []} is a single number
     * @param values the numbers, as many as the product of the shape
     * @throws IllegalArgumentException if the name is empty or reserved, the shape has a negative
     *     dimension or more than {@value #MAX_RANK}, or the number of values is not the shape's
     *     product
     * @throws NullPointerException if an argument is null
     */
    public Tensor {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtype, "dtype");
        if (name.isEmpty() || name.equals(Safetensors.METADATA_KEY)) {
            throw new IllegalArgumentException("a tensor cannot be named \"" + name + "\"");
        }
        shape = shape.clone();
        if (shape.length > MAX_RANK) {
            throw new IllegalArgumentException("tensor " + name + " has " + shape.length + " dimensions, more than "
                    + MAX_RANK);
        }
        for (int dim : shape) {
            if (dim < 0) {
                throw new IllegalArgumentException("tensor " + name + " has a negative dimension: "
                        + Arrays.toString(shape));
            }
        }
        long count = elementCount(shape);
        if (count != values.length) {
            throw new IllegalArgumentException("tensor " + name + " of shape " + Arrays.toString(shape) + " needs "
                    + count + " values, not " + values.length);
        }
        values = values.clone();
    }

    /**
     * A two-dimensional tensor.
     *
     * @param name the name
     * @param dtype how the numbers are stored
     * @param rows the number of rows
     * @param cols the number of columns
     * @param values {@code rows * cols} numbers, row by row
     * @return the tensor
     */
    public static Tensor matrix(String name, DType dtype, int rows, int cols, double[] values) {
        return new Tensor(name, dtype, new int[] {rows, cols}, values);
    }

    /**
     * The product of non-negative dimensions, saturating at {@code Long.MAX_VALUE} instead of
     * overflowing (a file may claim absurd dimensions; the product must still compare correctly).
     */
    static long elementCount(long[] shape) {
        long count = 1;
        for (long dim : shape) {
            count = dim == 0 ? 0 : count > Long.MAX_VALUE / dim ? Long.MAX_VALUE : count * dim;
        }
        return count;
    }

    private static long elementCount(int[] shape) {
        return elementCount(Arrays.stream(shape).asLongStream().toArray());
    }

    /**
     * The shape.
     *
     * @return a copy
     */
    @Override
    public int[] shape() {
        return shape.clone();
    }

    /**
     * The numbers, row-major.
     *
     * @return a copy
     */
    @Override
    public double[] values() {
        return values.clone();
    }

    /**
     * The number of values.
     *
     * @return the product of the shape
     */
    public int size() {
        return values.length;
    }

    /**
     * The number of bytes the values take in a file.
     *
     * @return {@code size() * dtype().byteSize()}
     */
    public long byteSize() {
        return (long) values.length * dtype.byteSize();
    }

    /**
     * Compares names, types, shapes and values (bit for bit).
     *
     * @param other another object
     * @return true if it is an equal tensor
     */
    @Override
    public boolean equals(Object other) {
        return other instanceof Tensor that && name.equals(that.name) && dtype == that.dtype
                && Arrays.equals(shape, that.shape) && Arrays.equals(values, that.values);
    }

    /**
     * A hash of the name, type, shape and values.
     *
     * @return the hash code
     */
    @Override
    public int hashCode() {
        return Objects.hash(name, dtype, Arrays.hashCode(shape), Arrays.hashCode(values));
    }

    /**
     * A short description, without the values.
     *
     * @return for example {@code Tensor[wte, F64, [27, 16]]}
     */
    @Override
    public String toString() {
        return "Tensor[" + name + ", " + dtype + ", " + Arrays.toString(shape) + "]";
    }
}
