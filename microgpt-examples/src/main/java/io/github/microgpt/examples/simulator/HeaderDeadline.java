package io.github.microgpt.examples.simulator;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.HttpParser;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.server.internal.HttpConnection;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * Closes a connection whose request line and headers take longer than a time limit to arrive.
 *
 * <p>Why: Jetty 12 has no deadline for the headers of a request. Its idle timeout starts again at
 * every byte, so a client that sends one byte a second ("slowloris") keeps a connection, and one
 * of the server's limited connections, for as long as it likes; a few hundred such clients shut
 * everyone else out. The body of a request has its own limit ({@link ServerLimits#requestTimeout()},
 * enforced where the body is read); this class gives the headers the same limit.
 *
 * <p>How: every connection is looked at a few times per limit, on the connector's scheduler (no
 * thread per connection). When its parser is inside a request's first line or headers, the time
 * that request started is remembered (with the count of requests the connection has begun, so
 * that the next request on a kept-alive connection starts a fresh clock); once that time is past
 * the limit, the connection is closed. A connection between requests (the parser at its start),
 * reading a body or sending a response is not touched: the idle timeout and the body's limit
 * cover those. The check reads Jetty's HTTP/1.1 connection (an internal class: no public API
 * tells whether the headers are complete); other kinds of connection are left alone.
 */
final class HeaderDeadline implements Connection.Listener {

    private final Scheduler scheduler;
    private final long limitNanos;
    private final long periodMillis;

    /**
     * Creates the deadline.
     *
     * @param scheduler the connector's scheduler, which runs the checks
     * @param limit how long a request's first line and headers may take to arrive
     */
    HeaderDeadline(Scheduler scheduler, Duration limit) {
        this.scheduler = scheduler;
        this.limitNanos = limit.toNanos();
        // A connection is cut at most a quarter of the limit after it: 30 s -> within 37.5 s.
        this.periodMillis = Math.max(10, limit.toMillis() / 4);
    }

    @Override
    public void onOpened(Connection connection) {
        if (connection instanceof HttpConnection http) {
            new Watch(http).schedule();
        }
    }

    /** One connection's clock, looked at every {@code periodMillis}. */
    private final class Watch implements Runnable {
        private final HttpConnection connection;
        /** When the request now arriving was first seen in its headers; -1 when none is. */
        private long startedNanos = -1;
        /** The connection's count of begun requests when that one was first seen. */
        private long requestsThen;

        Watch(HttpConnection connection) {
            this.connection = connection;
        }

        void schedule() {
            scheduler.schedule(this, periodMillis, TimeUnit.MILLISECONDS);
        }

        @Override
        public void run() {
            if (!connection.getEndPoint().isOpen()) {
                return;
            }
            long requests = connection.getMessagesIn();
            if (!inFirstLineOrHeaders(connection.getParser().getState())) {
                startedNanos = -1;
            } else if (startedNanos < 0 || requests != requestsThen) {
                startedNanos = System.nanoTime();
                requestsThen = requests;
            } else if (System.nanoTime() - startedNanos >= limitNanos) {
                // Nothing has been handed to the application yet: closing loses no work.
                connection.getEndPoint().close();
                return;
            }
            schedule();
        }
    }

    /** Whether a parser is past the start of a request but has not finished its headers. */
    static boolean inFirstLineOrHeaders(HttpParser.State state) {
        return state.ordinal() > HttpParser.State.START.ordinal()
                && state.ordinal() <= HttpParser.State.HEADER.ordinal();
    }
}
