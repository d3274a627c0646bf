package io.github.microgpt.examples.simulator;

import java.time.Duration;

/**
 * How much of the server one client may hold, and for how long. Every limit is there so that a
 * slow, stalled or greedy client (a tab left open on a sleeping laptop, a script that opens a
 * connection and sends nothing, a page that stops reading its event stream) costs the others
 * nothing: it is cut off, and everyone else keeps being answered and keeps their live updates.
 *
 * @param idleTimeout how long a connection may go without any progress, reading or writing (a
 *     connection that sends nothing, or a response nobody reads, is closed after this)
 * @param requestTimeout how long a request's first line and headers may take to arrive, in all
 *     (headers sent a byte at a time: the connection is closed after this, see
 *     {@link HeaderDeadline}), and then how long its body may take (a body sent a byte at a time
 *     is answered 408 after this)
 * @param maxBodyBytes the largest request body (a pasted dataset of a million characters fits)
 * @param maxConnections the most connections open at once; when they are all taken, the idle
 *     ones get {@code crowdedIdleTimeout} instead of {@code idleTimeout}
 * @param crowdedIdleTimeout the idle time limit while every connection is taken
 * @param maxEventStreams the most pages listening to the event stream at once
 * @param eventWriteTimeout how long one event may wait for a page to read it before that page's
 *     stream is closed (the page reconnects by itself if it was only slow)
 * @param threads the server's threads; no request holds one while it waits for its client or for
 *     the session's worker
 * @param sendBufferBytes the socket send buffer of each connection: what the operating system
 *     holds for a client that does not read, before the server notices (without a limit, Linux
 *     lets it grow to 4 MiB, which a page that never reads takes 20 s to fill)
 * @param maxLargeAnswers the most answers built and being sent at once whose size grows with the
 *     model or a saved run: the weights of a large model ({@code GET /api/weights}; 39 MB of JSON
 *     for the largest array-engine model) and saved loss curves ({@code GET /api/loss-curve},
 *     which reads a whole checkpoint). Each is held in memory until its client has read it, so
 *     without a bound a few dozen at once run the heap out; more are answered 503
 * @param maxWaitingChanges the most changes (Step, Run, Reset, Gen Step, Generate, Save, Load)
 *     waiting for the session's one worker at once. A waiting change holds no server thread, only
 *     its connection and a few objects, so this can be large enough for many tabs; more are
 *     answered 503 with {@code Retry-After}. It must be smaller than {@code maxConnections}, so
 *     that connections are left for the pages' reads (the state, the event stream) while the
 *     queue is full
 * @param maxBodyBytesHeld the most bytes of request bodies held at once, across every connection
 *     ({@link RequestBodies}): a body is held from its first byte until it has been read into its
 *     request, and then what that request keeps (its strings, 2 bytes a character) until it is
 *     answered, through its change's wait for its turn. Each body is at most
 *     {@code maxBodyBytes}, but without this bound their sum was not: 200 connections of 8 MiB
 *     bodies ran the heap out. A body that does not fit beside those held is answered 503 with
 *     {@code Retry-After}; it must be at least {@code maxBodyBytes}, so that a body of the
 *     largest size can ever be taken. Reading a body (its parse) takes memory besides, bounded
 *     apart ({@link #maxParseBytes()}), so that at most this plus that is taken by bodies at once
 *     (64 MiB + 41 MiB by default). Measured (2026-12-08, {@code /work/notes/simfix4-harness}:
 *     200 clients each POSTing a Reset of 8 MiB at once, its dataset text one JSON string with
 *     one character beyond Latin-1, which makes Java's strings 2 bytes a character): under
 *     {@code -Xmx256m} 8 were answered 400 "The dataset text is 8388480 characters long; the
 *     limit is 1000000" and 192 503, and under {@code -Xmx128m} 11 and 189; no heap ran out.
 *     Before, when each body was decoded whole and Gson built its whole tree, the 8 bodies held
 *     were parsed at once and ran a 256 MB heap out: 3 were answered 500 and valid bodies 400
 *     "not valid JSON" (Gson's word for the heap running out)
 */
record ServerLimits(Duration idleTimeout, Duration requestTimeout, int maxBodyBytes, int maxConnections,
                    Duration crowdedIdleTimeout, int maxEventStreams, Duration eventWriteTimeout, int threads,
                    int sendBufferBytes, int maxLargeAnswers, int maxWaitingChanges, long maxBodyBytesHeld) {

    /** The limits of {@code microgpt simulator}. */
    static final ServerLimits DEFAULTS = new ServerLimits(Duration.ofSeconds(30), Duration.ofSeconds(30),
            8 * 1024 * 1024, 200, Duration.ofSeconds(2), 64, Duration.ofSeconds(10), 16, 256 * 1024, 2, 128,
            64L * 1024 * 1024);

    /**
     * Checks that the waiting changes leave connections for reads, and that a body of the largest
     * size fits in the bodies held at once.
     *
     * @throws IllegalArgumentException if {@code maxWaitingChanges} is not from 1 to
     *     {@code maxConnections - 1}, or {@code maxBodyBytesHeld} is less than {@code maxBodyBytes}
     */
    ServerLimits {
        if (maxWaitingChanges < 1 || maxWaitingChanges >= maxConnections) {
            throw new IllegalArgumentException("maxWaitingChanges must be from 1 to maxConnections - 1 ("
                    + (maxConnections - 1) + "), so that connections are left for reads; got " + maxWaitingChanges);
        }
        if (maxBodyBytesHeld < maxBodyBytes) {
            throw new IllegalArgumentException("maxBodyBytesHeld must be at least maxBodyBytes (" + maxBodyBytes
                    + "), so that a body of the largest size can be taken; got " + maxBodyBytesHeld);
        }
    }

    /**
     * The most that the request bodies being read (parsed) at once may take beyond their own bytes
     * ({@link RequestBodies#parseCost}): room for one body of the largest size. A body that does
     * not fit beside those being read waits, holding no thread, and is read when they are done,
     * in the order the bodies arrived (reading one takes milliseconds).
     *
     * @return {@link RequestBodies#parseCost} of {@code maxBodyBytes}
     */
    long maxParseBytes() {
        return RequestBodies.parseCost(maxBodyBytes);
    }

    /**
     * How often an event stream with nothing new gets a comment line, so that neither the
     * connection's idle limit nor a proxy ends a stream that is merely quiet.
     *
     * @return a third of the idle limit
     */
    Duration heartbeat() {
        return idleTimeout.dividedBy(3);
    }
}
