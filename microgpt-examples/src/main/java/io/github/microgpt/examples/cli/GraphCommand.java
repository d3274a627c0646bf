package io.github.microgpt.examples.cli;

import io.github.microgpt.autograd.ExpressionGraph;
import io.github.microgpt.autograd.Operation;
import io.github.microgpt.autograd.Value;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code microgpt graph}: the expression graph behind a number, micrograd's first picture. It
 * reads a small expression over named variables ({@link ExpressionParser}), builds it from
 * {@link Value}s, calls {@code backward()} on the result, and either prints every node and every
 * step of the backward pass, or writes the graph as a picture ({@code --out graph.svg}, laid out
 * by the library) or as Graphviz DOT ({@code --out graph.dot}).
 *
 * <pre>
 * $ microgpt graph --expr "tanh(x*w + b)" --var x=2 --var w=-3 --var b=6.8814
 * </pre>
 */
@Command(name = "graph",
        mixinStandardHelpOptions = true,
        versionProvider = MicrogptCommand.Version.class,
        sortOptions = false,
        description = {
            "Build an expression from Values, back-propagate, and show its graph: every node's operation, data "
                    + "and grad, and each addition that backward() makes, from the result back to the leaves."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:Success.",
            "1:The file could not be written.",
            "2:Invalid usage or input: a malformed expression or --var, an unknown or unused variable, a file "
                    + "name that is not .svg or .dot, or a directory that does not exist."},
        footer = {
            "%nExamples:",
            "  microgpt graph --expr \"tanh(x*w + b)\" --var x=2 --var w=-3 --var b=6.8814",
            "  microgpt graph --expr \"relu(x1*w1 + x2*w2 + b)\" --var x1=2 --var x2=-1 \\",
            "      --var w1=0.5 --var w2=-1.5 --var b=0.25 --out neuron.svg",
            "%nThe expression: numbers, variables, + - * / ^ (a constant exponent),",
            "parentheses, tanh( ) relu( ) exp( ) log( ). a - b is built as a + (b * -1)",
            "and a / b as a * b^-1, exactly as microgpt.py builds them, so they show as",
            "those nodes."})
public final class GraphCommand implements Callable<Integer> {

    @ParentCommand
    private MicrogptCommand parent;

    @Option(names = "--expr", paramLabel = "EXPRESSION", required = true,
            description = "The expression, for example \"tanh(x*w + b)\".")
    private String expression;

    @Option(names = "--var", paramLabel = "NAME=VALUE",
            description = "A variable and its value, for example x=2. Repeat it for each variable.")
    private List<String> variables = new ArrayList<>();

    @Option(names = "--out", paramLabel = "FILE",
            description = "Write the graph to this file instead of printing it, atomically: a picture for a browser "
                    + "if the name ends in svg, the Graphviz format if it ends in dot (render it with dot -Tpng).")
    private Path out;

    @Option(names = "--no-backward",
            description = "Show the graph before backward(): every grad still 0.")
    private boolean noBackward;

    /** Creates the command; picocli calls this and then sets the options. */
    public GraphCommand() {
    }

    /**
     * Builds, back-propagates and shows the graph as described on the class.
     *
     * @return the exit code, 0
     * @throws UsageException if the expression, a variable or the file name is not valid
     * @throws CommandFailedException if the file cannot be written
     */
    @Override
    public Integer call() {
        String format = format();
        Map<String, Value> leaves = parseVariables();
        Value result;
        try {
            result = ExpressionParser.parse(expression, leaves);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--expr: " + e.getMessage(), e);
        }
        checkEveryVariableIsUsed(leaves, result);
        if (!noBackward) {
            result.backward();
        }
        ExpressionGraph graph = ExpressionGraph.of(result);
        if (out != null) {
            try {
                TextFiles.writeAtomically(out, format.equals("svg") ? graph.toSvg() : graph.toDot());
            } catch (IOException e) {
                throw new CommandFailedException("cannot write " + out + ": " + e.getMessage(),
                        CommandFailedException.FAILED, e);
            }
            // The picture shows inf or nan where a number is not finite; the note says why.
            for (String note : notes(graph, !noBackward)) {
                parent.context().err().println("microgpt: " + note);
            }
            parent.context().err().flush();
            return 0;
        }
        print(graph, new LineOutput(parent.context().out()));
        return 0;
    }

    private String format() {
        if (out == null) {
            return "text";
        }
        String name = out.getFileName() == null ? "" : out.getFileName().toString().toLowerCase(Locale.ROOT);
        String format = name.endsWith(".svg") ? "svg" : name.endsWith(".dot") || name.endsWith(".gv") ? "dot" : null;
        if (format == null) {
            throw new UsageException("--out: " + out + " must end in .svg (a picture) or .dot (Graphviz)");
        }
        TextFiles.checkWritable("--out", out);
        return format;
    }

    /**
     * A {@code --var} the expression never mentions is most likely a typo on one side (say
     * {@code --var W=2} for {@code x*w}, with {@code w} given as well), and its value would be
     * dropped without a word; so it is refused, naming the variables the expression does use.
     */
    private static void checkEveryVariableIsUsed(Map<String, Value> leaves, Value result) {
        Set<Value> inGraph = Collections.newSetFromMap(new IdentityHashMap<>());
        inGraph.addAll(result.topologicalOrder());
        List<String> used = new ArrayList<>();
        List<String> unused = new ArrayList<>();
        leaves.forEach((name, leaf) -> (inGraph.contains(leaf) ? used : unused).add(name));
        if (!unused.isEmpty()) {
            throw new UsageException("--var " + String.join(", ", unused) + ": the expression does not use "
                    + (unused.size() == 1 ? "it" : "them") + " (it uses "
                    + (used.isEmpty() ? "no variable" : String.join(", ", used)) + "); fix the name or leave it out");
        }
    }

    private Map<String, Value> parseVariables() {
        Map<String, Value> leaves = new LinkedHashMap<>();
        for (String variable : variables) {
            checkOneLineOfText(variable);
            int eq = variable.indexOf('=');
            if (eq <= 0) {
                throw new UsageException("--var: expected NAME=VALUE, such as x=2, got \"" + variable + "\"");
            }
            // Neither part is stripped: "x= 1" is refused as every option refuses " 1" (NumberGrammar).
            String name = variable.substring(0, eq);
            String number = variable.substring(eq + 1);
            if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                throw new UsageException("--var: the name \"" + name + "\" must be letters, digits and _, "
                        + "starting with a letter or _, without spaces");
            }
            if (List.of("tanh", "relu", "exp", "log").contains(name)) {
                throw new UsageException("--var: \"" + name + "\" is a function, not a variable name");
            }
            if (leaves.containsKey(name)) {
                throw new UsageException("--var: " + name + " is given twice");
            }
            // parseDouble also reads Java's hexadecimal floats (0x1p3 is 8), literal suffixes (2d),
            // spaces and a plus sign: the numbers of every option are read here, with any sign.
            if (!NumberGrammar.isNumber(number)) {
                throw new UsageException("--var " + name + ": \"" + number + "\" is not a plain decimal number; "
                        + NumberGrammar.NUMBER_RULE);
            }
            double value = Double.parseDouble(number);
            if (Double.isInfinite(value)) {
                throw new UsageException("--var " + name + ": " + number + " is too large: it overflows a double (the"
                        + " largest is " + Double.MAX_VALUE + "); the value must be finite");
            }
            if (value == 0 && PositiveNumber.hasNonZeroDigit(number)) {
                throw new UsageException("--var " + name + ": " + number + " is too small: it rounds to 0 (the"
                        + " smallest a double holds is " + Double.MIN_VALUE + ")");
            }
            leaves.put(name, new Value(value).label(name));
        }
        return leaves;
    }

    /**
     * Refuses a control character (a line break, a tab, NUL, an escape, ...) anywhere in a
     * {@code --var}: stripping would otherwise turn {@code "x\n=1"} into {@code x} without a word,
     * and {@link Double#parseDouble} ignores them around a number. The message quotes the argument
     * with the character escaped ({@link MicrogptCommand#oneLine}).
     */
    private static void checkOneLineOfText(String variable) {
        for (int i = 0; i < variable.length(); i++) {
            char c = variable.charAt(i);
            if (Terminals.disturbsALine(c)) {
                int eq = variable.indexOf('=');
                String part = eq < 0 || i < eq ? "name" : "value";
                throw new UsageException(String.format(Locale.ROOT, "--var: \"%s\" has a control character "
                        + "(U+%04X) in its %s at column %d; a name and its value must be printable text on one line",
                        variable, (int) c, part, i + 1));
            }
        }
    }

    /** The nodes in topological order, then each addition of backward() in its order. */
    private void print(ExpressionGraph graph, LineOutput lines) {
        lines.line("nodes (children before parents):");
        for (ExpressionGraph.Node node : graph.nodes()) {
            lines.line(String.format(Locale.ROOT, "  %-4s %-6s %-8s data %10s   grad %10s", name(node),
                    node.op() == Operation.LEAF ? "leaf" : node.op().symbol(), operands(graph, node),
                    number(node.data()), number(node.grad())));
        }
        if (!noBackward) {
            lines.line("backward (from the result to the leaves):");
            lines.line("  " + name(graph.root()) + ".grad = 1");
            for (ExpressionGraph.BackwardStep step : graph.backwardSteps()) {
                ExpressionGraph.Edge edge = step.edge();
                lines.line(String.format(Locale.ROOT, "  %s.grad += %s * %s  (local * %s.grad)  -> %s",
                        name(graph.nodes().get(edge.child())), number(edge.localGrad()), number(step.parentGrad()),
                        name(graph.nodes().get(edge.parent())), number(step.childGradAfter())));
            }
        }
        for (String note : notes(graph, !noBackward)) {
            lines.line(note);
        }
        lines.flush();
    }

    /** Beyond this size a number is written with an exponent: {@code %.4f} of 1e308 is 309 digits long. */
    private static final double LARGE = 1e10;

    /**
     * A number as micrograd prints it ({@code %.4f}), but one that is not finite as Python
     * writes it ({@code inf}, {@code -inf}, {@code nan}) rather than Java's {@code Infinity}, and
     * a very large one with an exponent ({@code 1.0000e+20}).
     */
    static String number(double v) {
        if (Double.isNaN(v)) {
            return "nan";
        }
        if (Double.isInfinite(v)) {
            return v > 0 ? "inf" : "-inf";
        }
        return String.format(Locale.ROOT, Math.abs(v) >= LARGE ? "%.4e" : "%.4f", v);
    }

    /**
     * Why the graph holds a number that is not finite, in a line for each of its data and its
     * grads, or none when every number is finite. It names the first node whose operands are
     * finite but whose value is not (an addition or a multiplication that overflows: a division
     * by zero, the log of zero or an {@code exp} that overflows never get here, as {@link Value}
     * refuses them as Python does and the expression is refused), or the first grad that is not;
     * everything computed from it is inf or nan in turn.
     *
     * @param graph the graph
     * @param backward whether backward() ran, so that the grads are worth a note
     * @return the notes, each a line starting with {@code note: }
     */
    static List<String> notes(ExpressionGraph graph, boolean backward) {
        List<String> notes = new ArrayList<>();
        for (ExpressionGraph.Node node : graph.nodes()) {
            double[] operands = operandData(graph, node);
            if (!Double.isFinite(node.data()) && java.util.Arrays.stream(operands).allMatch(Double::isFinite)) {
                notes.add("note: " + name(node) + " = " + formula(graph, node) + " is "
                        + number(node.data()) + ": it is beyond the largest number a double holds (about 1.8e308)"
                        + "; every number computed from it is inf or nan too");
                return notes;
            }
        }
        for (ExpressionGraph.BackwardStep step : backward ? graph.backwardSteps()
                : List.<ExpressionGraph.BackwardStep>of()) {
            ExpressionGraph.Edge edge = step.edge();
            if (!Double.isFinite(step.childGradAfter()) && Double.isFinite(step.parentGrad())) {
                ExpressionGraph.Node parent = graph.nodes().get(edge.parent());
                ExpressionGraph.Node child = graph.nodes().get(edge.child());
                String why = Double.isFinite(edge.localGrad())
                        ? "the sum is beyond the largest number a double holds (about 1.8e308)"
                        : "the slope of " + name(parent) + " = " + formula(graph, parent) + " at "
                                + name(child) + " = " + number(child.data()) + " is " + number(edge.localGrad());
                notes.add("note: " + name(child) + ".grad is " + number(step.childGradAfter()) + ": " + why
                        + "; the grads computed from it are inf or nan too");
                return notes;
            }
        }
        return notes;
    }

    /** A node as its operation of its operands: {@code n2 * n3}, {@code exp(x)}. */
    private static String formula(ExpressionGraph graph, ExpressionGraph.Node node) {
        String symbol = node.op().symbol();
        return symbol.equals("+") || symbol.equals("*") ? operands(graph, node).replace(",", " " + symbol + " ")
                : symbol + "(" + operands(graph, node) + ")";
    }

    private static double[] operandData(ExpressionGraph graph, ExpressionGraph.Node node) {
        return graph.edges().stream().filter(edge -> edge.parent() == node.id())
                .mapToDouble(edge -> graph.nodes().get(edge.child()).data()).toArray();
    }

    private static String name(ExpressionGraph.Node node) {
        return node.label() != null ? node.label() : "n" + node.id();
    }

    private static String operands(ExpressionGraph graph, ExpressionGraph.Node node) {
        List<String> names = new ArrayList<>();
        for (ExpressionGraph.Edge edge : graph.edges()) {
            if (edge.parent() == node.id()) {
                names.add(name(graph.nodes().get(edge.child())));
            }
        }
        return String.join(",", names);
    }
}
