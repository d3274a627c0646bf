package io.github.microgpt.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.microgpt.model.ArrayKernels;
import org.junit.jupiter.api.Test;

/**
 * The core finds these kernels by itself: through {@code module-info}'s {@code provides} on the
 * module path, through {@code META-INF/services} on the class path (the pom runs this test both
 * ways), with {@code --add-modules jdk.incubator.vector} in either case.
 */
class DiscoveryTest {

    @Test
    void theCoreUsesTheVectorKernels() {
        assertEquals(ArrayKernels.Implementation.VECTOR, ArrayKernels.implementation());
    }
}
