package io.github.microgpt.random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * {@code getrandbits(k)} for a large {@code k}: a caller may ask for millions of bits (Python
 * answers {@code getrandbits(40_000_000)} at once), and the draw must end, consume exactly
 * {@code ceil(k / 32)} outputs, and put them where CPython puts them: output i in bits
 * {@code 32i..32i+31}, the last one cut to its top bits. (Small sizes are held to CPython's own
 * values in {@code PythonRandomTest}.)
 */
class PythonRandomManyBitsTest {

    /** Far more than any run needs, but a hang guard only: a linear draw takes well under a second. */
    private static final Duration HANG_GUARD = Duration.ofSeconds(120);

    @Test
    void fortyMillionBitsAreDrawnAndPlacedWordByWord() {
        int k = 40_000_000 + 7;  // 1,250,000 whole words and 7 bits of one more
        BigInteger bits = assertTimeoutPreemptively(HANG_GUARD, () -> new PythonRandom(42).getrandbits(k),
                "getrandbits(" + k + ") must not take time quadratic in k");
        PythonRandom twin = new PythonRandom(42);
        int words = k / 32;
        assertTrue(bits.bitLength() <= k, "at most k bits: " + bits.bitLength());
        for (int i = 0; i < words; i++) {
            long expected = Integer.toUnsignedLong(twin.nextInt32());
            // Checking every word through BigInteger.shiftRight would itself be quadratic: check a
            // spread of them, and the first and last, by their bits.
            if (i < 4 || i > words - 4 || i % 99_991 == 0) {
                long actual = 0;
                for (int b = 31; b >= 0; b--) {
                    actual = (actual << 1) | (bits.testBit(32 * i + b) ? 1 : 0);
                }
                assertEquals(expected, actual, "word " + i);
            }
        }
        long top = Integer.toUnsignedLong(twin.nextInt32() >>> (32 - 7));
        long actualTop = 0;
        for (int b = 6; b >= 0; b--) {
            actualTop = (actualTop << 1) | (bits.testBit(32 * words + b) ? 1 : 0);
        }
        assertEquals(top, actualTop, "the last, partial word: the top 7 bits of its output");
        PythonRandom after = new PythonRandom(42);
        after.getrandbits(k);
        assertEquals(twin.nextInt32(), after.nextInt32(), "exactly ceil(k / 32) outputs were consumed");
    }
}
