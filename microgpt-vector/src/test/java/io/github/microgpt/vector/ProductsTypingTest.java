package io.github.microgpt.vector;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The products' kernels make no vector with the species' static factories {@code zero(S)} and
 * {@code broadcast(S, x)}: C2 types those only {@code DoubleVector} / {@code FloatVector} while it
 * parses a kernel, and then inlines the operations on them only from the receiver profile. Every
 * zero and broadcast comes from the constant {@code Z} instead ({@code Z.broadcast(x)}), whose
 * class C2 knows without a profile (see {@link DoubleProducts#Z}). Checked in the class files: a
 * call of those factories puts their descriptor, a species and a number to a vector, in the
 * constant pool.
 */
class ProductsTypingTest {

    private static String classFile(Class<?> type) throws IOException {
        try (InputStream in = type.getResourceAsStream(type.getSimpleName() + ".class")) {
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    @Test
    void doubleProductsTakeNoVectorFromTheSpeciesFactories() throws IOException {
        String classFile = classFile(DoubleProducts.class);
        assertFalse(classFile.contains("(Ljdk/incubator/vector/VectorSpecies;D)Ljdk/incubator/vector/DoubleVector;"));
        assertFalse(classFile.contains("(Ljdk/incubator/vector/VectorSpecies;J)Ljdk/incubator/vector/DoubleVector;"));
        assertFalse(classFile.contains("(Ljdk/incubator/vector/VectorSpecies;)Ljdk/incubator/vector/DoubleVector;"));
        // The check sees a static factory: fromArray(S, array, offset) is called.
        assertTrue(classFile.contains("(Ljdk/incubator/vector/VectorSpecies;[DI)Ljdk/incubator/vector/DoubleVector;"));
    }

    @Test
    void floatProductsTakeNoVectorFromTheSpeciesFactories() throws IOException {
        String classFile = classFile(FloatProducts.class);
        assertFalse(classFile.contains("(Ljdk/incubator/vector/VectorSpecies;F)Ljdk/incubator/vector/FloatVector;"));
        assertFalse(classFile.contains("(Ljdk/incubator/vector/VectorSpecies;J)Ljdk/incubator/vector/FloatVector;"));
        assertFalse(classFile.contains("(Ljdk/incubator/vector/VectorSpecies;)Ljdk/incubator/vector/FloatVector;"));
        assertTrue(classFile.contains("(Ljdk/incubator/vector/VectorSpecies;[FI)Ljdk/incubator/vector/FloatVector;"));
    }
}
