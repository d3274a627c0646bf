package io.github.microgpt.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.github.microgpt.checkpoint.Checkpoint;
import io.github.microgpt.model.Architecture;
import io.github.microgpt.model.ArrayGptModel;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.GptModel;
import io.github.microgpt.model.Precision;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.sample.Sampler;
import io.github.microgpt.sample.SamplingOptions;
import io.github.microgpt.text.Tokenizer;
import io.github.microgpt.text.VisibleText;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code microgpt generate}: its output, its controls and its errors. */
class GenerateCommandTest {

    private static final Pattern SAMPLE_LINE = Pattern.compile("sample +\\d+: [a-z]*");

    @TempDir
    static Path dir;
    private static String run;

    @BeforeAll
    static void train() {
        run = dir.resolve("run").toString();
        Cli.Result result = Cli.run("train", "--steps", "40", "--samples", "0", "--save", run);
        assertEquals(0, result.exitCode(), result.toString());
    }

    private static List<String> texts(Cli.Result result) {
        assertEquals(0, result.exitCode(), result.toString());
        assertEquals("", result.stderr());
        List<String> lines = result.stdoutLines();
        assertEquals("", lines.get(lines.size() - 1), "ends with a line break");
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < lines.size() - 1; i++) {
            String line = lines.get(i);
            assertTrue(SAMPLE_LINE.matcher(line).matches(), line);
            assertTrue(line.startsWith(String.format("sample %2d: ", i + 1)), line);
            texts.add(line.substring(line.indexOf(": ") + 2));
        }
        return texts;
    }

    @Test
    void printsTwentySamplesByDefaultAndTheSeedChoosesThem() {
        assertEquals(20, texts(Cli.run("generate", "--model", run)).size());
        List<String> seven = texts(Cli.run("generate", "--model", run, "--seed", "7", "--samples", "8"));
        assertEquals(8, seven.size());
        assertEquals(seven, texts(Cli.run("generate", "--model", run, "--seed", "7", "--samples", "8")));
        assertNotEquals(seven, texts(Cli.run("generate", "--model", run, "--seed", "8", "--samples", "8")));
        assertEquals(List.of(), texts(Cli.run("generate", "--model", run, "--samples", "0")));
    }

    @Test
    void theControlsShapeTheSamples() throws Exception {
        for (String text : texts(Cli.run("generate", "--model", run, "--prefix", "ma", "--samples", "15"))) {
            assertTrue(text.startsWith("ma"), text);
        }
        List<String> greedy = texts(Cli.run("generate", "--model", run, "--top-k", "1", "--samples", "5"));
        assertEquals(1, greedy.stream().distinct().count(), "top-1 always takes the most probable: " + greedy);
        for (String text : texts(Cli.run("generate", "--model", run, "--prefix", "k", "--max-length", "2",
                "--temperature", "1.5", "--samples", "20"))) {
            assertTrue(text.startsWith("k") && text.length() <= 3, text);
        }
        // The same as the library with the same options and seed.
        Checkpoint checkpoint = Checkpoint.load(Path.of(run));
        Sampler sampler = new Sampler(checkpoint.model(), checkpoint.tokenizer(), new PythonRandom(5));
        List<String> expected = sampler.samples(6, io.github.microgpt.sample.SamplingOptions.defaults()
                .withTopK(4).withTemperature(0.8).withPrefix("e"));
        assertEquals(expected, texts(Cli.run("generate", "--model", run, "--top-k", "4", "--temperature", "0.8",
                "--prefix", "e", "--seed", "5", "--samples", "6")));
    }

    @Test
    void aModelWithoutASavedRandomStateUsesSeed42() throws Exception {
        Tokenizer tokenizer = Tokenizer.ofCharacters("abcdefghijklmnopqrstuvwxyz");
        GptModel model = GptModel.create(GptConfig.defaults(), tokenizer.vocabSize(), new PythonRandom(1));
        Path modelOnly = dir.resolve("model-only");
        Checkpoint.save(modelOnly, model, tokenizer);
        List<String> expected = new Sampler(model, tokenizer, new PythonRandom(42)).samples(4, 0.5);
        assertEquals(expected, texts(Cli.run("generate", "--model", modelOnly.toString(), "--samples", "4")));
    }

    @Test
    void mistakesAreOneLineUsageErrors() throws Exception {
        assertUsage("missing required option: '--model=DIR'", "generate");
        assertUsage("cannot load the model: " + dir.resolve("nowhere") + ": no checkpoint here",
                "generate", "--model", dir.resolve("nowhere").toString());
        assertUsage("--prefix: character 'Q' (U+0051) at index 2 of \"abQ\" is not in the vocabulary",
                "generate", "--model", run, "--prefix", "abQ");
        assertUsage("--prefix: the prefix has 16 characters but the block size 16 leaves room for at most 15",
                "generate", "--model", run, "--prefix", "abcdefghijklmnop");
        assertUsage("--max-length: the maximum length 15 is more than the 14 characters",
                "generate", "--model", run, "--prefix", "ab", "--max-length", "15");
        assertUsage("--top-k must be at least 1, got 0", "generate", "--model", run, "--top-k", "0");
        assertUsage("--max-length must be at least 1, got 0", "generate", "--model", run, "--max-length", "0");
        assertUsage("--samples must be 0 or more, got -1", "generate", "--model", run, "--samples", "-1");
        assertUsage("--samples must be at most 1000000, got 2000000000", "generate", "--model", run, "--samples",
                "2000000000");
        assertUsage("--temperature must be a positive, finite number, got 0; ", "generate", "--model", run,
                "--temperature", "0");
        assertUsage("--temperature must be a positive, finite number, got -1e-1; ", "generate", "--model", run,
                "--temperature", "-1e-1");
        assertUsage("invalid value for option '--temperature': '1e309' is too large (it overflows a double); give a"
                + " positive, finite number, at most 1.7976931348623157E308", "generate", "--model", run,
                "--temperature", "1e309");
        assertUsage("invalid value for option '--temperature': '1e-999' is too small (it rounds to 0)", "generate",
                "--model", run, "--temperature", "1e-999");

        Path damaged = dir.resolve("damaged");
        Checkpoint.save(damaged, Checkpoint.load(Path.of(run)).model(), Checkpoint.load(Path.of(run)).tokenizer());
        Files.writeString(damaged.resolve("config.json"), Files.readString(damaged.resolve("config.json"))
                .replace("\"version\": 1", "\"version\": 9"));
        assertUsage("config.json: unsupported version 9", "generate", "--model", damaged.toString());
    }

    @Test
    void anF32CheckpointWhoseSamplesCannotFitIsRefusedBeforeSampling() throws Exception {
        // Weights of a few kilobytes, which the loader lets through; but width 1, one head and a
        // block of 100,000: every f32 sample allocates the attention weights of 100,000 x 100,000
        // positions, 40 GB. It ran out of memory in FloatWorkspace, with a stack trace and exit 1.
        Path crafted = dir.resolve("crafted-f32");
        Checkpoint.save(crafted, ArrayGptModel.create(new GptConfig(1, 1, 1, 100_000, 0.08), 27,
                new PythonRandom(1), Precision.F32), Tokenizer.ofCharacters("abcdefghijklmnopqrstuvwxyz"));
        String[] args = {"generate", "--model", crafted.toString(), "--samples", "1"};
        assertUsage("sampling the checkpoint's gpt model (", args);
        String line = Cli.run(args).stderrLines().get(0);
        assertTrue(line.contains("block size 100000"), line);
        assertTrue(line.contains(Runtime.getRuntime().maxMemory() + " bytes"), "names the heap: " + line);
        assertTrue(line.contains("JAVA_OPTS=-Xmx"), "says what to change: " + line);
        assertEquals(0, Cli.run("generate", "--model", crafted.toString(), "--samples", "0").exitCode(),
                "no sample, no workspace");
    }

    @Test
    void weightsWhoseLogitsOverflowAreAFailureThatSaysSoNotAnInternalError() throws Exception {
        // Finite weights, which the loader accepts, but each lm_head row of +-1.7e308 sums to an
        // infinite logit, and the softmax to NaN: generate said "internal error" and nothing of the
        // model's part in it.
        Path crafted = dir.resolve("overflowing");
        Checkpoint.save(crafted, GptModel.create(GptConfig.defaults(), 27, new PythonRandom(1)),
                Tokenizer.ofCharacters("abcdefghijklmnopqrstuvwxyz"));
        Path weights = crafted.resolve("model.safetensors");
        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(weights)).order(ByteOrder.LITTLE_ENDIAN);
        int headerLength = (int) bytes.getLong(0);
        JsonObject header = JsonParser.parseString(new String(bytes.array(), 8, headerLength,
                StandardCharsets.UTF_8)).getAsJsonObject();
        JsonArray offsets = header.getAsJsonObject("lm_head").getAsJsonArray("data_offsets");
        for (int at = offsets.get(0).getAsInt(), i = 0; at < offsets.get(1).getAsInt(); at += 8, i++) {
            bytes.putDouble(8 + headerLength + at, i % 2 == 0 ? 1.7e308 : -1.7e308);
        }
        Files.write(weights, bytes.array());
        String[] args = {"generate", "--model", crafted.toString(), "--samples", "1"};
        Cli.Result result = Cli.run(args);
        Cli.assertOneLineError(result, 1, "cannot sample from " + crafted + ": the model's logits are not finite",
                null, args);
        assertTrue(!result.stderr().contains("internal error"), result.stderr());
    }

    @Test
    void anAttentionCheckpointWithALongBlockNeedsAMaximumLengthThatFits() throws Exception {
        // The value engine's cache holds the graph of every position a sample reads: up to the
        // block of 100,000 for a model that never ends a sample, and with a second layer the first
        // layer's attention over every pair of positions: 2.5 TB at least; --max-length bounds it.
        Path crafted = dir.resolve("crafted-attention");
        Checkpoint.save(crafted, Architecture.ATTENTION.create(new GptConfig(2, 4, 1, 100_000, 0.08), 27,
                new PythonRandom(1)), Tokenizer.ofCharacters("abcdefghijklmnopqrstuvwxyz"));
        String[] args = {"generate", "--model", crafted.toString(), "--samples", "2"};
        assertUsage("at each of up to 100000 positions", args);
        String line = Cli.run(args).stderrLines().get(0);
        assertTrue(line.matches(".*give --max-length \\d+ or less.*"), "says what fits: " + line);
        List<String> samples = texts(Cli.run("generate", "--model", crafted.toString(), "--samples", "2",
                "--max-length", "5"));
        assertEquals(2, samples.size());
        assertTrue(samples.stream().allMatch(sample -> sample.length() <= 5), samples.toString());
    }

    @Test
    void aGptIsSampledOnTheArrayEngineWithTheValueEnginesSamples() throws Exception {
        // A block of 100,000: the value engine's graph could grow to 1.8 TB in a sample that never
        // ends; the array engine's cache is 13 MB, and its logits are the same bit for bit.
        Path crafted = dir.resolve("long-block-gpt");
        Checkpoint.save(crafted, GptModel.create(new GptConfig(1, 4, 1, 100_000, 0.08), 27, new PythonRandom(1)),
                Tokenizer.ofCharacters("abcdefghijklmnopqrstuvwxyz"));
        List<String> printed = texts(Cli.run("generate", "--model", crafted.toString(), "--samples", "4",
                "--max-length", "8", "--seed", "3"));
        Checkpoint checkpoint = Checkpoint.load(crafted);
        Sampler onValues = new Sampler(checkpoint.gptModel(), checkpoint.tokenizer(), new PythonRandom(3));
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            expected.add(onValues.sample(SamplingOptions.defaults().withTemperature(0.5).withMaxLength(8)));
        }
        assertEquals(expected, printed);
        assertEquals(20, texts(Cli.run("generate", "--model", run)).size(), "the reference run too");
    }

    /**
     * A prefix with a character a person cannot see (a zero-width space, a byte-order mark, a
     * right-to-left override, a no-break space) is refused with that character escaped, in the
     * place the message names it and where it quotes the prefix: shown as itself it looked like
     * nothing (or reordered the line), and the user could not see what was wrong.
     */
    @Test
    void aPrefixWithAnInvisibleCharacterIsRefusedShowingItEscaped() {
        for (String hidden : List.of("\u200B", "\uFEFF", "\u202E", "\u00A0", "\u2060")) {
            String escaped = String.format("\\u%04X", (int) hidden.charAt(0));
            String[] args = {"generate", "--model", run, "--prefix", "ma" + hidden + "x"};
            assertUsage("--prefix: character '" + escaped + "' (U+" + escaped.substring(2) + ") at index 2 of \"ma"
                    + escaped + "x\" is not in the vocabulary", args);
            assertTrue(Cli.run(args).stderr().chars().allMatch(c -> c < 0x7F), "all visible ASCII here");
        }
    }

    /** Every integer option reads plain ASCII decimal only: +5, 010 and other digits are refused. */
    @Test
    void integerOptionsArePlainAsciiDecimal() {
        for (String option : List.of("--top-k", "--samples", "--max-length", "--seed")) {
            // (-0 is told to drop its sign: HostileCommandLineTest.)
            for (String bad : List.of("+5", "010", "\uFF15", "\u0663", " 5", "5 ", "0x5", "5_0")) {
                assertUsage("invalid value for option '" + option + "': '" + VisibleText.escape(bad) + "' is not a plain"
                        + " whole number; write a whole number in the digits 0-9, without a plus sign, spaces or"
                        + " leading zeros (a minus sign in front for a negative number), such as 42",
                        "generate", "--model", run, option, bad);
            }
        }
        assertUsage("invalid value for option '--samples': '2147483648' is too large; the most is 2147483647",
                "generate", "--model", run, "--samples", "2147483648");
        assertUsage("invalid value for option '--seed': '-99999999999999999999' is too small; the least is "
                + Long.MIN_VALUE, "generate", "--model", run, "--seed", "-99999999999999999999");
        assertEquals(3, texts(Cli.run("generate", "--model", run, "--seed", "-7", "--samples", "3")).size(),
                "a negative seed is a seed");
    }

    private static void assertUsage(String cause, String... args) {
        Cli.Result result = Cli.run(args);
        Cli.assertOneLineError(result, 2, cause, "microgpt generate", args);
        assertEquals("", result.stdout());
    }
}
