package io.github.microgpt.random;

import static io.github.microgpt.testsupport.Bits.assertBits;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.github.microgpt.testing.Cases;
import io.github.microgpt.testsupport.TestResources;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * {@link PythonRandom} against every vector of {@code golden/python-random-vectors.json}
 * (CPython 3.11.7), plus its argument checks and a few properties of its draws.
 */
class PythonRandomTest {

    /** Read when a test asks, not in a static initialiser: a missing file then fails with its own message. */
    private static JsonObject vectors() {
        return TestResources.pythonRandomVectors();
    }

    private static double[] floats(String key) {
        JsonArray hex = vectors().getAsJsonObject(key).getAsJsonArray("hex");
        JsonArray repr = vectors().getAsJsonObject(key).getAsJsonArray("repr");
        double[] out = new double[hex.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = Double.parseDouble(hex.get(i).getAsString());
            // The two spellings in the file must agree, or the vector itself is suspect.
            assertEquals(out[i], Double.parseDouble(repr.get(i).getAsString()), key + " hex vs repr at " + i);
        }
        return out;
    }

    private static long[] longs(JsonArray array) {
        long[] out = new long[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).getAsLong();
        }
        return out;
    }

    /** Python's gauss uses the C library's log, cos and sin; Java's may differ in the last bit. */
    private static void assertWithinOneUlp(double expected, double actual, String what) {
        assertTrue(Math.abs(expected - actual) <= Math.ulp(expected),
                what + ": expected " + expected + " (within 1 ulp) but got " + actual);
    }

    @TestFactory
    Stream<DynamicTest> randomMatchesCPythonForEverySeed() {
        Map<String, BigInteger> seeds = Map.of(
                "seed42_random_first20", BigInteger.valueOf(42),
                "seed0_random_first20", BigInteger.ZERO,
                "seed1_random_first20", BigInteger.ONE,
                "seed7_random_first20", BigInteger.valueOf(7),
                "seed1099511627776_random_first20", BigInteger.TWO.pow(40),
                "seed_minus42_random_first3", BigInteger.valueOf(-42),
                "seed_2pow64_plus5_random_first3", BigInteger.TWO.pow(64).add(BigInteger.valueOf(5)));
        // Every random() vector of the file is covered.
        for (String key : vectors().keySet()) {
            if (key.contains("random_first")) {
                assertTrue(seeds.containsKey(key), "no seed for the vector " + key);
            }
        }
        return seeds.entrySet().stream().sorted(Map.Entry.comparingByKey()).map(e -> DynamicTest.dynamicTest(
                e.getKey(), () -> {
                    double[] expected = floats(e.getKey());
                    PythonRandom random = new PythonRandom(e.getValue());
                    for (int i = 0; i < expected.length; i++) {
                        assertBits(expected[i], random.random(), "seed " + e.getValue() + ", draw " + i);
                    }
                    if (e.getValue().bitLength() < 64) {
                        PythonRandom fromLong = new PythonRandom(e.getValue().longValueExact());
                        assertBits(expected[0], fromLong.random(), "seeded with a long");
                    }
                }));
    }

    @Test
    void getrandbits32MatchesCPython() {
        long[] expected = longs(vectors().getAsJsonArray("seed42_getrandbits32_first20"));
        PythonRandom random = new PythonRandom(42);
        PythonRandom twin = new PythonRandom(42);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(BigInteger.valueOf(expected[i]), random.getrandbits(32), "draw " + i);
            assertEquals(expected[i], Integer.toUnsignedLong(twin.nextInt32()), "nextInt32 " + i);
        }
    }

    @Test
    void getrandbitsOfManySizesMatchesCPython() {
        JsonObject vector = vectors().getAsJsonObject("seed42_getrandbits_k_sequence");
        JsonArray ks = vector.getAsJsonArray("ks");
        JsonArray values = vector.getAsJsonArray("values");
        PythonRandom random = new PythonRandom(42);
        for (int i = 0; i < ks.size(); i++) {
            int k = ks.get(i).getAsInt();
            assertEquals(new BigInteger(values.get(i).getAsString()), random.getrandbits(k), "getrandbits(" + k + ")");
        }
    }

    @Test
    void randBelowMatchesCPython() {
        JsonObject vector = vectors().getAsJsonObject("seed42_randbelow_seq");
        long[] ns = longs(vector.getAsJsonArray("ns"));
        long[] values = longs(vector.getAsJsonArray("values"));
        PythonRandom random = new PythonRandom(42);
        for (int i = 0; i < ns.length; i++) {
            assertEquals(values[i], random.randBelow((int) ns[i]), "_randbelow(" + ns[i] + ")");
        }
    }

    @Test
    void shuffleMatchesCPython() {
        long[] expected = longs(vectors().getAsJsonArray("seed42_shuffle_range20"));
        List<Integer> list = new ArrayList<>(IntStream.range(0, 20).boxed().toList());
        new PythonRandom(42).shuffle(list);
        List<Integer> expectedList = new ArrayList<>();
        for (long e : expected) {
            expectedList.add((int) e);
        }
        assertEquals(expectedList, list);
    }

    @Test
    void choicesWithWeightsMatchCPython() {
        JsonObject vector = vectors().getAsJsonObject("seed42_choices_range5_weights_10calls");
        JsonArray weightsJson = vector.getAsJsonArray("weights");
        double[] weights = new double[weightsJson.size()];
        for (int i = 0; i < weights.length; i++) {
            weights[i] = weightsJson.get(i).getAsDouble();
        }
        // The cumulative weights are summed left to right, as itertools.accumulate does.
        JsonArray cumHex = vector.getAsJsonObject("cum_weights").getAsJsonArray("hex");
        double running = 0;
        for (int i = 0; i < weights.length; i++) {
            running = i == 0 ? weights[0] : running + weights[i];
            assertBits(Double.parseDouble(cumHex.get(i).getAsString()), running, "cum_weights[" + i + "]");
        }
        long[] results = longs(vector.getAsJsonArray("results"));
        double[] used = floats("seed42_choices_random_values_used");
        List<Double> drawn = new ArrayList<>();
        PythonRandom python = new PythonRandom(42);
        // A source that records the random() values that choice consumes.
        RandomSource recording = new RandomSource() {
            @Override
            public double random() {
                double r = python.random();
                drawn.add(r);
                return r;
            }

            @Override
            public int randBelow(int n) {
                throw new AssertionError("choice must not call randBelow");
            }

            @Override
            public double gauss(double mu, double sigma) {
                throw new AssertionError("choice must not call gauss");
            }
        };
        for (int i = 0; i < results.length; i++) {
            assertEquals(results[i], recording.choice(weights), "call " + i);
            assertEquals(i + 1, drawn.size(), "each call consumes exactly one random()");
            assertBits(used[i], drawn.get(i), "random() used by call " + i);
        }
    }

    @Test
    void gaussMatchesCPythonWithinOneUlp() {
        double[] standard = floats("seed42_gauss_0_1_first10");
        PythonRandom random = new PythonRandom(42);
        for (int i = 0; i < standard.length; i++) {
            assertWithinOneUlp(standard[i], random.gauss(0, 1), "gauss(0, 1) draw " + i);
        }
        double[] scaled = floats("seed42_gauss_0_0.08_first10");
        random = new PythonRandom(42);
        for (int i = 0; i < scaled.length; i++) {
            assertWithinOneUlp(scaled[i], random.gauss(0, 0.08), "gauss(0, 0.08) draw " + i);
        }
        double[] other = floats("seed12345_gauss_0_1_first5");
        random = new PythonRandom(12345);
        for (int i = 0; i < other.length; i++) {
            assertWithinOneUlp(other[i], random.gauss(0, 1), "seed 12345, gauss(0, 1) draw " + i);
        }
    }

    @Test
    void theCachedGaussianIsScaledWhenItIsHandedOut() {
        double[] standard = floats("seed42_gauss_0_1_first10");
        PythonRandom random = new PythonRandom(42);
        assertWithinOneUlp(standard[0], random.gauss(0, 1), "first draw");
        // The second draw is the cached sin branch, scaled by the sigma of the second call.
        assertWithinOneUlp(0 + standard[1] * 0.08, random.gauss(0, 0.08), "cached draw, sigma 0.08");
        assertWithinOneUlp(5 + standard[2] * 2, random.gauss(5, 2), "third draw, mu 5 and sigma 2");
    }

    @Test
    void reseedingDropsTheCachedGaussian() {
        double[] standard = floats("seed42_gauss_0_1_first10");
        PythonRandom random = new PythonRandom(7);
        random.gauss(0, 1);  // leaves a cached value
        random.seed(BigInteger.valueOf(42));
        assertWithinOneUlp(standard[0], random.gauss(0, 1), "first draw after seed(42)");
        assertWithinOneUlp(standard[1], random.gauss(0, 1), "second draw after seed(42)");
    }

    @Test
    void reseedingWithALongIsReseedingWithItsBigInteger() {
        for (long seed : new long[] {0, 42, -42, Long.MIN_VALUE, Long.MAX_VALUE}) {
            PythonRandom fromLong = new PythonRandom(7);
            fromLong.gauss(0, 1);  // leaves a cached value, which a reseed drops
            fromLong.seed(seed);
            PythonRandom fromBig = new PythonRandom(7);
            fromBig.seed(BigInteger.valueOf(seed));
            assertEquals(fromBig.state(), fromLong.state(), "seed " + seed);
            assertEquals(new PythonRandom(seed).state(), fromLong.state(), "as new PythonRandom(" + seed + ")");
        }
    }

    /**
     * The state right after {@code seed(42)}: there is no accessor for it, so it is recovered
     * from the first 624 outputs, which all come from one twist of that state. Untempering gives
     * the twisted words; the twist can then be run backwards, which recovers every word except
     * the low 31 bits of {@code mt[0]} (the twist never reads them).
     */
    @Test
    void stateAfterSeedMatchesCPython() {
        JsonObject vector = vectors().getAsJsonObject("seed42_state_after_seed");
        long[] first8 = longs(vector.getAsJsonArray("mt_first8"));
        long last = vector.get("mt_last").getAsLong();
        assertEquals(624, vector.get("index").getAsInt(), "the vector says the next output twists");

        PythonRandom random = new PythonRandom(42);
        int[] twisted = new int[624];
        for (int i = 0; i < 624; i++) {
            twisted[i] = untemper(random.nextInt32());
        }
        int[] seeded = untwist(twisted);
        assertEquals(first8[0] & 0x80000000L, Integer.toUnsignedLong(seeded[0]) & 0x80000000L, "top bit of mt[0]");
        for (int i = 1; i < 8; i++) {
            assertEquals(first8[i], Integer.toUnsignedLong(seeded[i]), "mt[" + i + "]");
        }
        assertEquals(last, Integer.toUnsignedLong(seeded[623]), "mt[623]");
    }

    private static int untemper(int y) {
        y = undoRightShift(y, 18);
        y = undoLeftShift(y, 15, 0xEFC60000);
        y = undoLeftShift(y, 7, 0x9D2C5680);
        return undoRightShift(y, 11);
    }

    private static int undoRightShift(int y, int shift) {
        int x = y;
        for (int i = 0; i < 32 / shift + 1; i++) {
            x = y ^ (x >>> shift);
        }
        return x;
    }

    private static int undoLeftShift(int y, int shift, int mask) {
        int x = y;
        for (int i = 0; i < 32 / shift + 1; i++) {
            x = y ^ ((x << shift) & mask);
        }
        return x;
    }

    /** Inverts MT19937's twist (see PYTHON-RANDOM.md §1); entry 0 keeps only its top bit. */
    private static int[] untwist(int[] next) {
        int[] previous = new int[624];
        int matrixA = 0x9908B0DF;
        // Entries 227..623 mixed in an already-updated word, next[kk - 227]; undo them first,
        // which recovers words 228..623 whole, and then entries 0..226, which read those.
        for (int pass = 0; pass < 2; pass++) {
            int from = pass == 0 ? 227 : 0;
            int to = pass == 0 ? 623 : 226;
            for (int kk = to; kk >= from; kk--) {
                int mixed = kk >= 227 ? next[kk - 227] : previous[kk + 397];
                int t = next[kk] ^ mixed;
                boolean odd = t < 0;  // only MATRIX_A sets the top bit, and only for odd y
                if (odd) {
                    t ^= matrixA;
                }
                int y = (t << 1) | (odd ? 1 : 0);
                previous[kk] = (previous[kk] & 0x7FFFFFFF) | (y & 0x80000000);
                if (kk == 623) {
                    assertEquals(next[0] & 0x7FFFFFFF, y & 0x7FFFFFFF, "the last entry reads the new mt[0]");
                } else {
                    previous[kk + 1] = (previous[kk + 1] & 0x80000000) | (y & 0x7FFFFFFF);
                }
            }
        }
        return previous;
    }

    // --------------------------------------------------------------------------- argument checks

    @Test
    void randBelowRejectsNonPositiveBounds() {
        PythonRandom random = new PythonRandom(1);
        for (int n : new int[] {0, -1, Integer.MIN_VALUE}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> random.randBelow(n));
            assertTrue(e.getMessage().contains(Integer.toString(n)), e.getMessage());
        }
    }

    @Test
    void getrandbitsRejectsNegativeSizesAndZeroConsumesNothing() {
        PythonRandom random = new PythonRandom(1);
        assertThrows(IllegalArgumentException.class, () -> random.getrandbits(-1));
        assertEquals(BigInteger.ZERO, random.getrandbits(0));
        assertBits(new PythonRandom(1).random(), random.random(), "the stream after getrandbits(0)");
    }

    @Test
    void choiceRejectsWeightsWithoutAPositiveFiniteTotal() {
        PythonRandom random = new PythonRandom(1);
        double[][] bad = {{}, {0, 0}, {-1, 0.5}, {Double.POSITIVE_INFINITY, 1}, {Double.NaN, 1}, {Double.MAX_VALUE, Double.MAX_VALUE}};
        for (double[] weights : bad) {
            assertThrows(IllegalArgumentException.class, () -> random.choice(weights), java.util.Arrays.toString(weights));
        }
    }

    // -------------------------------------------------------------------------------- properties

    @TestFactory
    Stream<DynamicTest> negativeSeedsActAsTheirAbsoluteValue() {
        return Cases.dynamicTests("seed(-s) = seed(s)", 50, g -> g.chance(0.1) ? Long.MIN_VALUE : g.nextLong(), s -> {
            PythonRandom a = new PythonRandom(s);
            PythonRandom b = new PythonRandom(BigInteger.valueOf(s).negate());
            PythonRandom c = new PythonRandom(BigInteger.valueOf(s));
            for (int i = 0; i < 5; i++) {
                double x = a.random();
                assertBits(x, b.random(), "draw " + i + " of the negated seed");
                assertBits(x, c.random(), "draw " + i + " of the BigInteger seed");
            }
        });
    }

    @TestFactory
    Stream<DynamicTest> randBelowIsTheFirstDrawOfBitLengthBitsBelowN() {
        return Cases.dynamicTests("randBelow by rejection", 200,
                g -> new long[] {g.nextLong(), g.chance(0.5) ? g.intIn(1, 100) : g.intIn(1, Integer.MAX_VALUE)},
                c -> {
                    int n = (int) c[1];
                    PythonRandom random = new PythonRandom(c[0]);
                    PythonRandom twin = new PythonRandom(c[0]);
                    int k = 32 - Integer.numberOfLeadingZeros(n);
                    for (int i = 0; i < 20; i++) {
                        int r = random.randBelow(n);
                        assertTrue(r >= 0 && r < n, "randBelow(" + n + ") = " + r);
                        BigInteger bits;
                        do {
                            bits = twin.getrandbits(k);
                        } while (bits.compareTo(BigInteger.valueOf(n)) >= 0);
                        assertEquals(bits.intValueExact(), r, "draw " + i);
                    }
                });
    }

    @TestFactory
    Stream<DynamicTest> getrandbitsStaysBelowTwoToTheK() {
        return Cases.dynamicTests("getrandbits(k) < 2^k", 200, g -> new long[] {g.nextLong(), g.intIn(0, 300)}, c -> {
            int k = (int) c[1];
            PythonRandom random = new PythonRandom(c[0]);
            for (int i = 0; i < 10; i++) {
                BigInteger r = random.getrandbits(k);
                assertTrue(r.signum() >= 0 && r.bitLength() <= k, "getrandbits(" + k + ") = " + r);
            }
        });
    }

    @TestFactory
    Stream<DynamicTest> choiceNeverPicksAZeroWeight() {
        return Cases.dynamicTests("choice respects zero weights", 200, g -> {
            double[] weights = new double[g.intIn(1, 30)];
            for (int i = 0; i < weights.length; i++) {
                weights[i] = g.chance(0.4) ? 0.0 : g.logUniform(1e-6, 10);
            }
            weights[g.intIn(0, weights.length - 1)] = g.logUniform(1e-6, 10);
            return new Object[] {g.nextLong(), weights};
        }, c -> {
            double[] weights = (double[]) c[1];
            PythonRandom random = new PythonRandom((long) c[0]);
            for (int i = 0; i < 50; i++) {
                int pick = random.choice(weights);
                assertTrue(pick >= 0 && pick < weights.length && weights[pick] > 0, "picked " + pick);
            }
        });
    }

    @Test
    void choiceRefusesNegativeAndNaNWeightsEvenWithAPositiveTotal() {
        PythonRandom random = new PythonRandom(1);
        for (double bad : new double[] {-0.5, Double.NaN, Double.NEGATIVE_INFINITY}) {
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> random.choice(new double[] {1.0, bad, 2.0}));
            org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("weight 1 is " + bad), e.getMessage());
        }
        org.junit.jupiter.api.Assertions.assertEquals(new PythonRandom(1).choice(new double[] {0.0, 1.0}),
                random.choice(new double[] {0.0, 1.0}), "a refused call draws nothing");
    }
}
