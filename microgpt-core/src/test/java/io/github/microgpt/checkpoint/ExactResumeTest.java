package io.github.microgpt.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.GptModel;
import io.github.microgpt.optim.AdamOptimizer;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.sample.Sampler;
import io.github.microgpt.text.DataSource;
import io.github.microgpt.text.Documents;
import io.github.microgpt.text.Tokenizer;
import io.github.microgpt.train.StepEvent;
import io.github.microgpt.train.StepMode;
import io.github.microgpt.train.Trainer;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The acceptance test of exact resumption: the reference run (seed 42, the embedded names, the
 * reference model) trained for 500 steps, saved, loaded in a new JVM and trained 500 more steps
 * gives the same 1000 losses, bit for bit, and the same 20 samples as 1000 steps in one go.
 */
class ExactResumeTest {

    private static final int TOTAL = 1000;
    private static final int HALF = 500;
    private static final int SAMPLES = 20;

    @TempDir
    Path tmp;

    /** Seeds, shuffles and builds the model exactly as {@code microgpt.py}; returns the trainer. */
    private static Trainer start(PythonRandom random, List<String> lines, List<String> docs) {
        docs.addAll(Documents.embeddedNames());
        random.shuffle(docs);
        Tokenizer tokenizer = Tokenizer.fromDocuments(docs);
        GptModel model = GptModel.create(GptConfig.defaults(), tokenizer.vocabSize(), random);
        Trainer trainer = new Trainer(model, tokenizer, docs, new AdamOptimizer(model.numParameters()), TOTAL);
        trainer.addStepListener(event -> {
            lines.add(event.step() + " " + Long.toHexString(Double.doubleToRawLongBits(event.loss())));
        });
        return trainer;
    }

    @Test
    void halfARunSavedAndResumedInAnotherJvmEqualsTheWholeRunBitForBit() throws Exception {
        // First half, then save.
        PythonRandom random = new PythonRandom(42);
        List<String> firstHalf = new ArrayList<>();
        List<String> docs = new ArrayList<>();
        Trainer trainer = start(random, firstHalf, docs);
        for (int s = 0; s < HALF; s++) {
            trainer.step(StepMode.DOCUMENT);
        }
        Path dir = tmp.resolve("half");
        Checkpoint.save(dir, trainer.model(), Tokenizer.fromDocuments(docs),
                TrainingState.capture(trainer, random, StepMode.DOCUMENT, Map.of(),
                        new TrainingRun(42, DataSource.embedded()), null));

        // Second half in a new JVM, while this one runs the whole run uninterrupted.
        Path output = tmp.resolve("second-half.txt");
        Process child = startJvm(ResumeMain.class.getName(), dir.toString(), output.toString(),
                String.valueOf(SAMPLES));

        PythonRandom wholeRandom = new PythonRandom(42);
        List<String> whole = new ArrayList<>();
        Trainer wholeTrainer = start(wholeRandom, whole, new ArrayList<>());
        wholeTrainer.run(StepMode.DOCUMENT);
        Tokenizer tokenizer = Tokenizer.fromDocuments(docs);
        for (String sample : new Sampler(wholeTrainer.model(), tokenizer, wholeRandom).samples(SAMPLES, 0.5)) {
            whole.add("sample " + sample);
        }

        assertTrue(child.waitFor(10, TimeUnit.MINUTES), "the resumed JVM did not finish");
        String childErr = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, child.exitValue(), "the resumed JVM failed:\n" + childErr);

        List<String> resumed = new ArrayList<>(firstHalf);
        resumed.addAll(Files.readAllLines(output, StandardCharsets.UTF_8));
        assertEquals(TOTAL + SAMPLES, whole.size());
        for (int i = 0; i < whole.size(); i++) {
            assertEquals(whole.get(i), resumed.get(i), "line " + (i + 1) + " (steps are '<step> <loss bits>')");
        }
        assertEquals(whole.size(), resumed.size());
    }

    /** Starts a JVM with this one's java binary and the test classpath (main classes included). */
    static Process startJvm(String mainClass, String... args) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> classpath = new ArrayList<>();
        String modulePath = System.getProperty("jdk.module.path");
        if (modulePath != null && !modulePath.isEmpty()) {
            classpath.add(modulePath);   // surefire puts the main classes on the module path
        }
        classpath.add(System.getProperty("java.class.path"));
        List<String> command = new ArrayList<>(List.of(java, "-cp", String.join(File.pathSeparator, classpath),
                mainClass));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectErrorStream(true).start();
    }
}
