package io.github.microgpt.vector;

import io.github.microgpt.internal.kernels.MatrixKernels;
import io.github.microgpt.internal.kernels.Team;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.function.IntFunction;

/**
 * How the backward products of a linear layer share their work out, in both precisions and with
 * or without a fused step's update inside ({@link FloatProducts#backward(float[][], float[][],
 * float[][], float[][], float[][], int, int, Team, boolean, Team.Range)},
 * {@link DoubleProducts#backward}, {@link DoubleProducts#backwardAndUpdate}): the weights' rows
 * cut in two fixed halves, and each half's work in units, half after half, so that a team of two
 * gives each thread one half and a thread done early takes units from the back of the other's.
 * With an update inside (either precision, 16 or 32 registers), and in single precision with 32
 * registers without one ({@code apart}), a half's units are its blocks of columns of the input's
 * gradient first, then its slices of rows of the weights' gradient (at least
 * {@link #MIN_SLICES}); otherwise, without an update (double precision, or single with 16
 * registers: not {@code apart}), unit {@code i} is block {@code i} and slice {@code i} together,
 * since no slice then waits for its half's blocks.
 *
 * <p><b>Chunks, not units.</b> The team hands out chunks of several units (a thread's first
 * chunk is half of its part), and each chunk's run of blocks of one half is one call of
 * {@link Products#block}, its run of slices one call of {@link Products#gradient} (one a slice
 * when an update runs inside, which takes each slice as soon as it is summed). A call per unit
 * cost the double-precision products with 16 registers, at {@code nEmbd} 256 on one thread,
 * 1.13 times the time of these calls (one JVM, alternated, 12 rounds); the sums are the same,
 * since a block's columns and a slice's rows are computed alike whatever range they come in.
 * Each column's and each row's sum is computed by one call, in one order, whichever thread
 * runs it: the bits do not depend on the threads.
 *
 * <p><b>The halves' sums.</b> The second half's sums of the input's gradient go into scratch, to
 * be added to the first half's: block by block, inside the loop, by the thread that ends the
 * later of a block's two halves ({@link Products#addHalves}), right after that block, while its
 * columns are in that core's caches. They were added in a loop of their own after this one (17
 * such loops a step at {@code nEmbd} 256 and 4 layers), a hand-over each, in which two threads
 * spent 76-88 microseconds a step (their median idle alone some 90); now that work is shared
 * out with the units. Each sum is the same addition of the same two numbers whichever thread does it.
 *
 * <p><b>The update.</b> A slice of the weights may be updated once its gradient is summed and
 * every block of its half is done (the blocks read all of the half's rows of {@code w}); the
 * other half's blocks read only their own rows. {@link SliceUpdates} lets exactly one thread do
 * it: the one that sums the slice, if its half's blocks are done by then, otherwise the one that
 * ends the half's last block. Each row is thus updated once, after its gradient is complete and
 * after every read of its old weights, so the product's bits do not change.
 *
 * <p><b>The gradient in scratch.</b> When the weights' gradient starts cleared and the update is
 * a {@link MatrixKernels.GradientRange}, a slice whose half's blocks are done when its thread
 * starts it (on one thread every slice) is summed into the thread's own scratch
 * ({@link SliceScratch}, {@link #MAX_SCRATCH_BYTES} at most where a block of rows fits it) and
 * updated from there at once: the same sums in the same order, but {@code dw}'s rows are never
 * written, read back by the update and zeroed again; they stay {@code +0.0}.
 */
final class SlicedBackward {

    /**
     * The fewest slices of a half's rows of the weights' gradient when the units are
     * {@code apart} (see {@link FloatProducts#MIN_SLICES}, where the number was measured).
     */
    static final int MIN_SLICES = FloatProducts.MIN_SLICES;

    /**
     * The most bytes of one slice's gradient: its scratch stays in the first-level cache (48 KB
     * a core on Zen 5, 32 KB on many others) while it is summed and updated. In single precision
     * at {@code nEmbd} 256 every slice is within it at {@link #MIN_SLICES}; in double precision
     * the widest matrices take more slices (32 instead of 16 for {@code mlp_fc1}). A slice is
     * whole blocks of the gradient kernel's rows, so it can be larger where a block is: with 16
     * registers in double precision a slice of six rows 1024 wide ({@code mlp_fc2}'s) takes 48 KB.
     */
    static final int MAX_SCRATCH_BYTES = 32 * 1024;

    /**
     * A precision's products over the pieces {@link #run} gives out.
     *
     * @param <G> the gradients' rows: {@code float[][]} or {@code double[][]}
     */
    interface Products<G> {

        /**
         * Columns {@code [j0, j1)} of the input's gradient summed over the rows {@code [o0, o1)}
         * of the weights (a half's): one or several whole blocks of columns (the last may be
         * short), computed as each block alone would be.
         *
         * @param half 0 for the first half, 1 for the second
         * @param o0 the half's first row
         * @param o1 one past its last row
         * @param j0 the first column
         * @param j1 one past the last column
         */
        void block(int half, int o0, int o1, int j0, int j1);

        /**
         * Rows {@code [r0, r1)} of the weights' gradient, summed into the same rows of {@code c}:
         * from 0 if {@code cleared}, whatever {@code c} holds, or else added to them. One or
         * several whole slices, each row computed as in its slice alone.
         *
         * @param c {@code dw}, or a view of a thread's scratch
         * @param r0 the first row
         * @param r1 one past the last row
         * @param cleared whether to start from 0
         */
        void gradient(G c, int r0, int r1, boolean cleared);

        /**
         * Adds the second half's sums of columns {@code [j0, j1)} of the input's gradient to the
         * first half's, at every position: called once for each block of columns, by the thread
         * that ends the later of the block's two halves, with runs of such blocks in one call.
         *
         * @param j0 the first column
         * @param j1 one past the last column
         */
        void addHalves(int j0, int j1);
    }

    private SlicedBackward() {
    }

    /**
     * The slices of each half, the larger of which has {@code halfRows} rows: {@link #MIN_SLICES}
     * at least, as many as its blocks of columns, and enough for a slice's gradient to fit
     * {@link #MAX_SCRATCH_BYTES}; not {@code apart} (no update inside, and double precision or 16
     * registers) one per block.
     */
    static int slices(boolean apart, int blocks, int halfRows, int cols, int bytesPerNumber) {
        if (!apart) {
            return blocks;
        }
        long halfBytes = (long) halfRows * cols * bytesPerNumber;
        int forScratch = (int) Math.min(halfRows, (halfBytes + MAX_SCRATCH_BYTES - 1) / MAX_SCRATCH_BYTES);
        return Math.max(Math.max(blocks, MIN_SLICES), forScratch);
    }

    /**
     * Runs both halves of {@code rows} rows cut at {@code middle}: blocks of {@code block} columns
     * and {@link #slices} of numbers of {@code bytesPerNumber} bytes a half, the slices' rows cut
     * at multiples of {@code transposedRows};
     * with {@code update} (only when {@code apart}), each slice updated once as the class comment
     * says, from the thread's scratch ({@code scratches}) when {@code dwCleared} and the update
     * is a {@link MatrixKernels.GradientRange}; without, {@code dw}'s rows summed into it
     * ({@code scratches} unused). Each chunk of units the team hands out runs as one call of
     * {@code products} per half for its blocks and, without an update, one for its slices.
     * Returns when all is done.
     */
    static <G> void run(Team team, int rows, int cols, int block, int middle, int transposedRows, boolean apart,
                        int bytesPerNumber, Team.Range update, G dw, boolean dwCleared,
                        ThreadLocal<SliceScratch<G>> scratches, Products<G> products) {
        if (update != null && !apart) {
            throw new IllegalArgumentException("an update inside the product needs its units apart");
        }
        MatrixKernels.GradientRange<G> fromScratch = fromScratch(update, dwCleared);
        int blocks = (cols + block - 1) / block;
        int slices = slices(apart, blocks, rows - middle, cols, bytesPerNumber);
        int units = apart ? blocks + slices : blocks;
        // The calling thread's counters, cleared for this product (see Counters).
        Counters counters = Counters.LOCAL.get();
        SliceUpdates updates = update == null ? null
                : counters.updates.start(update, blocks, slices, rows, middle, transposedRows);
        // How many halves of each block of columns are done (0, 1 or 2).
        AtomicIntegerArray halvesDone = counters.halvesDone(blocks);
        try {
            runUnits(team, rows, cols, block, middle, transposedRows, apart, dw, dwCleared, scratches, products,
                    fromScratch, blocks, slices, units, updates, halvesDone);
        } finally {
            if (updates != null) {
                // Nothing of the model stays reachable from the thread's counters between products.
                updates.update = null;
            }
        }
    }

    /** {@link #run}'s loop over the units, with its counters made. */
    private static <G> void runUnits(Team team, int rows, int cols, int block, int middle, int transposedRows,
                                     boolean apart, G dw, boolean dwCleared, ThreadLocal<SliceScratch<G>> scratches,
                                     Products<G> products, MatrixKernels.GradientRange<G> fromScratch, int blocks,
                                     int slices, int units, SliceUpdates updates, AtomicIntegerArray halvesDone) {
        team.forRange(2 * units, 1, (u0, u1) -> {
            for (int half = u0 / units; half * units < u1; half++) {
                // The chunk's units of this half: [i0, i1).
                int i0 = Math.max(u0, half * units) - half * units;
                int i1 = Math.min(u1, (half + 1) * units) - half * units;
                int o0 = half == 0 ? 0 : middle;
                int o1 = half == 0 ? middle : rows;
                int b1 = Math.min(i1, blocks);
                if (i0 < b1) {
                    products.block(half, o0, o1, i0 * block, Math.min(cols, b1 * block));
                    addHalves(products, halvesDone, i0, b1, block, cols);
                    if (updates != null) {
                        updates.blocksSummed(half, b1 - i0);
                    }
                }
                int s0 = apart ? Math.max(0, i0 - blocks) : i0;
                int s1 = apart ? Math.max(0, i1 - blocks) : i1;
                if (updates == null) {
                    int r0 = o0 + VectorMatrixKernels.sliceRow(o1 - o0, slices, s0, transposedRows);
                    int r1 = o0 + VectorMatrixKernels.sliceRow(o1 - o0, slices, s1, transposedRows);
                    if (r0 < r1) {
                        products.gradient(dw, r0, r1, dwCleared);
                    }
                    continue;
                }
                // With an update inside, slice by slice: each is updated as soon as it is summed.
                for (int slice = s0; slice < s1; slice++) {
                    int r0 = o0 + VectorMatrixKernels.sliceRow(o1 - o0, slices, slice, transposedRows);
                    int r1 = o0 + VectorMatrixKernels.sliceRow(o1 - o0, slices, slice + 1, transposedRows);
                    if (fromScratch != null && r0 < r1 && updates.blocksDone(half)) {
                        // Nothing reads these rows of w any more: sum the slice's gradient where
                        // this thread's update reads it at once, and leave dw's rows at +0.0.
                        updates.claimed(half, slice);
                        SliceScratch<G> scratch = scratches.get();
                        G gradients = scratch.rows(r1 - r0, cols);
                        products.gradient(scratch.view(rows, r0, r1), r0, r1, true);
                        fromScratch.run(r0, r1, gradients);
                    } else {
                        if (r0 < r1) {
                            products.gradient(dw, r0, r1, dwCleared);
                        }
                        updates.sliceDone(half, slice);
                    }
                }
            }
        });
    }

    /**
     * After blocks {@code [i0, i1)} of one half: adds the halves' sums of those of them whose other
     * half is done too, each run of such blocks in one call. A block's two halves each count
     * once, so exactly one thread, the later, adds its columns.
     */
    private static void addHalves(Products<?> products, AtomicIntegerArray halvesDone, int i0, int i1, int block,
                                  int cols) {
        int run = -1;
        for (int i = i0; i < i1; i++) {
            if (halvesDone.incrementAndGet(i) == 2) {
                if (run < 0) {
                    run = i;
                }
            } else if (run >= 0) {
                products.addHalves(run * block, Math.min(cols, i * block));
                run = -1;
            }
        }
        if (run >= 0) {
            products.addHalves(run * block, Math.min(cols, i1 * block));
        }
    }

    /**
     * The update as a {@link MatrixKernels.GradientRange} of {@code gradients}' type, if it is one
     * and the weights' gradient starts cleared: then slices may be summed in scratch. A model's
     * update is of its own precision, as every product it is handed to (see
     * {@link MatrixKernels.GradientRange}), so the cast holds.
     */
    @SuppressWarnings("unchecked")
    private static <G> MatrixKernels.GradientRange<G> fromScratch(Team.Range update, boolean dwCleared) {
        return dwCleared && update instanceof MatrixKernels.GradientRange<?> range
                ? (MatrixKernels.GradientRange<G>) range : null;
    }

    /**
     * When each slice may be updated: a slice once its gradient is summed and every block of the
     * input's gradient of its half is done. A slice's state goes from 0 (not summed) to 1
     * (summed, waiting) to 2 (updated); both the thread that sums it and the one that ends its
     * half's last block try to claim it (1 to 2) once both conditions hold, so exactly one of
     * them updates it, whichever order they come in.
     */
    private static final class SliceUpdates {
        private Team.Range update;
        private int blocks;
        private int slices;
        private int rows;
        private int middle;
        private int transposedRows;
        private final AtomicIntegerArray blocksDone = new AtomicIntegerArray(2);
        private AtomicIntegerArray states = new AtomicIntegerArray(0);

        /**
         * Ready for a product: its shape and update, every count and state back to 0. Called by
         * the product's calling thread before it hands out any unit; the hand-over to the other
         * threads publishes what is set here.
         */
        SliceUpdates start(Team.Range update, int blocks, int slices, int rows, int middle, int transposedRows) {
            this.update = update;
            this.blocks = blocks;
            this.slices = slices;
            this.rows = rows;
            this.middle = middle;
            this.transposedRows = transposedRows;
            blocksDone.set(0, 0);
            blocksDone.set(1, 0);
            states = Counters.cleared(states, 2 * slices);
            return this;
        }

        /**
         * After {@code count} blocks of the input's gradient of {@code half}: the call that ends
         * the half's last block updates the half's waiting slices.
         */
        void blocksSummed(int half, int count) {
            if (blocksDone.addAndGet(half, count) == blocks) {
                for (int slice = 0; slice < slices; slice++) {
                    claim(half, slice);
                }
            }
        }

        /** Whether every block of the input's gradient of {@code half} is done. */
        boolean blocksDone(int half) {
            return blocksDone.get(half) == blocks;
        }

        /**
         * Marks updated a slice of {@code half} that the caller sums and updates itself after its
         * half's blocks were done: no one else can claim it (the half's last block claims only
         * summed slices, and this one never is).
         */
        void claimed(int half, int slice) {
            states.set(half * slices + slice, 2);
        }

        /** After the gradient of a slice of {@code half} is summed (or found empty). */
        void sliceDone(int half, int slice) {
            states.set(half * slices + slice, 1);
            if (blocksDone.get(half) == blocks) {
                claim(half, slice);
            }
        }

        private void claim(int half, int slice) {
            if (states.compareAndSet(half * slices + slice, 1, 2)) {
                int o0 = half == 0 ? 0 : middle;
                int o1 = half == 0 ? middle : rows;
                int r0 = o0 + VectorMatrixKernels.sliceRow(o1 - o0, slices, slice, transposedRows);
                int r1 = o0 + VectorMatrixKernels.sliceRow(o1 - o0, slices, slice + 1, transposedRows);
                if (r0 < r1) {
                    update.run(r0, r1);
                }
            }
        }
    }

    /**
     * The counters of {@link #run}, kept by each thread that calls a product and cleared at the
     * start of each product, rather than made anew: a backward product of {@code nEmbd} 256 made
     * an {@code AtomicIntegerArray} of its blocks, and one of its slices with their
     * {@link SliceUpdates}, some 400 bytes a product, half of what a step of the Vector API
     * kernels allocated (f64 at {@code nEmbd} 256, 4 layers, one thread: 14.1 KB a step against
     * the core's loops' 4.4; counted with {@code jdk.ObjectAllocationOutsideTLAB} events under
     * {@code -XX:-UseTLAB}, which records every allocation). A product runs to its end before its
     * caller starts another, so one set a thread is enough; the update's reference is dropped
     * after each product, so that the counters keep nothing of a model alive.
     *
     * <p>The thread-local's lookup, one a product, costs no measurable time: whole training steps
     * at {@code nEmbd} 256, 4 layers, 8 heads, block 64, these counters against counters made per
     * call (both builds in one JVM, each in its own class loader, 11 alternated rounds of 8 steps,
     * and again with the builds loaded in the other order, since the build loaded first ran 5-9%
     * slower either way; JDK 17, Zen 5, 7 December 2026): time per step 0.999 of the old in f64
     * on one thread, 0.979 on two, 1.021 in f32 on one thread and 1.020 on two (each the root of
     * the two orders' ratios, within the rounds' spread).
     */
    private static final class Counters {
        static final ThreadLocal<Counters> LOCAL = ThreadLocal.withInitial(Counters::new);

        private AtomicIntegerArray halvesDone = new AtomicIntegerArray(0);
        final SliceUpdates updates = new SliceUpdates();

        /** The halves done of {@code blocks} blocks, all 0. */
        AtomicIntegerArray halvesDone(int blocks) {
            halvesDone = cleared(halvesDone, blocks);
            return halvesDone;
        }

        /** {@code held} if it has {@code length} counts, else a larger array; its first {@code length} set to 0. */
        static AtomicIntegerArray cleared(AtomicIntegerArray held, int length) {
            if (held.length() < length) {
                return new AtomicIntegerArray(Math.max(length, 2 * held.length()));
            }
            for (int i = 0; i < length; i++) {
                held.set(i, 0);
            }
            return held;
        }
    }

    /**
     * A thread's scratch for one slice of the weights' gradient, when the update takes it from
     * there: the slice's rows, and a view that points the product's row indices at them.
     *
     * <p><b>One array of rows per width.</b> A model's products have two widths (at
     * {@code nEmbd} 256: 256 columns, and 1024 for {@code mlp_fc2}). With one array grown to fit
     * every shape asked for, a 256-wide slice was summed into the first quarter of rows 1024 wide:
     * rows 4 KB (floats) or 8 KB (doubles) apart, whose used parts all fall into the same sets of
     * the first-level cache (a way of Zen 5's 48 KB, 12-way cache is 4 KB), so that a 16 KB or
     * 32 KB slice that fits the cache whole did not stay in it between its sum and its update.
     * Rows exactly as wide as the product's lie end to end. Measured at {@code nEmbd} 256, 4
     * layers, 64 positions (fused steps, one JVM, one array and one per width alternated, 12-14
     * rounds a run, medians; the host was noisy, single rounds 0.44-2.2): the backward products
     * with their updates on two threads took 0.950, 0.966 and 1.008 of the time in single
     * precision, 0.961, 1.018 and 0.984 in double; on one thread 1.001, 0.998 and 0.999, and
     * 0.996, 1.002 and 0.992.
     *
     * @param <G> the rows: {@code float[][]} or {@code double[][]}
     */
    static final class SliceScratch<G> {
        /** Each thread's scratch in single precision. */
        static final ThreadLocal<SliceScratch<float[][]>> FLOATS = ThreadLocal.withInitial(
                () -> new SliceScratch<>(new float[0][], ScratchArrays::atLeast, float[][]::new));
        /** Each thread's scratch in double precision. */
        static final ThreadLocal<SliceScratch<double[][]>> DOUBLES = ThreadLocal.withInitial(
                () -> new SliceScratch<>(new double[0][], ScratchArrays::atLeast, double[][]::new));

        /** {@code ScratchArrays.atLeast} of one precision. */
        private interface Growth<G> {
            G atLeast(G held, int rows, int cols);
        }

        private final G none;
        private final Growth<G> growth;
        private final IntFunction<G> views;
        /** The widths asked for so far, one entry each. */
        private int[] widths = new int[0];
        /** The rows held for each of {@link #widths}, exactly as wide. */
        private Object[] held = new Object[0];
        /** The rows {@link #rows} gave out last, which {@link #view} points at. */
        private G rows;
        private G view;
        private int viewLength;

        private SliceScratch(G none, Growth<G> growth, IntFunction<G> views) {
            this.none = none;
            this.growth = growth;
            this.views = views;
            this.rows = none;
            this.view = views.apply(0);
        }

        /**
         * At least {@code count} rows of exactly {@code length} numbers, which {@link #view}
         * points at: the rows held for that width, grown only in their number.
         */
        @SuppressWarnings("unchecked")
        G rows(int count, int length) {
            int k = 0;
            while (k < widths.length && widths[k] != length) {
                k++;
            }
            if (k == widths.length) {
                widths = Arrays.copyOf(widths, k + 1);
                held = Arrays.copyOf(held, k + 1);
                widths[k] = length;
                held[k] = none;
            }
            rows = growth.atLeast((G) held[k], count, length);
            if (rows != held[k]) {
                // The view may still point at rows of the arrays replaced (of this width or an
                // earlier one's): let them go, or they stay reachable for the thread's life.
                Arrays.fill((Object[]) view, null);
            }
            held[k] = rows;
            return rows;
        }

        /** An array of {@code length} rows whose rows {@code [r0, r1)} are {@link #rows}' first ones (the others stale). */
        G view(int length, int r0, int r1) {
            if (viewLength < length) {
                view = views.apply(length);
                viewLength = length;
            }
            System.arraycopy(rows, 0, view, r0, r1 - r0);
            return view;
        }
    }
}
