package io.github.microgpt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.github.microgpt.internal.PythonFormat;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.GptModel;
import io.github.microgpt.model.MatrixLayout;
import io.github.microgpt.model.Parameters;
import io.github.microgpt.optim.AdamOptimizer;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.sample.Sampler;
import io.github.microgpt.testsupport.TestResources;
import io.github.microgpt.text.Documents;
import io.github.microgpt.text.Tokenizer;
import io.github.microgpt.train.StepEvent;
import io.github.microgpt.train.StepMode;
import io.github.microgpt.train.Trainer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The reference run of {@code microgpt.py} (seed 42, the 32,033 names, 1000 steps, 20 samples at
 * temperature 0.5), reproduced through the public API and compared with the golden trace.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GoldenRunTest {

    private final JsonObject golden = TestResources.goldenJson();
    private List<String> docs;
    private Tokenizer tokenizer;
    private GptModel model;
    private double[] initialWeights;
    private final List<Double> losses = new ArrayList<>();
    private List<String> samples;

    @BeforeAll
    void runTheReference() throws Exception {
        PythonRandom random = new PythonRandom(42);
        docs = new ArrayList<>(Documents.load(TestResources.namesFile()));
        random.shuffle(docs);
        tokenizer = Tokenizer.fromDocuments(docs);
        model = GptModel.create(GptConfig.defaults(), tokenizer.vocabSize(), random);
        initialWeights = model.parameters().values();
        Trainer trainer = new Trainer(model, tokenizer, docs, new AdamOptimizer(model.numParameters()), 1000);
        trainer.addStepListener(event -> losses.add(event.loss()));
        trainer.run(StepMode.DOCUMENT);
        samples = new Sampler(model, tokenizer, random).samples(20, 0.5);
    }

    @Test
    void shufflesTheDocumentsExactly() {
        assertEquals(golden.get("num_docs").getAsInt(), docs.size());
        assertEquals(strings(golden.getAsJsonArray("first_docs")), docs.subList(0, 5));
    }

    @Test
    void buildsTheSameVocabularyAndParameters() {
        assertEquals(golden.get("vocab_size").getAsInt(), tokenizer.vocabSize());
        assertEquals(golden.get("uchars").getAsString(), tokenizer.characters());
        assertEquals(golden.get("num_params").getAsInt(), model.numParameters());
        List<String> order = new ArrayList<>();
        for (MatrixLayout m : model.parameters().matrixLayouts()) {
            order.add("[" + m.name() + ", " + m.rows() + ", " + m.cols() + "]");
        }
        List<String> expected = new ArrayList<>();
        for (JsonElement e : golden.getAsJsonArray("state_dict_order")) {
            JsonArray a = e.getAsJsonArray();
            expected.add("[" + a.get(0).getAsString() + ", " + a.get(1).getAsInt() + ", " + a.get(2).getAsInt() + "]");
        }
        assertEquals(expected, order);
    }

    @Test
    void drawsTheInitialWeightsToWithinOneUlp() {
        Parameters parameters = model.parameters();
        JsonObject firstTen = golden.getAsJsonObject("init_weights_first10_hex");
        for (String name : firstTen.keySet()) {
            MatrixLayout m = parameters.matrixLayout(name);
            JsonArray values = firstTen.getAsJsonArray(name);
            for (int i = 0; i < values.size(); i++) {
                double expected = Double.parseDouble(values.get(i).getAsString());
                assertEquals(expected, initialWeights[m.offset() + i], 1e-15, name + "[" + i + "]");
            }
        }
        double sum = 0;
        for (double w : initialWeights) {
            sum += w;
        }
        assertEquals(Double.parseDouble(golden.get("init_params_sum").getAsString()), sum, 1e-12);
        assertEquals(Double.parseDouble(golden.get("init_params_last").getAsString()),
                initialWeights[initialWeights.length - 1], 1e-15);
    }

    @Test
    void reproducesEveryLossToFourDecimals() {
        JsonArray printed = golden.getAsJsonArray("losses_printed");
        JsonArray hex = golden.getAsJsonArray("losses_hex");
        assertEquals(printed.size(), losses.size());
        int identical = 0;
        double largest = 0;
        for (int i = 0; i < losses.size(); i++) {
            assertEquals(printed.get(i).getAsString(), fourDecimals(losses.get(i)), "loss of step " + (i + 1));
            double expected = Double.parseDouble(hex.get(i).getAsString());
            if (Double.doubleToRawLongBits(expected) == Double.doubleToRawLongBits(losses.get(i))) {
                identical++;
            }
            largest = Math.max(largest, Math.abs(expected - losses.get(i)));
        }
        System.out.printf("golden run: %d of %d losses bit-identical, largest difference %.3e%n",
                identical, losses.size(), largest);
        assertTrue(largest < 1e-9, "largest loss difference " + largest);
    }

    @Test
    void generatesTheSameSamples() {
        assertEquals(strings(golden.getAsJsonArray("samples")), samples);
    }

    /** Python's {@code f"{x:.4f}"}, as the command line prints it. */
    private static String fourDecimals(double x) {
        return PythonFormat.fourDecimals(x);
    }

    private static List<String> strings(JsonArray array) {
        List<String> out = new ArrayList<>();
        array.forEach(e -> out.add(e.getAsString()));
        return out;
    }
}
