package io.github.microgpt.internal;

import io.github.microgpt.model.LanguageModel;
import java.util.Collections;
import java.util.ConcurrentModificationException;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Which thread is using a model at this moment, and for what: the models are not thread-safe (a
 * model is trained, evaluated or sampled from one thread at a time), and two threads that used
 * one model at once mixed its numbers without a word: two trainers mixed their gradients and
 * updates, and a sample or an evaluation read weights half of one step and half of the next.
 * The trainer marks its model for a step, {@code Evaluation} for a loss, the sampler for a token;
 * whoever comes second, on another thread, is refused before it computes anything.
 *
 * <p>Best effort, and only for uses that overlap: each use is marked only while it runs, so a
 * use that begins after another has ended is never refused, even when it interleaves with it (a
 * step taken between two tokens of one sample, on any thread, is not seen). The same thread may
 * enter again (a listener of a step that evaluates the model): a thread cannot race itself.
 *
 * <p>Cost: one uncontended lock taken twice per use. A training step at the reference size takes
 * tens of microseconds; the mark and the unmark take tens of nanoseconds together.
 */
public final class ModelUse {

    /** What a thread does with a model, as the refusal names it. */
    public enum Activity {
        /** A training step ({@code Trainer}). */
        TRAINING("trained", "this step was not run"),
        /** A loss computed without gradients ({@code Evaluation}). */
        EVALUATION("evaluated", "nothing was evaluated"),
        /** One token drawn ({@code Sampler}). */
        SAMPLING("sampled", "this token was not drawn");

        private final String participle;
        private final String refused;

        Activity(String participle, String refused) {
            this.participle = participle;
            this.refused = refused;
        }
    }

    /** A use in progress: the thread and what it does. */
    private record Use(Thread thread, Activity activity) {
    }

    /** The models in use, by identity (a model's {@code equals} is its own business). */
    private static final Map<LanguageModel, Use> IN_USE = Collections.synchronizedMap(new IdentityHashMap<>());

    /** Each thread's marks, one per activity, made once: a step allocates nothing to mark its model. */
    private static final ThreadLocal<Use[]> MARKS = ThreadLocal.withInitial(() -> {
        Activity[] activities = Activity.values();
        Use[] marks = new Use[activities.length];
        for (Activity activity : activities) {
            marks[activity.ordinal()] = new Use(Thread.currentThread(), activity);
        }
        return marks;
    });

    private ModelUse() {
    }

    /**
     * Marks the model as used by this thread, or refuses the use, before it has computed anything,
     * if another thread is using it.
     *
     * @param model the model
     * @param activity what this thread is about to do with it
     * @return whether this call marked it (and {@link #leave} must unmark it): false if this
     *     thread had marked it already
     * @throws ConcurrentModificationException if another thread is using the model, naming the
     *     thread and what it does
     */
    public static boolean enter(LanguageModel model, Activity activity) {
        Use mine = MARKS.get()[activity.ordinal()];
        Use other = IN_USE.putIfAbsent(model, mine);
        if (other == null) {
            return true;
        }
        if (other.thread() == mine.thread()) {
            return false;
        }
        boolean trainers = activity == Activity.TRAINING && other.activity() == Activity.TRAINING;
        // Which trainer holds it is not known here: the same one, stepped from two threads, is
        // found alike and must not be called another.
        throw new ConcurrentModificationException("the model is being " + other.activity().participle
                + " on the thread \"" + other.thread().getName() + "\" at this moment"
                + (trainers ? " (by another trainer, or by this one from another thread); a model is trained"
                        : "; a model is trained, evaluated or sampled")
                + " from one thread at a time: give each thread its own model (ArrayGptModel.copyOf)"
                + (trainers ? " and trainer" : "") + ", or take turns (" + activity.refused + ")");
    }

    /**
     * Unmarks the model after a use that {@link #enter} marked.
     *
     * @param model the model
     * @param entered what {@link #enter} returned
     */
    public static void leave(LanguageModel model, boolean entered) {
        if (entered) {
            IN_USE.remove(model);
        }
    }
}
