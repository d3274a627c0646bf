package io.github.microgpt.checkpoint;

import io.github.microgpt.internal.HeapBudget;
import java.nio.file.Path;

/**
 * The last guard before a loader allocates what a file asks for. Every length read from a file is
 * first bounded by the model its {@code config.json} describes; but a configuration may itself
 * describe a model far larger than this JVM can hold. Rather than die with an
 * {@link OutOfMemoryError} halfway through, a load that would need more than half of the heap's
 * limit is refused at once, naming the file and the sizes ({@link HeapBudget}, the rule the
 * optimizer and the sampler follow too).
 */
final class MemoryBudget {

    private MemoryBudget() {
    }

    /**
     * Refuses an allocation that cannot fit.
     *
     * @param file the file asking for it
     * @param what what would be allocated, for the message
     * @param bytes how many bytes
     * @throws CheckpointException if {@code bytes} is more than half of the largest heap
     */
    static void check(Path file, String what, long bytes) throws CheckpointException {
        if (!HeapBudget.fits(bytes)) {
            throw new CheckpointException(file, HeapBudget.refusal(what, bytes) + " (give Java more memory, for "
                    + "example -Xmx8g, if the file is what you expect)");
        }
    }
}
