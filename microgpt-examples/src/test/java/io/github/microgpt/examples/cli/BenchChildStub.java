package io.github.microgpt.examples.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A child JVM gone wrong, started by {@code BenchChildTest} in place of a {@link BenchChild}, so
 * that the test sees the bench end such a child rather than wait for it. Its first argument says
 * how it goes wrong:
 * <ul>
 * <li>{@code mute}: says nothing at all, not even that it is ready;
 * <li>{@code stuck PID_FILE}: starts a JVM of its own ({@code sleep}), writes that JVM's process id
 *     to {@code PID_FILE}, says it is ready, and then answers no request;
 * <li>{@code endless}: says it is ready, and answers the first request with a line that never ends;
 * <li>{@code noisy}: writes 20,000 numbered lines to stderr, {@code noise 0} to {@code noise 19999},
 *     and ends with exit code 1 before it is ready;
 * <li>{@code sleep}: sleeps (a descendant the bench must end with its parent).
 * </ul>
 * Each sleeps at most five minutes, so that a test that fails leaves nothing running for long.
 */
final class BenchChildStub {

    private static final long MOST_MILLIS = TimeUnit.MINUTES.toMillis(5);

    /** The lines {@code noisy} writes to stderr. */
    static final int NOISY_LINES = 20_000;

    private BenchChildStub() {
    }

    /**
     * Goes wrong as {@code args[0]} says.
     *
     * @param args the way, and its file for {@code stuck}
     * @throws Exception never, in practice: a stub that fails is a test that fails
     */
    public static void main(String[] args) throws Exception {
        PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
        switch (args[0]) {
            case "mute", "sleep" -> Thread.sleep(MOST_MILLIS);
            case "stuck" -> {
                Process sleeper = new ProcessBuilder(javaCommand("sleep")).start();
                Files.writeString(Path.of(args[1]), Long.toString(sleeper.pid()));
                say(out, "ready AFTER_BACKWARD_PASS");
                readRequests();
            }
            case "endless" -> {
                say(out, "ready AFTER_BACKWARD_PASS");
                new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
                out.print(BenchChild.ANSWER + "done ");
                long end = System.currentTimeMillis() + MOST_MILLIS;
                String chunk = "x".repeat(8192);
                while (!out.checkError() && System.currentTimeMillis() < end) {
                    out.print(chunk);
                }
            }
            case "noisy" -> {
                for (int i = 0; i < NOISY_LINES; i++) {
                    System.err.println("noise " + i);
                }
                System.exit(1);
            }
            default -> throw new IllegalArgumentException(args[0]);
        }
    }

    /** The command line of a stub JVM going wrong in {@code way}, with this JVM's class path. */
    static List<String> javaCommand(String... way) {
        List<String> command = new java.util.ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), BenchChildStub.class.getName()));
        command.addAll(List.of(way));
        return command;
    }

    private static void say(PrintStream out, String answer) {
        out.print(BenchChild.ANSWER + answer + "\n");
        out.flush();
    }

    /** Reads requests and answers none, until the end of its input or five minutes. */
    private static void readRequests() throws IOException, InterruptedException {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        while (in.readLine() != null) {
            // Heard, never answered.
        }
        Thread.sleep(MOST_MILLIS);
    }
}
