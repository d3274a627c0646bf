package io.github.microgpt.vector;

import static io.github.microgpt.testsupport.Matrices.copy;
import static io.github.microgpt.testsupport.Matrices.uniformFloats;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.microgpt.internal.kernels.Team;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link FloatAttention} against attention written out plainly in double precision (the
 * weights, the heads' outputs, and the gradients of the queries, keys and values added to what
 * {@code dqkv} held), on heads of one to eight vectors, one to three heads and 1 to 37 positions;
 * and its results, bit for bit, whatever the split of the heads between threads, whether the
 * positions come at once or a few at a time (the key cache), and however the queries fall into
 * the pairs it takes them in.
 */
class FloatAttentionTest {

    private static final Team ALONE = (count, grain, task) -> task.run(0, count);

    /** Each head a chunk of its own, as many threads would take them. */
    private static final Team HEAD_BY_HEAD = (count, grain, task) -> {
        for (int i = count - 1; i >= 0; i--) {
            task.run(i, i + 1);
        }
    };

    /**
     * No method of {@link FloatAttention} takes or returns a vector: a vector that crosses a call
     * C2 does not inline becomes an object, allocated at every call, and its operations on the
     * other side may run the Vector API's Java code (see the class comment: its {@code store},
     * {@code storeBelow} and {@code exp} took vectors, and in some JVMs attention ran 2-8 times
     * slower so). A rule of the code, checked here since no timing test could be trusted to.
     */
    @Test
    void noMethodTakesOrReturnsAVector() {
        for (java.lang.reflect.Method method : FloatAttention.class.getDeclaredMethods()) {
            assertFalse(jdk.incubator.vector.Vector.class.isAssignableFrom(method.getReturnType()),
                    method + " returns a vector");
            for (Class<?> type : method.getParameterTypes()) {
                assertFalse(jdk.incubator.vector.Vector.class.isAssignableFrom(type), method + " takes a vector");
            }
        }
    }

    /**
     * {@link FloatAttention} makes no vector through the species' static factories
     * ({@code FloatVector.broadcast(S, x)}, {@code FloatVector.zero(S)}, {@code IntVector.broadcast(INTS, x)}),
     * whose results C2 on JDK 17 types only as {@code FloatVector}, but broadcasts a constant
     * vector ({@code Z.broadcast(x)}), whose result it types as the species' own class without any
     * profile (see the class comment). Checked in the class file: a call of those factories puts
     * their descriptor, a species and a number to a vector, in its constant pool.
     */
    @Test
    void noVectorComesFromTheSpeciesFactories() throws java.io.IOException {
        String classFile;
        try (java.io.InputStream in = FloatAttention.class.getResourceAsStream("FloatAttention.class")) {
            classFile = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.ISO_8859_1);
        }
        for (String descriptor : new String[] {
                "(Ljdk/incubator/vector/VectorSpecies;F)Ljdk/incubator/vector/FloatVector;",
                "(Ljdk/incubator/vector/VectorSpecies;)Ljdk/incubator/vector/FloatVector;",
                "(Ljdk/incubator/vector/VectorSpecies;I)Ljdk/incubator/vector/IntVector;"}) {
            assertFalse(classFile.contains(descriptor), descriptor);
        }
        // The check sees a static factory: fromArray(S, array, offset) is called.
        assertTrue(classFile.contains("(Ljdk/incubator/vector/VectorSpecies;[FI)Ljdk/incubator/vector/FloatVector;"));
    }

    @Test
    void onlyHeadsOfWholeVectorsAreTaken() {
        int l = FloatAttention.L;
        assertTrue(FloatAttention.handles(l));
        assertTrue(FloatAttention.handles(4 * l));
        assertFalse(FloatAttention.handles(0));
        if (l > 1) {
            assertFalse(FloatAttention.handles(l + 1));
            assertFalse(FloatAttention.handles(l / 2 == 0 ? 1 : l / 2));
        }
    }

    @Test
    void forwardAndBackwardFollowTheirDefinitions() {
        int l = FloatAttention.L;
        SplittableRandom random = new SplittableRandom(11);
        for (int hd : new int[] {l, 2 * l, 4 * l, 8 * l}) {
            for (int nHead : new int[] {1, 3}) {
                for (int positions : new int[] {1, 5, 13, 37}) {
                    check(random, hd, nHead, positions);
                }
            }
        }
    }

    /**
     * {@link FloatAttention#dots} and {@link FloatAttention#addWeightedRows}, bit for bit, against
     * their chains written one element at a time with {@link Math#fma} in the documented order, on
     * heads of one to four vectors (and of three channels) and every count of positions up to six
     * vectors and three: each count of vectors in one pass, every length of a last part vector,
     * rows that reach a whole vector past the positions and rows that do not.
     */
    @Test
    void dotsAndWeightedSumsAreTheirChainsWhateverTheCountOfPositions() {
        int l = FloatAttention.L;
        SplittableRandom random = new SplittableRandom(17);
        for (int hd : new int[] {3, l, 2 * l, 4 * l}) {
            for (int n = 1; n <= 6 * l + 3; n++) {
                for (int width : new int[] {n, 8 * l}) {
                    float[][] columns = uniformFloats(random, 1 + hd, width, 2.0);
                    float[] u = uniformFloats(random, 1, hd, 2.0)[0];
                    float[] d = new float[n + 2];
                    d[n] = 7f;
                    d[n + 1] = 8f;
                    FloatAttention.dots(d, u, columns, 1, hd, n, new float[l]);
                    for (int s = 0; s < n; s++) {
                        float p = u[0] * columns[1][s];
                        for (int j = 1; j < hd; j++) {
                            p = Math.fma(u[j], columns[1 + j][s], p);
                        }
                        assertEquals(Float.floatToRawIntBits(p), Float.floatToRawIntBits(d[s]),
                                "dots, hd " + hd + ", n " + n + ", width " + width + ", s " + s);
                    }
                    assertEquals(7f, d[n], 0f, "dots past n");
                    assertEquals(8f, d[n + 1], 0f, "dots past n");
                    // Two queries at once, over n - 1 and n positions: each the one query's bits.
                    if (n > 1) {
                        float[] u0 = uniformFloats(random, 1, hd, 2.0)[0];
                        float[] d0 = new float[n + 1];
                        float[] d1 = new float[n + 1];
                        d0[n - 1] = 7f;
                        d1[n] = 8f;
                        FloatAttention.dotsTwo(d0, d1, u0, u, columns, 1, hd, n - 1, new float[4 * l]);
                        float[] e0 = new float[n - 1];
                        FloatAttention.dots(e0, u0, columns, 1, hd, n - 1, new float[l]);
                        for (int s = 0; s < n; s++) {
                            if (s < n - 1) {
                                assertEquals(Float.floatToRawIntBits(e0[s]), Float.floatToRawIntBits(d0[s]),
                                        "dotsTwo, first, hd " + hd + ", n " + n + ", width " + width + ", s " + s);
                            }
                            assertEquals(Float.floatToRawIntBits(d[s]), Float.floatToRawIntBits(d1[s]),
                                    "dotsTwo, second, hd " + hd + ", n " + n + ", width " + width + ", s " + s);
                        }
                        assertEquals(7f, d0[n - 1], 0f, "dotsTwo past n - 1");
                        assertEquals(8f, d1[n], 0f, "dotsTwo past n");
                    }
                }
                if (hd % l == 0) {
                    float[][] rows = uniformFloats(random, n, 2 + hd, 2.0);
                    float[] w = uniformFloats(random, 1, n, 1.0)[0];
                    float[] start = uniformFloats(random, 1, 1 + hd + 1, 1.0)[0];
                    float[] y = start.clone();
                    float[] expected = start.clone();
                    FloatAttention.addWeightedRows(y, 1, w, rows, 2, hd, n);
                    for (int j = 0; j < hd; j++) {
                        for (int s = 0; s < n; s++) {
                            expected[1 + j] = Math.fma(w[s], rows[s][2 + j], expected[1 + j]);
                        }
                    }
                    for (int j = 0; j < y.length; j++) {
                        assertEquals(Float.floatToRawIntBits(expected[j]), Float.floatToRawIntBits(y[j]),
                                "weighted rows, hd " + hd + ", n " + n + ", element " + j);
                    }
                    // Two queries at once, over n - 1 and n rows: each the one query's bits.
                    if (n > 1) {
                        float[] w0 = uniformFloats(random, 1, n, 1.0)[0];
                        float[] start0 = uniformFloats(random, 1, 1 + hd + 1, 1.0)[0];
                        float[] expected0 = start0.clone();
                        FloatAttention.addWeightedRows(expected0, 1, w0, rows, 2, hd, n - 1);
                        float[] y0 = start0.clone();
                        float[] y1 = start.clone();
                        FloatAttention.addWeightedRowsTwo(y0, y1, 1, w0, w, rows, 2, hd, n - 1);
                        assertArrayEquals(expected0, y0, 0f, "weighted rows of two, first, hd " + hd + ", n " + n);
                        assertArrayEquals(y, y1, 0f, "weighted rows of two, second, hd " + hd + ", n " + n);
                    }
                }
            }
        }
    }

    /**
     * {@link FloatAttention#softmax} against softmax in double on 1 to 40 values (whole vectors and
     * every length of a last part vector), within float rounding, leaving the values past
     * {@code n} as they were.
     */
    @Test
    void softmaxFollowsItsDefinitionOnEveryLength() {
        SplittableRandom random = new SplittableRandom(5);
        for (int n = 1; n <= 40; n++) {
            float[] z = new float[n + 3];
            for (int i = 0; i < z.length; i++) {
                z[i] = (float) ((random.nextDouble() * 2 - 1) * 8);
            }
            float[] before = z.clone();
            double max = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < n; i++) {
                max = Math.max(max, before[i]);
            }
            double total = 0;
            for (int i = 0; i < n; i++) {
                total += Math.exp(before[i] - max);
            }
            FloatAttention.softmax(z, n, new float[FloatAttention.L]);
            for (int i = 0; i < n; i++) {
                double expected = Math.exp(before[i] - max) / total;
                assertEquals(expected, z[i], 1e-6 * expected + 1e-9, "n " + n + ", z[" + i + "]");
            }
            for (int i = n; i < z.length; i++) {
                assertEquals(before[i], z[i], 0f, "n " + n + ", untouched z[" + i + "]");
            }
        }
    }

    /**
     * {@link FloatAttention#exponentials} within three ulps of {@code Math.exp} rounded to float from 0 down
     * to {@code -87.3}, and at most {@code e^-87.3} below (where {@code e^x} is under the normal
     * floats).
     */
    @Test
    void theExponentialIsWithinThreeUlps() {
        int l = FloatAttention.L;
        float[] x = new float[l];
        float[] y = new float[l];
        for (int i = 0; i <= 900_000; i += l) {
            for (int lane = 0; lane < l; lane++) {
                x[lane] = -(i + lane) * 1e-4f;
            }
            System.arraycopy(x, 0, y, 0, l);
            FloatAttention.exponentials(y, l, 0f, new float[l]);
            for (int lane = 0; lane < l; lane++) {
                float expected = (float) Math.exp(x[lane]);
                if (x[lane] >= -87.3f) {
                    assertEquals(expected, y[lane], 3 * Math.ulp(expected), "e^" + x[lane]);
                } else {
                    assertTrue(y[lane] >= 0f && y[lane] <= (float) Math.exp(-87.3), "e^" + x[lane] + ": " + y[lane]);
                }
            }
        }
    }

    /**
     * {@link FloatAttention#exponentials} gives, bit for bit, the same steps done one float at a time with
     * {@code 2^n} made from {@code n} converted to an int (as it once was, before that conversion,
     * which C2 on JDK 17 does not compile for 16 lanes, was replaced by reading the bits of
     * {@code n + 1.5 2^23}): the softmax weights did not change.
     */
    @Test
    void theExponentialHasTheBitsOfItsStepsWithTheIntegerConverted() {
        int l = FloatAttention.L;
        float[] x = new float[l];
        float[] y = new float[l];
        for (int i = 0; i <= 1_000_000; i += l) {
            for (int lane = 0; lane < l; lane++) {
                x[lane] = -(i + lane) * 9.1e-5f;
            }
            System.arraycopy(x, 0, y, 0, l);
            FloatAttention.exponentials(y, l, 0f, new float[l]);
            for (int lane = 0; lane < l; lane++) {
                float v = Math.max(x[lane], -87.3f);
                float n = v * 1.44269504088896341f + 12582912f - 12582912f;
                float r = Math.fma(n, -0.693359375f, v);
                r = Math.fma(n, 2.12194440e-4f, r);
                float p = Math.fma(1.9875691500e-4f, r, 1.3981999507e-3f);
                p = Math.fma(p, r, 8.3334519073e-3f);
                p = Math.fma(p, r, 4.1665795894e-2f);
                p = Math.fma(p, r, 1.6666665459e-1f);
                p = Math.fma(p, r, 5.0000001201e-1f);
                float e = (Math.fma(p, r * r, r) + 1f) * Float.intBitsToFloat(((int) n + 127) << 23);
                assertEquals(Float.floatToRawIntBits(e), Float.floatToRawIntBits(y[lane]), "e^" + x[lane]);
            }
        }
    }

    private static void check(SplittableRandom random, int hd, int nHead, int positions) {
        int c = hd * nHead;
        float scale = (float) (1.0 / Math.sqrt(hd));
        String where = "hd " + hd + ", heads " + nHead + ", positions " + positions;
        float[][] qkv = uniformFloats(random, positions, 3 * c, 2.0);
        float[][] dout = uniformFloats(random, positions, c, 1.0);
        float[][] dqkvBefore = uniformFloats(random, positions, 3 * c, 1.0);

        // The reference, in double.
        double[][][] a = new double[positions][nHead][positions];
        double[][] y = new double[positions][c];
        double[][] dqkv = new double[positions][3 * c];
        for (int t = 0; t < positions; t++) {
            for (int i = 0; i < 3 * c; i++) {
                dqkv[t][i] = dqkvBefore[t][i];
            }
        }
        for (int h = 0; h < nHead; h++) {
            int qs = h * hd;
            int ks = c + qs;
            int vs = 2 * c + qs;
            for (int t = 0; t < positions; t++) {
                double max = Double.NEGATIVE_INFINITY;
                double[] z = new double[t + 1];
                for (int s = 0; s <= t; s++) {
                    for (int j = 0; j < hd; j++) {
                        z[s] += (double) qkv[t][qs + j] * qkv[s][ks + j] * scale;
                    }
                    max = Math.max(max, z[s]);
                }
                double total = 0;
                for (int s = 0; s <= t; s++) {
                    total += Math.exp(z[s] - max);
                }
                for (int s = 0; s <= t; s++) {
                    a[t][h][s] = Math.exp(z[s] - max) / total;
                    for (int j = 0; j < hd; j++) {
                        y[t][qs + j] += a[t][h][s] * qkv[s][vs + j];
                    }
                }
                double[] da = new double[t + 1];
                double weighted = 0;
                for (int s = 0; s <= t; s++) {
                    for (int j = 0; j < hd; j++) {
                        da[s] += (double) dout[t][qs + j] * qkv[s][vs + j];
                    }
                    weighted += a[t][h][s] * da[s];
                }
                for (int s = 0; s <= t; s++) {
                    double dz = a[t][h][s] * (da[s] - weighted) * scale;
                    for (int j = 0; j < hd; j++) {
                        dqkv[t][qs + j] += dz * qkv[s][ks + j];
                        dqkv[s][ks + j] += dz * qkv[t][qs + j];
                        dqkv[s][vs + j] += a[t][h][s] * dout[t][qs + j];
                    }
                }
            }
        }

        float[][] out = new float[positions][c];
        float[][][] weights = new float[positions][nHead][positions];
        float[][] keysT = new float[c][positions];
        FloatAttention.forward(out, weights, qkv, keysT, nHead, scale, 0, positions, ALONE);
        for (int t = 0; t < positions; t++) {
            for (int h = 0; h < nHead; h++) {
                for (int s = 0; s <= t; s++) {
                    assertEquals(a[t][h][s], weights[t][h][s], 1e-5, where + ": weight " + t + ", " + h + ", " + s);
                }
            }
            for (int i = 0; i < c; i++) {
                assertEquals(y[t][i], out[t][i], 1e-5 * (1 + Math.abs(y[t][i])), where + ": out " + t + ", " + i);
                assertEquals(qkv[t][c + i], keysT[i][t], 0.0, where + ": key cache " + t + ", " + i);
            }
        }

        float[][] dweights = new float[3 * nHead][positions * hd + positions];
        float[][] grads = copy(dqkvBefore);
        FloatAttention.backward(grads, dout, qkv, weights, new float[c][positions], dweights, nHead, scale, 0,
                positions, ALONE);
        for (int t = 0; t < positions; t++) {
            for (int i = 0; i < 3 * c; i++) {
                assertEquals(dqkv[t][i], grads[t][i], 1e-4 * (1 + Math.abs(dqkv[t][i])),
                        where + ": dqkv " + t + ", " + i);
            }
        }

        // The same bits head by head, and with the positions two at a time through the cache.
        float[][] out2 = new float[positions][c];
        float[][][] weights2 = new float[positions][nHead][positions];
        float[][] keysT2 = new float[c][positions];
        for (int from = 0; from < positions; from += 3) {
            FloatAttention.forward(out2, weights2, qkv, keysT2, nHead, scale, from, Math.min(positions, from + 3),
                    HEAD_BY_HEAD);
        }
        for (int t = 0; t < positions; t++) {
            assertArrayEquals(out[t], out2[t], 0f, where + ": out " + t + " in steps of three");
            for (int h = 0; h < nHead; h++) {
                assertArrayEquals(weights[t][h], weights2[t][h], 0f, where + ": weights " + t + " in steps");
            }
        }
        float[][] grads2 = copy(dqkvBefore);
        FloatAttention.backward(grads2, dout, qkv, weights, new float[c][positions],
                new float[3 * nHead][positions * hd + positions], nHead, scale, 0, positions, HEAD_BY_HEAD);
        for (int t = 0; t < positions; t++) {
            assertArrayEquals(grads[t], grads2[t], 0f, where + ": dqkv " + t + " head by head");
        }
        // The last three queries, then the others: another pairing of the queries (two at a time,
        // from the last), the same terms in the same order on every element.
        float[][] grads3 = copy(dqkvBefore);
        int split = Math.max(0, positions - 3);
        float[][] valuesT = new float[c][positions];
        float[][] dweights3 = new float[3 * nHead][positions * hd + positions];
        FloatAttention.backward(grads3, dout, qkv, weights, valuesT, dweights3, nHead, scale, split, positions,
                ALONE);
        if (split > 0) {
            FloatAttention.backward(grads3, dout, qkv, weights, valuesT, dweights3, nHead, scale, 0, split, ALONE);
        }
        for (int t = 0; t < positions; t++) {
            assertArrayEquals(grads[t], grads3[t], 0f, where + ": dqkv " + t + " in two parts");
        }
    }
}
