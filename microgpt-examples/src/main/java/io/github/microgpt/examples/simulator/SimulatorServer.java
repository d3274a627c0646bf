package io.github.microgpt.examples.simulator;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * The simulator's web server: the page, a small JSON API over one {@link SimulatorSession}, and
 * the stream of live updates. It listens on 127.0.0.1 only, so nothing outside this computer can
 * reach it, and answers only requests addressed to {@code 127.0.0.1} or {@code localhost} (which
 * stops a web page elsewhere from reaching it through DNS tricks).
 *
 * <h2>The API</h2>
 * <table>
 *   <caption>Endpoints</caption>
 *   <tr><th>request</th><th>body</th><th>does</th></tr>
 *   <tr><td>{@code GET /api/state}</td><td></td><td>the state: stats, counter, overlay, attention,
 *       losses, log, samples</td></tr>
 *   <tr><td>{@code GET /api/weights[?matrix=NAME]}</td><td></td><td>every weight (or one matrix's)
 *       and its gradient</td></tr>
 *   <tr><td>{@code GET /api/events}</td><td></td><td>Server-Sent Events {@code state} and
 *       {@code weights}</td></tr>
 *   <tr><td>{@code POST /api/step}</td><td>{@code {mode?, numSteps?}}</td><td>Step Fwd</td></tr>
 *   <tr><td>{@code POST /api/run}</td><td>{@code {mode?, numSteps?}}</td><td>Run</td></tr>
 *   <tr><td>{@code POST /api/stop}</td><td></td><td>Stop</td></tr>
 *   <tr><td>{@code POST /api/reset}</td><td>{@code {numSteps?, config?, dataset?}}</td><td>Reset</td></tr>
 *   <tr><td>{@code POST /api/gen-step}</td><td>{@code {temperature}}</td><td>Gen Step</td></tr>
 *   <tr><td>{@code POST /api/generate}</td><td>{@code {temperature, count?}}</td><td>Generate</td></tr>
 * </table>
 * A bad value is answered with 400 and {@code {"error": "..."}}, and changes nothing; a request
 * that does not fit the moment (Step during a run) with 409.
 */
public final class SimulatorServer implements AutoCloseable {

    /** The largest request body accepted (a pasted dataset of a million characters fits). */
    static final int MAX_BODY_BYTES = 8 * 1024 * 1024;
    private static final String WEB = "/io/github/microgpt/examples/simulator/web/";
    private static final Map<String, String> STATIC_FILES = Map.of(
            "/", "index.html",
            "/index.html", "index.html",
            "/app.js", "app.js",
            "/charts.js", "charts.js",
            "/style.css", "style.css",
            "/favicon.svg", "favicon.svg");
    private static final Set<String> STEP_FIELDS = Set.of("mode", "numSteps");

    private final HttpServer server;
    private final ExecutorService executor;
    private final SimulatorSession session;
    private final EventStream events;
    private final int port;

    private SimulatorServer(HttpServer server, ExecutorService executor, SimulatorSession session) {
        this.server = server;
        this.executor = executor;
        this.session = session;
        this.events = new EventStream(session);
        this.port = server.getAddress().getPort();
        server.createContext("/", this::handle);
    }

    /**
     * Starts a server over a new session with the default configuration.
     *
     * @param documents the documents to train on
     * @param source where they came from: {@code "embedded"}, {@code "file"} or {@code "text"}
     * @param name a readable name for the dataset (shown on the page)
     * @param seed the random seed
     * @param port the port on 127.0.0.1; 0 picks a free one
     * @return the running server
     * @throws java.net.BindException if the port is in use
     * @throws IOException if the server cannot start otherwise
     * @throws IllegalArgumentException if the documents cannot be trained on
     */
    public static SimulatorServer start(List<String> documents, String source, String name, long seed, int port)
            throws IOException {
        SimulatorSession session;
        try {
            session = new SimulatorSession(documents, source, name, seed);
        } catch (ApiException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        return start(session, port);
    }

    /**
     * Starts a server over a session.
     *
     * @param session the session
     * @param port the port on 127.0.0.1; 0 picks a free one
     * @return the running server
     * @throws IOException if the port is in use or the server cannot start otherwise
     */
    static SimulatorServer start(SimulatorSession session, int port) throws IOException {
        HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port), 64);
        AtomicInteger threads = new AtomicInteger();
        ExecutorService executor = Executors.newFixedThreadPool(8, runnable -> {
            Thread thread = new Thread(runnable, "simulator-http-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        http.setExecutor(executor);
        SimulatorServer simulator = new SimulatorServer(http, executor, session);
        http.start();
        return simulator;
    }

    /**
     * The address of the page.
     *
     * @return for example {@code http://127.0.0.1:8080/}
     */
    public URI uri() {
        return URI.create("http://127.0.0.1:" + port + "/");
    }

    /**
     * The port the server listens on (useful after asking for port 0).
     *
     * @return the port
     */
    public int port() {
        return port;
    }

    /**
     * The session the server serves.
     *
     * @return the session
     */
    SimulatorSession session() {
        return session;
    }

    /**
     * The number of pages listening to the event stream.
     *
     * @return the count
     */
    int eventSubscribers() {
        return events.subscriberCount();
    }

    /** Stops a run in progress, closes the event streams and the port. */
    @Override
    public void close() {
        session.close();
        events.close();
        server.stop(0);
        executor.shutdownNow();
    }

    // ------------------------------------------------------------------------------ requests

    private void handle(HttpExchange exchange) {
        try {
            checkHost(exchange);
            String path = exchange.getRequestURI().getPath();
            String method = exchange.getRequestMethod();
            String file = STATIC_FILES.get(path);
            if (file != null) {
                requireMethod(method, "GET");
                serveFile(exchange, file);
                return;
            }
            switch (path) {
                case "/api/state" -> {
                    requireMethod(method, "GET");
                    requireNoQuery(exchange);
                    json(exchange, 200, session.snapshot().stateJson(0));
                }
                case "/api/weights" -> {
                    requireMethod(method, "GET");
                    json(exchange, 200, session.snapshot().weightsJson(matrixParameter(exchange), false));
                }
                case "/api/events" -> {
                    requireMethod(method, "GET");
                    events.subscribe(exchange);
                }
                case "/api/step" -> post(exchange, STEP_FIELDS, session::step);
                case "/api/run" -> post(exchange, STEP_FIELDS, session::run);
                case "/api/stop" -> post(exchange, Set.of(), request -> session.stop());
                case "/api/reset" -> post(exchange, Set.of("numSteps", "config", "dataset"), session::reset);
                case "/api/gen-step" -> post(exchange, Set.of("temperature"), session::genStep);
                case "/api/generate" -> post(exchange, Set.of("temperature", "count"), session::generate);
                default -> throw new ApiException(404, "there is nothing at " + path);
            }
        } catch (ApiException e) {
            error(exchange, e.status(), e.getMessage());
        } catch (IOException e) {
            // The page went away while we answered; there is nobody to tell.
            exchange.close();
        } catch (RuntimeException e) {
            error(exchange, 500, "the simulator failed: " + e);
        }
    }

    private void post(HttpExchange exchange, Set<String> fields, Function<JsonRequest, Snapshot> action)
            throws IOException {
        requireMethod(exchange.getRequestMethod(), "POST");
        requireNoQuery(exchange);
        checkOrigin(exchange);
        JsonRequest request = JsonRequest.parse(readBody(exchange), fields);
        Snapshot snapshot = action.apply(request);
        json(exchange, 200, snapshot.stateJson(Math.max(0, snapshot.log().size() - Snapshot.LOG_LINES)));
    }

    private void checkHost(HttpExchange exchange) {
        String host = exchange.getRequestHeaders().getFirst("Host");
        if (host != null && !host.equals("127.0.0.1:" + port) && !host.equals("localhost:" + port)) {
            throw new ApiException(403, "the simulator answers only requests for 127.0.0.1:" + port
                    + " or localhost:" + port);
        }
    }

    private void checkOrigin(HttpExchange exchange) {
        String origin = exchange.getRequestHeaders().getFirst("Origin");
        if (origin != null && !origin.equals("http://127.0.0.1:" + port) && !origin.equals("http://localhost:" + port)) {
            throw new ApiException(403, "the simulator accepts changes only from its own page");
        }
    }

    private static void requireMethod(String method, String expected) {
        if (!method.equals(expected)) {
            throw new ApiException(405, "use " + expected + " here, not " + method);
        }
    }

    private static void requireNoQuery(HttpExchange exchange) {
        if (exchange.getRequestURI().getRawQuery() != null) {
            throw ApiException.badRequest("this endpoint takes no query parameters");
        }
    }

    private static String matrixParameter(HttpExchange exchange) {
        String query = exchange.getRequestURI().getRawQuery();
        if (query == null || query.isEmpty()) {
            return null;
        }
        String matrix = null;
        for (String pair : query.split("&")) {
            int eq = pair.indexOf('=');
            String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            if (!key.equals("matrix") || matrix != null) {
                throw ApiException.badRequest("the only query parameter is one \"matrix\", got \"" + key + "\"");
            }
            matrix = value;
        }
        return matrix;
    }

    private static String readBody(HttpExchange exchange) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        InputStream in = exchange.getRequestBody();
        byte[] buffer = new byte[16 * 1024];
        for (int n; (n = in.read(buffer)) != -1; ) {
            if (bytes.size() + n > MAX_BODY_BYTES) {
                throw new ApiException(413, "the request is larger than " + MAX_BODY_BYTES / (1024 * 1024) + " MiB");
            }
            bytes.write(buffer, 0, n);
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes.toByteArray())).toString();
        } catch (CharacterCodingException e) {
            throw ApiException.badRequest("the request body is not valid UTF-8");
        }
    }

    private static void serveFile(HttpExchange exchange, String file) throws IOException {
        byte[] content;
        try (InputStream in = SimulatorServer.class.getResourceAsStream(WEB + file)) {
            if (in == null) {
                throw new ApiException(500, "the page's file " + file + " is missing from the build");
            }
            content = in.readAllBytes();
        }
        String type = file.endsWith(".html") ? "text/html; charset=utf-8"
                : file.endsWith(".js") ? "text/javascript; charset=utf-8"
                : file.endsWith(".css") ? "text/css; charset=utf-8"
                : file.endsWith(".svg") ? "image/svg+xml" : "application/octet-stream";
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.getResponseHeaders().set("Cache-Control", "no-cache");
        exchange.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
        send(exchange, 200, content);
    }

    private static void json(HttpExchange exchange, int status, String json) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        send(exchange, status, json.getBytes(StandardCharsets.UTF_8));
    }

    private static void error(HttpExchange exchange, int status, String message) {
        var object = new com.google.gson.JsonObject();
        object.addProperty("error", message);
        object.addProperty("status", status);
        try {
            json(exchange, status, object.toString());
        } catch (IOException e) {
            exchange.close();
        }
    }

    private static void send(HttpExchange exchange, int status, byte[] content) throws IOException {
        // Drain what is left of the request (after a refused upload, say) so the connection can be reused.
        try {
            exchange.getRequestBody().transferTo(OutputStream.nullOutputStream());
        } catch (IOException e) {
            // already read to the end and closed
        }
        exchange.sendResponseHeaders(status, content.length == 0 ? -1 : content.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(content);
        }
    }
}
