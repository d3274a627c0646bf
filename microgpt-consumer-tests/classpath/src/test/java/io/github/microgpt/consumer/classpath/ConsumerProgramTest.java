package io.github.microgpt.consumer.classpath;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.autograd.Value;
import io.github.microgpt.model.ArrayKernels;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConsumerProgramTest {

    @Test
    void theLibraryIsAPlainJarOnTheClassPath() {
        assertFalse(Value.class.getModule().isNamed(), "microgpt-core should be in the unnamed module here");
        assertTrue(Value.class.getProtectionDomain().getCodeSource().getLocation().toString()
                .contains("microgpt-core"), "microgpt-core comes from its own artifact");
    }

    @Test
    void whichKernelsRunIsAnsweredOnTheClassPathToo() {
        // No microgpt-vector jar here: the core's own loops, found without any module system.
        assertEquals(ArrayKernels.Implementation.PLAIN, ArrayKernels.implementation());
    }

    @Test
    void trainsAndSamplesThroughThePublicApi() {
        List<String> names = ConsumerProgram.trainAndSample(30, 5);
        assertEquals(5, names.size());
        for (String name : names) {
            assertTrue(name.matches("[a-z]{0,16}"), "a name of lowercase letters: " + name);
        }
        assertEquals(names, ConsumerProgram.trainAndSample(30, 5), "a seeded run repeats itself");
    }
}
