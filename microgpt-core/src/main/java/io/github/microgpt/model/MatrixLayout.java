package io.github.microgpt.model;

import java.util.Objects;

/**
 * Where one named weight matrix of a model sits in the flat parameter list: its name, its shape
 * and its offset. It describes the matrix and holds none of its numbers; read those from the
 * model's {@link Parameters} ({@code parameters.value(layout.index(r, c))}). Hence the name:
 * {@link ParameterLayout} lays out all of a model's parameters, a {@code MatrixLayout} one
 * matrix of them, and {@link ValueLanguageModel#matrix(String)} is the one {@code matrix} that
 * returns weights (the Value engine's, as the Python's {@code matrix(nout, nin)} makes them).
 *
 * <p>A model's matrices and their order are given by its {@link ParameterLayout} (for a GPT,
 * {@link ParameterLayout#gpt}: {@code microgpt.py}'s {@code state_dict}). Entries are stored row
 * by row: entry {@code (r, c)} is parameter number {@code offset + r * cols + c}.
 *
 * @param name the matrix's name, such as {@code "layer0.attn_wq"}
 * @param rows the number of rows (outputs of a linear layer, or table entries of an embedding)
 * @param cols the number of columns (inputs of a linear layer, or the embedding width)
 * @param offset the index of entry {@code (0, 0)} in the flat parameter list
 */
public record MatrixLayout(String name, int rows, int cols, int offset) {

    /**
     * Checks that the matrix can exist in a flat parameter list.
     *
     * @param name the matrix's name; not empty
     * @param rows at least 1
     * @param cols at least 1
     * @param offset at least 0
     * @throws NullPointerException if {@code name} is null
     * @throws IllegalArgumentException if the name is empty, a dimension is below 1, the offset
     *     is negative, or the matrix would end beyond {@link ParameterLayout#MAX_SIZE} parameters
     *     (so that {@link #size()} and {@link #index} cannot overflow)
     */
    public MatrixLayout {
        Objects.requireNonNull(name, "name");
        if (name.isEmpty()) {
            throw new IllegalArgumentException("a parameter matrix needs a name, got \"\"");
        }
        if (rows < 1 || cols < 1) {
            throw new IllegalArgumentException("parameter matrix " + name + " must be at least 1 x 1 (rows and cols"
                    + " at least 1), got rows " + rows + ", cols " + cols);
        }
        if (offset < 0) {
            throw new IllegalArgumentException("the offset of parameter matrix " + name
                    + " must be at least 0, got " + offset);
        }
        long end = offset + (long) rows * cols;
        if (end > ParameterLayout.MAX_SIZE) {
            throw new IllegalArgumentException("parameter matrix " + name + " (" + rows + " x " + cols + " at offset "
                    + offset + ") would end at parameter " + end + ", beyond the " + ParameterLayout.MAX_SIZE
                    + " a layout may have");
        }
    }

    /**
     * The number of entries, {@code rows * cols}.
     *
     * @return the size
     */
    public int size() {
        return rows * cols;
    }

    /**
     * The flat index of entry {@code (row, col)}.
     *
     * @param row the row
     * @param col the column
     * @return {@code offset + row * cols + col}
     * @throws IndexOutOfBoundsException if the row or column is outside the matrix
     */
    public int index(int row, int col) {
        if (row < 0 || row >= rows || col < 0 || col >= cols) {
            throw new IndexOutOfBoundsException("entry (" + row + ", " + col + ") is outside " + name
                    + ", which is " + rows + " x " + cols);
        }
        return offset + row * cols + col;
    }
}
