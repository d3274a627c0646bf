package io.github.microgpt.examples.cli;

import io.github.microgpt.internal.ValueGraphs;
import io.github.microgpt.internal.kernels.ArrayBytes;
import io.github.microgpt.internal.kernels.MatrixKernels;
import io.github.microgpt.model.Architecture;
import io.github.microgpt.model.ArrayKernels;
import io.github.microgpt.model.Engine;
import io.github.microgpt.model.GptConfig;
import io.github.microgpt.model.Precision;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.TreeMap;

/**
 * How much memory a model will need at least, judged from its size before it is built, so that a
 * model far too large for the heap is refused at once rather than after a minute of allocating
 * and an {@link OutOfMemoryError}.
 *
 * <p>The figures are lower bounds, so that a run that fits is never refused: the array engine
 * keeps four numbers per parameter (weight, gradient, Adam's two moments); the value engine keeps
 * a {@code Value} per parameter and, in every step, the graph of the longest document, counted
 * from the model's shape by the core's own count ({@code internal.ValueGraphs}, which the
 * library's models use to refuse such a step): every weight a position reads (not the
 * embeddings' other rows), and each pair of positions that attention joins, so that the graph
 * grows with the square of the document's length. (It took 44 bytes for every parameter at
 * every position, measured before the graph's sums of products were stored compactly: 80 layers,
 * which train under {@code -Xmx160m} (not under {@code -Xmx100m}), were refused there, and a
 * block size of 100,000 on 16-letter names, which runs in 256 MB, was said to need 1.1 GiB for
 * the unread rows of its position embeddings.) Being a lower bound, it lets a model at the edge through: it catches the
 * models that are far too large. (The checkpoint loader has its own such check, on the sizes a
 * file declares.)
 *
 * <p>The array engine also keeps a workspace that grows with the block size, not with the
 * document: its training workspace is allocated for {@code --block-size} positions whatever the
 * documents' length, and so is the key-value cache of every sequence it generates.
 * {@link #arrayWorkspaceBytes} and {@link #arrayGenerationBytes} count these exactly, array by
 * array as the core allocates them ({@code model/Workspace}, {@code FloatWorkspace} and the
 * threads' buffers of {@code Kernels.TransposeBlocks}), with each Java array's header and the
 * references of the arrays of rows, since at a width of 1 those cost more than the numbers. A
 * training workspace holds each layer's activations and their gradients at each position, about
 * {@code 36 L C + 5 C + 3 V} numbers, and each head's attention weights of each position over
 * every position, {@code L NH T²}. At a block size of 10,000 that is 3.3 GB, which ran in a 6.3
 * GB heap; at 30,000 in f32 it is 14 GB, which ran out of memory after 12 s; at 10,000,000 it is
 * 3.2 PB, which ran out after a minute. A generated sequence keeps the keys and values of every
 * position, {@code 4 L C T} numbers, and in f32, whose sequences use a whole forward workspace,
 * the attention weights too.
 *
 * <p>These layouts mirror the core's by hand; {@code ModelMemoryTest} walks the arrays a real
 * workspace holds after a step (on 1 to 4 threads) and checks the count against them, so that a
 * change of the core's layout fails that test rather than the check. The scratch of the optional
 * Vector API kernels is not mirrored: the module counts it itself ({@link #vectorScratchBytes}),
 * and {@code ModelMemoryVectorTest} checks that count against what a step's threads hold in their
 * thread-locals. Every count here takes an array's bytes from one rule ({@code ArrayBytes} in the
 * core's internal package), which the module's count uses too.
 *
 * <p>The one term that is not a lower bound: the Vector API kernels' scratch depends on the
 * documents' lengths, not only on the block size, and is counted for documents of every length up
 * to the block size (and for every thread taking a share of every product), the most a run can
 * keep. Counting the block's length alone was no lower bound either (a run of names shorter than
 * the block never reaches it, and shorter documents can keep more, up to 0.55 MB at
 * {@code nEmbd} 64). The difference is a small part of the whole: at most 0.02 of the estimate
 * at {@code nEmbd} 256 and 1024 (blocks of 64 to 5,000, one or two threads), and up to 0.19 only
 * for models of a few MB (6 December 2026): a run whose documents never take the shorter lengths
 * can be refused only when its estimate is within that fraction of the heap's limit.
 */
final class ModelMemory {

    /** Bytes per parameter of the value engine that do not depend on the document: its Value, Adam's moments. */
    static final long VALUE_BYTES_PER_PARAMETER = 64;

    private ModelMemory() {
    }

    /**
     * The memory of the array engine's training workspace, on one thread (see
     * {@link #arrayWorkspaceBytes(Precision, GptConfig, int, int)}).
     *
     * @param precision the array engine's precision: 8 bytes a number in f64, 4 in f32
     * @param config the model's shape; its block size is the workspace's number of positions
     * @param vocabSize the number of tokens, the width of the logits
     * @return the bytes, saturated at {@link Long#MAX_VALUE}
     */
    static long arrayWorkspaceBytes(Precision precision, GptConfig config, int vocabSize) {
        return arrayWorkspaceBytes(precision, config, vocabSize, 1);
    }

    /**
     * The memory of the array engine's training workspace once a step has run on {@code threads}
     * threads: the activations and their gradients at each of the block's positions, the
     * attention weights of each layer and head, position by position, the scratch of a
     * transposed weight matrix, and the threads' blocks of transposed weights (see
     * {@link #transposeBlocks}); when microgpt-vector's kernels run, also the scratch they keep
     * per thread ({@link #vectorScratchBytes}). The value engine has no workspace: its graph of a
     * step is counted by {@link #bytes}.
     *
     * @param precision the array engine's precision: 8 bytes a number in f64, 4 in f32
     * @param config the model's shape; its block size is the workspace's number of positions
     * @param vocabSize the number of tokens, the width of the logits
     * @param threads the threads of one step ({@code ArrayGptModel.setThreads}); at least 1
     * @return the bytes, saturated at {@link Long#MAX_VALUE}
     */
    static long arrayWorkspaceBytes(Precision precision, GptConfig config, int vocabSize, int threads) {
        Tally a = new Tally(precision);
        long l = config.nLayer();
        long t = config.blockSize();
        long c = config.nEmbd();
        long hidden = 4 * c;
        long nh = config.nHead();
        activations(a, config, vocabSize, false);
        // ensureGradients: dEncoded, dStream, five buffers a layer (dAttnNormed, dQkv, dAttnOut,
        // dMlpNormed, dMlpHidden, whose arrays are also dMlpActive's), dLogits, (f32) secondHalf,
        // valuesT, dAttnWeights (f64: one row of T, SmallAttention's scratch; f32: three rows a
        // head, for microgpt-vector's float attention).
        a.rows(t, c);
        a.rows(t, c);
        a.perLayer(l, t, c);
        a.perLayer(l, t, 3 * c);
        a.perLayer(l, t, c);
        a.perLayer(l, t, c);
        a.perLayer(l, t, hidden);
        a.rows(t, vocabSize);
        if (precision == Precision.F32) {
            // FloatWorkspace.secondHalf: the backward input product's second half of the weight rows
            // sums from zero there, so that each of two threads keeps to its own rows.
            a.rows(t, hidden);
        }
        a.rows(c, t);
        long headWidth = c / nh;
        if (precision == Precision.F32) {
            a.rows(3 * nh, Math.max(t + headWidth, saturatedProduct(t, headWidth)));
        } else {
            a.numbers(t);
        }
        // Kernels.AttentionRows (f64) or FloatKernels.AttentionRows: the slots, and each thread's
        // rows of one head, made by the core's attention loops (f64: for heads of any size but the
        // four channels of SmallAttention, with microgpt-vector too; f32: without it); a thread
        // takes one head at a time, so at most as many threads as heads.
        boolean attentionRows = precision == Precision.F32 ? !vectorKernels() : headWidth != 4;
        a.references(attentionRows ? threads : 1);
        if (attentionRows) {
            a.repeat(Math.min(threads, nh), () -> {
                a.repeat(5, () -> a.rows(t, headWidth));
                a.rows(t, t);
                a.references(t);
                a.numbers(headWidth);
            });
        }
        transposeBlocks(a, precision, config, vocabSize, threads);
        a.bytes = saturatedSum(a.bytes, coreSliceScratchBytes(precision, config, threads));
        if (vectorKernels()) {
            // weightsT(): a transposed weight matrix, which only microgpt-vector's kernels read.
            a.rows(hidden, Math.max(hidden, vocabSize));
            a.bytes = saturatedSum(a.bytes, vectorScratchBytes(precision, config, vocabSize, threads));
        }
        return a.bytes;
    }

    /**
     * The memory the core's f32 loops keep beside the workspace for a fused step (as
     * {@code train} runs it) on one or two threads ({@code FloatKernels.SliceScratch}, held by the
     * model): each thread sums a slice of a weights' gradient, {@code max(1, 4096 / cols)} rows of
     * the product's {@code cols} floats (at most 16 KB of numbers), in rows of its own before it
     * updates them, and keeps one such slice for each of the two widths a product's input has
     * ({@code nEmbd}, and {@code 4 * nEmbd} for {@code mlp_fc2}), with the array of the threads'
     * slots. Zero on more threads (the update then runs after each product) and when
     * microgpt-vector's kernels run (they keep their own, see {@link #vectorScratchBytes}). Not
     * counted: the core's f64 loops' scratch of the same kind ({@code Kernels.SliceScratch}, in
     * thread-locals: a slice per width on each thread and, on the calling thread, the second
     * half's sums of the input's gradient, about 0.6 MB at {@code nEmbd} 256 and 64 positions).
     *
     * @param precision the array engine's precision
     * @param config the model's shape
     * @param threads the threads of one step
     * @return the bytes, saturated at {@link Long#MAX_VALUE}
     */
    static long coreSliceScratchBytes(Precision precision, GptConfig config, int threads) {
        if (precision != Precision.F32 || vectorKernels() || threads > 2) {
            return 0;
        }
        // Each thread keeps one slice per width, and the array of its widths' slices.
        Tally perThread = new Tally(Precision.F32);
        long[] widths = {config.nEmbd(), 4L * config.nEmbd()};
        perThread.references(widths.length);
        for (long cols : widths) {
            perThread.rows(Math.max(1, CORE_SLICE_BYTES / Float.BYTES / cols), cols);
        }
        Tally all = new Tally(Precision.F32);
        all.references(threads);
        return saturatedSum(all.bytes, saturatedProduct(perThread.bytes, threads));
    }

    /** {@code FloatKernels.SLICE_BYTES}: the most bytes of numbers in a slice of the core's fused f32 step. */
    private static final int CORE_SLICE_BYTES = 16 * 1024;

    /**
     * The memory microgpt-vector's kernels keep between products once a run's training steps have
     * run on {@code threads} threads, beside the workspace, in their thread-locals: each thread's
     * copy of a forward product's input, its panels of the backward products' operands (16
     * registers), its slice of a weights' gradient that a fused step (as {@code train} runs it)
     * sums and updates from, and on the calling thread the backward products' second half and the
     * small-shape kernels' transposed weights (at {@code nEmbd} 256 and 64 positions, one thread:
     * 2.2 MB in f64 and 1.2 MB in f32 with 16 registers, 1.1 MB and 0.6 MB with 32). Every such
     * array grows to the largest shape asked of it and is never shrunk, so a run keeps, of each,
     * the largest its documents asked for: counted here for documents of every length from 1 to
     * the block size's positions ({@link #vectorScratchBytes(Precision, GptConfig, int, int, int)}
     * for other lengths), the most a run can keep.
     *
     * <p>The module counts it itself ({@code MatrixKernels.scratchBytes}, the core's internal
     * service interface, which this class reaches through {@link ServiceLoader} as the core
     * does): it replays the step's products on the same constants and conditions its kernels
     * size their arrays with, so that a change in the module moves the count with it.
     * {@code ModelMemoryVectorTest} walks the thread-locals real steps leave, in both register
     * shapes, against it. Zero when the plain loops run.
     *
     * @param precision the array engine's precision
     * @param config the model's shape; its block size is a step's most positions
     * @param vocabSize the number of tokens, the rows of the output layer
     * @param threads the threads of one step; every one may keep its own copies
     * @return the bytes, saturated at {@link Long#MAX_VALUE}
     */
    static long vectorScratchBytes(Precision precision, GptConfig config, int vocabSize, int threads) {
        return vectorScratchBytes(precision, config, vocabSize, threads, 1);
    }

    /**
     * {@link #vectorScratchBytes(Precision, GptConfig, int, int)} once steps of every number of
     * positions from {@code fewestPositions} to the block size have run: with the block size, what
     * steps on documents that fill the block keep (one thread: exactly; the tests compare it with
     * a step's thread-locals).
     *
     * @param precision the array engine's precision
     * @param config the model's shape; its block size is a step's most positions
     * @param vocabSize the number of tokens, the rows of the output layer
     * @param threads the threads of one step; every one may keep its own copies
     * @param fewestPositions the fewest positions of a step, from 1 to the block size
     * @return the bytes, saturated at {@link Long#MAX_VALUE}
     */
    static long vectorScratchBytes(Precision precision, GptConfig config, int vocabSize, int threads,
                                   int fewestPositions) {
        MatrixKernels kernels = VectorKernels.KERNELS;
        if (kernels == null) {
            return 0;
        }
        long c = config.nEmbd();
        long hidden = 4 * c;
        long transposedColumns = Math.max(hidden, vocabSize);
        // The products of a step, as the core runs them: qkv, attn_wo, mlp_fc1, mlp_fc2, lm_head.
        long[][] weights = {{3 * c, c}, {c, c}, {hidden, c}, {c, hidden}, {vocabSize, c}};
        if (hidden > Integer.MAX_VALUE || transposedColumns > Integer.MAX_VALUE) {
            // No such array can be made: the workspace's count has refused the model already.
            return 0;
        }
        int[][] shapes = new int[weights.length][];
        for (int i = 0; i < weights.length; i++) {
            shapes[i] = new int[] {(int) weights[i][0], (int) weights[i][1]};
        }
        return Math.max(0, kernels.scratchBytes(precision == Precision.F32, shapes, fewestPositions,
                config.blockSize(), (int) hidden, (int) transposedColumns, threads));
    }

    /**
     * The memory of one sequence the array engine generates, made whole when the sequence
     * starts ({@code ArrayGptModel.newSequence}): for the block's every position the keys and
     * values of every layer, the key-value cache, {@code 4 L C T} numbers; in f64 one row for each
     * other activation, shared by the positions; in f32 a whole forward workspace, the attention
     * weights' {@code L NH T²} numbers included. Generation multiplies one position at a time,
     * so it needs neither the transposed weights nor the threads' blocks.
     *
     * @param precision the array engine's precision
     * @param config the model's shape; its block size is the cache's number of positions
     * @param vocabSize the number of tokens
     * @return the bytes, saturated at {@link Long#MAX_VALUE}
     */
    static long arrayGenerationBytes(Precision precision, GptConfig config, int vocabSize) {
        Tally a = new Tally(precision);
        // f64 has a workspace for generation (Workspace.forGeneration); f32 uses a training one.
        activations(a, config, vocabSize, precision == Precision.F64);
        a.array(config.blockSize(), Integer.BYTES);  // the tokens read so far
        return a.bytes;
    }

    /**
     * Counts the forward activations of a {@code Workspace} (or a {@code FloatWorkspace}, field for
     * field the same): every position's, or, in a generation workspace, only the key-value
     * cache's, the other activations one row shared by all the positions.
     */
    private static void activations(Tally a, GptConfig config, int vocabSize, boolean generation) {
        long l = config.nLayer();
        long t = config.blockSize();
        long c = config.nEmbd();
        long hidden = 4 * c;
        long nh = config.nHead();
        a.activation(t, c, generation);               // encoded
        a.numbers(t);                                 // encodedScale
        a.activationPerLayer(l + 1, t, c, generation); // residual
        a.activationPerLayer(l, t, c, generation);    // attnNormed
        a.rows(l, t);                                 // attnNormScale
        a.perLayer(l, t, 3 * c);                      // qkv, with keysT the key-value cache
        a.perLayer(l, c, t);                          // keysT
        // attnWeights, [L][T] rows of (NH, T); in generation every position shares the first's.
        a.references(l);
        a.repeat(l, () -> {
            a.references(t);
            a.repeat(generation ? 1 : t, () -> a.rows(nh, t));
        });
        // afterAttn is attnProj's arrays, mlpActive mlpHidden's, mlpProj[l] residual[l + 1]
        // (the residual sums and the ReLU run in place, in both precisions).
        for (int i = 0; i < 3; i++) {
            a.activationPerLayer(l, t, c, generation); // attnOut, attnProj, mlpNormed
        }
        a.rows(l, t);                                 // mlpNormScale
        a.activationPerLayer(l, t, hidden, generation); // mlpHidden
        a.references(l);                              // mlpProj, the layers' residual[l + 1]
        a.activation(t, vocabSize, generation);       // logits
        a.activation(t, vocabSize, generation);       // probs
        a.array(t, Double.BYTES);                     // losses, in double in both precisions
    }

    /**
     * Counts the threads' blocks of transposed weights that the forward products keep in a
     * training workspace ({@code Kernels.TransposeBlocks}, {@code FloatKernels.TransposeBlocks}):
     * the per-thread part of the workspace. A product of {@code rows x cols} weights over
     * {@code T} positions that is split by rows gives each of its parts (one per thread, at most
     * {@code rows / grain}) a buffer of {@code block + T} rows as wide as the part; a product run
     * whole (on one thread, or split by positions because it has too few rows) uses one buffer
     * per thread of {@code block} rows, each as long as the longest product that reached it. One
     * more part's buffer is counted per shape, for a part that another thread takes over. On one
     * thread that is at most 512 KB; on two or more, about {@code 8 C T} numbers more, since the
     * threads keep their parts of each shape of product for all the positions.
     */
    private static void transposeBlocks(Tally a, Precision precision, GptConfig config, int vocabSize, int threads) {
        long c = config.nEmbd();
        long t = config.blockSize();
        // Below 8 positions the products run position by position, without the blocks, except
        // (in double precision, from 2 positions on) those with at most SMALL_TRANSPOSE_WEIGHTS.
        boolean fewPositions = t < MIN_POSITIONS_FOR_TRANSPOSE;
        if (fewPositions && (precision != Precision.F64 || t < 2)) {
            return;
        }
        int blockNumbers = precision == Precision.F64 ? FORWARD_BLOCK_DOUBLES : FORWARD_BLOCK_FLOATS;
        // The forward products' weights (rows, cols): qkv, attn_wo, mlp_fc1, mlp_fc2, lm_head.
        long[][] products = {{3 * c, c}, {c, c}, {4 * c, c}, {c, 4 * c}, {vocabSize, c}};
        // Run whole: the blocks' rows asked for (count) and their length (the product's rows).
        List<long[]> whole = new ArrayList<>();
        // Split by rows: per number of rows, its parts, their widest width and the tallest block.
        Map<Long, long[]> split = new TreeMap<>();
        for (long[] product : products) {
            long rows = product[0];
            long cols = product[1];
            if (fewPositions && rows * cols > SMALL_TRANSPOSE_WEIGHTS) {
                continue;
            }
            long grain = forwardRowGrain(rows, threads);
            // Split by positions where Kernels.forwardByPositions says so, in both precisions
            // (FloatKernels.matmulForward asks it too since the f32 two-thread step's change).
            if (threads > 1 && rows >= 2 * grain && !forwardByPositions(rows, cols, threads)) {
                long parts = Math.max(1, Math.min(threads, rows / grain));
                long width = (rows + parts - 1) / parts;
                long block = Math.min(cols, Math.max(3, blockNumbers / (rows / parts) / 3 * 3));
                split.merge(rows, new long[] {parts, width, block},
                        (x, y) -> new long[] {x[0], x[1], Math.max(x[2], y[2])});
            } else {
                whole.add(new long[] {Math.min(cols, Math.max(3, blockNumbers / rows / 3 * 3)), rows});
            }
        }
        if (!whole.isEmpty()) {
            // A thread's buffer: row j is as long as the longest product that asked for more than j rows.
            whole.sort((x, y) -> Long.compare(y[0], x[0]));
            // Rows [next count, this count) are asked for by this product and the taller ones before it.
            long longest = 0;
            Tally one = new Tally(precision);
            one.references(whole.get(0)[0]);
            for (int i = 0; i < whole.size(); i++) {
                longest = Math.max(longest, whole.get(i)[1]);
                long next = i + 1 < whole.size() ? whole.get(i + 1)[0] : 0;
                long length = longest;
                one.repeat(whole.get(i)[0] - next, () -> one.numbers(length));
            }
            long perThread = one.bytes;
            a.repeat(threads == 1 ? 1 : Math.min(threads, t / 2), () -> a.bytes = saturatedSum(a.bytes, perThread));
        }
        for (Map.Entry<Long, long[]> shape : split.entrySet()) {
            long parts = shape.getValue()[0];
            long width = shape.getValue()[1];
            long block = shape.getValue()[2];
            // Any thread may run any part (a thread done with its own takes over another's), and
            // keeps a buffer per width it has run: parts of unequal widths can cost two each.
            long widths = shape.getKey() % parts == 0 ? 1 : 2;
            a.repeat(saturatedProduct(threads, widths), () -> a.rows(saturatedSum(block, t), width));
        }
    }

    /** {@code Kernels.forwardRowGrain}: a thread's share of a product's rows, rounded up to 8, at least 16. */
    private static long forwardRowGrain(long rows, int threads) {
        long share = (rows + threads - 1) / threads;
        return Math.max(ROW_GRAIN, (share + 7) / 8 * 8);
    }

    /**
     * {@code Kernels.forwardByPositions} (both precisions ask it): a product whose share of rows a
     * thread is under 256 and whose input is at least four times as wide runs by positions, each
     * thread transposing all the weights, as a product too small to share does.
     */
    private static boolean forwardByPositions(long rows, long cols, int threads) {
        long share = (rows + threads - 1) / threads;
        return share < 256 && cols >= 4 * share;
    }

    /**
     * Whether this JVM's array engine multiplies with microgpt-vector's kernels
     * ({@link ArrayKernels#implementation()}), which keep scratch of their own; a choice the
     * kernels refuse fails the run before any workspace, so it counts as the plain loops.
     */
    private static boolean vectorKernels() {
        return VectorKernels.KERNELS != null;
    }

    /**
     * The kernels of {@link #vectorKernels()}, looked up when an array-engine count first asks for
     * them: the look-up (the module layer's streams, a service loader) is some 5 ms of a run's
     * start-up in the interpreter, which a value-engine run, the default, has no use for.
     */
    private static final class VectorKernels {
        static final MatrixKernels KERNELS = lookUp();
    }

    /**
     * The optional module's kernels when the core has chosen them, found as the core finds them
     * (the service of its internal {@code MatrixKernels}, visible on the class path, where the
     * command line runs); null with the plain loops.
     */
    private static MatrixKernels lookUp() {
        try {
            if (ArrayKernels.implementation() != ArrayKernels.Implementation.VECTOR) {
                return null;
            }
            // The first provider, as the core takes it: the optional module's, the only one.
            return ServiceLoader.load(MatrixKernels.class, ArrayKernels.class.getClassLoader()).findFirst()
                    .orElse(null);
        } catch (IllegalStateException | ServiceConfigurationError | LinkageError e) {
            return null;
        }
    }

    /** {@code Kernels.MIN_POSITIONS_FOR_TRANSPOSE}: fewer positions are multiplied one by one. */
    private static final int MIN_POSITIONS_FOR_TRANSPOSE = 8;
    /** {@code Kernels.SMALL_TRANSPOSE_WEIGHTS}: smaller products (f64) are transposed from 2 positions on. */
    private static final int SMALL_TRANSPOSE_WEIGHTS = 1024;
    /** {@code Kernels.ROW_GRAIN}. */
    private static final int ROW_GRAIN = 16;
    /** {@code Kernels.FORWARD_BLOCK_DOUBLES}: a block of transposed weights, 512 KB. */
    private static final int FORWARD_BLOCK_DOUBLES = 64 * 1024;
    /** {@code FloatKernels.FORWARD_BLOCK_FLOATS}: 128 KB. */
    private static final int FORWARD_BLOCK_FLOATS = 32 * 1024;

    /**
     * A running count of Java arrays' bytes as HotSpot lays them out ({@link ArrayBytes}, the rule
     * microgpt-vector's count of its scratch uses too): a 16-byte header, then the elements,
     * rounded up to 8 bytes. Saturates at {@link Long#MAX_VALUE}.
     */
    private static final class Tally {
        private final int numberBytes;
        long bytes;

        Tally(Precision precision) {
            this.numberBytes = precision == Precision.F64 ? Double.BYTES : Float.BYTES;
        }

        /** One array of {@code length} elements of {@code elementBytes} each. */
        void array(long length, long elementBytes) {
            bytes = saturatedSum(bytes, ArrayBytes.array(length, elementBytes));
        }

        void numbers(long length) {
            array(length, numberBytes);
        }

        void references(long length) {
            array(length, ArrayBytes.REFERENCE_BYTES);
        }

        /** {@code count} arrays of {@code length} numbers and the array that holds them. */
        void rows(long count, long length) {
            bytes = saturatedSum(bytes, ArrayBytes.rows(count, length, numberBytes));
        }

        /** One {@link #rows} a layer and the array that holds them. */
        void perLayer(long layers, long count, long length) {
            references(layers);
            repeat(layers, () -> rows(count, length));
        }

        /** An activation: {@link #rows}, or in a generation workspace one row shared by the positions. */
        void activation(long count, long length, boolean generation) {
            if (generation) {
                references(count);
                numbers(length);
            } else {
                rows(count, length);
            }
        }

        void activationPerLayer(long layers, long count, long length, boolean generation) {
            references(layers);
            repeat(layers, () -> activation(count, length, generation));
        }

        /** Counts what {@code part} adds, {@code times} times. */
        void repeat(long times, Runnable part) {
            long before = bytes;
            part.run();
            long one = bytes - before;
            bytes = saturatedSum(before, saturatedProduct(one, times));
        }
    }

    /**
     * The least memory a model will need in training.
     *
     * @param engine the engine
     * @param precision the array engine's precision (the value engine computes in f64)
     * @param architecture the model of the progression (the value engine's graph depends on it)
     * @param config the model's shape
     * @param vocabSize the number of tokens
     * @param parameters the number of parameters
     * @param positions the most positions a step trains
     * @return the bytes
     */
    static long bytes(Engine engine, Precision precision, Architecture architecture, GptConfig config, int vocabSize,
                      long parameters, int positions) {
        if (engine == Engine.ARRAY) {
            long perParameter = precision == Precision.F64 ? 4 * Double.BYTES : 4 * Float.BYTES;
            return saturatedProduct(parameters, perParameter);
        }
        return saturatedSum(saturatedProduct(parameters, VALUE_BYTES_PER_PARAMETER),
                valueGraphBytes(architecture, config, vocabSize, positions));
    }

    /**
     * The least memory of the value engine's graph of one step over {@code positions} positions,
     * by the count the library's models refuse such a step with ({@code internal.ValueGraphs.step}).
     *
     * @param architecture the model
     * @param config its shape
     * @param vocabSize the number of tokens
     * @param positions the positions of the step
     * @return the bytes
     */
    static long valueGraphBytes(Architecture architecture, GptConfig config, int vocabSize, long positions) {
        return ValueGraphs.bytes(ValueGraphs.step(architecture, config, vocabSize, positions));
    }

    /**
     * The least memory a value-engine sequence keeps once it has read {@code positions} tokens
     * (its cache's keys and values, and the graph behind them), as the core counts it.
     *
     * @param architecture the model
     * @param config its shape
     * @param positions the tokens read
     * @return the bytes
     */
    static long valueSequenceBytes(Architecture architecture, GptConfig config, long positions) {
        return ValueGraphs.bytes(ValueGraphs.sequence(architecture, config, positions));
    }

    /**
     * The memory of a run's loss history ({@code LossHistory}, one double a step in an array that
     * doubles as it grows, so the old and the new array at the peak): 16 bytes a step.
     *
     * @param totalSteps the steps of the run
     * @return the bytes
     */
    static long lossHistoryBytes(int totalSteps) {
        return 16L * Math.max(0, totalSteps);
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
     * @return the words, for {@link #check}'s message
     */
    static String why(Engine engine, int positions) {
        if (engine == Engine.ARRAY) {
            return "on the array engine: weights, gradients and Adam's two moments, and a workspace for a block of "
                    + positions + " positions: each layer's activations and their gradients at every position, and"
                    + " each head's attention weights over " + positions + " x " + positions + " positions";
        }
        return "on the value engine: a Value per parameter, Adam's moments, and the graph of a step over "
                + positions + " positions";
    }

    /** A number of bytes in GiB for a reader, such as {@code "3.2 GiB"}. */
    static String gib(long bytes) {
        return String.format(Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30));
    }

    /** {@code a + b} of two non-negative numbers, or {@link Long#MAX_VALUE} if it would overflow ({@link ArrayBytes#sum}). */
    static long saturatedSum(long a, long b) {
        return ArrayBytes.sum(a, b);
    }

    private static long saturatedProduct(long a, long b) {
        return ArrayBytes.product(a, b);
    }
}
