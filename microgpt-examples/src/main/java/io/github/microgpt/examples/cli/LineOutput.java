package io.github.microgpt.examples.cli;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Lines of text written to stdout as UTF-8, each ended by {@code "\n"} whatever the platform,
 * through a buffer that the caller flushes when a reader should see what is there (after each
 * training step, so that {@code microgpt train | tee log} shows progress).
 *
 * <p>A write error becomes a {@link CommandFailedException}: a closed pipe ends the command
 * quietly with exit code {@value CommandFailedException#BROKEN_PIPE}, any other error with a
 * one-line message and exit code {@value CommandFailedException#FAILED}.
 */
public final class LineOutput {

    private final OutputStream out;

    /**
     * Wraps a stream in a 64 KiB buffer.
     *
     * @param out the stream, usually {@link CliContext#out()}; it is flushed, never closed
     */
    public LineOutput(OutputStream out) {
        this.out = new BufferedOutputStream(out, 1 << 16);
    }

    /**
     * Writes one line: the text, then {@code "\n"}.
     *
     * @param text the line, without its line break
     * @throws CommandFailedException if writing fails
     */
    public void line(String text) {
        try {
            out.write(text.getBytes(StandardCharsets.UTF_8));
            out.write('\n');
        } catch (IOException e) {
            throw failure(e);
        }
    }

    /**
     * Sends the buffered lines on to the underlying stream.
     *
     * @throws CommandFailedException if writing fails
     */
    public void flush() {
        try {
            out.flush();
        } catch (IOException e) {
            throw failure(e);
        }
    }

    private static CommandFailedException failure(IOException e) {
        String message = String.valueOf(e.getMessage());
        if (message.contains("Broken pipe")) {
            return new CommandFailedException(null, CommandFailedException.BROKEN_PIPE, e);
        }
        return new CommandFailedException("cannot write to stdout: " + message, CommandFailedException.FAILED, e);
    }
}
