package io.github.microgpt.examples.simulator;

import com.google.gson.stream.JsonWriter;
import io.github.microgpt.autograd.ExpressionGraph;
import io.github.microgpt.autograd.Operation;
import io.github.microgpt.examples.cli.NumberGrammar;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The answer of {@code GET /api/autograd?expr=neuron|attention[&head=H][&key=T]}: the graph of a
 * {@link LiveExpression} for the Autograd panel, which draws it and walks {@code backward()}
 * node by node.
 *
 * <p>The answer holds the picture of the graph before {@code backward()} (every {@code grad} 0,
 * laid out by {@link ExpressionGraph#toSvg()}: each edge a {@code <g id="eK">} and each node a
 * {@code <g id="nI">}, by their indexes in {@code edges} and {@code nodes}), the nodes with their {@code grad} after a
 * real {@link io.github.microgpt.autograd.Value#backward()}, the edges with their local
 * gradients, and {@link ExpressionGraph#backwardSteps()}: each {@code child.grad += local *
 * parent.grad} in {@code backward()}'s order. Replaying the steps from zero ends with exactly the
 * gradients {@code backward()} gave; the tests hold it to that.
 */
final class AutogradGraph {

    private AutogradGraph() {
    }

    /**
     * Builds the answer for a query string.
     *
     * @param snapshot the state to build the expression from
     * @param query the request's query string, or {@code null}
     * @return the JSON text
     * @throws ApiException (400) for an unknown or repeated parameter or a bad value; (409) when
     *     the expression cannot be built at the moment (see {@link LiveExpression})
     */
    static String json(Snapshot snapshot, String query) {
        Map<String, String> parameters = parameters(query);
        String expr = parameters.getOrDefault("expr", "neuron");
        LiveExpression expression = switch (expr) {
            case "neuron" -> {
                if (parameters.containsKey("head") || parameters.containsKey("key")) {
                    throw ApiException.badRequest("head and key choose an attention score; the neuron takes neither");
                }
                yield LiveExpression.neuron(snapshot);
            }
            case "attention" -> {
                // The ranges are the model's and the position's, so that a mistake is answered with both ends.
                int lastHead = snapshot.settings().config().nHead() - 1;
                int head = whole(parameters, "head", 0, lastHead, "a whole number from 0 to " + lastHead);
                String key = parameters.get("key");
                int lastKey = key == null ? 0 : LiveExpression.position(snapshot).posId();
                yield LiveExpression.attentionScore(snapshot, head, whole(parameters, "key", -1, lastKey,
                        "a position from 0 to the current position " + lastKey + " (attention looks only back)"));
            }
            default -> throw ApiException.badRequest("expr must be \"neuron\" or \"attention\", got "
                    + ApiException.quoted(expr));
        };
        ExpressionGraph before = ExpressionGraph.of(expression.root());
        expression.root().backward();
        ExpressionGraph after = ExpressionGraph.of(expression.root());
        return write(snapshot, expression, before, after);
    }

    private static final List<String> NAMES = List.of("expr", "head", "key");

    private static Map<String, String> parameters(String query) {
        Map<String, String> parameters = new HashMap<>();
        if (query == null || query.isEmpty()) {
            return parameters;
        }
        for (String pair : query.split("&", -1)) {
            int eq = pair.indexOf('=');
            String key = SimulatorServer.decodeQueryPart(eq < 0 ? pair : pair.substring(0, eq));
            String value = eq < 0 ? "" : SimulatorServer.decodeQueryPart(pair.substring(eq + 1));
            if (!NAMES.contains(key)) {
                throw ApiException.badRequest("unknown query parameter " + ApiException.quoted(key)
                        + "; the parameters are expr, head and key");
            }
            if (parameters.put(key, value) != null) {
                throw ApiException.badRequest("the query parameter \"" + key + "\" is given twice");
            }
        }
        return parameters;
    }

    /**
     * The whole number of a parameter from 0 to {@code max}, or {@code absent} when it is not
     * given; anything else (not a number, negative, beyond {@code max} or beyond an int) is
     * answered with the range ({@code allowed}) and the text as sent.
     */
    private static int whole(Map<String, String> parameters, String name, int absent, int max, String allowed) {
        String text = parameters.get(name);
        if (text == null) {
            return absent;
        }
        // Plain ASCII digits only: Integer.parseInt also reads +1, 01 and digits of any script.
        if (NumberGrammar.isWhole(text) && text.length() <= 10) {
            long value = Long.parseLong(text);
            if (value >= 0 && value <= max) {
                return (int) value;
            }
        }
        throw ApiException.badRequest(name + " must be " + allowed + ", got " + ApiException.quoted(text));
    }

    private static String write(Snapshot snapshot, LiveExpression expression, ExpressionGraph before,
                                ExpressionGraph after) {
        StringWriter text = new StringWriter();
        try (JsonWriter out = new JsonWriter(text)) {
            out.beginObject();
            out.name("expr").value(expression.kind());
            out.name("available").beginArray();
            for (String kind : LiveExpression.available(snapshot)) {
                out.value(kind);
            }
            out.endArray();
            out.name("revision").value(snapshot.revision());
            out.name("epoch").value(snapshot.epoch());
            out.name("paramsVersion").value(snapshot.paramsVersion());
            out.name("step").value(snapshot.step());
            out.name("posId").value(snapshot.overlay().posId());
            out.name("nHead").value(snapshot.settings().config().nHead());
            out.name("title").value(expression.title());
            out.name("formula").value(expression.formula());
            out.name("nodes").beginArray();
            for (ExpressionGraph.Node node : after.nodes()) {
                out.beginObject();
                out.name("id").value(node.id());
                out.name("op").value(node.op() == Operation.LEAF ? "leaf" : node.op().name().toLowerCase(Locale.ROOT));
                out.name("symbol").value(node.op().symbol());
                out.name("label").value(node.label());
                number(out.name("data"), node.data());
                number(out.name("grad"), node.grad());
                out.endObject();
            }
            out.endArray();
            out.name("edges").beginArray();
            Map<ExpressionGraph.Edge, Integer> edgeIndex = new HashMap<>();
            for (ExpressionGraph.Edge edge : before.edges()) {
                edgeIndex.put(edge, edgeIndex.size());
                out.beginObject();
                out.name("child").value(edge.child());
                out.name("parent").value(edge.parent());
                out.name("operand").value(edge.operand());
                number(out.name("local"), edge.localGrad());
                out.endObject();
            }
            out.endArray();
            out.name("steps").beginArray();
            for (ExpressionGraph.BackwardStep step : before.backwardSteps()) {
                out.beginObject();
                out.name("edge").value(edgeIndex.get(step.edge()));
                out.name("child").value(step.edge().child());
                out.name("parent").value(step.edge().parent());
                number(out.name("local"), step.edge().localGrad());
                number(out.name("parentGrad"), step.parentGrad());
                number(out.name("before"), step.childGradBefore());
                number(out.name("after"), step.childGradAfter());
                out.endObject();
            }
            out.endArray();
            out.name("svg").value(before.toSvg());
            out.endObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return text.toString();
    }

    /** JSON has no NaN or infinity: those become null. */
    private static void number(JsonWriter out, double value) throws IOException {
        if (Double.isFinite(value)) {
            out.value(value);
        } else {
            out.nullValue();
        }
    }
}
