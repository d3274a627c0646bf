package io.github.microgpt.examples.simulator;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 answers read byte by byte off a raw socket, for the tests that must decide when each
 * byte of a request is sent (a body held back until the answer's headers have come), which no
 * HTTP client lets them do: {@code SimulatorKeepAliveTest}, {@code EventStreamKeepAliveTest}; and
 * whole exchanges of one request on a connection of its own, for the tests of many clients at once
 * ({@link #exchange}).
 */
final class RawHttp {

    private RawHttp() {
    }

    /**
     * The status line and headers of an answer.
     *
     * @param statusLine the first line, such as {@code HTTP/1.1 200 OK}
     * @param status its status code
     * @param headers the headers in the order sent, names in lower case
     */
    record Head(String statusLine, int status, Map<String, String> headers) {

        /** Whether the answer says the server ends the connection after it ({@code Connection: close}). */
        boolean saysClose() {
            String connection = headers.get("connection");
            return connection != null && connection.toLowerCase(Locale.ROOT).contains("close");
        }
    }

    /**
     * Reads an answer's status line and headers, leaving the stream at its body.
     *
     * @param in the connection's input
     * @return the head, or {@code null} if the server closed the connection before any byte
     * @throws IOException if the connection fails
     */
    static Head readHead(InputStream in) throws IOException {
        String statusLine = line(in);
        if (statusLine == null) {
            return null;
        }
        if (!statusLine.startsWith("HTTP/1.1 ") || statusLine.length() < 12) {
            throw new AssertionError("not an HTTP/1.1 status line: " + statusLine);
        }
        Map<String, String> headers = new LinkedHashMap<>();
        for (String header = line(in); header != null && !header.isEmpty(); header = line(in)) {
            int colon = header.indexOf(':');
            headers.put(header.substring(0, colon).strip().toLowerCase(Locale.ROOT), header.substring(colon + 1).strip());
        }
        return new Head(statusLine, Integer.parseInt(statusLine.substring(9, 12)), headers);
    }

    /**
     * One line without its CRLF (or LF), decoded as UTF-8.
     *
     * @param in the connection's input
     * @return the line, or {@code null} at the end of the stream before any byte
     * @throws IOException if the connection fails
     */
    static String line(InputStream in) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (int b = in.read(); b >= 0; b = in.read()) {
            if (b == '\n') {
                String text = bytes.toString(StandardCharsets.UTF_8);
                return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
            }
            bytes.write(b);
        }
        return bytes.size() == 0 ? null : bytes.toString(StandardCharsets.UTF_8);
    }

    /**
     * What one connection got: a status (-1 if it was cut off without an answer), and the answer.
     *
     * @param status the status code, or -1
     * @param retryAfter the {@code Retry-After} header, or {@code null}
     * @param body the answer's body, or how the connection failed
     */
    record Outcome(int status, String retryAfter, String body) {
        @Override
        public String toString() {
            return status + (retryAfter == null ? "" : " (Retry-After: " + retryAfter + ")") + " " + body;
        }
    }

    /**
     * A POST of JSON on a connection that ends after its answer.
     *
     * @param port the server's port
     * @param path the path, without its leading slash
     * @param json the body
     * @return the request's bytes, as text
     */
    static String post(int port, String path, String json) {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        return "POST /" + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port
                + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length
                + "\r\nConnection: close\r\n\r\n" + json;
    }

    /**
     * Sends one request on a new connection and reads its answer, or how the connection failed.
     *
     * @param port the server's port
     * @param request the whole request
     * @param patience how long to wait for the connection and for each read
     * @return what the connection got
     */
    static Outcome exchange(int port, String request, Duration patience) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), (int) patience.toMillis());
            socket.setSoTimeout((int) patience.toMillis());
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.UTF_8));
            out.flush();
            return answer(socket.getInputStream(), patience);
        } catch (IOException e) {
            return new Outcome(-1, null, "cut off: " + e);
        }
    }

    /**
     * Reads one answer whole: its head, then its body of {@code Content-Length} bytes (or up to the
     * end of the connection).
     *
     * @param in the connection's input
     * @param patience how long the reads wait, as set on the socket (for the message)
     * @return what the connection got
     */
    static Outcome answer(InputStream in, Duration patience) {
        try {
            Head head = readHead(in);
            if (head == null) {
                return new Outcome(-1, null, "cut off: closed before any byte of an answer");
            }
            String length = head.headers().get("content-length");
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            byte[] buffer = new byte[8192];
            for (int n; (length == null || body.size() < Integer.parseInt(length)) && (n = in.read(buffer)) >= 0; ) {
                body.write(buffer, 0, n);
            }
            return new Outcome(head.status(), head.headers().get("retry-after"), body.toString(StandardCharsets.UTF_8));
        } catch (SocketTimeoutException e) {
            return new Outcome(-1, null, "no answer within " + patience.toSeconds() + " s");
        } catch (IOException e) {
            return new Outcome(-1, null, "cut off: " + e);
        }
    }
}
