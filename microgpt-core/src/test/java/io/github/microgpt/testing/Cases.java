package io.github.microgpt.testing;

import java.util.Arrays;
import java.util.function.Function;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.params.provider.Arguments;

/**
 * Seeded generated cases for property tests, with plain JUnit 5 (no property-testing library).
 *
 * <p>A property runs {@code count} cases. Case {@code i} gets its own seed, mixed from the base
 * seed, the property's name and {@code i}, and a {@link Gen} seeded with it builds the case's
 * inputs. A failing case reports the property, its index, its seed and its inputs, and can be
 * replayed alone: {@code -Dmicrogpt.test.case=<seed>} makes every property run just the one case
 * with that seed.
 *
 * <p>System properties: {@code microgpt.test.seed} (the base seed, default {@value #DEFAULT_SEED}),
 * {@code microgpt.test.scale} (a factor on every case count, default 1, for a deeper run) and
 * {@code microgpt.test.case} (replay one case seed).
 */
public final class Cases {

    /** The base seed when {@code microgpt.test.seed} is not set; fixed, so the suite is repeatable. */
    public static final long DEFAULT_SEED = 20_260_301L;

    private Cases() {
    }

    /** A check of one generated case; any exception or assertion error fails the case. */
    @FunctionalInterface
    public interface Check<T> {
        /**
         * Checks the property for one case.
         *
         * @param testCase the generated inputs
         * @throws Throwable any failure, which {@link Case#verify} reports with the seed
         */
        void check(T testCase) throws Throwable;
    }

    /**
     * One generated case, for {@code @ParameterizedTest @MethodSource}: its {@code toString}
     * names the seed and the inputs, and {@link #verify(Check)} reports them on failure.
     *
     * @param property the property's name
     * @param index the case's index within the property
     * @param seed the case seed
     * @param value the generated inputs
     * @param <T> the type of the inputs
     */
    public record Case<T>(String property, int index, long seed, T value) {

        /** Runs a check on the inputs; a failure is rethrown naming the property, seed and case. */
        public void verify(Check<? super T> check) {
            try {
                check.check(value);
            } catch (Throwable failure) {
                throw new AssertionError(property + " failed for case #" + index + " (seed " + seed
                        + "; replay with -Dmicrogpt.test.case=" + seed + "): " + describe(value)
                        + "\n  -> " + failure, failure);
            }
        }

        @Override
        public String toString() {
            return "#" + index + " seed=" + seed + " " + shorten(describe(value));
        }
    }

    /** The base seed of this run. */
    public static long baseSeed() {
        return Long.getLong("microgpt.test.seed", DEFAULT_SEED);
    }

    /** The seed of case {@code index} of {@code property}: a SplitMix64 mix, so seeds look unrelated. */
    public static long seedOf(String property, int index) {
        long z = baseSeed() ^ ((long) property.hashCode() << 32) ^ (index * 0x9E3779B97F4A7C15L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * The generated cases of a property.
     *
     * @param property a name for reports and seed mixing
     * @param count how many cases (scaled by {@code microgpt.test.scale})
     * @param generator builds one case's inputs from its generator
     * @return the cases in order
     */
    public static <T> Stream<Case<T>> cases(String property, int count, Function<Gen, T> generator) {
        String replay = System.getProperty("microgpt.test.case");
        if (replay != null && !replay.isBlank()) {
            long seed = Long.parseLong(replay.trim());
            return Stream.of(new Case<>(property, 0, seed, generator.apply(new Gen(seed))));
        }
        int scaled = Math.max(1, (int) Math.round(count * Double.parseDouble(
                System.getProperty("microgpt.test.scale", "1"))));
        return IntStream.range(0, scaled).mapToObj(i -> {
            long seed = seedOf(property, i);
            return new Case<>(property, i, seed, generator.apply(new Gen(seed)));
        });
    }

    /** The cases of a property as JUnit arguments, one {@link Case} each. */
    public static <T> Stream<Arguments> arguments(String property, int count, Function<Gen, T> generator) {
        return cases(property, count, generator).map(Arguments::of);
    }

    /**
     * The cases of a property as dynamic tests, each running {@code check} on its inputs.
     *
     * @param property a name for reports and seed mixing
     * @param count how many cases
     * @param generator builds one case's inputs
     * @param check the property, for one case
     * @return one dynamic test per case, named by its index, seed and inputs
     */
    public static <T> Stream<DynamicTest> dynamicTests(String property, int count, Function<Gen, T> generator,
                                                       Check<? super T> check) {
        return cases(property, count, generator)
                .map(c -> DynamicTest.dynamicTest(c.toString(), () -> c.verify(check)));
    }

    /** A readable form of a case's inputs, with arrays spelled out. */
    public static String describe(Object value) {
        if (value instanceof Object[] array) {
            return Arrays.deepToString(array);
        }
        if (value instanceof double[] array) {
            return Arrays.toString(array);
        }
        if (value instanceof int[] array) {
            return Arrays.toString(array);
        }
        return String.valueOf(value);
    }

    private static String shorten(String text) {
        return text.length() <= 160 ? text : text.substring(0, 157) + "...";
    }
}
