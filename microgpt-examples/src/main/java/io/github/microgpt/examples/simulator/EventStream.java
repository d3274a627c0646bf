package io.github.microgpt.examples.simulator;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Pushes the session's state to every open page as Server-Sent Events, so that the page never
 * polls.
 *
 * <p>One thread looks at the latest snapshot every {@value #FRAME_MILLIS} ms and, if it changed,
 * sends it to every page: at most 20 state events a second however fast training runs, and the
 * last state of a run always goes out, since the final snapshot is a change like any other. The
 * weights (about 4,000 numbers at the default size) go out at most every
 * {@value #RUNNING_WEIGHTS_MILLIS} ms during a run, and after every change otherwise. Each page
 * gets only the loss history it does not have yet.
 *
 * <p><b>Large models.</b> Every weight and its gradient is one event of some 20 bytes per
 * parameter: about 100 KB at the default size, but some 4 MB for the largest model the array
 * engine trains live, which four times a second would keep a page busy reading and drawing
 * numbers. So during a run the weights go out at most {@value #WEIGHTS_BYTES_PER_SECOND} bytes a
 * second ({@link #weightsInterval}): a large model's weights arrive every few seconds while its
 * state (loss, log, attention) keeps its 20 frames a second. The event is written once per new
 * version of the weights, however many pages listen.
 *
 * <p><b>A slow page costs the others nothing.</b> The ticker never waits for a page: it hands an
 * event to the server to write and moves on. Each page has at most one event on its way; while
 * a page has not taken it, the ticker skips that page (nothing is lost: the next state it gets
 * carries every step since the last one it took). A page that leaves an event unread for
 * {@link ServerLimits#eventWriteTimeout()} is cut off; a page that was only slow reconnects by
 * itself ({@code EventSource} does) and gets the whole state again.
 *
 * <p>Events: {@code state} (the state JSON of {@link Snapshot#stateJson(int)}) and
 * {@code weights} (the JSON of {@link Snapshot#weightsJson(String, boolean)}).
 */
final class EventStream implements AutoCloseable {

    static final long FRAME_MILLIS = 50;
    static final long RUNNING_WEIGHTS_MILLIS = 250;
    /** The most bytes of weights events a page gets per second during a run. */
    static final long WEIGHTS_BYTES_PER_SECOND = 512 * 1024;

    private final SimulatorSession session;
    private final ServerLimits limits;
    private final List<Subscriber> subscribers = new CopyOnWriteArrayList<>();
    /**
     * The latest weights event as the bytes every page is sent, and the snapshot it was made from
     * (used on the ticker thread only). One array for all pages: the largest model's event is some
     * 38 MB, and a copy per page, held until the page has read it, would be 2.4 GB for 64 slow pages.
     */
    private byte[] weightsEvent;
    private Snapshot weightsEventOf;
    private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "simulator-events");
        thread.setDaemon(true);
        return thread;
    });

    /**
     * Starts the ticker.
     *
     * @param session the session whose state to send
     * @param limits how many pages may listen, and how long one event may wait for its page
     */
    EventStream(SimulatorSession session, ServerLimits limits) {
        this.session = session;
        this.limits = limits;
        ticker.scheduleWithFixedDelay(this::tick, FRAME_MILLIS, FRAME_MILLIS, TimeUnit.MILLISECONDS);
    }

    /**
     * Opens a stream for one page and sends it the whole state at once (the weights follow at the
     * next tick). Like every answer of the server, the stream says {@code Connection: close} when
     * the request came with a body that has not all arrived ({@link SimulatorServer#keepAliveOrClose}):
     * when the stream ends, Jetty could not tell where the connection's next request begins.
     *
     * @param request the request for {@code /api/events}
     * @param response its response, which stays open until the page goes or the server stops
     * @param callback completed when the stream ends
     * @throws ApiException (503) if {@link ServerLimits#maxEventStreams()} pages listen already
     */
    void subscribe(Request request, Response response, Callback callback) {
        if (subscribers.size() >= limits.maxEventStreams()) {
            throw new ApiException(503, "already " + limits.maxEventStreams() + " pages are listening to the"
                    + " simulator; close some tabs");
        }
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/event-stream; charset=utf-8");
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
        response.getHeaders().put("X-Accel-Buffering", "no");
        // A GET may come with a body: the stream says Connection: close if that has not all arrived,
        // by the rule of every other answer (its first event commits the headers).
        SimulatorServer.keepAliveOrClose(response);
        Subscriber subscriber = new Subscriber(response, callback);
        subscribers.add(subscriber);
        session.pageWatching();
        request.addFailureListener(failure -> end(subscriber, failure));
        subscriber.sendState(session.snapshot());
    }

    /**
     * The number of open streams.
     *
     * @return the count
     */
    int subscriberCount() {
        return subscribers.size();
    }

    /**
     * The number of streams whose page has not yet taken the last event sent.
     *
     * @return the count
     */
    int behindCount() {
        return (int) subscribers.stream().filter(Subscriber::writing).count();
    }

    private void tick() {
        try {
            Snapshot snapshot = session.snapshot();
            long now = System.nanoTime();
            for (Subscriber subscriber : subscribers) {
                if (subscriber.writing()) {
                    if (now - subscriber.writeStartNanos() > limits.eventWriteTimeout().toNanos()) {
                        end(subscriber, new TimeoutException("the page read no event for "
                                + limits.eventWriteTimeout().toSeconds() + " s"));
                    }
                    continue;
                }
                boolean stateDue = subscriber.stateRevision != snapshot.revision();
                boolean weightsDue = subscriber.paramsVersion != snapshot.paramsVersion()
                        && (!snapshot.running() || now - subscriber.weightsSentNanos >= subscriber.weightsIntervalNanos);
                // A page hears of a new model (a new epoch) in a state event first. During a run
                // the state changes at every frame, so weights that are due go before it, or a
                // fast run would never leave them a frame.
                if (stateDue && (!weightsDue || !snapshot.running() || subscriber.epoch != snapshot.epoch())) {
                    subscriber.sendState(snapshot);
                    continue;
                }
                if (weightsDue) {
                    subscriber.sendWeights(snapshot, weightsEvent(snapshot));
                } else if (now - subscriber.lastWriteNanos >= limits.heartbeat().toNanos()) {
                    subscriber.send(": still here\n\n");
                }
            }
        } catch (RuntimeException e) {
            // Keep ticking: one bad frame must not end the stream for every page.
            System.err.println("simulator: could not send an update: " + e);
        }
    }

    /**
     * The shortest time between two weights events during a run, for an event of {@code bytes}:
     * {@value #RUNNING_WEIGHTS_MILLIS} ms, or longer for a large model, so that a page gets at most
     * {@value #WEIGHTS_BYTES_PER_SECOND} bytes of weights a second.
     *
     * @param bytes the size of the last weights event sent
     * @return the interval in nanoseconds
     */
    static long weightsInterval(long bytes) {
        long byBudget = (long) (bytes * 1e9 / WEIGHTS_BYTES_PER_SECOND);
        return Math.max(TimeUnit.MILLISECONDS.toNanos(RUNNING_WEIGHTS_MILLIS), byBudget);
    }

    /**
     * The weights event of a snapshot, made once however many pages get it: the same bytes go to
     * every page (the server only reads them).
     *
     * @param snapshot the snapshot
     * @return the event's bytes, shared; not to be changed
     */
    byte[] weightsEvent(Snapshot snapshot) {
        if (weightsEventOf != snapshot) {
            weightsEvent = ("event: weights\ndata: " + snapshot.weightsJson(null, true) + "\n\n")
                    .getBytes(StandardCharsets.UTF_8);
            weightsEventOf = snapshot;
        }
        return weightsEvent;
    }

    private void end(Subscriber subscriber, Throwable why) {
        if (subscribers.remove(subscriber)) {
            session.pageGone();
            subscriber.callback.failed(why);
        }
    }

    /** Ends every stream and the ticker. */
    @Override
    public void close() {
        ticker.shutdownNow();
        for (Subscriber subscriber : subscribers) {
            if (subscribers.remove(subscriber)) {
                session.pageGone();
                subscriber.callback.succeeded();
            }
        }
    }

    /** One open page, with at most one event on its way to it. */
    private final class Subscriber {
        private final Response response;
        private final Callback callback;
        private boolean writing;
        private long writeStartNanos;
        long stateRevision = -1;
        long epoch = -1;
        int recordsSent;
        long paramsVersion = -1;
        long weightsSentNanos;
        long weightsIntervalNanos = TimeUnit.MILLISECONDS.toNanos(RUNNING_WEIGHTS_MILLIS);
        long lastWriteNanos = System.nanoTime();

        Subscriber(Response response, Callback callback) {
            this.response = response;
            this.callback = callback;
        }

        void sendState(Snapshot snapshot) {
            int from = snapshot.epoch() == epoch ? recordsSent : 0;
            if (send("event: state\ndata: " + snapshot.stateJson(from) + "\n\n")) {
                stateRevision = snapshot.revision();
                epoch = snapshot.epoch();
                recordsSent = snapshot.log().size();
            }
        }

        void sendWeights(Snapshot snapshot, byte[] event) {
            if (send(event)) {
                paramsVersion = snapshot.paramsVersion();
                weightsSentNanos = System.nanoTime();
                weightsIntervalNanos = weightsInterval(event.length);
            }
        }

        /** Hands an event to the server to write, unless the previous one is still on its way. */
        boolean send(String event) {
            return send(event.getBytes(StandardCharsets.UTF_8));
        }

        /** The same, for an event already in bytes (which may be shared with other pages: only read). */
        boolean send(byte[] event) {
            synchronized (this) {
                if (writing) {
                    return false;
                }
                writing = true;
                writeStartNanos = System.nanoTime();
                lastWriteNanos = writeStartNanos;
            }
            try {
                response.write(false, ByteBuffer.wrap(event), Callback.from(
                        () -> {
                            synchronized (this) {
                                writing = false;
                            }
                        },
                        failure -> end(this, failure)));
            } catch (RuntimeException e) {
                // The stream ended between the check and the write (the page went away).
                end(this, e);
            }
            return true;
        }

        synchronized boolean writing() {
            return writing;
        }

        synchronized long writeStartNanos() {
            return writeStartNanos;
        }
    }
}
