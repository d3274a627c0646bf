package io.github.microgpt.examples.simulator;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.net.BindException;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.Supplier;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.server.handler.SizeLimitHandler;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The simulator's web server: the page, a small JSON API over one {@link SimulatorSession}, and
 * the stream of live updates. It listens on 127.0.0.1 only, so nothing outside this computer can
 * reach it, and answers only requests addressed to {@code 127.0.0.1} or {@code localhost} (which
 * stops a web page elsewhere from reaching it through DNS tricks).
 *
 * <h2>Many clients, some of them slow</h2>
 * The server is Jetty's, because what keeps one client from taking the simulator away from the
 * others is exactly what an event-driven server does well and what the JDK's {@code HttpServer}
 * cannot do: there, every connection holds a thread while it sends its request, with no time
 * limit, so eight connections that send nothing stop all answers. Here no request holds a thread
 * while it waits for its client: request bodies are read as they arrive, responses and events
 * are written without waiting. Each connection has a time limit and each event stream a bounded
 * backlog ({@link ServerLimits}); a client that passes a limit is cut off, and the others go on.
 * Every request gets an answer: a handler that fails answers 500 with a message.
 *
 * <p>Nor does a request hold a thread while it waits for the session's worker. The changes (Step,
 * Run, Reset, Gen Step, Generate, Save, Load) are made one at a time, so hundreds of tabs asking
 * for samples at once mostly wait for their turn; each is handed to the session's worker
 * ({@link SimulatorSession#submit}), the handler returns, and the answer is written when the
 * change is done. Stop likewise answers when the run has ended; it is not queued, and it also
 * stops a Run still waiting for its turn, which is answered 409 when its turn comes and trains
 * nothing ({@link SimulatorSession#stop}). Meanwhile the server's threads
 * stay free to answer everyone else, so a read of the state is answered at once however many
 * changes wait. (Before, each waiting change held a thread: 300 clients asking for samples at
 * once took all 16, a read of the state waited seconds, and requests still queued for a thread
 * met the idle limit, 2 s when connections are crowded, and were cut off unanswered.) A waiting
 * change is a request being handled, whose connection Jetty's idle limit does not end, so it is
 * not cut off however long it waits; instead at most {@link ServerLimits#maxWaitingChanges()}
 * changes wait at once, one more is refused at once with 503 and {@code Retry-After: 1}, and a
 * change that waited 30 s without its turn coming is refused with 503 without being made. A
 * Run, Step, Gen Step or Generate whose client has closed its connection by the time its turn
 * comes is not made; a Reset, Save or Load is ({@link SimulatorSession}'s "A page that has gone",
 * {@link #clientGone}).
 *
 * <p>Each request body is at most {@link ServerLimits#maxBodyBytes()}, and all the bodies held at
 * once, read or being read, waiting for their turn or being answered, at most
 * {@link ServerLimits#maxBodyBytesHeld()} together ({@link RequestBodies}): one more is refused with
 * 503 and {@code Retry-After: 1}, unread, rather than run the heap out for everyone. A body that has
 * arrived is read into its request in one pass over its bytes ({@link JsonSyntax}), when what that
 * takes fits beside the reads in progress ({@link ServerLimits#maxParseBytes()}); a heap that runs
 * out all the same while a body is read is answered 503, not blamed on the body.
 *
 * <h2>The API</h2>
 * <table>
 *   <caption>Endpoints</caption>
 *   <tr><th>request</th><th>body</th><th>does</th></tr>
 *   <tr><td>{@code GET /api/state}</td><td></td><td>the state: stats, counter, overlay, attention,
 *       losses, log, samples</td></tr>
 *   <tr><td>{@code GET /api/weights[?matrix=NAME]}</td><td></td><td>every weight (or one matrix's)
 *       and its gradient</td></tr>
 *   <tr><td>{@code GET /api/loss-curve?name=NAME}</td><td></td><td>a saved run's loss of every
 *       step, for the loss chart's overlay</td></tr>
 *   <tr><td>{@code GET /api/events}</td><td></td><td>Server-Sent Events {@code state} and
 *       {@code weights}</td></tr>
 *   <tr><td>{@code POST /api/step}</td><td>{@code {mode?, numSteps?}}</td><td>Step Fwd</td></tr>
 *   <tr><td>{@code POST /api/run}</td><td>{@code {mode?, numSteps?}}</td><td>Run</td></tr>
 *   <tr><td>{@code POST /api/stop}</td><td></td><td>Stop</td></tr>
 *   <tr><td>{@code POST /api/reset}</td><td>{@code {numSteps?, model?, engine?, config?, dataset?}}</td><td>Reset;
 *       {@code model} is {@code bigram}, {@code mlp}, {@code attention} or {@code gpt}</td></tr>
 *   <tr><td>{@code POST /api/gen-step}</td><td>{@code {temperature}}</td><td>Gen Step</td></tr>
 *   <tr><td>{@code POST /api/generate}</td><td>{@code {temperature, count?}}</td><td>Generate</td></tr>
 *   <tr><td>{@code GET /api/checkpoints}</td><td></td><td>the saved models: {@code {directory,
 *       checkpoints: [{name, savedAt, step?, totalSteps?}], truncated}}</td></tr>
 *   <tr><td>{@code GET /api/autograd?expr=neuron|attention[&head=H][&key=T]}</td><td></td><td>the
 *       graph of one neuron or attention score at the current position, for the Autograd panel
 *       ({@link AutogradGraph})</td></tr>
 *   <tr><td>{@code POST /api/save}</td><td>{@code {name}}</td><td>Save model: the
 *       weights, configuration, vocabulary and training state, atomically</td></tr>
 *   <tr><td>{@code POST /api/load}</td><td>{@code {name}}</td><td>Load model: replaces
 *       the model, as Reset does; continues the saved run exactly when the dataset is the
 *       one it was trained on</td></tr>
 * </table>
 * A bad value is answered with 400 and {@code {"error": "..."}}, and changes nothing; a request
 * that does not fit the moment (Step during a run) with 409; Load of a checkpoint that does not
 * exist with 404; a body too slow to arrive with 408, too large with 413, declared as anything but
 * JSON in UTF-8 ({@code Content-Type: application/json}, or no type) or sent compressed
 * ({@code Content-Encoding}) with 415; a server that failed
 * with 500; a large answer (the weights of a large model, a saved loss curve) while
 * {@link ServerLimits#maxLargeAnswers()} others are being sent, a change while
 * {@link ServerLimits#maxWaitingChanges()} others wait for their turn, and a body that does not fit
 * beside the bodies held ({@link ServerLimits#maxBodyBytesHeld()}, the message says how much), with
 * 503 and {@code Retry-After: 1}.
 * Every answer of the API, refusals included, is JSON. Checkpoints are named, never
 * given as paths: a name is one folder in the checkpoint directory, 1 to 64 letters, digits,
 * {@code .}, {@code _} or {@code -}, starting with a letter or digit.
 */
public final class SimulatorServer implements AutoCloseable {

    private static final String WEB = "/io/github/microgpt/examples/simulator/web/";
    private static final Map<String, String> STATIC_FILES = Map.of(
            "/", "index.html",
            "/index.html", "index.html",
            "/app.js", "app.js",
            "/charts.js", "charts.js",
            "/style.css", "style.css",
            "/autograd.js", "autograd.js",
            "/autograd.css", "autograd.css",
            "/favicon.svg", "favicon.svg");

    /**
     * The most weights a {@code GET /api/weights} answer may hold without counting as a large
     * answer: about 2 MB of JSON with their gradients (the default GPT has 4,192).
     */
    static final int SMALL_WEIGHTS = 50_000;

    private final Server server;
    private final SimulatorSession session;
    private final Commands commands;
    private final ServerLimits limits;
    private final EventStream events;
    private final Map<String, byte[]> files = new HashMap<>();
    private final Semaphore largeAnswers;
    private final RequestBodies bodies;
    private final int port;

    private SimulatorServer(Server server, ServerConnector connector, SimulatorSession session, ServerLimits limits)
            throws IOException {
        this.server = server;
        this.session = session;
        this.commands = new Commands(session);
        this.limits = limits;
        session.setMaxWaitingChanges(limits.maxWaitingChanges());
        this.events = new EventStream(session, limits);
        this.largeAnswers = new Semaphore(limits.maxLargeAnswers());
        this.bodies = new RequestBodies(limits.maxBodyBytesHeld(), limits.maxParseBytes(), server.getThreadPool());
        for (String file : Set.copyOf(STATIC_FILES.values())) {
            files.put(file, readResource(file));
        }
        // Jetty counts the bytes of every body, declared or chunked, and refuses the excess with 413.
        SizeLimitHandler sizeLimit = new SizeLimitHandler(limits.maxBodyBytes(), -1);
        sizeLimit.setHandler(new Routes());
        server.setHandler(sizeLimit);
        server.setErrorHandler(new JsonErrors(limits.maxBodyBytes()));
        try {
            server.start();
        } catch (Exception e) {
            events.close();
            try {
                server.stop();
            } catch (Exception stopping) {
                e.addSuppressed(stopping);
            }
            for (Throwable cause = e; cause != null; cause = cause.getCause()) {
                if (cause instanceof BindException bind) {
                    throw bind;
                }
            }
            throw e instanceof IOException io ? io : new IOException("the web server did not start: " + e, e);
        }
        this.port = connector.getLocalPort();
    }

    /**
     * Starts a server over a new session with the default configuration.
     *
     * @param documents the documents to train on
     * @param source where they came from: {@code "embedded"}, {@code "file"} or {@code "text"}
     * @param name a readable name for the dataset (shown on the page)
     * @param seed the random seed
     * @param port the port on 127.0.0.1; 0 picks a free one
     * @return the running server, which saves models in {@code ~/.cache/microgpt/simulator-checkpoints}
     * @throws java.net.BindException if the port is in use
     * @throws IOException if the server cannot start otherwise
     * @throws IllegalArgumentException if the documents cannot be trained on, or the seed is not from 0 to
     *     2^53 - 1 (the seeds the page can show and send back with Reset)
     */
    public static SimulatorServer start(List<String> documents, String source, String name, long seed, int port)
            throws IOException {
        return start(documents, source, name, seed, CheckpointStore.defaultDirectory(), port);
    }

    /**
     * Starts a server over a new session with the default configuration, keeping saved models
     * in a directory of your choice.
     *
     * @param documents the documents to train on
     * @param source where they came from: {@code "embedded"}, {@code "file"} or {@code "text"}
     * @param name a readable name for the dataset (shown on the page)
     * @param seed the random seed
     * @param checkpoints the directory of the models saved from the page, one folder per name;
     *     created by the first save
     * @param port the port on 127.0.0.1; 0 picks a free one
     * @return the running server
     * @throws java.net.BindException if the port is in use
     * @throws IOException if the server cannot start otherwise
     * @throws IllegalArgumentException if the documents cannot be trained on, or the seed is not from 0 to
     *     2^53 - 1 (the seeds the page can show and send back with Reset)
     */
    public static SimulatorServer start(List<String> documents, String source, String name, long seed,
                                        Path checkpoints, int port) throws IOException {
        SimulatorSession session;
        try {
            session = new SimulatorSession(documents, source, name, seed, new CheckpointStore(checkpoints));
        } catch (ApiException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        return start(session, port, ServerLimits.DEFAULTS);
    }

    /**
     * Starts a server over a session.
     *
     * @param session the session
     * @param port the port on 127.0.0.1; 0 picks a free one
     * @param limits what one client may hold, and for how long
     * @return the running server
     * @throws IOException if the port is in use or the server cannot start otherwise
     */
    static SimulatorServer start(SimulatorSession session, int port, ServerLimits limits) throws IOException {
        QueuedThreadPool threads = new QueuedThreadPool(limits.threads(), Math.min(4, limits.threads()));
        threads.setName("simulator-http");
        threads.setDaemon(true);
        Server server = new Server(threads);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setIdleTimeout(limits.idleTimeout().toMillis());
        ServerConnector connector = new ServerConnector(server, 1, 1, new HttpConnectionFactory(http));
        connector.setHost("127.0.0.1");
        connector.setPort(port);
        connector.setIdleTimeout(limits.idleTimeout().toMillis());
        connector.setAcceptedSendBufferSize(limits.sendBufferBytes());
        NetworkConnectionLimit connections = new NetworkConnectionLimit(limits.maxConnections(), connector);
        connections.setEndPointIdleTimeout(limits.crowdedIdleTimeout().toMillis());
        connector.addBean(connections);
        // Jetty has no deadline for a request's headers (each byte restarts the idle timeout).
        connector.addEventListener(new HeaderDeadline(connector.getScheduler(), limits.requestTimeout()));
        server.addConnector(connector);
        server.setStopTimeout(1000);
        return new SimulatorServer(server, connector, session, limits);
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

    /**
     * The number of event streams whose page has not yet read the last event sent to it.
     *
     * @return the count
     */
    int eventSubscribersBehind() {
        return events.behindCount();
    }

    /**
     * The number of large answers being built or sent ({@link ServerLimits#maxLargeAnswers()}).
     *
     * @return the count
     */
    int largeAnswersInFlight() {
        return limits.maxLargeAnswers() - largeAnswers.availablePermits();
    }

    /**
     * The bytes of request bodies held now ({@link ServerLimits#maxBodyBytesHeld()}).
     *
     * @return the count
     */
    long bodyBytesHeld() {
        return bodies.held();
    }

    /** Stops a run in progress, closes the event streams and the port. */
    @Override
    public void close() {
        session.close();
        events.close();
        try {
            server.stop();
        } catch (Exception e) {
            // The server is going away anyway; nothing is left to clean up.
        }
    }

    // ------------------------------------------------------------------------------ requests

    /** Every request: the page's files, the API and the event stream. */
    private final class Routes extends Handler.Abstract {
        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            try {
                route(request, response, callback);
            } catch (ApiException e) {
                error(response, callback, e.status(), e.getMessage());
            } catch (RuntimeException | Error e) {
                error(response, callback, 500, "the simulator failed: " + e);
            }
            return true;
        }
    }

    private void route(Request request, Response response, Callback callback) {
        checkHost(request);
        checkOrigin(request);
        // A client of this simulator is there: a Run trains on ("A Run nobody watches"). Not one
        // refused above: a page of another site must not keep a Run going.
        session.heard();
        String path = request.getHttpURI().getDecodedPath();
        String method = request.getMethod();
        String file = STATIC_FILES.get(path);
        if (file != null) {
            requireMethod(method, "GET");
            serveFile(response, callback, file);
            return;
        }
        switch (path) {
            case "/api/state" -> {
                requireMethod(method, "GET");
                requireNoQuery(request);
                json(response, callback, 200, session.snapshot().stateJson(0));
            }
            case "/api/weights" -> {
                requireMethod(method, "GET");
                String matrix = queryParameter(request, "matrix");
                Snapshot snapshot = session.snapshot();
                if (snapshot.weightCount(matrix) <= SMALL_WEIGHTS) {
                    json(response, callback, 200, snapshot.weightsJson(matrix, false));
                } else {
                    largeAnswer(response, callback, () -> snapshot.weightsJson(matrix, false));
                }
            }
            case "/api/loss-curve" -> {
                requireMethod(method, "GET");
                String name = queryParameter(request, "name");
                Commands.checkLossCurveName(name);
                largeAnswer(response, callback, () -> commands.lossCurve(name));
            }
            case "/api/events" -> {
                requireMethod(method, "GET");
                requireNoQuery(request);
                events.subscribe(request, response, callback);
            }
            case "/api/step" -> post(request, response, callback, Requests.Step.class, watched(request, commands::step));
            case "/api/run" -> post(request, response, callback, Requests.Step.class,
                    body -> commands.run(body, () -> clientGone(request)));
            case "/api/stop" -> post(request, response, callback, Requests.None.class, commands::stop);
            case "/api/reset" -> post(request, response, callback, Requests.Reset.class, queued(commands::reset));
            case "/api/gen-step" -> post(request, response, callback, Requests.GenStep.class,
                    watched(request, commands::genStep));
            case "/api/generate" -> post(request, response, callback, Requests.Generate.class,
                    watched(request, commands::generate));
            case "/api/checkpoints" -> {
                requireMethod(method, "GET");
                requireNoQuery(request);
                json(response, callback, 200, session.checkpoints().listJson());
            }
            case "/api/autograd" -> {
                requireMethod(method, "GET");
                json(response, callback, 200, AutogradGraph.json(session.snapshot(), request.getHttpURI().getQuery()));
            }
            case "/api/save" -> post(request, response, callback, Requests.Named.class, queued(commands::save));
            case "/api/load" -> post(request, response, callback, Requests.Named.class, queued(commands::load));
            default -> throw new ApiException(404, "there is nothing at " + path);
        }
    }

    /**
     * An answer whose size grows with the model or a saved run, built and sent only while fewer
     * than {@link ServerLimits#maxLargeAnswers()} others are: it is held in memory from the moment
     * it is built until its client has read it (a slow reader holds it longer), so a few dozen at
     * once would run the heap out. One more is refused with 503 and {@code Retry-After}; the place
     * is given back when the answer has been sent or its connection has failed.
     */
    private void largeAnswer(Response response, Callback callback, Supplier<String> answer) {
        if (!largeAnswers.tryAcquire()) {
            throw new ApiException(503, "the simulator is already sending " + limits.maxLargeAnswers()
                    + " large answers (the weights of a large model, or saved loss curves), each held in memory"
                    + " until its client has read it; try again in a moment");
        }
        String json;
        try {
            json = answer.get();
        } catch (RuntimeException | Error e) {
            largeAnswers.release();  // nothing large was built; the answer is the error
            throw e;
        }
        ReleasingCallback release = new ReleasingCallback(callback, largeAnswers::release);
        try {
            json(response, release, 200, json);
        } catch (RuntimeException | Error e) {
            release.release();  // the write did not start; the answer is the error
            throw e;
        }
    }

    /**
     * Gives back what an answer held (a place among the large answers, a request's body) once,
     * when the answer is sent or has failed.
     */
    private static final class ReleasingCallback implements Callback {
        private final Callback callback;
        private final Runnable giveBack;
        private final AtomicBoolean released = new AtomicBoolean();

        ReleasingCallback(Callback callback, Runnable giveBack) {
            this.callback = callback;
            this.giveBack = giveBack;
        }

        void release() {
            if (released.compareAndSet(false, true)) {
                giveBack.run();
            }
        }

        @Override
        public void succeeded() {
            release();
            callback.succeeded();
        }

        @Override
        public void failed(Throwable failure) {
            release();
            callback.failed(failure);
        }

        @Override
        public InvocationType getInvocationType() {
            return callback.getInvocationType();
        }
    }

    /**
     * A command made on the session's worker, in its turn ({@link SimulatorSession#submit}), whether
     * or not its client is still there then (Reset, Save, Load: see {@link SimulatorSession}'s
     * "A page that has gone").
     */
    private <T> Function<T, CompletableFuture<Snapshot>> queued(Function<T, Snapshot> command) {
        return body -> session.submit(() -> command.apply(body));
    }

    /**
     * A command made on the session's worker in its turn only if its client is still there then
     * ({@link #clientGone}): Step, Gen Step and Generate are asked for to be watched.
     */
    private <T> Function<T, CompletableFuture<Snapshot>> watched(Request request, Function<T, Snapshot> command) {
        return body -> session.submit(() -> command.apply(body), () -> clientGone(request));
    }

    /**
     * Whether the client of a request waiting for its turn has gone: has closed its connection,
     * or had it reset. Asked on the session's worker when the change's turn comes.
     *
     * <p>What Jetty can tell: nothing by itself. While a request is being handled and its body has
     * all been read, Jetty does not read its connection (the next bytes would be the next request),
     * so a client that closes it is noticed only when the answer is written, and that write
     * succeeds into the socket's buffer: the change was made for nobody, and nobody was told.
     * Jetty's failure listeners ({@link Request#addFailureListener}) hear of a close only during a
     * read or a write, and its idle timeout does not end a request being handled. So this reads
     * the connection itself, at most one byte and without waiting: -1 (or a reset) is a client
     * that has gone; nothing is a client still waiting for its answer, as browsers and
     * {@code HttpClient} do, sending nothing more on a connection until it is answered.
     *
     * <p>A byte is the start of a next request sent before this one was answered (HTTP/1.1
     * pipelining, which browsers do not use): that client is there, and since its byte has been
     * taken from the connection, the answer says {@code Connection: close} and the connection
     * ends after it ({@link #keepAliveOrClose}); a pipelining client sends what it had not yet
     * been answered again on a new connection, as HTTP asks it to when a connection closes.
     *
     * @param request the request
     * @return true if its client has gone
     */
    static boolean clientGone(Request request) {
        EndPoint endPoint = request.getConnectionMetaData().getConnection().getEndPoint();
        if (!endPoint.isOpen() || endPoint.isInputShutdown()) {
            return true;
        }
        ByteBuffer one = BufferUtil.allocate(1);
        try {
            int read = endPoint.fill(one);
            if (read > 0) {
                request.setAttribute(CLOSE_AFTER_ANSWER, Boolean.TRUE);
            }
            return read < 0;
        } catch (IOException e) {
            return true;
        }
    }

    /** The request attribute that ends a connection after its answer ({@link #clientGone}). */
    private static final String CLOSE_AFTER_ANSWER = SimulatorServer.class.getName() + ".closeAfterAnswer";

    /**
     * A change: the body is read as it arrives, holding no thread while the client is slow, and
     * within {@link ServerLimits#requestTimeout()}; then the command is given the body and returns
     * at once with a future of the new state (the change itself waits for its turn on the
     * session's worker, holding no thread either), and the answer is written when it completes.
     */
    private <T extends Record> void post(Request request, Response response, Callback callback, Class<T> body,
                                         Function<T, CompletableFuture<Snapshot>> command) {
        requireMethod(request.getMethod(), "POST");
        requireNoQuery(request);
        checkContentType(request);
        checkContentEncoding(request);
        // The body's bytes are counted until it has been read, then what its request keeps, until the answer
        // has been sent.
        RequestBodies.Body read = bodies.read(request, limits.maxBodyBytes());
        Callback answered = new ReleasingCallback(callback, read::release);
        CompletableFuture<Snapshot> changed = read.arrived().orTimeout(limits.requestTimeout().toMillis(),
                        TimeUnit.MILLISECONDS)
                .handle((arrived, failure) -> {
                    if (failure != null) {
                        throw unreadable(failure);
                    }
                    return read;
                })
                .thenCompose(arrived -> arrived.read((bytes, length) -> Requests.read(bytes, length, body),
                        Requests::retainedBytes))
                .thenCompose(command);
        // The answer is built on one of the server's threads, leaving the worker to the next change.
        changed.whenCompleteAsync((snapshot, failure) -> {
            Throwable cause = SimulatorSession.failed(failure);
            try {
                if (cause == null) {
                    json(response, answered, 200,
                            snapshot.stateJson(Math.max(0, snapshot.log().size() - Snapshot.LOG_LINES)));
                } else if (cause instanceof SimulatorSession.Abandoned gone) {
                    answered.failed(gone);  // nobody to answer: Jetty ends the connection
                } else if (cause instanceof ApiException e) {
                    error(response, answered, e.status(), e.getMessage());
                } else {
                    error(response, answered, 500, "the simulator failed: " + cause);
                }
            } catch (RuntimeException | Error e) {
                error(response, answered, 500, "the simulator failed: " + e);
            }
        }, server.getThreadPool());
    }

    /** Why a request body could not be read, as the answer to give (if the client is still there). */
    private ApiException unreadable(Throwable failure) {
        Throwable cause = SimulatorSession.failed(failure);
        if (cause instanceof TimeoutException) {
            return new ApiException(408, "the request body did not arrive within "
                    + limits.requestTimeout().toSeconds() + " s");
        }
        if (cause instanceof ApiException refusal) {
            return refusal;  // the bodies held at once are at their bound (503), or this one is too large (413)
        }
        if (cause instanceof HttpException e && e.getCode() == 413) {
            return tooLarge();
        }
        return ApiException.badRequest("the request body could not be read: " + cause.getMessage());
    }

    private ApiException tooLarge() {
        return new ApiException(413, "the request is larger than " + tooLargeLimit(limits.maxBodyBytes()));
    }

    private static String tooLargeLimit(int bytes) {
        return bytes % (1024 * 1024) == 0 ? bytes / (1024 * 1024) + " MiB" : bytes / 1024 + " KiB";
    }

    private void checkHost(Request request) {
        String host = request.getHeaders().get(HttpHeader.HOST);
        if (host != null && !host.equals("127.0.0.1:" + port) && !host.equals("localhost:" + port)) {
            throw new ApiException(403, "the simulator answers only requests for 127.0.0.1:" + port
                    + " or localhost:" + port);
        }
    }

    /**
     * Refuses a request that a page of another site sent (its {@code Origin} is another's), with
     * 403: a change (as before), and also a read or the event stream. A browser sends
     * {@code Origin} with every request a page makes to another site, so without this a page
     * elsewhere could open event streams here (taking the {@link ServerLimits#maxEventStreams()}
     * places from the simulator's own pages, and keeping a Run going that nobody watches) and
     * keep a Run going with any request. It could not read the answers (no CORS headers), but it
     * did not need to. A request without {@code Origin} (the page's own reads, a script, curl) is
     * taken.
     */
    private void checkOrigin(Request request) {
        String origin = request.getHeaders().get(HttpHeader.ORIGIN);
        if (origin != null && !origin.equals("http://127.0.0.1:" + port) && !origin.equals("http://localhost:" + port)) {
            throw new ApiException(403, "the simulator answers only its own page, not one from " + ApiException.quoted(origin));
        }
    }

    /**
     * Refuses a body declared as something other than JSON in UTF-8 (415): the body is read as
     * UTF-8 JSON whatever it says, so a form ({@code application/x-www-form-urlencoded}, what
     * {@code curl -d} declares), {@code text/plain} or a multipart body was read as JSON, and a
     * body in UTF-16 was refused as broken JSON, about a NUL character it never held. A request
     * that declares no type is read as JSON.
     */
    private static void checkContentType(Request request) {
        String declared = request.getHeaders().get(HttpHeader.CONTENT_TYPE);
        if (declared == null) {
            return;
        }
        String[] parts = declared.split(";", -1);
        String media = parts[0].strip().toLowerCase(Locale.ROOT);
        if (!media.equals("application/json")) {
            throw new ApiException(415, "the request body must be JSON, sent with Content-Type: application/json;"
                    + " got Content-Type: " + ApiException.excerpt(declared));
        }
        for (int i = 1; i < parts.length; i++) {
            String parameter = parts[i].strip();
            int eq = parameter.indexOf('=');
            if (eq > 0 && parameter.substring(0, eq).strip().equalsIgnoreCase("charset")) {
                String charset = parameter.substring(eq + 1).strip().replace("\"", "");
                if (!charset.equalsIgnoreCase("utf-8")) {
                    throw new ApiException(415, "the request body must be UTF-8 JSON; got Content-Type: "
                            + ApiException.excerpt(declared));
                }
            }
        }
    }

    /**
     * Refuses a body sent compressed ({@code Content-Encoding: gzip}, {@code deflate}, {@code br}
     * and the like) with 415, as HTTP asks of a server that does not decode it: the body was read
     * as it was, and gzip's bytes were refused as broken JSON, about a character the client never
     * sent. {@code identity} (no coding) is accepted.
     */
    private static void checkContentEncoding(Request request) {
        for (String coding : request.getHeaders().getCSV(HttpHeader.CONTENT_ENCODING, false)) {
            if (!coding.strip().equalsIgnoreCase("identity")) {
                throw new ApiException(415, "the request body must be sent as it is: the simulator does not decode"
                        + " Content-Encoding: " + ApiException.excerpt(coding.strip()) + "; send it without"
                        + " Content-Encoding");
            }
        }
    }

    private static void requireMethod(String method, String expected) {
        if (!method.equals(expected)) {
            throw new ApiException(405, "use " + expected + " here, not " + method);
        }
    }

    private static void requireNoQuery(Request request) {
        if (request.getHttpURI().getQuery() != null) {
            throw ApiException.badRequest("this endpoint takes no query parameters");
        }
    }

    /** The value of the one query parameter an endpoint takes, or {@code null} if the query is empty. */
    private static String queryParameter(Request request, String expected) {
        String query = request.getHttpURI().getQuery();
        if (query == null || query.isEmpty()) {
            return null;
        }
        String found = null;
        for (String pair : query.split("&")) {
            int eq = pair.indexOf('=');
            String key = decodeQueryPart(eq < 0 ? pair : pair.substring(0, eq));
            String value = eq < 0 ? "" : decodeQueryPart(pair.substring(eq + 1));
            if (!key.equals(expected)) {
                throw ApiException.badRequest("the only query parameter is one \"" + expected + "\", got "
                        + ApiException.quoted(key));
            }
            if (found != null) {
                throw ApiException.badRequest("the query parameter \"" + expected + "\" is given twice; give it once");
            }
            found = value;
        }
        return found;
    }

    /**
     * One name or value of a query, percent-decoded. A broken escape is the client's mistake, so it
     * is answered 400 with what is wrong (the JDK's decoder would otherwise fail as if the server had).
     *
     * @param part the text between {@code ?}, {@code &} and {@code =}, as sent
     * @return the decoded text
     * @throws ApiException (400) if a {@code %} is not followed by two hexadecimal digits
     */
    static String decodeQueryPart(String part) {
        try {
            return URLDecoder.decode(part, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("the query has a broken percent escape in " + ApiException.quoted(part)
                    + ": a '%' must be followed by two hexadecimal digits (%25 is '%' itself)");
        }
    }

    private static byte[] readResource(String file) throws IOException {
        try (InputStream in = SimulatorServer.class.getResourceAsStream(WEB + file)) {
            if (in == null) {
                throw new IOException("the page's file " + file + " is missing from the build");
            }
            return in.readAllBytes();
        }
    }

    private void serveFile(Response response, Callback callback, String file) {
        String type = file.endsWith(".html") ? "text/html; charset=utf-8"
                : file.endsWith(".js") ? "text/javascript; charset=utf-8"
                : file.endsWith(".css") ? "text/css; charset=utf-8"
                : file.endsWith(".svg") ? "image/svg+xml" : "application/octet-stream";
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, type);
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
        response.getHeaders().put("X-Content-Type-Options", "nosniff");
        send(response, callback, 200, files.get(file));
    }

    private static void json(Response response, Callback callback, int status, String json) {
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json; charset=utf-8");
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        send(response, callback, status, json.getBytes(StandardCharsets.UTF_8));
    }

    /** Answers {@code {"error": message, "status": status}}, unless an answer has begun already. */
    static void error(Response response, Callback callback, int status, String message) {
        if (response.isCommitted()) {
            callback.failed(new IOException(message));
            return;
        }
        JsonObject object = new JsonObject();
        object.addProperty("error", message);
        object.addProperty("status", status);
        response.reset();
        if (status == 503) {
            response.getHeaders().put(HttpHeader.RETRY_AFTER, "1");
        }
        if (status == 408 || status == 413) {
            // The rest of the body is not worth waiting for: end the connection after the answer.
            response.getHeaders().put(HttpHeader.CONNECTION, "close");
        }
        json(response, callback, status, object.toString());
    }

    /**
     * Writes a whole answer without waiting: a client that does not read it meets the idle limit.
     * The answer says {@code Connection: close} when the connection is to end after it
     * ({@link #keepAliveOrClose}).
     */
    private static void send(Response response, Callback callback, int status, byte[] content) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, content.length);
        keepAliveOrClose(response);
        response.write(true, ByteBuffer.wrap(content), callback);
    }

    /**
     * Decides, before the answer is committed, whether its connection can take another request,
     * and says {@code Connection: close} if not.
     *
     * <p>Why: an answer may be given before the request's body has arrived (a refusal that needs
     * no body: 405, 404, 403, 415, a query where none belongs; or a GET sent with a body). When the
     * handler is done, Jetty 12 reads what is left of an unread body, without waiting for it; if the
     * body has not all arrived, it ends the connection after the answer, as it cannot tell where
     * the next request would begin. By then the answer has gone out as a persistent one, so the
     * client reuses a connection the server is closing: the JDK's {@code HttpClient} retries a GET
     * there, but its next POST fails with "header parser received no bytes" (a browser shows a
     * failed request). Here the same check, {@link Request#consumeAvailable()}, is made before the
     * answer, as Jetty's own {@link Response#writeError} does: a body that is already there (or
     * was read by the handler) is discarded and the connection stays; one still on its way is not
     * waited for (a refused request holds nothing while its client is slow, and a body of up to
     * {@link ServerLimits#maxBodyBytes()} is not worth receiving to be thrown away), and the
     * answer says the connection ends. Jetty then closes it as announced, and the client opens a
     * new one for its next request.
     *
     * <p>An answer that says {@code Connection: close} already (408 and 413, whose body is not
     * worth waiting for and may still be being read) is left as it is.
     *
     * <p>Every answer that does not go through {@link #send} calls this itself before its first
     * write: the event stream ({@link EventStream#subscribe}).
     *
     * @param response the answer, not yet committed
     */
    static void keepAliveOrClose(Response response) {
        if (response.getHeaders().contains(HttpHeader.CONNECTION, "close")) {
            return;
        }
        if (Boolean.TRUE.equals(response.getRequest().getAttribute(CLOSE_AFTER_ANSWER))) {
            response.getHeaders().put(HttpHeader.CONNECTION, "close");
            return;
        }
        if (!response.getRequest().consumeAvailable()) {
            response.getHeaders().put(HttpHeader.CONNECTION, "close");
        }
    }

    /**
     * Jetty's own refusals (a malformed request line, headers too large, a body declared larger
     * than {@link ServerLimits#maxBodyBytes()}) as JSON, like ours. The 413 says the limit, as the
     * one for a body found too large while it is read does: it said only "larger than the
     * simulator accepts", which left the client to guess by how much.
     */
    private static final class JsonErrors extends ErrorHandler {
        private final int maxBodyBytes;

        JsonErrors(int maxBodyBytes) {
            this.maxBodyBytes = maxBodyBytes;
        }

        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            Object code = request.getAttribute(ERROR_STATUS);
            int status = code instanceof Integer i && i >= 400 ? i : 500;
            Object cause = request.getAttribute(ERROR_MESSAGE);
            String message = status == 413 ? "the request is larger than " + tooLargeLimit(maxBodyBytes)
                    : "the request was refused: " + (cause != null ? cause : HttpStatus.getMessage(status));
            error(response, callback, status, message);
            return true;
        }
    }
}
