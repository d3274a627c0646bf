package io.github.microgpt.internal;

/**
 * A learning-rate schedule that stands in for one a checkpoint could not hold (a schedule of the
 * user's own, saved by its rates, not its code), so that an optimizer that meets it in a state it
 * is asked to restore can say what is missing and how to give it back, rather than only that the
 * settings differ. The checkpoint package's saved schedule is the one implementation; the
 * interface lets the optimizer, in another package, recognise it.
 */
public interface StandInSchedule {

    /**
     * What is missing and how to give it back.
     *
     * @return for example "the run used a learning-rate schedule of its own (com.example.Cosine),
     *     which a checkpoint holds by its rates, not its code: give it back with
     *     Checkpoint.withSchedule(schedule) to resume"
     */
    String missing();
}
