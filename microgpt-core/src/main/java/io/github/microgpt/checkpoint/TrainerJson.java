package io.github.microgpt.checkpoint;

import io.github.microgpt.model.GptConfig;
import io.github.microgpt.optim.AdamSettings;
import io.github.microgpt.random.PythonRandomState;
import io.github.microgpt.text.DataSource;
import io.github.microgpt.train.StepMode;
import io.github.microgpt.train.TrainerState;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@value Format#TRAINER_FILE}: the trainer's position, the optimizer's settings (its moments are
 * in {@value Format#OPTIMIZER_FILE}), the random generator's state in the form of Python's
 * {@code random.getstate()}, the documents' fingerprint, the run (seed and data source) and the
 * application's metadata. Written from a {@link TrainingState} and read back with every field
 * checked, and checked against the others.
 */
final class TrainerJson {

    /**
     * What {@value Format#TRAINER_FILE} holds: everything of a {@link TrainingState} but the
     * moments and the losses.
     */
    record Contents(TrainerState trainer, StepMode stepMode, AdamSettings settings, PythonRandomState randomState,
                    DataFingerprint fingerprint, TrainingRun run, Map<String, String> metadata) {
    }

    /**
     * The keys of the place in files written before every kind of step shared it: they held
     * where the {@link StepMode#POSITION} steps were, and a {@link StepMode#DOCUMENT} step {@code s}
     * trained document {@code s mod documents} whatever they said. Such a file is still read: a run
     * that is not one of position steps ({@code "step_mode"} {@code "document"}, or null: unknown or
     * mixed) and left the cursor at the start resumes at that document, any other at the cursor
     * (the place of its position steps). A run of minibatches of {@code B > 1} documents (step
     * {@code s} trained documents from {@code s * B} on) cannot be told from one of document steps
     * (the file does not hold {@code B}): it resumes at document {@code s mod documents}.
     */
    static final String OLD_DOCUMENT = "position_document";
    static final String OLD_POSITION = "position_pos";

    /**
     * The metadata key of the run's seed in checkpoints written before {@code "run"} was: the
     * command line wrote it, and the simulator still does. A file without {@code "run"} is read
     * with the run these keys describe ({@link #runOf}).
     */
    static final String SEED_KEY = "seed";
    /** The metadata key of such a run's data file (absolute path) or {@value DataSource#EMBEDDED_NAME}. */
    static final String DATA_KEY = "data";
    /** The metadata key by which the simulator recorded its dataset's kind in older checkpoints. */
    static final String SIMULATOR_SOURCE_KEY = "simulator.dataset.source";
    /** The metadata key by which the simulator recorded its dataset's name in older checkpoints. */
    static final String SIMULATOR_NAME_KEY = "simulator.dataset.name";

    /** AdamSettings' components and the keys of "optimizer" they are read from, for its refusals. */
    private static final Map<String, String> SETTINGS_KEYS = Map.of("learningRate", "learning_rate", "beta1", "beta1",
            "beta2", "beta2", "eps", "eps");

    private TrainerJson() {
    }

    static Map<String, Object> write(TrainingState training) {
        TrainerState state = training.trainer();
        Map<String, Object> trainer = new LinkedHashMap<>();
        trainer.put("steps_done", state.stepsDone());
        trainer.put("total_steps", state.totalSteps());
        trainer.put("next_document", state.nextDocument());
        trainer.put("next_position", state.nextPosition());
        trainer.put("step_mode", training.stepMode() == null ? null : training.stepMode().name().toLowerCase(Locale.ROOT));
        OptimizerState o = training.optimizer();
        Map<String, Object> optimizer = new LinkedHashMap<>();
        optimizer.put("name", "adam");
        optimizer.put("learning_rate", o.settings().learningRate());
        optimizer.put("beta1", o.settings().beta1());
        optimizer.put("beta2", o.settings().beta2());
        optimizer.put("eps", o.settings().eps());
        optimizer.put("schedule", o.scheduleName());
        if (o.scheduleName().equals(OptimizerState.CUSTOM)) {
            // A schedule of the user's own: its code cannot be saved, so its name and its rates are.
            optimizer.put("schedule_class", SavedSchedule.classNameOf(o.settings().schedule()));
            optimizer.put("schedule_sha256", SavedSchedule.ratesSha256(o.settings().schedule(),
                    o.settings().learningRate(), state.totalSteps()));
        }
        optimizer.put("moments", Format.OPTIMIZER_FILE);
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("documents", training.fingerprint().documentCount());
        data.put("sha256", training.fingerprint().sha256());
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("format", Format.TRAINING_FORMAT);
        root.put("version", Format.TRAINER_VERSION);
        root.put("trainer", trainer);
        root.put("optimizer", optimizer);
        root.put("data", data);
        PythonRandomState random = training.randomState();
        if (random == null) {
            root.put("random", null);
        } else {
            // Python's random.getstate(): (3, (624 words as unsigned ints..., index), gauss_next or None).
            List<Object> internal = new ArrayList<>(PythonRandomState.WORDS + 1);
            for (int word : random.words()) {
                internal.add(Integer.toUnsignedLong(word));
            }
            internal.add(random.index());
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("version", 3);
            r.put("internal_state", internal);
            r.put("gauss_next", random.hasGaussNext() ? random.gaussNext() : null);
            root.put("random", r);
        }
        TrainingRun run = training.run();
        if (run == null) {
            // Written as null, not left out: a file without "run" is an older one, whose run is
            // read from its metadata, and a run recorded as unknown must stay unknown.
            root.put("run", null);
        } else {
            Map<String, Object> source = new LinkedHashMap<>();
            source.put("kind", kindName(run.data().kind()));
            source.put("name", run.data().name());
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("seed", run.seed());
            r.put("data", source);
            root.put("run", r);
        }
        root.put("metadata", new LinkedHashMap<>(training.metadata()));
        return root;
    }

    static Contents read(Path file, JsonFields root, GptConfig config) throws CheckpointException {
        int version = JsonFile.checkFormat(file, root, Format.TRAINING_FORMAT, Format.TRAINER_VERSION);

        JsonFields data = root.object("data");
        data.onlyKeys("documents", "sha256");
        int documents = data.integer("documents", 1, Integer.MAX_VALUE);
        String sha256 = data.string("sha256");
        if (!sha256.matches("[0-9a-f]{64}")) {
            throw data.error("sha256", "must be 64 lowercase hexadecimal digits, got " + JsonFields.describe(sha256));
        }
        DataFingerprint fingerprint = new DataFingerprint(documents, sha256);

        JsonFields t = root.object("trainer");
        if (version == 1) {
            t.onlyKeys("steps_done", "total_steps", "next_document", "next_position", OLD_DOCUMENT, OLD_POSITION,
                    "step_mode");
        } else {
            // The older names are version 1's; a file of version 2 that has them was edited by hand.
            t.onlyKeys("steps_done", "total_steps", "next_document", "next_position", "step_mode");
        }
        int totalSteps = t.integer("total_steps", 1, Integer.MAX_VALUE);
        int stepsDone = t.integer("steps_done", 0, totalSteps);
        // Older files (OLD_DOCUMENT) kept only the cursor of the position steps.
        boolean older = t.has(OLD_DOCUMENT) || t.has(OLD_POSITION);
        if (older && (t.has("next_document") || t.has("next_position"))) {
            throw t.error(OLD_DOCUMENT, "and \"trainer.next_document\" are both there: a file has one or the other");
        }
        String documentKey = older ? OLD_DOCUMENT : "next_document";
        String positionKey = older ? OLD_POSITION : "next_position";
        int nextDocument = t.integer(documentKey, 0, documents - 1);
        int nextPosition = t.integer(positionKey, 0, config.blockSize() - 1);
        StepMode stepMode = null;
        if (!t.isNull("step_mode")) {
            String mode = t.string("step_mode");
            for (StepMode candidate : StepMode.values()) {
                if (candidate.name().toLowerCase(Locale.ROOT).equals(mode)) {
                    stepMode = candidate;
                }
            }
            if (stepMode == null) {
                throw t.error("step_mode", "is " + JsonFields.describe(mode) + ", expected \"document\", "
                        + "\"position\" or null");
            }
        }
        // The place starts at (0, 0) and moves only with steps.
        if (stepsDone == 0 && (nextDocument != 0 || nextPosition != 0)) {
            throw t.error(documentKey, "and \"trainer." + positionKey + "\" are (" + nextDocument + ", "
                    + nextPosition + ") but no step was done (\"trainer.steps_done\" is 0), and a run starts at"
                    + " (0, 0): the position does not agree with the steps");
        }
        if (older && stepMode != StepMode.POSITION && nextDocument == 0 && nextPosition == 0) {
            // A run of document steps never moved the old cursor; its next document was this one.
            // With no step mode recorded too: position steps leave the cursor at the start only
            // after a whole pass over every document, and a document run never moves it.
            nextDocument = stepsDone % documents;
        }
        TrainerState trainerState = new TrainerState(stepsDone, totalSteps, nextDocument, nextPosition);

        JsonFields o = root.object("optimizer");
        o.onlyKeys("name", "learning_rate", "beta1", "beta2", "eps", "schedule", "schedule_class", "schedule_sha256",
                "moments");
        // The moments are always read from optimizer.safetensors beside this file; a file that
        // names another (another run's, the model's, a path outside) would be ignored unsaid.
        if (o.has("moments") && !Format.OPTIMIZER_FILE.equals(o.string("moments"))) {
            throw o.error("moments", "is " + JsonFields.describe(o.string("moments")) + ", but the moments are in \""
                    + Format.OPTIMIZER_FILE + "\" beside " + Format.TRAINER_FILE + ", the only file they are read from");
        }
        String name = o.string("name");
        if (!name.equals("adam")) {
            throw o.error("name", "is " + JsonFields.describe(name) + "; only \"adam\" is known");
        }
        // Only finite numbers here: the ranges are AdamSettings', checked by its constructor
        // below (their one place) and told in the file's keys.
        double learningRate = o.finiteDouble("learning_rate");
        double beta1 = o.finiteDouble("beta1");
        double beta2 = o.finiteDouble("beta2");
        double eps = o.finiteDouble("eps");
        String schedule = o.string("schedule");
        if (!schedule.equals(OptimizerState.LINEAR_DECAY) && !schedule.equals(OptimizerState.CONSTANT)
                && !schedule.equals(OptimizerState.CUSTOM)) {
            throw o.error("schedule", "is " + JsonFields.describe(schedule) + ", expected \""
                    + OptimizerState.LINEAR_DECAY + "\", \"" + OptimizerState.CONSTANT + "\" or \""
                    + OptimizerState.CUSTOM + "\"");
        }
        String scheduleClass = null;
        String scheduleSha256 = null;
        if (schedule.equals(OptimizerState.CUSTOM)) {
            scheduleClass = o.string("schedule_class");
            if (!scheduleClass.matches("[\\p{L}\\p{N}_$./]{1,500}")) {
                throw o.error("schedule_class", "is " + JsonFields.describe(scheduleClass)
                        + ", expected a Java class name (letters, digits, '_', '$', '.', '/'; at most 500)");
            }
            scheduleSha256 = o.string("schedule_sha256");
            if (!scheduleSha256.matches("[0-9a-f]{64}")) {
                throw o.error("schedule_sha256", "is " + JsonFields.describe(scheduleSha256)
                        + ", expected 64 lowercase hexadecimal digits (the SHA-256 of the schedule's rates)");
            }
        } else {
            for (String key : List.of("schedule_class", "schedule_sha256")) {
                if (o.has(key)) {
                    throw o.error(key, "is there, but only a \"" + OptimizerState.CUSTOM + "\" schedule has it");
                }
            }
        }

        AdamSettings settings;
        try {
            settings = new AdamSettings(learningRate, beta1, beta2, eps,
                    OptimizerState.scheduleOf(schedule, scheduleClass, scheduleSha256));
        } catch (IllegalArgumentException e) {
            throw o.refusal(e, SETTINGS_KEYS);
        }

        PythonRandomState random = root.isNull("random") ? null : readRandom(root.object("random"));
        Map<String, String> metadata = root.isNull("metadata") ? Map.of() : root.stringMap("metadata");
        TrainingRun run = !root.has("run") ? runOf(metadata) : root.isNull("run") ? null : readRun(root.object("run"));
        return new Contents(trainerState, stepMode, settings, random, fingerprint, run, metadata);
    }

    /**
     * The run that the metadata of a checkpoint written before {@code "run"} describes (the
     * command line's {@code "seed"} and {@code "data"}, or the simulator's), or null if it
     * describes none.
     */
    static TrainingRun runOf(Map<String, String> metadata) {
        String seedText = metadata.get(SEED_KEY);
        if (seedText == null) {
            return null;
        }
        long seed;
        try {
            seed = Long.parseLong(seedText.strip());
        } catch (NumberFormatException e) {
            return null;
        }
        String data = metadata.get(DATA_KEY);
        if (data == null) {
            String simulatorSource = metadata.get(SIMULATOR_SOURCE_KEY);
            if (simulatorSource != null && !simulatorSource.equals(DataSource.EMBEDDED_NAME)) {
                String name = metadata.getOrDefault(SIMULATOR_NAME_KEY, simulatorSource);
                return new TrainingRun(seed, DataSource.inMemory(name.isBlank() ? simulatorSource : name));
            }
            return new TrainingRun(seed, DataSource.embedded());
        }
        if (data.equals(DataSource.EMBEDDED_NAME)) {
            return new TrainingRun(seed, DataSource.embedded());
        }
        try {
            return Path.of(data).isAbsolute() ? new TrainingRun(seed, DataSource.file(Path.of(data))) : null;
        } catch (RuntimeException e) {
            return null;
        }
    }

    /**
     * A source's kind as the file spells it. {@code "given"} is {@link DataSource.Kind#IN_MEMORY},
     * the word files had before the kind was renamed: new files say it too, so that a file is read
     * the same by every version that reads runs.
     */
    private static String kindName(DataSource.Kind kind) {
        return switch (kind) {
            case EMBEDDED -> "embedded";
            case FILE -> "file";
            case IN_MEMORY -> "given";
        };
    }

    private static TrainingRun readRun(JsonFields run) throws CheckpointException {
        run.onlyKeys("seed", "data");
        long seed = run.longInteger("seed", Long.MIN_VALUE, Long.MAX_VALUE);
        JsonFields source = run.object("data");
        source.onlyKeys("kind", "name");
        String kindName = source.string("kind");
        DataSource.Kind kind = null;
        for (DataSource.Kind candidate : DataSource.Kind.values()) {
            if (kindName(candidate).equals(kindName)) {
                kind = candidate;
            }
        }
        if (kind == null) {
            throw source.error("kind", "is " + JsonFields.describe(kindName)
                    + ", expected \"embedded\", \"file\" or \"given\"");
        }
        try {
            return new TrainingRun(seed, new DataSource(kind, source.string("name")));
        } catch (IllegalArgumentException e) {
            // The reason quotes the name, which the file may make a mebibyte long.
            throw source.error("name", "is not a valid " + kindName + " source: " + JsonFields.excerpt(e.getMessage(), 200));
        }
    }

    private static PythonRandomState readRandom(JsonFields random) throws CheckpointException {
        random.onlyKeys("version", "internal_state", "gauss_next");
        int version = random.integer("version", 0, Integer.MAX_VALUE);
        if (version != 3) {
            throw random.error("version", "is " + version + "; only version 3 (Python 3's random.getstate()) is known");
        }
        List<Object> internal = random.array("internal_state", PythonRandomState.WORDS + 1,
                PythonRandomState.WORDS + 1);
        int[] words = new int[PythonRandomState.WORDS];
        for (int i = 0; i < words.length; i++) {
            words[i] = (int) random.integerValue(internal.get(i), random.name("internal_state") + "[" + i + "]", 0,
                    0xFFFFFFFFL);
        }
        int index = (int) random.integerValue(internal.get(PythonRandomState.WORDS),
                random.name("internal_state") + "[" + PythonRandomState.WORDS + "]", 0, PythonRandomState.WORDS);
        if (!random.has("gauss_next")) {
            throw random.error("gauss_next", "is missing (write null when no Gaussian is waiting)");
        }
        boolean hasGaussNext = !random.isNull("gauss_next");
        double gaussNext = hasGaussNext ? random.finiteDouble("gauss_next") : 0.0;
        try {
            return new PythonRandomState(words, index, hasGaussNext, gaussNext);
        } catch (IllegalArgumentException e) {
            // The index and the Gaussian are checked above: what is left is the words themselves
            // (a degenerate state, every bit that matters 0).
            throw random.error("internal_state", "is not a usable generator state: " + e.getMessage());
        }
    }
}
