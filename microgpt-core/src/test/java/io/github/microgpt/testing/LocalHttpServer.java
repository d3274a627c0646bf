package io.github.microgpt.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A minimal HTTP/1.1 server on the loopback interface, for testing downloads without the
 * network. It answers {@code GET} requests from a table of paths (anything else is a 404), one
 * connection at a time, and counts the requests per path.
 *
 * <p>Why not {@code com.sun.net.httpserver.HttpServer}: the tests run inside the library's JPMS
 * module, which does not read {@code jdk.httpserver}, and the library must not require it; this
 * server needs only {@code java.base}.
 */
public final class LocalHttpServer implements AutoCloseable {

    /** What the server answers for one path. */
    public record Response(int status, byte[] body) {
    }

    private final ServerSocket socket;
    private final Map<String, Response> routes = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> hits = new ConcurrentHashMap<>();
    private final Thread acceptor;

    /** Starts a server on 127.0.0.1 with a port chosen by the system. */
    public LocalHttpServer() throws IOException {
        socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        acceptor = new Thread(this::serve, "local-http-server");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** Serves {@code body} with status 200 at {@code path}. */
    public LocalHttpServer serve(String path, byte[] body) {
        return answer(path, 200, body);
    }

    /** Answers requests for {@code path} with a status and a body. */
    public LocalHttpServer answer(String path, int status, byte[] body) {
        routes.put(path, new Response(status, body.clone()));
        return this;
    }

    /** The number of requests received for {@code path} so far. */
    public int hits(String path) {
        AtomicInteger count = hits.get(path);
        return count == null ? 0 : count.get();
    }

    /** The URL of {@code path} on this server. */
    public URI uri(String path) {
        return URI.create("http://127.0.0.1:" + socket.getLocalPort() + path);
    }

    private void serve() {
        while (!socket.isClosed()) {
            try (Socket connection = socket.accept()) {
                // A client that never finishes its request must not hang the test run.
                connection.setSoTimeout(10_000);
                handle(connection);
            } catch (SocketException closed) {
                return;
            } catch (IOException e) {
                // A broken connection fails the request, which the test then notices.
            }
        }
    }

    private void handle(Socket connection) throws IOException {
        String head = readHead(connection.getInputStream());
        String[] requestLine = head.split("\r\n", 2)[0].split(" ");
        String path = requestLine.length >= 2 ? URI.create(requestLine[1]).getRawPath() : "";
        hits.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
        Response response = requestLine[0].equals("GET")
                ? routes.getOrDefault(path, new Response(404, "not found\n".getBytes(StandardCharsets.UTF_8)))
                : new Response(405, new byte[0]);
        OutputStream out = connection.getOutputStream();
        out.write(("HTTP/1.1 " + response.status() + " " + reason(response.status()) + "\r\n"
                + "Content-Type: text/plain; charset=utf-8\r\n"
                + "Content-Length: " + response.body().length + "\r\n"
                + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(response.body());
        out.flush();
    }

    /** Reads the request line and headers, up to the blank line. */
    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        for (int b; matched < 4 && (b = in.read()) != -1; ) {
            head.write(b);
            matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
            if (head.size() > 65_536) {
                throw new IOException("request head too large");
            }
        }
        return head.toString(StandardCharsets.US_ASCII);
    }

    private static String reason(int status) {
        return switch (status) {
            case 200 -> "OK";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 500 -> "Internal Server Error";
            default -> "Status";
        };
    }

    /** Stops accepting connections. */
    @Override
    public void close() throws IOException {
        socket.close();
        try {
            acceptor.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
