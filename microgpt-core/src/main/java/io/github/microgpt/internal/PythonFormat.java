package io.github.microgpt.internal;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * Python's {@code f"{x:.4f}"}, which {@code microgpt.py} prints its losses with: one
 * implementation for the command line's output, the golden run's test and the numbers on an
 * {@link io.github.microgpt.autograd.ExpressionGraph}'s pictures (micrograd's {@code %.4f}), so
 * that all three print what Python prints.
 */
public final class PythonFormat {

    private PythonFormat() {
    }

    /**
     * Python's {@code f"{x:.4f}"}: the number rounded to 4 decimals.
     *
     * <p>Python rounds the <em>exact</em> binary value of the double, half to even. Java's
     * {@code String.format("%.4f", x)} instead rounds the shortest decimal that identifies the
     * double, half up, and so disagrees on rare values: {@code 2.00005} is stored as
     * {@code 2.000049999999999883...}, which Python prints as {@code 2.0000} and
     * {@code String.format} as {@code 2.0001}. {@code new BigDecimal(double)} holds the exact
     * binary value, so rounding it half to even agrees with Python on every finite double.
     *
     * <p>Python keeps the sign of a negative number that rounds to zero, and of {@code -0.0}:
     * {@code -0.00001} prints as {@code -0.0000} (a {@code BigDecimal} has no negative zero, so the
     * sign is put back here). Not-a-number prints as {@code nan} whatever its sign bit, and the
     * infinities as {@code inf} and {@code -inf}.
     *
     * @param x any number
     * @return for example {@code "3.3660"}, {@code "-0.0000"} or {@code "nan"}
     */
    public static String fourDecimals(double x) {
        if (Double.isNaN(x)) {
            return "nan";
        }
        if (Double.isInfinite(x)) {
            return x > 0 ? "inf" : "-inf";
        }
        // The quick way, for a positive number below 10^8 (a loss, every line of a run): x * 10^4
        // is then within 2^-13 of the exact product, so unless its fraction is near one half the
        // nearest whole number of ten-thousandths is the one the exact value rounds to. Near one
        // half, and for any other number, the exact way: BigDecimal, whose first use costs a
        // run's start some 60 methods to compile.
        if (x > 0 && x < 1e8) {
            double scaled = x * 10_000;
            double whole = Math.floor(scaled);
            double fraction = scaled - whole;
            if (Math.abs(fraction - 0.5) > 0x1p-10) {
                long n = (long) whole + (fraction > 0.5 ? 1 : 0);
                long units = n / 10_000;
                int decimals = (int) (n % 10_000);
                char[] digits = {'.', '0', '0', '0', '0'};
                for (int i = 4; i >= 1; i--, decimals /= 10) {
                    digits[i] = (char) ('0' + decimals % 10);
                }
                return new StringBuilder(24).append(units).append(digits).toString();
            }
        }
        String text = new BigDecimal(x).setScale(4, RoundingMode.HALF_EVEN).toPlainString();
        // The sign bit, which -0.0 has too: a negative number that rounds to 0.0000 keeps its sign.
        return Double.doubleToRawLongBits(x) < 0 && text.charAt(0) != '-' ? "-" + text : text;
    }
}
