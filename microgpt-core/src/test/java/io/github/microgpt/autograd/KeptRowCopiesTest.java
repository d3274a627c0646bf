package io.github.microgpt.autograd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.internal.ValueSums;
import io.github.microgpt.testsupport.FreshThread;
import io.github.microgpt.testsupport.ReachableArrays;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The copies of weight rows a thread keeps for {@link Value#sumsOfProducts} (a linear layer), so
 * that the positions of a document copy a matrix once: which matrices are kept, and that what a
 * thread keeps stays within {@link ValueSums#MOST_KEPT_BYTES}, counted exactly. Each test runs on
 * a fresh thread, whose kept copies start empty.
 */
class KeptRowCopiesTest {

    /**
     * A model of 3 layers of the default width reads 19 matrices at each position. A table of the
     * 16 matrices read last replaced, at each call, the matrix the next call would read: every
     * row was copied again at every position (5,584 bytes a call instead of 1,840).
     */
    @Test
    void everyMatrixOfAThreeLayerModelIsCopiedOnce() throws InterruptedException {
        FreshThread.call(() -> {
            List<Value[][]> model = new ArrayList<>();
            for (int layer = 0; layer < 3; layer++) {
                for (int i = 0; i < 4; i++) {
                    model.add(matrix(16, 16));  // attention's q, k, v and output
                }
                model.add(matrix(64, 16));      // mlp_fc1
                model.add(matrix(16, 64));      // mlp_fc2
            }
            model.add(matrix(27, 16));          // lm_head
            List<Value[]> first = position(model);
            List<Value[]> second = position(model);
            for (int m = 0; m < model.size(); m++) {
                for (int o = 0; o < model.get(m).length; o++) {
                    assertTrue(rowCopy(first.get(m)[o]) == rowCopy(second.get(m)[o]), "matrix " + m + ", row " + o);
                }
            }
            assertTrue(kept().bytes() <= ValueSums.MOST_KEPT_BYTES);
            return null;
        });
    }

    /**
     * Matrices whose copies take more than a thread keeps: those read first stay kept, position
     * after position, and the others are copied at every call (a table that replaced the matrix
     * read longest ago would have copied them all).
     */
    @Test
    void aModelLargerThanWhatFitsKeepsTheMatricesItReadFirst() throws InterruptedException {
        FreshThread.call(() -> {
            long each = (long) ValueSums.keptBytes(256, 64);
            int fit = (int) (ValueSums.MOST_KEPT_BYTES / each);
            assertTrue(fit >= 2, "several fit");
            List<Value[][]> model = new ArrayList<>();
            for (int i = 0; i < 2 * fit + 1; i++) {
                model.add(matrix(256, 64));
            }
            List<Value[]> first = position(model);
            List<Value[]> second = position(model);
            List<Value[]> third = position(model);
            for (int m = 0; m < model.size(); m++) {
                if (m < fit) {
                    assertTrue(rowCopy(first.get(m)[5]) == rowCopy(third.get(m)[5]), "matrix " + m + " is kept");
                } else {
                    assertTrue(rowCopy(second.get(m)[5]) != rowCopy(third.get(m)[5]), "matrix " + m + " does not fit");
                }
            }
            assertEquals(fit * each, kept().bytes());
            assertCountIsWhatIsHeld();
            return null;
        });
    }

    /**
     * Matrices no longer read give way to a model's matrices once they have gone unread for
     * {@link Value.RowSnapshots#IDLE_CALLS} calls, and not before; at every call what is kept
     * stays within the limit and its count is the bytes its arrays hold (plus the record of each
     * matrix), whatever the shapes, down to matrices of one column or one weight.
     */
    @Test
    void whatAThreadKeepsStaysWithinItsLimitAndOldMatricesGiveWay() throws InterruptedException {
        FreshThread.call(() -> {
            List<Value[][]> old = new ArrayList<>();
            long bytes = 0;
            for (int i = 0; bytes <= ValueSums.MOST_KEPT_BYTES; i++) {
                Value[][] m = i % 3 == 0 ? matrix(40, 1) : i % 3 == 1 ? matrix(1, 1) : matrix(48, 16);
                old.add(m);
                bytes += (long) ValueSums.keptBytes(m.length, m[0].length);
            }
            position(old);
            assertTrue(kept().bytes() <= ValueSums.MOST_KEPT_BYTES);
            assertTrue(kept().bytes() > ValueSums.MOST_KEPT_BYTES - ValueSums.keptBytes(48, 16), "filled");
            assertCountIsWhatIsHeld();

            // A new model finds no room while the old matrices were read lately (its first matrix
            // is larger than the room left, at most the last old matrix, which did not fit)...
            List<Value[][]> model = List.of(matrix(64, 16), matrix(16, 64), matrix(16, 16));
            int calls = old.size();
            List<Value[]> before = position(model);
            calls += model.size();
            assertTrue(rowCopy(before.get(0)[0]) != rowCopy(position(model).get(0)[0]), "no room yet");
            calls += model.size();
            // ... and takes the place of those unread for IDLE_CALLS calls.
            while (calls < old.size() + Value.RowSnapshots.IDLE_CALLS) {
                position(model);
                calls += model.size();
                assertTrue(kept().bytes() <= ValueSums.MOST_KEPT_BYTES);
            }
            List<Value[]> now = position(model);
            List<Value[]> next = position(model);
            for (int m = 0; m < model.size(); m++) {
                assertTrue(rowCopy(now.get(m)[3]) == rowCopy(next.get(m)[3]), "matrix " + m + " of the new model");
            }
            assertTrue(kept().bytes() <= ValueSums.MOST_KEPT_BYTES);
            assertCountIsWhatIsHeld();
            return null;
        });
    }

    /** A matrix of new leaves, each weight its own number. */
    private static Value[][] matrix(int rows, int columns) {
        Value[][] w = new Value[rows][columns];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < columns; c++) {
                w[r][c] = new Value((r * 31 + c) * 0.001 - 0.5);
            }
        }
        return w;
    }

    /** Reads each matrix with a new input, as a model reads its layers at one position. */
    private static List<Value[]> position(List<Value[][]> model) {
        List<Value[]> outputs = new ArrayList<>();
        for (Value[][] w : model) {
            Value[] x = new Value[w[0].length];
            for (int i = 0; i < x.length; i++) {
                x[i] = new Value(i * 0.25).exp();
            }
            outputs.add(Value.sumsOfProducts(w, x));
        }
        return outputs;
    }

    /** The copy of the weights' row a sum of products holds (its terms' first operands). */
    private static Object rowCopy(Value sum) throws ReflectiveOperationException {
        Field termsField = Value.class.getDeclaredField("terms");
        termsField.setAccessible(true);
        Object terms = termsField.get(sum);
        Field a = terms.getClass().getDeclaredField("a");
        a.setAccessible(true);
        return a.get(terms);
    }

    private static Value.RowSnapshots kept() {
        return Value.RowSnapshots.forThisThread();
    }

    /**
     * The count of what this thread keeps is the bytes of the arrays its entries hold (their
     * weights not followed: the weights are a model's) and {@link ValueSums#KEPT_MATRIX_BYTES}
     * for each entry, every row of them having been read.
     */
    private static void assertCountIsWhatIsHeld() throws IllegalAccessException {
        Object[] entries = kept().entries();
        Set<Object> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        long held = 0;
        for (Object entry : entries) {
            held += ReachableArrays.bytes(entry, o -> o.getClass() == entry.getClass(),
                    f -> f.getType() != Value.class, seen);
        }
        assertEquals(kept().bytes(), held + (long) entries.length * ValueSums.KEPT_MATRIX_BYTES);
    }
}
