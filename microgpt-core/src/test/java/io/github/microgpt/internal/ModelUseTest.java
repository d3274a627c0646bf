package io.github.microgpt.internal;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.internal.ModelUse.Activity;
import io.github.microgpt.model.Architecture;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.LanguageModel;
import io.github.microgpt.random.PythonRandom;
import java.util.ConcurrentModificationException;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The reader-writer rule's marks, step by step, with a second thread that enters and leaves on
 * command: what a reader's mark is after it trained inside its read, alone or after the other
 * readers beside it have gone. The tests through the trainer and the sampler
 * ({@code ConcurrentReadersTest}, {@code SharedModelUseTest}) look only at the end of such a
 * read, so they passed when the end of the inner step dropped the outer read's mark altogether
 * (a step on another thread could then run beside the rest of the read) and when it left the
 * model marked as trained (other threads' reads refused until the outer read ended); these fail.
 */
class ModelUseTest {

    private static final long TIMEOUT_SECONDS = 60;

    private final LanguageModel model = Architecture.BIGRAM.create(GptConfig.defaults(), 27, new PythonRandom(1));
    /** The other thread: one, so that what it enters it leaves on the same thread. */
    private final ExecutorService other = Executors.newSingleThreadExecutor(r -> {
        Thread thread = new Thread(r, "model-use-other");
        thread.setDaemon(true);
        return thread;
    });

    @AfterEach
    void stop() {
        other.shutdownNow();
    }

    private <T> T onOther(Callable<T> work) throws Exception {
        return other.submit(work).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    /** Whether the other thread may use the model for {@code activity} now (it leaves at once if so). */
    private String otherMay(Activity activity) throws Exception {
        return onOther(() -> {
            int entered;
            try {
                entered = ModelUse.enter(model, activity);
            } catch (ConcurrentModificationException refused) {
                return "refused: " + refused.getMessage();
            }
            ModelUse.leave(model, entered);
            return "allowed";
        });
    }

    private static void assertAllowed(String outcome, String what) {
        assertTrue(outcome.equals("allowed"), what + ": " + outcome);
    }

    private static void assertRefused(String outcome, String because, String what) {
        assertTrue(outcome.startsWith("refused: the model is being " + because + " on the thread \""),
                what + ": " + outcome);
    }

    @Test
    void aReaderBackFromAStepInsideItsReadIsReadingAgain() throws Exception {
        int read = ModelUse.enter(model, Activity.EVALUATION);
        int step = ModelUse.enter(model, Activity.TRAINING);
        assertRefused(otherMay(Activity.SAMPLING), "trained", "a read during the inner step");
        assertRefused(otherMay(Activity.TRAINING), "trained", "a step during the inner step");
        ModelUse.leave(model, step);

        assertRefused(otherMay(Activity.TRAINING), "evaluated", "a step once the inner step is over, the read not");
        assertAllowed(otherMay(Activity.SAMPLING), "a read once the inner step is over");
        ModelUse.leave(model, read);

        assertAllowed(otherMay(Activity.TRAINING), "a step once the read is over");
    }

    @Test
    void aReaderLeftAloneByTheOthersMayStepInsideItsRead() throws Exception {
        int read = ModelUse.enter(model, Activity.SAMPLING);
        int othersRead = onOther(() -> ModelUse.enter(model, Activity.EVALUATION));
        ConcurrentModificationException refused = assertThrows(ConcurrentModificationException.class,
                () -> ModelUse.enter(model, Activity.TRAINING));
        assertTrue(refused.getMessage().startsWith("the model is being evaluated on the thread \"model-use-other\""
                + " at this moment"), refused.getMessage());
        onOther(() -> {
            ModelUse.leave(model, othersRead);
            return null;
        });

        int step = ModelUse.enter(model, Activity.TRAINING);
        assertRefused(otherMay(Activity.EVALUATION), "trained", "a read during the inner step");
        ModelUse.leave(model, step);
        assertRefused(otherMay(Activity.TRAINING), "sampled", "a step once the inner step is over, the read not");
        ModelUse.leave(model, read);
        assertAllowed(otherMay(Activity.TRAINING), "a step once the read is over");
    }
}
