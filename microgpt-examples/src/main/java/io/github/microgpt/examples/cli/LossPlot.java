package io.github.microgpt.examples.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A loss curve as a self-contained SVG picture: each run's loss per step (faint) and smoothed
 * (bold), and the loss of a uniform guess, {@code -log(1/V) = log V}, as a dashed line: a model
 * that has learned nothing sits on it, and every bit of learning shows as distance below it.
 *
 * <p>The smoothed curve is the mean of a centred window of steps (a twentieth of the run, at
 * least one step), so it neither lags behind the raw curve nor invents values past its ends.
 */
final class LossPlot {

    /**
     * One run's losses.
     *
     * @param name the run's name, for the legend
     * @param firstStep the step number of {@code losses[0]}, from 1
     * @param losses the loss of each step, in order
     */
    record Series(String name, int firstStep, double[] losses) {
    }

    private static final String[] COLOURS = {"#1f5fa8", "#c2501d"};
    private static final int WIDTH = 800;
    private static final int HEIGHT = 420;
    private static final int LEFT = 60;
    private static final int RIGHT = 20;
    private static final int TOP = 40;
    private static final int BOTTOM = 50;

    private LossPlot() {
    }

    /**
     * Draws the curves.
     *
     * @param title the line at the top
     * @param series one or two runs, each with at least one loss, all finite
     * @param vocabSize the vocabulary size, for the uniform-guess line
     * @return the SVG document
     */
    static String svg(String title, List<Series> series, int vocabSize) {
        double uniform = -Math.log(1.0 / vocabSize);
        int firstStep = Integer.MAX_VALUE;
        int lastStep = 0;
        double lo = uniform;
        double hi = uniform;
        for (Series s : series) {
            firstStep = Math.min(firstStep, s.firstStep());
            lastStep = Math.max(lastStep, s.firstStep() + s.losses().length - 1);
            for (double loss : s.losses()) {
                lo = Math.min(lo, loss);
                hi = Math.max(hi, loss);
            }
        }
        lo = Math.max(0, Math.floor(lo * 2) / 2);
        hi = Math.ceil(hi * 2) / 2;
        if (hi <= lo) {
            hi = lo + 0.5;
        }
        Scale x = new Scale(firstStep, Math.max(lastStep, firstStep + 1), LEFT, WIDTH - RIGHT);
        Scale y = new Scale(lo, hi, HEIGHT - BOTTOM, TOP);

        StringBuilder svg = new StringBuilder();
        svg.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(WIDTH).append("\" height=\"")
                .append(HEIGHT).append("\" viewBox=\"0 0 ").append(WIDTH).append(' ').append(HEIGHT)
                .append("\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">\n");
        svg.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        svg.append("<text x=\"").append(LEFT).append("\" y=\"24\" font-size=\"15\" font-weight=\"bold\">")
                .append(xml(title)).append("</text>\n");
        // Grid and axes.
        for (double tick = lo; tick <= hi + 1e-9; tick += 0.5) {
            double ty = y.map(tick);
            svg.append("<line x1=\"").append(LEFT).append("\" y1=\"").append(f(ty)).append("\" x2=\"")
                    .append(WIDTH - RIGHT).append("\" y2=\"").append(f(ty)).append("\" stroke=\"#eeeeee\"/>");
            svg.append("<text x=\"").append(LEFT - 6).append("\" y=\"").append(f(ty + 4))
                    .append("\" text-anchor=\"end\">").append(String.format(Locale.ROOT, "%.1f", tick)).append("</text>\n");
        }
        for (int step : stepTicks(firstStep, lastStep)) {
            double tx = x.map(step);
            svg.append("<text x=\"").append(f(tx)).append("\" y=\"").append(HEIGHT - BOTTOM + 18)
                    .append("\" text-anchor=\"middle\">").append(step).append("</text>\n");
        }
        svg.append("<line x1=\"").append(LEFT).append("\" y1=\"").append(HEIGHT - BOTTOM).append("\" x2=\"")
                .append(WIDTH - RIGHT).append("\" y2=\"").append(HEIGHT - BOTTOM).append("\" stroke=\"#333333\"/>\n");
        svg.append("<line x1=\"").append(LEFT).append("\" y1=\"").append(TOP).append("\" x2=\"").append(LEFT)
                .append("\" y2=\"").append(HEIGHT - BOTTOM).append("\" stroke=\"#333333\"/>\n");
        svg.append("<text x=\"").append((LEFT + WIDTH - RIGHT) / 2).append("\" y=\"").append(HEIGHT - 12)
                .append("\" text-anchor=\"middle\">step</text>\n");
        svg.append("<text x=\"16\" y=\"").append((TOP + HEIGHT - BOTTOM) / 2).append("\" text-anchor=\"middle\" ")
                .append("transform=\"rotate(-90 16 ").append((TOP + HEIGHT - BOTTOM) / 2).append(")\">loss</text>\n");
        // The uniform guess.
        double uy = y.map(uniform);
        svg.append("<line x1=\"").append(LEFT).append("\" y1=\"").append(f(uy)).append("\" x2=\"")
                .append(WIDTH - RIGHT).append("\" y2=\"").append(f(uy))
                .append("\" stroke=\"#777777\" stroke-dasharray=\"6 4\"/>");
        svg.append("<text x=\"").append(WIDTH - RIGHT - 4).append("\" y=\"").append(f(uy - 5))
                .append("\" text-anchor=\"end\" fill=\"#555555\">uniform guess: -log(1/").append(vocabSize)
                .append(") = ").append(String.format(Locale.ROOT, "%.4f", uniform)).append("</text>\n");
        // The curves, raw then smoothed, and the legend.
        for (int i = 0; i < series.size(); i++) {
            Series s = series.get(i);
            String colour = COLOURS[i % COLOURS.length];
            svg.append("<polyline fill=\"none\" stroke=\"").append(colour).append("\" stroke-opacity=\"0.3\" points=\"")
                    .append(points(s.firstStep(), s.losses(), x, y)).append("\"/>\n");
            svg.append("<polyline fill=\"none\" stroke=\"").append(colour).append("\" stroke-width=\"2\" points=\"")
                    .append(points(s.firstStep(), smoothed(s.losses()), x, y)).append("\"/>\n");
            double last = s.losses()[s.losses().length - 1];
            int ly = TOP + 16 + 18 * i;
            svg.append("<line x1=\"").append(WIDTH - RIGHT - 250).append("\" y1=\"").append(ly - 4).append("\" x2=\"")
                    .append(WIDTH - RIGHT - 226).append("\" y2=\"").append(ly - 4).append("\" stroke=\"").append(colour)
                    .append("\" stroke-width=\"2\"/>");
            svg.append("<text x=\"").append(WIDTH - RIGHT - 220).append("\" y=\"").append(ly).append("\">")
                    .append(xml(s.name())).append(String.format(Locale.ROOT, " (last %.4f)", last)).append("</text>\n");
        }
        svg.append("</svg>\n");
        return svg.toString();
    }

    /** The centred moving average: each step the mean of the steps within half a window of it. */
    static double[] smoothed(double[] losses) {
        int half = Math.max(0, losses.length / 40);
        // Each window's sum from running totals (prefix[i] = the sum of the first i losses): the
        // window grows with the run, so summing each one anew took time quadratic in the steps
        // (hours for a run of millions). The two ways differ only in the last bits of a mean.
        double[] prefix = new double[losses.length + 1];
        for (int i = 0; i < losses.length; i++) {
            prefix[i + 1] = prefix[i] + losses[i];
        }
        double[] out = new double[losses.length];
        for (int i = 0; i < losses.length; i++) {
            int from = Math.max(0, i - half);
            int to = Math.min(losses.length - 1, i + half);
            out[i] = (prefix[to + 1] - prefix[from]) / (to - from + 1);
        }
        return out;
    }

    /**
     * The polyline's points: one per step while there are at most two per pixel column of the
     * plot; for a longer run, per column the lowest and the highest value of its steps, in step
     * order. A run of millions of steps drawn point by point made a picture of hundreds of
     * megabytes that no viewer opens, yet the eye sees no more than each column's span; with the
     * two extremes of every column the picture looks the same (every spike still reaches its
     * height) and stays under a hundred kilobytes whatever the run's length.
     */
    static String points(int firstStep, double[] values, Scale x, Scale y) {
        int columns = WIDTH - LEFT - RIGHT;
        StringBuilder points = new StringBuilder();
        if (values.length <= 2 * columns) {
            for (int i = 0; i < values.length; i++) {
                point(points, firstStep + i, values[i], x, y);
            }
            return points.toString();
        }
        for (int c = 0; c < columns; c++) {
            int from = (int) ((long) values.length * c / columns);
            int to = (int) ((long) values.length * (c + 1) / columns);
            int lowest = from;
            int highest = from;
            for (int i = from + 1; i < to; i++) {
                if (values[i] < values[lowest]) {
                    lowest = i;
                }
                if (values[i] > values[highest]) {
                    highest = i;
                }
            }
            int first = Math.min(lowest, highest);
            int second = Math.max(lowest, highest);
            point(points, firstStep + first, values[first], x, y);
            if (second != first) {
                point(points, firstStep + second, values[second], x, y);
            }
        }
        return points.toString();
    }

    private static void point(StringBuilder points, int step, double value, Scale x, Scale y) {
        if (points.length() > 0) {
            points.append(' ');
        }
        points.append(f(x.map(step))).append(',').append(f(y.map(value)));
    }

    private static List<Integer> stepTicks(int first, int last) {
        int span = Math.max(1, last - first);
        // The smallest of 1, 2, 5, 10, 20, 50, ... that gives at most ten ticks.
        int step = 1;
        for (int i = 0; span / step > 10; i++) {
            step = (int) Math.pow(10, i / 3) * new int[] {2, 5, 10}[i % 3];
        }
        List<Integer> ticks = new ArrayList<>();
        ticks.add(first);
        for (int t = (first / step + 1) * step; t < last; t += step) {
            if (t - first >= step / 2) {
                ticks.add(t);
            }
        }
        if (last > first) {
            ticks.add(last);
        }
        return ticks;
    }

    /** A linear map from data to picture coordinates. */
    record Scale(double from, double to, double pixelFrom, double pixelTo) {
        double map(double v) {
            return pixelFrom + (v - from) / (to - from) * (pixelTo - pixelFrom);
        }
    }

    private static String f(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }

    /**
     * Text for the picture, in XML: markup characters as entities, and what XML 1.0 may not hold
     * at all (control characters, even as {@code &#1;}; a lone surrogate; U+FFFE and U+FFFF)
     * written visibly or replaced, since a name that held one made a file no viewer would open.
     */
    private static String xml(String text) {
        StringBuilder legal = new StringBuilder(text.length());
        String visible = Terminals.escapeControls(text);
        for (int i = 0; i < visible.length(); i++) {
            char c = visible.charAt(i);
            boolean paired = Character.isHighSurrogate(c) && i + 1 < visible.length()
                    && Character.isLowSurrogate(visible.charAt(i + 1));
            if (paired) {
                legal.append(c).append(visible.charAt(++i));
            } else {
                legal.append(Character.isSurrogate(c) || c == '\uFFFE' || c == '\uFFFF' ? '\uFFFD' : c);
            }
        }
        return legal.toString().replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
