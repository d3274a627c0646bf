package io.github.microgpt.testing;

import java.util.List;
import java.util.Random;

/**
 * The random generator of one generated test case. It wraps {@link java.util.Random}, whose
 * algorithm is fixed by its Javadoc, so a case seed names the same inputs on every JDK.
 */
public final class Gen {

    private final long seed;
    private final Random random;

    /**
     * Creates the generator of one case.
     *
     * @param seed the case seed, reported when the case fails
     */
    public Gen(long seed) {
        this.seed = seed;
        this.random = new Random(seed);
    }

    /** The seed this generator started from. */
    public long seed() {
        return seed;
    }

    /** A uniform int in {@code [lo, hi]} (both inclusive). */
    public int intIn(int lo, int hi) {
        if (hi < lo) {
            throw new IllegalArgumentException("empty range [" + lo + ", " + hi + "]");
        }
        return lo + random.nextInt(hi - lo + 1);
    }

    /** A uniform double in {@code [lo, hi)}. */
    public double doubleIn(double lo, double hi) {
        return lo + (hi - lo) * random.nextDouble();
    }

    /** A double whose logarithm is uniform in {@code [log lo, log hi)}: spreads over magnitudes. */
    public double logUniform(double lo, double hi) {
        return Math.exp(doubleIn(Math.log(lo), Math.log(hi)));
    }

    /** A magnitude in {@code [lo, hi)} with a random sign: keeps a value away from zero. */
    public double awayFromZero(double lo, double hi) {
        return sign() * doubleIn(lo, hi);
    }

    /** +1 or -1 with equal chance. */
    public double sign() {
        return random.nextBoolean() ? 1.0 : -1.0;
    }

    /** True with probability {@code p}. */
    public boolean chance(double p) {
        return random.nextDouble() < p;
    }

    /** A standard normal draw. */
    public double gaussian() {
        return random.nextGaussian();
    }

    /** 64 random bits. */
    public long nextLong() {
        return random.nextLong();
    }

    /** One element, uniformly. */
    public <T> T pick(List<T> items) {
        return items.get(random.nextInt(items.size()));
    }

    /** One element, uniformly. */
    @SafeVarargs
    public final <T> T pickOf(T... items) {
        return items[random.nextInt(items.length)];
    }

    /** One element, uniformly. */
    public double pickDouble(double... items) {
        return items[random.nextInt(items.length)];
    }

    /** One element, uniformly. */
    public int pickInt(int... items) {
        return items[random.nextInt(items.length)];
    }

    /** {@code count} distinct ints of {@code [0, bound)}, in random order. */
    public int[] distinct(int count, int bound) {
        if (count > bound) {
            throw new IllegalArgumentException(count + " distinct values of [0, " + bound + ")");
        }
        int[] all = new int[bound];
        for (int i = 0; i < bound; i++) {
            all[i] = i;
        }
        for (int i = 0; i < count; i++) {
            int j = i + random.nextInt(bound - i);
            int t = all[i];
            all[i] = all[j];
            all[j] = t;
        }
        return java.util.Arrays.copyOf(all, count);
    }

    /** A string of {@code length} code points, each drawn from {@code alphabet}. */
    public String string(int[] alphabet, int length) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < length; i++) {
            s.appendCodePoint(alphabet[random.nextInt(alphabet.length)]);
        }
        return s.toString();
    }
}
