package io.github.microgpt.checkpoint;

import io.github.microgpt.internal.ClassNames;
import io.github.microgpt.internal.StandInSchedule;
import io.github.microgpt.optim.LearningRateSchedule;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;

/**
 * A learning-rate schedule of the user's own as a checkpoint holds it: not its code, which a file
 * cannot hold, but its class's name and the SHA-256 of the rates it gave at every step of the run
 * ({@link #ratesSha256}). It computes no rate: a run resumes only once the same schedule is given
 * back ({@link Checkpoint#withSchedule}), and that is checked by its rates, so that a resumed run
 * cannot silently take other learning rates than the saved one would have.
 *
 * @param className the schedule's class name, for the message that asks for it back
 * @param sha256 the SHA-256 of its rates, 64 lowercase hexadecimal digits
 */
record SavedSchedule(String className, String sha256) implements LearningRateSchedule, StandInSchedule {

    SavedSchedule {
        Objects.requireNonNull(className, "className");
        Objects.requireNonNull(sha256, "sha256");
    }

    /**
     * Refuses: the schedule's code was not saved.
     *
     * @throws IllegalStateException always, saying how to give the schedule back
     */
    @Override
    public double rate(double baseRate, int stepIndex, int totalSteps) {
        throw new IllegalStateException(missing());
    }

    /** What to do about it, for the exceptions that meet this schedule. */
    @Override
    public String missing() {
        return "the run used a learning-rate schedule of its own (" + className + "), which a checkpoint holds by its"
                + " rates, not its code: give it back with Checkpoint.withSchedule(schedule) to resume";
    }

    /**
     * The SHA-256 of a schedule's rates at step indices {@code 0} to {@code totalSteps - 1}, each
     * as the 8 big-endian bytes of {@link Double#doubleToLongBits}: two schedules with the same
     * digest give the same rates, bit for bit, at every step of the run.
     *
     * @param schedule the schedule, a function of its arguments only
     * @param baseRate the optimizer's base learning rate
     * @param totalSteps the run's length; at least 1
     * @return 64 lowercase hexadecimal digits
     */
    static String ratesSha256(LearningRateSchedule schedule, double baseRate, int totalSteps) {
        if (schedule instanceof SavedSchedule saved) {
            return saved.sha256;
        }
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
        ByteBuffer bytes = ByteBuffer.allocate(8 * 1024);
        for (int i = 0; i < totalSteps; i++) {
            if (!bytes.hasRemaining()) {
                digest.update(bytes.array(), 0, bytes.position());
                bytes.clear();
            }
            bytes.putLong(Double.doubleToLongBits(schedule.rate(baseRate, i, totalSteps)));
        }
        digest.update(bytes.array(), 0, bytes.position());
        return HexFormat.of().formatHex(digest.digest());
    }

    /**
     * The name a checkpoint records for a schedule's class.
     *
     * @param schedule a schedule of the user's own
     * @return its class's name (a lambda's is the class that wrote it, followed by {@code $$Lambda}:
     *     the JVM's name goes on with an address that changes from run to run)
     */
    static String classNameOf(LearningRateSchedule schedule) {
        return schedule instanceof SavedSchedule saved ? saved.className : ClassNames.of(schedule);
    }

    @Override
    public String toString() {
        return "SavedSchedule[" + className + ", rates sha256 " + sha256 + "]";
    }
}
