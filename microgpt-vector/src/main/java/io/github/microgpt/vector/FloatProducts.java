package io.github.microgpt.vector;

import io.github.microgpt.internal.kernels.MatrixKernels;
import io.github.microgpt.internal.kernels.Team;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Matrix products of floats with the Vector API: {@link DoubleProducts} in single precision, with
 * fused multiply-adds ({@code float} results are not exact anyway; a fused multiply-add rounds
 * once instead of twice, and is one instruction).
 *
 * <p><b>Register blocks.</b> Each kernel keeps a block of outputs in vector registers while the
 * terms of their sums go by, loading each operand once per term for the whole block. The block
 * must fit, with the operands it loads, in the processor's vector registers ({@link Registers}):
 * <ul>
 * <li><b>32 registers</b> (AVX-512): every product takes blocks of 4 rows x 4 vectors, 16 sums
 *     plus 4 loaded vectors and a broadcast, 21 registers.
 * <li><b>16 registers</b> (AVX2): those 21 do not fit, and the JIT kept 7 of the 16 sums on the
 *     stack, a load and a store around every fused multiply-add. Measured on a Zen 3 at
 *     {@code nEmbd} 256 (one core, GFLOP/s of the products of a layer; 2x4, 4x2, 5x2, 6x2, 3x4,
 *     4x3 and 8x1 tried): the input's gradient ({@link #product}) took blocks of 2 rows x 4
 *     vectors (8 sums, 4 loaded vectors, 2 broadcasts: 14 registers; 23 -> 37), and now takes
 *     the weights' gradient's blocks over panels ({@link #productPanels}); the weights'
 *     gradient ({@link #productTransposed}) 6 rows x 2 vectors (12 sums, 2 vectors, a broadcast:
 *     15; 22 -> 29, and 34 with its operands copied into panels, see
 *     {@link #productTransposedFor16}); the forward product ({@link #productByPanels}) 5 rows x 2
 *     vectors over the input cut into panels (10 sums; 28 -> 63; without panels no shape that
 *     fits beat 4 x 4 there).
 * </ul>
 * The shape only decides which outputs share a pass over the terms: each output is still the same
 * chain of fused multiply-adds in the order of its terms, so the bits are the same whatever the
 * shape, the vector length or the thread count.
 */
final class FloatProducts {

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    /** Floats per vector: 16 with AVX-512, 8 with AVX2. */
    static final int L = S.length();

    /**
     * The zero vector of {@link #S}, the receiver of every broadcast ({@code Z.broadcast(x)}).
     *
     * <p><b>Receivers of a known class.</b> C2 inlines a vector operation only where it knows the
     * receiver's class; a vector made by the static factories ({@code FloatVector.zero(S)},
     * {@code FloatVector.broadcast(S, x)}, {@code fromArray}) is typed only {@code FloatVector} while C2
     * parses the kernel (their intrinsics expand later), and so is a sum carried round a loop.
     * For those C2 takes the class from the JVM's receiver profile; without it (a JVM whose
     * profiles came out polluted, forced with {@code -XX:TypeProfileWidth=0}) every multiply-add
     * was a call and every vector an object: a vector f64 step at {@code nEmbd} 256 took 1,040 ms
     * instead of 35 and allocated 4.8 GB. A constant's class is known from the constant, and an
     * operation on a receiver of known class returns that class. So every receiver inside the
     * kernels' loops is a broadcast of {@code Z} or a product of one ({@code b.fma(x, s)},
     * {@code b.mul(x).add(s)}: the sum an operand, never the receiver; an add's operands commute
     * bit for bit), and every zero sum is {@code Z.broadcast(0.0f)} (a fresh vector: the
     * constant {@code Z} itself as a loop's starting sum made C2 allocate every sum of the loop).
     * Forced without profiles, a step then takes 42-54 ms with 27-74 MB allocated, by the stores
     * of the sums after each loop (the loop's sum is still typed by its profile); in an ordinary
     * JVM nothing changes (same steps, same bits). What did not work: casting the stored sums
     * ({@link Class#cast} was not always compiled as an intrinsic, and its throwing path kept the
     * vector as an object), a helper method for the loads and stores, even one that returned
     * its vector unchanged (an ordinary JVM's step 1.7x slower, 24 MB allocated; not looked into
     * further), and one more operation per store
     * (the quick compiler, C1, ran out of virtual registers on the largest kernels, which then
     * ran in the interpreter for seconds).
     */
    static final FloatVector Z = (FloatVector) S.zero();

    /**
     * A kernel's starting sum of the lanes {@code [j, j + L)} of a row {@code c} of the output:
     * {@code zero} (the kernel's own {@code Z.broadcast(...)} of zero) when the rows are
     * {@code cleared}, never reading them, else what they hold. One method for the openings of
     * every unrolled kernel of the weights' gradient, which each wrote this test out once per
     * sum. Unlike the helpers for loads and stores in the class comment, it costs nothing: C2
     * inlines it (a few bytes of bytecode) and the kernels compile as before. Measured at
     * {@code nEmbd} 256, 4 layers, 64 positions on AVX2 (one JVM, the hottest gradient kernel of
     * each precision switched between this and the test written out, 30 alternated rounds,
     * medians of the rounds' ratios): a step 1.009 (f64) and 1.006 (f32) times as long with the
     * test written out on one thread, 1.003 and 0.996 on two, within the host's noise.
     */
    private static FloatVector start(boolean cleared, FloatVector zero, float[] c, int j) {
        return cleared ? zero : FloatVector.fromArray(S, c, j);
    }

    /** Terms of the sum per pass: a strip of 64 rows of four vectors is 16 KB with AVX-512. */
    static final int K_BLOCK = 64;

    /**
     * Whether the kernels take the blocks for 16 vector registers (see the class comment). A
     * static final, so that C2 compiles only the branch taken.
     */
    static final boolean SIXTEEN_REGISTERS = Registers.COUNT == 16;

    /**
     * Rows of the weights per block of the forward product's kernel: 5 with 16 registers
     * ({@link #productByPanels}), 8 with 32 ({@link #productInHalves}). A split of the rows between
     * threads at multiples of this leaves every chunk whole blocks.
     */
    static final int FORWARD_ROWS = SIXTEEN_REGISTERS ? 5 : 8;

    private FloatProducts() {
    }

    /**
     * {@code c[r][j] += sum_k a[r][k] * x[k][j]} over {@code k} in {@code [k0, k1)}, with fused
     * multiply-adds in the order of {@code k}: rows {@code [r0, r1End)} of {@code c}, columns
     * {@code [j0, j1)}. Each output is the chain of fused multiply-adds over {@code k} in order,
     * starting from its stored value, whether a block of four vectors, one vector or the scalar
     * tail computes it (a lane's fused multiply-add rounds as {@link Math#fma} does), so the
     * columns may be cut anywhere between threads without changing a bit.
     */
    static void product(float[][] a, float[][] x, float[][] c, int r0, int r1End, int k0, int k1, int j0, int j1) {
        product(a, x, c, r0, r1End, k0, k1, j0, j1, null);
    }

    /**
     * {@link #product(float[][], float[][], float[][], int, int, int, int, int, int)} as one of
     * several calls of one product ({@code call}, an object the product makes, or null for none):
     * with 16 registers a thread's later calls with the same {@code call}, rows and terms reuse the
     * panels of {@code a} its first call copied (see {@link #productPanels}), instead of copying
     * the same numbers again for every chunk of columns the thread takes.
     */
    static void product(float[][] a, float[][] x, float[][] c, int r0, int r1End, int k0, int k1, int j0, int j1,
                        Object call) {
        if (SIXTEEN_REGISTERS) {
            productPanels(a, x, c, r0, r1End, k0, k1, j0, j1, call);
        } else {
            productFor32(a, x, c, r0, r1End, k0, k1, j0, j1);
        }
    }

    /** {@link #product} in blocks of 4 rows x 4 vectors, for 32 registers. */
    private static void productFor32(float[][] a, float[][] x, float[][] c, int r0, int r1End, int k0, int k1,
                                     int j0, int j1) {
        for (int kb = k0; kb < k1; kb += K_BLOCK) {
            int ke = Math.min(k1, kb + K_BLOCK);
            for (int j = j0; j < j1; j += 4 * L) {
                int je = Math.min(j1, j + 4 * L);
                for (int r = r0; r < r1End; r += 4) {
                    // Past the last row, the last row again: its outputs are computed twice, the same way.
                    int r1 = Math.min(r + 1, r1End - 1);
                    int r2 = Math.min(r + 2, r1End - 1);
                    int r3 = Math.min(r + 3, r1End - 1);
                    float[] c0 = c[r];
                    float[] c1 = c[r1];
                    float[] c2 = c[r2];
                    float[] c3 = c[r3];
                    if (je - j == 4 * L) {
                        productBlock4(a[r], a[r1], a[r2], a[r3], x, kb, ke, c0, c1, c2, c3, j);
                    } else {
                        int jj = j;
                        for (; jj + L <= je; jj += L) {
                            productBlock1(a[r], a[r1], a[r2], a[r3], x, kb, ke, c0, c1, c2, c3, jj);
                        }
                        productTail(a[r], a[r1], a[r2], a[r3], x, kb, ke, c0, c1, c2, c3, jj, je);
                    }
                }
            }
        }
    }

    /**
     * The gradients of a linear layer, {@code din[t] += sum_o dout[t][o] w[o]} and
     * {@code dw[o] += sum_t dout[t][o] in[t]}, with the weights' rows cut in two fixed halves
     * that each thread keeps to: the input's gradient is summed over each half on its own (the
     * first half from {@code din}'s stored value, the second from 0 into the caller's scratch)
     * and the two sums are added block of columns by block, as soon as both halves of a block
     * are done ({@link SlicedBackward}), so that a thread reads only its half of the rows of
     * {@code w} and writes only its half of {@code dw}'s.
     *
     * <p>Why. The forward product and the optimizer's update split the same matrices by rows
     * (see the core's {@code UpdateOrder}), and this product split the input's gradient by
     * columns, each thread reading part of every row of the weights: so every step each core
     * read cache lines of the weights that the other core's update had just written, and the
     * update then wrote lines the other core had read. Measured at {@code nEmbd} 256 on two
     * threads: the forward and backward passes alone ran 1.89 times as fast as on one thread,
     * the optimizer alone 1.94 times, and the two together, a step, only 1.49 times.
     *
     * <p>The halves depend only on the shape, never on the threads, and each half's sum is one
     * chain of fused multiply-adds over its rows in order whichever thread computes which of its
     * columns; so the bits do not depend on the number of threads (though they differ from one
     * chain over all the rows). The loop runs over the halves' units (blocks of columns and
     * slices of the rows of the weights' gradient, see {@link #MIN_SLICES}),
     * half after half, so that a team of two gives each thread one half; a thread done early
     * takes units from the back of the other's.
     */
    static void backward(float[][] din, float[][] dw, float[][] dout, float[][] in, float[][] w, int from,
                         int to, Team team) {
        backward(din, dw, dout, in, w, from, to, team, false);
    }

    /**
     * {@link #backward(float[][], float[][], float[][], float[][], float[][], int, int, Team)} told
     * whether {@code dw} holds nothing but {@code +0.0} ({@code dwCleared}, as after the
     * optimizer's update): then the weights' gradient starts its sums from zero vectors instead
     * of loading {@code dw} (see {@link #productTransposed(float[][], float[][], float[][], int,
     * int, int, int, int, Object, boolean)}); the same bits.
     */
    static void backward(float[][] din, float[][] dw, float[][] dout, float[][] in, float[][] w, int from,
                         int to, Team team, boolean dwCleared) {
        backward(din, dw, dout, in, w, from, to, team, dwCleared, null);
    }

    /**
     * {@link #backward(float[][], float[][], float[][], float[][], float[][], int, int, Team, boolean)}
     * that, unless {@code update} is null, also runs {@code update} over each slice of the weights' rows as
     * soon as the slice's gradient is summed and no block of the input's gradient still reads
     * those rows of {@code w}: a half's blocks all read all of its rows, so a slice summed while
     * a block of its half is still running (a thread done early takes the other half's units
     * from the back, its slices first) is left to whichever thread finishes the half's last
     * block. Each slice is updated once, by one thread, after every read of its weights; so
     * {@code din} and {@code dw} hold the bits of the product without the update. The units and
     * the update's bookkeeping are {@link SlicedBackward}'s, shared with double precision.
     *
     * <p>When {@code dw} is cleared and {@code update} is a {@link MatrixKernels.GradientRange},
     * a slice that a thread starts once its half's blocks are done (on one thread every slice; on
     * two, all but those taken from the other half while its blocks still run) is summed into
     * the thread's {@link SlicedBackward.SliceScratch} (at most 32 KB at {@code nEmbd} 256, 36 KB
     * with 16 registers, whose slices are whole blocks of six rows; in the first-level cache) and
     * updated from there at once, by the same thread: the same sums in the same order, so the
     * same bits, but {@code dw}'s rows are never written, read back by the update and zeroed
     * again (25 MB of memory traffic a step at {@code nEmbd} 256); they stay {@code +0.0}.
     * Measured there (fused steps, one JVM, old and new alternated, 3 runs of 15 s): the backward
     * products with their updates took 0.948, 0.957 and 0.976 of the time on two threads, a step
     * 0.957, 0.975 and 0.951; on one thread 0.972, 1.006 and 0.963, a step 0.986, 1.005, 0.977.
     *
     * <p>With an update the units keep the weights' gradient's slices apart from the input's
     * gradient's blocks with 16 registers too (without one, a unit there is a block and a slice
     * together, see {@link #MIN_SLICES}). With 16 registers the update had run after the product,
     * over the model's gradient rows, which the product had written and the update read back and
     * zeroed: 12 MB of gradients, three passes over memory a step at {@code nEmbd} 256, which a
     * second core does not speed up (this machine's memory gives two threads 1.06-1.14 times one
     * thread's bandwidth). Measured on a Zen 3 (AVX2, 16 registers) at {@code nEmbd} 256, 4
     * layers, 64 positions (fused steps, one JVM, one model, the update after and inside the
     * product alternated with one and two threads, 14 rounds of 3 steps, medians; a noisy host):
     * the backward products with their updates took 12.1 ms a step on two threads after, 11.0
     * inside, and 18.3 and 17.8 ms on one; a step took 0.934 of the time on two threads and 0.984
     * on one.
     */
    static void backward(float[][] din, float[][] dw, float[][] dout, float[][] in, float[][] w, int from,
                         int to, Team team, boolean dwCleared, Team.Range update) {
        int rows = w.length;
        int cols = w[0].length;
        int middle = middleRow(rows);
        float[][] upper = SecondHalf.LOCAL.get().rows(to, cols);
        Object call = new Object();
        // With 32 registers, or with an update inside, each half's blocks of columns of the input's
        // gradient, then its slices of the rows of the weights' gradient; with 16 and no update,
        // unit i is block i and slice i.
        SlicedBackward.run(team, rows, cols, 4 * L, middle, TRANSPOSED_ROWS, !SIXTEEN_REGISTERS || update != null,
                Float.BYTES, update,
                dw, dwCleared, SlicedBackward.SliceScratch.FLOATS, new SlicedBackward.Products<>() {
                    @Override
                    public void block(int half, int o0, int o1, int j0, int j1) {
                        if (half == 1) {
                            for (int t = from; t < to; t++) {
                                Arrays.fill(upper[t], j0, j1, 0f);
                            }
                        }
                        product(dout, w, half == 0 ? din : upper, from, to, o0, o1, j0, j1, call);
                    }

                    @Override
                    public void gradient(float[][] c, int r0, int r1, boolean cleared) {
                        productTransposed(dout, in, c, r0, r1, from, to, cols, call, cleared);
                    }

                    @Override
                    public void addHalves(int j0, int j1) {
                        for (int t = from; t < to; t++) {
                            float[] d = din[t];
                            float[] u = upper[t];
                            for (int j = j0; j < j1; j++) {
                                d[j] += u[j];
                            }
                        }
                    }
                });
    }

    /**
     * The fewest slices of a half's rows of the weights' gradient in {@link #backward}, with 32
     * registers: the units a thread done with its own half takes from the back of the other's,
     * so the size of the last ones is how long it may wait for the other at the end of the
     * product. With a slice per block of columns, a product 256 columns wide (qkv, Wo and fc1 at
     * {@code nEmbd} 256) had four units a half, the last an eighth of the product. With 16
     * slices (measured with each half's blocks first and its 16 slices after them; one JVM, old
     * and new alternated, 10 rounds, twice) a step's backward products on two threads took 5.10
     * and 4.64 ms instead of 5.47 and 4.83 (one thread 9.93 and 7.64 ms instead of 9.85 and
     * 7.79); with the first units a block and a slice each, as before, and only the further
     * slices after them, 4.56 instead of 4.61 ms. With 16 registers ({@code -XX:UseAVX=2}) finer
     * slices made them slower, in both orders (one thread 15.7 ms instead of 14.2, two 9.1
     * instead of 7.6), so there a product without an update keeps units of a block and a slice
     * each; one with an update inside takes them apart, to sum each slice in scratch (see
     * {@link #backward(float[][], float[][], float[][], float[][], float[][], int, int, Team,
     * boolean, Team.Range)}).
     */
    static final int MIN_SLICES = 16;

    /**
     * Where {@link #backward} cuts {@code rows} rows of the weights in two: half of them, rounded
     * down to whole blocks of the weights' gradient's kernel ({@link #TRANSPOSED_ROWS}). A
     * function of the shape alone, so that the sums do not depend on the threads.
     */
    static int middleRow(int rows) {
        return rows / 2 / TRANSPOSED_ROWS * TRANSPOSED_ROWS;
    }

    /** The caller's scratch for the second half's sums of {@link #backward}, grown as needed. */
    private static final class SecondHalf {
        static final ThreadLocal<SecondHalf> LOCAL = ThreadLocal.withInitial(SecondHalf::new);

        private float[][] rows = new float[0][];

        float[][] rows(int count, int length) {
            rows = ScratchArrays.atLeast(rows, count, length);
            return rows;
        }
    }

    /**
     * Terms per pass of {@link #productPanels}: 256 rows of {@code x} in a panel of two vectors
     * are 16 KB, the {@link #COLUMN_GROUP} panels of a group 128 KB (in the second-level cache),
     * and the panels of the rows of {@code a} for 64 positions 64 KB.
     */
    static final int PANEL_TERMS = 256;

    /** Panels of two vectors of {@code x}'s columns that {@link #productPanels} copies at a time. */
    static final int COLUMN_GROUP = 8;

    /**
     * {@link #product} for 16 registers, over panels, in blocks of six rows of {@code c} times two
     * vectors with {@link #productTransposedBlock6x2} (12 sums, 2 loaded vectors and a broadcast:
     * 15 registers), as {@code DoubleProducts.productNarrow} does in double precision. The terms
     * go {@link #PANEL_TERMS} at a time: for each such pass the rows of {@code a} are first copied
     * six at a time, {@code aPanels[b][(k - kb) 6 + i] = a[r0 + 6 b + i][k]} (past the last row,
     * the last row again: its outputs are then computed twice, the same way, and stored twice),
     * then {@code x}'s columns {@link #COLUMN_GROUP} panels of two vectors at a time,
     * {@code xPanels[g][(k - kb) PANEL + lane] = x[k][j + lane]}, which every block of rows goes
     * over while they are in the second-level cache. The kernel reads both at constant multiples of
     * {@code k}, which the JIT checks once before its loop, where reading the rows {@code a[r]} and
     * {@code x[k]} cost, per term, a load of a row, of its length and a check of each vector
     * (the kernel before, blocks of 2 rows x 4 vectors without panels, took 26% of a one-thread
     * f32 step at {@code nEmbd} 256). The columns short of a whole panel go through a last panel part full
     * ({@link #partPanel}). Each output is
     * still the chain of fused multiply-adds over {@code k} in order from its stored value (the
     * copies hold the same numbers, and the sums are stored between passes, exactly), so the bits
     * are those of the blocks without panels before.
     */
    private static void productPanels(float[][] a, float[][] x, float[][] c, int r0, int r1End, int k0, int k1,
                                      int j0, int j1, Object call) {
        if (r0 >= r1End || k0 >= k1 || j0 >= j1) {
            return;
        }
        Panels panels = Panels.LOCAL.get();
        int rowBlocks = (r1End - r0 + 5) / 6;
        int passes = (k1 - k0 + PANEL_TERMS - 1) / PANEL_TERMS;
        int panelCount = (j1 - j0 + PANEL - 1) / PANEL;
        // Every pass's panels of a at once (one block of rows per panel, pass after pass), so
        // that the thread's next call of the same product finds them all.
        float[][] allPanels = panels.dinAPanels(passes * rowBlocks, Math.min(PANEL_TERMS, k1 - k0) * 6);
        float[][] tiles = panels.tiles();
        boolean copied = panels.holdsA(call, a, r0, r1End, k0, k1);
        int last = r1End - 1;
        for (int kb = k0; kb < k1; kb += PANEL_TERMS) {
            int ke = Math.min(k1, kb + PANEL_TERMS);
            int terms = ke - kb;
            int first = (kb - k0) / PANEL_TERMS * rowBlocks;
            for (int rb = 0; rb < rowBlocks && !copied; rb++) {
                int r = r0 + 6 * rb;
                float[] aPanel = allPanels[first + rb];
                for (int i = 0; i < 6; i++) {
                    float[] ai = a[Math.min(r + i, last)];
                    for (int k = kb, at = i; k < ke; k++, at += 6) {
                        aPanel[at] = ai[k];
                    }
                }
            }
            // x's columns COLUMN_GROUP panels at a time, each of its rows read along 128
            // columns rather than 16 (when x is the weights, every line of it comes from memory).
            float[][] xPanels = panels.groupPanels(COLUMN_GROUP, terms * PANEL);
            for (int pg = 0; pg < panelCount; pg += COLUMN_GROUP) {
                int count = Math.min(COLUMN_GROUP, panelCount - pg);
                for (int k = kb; k < ke; k++) {
                    float[] xk = x[k];
                    int at = (k - kb) * PANEL;
                    for (int g = 0; g < count; g++) {
                        int j = j0 + (pg + g) * PANEL;
                        float[] xPanel = xPanels[g];
                        if (j + PANEL <= j1) {
                            FloatVector.fromArray(S, xk, j).intoArray(xPanel, at);
                            FloatVector.fromArray(S, xk, j + L).intoArray(xPanel, at + L);
                        } else {
                            // The last panel, part full: zeros past the last column.
                            int width = j1 - j;
                            System.arraycopy(xk, j, xPanel, at, width);
                            Arrays.fill(xPanel, at + width, at + PANEL, 0f);
                        }
                    }
                }
                for (int g = 0; g < count; g++) {
                    int j = j0 + (pg + g) * PANEL;
                    for (int rb = 0; rb < rowBlocks; rb++) {
                        int r = r0 + 6 * rb;
                        float[] aPanel = allPanels[first + rb];
                        if (j + PANEL <= j1) {
                            productTransposedBlock6x2(aPanel, xPanels[g], terms, c[r], c[Math.min(r + 1, last)],
                                    c[Math.min(r + 2, last)], c[Math.min(r + 3, last)], c[Math.min(r + 4, last)],
                                    c[Math.min(r + 5, last)], j, false);
                        } else {
                            partPanel(aPanel, xPanels[g], terms, c, r, last, j, j1 - j, tiles);
                        }
                    }
                }
            }
        }
    }

    /**
     * The last panel of {@link #productPanels} when it is part full ({@code width < PANEL}
     * columns from {@code j}, the rest of the panel of {@code x} zeros): the block's outputs are
     * copied into {@code tiles} (six rows of a panel, zeros past {@code width}), go through
     * {@link #productTransposedBlock6x2} there, and are copied back. Each output is the same chain
     * of fused multiply-adds as in a full panel; the lanes past {@code width} sum zeros and are
     * dropped. (Before, these columns went one vector, then one column, at a time through
     * {@link #productFor32}'s kernels: at {@code nEmbd} 256 the output layer's forward product,
     * 27 columns, took some 6% of a one-thread f32 step there.)
     */
    private static void partPanel(float[] aPanel, float[] xPanel, int terms, float[][] c, int r, int last, int j,
                                  int width, float[][] tiles) {
        for (int i = 0; i < 6; i++) {
            float[] tile = tiles[i];
            System.arraycopy(c[Math.min(r + i, last)], j, tile, 0, width);
            Arrays.fill(tile, width, PANEL, 0f);
        }
        productTransposedBlock6x2(aPanel, xPanel, terms, tiles[0], tiles[1], tiles[2], tiles[3], tiles[4],
                tiles[5], 0, false);
        for (int i = 0; i < 6; i++) {
            System.arraycopy(tiles[i], 0, c[Math.min(r + i, last)], j, width);
        }
    }

    /**
     * Four vectors of positions: a forward product's tile holds {@code 4 POSITIONS} floats,
     * enough for every kernel's block (five rows by two vectors with 16 registers, eight rows by
     * two vectors with 32).
     */
    static final int POSITIONS = 4 * L;

    /**
     * Rows of the weights per block of {@link #productEightRows}: eight rows times two vectors of
     * positions, 16 sums in registers.
     */
    static final int EIGHT_ROWS = 8;

    /**
     * The first position of the second half of a forward product's {@code n} positions (see
     * {@link #productInHalves}): half of them rounded up to a whole vector, so that the second half
     * starts at a whole vector of the transposed input; {@code n} itself, no second half, when
     * {@code n} is a vector or less.
     */
    static int positionHalf(int n) {
        return Math.min(n, (n / 2 + L - 1) / L * L);
    }

    /**
     * {@code out[t0 + p][o] = sum_k w[o][k] * inT[k][p0 + p]} for the rows {@code [o0, o1)} of
     * {@code w} and the positions {@code p < count}, with fused multiply-adds from 0 in the order
     * of {@code k} (32 registers), eight rows of the weights times two vectors of positions in
     * registers, written out through
     * {@code tile} (at least {@code 16 L} floats). {@code inT} holds the positions from
     * {@code p0} on, zeros up to a whole vector past {@code count}.
     *
     * <p>The blocks of four rows times four vectors (64 positions) that this replaced read all of
     * {@code inT} for every four rows: 64 KB at 256 inputs, more than the first-level cache.
     * A half (32 KB) stays there through a pass of {@link #productInHalves}. Measured at
     * {@code nEmbd} 256, 4 layers, 64 positions (one JVM, the old and new classes in two class
     * loaders, runs alternated, paired medians of new over old): a two-thread step 0.929 and
     * 0.821, a one-thread step 0.994 and 1.007, the same bits. Splitting the threads by the
     * halves instead of by rows (each thread its own positions, every row) made a two-thread step
     * 0.989 and 1.099 (each thread then reads all the weights).
     */
    static void productEightRows(float[][] inT, int p0, int count, float[][] w, int o0, int o1, float[][] out,
                                 int t0, float[] tile) {
        int k1 = w[o0].length;
        int padded = (count + L - 1) / L * L;
        int last = o1 - 1;
        for (int o = o0; o < o1; o += EIGHT_ROWS) {
            float[] w0 = w[o];
            float[] w1 = w[Math.min(o + 1, last)];
            float[] w2 = w[Math.min(o + 2, last)];
            float[] w3 = w[Math.min(o + 3, last)];
            float[] w4 = w[Math.min(o + 4, last)];
            float[] w5 = w[Math.min(o + 5, last)];
            float[] w6 = w[Math.min(o + 6, last)];
            float[] w7 = w[Math.min(o + 7, last)];
            int rows = Math.min(EIGHT_ROWS, o1 - o);
            int p = 0;
            for (; p + 2 * L <= padded; p += 2 * L) {
                rowsBlock8x2(w0, w1, w2, w3, w4, w5, w6, w7, inT, k1, p0 + p, tile);
                scatter(tile, 2 * L, out, t0 + p, Math.min(2 * L, count - p), o, rows);
            }
            if (p < padded) {
                rowsBlock8x1(w0, w1, w2, w3, w4, w5, w6, w7, inT, k1, p0 + p, tile);
                scatter(tile, L, out, t0 + p, count - p, o, rows);
            }
        }
    }

    /**
     * Rows of the weights per group of {@link #productInHalves}: 64 KB of weights at 256 inputs
     * (256 KB at 1024), which stay in the core's second-level cache between the group's two
     * passes.
     */
    static final int HALF_GROUP = 64;

    /**
     * {@code out[from + p][o] = sum_k w[o][k] * inT[k][p]} for the rows {@code [o0, o1)} of
     * {@code w} and the positions {@code p < n}, by {@link #productEightRows}: in groups of
     * {@link #HALF_GROUP}, each group over the positions {@code [0, positionHalf(n))}, then over
     * the rest; {@code inT} holds all {@code n} positions (zeros up to a whole vector). A pass
     * reads half of each row of {@code inT} (32 KB at 256 inputs, in the first-level cache),
     * where blocks of four rows times four vectors read it all (64 KB) for every four rows.
     * Each output is the same chain of fused multiply-adds from 0 in the order of {@code k}, so
     * the bits are those of four rows times four vectors (as before) or of any other blocks.
     */
    static void productInHalves(float[][] inT, int n, float[][] w, int o0, int o1, float[][] out, int from,
                                float[] tile) {
        int h = positionHalf(n);
        for (int g = o0; g < o1; g += HALF_GROUP) {
            int g1 = Math.min(o1, g + HALF_GROUP);
            productEightRows(inT, 0, h, w, g, g1, out, from, tile);
            if (h < n) {
                productEightRows(inT, h, n - h, w, g, g1, out, from + h, tile);
            }
        }
    }

    private static void rowsBlock8x2(float[] w0, float[] w1, float[] w2, float[] w3, float[] w4, float[] w5,
                                     float[] w6, float[] w7, float[][] inT, int k1, int p, float[] tile) {
        FloatVector s00 = Z.broadcast(0.0f);
        FloatVector s01 = s00;
        FloatVector s10 = s00;
        FloatVector s11 = s00;
        FloatVector s20 = s00;
        FloatVector s21 = s00;
        FloatVector s30 = s00;
        FloatVector s31 = s00;
        FloatVector s40 = s00;
        FloatVector s41 = s00;
        FloatVector s50 = s00;
        FloatVector s51 = s00;
        FloatVector s60 = s00;
        FloatVector s61 = s00;
        FloatVector s70 = s00;
        FloatVector s71 = s00;
        for (int k = 0; k < k1; k++) {
            float[] xk = inT[k];
            FloatVector x0 = FloatVector.fromArray(S, xk, p);
            FloatVector x1 = FloatVector.fromArray(S, xk, p + L);
            FloatVector b0 = Z.broadcast(w0[k]);
            s00 = b0.fma(x0, s00);
            s01 = b0.fma(x1, s01);
            FloatVector b1 = Z.broadcast(w1[k]);
            s10 = b1.fma(x0, s10);
            s11 = b1.fma(x1, s11);
            FloatVector b2 = Z.broadcast(w2[k]);
            s20 = b2.fma(x0, s20);
            s21 = b2.fma(x1, s21);
            FloatVector b3 = Z.broadcast(w3[k]);
            s30 = b3.fma(x0, s30);
            s31 = b3.fma(x1, s31);
            FloatVector b4 = Z.broadcast(w4[k]);
            s40 = b4.fma(x0, s40);
            s41 = b4.fma(x1, s41);
            FloatVector b5 = Z.broadcast(w5[k]);
            s50 = b5.fma(x0, s50);
            s51 = b5.fma(x1, s51);
            FloatVector b6 = Z.broadcast(w6[k]);
            s60 = b6.fma(x0, s60);
            s61 = b6.fma(x1, s61);
            FloatVector b7 = Z.broadcast(w7[k]);
            s70 = b7.fma(x0, s70);
            s71 = b7.fma(x1, s71);
        }
        int stride = 2 * L;
        s00.intoArray(tile, 0);
        s01.intoArray(tile, L);
        s10.intoArray(tile, stride);
        s11.intoArray(tile, stride + L);
        s20.intoArray(tile, 2 * stride);
        s21.intoArray(tile, 2 * stride + L);
        s30.intoArray(tile, 3 * stride);
        s31.intoArray(tile, 3 * stride + L);
        s40.intoArray(tile, 4 * stride);
        s41.intoArray(tile, 4 * stride + L);
        s50.intoArray(tile, 5 * stride);
        s51.intoArray(tile, 5 * stride + L);
        s60.intoArray(tile, 6 * stride);
        s61.intoArray(tile, 6 * stride + L);
        s70.intoArray(tile, 7 * stride);
        s71.intoArray(tile, 7 * stride + L);
    }

    private static void rowsBlock8x1(float[] w0, float[] w1, float[] w2, float[] w3, float[] w4, float[] w5,
                                     float[] w6, float[] w7, float[][] inT, int k1, int p, float[] tile) {
        FloatVector s0 = Z.broadcast(0.0f);
        FloatVector s1 = s0;
        FloatVector s2 = s0;
        FloatVector s3 = s0;
        FloatVector s4 = s0;
        FloatVector s5 = s0;
        FloatVector s6 = s0;
        FloatVector s7 = s0;
        for (int k = 0; k < k1; k++) {
            FloatVector x = FloatVector.fromArray(S, inT[k], p);
            s0 = Z.broadcast(w0[k]).fma(x, s0);
            s1 = Z.broadcast(w1[k]).fma(x, s1);
            s2 = Z.broadcast(w2[k]).fma(x, s2);
            s3 = Z.broadcast(w3[k]).fma(x, s3);
            s4 = Z.broadcast(w4[k]).fma(x, s4);
            s5 = Z.broadcast(w5[k]).fma(x, s5);
            s6 = Z.broadcast(w6[k]).fma(x, s6);
            s7 = Z.broadcast(w7[k]).fma(x, s7);
        }
        s0.intoArray(tile, 0);
        s1.intoArray(tile, L);
        s2.intoArray(tile, 2 * L);
        s3.intoArray(tile, 3 * L);
        s4.intoArray(tile, 4 * L);
        s5.intoArray(tile, 5 * L);
        s6.intoArray(tile, 6 * L);
        s7.intoArray(tile, 7 * L);
    }

    /**
     * Positions per panel of {@link #productByPanels} (16 registers): two vectors, so that a
     * block of five rows of the weights is 10 sums in registers.
     */
    static final int PANEL = 2 * L;

    /** The positions {@code n} rounded up to whole panels: the panels' length, in positions. */
    static int panelPositions(int n) {
        return (n + PANEL - 1) / PANEL * PANEL;
    }

    /**
     * The input of {@link #productByPanels}: {@code panels[p / PANEL][k * PANEL + p % PANEL] =
     * in[from + p][k]} for the positions {@code p < to - from}, zeros for the rest of the last
     * panel. The transposed input of {@link #transposeInput} cut into panels of {@link #PANEL}
     * positions, each panel's terms one after the other: the kernel then reads a panel at
     * {@code k * PANEL}, a constant multiple of {@code k} that the JIT checks once before the
     * loop, where a row {@code inT[k]} per term costs a load of the row, of its length and a
     * check of each vector read from it (some 8 instructions per term beside 10 fused
     * multiply-adds). One array per panel rather than one for all: with the panel's offset in a
     * register more, C2 kept one of the 10 sums on the stack (27 GFLOP/s instead of 49 here).
     */
    static void transposeInputPanels(float[][] in, int from, int to, float[][] panels, int cols) {
        transposeInputPanels(in, from, to, panels, 0, cols);
    }

    /**
     * {@link #transposeInputPanels(float[][], int, int, float[][], int)} into the panels
     * from {@code panels[first]} on: positions {@code [from, to)} of a larger input whose panel
     * {@code first} starts at {@code from}.
     */
    static void transposeInputPanels(float[][] in, int from, int to, float[][] panels, int first, int cols) {
        int n = to - from;
        int padded = panelPositions(n);
        // A panel at a time, its terms in strips of TRANSPOSE_TERMS: all the positions of the
        // panel write one strip (4 KB) while it stays in the first-level cache, where one
        // position at a time wrote every term's line of the whole panel (64 KB for an input of
        // 1024 columns) and came back to each line sixteen times.
        for (int p0 = 0; p0 < padded; p0 += PANEL) {
            float[] panel = panels[first + p0 / PANEL];
            int count = Math.min(PANEL, n - p0);
            for (int k0 = 0; k0 < cols; k0 += TRANSPOSE_TERMS) {
                int k1 = Math.min(cols, k0 + TRANSPOSE_TERMS);
                for (int p = 0; p < count; p++) {
                    float[] r = in[from + p0 + p];
                    for (int k = k0, at = k0 * PANEL + p; k < k1; k++, at += PANEL) {
                        panel[at] = r[k];
                    }
                }
                for (int p = count; p < PANEL; p++) {
                    for (int k = k0, at = k0 * PANEL + p; k < k1; k++, at += PANEL) {
                        panel[at] = 0f;
                    }
                }
            }
        }
    }

    /** Terms per strip of {@link #transposeInputPanels}: 64 terms of a panel of 16 floats are 4 KB. */
    private static final int TRANSPOSE_TERMS = 64;

    /**
     * {@link #productInHalves} for 16 registers, from the input cut into panels
     * ({@link #transposeInputPanels}): blocks of five rows of the weights times a panel of
     * {@link #PANEL} positions (10 sums, 2 vectors and a broadcast in registers; the rows past the
     * last one repeat it, as in {@link #productEightRows}). Each output is the same chain of fused multiply-adds from 0 over
     * {@code k} in order, so the bits are {@link #productInHalves}'s.
     */
    static void productByPanels(float[][] panels, int n, float[][] w, int o0, int o1, float[][] out, int from,
                                float[] tile) {
        productByPanels(panels, n, w, o0, o1, out, from, tile, false);
    }

    /**
     * {@link #productByPanels(float[][], int, float[][], int, int, float[][], int, float[])}
     * with, if {@code relu}, each output's ReLU ({@code Math.max(y, 0f)}) taken as it is written
     * out of the tile: the product's bits, then the ReLU's.
     */
    static void productByPanels(float[][] panels, int n, float[][] w, int o0, int o1, float[][] out, int from,
                                float[] tile, boolean relu) {
        int k1 = w[o0].length;
        int padded = panelPositions(n);
        for (int o = o0; o < o1; o += 5) {
            // Past the last row, the last row again: its outputs are computed twice, the same way.
            float[] w0 = w[o];
            float[] w1 = w[Math.min(o + 1, o1 - 1)];
            float[] w2 = w[Math.min(o + 2, o1 - 1)];
            float[] w3 = w[Math.min(o + 3, o1 - 1)];
            float[] w4 = w[Math.min(o + 4, o1 - 1)];
            int rows = Math.min(5, o1 - o);
            for (int p = 0; p < padded; p += PANEL) {
                panelBlock5(w0, w1, w2, w3, w4, panels[p / PANEL], k1, tile);
                if (relu) {
                    scatterRelu(tile, PANEL, out, from + p, Math.min(PANEL, n - p), o, rows);
                } else {
                    scatter(tile, PANEL, out, from + p, Math.min(PANEL, n - p), o, rows);
                }
            }
        }
    }

    /** Five rows of the weights times a panel: {@code tile[q * PANEL + p]}. */
    private static void panelBlock5(float[] w0, float[] w1, float[] w2, float[] w3, float[] w4, float[] panel,
                                    int k1, float[] tile) {
        FloatVector s00 = Z.broadcast(0.0f);
        FloatVector s01 = s00;
        FloatVector s10 = s00;
        FloatVector s11 = s00;
        FloatVector s20 = s00;
        FloatVector s21 = s00;
        FloatVector s30 = s00;
        FloatVector s31 = s00;
        FloatVector s40 = s00;
        FloatVector s41 = s00;
        for (int k = 0; k < k1; k++) {
            FloatVector x0 = FloatVector.fromArray(S, panel, k * PANEL);
            FloatVector x1 = FloatVector.fromArray(S, panel, k * PANEL + L);
            FloatVector b0 = Z.broadcast(w0[k]);
            s00 = b0.fma(x0, s00);
            s01 = b0.fma(x1, s01);
            FloatVector b1 = Z.broadcast(w1[k]);
            s10 = b1.fma(x0, s10);
            s11 = b1.fma(x1, s11);
            FloatVector b2 = Z.broadcast(w2[k]);
            s20 = b2.fma(x0, s20);
            s21 = b2.fma(x1, s21);
            FloatVector b3 = Z.broadcast(w3[k]);
            s30 = b3.fma(x0, s30);
            s31 = b3.fma(x1, s31);
            FloatVector b4 = Z.broadcast(w4[k]);
            s40 = b4.fma(x0, s40);
            s41 = b4.fma(x1, s41);
        }
        s00.intoArray(tile, 0);
        s01.intoArray(tile, L);
        s10.intoArray(tile, PANEL);
        s11.intoArray(tile, PANEL + L);
        s20.intoArray(tile, 2 * PANEL);
        s21.intoArray(tile, 2 * PANEL + L);
        s30.intoArray(tile, 3 * PANEL);
        s31.intoArray(tile, 3 * PANEL + L);
        s40.intoArray(tile, 4 * PANEL);
        s41.intoArray(tile, 4 * PANEL + L);
    }

    /** {@code out[t0 + p][o + q] = tile[q * stride + p]} for {@code p < count}, {@code q < rows}. */
    private static void scatter(float[] tile, int stride, float[][] out, int t0, int count, int o, int rows) {
        for (int p = 0; p < count; p++) {
            float[] y = out[t0 + p];
            for (int q = 0; q < rows; q++) {
                y[o + q] = tile[q * stride + p];
            }
        }
    }

    /** {@link #scatter} of {@code Math.max(tile[q * stride + p], 0f)}: the outputs' ReLU. */
    private static void scatterRelu(float[] tile, int stride, float[][] out, int t0, int count, int o, int rows) {
        for (int p = 0; p < count; p++) {
            float[] y = out[t0 + p];
            for (int q = 0; q < rows; q++) {
                y[o + q] = Math.max(tile[q * stride + p], 0f);
            }
        }
    }

    /**
     * {@code inT[k][p] = in[from + p][k]} for the positions {@code p < to - from} and the
     * columns {@code k} in {@code [k0, k1)}, and {@code inT[k][p] = 0} up to the next whole
     * vector: the input of {@link #productInHalves}. Eight positions at a time, so that each pass
     * writes a whole cache line of a row of {@code inT} (64 bytes of doubles; half of one for
     * floats) rather than part of one; the threads share the columns.
     */
    static void transposeInput(float[][] in, int from, int to, float[][] inT, int k0, int k1) {
        int n = to - from;
        int padded = (n + L - 1) / L * L;
        for (int k = k0; k < k1; k++) {
            java.util.Arrays.fill(inT[k], n, padded, 0f);
        }
        int t = from;
        for (; t + 7 < to; t += 8) {
            float[] r0 = in[t];
            float[] r1 = in[t + 1];
            float[] r2 = in[t + 2];
            float[] r3 = in[t + 3];
            float[] r4 = in[t + 4];
            float[] r5 = in[t + 5];
            float[] r6 = in[t + 6];
            float[] r7 = in[t + 7];
            int p = t - from;
            for (int k = k0; k < k1; k++) {
                float[] d = inT[k];
                d[p] = r0[k];
                d[p + 1] = r1[k];
                d[p + 2] = r2[k];
                d[p + 3] = r3[k];
                d[p + 4] = r4[k];
                d[p + 5] = r5[k];
                d[p + 6] = r6[k];
                d[p + 7] = r7[k];
            }
        }
        for (; t < to; t++) {
            float[] r = in[t];
            int p = t - from;
            for (int k = k0; k < k1; k++) {
                inT[k][p] = r[k];
            }
        }
    }

    private static void productBlock4(float[] a0, float[] a1, float[] a2, float[] a3, float[][] x, int k0, int k1,
            float[] c0, float[] c1, float[] c2, float[] c3, int j) {
        FloatVector s00 = FloatVector.fromArray(S, c0, j);
        FloatVector s01 = FloatVector.fromArray(S, c0, j + 1 * L);
        FloatVector s02 = FloatVector.fromArray(S, c0, j + 2 * L);
        FloatVector s03 = FloatVector.fromArray(S, c0, j + 3 * L);
        FloatVector s10 = FloatVector.fromArray(S, c1, j);
        FloatVector s11 = FloatVector.fromArray(S, c1, j + 1 * L);
        FloatVector s12 = FloatVector.fromArray(S, c1, j + 2 * L);
        FloatVector s13 = FloatVector.fromArray(S, c1, j + 3 * L);
        FloatVector s20 = FloatVector.fromArray(S, c2, j);
        FloatVector s21 = FloatVector.fromArray(S, c2, j + 1 * L);
        FloatVector s22 = FloatVector.fromArray(S, c2, j + 2 * L);
        FloatVector s23 = FloatVector.fromArray(S, c2, j + 3 * L);
        FloatVector s30 = FloatVector.fromArray(S, c3, j);
        FloatVector s31 = FloatVector.fromArray(S, c3, j + 1 * L);
        FloatVector s32 = FloatVector.fromArray(S, c3, j + 2 * L);
        FloatVector s33 = FloatVector.fromArray(S, c3, j + 3 * L);
        for (int k = k0; k < k1; k++) {
            float[] xk = x[k];
            FloatVector x0 = FloatVector.fromArray(S, xk, j);
            FloatVector x1 = FloatVector.fromArray(S, xk, j + 1 * L);
            FloatVector x2 = FloatVector.fromArray(S, xk, j + 2 * L);
            FloatVector x3 = FloatVector.fromArray(S, xk, j + 3 * L);
            FloatVector b0 = Z.broadcast(a0[k]);
            s00 = b0.fma(x0, s00);
            s01 = b0.fma(x1, s01);
            s02 = b0.fma(x2, s02);
            s03 = b0.fma(x3, s03);
            FloatVector b1 = Z.broadcast(a1[k]);
            s10 = b1.fma(x0, s10);
            s11 = b1.fma(x1, s11);
            s12 = b1.fma(x2, s12);
            s13 = b1.fma(x3, s13);
            FloatVector b2 = Z.broadcast(a2[k]);
            s20 = b2.fma(x0, s20);
            s21 = b2.fma(x1, s21);
            s22 = b2.fma(x2, s22);
            s23 = b2.fma(x3, s23);
            FloatVector b3 = Z.broadcast(a3[k]);
            s30 = b3.fma(x0, s30);
            s31 = b3.fma(x1, s31);
            s32 = b3.fma(x2, s32);
            s33 = b3.fma(x3, s33);
        }
        s00.intoArray(c0, j);
        s01.intoArray(c0, j + 1 * L);
        s02.intoArray(c0, j + 2 * L);
        s03.intoArray(c0, j + 3 * L);
        s10.intoArray(c1, j);
        s11.intoArray(c1, j + 1 * L);
        s12.intoArray(c1, j + 2 * L);
        s13.intoArray(c1, j + 3 * L);
        s20.intoArray(c2, j);
        s21.intoArray(c2, j + 1 * L);
        s22.intoArray(c2, j + 2 * L);
        s23.intoArray(c2, j + 3 * L);
        s30.intoArray(c3, j);
        s31.intoArray(c3, j + 1 * L);
        s32.intoArray(c3, j + 2 * L);
        s33.intoArray(c3, j + 3 * L);
    }

    private static void productBlock1(float[] a0, float[] a1, float[] a2, float[] a3, float[][] x, int k0, int k1,
            float[] c0, float[] c1, float[] c2, float[] c3, int j) {
        FloatVector s00 = FloatVector.fromArray(S, c0, j);
        FloatVector s10 = FloatVector.fromArray(S, c1, j);
        FloatVector s20 = FloatVector.fromArray(S, c2, j);
        FloatVector s30 = FloatVector.fromArray(S, c3, j);
        for (int k = k0; k < k1; k++) {
            float[] xk = x[k];
            FloatVector x0 = FloatVector.fromArray(S, xk, j);
            FloatVector b0 = Z.broadcast(a0[k]);
            s00 = b0.fma(x0, s00);
            FloatVector b1 = Z.broadcast(a1[k]);
            s10 = b1.fma(x0, s10);
            FloatVector b2 = Z.broadcast(a2[k]);
            s20 = b2.fma(x0, s20);
            FloatVector b3 = Z.broadcast(a3[k]);
            s30 = b3.fma(x0, s30);
        }
        s00.intoArray(c0, j);
        s10.intoArray(c1, j);
        s20.intoArray(c2, j);
        s30.intoArray(c3, j);
    }

    private static void productTail(float[] a0, float[] a1, float[] a2, float[] a3, float[][] x, int k0, int k1,
            float[] c0, float[] c1, float[] c2, float[] c3, int j0, int j1) {
        for (int j = j0; j < j1; j++) {
            float s0 = c0[j];
            float s1 = c1[j];
            float s2 = c2[j];
            float s3 = c3[j];
            for (int k = k0; k < k1; k++) {
                float xj = x[k][j];
                s0 = Math.fma(a0[k], xj, s0);
                s1 = Math.fma(a1[k], xj, s1);
                s2 = Math.fma(a2[k], xj, s2);
                s3 = Math.fma(a3[k], xj, s3);
            }
            c0[j] = s0;
            c1[j] = s1;
            c2[j] = s2;
            c3[j] = s3;
        }
    }

    /**
     * {@code c[r][j] += sum_k a[k][r] * x[k][j]} over {@code k} in {@code [k0, k1)} ({@code a} read
     * down its columns), with fused multiply-adds in the order of {@code k}: rows
     * {@code [r0, r1End)} of {@code c}, columns {@code [0, width)}.
     */
    static void productTransposed(float[][] a, float[][] x, float[][] c, int r0, int r1End, int k0, int k1, int width) {
        productTransposed(a, x, c, r0, r1End, k0, k1, width, null);
    }

    /**
     * The rows of {@code c} in a block of {@link #productTransposed}'s kernel: 6 with 16
     * registers, 4 with 32. A split of the rows between threads at multiples of this leaves every
     * chunk whole blocks.
     */
    static final int TRANSPOSED_ROWS = SIXTEEN_REGISTERS ? 6 : 4;

    /**
     * {@link #productTransposed} as one chunk of rows of a product shared between threads: the
     * chunks of the same {@code call} (an object new for each product, or null for none) on the
     * same thread copy {@code x} into the thread's panels only once, on the first of them. Every
     * chunk reads all of {@code x}, and without this a thread that took its rows in four chunks
     * copied all of it four times (at {@code nEmbd} 256 the MLP's second layer's input, 256 KB).
     * The copy holds the same numbers, so the bits do not change.
     */
    static void productTransposed(float[][] a, float[][] x, float[][] c, int r0, int r1End, int k0, int k1, int width,
                                  Object call) {
        productTransposed(a, x, c, r0, r1End, k0, k1, width, call, false);
    }

    /**
     * {@link #productTransposed(float[][], float[][], float[][], int, int, int, int, int, Object)}
     * told whether {@code c}'s rows {@code [r0, r1End)} hold nothing but {@code +0.0}
     * ({@code cleared}): then the kernels start their sums from zero vectors (and the scalar edges
     * from {@code 0f}) instead of loading {@code c}, on the first block of terms (the later blocks
     * add to what the first stored). The same bits: {@code fma(a, b, +0.0)} is what a fused
     * multiply-add gives from a stored {@code +0.0}. What it saves is the gradient's rows coming
     * from memory (the previous step's update wrote them last, 12 MB at {@code nEmbd} 256) before
     * a block's first multiply-add can start, as {@code DoubleProducts.productTransposed} does in
     * double precision.
     */
    static void productTransposed(float[][] a, float[][] x, float[][] c, int r0, int r1End, int k0, int k1, int width,
                                  Object call, boolean cleared) {
        if (SIXTEEN_REGISTERS) {
            productTransposedFor16(a, x, c, r0, r1End, k0, k1, width, call, cleared);
        } else {
            productTransposedFor32(a, x, c, r0, r1End, k0, k1, width, cleared);
        }
    }

    /** {@link #productTransposed} in blocks of 4 rows x 4 vectors, for 32 registers. */
    private static void productTransposedFor32(float[][] a, float[][] x, float[][] c, int r0, int r1End, int k0,
                                               int k1, int width, boolean cleared) {
        for (int kb = k0; kb < k1; kb += K_BLOCK) {
            int ke = Math.min(k1, kb + K_BLOCK);
            // The first block of terms from zero when c's rows hold +0.0; the later ones add to it.
            boolean fromZero = cleared && kb == k0;
            // Rows outside, columns inside: each block of four rows of c is read and written along
            // its rows, once, while the rows of x (a few positions' inputs) stay in the caches.
            for (int r = r0; r < r1End; r += 4) {
                // Past the last row, the last row again: its outputs are computed twice, the same way.
                int r1 = Math.min(r + 1, r1End - 1);
                int r2 = Math.min(r + 2, r1End - 1);
                int r3 = Math.min(r + 3, r1End - 1);
                float[] c0 = c[r];
                float[] c1 = c[r1];
                float[] c2 = c[r2];
                float[] c3 = c[r3];
                int j = 0;
                for (; j + 4 * L <= width; j += 4 * L) {
                    productTransposedBlock4(a, r, r1, r2, r3, x, kb, ke, c0, c1, c2, c3, j, fromZero);
                }
                for (; j + L <= width; j += L) {
                    productTransposedBlock1(a, r, r1, r2, r3, x, kb, ke, c0, c1, c2, c3, j, fromZero);
                }
                productTransposedTail(a, r, r1, r2, r3, x, kb, ke, c0, c1, c2, c3, j, width, fromZero);
            }
        }
    }

    private static void productTransposedBlock4(float[][] a, int q0, int q1, int q2, int q3, float[][] x, int k0, int k1,
            float[] c0, float[] c1, float[] c2, float[] c3, int j, boolean cleared) {
        FloatVector zero = Z.broadcast(0.0f);
        FloatVector s00 = start(cleared, zero, c0, j);
        FloatVector s01 = start(cleared, zero, c0, j + 1 * L);
        FloatVector s02 = start(cleared, zero, c0, j + 2 * L);
        FloatVector s03 = start(cleared, zero, c0, j + 3 * L);
        FloatVector s10 = start(cleared, zero, c1, j);
        FloatVector s11 = start(cleared, zero, c1, j + 1 * L);
        FloatVector s12 = start(cleared, zero, c1, j + 2 * L);
        FloatVector s13 = start(cleared, zero, c1, j + 3 * L);
        FloatVector s20 = start(cleared, zero, c2, j);
        FloatVector s21 = start(cleared, zero, c2, j + 1 * L);
        FloatVector s22 = start(cleared, zero, c2, j + 2 * L);
        FloatVector s23 = start(cleared, zero, c2, j + 3 * L);
        FloatVector s30 = start(cleared, zero, c3, j);
        FloatVector s31 = start(cleared, zero, c3, j + 1 * L);
        FloatVector s32 = start(cleared, zero, c3, j + 2 * L);
        FloatVector s33 = start(cleared, zero, c3, j + 3 * L);
        for (int k = k0; k < k1; k++) {
            float[] ak = a[k];
            float[] xk = x[k];
            FloatVector x0 = FloatVector.fromArray(S, xk, j);
            FloatVector x1 = FloatVector.fromArray(S, xk, j + 1 * L);
            FloatVector x2 = FloatVector.fromArray(S, xk, j + 2 * L);
            FloatVector x3 = FloatVector.fromArray(S, xk, j + 3 * L);
            FloatVector b0 = Z.broadcast(ak[q0]);
            s00 = b0.fma(x0, s00);
            s01 = b0.fma(x1, s01);
            s02 = b0.fma(x2, s02);
            s03 = b0.fma(x3, s03);
            FloatVector b1 = Z.broadcast(ak[q1]);
            s10 = b1.fma(x0, s10);
            s11 = b1.fma(x1, s11);
            s12 = b1.fma(x2, s12);
            s13 = b1.fma(x3, s13);
            FloatVector b2 = Z.broadcast(ak[q2]);
            s20 = b2.fma(x0, s20);
            s21 = b2.fma(x1, s21);
            s22 = b2.fma(x2, s22);
            s23 = b2.fma(x3, s23);
            FloatVector b3 = Z.broadcast(ak[q3]);
            s30 = b3.fma(x0, s30);
            s31 = b3.fma(x1, s31);
            s32 = b3.fma(x2, s32);
            s33 = b3.fma(x3, s33);
        }
        s00.intoArray(c0, j);
        s01.intoArray(c0, j + 1 * L);
        s02.intoArray(c0, j + 2 * L);
        s03.intoArray(c0, j + 3 * L);
        s10.intoArray(c1, j);
        s11.intoArray(c1, j + 1 * L);
        s12.intoArray(c1, j + 2 * L);
        s13.intoArray(c1, j + 3 * L);
        s20.intoArray(c2, j);
        s21.intoArray(c2, j + 1 * L);
        s22.intoArray(c2, j + 2 * L);
        s23.intoArray(c2, j + 3 * L);
        s30.intoArray(c3, j);
        s31.intoArray(c3, j + 1 * L);
        s32.intoArray(c3, j + 2 * L);
        s33.intoArray(c3, j + 3 * L);
    }

    private static void productTransposedBlock1(float[][] a, int q0, int q1, int q2, int q3, float[][] x, int k0, int k1,
            float[] c0, float[] c1, float[] c2, float[] c3, int j, boolean cleared) {
        FloatVector zero = Z.broadcast(0.0f);
        FloatVector s00 = start(cleared, zero, c0, j);
        FloatVector s10 = start(cleared, zero, c1, j);
        FloatVector s20 = start(cleared, zero, c2, j);
        FloatVector s30 = start(cleared, zero, c3, j);
        for (int k = k0; k < k1; k++) {
            float[] ak = a[k];
            float[] xk = x[k];
            FloatVector x0 = FloatVector.fromArray(S, xk, j);
            FloatVector b0 = Z.broadcast(ak[q0]);
            s00 = b0.fma(x0, s00);
            FloatVector b1 = Z.broadcast(ak[q1]);
            s10 = b1.fma(x0, s10);
            FloatVector b2 = Z.broadcast(ak[q2]);
            s20 = b2.fma(x0, s20);
            FloatVector b3 = Z.broadcast(ak[q3]);
            s30 = b3.fma(x0, s30);
        }
        s00.intoArray(c0, j);
        s10.intoArray(c1, j);
        s20.intoArray(c2, j);
        s30.intoArray(c3, j);
    }

    private static void productTransposedTail(float[][] a, int q0, int q1, int q2, int q3, float[][] x, int k0, int k1,
            float[] c0, float[] c1, float[] c2, float[] c3, int j0, int j1, boolean cleared) {
        for (int j = j0; j < j1; j++) {
            float s0 = cleared ? 0f : c0[j];
            float s1 = cleared ? 0f : c1[j];
            float s2 = cleared ? 0f : c2[j];
            float s3 = cleared ? 0f : c3[j];
            for (int k = k0; k < k1; k++) {
                float[] ak = a[k];
                float xj = x[k][j];
                s0 = Math.fma(ak[q0], xj, s0);
                s1 = Math.fma(ak[q1], xj, s1);
                s2 = Math.fma(ak[q2], xj, s2);
                s3 = Math.fma(ak[q3], xj, s3);
            }
            c0[j] = s0;
            c1[j] = s1;
            c2[j] = s2;
            c3[j] = s3;
        }
    }

    /**
     * {@link #productTransposed} for 16 registers: blocks of 6 rows x 2 vectors; in each block
     * the columns short of two vectors one row at a time ({@link #productTransposedRow}). The rows
     * short of a whole block of six (the last block of a matrix whose rows are not a multiple of
     * six) take the same kernel with the rows past the last one being that row again, as in
     * {@link #productByPanels}: its outputs are then computed more than once, the same way (the
     * kernel loads all its sums before its loop and stores them after it), and stored more than
     * once.
     *
     * <p>Why not {@link #productTransposedFor32} for them, as before: its blocks of 4 rows x 4
     * vectors need 21 registers, and it is one more large method for the JIT to compile, used
     * only for these rows. On a loaded machine (load average 8.8, Zen 3) a profile of a
     * one-thread f32 step at {@code nEmbd} 256 found it still running without the Vector API's
     * intrinsics 20 s into the run ({@code FloatVector.tOpTemplate}, the Java fallback of a
     * fused multiply-add, under it): the last 4 of every 256 or 1024 rows (1.6% of the
     * multiply-adds) took 31% of the step's samples. Once both are compiled, the two ways run at
     * the same speed (one JVM, alternated: 18.26 and 18.34 steps/s of CPU time).
     *
     * <p>The operands are first copied into panels ({@link Panels}), as the forward product's
     * input is ({@link #transposeInputPanels}): {@code x}'s columns two vectors at a time,
     * {@code xPanel[(k - k0) * PANEL + lane] = x[k][j + lane]}, and for each block of six rows
     * {@code aPanel[(k - k0) * 6 + i] = a[k][r + i]}. The kernel then reads both at constant
     * multiples of {@code k}, checked once before its loop, instead of loading two rows, their
     * lengths and checking each read per term. The copies hold the same numbers, and each
     * output is still one chain over {@code k} in order from its stored value.
     */
    private static void productTransposedFor16(float[][] a, float[][] x, float[][] c, int r0, int r1End, int k0,
                                               int k1, int width, Object call, boolean cleared) {
        int blocksEnd = width / PANEL * PANEL;
        int terms = k1 - k0;
        if (r0 < r1End && terms > 0) {
            Panels panels = Panels.LOCAL.get();
            float[][] xPanels = panels.xPanels(blocksEnd / PANEL, terms * PANEL);
            if (call == null || panels.call != call) {
                // Two vectors at a time: a System.arraycopy of 16 floats cost more in the call than
                // in the copy (at nEmbd 256, 50-70 us for the 1024 columns of the MLP's second layer).
                for (int jp = 0; jp < blocksEnd / PANEL; jp++) {
                    float[] xPanel = xPanels[jp];
                    int j = jp * PANEL;
                    for (int k = k0, at = 0; k < k1; k++, at += PANEL) {
                        float[] xk = x[k];
                        FloatVector.fromArray(S, xk, j).intoArray(xPanel, at);
                        FloatVector.fromArray(S, xk, j + L).intoArray(xPanel, at + L);
                    }
                }
                panels.call = call;
            }
            float[] aPanel = panels.aPanel(terms * 6);
            int last = r1End - 1;
            for (int r = r0; r < r1End; r += 6) {
                // Past the last row, the last row again: its outputs are computed twice, the same way.
                int q1 = Math.min(r + 1, last);
                int q2 = Math.min(r + 2, last);
                int q3 = Math.min(r + 3, last);
                int q4 = Math.min(r + 4, last);
                int q5 = Math.min(r + 5, last);
                for (int k = k0; k < k1; k++) {
                    float[] ak = a[k];
                    int at = (k - k0) * 6;
                    aPanel[at] = ak[r];
                    aPanel[at + 1] = ak[q1];
                    aPanel[at + 2] = ak[q2];
                    aPanel[at + 3] = ak[q3];
                    aPanel[at + 4] = ak[q4];
                    aPanel[at + 5] = ak[q5];
                }
                for (int jp = 0; jp < blocksEnd / PANEL; jp++) {
                    productTransposedBlock6x2(aPanel, xPanels[jp], terms, c[r], c[q1], c[q2], c[q3], c[q4], c[q5],
                            jp * PANEL, cleared);
                }
                if (blocksEnd < width) {
                    for (int q = r; q < Math.min(r + 6, r1End); q++) {
                        productTransposedRow(a, q, x, k0, k1, c[q], blocksEnd, width, cleared);
                    }
                }
            }
        }
    }

    /**
     * Each thread's panels for {@link #productTransposedFor16}, grown as needed, never shrunk (at
     * {@code nEmbd} 256 and 64 positions at most 256 KB: the widest input's columns by the positions).
     */
    private static final class Panels {
        static final ThreadLocal<Panels> LOCAL = ThreadLocal.withInitial(Panels::new);

        private float[][] xPanels = new float[0][];
        private float[] aPanel = new float[0];
        /**
         * The call whose {@code x} the panels hold (see {@link #productTransposed(float[][],
         * float[][], float[][], int, int, int, int, int, Object)}), or null.
         */
        Object call;

        /**
         * At least {@code count} panels of at least {@code length} floats each; new ones (which
         * hold no call's {@code x}) when these are too small.
         */
        float[][] xPanels(int count, int length) {
            float[][] grown = ScratchArrays.atLeast(xPanels, count, length);
            if (grown != xPanels) {
                call = null;
                xPanels = grown;
            }
            return xPanels;
        }

        /**
         * {@link #productPanels}' six rows of outputs of a part-full panel (see {@link #partPanel}),
         * made by its first call ({@link #tiles()}): a thread that never runs it (every thread
         * with 32 registers) keeps none, as {@code ScratchSizes} counts.
         */
        private float[][] tiles = new float[0][];
        /** {@link #productPanels}' panels of {@code a}, every pass's, one block of six rows each. */
        private float[][] dinAPanels = new float[0][];
        /** {@link #productPanels}' panels of a group of {@code x}'s columns. */
        private float[][] groupPanels = new float[0][];
        /** What {@link #dinAPanels} holds. */
        private final PanelContents aContents = new PanelContents();

        /** {@link #tiles}, made on the first call. */
        float[][] tiles() {
            if (tiles.length == 0) {
                tiles = new float[6][PANEL];
            }
            return tiles;
        }

        /** At least {@code count} panels of at least {@code length} floats each, for {@code a} in {@link #productPanels}. */
        float[][] dinAPanels(int count, int length) {
            float[][] grown = ScratchArrays.atLeast(dinAPanels, count, length);
            if (grown != dinAPanels) {
                aContents.forget();
                dinAPanels = grown;
            }
            return dinAPanels;
        }

        /**
         * Whether {@link #dinAPanels} already hold the rows {@code [r0, r1)} of {@code a}, terms
         * {@code [k0, k1)}, copied by this thread for the same {@code call} (never for a null
         * one); if not, records that they are about to, since the caller copies them next.
         */
        boolean holdsA(Object call, float[][] a, int r0, int r1, int k0, int k1) {
            return aContents.holds(call, a, r0, r1, k0, k1);
        }

        /** At least {@code count} panels of at least {@code length} floats, for {@code x} in {@link #productPanels}. */
        float[][] groupPanels(int count, int length) {
            groupPanels = ScratchArrays.atLeast(groupPanels, count, length);
            return groupPanels;
        }

        /** At least {@code length} floats. */
        float[] aPanel(int length) {
            if (aPanel.length < length) {
                aPanel = new float[length];
            }
            return aPanel;
        }
    }

    /**
     * Six rows of {@code c}, columns {@code [j, j + 2L)}: 12 sums in registers, 2 vectors of the
     * panel of {@code x} and a broadcast from the panel of {@code a} per row and term.
     */
    private static void productTransposedBlock6x2(float[] aPanel, float[] xPanel, int terms, float[] c0,
            float[] c1, float[] c2, float[] c3, float[] c4, float[] c5, int j, boolean cleared) {
        FloatVector zero = Z.broadcast(0.0f);
        FloatVector s00 = start(cleared, zero, c0, j);
        FloatVector s01 = start(cleared, zero, c0, j + L);
        FloatVector s10 = start(cleared, zero, c1, j);
        FloatVector s11 = start(cleared, zero, c1, j + L);
        FloatVector s20 = start(cleared, zero, c2, j);
        FloatVector s21 = start(cleared, zero, c2, j + L);
        FloatVector s30 = start(cleared, zero, c3, j);
        FloatVector s31 = start(cleared, zero, c3, j + L);
        FloatVector s40 = start(cleared, zero, c4, j);
        FloatVector s41 = start(cleared, zero, c4, j + L);
        FloatVector s50 = start(cleared, zero, c5, j);
        FloatVector s51 = start(cleared, zero, c5, j + L);
        for (int k = 0; k < terms; k++) {
            FloatVector x0 = FloatVector.fromArray(S, xPanel, k * PANEL);
            FloatVector x1 = FloatVector.fromArray(S, xPanel, k * PANEL + L);
            FloatVector b0 = Z.broadcast(aPanel[k * 6]);
            s00 = b0.fma(x0, s00);
            s01 = b0.fma(x1, s01);
            FloatVector b1 = Z.broadcast(aPanel[k * 6 + 1]);
            s10 = b1.fma(x0, s10);
            s11 = b1.fma(x1, s11);
            FloatVector b2 = Z.broadcast(aPanel[k * 6 + 2]);
            s20 = b2.fma(x0, s20);
            s21 = b2.fma(x1, s21);
            FloatVector b3 = Z.broadcast(aPanel[k * 6 + 3]);
            s30 = b3.fma(x0, s30);
            s31 = b3.fma(x1, s31);
            FloatVector b4 = Z.broadcast(aPanel[k * 6 + 4]);
            s40 = b4.fma(x0, s40);
            s41 = b4.fma(x1, s41);
            FloatVector b5 = Z.broadcast(aPanel[k * 6 + 5]);
            s50 = b5.fma(x0, s50);
            s51 = b5.fma(x1, s51);
        }
        s00.intoArray(c0, j);
        s01.intoArray(c0, j + L);
        s10.intoArray(c1, j);
        s11.intoArray(c1, j + L);
        s20.intoArray(c2, j);
        s21.intoArray(c2, j + L);
        s30.intoArray(c3, j);
        s31.intoArray(c3, j + L);
        s40.intoArray(c4, j);
        s41.intoArray(c4, j + L);
        s50.intoArray(c5, j);
        s51.intoArray(c5, j + L);
    }

    /**
     * Row {@code q} of {@code c} alone, columns {@code [j0, j1)}: one vector at a time, then one
     * column at a time. The edge of {@link #productTransposedFor16}'s blocks (fewer than two
     * vectors of columns), slow per multiply-add and rare: at {@code nEmbd} 256 every row is
     * whole blocks.
     */
    private static void productTransposedRow(float[][] a, int q, float[][] x, int k0, int k1, float[] cq,
                                             int j0, int j1, boolean cleared) {
        int j = j0;
        for (; j + L <= j1; j += L) {
            FloatVector s = cleared ? Z.broadcast(0.0f) : FloatVector.fromArray(S, cq, j);
            for (int k = k0; k < k1; k++) {
                s = Z.broadcast(a[k][q]).fma(FloatVector.fromArray(S, x[k], j), s);
            }
            s.intoArray(cq, j);
        }
        for (; j < j1; j++) {
            float s = cleared ? 0f : cq[j];
            for (int k = k0; k < k1; k++) {
                s = Math.fma(a[k][q], x[k][j], s);
            }
            cq[j] = s;
        }
    }
}
