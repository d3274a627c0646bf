package io.github.microgpt.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The order in which the optimizer updates an array model's rows on several threads
 * ({@link UpdateOrder}): every row exactly once, and each thread's share made of its share of
 * every matrix, the matrices last first, each share's rows from its last to its first.
 */
class UpdateOrderTest {

    private static final GptConfig CONFIG = new GptConfig(3, 24, 4, 10, 0.08);
    private static final int VOCAB = 7;

    @Test
    void oneThreadKeepsRowOrder() {
        ParameterLayout layout = ParameterLayout.gpt(CONFIG, VOCAB);
        assertNull(UpdateOrder.of(layout.matrixLayouts(), firstRows(layout), rows(layout), 1));
        ArrayGptModel model = ArrayGptModel.create(CONFIG, VOCAB, new io.github.microgpt.random.PythonRandom(1));
        assertNull(((ArrayParameters) model.parameters()).updateOrder(), "a new model runs on one thread");
        model.setThreads(2);
        model.setThreads(1);
        assertNull(((ArrayParameters) model.parameters()).updateOrder(), "back on one thread");
    }

    @Test
    void eachThreadTakesItsShareOfEveryMatrixLastMatrixFirst() {
        ParameterLayout layout = ParameterLayout.gpt(CONFIG, VOCAB);
        List<MatrixLayout> matrices = layout.matrixLayouts();
        int[] first = firstRows(layout);
        int rows = rows(layout);
        for (int threads = 2; threads <= 5; threads++) {
            int[] order = UpdateOrder.of(matrices, first, rows, threads);
            // Built independently: part k lists, matrix by matrix from the last, the rows
            // [R k / T, R (k + 1) / T) of that matrix, from the last to the first.
            List<Integer> expected = new ArrayList<>();
            for (int k = 0; k < threads; k++) {
                for (int m = matrices.size() - 1; m >= 0; m--) {
                    int count = matrices.get(m).rows();
                    for (int r = count * (k + 1) / threads - 1; r >= count * k / threads; r--) {
                        expected.add(first[m] + r);
                    }
                }
            }
            assertArrayEquals(expected.stream().mapToInt(Integer::intValue).toArray(), order, threads + " threads");
            int[] sorted = order.clone();
            Arrays.sort(sorted);
            for (int r = 0; r < rows; r++) {
                assertEquals(r, sorted[r], threads + " threads: every row exactly once");
            }
        }
    }

    @Test
    void theModelsRowsCarryTheOrderOfTheirTeamInBothPrecisions() {
        ParameterLayout layout = ParameterLayout.gpt(CONFIG, VOCAB);
        int[] expected = UpdateOrder.of(layout.matrixLayouts(), firstRows(layout), rows(layout), 3);
        ArrayGptModel f64 = ArrayGptModel.create(CONFIG, VOCAB, new io.github.microgpt.random.PythonRandom(1))
                .setThreads(3);
        assertArrayEquals(expected, ((ArrayParameters) f64.parameters()).updateOrder());
        ArrayGptModel f32 = ArrayGptModel.create(CONFIG, VOCAB, new io.github.microgpt.random.PythonRandom(1),
                Precision.F32).setThreads(3);
        assertArrayEquals(expected, ((FloatParameters) f32.parameters()).updateOrder());
        int[] kept = ((FloatParameters) f32.parameters()).updateOrder();
        f32.setThreads(3);
        assertSame(kept, ((FloatParameters) f32.parameters()).updateOrder(), "the same team keeps its order");
    }

    private static int[] firstRows(ParameterLayout layout) {
        List<MatrixLayout> matrices = layout.matrixLayouts();
        int[] first = new int[matrices.size()];
        int row = 0;
        for (int m = 0; m < matrices.size(); m++) {
            first[m] = row;
            row += matrices.get(m).rows();
        }
        return first;
    }

    private static int rows(ParameterLayout layout) {
        int rows = 0;
        for (MatrixLayout m : layout.matrixLayouts()) {
            rows += m.rows();
        }
        return rows;
    }
}
