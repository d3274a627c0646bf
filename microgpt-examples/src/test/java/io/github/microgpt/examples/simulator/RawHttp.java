package io.github.microgpt.examples.simulator;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 answers read byte by byte off a raw socket, for the tests that must decide when each
 * byte of a request is sent (a body held back until the answer's headers have come), which no
 * HTTP client lets them do: {@code SimulatorKeepAliveTest}, {@code EventStreamKeepAliveTest}.
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
}
