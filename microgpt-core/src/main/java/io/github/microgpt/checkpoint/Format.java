package io.github.microgpt.checkpoint;

/**
 * The names and limits of the checkpoint format, in one place; {@link Checkpoint} publishes the
 * ones a user may need.
 */
final class Format {

    /** The format name in {@value #CONFIG_FILE}. */
    static final String FORMAT = "microgpt-checkpoint";
    /** The format name in {@value #TRAINER_FILE}. */
    static final String TRAINING_FORMAT = "microgpt-training-state";
    /** The version of the format this library writes and reads, in {@value #CONFIG_FILE} and the safetensors files. */
    static final int VERSION = 1;
    /**
     * The version of {@value #TRAINER_FILE} this library writes, and the newest it reads: 2 names
     * the trainer's place {@code next_document}/{@code next_position}; version 1 named it
     * {@code position_document}/{@code position_pos} (and builds between the rename and this
     * version wrote the new names as version 1: both are read). An older build reads the 2 and
     * says a newer microgpt wrote the file, rather than that a key is unknown.
     */
    static final int TRAINER_VERSION = 2;

    /** The weights, one tensor per matrix. */
    static final String MODEL_FILE = "model.safetensors";
    /** The configuration and vocabulary; written last, it marks a directory as a checkpoint. */
    static final String CONFIG_FILE = "config.json";
    /** Adam's moments, {@code NAME.m} and {@code NAME.v} per matrix (training state). */
    static final String OPTIMIZER_FILE = "optimizer.safetensors";
    /** The trainer's position, the optimizer's settings, the random state, the run (training state). */
    static final String TRAINER_FILE = "trainer.json";
    /** The loss of every completed step, one {@code F64} tensor (training state, optional). */
    static final String LOSSES_FILE = "losses.safetensors";
    /**
     * Every file a checkpoint directory holds, some of them optional: a save replaces the whole
     * directory, and refuses to when it holds anything else (see {@link AtomicFiles#writeDirectory}).
     */
    static final java.util.Set<String> FILES = java.util.Set.of(MODEL_FILE, CONFIG_FILE, OPTIMIZER_FILE, TRAINER_FILE,
            LOSSES_FILE);

    /** The name of the tensor in {@value #LOSSES_FILE}. */
    static final String LOSSES_TENSOR = "losses";

    /** The largest JSON file read, 1 MiB: room for a vocabulary of some 260,000 characters. */
    static final int MAX_JSON_BYTES = 1 << 20;

    /**
     * The most bytes a vocabulary's characters may take in {@value #CONFIG_FILE} (UTF-8, in
     * quotes, escapes included): {@link #MAX_JSON_BYTES} less 4 KiB for the rest of the file, whose
     * fields take a few hundred bytes. Every vocabulary of up to 261,120 characters fits (4 bytes
     * is the most a character takes, beyond U+FFFF; a Chinese one takes 3).
     */
    static final int MAX_VOCABULARY_BYTES = MAX_JSON_BYTES - 4096;

    private Format() {
    }
}
