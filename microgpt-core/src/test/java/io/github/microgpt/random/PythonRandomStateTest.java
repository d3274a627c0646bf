package io.github.microgpt.random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.github.microgpt.testing.Cases;
import io.github.microgpt.testsupport.TestResources;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** {@link PythonRandom#state()}, {@link PythonRandom#restore} and {@link PythonRandomState}'s checks. */
class PythonRandomStateTest {

    @Test
    void theStateAfterSeedingIsCPythonsGetstate() {
        JsonObject vector = TestResources.pythonRandomVectors().getAsJsonObject("seed42_state_after_seed");
        JsonArray first8 = vector.getAsJsonArray("mt_first8");
        PythonRandomState state = new PythonRandom(42).state();
        int[] words = state.words();
        for (int i = 0; i < first8.size(); i++) {
            assertEquals(first8.get(i).getAsLong(), Integer.toUnsignedLong(words[i]), "mt[" + i + "]");
        }
        assertEquals(vector.get("mt_last").getAsLong(), Integer.toUnsignedLong(words[623]), "mt[623]");
        assertEquals(vector.get("index").getAsInt(), state.index());
        assertFalse(state.hasGaussNext(), "no Gaussian waits right after seeding");
    }

    /** Draws a mixed sequence, so that every part of the state (words, index, cached Gaussian) matters. */
    private static List<Double> draws(PythonRandom random, int count) {
        List<Double> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            switch (i % 4) {
                case 0 -> out.add(random.random());
                case 1 -> out.add(random.gauss(0, 1));
                case 2 -> out.add((double) random.randBelow(1000));
                default -> out.add(random.gauss(2, 0.5));
            }
        }
        return out;
    }

    @TestFactory
    Stream<DynamicTest> aRestoredGeneratorContinuesWithTheSameDraws() {
        return Cases.dynamicTests("random state round trip", 30, g -> new long[] {g.nextLong(), g.intIn(0, 1500)},
                c -> {
            PythonRandom original = new PythonRandom(c[0]);
            draws(original, (int) c[1]);   // anywhere in the 624-word block, with or without a cached Gaussian
            PythonRandomState saved = original.state();
            List<Double> expected = draws(original, 700);

            assertEquals(expected, draws(PythonRandom.fromState(saved), 700), "fromState");
            PythonRandom other = new PythonRandom(c[0] + 1);
            draws(other, 3);
            other.restore(saved);
            assertEquals(expected, draws(other, 700), "restore on a used generator (after fromState used the state)");
        });
    }

    @Test
    void aStateIsASnapshotTheGeneratorCannotChange() {
        PythonRandom random = new PythonRandom(7);
        random.gauss(0, 1);
        PythonRandomState before = random.state();
        assertTrue(before.hasGaussNext(), "gauss draws two and keeps one");
        int[] words = before.words();
        words[5] ^= 1;
        assertEquals(random.state(), before, "changing the returned array changes nothing");
        random.random();
        assertNotEquals(random.state(), before, "a draw moves the generator but not the snapshot");
        assertArrayEquals(before.words(), PythonRandom.fromState(before).state().words());
    }

    @Test
    void invalidStatesAreRejectedWithTheReason() {
        int[] words = new PythonRandom(1).state().words();
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> new PythonRandomState(new int[623], 0, false, 0)).getMessage().contains("624 words"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> new PythonRandomState(words, 625, false, 0)).getMessage().contains("index"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> new PythonRandomState(words, -1, false, 0)).getMessage().contains("index"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> new PythonRandomState(words, 0, true, Double.NaN)).getMessage().contains("finite"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> new PythonRandomState(words, 0, false, 1.5)).getMessage().contains("0.0"));
        int[] zeros = new int[624];
        zeros[0] = 0x7FFFFFFF;  // only the top bit of word 0 takes part in the recurrence
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> new PythonRandomState(zeros, 624, false, 0)).getMessage().contains("degenerate"));
        zeros[0] = 0x80000000;
        assertEquals(624, new PythonRandomState(zeros, 624, false, 0).index(), "the top bit alone is a valid state");
    }
}
