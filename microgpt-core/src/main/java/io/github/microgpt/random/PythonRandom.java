package io.github.microgpt.random;

import java.math.BigInteger;
import java.util.Objects;

/**
 * A port of CPython's {@code random.Random} (the Mersenne Twister MT19937 and the Python methods
 * built on it) that reproduces its draws bit for bit, so that a Java run seeded with 42 makes the
 * same shuffle, the same initial weights and the same samples as {@code microgpt.py}.
 *
 * <p>The integer draws ({@code getrandbits}, {@code randBelow}, {@code shuffle}, {@code choice})
 * and {@link #random()} are exact. {@link #gauss(double, double)} uses {@link Math#log},
 * {@link Math#cos} and {@link Math#sin}, which differ from the C library's in the last bit on
 * a small share of inputs, so a rare Gaussian draw may differ by one unit in the last place.
 *
 * <p>The names follow one rule. A method of Python's {@code random.Random} keeps its Python
 * name, lower case and all ({@link #random()}, {@link #gauss}, {@link #getrandbits},
 * {@link #seed(long)}, {@code shuffle}, {@code choice}), so that the port reads against
 * {@code random.py}; a helper Python keeps private or in C gets a Java name
 * ({@link #randBelow} for {@code _randbelow}, {@link #nextInt32} for {@code genrand_uint32});
 * and the state's pair, Python's {@code getstate}/{@code setstate}, is {@link #state()} and
 * {@link #restore}, as it is for the {@code Trainer} and the {@code AdamOptimizer}.
 *
 * <p>Not thread-safe: give each thread its own generator.
 */
public final class PythonRandom implements RandomSource {

    private static final int N = 624;
    private static final int M = 397;
    private static final int MATRIX_A = 0x9908B0DF;
    private static final int UPPER_MASK = 0x80000000;
    private static final int LOWER_MASK = 0x7FFFFFFF;
    private static final double TWO_PI = 6.283185307179586;

    private final int[] mt = new int[N];
    private int index;
    /** The second value of the last Box–Muller pair, handed out by the next {@code gauss}. */
    private double gaussNext;
    private boolean hasGaussNext;
    /** The last seed, for {@link #toString()}; null once {@link #restore} replaced what it made. */
    private BigInteger seed;

    /**
     * Creates a generator seeded as {@code random.seed(seed)} seeds Python's.
     *
     * @param seed any integer; negative seeds act as their absolute value, as in Python
     */
    public PythonRandom(long seed) {
        this(BigInteger.valueOf(seed));
    }

    /**
     * Creates a generator seeded with an integer of any size, as {@code random.seed(seed)}.
     *
     * @param seed any integer; negative seeds act as their absolute value, as in Python
     * @throws NullPointerException if {@code seed} is null
     */
    public PythonRandom(BigInteger seed) {
        seed(Objects.requireNonNull(seed, "seed"));
    }

    /**
     * Re-seeds the generator, as {@code random.seed(seed)}; the same as
     * {@code seed(BigInteger.valueOf(seed))}, and as {@link #PythonRandom(long)} seeds a new one.
     *
     * @param seed any integer; negative seeds act as their absolute value, as in Python
     */
    public void seed(long seed) {
        seed(BigInteger.valueOf(seed));
    }

    /**
     * Re-seeds the generator, as {@code random.seed(seed)}: the absolute value is split into
     * 32-bit words, least significant first, and fed to {@code init_by_array}; the cached
     * Gaussian is dropped.
     *
     * @param seed any integer
     * @throws NullPointerException if {@code seed} is null (the generator is left as it was)
     */
    public void seed(BigInteger seed) {
        Objects.requireNonNull(seed, "seed");
        initByArray(keyWords(seed.abs()));
        hasGaussNext = false;
        this.seed = seed;
    }

    /**
     * The key {@code init_by_array} takes for a seed: the magnitude's 32-bit words, least
     * significant first, and one zero word for the seed 0, as CPython's {@code random_seed}.
     *
     * <p>The words are read from {@link BigInteger#toByteArray()} in one pass. Shifting the
     * number right by 32 bits for each word would copy it once per word, time quadratic in its
     * length: a seed of a million bits took over a second, two million four.
     *
     * @param magnitude the seed's absolute value; not negative
     * @return the key, at least one word
     */
    static int[] keyWords(BigInteger magnitude) {
        if (magnitude.signum() < 0) {
            throw new IllegalArgumentException("the key is made from a magnitude, got a negative number");
        }
        byte[] bigEndian = magnitude.toByteArray();  // may start with a zero sign byte
        int[] key = new int[Math.max(1, (magnitude.bitLength() + 31) / 32)];
        for (int b = 0; b < bigEndian.length; b++) {
            int fromLowest = bigEndian.length - 1 - b;
            int word = fromLowest / 4;
            if (word < key.length) {
                key[word] |= (bigEndian[b] & 0xFF) << (8 * (fromLowest % 4));
            }
        }
        return key;
    }

    private void initGenrand(int s) {
        mt[0] = s;
        for (int i = 1; i < N; i++) {
            mt[i] = 1812433253 * (mt[i - 1] ^ (mt[i - 1] >>> 30)) + i;
        }
        index = N;
    }

    private void initByArray(int[] key) {
        initGenrand(19650218);
        int i = 1;
        int j = 0;
        for (int k = Math.max(N, key.length); k > 0; k--) {
            mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >>> 30)) * 1664525)) + key[j] + j;
            i++;
            j++;
            if (i >= N) {
                mt[0] = mt[N - 1];
                i = 1;
            }
            if (j >= key.length) {
                j = 0;
            }
        }
        for (int k = N - 1; k > 0; k--) {
            mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >>> 30)) * 1566083941)) - i;
            i++;
            if (i >= N) {
                mt[0] = mt[N - 1];
                i = 1;
            }
        }
        mt[0] = 0x80000000;
    }

    private void twist() {
        for (int kk = 0; kk < N; kk++) {
            int y = (mt[kk] & UPPER_MASK) | (mt[(kk + 1) % N] & LOWER_MASK);
            mt[kk] = mt[(kk + M) % N] ^ (y >>> 1) ^ ((y & 1) != 0 ? MATRIX_A : 0);
        }
        index = 0;
    }

    /**
     * The next 32 bits of the Mersenne Twister ({@code genrand_uint32}).
     *
     * @return 32 random bits
     */
    public int nextInt32() {
        if (index >= N) {
            twist();
        }
        int y = mt[index++];
        y ^= y >>> 11;
        y ^= (y << 7) & 0x9D2C5680;
        y ^= (y << 15) & 0xEFC60000;
        y ^= y >>> 18;
        return y;
    }

    /**
     * A double in {@code [0, 1)} with 53 random bits, as {@code random.random()}.
     *
     * @return the next draw
     */
    @Override
    public double random() {
        int a = nextInt32() >>> 5;
        int b = nextInt32() >>> 6;
        return (a * 67108864.0 + b) * (1.0 / 9007199254740992.0);
    }

    /**
     * A non-negative integer of {@code k} random bits, as {@code random.getrandbits(k)}.
     *
     * <p>It keeps CPython's name, lower case and all, as every public method of
     * {@code random.Random} does here (the class comment gives the rule): it is the draw a reader
     * will search for by that name when comparing this port with {@code random.py}.
     *
     * @param k the number of bits; not negative
     * @return the draw
     * @throws IllegalArgumentException if {@code k < 0}
     */
    public BigInteger getrandbits(int k) {
        if (k < 0) {
            throw new IllegalArgumentException("number of bits must be non-negative, got " + k);
        }
        if (k <= 32) {
            return BigInteger.valueOf(Integer.toUnsignedLong(topBits(k)));
        }
        // CPython fills an array of 32-bit words, the first output lowest, and makes the number
        // once. Here too: OR-ing each word into a growing BigInteger would copy the number for
        // every word, time quadratic in k (getrandbits(40_000_000) would take hours).
        int words = (int) ((k + 31L) / 32);
        byte[] magnitude = new byte[4 * words];  // big-endian, as BigInteger(1, bytes) reads it
        for (int i = 0; i < words; i++, k -= 32) {
            int word = k >= 32 ? nextInt32() : nextInt32() >>> (32 - k);
            int at = magnitude.length - 4 * (i + 1);
            magnitude[at] = (byte) (word >>> 24);
            magnitude[at + 1] = (byte) (word >>> 16);
            magnitude[at + 2] = (byte) (word >>> 8);
            magnitude[at + 3] = (byte) word;
        }
        return new BigInteger(1, magnitude);
    }

    /** The top {@code k} bits (0 to 32) of one output; {@code k = 0} consumes nothing. */
    private int topBits(int k) {
        return k == 0 ? 0 : nextInt32() >>> (32 - k);
    }

    /**
     * A uniform integer in {@code [0, n)} by rejection, as Python's {@code _randbelow}: draws
     * {@code bit_length(n)} bits until the result is below {@code n}.
     *
     * @param n the exclusive upper bound; positive
     * @return the draw
     * @throws IllegalArgumentException if {@code n <= 0}
     */
    @Override
    public int randBelow(int n) {
        if (n <= 0) {
            throw new IllegalArgumentException("the upper bound must be positive, got " + n);
        }
        int k = 32 - Integer.numberOfLeadingZeros(n);
        int r = topBits(k);
        while (Integer.compareUnsigned(r, n) >= 0) {
            r = topBits(k);
        }
        return r;
    }

    /**
     * A normal draw by the Box–Muller method, as {@code random.gauss(mu, sigma)}: each pair of
     * uniform draws makes two standard normals; the first is returned and the second is kept for
     * the next call.
     *
     * @param mu the mean
     * @param sigma the standard deviation; like Python's, any number is taken and nothing is
     *     checked: a negative one mirrors the draw, an infinite or NaN one gives an infinite or
     *     NaN draw (the generator moves on all the same)
     * @return the next draw, {@code mu + z * sigma} for a standard normal {@code z}
     */
    @Override
    public double gauss(double mu, double sigma) {
        double z;
        if (hasGaussNext) {
            z = gaussNext;
            hasGaussNext = false;
        } else {
            double x2pi = random() * TWO_PI;
            double g2rad = Math.sqrt(-2.0 * Math.log(1.0 - random()));
            z = Math.cos(x2pi) * g2rad;
            gaussNext = Math.sin(x2pi) * g2rad;
            hasGaussNext = true;
        }
        return mu + z * sigma;
    }

    /**
     * A snapshot of this generator, as {@code random.getstate()}: {@link #restore} on any
     * generator (in this run or a later one) makes it continue with exactly the draws this one
     * would make next.
     *
     * @return the state; later draws do not change it
     */
    public PythonRandomState state() {
        return new PythonRandomState(mt, index, hasGaussNext, hasGaussNext ? gaussNext : 0.0);
    }

    /**
     * Puts this generator into a saved state, as {@code random.setstate(state)}: its next draws
     * are those the generator that gave the state would have made next. Named as the trainer's
     * and the optimizer's {@code restore}, which do the same for their states.
     *
     * @param state a state from {@link #state()}, possibly of another generator or another run
     * @throws NullPointerException if {@code state} is null (the generator is left as it was)
     */
    public void restore(PythonRandomState state) {
        Objects.requireNonNull(state, "state");
        System.arraycopy(state.words(), 0, mt, 0, N);
        index = state.index();
        hasGaussNext = state.hasGaussNext();
        gaussNext = state.gaussNext();
        seed = null;
    }

    /**
     * A new generator in a saved state.
     *
     * @param state a state from {@link #state()}
     * @return a generator whose draws continue from that state
     * @throws NullPointerException if {@code state} is null
     */
    public static PythonRandom fromState(PythonRandomState state) {
        Objects.requireNonNull(state, "state");
        PythonRandom random = new PythonRandom(0);
        random.restore(state);
        return random;
    }

    /**
     * Where this generator started and where it is, in the terms of Python's
     * {@code random.getstate()}: the seed (or that it was put into a saved state), the index into
     * its 624 words (the state's last number) and the cached Gaussian, if any. The words
     * themselves are left out; {@link #state()} has them.
     *
     * @return for example {@code PythonRandom[seed=42, index=624, hasGaussNext=false]}, or
     *     {@code PythonRandom[from a saved state, index=17, hasGaussNext=true, gaussNext=0.3]}
     */
    @Override
    public String toString() {
        String from = seed == null ? "from a saved state"
                : seed.bitLength() <= 64 ? "seed=" + seed : "seed of " + seed.bitLength() + " bits";
        return "PythonRandom[" + from + ", index=" + index + ", hasGaussNext=" + hasGaussNext
                + (hasGaussNext ? ", gaussNext=" + gaussNext : "") + "]";
    }
}
