package io.github.microgpt.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.GptModel;
import io.github.microgpt.random.PythonRandom;
import io.github.microgpt.text.Tokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An output named through a symbolic link is written through it: the link stays a link, and the
 * file or directory it leads to gets the new contents, atomically in its own folder. Before, a
 * rename over the link replaced the link by a plain copy (a safetensors file) or the save was
 * refused (a checkpoint directory).
 */
class SymbolicLinkTargetTest {

    @TempDir
    Path dir;

    private static final Tokenizer TOKENIZER = Tokenizer.fromDocuments(List.of("anna", "bob"));

    private static GptModel model(int seed) {
        return GptModel.create(new GptConfig(1, 8, 2, 6, 0.1), TOKENIZER.vocabSize(), new PythonRandom(seed));
    }

    private static List<Tensor> tensor(double value) {
        return List.of(Tensor.matrix("w", DType.F64, 1, 1, new double[] {value}));
    }

    private static double firstValue(Path file) throws Exception {
        return Safetensors.read(file).tensors().get(0).values()[0];
    }

    @Test
    void aSafetensorsFileIsWrittenThroughALinkInTheTargetsFolder() throws Exception {
        Path elsewhere = Files.createDirectories(dir.resolve("elsewhere"));
        Path real = elsewhere.resolve("w.safetensors");
        Safetensors.write(real, tensor(1), Map.of());
        Path link = Files.createSymbolicLink(dir.resolve("link.safetensors"), Path.of("elsewhere/w.safetensors"));
        Safetensors.write(link, tensor(2), Map.of());
        assertTrue(Files.isSymbolicLink(link), "the link is still a link");
        assertEquals(2.0, firstValue(real), "the file it leads to has the new contents");
        try (var names = Files.list(dir)) {
            assertEquals(List.of("elsewhere", "link.safetensors"), names.map(p -> p.getFileName().toString()).sorted()
                    .toList(), "nothing left beside the link");
        }
    }

    @Test
    void aChainOfLinksAndALinkToNothingAreFollowedToTheEnd() throws Exception {
        Path real = dir.resolve("real.safetensors");
        Path middle = Files.createSymbolicLink(dir.resolve("middle"), real.getFileName());
        Path first = Files.createSymbolicLink(dir.resolve("first"), middle);
        Safetensors.write(first, tensor(3), Map.of());
        assertTrue(Files.isSymbolicLink(first) && Files.isSymbolicLink(middle), "both links kept");
        assertTrue(Files.isRegularFile(real, java.nio.file.LinkOption.NOFOLLOW_LINKS), "the dangling link's file made");
        assertEquals(3.0, firstValue(real));
    }

    @Test
    void aLoopOfLinksIsRefusedByName() throws Exception {
        // a -> b -> c -> a, each link relative to its folder.
        for (String[] link : new String[][] {{"a", "b"}, {"b", "c"}, {"c", "a"}}) {
            Files.createSymbolicLink(dir.resolve(link[0]), Path.of(link[1]));
        }
        Path a = dir.resolve("a");
        CheckpointException e = assertThrows(CheckpointException.class, () -> Safetensors.write(a, tensor(1), Map.of()));
        assertEquals(a, e.file());
        assertTrue(e.getMessage().contains("is a symbolic link whose chain of links never ends (a loop of links"),
                e.getMessage());
        CheckpointException save = assertThrows(CheckpointException.class,
                () -> Checkpoint.save(a, model(1), TOKENIZER, (TrainingState) null));
        assertTrue(save.getMessage().contains("a loop of links"), save.getMessage());
        assertTrue(Files.isSymbolicLink(a) && Files.isSymbolicLink(dir.resolve("c")), "the links are left as they were");
    }

    @Test
    void aCheckpointIsSavedIntoTheDirectoryALinkLeadsToAndTheLinkStays() throws Exception {
        Path real = dir.resolve("runs/run1");
        Path link = Files.createSymbolicLink(dir.resolve("latest"), Path.of("runs/run1"));
        Files.createDirectories(dir.resolve("runs"));
        // A link to nothing yet: the save creates the directory it names.
        Checkpoint.checkSaveTarget(link);
        Checkpoint.save(link, model(1), TOKENIZER, (TrainingState) null);
        assertTrue(Files.isSymbolicLink(link) && Files.isDirectory(real, java.nio.file.LinkOption.NOFOLLOW_LINKS));
        double first = Checkpoint.load(real).model().parameters().value(0);
        // Replacing it: the link still leads to the same, replaced directory.
        Checkpoint.save(link, model(2), TOKENIZER, (TrainingState) null);
        assertTrue(Files.isSymbolicLink(link));
        double second = Checkpoint.load(link).model().parameters().value(0);
        assertEquals(model(2).parameters().value(0), second, "the second model replaced the first");
        assertFalse(first == second, "the two seeds give two first weights");
        assertEquals(second, Checkpoint.load(real).model().parameters().value(0));
        assertNull(AtomicFiles.interruptedSaveOf(link));
        try (var names = Files.list(dir.resolve("runs"))) {
            assertEquals(List.of("run1"), names.map(p -> p.getFileName().toString()).toList(),
                    "no temporary, old or lock file left");
        }
    }

    @Test
    void aLinkToAFileOrToAFolderThatIsNoCheckpointIsRefusedAsThatFileOrFolder() throws Exception {
        Path file = Files.writeString(dir.resolve("notes.txt"), "keep me");
        Path toFile = Files.createSymbolicLink(dir.resolve("to-file"), file);
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoint.checkSaveTarget(toFile));
        assertTrue(e.getMessage().contains("exists and is not a directory"), e.getMessage());
        Path folder = Files.createDirectories(dir.resolve("photos"));
        Files.writeString(folder.resolve("a.jpg"), "x");
        Path toFolder = Files.createSymbolicLink(dir.resolve("to-photos"), folder);
        CheckpointException other = assertThrows(CheckpointException.class,
                () -> Checkpoint.save(toFolder, model(1), TOKENIZER, (TrainingState) null));
        assertTrue(other.getMessage().contains("is not a checkpoint"), other.getMessage());
        assertEquals("keep me", Files.readString(file));
        assertEquals("x", Files.readString(folder.resolve("a.jpg")));
    }

    /**
     * The leftovers of a save interrupted through a link are beside the directory it leads to,
     * and a load through the link repairs them there (it looked beside the link).
     */
    @Test
    void aLoadThroughALinkRepairsTheLeftoversBesideTheDirectoryItLeadsTo() throws Exception {
        Path runs = Files.createDirectories(dir.resolve("runs"));
        Path link = Files.createSymbolicLink(dir.resolve("latest"), Path.of("runs/run1"));
        Checkpoint.save(link, model(1), TOKENIZER, (TrainingState) null);
        Path leftover = Files.createDirectory(runs.resolve(".run1" + InterruptedSaves.SAVING + "1a2b"));
        Files.writeString(leftover.resolve(Checkpoint.CONFIG_FILE), "{");
        Checkpoint.load(link);
        assertFalse(Files.exists(leftover), "the half-written copy beside runs/run1 is removed");
        assertTrue(Files.isSymbolicLink(link));
    }

    @Test
    void twoNamesOfOneDirectoryShareOneLock() throws Exception {
        Path real = dir.resolve("run");
        Path link = Files.createSymbolicLink(dir.resolve("alias"), real);
        try (SaveLock lock = SaveLock.acquire(link)) {
            assertEquals(real, lock.directory());
            CheckpointException e = assertThrows(CheckpointException.class, () -> SaveLock.acquire(real));
            assertTrue(e.getMessage().contains("holds the lock"), e.getMessage());
        }
    }
}
