package io.github.microgpt.examples.simulator;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

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
 * <p>Events: {@code state} (the state JSON of {@link Snapshot#stateJson(int)}) and
 * {@code weights} (the JSON of {@link Snapshot#weightsJson(String, boolean)}).
 */
final class EventStream implements AutoCloseable {

    static final long FRAME_MILLIS = 50;
    static final long RUNNING_WEIGHTS_MILLIS = 250;
    private static final long HEARTBEAT_MILLIS = 15_000;

    private final SimulatorSession session;
    private final List<Subscriber> subscribers = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "simulator-events");
        thread.setDaemon(true);
        return thread;
    });

    /**
     * Starts the ticker.
     *
     * @param session the session whose state to send
     */
    EventStream(SimulatorSession session) {
        this.session = session;
        ticker.scheduleWithFixedDelay(this::tick, FRAME_MILLIS, FRAME_MILLIS, TimeUnit.MILLISECONDS);
    }

    /**
     * Opens a stream for one page and sends it the whole state and the weights at once.
     *
     * @param exchange the request for {@code /api/events}
     * @throws IOException if the page has gone already
     */
    void subscribe(HttpExchange exchange) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
        exchange.getResponseHeaders().set("Cache-Control", "no-cache");
        exchange.getResponseHeaders().set("X-Accel-Buffering", "no");
        exchange.sendResponseHeaders(200, 0);
        Subscriber subscriber = new Subscriber(exchange);
        Snapshot snapshot = session.snapshot();
        if (subscriber.sendState(snapshot) && subscriber.sendWeights(snapshot)) {
            subscribers.add(subscriber);
        }
    }

    /**
     * The number of open streams.
     *
     * @return the count
     */
    int subscriberCount() {
        return subscribers.size();
    }

    private void tick() {
        try {
            Snapshot snapshot = session.snapshot();
            long now = System.nanoTime();
            for (Subscriber subscriber : subscribers) {
                boolean alive = true;
                if (subscriber.stateRevision != snapshot.revision()) {
                    alive = subscriber.sendState(snapshot);
                }
                boolean weightsDue = !snapshot.running()
                        || now - subscriber.weightsSentNanos >= TimeUnit.MILLISECONDS.toNanos(RUNNING_WEIGHTS_MILLIS);
                if (alive && subscriber.paramsVersion != snapshot.paramsVersion() && weightsDue) {
                    alive = subscriber.sendWeights(snapshot);
                }
                if (alive && now - subscriber.lastWriteNanos >= TimeUnit.MILLISECONDS.toNanos(HEARTBEAT_MILLIS)) {
                    alive = subscriber.send(": still here\n\n");
                }
                if (!alive) {
                    subscribers.remove(subscriber);
                }
            }
        } catch (RuntimeException e) {
            // Keep ticking: one bad frame must not end the stream for every page.
            System.err.println("simulator: could not send an update: " + e);
        }
    }

    /** Ends every stream and the ticker. */
    @Override
    public void close() {
        ticker.shutdownNow();
        for (Subscriber subscriber : subscribers) {
            subscriber.close();
        }
        subscribers.clear();
    }

    /** One open page. */
    private static final class Subscriber {
        private final HttpExchange exchange;
        private final OutputStream body;
        long stateRevision = -1;
        long epoch = -1;
        int recordsSent;
        long paramsVersion = -1;
        long weightsSentNanos;
        long lastWriteNanos = System.nanoTime();

        Subscriber(HttpExchange exchange) {
            this.exchange = exchange;
            this.body = exchange.getResponseBody();
        }

        synchronized boolean sendState(Snapshot snapshot) {
            int from = snapshot.epoch() == epoch ? recordsSent : 0;
            boolean ok = send("event: state\ndata: " + snapshot.stateJson(from) + "\n\n");
            stateRevision = snapshot.revision();
            epoch = snapshot.epoch();
            recordsSent = snapshot.log().size();
            return ok;
        }

        synchronized boolean sendWeights(Snapshot snapshot) {
            boolean ok = send("event: weights\ndata: " + snapshot.weightsJson(null, true) + "\n\n");
            paramsVersion = snapshot.paramsVersion();
            weightsSentNanos = System.nanoTime();
            return ok;
        }

        synchronized boolean send(String event) {
            try {
                body.write(event.getBytes(StandardCharsets.UTF_8));
                body.flush();
                lastWriteNanos = System.nanoTime();
                return true;
            } catch (IOException e) {
                close();
                return false;
            }
        }

        void close() {
            try {
                body.close();
            } catch (IOException e) {
                // the page has gone; nothing to tell it
            }
            exchange.close();
        }
    }
}
