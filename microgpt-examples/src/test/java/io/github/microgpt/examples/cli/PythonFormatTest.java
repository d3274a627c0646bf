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
            // A BigDecimal has no negative zero; Python keeps the sign (see printsWhatPythonPrints).
            exact = Double.doubleToRawLongBits(x) < 0 && !exact.startsWith("-") ? "-" + exact : exact;
            assertEquals(exact, PythonFormat.fourDecimals(x), "x = " + x + " (" + new BigDecimal(x) + ")");
        }
    }

    /**
     * What Python 3.11 prints for {@code f"{x:.4f}"}, each {@code x} written as Python's
     * {@code repr} gives it (which Java reads back as the same double), the infinities and NaN as
     * Java names them and {@code -NaN} for a NaN with its sign bit set. Made with Python itself:
     * {@code python3 -c 'x = -1e-05; print(repr(x), f"{x:.4f}")'}, for these numbers and 24 random
     * ones ({@code random.Random(7)}: {@code (r.random() - 0.5) * 10 ** r.randint(-9, 12)}). Kept as
     * data so that the build needs no Python. Until 7 December 2026 the negatives that round to
     * zero, and {@code -0.0}, printed without their sign, and NaN and the infinities threw.
     */
    private static final String[][] PYTHON = {
            {"0.0", "0.0000"},
            {"-0.0", "-0.0000"},
            {"NaN", "nan"},
            {"-NaN", "nan"},
            {"Infinity", "inf"},
            {"-Infinity", "-inf"},
            {"-1e-05", "-0.0000"},
            {"-4.999e-05", "-0.0000"},
            {"-5e-05", "-0.0001"},
            {"-5.0000001e-05", "-0.0001"},
            {"-1e-300", "-0.0000"},
            {"-5e-324", "-0.0000"},
            {"5e-324", "0.0000"},
            {"-2.2250738585072014e-308", "-0.0000"},
            {"-0.00015", "-0.0001"},
            {"-0.00025", "-0.0003"},
            {"-0.00035", "-0.0003"},
            {"-0.12345", "-0.1235"},
            {"-2.00005", "-2.0000"},
            {"-1.5", "-1.5000"},
            {"-3.0", "-3.0000"},
            {"-0.5", "-0.5000"},
            {"-0.99995", "-1.0000"},
            {"-0.99994999", "-0.9999"},
            {"5e-05", "0.0001"},
            {"0.00015", "0.0001"},
            {"0.00025", "0.0003"},
            {"2.00005", "2.0000"},
            {"0.125", "0.1250"},
            {"3.366", "3.3660"},
            {"123456789.12345", "123456789.1234"},
            {"99999999.99995", "100000000.0000"},
            {"100000000.0", "100000000.0000"},
            {"-99999999.99995", "-100000000.0000"},
            {"1e+16", "10000000000000000.0000"},
            {"1e+20", "100000000000000000000.0000"},
            {"-1e+20", "-100000000000000000000.0000"},
            {"1e+22", "10000000000000000000000.0000"},
            {"1.7976931348623157e+308", "179769313486231570814527423731704356798070567525844996598917476803157260780028538760589558632766878171540458953514382464234321326889464182768467546703537516986049910576551282076245490090389328944075868508455133942304583236903222948165808559332123348274797826204144723168738177180919299881250404026184124858368.0000"},
            {"-1.7976931348623157e+308", "-179769313486231570814527423731704356798070567525844996598917476803157260780028538760589558632766878171540458953514382464234321326889464182768467546703537516986049910576551282076245490090389328944075868508455133942304583236903222948165808559332123348274797826204144723168738177180919299881250404026184124858368.0000"},
            {"4.478653606090632", "4.4787"},
            {"150.93447303985374", "150.9345"},
            {"3.212742919913083e-08", "0.0000"},
            {"-1.3431108308741446e-07", "-0.0000"},
            {"4.097040631431023e-09", "0.0000"},
            {"-0.00046250434155801514", "-0.0005"},
            {"-818.2784862924053", "-818.2785"},
            {"-0.0040928698665613494", "-0.0041"},
            {"-4408.8949392101085", "-4408.8949"},
            {"-376198038.85035443", "-376198038.8504"},
            {"0.001306259157317371", "0.0013"},
            {"447708942.4570057", "447708942.4570"},
            {"85541422.64038678", "85541422.6404"},
            {"4.762551055929201e-09", "0.0000"},
            {"5.666489793709262e-10", "0.0000"},
            {"-2.1039071366832375e-06", "-0.0000"},
            {"4.0685885532142476e-07", "0.0000"},
            {"-191518175.89806563", "-191518175.8981"},
            {"-319273620076.0625", "-319273620076.0625"},
            {"71204391.41179225", "71204391.4118"},
            {"-0.00012760245727426879", "-0.0001"},
            {"21211076.574615363", "21211076.5746"},
            {"-440398830.03376734", "-440398830.0338"},
            {"-3.585504886508217e-06", "-0.0000"},
    };

    @Test
    void printsWhatPythonPrints() {
        for (String[] row : PYTHON) {
            double x = row[0].equals("-NaN") ? Double.longBitsToDouble(0xfff8_0000_0000_0000L)
                    : Double.parseDouble(row[0]);
            assertEquals(row[1], PythonFormat.fourDecimals(x), "f\"{" + row[0] + ":.4f}\"");
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
