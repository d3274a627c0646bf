package io.github.microgpt.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.github.microgpt.testsupport.TestResources;
import java.math.BigDecimal;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Python's {@code .4f} and {@code 4d}, as the CLI prints them. */
class PythonFormatTest {

    @Test
    void roundsTheExactBinaryValueHalfToEven() {
        // 2.00005 is stored as 2.0000499999999998835...; Python prints 2.0000.
        assertEquals("2.0000", PythonFormat.fourDecimals(2.00005));
        assertNotEquals(PythonFormat.fourDecimals(2.00005), String.format("%.4f", 2.00005),
                "the reason String.format is not used");
        assertEquals("0.0003", PythonFormat.fourDecimals(0.00025));
        assertEquals("0.1250", PythonFormat.fourDecimals(0.125));
        // 0.00005 is stored as 0.0000500000000000000024...: above the half, so it rounds up.
        assertEquals("0.0001", PythonFormat.fourDecimals(0.00005));
        // 0.125 is exact, and 0.12345 = 0.123450000000000004174... rounds up too.
        assertEquals("0.1235", PythonFormat.fourDecimals(0.12345));
        assertEquals("3.0000", PythonFormat.fourDecimals(3));
        assertEquals("-1.5000", PythonFormat.fourDecimals(-1.5));
    }

    @Test
    void printsEveryLossOfTheReferenceRunAsPythonDid() throws Exception {
        JsonObject golden = TestResources.goldenJson();
        JsonArray printed = golden.getAsJsonArray("losses_printed");
        JsonArray exact = golden.getAsJsonArray("losses_hex");
        assertEquals(1000, printed.size());
        for (int i = 0; i < printed.size(); i++) {
            double loss = Double.parseDouble(exact.get(i).getAsString());
            assertEquals(printed.get(i).getAsString(), PythonFormat.fourDecimals(loss), "loss of step " + (i + 1));
        }
    }

    @Test
    void isTheNearestFourDecimalNumber() {
        Random random = new Random(5);
        for (int i = 0; i < 10_000; i++) {
            double x = (random.nextDouble() - 0.5) * Math.pow(10, random.nextInt(8) - 3);
            String text = PythonFormat.fourDecimals(x);
            String what = "seed 5, case " + i + ": x=" + x + " -> " + text;
            assertTrue(text.matches("-?\\d+\\.\\d{4}"), what);
            BigDecimal error = new BigDecimal(text).subtract(new BigDecimal(x)).abs();
            assertTrue(error.compareTo(new BigDecimal("0.00005")) <= 0, what);
        }
    }

    /**
     * The quick way (for positive numbers below 10^8) prints what the exact rounding of the
     * binary value prints, also next to the halves where the two could part: every double within
     * 40 steps of each {@code (n + 0.5) / 10^4} and of each {@code n / 10^4} for many {@code n},
     * the ends of the range, and random numbers of every size in it.
     */
    @Test
    void theQuickWayPrintsWhatTheExactRoundingPrints() {
        SplittableRandom random = new SplittableRandom(11);
        java.util.List<Double> cases = new java.util.ArrayList<>(java.util.List.of(Double.MIN_VALUE, 1e-300, 4.9e-5, 5e-5,
                1.5e-4, 0.5, 1.0, 99_999_999.99995, 99_999_999.99994, 99_999_999.9999, 1e8, Math.nextDown(1e8),
                Math.nextUp(1e8), 123_456.78905, 3.14159265358979, 0.125, 2.00005));
        for (int i = 0; i < 3_000; i++) {
            long n = i < 1_000 ? i : random.nextLong(1_000_000_000_000L);
            for (double center : new double[] {(n + 0.5) / 10_000, n / 10_000.0}) {
                double x = center;
                for (int k = 0; k < 40; k++) {
                    x = Math.nextDown(x);
                }
                for (int k = 0; k <= 80; k++, x = Math.nextUp(x)) {
                    cases.add(x);
                }
            }
            cases.add(random.nextDouble() * Math.pow(10, random.nextInt(-6, 9)));
        }
        for (double x : cases) {
            String exact = new BigDecimal(x).setScale(4, java.math.RoundingMode.HALF_EVEN).toPlainString();
            assertEquals(exact, PythonFormat.fourDecimals(x), "x = " + x + " (" + new BigDecimal(x) + ")");
        }
    }

    @Test
    void rightAlignsLikePythonsIntegerFormat() {
        assertEquals("   1", PythonFormat.rightAligned(1, 4));
        assertEquals("1000", PythonFormat.rightAligned(1000, 4));
        assertEquals("12345", PythonFormat.rightAligned(12345, 4), "wider when the number needs it");
        assertEquals("  -5", PythonFormat.rightAligned(-5, 4));
        assertEquals(" 7", PythonFormat.rightAligned(7, 2));
    }
}
