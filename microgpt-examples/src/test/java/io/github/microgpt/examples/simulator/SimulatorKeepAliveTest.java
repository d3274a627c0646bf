package io.github.microgpt.examples.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A connection the server answers without {@code Connection: close} takes the client's next
 * request, and one it is going to end is answered with {@code Connection: close}. An HTTP/1.1 client (the JDK's {@code HttpClient}, a browser) reuses such a connection;
 * if the server closes it after the answer anyway, the client's next request meets a closed
 * connection, and the JDK's client retries only a GET there: a POST fails with "HTTP/1.1 header
 * parser received no bytes". That happened when an answer was given before the request's body
 * had arrived (a refusal that needs no body, such as 405): Jetty ends a connection whose request
 * body was not read, and the answer had already gone out saying nothing of it.
 *
 * <p>The tests talk HTTP on a raw socket and send a request's body only after its answer has
 * arrived, so the server answers, every time, before the body is there: the case that a client
 * meets only now and then (the JDK's client sends the headers and the body in two writes).
 */
class SimulatorKeepAliveTest extends WithServer {

    private static final String BODY = "{}";

    /** Requests answered without their body being read: a method, path, query, type or origin refused. */
    static Stream<Arguments> answeredBeforeTheBody() {
        return Stream.of(
                Arguments.of("POST", "/api/loss-curve?name=x", "", 405),
                Arguments.of("POST", "/index.html", "", 405),
                Arguments.of("POST", "/api/nothing-here", "", 404),
                Arguments.of("POST", "/api/step?mode=document", "", 400),
                Arguments.of("POST", "/api/step", "Content-Type: text/plain\r\n", 415),
                Arguments.of("POST", "/api/step", "Origin: http://elsewhere.example\r\n", 403),
                Arguments.of("GET", "/api/state", "", 200));
    }

    @ParameterizedTest(name = "[{index}] {0} {1} -> {3}")
    @MethodSource("answeredBeforeTheBody")
    void anAnswerGivenBeforeTheBodyArrivedSaysTheConnectionEnds(String method, String target, String headers,
                                                                 int status) throws IOException {
        try (Socket socket = connect()) {
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            out.write(head(method, target, headers, BODY.length()));
            out.flush();
            RawAnswer answer = RawAnswer.read(in);
            assertEquals(status, answer.status(), answer.toString());
            // The server cannot tell where the next request would begin, and Jetty ends such a
            // connection: the answer must say so, or the client sends its next request into it.
            assertTrue(answer.saysClose(), "the answer, given before the request body arrived, says "
                    + "Connection: close: " + answer);
            // Only now the body, and a second request on the same connection: it is not answered.
            try {
                out.write(BODY.getBytes(StandardCharsets.US_ASCII));
                out.write(head("GET", "/api/state", "", -1));
                out.flush();
            } catch (SocketException closed) {
                return;  // closed already, as announced
            }
            assertTrue(RawAnswer.endOfStream(in), "the server closed the connection, as announced");
        }
    }

    @Test
    void aRequestWhoseBodyWasReadKeepsItsConnection() throws IOException {
        try (Socket socket = connect()) {
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            for (int i = 0; i < 3; i++) {
                out.write(head("POST", "/api/stop", "Content-Type: application/json\r\n", BODY.length()));
                out.write(BODY.getBytes(StandardCharsets.US_ASCII));
                out.flush();
                RawAnswer stop = RawAnswer.read(in);
                assertEquals(200, stop.status(), stop.toString());
                assertFalse(stop.saysClose(), "an answered change keeps its connection: " + stop);
            }
            out.write(head("GET", "/api/state", "", -1));
            out.flush();
            assertEquals(200, RawAnswer.read(in).status());
        }
    }

    private Socket connect() throws IOException {
        Socket socket = new Socket("127.0.0.1", server.port());
        // Guards against a hang only: every answer here comes at once.
        socket.setSoTimeout(60_000);
        return socket;
    }

    /** A request line and headers; {@code contentLength} < 0 sends no Content-Length. */
    private byte[] head(String method, String target, String headers, int contentLength) {
        return (method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + server.port() + "\r\n" + headers
                + (contentLength >= 0 ? "Content-Length: " + contentLength + "\r\n" : "") + "\r\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    /** One answer read off a connection: its status line and headers, and its body. */
    private record RawAnswer(RawHttp.Head head, String body) {

        int status() {
            return head.status();
        }

        boolean saysClose() {
            return head.saysClose();
        }

        /** Reads one answer with a Content-Length, leaving the connection at the next one. */
        static RawAnswer read(InputStream in) throws IOException {
            RawHttp.Head head = RawHttp.readHead(in);
            if (head == null) {
                throw new AssertionError("the server closed the connection instead of answering the next request");
            }
            int length = Integer.parseInt(head.headers().getOrDefault("content-length", "0"));
            byte[] body = in.readNBytes(length);
            assertEquals(length, body.length, "the whole body of the answer " + head.statusLine());
            return new RawAnswer(head, new String(body, StandardCharsets.UTF_8));
        }

        /** Whether the server has ended the connection (all it sends from here is discarded). */
        static boolean endOfStream(InputStream in) throws IOException {
            try {
                return in.read() < 0;
            } catch (SocketException reset) {
                return true;
            }
        }
    }
}
