package io.github.microgpt.model;

/**
 * One named weight matrix of a model and where its entries sit in the flat parameter list.
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
public record ParameterMatrix(String name, int rows, int cols, int offset) {

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
