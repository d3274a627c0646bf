package io.github.microgpt.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.github.microgpt.autograd.Value;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Vectors of the wrong length are refused by name, not cut short as Python's {@code zip} would. */
class ValueOpsShapeTest {

    private static Value[] vector(double... values) {
        Value[] v = new Value[values.length];
        for (int i = 0; i < values.length; i++) {
            v[i] = new Value(values[i]);
        }
        return v;
    }

    @Test
    void addingVectorsOfDifferentLengthsIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ValueOps.add(vector(1), vector(1, 2)));
        assertEquals("cannot add vectors of 1 and 2 elements; they must be as long", e.getMessage());
    }

    @Test
    void addingVectorsOfEqualLengthsAddsEachPair() {
        Value[] sum = ValueOps.add(vector(1, 2), vector(10, 20));
        assertEquals(11.0, sum[0].data());
        assertEquals(22.0, sum[1].data());
    }

    @Test
    void aWeightRowLongerThanTheInputIsRefused() {
        Value[][] w = {vector(1, 2), vector(3, 4, 5)};
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ValueOps.linear(vector(1, 1), w));
        assertEquals("row 1 of the weights has 3 columns but the input has 2 elements; they must be equal",
                e.getMessage());
    }

    @Test
    void aWeightRowShorterThanTheInputIsRefused() {
        Value[][] w = {vector(1)};
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ValueOps.linear(vector(1, 1), w));
        assertEquals("row 0 of the weights has 1 columns but the input has 2 elements; they must be equal",
                e.getMessage());
    }

    @Test
    void rmsnormOfAnEmptyVectorIsRefusedInItsOwnName() {
        // It used to report the internal call: "Value.sumOfProducts needs at least one term, got 0".
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ValueOps.rmsnorm(new Value[0]));
        assertEquals("rmsnorm needs at least one value", e.getMessage());
    }

    @Test
    void linearOfAnEmptyInputIsRefusedInItsOwnName() {
        // It reported the internal call ("Value.sumsOfProducts needs at least one term, got 0")
        // or, for rows of weights, a mismatch of columns rather than the empty input.
        for (Value[][] w : List.of(new Value[][] {new Value[0], new Value[0]}, new Value[][] {vector(1), vector(2)})) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ValueOps.linear(new Value[0], w));
            assertEquals("linear needs an input x of at least one element (each of its 2 outputs is a sum of"
                    + " w[o][i] * x[i] over x), got an empty x", e.getMessage());
        }
        assertEquals(0, ValueOps.linear(new Value[0], new Value[0][]).length, "no rows, no outputs");
        assertEquals(0, ValueOps.linear(vector(1, 2), new Value[0][]).length, "no rows, no outputs");
    }

    @Test
    void aDotOfNoTermsIsRefusedInItsOwnName() {
        // It reported the internal call: "Value.sumOfProducts needs at least one term, got 0".
        for (int length : new int[] {0, -1}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ValueOps.dot(vector(1, 2), 0, vector(3, 4), 0, length));
            assertEquals("dot needs a length of at least 1 (the number of products it sums), got " + length,
                    e.getMessage());
        }
        assertEquals(11.0, ValueOps.dot(vector(1, 2), 0, vector(3, 4), 0, 2).data());
    }

    @Test
    void aDotStretchBeyondItsVectorIsRefusedNamingIt() {
        // It said "Range [1, 1 + 2) out of bounds for length 2", naming neither the vector nor dot.
        IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class,
                () -> ValueOps.dot(vector(1, 2, 3), 0, vector(3, 4), 1, 2));
        assertEquals("dot's stretch of b, [1, 3), does not fit in its 2 elements", e.getMessage());
        e = assertThrows(IndexOutOfBoundsException.class,
                () -> ValueOps.dot(vector(1, 2), -1, vector(3, 4), 0, 1));
        assertEquals("dot's stretch of a, [-1, 0), does not fit in its 2 elements", e.getMessage());
        e = assertThrows(IndexOutOfBoundsException.class,
                () -> ValueOps.dot(vector(1, 2), 1, vector(3, 4), 0, Integer.MAX_VALUE));
        assertEquals("dot's stretch of a, [1, 2147483648), does not fit in its 2 elements", e.getMessage());
    }

    @Test
    void rmsnormDividesByTheRootOfTheMeanSquare() {
        Value[] out = ValueOps.rmsnorm(vector(3, 4));
        double scale = Math.pow((9.0 + 16.0) / 2 + 1e-5, -0.5);
        assertEquals(3 * scale, out[0].data());
        assertEquals(4 * scale, out[1].data());
    }

    @Test
    void linearIsEachRowDottedWithTheInput() {
        Value[] out = ValueOps.linear(vector(2, 3), new Value[][] {vector(1, 10), vector(-1, 0)});
        assertEquals(32.0, out[0].data());
        assertEquals(-2.0, out[1].data());
    }
}
