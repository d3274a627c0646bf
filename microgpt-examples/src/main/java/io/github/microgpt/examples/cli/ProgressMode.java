package io.github.microgpt.examples.cli;

import java.util.Locale;

/**
 * When to draw a progress bar on stderr, as set by the environment variable
 * {@value #VARIABLE}.
 */
public enum ProgressMode {
    /**
     * Draw it only when stderr is a terminal (the default): a person is watching. Not on a
     * terminal that says it is dumb ({@code TERM=dumb}, as Emacs' shell buffers and some editors'
     * consoles do): the bar erases itself with an ANSI escape, which such a terminal shows as
     * {@code ^[[K} after every redraw.
     */
    AUTO,
    /** Always draw it, even into a file or a pipe (it is made of carriage returns). */
    ALWAYS,
    /** Never draw it. */
    NEVER;

    /** The environment variable that chooses the mode. */
    public static final String VARIABLE = "MICROGPT_PROGRESS";

    /**
     * The mode the environment asks for.
     *
     * @param context the command's context
     * @return {@link #AUTO} if {@value #VARIABLE} is unset or empty, else the mode it names
     *     (case-insensitive)
     * @throws UsageException if the variable holds anything else
     */
    public static ProgressMode fromEnvironment(CliContext context) {
        String value = context.getenv(VARIABLE);
        if (value == null || value.isBlank()) {
            return AUTO;
        }
        return switch (value.strip().toLowerCase(Locale.ROOT)) {
            case "auto" -> AUTO;
            case "always" -> ALWAYS;
            case "never" -> NEVER;
            default -> throw new UsageException("the environment variable " + VARIABLE + " must be auto, always or never, not '"
                    + value + "'");
        };
    }

    /**
     * Whether to draw a progress bar in this context.
     *
     * @param context the command's context
     * @return true for {@link #ALWAYS}, false for {@link #NEVER}, and for {@link #AUTO} whether
     *     stderr is a terminal that is not dumb ({@code TERM=dumb})
     */
    public boolean enabled(CliContext context) {
        return switch (this) {
            case AUTO -> context.stderrIsTerminal() && !"dumb".equals(context.getenv("TERM"));
            case ALWAYS -> true;
            case NEVER -> false;
        };
    }
}
