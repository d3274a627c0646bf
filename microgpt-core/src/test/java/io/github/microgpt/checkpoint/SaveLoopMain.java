package io.github.microgpt.checkpoint;

import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.GptModel;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.text.Tokenizer;
import java.nio.file.Path;
import java.util.List;

/**
 * Run in a JVM of its own by {@link InterruptedSaveTest}: either saves a small model into a
 * directory over and over, printing {@code saved N} after each save, until it is killed; or
 * takes the directory's {@link SaveLock}, prints {@code locked}, and waits to be killed; or
 * saves once, then saves again pausing a second and a half at one stage of the save (after
 * printing {@code at STAGE}), so that a kill can land there.
 *
 * <p>Usage: {@code SaveLoopMain save DIR}, {@code SaveLoopMain lock DIR} or
 * {@code SaveLoopMain pause DIR STAGE} (a stage of {@link AtomicFiles.Hook})
 */
public final class SaveLoopMain {

    private SaveLoopMain() {
    }

    /**
     * Saves or locks until killed.
     *
     * @param args the mode and the checkpoint directory
     * @throws Exception any failure, which ends the JVM with a non-zero exit code
     */
    @SuppressWarnings("try")   // the lock is held through the try's body, which need not name it
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[1]);
        if (args[0].equals("lock")) {
            try (SaveLock lock = SaveLock.acquire(dir)) {
                System.out.println("locked");
                System.out.flush();
                Thread.sleep(60_000);
            }
            return;
        }
        Tokenizer tokenizer = Tokenizer.fromDocuments(List.of("anna", "bob", "emma"));
        GptModel model = GptModel.create(new GptConfig(1, 16, 2, 8, 0.1), tokenizer.vocabSize(), new PythonRandom(1));
        if (args[0].equals("pause")) {
            model.parameters().setValue(0, 1);
            Checkpoint.save(dir, model, tokenizer);
            System.out.println("saved 1");
            AtomicFiles.hook = stage -> {
                if (stage.equals(args[2])) {
                    System.out.println("at " + stage);
                    System.out.flush();
                    try {
                        Thread.sleep(1_500);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            };
            model.parameters().setValue(0, 2);
            Checkpoint.save(dir, model, tokenizer);
            System.out.println("saved 2");
            System.out.flush();
            Thread.sleep(60_000);
            return;
        }
        for (int n = 1; ; n++) {
            model.parameters().setValue(0, n);   // each save differs, and says which it was
            Checkpoint.save(dir, model, tokenizer);
            System.out.println("saved " + n);
            System.out.flush();
        }
    }
}
