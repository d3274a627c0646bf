package io.github.microgpt.autograd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.function.Executable;

/**
 * What {@link Value} does with input it cannot compute: a null operand, and the arithmetic that
 * {@code microgpt.py}'s Python refuses ({@code math.log(0)}, {@code math.exp(1000)},
 * {@code 0.0 ** -1}). Each case of the table was checked against Python 3: where it raises, Value
 * throws an {@link ArithmeticException} that names the operation, the operand and Python's
 * exception; where it does not, Value gives the same number.
 */
class ValueRefusalsTest {

    private static final Value A = new Value(2.0);

    private static void assertNamed(Throwable e, String... parts) {
        for (String part : parts) {
            assertTrue(e.getMessage() != null && e.getMessage().contains(part),
                    "the message should contain '" + part + "': " + e.getMessage());
        }
    }

    @TestFactory
    Stream<DynamicTest> aNullOperandIsNamedWithTheOperation() {
        return Stream.of(
                nullCase("Value.add(other)", () -> A.add((Value) null)),
                nullCase("Value.mul(other)", () -> A.mul((Value) null)),
                nullCase("Value.sub(other)", () -> A.sub((Value) null)),
                nullCase("Value.div(other)", () -> A.div((Value) null)),
                nullCase("Value.sum(values): values is null", () -> Value.sum((Value[]) null)),
                nullCase("Value.sum(values): values[1] is null", () -> Value.sum(A, null, A)));
    }

    private static DynamicTest nullCase(String expected, Executable call) {
        return DynamicTest.dynamicTest(expected, () -> {
            NullPointerException e = assertThrows(NullPointerException.class, call);
            assertNamed(e, expected);
        });
    }

    @Test
    void aNullLabelRemovesTheLabel() {
        Value v = new Value(1.0).label("v");
        assertEquals(null, v.label(null).label());
    }

    /** Where Python raises: the call, and what the message must name. */
    @TestFactory
    Stream<DynamicTest> whatPythonRefusesIsRefused() {
        return Stream.of(
                refused("math.log(0)", () -> new Value(0.0).log(), "Value.log", "log(0.0)", "ValueError"),
                refused("math.log(-0.0)", () -> new Value(-0.0).log(), "Value.log", "log(-0.0)", "ValueError"),
                refused("math.log(-1)", () -> new Value(-1.0).log(), "Value.log", "log(-1.0)", "ValueError"),
                refused("math.log(-inf)", () -> new Value(Double.NEGATIVE_INFINITY).log(), "Value.log", "ValueError"),
                refused("math.exp(1000)", () -> new Value(1000.0).exp(), "Value.exp", "exp(1000.0)", "OverflowError"),
                refused("math.exp(710)", () -> new Value(710.0).exp(), "Value.exp", "OverflowError"),
                refused("0.0 ** -1", () -> new Value(0.0).pow(-1), "Value.pow", "0.0 ** -1.0", "ZeroDivisionError"),
                refused("0.0 ** -0.5", () -> new Value(0.0).pow(-0.5), "Value.pow", "ZeroDivisionError"),
                refused("10.0 ** 400", () -> new Value(10.0).pow(400), "Value.pow", "10.0 ** 400.0", "OverflowError"),
                refused("(-8.0) ** 0.5 (complex in Python)", () -> new Value(-8.0).pow(0.5), "Value.pow",
                        "-8.0 ** 0.5", "complex"),
                // The local gradient 0.5 * 0.0 ** -0.5, which microgpt.py computes as it makes the node.
                refused("gradient of 0.0 ** 0.5", () -> new Value(0.0).pow(0.5), "Value.pow", "local gradient",
                        "0.0 ** -0.5", "ZeroDivisionError"),
                refused("gradient of 1e-300 ** -1", () -> new Value(1e-300).pow(-1), "Value.pow", "local gradient",
                        "OverflowError"),
                refused("a / 0", () -> A.div(new Value(0.0)), "Value.div", "division by zero", "divisor is 0.0", "ZeroDivisionError"),
                refused("a / 1e-200 (its gradient 1e-200 ** -2)", () -> A.div(new Value(1e-200)), "Value.div",
                        "1.0E-200", "OverflowError"),
                refused("a / 0 (a constant)", () -> A.div(0.0), "Value.div", "division by zero", "divisor is 0.0", "ZeroDivisionError"),
                refused("a / 1e-320 (a constant)", () -> A.div(1e-320), "Value.div", "OverflowError"));
    }

    private static DynamicTest refused(String python, Executable call, String... parts) {
        return DynamicTest.dynamicTest(python, () -> {
            ArithmeticException e = assertThrows(ArithmeticException.class, call);
            assertNamed(e, parts);
        });
    }

    /** Where Python does not raise, the same number as Python's, NaN and infinities included. */
    @TestFactory
    Stream<DynamicTest> whatPythonComputesIsComputed() {
        return Stream.of(
                computed("math.log(nan)", () -> new Value(Double.NaN).log(), Double.NaN),
                computed("math.log(inf)", () -> new Value(Double.POSITIVE_INFINITY).log(), Double.POSITIVE_INFINITY),
                computed("math.log(1e-320)", () -> new Value(1e-320).log(), Math.log(1e-320)),
                computed("math.exp(709)", () -> new Value(709.0).exp(), Math.exp(709.0)),
                computed("math.exp(inf)", () -> new Value(Double.POSITIVE_INFINITY).exp(), Double.POSITIVE_INFINITY),
                computed("math.exp(-inf)", () -> new Value(Double.NEGATIVE_INFINITY).exp(), 0.0),
                computed("math.exp(-1000)", () -> new Value(-1000.0).exp(), 0.0),
                computed("inf ** -0.5", () -> new Value(Double.POSITIVE_INFINITY).pow(-0.5), 0.0),
                computed("(-8.0) ** 2", () -> new Value(-8.0).pow(2), 64.0),
                computed("(-2.0) ** -1", () -> new Value(-2.0).pow(-1), -0.5),
                computed("0.0 ** 2", () -> new Value(0.0).pow(2), 0.0),
                computed("0.0 ** 1", () -> new Value(0.0).pow(1), 0.0),
                computed("10.0 ** -400 (underflows to 0)", () -> new Value(10.0).pow(-400), 0.0),
                computed("nan ** 2", () -> new Value(Double.NaN).pow(2), Double.NaN),
                computed("1e308 * 10 (a multiplication overflows silently)", () -> new Value(1e308).mul(10.0),
                        Double.POSITIVE_INFINITY),
                computed("2 / inf", () -> A.div(new Value(Double.POSITIVE_INFINITY)), 0.0));
    }

    private static DynamicTest computed(String python, Supplier<Value> call, double expected) {
        return DynamicTest.dynamicTest(python, () -> assertEquals(expected, call.get().data()));
    }

    @Test
    void aRefusedOperationMakesNoNodeAndLeavesItsOperandAsItWas() {
        Value x = new Value(0.0);
        assertThrows(ArithmeticException.class, x::log);
        x.setData(1.0);
        Value y = x.log();
        y.backward();
        assertEquals(0.0, y.data());
        assertEquals(1.0, x.grad());
    }
}
