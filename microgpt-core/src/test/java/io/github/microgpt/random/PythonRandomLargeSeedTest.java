package io.github.microgpt.random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.math.BigInteger;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * {@code seed(n)} for a very large {@code n}: Python seeds with an integer of millions of bits in
 * milliseconds, and so must this port, with the same key for {@code init_by_array} (the absolute
 * value's 32-bit words, least significant first) and so the same draws. (Small seeds are held to
 * CPython's values in {@code PythonRandomTest}.)
 */
class PythonRandomLargeSeedTest {

    /**
     * A hang guard, not a speed claim: a linear seed of 2^23 bits takes a few hundredths of a
     * second, where a key made by shifting the number once per word took over a minute.
     */
    private static final Duration HANG_GUARD = Duration.ofSeconds(10);

    /** A seed of exactly {@code bits} bits, the same one Python makes with the snippet below. */
    private static BigInteger seedOf(int bits) {
        return new PythonRandom(7).getrandbits(bits).setBit(bits - 1);
    }

    /** The key as it was first written: simple, and quadratic in the length, so only for small seeds. */
    private static int[] slowKey(BigInteger magnitude) {
        int words = Math.max(1, (magnitude.bitLength() + 31) / 32);
        int[] key = new int[words];
        for (int i = 0; i < words; i++) {
            key[i] = magnitude.shiftRight(32 * i).intValue();
        }
        return key;
    }

    @Test
    void theKeyIsTheMagnitudesWordsLeastSignificantFirst() {
        BigInteger two32 = BigInteger.ONE.shiftLeft(32);
        // The edges of toByteArray: zero, a top bit that needs a sign byte, a word boundary.
        BigInteger[] edges = {BigInteger.ZERO, BigInteger.ONE, BigInteger.valueOf(0x80), BigInteger.valueOf(0xFF),
            BigInteger.valueOf(0x8000_0000L), two32.subtract(BigInteger.ONE), two32, two32.add(BigInteger.ONE),
            BigInteger.ONE.shiftLeft(63), BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE)};
        for (BigInteger seed : edges) {
            assertArrayEquals(slowKey(seed), PythonRandom.keyWords(seed), "seed " + seed);
        }
        for (int bits = 1; bits <= 4099; bits += bits < 100 ? 1 : 97) {
            BigInteger seed = seedOf(bits);
            assertArrayEquals(slowKey(seed), PythonRandom.keyWords(seed), bits + " bits");
        }
    }

    @Test
    void aKeyIsMadeOnlyFromAMagnitude() {
        assertThrows(IllegalArgumentException.class, () -> PythonRandom.keyWords(BigInteger.valueOf(-5)));
    }

    /**
     * The first draws after seeding with 4099 bits and 2^23 bits are CPython 3.11's:
     * {@code s = random.Random(7).getrandbits(bits) | (1 << (bits - 1)); r = random.Random(s);
     * [r.getrandbits(32) for _ in range(3)], r.random()}.
     */
    @Test
    void largeSeedsDrawWhatCPythonDraws() {
        assertFirstDraws(4099, new long[] {22410739L, 2120154954L, 22666129L}, 0.5572239221974157);
        int large = 1 << 23;
        BigInteger seed = seedOf(large);
        PythonRandom random = assertTimeoutPreemptively(HANG_GUARD, () -> new PythonRandom(seed),
                "seeding with " + large + " bits must not take time quadratic in the length");
        assertDraws(random, new long[] {2367638812L, 295394942L, 2898268638L}, 0.8286745274877702, large + " bits");
        // The key of the large seed word by word, against the seed's own bits (testBit is linear).
        int[] key = PythonRandom.keyWords(seed);
        assertEquals(large / 32, key.length, "words");
        for (int i = 0; i < key.length; i += i < 4 || i > key.length - 4 ? 1 : 4093) {
            int expected = 0;
            for (int b = 31; b >= 0; b--) {
                expected = (expected << 1) | (seed.testBit(32 * i + b) ? 1 : 0);
            }
            assertEquals(expected, key[i], "word " + i);
        }
    }

    private static void assertFirstDraws(int bits, long[] words, double random) {
        assertDraws(new PythonRandom(seedOf(bits)), words, random, bits + " bits");
    }

    private static void assertDraws(PythonRandom random, long[] words, double next, String what) {
        for (int i = 0; i < words.length; i++) {
            assertEquals(words[i], Integer.toUnsignedLong(random.nextInt32()), what + ", output " + i);
        }
        assertEquals(next, random.random(), what + ", then random()");
    }
}
