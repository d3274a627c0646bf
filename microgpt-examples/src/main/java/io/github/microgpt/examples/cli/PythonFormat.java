package io.github.microgpt.examples.cli;

/**
 * The few pieces of Python's string formatting that {@code microgpt.py} prints with, written so
 * that Java prints the very same characters.
 */
public final class PythonFormat {

    private PythonFormat() {
    }

    /**
     * Python's {@code f"{x:.4f}"}: the number rounded to 4 decimals, as Python rounds it (the
     * exact binary value, half to even; {@code -0.0000}, {@code nan}, {@code inf}); see
     * {@link io.github.microgpt.internal.PythonFormat#fourDecimals}, the one implementation, which
     * the core's expression graphs use too.
     *
     * @param x any number
     * @return for example {@code "3.3660"}, {@code "-0.0000"} or {@code "nan"}
     */
    public static String fourDecimals(double x) {
        return io.github.microgpt.internal.PythonFormat.fourDecimals(x);
    }

    /**
     * Python's {@code f"{n:{width}d}"}: the number right-aligned in a field of {@code width}
     * characters, or wider if it has more digits. Unlike {@code String.format("%4d")} it never
     * uses the digits of the default locale (which, in some locales, are not ASCII).
     *
     * @param n the number
     * @param width the least number of characters
     * @return for example {@code "   7"} for {@code n = 7, width = 4}
     */
    public static String rightAligned(long n, int width) {
        String digits = Long.toString(n);
        return digits.length() >= width ? digits : " ".repeat(width - digits.length()) + digits;
    }
}
