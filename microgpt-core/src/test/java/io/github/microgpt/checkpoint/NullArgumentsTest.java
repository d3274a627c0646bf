package io.github.microgpt.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.GptModel;
import io.github.microgpt.model.LanguageModel;
import io.github.microgpt.model.Precision;
import io.github.microgpt.optim.AdamOptimizer;
import io.github.microgpt.optim.AdamSettings;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.random.PythonRandomState;
import io.github.microgpt.text.DataSource;
import io.github.microgpt.text.Documents;
import io.github.microgpt.text.Tokenizer;
import io.github.microgpt.train.StepEvent;
import io.github.microgpt.train.StepMode;
import io.github.microgpt.train.Trainer;
import io.github.microgpt.train.TrainerState;
import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every public method and constructor of the checkpoint and text packages, called with a null
 * for each of its reference parameters in turn (the others valid): a null the method refuses
 * must be refused with our own message, the parameter's name ({@code Objects.requireNonNull(x,
 * "x")}), not with the JVM's "Cannot invoke ... because ... is null" from deep inside, which
 * names a local variable of the library rather than the caller's mistake.
 */
class NullArgumentsTest {

    private static final List<Class<?>> TYPES = List.of(Checkpoint.class, CheckpointException.class,
            DataFingerprint.class, LossHistory.class, OptimizerState.class, ResumedTraining.class, SaveLock.class,
            TrainingRun.class, TrainingState.class, DataSource.class, Documents.class, Tokenizer.class);
    private static final List<String> DOCS = List.of("ab", "ba", "abba");

    @TempDir
    Path dir;

    private final AtomicInteger fresh = new AtomicInteger();
    private Path checkpointDirectory;
    private Path dataFile;

    @Test
    void everyRefusedNullIsNamedByOurOwnMessage() throws Exception {
        dataFile = Files.writeString(dir.resolve("names.txt"), String.join("\n", DOCS) + "\n");
        checkpointDirectory = dir.resolve("checkpoint");
        Trainer trainer = trainer();
        Checkpoint.save(checkpointDirectory, trainer.model(), Tokenizer.fromDocuments(DOCS),
                TrainingState.capture(trainer, new PythonRandom(42), StepMode.DOCUMENT, Map.of(),
                        new TrainingRun(42, DataSource.file(dataFile)), new double[0]));
        List<String> jvmMessages = new ArrayList<>();
        int calls = 0;
        for (Class<?> type : TYPES) {
            List<Executable> executables = new ArrayList<>(List.of(type.getConstructors()));
            for (Method method : type.getMethods()) {
                if (method.getDeclaringClass() == type && !method.getName().equals("equals")) {
                    executables.add(method);
                }
            }
            for (Executable executable : executables) {
                Class<?>[] parameters = executable.getParameterTypes();
                for (int i = 0; i < parameters.length; i++) {
                    if (parameters[i].isPrimitive()) {
                        continue;
                    }
                    Object[] args = new Object[parameters.length];
                    for (int j = 0; j < args.length; j++) {
                        args[j] = j == i ? null : valueOf(parameters[j], executable);
                    }
                    calls++;
                    Throwable thrown = call(executable, instanceOf(type, executable), args);
                    if (thrown instanceof NullPointerException npe
                            && (npe.getMessage() == null || npe.getMessage().startsWith("Cannot "))) {
                        jvmMessages.add(type.getSimpleName() + "." + executable.getName() + " with parameter " + i
                                + " null: " + npe.getMessage());
                    }
                }
            }
        }
        assertTrue(calls > 60, "the public API was reached: " + calls + " calls");
        assertEquals(List.of(), jvmMessages);
    }

    private static Throwable call(Executable executable, Object instance, Object[] args) throws Exception {
        try {
            if (executable instanceof Constructor<?> constructor) {
                constructor.newInstance(args);
            } else {
                Object result = ((Method) executable).invoke(instance, args);
                if (result instanceof SaveLock lock) {
                    lock.close();
                }
            }
            return null;
        } catch (InvocationTargetException e) {
            return e.getCause();
        }
    }

    private Object instanceOf(Class<?> type, Executable executable) throws Exception {
        if (executable instanceof Constructor<?> || Modifier.isStatic(executable.getModifiers())) {
            return null;
        }
        if (type == Checkpoint.class) {
            return Checkpoint.load(checkpointDirectory);
        }
        if (type == Tokenizer.class) {
            return Tokenizer.fromDocuments(DOCS);
        }
        if (type == LossHistory.class) {
            return LossHistory.recording(trainer());
        }
        if (type == TrainingRun.class) {
            return new TrainingRun(42, DataSource.file(dataFile));
        }
        return valueOf(type, executable);
    }

    private Trainer trainer() {
        LanguageModel model = GptModel.create(new GptConfig(1, 4, 2, 8, 0.08), 3, new PythonRandom(1));
        return new Trainer(model, Tokenizer.fromDocuments(DOCS), DOCS, new AdamOptimizer(model.numParameters()), 4);
    }

    /** A valid value of a parameter's type, for the method it is given to. */
    private Object valueOf(Class<?> type, Executable executable) throws IOException {
        String name = executable.getName();
        if (type == int.class) {
            return 1;
        }
        if (type == long.class) {
            return 42L;
        }
        if (type == Path.class) {
            if (name.equals("load") && executable.getDeclaringClass() == Checkpoint.class) {
                return checkpointDirectory;
            }
            if (executable.getDeclaringClass() == Documents.class || executable.getDeclaringClass() == DataSource.class) {
                return name.equals("download") ? Files.createDirectories(dir.resolve("cache")) : dataFile;
            }
            return dir.resolve("fresh-" + fresh.incrementAndGet());
        }
        if (type == String.class) {
            return name.equals("fromUrl") || name.equals("download") ? "0".repeat(64) : "ab";
        }
        if (type == Object.class) {
            return "ab";
        }
        if (type == List.class || type == Collection.class) {
            return DOCS;
        }
        if (type == Map.class) {
            return Map.of();
        }
        if (type == double[].class) {
            return new double[0];
        }
        if (type == int[].class) {
            return new int[] {0};
        }
        if (type == Throwable.class) {
            return new IllegalStateException("cause");
        }
        if (type == URI.class) {
            return URI.create("http://127.0.0.1:9/names.txt");  // the discard port: nothing answers
        }
        if (type == Precision.class) {
            return Precision.F64;
        }
        if (type == DataSource.Kind.class) {
            return DataSource.Kind.FILE;
        }
        if (type == DataSource.class) {
            return DataSource.file(dataFile);
        }
        if (type == StepMode.class) {
            return StepMode.DOCUMENT;
        }
        if (type == TrainerState.class) {
            return new TrainerState(0, 4, 0, 0);
        }
        if (type == AdamSettings.class) {
            return AdamSettings.defaults();
        }
        if (type == PythonRandom.class) {
            return new PythonRandom(42);
        }
        if (type == PythonRandomState.class) {
            return new PythonRandom(42).state();
        }
        if (type == Tokenizer.class) {
            return Tokenizer.fromDocuments(DOCS);
        }
        Trainer trainer = trainer();
        if (type == Trainer.class) {
            return trainer;
        }
        if (type == LanguageModel.class) {
            return trainer.model();
        }
        if (type == AdamOptimizer.class) {
            return new AdamOptimizer(trainer.model().numParameters());
        }
        if (type == OptimizerState.class) {
            return new AdamOptimizer(trainer.model().numParameters()).state();
        }
        if (type == DataFingerprint.class) {
            return DataFingerprint.of(DOCS);
        }
        if (type == Documents.Limits.class) {
            return Documents.Limits.defaults();
        }
        if (type == TrainingRun.class) {
            return new TrainingRun(42, DataSource.file(dataFile));
        }
        if (type == TrainingState.class) {
            return TrainingState.capture(trainer, new PythonRandom(42), StepMode.DOCUMENT, Map.of(), null, null);
        }
        if (type == LossHistory.class) {
            return LossHistory.recording(trainer);
        }
        if (type == StepEvent.class) {
            return trainer.step(StepMode.DOCUMENT);  // a real event: only a Trainer makes one
        }
        throw new AssertionError("no value for " + type + " of " + executable);
    }
}
