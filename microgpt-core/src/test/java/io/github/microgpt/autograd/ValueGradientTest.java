package io.github.microgpt.autograd;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.testing.Cases;
import io.github.microgpt.testing.Gen;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every gradient that {@link Value#backward()} computes agrees with a central finite difference
 * of the forward computation: for each operation on random inputs in its domain, and for random
 * expressions that reuse their subexpressions.
 */
class ValueGradientTest {

    private static final int CASES_PER_OPERATION = 300;

    /**
     * One operation under test: how to draw its inputs (and a constant, such as an exponent) and
     * how to build its result from leaf values.
     */
    private record Operation(String name, Function<Gen, double[]> inputs, Function<Gen, Double> constant,
                             Builder builder) {
    }

    @FunctionalInterface
    private interface Builder {
        Value build(Value[] x, double constant);
    }

    /** The inputs of one case: the leaves and the constant operand. */
    private record OperationCase(String operation, double[] x, double constant) {
        @Override
        public String toString() {
            return operation + " x=" + Arrays.toString(x) + " c=" + constant;
        }
    }

    private static Function<Gen, double[]> uniform(int arity, double lo, double hi) {
        return g -> {
            double[] x = new double[arity];
            for (int i = 0; i < arity; i++) {
                x[i] = g.doubleIn(lo, hi);
            }
            return x;
        };
    }

    private static Function<Gen, Double> noConstant() {
        return g -> 0.0;
    }

    private static List<Operation> operations() {
        List<Operation> ops = new ArrayList<>();
        ops.add(new Operation("add", uniform(2, -10, 10), noConstant(), (x, c) -> x[0].add(x[1])));
        ops.add(new Operation("add(double)", uniform(1, -10, 10), g -> g.doubleIn(-10, 10),
                (x, c) -> x[0].add(c)));
        ops.add(new Operation("mul", uniform(2, -10, 10), noConstant(), (x, c) -> x[0].mul(x[1])));
        ops.add(new Operation("mul(double)", uniform(1, -10, 10), g -> g.doubleIn(-10, 10),
                (x, c) -> x[0].mul(c)));
        ops.add(new Operation("sub", uniform(2, -10, 10), noConstant(), (x, c) -> x[0].sub(x[1])));
        ops.add(new Operation("sub(double)", uniform(1, -10, 10), g -> g.doubleIn(-10, 10),
                (x, c) -> x[0].sub(c)));
        ops.add(new Operation("div",
                g -> new double[] {g.doubleIn(-10, 10), g.awayFromZero(0.2, 5)}, noConstant(),
                (x, c) -> x[0].div(x[1])));
        ops.add(new Operation("div(double)", uniform(1, -10, 10), g -> g.awayFromZero(0.2, 5),
                (x, c) -> x[0].div(c)));
        ops.add(new Operation("neg", uniform(1, -10, 10), noConstant(), (x, c) -> x[0].neg()));
        // Integer exponents are defined for negative bases; keep away from 0 where x^-1 blows up.
        for (double k : new double[] {-1, 2, 3}) {
            ops.add(new Operation("pow(" + k + ")", g -> new double[] {g.awayFromZero(0.2, 5)}, g -> k,
                    (x, c) -> x[0].pow(c)));
        }
        // Fractional exponents need a positive base.
        for (double k : new double[] {-0.5, 0.5}) {
            ops.add(new Operation("pow(" + k + ")", uniform(1, 0.1, 10), g -> k, (x, c) -> x[0].pow(c)));
        }
        ops.add(new Operation("pow(random k)", uniform(1, 0.1, 5), g -> g.doubleIn(-3, 3),
                (x, c) -> x[0].pow(c)));
        ops.add(new Operation("log", g -> new double[] {g.logUniform(0.05, 100)}, noConstant(),
                (x, c) -> x[0].log()));
        ops.add(new Operation("exp", uniform(1, -5, 5), noConstant(), (x, c) -> x[0].exp()));
        ops.add(new Operation("tanh", uniform(1, -4, 4), noConstant(), (x, c) -> x[0].tanh()));
        // relu has a kink at 0: stay far enough from it that x +- h keeps its sign.
        ops.add(new Operation("relu", g -> new double[] {g.awayFromZero(0.01, 5)}, noConstant(),
                (x, c) -> x[0].relu()));
        ops.add(new Operation("sum", g -> uniform(g.intIn(1, 8), -10, 10).apply(g), noConstant(),
                (x, c) -> Value.sum(x)));
        return ops;
    }

    @TestFactory
    Stream<DynamicNode> everyOperationMatchesCentralDifferences() {
        return operations().stream().map(op -> DynamicContainer.dynamicContainer(op.name(),
                Cases.dynamicTests("gradient of " + op.name(), CASES_PER_OPERATION,
                        g -> new OperationCase(op.name(), op.inputs().apply(g), op.constant().apply(g)),
                        c -> checkAgainstFiniteDifferences(c.x(), x -> op.builder().build(x, c.constant())))));
    }

    /**
     * Back-propagates from {@code f(leaves)} and compares each leaf's gradient with
     * {@code (f(x + h) - f(x - h)) / (2h)}, evaluated with fresh leaves.
     */
    static void checkAgainstFiniteDifferences(double[] x, Function<Value[], Value> f) {
        Value[] leaves = leaves(x);
        Value out = f.apply(leaves);
        out.backward();
        for (int i = 0; i < x.length; i++) {
            double h = 1e-6 * Math.max(1.0, Math.abs(x[i]));
            double[] plus = x.clone();
            double[] minus = x.clone();
            plus[i] = x[i] + h;
            minus[i] = x[i] - h;
            double fPlus = f.apply(leaves(plus)).data();
            double fMinus = f.apply(leaves(minus)).data();
            // Divide by the step that was actually taken, which x +- h rounds.
            double numeric = (fPlus - fMinus) / (plus[i] - minus[i]);
            double analytic = leaves[i].grad();
            // Central differences err by O(h^2 f''') and by the rounding of f, about eps |f| / h.
            // The worst error seen over tens of thousands of cases was about 1/40 of this.
            double tolerance = 1e-7 * (1 + Math.abs(analytic)) + 1e-9 * Math.abs(out.data());
            assertTrue(Math.abs(analytic - numeric) <= tolerance, "d/dx" + i + ": backward gives " + analytic
                    + " but the central difference is " + numeric + " (tolerance " + tolerance + ")");
        }
    }

    private static Value[] leaves(double[] x) {
        Value[] v = new Value[x.length];
        for (int i = 0; i < x.length; i++) {
            v[i] = new Value(x[i]);
        }
        return v;
    }

    // ------------------------------------------------------------------ random composed expressions

    /** One node of a random expression: an operation on earlier nodes (by index). */
    private record Step(String op, int a, int b, double constant) {
        @Override
        public String toString() {
            return switch (op) {
                case "add", "mul", "sub", "div" -> op + "(n" + a + ", n" + b + ")";
                case "sum" -> "sum(n" + a + ", n" + b + ", n" + a + ")";
                case "pow", "add(c)", "mul(c)", "sub(c)", "div(c)" -> op + "(n" + a + ", " + constant + ")";
                default -> op + "(n" + a + ")";
            };
        }
    }

    /** A random expression: leaves n0..n(k-1), then one node per step; the last node is the result. */
    private record Expression(double[] leaves, List<Step> steps) {
        Value evaluate(Value[] x) {
            List<Value> nodes = new ArrayList<>(Arrays.asList(x));
            for (Step s : steps) {
                nodes.add(apply(s, nodes));
            }
            return nodes.get(nodes.size() - 1);
        }

        @Override
        public String toString() {
            StringBuilder text = new StringBuilder("leaves=" + Arrays.toString(leaves));
            for (int i = 0; i < steps.size(); i++) {
                text.append("; n").append(leaves.length + i).append(" = ").append(steps.get(i));
            }
            return text.toString();
        }
    }

    private static Value apply(Step s, List<Value> nodes) {
        Value a = nodes.get(s.a());
        Value b = nodes.get(s.b());
        return switch (s.op()) {
            case "add" -> a.add(b);
            case "mul" -> a.mul(b);
            case "sub" -> a.sub(b);
            case "div" -> a.div(b);
            case "sum" -> Value.sum(a, b, a);
            case "neg" -> a.neg();
            case "log" -> a.log();
            case "exp" -> a.exp();
            case "relu" -> a.relu();
            case "tanh" -> a.tanh();
            case "pow" -> a.pow(s.constant());
            case "add(c)" -> a.add(s.constant());
            case "mul(c)" -> a.mul(s.constant());
            case "sub(c)" -> a.sub(s.constant());
            case "div(c)" -> a.div(s.constant());
            default -> throw new IllegalStateException(s.op());
        };
    }

    /**
     * Draws a random expression whose every node stays in its operation's domain with a margin, so
     * that the finite differences do not cross a pole, a log's edge or relu's kink.
     */
    private static Expression randomExpression(Gen g) {
        int leafCount = g.intIn(1, 4);
        double[] leaves = new double[leafCount];
        List<Value> nodes = new ArrayList<>();
        for (int i = 0; i < leafCount; i++) {
            leaves[i] = g.awayFromZero(0.1, 2);
            nodes.add(new Value(leaves[i]));
        }
        String[] ops = {"add", "mul", "sub", "div", "sum", "neg", "log", "exp", "relu", "tanh", "pow",
                        "add(c)", "mul(c)", "sub(c)", "div(c)"};
        List<Step> steps = new ArrayList<>();
        int length = g.intIn(3, 25);
        while (steps.size() < length) {
            // Favour recent nodes so that expressions get deep, but any earlier node may be reused.
            int n = nodes.size();
            int a = g.chance(0.6) ? n - 1 - g.intIn(0, Math.min(2, n - 1)) : g.intIn(0, n - 1);
            int b = g.intIn(0, n - 1);
            String op = g.pickOf(ops);
            double constant = switch (op) {
                case "pow" -> g.pickDouble(-1.0, -0.5, 0.5, 2.0, 3.0, g.doubleIn(-2, 2));
                case "div(c)" -> g.awayFromZero(0.5, 3);
                default -> g.doubleIn(-3, 3);
            };
            Step step = new Step(op, a, b, constant);
            double x = nodes.get(a).data();
            double y = nodes.get(b).data();
            boolean fractional = op.equals("pow") && constant != Math.rint(constant);
            boolean inDomain = switch (op) {
                case "div" -> Math.abs(y) >= 0.25;
                case "log" -> x >= 0.25;
                case "exp" -> Math.abs(x) <= 3;
                case "relu" -> Math.abs(x) >= 0.05;
                case "pow" -> fractional ? x >= 0.25 : Math.abs(x) >= 0.25 && Math.abs(x) <= 10;
                default -> true;
            };
            if (!inDomain) {
                continue;
            }
            Value result = apply(step, nodes);
            if (!(Math.abs(result.data()) <= 50)) {
                continue;
            }
            nodes.add(result);
            steps.add(step);
        }
        return new Expression(leaves, steps);
    }

    @TestFactory
    Stream<DynamicTest> composedExpressionsMatchCentralDifferences() {
        return Cases.dynamicTests("gradient of a random expression", 1000, ValueGradientTest::randomExpression,
                e -> checkAgainstFiniteDifferences(e.leaves(), e::evaluate));
    }
}
