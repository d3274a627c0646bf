package io.github.microgpt.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The register count behind the kernels' block shapes: guessed from the vector length, or asked for. */
class RegistersTest {

    @Test
    void eightDoublesPerVectorMeansThirtyTwoRegisters() {
        assertEquals(32, Registers.count(null, 8));
        assertEquals(32, Registers.count(" ", 16));
    }

    @Test
    void shorterVectorsMeanSixteen() {
        assertEquals(16, Registers.count(null, 4));
        assertEquals(16, Registers.count(null, 2));
        assertEquals(16, Registers.count(null, 1));
    }

    @Test
    void thePropertyOverridesTheGuess() {
        assertEquals(32, Registers.count("32", 4));
        assertEquals(16, Registers.count(" 16 ", 8));
    }

    @Test
    void aBadPropertyIsRefusedByName() {
        var e = assertThrows(IllegalArgumentException.class, () -> Registers.count("24", 4));
        assertTrue(e.getMessage().contains("microgpt.vector.registers") && e.getMessage().contains("'24'"),
                e.getMessage());
    }

    @Test
    void thisRunUsesTheCountItAskedFor() {
        String asked = System.getProperty("microgpt.vector.registers");
        int expected = asked != null ? Integer.parseInt(asked.strip()) : Registers.count(null, DoubleProducts.L);
        assertEquals(expected, Registers.COUNT);
    }
}
