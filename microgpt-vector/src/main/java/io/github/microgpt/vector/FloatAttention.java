package io.github.microgpt.vector;

import static jdk.incubator.vector.VectorOperators.ADD;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.MAX;
import static jdk.incubator.vector.VectorOperators.MUL;

import io.github.microgpt.internal.kernels.Team;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Causal multi-head attention in single precision with the Vector API: the core's
 * {@code FloatKernels.attentionForward} and {@code attentionBackward}, same arguments and
 * contract, with each head's channels taken {@link #L} at a time.
 *
 * <p><b>Why.</b> The core's loops run along a head's channels (32 at {@code nEmbd} 256 with 8
 * heads) or along the positions a query attends to (1 to 64). C2 on JDK 17 left them scalar: a
 * loop of four multiply-adds per element measured about 1 ns an element at 32, 64 and 256
 * elements alike (a Zen 3), about a scalar instruction's speed. So a one-thread f32 step at
 * {@code nEmbd} 256 spent 18% of its time in attention, which is under 2% of its arithmetic.
 * Here the lanes run across positions (a vector of logits at once, each a chain of fused
 * multiply-adds over the head's channels) or across a head's channels (a position's share of a
 * gradient is four vector fused multiply-adds).
 *
 * <p><b>Order of the sums.</b> Free, as everywhere in single precision, but fixed, and the same
 * whether the JIT has compiled this code or not: each logit and each {@code dy . v_s} is a chain
 * of fused multiply-adds over the head's channels in order, with the lanes running across
 * positions over the transposed keys and values (see {@code dots}; no sum of a vector's lanes,
 * whose order the Vector API leaves free); each output and gradient element is a chain over the
 * positions in the core's order (the values' sum from the first position up, the keys' and
 * values' gradients from the last query down). The work is split by heads, so no sum depends on
 * the thread count.
 *
 * <p>Only heads whose width is a whole number of vectors are taken ({@link #handles}); the rest
 * stay with the core.
 *
 * <p><b>Written so that C2 compiles every vector operation, every time.</b> A vector operation
 * becomes one instruction only if C2 knows the exact class of the vector it is called on, and
 * the vector never leaves compiled code as an object; otherwise the Vector API's Java code runs,
 * allocating an array and an object per operation, many times slower. This code once ran so in
 * some JVMs and not others (at {@code nEmbd} 256, 4 layers, 8 heads, block 64: attention's
 * forward pass 1.2-4.4 ms a step instead of 0.52, 0.5-1.7 MB allocated a step instead of 32 KB,
 * in 6 of 14 JVMs), after the model's first call had sent methods back to be compiled again
 * (branches the warm-up had not taken; see {@code VectorMatrixKernels.WarmAttention}). C2's
 * compilation log and allocation samples showed two causes:
 * <ul>
 *   <li>On JDK 17, C2 learns a vector's class from the profile of the call that uses it: for
 *   {@code m.max(v)}, the profile inside the Vector API's own {@code max}, which all code shares
 *   and which C2 trusts only once that method has been called often enough on its own (not
 *   inlined). {@code max} and {@code add} of two vectors run only in a softmax of 16 positions or
 *   more; in the slow JVMs their profile was not yet trusted, and the operation stayed a call
 *   (with {@code -XX:ProfileMaturityPercentage=100} that happened in every JVM). So here the
 *   operations are {@code lanewise(op, vector)}, called from these methods themselves: the profile
 *   is then theirs, counted as these methods run. (Fused multiply-adds stay {@code fma}: the
 *   products call it all the time.) Measured in fresh JVMs alternated with the old code: the slow
 *   mode in 1 of 12 against 5 of 12 (with the warm-up below), and a JVM started with
 *   {@code -XX:ProfileMaturityPercentage=100} and calling only the forward pass still allocated
 *   in one of two tries: some path still depends on the JDK's own profiles (not found yet).</li>
 *   <li>A vector passed to a small helper of ours ({@code store}, {@code exp}) that C2 did not
 *   inline that time became an object at each call. So no method here takes or returns a vector:
 *   helpers take arrays and offsets.</li>
 *   <li>A vector made by the species' static factories ({@code FloatVector.broadcast(S, x)},
 *   {@code zero(S)}) is typed by C2 only as {@code FloatVector} while it parses (the intrinsic that
 *   makes it is expanded later), so an operation called on it, such as {@code b.fma(k, p)} with
 *   {@code b} a broadcast, again needed a profile (the one inside the Vector API's {@code fma},
 *   shared by all its callers) to become one instruction. {@code Z.broadcast(x)}, on the constant
 *   vector {@link #Z}, is typed as the species' own vector class without any profile, so every
 *   broadcast here is made so (the same bits). Measured with {@code -XX:TypeProfileWidth=0},
 *   which takes every receiver profile away and so forces the slow mode in every JVM: attention's
 *   forward and backward at {@code nEmbd} 256, 8 heads, 64 positions allocated 406 KB a call
 *   instead of 4,182 KB (the forward alone 274 KB instead of 643); in the model at 4 layers the
 *   forward pass 1,070 KB a step instead of 2,510. Better, not cured: the vectors loaded from
 *   arrays and the running vectors of loops still take their class from profiles. Casting every
 *   such vector to the species' class ({@code Class.cast}, which C2 turns into a type) cut the
 *   forced case further (the forward 123 KB a call) but made ordinary JVMs slower to warm up and
 *   slow in 3 of 9 (none of 9 before), so it is not done.</li>
 * </ul>
 * The running vector of a loop goes in as the argument ({@code v.lanewise(MAX, m)},
 * {@code v.lanewise(ADD, sum)}: the same bits, both operations being commutative), so that each
 * operation is called on a vector just loaded.
 *
 * <p><b>The size of a compilation.</b> C2 inlines the Vector API's methods while it parses a
 * kernel only until the compilation holds some 18,000 nodes (HotSpot's
 * {@code NodeCountInliningCutoff}, fixed in product builds); every vector operation met after
 * that is inlined later ("late inlining", after the parse). A store ({@code intoArray}) of a
 * vector made by such a late operation, or of a loop's running vector fed by one, was typed from
 * the receiver profile, so once C2 stops trusting profiles (the class-check trap total of
 * {@link #exponentials}) it kept a virtual call and the vector became an object; with
 * {@code -XX:PerMethodTrapLimit=0}, which trusts no profile anywhere, that happened in every JVM:
 * {@link #dots} (the stores of its four-vector pass, its last branch) and the backward pass's
 * last store were the ones left, some 520 KB a step at {@code nEmbd} 64 on 256-bit vectors. Each
 * vector operation inlines a few hundred nodes, so these methods are kept short enough for every
 * operation to be parsed before the cutoff: the chains of {@link #dots} and {@link #dotsTwo}
 * start from {@code -0} inside their loop (the first fused multiply-add gives the product's own
 * bits) rather than with the first product written out before it, and the backward pass adds a
 * pair's last position inside its loop. Same operations on every element, same bits.
 */
final class FloatAttention {

    static final VectorSpecies<Float> S = FloatProducts.S;

    static final int L = S.length();

    /** Ints of the same shape: a float's bits, for {@link #exponentials}. */
    private static final VectorSpecies<Integer> INTS = S.withLanes(int.class);

    /**
     * A vector of {@link #S}, zero: a constant, whose class C2 knows, so that {@code Z.broadcast(x)}
     * is typed as that class too (see the class comment).
     */
    private static final FloatVector Z = (FloatVector) S.zero();

    /** A vector of {@link #INTS}, zero (see {@link #Z}). */
    private static final IntVector ZI = (IntVector) INTS.zero();

    private FloatAttention() {
    }

    /** Whether heads of {@code headDim} channels are taken here: a whole number of vectors. */
    static boolean handles(int headDim) {
        return headDim > 0 && headDim % L == 0;
    }

    /**
     * {@code FloatKernels.attentionForward}: for each position {@code t} of {@code [from, to)} and
     * head {@code h}, the weights {@code a = softmax(scale q_t . k_s, s <= t)} into
     * {@code weights[t][h]} and {@code out[t][h hd + j] = sum_s a_s v_s[j]}; the new positions' keys
     * are also written into the cache {@code keysT} ({@code keysT[i][t] = qkv[t][C + i]}).
     */
    static void forward(float[][] out, float[][][] weights, float[][] qkv, float[][] keysT, int nHead, float scale,
                        int from, int to, Team team) {
        int c = out[from].length;
        int hd = c / nHead;
        team.forRange(nHead, 1, (h0, h1) -> {
            for (int i = h0 * hd; i < h1 * hd; i++) {
                float[] column = keysT[i];
                for (int t = from; t < to; t++) {
                    column[t] = qkv[t][c + i];
                }
            }
            float[] q0 = new float[hd];
            float[] q1 = new float[hd];
            float[] tail = new float[4 * L];
            // Head by head, each over all the positions: the two threads' last and first heads
            // share a cache line of every row of out (and of weights[t]), and taking the positions
            // outside, as before, both threads wrote those lines at every position, handing them
            // back and forth between the cores (measured at nEmbd 256 on two threads: 1.16 times
            // one thread's speed). This way one thread is done with its side of them before the
            // other starts; each output is the same operations either way.
            for (int h = h0; h < h1; h++) {
                int hs = h * hd;
                int vs = 2 * c + hs;
                int t = from;
                // Two queries at a time (see dotsTwo), then the one left if any.
                for (; t + 1 < to; t += 2) {
                    int n = t + 1;
                    scaled(q0, qkv[t], hs, hd, scale);
                    scaled(q1, qkv[t + 1], hs, hd, scale);
                    float[] a0 = weights[t][h];
                    float[] a1 = weights[t + 1][h];
                    dotsTwo(a0, a1, q0, q1, keysT, hs, hd, n, tail);
                    softmax(a0, n, tail);
                    softmax(a1, n + 1, tail);
                    Arrays.fill(out[t], hs, hs + hd, 0f);
                    Arrays.fill(out[t + 1], hs, hs + hd, 0f);
                    addWeightedRowsTwo(out[t], out[t + 1], hs, a0, a1, qkv, vs, hd, n);
                }
                if (t < to) {
                    int n = t + 1;
                    scaled(q0, qkv[t], hs, hd, scale);
                    float[] a = weights[t][h];
                    dots(a, q0, keysT, hs, hd, n, tail);
                    softmax(a, n, tail);
                    Arrays.fill(out[t], hs, hs + hd, 0f);
                    addWeightedRows(out[t], hs, a, qkv, vs, hd, n);
                }
            }
        });
    }

    /** {@code q[j] = scale row[hs + j]} for {@code j < hd}. */
    private static void scaled(float[] q, float[] row, int hs, int hd, float scale) {
        for (int j = 0; j < hd; j += L) {
            FloatVector.fromArray(S, row, hs + j).lanewise(MUL, Z.broadcast(scale)).intoArray(q, j);
        }
    }

    /**
     * {@code d[s] = sum_j u[j] columns[col + j][s]} for {@code s < n}, {@code j < hd}, from the
     * head's channels transposed (the key cache, or the values copied so): the lanes run across
     * positions, and each {@code d[s]} is {@code u[0] columns[col][s]} rounded, then a fused
     * multiply-add per channel in order. Up to four vectors of positions in one pass over the
     * channels, as many chains side by side as the positions need (at most 64 positions, the usual
     * block, are one pass); the last vector of a pass goes through {@code tail} (at least
     * {@link #L} floats), of which the positions below {@code n} are copied (when the rows reach a
     * whole vector past {@code n}: the lanes past {@code n} read whatever the rows hold and are
     * dropped), else the positions left go one at a time by {@link Math#fma}, which rounds as a
     * lane does.
     *
     * <p>Why all the vectors in one pass: each fused multiply-add of a chain waits for the one
     * before it (four cycles on a Zen 3), so a pass of one chain is as long as a pass of four.
     * Whole groups of four vectors first and then the rest one vector at a time, as before, took
     * two to four passes for 17 to 63 positions; the one pass cut attention's time at
     * {@code nEmbd} 256 (see {@link #addWeightedRows}, measured with it). The same operations on
     * each {@code d[s]}, so the same bits.
     *
     * <p>Why not a vector along the channels and a sum of its lanes: the Vector API's sum of float
     * lanes ({@code reduceLanes(ADD)}) may add them in any order, and it did not add them in the
     * same order before and after the JIT compiled it, so the first steps of a JVM (one thread)
     * and later ones (two) gave different bits. Every operation here is rounded as IEEE 754 says,
     * compiled or not.
     */
    static void dots(float[] d, float[] u, float[][] columns, int col, int hd, int n, float[] tail) {
        int width = columns[col].length;
        for (int s = 0; s < n; ) {
            int vectors = Math.min(4, (n - s + L - 1) / L);
            if (s + vectors * L > width) {
                for (; s < n; s++) {
                    float p = u[0] * columns[col][s];
                    for (int j = 1; j < hd; j++) {
                        p = Math.fma(u[j], columns[col + j][s], p);
                    }
                    d[s] = p;
                }
                return;
            }
            // Every chain starts from -0, so that its first fused multiply-add is u[0] times the
            // first channel rounded, the same bits as the product alone; one loop from the first
            // channel rather than the first product written out before it: see the class comment
            // (the size of a compilation) for why the code is kept this short.
            FloatVector start = Z.broadcast(-0f);
            // The pass's last vector goes through tail, and its lanes below n on to d: written
            // out here rather than in a helper taking the vector (see the class comment).
            if (vectors == 1) {
                FloatVector p0 = start;
                for (int j = 0; j < hd; j++) {
                    p0 = Z.broadcast(u[j]).fma(FloatVector.fromArray(S, columns[col + j], s), p0);
                }
                p0.intoArray(tail, 0);
                System.arraycopy(tail, 0, d, s, Math.min(L, n - s));
            } else if (vectors == 2) {
                FloatVector p0 = start;
                FloatVector p1 = start;
                for (int j = 0; j < hd; j++) {
                    FloatVector b = Z.broadcast(u[j]);
                    float[] r = columns[col + j];
                    p0 = b.fma(FloatVector.fromArray(S, r, s), p0);
                    p1 = b.fma(FloatVector.fromArray(S, r, s + L), p1);
                }
                p0.intoArray(d, s);
                p1.intoArray(tail, 0);
                System.arraycopy(tail, 0, d, s + L, Math.min(L, n - (s + L)));
            } else if (vectors == 3) {
                FloatVector p0 = start;
                FloatVector p1 = start;
                FloatVector p2 = start;
                for (int j = 0; j < hd; j++) {
                    FloatVector b = Z.broadcast(u[j]);
                    float[] r = columns[col + j];
                    p0 = b.fma(FloatVector.fromArray(S, r, s), p0);
                    p1 = b.fma(FloatVector.fromArray(S, r, s + L), p1);
                    p2 = b.fma(FloatVector.fromArray(S, r, s + 2 * L), p2);
                }
                p0.intoArray(d, s);
                p1.intoArray(d, s + L);
                p2.intoArray(tail, 0);
                System.arraycopy(tail, 0, d, s + 2 * L, Math.min(L, n - (s + 2 * L)));
            } else {
                FloatVector p0 = start;
                FloatVector p1 = start;
                FloatVector p2 = start;
                FloatVector p3 = start;
                for (int j = 0; j < hd; j++) {
                    FloatVector b = Z.broadcast(u[j]);
                    float[] r = columns[col + j];
                    p0 = b.fma(FloatVector.fromArray(S, r, s), p0);
                    p1 = b.fma(FloatVector.fromArray(S, r, s + L), p1);
                    p2 = b.fma(FloatVector.fromArray(S, r, s + 2 * L), p2);
                    p3 = b.fma(FloatVector.fromArray(S, r, s + 3 * L), p3);
                }
                p0.intoArray(d, s);
                p1.intoArray(d, s + L);
                p2.intoArray(d, s + 2 * L);
                p3.intoArray(tail, 0);
                System.arraycopy(tail, 0, d, s + 3 * L, Math.min(L, n - (s + 3 * L)));
            }
            s += vectors * L;
        }
    }

    /**
     * {@link #dots} for two queries at once: {@code d0} from {@code u0} over {@code n0} positions
     * and {@code d1} from {@code u1} over {@code n0 + 1} (two neighbouring queries of one head, as
     * attention takes them), each element the same chain as {@link #dots} gives it. Four vectors
     * of positions per pass over the channels, each key vector loaded once for both queries: eight
     * chains side by side. Rows that do not reach a whole pass past the positions go to
     * {@link #dots}, one query after the other. {@code tail} holds at least {@code 4 L} floats.
     *
     * <p>Why: at {@code nEmbd} 256 with 8 heads a head is 32 channels, a query's logits one to
     * four vectors, so one query's chains left the core waiting on the latency of its fused
     * multiply-adds, and every key was loaded once a query. The lanes past a query's positions
     * (up to four vectors for one of them) are computed and dropped: on cores that wait on the
     * chains anyway, nearly free. With {@link #addWeightedRowsTwo}, two queries at a time took
     * attention's forward pass 8% less time on one thread and 19-22% less on two (in-JVM A/B at
     * {@code nEmbd} 256, 4 layers, block 64, one document a step, two rounds), the same bits.
     */
    static void dotsTwo(float[] d0, float[] d1, float[] u0, float[] u1, float[][] columns, int col, int hd, int n0,
                        float[] tail) {
        int n1 = n0 + 1;
        if (columns[col].length < (n1 + 4 * L - 1) / (4 * L) * (4 * L)) {
            dots(d0, u0, columns, col, hd, n0, tail);
            dots(d1, u1, columns, col, hd, n1, tail);
            return;
        }
        for (int s = 0; s < n1; s += 4 * L) {
            // From -0, one loop from the first channel, as in dots.
            FloatVector p0 = Z.broadcast(-0f);
            FloatVector p1 = p0;
            FloatVector p2 = p0;
            FloatVector p3 = p0;
            FloatVector o0 = p0;
            FloatVector o1 = p0;
            FloatVector o2 = p0;
            FloatVector o3 = p0;
            for (int j = 0; j < hd; j++) {
                FloatVector b = Z.broadcast(u0[j]);
                FloatVector e = Z.broadcast(u1[j]);
                float[] r = columns[col + j];
                FloatVector k0 = FloatVector.fromArray(S, r, s);
                FloatVector k1 = FloatVector.fromArray(S, r, s + L);
                FloatVector k2 = FloatVector.fromArray(S, r, s + 2 * L);
                FloatVector k3 = FloatVector.fromArray(S, r, s + 3 * L);
                p0 = b.fma(k0, p0);
                p1 = b.fma(k1, p1);
                p2 = b.fma(k2, p2);
                p3 = b.fma(k3, p3);
                o0 = e.fma(k0, o0);
                o1 = e.fma(k1, o1);
                o2 = e.fma(k2, o2);
                o3 = e.fma(k3, o3);
            }
            // Each query's four vectors through tail, then its positions of this pass on to d0
            // and d1 (none of d0's when s = n0): written out here rather than in a helper taking
            // the vectors, and with no branch on how many lanes count (see the class comment).
            p0.intoArray(tail, 0);
            p1.intoArray(tail, L);
            p2.intoArray(tail, 2 * L);
            p3.intoArray(tail, 3 * L);
            System.arraycopy(tail, 0, d0, s, Math.min(4 * L, n0 - s));
            o0.intoArray(tail, 0);
            o1.intoArray(tail, L);
            o2.intoArray(tail, 2 * L);
            o3.intoArray(tail, 3 * L);
            System.arraycopy(tail, 0, d1, s, Math.min(4 * L, n1 - s));
        }
    }

    /**
     * {@link #addWeightedRows} for two queries at once: {@code y0} over the rows {@code s < n0}
     * with the weights {@code w0}, {@code y1} over {@code s <= n0} with {@code w1}, each element
     * the same chain as there. For heads of an even number of vectors, two vectors of both queries
     * at a time, four chains side by side, each row's vectors loaded once for both (see
     * {@link #dotsTwo}); other heads one query after the other.
     */
    static void addWeightedRowsTwo(float[] y0, float[] y1, int at, float[] w0, float[] w1, float[][] rows, int col,
                                   int hd, int n0) {
        if (hd % (2 * L) != 0) {
            addWeightedRows(y0, at, w0, rows, col, hd, n0);
            addWeightedRows(y1, at, w1, rows, col, hd, n0 + 1);
            return;
        }
        for (int j = 0; j < hd; j += 2 * L) {
            int c = col + j;
            FloatVector s0 = FloatVector.fromArray(S, y0, at + j);
            FloatVector s1 = FloatVector.fromArray(S, y0, at + j + L);
            FloatVector r0 = FloatVector.fromArray(S, y1, at + j);
            FloatVector r1 = FloatVector.fromArray(S, y1, at + j + L);
            for (int s = 0; s < n0; s++) {
                float[] r = rows[s];
                FloatVector v0 = FloatVector.fromArray(S, r, c);
                FloatVector v1 = FloatVector.fromArray(S, r, c + L);
                FloatVector b = Z.broadcast(w0[s]);
                FloatVector e = Z.broadcast(w1[s]);
                s0 = b.fma(v0, s0);
                s1 = b.fma(v1, s1);
                r0 = e.fma(v0, r0);
                r1 = e.fma(v1, r1);
            }
            float[] r = rows[n0];
            FloatVector e = Z.broadcast(w1[n0]);
            r0 = e.fma(FloatVector.fromArray(S, r, c), r0);
            r1 = e.fma(FloatVector.fromArray(S, r, c + L), r1);
            s0.intoArray(y0, at + j);
            s1.intoArray(y0, at + j + L);
            r0.intoArray(y1, at + j);
            r1.intoArray(y1, at + j + L);
        }
    }

    /**
     * {@code y[at + j] += sum_s w[s] rows[s][col + j]} for {@code j < hd}, each element the chain
     * of fused multiply-adds over {@code s < n} in order from its stored value. For heads of two
     * or four vectors the chains go side by side in one loop over {@code s}: one chain at a time,
     * each fused multiply-add waited for the one before it (four cycles on a Zen 3) with nothing
     * else to do. Heads of two vectors are those of {@code nEmbd} 256 with 8 heads on 512-bit
     * vectors; with {@link #dots} in one pass, their two chains side by side cut attention's
     * time there (in-JVM A/B, one document a step) by 12% forward and 15% backward on one
     * thread, 8% and 14% on two (the same bits).
     */
    static void addWeightedRows(float[] y, int at, float[] w, float[][] rows, int col, int hd, int n) {
        if (hd == 2 * L) {
            FloatVector s0 = FloatVector.fromArray(S, y, at);
            FloatVector s1 = FloatVector.fromArray(S, y, at + L);
            for (int s = 0; s < n; s++) {
                float[] r = rows[s];
                FloatVector b = Z.broadcast(w[s]);
                s0 = b.fma(FloatVector.fromArray(S, r, col), s0);
                s1 = b.fma(FloatVector.fromArray(S, r, col + L), s1);
            }
            s0.intoArray(y, at);
            s1.intoArray(y, at + L);
            return;
        }
        if (hd == 4 * L) {
            FloatVector s0 = FloatVector.fromArray(S, y, at);
            FloatVector s1 = FloatVector.fromArray(S, y, at + L);
            FloatVector s2 = FloatVector.fromArray(S, y, at + 2 * L);
            FloatVector s3 = FloatVector.fromArray(S, y, at + 3 * L);
            for (int s = 0; s < n; s++) {
                float[] r = rows[s];
                FloatVector b = Z.broadcast(w[s]);
                s0 = b.fma(FloatVector.fromArray(S, r, col), s0);
                s1 = b.fma(FloatVector.fromArray(S, r, col + L), s1);
                s2 = b.fma(FloatVector.fromArray(S, r, col + 2 * L), s2);
                s3 = b.fma(FloatVector.fromArray(S, r, col + 3 * L), s3);
            }
            s0.intoArray(y, at);
            s1.intoArray(y, at + L);
            s2.intoArray(y, at + 2 * L);
            s3.intoArray(y, at + 3 * L);
            return;
        }
        for (int j = 0; j < hd; j += L) {
            FloatVector sum = FloatVector.fromArray(S, y, at + j);
            for (int s = 0; s < n; s++) {
                sum = Z.broadcast(w[s]).fma(FloatVector.fromArray(S, rows[s], col + j), sum);
            }
            sum.intoArray(y, at + j);
        }
    }

    /**
     * {@code z[0 .. n-1] = softmax(z[0 .. n-1])}: minus the maximum, exponentials and their sum
     * in float by {@link #exponentials}, times the sum's inverse. {@code tail} holds at least
     * {@link #L} floats.
     */
    static void softmax(float[] z, int n, float[] tail) {
        int whole = n / L * L;
        int rest = n - whole;
        // The largest lane of the whole vectors (whatever the order they are compared in), then
        // the rest; from minus infinity, so that no branch is needed for n < L. Each vector just
        // loaded is the receiver and the running maximum the argument, and lanewise is called
        // here rather than through max or add (see the class comment).
        FloatVector m = Z.broadcast(Float.NEGATIVE_INFINITY);
        for (int i = 0; i < whole; i += L) {
            m = FloatVector.fromArray(S, z, i).lanewise(MAX, m);
        }
        // The loop's running vectors (m, sum) are only ever arguments, after the loop too: see
        // exponentials. max(-inf, m) is m and -0 + sum is sum, bit for bit.
        float max = Z.broadcast(Float.NEGATIVE_INFINITY).lanewise(MAX, m).reduceLanes(VectorOperators.MAX);
        for (int i = whole; i < n; i++) {
            max = Math.max(max, z[i]);
        }
        exponentials(z, n, max, tail);
        FloatVector sum = Z.broadcast(0f);
        for (int i = 0; i < whole; i += L) {
            sum = FloatVector.fromArray(S, z, i).lanewise(ADD, sum);
        }
        Z.broadcast(-0f).lanewise(ADD, sum).intoArray(tail, 0);
        float total = 0f;
        for (int i = 0; i < L; i++) {
            total += tail[i];
        }
        for (int i = whole; i < n; i++) {
            total += z[i];
        }
        float inverse = 1f / total;
        FloatVector scale = Z.broadcast(inverse);
        for (int i = 0; i < whole; i += L) {
            FloatVector.fromArray(S, z, i).lanewise(MUL, scale).intoArray(z, i);
        }
        for (int i = whole; i < n; i++) {
            z[i] *= inverse;
        }
    }

    /** {@code 1.5 2^23}: added to and taken from a float of magnitude below {@code 2^22}, rounds it to an integer. */
    private static final float ROUND = 12582912f;

    /** Below this, {@code e^x} is under the smallest normal float: taken as {@code e^-87.3}. */
    private static final float LOWEST = -87.3f;

    /**
     * In place, {@code z[i] = e^x} with {@code x = z[i] - shift} for {@code i < n}. The last part
     * vector goes through
     * {@code tail} (at least {@link #L} floats; the lanes past {@code n} are {@code e^0}, dropped),
     * so that every exponential comes from the same instructions whatever its place.
     *
     * <p>{@code e^x} for {@code x <= 0} lane by lane, within about two ulps (Cephes' {@code expf}):
     * {@code x = n ln 2 + r} with {@code n} an integer and {@code |r| <= ln(2) / 2},
     * {@code e^r} by a polynomial of degree 7, times {@code 2^n} made from its bits. Only
     * additions, multiplications, fused multiply-adds, a reading of a float's bits and shifts, each
     * rounded as IEEE 754 says whether the JIT has compiled the code or not, so the bits never
     * depend on it. Lanes below {@link #LOWEST} give {@code e^LOWEST} (about {@code 1.2e-38})
     * rather than less: to a softmax weight, nothing.
     *
     * <p><b>Why one method, with the exponential written out once, and fused multiply-adds for
     * the additions and multiplications.</b> C2 adds up, over one compilation, the class-check
     * traps recorded in every copy of a method it inlines; two methods of the Vector API that
     * each operation inlines ({@code VectorOperators.opKind} and {@code ImplCache.find}) carry a
     * few each, how many depending on what the JVM compiled before. Once the total reaches
     * {@code -XX:PerMethodTrapLimit} (100) C2 stops trusting the profiles it types vectors from for
     * the rest of that compilation, and the vectors after that point can become objects (see
     * {@code SmallVectorKernels}). {@link #softmax} with two copies of the exponential inlined
     * totalled 116 to 242 in every JVM looked at, and with the limit lowered to 30 a step at
     * {@code nEmbd} 64 allocated 109 KB. Here the exponential is parsed once, in a method that C2
     * compiles on its own ({@code softmax} does not inline it: it is longer than the 325 bytes of
     * bytecode C2 inlines at most, {@code -XX:FreqInlineSize}), and each sum or product with a
     * constant is a fused multiply-add ({@code x + c} is {@code fma(1, x, c)}, {@code x c} is
     * {@code fma(c, x, -0)}: the same roundings, so the same bits, the sign of zero included),
     * which inlines {@code ImplCache.find} but not {@code opKind}. No vector is carried from one
     * turn of the loop to the next: past the limit, a loop's running vector called on (rather than
     * passed to an operation) was what C2 left an object (the sum of the exponentials, stored
     * after its loop, when it was summed here), while straight-line code stayed compiled.
     *
     * <p>Not the Vector API's own {@code EXP} (on JDK 17 x64 Intel's short-vector math library,
     * about 1 ns an exponential on a Zen 3 against 18 for the core's {@code (float) Math.exp}):
     * compiled and not, it gave different bits, and so did {@code reduceLanes(ADD)} (see
     * {@link #dots}).
     */
    static void exponentials(float[] z, int n, float shift, float[] tail) {
        int whole = n / L * L;
        int rest = n - whole;
        if (rest > 0) {
            System.arraycopy(z, whole, tail, 0, rest);
            Arrays.fill(tail, rest, L, shift);
        }
        FloatVector one = Z.broadcast(1f);
        FloatVector negativeZero = Z.broadcast(-0f);
        FloatVector round = Z.broadcast(ROUND);
        int end = rest > 0 ? whole + L : whole;
        for (int i = 0; i < end; i += L) {
            boolean inTail = i == whole;
            float[] a = inTail ? tail : z;
            int at = inTail ? 0 : i;
            // Constants as receivers where the operation commutes: their class is known without a
            // profile (see the class comment).
            FloatVector v = Z.broadcast(LOWEST).lanewise(MAX,
                    one.fma(FloatVector.fromArray(S, a, at), Z.broadcast(-shift)));
            // n + ROUND, an integer in [2^23, 2^24), where a float's last bit is 1: its bits are
            // those of ROUND (0x4B400000) plus n, which give 2^n below without converting n (k here).
            FloatVector shifted = one.fma(Z.broadcast(1.44269504088896341f).fma(v, negativeZero), round);
            FloatVector k = one.fma(shifted, Z.broadcast(-ROUND));
            FloatVector r = Z.broadcast(-0.693359375f).fma(k, v);
            r = Z.broadcast(2.12194440e-4f).fma(k, r);
            FloatVector p = Z.broadcast(1.9875691500e-4f).fma(r, Z.broadcast(1.3981999507e-3f));
            p = p.fma(r, Z.broadcast(8.3334519073e-3f));
            p = p.fma(r, Z.broadcast(4.1665795894e-2f));
            p = p.fma(r, Z.broadcast(1.6666665459e-1f));
            p = p.fma(r, Z.broadcast(5.0000001201e-1f));
            FloatVector y = one.fma(p.fma(r.fma(r, negativeZero), r), one);
            // 2^n: n + 127 in the exponent's bits. The shift drops ROUND's bits (its low 9 bits are
            // 0), leaving (n + 127) << 23. Not n.convert(F2I): C2 on JDK 17 has no intrinsic for a
            // cast of 16 floats to ints, and ran it lane by lane in Java, allocating, about 250 ns a
            // softmax (the same bits either way).
            IntVector bits = ZI.broadcast(127).lanewise(ADD, shifted.viewAsIntegralLanes())
                    .lanewise(LSHL, ZI.broadcast(23));
            y.fma(bits.reinterpretAsFloats(), negativeZero).intoArray(a, at);
        }
        System.arraycopy(tail, 0, z, whole, rest);
    }

    /**
     * {@code FloatKernels.attentionBackward}: from {@code dout} to the gradients of the queries,
     * keys and values, added to {@code dqkv}: {@code da_s = dy . v_s}, {@code dz_s = a_s (da_s -
     * sum_r a_r da_r)}, {@code dq += scale sum_s dz_s k_s}, {@code dk_s += scale dz_s q},
     * {@code dv_s += a_s dy}, the queries {@code t} from {@code to - 1} down to {@code from}. A head
     * sums its keys' and values' gradients in its own rows of {@code dweights} (row {@code h} and
     * {@code nHead + h}, position {@code s} at {@code s hd}) and copies them into {@code dqkv} once,
     * so that two threads never write the same cache line of {@code dqkv} at every term; row
     * {@code 2 nHead + h} holds {@code da}, then {@code dz} (of the lower query of each pair, see
     * below); {@code valuesT} (C, T) the head's values transposed, for {@link #dots}.
     *
     * <p>The queries go two at a time, {@code t} and {@code t - 1} ({@link #dotsTwo},
     * {@link #addWeightedRowsTwo}, and one pass over the keys' and values' gradients adding query
     * {@code t}'s term, then {@code t - 1}'s, as one query at a time did). Measured at
     * {@code nEmbd} 256 (in-JVM A/B, one document a step, two rounds): attention's backward pass
     * 21-27% less time on one thread, 17-19% less on two; the same bits.
     */
    static void backward(float[][] dqkv, float[][] dout, float[][] qkv, float[][][] weights, float[][] valuesT,
                         float[][] dweights, int nHead, float scale, int from, int to, Team team) {
        int c = dout[from].length;
        int hd = c / nHead;
        team.forRange(nHead, 1, (h0, h1) -> {
            float[] dy = new float[hd];
            float[] dy1 = new float[hd];
            float[] dz1 = new float[to];
            float[] tail = new float[4 * L];
            for (int h = h0; h < h1; h++) {
                int qs = h * hd;
                int ks = c + qs;
                int vs = 2 * c + qs;
                for (int j = 0; j < hd; j++) {
                    float[] column = valuesT[qs + j];
                    for (int s = 0; s < to; s++) {
                        column[s] = qkv[s][vs + j];
                    }
                }
                float[] dk = dweights[h];
                float[] dv = dweights[nHead + h];
                float[] dz = dweights[2 * nHead + h];
                for (int s = 0; s < to; s++) {
                    System.arraycopy(dqkv[s], ks, dk, s * hd, hd);
                    System.arraycopy(dqkv[s], vs, dv, s * hd, hd);
                }
                // Two queries at a time, t and t - 1 (see dotsTwo), then the one left if any: the
                // same operations in the same order on every element.
                int t = to - 1;
                for (; t - 1 >= from; t -= 2) {
                    int n = t;
                    float[] a0 = weights[t - 1][h];
                    float[] a1 = weights[t][h];
                    System.arraycopy(dout[t - 1], qs, dy, 0, hd);
                    System.arraycopy(dout[t], qs, dy1, 0, hd);
                    dotsTwo(dz, dz1, dy, dy1, valuesT, qs, hd, n, tail);
                    softmaxGradients(dz, a0, dz1, a1, n, scale);
                    addWeightedRowsTwo(dqkv[t - 1], dqkv[t], qs, dz, dz1, qkv, ks, hd, n);
                    float[] q0 = qkv[t - 1];
                    float[] q1 = qkv[t];
                    for (int j = 0; j < hd; j += L) {
                        FloatVector qj0 = FloatVector.fromArray(S, q0, qs + j);
                        FloatVector qj1 = FloatVector.fromArray(S, q1, qs + j);
                        FloatVector dyj0 = FloatVector.fromArray(S, dy, j);
                        FloatVector dyj1 = FloatVector.fromArray(S, dy1, j);
                        // Query t's term, then t - 1's, as one query at a time adds them; at
                        // s = n, query t's alone. The last position inside the loop rather than
                        // written out after it: see the class comment (the size of a compilation).
                        for (int s = 0, o = j; s <= n; s++, o += hd) {
                            FloatVector k = Z.broadcast(dz1[s]).fma(qj1, FloatVector.fromArray(S, dk, o));
                            FloatVector v = Z.broadcast(a1[s]).fma(dyj1, FloatVector.fromArray(S, dv, o));
                            if (s < n) {
                                k = Z.broadcast(dz[s]).fma(qj0, k);
                                v = Z.broadcast(a0[s]).fma(dyj0, v);
                            }
                            k.intoArray(dk, o);
                            v.intoArray(dv, o);
                        }
                    }
                }
                if (t >= from) {
                    float[] a = weights[t][h];
                    float[] q = qkv[t];
                    int n = t + 1;
                    System.arraycopy(dout[t], qs, dy, 0, hd);
                    dots(dz, dy, valuesT, qs, hd, n, tail);
                    softmaxGradients(dz, a, null, null, n, scale);
                    addWeightedRows(dqkv[t], qs, dz, qkv, ks, hd, n);
                    for (int j = 0; j < hd; j += L) {
                        FloatVector qj = FloatVector.fromArray(S, q, qs + j);
                        FloatVector dyj = FloatVector.fromArray(S, dy, j);
                        for (int s = 0, o = j; s < n; s++, o += hd) {
                            Z.broadcast(dz[s]).fma(qj, FloatVector.fromArray(S, dk, o)).intoArray(dk, o);
                            Z.broadcast(a[s]).fma(dyj, FloatVector.fromArray(S, dv, o)).intoArray(dv, o);
                        }
                    }
                }
                for (int s = 0; s < to; s++) {
                    System.arraycopy(dk, s * hd, dqkv[s], ks, hd);
                    System.arraycopy(dv, s * hd, dqkv[s], vs, hd);
                }
            }
        });
    }

    /**
     * The softmax's backward step, in place: {@code dz_s = a_s (da_s - sum_r a_r da_r) scale} for
     * {@code s < n} from {@code da} in {@code dz}, and, unless {@code dz1} is null, the same for
     * {@code dz1} and {@code a1} over {@code s <= n} (the next query). Each sum is a chain in
     * float from the first position; the two chains go side by side in one loop, so that neither
     * waits on its additions alone.
     */
    private static void softmaxGradients(float[] dz, float[] a, float[] dz1, float[] a1, int n, float scale) {
        float weighted = 0f;
        if (dz1 == null) {
            for (int s = 0; s < n; s++) {
                weighted = weighted + a[s] * dz[s];
            }
        } else {
            float weighted1 = 0f;
            for (int s = 0; s < n; s++) {
                weighted = weighted + a[s] * dz[s];
                weighted1 = weighted1 + a1[s] * dz1[s];
            }
            weighted1 = weighted1 + a1[n] * dz1[n];
            for (int s = 0; s <= n; s++) {
                dz1[s] = a1[s] * (dz1[s] - weighted1) * scale;
            }
        }
        for (int s = 0; s < n; s++) {
            dz[s] = a[s] * (dz[s] - weighted) * scale;
        }
    }
}
