package io.github.microgpt.examples;

import io.github.microgpt.checkpoint.SaveLock;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Another process saving into a checkpoint directory, for the tests of what a second saver is
 * told: a JVM of its own ({@link ThisJvm}) that takes the {@link SaveLock} of the directory named
 * by its argument, says {@code locked} on stdout, and holds the lock until its stdin closes (as a
 * long {@code microgpt train --save DIR} holds it through its run).
 */
public final class SaveLockHolder {

    private SaveLockHolder() {
    }

    /**
     * Holds the lock of {@code args[0]} until stdin closes.
     *
     * @param args the checkpoint directory
     * @throws IOException if the lock cannot be taken
     */
    @SuppressWarnings("try")   // the lock is held through the try's body, which need not name it
    public static void main(String[] args) throws IOException {
        try (SaveLock lock = SaveLock.acquire(Path.of(args[0]))) {
            System.out.println("locked");
            System.out.flush();
            new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        }
    }

    /**
     * Starts a holder of the lock of {@code directory} and returns once it holds it.
     *
     * @param directory the checkpoint directory
     * @return the process; close its stdin (or destroy it) to release the lock
     * @throws IOException if it cannot be started or did not take the lock
     */
    public static Process start(Path directory) throws IOException {
        Process holder = new ProcessBuilder(ThisJvm.command(SaveLockHolder.class.getName(), directory.toString()))
                .redirectErrorStream(true).start();
        String first = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8))
                .readLine();
        if (!"locked".equals(first)) {
            holder.destroyForcibly();
            throw new IOException("the lock holder said " + first + " instead of \"locked\"");
        }
        return holder;
    }

    /**
     * Releases the lock: closes the holder's stdin and waits for it to end.
     *
     * @param holder a process from {@link #start}
     * @throws InterruptedException if interrupted while waiting
     */
    public static void release(Process holder) throws InterruptedException {
        try {
            holder.getOutputStream().close();
        } catch (IOException e) {
            // Gone already.
        }
        if (!holder.waitFor(60, TimeUnit.SECONDS)) {
            holder.destroyForcibly();
        }
    }
}
