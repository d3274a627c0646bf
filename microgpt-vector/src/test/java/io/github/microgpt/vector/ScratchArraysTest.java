package io.github.microgpt.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.github.microgpt.internal.kernels.ArrayBytes;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link ScratchArrays.Ledger}, which counts the module's scratch without allocating it
 * ({@link ScratchSizes}), against the arrays {@link ScratchArrays#atLeast} really grows: the
 * same shapes, asked in the same order, must come to the same bytes.
 */
class ScratchArraysTest {

    @Test
    void theLedgerGrowsAsAtLeastDoes() {
        Random random = new Random(42);
        for (int round = 0; round < 200; round++) {
            double[][] doubles = new double[0][];
            float[][] floats = new float[0][];
            ScratchArrays.Ledger ledger = new ScratchArrays.Ledger();
            for (int ask = 0; ask < 1 + random.nextInt(6); ask++) {
                // Rows of 0 too: an array of no rows keeps no row length (see Ledger.atLeast).
                int rows = random.nextInt(5);
                int cols = random.nextInt(40);
                doubles = ScratchArrays.atLeast(doubles, rows, cols);
                floats = ScratchArrays.atLeast(floats, rows, cols);
                ledger.atLeast("doubles", Double.BYTES, rows, cols);
                ledger.atLeast("floats", Float.BYTES, rows, cols);
            }
            long real = rowsBytes(doubles.length, doubles.length == 0 ? 0 : doubles[0].length, Double.BYTES)
                    + rowsBytes(floats.length, floats.length == 0 ? 0 : floats[0].length, Float.BYTES);
            assertEquals(real, ledger.bytes(), "round " + round);
        }
    }

    @Test
    void atLeastKeepsWhatServes() {
        double[][] held = ScratchArrays.atLeast(new double[0][], 3, 7);
        assertSame(held, ScratchArrays.atLeast(held, 2, 7));
        double[][] grown = ScratchArrays.atLeast(held, 2, 9);
        assertEquals(3, grown.length, "never fewer rows than held");
        assertEquals(9, grown[0].length);
    }

    @Test
    void aFlatArrayIsAsLongAsTheLongestAsked() {
        ScratchArrays.Ledger ledger = new ScratchArrays.Ledger();
        ledger.flat("tile", Float.BYTES, 5);
        ledger.flat("tile", Float.BYTES, 3);
        // 16 bytes of header, 20 of floats, rounded up to 40.
        assertEquals(40, ledger.bytes());
    }

    /** {@code rows} arrays of {@code cols} numbers and the array of references that holds them. */
    private static long rowsBytes(int rows, int cols, int numberBytes) {
        return align(16 + (long) rows * ArrayBytes.REFERENCE_BYTES) + rows * align(16 + (long) cols * numberBytes);
    }

    private static long align(long bytes) {
        return (bytes + 7) / 8 * 8;
    }
}
