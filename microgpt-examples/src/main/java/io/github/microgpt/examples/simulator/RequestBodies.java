package io.github.microgpt.examples.simulator;

import java.nio.ByteBuffer;
import java.util.Locale;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.BiFunction;
import java.util.function.ToLongFunction;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;

/**
 * The request bodies the server holds at once, across every connection, and the reading of one
 * body within that bound ({@link ServerLimits#maxBodyBytesHeld()}); and the bodies read (parsed)
 * at once, within theirs ({@link ServerLimits#maxParseBytes()}).
 *
 * <p>Why a bound on the sum: each body is bounded ({@link ServerLimits#maxBodyBytes()}, 8 MiB, so
 * that a pasted dataset of a million characters fits), but nothing bounded how many were held at
 * once. A change holds its request while it waits for its turn (up to 30 s, 128 of them), and every
 * connection may be sending one, so 200 clients sending 8 MiB each asked for 1.6 GB of bytes, and
 * as much again for their text: the heap ran out, and the simulator with it, for everyone. Now a
 * body's bytes are counted from the moment they are read until it has been read into its request;
 * then the bytes are let go of and what the request keeps is counted instead, until it has been
 * answered. A body that does not fit beside the others is refused with 503 and
 * {@code Retry-After} rather than read, while the others go on. A body larger than
 * {@link ServerLimits#maxBodyBytes()} on its own stays a 413: no retry would help it.
 *
 * <p>A body declared with {@code Content-Length} is counted whole before a byte of it is read,
 * so a refused one is never read. A body sent in chunks, whose length nobody knows in advance, is
 * counted as the bytes held for it grow, and refused as soon as the next chunk does not fit.
 *
 * <p>Why a bound on the reads: reading a body into its request takes memory of its own, up to
 * {@link #parseCost} ({@link JsonSyntax#COST_PER_BYTE} times its bytes), for as long as the read
 * lasts (milliseconds). Before, every body that arrived was read at once on the thread that
 * received its last bytes, decoded whole and given to Gson: the 8 bodies of 8 MiB held, read
 * together at ten times their size, ran a 256 MB heap out. Now a body is read when its cost fits
 * beside the reads in progress; else it waits, holding no thread, and is read in its turn, in the
 * order the bodies arrived. If the heap runs out all the same while a body is read (a heap smaller
 * than the bounds), its request is answered 503 (try again), never 400: the body was not at fault.
 */
final class RequestBodies {

    private final long maxBytesHeld;
    private final AtomicLong held = new AtomicLong();
    private final long maxParseBytes;
    private final Executor executor;
    /** The bodies waiting to be read, in the order they arrived. Guarded by itself, as is {@link #parsing}. */
    private final Deque<Waiting> waiting = new ArrayDeque<>();
    /** What the bodies being read may take ({@link #parseCost}). */
    private long parsing;

    /**
     * A bound on the bodies held at once, and on the bodies read at once.
     *
     * @param maxBytesHeld the most bytes of request bodies held at once ({@link ServerLimits#maxBodyBytesHeld()})
     * @param maxParseBytes the most bytes the bodies being read may take at once, beyond their own
     *     ({@link ServerLimits#maxParseBytes()}); at least {@link #parseCost} of the largest body
     * @param executor where a body that waited for its turn to be read is read
     */
    RequestBodies(long maxBytesHeld, long maxParseBytes, Executor executor) {
        this.maxBytesHeld = maxBytesHeld;
        this.maxParseBytes = maxParseBytes;
        this.executor = executor;
    }

    /**
     * What reading a body may take beyond its bytes ({@link JsonSyntax#COST_PER_BYTE}).
     *
     * @param bytes the body's size
     * @return the bound
     */
    static long parseCost(long bytes) {
        return JsonSyntax.COST_PER_BYTE * bytes + JsonSyntax.FIXED_COST;
    }

    /**
     * What the bodies being read may take now, beyond their bytes.
     *
     * @return the sum of their {@link #parseCost}
     */
    long parsing() {
        synchronized (waiting) {
            return parsing;
        }
    }

    private record Waiting(long cost, Runnable parse) {
    }

    /** Runs {@code parse} now if it fits beside the bodies being read and none waits before it, else queues it. */
    private void startParse(long cost, Runnable parse) {
        synchronized (waiting) {
            if (!waiting.isEmpty() || parsing + cost > maxParseBytes) {
                waiting.add(new Waiting(cost, parse));
                return;
            }
            parsing += cost;
        }
        parse.run();
    }

    /** Gives back what a read took, and starts the reads waiting that now fit, in their order. */
    private void endParse(long cost) {
        List<Runnable> ready = new ArrayList<>();
        synchronized (waiting) {
            parsing -= cost;
            while (!waiting.isEmpty() && parsing + waiting.peek().cost() <= maxParseBytes) {
                Waiting next = waiting.poll();
                parsing += next.cost();
                ready.add(next.parse());
            }
        }
        for (Runnable parse : ready) {
            try {
                executor.execute(parse);
            } catch (RejectedExecutionException e) {
                parse.run();  // the server is stopping: read it here, so that its request is answered
            }
        }
    }

    /**
     * The bytes of request bodies held now, counted against the bound.
     *
     * @return the count
     */
    long held() {
        return held.get();
    }

    /**
     * Starts reading a request's body as it arrives, holding no thread while its client is slow.
     * The bytes stay counted until {@link Body#release()}, which the server calls when the request
     * has been answered.
     *
     * @param request the request
     * @param maxBytes the largest body ({@link ServerLimits#maxBodyBytes()})
     * @return the body being read
     */
    Body read(Request request, int maxBytes) {
        Body body = new Body(request, maxBytes);
        try {
            body.start();
        } catch (RuntimeException | Error e) {
            body.release();  // the caller answers the failure; nothing of the body stays held
            throw e;
        }
        return body;
    }

    /** Counts {@code bytes} more if they fit under the bound. */
    private boolean reserve(long bytes) {
        for (long now = held.get(); ; now = held.get()) {
            if (now + bytes > maxBytesHeld) {
                return false;
            }
            if (held.compareAndSet(now, now + bytes)) {
                return true;
            }
        }
    }

    private ApiException full(long asked) {
        return new ApiException(503, String.format(Locale.ROOT, "the simulator holds at most %s of request bodies"
                + " at once, across all its clients, and %s of it is taken; this body (%s more) does not fit now;"
                + " try again in a moment", size(maxBytesHeld), size(held.get()), size(asked)));
    }

    /** A size in the unit a person reads it in: {@code 64 MiB}, {@code 512 KiB}, {@code 20 bytes}. */
    static String size(long bytes) {
        if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) == 0) {
            return bytes / (1024 * 1024) + " MiB";
        }
        if (bytes >= 1024 * 1024) {
            return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024.0));
        }
        if (bytes >= 1024) {
            return bytes % 1024 == 0 ? bytes / 1024 + " KiB" : String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
        }
        return bytes + (bytes == 1 ? " byte" : " bytes");
    }

    /**
     * One request's body, read as its chunks arrive into one array, whose size is what is counted.
     * The reading runs on whichever thread Jetty calls it back on, one call at a time; the count
     * is given back once, by {@link #release()}, on any thread.
     */
    final class Body implements Runnable {
        private static final int FIRST_CAPACITY = 1024;

        private final Request request;
        private final int maxBytes;
        private final CompletableFuture<Void> bytes = new CompletableFuture<>();
        /** The bytes read so far; dropped once the request has been read from them ({@link #parsed}). */
        private byte[] buffer = new byte[0];
        private int size;
        /** The bytes counted for this body. Guarded by {@code this}, as is {@link #released}. */
        private long counted;
        private boolean released;

        private Body(Request request, int maxBytes) {
            this.request = request;
            this.maxBytes = maxBytes;
        }

        /**
         * Completes when the body has all arrived ({@link #read} then reads it). Fails with an
         * {@link ApiException} (503) if it does not fit beside the bodies held, or with the failure
         * of the read (Jetty's 413 for a body larger than the limit, a connection that failed).
         *
         * @return the future
         */
        CompletableFuture<Void> arrived() {
            return bytes;
        }

        /**
         * Reads the request from the body that has arrived, within the bound on the bodies read at
         * once ({@link ServerLimits#maxParseBytes()}): now, on this thread, if it fits beside those
         * being read, else when they are done, on one of {@code executor}'s threads, in the order
         * the bodies arrived. Then the body's bytes are let go of, and what is counted for it
         * becomes what the request keeps while it waits for its turn ({@code retained}).
         *
         * @param read reads the request from the bytes, from 0, and their length
         * @param retained what a request read keeps, in bytes
         * @param <T> the request's type
         * @return the request; fails with the refusal of the body (400), or 503 if the heap ran out
         *     while it was read or what the request keeps does not fit beside the bodies held
         */
        <T> CompletableFuture<T> read(BiFunction<byte[], Integer, T> read, ToLongFunction<T> retained) {
            long cost = parseCost(size);
            CompletableFuture<T> request = new CompletableFuture<>();
            Runnable parse = () -> {
                try {
                    T value = read.apply(buffer, size);
                    keep(retained.applyAsLong(value));
                    request.complete(value);
                } catch (OutOfMemoryError e) {
                    // Not the client's fault, nor the body's: the heap is short now (Gson once called
                    // this "not valid JSON"). What was built for the body is garbage already.
                    request.completeExceptionally(new ApiException(503, "the simulator ran short of memory while"
                            + " reading this request; try again in a moment"));
                } catch (RuntimeException | Error e) {
                    request.completeExceptionally(e);
                } finally {
                    endParse(cost);
                }
            };
            startParse(cost, parse);
            return request;
        }

        /**
         * Lets go of the bytes, the request having been read from them, and counts {@code retained}
         * bytes instead: what the request keeps while it waits for its turn.
         *
         * @throws ApiException (503) if that is more than the bytes and the difference does not fit
         */
        private void keep(long retained) {
            synchronized (this) {
                buffer = null;
                if (released) {
                    return;
                }
                long more = retained - counted;
                if (more > 0 && !reserve(more)) {
                    throw full(more);
                }
                if (more < 0) {
                    held.addAndGet(more);
                }
                counted = retained;
            }
        }

        /** Counts a declared body whole, before anything is read, then reads what has arrived. */
        private void start() {
            long declared = request.getLength();
            if (declared > maxBytes) {
                // Jetty's SizeLimitHandler refuses such a request before it is handled; never read it.
                bytes.completeExceptionally(new ApiException(413, "the request is larger than " + size(maxBytes)));
                return;
            }
            if (declared > 0 && !growTo((int) declared, true)) {
                return;
            }
            run();
        }

        /** Reads every chunk there is, then asks Jetty to call back when there is more. */
        @Override
        public void run() {
            while (!bytes.isDone()) {
                Content.Chunk chunk = request.read();
                if (chunk == null) {
                    request.demand(this);
                    return;
                }
                if (Content.Chunk.isFailure(chunk)) {
                    bytes.completeExceptionally(chunk.getFailure());
                    return;
                }
                boolean last = chunk.isLast();
                try {
                    ByteBuffer data = chunk.getByteBuffer();
                    int n = data.remaining();
                    if (n > 0) {
                        if (n > buffer.length - size && !growTo(size + n, false)) {
                            return;
                        }
                        data.get(buffer, size, n);
                        size += n;
                    }
                } finally {
                    chunk.release();
                }
                if (last) {
                    bytes.complete(null);
                    return;
                }
            }
        }

        /**
         * Makes the array hold at least {@code needed} bytes, counting what it grows by; fails the
         * body (503, or 413 past the limit) and returns false if it cannot.
         *
         * @param needed the bytes the array must hold
         * @param exact whether that is all it will hold (a declared length), else it doubles, as a
         *     list does, up to the limit
         */
        private boolean growTo(int needed, boolean exact) {
            if (needed > maxBytes) {
                bytes.completeExceptionally(new ApiException(413, "the request is larger than " + size(maxBytes)));
                return false;
            }
            int capacity = exact ? needed
                    : (int) Math.min(maxBytes, Math.max(needed, Math.max(FIRST_CAPACITY, 2L * buffer.length)));
            long more = capacity - buffer.length;
            synchronized (this) {
                if (released) {
                    bytes.completeExceptionally(new ApiException(503, "the request was answered already"));
                    return false;
                }
                if (!reserve(more)) {
                    bytes.completeExceptionally(full(more));
                    return false;
                }
                counted += more;
            }
            byte[] grown = new byte[capacity];
            System.arraycopy(buffer, 0, grown, 0, size);
            buffer = grown;
            return true;
        }

        /**
         * Gives back the bytes counted for this body, once: the request has been answered, and what
         * was read from it is no longer held.
         */
        void release() {
            synchronized (this) {
                if (released) {
                    return;
                }
                released = true;
                held.addAndGet(-counted);
                counted = 0;
            }
        }
    }
}
