package io.github.microgpt.examples.simulator;

import java.nio.ByteBuffer;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;

/**
 * The request bodies the server holds at once, across every connection, and the reading of one
 * body within that bound ({@link ServerLimits#maxBodyBytesHeld()}).
 *
 * <p>Why a bound on the sum: each body is bounded ({@link ServerLimits#maxBodyBytes()}, 8 MiB, so
 * that a pasted dataset of a million characters fits), but nothing bounded how many were held at
 * once. A change holds its body while it waits for its turn (up to 30 s, 128 of them), and every
 * connection may be sending one, so 200 clients sending 8 MiB each asked for 1.6 GB of bytes, and
 * as much again for their text: the heap ran out, and the simulator with it, for everyone. Now a
 * body's bytes are counted from the moment they are read until its request has been answered, and
 * a body that does not fit beside the others is refused with 503 and {@code Retry-After} rather
 * than read, while the others go on. A body larger than {@link ServerLimits#maxBodyBytes()} on its
 * own stays a 413: no retry would help it.
 *
 * <p>A body declared with {@code Content-Length} is counted whole before a byte of it is read,
 * so a refused one is never read. A body sent in chunks, whose length nobody knows in advance, is
 * counted as the bytes held for it grow, and refused as soon as the next chunk does not fit.
 * Counted are the bytes held for the body as it arrives, the array it is read into. The text
 * decoded from them and what the JSON parser makes of it are not counted: they last no longer
 * than the parse (a change waiting for its turn keeps its bytes and its record, whose one long
 * value, a dataset text, is refused past {@value Limits#MAX_TEXT_CHARS} characters), but their
 * peak is several times the body's bytes, and up to eight bodies of the largest size are parsed
 * at once; {@link ServerLimits#maxBodyBytesHeld()} says what that peak was measured to need.
 */
final class RequestBodies {

    private final long maxBytesHeld;
    private final AtomicLong held = new AtomicLong();

    /**
     * A bound on the bodies held at once.
     *
     * @param maxBytesHeld the most bytes of request bodies held at once ({@link ServerLimits#maxBodyBytesHeld()})
     */
    RequestBodies(long maxBytesHeld) {
        this.maxBytesHeld = maxBytesHeld;
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
        private final CompletableFuture<ByteBuffer> bytes = new CompletableFuture<>();
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
         * The body, when it has all arrived: its bytes from position 0 to the limit. Fails with an
         * {@link ApiException} (503) if it does not fit beside the bodies held, or with the failure
         * of the read (Jetty's 413 for a body larger than the limit, a connection that failed).
         *
         * @return the future of the bytes
         */
        CompletableFuture<ByteBuffer> bytes() {
            return bytes;
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
                    bytes.complete(ByteBuffer.wrap(buffer, 0, size));
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
