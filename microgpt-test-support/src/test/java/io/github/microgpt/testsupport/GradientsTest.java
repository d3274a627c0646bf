package io.github.microgpt.testsupport;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The rule every engine comparison uses: each side of it, and what it refuses. */
class GradientsTest {

    @Test
    void aGradientAgreesWithinItsRelativeToleranceOrTheFloorWhereItCancels() {
        double g = 0.5;
        assertDoesNotThrow(() -> Gradients.assertAgree(new double[] {g}, new double[] {g * (1 + 0.9e-10)}, "near"));
        assertThrows(AssertionError.class,
                () -> Gradients.assertAgree(new double[] {g}, new double[] {g * (1 + 1.1e-10)}, "far"));
        // 1e-20 beside a largest gradient of 1: off by 0.5 of itself, but within 1e-14 of the largest.
        assertDoesNotThrow(() -> Gradients.assertAgree(new double[] {1, 1e-20}, new double[] {1, 1.5e-20}, "cancelled"));
        assertEquals("w: gradient of parameter 1 is 2.0E-14, expected 1.0E-20 (largest gradient 1.0)",
                assertThrows(AssertionError.class,
                        () -> Gradients.assertAgree(new double[] {1, 1e-20}, new double[] {1, 2e-14}, "w")).getMessage());
    }

    @Test
    void aNanOrAMissingGradientNeverAgrees() {
        assertThrows(AssertionError.class, () -> Gradients.assertAgree(new double[] {1}, new double[] {Double.NaN}, "nan"));
        assertThrows(AssertionError.class, () -> Gradients.assertAgree(new double[] {Double.NaN}, new double[] {1}, "nan"));
        assertEquals("n: 2 gradients expected, got 1", assertThrows(AssertionError.class,
                () -> Gradients.assertAgree(new double[2], new double[1], "n")).getMessage());
    }
}
