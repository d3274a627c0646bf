package io.github.microgpt.consumer.jpms;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.autograd.Value;
import io.github.microgpt.checkpoint.Checkpoint;
import io.github.microgpt.model.ArrayKernels;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConsumerProgramTest {

    @Test
    void theLibraryIsTheNamedModuleThisModuleRequires() {
        Module library = Value.class.getModule();
        assertEquals("io.github.microgpt", library.getName());
        Module consumer = ConsumerProgram.class.getModule();
        assertEquals("io.github.microgpt.consumer.jpms", consumer.getName());
        assertTrue(consumer.canRead(library));
        assertTrue(library.getDescriptor().requires().stream()
                        .allMatch(r -> r.name().startsWith("java.")),
                "microgpt-core requires nothing but JDK modules: " + library.getDescriptor().requires());
    }

    @Test
    void theInternalPackageIsInTheModuleButNotExported() throws Exception {
        Module library = Value.class.getModule();
        String internal = "io.github.microgpt.internal";
        assertTrue(library.getPackages().contains(internal), "the library has an internal package");
        assertFalse(library.isExported(internal), "which it does not export");
        assertFalse(library.isOpen(internal));
        Class<?> listeners = Class.forName(internal + ".Listeners", false, Value.class.getClassLoader());
        assertThrows(IllegalAccessException.class, () -> listeners.getConstructor().newInstance(),
                "a modular consumer cannot use what is internal");
    }

    @Test
    void theKernelServiceIsExportedToTheVectorModuleOnlyWhileWhichKernelsRunIsApi() {
        Module library = Value.class.getModule();
        String kernels = "io.github.microgpt.internal.kernels";
        assertTrue(library.getPackages().contains(kernels), "the library has the kernel service package");
        assertFalse(library.isExported(kernels), "exported to io.github.microgpt.vector only, not to every module");
        assertFalse(library.isExported(kernels, ConsumerProgram.class.getModule()), "so not to this one");
        // ArrayKernels is the user's side: without microgpt-vector, the core's own loops run.
        assertEquals(ArrayKernels.Implementation.PLAIN, ArrayKernels.implementation());
    }

    @Test
    void theCheckpointFormatsInnardsAreNotApi() throws Exception {
        for (String name : List.of("Safetensors", "Tensor", "Format", "CheckpointReader", "CheckpointWriter")) {
            Class<?> type = Class.forName("io.github.microgpt.checkpoint." + name, false, Value.class.getClassLoader());
            assertFalse(Modifier.isPublic(type.getModifiers()), name + " is the format's detail, not API");
        }
        assertEquals("model.safetensors", Checkpoint.MODEL_FILE, "the weights file that other tools open");
    }

    @Test
    void trainsInMinibatchesSavesAndLoadsThroughThePublicApi(@TempDir Path dir) throws Exception {
        Path checkpoint = dir.resolve("names");
        ConsumerProgram.BatchRun run = ConsumerProgram.trainInBatchesSaveAndLoad(checkpoint, 12);
        assertEquals(12, run.losses().size());
        assertTrue(run.losses().stream().allMatch(loss -> loss > 0 && Double.isFinite(loss)), run.losses().toString());
        assertTrue(Files.isRegularFile(checkpoint.resolve(Checkpoint.MODEL_FILE)));
        assertEquals(run.fromModel(), run.fromCheckpoint(), "the checkpoint holds the model exactly");
        assertEquals(run.losses(), ConsumerProgram.trainInBatchesSaveAndLoad(dir.resolve("again"), 12).losses(),
                "a seeded run on two threads repeats itself");
    }

    @Test
    void trainsAndSamplesThroughThePublicApi() {
        List<String> names = ConsumerProgram.trainAndSample(30, 5);
        assertEquals(5, names.size());
        for (String name : names) {
            assertTrue(name.matches("[a-z]{0,16}"), "a name of lowercase letters: " + name);
        }
    }
}
