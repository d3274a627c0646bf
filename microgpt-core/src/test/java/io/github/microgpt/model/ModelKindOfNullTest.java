package io.github.microgpt.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** Asking what kind a missing model is gets a NullPointerException naming it, not a made-up answer. */
class ModelKindOfNullTest {

    @Test
    void precisionOfNullIsRefused() {
        assertEquals("model", assertThrows(NullPointerException.class, () -> Precision.of(null)).getMessage());
    }

    @Test
    void architectureOfNullIsRefused() {
        assertEquals("model", assertThrows(NullPointerException.class, () -> Architecture.of(null)).getMessage());
    }

    @Test
    void engineOfNullIsRefused() {
        assertEquals("model", assertThrows(NullPointerException.class, () -> Engine.of(null)).getMessage());
    }
}
