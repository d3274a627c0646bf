package io.github.microgpt.checkpoint;

import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.sample.Sampler;
import io.github.microgpt.text.Documents;
import io.github.microgpt.train.StepEvent;
import io.github.microgpt.train.StepMode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The second half of {@link ExactResumeTest}, run in a JVM of its own: loads a checkpoint, shuffles
 * the embedded names with the seed it recorded, resumes, trains to the end, samples, and writes
 * each loss (as the hexadecimal bits of the double) and each sample, one per line.
 *
 * <p>Usage: {@code ResumeMain CHECKPOINT_DIR OUTPUT_FILE SAMPLES}
 */
public final class ResumeMain {

    private ResumeMain() {
    }

    /**
     * Runs the resumed half.
     *
     * @param args the checkpoint directory, the output file and the number of samples
     * @throws Exception any failure, which ends the JVM with a non-zero exit code
     */
    public static void main(String[] args) throws Exception {
        Checkpoint checkpoint = Checkpoint.load(Path.of(args[0]));
        long seed = checkpoint.training().orElseThrow().run().seed();
        List<String> docs = new ArrayList<>(Documents.embeddedNames());
        new PythonRandom(seed).shuffle(docs);
        ResumedTraining resumed = checkpoint.resumeWith(docs);
        List<String> lines = new ArrayList<>();
        resumed.trainer().addStepListener(event -> {
            lines.add(event.step() + " " + Long.toHexString(Double.doubleToRawLongBits(event.loss())));
        });
        resumed.trainer().run(StepMode.DOCUMENT);
        for (String sample : new Sampler(resumed.model(), resumed.tokenizer(), resumed.random())
                .samples(Integer.parseInt(args[2]), 0.5)) {
            lines.add("sample " + sample);
        }
        Files.write(Path.of(args[1]), lines, StandardCharsets.UTF_8);
    }
}
