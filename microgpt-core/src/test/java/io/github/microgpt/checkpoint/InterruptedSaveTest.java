package io.github.microgpt.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.GptModel;
import io.github.microgpt.optim.AdamOptimizer;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.text.Tokenizer;
import io.github.microgpt.train.StepMode;
import io.github.microgpt.train.Trainer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No run is lost: a save killed at any moment leaves a checkpoint that the next load uses or
 * repairs by itself; what a crash leaves behind is cleaned up; and two processes cannot save into
 * one directory at once.
 */
class InterruptedSaveTest {

    static final Tokenizer TOKENIZER = Tokenizer.fromDocuments(List.of("anna", "bob", "emma"));

    @TempDir
    Path tmp;

    @AfterEach
    void noHook() {
        AtomicFiles.hook = null;
        InterruptedSaves.hook = null;
        CheckpointReader.afterFile = null;
        Checkpoint.afterAwaitingRename = null;
    }

    private static Set<String> names(Path dir) throws Exception {
        try (Stream<Path> files = Files.list(dir)) {
            return new TreeSet<>(files.map(p -> p.getFileName().toString()).toList());
        }
    }

    private static GptModel model(double first) {
        GptModel model = GptModel.create(new GptConfig(1, 16, 2, 8, 0.1), TOKENIZER.vocabSize(), new PythonRandom(1));
        model.parameters().setValue(0, first);
        return model;
    }

    /**
     * Kills a JVM that saves over and over at random moments (SIGKILL, no clean-up of any kind);
     * each time the checkpoint must load, be one of the saves, and leave no leftovers. Seeded, so
     * a failure can be replayed; the kills land in every stage of a save over the rounds.
     */
    @Test
    void aSaveKilledAtAnyMomentLeavesACheckpointThatLoads() throws Exception {
        Random random = new Random(20261202);
        Path dir = tmp.resolve("run");
        for (int round = 0; round < 4; round++) {
            Process child = ExactResumeTest.startJvm(SaveLoopMain.class.getName(), "save", dir.toString());
            AtomicInteger saves = new AtomicInteger();
            CountDownLatch firstSave = new CountDownLatch(1);
            // Whether every line the child wrote was read: the JDK may close the pipe under a
            // reader when the child dies, and then the last saves it reported are unknown.
            java.util.concurrent.atomic.AtomicBoolean readToEnd = new java.util.concurrent.atomic.AtomicBoolean();
            Thread reader = new Thread(() -> {
                try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    for (String line; (line = out.readLine()) != null; ) {
                        if (line.startsWith("saved ")) {
                            saves.set(Integer.parseInt(line.substring(6)));
                            firstSave.countDown();
                        }
                    }
                    readToEnd.set(true);
                } catch (IOException | RuntimeException e) {
                    // The stream was closed under the reader when the child was killed.
                }
            });
            reader.start();
            assertTrue(firstSave.await(60, TimeUnit.SECONDS), "the child saved once");
            Thread.sleep(random.nextInt(300));
            child.destroyForcibly();
            assertTrue(child.waitFor(30, TimeUnit.SECONDS), "the child died");
            reader.join(10_000);
            int lastSaved = saves.get();
            Checkpoint loaded = Checkpoint.load(dir);
            double saved = loaded.weights()[0];
            assertTrue(saved == lastSaved || saved == lastSaved + 1 || !readToEnd.get() && saved > lastSaved,
                    "round " + round + ": the checkpoint is the last finished save or the one after it, got " + saved
                            + " after save " + lastSaved);
            assertEquals(Set.of("run"), names(tmp), "round " + round + ": no leftovers");
        }
    }

    /**
     * SIGTERM (what {@code kill} and a service manager send; Ctrl-C's SIGINT takes the same path)
     * at random moments of a JVM that saves over and over: the JVM lets the save under way end,
     * so that the checkpoint is whole and nothing is left beside it, before any load repairs
     * anything; the lock file goes too.
     */
    @Test
    void aSaveStoppedBySigtermLeavesNothingBeside() throws Exception {
        Random random = new Random(20261204);
        Path dir = tmp.resolve("run");
        for (int round = 0; round < 4; round++) {
            Process child = ExactResumeTest.startJvm(SaveLoopMain.class.getName(), "save", dir.toString());
            BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                    StandardCharsets.UTF_8));
            assertEquals("saved 1", out.readLine(), "round " + round + ": the child saved once");
            Thread.sleep(random.nextInt(300));
            child.destroy();   // SIGTERM
            assertTrue(child.waitFor(30, TimeUnit.SECONDS), "the child stopped");
            assertEquals(Set.of("run"), names(tmp), "round " + round + ": no leftovers, not even a lock file");
            assertTrue(Checkpoint.load(dir).weights()[0] >= 1, "round " + round + ": the checkpoint loads");
        }
    }

    /**
     * SIGTERM while a save pauses at each of its stages: the save finishes (the checkpoint is
     * the new one) and leaves nothing beside it.
     */
    @Test
    void aSigtermDuringASaveLetsItFinish() throws Exception {
        for (String stage : List.of("written", "aside")) {
            Path dir = tmp.resolve(stage);
            Process child = ExactResumeTest.startJvm(SaveLoopMain.class.getName(), "pause", dir.toString(), stage);
            try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                    StandardCharsets.UTF_8))) {
                assertEquals("saved 1", out.readLine());
                assertEquals("at " + stage, out.readLine());
                child.destroy();   // SIGTERM, in the middle of the second save
                assertTrue(child.waitFor(30, TimeUnit.SECONDS), "the child stopped");
            } finally {
                child.destroyForcibly();
            }
            assertEquals(Set.of(stage), names(tmp).stream().filter(n -> n.contains(stage))
                    .collect(java.util.stream.Collectors.toSet()), stage + ": no leftovers, not even a lock file");
            assertEquals(2, Checkpoint.load(dir).weights()[0], stage + ": the save under way finished");
        }
    }

    /** A SIGTERM to a program that holds a save lock (a run that will save) deletes the lock file. */
    @Test
    void aSigtermReleasesTheSaveLockAndItsFile() throws Exception {
        Process holder = lockHolder(tmp.resolve("held"));
        try {
            assertEquals(Set.of(".held.lock"), names(tmp));
            holder.destroy();
            assertTrue(holder.waitFor(30, TimeUnit.SECONDS), "the holder stopped");
        } finally {
            holder.destroyForcibly();
        }
        assertEquals(Set.of(), names(tmp), "the lock file went with the holder");
    }

    /**
     * A save still writing when the stop's grace period ends gives up: it deletes what it wrote,
     * the earlier checkpoint stays, the lock file goes, and no save begins after the stop.
     */
    @Test
    void aSaveStillWritingAtTheEndOfTheGraceGivesUp() throws Exception {
        Path dir = tmp.resolve("run");
        Checkpoint.save(dir, model(1), TOKENIZER);
        CountDownLatch written = new CountDownLatch(1);
        AtomicFiles.hook = stage -> {
            if (stage.equals("written")) {
                written.countDown();
                for (int i = 0; i < 3000 && !SavesAtExit.gaveUp(); i++) {
                    sleep(10);
                }
            }
        };
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread saver = new Thread(() -> {
            try {
                Checkpoint.save(dir, model(2), TOKENIZER);
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        try {
            saver.start();
            await(written, 30);
            SavesAtExit.stop(0);
            saver.join(30_000);
            assertTrue(failure.get() instanceof CheckpointException, String.valueOf(failure.get()));
            assertTrue(failure.get().getMessage().contains("not saved: the program was stopped"),
                    failure.get().getMessage());
            assertEquals(Set.of("run"), names(tmp), "what the save wrote and its lock file are gone");
            CheckpointException late = assertThrows(CheckpointException.class,
                    () -> Checkpoint.save(dir, model(3), TOKENIZER));
            assertTrue(late.getMessage().contains("being stopped"), late.getMessage());
            assertThrows(CheckpointException.class, () -> SaveLock.acquire(dir));
            assertEquals(1, Checkpoint.load(dir).weights()[0], "the earlier checkpoint is unchanged");
        } finally {
            SavesAtExit.resetForTests();
        }
    }

    /** Every stage of a save, interrupted in-process as a kill would (no clean-up), is repaired by load and by save. */
    @Test
    void aCrashAtEachStageIsRepairedByTheNextLoadOrSave() throws Exception {
        for (String stage : List.of("written", "aside", "renamed")) {
            for (boolean repairBySave : new boolean[] {false, true}) {
                Path dir = tmp.resolve(stage + (repairBySave ? "-save" : "-load"));
                Checkpoint.save(dir, model(1), TOKENIZER);
                CheckpointTest.crashAt(stage, () -> Checkpoint.save(dir, model(2), TOKENIZER));
                double expected = stage.equals("written") ? 1 : 2;
                if (repairBySave) {
                    Checkpoint.save(dir, model(3), TOKENIZER);
                    expected = 3;
                }
                assertEquals(expected, Checkpoint.load(dir).weights()[0], stage);
                try (Stream<Path> files = Files.list(tmp)) {
                    assertEquals(List.of(), files.map(p -> p.getFileName().toString())
                            .filter(n -> n.startsWith("." + dir.getFileName() + ".")).toList(),
                            stage + ": leftovers cleaned up");
                }
            }
        }
    }

    /** A first save killed after writing but before its rename: the complete new checkpoint is put in place. */
    @Test
    void aFirstSaveKilledBeforeItsRenameIsPutInPlace() throws Exception {
        Path dir = tmp.resolve("first");
        AtomicFiles.hook = at -> {
            throw new CheckpointTest.SimulatedCrash();
        };
        assertThrows(CheckpointTest.SimulatedCrash.class, () -> Checkpoint.save(dir, model(5), TOKENIZER));
        AtomicFiles.hook = null;
        assertTrue(Files.notExists(dir));
        assertEquals(5, Checkpoint.load(dir).weights()[0]);
        assertEquals(Set.of("first"), names(tmp));
    }

    /**
     * A save killed while it probed whether the folder can be written (before its first step)
     * leaves a {@code .NAME.probe-} directory: the next load cleans it up like any other leftover.
     */
    @Test
    void aProbeLeftByAKilledSaveIsCleanedUp() throws Exception {
        Path dir = tmp.resolve("probed");
        Checkpoint.save(dir, model(4), TOKENIZER);
        Path probe = Files.createDirectory(tmp.resolve(".probed.probe-5678"));
        Files.write(probe.resolve("probe"), new byte[] {1});
        assertEquals(4, Checkpoint.load(dir).weights()[0]);
        assertEquals(Set.of("probed"), names(tmp));
    }

    /**
     * A save that renames the directory aside just after a load has looked for it: the load must
     * wait for the save's second rename, not report an interrupted save (and ask the user to
     * rename a directory that the save is about to replace). The test plays the save: right after
     * the load has looked, it renames the directory aside, and puts it back 50 ms later.
     */
    @Test
    void aLoadThatFindsTheDirectoryRenamedAsideWaitsForTheSecondRename() throws Exception {
        Path dir = tmp.resolve("swapped");
        GptModel model = GptModel.create(new GptConfig(1, 16, 2, 8, 0.1), TOKENIZER.vocabSize(), new PythonRandom(4));
        Checkpoint.save(dir, model, TOKENIZER);
        Path aside = tmp.resolve(".swapped.old-5eed");
        AtomicInteger looks = new AtomicInteger();
        AtomicReference<Throwable> restoreFailure = new AtomicReference<>();
        Thread restorer = new Thread(() -> {
            try {
                sleep(50);
                Files.move(aside, dir);
            } catch (Throwable e) {
                restoreFailure.set(e);
            }
        });
        Checkpoint.afterAwaitingRename = () -> {
            if (looks.incrementAndGet() == 1) {
                try {
                    Files.move(dir, aside);
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
                restorer.start();
            }
        };
        Checkpoint loaded = Checkpoint.load(dir);
        restorer.join(10_000);
        assertNull(restoreFailure.get());
        assertEquals(2, looks.get(), "the load looked again after the directory went");
        assertEquals(TOKENIZER.vocabSize(), loaded.model().vocabSize());
        assertTrue(Files.isDirectory(dir) && !Files.exists(aside));
    }

    /**
     * A load while another thread (or a training run in another process) replaces the checkpoint:
     * the directory may be swapped between the reading of one file and the next, so a load can
     * see config.json of one save and model.safetensors of the next. Saves alternate between two
     * vocabularies, so a mixed read would not even have the right shapes: every load must give
     * one whole save.
     */
    @Test
    void aLoadDuringSavesSeesOneWholeSave() throws Exception {
        Path dir = tmp.resolve("busy");
        Tokenizer small = TOKENIZER;
        Tokenizer large = Tokenizer.fromDocuments(List.of("anna", "bob", "emma", "xavier", "quincy", "zed"));
        GptConfig config = new GptConfig(1, 16, 2, 8, 0.1);
        GptModel smallModel = GptModel.create(config, small.vocabSize(), new PythonRandom(1));
        GptModel largeModel = GptModel.create(config, large.vocabSize(), new PythonRandom(2));
        Checkpoint.save(dir, smallModel, small);
        AtomicInteger saves = new AtomicInteger();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> saveFailure = new AtomicReference<>();
        Thread saver = new Thread(() -> {
            try {
                while (!stop.get()) {
                    boolean odd = saves.get() % 2 == 0;
                    Checkpoint.save(dir, odd ? largeModel : smallModel, odd ? large : small);
                    saves.incrementAndGet();
                }
            } catch (Throwable e) {
                saveFailure.set(e);   // a load's repair must not take a save's files for leftovers
            }
        });
        // After config.json, a load waits (up to a second) for the next save before it goes on.
        CheckpointReader.afterFile = file -> {
            if (file.equals(Checkpoint.CONFIG_FILE)) {
                int before = saves.get();
                for (int wait = 0; wait < 1000 && saves.get() == before; wait++) {
                    sleep(1);
                }
            }
        };
        saver.start();
        try {
            for (int i = 0; i < 60; i++) {
                Checkpoint loaded = Checkpoint.load(dir);
                assertEquals(loaded.tokenizer().vocabSize(), loaded.model().vocabSize(), "load " + i);
            }
        } finally {
            stop.set(true);
            saver.join(60_000);
        }
        assertNull(saveFailure.get(), () -> "the saves went on: " + saveFailure.get());
        assertTrue(saves.get() > 1, "the saver ran");
    }

    /**
     * Slow loads (as a cold JVM's) while another thread trains and saves after every step, as
     * {@code train --save-every 1} does: each load must give one whole save (the weights and
     * Adam's moments of the step its trainer state names) or say that the checkpoint kept changing
     * and to try again; never files of two saves, and the saver never fails. A bounded number of
     * loads; each one pauses after every file it reads, so that saves happen while it reads.
     */
    @Test
    void slowLoadsDuringASaveEveryStepGiveOneWholeSaveOrSayToTryAgain() throws Exception {
        Path dir = tmp.resolve("every-step");
        List<String> docs = List.of("anna", "bob", "emma", "olivia", "li");
        Tokenizer tokenizer = Tokenizer.fromDocuments(docs);
        PythonRandom random = new PythonRandom(3);
        GptModel model = GptModel.create(new GptConfig(1, 8, 2, 6, 0.1), tokenizer.vocabSize(), random);
        Trainer trainer = new Trainer(model, tokenizer, docs, new AdamOptimizer(model.numParameters()), 1_000_000);
        Map<Integer, double[][]> saved = new ConcurrentHashMap<>();   // steps done -> weights, first moments
        trainer.step(StepMode.DOCUMENT);
        saved.put(1, new double[][] {model.parameters().values(), trainer.optimizer().state().firstMoments()});
        Checkpoint.save(dir, model, tokenizer, TrainingState.capture(trainer, random, StepMode.DOCUMENT, Map.of(), null, null));
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> saveFailure = new AtomicReference<>();
        AtomicInteger saves = new AtomicInteger();
        Thread saver = new Thread(() -> {
            try {
                while (!stop.get()) {
                    trainer.step(StepMode.DOCUMENT);
                    TrainingState state = TrainingState.capture(trainer, random, StepMode.DOCUMENT, Map.of(), null, null);
                    saved.put(trainer.stepsDone(), new double[][] {model.parameters().values(),
                        state.optimizer().firstMoments()});
                    Checkpoint.save(dir, model, tokenizer, state);
                    saves.incrementAndGet();
                }
            } catch (Throwable e) {
                saveFailure.set(e);
            }
        });
        // After each file a load reads, it waits (up to a second) for the next save.
        CheckpointReader.afterFile = file -> {
            int before = saves.get();
            for (int wait = 0; wait < 1000 && saves.get() == before; wait++) {
                sleep(1);
            }
        };
        int whole = 0;
        int retryable = 0;
        saver.start();
        try {
            for (int i = 0; i < 40; i++) {
                Checkpoint loaded;
                try {
                    loaded = Checkpoint.load(dir);
                } catch (CheckpointException e) {
                    assertTrue(e.getMessage().contains("try again"), "load " + i + " failed with: " + e.getMessage());
                    retryable++;
                    continue;
                }
                TrainingState state = loaded.training().orElseThrow();
                double[][] expected = saved.get(state.trainer().stepsDone());
                assertArrayEquals(expected[0], loaded.weights(), "load " + i + ": the weights of the step saved");
                assertArrayEquals(expected[1], state.optimizer().firstMoments(), "load " + i + ": its moments");
                whole++;
            }
        } finally {
            stop.set(true);
            saver.join(60_000);
        }
        assertNull(saveFailure.get(), () -> "the saves went on: " + saveFailure.get());
        assertTrue(whole > 0, "some loads gave a whole save (" + retryable + " said to try again)");
        assertTrue(saves.get() > 1, "the saver saved while the loads ran");
    }

    /**
     * A load's repair and a save of another thread of the same process, as when the simulator
     * loads a run while saving it: the repair starts first (this process holds the directory's
     * lock, as {@code train --save} does for its whole run, so every load looks for leftovers),
     * and a save starts while it runs. The save must wait for the repair rather than have its
     * half-written version deleted as a leftover.
     */
    @Test
    @SuppressWarnings("try")   // the lock is held through the try's body, which need not name it
    void aSaveThatStartsDuringARepairIsNotUndoneByIt() throws Exception {
        Path dir = tmp.resolve("race");
        Checkpoint.save(dir, model(1), TOKENIZER);
        CountDownLatch repairing = new CountDownLatch(1);
        CountDownLatch written = new CountDownLatch(1);
        CountDownLatch loadDone = new CountDownLatch(1);
        InterruptedSaves.hook = () -> {
            repairing.countDown();
            await(written, 2);   // a save that could run beside the repair gets this far meanwhile
        };
        AtomicFiles.hook = stage -> {
            if (stage.equals("written")) {
                written.countDown();
                await(loadDone, 2);   // the repair goes on while the new version waits to be renamed
            }
        };
        AtomicReference<Throwable> loadFailure = new AtomicReference<>();
        try (SaveLock held = SaveLock.acquire(dir)) {
            Thread loader = new Thread(() -> {
                try {
                    Checkpoint.load(dir);
                } catch (Throwable e) {
                    loadFailure.set(e);
                } finally {
                    loadDone.countDown();
                }
            });
            loader.start();
            assertTrue(repairing.await(60, TimeUnit.SECONDS), "the load started repairing");
            Checkpoint.save(dir, model(2), TOKENIZER);
            loader.join(60_000);
        }
        assertNull(loadFailure.get(), () -> "the load: " + loadFailure.get());
        assertEquals(2, Checkpoint.load(dir).weights()[0], "the save went through");
        assertEquals(Set.of("race"), names(tmp), "and left nothing behind");
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void await(CountDownLatch latch, long seconds) {
        try {
            latch.await(seconds, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A partial leftover (killed while writing) is not taken for a checkpoint. */
    @Test
    void aPartialLeftoverIsNeverUsed() throws Exception {
        Path dir = tmp.resolve("partial");
        Path partial = Files.createDirectory(tmp.resolve(".partial.saving-1234"));
        Files.writeString(partial.resolve(Checkpoint.MODEL_FILE), "half a file");
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.load(dir));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
        assertTrue(Files.notExists(dir));
    }

    @Test
    @SuppressWarnings("try")   // the second lock is held through the try's body, which need not name it
    void theSaveLockIsHeldOncePerProcess() throws Exception {
        Path dir = tmp.resolve("locked");
        try (SaveLock lock = SaveLock.acquire(dir)) {
            assertEquals(dir.toAbsolutePath().normalize(), lock.directory());
            CheckpointException e = assertThrows(CheckpointException.class, () -> SaveLock.acquire(dir));
            assertTrue(e.getMessage().contains("is saving into this checkpoint"), e.getMessage());
            Checkpoint.save(dir, model(1), TOKENIZER);   // the holder may save
        }
        try (SaveLock again = SaveLock.acquire(dir)) {
            assertEquals(Set.of("locked", ".locked.lock"), names(tmp));
        }
        assertEquals(Set.of("locked"), names(tmp), "the lock file goes with the lock");
    }

    /** A JVM of its own that holds the save lock of {@code dir}, once it has said so. */
    private static Process lockHolder(Path dir) throws Exception {
        Process holder = ExactResumeTest.startJvm(SaveLoopMain.class.getName(), "lock", dir.toString());
        BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
        assertEquals("locked", out.readLine());
        return holder;
    }

    @Test
    @SuppressWarnings("try")   // the last lock is held through the try's body, which need not name it
    void anotherProcessSavingIntoTheDirectoryIsToldAtOnce() throws Exception {
        Path dir = tmp.resolve("shared");
        Process holder = lockHolder(dir);
        try {
            CheckpointException e = assertThrows(CheckpointException.class, () -> SaveLock.acquire(dir));
            assertTrue(e.getMessage().contains("another program"), e.getMessage());
            CheckpointException save = assertThrows(CheckpointException.class,
                    () -> Checkpoint.save(dir, model(1), TOKENIZER));
            assertTrue(save.getMessage().contains("another program"), save.getMessage());
        } finally {
            holder.destroyForcibly();
            holder.waitFor(30, TimeUnit.SECONDS);
        }
        // The system released the killed holder's lock: the directory is free again.
        try (SaveLock lock = SaveLock.acquire(dir)) {
            Checkpoint.save(dir, model(1), TOKENIZER);
        }
        assertEquals(1, Checkpoint.load(dir).weights()[0]);
        assertNull(AtomicFiles.interruptedSaveOf(dir));
    }

    @Test
    void aTargetThatCannotBeWrittenIsFoundBeforeTraining() throws Exception {
        Path file = Files.writeString(tmp.resolve("a-file"), "x");
        CheckpointException underFile = assertThrows(CheckpointException.class,
                () -> Checkpoint.checkSaveTarget(file.resolve("sub").resolve("run")));
        assertTrue(underFile.getMessage().contains("is a file, not a folder"), underFile.getMessage());
        Path proc = Path.of("/proc");
        if (Files.isDirectory(proc)) {
            CheckpointException virtual = assertThrows(CheckpointException.class,
                    () -> Checkpoint.checkSaveTarget(proc.resolve("microgpt-run")));
            assertTrue(virtual.getMessage().contains("cannot be written"), virtual.getMessage());
        }
        Checkpoint.checkSaveTarget(tmp.resolve("new").resolve("run"));
        assertEquals(Set.of("a-file"), names(tmp), "the check leaves nothing behind");
    }

    /** A load in one thread while another thread of the process saves: the save's files are left alone. */
    @Test
    void aLoadDuringASaveInAnotherThreadLeavesTheSaveAlone() throws Exception {
        Path dir = tmp.resolve("threads");
        Checkpoint.save(dir, model(1), TOKENIZER);
        CountDownLatch written = new CountDownLatch(1);
        CountDownLatch proceed = new CountDownLatch(1);
        AtomicFiles.hook = at -> {
            if (at.equals("written")) {
                written.countDown();
                try {
                    proceed.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
        Thread saver = new Thread(() -> {
            try {
                Checkpoint.save(dir, model(2), TOKENIZER);
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        saver.start();
        assertTrue(written.await(60, TimeUnit.SECONDS));
        assertEquals(1, Checkpoint.load(dir).weights()[0], "the old checkpoint, while the new one is written");
        proceed.countDown();
        saver.join(60_000);
        assertNull(failure.get(), () -> "the save went through: " + failure.get());
        assertEquals(2, Checkpoint.load(dir).weights()[0]);
        assertEquals(Set.of("threads"), names(tmp));
    }
}
