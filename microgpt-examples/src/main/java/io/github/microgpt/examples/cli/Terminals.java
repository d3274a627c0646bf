package io.github.microgpt.examples.cli;

import io.github.microgpt.text.VisibleText;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Finds out whether a file descriptor of this process is a terminal, on Linux.
 *
 * <p>Java has no direct "isatty" for stderr: {@code System.console()} only looks at stdin and
 * stdout, and since JDK 22 it is not even {@code null} when they are redirected. Linux shows each
 * open descriptor of a process as a symbolic link {@code /proc/self/fd/N} whose target says what
 * it is: {@code /dev/pts/3} or {@code /dev/tty1} for a terminal, {@code pipe:[1234]} for a pipe,
 * a path for a file. Reading that link is cheap, needs no native code, and cannot hang.
 *
 * <p>On systems without {@code /proc} (macOS, Windows) every descriptor is reported as "not a
 * terminal", so the progress bar stays off there unless {@code MICROGPT_PROGRESS=always}.
 *
 * <p>It also knows which characters must not reach a terminal's line as they are
 * ({@link #disturbsALine}), and escapes them ({@link #escapeControls}).
 */
public final class Terminals {

    private Terminals() {
    }

    /**
     * The terminal device a file descriptor of this process is connected to.
     *
     * @param fd a file descriptor: 0 stdin, 1 stdout, 2 stderr
     * @return the device path (for example {@code /dev/pts/3}), or {@code null} if the descriptor
     *     is not a terminal or cannot be inspected
     */
    public static String deviceOf(int fd) {
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
            return isTerminalDevice(target) ? target : null;
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return null;
        }
    }

    /**
     * Whether the target of a {@code /proc/self/fd} link names a terminal device: a
     * pseudo-terminal ({@code /dev/pts/N}, what terminal windows, ssh, tmux and {@code script}
     * give), a virtual console or serial line ({@code /dev/ttyN}, {@code /dev/ttyS0}), or the
     * controlling terminal ({@code /dev/tty}, {@code /dev/console}).
     *
     * @param linkTarget the link's target, for example {@code /dev/pts/0} or {@code pipe:[42]}
     * @return true for a terminal device
     */
    public static boolean isTerminalDevice(String linkTarget) {
        return linkTarget.startsWith("/dev/pts/")
                || linkTarget.startsWith("/dev/tty")
                || linkTarget.equals("/dev/console");
    }

    /**
     * Whether a character must not reach a line of output as it is: a control character (a line
     * break, a tab, NUL, the escape that starts a terminal's sequences to retitle the window or
     * recolour its text, a C1 control such as U+0085 NEXT LINE), one of the two Unicode line and
     * paragraph separators (U+2028, U+2029), or a bidirectional control (the marks, embeddings,
     * overrides and isolates U+061C, U+200E, U+200F, U+202A to U+202E, U+2066 to U+2069), which
     * reorders how the rest of the line is shown: a file named "ev", U+202E, "lit.txt" shows as
     * another name. What the user or a file chose is refused or escaped where it holds one.
     *
     * @param c the character
     * @return true if it breaks a line, drives the terminal or reorders the line
     */
    public static boolean disturbsALine(char c) {
        return Character.isISOControl(c) || c == 0x2028 || c == 0x2029 || isBidiControl(c);
    }

    /** Unicode's Bidi_Control characters: the marks, embeddings, overrides and isolates. */
    private static boolean isBidiControl(char c) {
        return c == 0x061C || c == 0x200E || c == 0x200F || c >= 0x202A && c <= 0x202E || c >= 0x2066 && c <= 0x2069;
    }

    /**
     * A text with every character that {@link #disturbsALine} written as a Java escape (a
     * backslash, u and four hexadecimal digits: 001B for an escape, 202E for a right-to-left
     * override): for text that a file or the user chose (a checkpoint's data name, a file name),
     * which must neither break a line of the output, nor reach the terminal as an escape sequence
     * that retitles the window or recolours it, nor reorder what the line shows.
     *
     * @param text the text
     * @return the text, printable on one line as it reads
     */
    public static String escapeControls(String text) {
        // VisibleText's one rule of escapes, applied to the narrower set a line must not hold.
        return VisibleText.escapeWhere(text, c -> c <= Character.MAX_VALUE && disturbsALine((char) c));
    }
}
