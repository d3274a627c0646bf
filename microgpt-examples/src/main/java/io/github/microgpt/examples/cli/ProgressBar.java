package io.github.microgpt.examples.cli;

import java.io.PrintStream;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * A one-line progress bar for a terminal: how far a run is, how fast it goes, and how long it
 * has left, redrawn in place with a carriage return.
 *
 * <pre>
 * training  45% [=============&gt;                ]  450/1000    91.3 steps/s     0:06 left
 * </pre>
 *
 * <p>The bar is drawn on the caller's thread, from {@link #update(int)}, never from a timer
 * thread. That keeps it in order with the command's own output: when stdout shows on the same
 * terminal, the command calls {@link #beforeOutput()} before each line it prints, the bar erases
 * itself, the line is printed where the bar was, and the next {@link #update(int)} draws the bar
 * again below it. (A bar refreshed by a background thread would land in the middle of those
 * lines.) When stdout goes elsewhere, redraws are limited to ten a second.
 *
 * <p>Speed and time left come from the average rate since {@link #start()}; the clock is
 * injected so that a test can drive it. The methods are synchronized only so that
 * {@link #close()} can come from a shutdown hook.
 */
public final class ProgressBar implements AutoCloseable {

    private static final long MIN_REDRAW_NANOS = 100_000_000L;
    private static final String ERASE_LINE = "\r\033[K";

    private final PrintStream err;
    private final String label;
    private final int total;
    private final boolean sharesTerminalWithOutput;
    private final int columns;
    private final LongSupplier nanoClock;

    private long startNanos;
    private long lastDrawNanos;
    private int done;
    private boolean visible;
    private boolean closed;

    /**
     * Creates a bar; nothing is drawn until {@link #start()}.
     *
     * @param err where to draw it (stderr)
     * @param label what is progressing, for example {@code "training"}
     * @param total the number of steps of the run; at least 1
     * @param sharesTerminalWithOutput whether stdout shows on the same terminal, so that the bar
     *     must be erased before each line of output
     * @param columns the width of the terminal, in characters (the bar shrinks to fit)
     * @param nanoClock a monotonic clock in nanoseconds, normally {@code System::nanoTime}
     */
    public ProgressBar(PrintStream err, String label, int total, boolean sharesTerminalWithOutput, int columns,
                       LongSupplier nanoClock) {
        if (total < 1) {
            throw new IllegalArgumentException("total must be at least 1, got " + total);
        }
        this.err = err;
        this.label = label;
        this.total = total;
        this.sharesTerminalWithOutput = sharesTerminalWithOutput;
        this.columns = columns;
        this.nanoClock = nanoClock;
    }

    /**
     * The width of the terminal as the shell tells it in {@code COLUMNS}, or 80.
     *
     * @param context the command's context
     * @return the number of columns, at least 20
     */
    public static int columns(CliContext context) {
        String value = context.getenv("COLUMNS");
        try {
            return value == null ? 80 : Math.max(20, Integer.parseInt(value.strip()));
        } catch (NumberFormatException e) {
            return 80;
        }
    }

    /** Starts the clock and draws the empty bar. */
    public synchronized void start() {
        startNanos = nanoClock.getAsLong();
        draw(startNanos);
    }

    /**
     * Erases the bar if the command's next line of output would otherwise be written over it.
     * Does nothing when stdout is not on the bar's terminal.
     */
    public synchronized void beforeOutput() {
        if (sharesTerminalWithOutput && visible) {
            err.print(ERASE_LINE);
            err.flush();
            visible = false;
        }
    }

    /**
     * Records progress and redraws the bar if it was erased, the run is complete, or the last
     * redraw is at least 100 ms old.
     *
     * @param stepsDone the number of steps finished so far
     */
    public synchronized void update(int stepsDone) {
        if (closed) {
            return;
        }
        done = stepsDone;
        long now = nanoClock.getAsLong();
        if (!visible || stepsDone >= total || now - lastDrawNanos >= MIN_REDRAW_NANOS) {
            draw(now);
        }
    }

    /**
     * Erases the bar, leaving the cursor at the start of an empty line; later updates draw
     * nothing. Safe to call more than once and from another thread (a shutdown hook on Ctrl-C,
     * so that the shell's prompt does not appear after a half-drawn bar).
     */
    @Override
    public synchronized void close() {
        closed = true;
        if (visible) {
            err.print(ERASE_LINE);
            err.flush();
            visible = false;
        }
    }

    private void draw(long now) {
        err.print("\r" + render(label, done, total, (now - startNanos) / 1e9, columns) + "\033[K");
        err.flush();
        lastDrawNanos = now;
        visible = true;
    }

    /**
     * The text of the bar at one moment.
     *
     * @param label what is progressing
     * @param done the steps finished
     * @param total the steps of the run
     * @param elapsedSeconds the time since the start
     * @param columns the width to fit in
     * @return one line, shorter than {@code columns}, for example
     *     {@code "training  50% [=======>       ]   50/100    50.0 steps/s     0:01 left"}
     */
    public static String render(String label, int done, int total, double elapsedSeconds, int columns) {
        int percent = (int) (100L * done / total);
        String counts = PythonFormat.rightAligned(done, Integer.toString(total).length()) + "/" + total;
        String speed;
        String left;
        if (done > 0 && elapsedSeconds > 0) {
            double rate = done / elapsedSeconds;
            speed = String.format(Locale.ROOT, "%6.1f steps/s", rate);
            left = duration((long) Math.ceil((total - done) / rate));
        } else {
            speed = "     - steps/s";
            left = "-:--";
        }
        // Fixed-width fields keep the bar from changing length as the numbers change.
        left = " ".repeat(Math.max(0, 7 - left.length())) + left + " left";
        String head = label + " " + PythonFormat.rightAligned(percent, 3) + "% [";
        String tail = "]  " + counts + "  " + speed + "  " + left;
        int width = Math.max(10, Math.min(40, columns - 1 - head.length() - tail.length()));
        int filled = (int) ((long) width * done / total);
        StringBuilder bar = new StringBuilder(width);
        bar.append("=".repeat(filled));
        if (filled < width) {
            bar.append(done > 0 ? ">" : " ");
            bar.append(" ".repeat(width - filled - 1));
        }
        String line = head + bar + tail;
        return line.length() < columns ? line : line.substring(0, Math.max(0, columns - 1));
    }

    /**
     * A number of seconds as {@code m:ss}, or {@code h:mm:ss} from an hour on.
     *
     * @param seconds not negative
     * @return for example {@code "1:05"} or {@code "2:00:00"}
     */
    public static String duration(long seconds) {
        long h = seconds / 3600;
        long m = seconds / 60 % 60;
        long s = seconds % 60;
        return h > 0 ? String.format(Locale.ROOT, "%d:%02d:%02d", h, m, s)
                : String.format(Locale.ROOT, "%d:%02d", m, s);
    }
}
