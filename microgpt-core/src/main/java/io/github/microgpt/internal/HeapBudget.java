package io.github.microgpt.internal;

/**
 * The library's one rule for refusing an allocation that the Java heap cannot hold: anything
 * that would take more than half of the heap's limit ({@link Runtime#maxMemory()}) is refused
 * at once with a message naming the sizes, rather than failing with an
 * {@link OutOfMemoryError} halfway through (or, for a growing list, minutes later). Half, because
 * what is allocated is rarely alone: a model's weights sit next to their gradients, the
 * optimizer's moments next to both. The checkpoint loader, the optimizer and the sampler all
 * ask here, so that they agree on where "too large" starts.
 */
public final class HeapBudget {

    private HeapBudget() {
    }

    /**
     * Whether an allocation fits the budget.
     *
     * @param bytes how many bytes it would take; a negative count (an overflowed product) does
     *     not fit
     * @return true if {@code 0 <= bytes <= maxMemory / 2}
     */
    public static boolean fits(long bytes) {
        return fits(bytes, Runtime.getRuntime().maxMemory());
    }

    /**
     * Whether an allocation fits the budget of a heap with the given limit: what a caller's test
     * asks, so that it checks the refusal whatever heap its JVM was given.
     *
     * @param bytes how many bytes it would take; a negative count does not fit
     * @param heapLimit the heap's limit in bytes, as {@link Runtime#maxMemory()} gives it
     * @return true if {@code 0 <= bytes <= heapLimit / 2}
     */
    public static boolean fits(long bytes, long heapLimit) {
        return bytes >= 0 && bytes <= heapLimit / 2;
    }

    /**
     * The sentence that refuses an allocation, for the caller's exception.
     *
     * @param what what would be allocated, such as {@code "the moments of 3000000000 parameters"}
     * @param bytes how many bytes it would take
     * @return for example {@code "the moments of ... would take 48000000000 bytes of memory, more
     *     than half of the 4294967296 bytes this Java heap may use"}
     */
    public static String refusal(String what, long bytes) {
        return refusal(what, bytes, Runtime.getRuntime().maxMemory());
    }

    /**
     * {@link #refusal(String, long)} for a heap with the given limit.
     *
     * @param what what would be allocated
     * @param bytes how many bytes it would take
     * @param heapLimit the heap's limit in bytes
     * @return the sentence
     */
    public static String refusal(String what, long bytes, long heapLimit) {
        return what + " would take " + (bytes < 0 ? "more than " + Long.MAX_VALUE : String.valueOf(bytes))
                + " bytes of memory, more than half of the " + heapLimit + " bytes this Java heap may use";
    }

    /**
     * Refuses a model whose weights and gradients alone could not fit, before any of it is
     * allocated: filling a too-large model took up to a minute before the
     * {@link OutOfMemoryError} (for the {@code Value} engine, tens of millions of objects).
     *
     * @param model what is created, for the message, such as {@code "a GptModel"}
     * @param parameters how many parameters it has
     * @param bytesEach the least memory a parameter takes in that engine
     * @param heapLimit the heap's limit in bytes, as {@link Runtime#maxMemory()} gives it
     * @throws IllegalArgumentException if they would take more than half of {@code heapLimit}
     */
    public static void checkModel(String model, long parameters, int bytesEach, long heapLimit) {
        checkModel(model, parameters, bytesEach, heapLimit, "a smaller nEmbd, nLayer or blockSize");
    }

    /**
     * {@link #checkModel(String, long, int, long)} for a model whose size depends on other
     * settings: a bigram's table grows with the vocabulary only, an MLP's with {@code nEmbd}.
     *
     * @param model what is created, for the message, such as {@code "a BigramModel"}
     * @param parameters how many parameters it has
     * @param bytesEach the least memory a parameter takes in that engine
     * @param heapLimit the heap's limit in bytes, as {@link Runtime#maxMemory()} gives it
     * @param smaller what to choose to make it smaller, such as {@code "a smaller nEmbd"}
     * @throws IllegalArgumentException if they would take more than half of {@code heapLimit}
     */
    public static void checkModel(String model, long parameters, int bytesEach, long heapLimit, String smaller) {
        long bytes = Math.multiplyHigh(parameters, bytesEach) != 0 ? -1 : parameters * bytesEach;
        if (!fits(bytes, heapLimit)) {
            throw new IllegalArgumentException(refusal(model + " of " + parameters + " parameters (at least "
                    + bytesEach + " bytes each for its weights and gradients)", bytes, heapLimit)
                    + "; choose " + smaller + ", or give Java more memory (for example -Xmx8g)");
        }
    }
}
