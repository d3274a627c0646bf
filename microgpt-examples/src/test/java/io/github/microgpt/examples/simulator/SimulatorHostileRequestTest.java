package io.github.microgpt.examples.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Requests a careless or hostile client may send that the JDK's HTTP client cannot even express
 * (a broken percent escape), and values far larger than any field allows: each is a user's
 * mistake, so it gets a 400 with a short message, never a 500 with a Java exception in it, and
 * never an answer as large as the mistake.
 */
class SimulatorHostileRequestTest extends WithServer {

    /** Longer than any message the simulator writes, far shorter than the values sent. */
    private static final int MAX_MESSAGE_CHARS = 1_000;

    static Stream<Arguments> brokenEscapes() {
        return Stream.of(
                Arguments.of("/api/weights?matrix=%zz"),
                Arguments.of("/api/weights?matrix=wte%"),
                Arguments.of("/api/weights?%zz=1"),
                Arguments.of("/api/loss-curve?name=%2"),
                Arguments.of("/api/autograd?expr=%zz"),
                Arguments.of("/api/autograd?expr=attention&head=%G0"),
                Arguments.of("/api/autograd?%=1"));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("brokenEscapes")
    void aBrokenPercentEscapeInTheQueryIsAnswered400(String target) throws IOException {
        RawAnswer answer = rawGet(target);
        assertEquals(400, answer.status(), target + " -> " + answer.body());
        JsonObject error = JsonParser.parseString(answer.body()).getAsJsonObject();
        String message = error.get("error").getAsString();
        assertTrue(message.contains("percent"), target + ": the message should say what is wrong: " + message);
        assertFalse(message.contains("Exception"), target + ": a Java exception is no message: " + message);
    }

    /**
     * A value a message quotes is written as a Java string literal: a {@code "} or a backslash in
     * a hostile query (sent raw to the decoder, or percent-encoded in a name or value) cannot end
     * the quotation early and pass the rest of the value off as the server's words. They were
     * quoted as they came, inside raw quotes.
     */
    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("quotesInQueries")
    void aQuoteInAQueryCannotEndTheQuotation(String target, String expected) throws IOException {
        RawAnswer answer = rawGet(target);
        assertEquals(400, answer.status(), target + " -> " + answer.body());
        String message = JsonParser.parseString(answer.body()).getAsJsonObject().get("error").getAsString();
        assertTrue(message.contains(expected), target + ": expected " + expected + " in " + message);
    }

    static Stream<Arguments> quotesInQueries() {
        return Stream.of(
                Arguments.of("/api/weights?a%22b=1", "got \"a\\\"b\""),
                Arguments.of("/api/weights?matrix=%22%5C", "there is no weight matrix \"\\\"\\\\\";"),
                Arguments.of("/api/autograd?x%22=1", "unknown query parameter \"x\\\"\";"),
                Arguments.of("/api/autograd?expr=%22", "got \"\\\"\""));
    }

    /** The broken escape itself is quoted as a literal too: it is the raw text, quotes and all. */
    @Test
    void aBrokenEscapeIsQuotedAsALiteral() {
        ApiException e = assertThrows(ApiException.class, () -> SimulatorServer.decodeQueryPart("%zz\"; x=\\"));
        assertTrue(e.getMessage().startsWith("the query has a broken percent escape in \"%zz\\\"; x=\\\\\": "),
                e.getMessage());
        String cut = ApiException.quoted("\"".repeat(100));
        assertEquals("\"" + "\\\"".repeat(60) + "…\" (100 characters)", cut);
    }

    static Stream<Arguments> hugeValues() {
        String digits = "1".repeat(200_000);
        String name = "x".repeat(200_000);
        return Stream.of(
                Arguments.of("api/step", "{\"numSteps\": " + digits + "}", "Num steps must be a whole number"),
                Arguments.of("api/step", "{\"numSteps\": \"" + digits + "\"}", "Num steps must be a whole number"),
                Arguments.of("api/step", "{\"numSteps\": [" + "1,".repeat(100_000) + "1]}",
                        "Num steps must be a whole number"),
                Arguments.of("api/gen-step", "{\"temperature\": 0." + digits + "5}", "Temperature must be a number"),
                Arguments.of("api/step", "{\"" + name + "\": 1}", "unknown field"),
                Arguments.of("api/reset", "{\"config\": {\"" + name + "\": 1}}", "unknown field"),
                Arguments.of("api/reset", "{\"" + name + "\": {}}", "unknown field"),
                Arguments.of("api/reset", "{\"config\": {\"seed\": " + digits + "}}", "Seed must be"));
    }

    @ParameterizedTest(name = "[{index}] {0} {2}")
    @MethodSource("hugeValues")
    void aHugeValueIsRefusedWithAShortMessage(String path, String body, String expected) {
        Fixtures.Answer answer = api.post(path, body);
        assertEquals(400, answer.status(), path + " -> " + shorten(answer.body()));
        String message = answer.json().get("error").getAsString();
        assertTrue(message.contains(expected), "expected \"" + expected + "\" in " + shorten(message));
        assertTrue(message.length() <= MAX_MESSAGE_CHARS,
                "the message repeats the value: " + message.length() + " characters: " + shorten(message));
    }

    /**
     * A dataset name is saved with a checkpoint and printed by {@code microgpt compare}: one with
     * an escape sequence (here one that retitles the terminal, then turns its text red) was
     * accepted, saved, and reached the terminal as is. It is refused, and changes nothing.
     */
    @org.junit.jupiter.api.Test
    void aDatasetNameWithAControlCharacterIsRefused() {
        long revision = api.get("api/state").json().get("revision").getAsLong();
        Fixtures.Answer answer = api.post("api/reset", "{\"dataset\": {\"source\": \"text\", \"text\": \"ab\\nba\","
                + " \"name\": \"\\u001b]0;pwned\\u0007\\u001b[31mred\"}}");
        assertEquals(400, answer.status(), answer.body());
        assertEquals("The dataset name holds the control character U+001B at character 1; use printable text on one"
                + " line", answer.json().get("error").getAsString());
        assertEquals(revision, api.get("api/state").json().get("revision").getAsLong(), "the request changed the state");
    }

    /**
     * A line or paragraph separator, a C1 next line, or a bidirectional override or isolate in a
     * dataset name is refused at Reset as the escape above is, before anything is built: the
     * separators break the line that {@code microgpt compare} prints, and the bidi controls show
     * the rest of it reordered (a name that reads as another).
     */
    @ParameterizedTest
    @ValueSource(strings = {"2028", "2029", "0085", "202E", "2066", "200F"})
    void aDatasetNameWithASeparatorOrABidiControlIsRefused(String hex) {
        long revision = api.get("api/state").json().get("revision").getAsLong();
        Fixtures.Answer answer = api.post("api/reset", "{\"dataset\": {\"source\": \"text\", \"text\": \"ab\\nba\","
                + " \"name\": \"ev\\u" + hex + "lit.txt\"}}");
        assertEquals(400, answer.status(), answer.body());
        assertEquals("The dataset name holds the control character U+" + hex + " at character 3; use printable text"
                + " on one line", answer.json().get("error").getAsString());
        assertEquals(revision, api.get("api/state").json().get("revision").getAsLong(), "the request changed the state");
    }

    /**
     * A lone surrogate (half of a pair, sent as a JSON escape) in a dataset name is refused as a
     * control character is: it is no character at all, a terminal shows it as {@code ?}, and the
     * UTF-8 of trainer.json cannot hold it, so the name saved would not be the name given. A
     * proper pair (an emoji) is a character and is accepted.
     */
    @ParameterizedTest(name = "[{index}] {0}")
    @ValueSource(strings = {"ev\\uD800lit", "ev\\uDC00lit", "evlit\\uD83D", "ev\\uDE00\\uD83Dlit"})
    void aDatasetNameWithALoneSurrogateIsRefused(String name) {
        long revision = api.get("api/state").json().get("revision").getAsLong();
        Fixtures.Answer answer = api.post("api/reset", "{\"dataset\": {\"source\": \"text\", \"text\": \"ab\\nba\","
                + " \"name\": \"" + name + "\"}}");
        assertEquals(400, answer.status(), answer.body());
        String hex = name.substring(name.indexOf("\\u") + 2, name.indexOf("\\u") + 6);
        int at = name.indexOf("\\u") + 1;
        assertEquals("The dataset name holds the unpaired surrogate U+" + hex + " at character " + at + " (half of a"
                + " pair, no character by itself); use printable text on one line",
                answer.json().get("error").getAsString());
        assertEquals(revision, api.get("api/state").json().get("revision").getAsLong(), "the request changed the state");
    }

    /**
     * A byte-order mark before a pasted dataset only says how the file it came from was encoded,
     * as at the start of a {@code --data} file, which drops it: it was kept as a character of the
     * vocabulary that nobody sees, which the model then learned to write at the start of its
     * names. Dropped, the vocabulary is the file's. (One only, at the start: elsewhere it is text.)
     */
    @org.junit.jupiter.api.Test
    void aByteOrderMarkBeforeAPastedDatasetIsNoCharacter() {
        Fixtures.Answer answer = api.post("api/reset", "{\"dataset\": {\"source\": \"text\", \"text\": \"\\uFEFFab\\nba\"}}");
        assertEquals(200, answer.status(), answer.body());
        assertEquals("[\"a\",\"b\",\"<BOS>\"]", answer.json().get("vocab").toString());

        // Any other is refused, as in a data file (Documents.isRefusedCharacter): left by joining files.
        answer = api.post("api/reset", "{\"dataset\": {\"source\": \"text\", \"text\": \"ab\\nb\\uFEFFa\"}}");
        assertEquals(400, answer.status(), answer.body());
        assertTrue(answer.body().contains("the dataset text holds a byte-order mark U+FEFF"), answer.body());
        assertTrue(answer.body().contains("at line 2, column 2"), answer.body());
        answer = api.post("api/reset", "{\"dataset\": {\"source\": \"text\", \"text\": \"\\uFEFF\\uFEFFab\"}}");
        assertEquals(400, answer.status(), answer.body());
        assertTrue(answer.body().contains("at line 1, column 1"), answer.body());
    }

    @org.junit.jupiter.api.Test
    void aDatasetNameWithASurrogatePairIsAccepted() {
        Fixtures.Answer answer = api.post("api/reset", "{\"dataset\": {\"source\": \"text\", \"text\": \"ab\\nba\","
                + " \"name\": \"smile \\uD83D\\uDE00\"}}");
        assertEquals(200, answer.status(), answer.body());
    }

    /**
     * Text that is not JSON, though a lenient reader makes sense of it: names and strings without
     * quotes, single quotes, comments, {@code =} or {@code ;} between fields, the prefix some
     * servers put before JSON against script inclusion. Each is refused with the place of the
     * mistake, and the request does nothing (the state's revision stays).
     */
    static Stream<Arguments> notQuiteJson() {
        return Stream.of(
                Arguments.of("api/gen-step", "{temperature: 0.5}"),
                Arguments.of("api/gen-step", "{'temperature': 0.5}"),
                Arguments.of("api/step", "{\"mode\": document}"),
                Arguments.of("api/gen-step", "{\"temperature\": 0.5 # a comment\n}"),
                Arguments.of("api/gen-step", "{\"temperature\": 0.5 /* a comment */}"),
                Arguments.of("api/gen-step", "{\"temperature\" = 0.5}"),
                Arguments.of("api/step", "{\"mode\": \"document\"; \"numSteps\": 1000}"),
                Arguments.of("api/gen-step", ")]}'\n{\"temperature\": 0.5}"),
                Arguments.of("api/gen-step", "{\"temperature\": NaN}"),
                Arguments.of("api/gen-step", "{\"temperature\": 0.5,}"));
    }

    @ParameterizedTest(name = "[{index}] {0} {1}")
    @MethodSource("notQuiteJson")
    void textThatIsNotQuiteJsonIsRefusedAndChangesNothing(String path, String body) {
        long revision = api.get("api/state").json().get("revision").getAsLong();
        Fixtures.Answer answer = api.post(path, body);
        assertEquals(400, answer.status(), path + " " + body + " -> " + shorten(answer.body()));
        String message = answer.json().get("error").getAsString();
        assertTrue(message.startsWith("the request body is not valid JSON"), message);
        assertTrue(message.contains("at character "), "the message should say where: " + message);
        assertFalse(message.contains("Exception") || message.contains("JsonReader") || message.contains("http"),
                "Gson's advice is for programmers: " + message);
        assertEquals(revision, api.get("api/state").json().get("revision").getAsLong(), "the request changed the state");
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("longQueries")
    void aLongQueryValueIsRefusedWithAShortMessage(String target) throws IOException {
        RawAnswer answer = rawGet(target);
        assertEquals(400, answer.status(), target.substring(0, 40) + "… -> " + shorten(answer.body()));
        assertTrue(answer.body().length() <= MAX_MESSAGE_CHARS, "the answer repeats the value: " + shorten(answer.body()));
    }

    static List<String> longQueries() {
        // Within Jetty's 8 KiB request line, so that the simulator itself answers.
        String long6k = "y".repeat(6_000);
        return List.of(
                "/api/weights?" + long6k + "=1",
                "/api/weights?matrix=" + long6k,
                "/api/loss-curve?name=" + long6k,
                "/api/autograd?expr=" + long6k,
                "/api/autograd?" + long6k + "=1",
                "/api/autograd?expr=attention&head=" + "9".repeat(6_000));
    }

    private static String shorten(String text) {
        return text.length() <= 200 ? text : text.substring(0, 200) + "… (" + text.length() + " characters)";
    }

    private record RawAnswer(int status, String body) {
    }

    /** A GET sent as written, for targets {@link java.net.URI} refuses to build. */
    private RawAnswer rawGet(String target) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            out.write(("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + server.port()
                    + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            in.transferTo(all);
            String response = all.toString(StandardCharsets.UTF_8);
            int status = Integer.parseInt(response.substring(9, 12));
            int bodyStart = response.indexOf("\r\n\r\n");
            return new RawAnswer(status, bodyStart < 0 ? "" : response.substring(bodyStart + 4));
        }
    }
}
