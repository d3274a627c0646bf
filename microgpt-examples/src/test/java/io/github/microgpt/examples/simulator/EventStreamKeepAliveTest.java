package io.github.microgpt.examples.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The event stream ({@code GET /api/events}) follows the keep-alive rule of every other answer
 * ({@code SimulatorKeepAliveTest}): it sets its headers itself, not through the server's
 * {@code send}, so it must make the same check before its first event commits them. A GET that
 * comes with a body still on its way gets a stream that says {@code Connection: close}: when the
 * stream ends, Jetty cannot tell where the connection's next request would begin and ends the
 * connection, which the headers, gone out long before, must have said. A body already there is
 * discarded and the stream says nothing of the kind, like a page's {@code EventSource}, which
 * sends no body.
 *
 * <p>The tests talk HTTP on a raw socket, so that the body can be held back until the headers of
 * the stream have arrived.
 */
class EventStreamKeepAliveTest extends WithServer {

    @Test
    void aStreamAskedForWithABodyNotYetSentSaysTheConnectionEnds() throws IOException {
        try (Socket socket = connect()) {
            send(socket, request(2));
            RawHttp.Head head = readHead(socket);
            assertEquals(200, head.status(), head.toString());
            assertTrue(head.saysClose(), "the stream, begun before the request body arrived, says Connection: close: "
                    + head);
            assertTrue(firstEventIsState(socket), "the stream still sends the state");
        }
    }

    @Test
    void aStreamAskedForWithItsBodyKeepsTheConnection() throws IOException {
        try (Socket socket = connect()) {
            // The headers and the whole body in one write: the server has them both when it answers.
            send(socket, request(2) + "{}");
            RawHttp.Head head = readHead(socket);
            assertEquals(200, head.status(), head.toString());
            assertFalse(head.saysClose(), "a body already there is discarded, and the connection stays: " + head);
            assertTrue(firstEventIsState(socket), "the stream sends the state");
        }
    }

    @Test
    void aPagesStreamKeepsTheConnection() throws IOException {
        try (Socket socket = connect()) {
            send(socket, request(-1));
            RawHttp.Head head = readHead(socket);
            assertEquals(200, head.status(), head.toString());
            assertEquals("text/event-stream; charset=utf-8", head.headers().get("content-type"), head.toString());
            assertFalse(head.saysClose(), "a GET without a body, as EventSource sends it: " + head);
            assertTrue(firstEventIsState(socket), "the stream sends the state");
        }
    }

    private Socket connect() throws IOException {
        Socket socket = new Socket("127.0.0.1", server.port());
        // Guards against a hang only: the headers and the first event come at once.
        socket.setSoTimeout(60_000);
        return socket;
    }

    /** {@code GET /api/events}, with a Content-Length of {@code contentLength} unless it is negative. */
    private String request(int contentLength) {
        return "GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:" + server.port() + "\r\n"
                + (contentLength >= 0 ? "Content-Type: application/json\r\nContent-Length: " + contentLength + "\r\n" : "")
                + "\r\n";
    }

    private static void send(Socket socket, String text) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write(text.getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    /** Reads the stream's status line and headers, leaving the connection at its body. */
    private static RawHttp.Head readHead(Socket socket) throws IOException {
        RawHttp.Head head = RawHttp.readHead(socket.getInputStream());
        assertNotNull(head, "the server closed the connection instead of answering");
        return head;
    }

    /** Whether the first event of the body (read through its chunk sizes) is a state event. */
    private static boolean firstEventIsState(Socket socket) throws IOException {
        InputStream in = socket.getInputStream();
        for (String line = RawHttp.line(in); line != null; line = RawHttp.line(in)) {
            if (line.startsWith("event: ")) {
                return line.equals("event: state");
            }
        }
        return false;
    }
}
