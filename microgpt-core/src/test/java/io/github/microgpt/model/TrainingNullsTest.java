package io.github.microgpt.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.github.microgpt.random.PythonRandom;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.function.Executable;

/**
 * A null handed to a training call is refused by name, in every engine and precision, before
 * anything changes: {@code lossAndGradients(null, ..)} says {@code tokens} (it said the JVM's
 * "Cannot read the array length because "tokens" is null"), {@code batchLossAndGradients(null, ..)}
 * says {@code documents} (it said "Cannot invoke "java.util.List.isEmpty()""), and a null document
 * in a batch says {@code documents[b]}, as {@code new Trainer} does (it said "document b of the
 * batch has fewer than 2 tokens", which blamed a length the document does not have).
 */
class TrainingNullsTest {

    private static final GptConfig CONFIG = GptConfig.defaults().withNEmbd(4).withNHead(1).withBlockSize(4);
    private static final int VOCAB = 3;

    private record Model(String name, LanguageModel model) {
    }

    private static Stream<Model> models() {
        return Stream.of(
                new Model("VALUE", Engine.VALUE.create(CONFIG, VOCAB, new PythonRandom(1))),
                new Model("ARRAY F64", Engine.ARRAY.create(CONFIG, VOCAB, new PythonRandom(1), Precision.F64)),
                new Model("ARRAY F32", Engine.ARRAY.create(CONFIG, VOCAB, new PythonRandom(1), Precision.F32)));
    }

    private static DynamicTest refused(Model m, String call, String name, Executable executable) {
        return DynamicTest.dynamicTest(m.name() + " " + call, () -> {
            double[] before = m.model().parameters().grads();
            NullPointerException e = assertThrows(NullPointerException.class, executable);
            assertEquals(name, e.getMessage());
            assertArrayEquals(before, m.model().parameters().grads(), "no gradient changed");
        });
    }

    @TestFactory
    Stream<DynamicTest> aNullTokensArrayIsNamed() {
        return models().flatMap(m -> Stream.of(
                refused(m, "lossAndGradients(null, 0, 1)", "tokens", () -> m.model().lossAndGradients(null, 0, 1)),
                // null first: the positions are bad too, but the null is what is reported
                refused(m, "lossAndGradients(null, 5, 1)", "tokens", () -> m.model().lossAndGradients(null, 5, 1))));
    }

    @TestFactory
    Stream<DynamicTest> aNullBatchIsNamed() {
        return models().flatMap(m -> Stream.of(
                refused(m, "batchLossAndGradients(null, 1)", "documents",
                        () -> m.model().batchLossAndGradients(null, 1)),
                // null first: the thread count is bad too
                refused(m, "batchLossAndGradients(null, 0)", "documents",
                        () -> m.model().batchLossAndGradients(null, 0))));
    }

    @TestFactory
    Stream<DynamicTest> aNullDocumentOfABatchIsNamedByItsIndex() {
        List<int[]> batch = Arrays.asList(new int[] {2, 0, 2}, new int[] {2, 1, 2}, null);
        return models().map(m -> refused(m, "batchLossAndGradients([doc, doc, null], 1)", "documents[2]",
                () -> m.model().batchLossAndGradients(batch, 1)));
    }
}
