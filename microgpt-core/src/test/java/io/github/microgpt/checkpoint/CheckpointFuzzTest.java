package io.github.microgpt.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.model.Architecture;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.GptModel;
import io.github.microgpt.model.LanguageModel;
import io.github.microgpt.optim.AdamOptimizer;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.testing.Cases;
import io.github.microgpt.testing.Gen;
import io.github.microgpt.text.Tokenizer;
import io.github.microgpt.train.StepMode;
import io.github.microgpt.train.Trainer;
import io.github.microgpt.train.TrainingDivergedException;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Feeds thousands of damaged checkpoints to {@link Checkpoint#load}: bit flips, truncations,
 * extensions, corrupted length fields, edits of the JSON (numbers, strings, keys, nesting), NaNs
 * in the data, missing and replaced files. Every one must either load into a valid model or be
 * refused with a {@link CheckpointException} naming a file of the checkpoint; never another
 * exception, never a hang, and never more memory than a few times the files' size (measured per
 * load, so an allocation sized by a corrupted length is caught even when the heap could hold it).
 *
 * <p>Each case is seeded; a failure names its seed, and {@code -Dmicrogpt.test.case=SEED} replays
 * it alone. {@code -Dmicrogpt.test.scale=10} runs ten times as many.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CheckpointFuzzTest {

    private static final int CASES = 4000;
    /** Far more than loading these few kilobytes needs, far less than any length a damaged field can claim. */
    private static final long ALLOCATION_LIMIT = 64L << 20;
    private static final List<String> DOCS = List.of("anna", "bob", "zoë", "emma", "li", "x");
    private static final List<String> FILES = List.of(Checkpoint.MODEL_FILE, Checkpoint.CONFIG_FILE,
            Format.OPTIMIZER_FILE, Format.TRAINER_FILE);
    private static final Pattern NUMBER = Pattern.compile("-?\\d+(\\.\\d+)?([eE][+-]?\\d+)?");
    private static final Pattern STRING = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"");
    private static final String[] NUMBERS = {"0", "-1", "1", "2", "3", "7", "16", "624", "625", "2147483647",
        "2147483648", "-2147483648", "4294967295", "4294967296", "9007199254740993", "9223372036854775807",
        "99999999999999999999", "1e308", "1e999", "-0", "0.5", "1.5", "1e-320", "3.0"};
    private static final String[] STRINGS = {"\"\"", "\"F64\"", "\"F32\"", "\"F16\"", "\"BF16\"", "\"wte\"",
        "\"wte.m\"", "\"__metadata__\"", "\"document\"", "\"position\"", "\"constant\"", "\"adam\"", "\"a\"",
        "\"microgpt-checkpoint\"", "\"\\u0000\"", "\"\\ud800\"", "\"zyx\"", "\"ë\""};

    @TempDir
    static Path tmp;

    private final Map<String, byte[]> good = new LinkedHashMap<>();
    private Method allocatedBytes;
    private Object threadBean;
    private final Map<String, Integer> outcomes = new TreeMap<>();
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
        Thread thread = new Thread(r, "checkpoint-fuzz");
        thread.setDaemon(true);
        return thread;
    });

    @AfterAll
    void stopTheWorker() {
        worker.shutdownNow();
    }

    @BeforeAll
    void saveAGoodCheckpoint() throws Exception {
        Tokenizer tokenizer = Tokenizer.fromDocuments(DOCS);
        PythonRandom random = new PythonRandom(11);
        GptModel model = GptModel.create(new GptConfig(1, 4, 2, 5, 0.2), tokenizer.vocabSize(), random);
        Trainer trainer = new Trainer(model, tokenizer, DOCS, new AdamOptimizer(model.numParameters()), 10);
        trainer.step(StepMode.DOCUMENT);
        trainer.step(StepMode.POSITION);
        random.gauss(0, 1);
        Path dir = tmp.resolve("good");
        Checkpoint.save(dir, model, tokenizer, TrainingState.capture(trainer, random, StepMode.DOCUMENT,
                Map.of("seed", "11"), null, null));
        for (String file : FILES) {
            good.put(file, Files.readAllBytes(dir.resolve(file)));
        }
        // HotSpot counts the bytes each thread allocates; reached by reflection, so no module needs reading.
        threadBean = Class.forName("java.lang.management.ManagementFactory").getMethod("getThreadMXBean").invoke(null);
        allocatedBytes = Class.forName("com.sun.management.ThreadMXBean").getMethod("getThreadAllocatedBytes", long.class);
    }

    /** One damaged checkpoint: which file, how it was damaged, and the damaged bytes (null = file removed). */
    record Damage(String file, String how, byte[] bytes) {
        @Override
        public String toString() {
            return file + ": " + how;
        }
    }

    @Test
    void everyDamagedCheckpointLoadsValidlyOrIsRefusedWithACheckpointException() {
        Cases.cases("checkpoint fuzz", CASES, this::damage).forEach(c -> c.verify(this::check));
        System.out.println("checkpoint fuzz outcomes: " + outcomes);
        int loaded = outcomes.getOrDefault("loaded", 0);
        int refused = outcomes.getOrDefault("refused", 0);
        assertTrue(loaded > 0 && refused > loaded, "the damage should mostly be caught, sometimes harmless: "
                + outcomes);
    }

    private void check(Damage damage) throws Exception {
        // One directory for all cases: only the damaged file changes, and is put back afterwards.
        Path dir = tmp.resolve("case");
        Path damaged = dir.resolve(damage.file());
        if (!Files.isDirectory(dir)) {
            Files.createDirectory(dir);
            for (String file : FILES) {
                Files.write(dir.resolve(file), good.get(file));
            }
        }
        Files.delete(damaged);
        if (damage.how().equals("directory")) {
            Files.createDirectory(damaged);
        } else if (damage.bytes() != null) {
            Files.write(damaged, damage.bytes());
        }
        try {
            // On a worker thread, so that a hang fails the case instead of the whole build.
            Future<String> outcome = worker.submit(() -> loadAndUse(dir));
            try {
                outcomes.merge(outcome.get(30, TimeUnit.SECONDS), 1, Integer::sum);
            } catch (TimeoutException e) {
                outcome.cancel(true);
                throw new AssertionError("loading hung (or took more than 30 s)", e);
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof Exception exception) {
                    throw exception;
                }
                throw cause instanceof Error error ? error : new AssertionError(cause);
            }
        } finally {
            AtomicFiles.deleteRecursively(damaged);
            Files.write(damaged, good.get(damage.file()));
        }
    }

    /** Loads; on success uses the result as a program would. Returns "loaded" or "refused". */
    private String loadAndUse(Path dir) throws Exception {
        long thread = Thread.currentThread().getId();
        long before = (long) allocatedBytes.invoke(threadBean, thread);
        Checkpoint checkpoint;
        try {
            checkpoint = Checkpoint.load(dir);
        } catch (CheckpointException e) {
            long allocated = (long) allocatedBytes.invoke(threadBean, thread) - before;
            assertTrue(allocated < ALLOCATION_LIMIT, "a refused load allocated " + allocated + " bytes");
            assertTrue(e.file().startsWith(dir), "the exception names a file of the checkpoint: " + e.getMessage());
            assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
            assertEquals(e.file() + ": " + e.problem(), e.getMessage());
            return "refused";
        }
        long allocated = (long) allocatedBytes.invoke(threadBean, thread) - before;
        assertTrue(allocated < ALLOCATION_LIMIT, "a load allocated " + allocated + " bytes");
        // A valid model: consistent shapes, finite weights, and it runs.
        LanguageModel model = checkpoint.model();
        assertEquals(checkpoint.tokenizer().vocabSize(), model.vocabSize());
        assertEquals(Architecture.GPT.numParameters(checkpoint.config(), model.vocabSize()), model.numParameters());
        for (double w : checkpoint.weights()) {
            assertTrue(Double.isFinite(w), "a loaded weight is " + w);
        }
        int bos = checkpoint.tokenizer().bos();
        assertEquals(model.vocabSize(), model.newSequence().next(bos).length);
        if (checkpoint.training().isPresent()) {
            try {
                ResumedTraining resumed = checkpoint.resumeWith(DOCS);
                if (!resumed.trainer().isFinished()) {
                    resumed.trainer().step(StepMode.DOCUMENT);
                }
                if (resumed.random() != null) {
                    resumed.random().gauss(0, 1);
                }
            } catch (CheckpointException e) {
                assertTrue(e.file().startsWith(dir), e.getMessage());
                return "refused";
            } catch (TrainingDivergedException e) {
                return "loaded";   // damaged weights can be finite and still overflow: a valid model, a bad one
            }
        }
        return "loaded";
    }

    // ------------------------------------------------------------------------------- the damage

    private Damage damage(Gen g) {
        String file = g.pickOf(FILES.toArray(String[]::new));
        byte[] original = good.get(file);
        boolean binary = file.endsWith(".safetensors");
        int kind = g.intIn(0, binary ? 11 : 9);
        byte[] bytes = original.clone();
        switch (kind) {
            case 0 -> {
                int flips = g.intIn(1, 8);
                for (int i = 0; i < flips; i++) {
                    int at = g.intIn(0, bytes.length - 1);
                    bytes[at] ^= (byte) (1 << g.intIn(0, 7));
                }
                return new Damage(file, flips + " bit flips", bytes);
            }
            case 1 -> {
                int length = g.chance(0.3) ? g.intIn(0, Math.min(16, bytes.length - 1)) : g.intIn(0, bytes.length - 1);
                return new Damage(file, "truncated to " + length, Arrays.copyOf(bytes, length));
            }
            case 2 -> {
                int extra = g.intIn(1, 64);
                byte[] longer = Arrays.copyOf(bytes, bytes.length + extra);
                for (int i = bytes.length; i < longer.length; i++) {
                    longer[i] = g.chance(0.5) ? 0 : (byte) g.intIn(0, 255);
                }
                return new Damage(file, extra + " bytes appended", longer);
            }
            case 3 -> {
                return g.chance(0.5) ? new Damage(file, "removed", null)
                        : g.chance(0.5) ? new Damage(file, "empty", new byte[0])
                        : new Damage(file, "directory", new byte[] {'D'});
            }
            case 4 -> {
                int at = g.intIn(0, bytes.length - 1);
                int length = g.intIn(1, 16);
                for (int i = at; i < Math.min(bytes.length, at + length); i++) {
                    bytes[i] = (byte) g.intIn(0, 255);
                }
                return new Damage(file, length + " random bytes at " + at, bytes);
            }
            default -> {
                if (!binary) {
                    String text = new String(bytes, StandardCharsets.UTF_8);
                    return new Damage(file, "json: " + editDescription(g, text), editedBytes);
                }
                return binaryDamage(g, file, bytes, kind);
            }
        }
    }

    /** The bytes of the last JSON edit (set with its description, to keep the switch above short). */
    private byte[] editedBytes;

    private String editDescription(Gen g, String text) {
        String[] result = editJson(g, text);
        editedBytes = result[1].getBytes(StandardCharsets.UTF_8);
        if (result[0].startsWith("non-UTF-8")) {
            byte[] raw = editedBytes;
            int at = g.intIn(0, raw.length - 1);
            raw[at] = (byte) g.pickInt(0x80, 0xC3, 0xFF, 0xED);
        }
        return result[0];
    }

    /** One edit of a JSON text: {description, new text}. */
    private static String[] editJson(Gen g, String text) {
        switch (g.intIn(0, 7)) {
            case 0 -> {
                return replaceOne(g, text, NUMBER, g.pickOf(NUMBERS), "number");
            }
            case 1 -> {
                return replaceOne(g, text, STRING, g.pickOf(STRINGS), "string");
            }
            case 2 -> {
                int at = g.intIn(0, text.length() - 1);
                return new String[] {"deleted char " + at, text.substring(0, at) + text.substring(at + 1)};
            }
            case 3 -> {
                int at = g.intIn(0, text.length());
                String c = g.pickOf("{", "}", "[", "]", ",", ":", "\"", "0", "-", "e", ".", " ", "\\", "null");
                return new String[] {"inserted " + c + " at " + at, text.substring(0, at) + c + text.substring(at)};
            }
            case 4 -> {
                // Remove one "key": value pair whose value is a scalar.
                Matcher m = Pattern.compile("\"[a-z_0-9.]+\": ?(\"[^\"]*\"|[-0-9.eE+]+|null|true|false),?").matcher(text);
                List<int[]> spans = new ArrayList<>();
                while (m.find()) {
                    spans.add(new int[] {m.start(), m.end()});
                }
                int[] span = spans.get(g.intIn(0, spans.size() - 1));
                return new String[] {"removed " + text.substring(span[0], span[1]),
                        text.substring(0, span[0]) + text.substring(span[1])};
            }
            case 5 -> {
                int depth = g.pickInt(10, 33, 1000, 100_000);
                int at = text.indexOf(':') + 1;
                return new String[] {"nesting " + depth, text.substring(0, at) + "[".repeat(depth) + "]".repeat(depth)
                        + "," + text.substring(at).stripLeading().replaceFirst("^[^,]*,", "")};
            }
            case 6 -> {
                return new String[] {"non-UTF-8 byte", text};
            }
            default -> {
                return replaceOne(g, text, NUMBER, "-" + "9".repeat(g.intIn(1, 400)), "long number");
            }
        }
    }

    private static String[] replaceOne(Gen g, String text, Pattern pattern, String replacement, String what) {
        Matcher m = pattern.matcher(text);
        List<int[]> spans = new ArrayList<>();
        while (m.find()) {
            spans.add(new int[] {m.start(), m.end()});
        }
        int[] span = spans.get(g.intIn(0, spans.size() - 1));
        return new String[] {what + " " + text.substring(span[0], span[1]) + " -> " + replacement,
                text.substring(0, span[0]) + replacement + text.substring(span[1])};
    }

    private Damage binaryDamage(Gen g, String file, byte[] bytes, int kind) {
        ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long headerLength = buffer.getLong(0);
        switch (kind) {
            case 5 -> {
                long value = switch (g.intIn(0, 5)) {
                    case 0 -> g.nextLong();
                    case 1 -> headerLength + g.intIn(-9, 9);
                    case 2 -> bytes.length;
                    case 3 -> Long.MAX_VALUE;
                    case 4 -> 1L << g.intIn(20, 62);
                    default -> g.intIn(0, 10);
                };
                buffer.putLong(0, value);
                return new Damage(file, "header length " + headerLength + " -> " + value, bytes);
            }
            case 6 -> {
                int at = 8 + g.intIn(0, (int) headerLength - 1);
                bytes[at] ^= (byte) (1 << g.intIn(0, 7));
                return new Damage(file, "bit flip in the header at " + at, bytes);
            }
            case 7 -> {
                int dataStart = 8 + (int) headerLength;
                int slot = g.intIn(0, (bytes.length - dataStart) / 8 - 1);
                double value = g.pickDouble(Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -1.0,
                        1e300, -0.0, Double.MIN_VALUE);
                buffer.putDouble(dataStart + 8 * slot, value);
                return new Damage(file, value + " in data slot " + slot, bytes);
            }
            default -> {
                // Edit the JSON header, then fix the length field so that the edit reaches the parser.
                String header = new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8);
                String[] edit = editJson(g, header);
                byte[] newHeader = edit[1].getBytes(StandardCharsets.UTF_8);
                byte[] data = Arrays.copyOfRange(bytes, 8 + (int) headerLength, bytes.length);
                ByteBuffer out = ByteBuffer.allocate(8 + newHeader.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
                out.putLong(newHeader.length).put(newHeader).put(data);
                byte[] result = out.array();
                if (edit[0].startsWith("non-UTF-8")) {
                    result[8 + g.intIn(0, newHeader.length - 1)] = (byte) g.pickInt(0x80, 0xC3, 0xFF, 0xED);
                }
                return new Damage(file, "header: " + edit[0], result);
            }
        }
    }
}
