package io.github.microgpt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.autograd.Value;
import io.github.microgpt.checkpoint.Checkpoint;
import io.github.microgpt.checkpoint.DataFingerprint;
import io.github.microgpt.model.ArrayGptModel;
import io.github.microgpt.model.ArrayKernels;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.GptModel;
import io.github.microgpt.model.LanguageModel;
import io.github.microgpt.model.Parameters;
import io.github.microgpt.model.ParameterLayout;
import io.github.microgpt.model.Precision;
import io.github.microgpt.model.Predictions;
import io.github.microgpt.model.BigramModel;
import io.github.microgpt.model.Softmax;
import io.github.microgpt.model.ValueOps;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.text.Documents;
import io.github.microgpt.text.VisibleText;
import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * What the review before freezing the API as 0.1.0 settled, each pinned so that it does not come
 * back unnoticed.
 */
class ApiFreezeTest {

    /**
     * {@link Precision} is how a model computes. A public {@code Checkpoint.save(..., Precision)}
     * used it for the file's number type as well, so {@code save(dir, f64Model, tokenizer, null,
     * Precision.F32)} read as "save an f32 model" while it rounded the weights of an f64 one. No
     * program called it; a save now always stores the model's own type, exactly.
     */
    @Test
    void noPublicSaveTakesAPrecision() {
        for (Method method : Checkpoint.class.getMethods()) {
            if (Modifier.isPublic(method.getModifiers()) && method.getName().equals("save")) {
                assertFalse(Arrays.asList(method.getParameterTypes()).contains(Precision.class), method.toString());
            }
        }
        assertEquals(2, Arrays.stream(Checkpoint.class.getMethods()).filter(m -> m.getName().equals("save")).count(),
                "save(directory, model, tokenizer) and save(directory, model, tokenizer, training)");
    }

    /**
     * {@code Documents.isRefused(int)} read as "is this document refused"; the rule is about one
     * character, and its name now says so.
     */
    @Test
    void theDocumentsRuleIsNamedForACharacter() {
        assertTrue(Documents.isRefusedCharacter(0x1B), "the escape that drives a terminal");
        assertTrue(Documents.isRefusedCharacter(0x2028), "the line separator");
        assertFalse(Documents.isRefusedCharacter('\t'), "the tab");
        assertFalse(Documents.isRefusedCharacter('a'));
        assertThrows(NoSuchMethodException.class, () -> Documents.class.getMethod("isRefused", int.class));
    }

    /**
     * The teaching models' forward passes are read line by line against {@code microgpt.py},
     * which divides each attention logit by {@code head_dim**0.5}. They called that divisor
     * {@code scale}, the name {@code ValueOps.rmsnorm} gives its multiplier; now its name says
     * what it is. A check of the source text (run from the module's directory, as Maven does).
     */
    @Test
    void theValueModelsNameTheAttentionDivisorAfterThePython() throws IOException {
        for (String model : List.of("GptModel", "AttentionModel")) {
            Path source = Path.of("src/main/java/io/github/microgpt/model", model + ".java");
            String text = Files.readString(source, StandardCharsets.UTF_8);
            assertTrue(text.contains("double sqrtHeadDim = Math.pow(headDim, 0.5);"), model);
            assertTrue(text.contains(".div(sqrtHeadDim);"), model);
            // No variable named scale (rmsnorm's multiplier in ValueOps has that name); the word may
            // still appear in prose, as in "scaled".
            assertFalse(java.util.regex.Pattern.compile("\\b(?:double|Value|var)\\s+scale\\b|\\(scale\\)")
                    .matcher(text).find(), model + " declares or divides by a 'scale'");
        }
    }

    /**
     * The module's convention (a null argument is refused at once with a
     * {@code NullPointerException} whose message is the parameter's name) held for the classes
     * {@code NullArgumentsTest} covers, but not for the helpers a learner calls first: each of
     * these said {@code Cannot read the array length because "x" is null} (or named a variable
     * of the method's body, {@code "z"}, {@code "vector"}), and a null matrix name was "no
     * parameter matrix is named "null"", an {@code IllegalArgumentException}. A null hash made
     * a {@code DataFingerprint} an {@code IllegalArgumentException} ("got null"), and a null
     * document in {@code DataFingerprint.of} the JVM's message about {@code document}.
     */
    @Test
    void theHelpersRefuseANullByTheParametersName() {
        Value[] v = {new Value(1.0)};
        GptModel model = GptModel.create(GptConfig.defaults().withNEmbd(4).withNHead(1).withBlockSize(4), 3,
                new PythonRandom(1));
        ParameterLayout layout = ParameterLayout.gpt(model.config(), 3);
        Map<String, Map.Entry<String, Executable>> cases = new java.util.LinkedHashMap<>();
        cases.put("ValueOps.linear(null, w)", Map.entry("x", () -> ValueOps.linear(null, new Value[][] {v})));
        cases.put("ValueOps.linear(x, null)", Map.entry("w", () -> ValueOps.linear(v, null)));
        cases.put("ValueOps.rmsnorm", Map.entry("x", () -> ValueOps.rmsnorm(null)));
        cases.put("ValueOps.softmax", Map.entry("logits", () -> ValueOps.softmax(null)));
        cases.put("ValueOps.dot(null, ...)", Map.entry("a", () -> ValueOps.dot(null, 0, v, 0, 1)));
        cases.put("ValueOps.dot(a, 0, null, ...)", Map.entry("b", () -> ValueOps.dot(v, 0, null, 0, 1)));
        cases.put("ValueOps.add(null, b)", Map.entry("a", () -> ValueOps.add(null, v)));
        cases.put("ValueOps.add(a, null)", Map.entry("b", () -> ValueOps.add(v, null)));
        cases.put("ValueOps.relu", Map.entry("x", () -> ValueOps.relu(null)));
        cases.put("ValueOps.tanh", Map.entry("x", () -> ValueOps.tanh(null)));
        cases.put("Softmax.softmax(null)", Map.entry("logits", () -> Softmax.softmax(null)));
        cases.put("Softmax.softmax(null, 1)", Map.entry("logits", () -> Softmax.softmax(null, 1.0)));
        cases.put("VisibleText.escape", Map.entry("text", () -> VisibleText.escape(null)));
        cases.put("VisibleText.escapeWhere(null, p)",
                Map.entry("text", () -> VisibleText.escapeWhere(null, VisibleText::isHidden)));
        cases.put("new DataFingerprint(0, null)", Map.entry("sha256", () -> new DataFingerprint(0, null)));
        cases.put("DataFingerprint.of([a, null])",
                Map.entry("documents[1]", () -> DataFingerprint.of(Arrays.asList("a", null))));
        cases.put("ParameterLayout.matrixLayout", Map.entry("name", () -> layout.matrixLayout(null)));
        cases.put("ParameterLayout.indexOf", Map.entry("name", () -> layout.indexOf(null)));
        cases.put("ParameterLayout.describes", Map.entry("parameters", () -> layout.describes(null)));
        cases.put("Parameters.matrixLayout", Map.entry("name", () -> model.parameters().matrixLayout(null)));
        cases.put("ValueLanguageModel.matrix", Map.entry("name", () -> model.matrix(null)));
        cases.put("Predictions.add", Map.entry("distribution", () -> new Predictions().add(0, null, 1.0)));
        cases.forEach((call, expected) -> {
            NullPointerException e = assertThrows(NullPointerException.class, expected.getValue(), call);
            assertEquals(expected.getKey(), e.getMessage(), call);
        });
    }

    /**
     * {@code Value.sumOfProducts} and {@code Value.sumsOfProducts} were public only because
     * {@code ValueOps}, which calls them, is in another package: a speed device on the class a
     * learner reads first, beside {@code microgpt.py}'s operations, and two more names for
     * {@code ValueOps.dot} and {@code ValueOps.linear}. {@code ValueOps} now reaches them through
     * the internal package.
     */
    @Test
    void valueShowsOnlyThePythonsOperations() {
        for (Method method : Value.class.getMethods()) {
            assertFalse(method.getName().startsWith("sumOf") || method.getName().startsWith("sumsOf"),
                    method.toString());
        }
        Value[] x = {new Value(2.0), new Value(3.0)};
        assertEquals(13.0, ValueOps.dot(x, 0, x, 0, 2).data(), "ValueOps.dot still makes the sum");
    }

    /**
     * {@code Precision.of} answered {@code F64} for any model it did not know, where
     * {@code Engine.of} and {@code Architecture.of} answer empty: a wrapper around an f32 array
     * model was called f64. It now answers as they do.
     */
    @Test
    void precisionOfAnUnknownModelIsEmptyAsEngineOfIs() {
        GptConfig config = GptConfig.defaults();
        ArrayGptModel f32 = ArrayGptModel.create(config, 27, new PythonRandom(42), Precision.F32);
        LanguageModel wrapper = new LanguageModel() {
            @Override
            public double lossAndGradients(int[] tokens, int from, int to, Predictions predictions) {
                return f32.lossAndGradients(tokens, from, to, predictions);
            }

            @Override
            public int vocabSize() {
                return f32.vocabSize();
            }

            @Override
            public GptConfig config() {
                return f32.config();
            }

            @Override
            public Sequence newSequence() {
                return f32.newSequence();
            }

            @Override
            public Parameters parameters() {
                return f32.parameters();
            }
        };
        assertEquals(Optional.empty(), Precision.of(wrapper));
        assertEquals(Optional.empty(), io.github.microgpt.model.Engine.of(wrapper));
        assertEquals(Optional.of(Precision.F32), Precision.of(f32));
        assertEquals(Optional.of(Precision.F64), Precision.of(BigramModel.create(config, 27, new PythonRandom(1))));
    }

    /**
     * {@code ArrayKernels.implementation()} returned {@code "plain"} or {@code "vector"}: a closed
     * set of names, compared as strings (a typo compiles and is silently false), where the
     * module's other choices ({@code Engine}, {@code Precision}) are enums with an {@code id()}.
     */
    @Test
    void theKernelsAreAnEnumWithAnId() throws NoSuchMethodException {
        assertEquals(ArrayKernels.Implementation.class, ArrayKernels.class.getMethod("implementation").getReturnType());
        assertEquals(ArrayKernels.Implementation.PLAIN, ArrayKernels.implementation(), "the core's tests have no vector module");
        assertEquals(List.of("plain", "vector"),
                Arrays.stream(ArrayKernels.Implementation.values()).map(ArrayKernels.Implementation::id).toList());
    }

    /**
     * The events, {@code NextToken.Candidate}, {@code ExpressionGraph}'s nodes, edges and steps and
     * {@code ResumedTraining} were records: their public canonical constructors and record
     * patterns would break at the first component a later release adds. The library makes them
     * and users only read them, so they are final classes with accessors and no public
     * constructor. Records remain for values, whoever makes them: the settings users make
     * ({@code GptConfig}, ...) and the values the library hands out that a program may also make,
     * compare or keep ({@code MatrixLayout}, {@code DataFingerprint}, {@code TrainingState}).
     */
    @Test
    void whatTheLibraryHandsOutIsAFinalClassWithoutAPublicConstructor() {
        for (Class<?> type : List.of(io.github.microgpt.model.AttentionEvent.class,
                io.github.microgpt.train.GradientEvent.class, io.github.microgpt.train.PositionEvent.class,
                io.github.microgpt.train.StepEvent.class, io.github.microgpt.sample.TokenEvent.class,
                io.github.microgpt.sample.SampleEvent.class, io.github.microgpt.sample.NextToken.Candidate.class,
                io.github.microgpt.autograd.ExpressionGraph.Node.class,
                io.github.microgpt.autograd.ExpressionGraph.Edge.class,
                io.github.microgpt.autograd.ExpressionGraph.BackwardStep.class,
                io.github.microgpt.checkpoint.ResumedTraining.class)) {
            assertFalse(type.isRecord(), type.getName());
            assertTrue(Modifier.isFinal(type.getModifiers()), type.getName());
            assertEquals(0, type.getConstructors().length, type.getName() + " has a public constructor");
        }
        assertTrue(GptConfig.class.isRecord(), "a value users make stays a record");
        for (Class<?> value : List.of(io.github.microgpt.model.MatrixLayout.class, DataFingerprint.class,
                io.github.microgpt.train.TrainerState.class, io.github.microgpt.checkpoint.TrainingState.class)) {
            assertTrue(value.isRecord(), "a value the library hands out stays a record: " + value.getName());
        }
    }
}
