package io.github.microgpt.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.autograd.Value;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class KvCacheTest {

    @Test
    void aCacheForVeryManyLayersIsMadeAtOnceAndCostsOnlyTheLayersUsed() {
        // Made all up front, these were two billion lists: a hang, then an OutOfMemoryError.
        KvCache cache = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> new KvCache(Integer.MAX_VALUE));
        assertEquals(Integer.MAX_VALUE, cache.layers());
        assertEquals(0, cache.length());
        cache.keys(0).add(new Value[] {new Value(1)});
        cache.values(0).add(new Value[] {new Value(2)});
        assertEquals(1, cache.length());
        assertTrue(cache.keys(5).isEmpty());
    }

    @Test
    void aLayerIsTheSameLiveListEveryTimeAndLayersOutsideAreRefusedByName() {
        KvCache cache = new KvCache(3);
        assertSame(cache.keys(2), cache.keys(2));
        assertSame(cache.values(1), cache.values(1));
        cache.keys(1).add(new Value[0]);
        assertEquals(1, cache.keys(1).size());
        assertEquals(0, cache.length(), "the length is layer 0's");
        IndexOutOfBoundsException above = assertThrows(IndexOutOfBoundsException.class, () -> cache.keys(3));
        assertTrue(above.getMessage().contains("layer 3") && above.getMessage().contains("0 to 2"), above.getMessage());
        IndexOutOfBoundsException below = assertThrows(IndexOutOfBoundsException.class, () -> cache.values(-1));
        assertTrue(below.getMessage().contains("layer -1"), below.getMessage());
    }
}
