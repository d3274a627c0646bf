package io.github.microgpt.consumer.jpms;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.autograd.Value;
import java.util.List;
import org.junit.jupiter.api.Test;

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
    void trainsAndSamplesThroughThePublicApi() {
        List<String> names = ConsumerProgram.trainAndSample(30, 5);
        assertEquals(5, names.size());
        for (String name : names) {
            assertTrue(name.matches("[a-z]{0,16}"), "a name of lowercase letters: " + name);
        }
    }
}
