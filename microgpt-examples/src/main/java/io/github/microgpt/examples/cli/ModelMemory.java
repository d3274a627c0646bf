package io.github.microgpt.examples.cli;

import io.github.microgpt.model.Engine;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.Precision;
import java.util.Locale;

/**
 * How much memory a model will need at least, judged from its size before it is built, so that a
 * model far too large for the heap is refused at once rather than after a minute of allocating
 * and an {@link OutOfMemoryError}.
 *
 * <p>The figures are lower bounds, so that a run that fits is never refused: the array engine
 * keeps four numbers per parameter (weight, gradient, Adam's two moments); the value engine keeps
 * a {@code Value} per parameter and, in every step, a graph that uses each parameter of a GPT at
 * each position of the document. Measured with {@code train --data} on two 16-letter names
 * (16 positions, width 16) and the smallest {@code -Xmx} that ran two steps: 20 layers (62,000
 * parameters) needed 48-64 MB, 40 layers 96-128 MB, 80 layers (247,000) 192-224 MB, that is
 * 49-57 bytes per parameter and position; the estimate takes 44 per position and 64 for the
 * parameter itself (80 layers: 190 MB). Being a lower bound, it lets a model at the edge
 * through (3000 layers on the embedded names: 6.27 GB estimated against a 6.32 GB heap; it ran
 * out of memory after four minutes): it catches the models that are far too large.
 * (The checkpoint loader has its own such check, on the sizes a file declares.)
 *
 * <p>The array engine also keeps a workspace that grows with the block size, not with the
 * document: its training workspace is allocated for {@code --block-size} positions whatever the
 * documents' length. {@link #arrayWorkspaceBytes} counts its number arrays, and nothing else
 * (not their headers, nor the arrays of rows that hold them): each layer's activations and their
 * gradients at each position, {@code 33 L C + 5 C + 3 V} numbers, and each head's attention
 * weights of each position over every position, {@code L NH T²}. At a block size of 10,000 that
 * is 3.3 GB, which ran in a 6.3 GB heap; at 30,000 in f32 it is 14 GB, which ran out of memory
 * after 12 s; at 10,000,000 it is 3.2 PB, which ran out after a minute.
 */
final class ModelMemory {

    /** Bytes per parameter of the value engine that do not depend on the document: its Value, Adam's moments. */
    static final long VALUE_BYTES_PER_PARAMETER = 64;
    /** Bytes per parameter and position of the value engine's graph of one step. */
    static final long VALUE_BYTES_PER_PARAMETER_AND_POSITION = 44;

    private ModelMemory() {
    }

    /**
     * The least memory of the array engine's training workspace (see the class comment): the
     * activations and their gradients at each of the block's positions, and the attention weights
     * of each layer and head, position by position. The value engine has no workspace: its graph
     * of a step is counted by {@link #bytes}.
     *
     * @param precision the array engine's precision: 8 bytes a number in f64, 4 in f32
     * @param config the model's shape; its block size is the workspace's number of positions
     * @param vocabSize the number of tokens, the width of the logits
     * @return the bytes, saturated at {@link Long#MAX_VALUE}
     */
    static long arrayWorkspaceBytes(Precision precision, GptConfig config, int vocabSize) {
        long layers = config.nLayer();
        long width = config.nEmbd();
        long positions = config.blockSize();
        // Forward: encoded, residual[L + 1], ten (T, C) or (T, 4C) buffers a layer (18 C in all),
        // logits and probs; backward: dEncoded, dStream, valuesT, seven buffers a layer (14 C), dLogits.
        long perPosition = 33 * layers * width + 5 * width + 3L * vocabSize;
        long attention = saturatedProduct(saturatedProduct(layers * config.nHead(), positions), positions);
        long numbers = saturatedSum(saturatedProduct(positions, perPosition), attention);
        return saturatedProduct(numbers, precision == Precision.F64 ? Double.BYTES : Float.BYTES);
    }

    /**
     * The least memory a model will need in training.
     *
     * @param engine the engine
     * @param precision the array engine's precision (the value engine computes in f64)
     * @param parameters the number of parameters
     * @param positions the most positions a step trains
     * @param everyParameterEveryPosition whether a step uses every parameter at every position (a
     *     GPT or an attention block does; a bigram's table or an MLP's embeddings are read a row
     *     at a time)
     * @return the bytes
     */
    static long bytes(Engine engine, Precision precision, long parameters, int positions,
                      boolean everyParameterEveryPosition) {
        if (engine == Engine.ARRAY) {
            long perParameter = precision == Precision.F64 ? 4 * Double.BYTES : 4 * Float.BYTES;
            return saturatedProduct(parameters, perParameter);
        }
        long perParameter = VALUE_BYTES_PER_PARAMETER
                + (everyParameterEveryPosition ? VALUE_BYTES_PER_PARAMETER_AND_POSITION * positions : 0);
        return saturatedProduct(parameters, perParameter);
    }

    /**
     * Refuses a model that needs more than the heap can hold.
     *
     * @param model what is built, for the message, such as {@code "the gpt model (4192 parameters)"}
     * @param bytes the least it needs, from {@link #bytes}
     * @param why what the bytes hold, for the message
     * @param smaller how to make the model smaller, for the message
     * @param limit the heap's limit, {@link Runtime#maxMemory()}
     * @throws UsageException if {@code bytes > limit}
     */
    static void check(String model, long bytes, String why, String smaller, long limit) {
        if (bytes > limit) {
            throw new UsageException(model + " would need at least " + bytes + " bytes of memory, " + gib(bytes)
                    + " (" + why + "), more than the " + limit + " bytes (" + gib(limit)
                    + ") this Java heap may use; " + smaller
                    + ", or give Java more memory (for example JAVA_OPTS=-Xmx16g for ./microgpt)");
        }
    }

    /** {@link #check} against this JVM's heap. */
    static void check(String model, long bytes, String why, String smaller) {
        check(model, bytes, why, smaller, Runtime.getRuntime().maxMemory());
    }

    /**
     * What the bytes of {@link #bytes} and, on the array engine, {@link #arrayWorkspaceBytes}
     * hold, in words.
     *
     * @param engine the engine
     * @param positions on the value engine, the most positions a step trains; on the array engine,
     *     the block size, for which its workspace is made
     * @param everyParameterEveryPosition as for {@link #bytes}
     * @return the words, for {@link #check}'s message
     */
    static String why(Engine engine, int positions, boolean everyParameterEveryPosition) {
        if (engine == Engine.ARRAY) {
            return "on the array engine: weights, gradients and Adam's two moments, and a workspace for a block of "
                    + positions + " positions: each layer's activations and their gradients at every position, and"
                    + " each head's attention weights over " + positions + " x " + positions + " positions";
        }
        return everyParameterEveryPosition
                ? "on the value engine, whose graph of a step holds every parameter at each of its " + positions
                        + " positions"
                : "on the value engine: a Value per parameter and Adam's moments";
    }

    /** A number of bytes in GiB for a reader, such as {@code "3.2 GiB"}. */
    static String gib(long bytes) {
        return String.format(Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30));
    }

    /** {@code a + b} of two non-negative numbers, or {@link Long#MAX_VALUE} if it would overflow. */
    static long saturatedSum(long a, long b) {
        return a > Long.MAX_VALUE - b ? Long.MAX_VALUE : a + b;
    }

    private static long saturatedProduct(long a, long b) {
        return b != 0 && a > Long.MAX_VALUE / b ? Long.MAX_VALUE : a * b;
    }
}
